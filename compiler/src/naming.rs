//! How spec names become Rust names. Validation and code generation share these functions, so a
//! name that validation accepts is exactly the name the generated code uses.

/// Strict, reserved and edition-dependent keywords: none can be a plain identifier.
const KEYWORDS: &[&str] = &[
    "Self", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue",
    "crate", "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if",
    "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

pub fn is_keyword(word: &str) -> bool {
    KEYWORDS.binary_search(&word).is_ok()
}

/// Why `word` cannot be a snake_case Rust identifier, or `None` if it can.
pub fn identifier_problem(word: &str) -> Option<String> {
    if word.is_empty() {
        return Some("it is empty".into());
    }
    if is_keyword(word) {
        return Some(format!("`{word}` is a Rust keyword"));
    }
    let mut chars = word.chars();
    let first = chars.next().unwrap_or('_');
    if !first.is_ascii_lowercase() {
        return Some("it must start with a lowercase ASCII letter".into());
    }
    if !word
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Some(
            "only lowercase ASCII letters, digits and `_` are allowed (snake_case)".into(),
        );
    }
    None
}

/// Whether `segment` is a valid JSON path segment or map key: letters and digits in words
/// joined by single `-` or `_`, starting with a letter (`license-key`, `camundaBPM`).
pub fn is_segment(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    let Some(first) = bytes.first() else {
        return false;
    };
    first.is_ascii_alphabetic()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
        && !bytes
            .windows(2)
            .any(|w| matches!(w[0], b'-' | b'_') && matches!(w[1], b'-' | b'_'))
        && !matches!(bytes.last(), Some(b'-' | b'_'))
}

/// The words of a segment: split at `-`/`_`, at lower-to-upper case changes and at the end of
/// an acronym (`camundaBPM` -> camunda, BPM; `BPMServer` -> BPM, Server).
fn words(segment: &str) -> Vec<String> {
    let chars: Vec<char> = segment.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '-' || c == '_' {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if let Some(&prev) = i.checked_sub(1).and_then(|p| chars.get(p)) {
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let boundary = c.is_ascii_uppercase()
                && (prev.is_ascii_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_ascii_uppercase() && next_lower));
            if boundary && !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// `license-key` -> `license_key`, `camundaBPM` -> `camunda_bpm`.
pub fn snake_case(segment: &str) -> String {
    words(segment)
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_")
}

/// `license-key` -> `LicenseKey`, `camundaBPM` -> `CamundaBpm`.
pub fn pascal_case(segment: &str) -> String {
    words(segment)
        .iter()
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            let mut chars = lower.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The Rust struct name for the JSON object at `path` (the root is `Payload`).
pub fn struct_name<S: AsRef<str>>(path: &[S]) -> String {
    if path.is_empty() {
        "Payload".to_owned()
    } else {
        path.iter().map(|s| pascal_case(s.as_ref())).collect()
    }
}

/// The Rust field name for a JSON key. Keywords get a trailing `_` rather than a raw
/// identifier, so the generated code reads naturally (`type_`), and serde renames it back.
pub fn field_name(segment: &str) -> String {
    let snake = snake_case(segment);
    if is_keyword(&snake) {
        format!("{snake}_")
    } else {
        snake
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_segments() {
        assert_eq!(snake_case("license-key"), "license_key");
        assert_eq!(snake_case("camundaBPM"), "camunda_bpm");
        assert_eq!(snake_case("BPMServer"), "bpm_server");
        assert_eq!(snake_case("valid-until"), "valid_until");
        assert_eq!(
            snake_case("engine-installation-ids"),
            "engine_installation_ids"
        );
        assert_eq!(pascal_case("license-key"), "LicenseKey");
        assert_eq!(pascal_case("camundaBPM"), "CamundaBpm");
        assert_eq!(field_name("type"), "type_");
        assert_eq!(struct_name(&["product", "internals"]), "ProductInternals");
    }

    #[test]
    fn segments() {
        for ok in ["a", "license-key", "camundaBPM", "x1", "a_b-c"] {
            assert!(is_segment(ok), "{ok}");
        }
        for bad in ["", "1a", "-a", "a-", "a--b", "a.b", "a b", "ä"] {
            assert!(!is_segment(bad), "{bad}");
        }
    }

    #[test]
    fn keywords_are_sorted_for_binary_search() {
        assert!(KEYWORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(KEYWORDS.iter().all(|k| is_keyword(k)));
    }

    #[test]
    fn identifiers() {
        assert_eq!(identifier_problem("license_raw"), None);
        assert!(identifier_problem("type").unwrap().contains("keyword"));
        assert!(identifier_problem("async").unwrap().contains("keyword"));
        assert!(identifier_problem("License").is_some());
        assert!(identifier_problem("license-raw").is_some());
        assert!(identifier_problem("_x").is_some());
    }
}
