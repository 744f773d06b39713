//! Evaluation schemes of a centre (三级评估): `work` schemes of weighted items scored by
//! evaluators, and `thematic` schemes of weighted rater groups grading 满意/基本满意/不满意.
//! A scheme never changes once created, so every evaluation keeps the rules it was scored by;
//! a new year's rules are a new scheme. Schemes are public to anyone signed in (evaluation
//! standards are published); creating them and registering raters is manage-evaluations at the
//! centre, audited. Results per org for a period live here too.

use kit::{ApiError, Db, Page};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access::Org;
use crate::input::{self, Fields};
use crate::model::{self, GradeTally, Group, Item};
use kit::identity::{Action, Principal};

/// A stored scheme with its parsed definition.
#[derive(Debug, Clone)]
pub struct Scheme {
    pub id: i64,
    pub centre_id: i64,
    pub centre_path: String,
    pub kind: String,
    pub name: String,
    pub target_level: String,
    pub items: Vec<Item>,
    pub groups: Vec<Group>,
    pub created_at: i64,
}

const COLUMNS: &str = "id, centre_id, centre_path, kind, name, target_level, definition, created_at";

impl Scheme {
    fn from_row(r: &kit::Row) -> Result<Scheme, ApiError> {
        let def: Json = serde_json::from_str(&r.str("definition")?)
            .map_err(|e| ApiError::Internal(format!("scheme definition: {e}")))?;
        let bad = |p: model::Problems| ApiError::Internal(format!("stored scheme is invalid: {p:?}"));
        let kind = r.str("kind")?;
        let (items, groups) = if kind == "work" {
            (model::parse_items(&def["items"]).map_err(bad)?, Vec::new())
        } else {
            (Vec::new(), model::parse_groups(&def["groups"]).map_err(bad)?)
        };
        Ok(Scheme {
            id: r.i64("id")?,
            centre_id: r.i64("centre_id")?,
            centre_path: r.str("centre_path")?,
            kind,
            name: r.str("name")?,
            target_level: r.str("target_level")?,
            items,
            groups,
            created_at: r.i64("created_at")?,
        })
    }

    /// The scheme `id`, if it exists.
    pub fn load(db: &Db, id: i64) -> Result<Option<Scheme>, ApiError> {
        db.query_one(&format!("SELECT {COLUMNS} FROM eval_schemes WHERE id = ?"), &[Value::Integer(id)])?
            .map(|r| Scheme::from_row(&r))
            .transpose()
    }

    pub fn json(&self) -> Json {
        let mut body = json!({"id": self.id, "centre_id": self.centre_id, "kind": self.kind, "name": self.name,
                              "target_level": self.target_level, "created_at": kit::time::rfc3339(self.created_at)});
        if self.kind == "work" {
            body["items"] = model::items_json(&self.items);
        } else {
            body["groups"] = model::groups_json(&self.groups);
            body["grade_points"] = json!({"satisfied": 100, "basically_satisfied": 60, "dissatisfied": 0});
        }
        body
    }

    /// The org `org_id` as a target of this scheme: active, at the scheme's level, in its
    /// centre's subtree (else 422 `org_id`).
    pub fn target(&self, db: &Db, org_id: i64) -> Result<Org, ApiError> {
        let org = Org::load(db, org_id)?
            .filter(|o| o.active)
            .ok_or_else(|| ApiError::invalid("org_id", "no such active org"))?;
        if org.level != self.target_level || !org.path.starts_with(&self.centre_path) {
            return Err(ApiError::invalid(
                "org_id",
                format!("this scheme evaluates {}s of its centre", self.target_level),
            ));
        }
        Ok(org)
    }
}

/// The scheme `id` or 404 (`wrong` kind → 422 `scheme_id` when a body named it, else 404).
pub fn scheme_of_kind(db: &Db, id: i64, kind: &str) -> Result<Scheme, ApiError> {
    match Scheme::load(db, id)? {
        Some(s) if s.kind == kind => Ok(s),
        Some(_) => Err(ApiError::invalid("scheme_id", format!("not a {kind} scheme"))),
        None => Err(ApiError::invalid("scheme_id", "no such scheme")),
    }
}

/// `POST /api/v1/evaluation/schemes` → 201.
pub fn create(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let mut f = Fields::from_request(req, &["centre_id", "kind", "name", "target_level", "items", "groups"])?;
    let centre_id = f.id("centre_id")?;
    let kind = f.choice("kind", &["work", "thematic"])?;
    let name = f.line("name", 100)?;
    let target_level = f.choice("target_level", &["institute", "station"])?;
    let definition = if kind == "work" {
        if f.present("groups") {
            return Err(ApiError::invalid("groups", "a work scheme has items, not groups"));
        }
        json!({"items": model::items_json(&model::parse_items(&f.take("items").unwrap_or(Json::Null)).map_err(input::problems)?)})
    } else {
        if f.present("items") {
            return Err(ApiError::invalid("items", "a thematic scheme has groups, not items"));
        }
        json!({"groups": model::groups_json(&model::parse_groups(&f.take("groups").unwrap_or(Json::Null)).map_err(input::problems)?)})
    };
    let db = Db::open()?;
    let centre = Org::load(&db, centre_id)?
        .filter(|o| o.active && o.level == "centre")
        .ok_or_else(|| ApiError::invalid("centre_id", "no such active centre"))?;
    if !kit::allowed(p, Action::ManageEvaluations, &centre.path)? {
        return Err(ApiError::Forbidden("schemes are set by holders of manage-evaluations at the centre".into()));
    }
    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        let inserted = db.exec(
            "INSERT INTO eval_schemes (centre_id, centre_path, kind, name, target_level, definition, created_by, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            &[
                Value::Integer(centre.id),
                Value::Text(centre.path.clone()),
                Value::Text(kind.into()),
                Value::Text(name.clone()),
                Value::Text(target_level.into()),
                Value::Text(definition.to_string()),
                Value::Integer(p.account_id),
                Value::Integer(now),
            ],
        )?;
        if inserted == 0 {
            return Err(ApiError::conflict("name_taken", "the centre already has a scheme of that name"));
        }
        let id = db.connection().last_insert_rowid();
        let body = Scheme::load(db, id)?.ok_or_else(|| ApiError::Internal("the new scheme vanished".into()))?.json();
        kit::audit(
            db,
            p.account_id,
            "evaluation.scheme.create",
            "eval_scheme",
            Some(id),
            &centre.path,
            None,
            Some(&body),
        )?;
        Ok((201, body))
    })?;
    Ok(kit::json(status, &body))
}

/// `GET /api/v1/evaluation/schemes?kind=&limit=&cursor=` — anyone signed in, by id.
pub fn list(req: &Request, _p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let kind = kit::query_param(req, "kind").filter(|k| !k.is_empty());
    if kind.as_deref().is_some_and(|k| k != "work" && k != "thematic") {
        return Err(ApiError::invalid("kind", "must be work or thematic"));
    }
    let db = Db::open()?;
    let mut params = vec![Value::Integer(page.after)];
    let mut sql = format!("SELECT {COLUMNS} FROM eval_schemes WHERE id > ?");
    if let Some(k) = kind {
        sql.push_str(" AND kind = ?");
        params.push(Value::Text(k));
    }
    sql.push_str(" ORDER BY id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let schemes = db.query(&sql, &params)?.iter().map(Scheme::from_row).collect::<Result<Vec<_>, _>>()?;
    let last = schemes.last().map(|s| s.id);
    Ok(kit::json(200, &page.envelope(schemes.iter().map(Scheme::json).collect(), last)))
}

/// `GET /api/v1/evaluation/schemes/{id}`.
pub fn detail(_req: &Request, _p: &Principal, id: i64) -> Result<Response, ApiError> {
    let db = Db::open()?;
    let s = Scheme::load(&db, id)?.ok_or_else(|| ApiError::NotFound("no such scheme".into()))?;
    Ok(kit::json(200, &s.json()))
}

/// `POST /api/v1/evaluation/schemes/{id}/raters` `{"phone", "group"}` → 201: registers a rater
/// of a thematic scheme in one of its groups (manage-evaluations at the centre, audited).
pub fn register_rater(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let mut f = Fields::from_request(req, &["phone", "group"])?;
    let phone = f.line("phone", 20)?;
    let group = f.line("group", 40)?;
    let db = Db::open()?;
    let s = Scheme::load(&db, id)?.ok_or_else(|| ApiError::NotFound("no such scheme".into()))?;
    kit::gate(p, Action::ManageEvaluations, &s.centre_path, "scheme")?;
    if s.kind != "thematic" {
        return Err(ApiError::conflict("wrong_kind", "raters are registered for thematic schemes only"));
    }
    if !s.groups.iter().any(|g| g.key == group) {
        let keys: Vec<&str> = s.groups.iter().map(|g| g.key.as_str()).collect();
        return Err(ApiError::invalid("group", format!("must be one of: {}", keys.join(", "))));
    }
    let account = db
        .query_one("SELECT id, name FROM accounts WHERE phone = ? AND active = 1", &[Value::Text(phone.clone())])?
        .ok_or_else(|| ApiError::invalid("phone", "no active account has this phone; the rater signs in once first"))?;
    let account_id = account.i64("id")?;
    let body = db.transaction(|db| {
        let inserted = db.exec(
            "INSERT INTO eval_scheme_raters (scheme_id, account_id, rater_group, registered_by, registered_at) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT DO NOTHING",
            &[Value::Integer(id), Value::Integer(account_id), Value::Text(group.clone()), Value::Integer(p.account_id), Value::Integer(now)],
        )?;
        if inserted == 0 {
            return Err(ApiError::conflict("already_registered", "this person is already a rater of the scheme"));
        }
        let body = json!({"scheme_id": id, "account_id": account_id, "name": account.str("name")?, "phone": kit::mask_phone(&phone),
                          "group": group, "registered_at": kit::time::rfc3339(now)});
        kit::audit(db, p.account_id, "evaluation.rater.register", "eval_scheme", Some(id), &s.centre_path, None, Some(&body))?;
        Ok(body)
    })?;
    Ok(kit::json(201, &body))
}

/// `GET /api/v1/evaluation/schemes/{id}/raters?limit=&cursor=` — read-evaluations at the
/// centre; by account id, phones masked.
pub fn raters(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let db = Db::open()?;
    let s = Scheme::load(&db, id)?.ok_or_else(|| ApiError::NotFound("no such scheme".into()))?;
    kit::gate(p, Action::ReadEvaluations, &s.centre_path, "scheme")?;
    let rows = db.query(
        "SELECT r.account_id, a.name, a.phone, r.rater_group, r.registered_at FROM eval_scheme_raters r \
         JOIN accounts a ON a.id = r.account_id WHERE r.scheme_id = ? AND r.account_id > ? ORDER BY r.account_id LIMIT ?",
        &[Value::Integer(id), Value::Integer(page.after), Value::Integer(page.limit)],
    )?;
    let mut items = Vec::new();
    let mut last = None;
    for r in rows {
        last = Some(r.i64("account_id")?);
        items.push(json!({"account_id": r.i64("account_id")?, "name": r.str("name")?, "phone": kit::mask_phone(&r.str("phone")?),
                          "group": r.str("rater_group")?, "registered_at": kit::time::rfc3339(r.i64("registered_at")?)}));
    }
    Ok(kit::json(200, &page.envelope(items, last)))
}

/// `GET /api/v1/evaluation/schemes/{id}/results?period=&limit=&cursor=` — per org at the
/// scheme's level in the caller's read-evaluations scope (by org id; orgs not yet evaluated
/// are listed with zero evaluations): work → the average of the evaluations' totals and each
/// item's average score; thematic → each group's counts and average and the weighted result.
pub fn results(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let period = input::query_period(req)?;
    let db = Db::open()?;
    let s = Scheme::load(&db, id)?.ok_or_else(|| ApiError::NotFound("no such scheme".into()))?;
    let mut params = Vec::new();
    let scope = kit::Scope::required(p, Action::ReadEvaluations)?.condition("path", &mut params);
    let (lo, hi) = kit::org_path(&s.centre_path)?.subtree_bounds();
    params.extend([
        Value::Text(lo),
        Value::Text(hi),
        Value::Text(s.target_level.clone()),
        Value::Integer(page.after),
        Value::Integer(page.limit),
    ]);
    let orgs = db.query(
        &format!("SELECT id FROM orgs WHERE {scope} AND path >= ? AND path < ? AND level = ? AND active = 1 AND id > ? ORDER BY id LIMIT ?"),
        &params,
    )?;
    let mut items = Vec::new();
    let mut last = None;
    for r in orgs {
        let org = Org::load(&db, r.i64("id")?)?.ok_or_else(|| ApiError::Internal("org vanished".into()))?;
        last = Some(org.id);
        let key = [Value::Integer(s.id), Value::Integer(org.id), Value::Text(period.label.clone())];
        let mut item = json!({"org": org.json()});
        if s.kind == "work" {
            let agg = db.query_one(
                "SELECT COUNT(*) AS n, AVG(total_centi) AS avg FROM eval_work_evaluations WHERE scheme_id = ? AND org_id = ? AND period = ?",
                &key,
            )?;
            let agg = agg.ok_or_else(|| ApiError::Internal("no aggregate row".into()))?;
            let n = agg.i64("n")?;
            item["evaluations"] = json!(n);
            item["average_total"] = if n > 0 { json!(model::round2(agg.f64("avg")? / 100.0)) } else { Json::Null };
            let mut per_item = Vec::new();
            for it in &s.items {
                let a = db.query_one(
                    "SELECT AVG(sc.score_centi) AS avg, COUNT(*) AS n FROM eval_work_scores sc JOIN eval_work_evaluations e ON e.id = sc.evaluation_id \
                     WHERE e.scheme_id = ? AND e.org_id = ? AND e.period = ? AND sc.item_key = ?",
                    &[key[0].clone(), key[1].clone(), key[2].clone(), Value::Text(it.key.clone())],
                )?;
                let avg = match a {
                    Some(a) if a.i64("n")? > 0 => json!(model::round2(a.f64("avg")? / 100.0)),
                    _ => Json::Null,
                };
                per_item.push(json!({"key": it.key, "title": it.title, "max_points": it.max_points, "weight": it.weight, "average_score": avg}));
            }
            item["items"] = Json::Array(per_item);
        } else {
            let rows = db.query(
                "SELECT rater_group, grade, COUNT(*) AS n FROM eval_thematic_grades WHERE scheme_id = ? AND org_id = ? AND period = ? \
                 GROUP BY rater_group, grade",
                &key,
            )?;
            let mut tallies = vec![GradeTally::default(); s.groups.len()];
            for g in rows {
                if let Some(i) = s.groups.iter().position(|x| x.key == g.str("rater_group").unwrap_or_default()) {
                    tallies[i].add(&g.str("grade")?, g.i64("n")?);
                }
            }
            let (result, groups) = model::thematic_result(&s.groups, &tallies);
            item["grades"] = json!(tallies.iter().map(GradeTally::n).sum::<i64>());
            item["result"] = json!(result);
            item["groups"] = groups;
        }
        items.push(item);
    }
    let mut body = page.envelope(items, last);
    body["scheme"] = json!({"id": s.id, "name": s.name, "kind": s.kind});
    body["period"] = period.json();
    Ok(kit::json(200, &body))
}
