//! A fake SMS provider on `127.0.0.1:0` that behaves like Tencent Cloud SMS (API 3.0 `SendSms`,
//! 2021-01-11) or Aliyun Dysmsapi (`SendSms`, 2017-05-25) as far as the product can tell: it
//! checks each request's signature itself (TC3-HMAC-SHA256 / ACS3-HMAC-SHA256, written here
//! from the providers' documentation, independently of `components/delivery`), the action,
//! version and required fields, and answers with the documented shapes: success with a serial,
//! per-number error codes, whole-request errors, outages (HTTP 503) or no answer in time.
//!
//! Tests script answers per phone number ([`FakeSms::answer`]) and read what arrived
//! ([`FakeSms::received`]).

use std::collections::{HashMap, VecDeque};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};

/// Which provider the fake plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Tencent,
    Aliyun,
}

/// How the fake answers one request.
#[derive(Debug, Clone)]
pub enum Script {
    /// Accepted: a fresh serial (Tencent `SerialNo`) / biz id (Aliyun `BizId`).
    Accept,
    /// A per-number code (Tencent `SendStatusSet[0].Code`, Aliyun `Code`).
    Refuse(&'static str),
    /// A whole-request error (Tencent `Response.Error.Code`, Aliyun `Code` with HTTP 400).
    Error(&'static str),
    /// HTTP 503 with an HTML body.
    Outage,
    /// Record the request, then wait this long before accepting (a run that dies meanwhile).
    Hang(Duration),
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The phone number as sent (`+8613…` for Tencent, `13…` for Aliyun).
    pub phone: String,
    pub template_id: String,
    /// Tencent: the positional values; Aliyun: the TemplateParam object's values in key order.
    pub params: Json,
    /// SessionContext / OutId: the outbox idempotency key.
    pub key: String,
    pub sign_name: String,
    /// Whether the signature and every required field checked out.
    pub valid: bool,
    /// Why not, when not.
    pub problem: String,
    /// The serial answered (when accepted).
    pub serial: Option<String>,
}

#[derive(Default)]
struct State {
    scripts: HashMap<String, VecDeque<Script>>,
    default: Option<Script>,
    received: Vec<Received>,
    serial: u64,
}

/// A running fake provider (stops with the test process; each test has its own port).
#[derive(Clone)]
pub struct FakeSms {
    pub flavour: Flavour,
    /// `http://127.0.0.1:<port>`: the endpoint variable's value.
    pub url: String,
    pub key_id: String,
    pub key_secret: String,
    state: Arc<Mutex<State>>,
}

impl FakeSms {
    pub fn start(flavour: Flavour) -> FakeSms {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the fake SMS provider");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (key_id, key_secret) = match flavour {
            Flavour::Tencent => ("AKIDfakeTencent".to_string(), "fake-tencent-secret".to_string()),
            Flavour::Aliyun => ("LTAIfakeAliyun".to_string(), "fake-aliyun-secret".to_string()),
        };
        let fake = FakeSms { flavour, url, key_id, key_secret, state: Arc::default() };
        let server = fake.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let server = server.clone();
                std::thread::spawn(move || server.serve(stream));
            }
        });
        fake
    }

    /// The `SPIN_VARIABLE_*` settings that point the product at this fake as `name`'s provider.
    pub fn variables(&self) -> Vec<(String, String)> {
        let p = match self.flavour {
            Flavour::Tencent => "TENCENT",
            Flavour::Aliyun => "ALIYUN",
        };
        let mut vars = vec![
            (format!("SPIN_VARIABLE_SMS_{p}_ENDPOINT"), self.url.clone()),
            (format!("SPIN_VARIABLE_SMS_{p}_KEY_ID"), self.key_id.clone()),
            (format!("SPIN_VARIABLE_SMS_{p}_KEY_SECRET"), self.key_secret.clone()),
            (format!("SPIN_VARIABLE_SMS_{p}_SIGN_NAME"), "文明实践".to_string()),
        ];
        if self.flavour == Flavour::Tencent {
            vars.push(("SPIN_VARIABLE_SMS_TENCENT_APP_ID".into(), "1400006666".into()));
        }
        vars
    }

    /// Answers for `phone` (as the product stores it, e.g. `13812345678`), used in order; after
    /// them, the default (accept).
    pub fn answer(&self, phone: &str, scripts: &[Script]) {
        self.state.lock().unwrap().scripts.entry(phone.to_string()).or_default().extend(scripts.iter().cloned());
    }

    /// The answer for every request without a script of its own.
    pub fn answer_all(&self, script: Script) {
        self.state.lock().unwrap().default = Some(script);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// Requests for `phone` (in either provider's format).
    pub fn received_for(&self, phone: &str) -> Vec<Received> {
        self.received().into_iter().filter(|r| r.phone.ends_with(phone)).collect()
    }

    fn serve(&self, mut stream: TcpStream) {
        let Some((head, body)) = read_request(&mut stream) else { return };
        let mut received = match self.flavour {
            Flavour::Tencent => self.check_tencent(&head, &body),
            Flavour::Aliyun => self.check_aliyun(&head, &body),
        };
        let local = received.phone.trim_start_matches("+86").to_string();
        let script = {
            let mut state = self.state.lock().unwrap();
            let scripted = state.scripts.get_mut(&local).and_then(VecDeque::pop_front);
            let script = scripted.or_else(|| state.default.clone()).unwrap_or(Script::Accept);
            state.serial += 1;
            if received.valid && matches!(script, Script::Accept | Script::Hang(_)) {
                received.serial = Some(format!("{}:{}", 2_000 + state.serial, 900_000 + state.serial));
            }
            state.received.push(received.clone());
            script
        };
        let (status, text) = if !received.valid {
            self.invalid(&received.problem)
        } else {
            if let Script::Hang(d) = script {
                std::thread::sleep(d);
            }
            self.reply(&script, &received)
        };
        let reason = if status == 200 { "OK" } else { "Error" };
        let content_type = if status == 503 { "text/html" } else { "application/json" };
        let _ = write!(
            stream,
            "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
            text.len()
        );
    }

    fn invalid(&self, problem: &str) -> (u16, String) {
        match self.flavour {
            Flavour::Tencent => {
                let code =
                    if problem.contains("signature") { "AuthFailure.SignatureFailure" } else { "MissingParameter" };
                (
                    200,
                    json!({"Response": {"Error": {"Code": code, "Message": problem}, "RequestId": "fake"}}).to_string(),
                )
            }
            Flavour::Aliyun => {
                let code = if problem.contains("signature") { "SignatureDoesNotMatch" } else { "MissingParameter" };
                (400, json!({"Code": code, "Message": problem, "RequestId": "fake"}).to_string())
            }
        }
    }

    fn reply(&self, script: &Script, r: &Received) -> (u16, String) {
        let serial = r.serial.clone().unwrap_or_default();
        match (self.flavour, script) {
            (_, Script::Outage) => (503, "<html><body>503 Service Unavailable</body></html>".into()),
            (Flavour::Tencent, Script::Accept | Script::Hang(_)) => {
                (200, tencent_status(r, "Ok", "send success", &serial))
            }
            (Flavour::Tencent, Script::Refuse(code)) => (200, tencent_status(r, code, "refused", "")),
            (Flavour::Tencent, Script::Error(code)) => (
                200,
                json!({"Response": {"Error": {"Code": code, "Message": "error"}, "RequestId": "fake"}}).to_string(),
            ),
            (Flavour::Aliyun, Script::Accept | Script::Hang(_)) => {
                (200, json!({"Code": "OK", "Message": "OK", "BizId": serial, "RequestId": "fake"}).to_string())
            }
            (Flavour::Aliyun, Script::Refuse(code)) => {
                (200, json!({"Code": code, "Message": "refused", "RequestId": "fake"}).to_string())
            }
            (Flavour::Aliyun, Script::Error(code)) => {
                (400, json!({"Code": code, "Message": "error", "RequestId": "fake"}).to_string())
            }
        }
    }

    fn check_tencent(&self, head: &Head, body: &[u8]) -> Received {
        let fields: Json = serde_json::from_slice(body).unwrap_or(Json::Null);
        let mut r = Received {
            phone: fields["PhoneNumberSet"][0].as_str().unwrap_or_default().to_string(),
            template_id: fields["TemplateId"].as_str().unwrap_or_default().to_string(),
            params: fields["TemplateParamSet"].clone(),
            key: fields["SessionContext"].as_str().unwrap_or_default().to_string(),
            sign_name: fields["SignName"].as_str().unwrap_or_default().to_string(),
            valid: true,
            problem: String::new(),
            serial: None,
        };
        let problem = (|| -> Result<(), String> {
            (head.method == "POST" && head.path == "/").then_some(()).ok_or("SendSms is POST /")?;
            expect(head, "x-tc-action", "SendSms")?;
            expect(head, "x-tc-version", "2021-01-11")?;
            head.get("x-tc-region").filter(|r| !r.is_empty()).ok_or("X-TC-Region is required")?;
            for field in ["SmsSdkAppId", "SignName", "TemplateId"] {
                fields[field].as_str().filter(|v| !v.is_empty()).ok_or(format!("{field} is required"))?;
            }
            let phones = fields["PhoneNumberSet"].as_array().ok_or("PhoneNumberSet is required")?;
            if phones.is_empty() || phones.len() > 200 {
                return Err("PhoneNumberSet holds 1 to 200 numbers".into());
            }
            let timestamp: i64 = head.get("x-tc-timestamp").and_then(|t| t.parse().ok()).ok_or("X-TC-Timestamp")?;
            let content_type = head.get("content-type").ok_or("Content-Type is required")?;
            let host = head.get("host").ok_or("Host is required")?;
            let date = utc_date(timestamp);
            let canonical = format!(
                "POST\n/\n\ncontent-type:{content_type}\nhost:{host}\n\ncontent-type;host\n{}",
                hex::encode(Sha256::digest(body))
            );
            let scope = format!("{date}/sms/tc3_request");
            let to_sign =
                format!("TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
            let k_date = hmac(format!("TC3{}", self.key_secret).as_bytes(), date.as_bytes());
            let k_service = hmac(&k_date, b"sms");
            let k_signing = hmac(&k_service, b"tc3_request");
            let signature = hex::encode(hmac(&k_signing, to_sign.as_bytes()));
            let expected = format!(
                "TC3-HMAC-SHA256 Credential={}/{scope}, SignedHeaders=content-type;host, Signature={signature}",
                self.key_id
            );
            (head.get("authorization") == Some(expected.as_str()))
                .then_some(())
                .ok_or_else(|| "the signature does not match".to_string())
        })();
        if let Err(problem) = problem {
            r.valid = false;
            r.problem = problem;
        }
        r
    }

    fn check_aliyun(&self, head: &Head, body: &[u8]) -> Received {
        let query: Vec<(String, String)> = head
            .query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        let q = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
        let template_param: Json = serde_json::from_str(&q("TemplateParam")).unwrap_or(Json::Null);
        let mut r = Received {
            phone: q("PhoneNumbers"),
            template_id: q("TemplateCode"),
            params: template_param,
            key: q("OutId"),
            sign_name: q("SignName"),
            valid: true,
            problem: String::new(),
            serial: None,
        };
        let problem = (|| -> Result<(), String> {
            (head.method == "POST" && head.path == "/").then_some(()).ok_or("SendSms is POST /")?;
            expect(head, "x-acs-action", "SendSms")?;
            expect(head, "x-acs-version", "2017-05-25")?;
            for field in ["PhoneNumbers", "SignName", "TemplateCode"] {
                if q(field).is_empty() {
                    return Err(format!("{field} is required"));
                }
            }
            let hashed = hex::encode(Sha256::digest(body));
            expect(head, "x-acs-content-sha256", &hashed)?;
            for required in ["x-acs-date", "x-acs-signature-nonce", "host"] {
                head.get(required).ok_or(format!("{required} is required"))?;
            }
            let auth = head.get("authorization").ok_or("Authorization is required")?;
            let signed = auth
                .split(',')
                .find_map(|part| part.trim().strip_prefix("SignedHeaders="))
                .ok_or("SignedHeaders missing")?;
            let names: Vec<&str> = signed.split(';').collect();
            if !names.contains(&"host") || !names.contains(&"x-acs-date") {
                return Err("host and the x-acs-* headers must be signed".into());
            }
            let mut encoded: Vec<(String, String)> = query.iter().map(|(k, v)| (encode(k), encode(v))).collect();
            encoded.sort();
            let canonical_query = encoded.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
            let headers: String =
                names.iter().map(|n| format!("{n}:{}\n", head.get(n).unwrap_or_default().trim())).collect();
            let canonical = format!("POST\n/\n{canonical_query}\n{headers}\n{signed}\n{hashed}");
            let to_sign = format!("ACS3-HMAC-SHA256\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
            let signature = hex::encode(hmac(self.key_secret.as_bytes(), to_sign.as_bytes()));
            let expected =
                format!("ACS3-HMAC-SHA256 Credential={},SignedHeaders={signed},Signature={signature}", self.key_id);
            (auth == expected).then_some(()).ok_or_else(|| "the signature does not match".to_string())
        })();
        if let Err(problem) = problem {
            r.valid = false;
            r.problem = problem;
        }
        r
    }
}

fn tencent_status(r: &Received, code: &str, message: &str, serial: &str) -> String {
    json!({"Response": {"SendStatusSet": [{
        "SerialNo": serial, "PhoneNumber": r.phone, "Fee": 1, "SessionContext": r.key,
        "Code": code, "Message": message, "IsoCode": "CN"
    }], "RequestId": "fake"}})
    .to_string()
}

fn expect(head: &Head, name: &str, value: &str) -> Result<(), String> {
    match head.get(name) {
        Some(v) if v == value => Ok(()),
        other => Err(format!("{name} must be {value}, not {other:?}")),
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// RFC 3986: unreserved characters stay, the rest `%XX` upper-case.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `YYYY-MM-DD` (UTC) of unix seconds, by counting days forward from 1970.
fn utc_date(unix: i64) -> String {
    let mut days = unix.div_euclid(86_400);
    let mut year = 1970;
    loop {
        let len = if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 { 366 } else { 365 };
        if days < len {
            break;
        }
        days -= len;
        year += 1;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let months = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut month = 0;
    while days >= months[month] {
        days -= months[month];
        month += 1;
    }
    format!("{year:04}-{:02}-{:02}", month + 1, days + 1)
}

/// A request's method, path, query and headers (names lower-case).
pub(crate) struct Head {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: String,
    headers: Vec<(String, String)>,
}

impl Head {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

pub(crate) fn read_request(stream: &mut TcpStream) -> Option<(Head, Vec<u8>)> {
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
    };
    let text = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let (path, query) = target.split_once('?').map_or((target.clone(), String::new()), |(p, q)| (p.into(), q.into()));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let head = Head { method, path, query, headers };
    let mut body = buf[end + 4..].to_vec();
    if head.get("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        // Read until the last chunk, then take the chunks apart.
        while !body.windows(5).any(|w| w == b"0\r\n\r\n") {
            let n = stream.read(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        return Some((head, dechunk(&body)?));
    }
    let length: usize = head.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    while body.len() < length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((head, body))
}

fn dechunk(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = raw.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&raw[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(raw.get(..size)?);
        raw = raw.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_encoding() {
        assert_eq!(utc_date(1_551_113_065), "2019-02-25");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(encode("a b*~{"), "a%20b%2A~%7B");
        assert_eq!(decode("%E6%96%87%7B%22"), "文{\"");
    }
}
