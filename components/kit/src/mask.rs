//! Personal data: checking phone numbers, and masking for lists and exports (enough to
//! recognise, not enough to misuse).

/// Mainland mobile numbers: 11 digits, `1`, then 3–9 (`^1[3-9]\d{9}$`).
pub fn valid_phone(phone: &str) -> bool {
    let b = phone.as_bytes();
    b.len() == 11 && b.iter().all(u8::is_ascii_digit) && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])
}

/// `13812345678` → `138****5678`.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// `110101199003071234` → `1101**********1234`.
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() < 9 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_the_ends() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_id_number("110101199003071234"), "1101**********1234");
        assert_eq!(mask_phone("123"), "***");
    }
}
