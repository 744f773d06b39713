//! The arithmetic, pure: no database, no identity. Everything a number in an answer comes from
//! is here, so it can be read and tested apart from the SQL that gathers the inputs.
//!
//! - [`rating_points`], [`RatingTally`]: satisfaction levels → points, rates and averages.
//! - [`Period`]: `2026-11` / `2026-Q4` / `2026` → a `[start, end)` range of unix seconds in +08:00.
//! - [`Item`], [`Group`], [`parse_items`], [`parse_groups`], [`work_total_centi`]: schemes.
//! - [`grade_points`], [`thematic_result`]: thematic grading.
//! - [`IndexSettings`], [`IndexInputs`], [`index`], [`ranking_order`]: the index and rankings.

use serde_json::{json, Map, Value};

/// The four satisfaction levels of 群众评单, best first.
pub const LEVELS: [&str; 4] = ["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied"];

/// Points of a satisfaction level: 非常满意 100, 满意 80, 基本满意 60, 不满意 0.
pub fn rating_points(level: &str) -> Option<i64> {
    match level {
        "very_satisfied" => Some(100),
        "satisfied" => Some(80),
        "basically_satisfied" => Some(60),
        "dissatisfied" => Some(0),
        _ => None,
    }
}

/// The three grades of a thematic evaluation.
pub const GRADES: [&str; 3] = ["satisfied", "basically_satisfied", "dissatisfied"];

/// Points of a thematic grade: 满意 100, 基本满意 60, 不满意 0.
pub fn grade_points(grade: &str) -> Option<i64> {
    match grade {
        "satisfied" => Some(100),
        "basically_satisfied" => Some(60),
        "dissatisfied" => Some(0),
        _ => None,
    }
}

/// Rounds to two decimals (half away from zero).
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Rounds to four decimals, for shares.
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Ratings counted per level, with the project scores' sums.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RatingTally {
    /// Count per level, in [`LEVELS`] order.
    pub counts: [i64; 4],
    /// Σ recognition (认可度) and Σ participation (参与度) over `scored` project ratings.
    pub recognition_sum: i64,
    pub participation_sum: i64,
    pub scored: i64,
}

impl RatingTally {
    /// Adds `n` ratings at `level`.
    pub fn add(&mut self, level: &str, n: i64) {
        if let Some(i) = LEVELS.iter().position(|l| *l == level) {
            self.counts[i] += n;
        }
    }

    /// Every rating counted.
    pub fn n(&self) -> i64 {
        self.counts.iter().sum()
    }

    /// very_satisfied + satisfied.
    pub fn good(&self) -> i64 {
        self.counts[0] + self.counts[1]
    }

    /// `(very_satisfied + satisfied) / n`, four decimals; `None` without ratings.
    pub fn satisfaction_rate(&self) -> Option<f64> {
        (self.n() > 0).then(|| round4(self.good() as f64 / self.n() as f64))
    }

    /// The average of [`rating_points`], two decimals; `None` without ratings.
    pub fn score(&self) -> Option<f64> {
        let n = self.n();
        let points: i64 = self.counts.iter().zip([100, 80, 60, 0]).map(|(c, p)| c * p).sum();
        (n > 0).then(|| round2(points as f64 / n as f64))
    }

    /// The JSON every aggregate answer carries.
    pub fn json(&self) -> Value {
        let avg = |sum: i64| (self.scored > 0).then(|| round2(sum as f64 / self.scored as f64));
        let counts: Map<String, Value> =
            LEVELS.iter().zip(self.counts).map(|(l, c)| (l.to_string(), json!(c))).collect();
        json!({
            "n": self.n(),
            "counts": counts,
            "satisfaction_rate": self.satisfaction_rate(),
            "score": self.score(),
            "recognition_average": avg(self.recognition_sum),
            "participation_average": avg(self.participation_sum),
        })
    }
}

/// A period and its `[start, end)` range in unix seconds, read in +08:00.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// The canonical text: `2026-11`, `2026-Q4` or `2026`.
    pub label: String,
    pub start: i64,
    pub end: i64,
}

impl Period {
    /// Parses `YYYY-MM` (a month), `YYYY-Qn` (a quarter) or `YYYY` (a year), years 2000–2999
    /// (`domain::Period`), and fixes its range.
    pub fn parse(s: &str) -> Option<Period> {
        let p = domain::Period::parse(s)?;
        Some(Period { label: p.label(), start: p.start(), end: p.end() })
    }

    /// `{"period", "from", "to"}` (`to` exclusive).
    pub fn json(&self) -> Value {
        json!({ "period": self.label, "from": kit::time::rfc3339(self.start), "to": kit::time::rfc3339(self.end) })
    }
}

/// One item of a work scheme.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub key: String,
    pub title: String,
    /// Share of the total, a whole number; a scheme's weights sum to 100.
    pub weight: i64,
    /// The most points the item can be given (1–1000).
    pub max_points: i64,
    pub evidence_required: bool,
}

/// One rater group of a thematic scheme.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub key: String,
    pub title: String,
    pub weight: i64,
}

/// `(field, message)` problems, every one found.
pub type Problems = Vec<(String, String)>;

fn is_key(s: &str) -> bool {
    !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Reads the common `key`, `title`, `weight` of an item or group; notes problems under `at`.
fn keyed(v: &Value, at: &str, seen: &mut Vec<String>, pr: &mut Problems) -> Option<(String, String, i64)> {
    let Some(o) = v.as_object() else {
        pr.push((at.to_string(), "must be an object".into()));
        return None;
    };
    let key = o.get("key").and_then(Value::as_str).filter(|k| is_key(k));
    match key {
        None => pr.push((format!("{at}.key"), "must be 1-40 characters of A-Z a-z 0-9 _ -".into())),
        Some(k) if seen.iter().any(|s| s == k) => pr.push((format!("{at}.key"), "is used twice".into())),
        Some(k) => seen.push(k.to_string()),
    }
    let title =
        o.get("title").and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty() && t.chars().count() <= 200);
    if title.is_none() {
        pr.push((format!("{at}.title"), "must be 1-200 characters".into()));
    }
    let weight = o.get("weight").and_then(Value::as_i64).filter(|w| (1..=100).contains(w));
    if weight.is_none() {
        pr.push((format!("{at}.weight"), "must be a whole number from 1 to 100".into()));
    }
    Some((key?.to_string(), title?.to_string(), weight?))
}

fn check_sum(field: &str, weights: impl Iterator<Item = i64>, pr: &mut Problems) {
    let sum: i64 = weights.sum();
    if sum != 100 {
        pr.push((field.to_string(), format!("the weights must sum to 100, not {sum}")));
    }
}

/// A work scheme's `items`: 1–50 items with unique keys, weights summing to 100.
pub fn parse_items(v: &Value) -> Result<Vec<Item>, Problems> {
    let mut pr = Problems::new();
    let Some(list) = v.as_array().filter(|l| (1..=50).contains(&l.len())) else {
        return Err(vec![("items".into(), "must be a list of 1 to 50 items".into())]);
    };
    let mut seen = Vec::new();
    let mut items = Vec::new();
    for (i, raw) in list.iter().enumerate() {
        let at = format!("items[{i}]");
        let common = keyed(raw, &at, &mut seen, &mut pr);
        let max_points = raw.get("max_points").and_then(Value::as_i64).filter(|m| (1..=1000).contains(m));
        if max_points.is_none() {
            pr.push((format!("{at}.max_points"), "must be a whole number from 1 to 1000".into()));
        }
        let evidence_required = match raw.get("evidence_required") {
            None | Some(Value::Null) => Some(false),
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                pr.push((format!("{at}.evidence_required"), "must be true or false".into()));
                None
            }
        };
        if let Some(o) = raw.as_object() {
            if let Some(k) =
                o.keys().find(|k| !["key", "title", "weight", "max_points", "evidence_required"].contains(&k.as_str()))
            {
                pr.push((format!("{at}.{k}"), "unknown field".into()));
            }
        }
        if let (Some((key, title, weight)), Some(max_points), Some(evidence_required)) =
            (common, max_points, evidence_required)
        {
            items.push(Item { key, title, weight, max_points, evidence_required });
        }
    }
    if pr.is_empty() {
        check_sum("items", items.iter().map(|i| i.weight), &mut pr);
    }
    if pr.is_empty() {
        Ok(items)
    } else {
        Err(pr)
    }
}

/// A thematic scheme's `groups`: 1–10 groups with unique keys, weights summing to 100.
pub fn parse_groups(v: &Value) -> Result<Vec<Group>, Problems> {
    let mut pr = Problems::new();
    let Some(list) = v.as_array().filter(|l| (1..=10).contains(&l.len())) else {
        return Err(vec![("groups".into(), "must be a list of 1 to 10 rater groups".into())]);
    };
    let mut seen = Vec::new();
    let mut groups = Vec::new();
    for (i, raw) in list.iter().enumerate() {
        let at = format!("groups[{i}]");
        if let Some(o) = raw.as_object() {
            if let Some(k) = o.keys().find(|k| !["key", "title", "weight"].contains(&k.as_str())) {
                pr.push((format!("{at}.{k}"), "unknown field".into()));
            }
        }
        if let Some((key, title, weight)) = keyed(raw, &at, &mut seen, &mut pr) {
            groups.push(Group { key, title, weight });
        }
    }
    if pr.is_empty() {
        check_sum("groups", groups.iter().map(|g| g.weight), &mut pr);
    }
    if pr.is_empty() {
        Ok(groups)
    } else {
        Err(pr)
    }
}

/// Items → JSON (as stored and shown).
pub fn items_json(items: &[Item]) -> Value {
    items
        .iter()
        .map(|i| json!({"key": i.key, "title": i.title, "weight": i.weight, "max_points": i.max_points, "evidence_required": i.evidence_required}))
        .collect()
}

/// Groups → JSON.
pub fn groups_json(groups: &[Group]) -> Value {
    groups.iter().map(|g| json!({"key": g.key, "title": g.title, "weight": g.weight})).collect()
}

/// A score given as a JSON number → hundredths of a point, if it has at most two decimals and
/// lies in `0..=max_points`.
pub fn score_centi(v: &Value, max_points: i64) -> Option<i64> {
    let x = v.as_f64()?;
    let centi = (x * 100.0).round();
    if (x * 100.0 - centi).abs() > 1e-6 || centi < 0.0 || centi > (max_points * 100) as f64 {
        return None;
    }
    Some(centi as i64)
}

/// The total of a work evaluation in hundredths: Σ score/max × weight over the items (scores in
/// hundredths, in item order), rounded to two decimals. 100 points is a perfect score.
pub fn work_total_centi(items: &[Item], scores_centi: &[i64]) -> i64 {
    let total: f64 =
        items.iter().zip(scores_centi).map(|(i, s)| *s as f64 / (i.max_points * 100) as f64 * i.weight as f64).sum();
    (total * 100.0).round() as i64
}

/// Hundredths → a JSON number with two decimals.
pub fn centi(x: i64) -> f64 {
    x as f64 / 100.0
}

/// One group's grades: counts per grade (in [`GRADES`] order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GradeTally {
    pub counts: [i64; 3],
}

impl GradeTally {
    pub fn add(&mut self, grade: &str, n: i64) {
        if let Some(i) = GRADES.iter().position(|g| *g == grade) {
            self.counts[i] += n;
        }
    }
    pub fn n(&self) -> i64 {
        self.counts.iter().sum()
    }
    /// Average of [`grade_points`]; `None` without grades.
    pub fn average(&self) -> Option<f64> {
        let n = self.n();
        (n > 0).then(|| (self.counts[0] * 100 + self.counts[1] * 60) as f64 / n as f64)
    }
}

/// A thematic result: `Σ weight × group average / Σ weight` over the groups that graded (a group
/// without grades is shown with a null average and left out, the other weights renormalised),
/// two decimals; `None` when nobody graded. Also the per-group JSON.
pub fn thematic_result(groups: &[Group], tallies: &[GradeTally]) -> (Option<f64>, Value) {
    let mut weighted = 0.0;
    let mut weights = 0;
    let mut out = Vec::new();
    for (g, t) in groups.iter().zip(tallies) {
        let avg = t.average();
        if let Some(a) = avg {
            weighted += a * g.weight as f64;
            weights += g.weight;
        }
        let counts: Map<String, Value> = GRADES.iter().zip(t.counts).map(|(k, c)| (k.to_string(), json!(c))).collect();
        out.push(json!({"key": g.key, "title": g.title, "weight": g.weight, "n": t.n(), "counts": counts,
                        "average": avg.map(round2), "counted": avg.is_some()}));
    }
    let result = (weights > 0).then(|| round2(weighted / weights as f64));
    (result, Value::Array(out))
}

/// The index's indicators, in display order (venue use is listed apart: not available).
pub const INDICATORS: [&str; 5] = ["participation", "team_activity", "satisfaction", "response_hours", "completion"];

/// Org levels a participation target is set for.
pub const TARGET_LEVELS: [&str; 4] = ["centre", "institute", "station", "point"];

/// Weights and targets of the index (`deployment_settings` key `evaluation.index`).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexSettings {
    /// Per indicator, in [`INDICATORS`] order; whole numbers summing to 100.
    pub weights: [i64; 5],
    /// Attendances per period that score 100, per org level ([`TARGET_LEVELS`] order).
    pub participation: [i64; 4],
    /// Shares (0–1] that score 100.
    pub team_activity: f64,
    pub satisfaction: f64,
    /// Average hours to acceptance at or under which response scores 100 (lower is better).
    pub response_hours: f64,
    pub completion: f64,
}

impl IndexSettings {
    /// Parses and checks the settings JSON; every problem is reported (`weights.x`, `targets.y`).
    pub fn parse(v: &Value) -> Result<IndexSettings, Problems> {
        let mut pr = Problems::new();
        let Some(o) = v.as_object() else {
            return Err(vec![("body".into(), "must be an object with weights and targets".into())]);
        };
        if let Some(k) = o.keys().find(|k| *k != "weights" && *k != "targets") {
            pr.push((k.clone(), "unknown field; expected weights, targets".into()));
        }
        let w = o.get("weights").and_then(Value::as_object);
        let t = o.get("targets").and_then(Value::as_object);
        if w.is_none() {
            pr.push(("weights".into(), "is required: an object of indicator → weight".into()));
        }
        if t.is_none() {
            pr.push(("targets".into(), "is required: an object of indicator → target".into()));
        }
        let mut weights = [0i64; 5];
        if let Some(w) = w {
            if let Some(k) = w.keys().find(|k| !INDICATORS.contains(&k.as_str())) {
                pr.push((format!("weights.{k}"), format!("unknown indicator; expected {}", INDICATORS.join(", "))));
            }
            for (i, key) in INDICATORS.iter().enumerate() {
                match w.get(*key).and_then(Value::as_i64).filter(|x| (0..=100).contains(x)) {
                    Some(x) => weights[i] = x,
                    None => pr.push((format!("weights.{key}"), "must be a whole number from 0 to 100".into())),
                }
            }
            let sum: i64 = weights.iter().sum();
            if pr.iter().all(|(f, _)| !f.starts_with("weights")) && sum != 100 {
                pr.push(("weights".into(), format!("the weights must sum to 100, not {sum}")));
            }
        }
        let mut participation = [0i64; 4];
        let mut shares = [0.0f64; 4];
        if let Some(t) = t {
            if let Some(k) = t.keys().find(|k| !INDICATORS.contains(&k.as_str())) {
                pr.push((format!("targets.{k}"), format!("unknown indicator; expected {}", INDICATORS.join(", "))));
            }
            match t.get("participation").and_then(Value::as_object) {
                None => {
                    pr.push(("targets.participation".into(), "must be an object of org level → attendances".into()))
                }
                Some(p) => {
                    if let Some(k) = p.keys().find(|k| !TARGET_LEVELS.contains(&k.as_str())) {
                        pr.push((format!("targets.participation.{k}"), "unknown level".into()));
                    }
                    for (i, level) in TARGET_LEVELS.iter().enumerate() {
                        match p.get(*level).and_then(Value::as_i64).filter(|x| (1..=1_000_000).contains(x)) {
                            Some(x) => participation[i] = x,
                            None => pr.push((
                                format!("targets.participation.{level}"),
                                "must be a whole number from 1 to 1000000".into(),
                            )),
                        }
                    }
                }
            }
            for (i, (key, lo, hi, what)) in [
                ("team_activity", 0.0, 1.0, "a share above 0 and at most 1"),
                ("satisfaction", 0.0, 1.0, "a share above 0 and at most 1"),
                ("response_hours", 0.0, 720.0, "hours above 0 and at most 720"),
                ("completion", 0.0, 1.0, "a share above 0 and at most 1"),
            ]
            .into_iter()
            .enumerate()
            {
                match t.get(key).and_then(Value::as_f64).filter(|x| *x > lo && *x <= hi) {
                    Some(x) => shares[i] = x,
                    None => pr.push((format!("targets.{key}"), format!("must be {what}"))),
                }
            }
        }
        if !pr.is_empty() {
            return Err(pr);
        }
        Ok(IndexSettings {
            weights,
            participation,
            team_activity: shares[0],
            satisfaction: shares[1],
            response_hours: shares[2],
            completion: shares[3],
        })
    }

    /// The settings as stored and shown.
    pub fn json(&self) -> Value {
        let weights: Map<String, Value> =
            INDICATORS.iter().zip(self.weights).map(|(k, w)| (k.to_string(), json!(w))).collect();
        let participation: Map<String, Value> =
            TARGET_LEVELS.iter().zip(self.participation).map(|(k, t)| (k.to_string(), json!(t))).collect();
        json!({"weights": weights, "targets": {"participation": participation, "team_activity": self.team_activity,
               "satisfaction": self.satisfaction, "response_hours": self.response_hours, "completion": self.completion}})
    }

    /// The participation target for an org at `level`.
    pub fn participation_target(&self, level: &str) -> i64 {
        TARGET_LEVELS.iter().position(|l| *l == level).map_or(self.participation[2], |i| self.participation[i])
    }
}

/// What the index is computed from, for one org's subtree and one period (gathered by SQL).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndexInputs {
    /// Attendances at approved activities starting in the period.
    pub attendances: i64,
    /// Active teams in the subtree, and those with ≥1 such activity or an order completed in the period.
    pub teams: i64,
    pub active_teams: i64,
    /// Orders completed in the period that were rated, and those rated very_satisfied/satisfied.
    pub orders_rated: i64,
    pub orders_good: i64,
    /// Activity and project ratings made in the period, and the very_satisfied/satisfied ones.
    pub ratings: i64,
    pub ratings_good: i64,
    /// Orders created in the period and accepted (by a team), and Σ seconds from creation to acceptance.
    pub accepted: i64,
    pub response_seconds: i64,
    /// Orders created in the period, cancelled ones excluded, and those completed or closed.
    pub orders: i64,
    pub orders_done: i64,
}

/// Higher is better: `min(100, value / target × 100)`.
pub fn score_higher(value: f64, target: f64) -> f64 {
    round2((value / target * 100.0).clamp(0.0, 100.0))
}

/// Lower is better: 100 at or under the target, else `100 × target / value`.
pub fn score_lower(value: f64, target: f64) -> f64 {
    if value <= target {
        100.0
    } else {
        round2(100.0 * target / value)
    }
}

/// One org's index: `{"index", "no_data", "indicators": [...]}`. Each indicator shows its raw
/// inputs, value, target, score (0–100) and weight; one without inputs scores 0 and says
/// `no_data`. Index = Σ weight × score / Σ weight over the available indicators, two decimals.
pub fn index(settings: &IndexSettings, level: &str, i: &IndexInputs) -> (f64, Value) {
    let ratio = |a: i64, b: i64| (b > 0).then(|| a as f64 / b as f64);
    let mut rows = Vec::new();
    let mut weighted = 0.0;
    let mut weights = 0;
    let mut all_empty = true;
    for (k, key) in INDICATORS.iter().enumerate() {
        let (title, value, shown, target, score, inputs): (&str, Option<f64>, Option<f64>, Value, f64, Value) =
            match *key {
                "participation" => {
                    let t = settings.participation_target(level);
                    let v = i.attendances as f64;
                    let no = i.attendances == 0;
                    (
                        "活动参与 attendances",
                        (!no).then_some(v),
                        Some(v),
                        json!(t),
                        score_higher(v, t as f64),
                        json!({"attendances": i.attendances}),
                    )
                }
                "team_activity" => {
                    let v = ratio(i.active_teams, i.teams);
                    let s = v.map_or(0.0, |v| score_higher(v, settings.team_activity));
                    (
                        "队伍活跃度 active teams",
                        v,
                        v.map(round4),
                        json!(settings.team_activity),
                        s,
                        json!({"teams": i.teams, "active_teams": i.active_teams}),
                    )
                }
                "satisfaction" => {
                    let v = ratio(i.orders_good + i.ratings_good, i.orders_rated + i.ratings);
                    let s = v.map_or(0.0, |v| score_higher(v, settings.satisfaction));
                    (
                        "群众满意度 satisfaction",
                        v,
                        v.map(round4),
                        json!(settings.satisfaction),
                        s,
                        json!({"orders_rated": i.orders_rated, "orders_good": i.orders_good, "ratings": i.ratings, "ratings_good": i.ratings_good}),
                    )
                }
                "response_hours" => {
                    let v = (i.accepted > 0).then(|| i.response_seconds as f64 / i.accepted as f64 / 3600.0);
                    let s = v.map_or(0.0, |v| score_lower(v, settings.response_hours));
                    (
                        "需求响应 hours to acceptance",
                        v,
                        v.map(round2),
                        json!(settings.response_hours),
                        s,
                        json!({"accepted_orders": i.accepted, "response_seconds": i.response_seconds}),
                    )
                }
                _ => {
                    let v = ratio(i.orders_done, i.orders);
                    let s = v.map_or(0.0, |v| score_higher(v, settings.completion));
                    (
                        "办结率 completion",
                        v,
                        v.map(round4),
                        json!(settings.completion),
                        s,
                        json!({"orders": i.orders, "orders_done": i.orders_done}),
                    )
                }
            };
        let no_data = value.is_none();
        all_empty &= no_data;
        let w = settings.weights[k];
        weighted += score * w as f64;
        weights += w;
        rows.push(json!({"key": key, "title": title, "available": true, "inputs": inputs, "value": shown,
                         "target": target, "lower_is_better": *key == "response_hours", "score": score,
                         "weight": w, "no_data": no_data}));
    }
    rows.push(json!({"key": "venue_use", "title": "阵地使用 venue use", "available": false,
                     "note": "not available: the platform holds no venue data; left out of the weights"}));
    let idx = if weights > 0 { round2(weighted / weights as f64) } else { 0.0 };
    (idx, json!({"index": idx, "no_data": all_empty, "indicators": rows}))
}

/// Ranking order: index descending, then org id ascending (a deterministic tie-break).
pub fn ranking_order(entries: &mut [(i64, f64)]) {
    entries.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_domain_periods_in_unix_seconds() {
        // The calendar itself is `domain::period`'s (tested there); this adapter only carries
        // its bounds and refuses what it refuses.
        let q = Period::parse("2026-Q4").unwrap();
        assert_eq!(kit::time::rfc3339(q.start), "2026-10-01T00:00:00+08:00");
        assert_eq!(kit::time::rfc3339(q.end), "2027-01-01T00:00:00+08:00");
        assert_eq!(Period::parse("2026-12").unwrap().end, Period::parse("2027-01").unwrap().start);
        assert_eq!(Period::parse("2026-13"), None);
    }

    fn item(key: &str, weight: i64, max: i64) -> Value {
        json!({"key": key, "title": key, "weight": weight, "max_points": max})
    }

    #[test]
    fn scheme_totals_are_computed_from_scores_maxima_and_weights() {
        let items = parse_items(&json!([item("a", 30, 10), item("b", 50, 20), item("c", 20, 5)])).unwrap();
        // 8/10×30 + 15/20×50 + 5/5×20 = 24 + 37.5 + 20 = 81.5
        assert_eq!(work_total_centi(&items, &[800, 1500, 500]), 8150);
        // 2.5/10×30 + 0 + 1/5×20 = 7.5 + 4 = 11.5
        assert_eq!(work_total_centi(&items, &[250, 0, 100]), 1150);
        // 1/3 of 30 = 10 exactly; 7/20×50 = 17.5; 1/5×20 = 4 → 31.5
        let thirds = parse_items(&json!([item("a", 30, 3), item("b", 50, 20), item("c", 20, 5)])).unwrap();
        assert_eq!(work_total_centi(&thirds, &[100, 700, 100]), 3150);
        assert_eq!(work_total_centi(&items, &[1000, 2000, 500]), 10000);
    }

    #[test]
    fn schemes_are_refused_with_every_problem() {
        let e = parse_items(
            &json!([item("a", 30, 10), item("a", 60, 0), {"key": "b c", "title": "", "weight": 0, "max_points": 5}]),
        )
        .unwrap_err();
        let fields: Vec<&str> = e.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            ["items[1].key", "items[1].max_points", "items[2].key", "items[2].title", "items[2].weight"]
        );
        let e = parse_items(&json!([item("a", 30, 10), item("b", 60, 10)])).unwrap_err();
        assert_eq!(e, vec![("items".to_string(), "the weights must sum to 100, not 90".to_string())]);
        assert!(parse_items(&json!([])).is_err());
        let e = parse_groups(&json!([{"key": "citizen", "title": "群众", "weight": 100, "x": 1}])).unwrap_err();
        assert_eq!(e[0].0, "groups[0].x");
    }

    #[test]
    fn scores_have_at_most_two_decimals_within_the_maximum() {
        assert_eq!(score_centi(&json!(7.5), 10), Some(750));
        assert_eq!(score_centi(&json!(10), 10), Some(1000));
        assert_eq!(score_centi(&json!(0.25), 10), Some(25));
        for bad in [json!(10.01), json!(-1), json!(0.125), json!("5"), json!(null)] {
            assert_eq!(score_centi(&bad, 10), None, "{bad}");
        }
    }

    #[test]
    fn ratings_tally_into_rates_and_scores() {
        let mut t = RatingTally::default();
        t.add("very_satisfied", 2);
        t.add("satisfied", 1);
        t.add("basically_satisfied", 1);
        t.add("dissatisfied", 1);
        // (2+1)/5 = 0.6; (200+80+60+0)/5 = 68
        assert_eq!(t.satisfaction_rate(), Some(0.6));
        assert_eq!(t.score(), Some(68.0));
        assert_eq!(RatingTally::default().score(), None);
        assert_eq!(rating_points("satisfied"), Some(80));
    }

    #[test]
    fn thematic_results_weigh_group_averages() {
        let groups = parse_groups(&json!([{"key": "party_rep", "title": "党代表", "weight": 40},
                                         {"key": "npc_deputy", "title": "人大代表", "weight": 30},
                                         {"key": "citizen", "title": "群众", "weight": 30}]))
        .unwrap();
        let mut a = GradeTally::default();
        a.add("satisfied", 1);
        a.add("basically_satisfied", 1); // (100+60)/2 = 80
        let mut b = GradeTally::default();
        b.add("dissatisfied", 1); // 0
        let mut c = GradeTally::default();
        c.add("satisfied", 3); // 100
                               // 0.4×80 + 0.3×0 + 0.3×100 = 62
        assert_eq!(thematic_result(&groups, &[a.clone(), b, c.clone()]).0, Some(62.0));
        // npc_deputy silent: (40×80 + 30×100) / 70 = 88.571… → 88.57
        assert_eq!(thematic_result(&groups, &[a, GradeTally::default(), c]).0, Some(88.57));
        assert_eq!(
            thematic_result(&groups, &[GradeTally::default(), GradeTally::default(), GradeTally::default()]).0,
            None
        );
    }

    #[test]
    fn indicator_scores_are_capped_and_response_time_is_lower_is_better() {
        assert_eq!(score_higher(25.0, 50.0), 50.0);
        assert_eq!(score_higher(80.0, 50.0), 100.0);
        assert_eq!(score_lower(12.0, 24.0), 100.0);
        assert_eq!(score_lower(48.0, 24.0), 50.0);
        assert_eq!(score_lower(36.0, 24.0), 66.67);
    }

    fn defaults() -> IndexSettings {
        IndexSettings::parse(&json!({"weights": {"participation": 25, "team_activity": 20, "satisfaction": 25, "response_hours": 15, "completion": 15},
            "targets": {"participation": {"centre": 1000, "institute": 200, "station": 50, "point": 20}, "team_activity": 0.8,
                        "satisfaction": 0.95, "response_hours": 24, "completion": 0.9}})).unwrap()
    }

    #[test]
    fn the_index_is_the_weighted_average_of_indicator_scores() {
        let s = defaults();
        let i = IndexInputs {
            attendances: 20,
            teams: 2,
            active_teams: 1,
            orders_rated: 1,
            orders_good: 1,
            ratings: 3,
            ratings_good: 2,
            accepted: 2,
            response_seconds: 2 * 36 * 3600,
            orders: 4,
            orders_done: 3,
        };
        // participation 20/50 → 40; teams 0.5/0.8 → 62.5; satisfaction 3/4 = 0.75/0.95 → 78.95;
        // response 36 h vs 24 → 66.67; completion 0.75/0.9 → 83.33.
        // (25×40 + 20×62.5 + 25×78.95 + 15×66.67 + 15×83.33)/100 = (1000+1250+1973.75+1000.05+1249.95)/100 = 64.7375 → 64.74
        let (idx, body) = index(&s, "station", &i);
        assert_eq!(idx, 64.74);
        let scores: Vec<f64> =
            body["indicators"].as_array().unwrap()[..5].iter().map(|r| r["score"].as_f64().unwrap()).collect();
        assert_eq!(scores, [40.0, 62.5, 78.95, 66.67, 83.33]);
        assert_eq!(body["indicators"][5]["available"], false);
        let (zero, body) = index(&s, "station", &IndexInputs::default());
        assert_eq!((zero, body["no_data"].as_bool()), (0.0, Some(true)));
    }

    #[test]
    fn index_settings_are_checked() {
        let mut v = defaults().json();
        assert_eq!(IndexSettings::parse(&v).unwrap(), defaults());
        v["weights"]["completion"] = json!(20);
        v["targets"]["satisfaction"] = json!(1.5);
        let fields: Vec<String> = IndexSettings::parse(&v).unwrap_err().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["weights", "targets.satisfaction"]);
    }

    #[test]
    fn rankings_break_ties_by_org_id() {
        let mut e = vec![(9, 50.0), (3, 70.0), (5, 50.0), (1, 10.0)];
        ranking_order(&mut e);
        assert_eq!(e.iter().map(|x| x.0).collect::<Vec<_>>(), [3, 5, 9, 1]);
    }
}
