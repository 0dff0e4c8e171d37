//! Escaping of spec texts (labels, descriptions, purposes) for the documents reviewers read:
//! whatever a text holds, it is shown literally and never becomes markup. The disclosure pages
//! and the compliance diff share these, so a text is safe in every output alike.

/// Escapes text for Markdown (a table cell or a paragraph): Markdown syntax and HTML are shown
/// literally, and a line break stays a line break without ending the table row.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    // At the start of a paragraph, `1. ` or `1) ` would begin an ordered list, and `- `, `+ `
    // or `--` a list or a rule: escape the marker so the text stays a paragraph (`>` becomes
    // `&gt;` below, `*` and `#` are always escaped). A version such as `3.2.0` is left alone.
    let bytes = text.as_bytes();
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    let then_space = |at: usize| matches!(bytes.get(at), None | Some(b' ' | b'\t'));
    let text = match bytes.get(digits) {
        Some(b'.' | b')') if digits > 0 && then_space(digits + 1) => {
            out.push_str(&text[..digits]);
            out.push('\\');
            &text[digits..]
        }
        Some(b'-' | b'+') if digits == 0 && (then_space(1) || bytes.get(1) == bytes.first()) => {
            out.push('\\');
            text
        }
        _ => text,
    };
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {}
            '\n' => out.push_str("<br>"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes text for HTML element content and attribute values; a line break becomes `<br>`.
#[cfg(feature = "docs")]
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '\r' => {}
            '\n' => out.push_str("<br>"),
            _ => out.push(c),
        }
    }
    out
}
