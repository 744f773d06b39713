//! The PRC resident identity number (居民身份证号码, GB 11643): a 6-digit region, the 8-digit birth
//! date, a 3-digit sequence whose last digit is odd for men and even for women, and an ISO 7064
//! MOD 11-2 check character (`0`–`9` or `X`).

use std::fmt;

use crate::date::Date;
use crate::mask::mask_id_number;

/// ISO 7064 MOD 11-2 weights of the first 17 digits: 2^(17-i) mod 11.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder of the weighted sum mod 11.
const CHECK: &[u8; 11] = b"10X98765432";

/// Recorded gender (the ID's 17th digit: odd for male, even for female).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    /// `male`.
    Male,
    /// `female`.
    Female,
}

impl Gender {
    /// `"male"` or `"female"` exactly (the API and database spelling).
    pub fn parse(s: &str) -> Option<Gender> {
        match s {
            "male" => Some(Gender::Male),
            "female" => Some(Gender::Female),
            _ => None,
        }
    }

    /// The API and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }
}

/// Why a resident ID was refused; the message is shown to the person typing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    /// Not 18 characters.
    #[error("a resident ID number has 18 characters")]
    Length,
    /// Not 17 digits followed by a digit or `X`.
    #[error("a resident ID number is 17 digits followed by a digit or X")]
    Characters,
    /// Positions 7–14 are not a real date (from 1900 on).
    #[error("the birth date in the ID number (characters 7 to 14) is not a real date")]
    BirthDate,
    /// The 18th character does not match the ISO 7064 MOD 11-2 check.
    #[error("the ID number's check digit does not match; please check it for typos")]
    CheckDigit,
}

/// The check character for the first 17 characters of an ID number; `None` unless they are 17
/// ASCII digits.
pub fn check_char(first17: &str) -> Option<char> {
    let b = first17.as_bytes();
    if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b.iter().zip(WEIGHTS).map(|(c, w)| u32::from(c - b'0') * w).sum();
    Some(char::from(CHECK[(sum % 11) as usize]))
}

/// An 18-character resident identity number whose length, characters, birth date and check
/// character have been verified. Kept in upper case (`x` is accepted and kept as `X`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

impl ResidentId {
    /// The only way in from text: surrounding whitespace ignored, `x` read as `X`.
    pub fn parse(s: &str) -> Result<ResidentId, ResidentIdError> {
        let s = s.trim().to_ascii_uppercase();
        if s.chars().count() != 18 {
            return Err(ResidentIdError::Length);
        }
        let b = s.as_bytes();
        if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(ResidentIdError::Characters);
        }
        if Date::parse_compact(&s[6..14]).is_err() {
            return Err(ResidentIdError::BirthDate);
        }
        if check_char(&s[..17]) != Some(char::from(b[17])) {
            return Err(ResidentIdError::CheckDigit);
        }
        Ok(ResidentId(s))
    }

    /// A number made from its parts, its check character computed (demo data, tests): `region`
    /// is 6 digits and `sequence` 0–999, whose last digit must already carry the gender.
    pub fn build(region: &str, birth: Date, sequence: u16) -> Result<ResidentId, ResidentIdError> {
        let first17 = format!("{region}{:04}{:02}{:02}{sequence:03}", birth.year(), birth.month(), birth.day());
        let check = check_char(&first17).ok_or(ResidentIdError::Characters)?;
        ResidentId::parse(&format!("{first17}{check}"))
    }

    /// The number, upper case.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date in positions 7–14.
    pub fn birth_date(&self) -> Date {
        Date::parse_compact(&self.0[6..14]).expect("checked when parsed")
    }

    /// The gender the 17th digit records (odd: male).
    pub fn gender(&self) -> Gender {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        }
    }

    /// `1101**********1234`: enough to recognise, not enough to misuse.
    pub fn masked(&self) -> String {
        mask_id_number(&self.0)
    }
}

/// Debug never prints the whole number (it may end up in a log).
impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_check(first17: &str) -> String {
        format!("{first17}{}", check_char(first17).unwrap())
    }

    #[test]
    fn accepts_the_standard_example() {
        // The example printed in GB 11643-1999.
        assert_eq!(check_char("11010519491231002"), Some('X'));
        let id = ResidentId::parse("11010519491231002X").unwrap();
        assert_eq!(id.birth_date().to_string(), "1949-12-31");
        assert_eq!(id.gender(), Gender::Female);
        assert_eq!(id.masked(), "1101**********002X");
        let id = ResidentId::parse("110101199003071233").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(id.birth_date(), Date::parse("1990-03-07").unwrap());
        assert_eq!(id.gender(), Gender::Male);
    }

    #[test]
    fn builds_numbers_with_their_check_character() {
        let birth = Date::parse("1949-12-31").unwrap();
        assert_eq!(ResidentId::build("110105", birth, 2).unwrap().as_str(), "11010519491231002X");
        assert_eq!(ResidentId::build("11010", birth, 2), Err(ResidentIdError::Characters));
        assert_eq!(check_char("1101051949123100"), None);
        assert_eq!(check_char("1101051949123100a"), None);
    }

    #[test]
    fn lower_case_x_and_whitespace_are_normalised() {
        assert_eq!(ResidentId::parse(" 11010519491231002x ").unwrap().as_str(), "11010519491231002X");
    }

    #[test]
    fn every_single_digit_typo_is_caught() {
        let good = "11010519491231002X";
        for i in 0..17 {
            for d in b'0'..=b'9' {
                let mut b = good.as_bytes().to_vec();
                if b[i] == d {
                    continue;
                }
                b[i] = d;
                let s = String::from_utf8(b).unwrap();
                assert!(ResidentId::parse(&s).is_err(), "{s} should be refused");
            }
        }
    }

    #[test]
    fn refuses_bad_shapes() {
        assert_eq!(ResidentId::parse(""), Err(ResidentIdError::Length));
        assert_eq!(ResidentId::parse("1101051949123100"), Err(ResidentIdError::Length));
        assert_eq!(ResidentId::parse("11010519491231002X1"), Err(ResidentIdError::Length));
        assert_eq!(ResidentId::parse("1101051949123100XX"), Err(ResidentIdError::Characters));
        assert_eq!(ResidentId::parse("11010519491231002Y"), Err(ResidentIdError::Characters));
        assert_eq!(ResidentId::parse("11010519491231002０"), Err(ResidentIdError::Characters));
        assert_eq!(ResidentId::parse("110105194912310021"), Err(ResidentIdError::CheckDigit));
    }

    #[test]
    fn refuses_impossible_birth_dates() {
        for birth in ["19490230", "19491301", "19490001", "19490100", "19000229", "18991231"] {
            let id = with_check(&format!("110105{birth}002"));
            assert_eq!(ResidentId::parse(&id), Err(ResidentIdError::BirthDate), "{id}");
        }
        // 2000 was a leap year, 1900 was not.
        assert!(ResidentId::parse(&with_check("11010520000229002")).is_ok());
    }

    #[test]
    fn gender_follows_the_seventeenth_digit() {
        for (d, g) in [('1', Gender::Male), ('2', Gender::Female), ('9', Gender::Male), ('0', Gender::Female)] {
            let id = ResidentId::parse(&with_check(&format!("1101051990030712{d}"))).unwrap();
            assert_eq!(id.gender(), g);
        }
        assert_eq!(Gender::parse("female").map(Gender::as_str), Some("female"));
        assert_eq!(Gender::parse("Female"), None);
    }

    #[test]
    fn debug_does_not_leak() {
        let id = ResidentId::parse("11010519491231002X").unwrap();
        assert_eq!(format!("{id:?}"), "ResidentId(1101**********002X)");
    }
}
