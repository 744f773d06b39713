//! Characters a person cannot see but a screen obeys: the Unicode format characters (general
//! category Cf) and the line and paragraph separators. In a name they spoof: U+202E turns
//! `张三\u{202E}gnp.exe` into what reads as `张三exe.png`, a zero-width space makes `东街站` and
//! `东\u{200B}街站` two different stations that look the same in every list, and a name of
//! only soft hyphens passes a "not blank" check. A one-line text (kit's `Fields::line`, a
//! survey's titles and short answers) refuses every one of them ([`is_invisible_in_line`]); a
//! free text refuses the bidi controls that reorder what follows ([`is_bidi_control`]) and keeps
//! the rest, which prose may need (zero-width joiners inside emoji, marks in mixed-direction
//! prose).
//!
//! What is deliberately *not* refused: private-use characters (U+E000–U+F8FF and the planes
//! 15–16), because some household registers still carry a rare character of a person's name
//! (生僻字) at a private-use code point, and refusing it would refuse that person; variation
//! selectors (they only choose a glyph, such as an emoji's colour form).

use std::ops::RangeInclusive;

/// Every format character (Cf) of Unicode 15.1, as ranges. The standard's own list
/// (`DerivedGeneralCategory.txt`, `; Cf`), not a guess at the dangerous few: a new spoofing trick
/// with an old Cf character is refused already.
const FORMAT: [RangeInclusive<u32>; 21] = [
    0x00AD..=0x00AD,   // soft hyphen: invisible unless a line breaks there
    0x0600..=0x0605,   // Arabic number signs
    0x061C..=0x061C,   // Arabic letter mark (bidi)
    0x06DD..=0x06DD,   // Arabic end of ayah
    0x070F..=0x070F,   // Syriac abbreviation mark
    0x0890..=0x0891,   // Arabic pound and piastre marks above
    0x08E2..=0x08E2,   // Arabic disputed end of ayah
    0x180E..=0x180E,   // Mongolian vowel separator
    0x200B..=0x200F,   // zero-width space, non-joiner, joiner; left-to-right and right-to-left marks
    0x202A..=0x202E,   // bidi embeddings and overrides
    0x2060..=0x2064,   // word joiner; invisible function application, times, separator, plus
    0x2066..=0x206F,   // bidi isolates; deprecated shaping and digit controls
    0xFEFF..=0xFEFF,   // zero-width no-break space (byte order mark)
    0xFFF9..=0xFFFB,   // interlinear annotation controls
    0x110BD..=0x110BD, // Kaithi number sign
    0x110CD..=0x110CD, // Kaithi number sign above
    0x13430..=0x1343F, // Egyptian hieroglyph format controls
    0x1BCA0..=0x1BCA3, // shorthand format controls
    0x1D173..=0x1D17A, // musical symbol format controls
    0xE0001..=0xE0001, // language tag
    0xE0020..=0xE007F, // tag characters: invisible ASCII ("ASCII smuggling")
];

/// Whether `c` is a Unicode format character (Cf).
pub fn is_format(c: char) -> bool {
    let c = u32::from(c);
    FORMAT.iter().any(|range| range.contains(&c))
}

/// Whether `c` may not appear in a one-line text: a format character, or a line or paragraph
/// separator (U+2028, U+2029), which breaks the line in a browser as `\n` would.
pub fn is_invisible_in_line(c: char) -> bool {
    is_format(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Whether `c` is a bidi control that reorders the text after it: embeddings, overrides
/// (U+202A–U+202E) and isolates (U+2066–U+2069), the characters of "Trojan Source".
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Why `s` may not be a one-line text (a name, a title), naming the first character at fault;
/// `None` when it holds no invisible character.
pub fn line_problem(s: &str) -> Option<String> {
    let c = s.chars().find(|c| is_invisible_in_line(*c))?;
    Some(format!("must not contain invisible formatting characters (found U+{:04X})", u32::from(c)))
}

/// Why `s` may not be a free text, naming the first bidi control; `None` when it holds none.
pub fn text_problem(s: &str) -> Option<String> {
    let c = s.chars().find(|c| is_bidi_control(*c))?;
    Some(format!(
        "must not contain bidi control characters (found U+{:04X}, which reorders the text after it)",
        u32::from(c)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spoofing_characters_the_issue_names_are_format_characters() {
        let named = [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
            '\u{200E}', '\u{200F}', '\u{061C}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}',
        ];
        for c in named {
            assert!(is_format(c), "U+{:04X}", u32::from(c));
            assert!(is_invisible_in_line(c), "U+{:04X}", u32::from(c));
        }
        for c in ['\u{00AD}', '\u{E0041}', '\u{E0001}', '\u{2064}', '\u{FFF9}', '\u{2028}', '\u{2029}'] {
            assert!(is_invisible_in_line(c), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn names_in_any_script_a_county_serves_are_not_format_characters() {
        // Chinese (with the middle dot of transliterated names), Uyghur, Tibetan, Mongolian
        // letters, Latin with accents, an emoji with its variation selector, a private-use
        // rare character.
        for name in ["张三", "阿卜杜拉·买买提", "ئابدۇللا", "བཀྲ་ཤིས", "ᠪᠠᠲᠤ", "José", "❤\u{FE0F}", "\u{E000}"]
        {
            assert!(!name.chars().any(is_invisible_in_line), "{name}");
        }
    }

    #[test]
    fn only_the_reordering_controls_are_bidi_controls() {
        for c in ['\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}'] {
            assert!(is_bidi_control(c), "U+{:04X}", u32::from(c));
        }
        for c in ['\u{200E}', '\u{200F}', '\u{200D}', '\u{2065}', 'a', '\n'] {
            assert!(!is_bidi_control(c), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn problems_name_the_first_character_at_fault() {
        assert_eq!(line_problem("张三"), None);
        assert!(line_problem("a\u{200B}b\u{202E}").is_some_and(|m| m.contains("U+200B")));
        assert_eq!(text_problem("a\u{200B}b"), None, "zero-width characters are free text's business");
        assert!(text_problem("a\u{2067}b").is_some_and(|m| m.contains("U+2067")));
    }

    #[test]
    fn the_ranges_are_sorted_and_apart() {
        for pair in FORMAT.windows(2) {
            assert!(pair[0].end() < pair[1].start(), "{:X?}", pair);
        }
    }
}
