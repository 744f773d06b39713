//! The flat XML WeChat speaks: `<xml><Name><![CDATA[value]]></Name><Num>1</Num>...</xml>`. Only
//! the root's children are read (nested ones such as `ScanCodeInfo` are kept raw); text is taken
//! from CDATA sections or unescaped from the five XML entities. Replies are rendered the way
//! WeChat's own samples are, one element per line.

/// What can be wrong with an inbound message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum XmlError {
    #[error("the body is not a WeChat XML message")]
    NotXml,
    #[error("the message has no {0}")]
    Missing(&'static str),
}

/// The root's children, in order, as `(name, text)`.
pub fn fields(body: &str) -> Result<Vec<(String, String)>, XmlError> {
    let mut rest = body.trim_start_matches('\u{feff}').trim();
    if let Some(decl) = rest.strip_prefix("<?xml") {
        rest = decl.split_once("?>").ok_or(XmlError::NotXml)?.1.trim_start();
    }
    let inner = rest.strip_prefix("<xml>").and_then(|r| r.trim_end().strip_suffix("</xml>")).ok_or(XmlError::NotXml)?;
    let mut out = Vec::new();
    let mut rest = inner.trim_start();
    while !rest.is_empty() {
        let after_lt = rest.strip_prefix('<').ok_or(XmlError::NotXml)?;
        let (tag, after_tag) = after_lt.split_once('>').ok_or(XmlError::NotXml)?;
        if tag.is_empty() || tag.starts_with('/') || tag.contains(['<', ' ', '"']) {
            return Err(XmlError::NotXml);
        }
        if let Some(name) = tag.strip_suffix('/') {
            out.push((name.to_string(), String::new()));
            rest = after_tag.trim_start();
            continue;
        }
        let close = format!("</{tag}>");
        let (raw, after) = split_element(after_tag, tag, &close).ok_or(XmlError::NotXml)?;
        out.push((tag.to_string(), text(raw)));
        rest = after.trim_start();
    }
    Ok(out)
}

/// Splits `s` at the `close` tag that ends this element, skipping CDATA and nested same-name
/// elements.
fn split_element<'a>(s: &'a str, tag: &str, close: &str) -> Option<(&'a str, &'a str)> {
    let open = format!("<{tag}>");
    let mut depth = 0usize;
    let mut i = 0;
    while i < s.len() {
        let here = &s[i..];
        if here.starts_with("<![CDATA[") {
            i += here.find("]]>")? + 3;
        } else if here.starts_with(close) {
            if depth == 0 {
                return Some((&s[..i], &s[i + close.len()..]));
            }
            depth -= 1;
            i += close.len();
        } else if here.starts_with(open.as_str()) {
            depth += 1;
            i += open.len();
        } else {
            i += here.chars().next()?.len_utf8();
        }
    }
    None
}

/// An element's text: its CDATA sections joined, else the text with entities unescaped.
fn text(raw: &str) -> String {
    let trimmed = raw.trim();
    if trimmed.starts_with("<![CDATA[") {
        let mut out = String::new();
        let mut rest = trimmed;
        while let Some(start) = rest.find("<![CDATA[") {
            let body = &rest[start + 9..];
            let Some(end) = body.find("]]>") else { break };
            out.push_str(&body[..end]);
            rest = &body[end + 3..];
        }
        return out;
    }
    if trimmed.contains('<') {
        return trimmed.to_string(); // nested elements, kept raw
    }
    trimmed
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// `value` as one CDATA section (a `]]>` inside is split across two sections).
pub fn cdata(value: &str) -> String {
    format!("<![CDATA[{}]]>", value.replace("]]>", "]]]]><![CDATA[>"))
}

/// A passive text reply (被动回复文本消息) from the account `from` to the user `to`.
pub fn text_reply(to: &str, from: &str, created: i64, content: &str) -> String {
    format!(
        "<xml>\n<MsgType>{}</MsgType>\n<Content>{}</Content>\n<FromUserName>{}</FromUserName>\n<ToUserName>{}</ToUserName>\n<CreateTime>{created}</CreateTime>\n</xml>",
        cdata("text"),
        cdata(content),
        cdata(from),
        cdata(to)
    )
}

/// The safe-mode envelope of an encrypted reply.
pub fn encrypted_reply(encrypt: &str, signature: &str, timestamp: &str, nonce: &str) -> String {
    format!(
        "<xml>\n<Encrypt>{}</Encrypt>\n<MsgSignature>{}</MsgSignature>\n<TimeStamp>{timestamp}</TimeStamp>\n<Nonce>{}</Nonce>\n</xml>",
        cdata(encrypt),
        cdata(signature),
        cdata(nonce)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdata_plain_entities_nesting_and_declarations_are_read() {
        let body = "<?xml version=\"1.0\"?>\n<xml><ToUserName><![CDATA[gh_1]]></ToUserName>\n<CreateTime>1700000002</CreateTime><Content>a &lt;b&gt; &amp; c</Content><ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType></ScanCodeInfo><Empty/><Tricky><![CDATA[x</Tricky>y]]></Tricky></xml>";
        let f = fields(body).unwrap();
        let get = |n: &str| f.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("ToUserName"), Some("gh_1"));
        assert_eq!(get("CreateTime"), Some("1700000002"));
        assert_eq!(get("Content"), Some("a <b> & c"));
        assert_eq!(get("ScanCodeInfo"), Some("<ScanType><![CDATA[qrcode]]></ScanType>"));
        assert_eq!(get("Empty"), Some(""));
        assert_eq!(get("Tricky"), Some("x</Tricky>y"));
    }

    #[test]
    fn what_is_not_a_message_is_refused() {
        for bad in
            ["", "hello", "<xml>", "<xml><A>1</xml>", "<root><A>1</A></root>", "<xml><A>1</B></xml>", "<xml>text</xml>"]
        {
            assert_eq!(fields(bad), Err(XmlError::NotXml), "{bad:?}");
        }
    }

    #[test]
    fn the_passive_text_reply_renders_like_the_vector() {
        // ../shared/reference/wechat-vectors.json, passive_text_reply_render
        let expected = "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[已收到]]></Content>\n<FromUserName><![CDATA[gh_0123456789ab]]></FromUserName>\n<ToUserName><![CDATA[oUSER_OPENID]]></ToUserName>\n<CreateTime>1795349585</CreateTime>\n</xml>";
        assert_eq!(text_reply("oUSER_OPENID", "gh_0123456789ab", 1795349585, "已收到"), expected);
        assert_eq!(cdata("a]]>b"), "<![CDATA[a]]]]><![CDATA[>b]]>");
        let round = fields(&text_reply("u", "g", 1, "a]]>b")).unwrap();
        assert_eq!(round[1], ("Content".to_string(), "a]]>b".to_string()));
    }
}
