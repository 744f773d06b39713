//! The two providers' `SendSms`: the deployment's settings (Spin variables), the signed request
//! for one message, and what an answer means. Pure apart from [`Settings::load`]: the clock and
//! the nonce come in as arguments, so a request can be checked byte for byte.
//!
//! One message is one request (one phone number): each message has its own idempotency key,
//! which travels as Tencent's `SessionContext` and Aliyun's `OutId`, and its own answer.

use serde_json::{json, Value as Json};

use crate::sign::{self, Acs3, Tc3};

/// Tencent Cloud SMS API 3.0: `SendSms` of version 2021-01-11.
const TENCENT_VERSION: &str = "2021-01-11";
/// Aliyun Dysmsapi: `SendSms` of version 2017-05-25.
const ALIYUN_VERSION: &str = "2017-05-25";
const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tencent,
    Aliyun,
}

impl Kind {
    pub fn parse(name: &str) -> Option<Kind> {
        match name.trim() {
            "tencent" => Some(Kind::Tencent),
            "aliyun" => Some(Kind::Aliyun),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Tencent => "tencent",
            Kind::Aliyun => "aliyun",
        }
    }
}

/// Why the deployment's SMS settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("sms_provider must be none, tencent or aliyun, not {0:?}")]
    UnknownProvider(String),
    #[error("sms_fallback_provider must be empty, tencent or aliyun (and not the same as sms_provider), not {0:?}")]
    BadFallback(String),
    #[error("the {provider} provider needs the variable {variable}")]
    Missing { provider: &'static str, variable: String },
    #[error("sms_{0}_endpoint must be http(s)://host[:port], not {1:?}")]
    BadEndpoint(&'static str, String),
}

/// One provider's account.
#[derive(Debug, Clone)]
pub struct Provider {
    pub kind: Kind,
    /// `https://sms.tencentcloudapi.com`, or a fake on 127.0.0.1 in tests.
    pub endpoint: String,
    /// `host[:port]` of the endpoint: the signed `host` header.
    pub host: String,
    pub key_id: String,
    pub key_secret: String,
    pub sign_name: String,
    /// Tencent only: the SMS application (SmsSdkAppId) and the API region.
    pub app_id: String,
    pub region: String,
}

/// What the deployment chose: nothing (`sms_provider = none`), or a provider and optionally a
/// second one that takes over when the first fails as a whole.
#[derive(Debug, Clone)]
pub struct Settings {
    pub providers: Vec<Provider>,
}

impl Settings {
    /// Reads `sms_provider`, `sms_fallback_provider` and each chosen provider's variables.
    pub fn load() -> Result<Settings, ConfigError> {
        Settings::from_lookup(|name| spin_sdk::variables::get(name).unwrap_or_default().trim().to_string())
    }

    pub fn from_lookup(var: impl Fn(&str) -> String) -> Result<Settings, ConfigError> {
        let primary = var("sms_provider");
        if primary == "none" || primary.is_empty() {
            return Ok(Settings { providers: Vec::new() });
        }
        let first = Kind::parse(&primary).ok_or(ConfigError::UnknownProvider(primary))?;
        let mut kinds = vec![first];
        let fallback = var("sms_fallback_provider");
        if !fallback.is_empty() && fallback != "none" {
            match Kind::parse(&fallback) {
                Some(second) if second != first => kinds.push(second),
                _ => return Err(ConfigError::BadFallback(fallback)),
            }
        }
        let providers = kinds.into_iter().map(|kind| provider(kind, &var)).collect::<Result<_, _>>()?;
        Ok(Settings { providers })
    }
}

fn provider(kind: Kind, var: &impl Fn(&str) -> String) -> Result<Provider, ConfigError> {
    let name = kind.as_str();
    let required = |suffix: &str| -> Result<String, ConfigError> {
        let variable = format!("sms_{name}_{suffix}");
        let value = var(&variable);
        if value.is_empty() {
            return Err(ConfigError::Missing { provider: name, variable });
        }
        Ok(value)
    };
    let endpoint = required("endpoint")?.trim_end_matches('/').to_string();
    let host = endpoint
        .strip_prefix("https://")
        .or_else(|| endpoint.strip_prefix("http://"))
        .filter(|h| !h.is_empty() && !h.contains('/'))
        .ok_or_else(|| ConfigError::BadEndpoint(name, endpoint.clone()))?
        .to_string();
    Ok(Provider {
        kind,
        host,
        key_id: required("key_id")?,
        key_secret: required("key_secret")?,
        sign_name: required("sign_name")?,
        app_id: if kind == Kind::Tencent { required("app_id")? } else { String::new() },
        region: if kind == Kind::Tencent { var("sms_tencent_region") } else { String::new() },
        endpoint,
    })
}

/// One message as a provider template fills it.
#[derive(Debug, Clone)]
pub struct Sms {
    /// As the outbox stores it: 11 mainland digits, or `+<country><number>`.
    pub recipient: String,
    pub template_id: String,
    /// The template's parameters, in the template's order.
    pub params: Vec<(String, String)>,
    /// The outbox idempotency key: Tencent echoes it as `SessionContext`, Aliyun as `OutId`.
    pub key: String,
}

/// A request ready to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Provider {
    /// The signed `SendSms` request for one message at `now` (unix seconds); `nonce` is
    /// Aliyun's single-use `x-acs-signature-nonce`.
    pub fn request(&self, sms: &Sms, now: i64, nonce: &str) -> Outgoing {
        match self.kind {
            Kind::Tencent => self.tencent(sms, now),
            Kind::Aliyun => self.aliyun(sms, now, nonce),
        }
    }

    fn tencent(&self, sms: &Sms, now: i64) -> Outgoing {
        // E.164 as the API asks: mainland numbers get +86.
        let phone =
            if sms.recipient.starts_with('+') { sms.recipient.clone() } else { format!("+86{}", sms.recipient) };
        let values: Vec<&str> = sms.params.iter().map(|(_, v)| v.as_str()).collect();
        let body = json!({
            "PhoneNumberSet": [phone],
            "SmsSdkAppId": self.app_id,
            "SignName": self.sign_name,
            "TemplateId": sms.template_id,
            "TemplateParamSet": values,
            "SessionContext": sms.key,
        })
        .to_string()
        .into_bytes();
        let tc3 = Tc3 {
            secret_id: &self.key_id,
            secret_key: &self.key_secret,
            service: "sms",
            host: &self.host,
            content_type: JSON_CONTENT_TYPE,
            payload: &body,
            timestamp: now,
        };
        let mut headers = vec![
            ("Authorization".to_string(), tc3.authorization()),
            ("Content-Type".to_string(), JSON_CONTENT_TYPE.to_string()),
            ("Host".to_string(), self.host.clone()),
            ("X-TC-Action".to_string(), "SendSms".to_string()),
            ("X-TC-Version".to_string(), TENCENT_VERSION.to_string()),
            ("X-TC-Timestamp".to_string(), now.to_string()),
        ];
        let region = if self.region.is_empty() { "ap-guangzhou" } else { &self.region };
        headers.push(("X-TC-Region".to_string(), region.to_string()));
        Outgoing { url: format!("{}/", self.endpoint), headers, body }
    }

    fn aliyun(&self, sms: &Sms, now: i64, nonce: &str) -> Outgoing {
        // Dysmsapi takes mainland numbers as they are and others as <country><number>, no `+`.
        let phone = sms.recipient.trim_start_matches('+').to_string();
        let mut object = serde_json::Map::new();
        for (name, value) in &sms.params {
            object.insert(name.clone(), Json::String(value.clone()));
        }
        let query = vec![
            ("PhoneNumbers".to_string(), phone),
            ("SignName".to_string(), self.sign_name.clone()),
            ("TemplateCode".to_string(), sms.template_id.clone()),
            ("TemplateParam".to_string(), Json::Object(object).to_string()),
            ("OutId".to_string(), sms.key.clone()),
        ];
        let body: &[u8] = b"";
        let signed = vec![
            ("host".to_string(), self.host.clone()),
            ("x-acs-action".to_string(), "SendSms".to_string()),
            ("x-acs-version".to_string(), ALIYUN_VERSION.to_string()),
            ("x-acs-date".to_string(), sign::iso8601_utc(now)),
            ("x-acs-signature-nonce".to_string(), nonce.to_string()),
            ("x-acs-content-sha256".to_string(), sign::sha256_hex(body)),
        ];
        let acs3 = Acs3 {
            access_key_id: &self.key_id,
            access_key_secret: &self.key_secret,
            method: "POST",
            query: &query,
            headers: &signed,
            payload: body,
        };
        let mut headers = signed.clone();
        headers.push(("Authorization".to_string(), acs3.authorization()));
        Outgoing { url: format!("{}/?{}", self.endpoint, sign::canonical_query(&query)), headers, body: body.to_vec() }
    }

    /// What the provider's answer (HTTP status and body) means for the message.
    pub fn answer(&self, status: u16, body: &[u8]) -> Answer {
        match self.kind {
            Kind::Tencent => tencent_answer(status, body),
            Kind::Aliyun => aliyun_answer(status, body),
        }
    }
}

/// A provider's answer for one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Taken: the provider's id for the message (Tencent `SerialNo`, Aliyun `BizId`).
    Accepted { reference: String },
    /// This number was refused with this code (see `classify`).
    Refused { code: String, message: String },
    /// The provider is not working for us now (outage, credentials): the second one takes over.
    Unavailable { code: String, message: String },
}

fn unreadable(status: u16) -> Answer {
    Answer::Unavailable { code: format!("http {status}"), message: "the provider's answer was not its JSON".into() }
}

fn text(v: &Json) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn tencent_answer(status: u16, body: &[u8]) -> Answer {
    let Ok(json) = serde_json::from_slice::<Json>(body) else { return unreadable(status) };
    let response = &json["Response"];
    if let Some(error) = response.get("Error") {
        let code = text(&error["Code"]);
        let message = text(&error["Message"]);
        return if crate::classify::tencent_whole_failure(&code) || code.is_empty() {
            Answer::Unavailable { code, message }
        } else {
            Answer::Refused { code, message }
        };
    }
    let Some(first) = response["SendStatusSet"].as_array().and_then(|set| set.first()) else {
        return unreadable(status);
    };
    let code = text(&first["Code"]);
    match (code.as_str(), first["SerialNo"].as_str()) {
        ("Ok", Some(serial)) if !serial.is_empty() => Answer::Accepted { reference: serial.to_string() },
        ("Ok", _) => unreadable(status),
        _ => Answer::Refused { code, message: text(&first["Message"]) },
    }
}

fn aliyun_answer(status: u16, body: &[u8]) -> Answer {
    let Ok(json) = serde_json::from_slice::<Json>(body) else { return unreadable(status) };
    let code = text(&json["Code"]);
    let message = text(&json["Message"]);
    match code.as_str() {
        "OK" => match json["BizId"].as_str() {
            Some(biz) if !biz.is_empty() => Answer::Accepted { reference: biz.to_string() },
            _ => unreadable(status),
        },
        "" => unreadable(status),
        c if crate::classify::aliyun_whole_failure(c) => Answer::Unavailable { code, message },
        _ => Answer::Refused { code, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default())
    }

    const TENCENT: [(&str, &str); 5] = [
        ("sms_tencent_endpoint", "https://sms.tencentcloudapi.com"),
        ("sms_tencent_key_id", "AKIDtest"),
        ("sms_tencent_key_secret", "secret"),
        ("sms_tencent_sign_name", "文明实践"),
        ("sms_tencent_app_id", "1400006666"),
    ];

    #[test]
    fn none_sends_nothing_and_a_provider_needs_its_variables() {
        assert!(settings(&[("sms_provider", "none")]).unwrap().providers.is_empty());
        assert!(matches!(settings(&[("sms_provider", "sms.example")]), Err(ConfigError::UnknownProvider(_))));
        assert!(matches!(settings(&[("sms_provider", "tencent")]), Err(ConfigError::Missing { .. })));
        let mut vars = TENCENT.to_vec();
        vars.push(("sms_provider", "tencent"));
        let s = settings(&vars).unwrap();
        assert_eq!(s.providers[0].host, "sms.tencentcloudapi.com");
        vars.push(("sms_fallback_provider", "tencent"));
        assert!(matches!(settings(&vars), Err(ConfigError::BadFallback(_))));
    }

    #[test]
    fn a_tencent_request_is_signed_over_its_body() {
        let mut vars = TENCENT.to_vec();
        vars.push(("sms_provider", "tencent"));
        let p = settings(&vars).unwrap().providers.remove(0);
        let sms = Sms {
            recipient: "13812345678".into(),
            template_id: "1110".into(),
            params: vec![("code".into(), "123456".into())],
            key: "sign-in-code:1".into(),
        };
        let out = p.request(&sms, 1_551_113_065, "");
        let body: Json = serde_json::from_slice(&out.body).unwrap();
        assert_eq!(body["PhoneNumberSet"][0], "+8613812345678");
        assert_eq!(body["TemplateParamSet"], json!(["123456"]));
        assert_eq!(body["SessionContext"], "sign-in-code:1");
        let tc3 = Tc3 {
            secret_id: "AKIDtest",
            secret_key: "secret",
            service: "sms",
            host: "sms.tencentcloudapi.com",
            content_type: JSON_CONTENT_TYPE,
            payload: &out.body,
            timestamp: 1_551_113_065,
        };
        let auth = out.headers.iter().find(|(k, _)| k == "Authorization").unwrap();
        assert_eq!(auth.1, tc3.authorization());
    }

    #[test]
    fn answers_are_read_as_documented() {
        let ok = br#"{"Response":{"SendStatusSet":[{"SerialNo":"5000:1045710669157053657849499619","PhoneNumber":"+8613711112222","Fee":1,"SessionContext":"k","Code":"Ok","Message":"send success","IsoCode":"CN"}],"RequestId":"a0aabda6"}}"#;
        assert_eq!(tencent_answer(200, ok), Answer::Accepted { reference: "5000:1045710669157053657849499619".into() });
        let limited = br#"{"Response":{"SendStatusSet":[{"SerialNo":"","Code":"LimitExceeded.PhoneNumberThirtySecondLimit","Message":"limit"}],"RequestId":"x"}}"#;
        assert!(
            matches!(tencent_answer(200, limited), Answer::Refused { code, .. } if code == "LimitExceeded.PhoneNumberThirtySecondLimit")
        );
        let auth = br#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"no"},"RequestId":"x"}}"#;
        assert!(matches!(tencent_answer(200, auth), Answer::Unavailable { .. }));
        assert!(matches!(tencent_answer(502, b"<html>"), Answer::Unavailable { code, .. } if code == "http 502"));
        let biz = br#"{"Code":"OK","Message":"OK","BizId":"9006197469364984400","RequestId":"F655A8D5"}"#;
        assert_eq!(aliyun_answer(200, biz), Answer::Accepted { reference: "9006197469364984400".into() });
        let bad = br#"{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"invalid"}"#;
        assert!(matches!(aliyun_answer(200, bad), Answer::Refused { .. }));
        let sig = br#"{"Code":"SignatureDoesNotMatch","Message":"no"}"#;
        assert!(matches!(aliyun_answer(400, sig), Answer::Unavailable { .. }));
    }
}
