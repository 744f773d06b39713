//! Mainland resident ID numbers (GB 11643): 6-digit region, 8-digit birth date, 3-digit sequence
//! whose last digit is odd for men, and an ISO 7064 MOD 11-2 check character.

/// Weights of the first 17 digits: 2^(17-i) mod 11.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder of the weighted sum mod 11.
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check character for the first 17 digits; `None` unless they are 17 ASCII digits.
pub fn check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17.bytes().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    Some(CHECK[(sum % 11) as usize])
}

/// A full 18-character ID from its parts; `sequence` is 0..=999 and its last digit must already
/// carry the gender.
pub fn build(region: &str, year: u32, month: u32, day: u32, sequence: u32) -> Option<String> {
    let first17 = format!("{region}{year:04}{month:02}{day:02}{sequence:03}");
    let check = check_char(&first17)?;
    Some(format!("{first17}{check}"))
}

pub fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

pub fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_example_checks() {
        // The example printed in GB 11643-1999.
        assert_eq!(check_char("11010519491231002"), Some('X'));
        assert_eq!(build("110105", 1949, 12, 31, 2), Some("11010519491231002X".into()));
        assert_eq!(check_char("1101051949123100"), None);
    }

    #[test]
    fn months() {
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2024, 4), 30);
    }
}
