//! What a statistics request asks about: the org whose subtree is counted (`?org=`, in the
//! caller's read-evaluations scope) and the period (`?from=&to=`, whole days in Asia/Shanghai).

use domain::Date;
use kit::identity::{Action, Principal};
use kit::{ApiError, Db, Row, Scope};
use spin_sdk::http::Request;
use spin_sdk::sqlite3::Value;

/// The longest period one request may ask for: five years of days (a series answers one point
/// per day, so this bounds the answer too).
pub const MAX_DAYS: i64 = 1830;
/// The period when none is asked for: the last 30 days, today included.
pub const DEFAULT_DAYS: i64 = 30;

/// The org a figure is about.
#[derive(Debug, Clone)]
pub struct Org {
    pub id: i64,
    pub name: String,
    pub level: String,
    pub path: String,
    pub address: String,
    pub latitude_e6: Option<i64>,
    pub longitude_e6: Option<i64>,
    pub population: Option<i64>,
}

pub const ORG_COLUMNS: &str = "id, name, level, path, address, latitude_e6, longitude_e6, population";

impl Org {
    pub fn from_row(r: &Row) -> Result<Org, ApiError> {
        Ok(Org {
            id: r.i64("id")?,
            name: r.str("name")?,
            level: r.str("level")?,
            path: r.str("path")?,
            address: r.str("address")?,
            latitude_e6: r.opt_i64("latitude_e6")?,
            longitude_e6: r.opt_i64("longitude_e6")?,
            population: r.opt_i64("population")?,
        })
    }

    pub fn load(db: &Db, id: i64) -> Result<Option<Org>, ApiError> {
        db.query_one(&format!("SELECT {ORG_COLUMNS} FROM orgs WHERE id = ?"), &[Value::Integer(id)])?
            .map(|r| Org::from_row(&r))
            .transpose()
    }

    /// `{"id", "name", "level", "address", "latitude", "longitude", "population"}`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "name": self.name,
            "level": self.level,
            "address": self.address,
            "latitude": degrees(self.latitude_e6),
            "longitude": degrees(self.longitude_e6),
            "population": self.population,
        })
    }
}

/// Micro-degrees as degrees (for display and maps; stored as integers).
pub fn degrees(e6: Option<i64>) -> serde_json::Value {
    e6.map_or(serde_json::Value::Null, |v| serde_json::json!(v as f64 / 1_000_000.0))
}

/// A period of whole days, both ends included, as day numbers ((unix + 28800) / 86400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: i64,
    pub to: i64,
}

impl Period {
    /// The period as unix seconds, `[start of the first day, start of the day after the last)`
    /// in Asia/Shanghai.
    pub fn unix_bounds(self) -> (i64, i64) {
        (self.from * 86_400 - 28_800, (self.to + 1) * 86_400 - 28_800)
    }

    /// The day number of unix seconds `secs` in Asia/Shanghai.
    pub fn day_of(secs: i64) -> i64 {
        (secs + 28_800).div_euclid(86_400)
    }

    /// The date of day number `day`.
    pub fn date(day: i64) -> Date {
        Date::of(day * 86_400 - 28_800)
    }

    /// The last `days` days ending today.
    pub fn last(days: i64, now: i64) -> Period {
        let to = Period::day_of(now);
        Period { from: to - days + 1, to }
    }

    /// `?from=&to=` (dates, `YYYY-MM-DD`); either may be left out: `to` is then today and
    /// `from` 29 days before `to`. 422 naming the field for a malformed date, `to` before
    /// `from`, or more than [`MAX_DAYS`] days.
    pub fn from_request(req: &Request, now: i64) -> Result<Period, ApiError> {
        let date = |name: &str| -> Result<Option<i64>, ApiError> {
            kit::query_filter(req, name)
                .map(|v| {
                    Date::parse(&v)
                        .map(|d| Period::day_of(d.start()))
                        .map_err(|_| ApiError::invalid(name, "must be a date, YYYY-MM-DD"))
                })
                .transpose()
        };
        let to = date("to")?.unwrap_or_else(|| Period::day_of(now));
        let from = date("from")?.unwrap_or(to - DEFAULT_DAYS + 1);
        if to < from {
            return Err(ApiError::invalid("to", "the period ends before it starts"));
        }
        if to - from + 1 > MAX_DAYS {
            return Err(ApiError::invalid("from", format!("a period is at most {MAX_DAYS} days")));
        }
        Ok(Period { from, to })
    }

    pub fn days(&self) -> i64 {
        self.to - self.from + 1
    }

    /// `{"from", "to", "days"}` as dates.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "from": Period::date(self.from).to_string(),
            "to": Period::date(self.to).to_string(),
            "days": self.days(),
        })
    }
}

/// The org a signed-in caller asks about: `?org=<id>` (404 when outside their read-evaluations
/// scope or unknown, 403 when they may read statistics nowhere), or without it their one subtree
/// (422 on `org` when they hold several).
pub fn root(req: &Request, p: &Principal, db: &Db) -> Result<Org, ApiError> {
    let scope = Scope::required(p, Action::ReadEvaluations)?;
    let org = match kit::query_id(req, "org")? {
        Some(id) => Org::load(db, id)?.filter(|o| scope.contains(&o.path)),
        None => match scope.roots() {
            [only] => db
                .query_one(&format!("SELECT {ORG_COLUMNS} FROM orgs WHERE path = ?"), &[Value::Text(only.to_string())])?
                .map(|r| Org::from_row(&r))
                .transpose()?,
            _ => return Err(ApiError::invalid("org", "you can read several subtrees: say which with ?org=<org id>")),
        },
    };
    org.ok_or_else(|| ApiError::NotFound("no such org".into()))
}
