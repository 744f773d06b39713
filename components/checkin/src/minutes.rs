//! Service minutes, computed by the server and never taken from the client: the attended span
//! clipped to the schedule, capped at the scheduled duration, then rounded by the deployment's
//! `hours.rounding` rule. Pure; no I/O.

/// The deployment's rounding rule (`hours.rounding`): kept with the other settings' checks in
/// `kit::settings::registry`, so the settings API and this reader accept the same values.
pub use kit::settings::Rounding;

/// Minutes of service for one attendance: from check-in (or the start, if earlier) to check-out
/// (or the end, if later), in whole minutes, capped at the scheduled duration, then rounded by
/// `rounding` — and capped again, so rounding up never credits more than was scheduled (a
/// 50-minute activity is never worth an hour).
pub fn attended(checked_in_at: i64, checked_out_at: i64, starts_at: i64, ends_at: i64, rounding: &Rounding) -> i64 {
    let scheduled = scheduled(starts_at, ends_at);
    let from = checked_in_at.max(starts_at);
    let to = checked_out_at.min(ends_at);
    let raw = ((to - from).max(0) / 60).min(scheduled);
    rounding.apply(raw).min(scheduled)
}

/// The scheduled duration in whole minutes.
pub fn scheduled(starts_at: i64, ends_at: i64) -> i64 {
    ((ends_at - starts_at) / 60).max(0)
}

/// Minutes as hours for people: at most two decimals, trailing zeros dropped (`90` → `1.5`).
pub fn hours_text(minutes: i64) -> String {
    let hundredths = (minutes * 100 + 30) / 60; // rounded half up
    let (whole, frac) = (hundredths / 100, hundredths % 100);
    match frac {
        0 => whole.to_string(),
        f if f % 10 == 0 => format!("{whole}.{}", f / 10),
        f => format!("{whole}.{f:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600;
    const M: i64 = 60;

    #[test]
    fn the_default_rule_rounds_the_part_past_the_hour() {
        let r = Rounding::default();
        for (input, expected) in
            [(0, 0), (15, 0), (16, 30), (45, 30), (46, 60), (59, 60), (60, 60), (75, 60), (76, 90), (106, 120)]
        {
            assert_eq!(r.apply(input), expected, "{input}");
        }
    }

    #[test]
    fn the_setting_is_parsed_and_validated() {
        assert_eq!(Rounding::parse("[[15,0],[45,30],[60,60]]").unwrap(), Rounding::default());
        let quarter = Rounding::parse("[[7,0],[22,15],[37,30],[52,45],[59,60]]").unwrap();
        assert_eq!(quarter.apply(8), 15);
        assert_eq!(quarter.apply(53), 60);
        // Exact minutes: every remainder maps to itself.
        let exact: Vec<String> = (0..60).map(|m| format!("[{m},{m}]")).collect();
        let exact = Rounding::parse(&format!("[{}]", exact.join(","))).unwrap();
        assert_eq!(exact.apply(97), 97);
        for bad in [
            "",
            "{}",
            "[]",
            "[[15,0]]",
            "[[45,30],[15,0],[60,60]]",
            "[[15,0],[15,30],[60,60]]",
            "[[15,0],[60,61]]",
            "[[15],[60,60]]",
            "[[1.5,0],[60,60]]",
            "[[-1,0],[60,60]]",
        ] {
            assert!(Rounding::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn minutes_count_only_the_scheduled_span() {
        let r = Rounding::default();
        let (start, end) = (100 * H, 102 * H);
        // On time to on time: the full two hours.
        assert_eq!(attended(start, end, start, end, &r), 120);
        // Early arrival and late departure count from the start to the end only.
        assert_eq!(attended(start - 30 * M, end + 90 * M, start, end, &r), 120);
        // 1 h 20 min → 1 h 30 min; 1 h 10 min → 1 h; 1 h 50 min → 2 h.
        assert_eq!(attended(start, start + 80 * M, start, end, &r), 90);
        assert_eq!(attended(start + 50 * M, end, start, end, &r), 60);
        assert_eq!(attended(start + 10 * M, end, start, end, &r), 120);
        // Seconds never round up to a minute.
        assert_eq!(attended(start, start + 15 * M + 59, start, end, &r), 0);
        assert_eq!(attended(start, start + 16 * M, start, end, &r), 30);
        // Check-out before check-in (a clock moved back) is zero, never negative.
        assert_eq!(attended(start + H, start, start, end, &r), 0);
        // Entirely after the end: nothing.
        assert_eq!(attended(end + H, end + 2 * H, start, end, &r), 0);
    }

    #[test]
    fn rounding_never_exceeds_the_schedule() {
        let r = Rounding::default();
        let (start, end) = (0, 50 * M);
        assert_eq!(attended(start, end, start, end, &r), 50);
        assert_eq!(scheduled(start, end), 50);
    }

    #[test]
    fn hours_are_shown_with_at_most_two_decimals() {
        assert_eq!(hours_text(0), "0");
        assert_eq!(hours_text(60), "1");
        assert_eq!(hours_text(90), "1.5");
        assert_eq!(hours_text(50), "0.83");
        assert_eq!(hours_text(45), "0.75");
        assert_eq!(hours_text(606), "10.1");
    }
}
