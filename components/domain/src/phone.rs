//! Phone numbers. Accounts, volunteers, orders and mediation parties have a mainland mobile
//! number ([`Phone`]: `^1[3-9]\d{9}$`, the one rule). A message may also go to an international
//! number, which is its own variant of [`Recipient`], never a looser mobile rule.

use std::fmt;
use std::str::FromStr;

use crate::mask::mask_phone;

/// Why a text is not a phone number; the message is shown to the person who typed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Not 11 digits starting `13`–`19`.
    #[error("must be an 11-digit mainland mobile number, e.g. 13812345678")]
    NotMobile,
    /// Starts with `+` but is not 6 to 15 digits after it.
    #[error("an international number is + followed by 6 to 15 digits")]
    NotInternational,
}

/// A mainland China mobile number: 11 ASCII digits, `1`, then `3`–`9`. Kept as typed (no
/// country code); callers decide whether surrounding whitespace is forgiven, by trimming first.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// The only way in.
    pub fn parse(s: &str) -> Result<Phone, PhoneError> {
        if is_mobile(s) {
            Ok(Phone(s.to_string()))
        } else {
            Err(PhoneError::NotMobile)
        }
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number, owned.
    pub fn into_string(self) -> String {
        self.0
    }

    /// `138****5678`.
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

/// Whether `s` is exactly a mainland mobile number (what [`Phone::parse`] accepts).
pub fn is_mobile(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit)
}

/// Debug never prints the whole number (it may end up in a log).
impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

impl FromStr for Phone {
    type Err = PhoneError;

    fn from_str(s: &str) -> Result<Phone, PhoneError> {
        Phone::parse(s)
    }
}

/// Who a text message goes to.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// A mainland mobile number, as accounts are created with.
    Mainland(Phone),
    /// An international number in E.164 form: `+` and 6 to 15 digits (country code included).
    International(String),
}

impl Recipient {
    /// `+` and 6–15 digits is international; anything else must be a mainland mobile number.
    pub fn parse(s: &str) -> Result<Recipient, PhoneError> {
        match s.strip_prefix('+') {
            Some(digits) if (6..=15).contains(&digits.len()) && digits.bytes().all(|c| c.is_ascii_digit()) => {
                Ok(Recipient::International(s.to_string()))
            }
            Some(_) => Err(PhoneError::NotInternational),
            None => Phone::parse(s).map(Recipient::Mainland),
        }
    }

    /// The number as a provider takes it.
    pub fn as_str(&self) -> &str {
        match self {
            Recipient::Mainland(phone) => phone.as_str(),
            Recipient::International(number) => number,
        }
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::Mainland(phone) => write!(f, "Mainland({phone:?})"),
            Recipient::International(number) => write!(f, "International({})", mask_phone(number)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_mobile_numbers() {
        for ok in ["13812345678", "19912345678", "15000000000"] {
            assert_eq!(Phone::parse(ok).map(|p| p.into_string()), Ok(ok.to_string()));
        }
        for bad in [
            "",
            "1381234567",
            "138123456789",
            "12812345678",
            "23812345678",
            "1381234567a",
            "1381234567x",
            "+8613812345678",
            "138 1234 5678",
            " 13812345678",
            "１３８１２３４５６７８",
        ] {
            assert_eq!(Phone::parse(bad), Err(PhoneError::NotMobile), "{bad}");
        }
        assert_eq!(Phone::parse("13812345678").unwrap().masked(), "138****5678");
        assert_eq!(format!("{:?}", Phone::parse("13812345678").unwrap()), "Phone(138****5678)");
    }

    #[test]
    fn international_recipients_are_their_own_variant() {
        assert_eq!(Recipient::parse("13812345678"), Ok(Recipient::Mainland(Phone::parse("13812345678").unwrap())));
        assert_eq!(Recipient::parse("+85291234567"), Ok(Recipient::International("+85291234567".into())));
        assert_eq!(Recipient::parse("+123456").map(|r| r.as_str().to_string()), Ok("+123456".into()));
        assert_eq!(Recipient::parse("+12345"), Err(PhoneError::NotInternational));
        assert_eq!(Recipient::parse("+1234567890123456"), Err(PhoneError::NotInternational));
        assert_eq!(Recipient::parse("+85291234x67"), Err(PhoneError::NotInternational));
        assert_eq!(Recipient::parse("85291234567"), Err(PhoneError::NotMobile));
        assert_eq!(format!("{:?}", Recipient::parse("+85291234567").unwrap()), "International(+85****4567)");
    }
}
