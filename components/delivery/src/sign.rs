//! Request signatures of the two providers, pure (no clock, no randomness, no I/O) so the
//! documented examples are unit tests:
//!
//! - Tencent Cloud API 3.0, `TC3-HMAC-SHA256`: a canonical request (method, path, query,
//!   `content-type` and `host`, the body's SHA-256), hashed into a string to sign together with
//!   the timestamp and the credential scope `<date>/<service>/tc3_request`; the key is derived by
//!   chaining HMACs over `TC3<secret>`, the date, the service and `tc3_request`.
//! - Aliyun, `ACS3-HMAC-SHA256` (the V3 signature): a canonical request (method, path, the query
//!   sorted and RFC 3986-encoded, the `host`, `x-acs-*` and `content-type` headers, the body's
//!   SHA-256), whose SHA-256 is signed with the AccessKey secret.

use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

/// Lower-case hex of the SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// What a TC3 signature covers. Tencent's SendSms is a JSON POST to `/` with no query.
#[derive(Debug, Clone)]
pub struct Tc3<'a> {
    pub secret_id: &'a str,
    pub secret_key: &'a str,
    /// The service name, the host's first label (`sms`).
    pub service: &'a str,
    pub host: &'a str,
    pub content_type: &'a str,
    pub payload: &'a [u8],
    /// Unix seconds; also `X-TC-Timestamp`.
    pub timestamp: i64,
}

impl Tc3<'_> {
    /// The UTC date of the timestamp, `YYYY-MM-DD` (the credential scope's date).
    pub fn date(&self) -> String {
        let days = self.timestamp.div_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!("{y:04}-{m:02}-{d:02}")
    }

    pub fn canonical_request(&self) -> String {
        format!(
            "POST\n/\n\ncontent-type:{}\nhost:{}\n\ncontent-type;host\n{}",
            self.content_type,
            self.host,
            sha256_hex(self.payload)
        )
    }

    pub fn string_to_sign(&self) -> String {
        format!(
            "TC3-HMAC-SHA256\n{}\n{}/{}/tc3_request\n{}",
            self.timestamp,
            self.date(),
            self.service,
            sha256_hex(self.canonical_request().as_bytes())
        )
    }

    pub fn signature(&self) -> String {
        let k_date = hmac(format!("TC3{}", self.secret_key).as_bytes(), self.date().as_bytes());
        let k_service = hmac(&k_date, self.service.as_bytes());
        let k_signing = hmac(&k_service, b"tc3_request");
        hex::encode(hmac(&k_signing, self.string_to_sign().as_bytes()))
    }

    /// The `Authorization` header.
    pub fn authorization(&self) -> String {
        format!(
            "TC3-HMAC-SHA256 Credential={}/{}/{}/tc3_request, SignedHeaders=content-type;host, Signature={}",
            self.secret_id,
            self.date(),
            self.service,
            self.signature()
        )
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Howard Hinnant's
/// `civil_from_days`), so the scope date needs no calendar crate.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `2023-10-26T10:22:32Z` for unix seconds (Aliyun's `x-acs-date`).
pub fn iso8601_utc(timestamp: i64) -> String {
    let (y, m, d) = civil_from_days(timestamp.div_euclid(86_400));
    let s = timestamp.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3_600, s / 60 % 60, s % 60)
}

/// RFC 3986 unreserved characters stay; everything else is percent-encoded with upper-case hex
/// (so a space is `%20`, `*` is `%2A` and `~` stays), as Aliyun's canonical query requires.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// The query string, sorted by name, each name and value encoded: both the canonical query and
/// the query actually sent (they must be the same bytes).
pub fn canonical_query(params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> =
        params.iter().map(|(k, v)| (percent_encode(k), percent_encode(v))).collect();
    encoded.sort();
    encoded.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// What an ACS3 signature covers.
#[derive(Debug, Clone)]
pub struct Acs3<'a> {
    pub access_key_id: &'a str,
    pub access_key_secret: &'a str,
    pub method: &'a str,
    pub query: &'a [(String, String)],
    /// Every signed header, names lower-case: `host`, the `x-acs-*` ones and `content-type` when
    /// there is one. `x-acs-content-sha256` must be the body's hash.
    pub headers: &'a [(String, String)],
    pub payload: &'a [u8],
}

impl Acs3<'_> {
    fn sorted_headers(&self) -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> =
            self.headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string())).collect();
        headers.sort();
        headers
    }

    pub fn signed_headers(&self) -> String {
        self.sorted_headers().into_iter().map(|(k, _)| k).collect::<Vec<_>>().join(";")
    }

    pub fn canonical_request(&self) -> String {
        let headers: String = self.sorted_headers().iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        format!(
            "{}\n/\n{}\n{}\n{}\n{}",
            self.method,
            canonical_query(self.query),
            headers,
            self.signed_headers(),
            sha256_hex(self.payload)
        )
    }

    pub fn string_to_sign(&self) -> String {
        format!("ACS3-HMAC-SHA256\n{}", sha256_hex(self.canonical_request().as_bytes()))
    }

    pub fn authorization(&self) -> String {
        let signature = hex::encode(hmac(self.access_key_secret.as_bytes(), self.string_to_sign().as_bytes()));
        format!(
            "ACS3-HMAC-SHA256 Credential={},SignedHeaders={},Signature={}",
            self.access_key_id,
            self.signed_headers(),
            signature
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> serde_json::Value {
        let text = include_str!("../testdata/sms-signing.json");
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn tc3_matches_tencents_documented_example() {
        let r = &reference()["tencent_tc3_doc_example"];
        let payload = r["payload"].as_str().unwrap();
        let tc3 = Tc3 {
            secret_id: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
            secret_key: r["secret_key"].as_str().unwrap(),
            service: r["service"].as_str().unwrap(),
            host: "cvm.tencentcloudapi.com",
            content_type: "application/json; charset=utf-8",
            payload: payload.as_bytes(),
            timestamp: r["timestamp"].as_i64().unwrap(),
        };
        assert_eq!(tc3.date(), r["date"].as_str().unwrap());
        assert_eq!(sha256_hex(payload.as_bytes()), r["hashed_payload"].as_str().unwrap());
        assert_eq!(tc3.canonical_request(), r["canonical_request"].as_str().unwrap());
        assert_eq!(tc3.string_to_sign(), r["string_to_sign"].as_str().unwrap());
        assert_eq!(tc3.signature(), r["signature"].as_str().unwrap());
        assert!(tc3.authorization().starts_with(
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea"
        ));
    }

    #[test]
    fn acs3_matches_aliyuns_documented_example() {
        let r = &reference()["aliyun_acs3_doc_example"];
        let pairs = |v: &serde_json::Value| -> Vec<(String, String)> {
            v.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect()
        };
        let query = pairs(&r["query"]);
        let headers = pairs(&r["headers"]);
        let acs3 = Acs3 {
            access_key_id: r["access_key_id"].as_str().unwrap(),
            access_key_secret: r["access_key_secret"].as_str().unwrap(),
            method: r["method"].as_str().unwrap(),
            query: &query,
            headers: &headers,
            payload: b"",
        };
        assert_eq!(acs3.authorization(), r["authorization"].as_str().unwrap());
    }

    #[test]
    fn the_canonical_query_is_sorted_and_rfc3986_encoded() {
        let q = vec![
            ("b".to_string(), "a b*~".to_string()),
            ("SignName".to_string(), "阿里".to_string()),
            ("a".to_string(), "{\"x\":1}".to_string()),
        ];
        assert_eq!(canonical_query(&q), "SignName=%E9%98%BF%E9%87%8C&a=%7B%22x%22%3A1%7D&b=a%20b%2A~");
    }

    #[test]
    fn dates_are_utc() {
        assert_eq!(iso8601_utc(1_698_315_752), "2023-10-26T10:22:32Z");
        assert_eq!(iso8601_utc(0), "1970-01-01T00:00:00Z");
        let tc3 = Tc3 {
            secret_id: "",
            secret_key: "",
            service: "sms",
            host: "",
            content_type: "",
            payload: b"",
            timestamp: 951_782_400, // 2000-02-29T00:00:00Z
        };
        assert_eq!(tc3.date(), "2000-02-29");
    }
}
