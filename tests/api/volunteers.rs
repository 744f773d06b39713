//! Volunteers, teams and organisations through the real product (`spin.toml`): resident-ID
//! validation, conflicts, masking in lists, exports and for auditors, subtree isolation between
//! stations, volunteer numbers, team membership decisions and organisation review. The contract
//! is `docs/directory-api.md`.

use std::collections::HashSet;

use domain::mask::{mask_id_number, mask_phone};
use domain::resident_id::check_char;
use domain::Date;
use wenming_tests::{
    count, id, items, json, open_db, row_count, scalar, unix_now, volunteer_registration, County, Edge, Json,
    CENTRE_ADMIN_PHONE,
};

/// A registration body whose ID number is valid and agrees with `birth` (`YYYY-MM-DD`) and
/// `male`.
fn person(name: &str, phone: &str, birth: &str, male: bool, seq: u32, home: i64) -> Json {
    let mut body = volunteer_registration(name, phone, &birth.replace('-', ""), seq, male, home);
    body["skills"] = json!(["医疗救护", "心理疏导"]);
    body["service_area"] = json!("城关镇东街");
    body
}

// ---- Registration ---------------------------------------------------------------------------

#[tokio::test]
async fn a_volunteer_registered_by_the_centre_admin_gets_a_wm_number_not_derived_from_the_id() {
    let c = County::new().await;
    let body = person("张伟", "13812345678", "1990-03-07", true, 12, c.a);
    let id_number = body["id_number"].as_str().unwrap().to_owned();

    let reply = c.edge.post_as(&c.admin, "/api/v1/volunteers", &body).await;

    assert_eq!(reply.status, 201, "{}", reply.text());
    let v = reply.json();
    let number = v["volunteer_no"].as_str().unwrap_or_else(|| panic!("no volunteer_no: {v}"));
    assert!(
        number.len() == 12 && number.starts_with("WM") && number[2..].bytes().all(|b| b.is_ascii_digit()),
        "^WM\\d{{10}}$: {number}"
    );
    assert_eq!(&number[2..6], Date::of(unix_now()).year().to_string(), "WM + the year: {number}");
    assert!(!number.contains(&id_number[6..14]), "no birth date in {number}");
    assert!(!number.contains(&id_number[12..]), "no ID tail in {number}");
    assert!(!number.contains(&id_number[..6]), "no region code in {number}");
    let vid = id(&v);
    let (account, home, stored_no): (i64, i64, String) = open_db(&c.edge.db_path())
        .query_row("SELECT account_id, home_org_id, volunteer_no FROM volunteers WHERE id = ?1", [vid], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .expect("the volunteer row");
    assert_eq!(home, c.a);
    assert_eq!(stored_no, number);
    assert_eq!(
        count(&c.edge, "SELECT count(*) FROM accounts WHERE id = ?1 AND phone = '13812345678'", [account]),
        1,
        "an account was created for the new phone"
    );
    assert_eq!(
        count(
            &c.edge,
            "SELECT count(*) FROM role_grants WHERE account_id = ?1 AND role = 'volunteer' AND org_id = ?2",
            [account, c.a]
        ),
        1,
        "the volunteer role at the home org"
    );
}

#[tokio::test]
async fn an_id_number_with_a_wrong_check_digit_is_refused_and_nothing_is_written() {
    let c = County::new().await;
    let mut body = person("张伟", "13812345678", "1990-03-07", true, 12, c.a);
    let good = body["id_number"].as_str().unwrap().to_owned();
    let wrong_check = if good.ends_with('0') { '1' } else { '0' };
    body["id_number"] = json!(format!("{}{wrong_check}", &good[..17]));

    let reply = c.edge.post_as(&c.admin, "/api/v1/volunteers", &body).await;

    assert_eq!(reply.status, 422, "{}", reply.text());
    assert_eq!(reply.error_field(), "id_number", "{}", reply.text());
    assert_eq!(row_count(&c.edge.db_path(), "volunteers"), 0);
    assert_eq!(count(&c.edge, "SELECT count(*) FROM accounts WHERE phone = '13812345678'", []), 0, "no account either");
    assert_eq!(count(&c.edge, "SELECT count(*) FROM audit_log WHERE action LIKE 'volunteer.%'", []), 0);
}

#[tokio::test]
async fn malformed_id_numbers_are_refused_with_field_id_number() {
    let c = County::new().await;
    let base = person("张伟", "13812345678", "1990-03-07", true, 12, c.a);
    let impossible_date = {
        let first17 = "11010119900230121"; // 30 February
        format!("{first17}{}", check_char(first17).expect("17 digits"))
    };
    let good = base["id_number"].as_str().unwrap().to_owned();

    let mut replies = Vec::new();
    for bad in
        [impossible_date.clone(), good[..17].to_owned(), format!("{good}0"), format!("A{}", &good[1..]), String::new()]
    {
        let mut body = base.clone();
        body["id_number"] = json!(bad);
        if bad == impossible_date {
            body["birth_date"] = json!("1990-02-28");
        }
        replies.push((bad, c.edge.post_as(&c.admin, "/api/v1/volunteers", &body).await));
    }

    for (bad, reply) in &replies {
        assert_eq!(reply.status, 422, "{bad:?}: {}", reply.text());
        assert_eq!(reply.error_field(), "id_number", "{bad:?}: {}", reply.text());
    }
    assert_eq!(row_count(&c.edge.db_path(), "volunteers"), 0);
}

#[tokio::test]
async fn a_birth_date_or_gender_that_disagrees_with_the_id_number_is_refused() {
    let c = County::new().await;
    let mut wrong_birth = person("张伟", "13812345678", "1990-03-07", true, 12, c.a);
    wrong_birth["birth_date"] = json!("1990-03-08");
    let mut wrong_gender = person("张伟", "13812345678", "1990-03-07", true, 12, c.a);
    wrong_gender["gender"] = json!("female");
    let mut not_a_date = person("张伟", "13812345678", "1990-03-07", true, 12, c.a);
    not_a_date["birth_date"] = json!("1990/03/07");

    let birth = c.edge.post_as(&c.admin, "/api/v1/volunteers", &wrong_birth).await;
    let gender = c.edge.post_as(&c.admin, "/api/v1/volunteers", &wrong_gender).await;
    let format = c.edge.post_as(&c.admin, "/api/v1/volunteers", &not_a_date).await;

    assert_eq!(birth.status, 422, "{}", birth.text());
    assert!(["birth_date", "id_number"].contains(&birth.error_field().as_str()), "{}", birth.text());
    assert_eq!(gender.status, 422, "{}", gender.text());
    assert!(["gender", "id_number"].contains(&gender.error_field().as_str()), "{}", gender.text());
    assert_eq!(format.status, 422, "{}", format.text());
    assert_eq!(format.error_field(), "birth_date", "{}", format.text());
    assert_eq!(row_count(&c.edge.db_path(), "volunteers"), 0);
}

#[tokio::test]
async fn a_phone_or_id_number_already_registered_is_a_conflict() {
    let c = County::new().await;
    let first = person("张伟", "13812345678", "1990-03-07", true, 12, c.a);
    c.register(&first).await;
    let same_phone = person("李娜", "13812345678", "1992-11-20", false, 34, c.a);
    let mut same_id = person("王芳", "13812345679", "1990-03-07", true, 12, c.b);
    same_id["real_name"] = json!("王芳");

    let phone = c.edge.post_as(&c.admin, "/api/v1/volunteers", &same_phone).await;
    let id_number = c.edge.post_as(&c.admin, "/api/v1/volunteers", &same_id).await;

    assert_eq!(phone.status, 409, "{}", phone.text());
    assert_eq!(phone.error_code(), "phone_taken", "{}", phone.text());
    assert_eq!(id_number.status, 409, "{}", id_number.text());
    assert_eq!(id_number.error_code(), "id_number_taken", "{}", id_number.text());
    assert_eq!(row_count(&c.edge.db_path(), "volunteers"), 1);
    assert_eq!(
        count(&c.edge, "SELECT count(*) FROM accounts WHERE phone = '13812345679'", []),
        0,
        "nothing half-written"
    );
}

#[tokio::test]
async fn a_retried_registration_with_the_same_idempotency_key_registers_once() {
    let c = County::new().await;
    let body = person("张伟", "13812345678", "1990-03-07", true, 12, c.a);
    let post = || {
        c.edge.api(Some(&c.admin), "POST", "/api/v1/volunteers", &[("Idempotency-Key", "reg-zhangwei")], Some(&body))
    };

    let first = post().await;
    let retry = post().await;

    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(retry.status, 201, "{}", retry.text());
    assert_eq!(first.json(), retry.json());
    assert_eq!(row_count(&c.edge.db_path(), "volunteers"), 1);
}

#[tokio::test]
async fn a_citizen_registers_themself_but_nobody_else() {
    let c = County::new().await;
    let session = c.edge.session_by_code(&c.admin, "13700000011").await;
    let citizen = session["token"].as_str().unwrap().to_owned();
    let citizen_id = session["account"]["id"].as_i64().unwrap();

    let someone_else = c
        .edge
        .post_as(&citizen, "/api/v1/volunteers", &person("冒名者", "13700000012", "1985-06-15", true, 21, c.a))
        .await;
    let themself = c
        .edge
        .post_as(&citizen, "/api/v1/volunteers", &person("赵敏", "13700000011", "1995-08-01", false, 43, c.a))
        .await;

    assert!([403, 422].contains(&someone_else.status), "{}", someone_else.text());
    assert_eq!(count(&c.edge, "SELECT count(*) FROM volunteers WHERE phone = '13700000012'", []), 0);
    assert_eq!(count(&c.edge, "SELECT count(*) FROM accounts WHERE phone = '13700000012'", []), 0);
    assert_eq!(themself.status, 201, "{}", themself.text());
    assert_eq!(count(&c.edge, "SELECT account_id FROM volunteers WHERE phone = '13700000011'", []), citizen_id);
    assert_eq!(
        count(
            &c.edge,
            "SELECT count(*) FROM role_grants WHERE account_id = ?1 AND role = 'volunteer' AND org_id = ?2",
            [citizen_id, c.a]
        ),
        1
    );
}

#[tokio::test]
async fn a_station_admin_registers_volunteers_at_their_station_only() {
    let c = County::new().await;
    let (_, station_admin) =
        c.edge.create_staff(&c.admin, "东街站长", "13600000001", "station-a-pw", "station-admin", c.a).await;

    let at_b = c
        .edge
        .post_as(&station_admin, "/api/v1/volunteers", &person("李娜", "13812340001", "1992-11-20", false, 34, c.b))
        .await;
    let at_a = c
        .edge
        .post_as(&station_admin, "/api/v1/volunteers", &person("张伟", "13812340002", "1990-03-07", true, 12, c.a))
        .await;

    assert!([403, 404].contains(&at_b.status), "{}", at_b.text());
    assert_eq!(at_a.status, 201, "{}", at_a.text());
    assert_eq!(count(&c.edge, "SELECT count(*) FROM volunteers WHERE home_org_id = ?1", [c.b]), 0);
    assert_eq!(count(&c.edge, "SELECT count(*) FROM volunteers WHERE home_org_id = ?1", [c.a]), 1);
}

#[tokio::test]
async fn a_station_admin_cannot_register_someone_elses_staff_but_can_register_a_citizen() {
    // Arrange: a station admin at A, and staff who work elsewhere: the centre admin, the
    // institute admin and a department handler at the centre; and a plain citizen.
    let c = County::new().await;
    let station_admin = c.staff("东街站长", "13600000001", "station-admin", c.a).await;
    let institute_admin = c.staff("城关镇管理员", "13600000002", "institute-admin", c.institute).await;
    let (_, handler) = c.department(c.centre, "民政科", "民政科办事员", "13600000003").await;
    let citizen = c.citizen("13812340009").await;
    let grants_before = row_count(&c.edge.db_path(), "role_grants");

    // Act
    let mut refused = Vec::new();
    for (seq, (whose, phone)) in
        [("centre admin", CENTRE_ADMIN_PHONE), ("institute admin", "13600000002"), ("handler", "13600000003")]
            .into_iter()
            .enumerate()
    {
        let body = person("冒名者", phone, "1990-03-07", true, 20 + seq as u32, c.a);
        refused.push((whose, c.edge.post_as(&station_admin.token, "/api/v1/volunteers", &body).await));
    }
    let grants_after_refusals = row_count(&c.edge.db_path(), "role_grants");
    let volunteers_after_refusals = row_count(&c.edge.db_path(), "volunteers");
    let citizen_registered = c
        .edge
        .post_as(
            &station_admin.token,
            "/api/v1/volunteers",
            &person("王芳", &citizen.phone, "1988-05-01", false, 31, c.a),
        )
        .await;

    // Assert: each refused like a foreign team leader (422 on the field naming the person), with
    // no account id disclosed and nothing written; the citizen registers.
    for (whose, reply) in &refused {
        assert_eq!(reply.status, 422, "{whose}: {}", reply.text());
        assert_eq!(reply.error_field(), "phone", "{whose}: {}", reply.text());
        assert!(!reply.text().contains("account_id"), "{whose}: {}", reply.text());
    }
    assert_eq!(volunteers_after_refusals, 0);
    assert_eq!(grants_after_refusals, grants_before);
    for account in [c.admin_id, institute_admin.account_id, handler.account_id] {
        assert_eq!(
            count(&c.edge, "SELECT count(*) FROM role_grants WHERE account_id = ?1 AND role = 'volunteer'", [account]),
            0
        );
    }
    assert_eq!(citizen_registered.status, 201, "{}", citizen_registered.text());
    assert_eq!(citizen_registered.json()["account_id"], citizen.account_id);
    assert_eq!(
        count(
            &c.edge,
            "SELECT count(*) FROM role_grants WHERE account_id = ?1 AND role = 'volunteer' AND org_id = ?2",
            [citizen.account_id, c.a]
        ),
        1
    );
}

#[tokio::test]
async fn a_station_admin_cannot_tell_another_stations_org_from_a_missing_one() {
    let c = County::new().await;
    let (admin_a_id, admin_a) =
        c.edge.create_staff(&c.admin, "东街站长", "13600000001", "station-a-pw", "station-admin", c.a).await;
    let missing = 999_999;
    let volunteer_at = |org: i64| person("李娜", "13812340001", "1992-11-20", false, 34, org);
    let team_at =
        |org: i64| json!({ "org_id": org, "name": "越权服务队", "leader_account_id": admin_a_id, "categories": [] });

    let volunteer_b = c.edge.post_as(&admin_a, "/api/v1/volunteers", &volunteer_at(c.b)).await;
    let volunteer_missing = c.edge.post_as(&admin_a, "/api/v1/volunteers", &volunteer_at(missing)).await;
    let team_b = c.edge.post_as(&admin_a, "/api/v1/teams", &team_at(c.b)).await;
    let team_missing = c.edge.post_as(&admin_a, "/api/v1/teams", &team_at(missing)).await;

    // "A resource outside the caller's scope is 404, not 403 (do not reveal it exists)".
    let shape = |r: &wenming_tests::Reply| (r.status, r.error_code(), r.error_field());
    assert_ne!(volunteer_b.status, 403, "B's existence is revealed: {}", volunteer_b.text());
    assert_eq!(
        shape(&volunteer_b),
        shape(&volunteer_missing),
        "{} vs {}",
        volunteer_b.text(),
        volunteer_missing.text()
    );
    assert_ne!(team_b.status, 403, "B's existence is revealed: {}", team_b.text());
    assert_eq!(shape(&team_b), shape(&team_missing), "{} vs {}", team_b.text(), team_missing.text());
    assert_eq!(row_count(&c.edge.db_path(), "volunteers"), 0);
    assert_eq!(row_count(&c.edge.db_path(), "teams"), 0);
}

// ---- Masking --------------------------------------------------------------------------------

#[tokio::test]
async fn lists_and_the_csv_export_mask_phone_and_id_number_even_for_the_centre_admin() {
    let c = County::new().await;
    let zhang = person("张伟", "13812345678", "1990-03-07", true, 12, c.a);
    let li = person("李娜", "13987654321", "1992-11-20", false, 34, c.b);
    c.register(&zhang).await;
    c.register(&li).await;

    let list = c.edge.get_as(&c.admin, "/api/v1/volunteers").await;
    let csv = c.edge.get_as(&c.admin, "/api/v1/volunteers/export.csv").await;

    assert_eq!(list.status, 200, "{}", list.text());
    let listed = list.json();
    assert_eq!(items(&listed).len(), 2, "{listed}");
    for (v, body) in items(&listed).iter().zip([&zhang, &li]) {
        let phone = body["phone"].as_str().unwrap();
        let id_number = body["id_number"].as_str().unwrap();
        assert_eq!(v["phone"], mask_phone(phone), "{v}");
        assert_eq!(v["id_number"], mask_id_number(id_number), "{v}");
    }
    assert_eq!(items(&listed)[0]["phone"], "138****5678");
    let list_text = list.text();
    for body in [&zhang, &li] {
        assert!(!list_text.contains(body["phone"].as_str().unwrap()), "{list_text}");
        assert!(!list_text.contains(body["id_number"].as_str().unwrap()), "{list_text}");
    }
    assert_eq!(csv.status, 200, "{}", csv.text());
    let content_type = csv.header("content-type").unwrap_or_default();
    assert!(content_type.starts_with("text/csv"), "content-type: {content_type}");
    let csv_text = csv.text();
    for body in [&zhang, &li] {
        let phone = body["phone"].as_str().unwrap();
        let id_number = body["id_number"].as_str().unwrap();
        assert!(csv_text.contains(&mask_id_number(id_number)), "{csv_text}");
        assert!(csv_text.contains(&mask_phone(phone)), "{csv_text}");
        assert!(!csv_text.contains(phone) && !csv_text.contains(id_number), "the export is masked: {csv_text}");
    }
    assert!(csv_text.lines().count() >= 3, "a header and two rows: {csv_text}");
}

#[tokio::test]
async fn one_volunteer_is_whole_for_the_centre_admin_and_themself_and_masked_for_an_auditor() {
    let c = County::new().await;
    let body = person("张伟", "13812345678", "1990-03-07", true, 12, c.a);
    let id_number = body["id_number"].as_str().unwrap().to_owned();
    let vid = id(&c.register(&body).await);
    let (_, auditor) =
        c.edge.create_staff(&c.admin, "审计员", "13600000005", "auditor-pw-1", "auditor", c.centre).await;
    let themself = c.edge.sign_in_by_code(&c.admin, "13812345678").await;
    let path = format!("/api/v1/volunteers/{vid}");

    let by_admin = c.edge.get_as(&c.admin, &path).await;
    let by_self = c.edge.get_as(&themself, &path).await;
    let by_auditor = c.edge.get_as(&auditor, &path).await;
    let auditor_list = c.edge.get_as(&auditor, "/api/v1/volunteers").await;

    assert_eq!(by_admin.status, 200, "{}", by_admin.text());
    assert_eq!(by_admin.json()["phone"], "13812345678");
    assert_eq!(by_admin.json()["id_number"], id_number);
    assert_eq!(by_self.status, 200, "{}", by_self.text());
    assert_eq!(by_self.json()["phone"], "13812345678");
    assert_eq!(by_self.json()["id_number"], id_number);
    assert_eq!(by_auditor.status, 200, "{}", by_auditor.text());
    assert_eq!(by_auditor.json()["phone"], "138****5678");
    assert_eq!(by_auditor.json()["id_number"], mask_id_number(&id_number));
    assert!(!by_auditor.text().contains(&id_number));
    assert_eq!(auditor_list.status, 200, "{}", auditor_list.text());
    assert!(!auditor_list.text().contains(&id_number));
}

#[tokio::test]
async fn a_volunteer_finds_their_own_record_whole_and_a_citizen_is_told_they_have_none() {
    let c = County::new().await;
    let body = person("张伟", "13812345678", "1990-03-07", true, 12, c.a);
    let id_number = body["id_number"].as_str().unwrap().to_owned();
    let vid = id(&c.register(&body).await);
    let themself = c.edge.sign_in_by_code(&c.admin, "13812345678").await;
    let citizen = c.edge.sign_in_by_code(&c.admin, "13700000021").await;

    let mine = c.edge.get_as(&themself, "/api/v1/volunteers/mine").await;
    let none = c.edge.get_as(&citizen, "/api/v1/volunteers/mine").await;
    let anonymous = c.edge.get("/api/v1/volunteers/mine").await;

    assert_eq!(mine.status, 200, "{}", mine.text());
    assert_eq!(mine.json()["id"], vid);
    assert_eq!(mine.json()["id_number"], id_number);
    assert_eq!(mine.json()["phone"], "13812345678");
    assert_eq!(none.status, 404, "{}", none.text());
    assert_eq!(none.json()["error"]["code"], "not_found");
    assert_eq!(anonymous.status, 401, "{}", anonymous.text());
}

#[tokio::test]
async fn another_volunteer_cannot_read_a_volunteer_whole() {
    let c = County::new().await;
    let zhang = person("张伟", "13812345678", "1990-03-07", true, 12, c.a);
    let li = person("李娜", "13987654321", "1992-11-20", false, 34, c.a);
    let zhang_id = id(&c.register(&zhang).await);
    c.register(&li).await;
    let li_token = c.edge.sign_in_by_code(&c.admin, "13987654321").await;

    let reply = c.edge.get_as(&li_token, &format!("/api/v1/volunteers/{zhang_id}")).await;
    let list = c.edge.get_as(&li_token, "/api/v1/volunteers").await;

    assert!(!reply.text().contains(zhang["id_number"].as_str().unwrap()), "{}", reply.text());
    assert!(!reply.text().contains("13812345678"), "{}", reply.text());
    assert!([200, 403, 404].contains(&reply.status), "{}", reply.text());
    assert_eq!(list.status, 403, "volunteers do not hold read-volunteers: {}", list.text());
}

// ---- Subtree isolation ----------------------------------------------------------------------

#[tokio::test]
async fn a_station_admin_cannot_see_a_volunteer_homed_at_another_station() {
    let c = County::new().await;
    let at_a = person("张伟", "13812345678", "1990-03-07", true, 12, c.a);
    let at_b = person("李娜", "13987654321", "1992-11-20", false, 34, c.b);
    let va = id(&c.register(&at_a).await);
    let vb = id(&c.register(&at_b).await);
    let (_, station_admin) =
        c.edge.create_staff(&c.admin, "东街站长", "13600000001", "station-a-pw", "station-admin", c.a).await;

    let read_b = c.edge.get_as(&station_admin, &format!("/api/v1/volunteers/{vb}")).await;
    let read_a = c.edge.get_as(&station_admin, &format!("/api/v1/volunteers/{va}")).await;
    let listed = c.edge.all_pages(&station_admin, "/api/v1/volunteers").await;
    let filtered_b = c.edge.get_as(&station_admin, &format!("/api/v1/volunteers?org={}", c.b)).await;
    let csv = c.edge.get_as(&station_admin, "/api/v1/volunteers/export.csv").await;
    let patch_b = c
        .edge
        .patch_as(&station_admin, &format!("/api/v1/volunteers/{vb}"), &json!({ "service_area": "被改了" }))
        .await;

    assert_eq!(read_b.status, 404, "{}", read_b.text());
    assert_eq!(read_a.status, 200, "{}", read_a.text());
    assert_eq!(read_a.json()["id_number"], at_a["id_number"], "whole for their own station's admin");
    let ids: HashSet<i64> = listed.iter().map(id).collect();
    assert_eq!(ids, HashSet::from([va]), "{listed:?}");
    assert!(
        [403, 404].contains(&filtered_b.status) || (filtered_b.status == 200 && items(&filtered_b.json()).is_empty()),
        "{}",
        filtered_b.text()
    );
    assert_eq!(csv.status, 200, "{}", csv.text());
    assert!(csv.text().contains(&mask_id_number(at_a["id_number"].as_str().unwrap())), "{}", csv.text());
    assert!(!csv.text().contains(&mask_id_number(at_b["id_number"].as_str().unwrap())), "{}", csv.text());
    assert!([403, 404].contains(&patch_b.status), "{}", patch_b.text());
    assert_eq!(scalar::<String>(&c.edge, "SELECT service_area FROM volunteers WHERE id = ?1", [vb]), "城关镇东街");
}

// ---- Audit ----------------------------------------------------------------------------------

#[tokio::test]
async fn registration_is_audited_with_phone_and_id_number_masked() {
    let c = County::new().await;
    let body = person("张伟", "13812345678", "1990-03-07", true, 12, c.a);
    let id_number = body["id_number"].as_str().unwrap().to_owned();
    let vid = id(&c.register(&body).await);

    let audit = c.edge.get_as(&c.admin, "/api/v1/audit?action=volunteer.register").await;

    assert_eq!(audit.status, 200, "{}", audit.text());
    let audit = audit.json();
    let entry = items(&audit)
        .iter()
        .find(|e| e["entity_id"].as_i64() == Some(vid))
        .unwrap_or_else(|| panic!("no volunteer.register entry for {vid}: {audit}"));
    let actor =
        entry["actor"]["id"].as_i64().or_else(|| entry["actor_id"].as_i64()).or_else(|| entry["actor"].as_i64());
    assert_eq!(actor, Some(c.admin_id), "{entry}");
    let raw: Vec<String> = open_db(&c.edge.db_path())
        .prepare("SELECT coalesce(before, '') || coalesce(after, '') FROM audit_log")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(raw.iter().any(|t| t.contains(&mask_id_number(&id_number)) || t.contains("138****5678")), "{raw:?}");
    for t in &raw {
        assert!(!t.contains(&id_number), "an ID number in the audit log: {t}");
        assert!(!t.contains("13812345678"), "a phone in the audit log: {t}");
    }
}

// ---- Teams ----------------------------------------------------------------------------------

#[tokio::test]
async fn a_volunteer_asks_to_join_a_team_and_its_leader_approves_but_another_stations_admin_cannot() {
    let c = County::new().await;
    let leader = c
        .edge
        .post_as(
            &c.admin,
            "/api/v1/accounts",
            &json!({ "name": "刘队长", "phone": "13600000021", "password": "leader-pw-123" }),
        )
        .await;
    assert_eq!(leader.status, 201, "{}", leader.text());
    let leader_id = id(&leader.json());
    let (_, admin_b) =
        c.edge.create_staff(&c.admin, "西街站长", "13600000022", "station-b-pw", "station-admin", c.b).await;
    let member = id(&c.register(&person("张伟", "13812345678", "1990-03-07", true, 12, c.a)).await);
    let team = c
        .edge
        .post_as(
            &c.admin,
            "/api/v1/teams",
            &json!({ "org_id": c.a, "name": "东街卫生服务队", "leader_account_id": leader_id, "categories": ["环境卫生", "助老"] }),
        )
        .await;
    assert_eq!(team.status, 201, "{}", team.text());
    let team = id(&team.json());
    let volunteer = c.edge.sign_in_by_code(&c.admin, "13812345678").await;
    let status = |edge: &Edge| {
        scalar::<String>(
            edge,
            "SELECT status FROM team_members WHERE team_id = ?1 AND volunteer_id = ?2",
            [team, member],
        )
    };

    let asked = c.edge.post_empty_as(&volunteer, &format!("/api/v1/teams/{team}/members")).await;
    let after_asking = status(&c.edge);
    let by_b = c.edge.post_empty_as(&admin_b, &format!("/api/v1/teams/{team}/members/{member}/approve")).await;
    let after_b = status(&c.edge);
    let leader_token = c.edge.sign_in("13600000021", "leader-pw-123").await;
    let by_leader =
        c.edge.post_empty_as(&leader_token, &format!("/api/v1/teams/{team}/members/{member}/approve")).await;
    let members = c.edge.get_as(&leader_token, &format!("/api/v1/teams/{team}/members")).await;

    assert!((200..300).contains(&asked.status), "{}", asked.text());
    assert_eq!(after_asking, "pending");
    assert!([403, 404].contains(&by_b.status), "{}", by_b.text());
    assert_eq!(after_b, "pending", "another station's admin decided nothing");
    assert_eq!(by_leader.status, 200, "{}", by_leader.text());
    assert_eq!(status(&c.edge), "approved");
    assert_eq!(
        count(&c.edge, "SELECT decided_by FROM team_members WHERE team_id = ?1 AND volunteer_id = ?2", [team, member]),
        leader_id
    );
    assert_eq!(
        count(
            &c.edge,
            "SELECT count(*) FROM role_grants WHERE account_id = ?1 AND role = 'team-leader' AND org_id = ?2",
            [leader_id, c.a]
        ),
        1,
        "creating the team granted team-leader at its org"
    );
    assert_eq!(members.status, 200, "{}", members.text());
    let members = members.json();
    let listed = members["items"].as_array().or_else(|| members.as_array()).expect("a list of members");
    assert!(
        listed.iter().any(|m| m["status"] == "approved"
            && (m["volunteer_id"].as_i64() == Some(member)
                || m["volunteer"]["id"].as_i64() == Some(member)
                || m["id"].as_i64() == Some(member))),
        "{members}"
    );
}

/// The names of `GET /api/v1/teams/joinable{query}` as the holder of `token` (200).
async fn joinable(edge: &Edge, token: &str, query: &str) -> (Vec<String>, Json) {
    let reply = edge.get_as(token, &format!("/api/v1/teams/joinable{query}")).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    let names =
        body["items"].as_array().expect("items").iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    (names, body)
}

#[tokio::test]
async fn a_volunteer_is_offered_the_active_teams_of_their_station_and_the_orgs_above_it_with_their_own_status() {
    let c = County::new().await;
    let leader_id = c.account("刘队长", "13600000021").await;
    let at_a = c.team(c.a, "东街卫生服务队", leader_id, &["环境卫生"]).await;
    let _at_b = c.team(c.b, "西街助老服务队", leader_id, &["助老"]).await;
    let at_institute = c.team(c.institute, "城关镇文艺服务队", leader_id, &["文艺"]).await;
    let at_centre = c.team(c.centre, "县应急服务队", leader_id, &["应急"]).await;
    let stopped = c.team(c.a, "东街停用队", leader_id, &[]).await;
    open_db(&c.edge.db_path()).execute("UPDATE teams SET active = 0 WHERE id = ?1", [stopped]).unwrap();
    let member = id(&c.register(&person("张伟", "13812345678", "1990-03-07", true, 12, c.a)).await);
    let volunteer = c.edge.sign_in_by_code(&c.admin, "13812345678").await;

    let (names, first) = joinable(&c.edge, &volunteer, "").await;
    let asked = c.edge.post_empty_as(&volunteer, &format!("/api/v1/teams/{at_institute}/members")).await;
    let approved =
        c.edge.post_empty_as(&c.admin, &format!("/api/v1/teams/{at_institute}/members/{member}/approve")).await;
    let pending = c.edge.post_empty_as(&volunteer, &format!("/api/v1/teams/{at_a}/members")).await;
    let (_, after) = joinable(&c.edge, &volunteer, "").await;
    let (searched, _) = joinable(&c.edge, &volunteer, "?q=文艺").await;
    let (paged, page1) = joinable(&c.edge, &volunteer, "?limit=2").await;

    assert_eq!(
        names,
        vec!["东街卫生服务队", "城关镇文艺服务队", "县应急服务队"],
        "not B's, not the stopped one: {first}"
    );
    assert!(
        first["items"].as_array().unwrap().iter().all(|t| t["my_status"].is_null() && t["member_count"] == 0),
        "{first}"
    );
    assert_eq!(first["items"][1]["org_name"], wenming_tests::INSTITUTE_NAME);
    assert_eq!(first["items"][1]["categories"], json!(["文艺"]));
    assert_eq!(first["items"][1]["leader_name"], "刘队长");
    assert!(!first.to_string().contains("13600000021"), "no leader's phone: {first}");
    assert_eq!((asked.status, approved.status, pending.status), (201, 200, 201), "{}", approved.text());
    let status_of = |team: i64| after["items"].as_array().unwrap().iter().find(|t| t["id"] == team).cloned().unwrap();
    assert_eq!(
        (status_of(at_institute)["my_status"].clone(), status_of(at_institute)["member_count"].clone()),
        (json!("approved"), json!(1))
    );
    assert_eq!(
        (status_of(at_a)["my_status"].clone(), status_of(at_a)["member_count"].clone()),
        (json!("pending"), json!(0))
    );
    assert_eq!(status_of(at_centre)["my_status"], Json::Null);
    assert_eq!(searched, vec!["城关镇文艺服务队"]);
    assert_eq!(paged.len(), 2);
    assert_eq!(page1["next_cursor"], at_institute);
}

#[tokio::test]
async fn only_volunteers_see_joinable_teams_and_bad_queries_are_refused() {
    let c = County::new().await;
    c.register(&person("张伟", "13812345678", "1990-03-07", true, 12, c.a)).await;
    let volunteer = c.edge.sign_in_by_code(&c.admin, "13812345678").await;
    let citizen = c.citizen("13900000001").await;

    let anonymous = c.edge.api(None, "GET", "/api/v1/teams/joinable", &[], None).await;
    let by_citizen = c.edge.get_as(&citizen.token, "/api/v1/teams/joinable").await;
    let by_admin = c.edge.get_as(&c.admin, "/api/v1/teams/joinable").await;
    let long_q = c.edge.get_as(&volunteer, &format!("/api/v1/teams/joinable?q={}", "队".repeat(51))).await;
    let bad_limit = c.edge.get_as(&volunteer, "/api/v1/teams/joinable?limit=101").await;
    let post = c.edge.post_empty_as(&volunteer, "/api/v1/teams/joinable").await;

    assert_eq!(anonymous.status, 401, "{}", anonymous.text());
    assert_eq!(by_citizen.status, 403, "{}", by_citizen.text());
    assert_eq!(by_admin.status, 403, "the centre admin is no volunteer: {}", by_admin.text());
    assert_eq!((long_q.status, long_q.error_field()), (422, "q".to_owned()));
    assert_eq!((bad_limit.status, bad_limit.error_field()), (422, "limit".to_owned()));
    assert_eq!(post.status, 405, "{}", post.text());
}

#[tokio::test]
async fn a_volunteer_withdraws_a_pending_request_once_but_not_a_decided_one() {
    let c = County::new().await;
    let leader_id = c.account("刘队长", "13600000021").await;
    let team = c.team(c.a, "东街卫生服务队", leader_id, &["环境卫生"]).await;
    let member = id(&c.register(&person("张伟", "13812345678", "1990-03-07", true, 12, c.a)).await);
    let volunteer = c.edge.sign_in_by_code(&c.admin, "13812345678").await;
    let path = format!("/api/v1/teams/{team}/members");
    let rows = |edge: &Edge| count(edge, "SELECT count(*) FROM team_members WHERE team_id = ?1", [team]);
    let audits = |edge: &Edge| {
        count(edge, "SELECT count(*) FROM audit_log WHERE action = 'team.member.withdraw' AND entity_id = ?1", [team])
    };

    assert_eq!(c.edge.post_empty_as(&volunteer, &path).await.status, 201);
    let withdrawn = c.edge.delete_as(&volunteer, &path).await;
    let (rows_after, audits_after) = (rows(&c.edge), audits(&c.edge));
    let again = c.edge.delete_as(&volunteer, &path).await;
    let by_admin = c.edge.delete_as(&c.admin, &path).await;
    assert_eq!(c.edge.post_empty_as(&volunteer, &path).await.status, 201, "asking again after withdrawing");
    let approved = c.edge.post_empty_as(&c.admin, &format!("{path}/{member}/approve")).await;
    let decided = c.edge.delete_as(&volunteer, &path).await;
    let unknown = c.edge.delete_as(&volunteer, "/api/v1/teams/999/members").await;

    assert_eq!(withdrawn.status, 204, "{}", withdrawn.text());
    assert_eq!((rows_after, audits_after), (0, 1), "the request is gone, audited");
    assert_eq!(again.status, 204, "a retry is harmless: {}", again.text());
    assert_eq!(audits(&c.edge), 1, "the retry changed nothing");
    assert_eq!(by_admin.status, 403, "the centre admin is no volunteer: {}", by_admin.text());
    assert_eq!(approved.status, 200, "{}", approved.text());
    assert_eq!((decided.status, decided.error_code()), (409, "wrong_state".to_owned()));
    assert_eq!(
        scalar::<String>(
            &c.edge,
            "SELECT status FROM team_members WHERE team_id = ?1 AND volunteer_id = ?2",
            [team, member]
        ),
        "approved",
        "a decided membership stays"
    );
    assert_eq!(unknown.status, 404, "{}", unknown.text());
}

#[tokio::test]
async fn a_team_is_created_only_with_manage_teams_at_its_org() {
    let c = County::new().await;
    let (leader_id, admin_a) =
        c.edge.create_staff(&c.admin, "东街站长", "13600000031", "station-a-pw", "station-admin", c.a).await;

    let at_b = c
        .edge
        .post_as(
            &admin_a,
            "/api/v1/teams",
            &json!({ "org_id": c.b, "name": "越权服务队", "leader_account_id": leader_id, "categories": [] }),
        )
        .await;
    let at_a = c
        .edge
        .post_as(
            &admin_a,
            "/api/v1/teams",
            &json!({ "org_id": c.a, "name": "东街助老服务队", "leader_account_id": leader_id, "categories": ["助老"] }),
        )
        .await;
    let duplicate = c
        .edge
        .post_as(
            &admin_a,
            "/api/v1/teams",
            &json!({ "org_id": c.a, "name": "东街助老服务队", "leader_account_id": leader_id, "categories": ["助老"] }),
        )
        .await;

    let (staff_b, _) =
        c.edge.create_staff(&c.admin, "西街站长", "13600000032", "station-b-pw", "station-admin", c.b).await;
    let led_from_b = c
        .edge
        .post_as(
            &admin_a,
            "/api/v1/teams",
            &json!({ "org_id": c.a, "name": "东街文明服务队", "leader_account_id": staff_b, "categories": [] }),
        )
        .await;

    assert!([403, 404].contains(&at_b.status), "{}", at_b.text());
    assert_eq!(at_a.status, 201, "{}", at_a.text());
    assert_eq!(led_from_b.status, 422, "B's staff are not A's to appoint: {}", led_from_b.text());
    assert_eq!(led_from_b.error_field(), "leader_account_id", "{}", led_from_b.text());
    assert_eq!(duplicate.status, 409, "{}", duplicate.text());
    assert_eq!(duplicate.error_code(), "name_taken", "{}", duplicate.text());
    assert_eq!(row_count(&c.edge.db_path(), "teams"), 1);
}

/// `?active=` narrows the team list the way the statistics count teams (active ones), so the home
/// page's 服务队伍 figure opens the same rows; anything but true/false is 422 naming `active`.
#[tokio::test]
async fn the_team_list_narrows_to_active_or_stopped_teams() {
    let c = County::new().await;
    let (leader_id, _) =
        c.edge.create_staff(&c.admin, "东街队长", "13600000041", "leader-a-pw-1", "station-admin", c.a).await;
    let mut ids = Vec::new();
    for name in ["东街助老服务队", "东街环保服务队"] {
        let made = c
            .edge
            .post_as(
                &c.admin,
                "/api/v1/teams",
                &json!({ "org_id": c.a, "name": name, "leader_account_id": leader_id, "categories": [] }),
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.text());
        ids.push(made.json()["id"].as_i64().unwrap());
    }
    // No endpoint stops a team yet; the column is what the statistics read.
    open_db(&c.edge.db_path()).execute("UPDATE teams SET active = 0 WHERE id = ?1", [ids[1]]).unwrap();
    let listed = |query: &'static str| {
        let edge = &c.edge;
        let admin = &c.admin;
        let org = c.a;
        async move {
            let reply = edge.get_as(admin, &format!("/api/v1/teams?org={org}{query}")).await;
            assert_eq!(reply.status, 200, "{query}: {}", reply.text());
            reply.json()["items"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect::<Vec<_>>()
        }
    };
    assert_eq!(listed("").await, ids);
    assert_eq!(listed("&active=true").await, vec![ids[0]]);
    assert_eq!(listed("&active=0").await, vec![ids[1]]);
    let bad = c.edge.get_as(&c.admin, "/api/v1/teams?active=yes").await;
    assert_eq!((bad.status, bad.error_field()), (422, "active".to_string()), "{}", bad.text());
}

// ---- Organisations --------------------------------------------------------------------------

#[tokio::test]
async fn an_organisation_applies_and_only_a_reviewer_over_its_org_approves() {
    let c = County::new().await;
    let (_, admin_b) =
        c.edge.create_staff(&c.admin, "西街站长", "13600000041", "station-b-pw", "station-admin", c.b).await;
    let applicant = c.edge.sign_in_by_code(&c.admin, "13700000041").await;
    let status =
        |edge: &Edge, org: i64| scalar::<String>(edge, "SELECT status FROM organisations WHERE id = ?1", [org]);

    let applied = c
        .edge
        .post_as(
            &applicant,
            "/api/v1/organisations",
            &json!({ "org_id": c.a, "name": "东街爱心协会", "contact_name": "李娜", "contact_phone": "13712345678", "description": "助老助残、邻里互助" }),
        )
        .await;
    assert_eq!(applied.status, 201, "{}", applied.text());
    let application = applied.json();
    let org = id(&application);
    let after_applying = status(&c.edge, org);
    let by_b = c.edge.post_empty_as(&admin_b, &format!("/api/v1/organisations/{org}/approve")).await;
    let after_b = status(&c.edge, org);
    let by_applicant = c.edge.post_empty_as(&applicant, &format!("/api/v1/organisations/{org}/approve")).await;
    let by_centre = c.edge.post_empty_as(&c.admin, &format!("/api/v1/organisations/{org}/approve")).await;

    assert_eq!(application["status"], "pending", "{application}");
    assert_eq!(after_applying, "pending");
    assert!([403, 404].contains(&by_b.status), "{}", by_b.text());
    assert_eq!(after_b, "pending");
    assert_eq!(by_applicant.status, 403, "a citizen reviews nothing: {}", by_applicant.text());
    assert_eq!(by_centre.status, 200, "{}", by_centre.text());
    assert_eq!(by_centre.json()["status"], "approved");
    assert_eq!(status(&c.edge, org), "approved");
    let (decided_by, decided_at): (Option<i64>, Option<i64>) = open_db(&c.edge.db_path())
        .query_row("SELECT decided_by, decided_at FROM organisations WHERE id = ?1", [org], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(decided_by, Some(c.admin_id));
    assert!(decided_at.is_some_and(|t| (t - unix_now()).abs() < 300), "{decided_at:?}");
    assert_eq!(
        count(
            &c.edge,
            "SELECT count(*) FROM audit_log WHERE action = 'organisation.approve' AND entity_id = ?1",
            [org]
        ),
        1
    );
}

#[tokio::test]
async fn an_organisation_with_an_invalid_contact_phone_is_refused() {
    let c = County::new().await;

    let reply = c
        .edge
        .post_as(
            &c.admin,
            "/api/v1/organisations",
            &json!({ "org_id": c.a, "name": "东街爱心协会", "contact_name": "李娜", "contact_phone": "12345", "description": "" }),
        )
        .await;

    assert_eq!(reply.status, 422, "{}", reply.text());
    assert_eq!(reply.error_field(), "contact_phone", "{}", reply.text());
    assert_eq!(row_count(&c.edge.db_path(), "organisations"), 0);
}
