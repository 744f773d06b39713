//! The product: the Wenming app itself (`spin.toml` at the workspace root), bootstrapped the way
//! an operator does it (`wenming call … bootstrap POST /centre-admin`), driven as its users are:
//! bearer sessions from `POST /api/v1/sessions` (staff by password, citizens and volunteers by an
//! SMS code read back from the outbox), and the request clock moved with `X-Wenming-Now`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::spawn::run_to_completion;
use crate::{
    cache_dir, fresh_state_dir, items, json, require_components, wenming_bin, workspace_root, CommandOutput, Edge,
    Json, Launch, Reply,
};

/// The centre the product harness bootstraps.
pub const CENTRE_NAME: &str = "示范县新时代文明实践中心";
/// The first centre admin the product harness bootstraps.
pub const CENTRE_ADMIN_NAME: &str = "中心管理员";
pub const CENTRE_ADMIN_PHONE: &str = "13900000000";
pub const CENTRE_ADMIN_PASSWORD: &str = "centre-admin-pw";
/// The demo data's institute admin (README's demo credentials).
pub const DEMO_INSTITUTE_ADMIN_PHONE: &str = "13800000001";
pub const DEMO_INSTITUTE_ADMIN_PASSWORD: &str = "wenming-demo-1";

/// The components the directory/identity product tests need built.
pub const PRODUCT_COMPONENTS: [&str; 7] =
    ["identity", "directory", "volunteers", "bootstrap", "wechat", "mediation", "delivery"];

/// The product manifest: `$WENMING_PRODUCT_MANIFEST`, else `<workspace>/spin.toml`.
pub fn product_manifest() -> PathBuf {
    match std::env::var_os("WENMING_PRODUCT_MANIFEST") {
        Some(path) => PathBuf::from(path),
        None => workspace_root().join("spin.toml"),
    }
}

/// Runs `wenming call -f <manifest> --state-dir <dir> --cache-dir <cache_dir()> <args…>` to
/// completion (300 s limit): one request to one component in-process, private ones included.
pub fn wenming_call<S: AsRef<OsStr>>(manifest: &Path, state_dir: &Path, args: &[S]) -> CommandOutput {
    let mut command = Command::new(wenming_bin());
    command
        .args(["call", "-f"])
        .arg(manifest)
        .arg("--state-dir")
        .arg(state_dir)
        .arg("--cache-dir")
        .arg(cache_dir())
        .args(crate::backend::runtime_config_args(state_dir, &[]))
        .args(args)
        .env_remove("RUNTIME_CONFIG_FILE");
    run_to_completion(command, "wenming call", Duration::from_secs(300))
}

/// `wenming call … bootstrap POST /centre-admin` with the harness's centre and centre admin.
pub fn bootstrap_centre_admin(state_dir: &Path) -> CommandOutput {
    let body = json!({
        "centre_name": CENTRE_NAME,
        "admin_name": CENTRE_ADMIN_NAME,
        "phone": CENTRE_ADMIN_PHONE,
        "password": CENTRE_ADMIN_PASSWORD,
    })
    .to_string();
    wenming_call(&product_manifest(), state_dir, &["bootstrap", "POST", "/centre-admin", "--body", &body])
}

/// `wenming call … bootstrap POST /demo`: the believable demo county.
pub fn bootstrap_demo(state_dir: &Path) -> CommandOutput {
    wenming_call(&product_manifest(), state_dir, &["bootstrap", "POST", "/demo"])
}

/// A product start on a fresh state dir that is already bootstrapped (centre + centre admin, and
/// the demo data when `demo`); add `.env(..)`/`.args(..)` and `.start()`.
pub fn product_launch(demo: bool) -> Launch {
    require_components(&PRODUCT_COMPONENTS);
    let state_dir = fresh_state_dir();
    let centre = bootstrap_centre_admin(state_dir.path());
    assert!(centre.success(), "bootstrap POST /centre-admin failed ({:?}):\n{}", centre.status, centre.output());
    if demo {
        let seeded = bootstrap_demo(state_dir.path());
        assert!(seeded.success(), "bootstrap POST /demo failed ({:?}):\n{}", seeded.status, seeded.output());
    }
    Edge::launch(&product_manifest()).state_dir(state_dir)
}

/// The product, bootstrapped with the harness's centre admin (no demo data), serving.
pub fn start_product() -> Edge {
    product_launch(false).start()
}

/// The product with the centre admin and the demo data, serving.
pub fn start_product_with_demo() -> Edge {
    product_launch(true).start()
}

impl Edge {
    /// A request with `Authorization: Bearer <token>` (when given) and a JSON body (when given,
    /// with `content-type: application/json`), plus `headers`.
    pub async fn api(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Json>,
    ) -> Reply {
        let authorization = token.map(|t| format!("Bearer {t}"));
        let mut all: Vec<(&str, &str)> = Vec::new();
        if let Some(value) = &authorization {
            all.push(("authorization", value.as_str()));
        }
        if body.is_some() {
            all.push(("content-type", "application/json"));
        }
        all.extend_from_slice(headers);
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.request(method, path, &all, bytes).await
    }

    /// `GET` as the holder of `token`.
    pub async fn get_as(&self, token: &str, path: &str) -> Reply {
        self.api(Some(token), "GET", path, &[], None).await
    }

    /// `POST` a JSON body as the holder of `token`.
    pub async fn post_as(&self, token: &str, path: &str, body: &Json) -> Reply {
        self.api(Some(token), "POST", path, &[], Some(body)).await
    }

    /// `POST` with no body (actions such as `/approve`) as the holder of `token`.
    pub async fn post_empty_as(&self, token: &str, path: &str) -> Reply {
        self.api(Some(token), "POST", path, &[], None).await
    }

    /// `PATCH` a JSON body as the holder of `token`.
    pub async fn patch_as(&self, token: &str, path: &str, body: &Json) -> Reply {
        self.api(Some(token), "PATCH", path, &[], Some(body)).await
    }

    /// `DELETE` as the holder of `token`.
    pub async fn delete_as(&self, token: &str, path: &str) -> Reply {
        self.api(Some(token), "DELETE", path, &[], None).await
    }

    /// `POST /api/v1/sessions {"phone", "password"}`, whatever the answer.
    pub async fn try_sign_in(&self, phone: &str, password: &str) -> Reply {
        let body = json!({ "phone": phone, "password": password });
        self.api(None, "POST", "/api/v1/sessions", &[], Some(&body)).await
    }

    /// A staff sign-in that must succeed (201): the whole answer (`token`, `expires_at`,
    /// `account`).
    pub async fn session(&self, phone: &str, password: &str) -> Json {
        let reply = self.try_sign_in(phone, password).await;
        assert_eq!(reply.status, 201, "sign-in of {phone} failed: {}", reply.text());
        let session = reply.json();
        assert!(session["token"].is_string(), "no token in {session}");
        session
    }

    /// A staff sign-in that must succeed: the bearer token.
    pub async fn sign_in(&self, phone: &str, password: &str) -> String {
        self.session(phone, password).await["token"].as_str().unwrap().to_owned()
    }

    /// `POST /api/v1/orgs` that must succeed (201): the new org.
    pub async fn create_org(&self, token: &str, parent_id: i64, name: &str, level: &str) -> Json {
        let body = json!({ "parent_id": parent_id, "name": name, "level": level });
        let reply = self.post_as(token, "/api/v1/orgs", &body).await;
        assert_eq!(reply.status, 201, "POST /api/v1/orgs {body}: {}", reply.text());
        reply.json()
    }

    /// A staff member made by `admin`: `POST /api/v1/accounts` with a password, then
    /// `POST /api/v1/accounts/{id}/roles {role, org_id}`, then a password sign-in. Returns the
    /// account id and the new member's token.
    pub async fn create_staff(
        &self,
        admin: &str,
        name: &str,
        phone: &str,
        password: &str,
        role: &str,
        org_id: i64,
    ) -> (i64, String) {
        let account = self
            .post_as(admin, "/api/v1/accounts", &json!({ "name": name, "phone": phone, "password": password }))
            .await;
        assert_eq!(account.status, 201, "POST /api/v1/accounts for {phone}: {}", account.text());
        let id = account.json()["id"].as_i64().expect("account id");
        let grant = self
            .post_as(admin, &format!("/api/v1/accounts/{id}/roles"), &json!({ "role": role, "org_id": org_id }))
            .await;
        assert_eq!(grant.status, 201, "granting {role} at {org_id}: {}", grant.text());
        (id, self.sign_in(phone, password).await)
    }

    /// The harness's centre admin's token.
    pub async fn sign_in_centre_admin(&self) -> String {
        self.sign_in(CENTRE_ADMIN_PHONE, CENTRE_ADMIN_PASSWORD).await
    }

    /// The newest `sign-in-code` SMS queued for `phone`, read from `GET /api/v1/outbox` by a
    /// holder of read-outbox (`sms_provider = none` shows codes whole).
    pub async fn latest_sign_in_code(&self, outbox_reader: &str, phone: &str) -> String {
        let reply = self.get_as(outbox_reader, &format!("/api/v1/outbox?recipient={phone}&limit=100")).await;
        assert_eq!(reply.status, 200, "GET /api/v1/outbox: {}", reply.text());
        let outbox = reply.json();
        let items = outbox["items"].as_array().unwrap_or_else(|| panic!("outbox has no items array: {outbox}"));
        let message = items
            .iter()
            .rfind(|m| m["template"] == "sign-in-code" && m["recipient"] == phone)
            .unwrap_or_else(|| panic!("no sign-in-code message to {phone} in the outbox: {outbox}"));
        let params = match &message["params"] {
            Json::String(text) => serde_json::from_str(text).unwrap_or(Json::Null),
            other => other.clone(),
        };
        params["code"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| params["code"].as_i64().map(|c| c.to_string()))
            .unwrap_or_else(|| panic!("the sign-in-code message has no code: {message}"))
    }

    /// Citizen/volunteer sign-in: `POST /api/v1/sms-codes`, the code from the outbox (read by
    /// `outbox_reader`), then `POST /api/v1/sessions {"phone", "code"}`. The whole session answer.
    pub async fn session_by_code(&self, outbox_reader: &str, phone: &str) -> Json {
        let asked = self.api(None, "POST", "/api/v1/sms-codes", &[], Some(&json!({ "phone": phone }))).await;
        assert_eq!(asked.status, 202, "POST /api/v1/sms-codes for {phone}: {}", asked.text());
        let code = self.latest_sign_in_code(outbox_reader, phone).await;
        let reply =
            self.api(None, "POST", "/api/v1/sessions", &[], Some(&json!({ "phone": phone, "code": code }))).await;
        assert_eq!(reply.status, 201, "code sign-in of {phone} failed: {}", reply.text());
        reply.json()
    }

    /// Like `session_by_code`, the bearer token only.
    pub async fn sign_in_by_code(&self, outbox_reader: &str, phone: &str) -> String {
        self.session_by_code(outbox_reader, phone).await["token"].as_str().expect("token").to_owned()
    }
}

/// The components the activity/check-in product tests need built (besides `PRODUCT_COMPONENTS`).
pub const ACTIVITY_COMPONENTS: [&str; 3] = ["activity", "checkin", "ledger"];

/// The request-clock header the product honours when `allow_clock_override` is `true`.
pub const CLOCK_HEADER: &str = "x-wenming-now";

/// The scheduler token the clock-override fixtures set (`SPIN_VARIABLE_SCHEDULER_TOKEN`).
pub const SCHEDULER_TOKEN: &str = "test-scheduler-token-0123456789";

/// `launch` with the scheduler token set and the edge's own schedule off (`--no-schedule`), so
/// a test calls each job itself, at the request time it chooses, and nothing runs behind it.
pub fn with_jobs(launch: Launch) -> Launch {
    launch.env("SPIN_VARIABLE_SCHEDULER_TOKEN", SCHEDULER_TOKEN).args(&["--no-schedule"])
}

/// The product (centre admin bootstrapped) with `SPIN_VARIABLE_ALLOW_CLOCK_OVERRIDE=true`, so
/// requests may carry `X-Wenming-Now: <unix seconds>`.
pub fn start_product_with_clock() -> Edge {
    require_components(&ACTIVITY_COMPONENTS);
    with_jobs(product_launch(false).env("SPIN_VARIABLE_ALLOW_CLOCK_OVERRIDE", "true")).start()
}

impl Edge {
    /// Like `api`, with the request clock set to `now` (`X-Wenming-Now`).
    pub async fn api_at(&self, token: Option<&str>, method: &str, path: &str, now: i64, body: Option<&Json>) -> Reply {
        let now = now.to_string();
        self.api(token, method, path, &[(CLOCK_HEADER, now.as_str())], body).await
    }

    /// `POST /api/v1/jobs/<job>` as the scheduler (`SCHEDULER_TOKEN`) at request time `now`.
    pub async fn run_job(&self, job: &str, now: i64) -> Reply {
        self.api_at(Some(SCHEDULER_TOKEN), "POST", &format!("/api/v1/jobs/{job}"), now, None).await
    }

    /// [`Edge::run_job`] that must answer 200 and name the job: the answer.
    pub async fn job_ok(&self, job: &str, now: i64) -> Json {
        let reply = self.run_job(job, now).await;
        assert_eq!(reply.status, 200, "POST /api/v1/jobs/{job}: {}", reply.text());
        let body = reply.json();
        assert_eq!(body["job"], job, "{body}");
        body
    }

    /// `GET` as the holder of `token` at request time `now`.
    pub async fn get_at(&self, token: &str, path: &str, now: i64) -> Reply {
        self.api_at(Some(token), "GET", path, now, None).await
    }

    /// `POST` a JSON body as the holder of `token` at request time `now`.
    pub async fn post_at(&self, token: &str, path: &str, now: i64, body: &Json) -> Reply {
        self.api_at(Some(token), "POST", path, now, Some(body)).await
    }

    /// `DELETE` as the holder of `token` at request time `now`.
    pub async fn delete_at(&self, token: &str, path: &str, now: i64) -> Reply {
        self.api_at(Some(token), "DELETE", path, now, None).await
    }

    /// A `GET` as the holder of `token` at request time `now` that must be answered 200: the
    /// body as JSON.
    pub async fn get_ok_at(&self, token: &str, path: &str, now: i64) -> Json {
        let reply = self.get_at(token, path, now).await;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
        reply.json()
    }

    /// Every item of a paginated list as the holder of `token`, 100 a page, following
    /// `next_cursor` (each page answered 200).
    pub async fn all_pages(&self, token: &str, path: &str) -> Vec<Json> {
        let mut out = Vec::new();
        let mut cursor: Option<i64> = None;
        let sep = if path.contains('?') { '&' } else { '?' };
        for _ in 0..1000 {
            let url = match cursor {
                Some(c) => format!("{path}{sep}limit=100&cursor={c}"),
                None => format!("{path}{sep}limit=100"),
            };
            let reply = self.get_as(token, &url).await;
            assert_eq!(reply.status, 200, "GET {url}: {}", reply.text());
            let page = reply.json();
            out.extend(items(&page).iter().cloned());
            match page["next_cursor"].as_i64() {
                Some(next) => cursor = Some(next),
                None => return out,
            }
        }
        panic!("{path}: more than 1000 pages");
    }
}
