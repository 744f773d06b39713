//! Evaluation periods: a month (`2026-11`), a quarter (`2026-Q4`) or a year (`2026`), each a
//! half-open range of instants from its first Asia/Shanghai midnight to the next period's.

use std::fmt;

use crate::ascii_number;
use crate::date::Date;

/// Which kind of period, and which one within its year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Span {
    /// A calendar month, 1–12.
    Month(u8),
    /// A quarter, 1–4 (January–March is the first).
    Quarter(u8),
    /// The whole year.
    Year,
}

/// A month, quarter or year of 2000–2999 (earlier or later is a typo in this domain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    year: u16,
    span: Span,
}

impl Period {
    /// Parses `YYYY-MM` (a month), `YYYY-Qn` (a quarter) or `YYYY` (a year), surrounding
    /// whitespace ignored; the quarter's `Q` is upper case.
    pub fn parse(s: &str) -> Option<Period> {
        let b = s.trim().as_bytes();
        let year = ascii_number(b.get(..4)?).filter(|y| (2000..3000).contains(y))? as u16;
        let span = match &b[4..] {
            [] => Span::Year,
            [b'-', b'Q', q] => Span::Quarter(ascii_number(&[*q]).filter(|q| (1..=4).contains(q))? as u8),
            [b'-', m1, m2] => Span::Month(ascii_number(&[*m1, *m2]).filter(|m| (1..=12).contains(m))? as u8),
            _ => return None,
        };
        Some(Period { year, span })
    }

    /// The quarter that unix seconds `secs` fall in, on the Asia/Shanghai calendar (if its year
    /// is in 2000–2999).
    pub fn quarter_of(secs: i64) -> Option<Period> {
        let day = Date::of(secs);
        let year = u16::try_from(day.year()).ok().filter(|y| (2000..3000).contains(y))?;
        Some(Period { year, span: Span::Quarter((day.month() - 1) / 3 + 1) })
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// Month, quarter or year.
    pub fn span(self) -> Span {
        self.span
    }

    /// The canonical text (what [`Period::parse`] reads): `2026-11`, `2026-Q4` or `2026`.
    pub fn label(self) -> String {
        self.to_string()
    }

    /// The first day and the number of months.
    fn months(self) -> (Date, i32) {
        let (first_month, months) = match self.span {
            Span::Month(m) => (u32::from(m), 1),
            Span::Quarter(q) => (3 * u32::from(q) - 2, 3),
            Span::Year => (1, 12),
        };
        let first = Date::from_parts(u32::from(self.year), first_month, 1).expect("years 2000–2999 have every month");
        (first, months)
    }

    /// Unix seconds of the period's first instant (its first day's Asia/Shanghai midnight).
    pub fn start(self) -> i64 {
        self.months().0.start()
    }

    /// Unix seconds of the next period's first instant (the range is `[start, end)`).
    pub fn end(self) -> i64 {
        let (first, months) = self.months();
        first.add_months(months).expect("within the calendar").start()
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.span {
            Span::Month(m) => write!(f, "{:04}-{m:02}", self.year),
            Span::Quarter(q) => write!(f, "{:04}-Q{q}", self.year),
            Span::Year => write!(f, "{:04}", self.year),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::rfc3339;

    fn range(s: &str) -> (String, String) {
        let p = Period::parse(s).unwrap_or_else(|| panic!("{s}"));
        (rfc3339(p.start()), rfc3339(p.end()))
    }

    #[test]
    fn periods_are_months_quarters_and_years_in_shanghai() {
        let at = |d: &str| format!("{d}T00:00:00+08:00");
        assert_eq!(range("2026-11"), (at("2026-11-01"), at("2026-12-01")));
        assert_eq!(range("2026-12"), (at("2026-12-01"), at("2027-01-01")));
        assert_eq!(range("2026-Q4"), (at("2026-10-01"), at("2027-01-01")));
        assert_eq!(range("2026-Q1"), (at("2026-01-01"), at("2026-04-01")));
        assert_eq!(range("2026"), (at("2026-01-01"), at("2027-01-01")));
        assert_eq!(range(" 2026-02 "), (at("2026-02-01"), at("2026-03-01")));
        assert_eq!(Period::parse("2026-01").unwrap().start(), 1_767_196_800);
        assert_eq!(Period::parse("2026-Q4").unwrap().label(), "2026-Q4");
        assert_eq!(Period::parse("2026-03").unwrap().span(), Span::Month(3));
        for bad in [
            "",
            "26",
            "2026-13",
            "2026-00",
            "2026-Q5",
            "2026-Q0",
            "2026-1",
            "1999",
            "3000",
            "２０２６",
            "2026-11-01",
            "2026-q4",
            "2026-",
            "2026-Q",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_quarter_of_a_time_is_read_in_shanghai() {
        assert_eq!(Period::quarter_of(1_790_784_000).unwrap().label(), "2026-Q4");
        // 2026-03-31T16:00:00Z is 1 April in Beijing.
        assert_eq!(Period::quarter_of(1_774_972_800).unwrap().label(), "2026-Q2");
        assert_eq!(Period::quarter_of(1_774_972_799).unwrap().label(), "2026-Q1");
        assert_eq!(Period::quarter_of(0), None);
    }
}
