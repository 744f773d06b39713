//! Activity codes (活动码): the letters volunteers scan or type to check in, and the longer codes
//! made of the same letters (invitation codes).
//!
//! The alphabet leaves out `0 O 1 I`, which people misread off a poster or a projected QR
//! caption. It has 32 letters, so one random byte's low five bits pick a letter without bias;
//! the randomness itself comes from the caller (this crate does no I/O).

use std::fmt;

/// Letters a code is made of.
pub const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Length of the activity code.
pub const LEN: usize = 6;
/// What a check-in QR code carries before the code itself.
pub const QR_PREFIX: &str = "wenming://checkin?code=";

/// A code of `random.len()` letters, one per random byte.
pub fn from_random(random: &[u8]) -> String {
    random.iter().map(|b| char::from(ALPHABET[usize::from(b & 31)])).collect()
}

/// A six-letter activity code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActivityCode(String);

/// Why a text is not an activity code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be the 6-character activity code (活动码)")]
pub struct NotACode;

impl ActivityCode {
    /// A new code from six random bytes.
    pub fn from_random(random: [u8; LEN]) -> ActivityCode {
        ActivityCode(from_random(&random))
    }

    /// A code as typed or scanned: surrounding whitespace ignored, lower case read as upper case,
    /// and the code taken out of its QR payload when the whole payload was sent.
    pub fn parse(raw: &str) -> Result<ActivityCode, NotACode> {
        let raw = raw.trim();
        let code = raw.strip_prefix(QR_PREFIX).unwrap_or(raw).to_ascii_uppercase();
        if code.len() == LEN && code.bytes().all(|b| ALPHABET.contains(&b)) {
            Ok(ActivityCode(code))
        } else {
            Err(NotACode)
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// What a check-in QR code for `code` carries.
pub fn qr_payload(code: &str) -> String {
    format!("{QR_PREFIX}{code}")
}

impl fmt::Display for ActivityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_the_alphabet_without_bias() {
        let all: Vec<u8> = (0..=255).collect();
        let letters = from_random(&all);
        for letter in ALPHABET {
            assert_eq!(letters.bytes().filter(|b| b == letter).count(), 8, "{}", char::from(*letter));
        }
        assert!(!letters.contains(['0', 'O', '1', 'I']));
        let code = ActivityCode::from_random([0, 31, 32, 8, 255, 24]);
        assert_eq!(code.as_str(), "A9AJ92");
        assert_eq!(ActivityCode::parse(code.as_str()), Ok(code));
    }

    #[test]
    fn typed_and_scanned_codes_are_normalised_or_refused() {
        assert_eq!(ActivityCode::parse(" abc234 ").map(ActivityCode::into_string), Ok("ABC234".into()));
        assert_eq!(ActivityCode::parse(&qr_payload("ABC234")).map(ActivityCode::into_string), Ok("ABC234".into()));
        for bad in ["", "ABC23", "ABC2345", "ABC0DE", "ABCIDE", "ABC 34", "wenming://checkin?code=", "ＡＢＣ２３４"]
        {
            assert_eq!(ActivityCode::parse(bad), Err(NotACode), "{bad}");
        }
    }
}
