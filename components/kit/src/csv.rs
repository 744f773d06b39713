//! CSV exports (RFC 4180), safe to open in a spreadsheet.

use spin_sdk::http::Response;

/// A CSV download named `filename` (plain ASCII, no quotes): never cached (it holds personal
/// data), never sniffed (its cells are people's own text, which a browser guessing at HTML
/// would render).
pub fn attachment(filename: &str, body: String) -> Response {
    Response::builder()
        .status(200)
        .header("content-type", "text/csv; charset=utf-8")
        .header("content-disposition", format!("attachment; filename=\"{filename}\""))
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        .body(body)
        .build()
}

/// One CSV field: quoted when it holds a comma, quote, CR or LF, or when it starts with a
/// character a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR), which is then
/// also prefixed with `'` so the cell shows as text.
pub fn field(s: &str) -> String {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let s = if formula { format!("'{s}") } else { s.to_string() };
    if formula || s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// One CSV record, CRLF-terminated.
pub fn row<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields.iter().map(|f| field(f.as_ref())).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("line\nbreak"), "\"line\nbreak\"");
    }

    #[test]
    fn formulas_are_defused() {
        assert_eq!(field("=1+1"), "\"'=1+1\"");
        assert_eq!(field("-5"), "\"'-5\"");
        assert_eq!(field("@SUM(A1)"), "\"'@SUM(A1)\"");
    }

    #[test]
    fn rows_end_with_crlf() {
        assert_eq!(row(&["a", "b,c", ""]), "a,\"b,c\",\r\n");
    }
}
