//! `GET /api/v1/dispatch/demands/{id}/suggestions?limit=` (dispatch-orders): the active teams of
//! the order's centre ranked for a welfare order, each with its score parts and a human reason,
//! so the dispatcher sees *why* a team is first and can overrule it knowingly.
//!
//! The score is a sum of four parts (0–100):
//!
//! | part     | points | why |
//! |----------|--------|-----|
//! | category | 40 if the team's categories contain the item's category, else 0 | a team that does not do this work should rarely win, whatever else it has |
//! | distance | 30 same station, 20 same institute, 10 same centre | nearer teams arrive sooner and know the neighbourhood |
//! | load     | 20 − 5 per open (accepted + in-service) order, not below 0 | spread the work; a busy team serves late |
//! | rating   | 10 × the share of very satisfied/satisfied among its rated orders; 5 with none | reward good service, without punishing a new team |
//!
//! Ties go to the less loaded team, then the lower id (stable answers for the same data).
//! [`score`] is pure and unit-tested; the handler only gathers the facts.

use kit::{ApiError, Db};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access::{self, Work};
use crate::escalate;
use crate::order::{self, Lineage, Order, OrderExt as _};
use kit::identity::Principal;

/// How near a team is to the order, in the org tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distance {
    /// The team is at (or under) the order's station.
    Station,
    /// At (or under) the order's institute.
    Institute,
    /// Elsewhere in the order's centre.
    Centre,
}

impl Distance {
    /// The tree-distance value of the contract: station 3 > institute 2 > centre 1.
    pub fn rank(self) -> i64 {
        match self {
            Distance::Station => 3,
            Distance::Institute => 2,
            Distance::Centre => 1,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Distance::Station => "station",
            Distance::Institute => "institute",
            Distance::Centre => "centre",
        }
    }

    /// Where `team_path` sits relative to the order's `lineage`.
    pub fn of(team_path: &str, lineage: &Lineage) -> Distance {
        let under = |level: &Option<(i64, String)>| level.as_ref().is_some_and(|(_, p)| order::within(team_path, p));
        if under(&lineage.station) {
            Distance::Station
        } else if under(&lineage.institute) {
            Distance::Institute
        } else {
            Distance::Centre
        }
    }
}

/// What is known about one team, for ranking.
#[derive(Debug, Clone)]
pub struct Facts {
    pub category_match: bool,
    pub distance: Distance,
    /// Accepted + in-service orders now.
    pub open_load: i64,
    /// Orders it completed that citizens rated, and how many of those were (very) satisfied.
    pub rated: i64,
    pub satisfied: i64,
}

/// The score parts; their sum is the score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Parts {
    pub category: f64,
    pub distance: f64,
    pub load: f64,
    pub rating: f64,
}

impl Parts {
    /// The total, to one decimal.
    pub fn total(&self) -> f64 {
        round1(self.category + self.distance + self.load + self.rating)
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The score parts for `facts` (see the module table).
pub fn score(facts: &Facts) -> Parts {
    Parts {
        category: if facts.category_match { 40.0 } else { 0.0 },
        distance: 10.0 * facts.distance.rank() as f64,
        load: (20 - 5 * facts.open_load).max(0) as f64,
        rating: if facts.rated > 0 { round1(10.0 * facts.satisfied as f64 / facts.rated as f64) } else { 5.0 },
    }
}

/// The sentence a dispatcher reads next to the team; `place` is the team's org.
pub fn reason(facts: &Facts, category: &str, place: &str) -> String {
    let serves = if facts.category_match {
        format!("serves {category} (category match)")
    } else {
        format!("does not list {category}")
    };
    let near = match facts.distance {
        Distance::Centre => format!("elsewhere in the centre (team at {place})"),
        d => format!("same {} (team at {place})", d.name()),
    };
    let load = match facts.open_load {
        0 => "no open orders".to_string(),
        1 => "1 open order".to_string(),
        n => format!("{n} open orders"),
    };
    let rating = if facts.rated == 0 {
        "no rated orders yet".to_string()
    } else {
        format!("{} of {} rated orders satisfied", facts.satisfied, facts.rated)
    };
    format!("{serves}; {near}; {load}; {rating}")
}

/// Ranks `(team id, facts)`: score, then lighter load, then lower id.
pub fn rank<T>(mut teams: Vec<(i64, Facts, T)>) -> Vec<(i64, Facts, Parts, T)> {
    let mut scored: Vec<(i64, Facts, Parts, T)> = teams
        .drain(..)
        .map(|(id, f, t)| {
            let parts = score(&f);
            (id, f, parts, t)
        })
        .collect();
    scored.sort_by(|a, b| {
        b.2.total().total_cmp(&a.2.total()).then(a.1.open_load.cmp(&b.1.open_load)).then(a.0.cmp(&b.0))
    });
    scored
}

/// `GET /api/v1/dispatch/demands/{id}/suggestions`.
pub fn handle(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let limit = match kit::query_param(req, "limit").filter(|v| !v.trim().is_empty()) {
        None => 20,
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| ApiError::invalid("limit", "limit must be 1 to 100"))?,
    };
    let now = kit::request_now(req);
    let db = Db::open()?;
    let (seen, _) = access::order_for(&db, p, id, Work::Dispatch)?;
    if seen.kind != "welfare" {
        return Err(ApiError::invalid(
            "kind",
            format!("suggestions are for welfare orders; this one is a {}", seen.kind),
        ));
    }
    escalate::if_due(&db, &seen, now)?;
    let order = Order::reload(&db, id)?;

    let lineage = Lineage::of(&db, &order.org_path)?;
    let centre_path = order::centre_path(&db, &order)?;
    let Some(centre_path) = centre_path else {
        return Ok(kit::json(200, &json!({ "demand_id": id, "category": order.item_category, "items": [] })));
    };
    let (lo, hi) = kit::org_path(&centre_path)?.subtree_bounds();
    let rows = db.query(
        "SELECT t.id, t.name, t.categories, t.org_id, o.name AS org_name, o.path AS org_path,
            (SELECT count(*) FROM demands d WHERE d.team_id = t.id AND d.status IN ('accepted', 'in_service')) AS open_load,
            (SELECT count(*) FROM demands d WHERE d.team_id = t.id AND d.rating IS NOT NULL) AS rated,
            (SELECT count(*) FROM demands d WHERE d.team_id = t.id AND d.rating IN ('very_satisfied', 'satisfied')) AS satisfied
         FROM teams t JOIN orgs o ON o.id = t.org_id
         WHERE t.active = 1 AND o.active = 1 AND o.path >= ? AND o.path < ?",
        &[Value::Text(lo), Value::Text(hi)],
    )?;
    let mut teams = Vec::with_capacity(rows.len());
    for r in &rows {
        let categories: Vec<String> = serde_json::from_str(&r.str("categories")?).unwrap_or_default();
        let org_path = r.str("org_path")?;
        let facts = Facts {
            category_match: categories.iter().any(|c| c == &order.item_category),
            distance: Distance::of(&org_path, &lineage),
            open_load: r.i64("open_load")?,
            rated: r.i64("rated")?,
            satisfied: r.i64("satisfied")?,
        };
        let team = json!({ "id": r.i64("id")?, "name": r.str("name")?, "org_id": r.i64("org_id")?, "org_name": r.str("org_name")?, "categories": categories });
        teams.push((r.i64("id")?, facts, team));
    }
    let items: Vec<Json> = rank(teams)
        .into_iter()
        .take(limit)
        .map(|(_, facts, parts, team)| {
            let place = team["org_name"].as_str().unwrap_or_default().to_string();
            json!({
                "team": team,
                "score": parts.total(),
                "parts": { "category": parts.category, "distance": parts.distance, "load": parts.load, "rating": parts.rating },
                "category_match": facts.category_match,
                "tree_distance": facts.distance.rank(),
                "open_load": facts.open_load,
                "rated": facts.rated,
                "satisfied": facts.satisfied,
                "satisfaction": (facts.rated > 0).then(|| round1(100.0 * facts.satisfied as f64 / facts.rated as f64) / 100.0),
                "reason": reason(&facts, &order.item_category, &place),
            })
        })
        .collect();
    Ok(kit::json(200, &json!({ "demand_id": id, "category": order.item_category, "items": items })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(category_match: bool, distance: Distance, open_load: i64, rated: i64, satisfied: i64) -> Facts {
        Facts { category_match, distance, open_load, rated, satisfied }
    }

    #[test]
    fn parts_follow_the_table() {
        let p = score(&facts(true, Distance::Station, 1, 4, 3));
        assert_eq!(p, Parts { category: 40.0, distance: 30.0, load: 15.0, rating: 7.5 });
        assert_eq!(p.total(), 92.5);
        let q = score(&facts(false, Distance::Centre, 9, 0, 0));
        assert_eq!(q, Parts { category: 0.0, distance: 10.0, load: 0.0, rating: 5.0 });
    }

    #[test]
    fn category_beats_distance_and_a_level_nearer_outweighs_one_more_open_order() {
        // 2 levels of distance (20) equal 4 open orders; one level (10) equals 2.
        let ranked = rank(vec![
            (1, facts(false, Distance::Station, 0, 0, 0), ()),
            (2, facts(true, Distance::Centre, 0, 0, 0), ()),
            (3, facts(true, Distance::Institute, 1, 0, 0), ()),
            (4, facts(true, Distance::Institute, 0, 0, 0), ()),
        ]);
        let order: Vec<i64> = ranked.iter().map(|r| r.0).collect();
        assert_eq!(order, vec![4, 3, 2, 1]);
    }

    #[test]
    fn ties_go_to_the_lighter_then_the_older_team() {
        // 40+20+10+10 = 80 and 40+20+15+5 = 80: equal scores, the lighter load first.
        let ranked = rank(vec![
            (7, facts(true, Distance::Institute, 1, 0, 0), ()),
            (5, facts(true, Distance::Institute, 2, 1, 1), ()),
            (6, facts(true, Distance::Institute, 1, 0, 0), ()),
        ]);
        assert_eq!(ranked.iter().map(|r| r.0).collect::<Vec<_>>(), vec![6, 7, 5]);
    }

    #[test]
    fn tree_distance_reads_the_lineage() {
        let lineage = Lineage {
            centre: Some((2, "/1/2/".into())),
            institute: Some((4, "/1/2/4/".into())),
            station: Some((17, "/1/2/4/17/".into())),
        };
        assert_eq!(Distance::of("/1/2/4/17/", &lineage), Distance::Station);
        assert_eq!(Distance::of("/1/2/4/17/203/", &lineage), Distance::Station);
        assert_eq!(Distance::of("/1/2/4/18/", &lineage), Distance::Institute);
        assert_eq!(Distance::of("/1/2/4/", &lineage), Distance::Institute);
        assert_eq!(Distance::of("/1/2/5/", &lineage), Distance::Centre);
        assert_eq!(Distance::of("/1/2/", &lineage), Distance::Centre);
    }

    #[test]
    fn reasons_say_each_fact() {
        let r = reason(&facts(true, Distance::Station, 1, 5, 4), "助老", "城关站");
        assert_eq!(
            r,
            "serves 助老 (category match); same station (team at 城关站); 1 open order; 4 of 5 rated orders satisfied"
        );
        let r = reason(&facts(false, Distance::Centre, 0, 0, 0), "助老", "河口所");
        assert_eq!(
            r,
            "does not list 助老; elsewhere in the centre (team at 河口所); no open orders; no rated orders yet"
        );
    }
}
