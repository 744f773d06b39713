//! The request as Spin shows it to a guest (`crates/trigger-http/src/headers.rs` and
//! `server.rs` in Spin), written once for routed requests and for local service chaining.
//!
//! A guest sees an absolute URI (`http://<authority><path and query>`), no `Host` or
//! `Connection` header, and Spin's own headers: `spin-full-url`, `spin-path-info`,
//! `spin-matched-route`, `spin-component-route`, `spin-raw-component-route`, `spin-base-path`,
//! `spin-client-addr` and one `spin-path-match-<name>` per `:name` capture.
//!
//! One deliberate difference: Spin appends its headers after any the client sent, so a client can
//! send a forged `spin-client-addr` that a guest reading the first value believes. The edge drops
//! every client-sent `spin-*` header before adding its own.

use std::net::SocketAddr;

use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::request::Parts;

use crate::routing::RouteMatch;

/// Why a request cannot be shown to a guest as Spin would show it.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// The authority (the client's `Host`) does not make a valid URI.
    #[error("invalid request URI {0:?}")]
    Uri(String),
    /// A value (a path, a capture) cannot be a header value.
    #[error("cannot send {name} as a header: {reason}")]
    Header {
        /// The header Spin would add.
        name: String,
        /// What is wrong with the value.
        reason: String,
    },
}

/// Rewrites `parts` into Spin's view of the request: `authority` becomes the URI's host, the
/// client's `spin-*`, `Host` and `Connection` headers go, Spin's headers for `route` and
/// `client` are added.
pub fn apply(parts: &mut Parts, authority: &str, route: &RouteMatch<'_>, client: SocketAddr) -> Result<(), ViewError> {
    let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let full_url = format!("http://{authority}{path_and_query}");
    parts.uri = full_url.parse().map_err(|_| ViewError::Uri(full_url.clone()))?;
    strip_client_headers(&mut parts.headers);
    parts.headers.remove(http::header::HOST);
    add_spin_headers(&mut parts.headers, &full_url, route, client)
}

/// Removes what a client must not control or what Spin strips: `spin-*` and `connection`.
fn strip_client_headers(headers: &mut HeaderMap) {
    let forged: Vec<HeaderName> = headers.keys().filter(|name| name.as_str().starts_with("spin-")).cloned().collect();
    for name in forged {
        headers.remove(&name);
    }
    headers.remove(http::header::CONNECTION);
}

/// Adds Spin's headers for a routed request.
fn add_spin_headers(
    headers: &mut HeaderMap,
    full_url: &str,
    route: &RouteMatch<'_>,
    client: SocketAddr,
) -> Result<(), ViewError> {
    let pattern = &route.route.pattern;
    let mut set = |name: &str, value: &str| -> Result<(), ViewError> {
        let fail = |reason: String| ViewError::Header { name: name.to_string(), reason };
        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|e| fail(e.to_string()))?;
        let value = HeaderValue::from_str(value).map_err(|e| fail(e.to_string()))?;
        headers.append(header, value);
        Ok(())
    };
    set("spin-full-url", full_url)?;
    set("spin-path-info", &route.path_info)?;
    set("spin-matched-route", &pattern.normalised)?;
    set("spin-raw-component-route", &pattern.raw)?;
    set("spin-component-route", &pattern.component_route())?;
    set("spin-base-path", "/")?;
    set("spin-client-addr", &client.to_string())?;
    for (name, value) in &route.captures {
        let header = format!("spin-path-match-{}", name.to_ascii_lowercase().replace('_', "-"));
        set(&header, value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::{Router, Target};

    #[test]
    fn the_view_is_absolute_and_carries_only_spins_own_headers() {
        let (router, _) = Router::build([("/users/:user_id/...".to_string(), Target::Component("u".into()))]);
        let matched = router.route("/users/7/cart").unwrap();
        let (mut parts, ()) = http::Request::builder()
            .uri("/users/7/cart?x=1")
            .header("host", "example.org:3000")
            .header("connection", "keep-alive")
            .header("spin-client-addr", "6.6.6.6:1")
            .header("x-kept", "yes")
            .body(())
            .unwrap()
            .into_parts();

        apply(&mut parts, "example.org:3000", &matched, "10.0.0.1:5000".parse().unwrap()).unwrap();

        assert_eq!(parts.uri.to_string(), "http://example.org:3000/users/7/cart?x=1");
        let h = &parts.headers;
        assert!(h.get("host").is_none() && h.get("connection").is_none());
        assert_eq!(h.get_all("spin-client-addr").iter().collect::<Vec<_>>(), ["10.0.0.1:5000"]);
        assert_eq!(h["spin-full-url"], "http://example.org:3000/users/7/cart?x=1");
        assert_eq!(h["spin-path-info"], "/cart");
        assert_eq!(h["spin-matched-route"], "/users/:user_id/...");
        assert_eq!(h["spin-component-route"], "/users/:user_id");
        assert_eq!(h["spin-base-path"], "/");
        assert_eq!(h["spin-path-match-user-id"], "7");
        assert_eq!(h["x-kept"], "yes");
    }

    #[test]
    fn an_authority_that_makes_no_uri_is_an_error() {
        let (router, _) = Router::build([("/...".to_string(), Target::Component("c".into()))]);
        let matched = router.route("/").unwrap();
        let (mut parts, ()) = http::Request::builder().uri("/").body(()).unwrap().into_parts();
        assert!(matches!(
            apply(&mut parts, "bad host", &matched, "127.0.0.1:1".parse().unwrap()),
            Err(ViewError::Uri(_))
        ));
    }
}
