//! Personal identifiers, parsed once at the edge of the component: [`ResidentId`] (the
//! 18-character PRC resident identity number, 居民身份证号码), [`Phone`] (a mainland mobile
//! number), [`Date`] (a calendar date) and [`Gender`].
//!
//! Parse, don't validate: each type's constructor is the only way to get a value, so a value of
//! the type *is* the proof that the text was checked. Nothing here touches Spin, so these tests
//! run natively (`cargo test -p volunteers`).

use std::fmt;

/// A calendar date (proleptic Gregorian), as in `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The earliest birth year accepted.
    pub const MIN_YEAR: u16 = 1900;

    /// A date from its parts, if it exists on the calendar (and the year is 1900–9999).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let valid = (Self::MIN_YEAR..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        valid.then_some(Date { year, month, day })
    }

    /// Parses exactly `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year = digits(&b[0..4])? as u16;
        let month = digits(&b[5..7])? as u8;
        let day = digits(&b[8..10])? as u8;
        Date::new(year, month, day)
    }

    /// Parses exactly `YYYYMMDD` (the form inside a resident ID).
    fn parse_compact(b: &[u8]) -> Option<Date> {
        if b.len() != 8 {
            return None;
        }
        Date::new(digits(&b[0..4])? as u16, digits(&b[4..6])? as u8, digits(&b[6..8])? as u8)
    }

    /// The date `days` days after 1970-01-01 (negative: before), if in range.
    pub fn from_unix_days(days: i64) -> Option<Date> {
        let (y, m, d) = civil_from_days(days);
        Date::new(u16::try_from(y).ok()?, m as u8, d as u8)
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 → (year, month, day); Howard Hinnant's `civil_from_days`.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Recorded gender (the resident ID's 17th digit: odd for male, even for female).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Male,
    Female,
}

impl Gender {
    /// `"male"` or `"female"` exactly.
    pub fn parse(s: &str) -> Option<Gender> {
        match s {
            "male" => Some(Gender::Male),
            "female" => Some(Gender::Female),
            _ => None,
        }
    }

    /// The API and database spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }
}

/// Why a resident ID was refused; the message is shown to the person typing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResidentIdError {
    /// Not 18 characters.
    Length,
    /// Not 17 digits followed by a digit or `X`.
    Characters,
    /// Positions 7–14 are not a real date (from 1900 on).
    BirthDate,
    /// The 18th character does not match the ISO 7064 MOD 11-2 check.
    CheckDigit,
}

impl fmt::Display for ResidentIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ResidentIdError::Length => "a resident ID number has 18 characters",
            ResidentIdError::Characters => "a resident ID number is 17 digits followed by a digit or X",
            ResidentIdError::BirthDate => "the birth date in the ID number (characters 7 to 14) is not a real date",
            ResidentIdError::CheckDigit => "the ID number's check digit does not match; please check it for typos",
        })
    }
}

/// An 18-character resident identity number whose check digit, birth date and gender digit have
/// been verified. Stored in upper case (`x` is accepted and kept as `X`).
#[derive(Clone, PartialEq, Eq)]
pub struct ResidentId(String);

impl ResidentId {
    /// ISO 7064 MOD 11-2 weights for the first 17 digits.
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    /// The check character for each remainder mod 11.
    const CHECK: &'static [u8; 11] = b"10X98765432";

    /// The only way in: checks length, characters, the embedded birth date and the check digit.
    pub fn parse(s: &str) -> Result<ResidentId, ResidentIdError> {
        let s = s.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if s.chars().count() != 18 {
            return Err(ResidentIdError::Length);
        }
        if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(ResidentIdError::Characters);
        }
        if Date::parse_compact(&b[6..14]).is_none() {
            return Err(ResidentIdError::BirthDate);
        }
        let sum: u32 = b[..17].iter().zip(Self::WEIGHTS).map(|(c, w)| u32::from(c - b'0') * w).sum();
        if Self::CHECK[(sum % 11) as usize] != b[17] {
            return Err(ResidentIdError::CheckDigit);
        }
        Ok(ResidentId(s))
    }

    /// The number, upper case.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date in positions 7–14.
    pub fn birth_date(&self) -> Date {
        Date::parse_compact(&self.0.as_bytes()[6..14]).expect("checked in parse")
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
        kit::mask_id_number(&self.0)
    }
}

/// Debug never prints the whole number (it may end up in a log).
impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

/// A mainland China mobile number: `^1[3-9]\d{9}$`.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// The only way in. Surrounding whitespace is ignored; nothing else is rewritten.
    pub fn parse(s: &str) -> Option<Phone> {
        let s = s.trim();
        let b = s.as_bytes();
        let ok = b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit);
        ok.then(|| Phone(s.to_string()))
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`.
    pub fn masked(&self) -> String {
        kit::mask_phone(&self.0)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Appends the right check character to 17 digits (for building test numbers).
    pub fn with_check(first17: &str) -> String {
        let sum: u32 = first17.bytes().zip(ResidentId::WEIGHTS).map(|(c, w)| u32::from(c - b'0') * w).sum();
        format!("{first17}{}", ResidentId::CHECK[(sum % 11) as usize] as char)
    }

    #[test]
    fn accepts_the_standard_example() {
        // GB 11643-1999's published example.
        let id = ResidentId::parse("11010519491231002X").unwrap();
        assert_eq!(id.birth_date().to_string(), "1949-12-31");
        assert_eq!(id.gender(), Gender::Female);
        assert_eq!(id.masked(), "1101**********002X");
        let id = ResidentId::parse("110101199003071233").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(id.birth_date(), Date::parse("1990-03-07").unwrap());
        assert_eq!(id.gender(), Gender::Male);
    }

    #[test]
    fn lower_case_x_and_whitespace_are_normalised() {
        let id = ResidentId::parse(" 11010519491231002x ").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
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
    }

    #[test]
    fn debug_does_not_leak() {
        let id = ResidentId::parse("11010519491231002X").unwrap();
        assert_eq!(format!("{id:?}"), "ResidentId(1101**********002X)");
        assert_eq!(format!("{:?}", Phone::parse("13812345678").unwrap()), "Phone(138****5678)");
    }

    #[test]
    fn phones() {
        for ok in ["13812345678", "19912345678", " 15000000000 "] {
            assert!(Phone::parse(ok).is_some(), "{ok}");
        }
        for bad in [
            "",
            "1381234567",
            "138123456789",
            "12812345678",
            "23812345678",
            "1381234567a",
            "+8613812345678",
            "138 1234 5678",
        ] {
            assert!(Phone::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(Phone::parse("13812345678").unwrap().masked(), "138****5678");
    }

    #[test]
    fn dates() {
        assert_eq!(Date::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "20240101",
            "2024-01-32",
            "1899-12-31",
            "abcd-ef-gh",
            "2024-01-01 ",
        ] {
            assert!(Date::parse(bad).is_none(), "{bad}");
        }
        assert!(Date::parse("1990-03-07") < Date::parse("1990-03-08"));
        assert_eq!(Date::from_unix_days(0).unwrap().to_string(), "1970-01-01");
        assert_eq!(Date::from_unix_days(19_782).unwrap().to_string(), "2024-02-29");
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }
}
