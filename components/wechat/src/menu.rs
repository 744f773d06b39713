//! The custom menu (自定义菜单) as data: the centre's admins keep it here and push it to WeChat
//! with `menu/create`, instead of editing it by hand in the account's console.
//!
//! - `GET /api/v1/wechat/menu` — the stored menu (WeChat's own `{"button": [...]}` shape), when
//!   it was last changed and last pushed.
//! - `PUT /api/v1/wechat/menu` — replaces it, checked against WeChat's rules first (at most three
//!   top-level buttons of at most 16 bytes, each with a type or up to five sub-buttons of at most
//!   60 bytes; `click` with a key of at most 128 bytes, `view` with an http(s) URL of at most
//!   1024 bytes), so a push never fails on shape. Audited.
//! - `POST /api/v1/wechat/menu/push` — sends the stored menu; repeating it sends the same menu
//!   again, which WeChat treats as a replacement. Audited.
//!
//! The menu is the whole deployment's, like the SMS templates: the same permission
//! (read-outbox, held only by the centre's admins).

use kit::identity::{Action, Principal};
use kit::{ApiError, Db, Scope};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::sqlite3::Value;

use crate::credentials::{Account, Credentials};
use crate::upstream;

/// WeChat's limits (自定义菜单 创建接口).
const MAX_TOP: usize = 3;
const MAX_SUB: usize = 5;
const MAX_TOP_NAME_BYTES: usize = 16;
const MAX_SUB_NAME_BYTES: usize = 60;
const MAX_KEY_BYTES: usize = 128;
const MAX_URL_BYTES: usize = 1024;

/// The menu, in WeChat's shape; unknown fields are refused rather than silently dropped.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Menu {
    pub button: Vec<Button>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Button {
    pub name: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_button: Option<Vec<Button>>,
}

impl Menu {
    /// WeChat's rules; `Err((field, message))` names the first offending field as a path
    /// (`button[1].sub_button[0].url`).
    pub fn check(&self) -> Result<(), (String, String)> {
        if self.button.is_empty() || self.button.len() > MAX_TOP {
            return Err(("button".into(), format!("1 to {MAX_TOP} top-level buttons")));
        }
        for (i, top) in self.button.iter().enumerate() {
            let at = format!("button[{i}]");
            check_name(&top.name, MAX_TOP_NAME_BYTES, &at)?;
            match &top.sub_button {
                Some(subs) => {
                    if top.kind.is_some() || top.key.is_some() || top.url.is_some() {
                        return Err((format!("{at}.type"), "a button with sub_button has no type, key or url".into()));
                    }
                    if subs.is_empty() || subs.len() > MAX_SUB {
                        return Err((format!("{at}.sub_button"), format!("1 to {MAX_SUB} sub-buttons")));
                    }
                    for (j, sub) in subs.iter().enumerate() {
                        let at = format!("{at}.sub_button[{j}]");
                        if sub.sub_button.is_some() {
                            return Err((format!("{at}.sub_button"), "menus are two levels deep".into()));
                        }
                        check_name(&sub.name, MAX_SUB_NAME_BYTES, &at)?;
                        check_action(sub, &at)?;
                    }
                }
                None => check_action(top, &at)?,
            }
        }
        Ok(())
    }
}

fn check_name(name: &str, max: usize, at: &str) -> Result<(), (String, String)> {
    if name.trim().is_empty() || name.len() > max || name.chars().any(char::is_control) {
        return Err((format!("{at}.name"), format!("1 to {max} bytes of text (UTF-8; a Chinese character is 3)")));
    }
    Ok(())
}

fn check_action(b: &Button, at: &str) -> Result<(), (String, String)> {
    match b.kind.as_deref() {
        Some("click") => {
            let key = b.key.as_deref().unwrap_or_default();
            if key.is_empty() || key.len() > MAX_KEY_BYTES || !key.bytes().all(|c| c.is_ascii_graphic()) {
                return Err((format!("{at}.key"), format!("1 to {MAX_KEY_BYTES} visible ASCII characters")));
            }
            if b.url.is_some() {
                return Err((format!("{at}.url"), "a click button has no url".into()));
            }
        }
        Some("view") => {
            let url = b.url.as_deref().unwrap_or_default();
            let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
            if !scheme_ok || url.len() > MAX_URL_BYTES || url.chars().any(|c| c.is_control() || c == ' ') {
                return Err((format!("{at}.url"), format!("an http(s) address of at most {MAX_URL_BYTES} bytes")));
            }
            if b.key.is_some() {
                return Err((format!("{at}.key"), "a view button has no key".into()));
            }
        }
        _ => return Err((format!("{at}.type"), "click or view (or sub_button instead)".into())),
    }
    Ok(())
}

/// The caller, and the org its audit rows are filed under (its top scope, as for SMS templates).
fn staff(req: &Request) -> Result<(Principal, String), ApiError> {
    let p = kit::authenticate(req)?;
    let scope = Scope::required(&p, Action::ReadOutbox)?;
    let org = scope.roots().first().map(|r| r.as_str().to_string()).unwrap_or_else(|| "/".into());
    Ok((p, org))
}

/// `/api/v1/wechat/menu` and `/api/v1/wechat/menu/push`.
pub fn route(req: &Request, path: &str, account: impl Fn() -> Result<Account, ApiError>) -> Result<Response, ApiError> {
    match path {
        "/api/v1/wechat/menu" => {
            kit::allow_method(req.method(), "GET, PUT")?;
            let (p, org) = staff(req)?;
            match req.method() {
                Method::Put => put(req, &p, &org),
                _ => get(),
            }
        }
        _ => {
            kit::allow_method(req.method(), "POST")?;
            let (p, org) = staff(req)?;
            push(&p, &org, &account()?)
        }
    }
}

/// The stored row.
struct Stored {
    menu: Json,
    updated_at: Option<i64>,
    pushed_at: Option<i64>,
}

fn stored(db: &Db) -> Result<Option<Stored>, ApiError> {
    let Some(row) = db.query_one("SELECT menu, updated_at, pushed_at FROM wechat_menu WHERE id = 1", &[])? else {
        return Ok(None);
    };
    let menu = serde_json::from_str(&row.str("menu")?).map_err(|e| ApiError::Internal(format!("stored menu: {e}")))?;
    Ok(Some(Stored { menu, updated_at: row.opt_i64("updated_at")?, pushed_at: row.opt_i64("pushed_at")? }))
}

fn view(db: &Db) -> Result<Json, ApiError> {
    Ok(match stored(db)? {
        Some(s) => json!({
            "menu": s.menu,
            "updated_at": kit::time::opt_rfc3339(s.updated_at),
            "pushed_at": kit::time::opt_rfc3339(s.pushed_at),
        }),
        None => json!({ "menu": null, "updated_at": null, "pushed_at": null }),
    })
}

fn get() -> Result<Response, ApiError> {
    Ok(kit::json(200, &view(&Db::open()?)?))
}

fn put(req: &Request, p: &Principal, org: &str) -> Result<Response, ApiError> {
    let menu: Menu = kit::parse_body(req)?;
    menu.check().map_err(|(field, message)| ApiError::invalid(&field, message))?;
    let text = serde_json::to_string(&menu).map_err(|e| ApiError::Internal(e.to_string()))?;
    let db = Db::open()?;
    db.transaction(|db| {
        let before = stored(db)?.map(|s| s.menu);
        db.exec(
            "INSERT INTO wechat_menu (id, menu, updated_by, updated_at) VALUES (1, ?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET menu = excluded.menu, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
            &[Value::Text(text.clone()), Value::Integer(p.account_id), Value::Integer(kit::now())],
        )?;
        let after = serde_json::to_value(&menu).map_err(|e| ApiError::Internal(e.to_string()))?;
        kit::audit(db, p.account_id, "wechat-menu.set", "wechat_menu", Some(1), org, before.as_ref(), Some(&after))
    })?;
    Ok(kit::json(200, &view(&db)?))
}

fn push(p: &Principal, org: &str, account: &Account) -> Result<Response, ApiError> {
    let db = Db::open()?;
    let Some(Stored { menu, .. }) = stored(&db)? else {
        return Err(ApiError::conflict("no_menu", "there is no menu to push; PUT /api/v1/wechat/menu first"));
    };
    let body = menu.to_string();
    let sent =
        Credentials::open(&db, account)?.with_token(|token| upstream::menu_create(&account.api_base, token, &body));
    match sent {
        Ok(()) => {}
        Err(crate::credentials::CredentialError::Upstream(upstream::UpstreamError::Refused { errcode, errmsg })) => {
            return Err(ApiError::conflict(
                "wechat_refused",
                format!("WeChat refused the menu: errcode {errcode} ({errmsg})"),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    db.transaction(|db| {
        db.exec("UPDATE wechat_menu SET pushed_at = ?1 WHERE id = 1", &[Value::Integer(kit::now())])?;
        kit::audit(db, p.account_id, "wechat-menu.push", "wechat_menu", Some(1), org, None, Some(&menu))
    })?;
    Ok(kit::json(200, &view(&db)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn menu(v: Json) -> Result<(), String> {
        serde_json::from_value::<Menu>(v).map_err(|e| e.to_string())?.check().map_err(|(f, _)| f)
    }

    #[test]
    fn wechats_rules_name_the_offending_field() {
        let click = json!({"type": "click", "name": "问卷", "key": "MENU_SURVEYS"});
        let view = json!({"type": "view", "name": "点单", "url": "https://wm.example.org/m/"});
        assert_eq!(menu(json!({"button": [click, {"name": "更多", "sub_button": [view]}]})), Ok(()));
        assert_eq!(menu(json!({"button": []})), Err("button".into()));
        assert_eq!(menu(json!({"button": [click, click, click, click]})), Err("button".into()));
        assert_eq!(
            menu(json!({"button": [{"type": "click", "name": "一二三四五六", "key": "K"}]})),
            Err("button[0].name".into())
        );
        assert_eq!(menu(json!({"button": [{"type": "click", "name": "a"}]})), Err("button[0].key".into()));
        assert_eq!(
            menu(
                json!({"button": [{"name": "a", "sub_button": [{"type": "view", "name": "b", "url": "javascript:x"}]}]})
            ),
            Err("button[0].sub_button[0].url".into())
        );
        assert_eq!(
            menu(json!({"button": [{"name": "a", "sub_button": [view, view, view, view, view, view]}]})),
            Err("button[0].sub_button".into())
        );
        assert_eq!(
            menu(json!({"button": [{"type": "scancode_push", "name": "a", "key": "k"}]})),
            Err("button[0].type".into())
        );
        assert!(menu(json!({"button": [click], "extra": 1})).is_err());
    }
}
