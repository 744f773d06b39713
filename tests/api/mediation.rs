//! The mediation webhook end to end: signed deliveries recorded once, cases moving only forward,
//! neutral SMS notices queued in the outbox for the parties and for the case's handler (承办人员);
//! and staff reading cases in their scope with their timelines and notice statuses.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use wenming_tests::{count, entries, id, json, open_db, product_launch, unix_now, Centre, Edge, Json, Reply};

const SECRET: &str = "mediation-shared-secret";
const APPLICANT: &str = "13712340001";
const RESPONDENT: &str = "13712340002";
const HANDLER: &str = "13712340009";

fn receiver() -> Edge {
    product_launch(false).env("SPIN_VARIABLE_MEDIATION_WEBHOOK_SECRET", SECRET).start()
}

fn signature(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

async fn deliver_signed(edge: &Edge, body: &Json, secret: &str, sent_at: i64) -> Reply {
    let text = body.to_string();
    let timestamp = sent_at.to_string();
    let signed = signature(secret, &timestamp, &text);
    edge.request(
        "POST",
        "/hooks/mediation",
        &[("content-type", "application/json"), ("x-wenming-timestamp", &timestamp), ("x-wenming-signature", &signed)],
        text,
    )
    .await
}

async fn deliver(edge: &Edge, body: &Json) -> Reply {
    deliver_signed(edge, body, SECRET, unix_now()).await
}

fn event(event_id: &str, status: &str) -> Json {
    json!({
        "event_id": event_id,
        "case_no": "(2026)X0101诉前调123号",
        "source": "court",
        "status": status,
        "occurred_at": "2026-12-01T10:00:00+08:00",
        "parties": [{ "role": "applicant", "phone": APPLICANT }, { "role": "respondent", "phone": RESPONDENT }],
        "notify": ["sms"],
    })
}

fn case_status(edge: &Edge) -> String {
    open_db(&edge.db_path())
        .query_row("SELECT status FROM mediation_cases", [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("case status: {e}"))
}

#[tokio::test]
async fn a_signed_event_is_recorded_once_and_tells_both_parties_in_neutral_words() {
    // Arrange
    let edge = receiver();

    // Act: delivered, then retried by the platform.
    let first = deliver(&edge, &event("evt-1", "accepted")).await;
    let retry = deliver(&edge, &event("evt-1", "accepted")).await;

    // Assert
    assert_eq!(first.status, 202, "{}", first.text());
    assert_eq!(first.json()["notified"], 2, "{}", first.text());
    assert_eq!(retry.status, 200, "a retry answers the same: {}", retry.text());
    assert_eq!(retry.json()["case_id"], first.json()["case_id"]);
    assert_eq!(case_status(&edge), "accepted");
    assert_eq!(count(&edge, "SELECT count(*) FROM mediation_events", []), 1);
    assert_eq!(count(&edge, "SELECT count(*) FROM outbox WHERE template = 'case-status'", []), 2, "one SMS each, once");
    let params: Vec<String> = open_db(&edge.db_path())
        .prepare("SELECT recipient || ' ' || params FROM outbox WHERE template = 'case-status' ORDER BY recipient")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(params[0].starts_with(APPLICANT) && params[1].starts_with(RESPONDENT), "{params:?}");
    for p in &params {
        assert!(p.contains("诉前调123号") && p.contains("已受理"), "the case and its status: {p}");
        assert!(!p.contains("法院") && !p.contains("调解"), "neutral words only: {p}");
    }
}

#[tokio::test]
async fn unsigned_stale_or_forged_deliveries_change_nothing() {
    let edge = receiver();
    let body = event("evt-1", "accepted");

    let wrong_secret = deliver_signed(&edge, &body, "not-the-secret", unix_now()).await;
    let stale = deliver_signed(&edge, &body, SECRET, unix_now() - 3600).await;
    let unsigned =
        edge.request("POST", "/hooks/mediation", &[("content-type", "application/json")], body.to_string()).await;
    let no_secret = product_launch(false).start();
    let unconfigured = deliver(&no_secret, &body).await;

    for (what, reply) in [("wrong secret", &wrong_secret), ("an hour old", &stale), ("unsigned", &unsigned)] {
        assert_eq!(reply.status, 401, "{what}: {}", reply.text());
    }
    assert_eq!(unconfigured.status, 403, "{}", unconfigured.text());
    assert_eq!(unconfigured.error_code(), "not_configured");
    assert_eq!(count(&edge, "SELECT count(*) FROM mediation_cases", []), 0);
    assert_eq!(count(&edge, "SELECT count(*) FROM outbox", []), 0);
}

#[tokio::test]
async fn a_case_moves_only_forward_and_bad_events_are_refused_whole() {
    // Arrange
    let edge = receiver();
    assert_eq!(deliver(&edge, &event("evt-1", "in_progress")).await.status, 202);

    // Act
    let late = deliver(&edge, &event("evt-0", "accepted")).await;
    let mut mismatched = event("evt-2", "succeeded");
    mismatched["previous_status"] = json!("accepted");
    let mismatched = deliver(&edge, &mismatched).await;
    let unknown = deliver(&edge, &event("evt-3", "settled")).await;
    let mut bad_phone = event("evt-4", "succeeded");
    bad_phone["parties"][1]["phone"] = json!("12345");
    let bad_phone = deliver(&edge, &bad_phone).await;
    let reused = deliver(&edge, &event("evt-1", "failed")).await;
    let forward = deliver(&edge, &event("evt-5", "failed")).await;
    let filed = deliver(&edge, &event("evt-6", "case_filed")).await;
    let after_final = deliver(&edge, &event("evt-7", "withdrawn")).await;

    // Assert
    assert_eq!(late.status, 409, "{}", late.text());
    assert_eq!(late.error_code(), "stale_transition");
    assert_eq!(mismatched.status, 409, "{}", mismatched.text());
    assert_eq!(mismatched.error_code(), "status_mismatch");
    assert_eq!((unknown.status, unknown.error_field()), (422, "status".to_string()), "{}", unknown.text());
    assert_eq!((bad_phone.status, bad_phone.error_field()), (422, "parties[1].phone".to_string()));
    assert_eq!(reused.status, 409, "{}", reused.text());
    assert_eq!(forward.status, 202, "{}", forward.text());
    assert_eq!(filed.status, 202, "{}", filed.text());
    assert_eq!(after_final.status, 409, "a filed case is final: {}", after_final.text());
    assert_eq!(case_status(&edge), "case_filed");
    assert_eq!(count(&edge, "SELECT count(*) FROM mediation_events", []), 3, "only the accepted events");
    assert_eq!(count(&edge, "SELECT count(*) FROM outbox", []), 6, "two parties × three events");
}

#[tokio::test]
async fn a_signature_that_is_not_hex_is_unauthenticated_and_nothing_is_recorded() {
    // Arrange
    let edge = receiver();
    let body = event("evt-hex", "accepted").to_string();
    let timestamp = unix_now().to_string();
    let good = signature(SECRET, &timestamp, &body);
    let hex = good.strip_prefix("sha256=").unwrap();
    let cases = [
        ("an odd number of digits", format!("sha256={}", &hex[1..])),
        ("a non-hex digit", format!("sha256=g{}", &hex[1..])),
        ("a sign where a digit goes", format!("sha256=+{}", &hex[1..])),
        (
            "upper-case hex of another body",
            signature(SECRET, &timestamp, "{}").to_uppercase().replace("SHA256=", "sha256="),
        ),
    ];

    for (what, signed) in cases {
        // Act
        let reply = edge
            .request(
                "POST",
                "/hooks/mediation",
                &[
                    ("content-type", "application/json"),
                    ("x-wenming-timestamp", &timestamp),
                    ("x-wenming-signature", &signed),
                ],
                body.clone(),
            )
            .await;

        // Assert
        assert_eq!(reply.status, 401, "{what}: {}", reply.text());
    }
    assert_eq!(count(&edge, "SELECT count(*) FROM mediation_events", []), 0);
    assert_eq!(count(&edge, "SELECT count(*) FROM outbox", []), 0);

    // Upper-case hex of the right signature is the same signature.
    let upper = format!("sha256={}", hex.to_uppercase());
    let reply = edge
        .request(
            "POST",
            "/hooks/mediation",
            &[
                ("content-type", "application/json"),
                ("x-wenming-timestamp", &timestamp),
                ("x-wenming-signature", &upper),
            ],
            body,
        )
        .await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(count(&edge, "SELECT count(*) FROM mediation_events", []), 1);
}

// ---- The handler (承办人员) and staff's view -----------------------------------------------------

/// `event` naming the handler and the org the case belongs to (`org` None: not given).
fn handled(event_id: &str, status: &str, org: Option<i64>) -> Json {
    let mut body = event(event_id, status);
    body["handler"] = json!({ "name": "王承办", "phone": HANDLER });
    if let Some(org) = org {
        body["org_id"] = json!(org);
    }
    body
}

fn handler_notices(edge: &Edge) -> i64 {
    count(edge, "SELECT count(*) FROM outbox WHERE template = 'case-handler' AND recipient = ?1", [HANDLER])
}

#[tokio::test]
async fn the_handler_is_told_of_every_status_change_and_a_bad_handler_changes_nothing() {
    // Arrange
    let edge = receiver();

    // Act: accepted (parties and handler told), then in progress with no party notice
    let first = deliver(&edge, &handled("evt-1", "accepted", None)).await;
    let mut quiet = handled("evt-2", "in_progress", None);
    quiet.as_object_mut().unwrap().remove("notify");
    let second = deliver(&edge, &quiet).await;
    let mut bad = handled("evt-3", "succeeded", None);
    bad["handler"]["phone"] = json!("12345");
    let bad = deliver(&edge, &bad).await;
    let mut stray = handled("evt-4", "succeeded", None);
    stray["handler"]["email"] = json!("a@example.com");
    let stray = deliver(&edge, &stray).await;
    let unknown_org = deliver(&edge, &handled("evt-5", "succeeded", Some(999_999))).await;

    // Assert
    assert_eq!((first.status, first.json()["notified"].as_i64()), (202, Some(3)), "{}", first.text());
    assert_eq!((second.status, second.json()["notified"].as_i64()), (202, Some(1)), "{}", second.text());
    assert_eq!((bad.status, bad.error_field()), (422, "handler.phone".to_string()), "{}", bad.text());
    assert_eq!((stray.status, stray.error_field()), (422, "handler.email".to_string()), "{}", stray.text());
    assert_eq!((unknown_org.status, unknown_org.error_field()), (422, "org_id".to_string()), "{}", unknown_org.text());
    assert_eq!(handler_notices(&edge), 2, "one notice per status change, to the handler");
    assert_eq!(count(&edge, "SELECT count(*) FROM outbox WHERE template = 'case-status'", []), 2, "parties once");
    let texts: Vec<String> = open_db(&edge.db_path())
        .prepare("SELECT params FROM outbox WHERE template = 'case-handler' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(texts[0].contains("已受理") && texts[1].contains("处理中"), "{texts:?}");
    assert!(texts.iter().all(|t| !t.contains("调解") && !t.contains("法院")), "neutral words: {texts:?}");
    assert_eq!(count(&edge, "SELECT count(*) FROM mediation_events", []), 2, "refused events recorded nothing");
    assert_eq!(case_status(&edge), "in_progress");
    let stored: (String, String) = open_db(&edge.db_path())
        .query_row("SELECT handler_name, handler_phone FROM mediation_cases", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(stored, ("王承办".to_owned(), HANDLER.to_owned()));
}

#[tokio::test]
async fn staff_read_cases_in_their_scope_with_timelines_and_notice_statuses() {
    // Arrange: a case at station A (two events), one at station B, one naming no org (the centre)
    let c = Centre::on(receiver()).await.with_stations().await;
    let admin_a = c.staff("东街站长", "13922220002", "station-admin", c.a).await;
    let citizen = c.citizen("15855550001").await;
    let mut at_a = handled("a-1", "accepted", Some(c.a));
    at_a["case_no"] = json!("(2026)A-1");
    let mut at_a_later = handled("a-2", "in_progress", Some(c.a));
    at_a_later["case_no"] = json!("(2026)A-1");
    let mut at_b = handled("b-1", "accepted", Some(c.b));
    at_b["case_no"] = json!("(2026)B-1");
    let mut at_centre = event("c-1", "submitted");
    at_centre["case_no"] = json!("(2026)C-1");
    for body in [&at_a, &at_a_later, &at_b, &at_centre] {
        assert_eq!(deliver(&c.edge, body).await.status, 202);
    }
    let case_a = scalar_id(&c.edge, "(2026)A-1");
    let case_b = scalar_id(&c.edge, "(2026)B-1");

    // Act
    let all = c.edge.get_as(&c.admin, "/api/v1/mediation/cases").await;
    let mine = c.edge.get_as(&admin_a.token, "/api/v1/mediation/cases").await;
    let accepted = c.edge.get_as(&c.admin, "/api/v1/mediation/cases?status=accepted").await;
    let bogus = c.edge.get_as(&c.admin, "/api/v1/mediation/cases?status=settled").await;
    let detail = c.edge.get_as(&admin_a.token, &format!("/api/v1/mediation/cases/{case_a}")).await;
    let elsewhere = c.edge.get_as(&admin_a.token, &format!("/api/v1/mediation/cases/{case_b}")).await;
    let by_citizen = c.edge.get_as(&citizen.token, "/api/v1/mediation/cases").await;
    let anonymous = c.edge.get("/api/v1/mediation/cases").await;

    // Assert: scope
    assert_eq!(all.status, 200, "{}", all.text());
    let numbers: Vec<String> = entries(&all.json()).iter().map(|e| e["case_no"].as_str().unwrap().to_owned()).collect();
    assert_eq!(numbers, ["(2026)A-1", "(2026)B-1", "(2026)C-1"], "the centre sees every case");
    let mine: Vec<i64> = entries(&mine.json()).iter().map(id).collect();
    assert_eq!(mine, [case_a], "station A's admin sees A's case only");
    assert_eq!(entries(&accepted.json()).len(), 1, "{}", accepted.text());
    assert_eq!((bogus.status, bogus.error_field()), (422, "status".to_string()));
    assert_eq!(elsewhere.status, 404, "{}", elsewhere.text());
    assert_eq!(by_citizen.status, 403, "{}", by_citizen.text());
    assert_eq!(anonymous.status, 401, "{}", anonymous.text());

    // Assert: the list masks the handler; the detail has the timeline and every notice's status
    let listed = &entries(&all.json())[0];
    assert_eq!(listed["handler"]["phone"], "137****0009", "{listed}");
    assert_eq!(listed["org"]["id"], c.a, "{listed}");
    assert_eq!(detail.status, 200, "{}", detail.text());
    let d = detail.json();
    assert_eq!((d["status"].as_str(), d["status_label"].as_str()), (Some("in_progress"), Some("处理中")), "{d}");
    assert_eq!(d["handler"], json!({ "name": "王承办", "phone": HANDLER }), "{d}");
    let timeline = d["timeline"].as_array().unwrap();
    let statuses: Vec<&str> = timeline.iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["accepted", "in_progress"], "{d}");
    let notices = timeline[0]["notices"].as_array().unwrap();
    let roles: Vec<&str> = notices.iter().map(|n| n["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["applicant", "respondent", "handler"], "{d}");
    for n in notices {
        assert_eq!(n["status"], "queued", "{n}");
        assert!(n["recipient"].as_str().unwrap().contains("****"), "masked: {n}");
    }
    assert_eq!(timeline[0]["notified"], 3, "{d}");
}

fn scalar_id(edge: &Edge, case_no: &str) -> i64 {
    wenming_tests::scalar::<i64>(edge, "SELECT id FROM mediation_cases WHERE case_no = ?1", [case_no])
}
