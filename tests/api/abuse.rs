//! Holding up under abuse on the sign-in side (issue 13), against the product (`spin.toml`):
//! clients told apart by address (the edge passes the peer's IP; on loopback a client binds
//! 127.0.0.2 and up), password locks per account *and* client, the account-wide progressive
//! delay, rate limits per client and in all on sign-ins and SMS codes, bounded password checks
//! (503 `busy`, never 500) and the admin unlock clearing all of it.
//!
//! Every refusal is checked against the rows it must not have written.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use wenming_tests::{count, json, open_db, scalar, unix_now, Centre, Edge, Person, STAFF_PASSWORD};

/// One answer, kept whole so answers can be compared byte for byte.
#[derive(Debug, Clone, PartialEq)]
struct Answer {
    status: u16,
    retry_after: Option<i64>,
    body: String,
}

impl Answer {
    fn retry_after(&self) -> i64 {
        self.retry_after.unwrap_or_else(|| panic!("{} without Retry-After: {}", self.status, self.body))
    }

    fn code(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// An HTTP client whose connections come from `127.0.0.<n>`: another client, as far as the edge
/// (and `kit::client_key`) can tell.
fn client_at(n: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .build()
        .expect("a client bound to a loopback address")
}

async fn post_from(client: &reqwest::Client, edge: &Edge, path: &str, body: serde_json::Value) -> Answer {
    let reply = client.post(edge.url(path)).json(&body).send().await.expect("request sent");
    let status = reply.status().as_u16();
    let retry_after = reply.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().expect("seconds"));
    Answer { status, retry_after, body: reply.text().await.expect("body") }
}

async fn sign_in_from(client: &reqwest::Client, edge: &Edge, phone: &str, password: &str) -> Answer {
    post_from(client, edge, "/api/v1/sessions", json!({ "phone": phone, "password": password })).await
}

async fn code_from(client: &reqwest::Client, edge: &Edge, phone: &str) -> Answer {
    post_from(client, edge, "/api/v1/sms-codes", json!({ "phone": phone })).await
}

/// Sets a deployment rule as an operator would, straight in the database.
fn set_rule(edge: &Edge, key: &str, value: &str) {
    open_db(&edge.db_path())
        .execute(
            "INSERT INTO deployment_settings (key, value, updated_at) VALUES (?1, ?2, 0)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )
        .expect("setting written");
}

async fn target(c: &Centre) -> Person {
    c.staff("中心副主任", "13600000009", "centre-admin", c.centre).await
}

#[tokio::test]
async fn a_lock_set_by_one_client_does_not_stop_the_holder_signing_in_from_another() {
    // Arrange: the only other centre admin, and an outsider at 127.0.0.2.
    let c = Centre::new().await;
    let holder = target(&c).await;
    let outsider = client_at(2);
    let own = client_at(1);

    // Act: five wrong passwords from the outsider lock it out; then the right password from
    // both the outsider's address and the holder's.
    let mut wrong = Vec::new();
    for _ in 0..5 {
        wrong.push(sign_in_from(&outsider, &c.edge, &holder.phone, "guessing-wrong").await.status);
    }
    let from_outsider = sign_in_from(&outsider, &c.edge, &holder.phone, STAFF_PASSWORD).await;
    let sessions_before = count(&c.edge, "SELECT count(*) FROM sessions WHERE account_id = ?1", [holder.account_id]);
    let from_holder = sign_in_from(&own, &c.edge, &holder.phone, STAFF_PASSWORD).await;

    // Assert: the lock is the outsider's address's only, and the holder signs in.
    assert_eq!(wrong, [401; 5]);
    assert_eq!(from_outsider.status, 429, "{}", from_outsider.body);
    assert_eq!(from_outsider.code(), "throttled");
    assert!((14 * 60..=15 * 60).contains(&from_outsider.retry_after()), "{from_outsider:?}");
    assert_eq!(from_holder.status, 201, "the holder is not locked out: {}", from_holder.body);
    let sessions = count(&c.edge, "SELECT count(*) FROM sessions WHERE account_id = ?1", [holder.account_id]);
    assert_eq!(sessions, sessions_before + 1);
    let locked_until: i64 = scalar(
        &c.edge,
        "SELECT locked_until FROM sign_in_locks WHERE account_id = ?1 AND client = '127.0.0.2'",
        [holder.account_id],
    );
    assert!(locked_until > unix_now() + 14 * 60, "the outsider's address stays locked");
    let holders = count(
        &c.edge,
        "SELECT count(*) FROM sign_in_locks WHERE account_id = ?1 AND client = '127.0.0.1'",
        [holder.account_id],
    );
    assert_eq!(holders, 0, "the edge passed each peer's own address; the holder's success cleared its row");
    let failed: i64 = scalar(&c.edge, "SELECT failed_sign_ins FROM accounts WHERE id = ?1", [holder.account_id]);
    assert_eq!(failed, 0, "the holder's success restarts the account-wide count");
}

#[tokio::test]
async fn concurrent_wrong_passwords_from_several_clients_are_counted_per_client_with_one_answer() {
    // Arrange: the account-wide delay out of the way, so each client's own limit is what shows.
    let c = Centre::new().await;
    let holder = target(&c).await;
    set_rule(&c.edge, "identity.delay_after", "1000");
    // Every attempt waits for its password check rather than being turned away as busy, so the
    // count is the lock's alone on however slow a machine.
    set_rule(&c.edge, "identity.argon2_wait_ms", "10000");

    // Act: 15 wrong passwords at once from each of three clients.
    let mut tasks = Vec::new();
    for n in [2u8, 3, 4] {
        for _ in 0..15 {
            let (client, edge_url, phone) = (client_at(n), c.edge.url("/api/v1/sessions"), holder.phone.clone());
            tasks.push(tokio::spawn(async move {
                let body = json!({ "phone": phone, "password": "guessing-wrong" });
                let reply = client.post(edge_url).json(&body).send().await.expect("sent");
                let status = reply.status().as_u16();
                let retry = reply.headers().get("retry-after").map(|v| v.to_str().unwrap().parse::<i64>().unwrap());
                (n, Answer { status, retry_after: retry, body: reply.text().await.unwrap() })
            }));
        }
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task"));
    }

    // Assert: exactly five checked per client, every other one refused with the one answer.
    for n in [2u8, 3, 4] {
        let mine: Vec<&Answer> = answers.iter().filter(|(m, _)| *m == n).map(|(_, a)| a).collect();
        let checked = mine.iter().filter(|a| a.status == 401).count();
        assert_eq!(checked, 5, "client {n}: {mine:?}");
        let refused: Vec<&&Answer> = mine.iter().filter(|a| a.status != 401).collect();
        for a in &refused {
            assert_eq!(a.status, 429, "{a:?}");
            assert!((1..=15 * 60).contains(&a.retry_after()));
            assert_eq!(a.body, refused[0].body, "one answer for every refused attempt");
        }
    }
    let locks = count(
        &c.edge,
        "SELECT count(*) FROM sign_in_locks WHERE account_id = ?1 AND locked_until > ?2",
        [holder.account_id, unix_now()],
    );
    assert_eq!(locks, 3, "one lock per guessing client");
    let failed: i64 = scalar(&c.edge, "SELECT failed_sign_ins FROM accounts WHERE id = ?1", [holder.account_id]);
    assert_eq!(failed, 15, "every checked attempt is counted account-wide");
}

#[tokio::test]
async fn failures_from_many_clients_make_each_attempt_wait_a_doubling_delay_up_to_the_cap() {
    // Arrange: the delay starts after two failures and is capped at 4 s.
    let c = Centre::new().await;
    let holder = target(&c).await;
    set_rule(&c.edge, "identity.delay_after", "2");
    set_rule(&c.edge, "identity.delay_cap_s", "4");

    // Act: wrong passwords, each from a new client (so no client's own lock ever applies),
    // waiting out each delay; the delay each failure set is read back.
    let mut delays = Vec::new();
    for n in 10..16u8 {
        let client = client_at(n);
        let (before, answer) = loop {
            let before = unix_now();
            let answer = sign_in_from(&client, &c.edge, &holder.phone, "guessing-wrong").await;
            if answer.status != 429 {
                break (before, answer);
            }
            tokio::time::sleep(Duration::from_secs(answer.retry_after() as u64)).await;
        };
        assert_eq!(answer.status, 401, "{answer:?}");
        let until: Option<i64> =
            scalar(&c.edge, "SELECT delayed_until FROM accounts WHERE id = ?1", [holder.account_id]);
        delays.push(until.map(|u| u - before));
    }
    // Twenty clients at once while the capped delay runs, the right password among them.
    let mut tasks = Vec::new();
    for n in 20..40u8 {
        let (client, url, phone) = (client_at(n), c.edge.url("/api/v1/sessions"), holder.phone.clone());
        let password = if n == 30 { STAFF_PASSWORD } else { "guessing-wrong" };
        tasks.push(tokio::spawn(async move {
            let reply = client.post(url).json(&json!({ "phone": phone, "password": password })).send().await.unwrap();
            let status = reply.status().as_u16();
            let retry = reply.headers().get("retry-after").map(|v| v.to_str().unwrap().parse::<i64>().unwrap());
            Answer { status, retry_after: retry, body: reply.text().await.unwrap() }
        }));
    }
    let mut burst = Vec::new();
    for task in tasks {
        burst.push(task.await.unwrap());
    }
    let failed_after_burst: i64 =
        scalar(&c.edge, "SELECT failed_sign_ins FROM accounts WHERE id = ?1", [holder.account_id]);
    // The holder waits out the delay once and signs in.
    let own = client_at(1);
    let mut holder_answer = sign_in_from(&own, &c.edge, &holder.phone, STAFF_PASSWORD).await;
    let mut waited = 0;
    if holder_answer.status == 429 {
        waited = holder_answer.retry_after();
        tokio::time::sleep(Duration::from_secs(waited as u64)).await;
        holder_answer = sign_in_from(&own, &c.edge, &holder.phone, STAFF_PASSWORD).await;
    }

    // Assert: no delay for the first failure, then 1, 2, 4, 4, 4 s (a second boundary may add one).
    assert_eq!(delays[0], None, "{delays:?}");
    for (got, want) in delays[1..].iter().zip([1, 2, 4, 4, 4]) {
        let got = got.unwrap_or_else(|| panic!("no delay: {delays:?}"));
        assert!((want..=want + 1).contains(&got), "{delays:?}");
    }
    // At most one of the twenty was checked (the delay had at most just ended), whatever the
    // number of clients; every refusal was the same 429, the right password's included.
    let checked = burst.iter().filter(|a| a.status == 401 || a.status == 201).count();
    assert!(checked <= 1, "{burst:?}");
    assert!(failed_after_burst <= 6 + 1, "failures counted: {failed_after_burst}");
    let refused: Vec<&Answer> = burst.iter().filter(|a| a.status == 429).collect();
    assert!(refused.len() >= 19, "{burst:?}");
    for a in &refused {
        assert!((1..=4).contains(&a.retry_after()), "never more than the cap: {a:?}");
        assert_eq!(a.body, refused[0].body, "one answer for every refused attempt");
    }
    assert_eq!(holder_answer.status, 201, "{holder_answer:?}");
    assert!(waited <= 4, "the holder waited at most the cap: {waited}");
    let delayed: Option<i64> = scalar(&c.edge, "SELECT delayed_until FROM accounts WHERE id = ?1", [holder.account_id]);
    assert_eq!(delayed, None, "the holder's success lifts the delay");
}

#[tokio::test]
async fn an_admin_unlock_clears_every_clients_lock_and_the_account_wide_delay() {
    // Arrange: one client locked out, and the account-wide delay running.
    let c = Centre::new().await;
    let holder = target(&c).await;
    set_rule(&c.edge, "identity.delay_after", "5");
    set_rule(&c.edge, "identity.delay_cap_s", "600");
    let outsider = client_at(2);
    for _ in 0..5 {
        sign_in_from(&outsider, &c.edge, &holder.phone, "guessing-wrong").await;
    }
    let delayed: Option<i64> = scalar(&c.edge, "SELECT delayed_until FROM accounts WHERE id = ?1", [holder.account_id]);
    assert!(delayed.is_some(), "the failures started the account-wide delay");
    // The fifth failure's delay is one second, which a loaded machine can outlive before the
    // unlock; lengthen the running delay so the unlock surely meets it.
    open_db(&c.edge.db_path())
        .execute("UPDATE accounts SET delayed_until = ?1 WHERE id = ?2", [unix_now() + 600, holder.account_id])
        .expect("delay lengthened");

    // Act
    let unlocked = c.edge.post_empty_as(&c.admin, &format!("/api/v1/accounts/{}/unlock", holder.account_id)).await;
    let from_outsider = sign_in_from(&outsider, &c.edge, &holder.phone, STAFF_PASSWORD).await;

    // Assert
    assert_eq!(unlocked.status, 200, "{}", unlocked.text());
    assert_eq!(from_outsider.status, 201, "{from_outsider:?}");
    let locks = count(&c.edge, "SELECT count(*) FROM sign_in_locks WHERE account_id = ?1", [holder.account_id]);
    assert_eq!(locks, 0);
    let before: String = scalar(&c.edge, "SELECT before FROM audit_log WHERE action = 'account.unlock'", []);
    let before: serde_json::Value = serde_json::from_str(&before).unwrap();
    assert_eq!(before["clients_locked"], 1, "{before}");
    assert_eq!(before["locked"], true, "{before}");
    assert!(before["delayed_until"].is_string(), "{before}");
}

#[tokio::test]
async fn sign_ins_over_a_clients_budget_are_refused_and_change_nothing() {
    // Arrange
    let c = Centre::new().await;
    let holder = target(&c).await;
    set_rule(&c.edge, "throttle.sign_ins.per_client", "3");
    let guesser = client_at(2);
    for _ in 0..3 {
        assert_eq!(sign_in_from(&guesser, &c.edge, "13500000077", "x-unknown-phone").await.status, 401);
    }
    let failed_before: i64 = scalar(&c.edge, "SELECT failed_sign_ins FROM accounts WHERE id = ?1", [holder.account_id]);

    // Act
    let over = sign_in_from(&guesser, &c.edge, &holder.phone, "guessing-wrong").await;
    let other_client = sign_in_from(&client_at(3), &c.edge, &holder.phone, STAFF_PASSWORD).await;

    // Assert
    assert_eq!(over.status, 429, "{over:?}");
    assert_eq!(over.code(), "throttled");
    assert!((1..=60).contains(&over.retry_after()), "{over:?}");
    let failed: i64 = scalar(&c.edge, "SELECT failed_sign_ins FROM accounts WHERE id = ?1", [holder.account_id]);
    assert_eq!(failed, failed_before, "a throttled attempt is not counted");
    let locks = count(&c.edge, "SELECT count(*) FROM sign_in_locks WHERE client = '127.0.0.2'", []);
    assert_eq!(locks, 0);
    assert_eq!(other_client.status, 201, "another client has its own budget: {other_client:?}");
    let hits: i64 =
        scalar(&c.edge, "SELECT hits FROM throttle_counters WHERE name = 'sign_ins' AND client = '127.0.0.2'", []);
    assert_eq!(hits, 3);
}

/// `(sms_codes, outbox)` row counts.
fn codes_and_messages(edge: &Edge) -> (i64, i64) {
    (count(edge, "SELECT count(*) FROM sms_codes", []), count(edge, "SELECT count(*) FROM outbox", []))
}

#[tokio::test]
async fn sms_code_requests_over_a_clients_budget_are_refused_and_queue_nothing() {
    // Arrange: three codes per client per window.
    let c = Centre::new().await;
    set_rule(&c.edge, "throttle.sms_codes.per_client", "3");
    let pump = client_at(2);
    for i in 0..3 {
        let asked = code_from(&pump, &c.edge, &format!("1370000000{i}")).await;
        assert_eq!(asked.status, 202, "{asked:?}");
    }
    let before = codes_and_messages(&c.edge);

    // Act: a fourth phone from the same client, then one from another client.
    let over = code_from(&pump, &c.edge, "13700000009").await;
    let after_refusal = codes_and_messages(&c.edge);
    let elsewhere = code_from(&client_at(3), &c.edge, "13700000009").await;

    // Assert
    assert_eq!(over.status, 429, "{over:?}");
    assert_eq!(over.code(), "throttled");
    assert!((1..=600).contains(&over.retry_after()), "{over:?}");
    assert_eq!(after_refusal, before, "no code stored and no message queued");
    assert_eq!(count(&c.edge, "SELECT count(*) FROM sms_codes WHERE phone = '13700000009'", []), 1);
    assert_eq!(elsewhere.status, 202, "another client has its own budget: {elsewhere:?}");
    let hits: i64 =
        scalar(&c.edge, "SELECT hits FROM throttle_counters WHERE name = 'sms_codes' AND client = '127.0.0.2'", []);
    assert_eq!(hits, 3, "the refusal was not counted");
}

#[tokio::test]
async fn sms_code_requests_over_the_global_budget_are_refused_whatever_the_client() {
    // Arrange: four codes in all per window, each client well within its own budget.
    let c = Centre::new().await;
    set_rule(&c.edge, "throttle.sms_codes.global", "4");
    for n in 2..6u8 {
        let asked = code_from(&client_at(n), &c.edge, &format!("1370000001{n}")).await;
        assert_eq!(asked.status, 202, "{asked:?}");
    }
    let before = codes_and_messages(&c.edge);

    // Act
    let over = code_from(&client_at(6), &c.edge, "13700000019").await;

    // Assert
    assert_eq!(over.status, 429, "{over:?}");
    assert_eq!(over.code(), "throttled");
    assert!((1..=600).contains(&over.retry_after()), "{over:?}");
    assert_eq!(codes_and_messages(&c.edge), before, "no code stored and no message queued");
    let counted = count(&c.edge, "SELECT count(*) FROM throttle_counters WHERE client = '127.0.0.6'", []);
    assert_eq!(counted, 0, "the refused client's count was rolled back with the request");
}

#[tokio::test]
async fn a_sign_in_with_every_password_check_slot_taken_is_503_busy_and_counts_nothing() {
    // Arrange: one slot, held (as by a check in flight), and no waiting for it.
    let c = Centre::new().await;
    let holder = target(&c).await;
    set_rule(&c.edge, "identity.argon2_slots", "1");
    set_rule(&c.edge, "identity.argon2_wait_ms", "0");
    open_db(&c.edge.db_path())
        .execute("UPDATE argon2_slots SET held_until = ?1 WHERE slot = 1", [unix_now() + 600])
        .unwrap();
    let sessions_before = count(&c.edge, "SELECT count(*) FROM sessions", []);

    // Act
    let busy = sign_in_from(&client_at(2), &c.edge, &holder.phone, STAFF_PASSWORD).await;

    // Assert
    assert_eq!(busy.status, 503, "{busy:?}");
    assert_eq!(busy.code(), "busy");
    assert!(busy.retry_after() >= 1);
    assert_eq!(count(&c.edge, "SELECT count(*) FROM sessions", []), sessions_before);
    let failed: i64 = scalar(&c.edge, "SELECT failed_sign_ins FROM accounts WHERE id = ?1", [holder.account_id]);
    assert_eq!(failed, 0, "nothing counted");
    assert_eq!(count(&c.edge, "SELECT count(*) FROM throttle_counters WHERE client = '127.0.0.2'", []), 0);
}

#[tokio::test]
async fn a_sign_in_flood_answers_201_401_429_or_503_and_never_500() {
    // Arrange: two staff accounts; the flood mixes them with unknown phones, right and wrong
    // passwords, from eight clients.
    let c = Centre::new().await;
    let a = target(&c).await;
    let b = c.staff("东街站长", "13600000008", "centre-admin", c.centre).await;

    // Act: 80 sign-ins at once.
    let mut tasks = Vec::new();
    for i in 0..80u32 {
        let (client, url) = (client_at(2 + (i % 8) as u8), c.edge.url("/api/v1/sessions"));
        let (phone, password) = match i % 4 {
            0 => (a.phone.clone(), STAFF_PASSWORD.to_owned()),
            1 => (b.phone.clone(), "guessing-wrong".to_owned()),
            _ => (format!("1350000{i:04}"), "unknown-phone".to_owned()),
        };
        tasks.push(tokio::spawn(async move {
            let reply = client.post(url).json(&json!({ "phone": phone, "password": password })).send().await.unwrap();
            let status = reply.status().as_u16();
            let retry = reply.headers().get("retry-after").map(|v| v.to_str().unwrap().parse::<i64>().unwrap());
            Answer { status, retry_after: retry, body: reply.text().await.unwrap() }
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }

    // Assert: every answer is one of the four, 429 and 503 say when to retry, and every
    // password-check slot was given back.
    for answer in &answers {
        assert!([201, 401, 429, 503].contains(&answer.status), "{answer:?}");
        if [429, 503].contains(&answer.status) {
            assert!(answer.retry_after() >= 1, "{answer:?}");
        }
    }
    assert!(answers.iter().any(|a| a.status == 201), "the holder's right passwords got through: {answers:?}");
    let held = count(&c.edge, "SELECT count(*) FROM argon2_slots WHERE held_until > ?1", [unix_now()]);
    assert_eq!(held, 0, "every slot given back");
    let sessions = count(&c.edge, "SELECT count(*) FROM sessions WHERE account_id = ?1", [a.account_id]);
    let signed_in = answers.iter().filter(|x| x.status == 201).count() as i64;
    assert_eq!(sessions, signed_in + 1, "one session per 201 (plus the fixture's)");
}

#[tokio::test]
async fn counters_of_clients_whose_window_ended_are_swept_when_a_new_window_starts() {
    // Arrange: one-second windows; a client counted in one window.
    let c = Centre::new().await;
    set_rule(&c.edge, "throttle.sms_codes.window_s", "1");
    assert_eq!(code_from(&client_at(2), &c.edge, "13700000021").await.status, 202);
    let rows_before = count(&c.edge, "SELECT count(*) FROM throttle_counters WHERE client = '127.0.0.2'", []);

    // Act: the next window's first request, from another client.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(code_from(&client_at(3), &c.edge, "13700000022").await.status, 202);

    // Assert: the old client's row went; the new one's and the global one stay.
    assert_eq!(rows_before, 1);
    assert_eq!(count(&c.edge, "SELECT count(*) FROM throttle_counters WHERE client = '127.0.0.2'", []), 0);
    assert_eq!(count(&c.edge, "SELECT count(*) FROM throttle_counters WHERE name = 'sms_codes'", []), 2);
}
