//! The consent page: its HTML with the disclosed items filled in, and the content security
//! policy that lets only its own inline script run.

use sha2::Digest as _;

const PAGE: &str = include_str!("page.html");

/// The page, and its `Content-Security-Policy` (the inline script allowed by its hash).
pub(super) fn consent_page() -> (String, String) {
    let page = PAGE
        .replace("{{PRODUCT}}", &escape(crate::generated::PRODUCT_NAME))
        .replace("{{ITEMS}}", &items_html());
    let script = page
        .split("<script>")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .unwrap_or_default();
    let digest = sha2::Sha256::digest(script.as_bytes());
    let csp = format!(
        "default-src 'none'; script-src 'sha256-{}'; style-src 'unsafe-inline'; connect-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        base64(&digest)
    );
    (page, csp)
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The disclosed items, as the page's summary: labels with their sensitivity.
fn items_html() -> String {
    let mut out = String::from("<ul class=\"items\">\n");
    for item in crate::generated::items::ITEMS {
        out.push_str(&format!(
            "  <li>{} <span class=\"muted\">({})</span></li>\n",
            escape(item.label),
            item.sensitivity
                .map_or("unclassified", telemetry_types::Sensitivity::as_str)
        ));
    }
    out.push_str("</ul>");
    out
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_matches_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
