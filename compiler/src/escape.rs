//! Escaping of spec texts (labels, descriptions, purposes) for the documents reviewers read:
//! whatever a text holds, it is shown literally and never becomes markup. The disclosure pages
//! and the compliance diff share these, so a text is safe in every output alike.

/// Escapes text for Markdown (a table cell or a paragraph): Markdown syntax and HTML are shown
/// literally, and a line break stays a line break without ending the table row.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    escape_markdown_into(&mut out, text);
    out
}

/// [`escape_markdown`], appended to `out`.
pub fn escape_markdown_into(out: &mut String, text: &str) {
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
    const SPECIAL: [bool; 256] = specials(b"\\`*_[]|#~!<>&\r\n");
    let rest = plain_prefix(out, text, &SPECIAL);
    for c in rest.chars() {
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
}

/// Escapes text for HTML element content and attribute values; a line break becomes `<br>`.
#[cfg(feature = "docs")]
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    escape_html_into(&mut out, text);
    out
}

/// [`escape_html`], appended to `out`.
#[cfg(feature = "docs")]
pub fn escape_html_into(out: &mut String, text: &str) {
    const SPECIAL: [bool; 256] = specials(b"<>&\"'\r\n");
    let rest = plain_prefix(out, text, &SPECIAL);
    for c in rest.chars() {
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
}

/// A table of the bytes in `bytes`: one load per byte of text instead of a comparison per
/// special byte.
pub(crate) const fn specials(bytes: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
}

/// Appends the part of `text` before the first byte `special` picks and returns the rest: most
/// texts need no escaping at all, and copying them whole is many times faster than char by char.
/// Every special byte is ASCII, so the cut is always at a character boundary.
fn plain_prefix<'t>(out: &mut String, text: &'t str, special: &[bool; 256]) -> &'t str {
    let cut = first_special(text.as_bytes(), special);
    out.push_str(&text[..cut]);
    &text[cut..]
}

/// Where the first byte `special` picks is in `bytes` (its length if none is): eight bytes
/// at a time, one branch per eight instead of one per byte (the pages escape megabytes).
pub(crate) fn first_special(bytes: &[u8], special: &[bool; 256]) -> usize {
    let mut plain = 0;
    for chunk in bytes.chunks_exact(8) {
        if chunk
            .iter()
            .fold(false, |any, &b| any | special[usize::from(b)])
        {
            break;
        }
        plain += 8;
    }
    bytes[plain..]
        .iter()
        .position(|&b| special[usize::from(b)])
        .map_or(bytes.len(), |at| plain + at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_special_byte_is_found_in_every_place() {
        const SPECIAL: [bool; 256] = specials(b"<&\n");
        for len in 0..40 {
            for at in 0..=len {
                let mut bytes = vec![b'a'; len];
                if at < len {
                    bytes[at] = [b'<', b'&', b'\n'][at % 3];
                }
                assert_eq!(
                    first_special(&bytes, &SPECIAL),
                    at,
                    "{len} bytes, special at {at}"
                );
            }
        }
    }

    #[test]
    fn the_plain_prefix_is_copied_and_the_rest_escaped() {
        assert_eq!(escape_html("plain é text"), "plain é text");
        assert_eq!(escape_html("é <b> é"), "é &lt;b&gt; é");
        assert_eq!(escape_markdown("é 1. a_b"), "é 1. a\\_b");
        assert_eq!(escape_markdown("1. first"), "1\\. first");
    }
}
