//! A fake WeChat server API on `127.0.0.1:0`, written from WeChat's documentation independently
//! of `components/wechat`: `POST /cgi-bin/stable_token` (稳定版接口调用凭据: the AppID and
//! AppSecret checked; in normal mode the token in force is returned again with its remaining
//! lifetime, `force_refresh` issues a new one and invalidates the old) and
//! `GET /cgi-bin/ticket/getticket?type=jsapi` (the token checked: 40001 when it is not the one in
//! force, 42001 when it has expired) and `POST /cgi-bin/menu/create` (the token checked the same
//! way, the menu's shape checked). Answers are slowed a little so that concurrent callers
//! really overlap.
//!
//! Tests read every call ([`FakeWechat::calls`]) and script trouble ([`FakeWechat::expire_first_token`]).

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};

use crate::sms::read_request;

/// One call as the fake saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WechatCall {
    /// `stable_token`, with its `force_refresh`.
    StableToken { force_refresh: bool },
    /// `getticket` with this access token.
    Ticket { access_token: String },
    /// `menu/create` with this access token and body (as sent).
    MenuCreate { access_token: String, body: String },
    /// `sns/oauth2/access_token` with this code (web authorization's code for an openid).
    OauthToken { code: String },
    /// `message/template/send` with this access token and body (as sent).
    TemplateSend { access_token: String, body: String },
    /// Anything else (path), or a request the fake could not read.
    Other(String),
}

#[derive(Default)]
struct State {
    calls: Vec<WechatCall>,
    /// The token in force and when it was issued.
    token: Option<(String, Instant)>,
    issued: u64,
    tickets: u64,
    /// The first token issued is reported expired (42001) when used.
    expire_first: bool,
    /// Web-authorization codes WeChat handed to browsers: code → the grant.
    codes: std::collections::HashMap<String, Grant>,
    /// Followers of the account (openids); others are unknown (40003) or left (43004).
    followers: std::collections::HashMap<String, bool>,
    /// Template messages the account has added (模板ID → its data keys).
    templates: std::collections::HashMap<String, Vec<String>>,
    /// Template messages accepted so far (the next msgid).
    sent: i64,
}

/// What a web-authorization code stands for.
#[derive(Debug, Clone)]
struct Grant {
    openid: String,
    snapshot: bool,
    issued: Instant,
    used: bool,
}

/// A web-authorization code lives five minutes (WeChat's documentation).
const CODE_LIFETIME: Duration = Duration::from_secs(300);

/// A running fake (stops with the test process).
#[derive(Clone)]
pub struct FakeWechat {
    /// `http://127.0.0.1:<port>`: `wechat_api_base`.
    pub url: String,
    pub app_id: String,
    pub app_secret: String,
    state: Arc<Mutex<State>>,
}

/// Validity of everything the fake issues, as WeChat's: two hours.
const LIFETIME: u64 = 7200;
/// How long each answer takes.
const LATENCY: Duration = Duration::from_millis(150);

impl FakeWechat {
    pub fn start() -> FakeWechat {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the fake WeChat API");
        let fake = FakeWechat {
            url: format!("http://{}", listener.local_addr().unwrap()),
            app_id: "wx5f3c9e1d2a7b4c60".into(),
            app_secret: "fake-app-secret-0b1c2d3e4f5a6b7c".into(),
            state: Arc::default(),
        };
        let server = fake.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let server = server.clone();
                std::thread::spawn(move || server.serve(stream));
            }
        });
        fake
    }

    /// The `SPIN_VARIABLE_*` settings that point the product at this fake.
    pub fn variables(&self) -> Vec<(String, String)> {
        vec![
            ("SPIN_VARIABLE_WECHAT_API_BASE".into(), self.url.clone()),
            ("SPIN_VARIABLE_WECHAT_APP_ID".into(), self.app_id.clone()),
            ("SPIN_VARIABLE_WECHAT_APP_SECRET".into(), self.app_secret.clone()),
        ]
    }

    /// Every call so far, in arrival order.
    pub fn calls(&self) -> Vec<WechatCall> {
        self.state.lock().unwrap().calls.clone()
    }

    /// The first token the fake issues is already expired when it is used (42001), as after a
    /// long idle night.
    pub fn expire_first_token(&self) {
        self.state.lock().unwrap().expire_first = true;
    }

    /// The ticket the fake issued `n`-th (1-based), as it will be signed with.
    pub fn ticket(n: u64) -> String {
        format!("fake-jsapi-ticket-{n}-kgt9ZCQ8VqA1Ck")
    }

    /// The code WeChat's authorize page would put in the redirect for `openid` (the follower
    /// who opened the page), `snapshot` for the virtual user of a snapshot page (快照页).
    pub fn authorize(&self, openid: &str, snapshot: bool) -> String {
        let mut state = self.state.lock().unwrap();
        let code = format!("0{}{}Zq", state.codes.len() + 11, "a1B2c3D4e5F6g7H8i9J0kL".to_owned());
        state
            .codes
            .insert(code.clone(), Grant { openid: openid.into(), snapshot, issued: Instant::now(), used: false });
        code
    }

    /// `openid` follows the account (template messages reach only followers).
    pub fn follow(&self, openid: &str) {
        self.state.lock().unwrap().followers.insert(openid.into(), true);
    }

    /// `openid` stopped following: template messages to it are refused with 43004.
    pub fn unfollow(&self, openid: &str) {
        self.state.lock().unwrap().followers.insert(openid.into(), false);
    }

    /// The account added template `id` (in its 模板消息 console) with these data keys.
    pub fn add_template(&self, id: &str, keys: &[&str]) {
        self.state.lock().unwrap().templates.insert(id.into(), keys.iter().map(|k| k.to_string()).collect());
    }

    /// Makes `code` older than its five minutes.
    pub fn age_code(&self, code: &str) {
        if let Some(grant) = self.state.lock().unwrap().codes.get_mut(code) {
            grant.issued = Instant::now().checked_sub(CODE_LIFETIME + Duration::from_secs(1)).expect("clock");
        }
    }

    fn serve(&self, mut stream: TcpStream) {
        let Some((head, body)) = read_request(&mut stream) else { return };
        std::thread::sleep(LATENCY);
        let answer = match (head.method.as_str(), head.path.as_str()) {
            ("POST", "/cgi-bin/stable_token") => self.stable_token(&body),
            ("GET", "/cgi-bin/ticket/getticket") => self.ticket_for(&head.query),
            ("POST", "/cgi-bin/menu/create") => self.menu_create(&head.query, &body),
            ("GET", "/sns/oauth2/access_token") => self.oauth_token(&head.query),
            ("POST", "/cgi-bin/message/template/send") => self.template_send(&head.query, &body),
            _ => {
                self.state.lock().unwrap().calls.push(WechatCall::Other(head.path.clone()));
                json!({"errcode": 40066, "errmsg": "invalid url"})
            }
        };
        let text = answer.to_string();
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
            text.len()
        );
    }

    fn stable_token(&self, body: &[u8]) -> Json {
        let Ok(request) = serde_json::from_slice::<Json>(body) else {
            self.state.lock().unwrap().calls.push(WechatCall::Other("stable_token: not JSON".into()));
            return json!({"errcode": 47001, "errmsg": "data format error"});
        };
        let force_refresh = request["force_refresh"].as_bool().unwrap_or(false);
        let mut state = self.state.lock().unwrap();
        state.calls.push(WechatCall::StableToken { force_refresh });
        if request["grant_type"] != "client_credential" {
            return json!({"errcode": 40002, "errmsg": "invalid grant_type"});
        }
        if request["appid"] != self.app_id.as_str() {
            return json!({"errcode": 40013, "errmsg": "invalid appid"});
        }
        if request["secret"] != self.app_secret.as_str() {
            return json!({"errcode": 40125, "errmsg": "invalid appsecret"});
        }
        if let (false, Some((token, at))) = (force_refresh, &state.token) {
            let left = LIFETIME.saturating_sub(at.elapsed().as_secs());
            if left > 0 {
                return json!({"access_token": token, "expires_in": left});
            }
        }
        state.issued += 1;
        let token = format!("fake-access-token-{}-Xq3LpW9s", state.issued);
        state.token = Some((token.clone(), Instant::now()));
        json!({"access_token": token, "expires_in": LIFETIME})
    }

    fn ticket_for(&self, query: &str) -> Json {
        let access_token = param(query, "access_token").unwrap_or_default();
        let mut state = self.state.lock().unwrap();
        state.calls.push(WechatCall::Ticket { access_token: access_token.clone() });
        if param(query, "type").as_deref() != Some("jsapi") {
            return json!({"errcode": 40097, "errmsg": "invalid args"});
        }
        if state.expire_first && access_token == "fake-access-token-1-Xq3LpW9s" {
            return json!({"errcode": 42001, "errmsg": "access_token expired"});
        }
        if state.token.as_ref().map(|(t, _)| t) != Some(&access_token) {
            return json!({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"});
        }
        state.tickets += 1;
        json!({"errcode": 0, "errmsg": "ok", "ticket": FakeWechat::ticket(state.tickets), "expires_in": LIFETIME})
    }
}

impl FakeWechat {
    /// `menu/create`: the token checked like `getticket`'s, then WeChat's shape rules (1–3
    /// buttons; each a `click` with a key, a `view` with a url, or 1–5 sub-buttons).
    fn menu_create(&self, query: &str, body: &[u8]) -> Json {
        let access_token = param(query, "access_token").unwrap_or_default();
        let text = String::from_utf8_lossy(body).into_owned();
        let mut state = self.state.lock().unwrap();
        state.calls.push(WechatCall::MenuCreate { access_token: access_token.clone(), body: text });
        if state.expire_first && access_token == "fake-access-token-1-Xq3LpW9s" {
            return json!({"errcode": 42001, "errmsg": "access_token expired"});
        }
        if state.token.as_ref().map(|(t, _)| t) != Some(&access_token) {
            return json!({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"});
        }
        let Ok(menu) = serde_json::from_slice::<Json>(body) else {
            return json!({"errcode": 47001, "errmsg": "data format error"});
        };
        let buttons = menu["button"].as_array().cloned().unwrap_or_default();
        let action_ok = |b: &Json| match b["type"].as_str() {
            Some("click") => b["key"].as_str().is_some_and(|k| !k.is_empty()),
            Some("view") => b["url"].as_str().is_some_and(|u| u.starts_with("http")),
            _ => false,
        };
        let ok = (1..=3).contains(&buttons.len())
            && buttons.iter().all(|b| match b["sub_button"].as_array() {
                Some(subs) => (1..=5).contains(&subs.len()) && subs.iter().all(action_ok),
                None => action_ok(b),
            });
        if !ok {
            return json!({"errcode": 40016, "errmsg": "invalid button size"});
        }
        json!({"errcode": 0, "errmsg": "ok"})
    }
}

impl FakeWechat {
    /// `message/template/send`: the token checked like `getticket`'s, then the message as WeChat
    /// checks it: a JSON body (47001), `touser` a follower of the account (40003 unknown openid,
    /// 43004 no longer following), `template_id` one the account added (40037), `data` an object
    /// holding exactly the template's keys, each `{"value": <string>}` (47003). Accepted messages
    /// get increasing `msgid`s.
    fn template_send(&self, query: &str, body: &[u8]) -> Json {
        let access_token = param(query, "access_token").unwrap_or_default();
        let mut state = self.state.lock().unwrap();
        state.calls.push(WechatCall::TemplateSend {
            access_token: access_token.clone(),
            body: String::from_utf8_lossy(body).into_owned(),
        });
        if state.expire_first && access_token == "fake-access-token-1-Xq3LpW9s" {
            return json!({"errcode": 42001, "errmsg": "access_token expired"});
        }
        if state.token.as_ref().map(|(t, _)| t) != Some(&access_token) {
            return json!({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"});
        }
        let Ok(message) = serde_json::from_slice::<Json>(body) else {
            return json!({"errcode": 47001, "errmsg": "data format error"});
        };
        let touser = message["touser"].as_str().unwrap_or_default();
        match state.followers.get(touser) {
            None => return json!({"errcode": 40003, "errmsg": "invalid openid"}),
            Some(false) => return json!({"errcode": 43004, "errmsg": "require subscribe"}),
            Some(true) => {}
        }
        let Some(keys) = state.templates.get(message["template_id"].as_str().unwrap_or_default()) else {
            return json!({"errcode": 40037, "errmsg": "invalid template_id"});
        };
        let data = message["data"].as_object().cloned().unwrap_or_default();
        let mut given: Vec<&String> = data.keys().collect();
        let mut wanted: Vec<&String> = keys.iter().collect();
        given.sort();
        wanted.sort();
        if given != wanted
            || !data.values().all(|v| v["value"].is_string() && v.as_object().is_some_and(|o| o.len() == 1))
        {
            return json!({"errcode": 47003, "errmsg": "argument invalid! data.value invalid"});
        }
        state.sent += 1;
        json!({"errcode": 0, "errmsg": "ok", "msgid": 200_000_000 + state.sent})
    }

    /// `sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code`, checked as
    /// WeChat documents it: the grant type, the AppID (40013), the AppSecret (40125), then the
    /// code — unknown 40029, spent 40163 (a code is good once), older than five minutes 42003.
    /// A snapshot page's user comes back with `is_snapshotuser: 1`.
    fn oauth_token(&self, query: &str) -> Json {
        let code = param(query, "code").unwrap_or_default();
        let mut state = self.state.lock().unwrap();
        state.calls.push(WechatCall::OauthToken { code: code.clone() });
        if param(query, "grant_type").as_deref() != Some("authorization_code") {
            return json!({"errcode": 40002, "errmsg": "invalid grant_type"});
        }
        if param(query, "appid").as_deref() != Some(self.app_id.as_str()) {
            return json!({"errcode": 40013, "errmsg": "invalid appid"});
        }
        if param(query, "secret").as_deref() != Some(self.app_secret.as_str()) {
            return json!({"errcode": 40125, "errmsg": "invalid appsecret"});
        }
        let Some(grant) = state.codes.get_mut(&code) else {
            return json!({"errcode": 40029, "errmsg": "invalid code"});
        };
        if grant.used {
            return json!({"errcode": 40163, "errmsg": "code been used"});
        }
        if grant.issued.elapsed() > CODE_LIFETIME {
            return json!({"errcode": 42003, "errmsg": "code expired"});
        }
        grant.used = true;
        let mut answer = json!({
            "access_token": format!("fake-oauth-token-{code}"),
            "expires_in": LIFETIME,
            "refresh_token": format!("fake-oauth-refresh-{code}"),
            "openid": grant.openid,
            "scope": "snsapi_base",
        });
        if grant.snapshot {
            answer["is_snapshotuser"] = json!(1);
        }
        answer
    }
}

/// A query parameter, percent-decoded.
fn param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| {
            let mut out = Vec::new();
            let bytes = v.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                match (bytes[i], v.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())) {
                    (b'%', Some(b)) => {
                        out.push(b);
                        i += 3;
                    }
                    (b, _) => {
                        out.push(b);
                        i += 1;
                    }
                }
            }
            String::from_utf8_lossy(&out).into_owned()
        })
    })
}
