//! Serves the built front end, `web/dist/` (mounted read-only at `/` by the manifest's `files`;
//! `scripts/lib.sh` builds it with `npm ci && npm run build`): the status card at `/`, the phone
//! app under `/m/`, and the staff console under `/console/`. Only GET and HEAD; `..` never leaves the mount;
//! a folder serves its `index.html`.
//!
//! The console is a single-page app: any `/console/...` address without a file extension that is
//! not a file serves `/console/index.html`, and the app's router shows the page, so a reload or a
//! bookmarked link works. Vite names every file under `/assets/` by a hash of its content, so
//! those are cached for a year as immutable; everything else (the HTML that names them) is
//! `no-cache`, so a new release is picked up at the next load.
//!
//! The phone app (the people's pages, H5) is a second single-page app under `/m/`: its routes
//! fall back to `/m/index.html` the same way. The activity QR code's older address,
//! `/checkin.html?code=`, is answered with a redirect to the phone app's check-in page (printed
//! codes keep working), and the survey page's, `/survey.html?id=N` (WeChat menus), with one to
//! the app's `/m/surveys/N`.
//!
//! Every answer carries the security headers of [`SECURITY_HEADERS`]: the pages keep their
//! scripts and styles in files beside them (no inline `<script>`, `<style>` or `style=`), so the
//! policy can be `'self'` only and an injected script cannot run, and no other site may frame a
//! page to trick a click on it.

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

/// The content security policy: everything from this origin only; no plugins, no `<base>`
/// rewriting, no framing by anyone (`frame-ancestors` is the framing rule CSP-aware browsers
/// follow; `X-Frame-Options` below covers older ones).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; \
                   frame-ancestors 'none'";

/// The phone app's policy (`/m/...`): the same, but scripts may also come from Tencent's JS-SDK
/// host. Inside WeChat the check-in page loads `https://res.wx.qq.com/open/js/jweixin-1.6.0.js`
/// for `wx.getLocation` (WeChat documents no other way to its position API); one https origin,
/// named exactly, and only for the phone app — the console and the screen never load it. The
/// app is one page, so the policy has to be the same for every route under `/m/`.
const PHONE_CSP: &str = "default-src 'self'; script-src 'self' https://res.wx.qq.com; style-src 'self'; \
                         img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
                         object-src 'none'; frame-ancestors 'none'";

/// The wall screen's policy: [`CSP`] with images from any https origin as well, for the map tiles
/// of the deployment's own tile service (`screen.tile_url`). The policy cannot name that origin
/// itself: this component only serves files (it has no database, so it cannot read the setting,
/// and the same manifest must run on real Spin). An image cannot run script, scripts and
/// connections stay same-origin, and the screen shows aggregates only, so the wider image rule
/// leaks nothing a screen does not already show. Only `/screen.html` gets it.
const SCREEN_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; \
                          connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; \
                          frame-ancestors 'none'";

/// The policy for an answer to `path`.
fn csp_for(path: &str) -> &'static str {
    if path == "/m" || path.starts_with("/m/") {
        PHONE_CSP
    } else if path == "/screen.html" {
        SCREEN_CSP
    } else {
        CSP
    }
}

/// Sent on every answer, pages and errors alike (the policy per [`csp_for`]).
const SECURITY_HEADERS: [(&str, &str); 3] = [
    // A file is what its Content-Type says, never sniffed into script or HTML.
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    // The survey page's address carries the survey id; other sites need not learn it.
    ("referrer-policy", "same-origin"),
];

#[http_component]
fn handle(req: Request) -> Response {
    let mut resp = serve(&req);
    resp.set_header("content-security-policy", csp_for(req.path()));
    for (name, value) in SECURITY_HEADERS {
        resp.set_header(name, value);
    }
    resp
}

/// The policy of the page at `path`: the screen's for the wall screen, the strict one for all else.
fn serve(req: &Request) -> Response {
    if !matches!(req.method(), Method::Get | Method::Head) {
        let mut resp = error(405, "method_not_allowed", "use GET");
        resp.set_header("allow", "GET, HEAD");
        return resp;
    }
    let path = req.path();
    if path == "/checkin.html" {
        return redirect(&format!("/m/checkin{}", query_suffix(req.query())));
    }
    if path == "/survey.html" {
        return redirect(&survey_location(req.query()));
    }
    let Some(file) = file_for(path) else {
        return error(404, "not_found", "no such page");
    };
    let found = std::fs::read(&file).map(|bytes| (file.clone(), bytes)).or_else(|e| match spa_fallback(path) {
        Some(index) => std::fs::read(index).map(|bytes| (index.to_string(), bytes)),
        None => Err(e),
    });
    match found {
        Ok((file, bytes)) => {
            let body = if *req.method() == Method::Head { Vec::new() } else { bytes };
            Response::builder()
                .status(200)
                .header("content-type", content_type(&file))
                .header("cache-control", cache_control(&file))
                .body(body)
                .build()
        }
        Err(_) => error(404, "not_found", "no such page"),
    }
}

/// The entry page of the single-page app a route belongs to: the console's for `/console`,
/// `/console/orgs/12`, the phone app's for `/m`, `/m/checkin`; `None` for anything else, and for
/// a missing file with an extension (`/console/x.js` stays a 404, so a broken asset link is not
/// answered with HTML).
fn spa_fallback(path: &str) -> Option<&'static str> {
    let (rest, index) = if let Some(rest) = path.strip_prefix("/console") {
        (rest, "/console/index.html")
    } else if let Some(rest) = path.strip_prefix("/m") {
        (rest, "/m/index.html")
    } else {
        return None;
    };
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let last = rest.rsplit('/').next().unwrap_or("");
    (!last.contains('.')).then_some(index)
}

/// `?query` when there is one, so a redirect keeps the activity code.
fn query_suffix(query: &str) -> String {
    if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    }
}

/// Where the old survey page's address, `/survey.html?id=N` (WeChat menus and replies carry it),
/// now leads: the phone app's `/m/surveys/N`. Only a number goes into the path; a missing or
/// malformed id leads to `/m/surveys/`, which the app answers with its "no such page".
fn survey_location(query: &str) -> String {
    let id = query.split('&').find_map(|pair| pair.strip_prefix("id=")).filter(|id| {
        !id.is_empty() && id.len() <= 18 && id.bytes().all(|b| b.is_ascii_digit()) && !id.starts_with('0')
    });
    format!("/m/surveys/{}", id.unwrap_or(""))
}

/// A same-origin redirect (the location is a path built here, never taken from the request's
/// path, so it cannot point elsewhere).
fn redirect(location: &str) -> Response {
    Response::builder()
        .status(302)
        .header("location", location)
        .header("cache-control", "no-cache")
        .body(Vec::new())
        .build()
}

/// Hashed build output never changes under its name; every other file may.
fn cache_control(file: &str) -> &'static str {
    if file.starts_with("/assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// Maps a URL path to a file under the mount, refusing anything that climbs out of it.
fn file_for(path: &str) -> Option<String> {
    let mut parts = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => return None,
            s if s.contains('\\') || s.contains('\0') => return None,
            s => parts.push(s),
        }
    }
    let mut file = format!("/{}", parts.join("/"));
    if path.ends_with('/') || parts.is_empty() || !parts.last().is_some_and(|p| p.contains('.')) {
        if !file.ends_with('/') {
            file.push('/');
        }
        file.push_str("index.html");
    }
    Some(file)
}

fn content_type(file: &str) -> &'static str {
    match file.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "webp" => "image/webp",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn error(status: u16, code: &str, message: &str) -> Response {
    let body = format!(r#"{{"error":{{"code":"{code}","message":"{message}"}}}}"#);
    Response::builder().status(status).header("content-type", "application/json").body(body).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_phone_app_may_load_the_wechat_js_sdk() {
        for path in ["/m", "/m/", "/m/checkin", "/m/assets/app.js"] {
            assert!(csp_for(path).contains("script-src 'self' https://res.wx.qq.com;"), "{path}");
        }
        for path in ["/", "/console/", "/screen.html", "/mx", "/index.js"] {
            assert!(csp_for(path).contains("script-src 'self';"), "{path}");
            assert!(!csp_for(path).contains("res.wx.qq.com"), "{path}");
        }
    }

    #[test]
    fn only_the_wall_screen_may_load_images_from_other_https_origins() {
        assert!(csp_for("/screen.html").contains("img-src 'self' data: https:;"));
        for path in ["/console/", "/m/", "/", "/screen.html/x", "/console/screen.html"] {
            assert!(!csp_for(path).contains("img-src 'self' data: https:"), "{path}");
        }
        assert_eq!(SCREEN_CSP.replace(" https:", ""), CSP);
    }

    #[test]
    fn console_routes_fall_back_to_the_console_page_and_nothing_else_does() {
        assert_eq!(spa_fallback("/console"), Some("/console/index.html"));
        assert_eq!(spa_fallback("/console/orgs/12"), Some("/console/index.html"));
        assert_eq!(spa_fallback("/console/missing.js"), None);
        assert_eq!(spa_fallback("/consoles"), None);
        assert_eq!(spa_fallback("/survey"), None);
    }

    #[test]
    fn phone_routes_fall_back_to_the_phone_app_and_nothing_else_does() {
        assert_eq!(spa_fallback("/m"), Some("/m/index.html"));
        assert_eq!(spa_fallback("/m/checkin"), Some("/m/index.html"));
        assert_eq!(spa_fallback("/m/orders/12"), Some("/m/index.html"));
        assert_eq!(spa_fallback("/m/missing.js"), None);
        assert_eq!(spa_fallback("/map"), None);
    }

    #[test]
    fn a_redirect_keeps_the_query_and_only_the_query() {
        assert_eq!(query_suffix("code=ABC234"), "?code=ABC234");
        assert_eq!(query_suffix(""), "");
    }

    #[test]
    fn the_old_survey_address_leads_to_the_phone_apps_survey_and_only_a_number_enters_the_path() {
        assert_eq!(survey_location("id=7"), "/m/surveys/7");
        assert_eq!(survey_location("from=menu&id=12"), "/m/surveys/12");
        assert_eq!(survey_location(""), "/m/surveys/");
        assert_eq!(survey_location("id="), "/m/surveys/");
        assert_eq!(survey_location("id=0"), "/m/surveys/");
        assert_eq!(survey_location("id=//evil.example"), "/m/surveys/");
        assert_eq!(survey_location("id=3%2F..%2F"), "/m/surveys/");
    }

    #[test]
    fn only_hashed_assets_are_immutable() {
        assert_eq!(cache_control("/assets/index-3f2a.js"), "public, max-age=31536000, immutable");
        assert_eq!(cache_control("/console/index.html"), "no-cache");
        assert_eq!(cache_control("/index.js"), "no-cache");
    }
}
