//! People's numbers: valid resident ID numbers (ISO 7064 MOD 11-2), mainland mobile phones, and
//! how lists and exports mask both.

/// ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID number.
pub fn resident_id_check_char(first17: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    assert_eq!(first17.len(), 17, "17 digits: {first17}");
    let sum: u32 = first17.chars().zip(WEIGHTS).map(|(c, w)| c.to_digit(10).expect("a digit") * w).sum();
    CHECK[(sum % 11) as usize] as char
}

/// An 18-character resident ID: `region` (6 digits) + `birth` (YYYYMMDD) + a 2-digit sequence +
/// the gender digit (odd = male) + the check character.
pub fn resident_id(region: &str, birth: &str, seq: u32, male: bool) -> String {
    assert!(region.len() == 6 && birth.len() == 8 && seq < 100);
    let gender_digit = if male { 1 + 2 * (seq % 5) } else { 2 * (seq % 5) };
    let first17 = format!("{region}{birth}{seq:02}{gender_digit}");
    let check = resident_id_check_char(&first17);
    format!("{first17}{check}")
}

/// Whether `id` is 17 digits plus the right check character.
pub fn resident_id_is_valid(id: &str) -> bool {
    id.len() == 18
        && id[..17].bytes().all(|b| b.is_ascii_digit())
        && id[17..].starts_with(resident_id_check_char(&id[..17]))
}

/// Whether `phone` is a mainland mobile number: `^1[3-9]\d{9}$`.
pub fn is_mobile(phone: &str) -> bool {
    let b = phone.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit)
}

/// A phone as lists show it: the first three and the last four digits (`138****5678`).
pub fn masked_phone(phone: &str) -> String {
    format!("{}****{}", &phone[..3], &phone[7..])
}

/// A resident ID number as lists show it: the first four and the last four characters.
pub fn masked_id(id_number: &str) -> String {
    format!("{}**********{}", &id_number[..4], &id_number[14..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_id_check_characters_follow_iso_7064() {
        // The standard's published example.
        assert_eq!(resident_id_check_char("11010519491231002"), 'X');
        assert!(resident_id_is_valid("11010519491231002X"));
        assert!(!resident_id_is_valid("110105194912310021"));
        let id = resident_id("110101", "19900307", 12, true);
        assert!(resident_id_is_valid(&id), "{id}");
        assert_eq!(&id[6..14], "19900307");
        assert_eq!(id.as_bytes()[16] % 2, 1, "odd gender digit for a man: {id}");
        let id = resident_id("110101", "19900307", 12, false);
        assert_eq!(id.as_bytes()[16] % 2, 0, "even gender digit for a woman: {id}");
    }
}
