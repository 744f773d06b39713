//! One survey as stored: loading, its state at a given time, and its JSON.

use kit::{ApiError, Db, Row};
use serde_json::{json, Value as Json};
use spin_sdk::sqlite3::Value;
use survey_model::Questionnaire;

/// A survey row with its org.
#[derive(Debug, Clone)]
pub struct Survey {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub org_path: String,
    pub title: String,
    pub description: String,
    pub audience: String,
    pub anonymous: bool,
    pub one_per: String,
    pub opens_at: i64,
    pub closes_at: i64,
    pub definition: Json,
    /// As stored: `draft`, `published` or `closed`.
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
    pub closed_at: Option<i64>,
}

/// The columns [`Survey::from_row`] reads.
pub const COLUMNS: &str = "s.id, s.org_id, o.name AS org_name, s.org_path, s.title, s.description, s.audience, \
     s.anonymous, s.one_per, s.opens_at, s.closes_at, s.definition, s.status, s.created_at, s.updated_at, \
     s.published_at, s.closed_at";

impl Survey {
    pub fn from_row(r: &Row) -> Result<Survey, ApiError> {
        Ok(Survey {
            id: r.i64("id")?,
            org_id: r.i64("org_id")?,
            org_name: r.str("org_name")?,
            org_path: r.str("org_path")?,
            title: r.str("title")?,
            description: r.str("description")?,
            audience: r.str("audience")?,
            anonymous: r.i64("anonymous")? == 1,
            one_per: r.str("one_per")?,
            opens_at: r.i64("opens_at")?,
            closes_at: r.i64("closes_at")?,
            definition: serde_json::from_str(&r.str("definition")?)
                .map_err(|e| ApiError::Internal(format!("survey definition: {e}")))?,
            status: r.str("status")?,
            created_at: r.i64("created_at")?,
            updated_at: r.i64("updated_at")?,
            published_at: r.opt_i64("published_at")?,
            closed_at: r.opt_i64("closed_at")?,
        })
    }

    /// The survey with `id`, whoever may see it (callers check scope).
    pub fn load(db: &Db, id: i64) -> Result<Option<Survey>, ApiError> {
        let sql = format!("SELECT {COLUMNS} FROM surveys s JOIN orgs o ON o.id = s.org_id WHERE s.id = ?");
        db.query_one(&sql, &[Value::Integer(id)])?.map(|r| Survey::from_row(&r)).transpose()
    }

    /// The state at `now`: a published survey past its closing time has closed by itself.
    pub fn state(&self, now: i64) -> &str {
        if self.status == "published" && now >= self.closes_at {
            "closed"
        } else {
            &self.status
        }
    }

    /// The moment at which a volunteer's home decides whether they are in the audience: when the
    /// survey was published, or when it opened if that was earlier. Fixed once published, so a
    /// move made after seeing the survey does not change who it asks.
    pub fn counted_from(&self) -> i64 {
        self.published_at.map_or(self.opens_at, |published| published.min(self.opens_at))
    }

    /// Whether answers are taken at `now`.
    pub fn accepting(&self, now: i64) -> bool {
        self.state(now) == "published" && now >= self.opens_at
    }

    /// The stored questions, parsed again (they were valid when stored).
    pub fn questionnaire(&self) -> Result<Questionnaire, ApiError> {
        Questionnaire::parse(&self.definition)
            .map_err(|e| ApiError::Internal(format!("stored survey {} no longer parses: {e:?}", self.id)))
    }

    /// What every view shares: the settings, the state, the org.
    fn base(&self, now: i64) -> Json {
        json!({
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "org": { "id": self.org_id, "name": self.org_name, "path": self.org_path },
            "audience": self.audience,
            "anonymous": self.anonymous,
            "one_per": self.one_per,
            "opens_at": kit::time::rfc3339(self.opens_at),
            "closes_at": kit::time::rfc3339(self.closes_at),
            "status": self.state(now),
            "accepting": self.accepting(now),
        })
    }

    /// Staff's view: the definition, state, counts and history. `sections` are left out of
    /// lists (`questions` counts them instead).
    pub fn json(&self, now: i64, responses: i64, with_sections: bool) -> Json {
        let mut v = self.base(now);
        v["org_id"] = json!(self.org_id);
        v["responses"] = json!(responses);
        v["created_at"] = json!(kit::time::rfc3339(self.created_at));
        v["updated_at"] = json!(kit::time::rfc3339(self.updated_at));
        v["published_at"] = kit::time::opt_rfc3339(self.published_at);
        v["closed_at"] =
            kit::time::opt_rfc3339(self.closed_at.or_else(|| (self.state(now) == "closed").then_some(self.closes_at)));
        if with_sections {
            v["sections"] = self.definition.clone();
        } else {
            let count: usize = self
                .definition
                .as_array()
                .map(|s| s.iter().map(|s| s["questions"].as_array().map_or(0, Vec::len)).sum())
                .unwrap_or(0);
            v["questions"] = json!(count);
        }
        v
    }

    /// The respondent's view (the public form): no counts, no history.
    pub fn form_json(&self, now: i64) -> Json {
        let mut v = self.base(now);
        v["org"] = json!({ "id": self.org_id, "name": self.org_name });
        v["sections"] = self.definition.clone();
        v
    }
}

/// How many responses a survey has.
pub fn response_count(db: &Db, id: i64) -> Result<i64, ApiError> {
    let row = db.query_one("SELECT COUNT(*) AS n FROM survey_responses WHERE survey_id = ?", &[Value::Integer(id)])?;
    row.map_or(Ok(0), |r| r.i64("n"))
}

/// An org's path, when it exists and is active.
pub fn active_org_path(db: &Db, org_id: i64) -> Result<Option<(String, String)>, ApiError> {
    let row = db.query_one("SELECT path, level FROM orgs WHERE id = ? AND active = 1", &[Value::Integer(org_id)])?;
    row.map(|r| Ok((r.str("path")?, r.str("level")?))).transpose()
}
