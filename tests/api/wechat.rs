//! The WeChat official-account callback against WeChat's protocol, using the published-style
//! vectors in `../shared/reference/wechat-vectors.json`: server verification (plain and safe
//! mode), signed and unsigned messages, menu clicks answered from the database, and a safe-mode
//! message whose encrypted reply is decrypted and its signature checked the way WeChat does.

use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, KeyIvInit};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::{alphabet, Engine};
use sha1::{Digest, Sha1};
use wenming_tests::{count, open_db, percent_encode, product_launch, unix_now, Edge};

const TOKEN: &str = "volunteer_token";
const TIMESTAMP: &str = "1700000000";
const NONCE: &str = "123456789";
const ECHOSTR: &str = "7385498210493021";
const SIGNATURE: &str = "bb240bb035d12430a25c517406b84a7389cdc906";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APP_ID: &str = "wx1234567890abcdef";
const ENCRYPT: &str = "jn1L23DB+6ELqJ+6bruv2+waS4bCQiFuNtTIZiHQee6HwjC73gtH0BteD0L6AxRFFUv1zbIoAIsfdGatp9l8He6BndlCQbdiyTQ97MeKGYfuZ/cW593tT3/2biVeFJW0GPcgnYyDsU2rcxMGmnOAfuPsMj1BL7PKiVYnR8q9mwrZ8qItu0KaY4mw/OOguMj2s2EhfqEhKN6ZQug6zaOtdgvoWUodPCkFsJ2xZoiqjBvTU9JURYcqQUPYNJWUWctGsVq0EUjCYWmyx3KjFoOH2NQbtRYH2N03ZnqSG9hOLk7uDTbwVEzMM7nfwhqWpaNG72JYDCbcgcfyWxXXqZglRFc1BQUsUXxUoA3YDd4wrte1kWQoQq6Xgi7xIkymuXi2YgBYcUTvfJAVcYG5BY5vq7bMgYg3qOcZsVmnCXTk/AM=";
const MSG_SIGNATURE: &str = "d4e65521e1697bd07ed9d09058943acbdc5eab47";

fn account(safe: bool) -> Edge {
    let launch = product_launch(true)
        .env("SPIN_VARIABLE_WECHAT_TOKEN", TOKEN)
        .env("SPIN_VARIABLE_PUBLIC_BASE_URL", "https://wm.example.org");
    if safe {
        launch.env("SPIN_VARIABLE_WECHAT_ENCODING_AES_KEY", AES_KEY).env("SPIN_VARIABLE_WECHAT_APP_ID", APP_ID).start()
    } else {
        launch.start()
    }
}

fn sha1_sorted(parts: &[&str]) -> String {
    let mut p = parts.to_vec();
    p.sort_unstable();
    Sha1::digest(p.concat().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The text of `<name>` in a flat WeChat XML body (CDATA or plain).
fn field(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("<{name}>"))? + name.len() + 2;
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    let raw = &xml[start..end];
    Some(raw.strip_prefix("<![CDATA[").and_then(|r| r.strip_suffix("]]>")).unwrap_or(raw).to_string())
}

fn click(key: &str) -> String {
    format!("<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oUSER_OPENID]]></FromUserName><CreateTime>1700000002</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>")
}

/// A query signed now (the callback refuses timestamps more than five minutes off).
fn signed_query() -> String {
    signed_at(unix_now())
}

fn signed_at(at: i64) -> String {
    let ts = at.to_string();
    format!("signature={}&timestamp={ts}&nonce={NONCE}", sha1_sorted(&[TOKEN, &ts, NONCE]))
}

#[test]
fn the_test_signs_as_the_vectors_do() {
    assert_eq!(sha1_sorted(&[TOKEN, TIMESTAMP, NONCE]), SIGNATURE);
    assert_eq!(sha1_sorted(&[TOKEN, TIMESTAMP, NONCE, ENCRYPT]), MSG_SIGNATURE);
}

#[tokio::test]
async fn server_verification_echoes_only_a_signed_echostr() {
    // Arrange
    let edge = account(false);

    // Act
    let good = edge.request("GET", &format!("/wechat/callback?{}&echostr={ECHOSTR}", signed_query()), &[], "").await;
    let forged = edge
        .request(
            "GET",
            &format!(
                "/wechat/callback?signature={}&timestamp={}&nonce={NONCE}&echostr={ECHOSTR}",
                "0".repeat(40),
                unix_now()
            ),
            &[],
            "",
        )
        .await;

    // Assert
    assert_eq!(good.status, 200, "{}", good.text());
    assert_eq!(good.text(), ECHOSTR);
    assert_eq!(forged.status, 403, "{}", forged.text());
    assert!(!forged.text().contains(ECHOSTR));
}

#[tokio::test]
async fn without_a_token_the_callback_refuses_everything() {
    let edge = product_launch(false).start();
    let reply = edge.request("GET", &format!("/wechat/callback?{}&echostr={ECHOSTR}", signed_query()), &[], "").await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    assert_eq!(reply.error_code(), "not_configured", "{}", reply.text());
}

#[tokio::test]
async fn a_menu_click_is_answered_with_the_surveys_open_now_and_unsigned_messages_are_refused() {
    // Arrange: the demo's published county survey is open now.
    let edge = account(false);
    let (survey_id, title): (i64, String) = open_db(&edge.db_path())
        .query_row(
            "SELECT id, title FROM surveys WHERE status = 'published' AND opens_at <= unixepoch() AND closes_at > unixepoch()",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("the demo has an open survey");

    // Act
    let reply = edge.request("POST", &format!("/wechat/callback?{}", signed_query()), &[], click("MENU_SURVEYS")).await;
    let unsigned = edge.request("POST", "/wechat/callback?timestamp=1&nonce=2", &[], click("MENU_SURVEYS")).await;
    let view = edge
        .request(
            "POST",
            &format!("/wechat/callback?{}", signed_query()),
            &[],
            click("x").replace("CLICK", "VIEW").replace("1700000002", "1700000009"),
        )
        .await;
    let garbage = edge.request("POST", &format!("/wechat/callback?{}", signed_query()), &[], "not xml").await;

    // Assert: a passive text reply, from the account to the follower, with the survey's link.
    assert_eq!(reply.status, 200, "{}", reply.text());
    let xml = reply.text();
    assert_eq!(field(&xml, "ToUserName").as_deref(), Some("oUSER_OPENID"), "{xml}");
    assert_eq!(field(&xml, "FromUserName").as_deref(), Some("gh_0123456789ab"), "{xml}");
    assert_eq!(field(&xml, "MsgType").as_deref(), Some("text"), "{xml}");
    let content = field(&xml, "Content").unwrap_or_default();
    assert!(content.contains(&title), "{content}");
    assert!(content.contains(&format!("https://wm.example.org/survey.html?id={survey_id}")), "{content}");
    assert_eq!(unsigned.status, 403, "{}", unsigned.text());
    assert_eq!(view.status, 200, "{}", view.text());
    assert_eq!(view.text(), "success", "a menu link needs no reply");
    assert_eq!(garbage.status, 400, "{}", garbage.text());
}

#[tokio::test]
async fn safe_mode_verifies_decrypts_and_answers_encrypted_and_signed() {
    // Arrange
    let edge = account(true);
    let echo = "jn1L23DB+6ELqJ+6bruv25trPN1LmtroxYORdU47RmNuTjXKFVaEnOvxyvCTsnl3FUC+qG633OAGmjw6DYMPQg==";
    let body = format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><Encrypt><![CDATA[{ENCRYPT}]]></Encrypt></xml>"
    );
    let ts = unix_now().to_string();
    let query = format!(
        "timestamp={ts}&nonce={NONCE}&encrypt_type=aes&msg_signature={}",
        sha1_sorted(&[TOKEN, &ts, NONCE, ENCRYPT])
    );

    // Act
    let verified = edge
        .request(
            "GET",
            &format!(
                "/wechat/callback?msg_signature={}&timestamp={ts}&nonce={NONCE}&echostr={}",
                sha1_sorted(&[TOKEN, &ts, NONCE, echo]),
                percent_encode(echo)
            ),
            &[],
            "",
        )
        .await;
    let reply = edge.request("POST", &format!("/wechat/callback?{query}"), &[], body.clone()).await;
    let tampered = edge
        .request("POST", &format!("/wechat/callback?{}", query.replace("msg_signature=", "msg_signature=0")), &[], body)
        .await;

    // Assert: the echostr decrypted; the message (a text containing 点单) answered in kind.
    assert_eq!(verified.status, 200, "{}", verified.text());
    assert_eq!(verified.text(), ECHOSTR);
    assert_eq!(tampered.status, 403, "{}", tampered.text());
    assert_eq!(reply.status, 200, "{}", reply.text());
    let envelope = reply.text();
    let encrypted = field(&envelope, "Encrypt").expect("Encrypt");
    let timestamp = field(&envelope, "TimeStamp").expect("TimeStamp");
    assert_eq!(field(&envelope, "Nonce").as_deref(), Some(NONCE));
    assert_eq!(
        field(&envelope, "MsgSignature").as_deref(),
        Some(sha1_sorted(&[TOKEN, &timestamp, NONCE, &encrypted]).as_str()),
        "signed as WeChat checks"
    );
    let lenient =
        GeneralPurpose::new(&alphabet::STANDARD, GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true));
    let key = lenient.decode(format!("{AES_KEY}=")).unwrap();
    let mut data = STANDARD.decode(&encrypted).unwrap();
    let plain = cbc::Decryptor::<aes::Aes256>::new(key[..].into(), key[..16].into())
        .decrypt_padded_mut::<NoPadding>(&mut data)
        .unwrap()
        .to_vec();
    let pad = *plain.last().unwrap() as usize;
    let body = &plain[..plain.len() - pad];
    let len = u32::from_be_bytes([body[16], body[17], body[18], body[19]]) as usize;
    let inner = std::str::from_utf8(&body[20..20 + len]).unwrap();
    assert_eq!(&body[20 + len..], APP_ID.as_bytes(), "for this account");
    // The vector's message went from gh_0123456789ab to oUSER_OPENID; the reply goes back.
    assert_eq!(field(inner, "ToUserName").as_deref(), Some("gh_0123456789ab"), "{inner}");
    assert!(field(inner, "Content").unwrap_or_default().contains("点单"), "{inner}");
}

#[tokio::test]
async fn a_signed_message_with_a_doctype_or_an_unknown_entity_is_refused_and_never_expanded() {
    // Arrange: a message that would read a file if its entities were expanded, and an entity
    // used without any declaration.
    let edge = account(false);
    let xxe =
        click("&secret;").replace("<xml>", "<!DOCTYPE xml [<!ENTITY secret SYSTEM \"file:///etc/passwd\">]><xml>");
    let undeclared = click("MENU_SURVEYS").replace("1700000002", "&secret;");
    let cdata_entity = click("&secret;");

    // Act
    let path = format!("/wechat/callback?{}", signed_query());
    let xxe = edge.request("POST", &path, &[], xxe).await;
    let undeclared = edge.request("POST", &path, &[], undeclared).await;
    let in_cdata = edge.request("POST", &path, &[], cdata_entity).await;

    // Assert: both refused as malformed, nothing of the file in the answer; inside CDATA an
    // entity is plain text, so that click is an (unknown) key answered as any other.
    assert_eq!(xxe.status, 400, "{}", xxe.text());
    assert!(xxe.text().contains("DOCTYPE"), "{}", xxe.text());
    assert!(!xxe.text().contains("root:"), "{}", xxe.text());
    assert_eq!(undeclared.status, 400, "{}", undeclared.text());
    assert_eq!(in_cdata.status, 200, "{}", in_cdata.text());
}

#[tokio::test]
async fn a_signed_request_far_from_now_is_refused() {
    // Arrange
    let edge = account(false);
    let now = unix_now();

    // Act: correctly signed, but an hour old, an hour ahead, and just inside the window.
    let old =
        edge.request("POST", &format!("/wechat/callback?{}", signed_at(now - 3600)), &[], click("MENU_SURVEYS")).await;
    let ahead =
        edge.request("GET", &format!("/wechat/callback?{}&echostr={ECHOSTR}", signed_at(now + 3600)), &[], "").await;
    let recent =
        edge.request("GET", &format!("/wechat/callback?{}&echostr={ECHOSTR}", signed_at(now - 240)), &[], "").await;

    // Assert: refused before the body is read; nothing recorded.
    for reply in [&old, &ahead] {
        assert_eq!(reply.status, 403, "{}", reply.text());
        assert_eq!(reply.error_code(), "stale_request", "{}", reply.text());
    }
    assert_eq!(recent.status, 200, "{}", recent.text());
    assert_eq!(recent.text(), ECHOSTR);
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_inbound", ()), 0);
}

#[tokio::test]
async fn a_redelivered_message_is_answered_once() {
    // Arrange: WeChat redelivers a message (same MsgId) and an event (same FromUserName and
    // CreateTime) when its answer was late; each redelivery is signed anew.
    let edge = account(false);
    let text = "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oUSER_OPENID]]></FromUserName><CreateTime>1700000003</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[点单]]></Content><MsgId>1234567890123456</MsgId></xml>";
    let now = unix_now();
    let send = |body: String, at: i64| {
        let path = format!("/wechat/callback?{}", signed_at(at));
        let edge = &edge;
        async move { edge.request("POST", &path, &[], body).await }
    };

    // Act
    let first_text = send(text.to_string(), now).await;
    let again_text = send(text.to_string(), now + 5).await;
    let first_click = send(click("MENU_ORDER_DEMAND"), now).await;
    let (again_a, again_b) =
        tokio::join!(send(click("MENU_ORDER_DEMAND"), now + 5), send(click("MENU_ORDER_DEMAND"), now + 10));
    let later_click = send(click("MENU_ORDER_DEMAND").replace("1700000002", "1700000100"), now).await;

    // Assert: the first of each answered with a reply, every redelivery with `success`.
    for reply in [&first_text, &first_click, &later_click] {
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert!(field(&reply.text(), "Content").unwrap_or_default().contains("点单"), "{}", reply.text());
    }
    for reply in [&again_text, &again_a, &again_b] {
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.text(), "success");
    }
    let keys = |key: &str| count(&edge, "SELECT count(*) FROM wechat_inbound WHERE dedup_key = ?1", [key]);
    assert_eq!(keys("msg:1234567890123456"), 1);
    assert_eq!(keys("event:oUSER_OPENID:1700000002"), 1);
    assert_eq!(keys("event:oUSER_OPENID:1700000100"), 1);
}
