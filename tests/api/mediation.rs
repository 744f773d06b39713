//! The mediation webhook end to end: signed deliveries recorded once, cases moving only forward,
//! and neutral SMS notices queued in the outbox for the parties.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use wenming_tests::{count, json, open_db, product_launch, unix_now, Edge, Json, Reply};

const SECRET: &str = "mediation-shared-secret";
const APPLICANT: &str = "13712340001";
const RESPONDENT: &str = "13712340002";

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
