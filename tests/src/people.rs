//! People's numbers as the tests make them: valid resident ID numbers for registrations. The
//! rules themselves are the `domain` crate's, the code the components run, and tests call it
//! directly: `domain::resident_id::check_char`, `domain::phone::is_mobile`,
//! `domain::mask::{mask_phone, mask_id_number}`.

use domain::{Date, ResidentId};

/// An 18-character resident ID: `region` (6 digits) + `birth` (YYYYMMDD) + a 2-digit sequence +
/// the gender digit (odd = male) + the check character.
pub fn resident_id(region: &str, birth: &str, seq: u32, male: bool) -> String {
    assert!(seq < 100, "a 2-digit sequence: {seq}");
    let birth = Date::parse_compact(birth).unwrap_or_else(|e| panic!("birth {birth}: {e}"));
    let gender_digit = if male { 1 + 2 * (seq % 5) } else { 2 * (seq % 5) };
    let sequence = u16::try_from(seq * 10 + gender_digit).expect("under 1000");
    let id = ResidentId::build(region, birth, sequence).unwrap_or_else(|e| panic!("region {region}: {e}"));
    id.as_str().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Gender;

    #[test]
    fn resident_ids_carry_the_birth_date_and_gender_they_were_made_with() {
        let id = resident_id("110101", "19900307", 12, true);
        let parsed = ResidentId::parse(&id).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(parsed.birth_date().to_string(), "1990-03-07");
        assert_eq!(parsed.gender(), Gender::Male, "{id}");
        let id = resident_id("110101", "19900307", 12, false);
        assert_eq!(ResidentId::parse(&id).map(|p| p.gender()), Ok(Gender::Female), "{id}");
    }
}
