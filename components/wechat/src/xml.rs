//! The flat XML WeChat speaks: `<xml><Name><![CDATA[value]]></Name><Num>1</Num>...</xml>`. The
//! body is untrusted, so it is tokenised by `quick-xml` (no hand-written scanner): only the
//! root's children are read (nested ones such as `ScanCodeInfo` are kept raw); text is taken
//! from CDATA sections or unescaped (the predefined entities and character references only). A
//! DOCTYPE is refused outright — WeChat never sends one, and it is how entity-expansion attacks
//! (XXE, "billion laughs") begin — and any other entity reference is an error, never expanded.
//! Replies are rendered the way WeChat's own samples are, one element per line.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// What can be wrong with an inbound message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum XmlError {
    #[error("the body is not a WeChat XML message")]
    NotXml,
    #[error("the body declares a DOCTYPE, which a WeChat message never does")]
    Doctype,
    #[error("the message has no {0}")]
    Missing(&'static str),
}

impl From<quick_xml::Error> for XmlError {
    fn from(_: quick_xml::Error) -> XmlError {
        XmlError::NotXml
    }
}

/// The root's children, in order, as `(name, text)`.
pub fn fields(body: &str) -> Result<Vec<(String, String)>, XmlError> {
    let body = body.trim_start_matches('\u{feff}');
    let mut reader = Reader::from_str(body);
    // Before the root: an optional declaration, blank space and comments.
    loop {
        match reader.read_event()? {
            Event::Decl(_) | Event::Comment(_) => {}
            Event::Text(t) if is_blank(&t) => {}
            Event::Start(root) if root.name().as_ref() == b"xml" => break,
            Event::DocType(_) => return Err(XmlError::Doctype),
            _ => return Err(XmlError::NotXml),
        }
    }
    let mut out = Vec::new();
    loop {
        match reader.read_event()? {
            Event::Start(child) => {
                let name = name_of(&child)?;
                let text = element_text(&mut reader, body)?;
                out.push((name, text));
            }
            Event::Empty(child) => out.push((name_of(&child)?, String::new())),
            Event::Text(t) if is_blank(&t) => {}
            Event::Comment(_) => {}
            // quick-xml checks that end names match, so this is `</xml>`.
            Event::End(_) => break,
            Event::DocType(_) => return Err(XmlError::Doctype),
            _ => return Err(XmlError::NotXml),
        }
    }
    // Nothing but blank space and comments after the root.
    loop {
        match reader.read_event()? {
            Event::Eof => return Ok(out),
            Event::Comment(_) => {}
            Event::Text(t) if is_blank(&t) => {}
            _ => return Err(XmlError::NotXml),
        }
    }
}

/// Whether a text node is only white space (between elements).
fn is_blank(t: &[u8]) -> bool {
    t.iter().all(u8::is_ascii_whitespace)
}

fn name_of(e: &BytesStart<'_>) -> Result<String, XmlError> {
    std::str::from_utf8(e.name().as_ref()).map(str::to_string).map_err(|_| XmlError::NotXml)
}

/// The text of the element whose start tag was just read, consuming up to its end tag: its CDATA
/// sections and non-blank text joined (white space around CDATA is layout), or, when it has
/// child elements, its inner XML as sent.
fn element_text(reader: &mut Reader<&[u8]>, body: &str) -> Result<String, XmlError> {
    let inner_start = position(reader);
    let mut depth = 0usize;
    let mut nested = false;
    let mut cdata = false;
    let mut text = String::new();
    loop {
        let before = position(reader);
        match reader.read_event()? {
            Event::Start(_) => {
                depth += 1;
                nested = true;
            }
            Event::Empty(_) => nested = true,
            Event::End(_) if depth > 0 => depth -= 1,
            Event::End(_) => {
                if nested {
                    let raw = body.get(inner_start..before).ok_or(XmlError::NotXml)?;
                    return Ok(raw.trim().to_string());
                }
                return Ok(if cdata { text } else { text.trim().to_string() });
            }
            Event::CData(c) if depth == 0 => {
                if !cdata {
                    // Text before the first CDATA section was only layout unless it said something.
                    text = text.trim().to_string();
                }
                cdata = true;
                text.push_str(std::str::from_utf8(&c).map_err(|_| XmlError::NotXml)?);
            }
            Event::Text(t) if depth == 0 => {
                if !(cdata && is_blank(&t)) {
                    text.push_str(&t.unescape()?);
                }
            }
            Event::CData(_) | Event::Text(_) | Event::Comment(_) => {}
            Event::DocType(_) => return Err(XmlError::Doctype),
            _ => return Err(XmlError::NotXml),
        }
    }
}

/// The reader's byte offset in the body (past `usize` only in theory; then no slice is taken).
fn position(reader: &Reader<&[u8]>) -> usize {
    usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX)
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
        for bad in [
            "",
            "hello",
            "<xml>",
            "<xml><A>1</xml>",
            "<root><A>1</A></root>",
            "<xml><A>1</B></xml>",
            "<xml>text</xml>",
            "<xml><A>1</A></xml><xml></xml>",
            "<xml><A><![CDATA[unterminated</A></xml>",
        ] {
            assert_eq!(fields(bad), Err(XmlError::NotXml), "{bad:?}");
        }
    }

    #[test]
    fn doctypes_and_entities_are_never_expanded() {
        let xxe = "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml><Content>&x;</Content></xml>";
        assert_eq!(fields(xxe), Err(XmlError::Doctype));
        let laughs = "<!DOCTYPE xml [<!ENTITY a \"ha\"><!ENTITY b \"&a;&a;&a;\">]><xml><Content>&b;</Content></xml>";
        assert_eq!(fields(laughs), Err(XmlError::Doctype));
        // Without a DOCTYPE an unknown entity is simply an error, not an empty or raw value.
        assert_eq!(fields("<xml><Content>&x;</Content></xml>"), Err(XmlError::NotXml));
        // Character references are text.
        assert_eq!(fields("<xml><Content>&#x5FD7;&#24895;</Content></xml>").unwrap()[0].1, "志愿");
    }

    #[test]
    fn cdata_around_layout_and_text_is_joined() {
        let f = fields("<xml>\n  <A>\n    <![CDATA[ one ]]>\n  </A>\n  <B>x<![CDATA[y]]></B>\n</xml>\n").unwrap();
        assert_eq!(f, vec![("A".to_string(), " one ".to_string()), ("B".to_string(), "xy".to_string())]);
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
