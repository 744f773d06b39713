//! `POST /hooks/mediation`: a signed status event, recorded once, the case moved forward, the
//! parties (when the event asks) and the case's handler (承办人员, whenever one is named) told
//! by SMS through `kit::sms`, all in one transaction.

use hmac::{Hmac, Mac};
use kit::{ApiError, Db, Fields};
use serde_json::{json, Value as Json};
use sha2::Sha256;
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::status;

/// How far a delivery's timestamp may be from now: a captured delivery cannot be replayed later.
const WINDOW_SECONDS: i64 = 300;

/// `POST /hooks/mediation`.
pub fn handle(req: &Request) -> Result<Response, ApiError> {
    kit::allow_method(req.method(), "POST")?;
    let now = kit::request_now(req);
    authenticate(req, now)?;
    let event = Event::parse(req)?;
    let db = Db::open()?;
    let (status, body) = db.transaction(|db| record(db, &event, now))?;
    Ok(kit::json(status, &body))
}

/// `X-Wenming-Timestamp` (unix seconds) and `X-Wenming-Signature: sha256=<hex>`, the HMAC-SHA256
/// of `<timestamp>.<raw body>` under the `mediation_webhook_secret` variable.
fn authenticate(req: &Request, now: i64) -> Result<(), ApiError> {
    let secret = spin_sdk::variables::get("mediation_webhook_secret").unwrap_or_default();
    if secret.is_empty() {
        return Err(ApiError::Refused {
            code: "not_configured",
            message: "this deployment receives no mediation events (mediation_webhook_secret is empty)".into(),
        });
    }
    let header = |name: &str| req.header(name).and_then(|v| v.as_str()).map(str::trim).unwrap_or("").to_string();
    let unsigned = |why: &str| ApiError::Unauthenticated(format!("the delivery is not signed: {why}"));
    let timestamp = header("x-wenming-timestamp");
    let sent_at: i64 = timestamp.parse().map_err(|_| unsigned("X-Wenming-Timestamp must be unix seconds"))?;
    if (now - sent_at).abs() > WINDOW_SECONDS {
        return Err(unsigned("X-Wenming-Timestamp is more than 5 minutes from now"));
    }
    let given = header("x-wenming-signature");
    let signature =
        given.strip_prefix("sha256=").ok_or_else(|| unsigned("X-Wenming-Signature must be sha256=<hex>"))?;
    let bytes = hex::decode(signature).map_err(|_| unsigned("the signature is not hex"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|e| ApiError::Internal(e.to_string()))?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(req.body());
    // `verify_slice` compares in constant time.
    mac.verify_slice(&bytes).map_err(|_| unsigned("the signature does not match"))
}

/// One party to be told.
struct Party {
    role: &'static str,
    phone: Option<String>,
}

/// The case's handler (承办人员) as the event names them.
struct Handler {
    name: Option<String>,
    phone: String,
}

/// The template a handler's notice uses: the case number and the neutral status label.
pub const HANDLER_TEMPLATE: &str = "case-handler";

/// A status event, validated.
struct Event {
    handler: Option<Handler>,
    org_id: Option<i64>,
    event_id: String,
    case_no: String,
    source: &'static str,
    status: String,
    previous_status: Option<String>,
    occurred_at: i64,
    parties: Vec<Party>,
    sms: bool,
}

impl Event {
    fn parse(req: &Request) -> Result<Event, ApiError> {
        let mut f = Fields::from_request(
            req,
            &[
                "event_id",
                "case_no",
                "source",
                "status",
                "previous_status",
                "occurred_at",
                "parties",
                "notify",
                "note",
                "handler",
                "org_id",
            ],
        )?;
        let event_id = f.line("event_id", 100)?;
        let case_no = f.line("case_no", 100)?;
        let source = match f.line("source", 20)?.as_str() {
            "court" => "court",
            "township_center" => "township_center",
            _ => return Err(ApiError::invalid("source", "must be court or township_center")),
        };
        let status = f.line("status", 40)?;
        if !status::is_status(&status) {
            return Err(ApiError::invalid("status", format!("must be one of {}", status::names().join(", "))));
        }
        let previous_status = f.opt_line("previous_status", 40)?;
        if previous_status.as_deref().is_some_and(|p| !status::is_status(p)) {
            return Err(ApiError::invalid("previous_status", "is not a status"));
        }
        let occurred_at = kit::time::parse_rfc3339(&f.line("occurred_at", 40)?)
            .ok_or_else(|| ApiError::invalid("occurred_at", "must be an RFC 3339 time with an offset"))?;
        let mut parties = Vec::new();
        if let Some(list) = f.take("parties") {
            let list = list
                .as_array()
                .filter(|l| l.len() <= 10)
                .ok_or_else(|| ApiError::invalid("parties", "must be a list of at most 10 {\"role\", \"phone\"?}"))?;
            for (i, p) in list.iter().enumerate() {
                let role = match p.get("role").and_then(Json::as_str) {
                    Some("applicant") => "applicant",
                    Some("respondent") => "respondent",
                    _ => {
                        return Err(ApiError::invalid(&format!("parties[{i}].role"), "must be applicant or respondent"))
                    }
                };
                let phone = match p.get("phone") {
                    None | Some(Json::Null) => None,
                    Some(Json::String(s)) if kit::valid_phone(s) => Some(s.clone()),
                    Some(_) => {
                        return Err(ApiError::invalid(&format!("parties[{i}].phone"), "must be a mobile number"))
                    }
                };
                parties.push(Party { role, phone });
            }
        }
        let sms = match f.take("notify") {
            None => false,
            Some(Json::Array(channels)) => {
                if channels.iter().any(|c| !matches!(c.as_str(), Some("sms"))) {
                    return Err(ApiError::invalid("notify", "the only channel is \"sms\""));
                }
                !channels.is_empty()
            }
            Some(_) => return Err(ApiError::invalid("notify", "must be a list of channels")),
        };
        f.opt_text("note", 1000)?;
        let handler = match f.take("handler") {
            None | Some(Json::Null) => None,
            Some(Json::Object(h)) => {
                if let Some(unknown) = h.keys().find(|k| !["name", "phone"].contains(&k.as_str())) {
                    return Err(ApiError::invalid(&format!("handler.{unknown}"), "unknown field; give name and phone"));
                }
                let phone = match h.get("phone") {
                    Some(Json::String(s)) if kit::valid_phone(s) => s.clone(),
                    _ => return Err(ApiError::invalid("handler.phone", "must be a mobile number")),
                };
                let name = match h.get("name") {
                    None | Some(Json::Null) => None,
                    Some(Json::String(s)) if !s.trim().is_empty() && s.chars().count() <= 50 => {
                        Some(s.trim().to_string())
                    }
                    Some(_) => return Err(ApiError::invalid("handler.name", "must be 1 to 50 characters")),
                };
                Some(Handler { name, phone })
            }
            Some(_) => return Err(ApiError::invalid("handler", "must be {\"name\"?, \"phone\"}")),
        };
        let org_id = f.opt_id("org_id")?;
        Ok(Event { handler, org_id, event_id, case_no, source, status, previous_status, occurred_at, parties, sms })
    }
}

/// Records `e` (inside a transaction); `(status, body)`.
fn record(db: &Db, e: &Event, now: i64) -> Result<(u16, Json), ApiError> {
    let answer = |case_id: i64, status: &str, notified: i64| json!({"event_id": e.event_id, "case_id": case_id, "case_no": e.case_no, "status": status, "notified": notified});
    if let Some(seen) = db.query_one(
        "SELECT ev.case_id, ev.status, ev.notified, c.case_no FROM mediation_events ev \
         JOIN mediation_cases c ON c.id = ev.case_id WHERE ev.event_id = ?",
        &[Value::Text(e.event_id.clone())],
    )? {
        if seen.str("case_no")? != e.case_no || seen.str("status")? != e.status {
            return Err(ApiError::conflict("event_id_reused", "this event_id was delivered with other content"));
        }
        return Ok((200, answer(seen.i64("case_id")?, &e.status, seen.i64("notified")?)));
    }
    let case =
        db.query_one("SELECT id, status FROM mediation_cases WHERE case_no = ?", &[Value::Text(e.case_no.clone())])?;
    let org = match e.org_id {
        Some(id) => Some(
            db.query_one("SELECT id, path FROM orgs WHERE id = ? AND active = 1", &[Value::Integer(id)])?
                .ok_or_else(|| ApiError::invalid("org_id", "no such active org"))?,
        ),
        // A new case without an org belongs to the centre, so its staff see it; a known case
        // keeps the org it has.
        None if case.is_none() => Some(
            db.query_one("SELECT id, path FROM orgs WHERE level = 'centre' AND active = 1 ORDER BY id LIMIT 1", &[])?
                .ok_or_else(|| ApiError::conflict("no_centre", "this deployment has no centre yet"))?,
        ),
        None => None,
    };
    let current = case.as_ref().map(|c| c.str("status")).transpose()?;
    if let Some(previous) = &e.previous_status {
        if current.as_ref() != Some(previous) {
            return Err(ApiError::conflict(
                "status_mismatch",
                format!(
                    "previous_status is {previous}, but the case is {}",
                    current.as_deref().unwrap_or("unknown here")
                ),
            ));
        }
    }
    let case_id = match (&case, &current) {
        (Some(c), Some(from)) => {
            if !status::may_move(from, &e.status) {
                return Err(ApiError::conflict(
                    "stale_transition",
                    format!("the case is {from}; it cannot move to {}", e.status),
                ));
            }
            let id = c.i64("id")?;
            db.exec(
                "UPDATE mediation_cases SET status = ?, updated_at = ? WHERE id = ?",
                &[Value::Text(e.status.clone()), Value::Integer(now), Value::Integer(id)],
            )?;
            id
        }
        _ => db.insert(
            "INSERT INTO mediation_cases (case_no, source, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            &[
                Value::Text(e.case_no.clone()),
                Value::Text(e.source.into()),
                Value::Text(e.status.clone()),
                Value::Integer(now),
                Value::Integer(now),
            ],
        )?,
    };
    if let Some(org) = &org {
        db.exec(
            "UPDATE mediation_cases SET org_id = ?, org_path = ? WHERE id = ?",
            &[Value::Integer(org.i64("id")?), Value::Text(org.str("path")?), Value::Integer(case_id)],
        )?;
    }
    if let Some(h) = &e.handler {
        db.exec(
            "UPDATE mediation_cases SET handler_name = ?, handler_phone = ? WHERE id = ?",
            &[h.name.clone().map_or(Value::Null, Value::Text), Value::Text(h.phone.clone()), Value::Integer(case_id)],
        )?;
    }
    let mut notified = 0;
    if e.sms {
        for p in &e.parties {
            let Some(phone) = &p.phone else { continue };
            let params =
                vec![("case_no".into(), e.case_no.clone()), ("status".into(), status::label(&e.status).into())];
            let key = format!("mediation:{}:{}:{}", e.event_id, p.role, phone);
            if kit::sms(db, phone, "case-status", params, key, now)?.is_some() {
                notified += 1;
            }
        }
    }
    // The handler hears of every status change of their case, whether or not the parties are
    // told this time: it is their work, and the notice is theirs alone.
    if let Some(h) = &e.handler {
        let params = vec![("case_no".into(), e.case_no.clone()), ("status".into(), status::label(&e.status).into())];
        let key = format!("mediation:{}:handler:{}", e.event_id, h.phone);
        if kit::sms(db, &h.phone, HANDLER_TEMPLATE, params, key, now)?.is_some() {
            notified += 1;
        }
    }
    db.exec(
        "INSERT INTO mediation_events (event_id, case_id, status, previous_status, occurred_at, received_at, notified) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        &[
            Value::Text(e.event_id.clone()),
            Value::Integer(case_id),
            Value::Text(e.status.clone()),
            e.previous_status.clone().map_or(Value::Null, Value::Text),
            Value::Integer(e.occurred_at),
            Value::Integer(now),
            Value::Integer(notified),
        ],
    )?;
    Ok((202, answer(case_id, &e.status, notified)))
}
