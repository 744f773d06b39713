//! A message as the outbox stores it: every field checked, and the parameters encoded as one
//! JSON object text. Pure: no database.
//!
//! The parameters are written by hand rather than through a `serde_json::Map`, because the map
//! sorts its keys (the workspace does not enable `preserve_order`, and enabling it here would
//! change every other component's JSON through feature unification). Templates fill their
//! parameters in order, so the order the caller gave is the order stored.

/// Longest idempotency key; the same bound as `kit::idempotent`.
pub const MAX_KEY_CHARS: usize = 200;
/// Longest template name.
pub const MAX_TEMPLATE_CHARS: usize = 64;
/// At most this many parameters: a provider template has a handful.
pub const MAX_PARAMS: usize = 20;
/// Longest parameter name.
pub const MAX_PARAM_NAME_CHARS: usize = 64;
/// Longest parameter value: an SMS is short; a longer value is a caller's mistake.
pub const MAX_PARAM_VALUE_CHARS: usize = 500;
/// Longest WeChat openid.
pub const MAX_OPENID_CHARS: usize = 128;

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Sms,
    Wechat,
}

impl Channel {
    /// The stored name (`outbox.channel`).
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Wechat => "wechat",
        }
    }
}

/// A checked message, ready to compare with and insert into the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub channel: Channel,
    pub recipient: String,
    pub template: String,
    /// The parameters as a JSON object text, in the caller's order.
    pub params: String,
    pub idempotency_key: String,
}

/// A field that is wrong, and why.
pub type Invalid = (String, String);

fn invalid(field: &str, message: impl Into<String>) -> Invalid {
    (field.to_string(), message.into())
}

/// Checks every field of a message. Recipients are kept exactly as given (after trimming), so
/// the repeat check and the daily cap count one person as one recipient.
pub fn check(
    channel: Channel,
    recipient: &str,
    template: &str,
    params: &[(String, String)],
    idempotency_key: &str,
) -> Result<Checked, Invalid> {
    let recipient = recipient.trim();
    match channel {
        // A mainland mobile number (the rule accounts are created with), or an international
        // `+<country><number>`: `domain::Recipient`.
        Channel::Sms if domain::Recipient::parse(recipient).is_err() => {
            return Err(invalid(
                "recipient",
                "an SMS recipient must be a mobile number such as 13812345678 (or +<country><number>)",
            ));
        }
        Channel::Wechat if recipient.is_empty() || recipient.chars().count() > MAX_OPENID_CHARS => {
            return Err(invalid(
                "recipient",
                format!("a WeChat recipient must be an openid of 1 to {MAX_OPENID_CHARS} characters"),
            ));
        }
        Channel::Wechat if recipient.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            return Err(invalid("recipient", "a WeChat openid has no spaces or control characters"));
        }
        _ => {}
    }
    if template.is_empty()
        || template.len() > MAX_TEMPLATE_CHARS
        || !template
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' || b == b'.')
    {
        return Err(invalid(
            "template",
            format!("a template name is 1 to {MAX_TEMPLATE_CHARS} of a-z, 0-9, '-', '_', '.' (e.g. order-dispatched)"),
        ));
    }
    if idempotency_key.is_empty() || idempotency_key.chars().count() > MAX_KEY_CHARS {
        return Err(invalid("idempotency-key", format!("must be 1 to {MAX_KEY_CHARS} characters")));
    }
    Ok(Checked {
        channel,
        recipient: recipient.to_string(),
        template: template.to_string(),
        params: encode_params(params)?,
        idempotency_key: idempotency_key.to_string(),
    })
}

/// The parameters as one JSON object text, keys in the given order. Names must be unique (an
/// object with a repeated key means nothing definite) and both names and values bounded.
pub fn encode_params(params: &[(String, String)]) -> Result<String, Invalid> {
    if params.len() > MAX_PARAMS {
        return Err(invalid("params", format!("at most {MAX_PARAMS} parameters")));
    }
    let mut out = String::from("{");
    for (i, (name, value)) in params.iter().enumerate() {
        if name.is_empty() || name.chars().count() > MAX_PARAM_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(invalid(
                "params",
                format!("parameter names are 1 to {MAX_PARAM_NAME_CHARS} characters without control characters"),
            ));
        }
        if params[..i].iter().any(|(earlier, _)| earlier == name) {
            return Err(invalid("params", format!("parameter {name:?} is given twice")));
        }
        if value.chars().count() > MAX_PARAM_VALUE_CHARS {
            return Err(invalid(
                "params",
                format!("parameter {name:?} is longer than {MAX_PARAM_VALUE_CHARS} characters"),
            ));
        }
        if i > 0 {
            out.push(',');
        }
        out.push_str(&quote(name));
        out.push(':');
        out.push_str(&quote(value));
    }
    out.push('}');
    Ok(out)
}

/// A JSON string literal (serde_json's escaping of a plain string cannot fail).
fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn params_keep_their_order_and_escape() {
        let text = encode_params(&p(&[("order", "12"), ("item", "助老\"服务\""), ("at", "09:00")])).unwrap();
        assert_eq!(text, r#"{"order":"12","item":"助老\"服务\"","at":"09:00"}"#);
        // It is a JSON object that readers (the outbox list) parse.
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["item"], "助老\"服务\"");
        assert_eq!(encode_params(&[]).unwrap(), "{}");
    }

    #[test]
    fn repeated_or_oversized_params_are_refused() {
        assert_eq!(encode_params(&p(&[("a", "1"), ("a", "2")])).unwrap_err().0, "params");
        assert!(encode_params(&p(&[("", "1")])).is_err());
        assert!(encode_params(&p(&[("a", &"x".repeat(MAX_PARAM_VALUE_CHARS + 1))])).is_err());
        let many: Vec<(String, String)> = (0..=MAX_PARAMS).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(encode_params(&many).is_err());
    }

    #[test]
    fn recipients_templates_and_keys_are_checked() {
        let ok = check(Channel::Sms, " 13812345678 ", "order-dispatched", &[], "order:1:order-dispatched:7").unwrap();
        assert_eq!(ok.recipient, "13812345678");
        assert_eq!(check(Channel::Sms, "12812345678", "t", &[], "k").unwrap_err().0, "recipient");
        assert_eq!(check(Channel::Sms, "1381234567", "t", &[], "k").unwrap_err().0, "recipient");
        assert!(check(Channel::Sms, "+85291234567", "t", &[], "k").is_ok());
        assert!(check(Channel::Wechat, "oAbC-123_x", "t", &[], "k").is_ok());
        assert_eq!(check(Channel::Wechat, "o abc", "t", &[], "k").unwrap_err().0, "recipient");
        assert_eq!(check(Channel::Wechat, "", "t", &[], "k").unwrap_err().0, "recipient");
        assert_eq!(check(Channel::Sms, "13812345678", "Order Dispatched", &[], "k").unwrap_err().0, "template");
        assert_eq!(check(Channel::Sms, "13812345678", "", &[], "k").unwrap_err().0, "template");
        assert_eq!(check(Channel::Sms, "13812345678", "t", &[], "").unwrap_err().0, "idempotency-key");
        assert_eq!(check(Channel::Sms, "13812345678", "t", &[], &"k".repeat(201)).unwrap_err().0, "idempotency-key");
    }
}
