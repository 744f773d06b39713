//! An inbound message or event, as the reply logic needs it.

use crate::xml::{self, XmlError};

/// What the user did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A menu click (`Event=CLICK`) with the menu item's key.
    Click {
        key: String,
    },
    /// A menu link opened (`Event=VIEW`); WeChat expects no reply.
    View {
        url: String,
    },
    /// Followed the account, from a parameterised QR code (`qrscene_<scene>`) or not.
    Subscribe {
        scene: Option<String>,
    },
    /// Scanned a parameterised QR code while already following.
    Scan {
        scene: String,
    },
    Unsubscribe,
    /// WeChat's report on a template message it accepted (`TEMPLATESENDJOBFINISH`): its `MsgID`
    /// and `Status` (`success`, `failed:user block`, `failed: system failed`, …).
    TemplateSent {
        msg_id: String,
        status: String,
    },
    /// A text message.
    Text {
        id: i64,
        content: String,
    },
    /// Anything else (images, locations, other events): answered with help.
    Other {
        msg_type: String,
    },
}

/// One inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// The official account (`ToUserName`, `gh_...`).
    pub account: String,
    /// The user's OpenID (`FromUserName`).
    pub user: String,
    pub created: i64,
    /// `MsgId`, on messages (not on events).
    pub msg_id: Option<String>,
    pub kind: Kind,
}

impl Inbound {
    /// What makes WeChat's retries of this message recognisable, as its documentation
    /// recommends: the `MsgId` of a message, `FromUserName` + `CreateTime` of an event. `None`
    /// when the message carries neither (it is then answered each time).
    pub fn dedup_key(&self) -> Option<String> {
        match (&self.msg_id, self.created) {
            (Some(id), _) => Some(format!("msg:{id}")),
            (None, created) if created > 0 => Some(format!("event:{}:{created}", self.user)),
            _ => None,
        }
    }

    /// Reads a decrypted message body.
    pub fn parse(body: &str) -> Result<Inbound, XmlError> {
        let fields = xml::fields(body)?;
        let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let account = get("ToUserName").ok_or(XmlError::Missing("ToUserName"))?.to_string();
        let user = get("FromUserName").ok_or(XmlError::Missing("FromUserName"))?.to_string();
        let created = get("CreateTime").and_then(|t| t.trim().parse().ok()).unwrap_or(0);
        let msg_type = get("MsgType").ok_or(XmlError::Missing("MsgType"))?.trim().to_ascii_lowercase();
        let msg_id = get("MsgId").map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        let event_key = get("EventKey").unwrap_or("").trim().to_string();
        let kind = match msg_type.as_str() {
            "text" => Kind::Text {
                id: get("MsgId").and_then(|v| v.trim().parse().ok()).unwrap_or(0),
                content: get("Content").unwrap_or("").to_string(),
            },
            "event" => match get("Event").unwrap_or("").trim().to_ascii_lowercase().as_str() {
                "click" => Kind::Click { key: event_key },
                "view" => Kind::View { url: event_key },
                "subscribe" => Kind::Subscribe {
                    scene: event_key.strip_prefix("qrscene_").filter(|s| !s.is_empty()).map(str::to_string),
                },
                "scan" => Kind::Scan { scene: event_key },
                "unsubscribe" => Kind::Unsubscribe,
                "templatesendjobfinish" => Kind::TemplateSent {
                    msg_id: get("MsgID").unwrap_or("").trim().to_string(),
                    status: get("Status").unwrap_or("").trim().to_string(),
                },
                other => Kind::Other { msg_type: format!("event:{other}") },
            },
            other => Kind::Other { msg_type: other.to_string() },
        };
        Ok(Inbound { account, user, created, msg_id, kind })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event: &str, key: &str) -> String {
        format!(
            "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oUSER_OPENID]]></FromUserName><CreateTime>1700000002</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>"
        )
    }

    #[test]
    fn the_vectors_menu_events_and_text_parse() {
        // ../shared/reference/wechat-vectors.json, parse
        let click = Inbound::parse(&event("CLICK", "MENU_ORDER_DEMAND")).unwrap();
        assert_eq!(click.kind, Kind::Click { key: "MENU_ORDER_DEMAND".into() });
        assert_eq!((click.user.as_str(), click.created), ("oUSER_OPENID", 1700000002));
        let view = Inbound::parse(&event("VIEW", "https://example.org/h5/orders")).unwrap();
        assert_eq!(view.kind, Kind::View { url: "https://example.org/h5/orders".into() });
        let sub = Inbound::parse(&event("subscribe", "qrscene_station_42")).unwrap();
        assert_eq!(sub.kind, Kind::Subscribe { scene: Some("station_42".into()) });
        let plain_sub = Inbound::parse(&event("subscribe", "")).unwrap();
        assert_eq!(plain_sub.kind, Kind::Subscribe { scene: None });
        let text = Inbound::parse("<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oUSER_OPENID]]></FromUserName><CreateTime>1700000003</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[点单]]></Content><MsgId>1234567890123456</MsgId></xml>").unwrap();
        assert_eq!(text.kind, Kind::Text { id: 1234567890123456, content: "点单".into() });
        assert_eq!(text.dedup_key().as_deref(), Some("msg:1234567890123456"));
        assert_eq!(click.dedup_key().as_deref(), Some("event:oUSER_OPENID:1700000002"));
    }

    #[test]
    fn a_template_report_names_its_message_and_status() {
        let finished = Inbound::parse("<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oUSER_OPENID]]></FromUserName><CreateTime>1700000004</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>200163836</MsgID><Status><![CDATA[failed:user block]]></Status></xml>").unwrap();
        assert_eq!(
            finished.kind,
            Kind::TemplateSent { msg_id: "200163836".into(), status: "failed:user block".into() }
        );
        assert_eq!(finished.dedup_key().as_deref(), Some("event:oUSER_OPENID:1700000004"));
    }

    #[test]
    fn a_message_without_its_parties_is_refused() {
        assert_eq!(
            Inbound::parse("<xml><MsgType><![CDATA[text]]></MsgType></xml>"),
            Err(XmlError::Missing("ToUserName"))
        );
    }
}
