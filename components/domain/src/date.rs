//! Calendar days (proleptic Gregorian) as Asia/Shanghai counts them: birth dates, the day of a
//! time, whole-day filters, ages.

use std::fmt;
use std::str::FromStr;

use jiff::civil;

use crate::ascii_number;
use crate::time::{Timestamp, SHANGHAI};

/// Why a text is not a date; the message is shown to the person who sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not exactly `YYYY-MM-DD`.
    #[error("must be a date written YYYY-MM-DD")]
    Shape,
    /// Laid out right, but not a day on the calendar from 1900 on.
    #[error("must be a real calendar day from 1900 on")]
    NoSuchDay,
}

/// A day on the calendar. Dates people type ([`Date::parse`]) are from 1900 to 9999; the day of a
/// stored time ([`Date::of`]) is whatever day that was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(civil::Date);

impl Date {
    /// The earliest year a typed date may have (nobody we serve was born before it).
    pub const MIN_YEAR: i16 = 1900;

    /// A date from its parts, if it exists on the calendar and its year is 1900–9999.
    pub fn from_parts(year: u32, month: u32, day: u32) -> Option<Date> {
        let year = i16::try_from(year).ok().filter(|y| (Self::MIN_YEAR..=9999).contains(y))?;
        let date = civil::Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()?;
        Some(Date(date))
    }

    /// Parses exactly `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Date, DateError> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(DateError::Shape);
        }
        let (y, m, d) = (ascii_number(&b[0..4]), ascii_number(&b[5..7]), ascii_number(&b[8..10]));
        let (Some(y), Some(m), Some(d)) = (y, m, d) else { return Err(DateError::Shape) };
        Date::from_parts(y, m, d).ok_or(DateError::NoSuchDay)
    }

    /// Parses exactly `YYYYMMDD` (the form inside a resident ID number).
    pub fn parse_compact(s: &str) -> Result<Date, DateError> {
        let b = s.as_bytes();
        if b.len() != 8 {
            return Err(DateError::Shape);
        }
        let (y, m, d) = (ascii_number(&b[0..4]), ascii_number(&b[4..6]), ascii_number(&b[6..8]));
        let (Some(y), Some(m), Some(d)) = (y, m, d) else { return Err(DateError::Shape) };
        Date::from_parts(y, m, d).ok_or(DateError::NoSuchDay)
    }

    /// The Asia/Shanghai day of unix seconds `secs` ("today" for a request's clock).
    pub fn of(secs: i64) -> Date {
        Timestamp::from_unix(secs).date()
    }

    pub(crate) fn from_civil(date: civil::Date) -> Date {
        Date(date)
    }

    pub(crate) fn civil(self) -> civil::Date {
        self.0
    }

    /// The year.
    pub fn year(self) -> i16 {
        self.0.year()
    }

    /// The month, 1–12.
    pub fn month(self) -> u8 {
        self.0.month() as u8
    }

    /// The day of the month, 1–31.
    pub fn day(self) -> u8 {
        self.0.day() as u8
    }

    /// The number of days in this date's month.
    pub fn days_in_month(self) -> u8 {
        self.0.days_in_month() as u8
    }

    /// The first day of this date's month.
    pub fn first_of_month(self) -> Date {
        Date(self.0.first_of_month())
    }

    /// The date `n` whole months later (or earlier), the day kept where the month has it and
    /// otherwise the month's last day.
    pub fn add_months(self, n: i32) -> Option<Date> {
        self.0.checked_add(jiff::Span::new().try_months(n).ok()?).ok().map(Date)
    }

    /// The date `n` days later (or earlier).
    pub fn add_days(self, n: i32) -> Option<Date> {
        self.0.checked_add(jiff::Span::new().try_days(n).ok()?).ok().map(Date)
    }

    /// Unix seconds of this day's first second (00:00:00 in Asia/Shanghai).
    pub fn start(self) -> i64 {
        midnight(self.0)
    }

    /// Unix seconds of this day's last second (23:59:59 in Asia/Shanghai): the inclusive end of a
    /// whole-day `to` filter.
    pub fn last_second(self) -> i64 {
        self.0.tomorrow().map_or(i64::MAX, midnight) - 1
    }

    /// Whole years of age on `on` for someone born on this date. Someone born on 29 February
    /// turns a year older on 1 March in common years, as Chinese ID practice and most law count
    /// it; comparing (month, day) gives exactly that.
    pub fn age_on(self, on: Date) -> i32 {
        let before_birthday = (on.month(), on.day()) < (self.month(), self.day());
        i32::from(on.year()) - i32::from(self.year()) - i32::from(before_birthday)
    }
}

/// The first second of `date` in Asia/Shanghai. Every Shanghai midnight exists (its daylight
/// saving time began at 02:00), and jiff's range covers every date this crate makes; the clamp
/// is only for the type's sake.
fn midnight(date: civil::Date) -> i64 {
    SHANGHAI.to_timestamp(date.to_datetime(civil::Time::midnight())).map_or(i64::MIN, |t| t.as_second())
}

/// `YYYY-MM-DD`.
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year(), self.month(), self.day())
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Date, DateError> {
        Date::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn dates_are_real_calendar_days() {
        assert_eq!(d("2024-02-29").to_string(), "2024-02-29");
        assert_eq!(d("1900-01-01").year(), 1900);
        for (bad, why) in [
            ("2023-02-29", DateError::NoSuchDay),
            ("1900-02-29", DateError::NoSuchDay),
            ("2024-13-01", DateError::NoSuchDay),
            ("2024-00-10", DateError::NoSuchDay),
            ("2024-01-32", DateError::NoSuchDay),
            ("1899-12-31", DateError::NoSuchDay),
            ("2024-1-01", DateError::Shape),
            ("20240101", DateError::Shape),
            ("abcd-ef-gh", DateError::Shape),
            ("2024-01-01 ", DateError::Shape),
            ("２０２４-01", DateError::Shape),
        ] {
            assert_eq!(Date::parse(bad), Err(why), "{bad}");
        }
        assert!(d("1990-03-07") < d("1990-03-08"));
        assert_eq!(Date::parse_compact("19491231"), Ok(d("1949-12-31")));
        assert_eq!(Date::parse_compact("19490230"), Err(DateError::NoSuchDay));
    }

    #[test]
    fn days_are_counted_in_shanghai() {
        assert_eq!(Date::of(0).to_string(), "1970-01-01");
        assert_eq!(Date::of(1_709_222_399).to_string(), "2024-02-29");
        assert_eq!(Date::of(1_709_222_400).to_string(), "2024-03-01");
        assert_eq!(Date::of(-1).to_string(), "1970-01-01");
        assert_eq!(Date::of(-28_801).to_string(), "1969-12-31");
        let day = d("2024-03-01");
        assert_eq!(day.start(), 1_709_222_400);
        assert_eq!(day.last_second(), 1_709_222_400 + 86_399);
        assert_eq!(d("1970-01-01").start(), -28_800);
    }

    #[test]
    fn months_and_days_move_on_the_calendar() {
        assert_eq!(d("2024-01-31").add_months(1), Some(d("2024-02-29")));
        assert_eq!(d("2024-11-01").add_months(3), Some(d("2025-02-01")));
        assert_eq!(d("2024-02-28").add_days(2), Some(d("2024-03-01")));
        assert_eq!(d("2024-02-17").first_of_month(), d("2024-02-01"));
        assert_eq!((d("2024-02-10").days_in_month(), d("2023-02-10").days_in_month()), (29, 28));
        assert_eq!(d("2000-02-01").days_in_month(), 29);
    }

    #[test]
    fn ages_count_whole_years() {
        let birth = d("2008-05-01");
        assert_eq!(birth.age_on(d("2026-04-30")), 17);
        assert_eq!(birth.age_on(d("2026-05-01")), 18);
        // 2026-04-30T16:00:00Z is already 1 May in Beijing: 18 that day.
        assert_eq!(birth.age_on(Date::of(1_777_564_800)), 18);
        let leap = d("2008-02-29");
        assert_eq!(leap.age_on(d("2026-02-28")), 17);
        assert_eq!(leap.age_on(d("2026-03-01")), 18);
        assert_eq!(leap.age_on(d("2028-02-29")), 20);
    }
}
