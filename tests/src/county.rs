//! The county fixture: one county, made through the API on a fresh product, that every product
//! area starts from and extends with what it needs.
//!
//! Three layers, each a field-for-field extension of the one below (it derefs to it, so `t.edge`,
//! `t.admin` and `t.a` read the same on all of them):
//!
//! - [`Centre`]: the product bootstrapped, its centre admin signed in (`admin`, `admin_id`,
//!   `centre`), and `t0`, the test's "now".
//! - [`County`]: plus institute 城关镇 with stations A (东街) and B (西街).
//! - [`Town`]: plus a `station-admin` at A and at B and a team at A whose leader holds no admin
//!   role (the activity, check-in, reward and evaluation tests).
//!
//! What an area adds is built from the blocks on [`Centre`]: [`Centre::staff`] (a signed-in staff
//! member with one role), [`Centre::account`], [`Centre::citizen`] (SMS-code sign-in, the code
//! read from the outbox), [`Centre::register`] (a volunteer from a [`volunteer_registration`]
//! body), [`Centre::team`], [`Centre::department`], [`Centre::menu_item`]; and on [`Town`]:
//! volunteers signed in by SMS code, activity bodies, approved activities and sign-ups.

use std::ops::Deref;
use std::path::PathBuf;

use domain::Date;

use crate::{
    id, json, product_launch, require_components, resident_id, shanghai_rfc3339, start_product, unix_now, with_jobs,
    Edge, HasDb, Json, ACTIVITY_COMPONENTS, CENTRE_ADMIN_PASSWORD, CENTRE_ADMIN_PHONE,
};

/// The password of every staff account the fixtures make.
pub const STAFF_PASSWORD: &str = "town-staff-pw-1";
/// The same, under the name the first `Town` tests used.
pub const TOWN_STAFF_PASSWORD: &str = STAFF_PASSWORD;

/// The county's institute and its two stations.
pub const INSTITUTE_NAME: &str = "城关镇新时代文明实践所";
pub const STATION_A: &str = "东街社区实践站";
pub const STATION_B: &str = "西街社区实践站";

/// Phones the town's staff use; volunteers use `volunteer_phone(i)`.
pub const TOWN_ADMIN_A_PHONE: &str = "13911110001";
pub const TOWN_ADMIN_B_PHONE: &str = "13911110002";
pub const TOWN_LEADER_PHONE: &str = "13911110003";

/// A signed-in person: staff by password, citizens and volunteers by SMS code.
#[derive(Debug, Clone)]
pub struct Person {
    pub account_id: i64,
    pub name: String,
    pub phone: String,
    pub token: String,
}

/// A volunteer registered by staff and signed in by SMS code.
#[derive(Debug, Clone)]
pub struct SignedInVolunteer {
    /// `volunteers.id`.
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub phone: String,
    pub id_number: String,
    pub token: String,
}

// ---- Centre: the product bootstrapped, the centre admin signed in --------------------------------

/// The product, bootstrapped, with the centre admin signed in.
pub struct Centre {
    pub edge: Edge,
    /// The test's "now" (unix seconds, read when the edge started); tests that move the request
    /// clock pass `t0 + offset` as `X-Wenming-Now`.
    pub t0: i64,
    /// The centre admin's bearer token (also the outbox reader for SMS codes).
    pub admin: String,
    pub admin_id: i64,
    /// The centre org's id.
    pub centre: i64,
}

impl Centre {
    /// On the plain product (`start_product()`).
    pub async fn new() -> Centre {
        Centre::on(start_product()).await
    }

    /// On the product with the request clock movable (`allow_clock_override`), after checking
    /// that `components` (beyond the directory's) are built.
    pub async fn with_clock(components: &[&str]) -> Centre {
        require_components(components);
        Centre::on(with_jobs(product_launch(false).env("SPIN_VARIABLE_ALLOW_CLOCK_OVERRIDE", "true")).start()).await
    }

    /// On a product edge that is serving: signs the centre admin in.
    pub async fn on(edge: Edge) -> Centre {
        let t0 = unix_now();
        let session = edge.session(CENTRE_ADMIN_PHONE, CENTRE_ADMIN_PASSWORD).await;
        let admin = session["token"].as_str().expect("token").to_owned();
        let admin_id = session["account"]["id"].as_i64().expect("account.id");
        let centre = session["account"]["roles"]
            .as_array()
            .expect("account.roles")
            .iter()
            .find(|r| r["role"] == "centre-admin")
            .unwrap_or_else(|| panic!("the bootstrapped admin holds no centre-admin role: {session}"))["org_id"]
            .as_i64()
            .expect("org_id");
        Centre { edge, t0, admin, admin_id, centre }
    }

    /// Adds institute 城关镇 with stations A (东街) and B (西街).
    pub async fn with_stations(self) -> County {
        let institute = id(&self.edge.create_org(&self.admin, self.centre, INSTITUTE_NAME, "institute").await);
        let a = id(&self.edge.create_org(&self.admin, institute, STATION_A, "station").await);
        let b = id(&self.edge.create_org(&self.admin, institute, STATION_B, "station").await);
        County { base: self, institute, a, b }
    }

    /// A staff member (password `STAFF_PASSWORD`) with one `role` at `org`, signed in.
    pub async fn staff(&self, name: &str, phone: &str, role: &str, org: i64) -> Person {
        let (account_id, token) = self.edge.create_staff(&self.admin, name, phone, STAFF_PASSWORD, role, org).await;
        Person { account_id, name: name.to_owned(), phone: phone.to_owned(), token }
    }

    /// `POST /api/v1/accounts` with `STAFF_PASSWORD` and no role (201): the account's id.
    pub async fn account(&self, name: &str, phone: &str) -> i64 {
        let body = json!({ "name": name, "phone": phone, "password": STAFF_PASSWORD });
        let reply = self.edge.post_as(&self.admin, "/api/v1/accounts", &body).await;
        assert_eq!(reply.status, 201, "POST /api/v1/accounts {body}: {}", reply.text());
        id(&reply.json())
    }

    /// A citizen signed in by SMS code (a first-time phone becomes a plain citizen).
    pub async fn citizen(&self, phone: &str) -> Person {
        let session = self.edge.session_by_code(&self.admin, phone).await;
        Person {
            account_id: session["account"]["id"].as_i64().expect("account.id"),
            name: session["account"]["name"].as_str().unwrap_or_default().to_owned(),
            phone: phone.to_owned(),
            token: session["token"].as_str().expect("token").to_owned(),
        }
    }

    /// `POST /api/v1/volunteers` as the centre admin (201): the registration answer.
    pub async fn register(&self, body: &Json) -> Json {
        self.register_as(&self.admin, body).await
    }

    /// `POST /api/v1/volunteers` as the holder of `token` (201): the registration answer.
    pub async fn register_as(&self, token: &str, body: &Json) -> Json {
        let reply = self.edge.post_as(token, "/api/v1/volunteers", body).await;
        assert_eq!(reply.status, 201, "POST /api/v1/volunteers {body}: {}", reply.text());
        reply.json()
    }

    /// `POST /api/v1/teams` at `org` led by `leader_account_id` (201): the team's id.
    pub async fn team(&self, org: i64, name: &str, leader_account_id: i64, categories: &[&str]) -> i64 {
        let body =
            json!({ "org_id": org, "name": name, "leader_account_id": leader_account_id, "categories": categories });
        let reply = self.edge.post_as(&self.admin, "/api/v1/teams", &body).await;
        assert_eq!(reply.status, 201, "POST /api/v1/teams {body}: {}", reply.text());
        id(&reply.json())
    }

    /// A department at `org` with one handler (a staff account without roles), signed in.
    pub async fn department(&self, org: i64, name: &str, handler: &str, phone: &str) -> (i64, Person) {
        let dept = self.edge.post_as(&self.admin, "/api/v1/departments", &json!({ "org_id": org, "name": name })).await;
        assert_eq!(dept.status, 201, "POST /api/v1/departments: {}", dept.text());
        let dept = id(&dept.json());
        let account_id = self.account(handler, phone).await;
        let added = self
            .edge
            .post_as(&self.admin, &format!("/api/v1/departments/{dept}/handlers"), &json!({ "account_id": account_id }))
            .await;
        assert_eq!(added.status, 201, "adding handler to {dept}: {}", added.text());
        let token = self.edge.sign_in(phone, STAFF_PASSWORD).await;
        (dept, Person { account_id, name: handler.to_owned(), phone: phone.to_owned(), token })
    }

    /// `POST /api/v1/service-menu` at the centre (201): the item's id. `deadlines` are the
    /// seconds to acceptance for normal, urgent and critical orders.
    pub async fn menu_item(&self, category: &str, name: &str, kind: &str, deadlines: (i64, i64, i64)) -> i64 {
        let (normal, urgent, critical) = deadlines;
        let body = json!({
            "centre_org_id": self.centre,
            "category": category,
            "name": name,
            "kind": kind,
            "deadline_normal_s": normal,
            "deadline_urgent_s": urgent,
            "deadline_critical_s": critical,
        });
        let reply = self.edge.post_as(&self.admin, "/api/v1/service-menu", &body).await;
        assert_eq!(reply.status, 201, "POST /api/v1/service-menu {body}: {}", reply.text());
        id(&reply.json())
    }

    /// `POST /api/v1/demands` by `who` with `body` (at request time `now`, when given) that must
    /// be answered 201: the order.
    pub async fn order(&self, who: &Person, body: &Json, now: Option<i64>) -> Json {
        let path = "/api/v1/demands";
        let reply = match now {
            Some(now) => self.edge.api_at(Some(&who.token), "POST", path, now, Some(body)).await,
            None => self.edge.post_as(&who.token, path, body).await,
        };
        assert_eq!(reply.status, 201, "POST {path} {body} by {}: {}", who.phone, reply.text());
        reply.json()
    }
}

/// A volunteer registration body whose resident ID number is valid and agrees with `birth`
/// (`YYYYMMDD`) and `male`; `seq` is the ID's sequence number. Skills 助老, service area 城关镇;
/// adjust with `body["field"] = ...`.
pub fn volunteer_registration(name: &str, phone: &str, birth: &str, seq: u32, male: bool, home: i64) -> Json {
    json!({
        "real_name": name,
        "gender": if male { "male" } else { "female" },
        "birth_date": Date::parse_compact(birth).unwrap_or_else(|e| panic!("birth {birth}: {e}")).to_string(),
        "phone": phone,
        "id_number": resident_id("110101", birth, seq, male),
        "skills": ["助老"],
        "service_area": "城关镇",
        "home_org_id": home,
    })
}

// ---- County: plus institute 城关镇 with stations A and B ----------------------------------------

/// The product with the centre admin signed in, institute 城关镇 and its stations A (东街) and
/// B (西街). Derefs to its [`Centre`].
pub struct County {
    /// The layer below.
    pub base: Centre,
    pub institute: i64,
    pub a: i64,
    pub b: i64,
}

impl County {
    /// On the plain product.
    pub async fn new() -> County {
        Centre::new().await.with_stations().await
    }

    /// On the product with the request clock movable and `components` built.
    pub async fn with_clock(components: &[&str]) -> County {
        Centre::with_clock(components).await.with_stations().await
    }
}

impl Deref for County {
    type Target = Centre;
    fn deref(&self) -> &Centre {
        &self.base
    }
}

// ---- Town: plus station admins and a team --------------------------------------------------------

/// The county the activity, check-in, reward and evaluation tests use: a [`County`] with a
/// `station-admin` at A and at B and a team at A (助老, 环保) led by a staff member without admin
/// roles, on the product with the clock override on. Derefs to its [`County`].
pub struct Town {
    /// The layer below.
    pub base: County,
    /// Station A's admin (东街站长): token and account id.
    pub admin_a: String,
    pub admin_a_id: i64,
    /// Station B's admin (西街站长).
    pub admin_b: String,
    pub admin_b_id: i64,
    /// The team at A (东街邻里服务队) and its leader (服务队长).
    pub team: i64,
    pub leader: String,
    pub leader_id: i64,
}

impl Deref for Town {
    type Target = County;
    fn deref(&self) -> &County {
        &self.base
    }
}

/// The phone of the `i`-th test volunteer.
pub fn volunteer_phone(i: usize) -> String {
    format!("137{:08}", 10_000 + i)
}

/// The birth date (`YYYYMMDD`, in 1990) of the `i`-th test volunteer.
pub fn volunteer_birth(i: usize) -> String {
    format!("1990{:02}{:02}", 1 + (i / 28) % 12, 1 + i % 28)
}

/// The resident ID number of the `i`-th test volunteer (valid, matching birth date and gender).
pub fn volunteer_id_number(i: usize) -> String {
    resident_id("110101", &volunteer_birth(i), (10 + i % 80) as u32, i.is_multiple_of(2))
}

/// Builds the `Town` on a fresh product with the clock override (`activity`, `checkin` and
/// `ledger` built).
pub async fn town() -> Town {
    Town::on(County::with_clock(&ACTIVITY_COMPONENTS).await).await
}

impl Town {
    /// Adds the station admins and the team to `county`.
    pub async fn on(county: County) -> Town {
        let (a, b) = (county.a, county.b);
        let admin_a = county.staff("东街站长", TOWN_ADMIN_A_PHONE, "station-admin", a).await;
        let admin_b = county.staff("西街站长", TOWN_ADMIN_B_PHONE, "station-admin", b).await;
        let leader_id = county.account("服务队长", TOWN_LEADER_PHONE).await;
        let team = county.team(a, "东街邻里服务队", leader_id, &["助老", "环保"]).await;
        let leader = county.edge.sign_in(TOWN_LEADER_PHONE, STAFF_PASSWORD).await;
        Town {
            base: county,
            admin_a: admin_a.token,
            admin_a_id: admin_a.account_id,
            admin_b: admin_b.token,
            admin_b_id: admin_b.account_id,
            team,
            leader,
            leader_id,
        }
    }

    /// Registers the volunteer `i` (phone `volunteer_phone(i)`, a valid resident ID, born in
    /// 1990) at `home` as the centre admin; returns the registration answer.
    pub async fn register_volunteer(&self, i: usize, home: i64) -> Json {
        self.register_volunteer_with_phone(i, &volunteer_phone(i), home).await
    }

    /// Like `register_volunteer`, with a given phone (e.g. a staff member's, making the staff
    /// account a volunteer too).
    pub async fn register_volunteer_with_phone(&self, i: usize, phone: &str, home: i64) -> Json {
        let name = format!("志愿者{i:02}");
        let mut body =
            volunteer_registration(&name, phone, &volunteer_birth(i), (10 + i % 80) as u32, i.is_multiple_of(2), home);
        body["service_area"] = json!("城关镇东街");
        self.register(&body).await
    }

    /// Volunteers `first..first + n` registered at `home` and signed in by SMS code (the code read
    /// from the outbox by the centre admin).
    pub async fn volunteers(&self, first: usize, n: usize, home: i64) -> Vec<SignedInVolunteer> {
        let mut out = Vec::with_capacity(n);
        for i in first..first + n {
            let phone = volunteer_phone(i);
            let v = self.register_volunteer(i, home).await;
            let token = self.edge.sign_in_by_code(&self.admin, &phone).await;
            out.push(SignedInVolunteer {
                id: id(&v),
                account_id: v["account_id"].as_i64().unwrap_or_else(|| panic!("no account_id in {v}")),
                name: v["real_name"].as_str().unwrap_or_default().to_owned(),
                phone,
                id_number: volunteer_id_number(i),
                token,
            });
        }
        out
    }

    /// An activity application body hosted by the town's team at station A: `starts_at` →
    /// `ends_at` (unix seconds), sign-up deadline an hour before the start, public, no place.
    /// Adjust with `body["field"] = ...` before applying.
    pub fn activity_body(&self, title: &str, starts_at: i64, ends_at: i64, capacity: i64) -> Json {
        json!({
            "title": title,
            "category": "助老",
            "description": "为社区老人提供陪伴和生活帮助",
            "org_id": self.a,
            "team_id": self.team,
            "address": "东街社区活动中心",
            "starts_at": shanghai_rfc3339(starts_at),
            "ends_at": shanghai_rfc3339(ends_at),
            "signup_deadline": shanghai_rfc3339(starts_at - 3600),
            "capacity": capacity,
            "required_skills": [],
            "visibility": "public",
            "dynamic_code": false,
        })
    }

    /// Applies with `body` as the team leader (201): the pending activity.
    pub async fn apply(&self, body: &Json) -> Json {
        let reply = self.edge.post_as(&self.leader, "/api/v1/activities", body).await;
        assert_eq!(reply.status, 201, "POST /api/v1/activities {body}: {}", reply.text());
        reply.json()
    }

    /// Applies with `body` as the team leader (201) and approves as station A's admin (200);
    /// returns the approved activity (with `code`).
    pub async fn approved_activity(&self, body: &Json) -> Json {
        let id = id(&self.apply(body).await);
        let approved = self.edge.post_empty_as(&self.admin_a, &format!("/api/v1/activities/{id}/approve")).await;
        assert_eq!(approved.status, 200, "approving activity {id}: {}", approved.text());
        approved.json()
    }

    /// `POST /api/v1/activities/{id}/signups` by `v` that must be answered 201; the answer.
    pub async fn sign_up(&self, activity_id: i64, v: &SignedInVolunteer) -> Json {
        let reply = self.edge.post_empty_as(&v.token, &format!("/api/v1/activities/{activity_id}/signups")).await;
        assert_eq!(reply.status, 201, "sign-up of {} to {activity_id}: {}", v.phone, reply.text());
        reply.json()
    }
}

impl HasDb for Centre {
    fn db(&self) -> PathBuf {
        self.edge.db_path()
    }
}
