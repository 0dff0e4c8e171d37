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
    // Every generated field name is looked up: most are rejected by their length and first
    // letter alone.
    let (Some(&first), Some(starts)) = (word.as_bytes().first(), KEYWORD_STARTS.get(word.len()))
    else {
        return false;
    };
    first
        .checked_sub(b'A')
        .is_some_and(|bit| bit < 64 && starts & (1 << bit) != 0)
        && KEYWORDS.binary_search(&word).is_ok()
}

/// For each length, the first letters of the keywords of that length (bit `letter - 'A'`).
const KEYWORD_STARTS: [u64; 9] = {
    let mut starts = [0u64; 9];
    let mut i = 0;
    while i < KEYWORDS.len() {
        let word = KEYWORDS[i].as_bytes();
        starts[word.len()] |= 1 << (word[0] - b'A');
        i += 1;
    }
    starts
};

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

/// Calls `word` with each word of a segment: split at `-`/`_`, at lower-to-upper case changes
/// and at the end of an acronym (`camundaBPM` -> camunda, BPM; `BPMServer` -> BPM, Server).
/// Names are converted for every field of every generated struct, so this allocates nothing.
fn for_each_word(segment: &str, mut word: impl FnMut(&str)) {
    let mut start = None;
    let mut prev = None;
    let mut chars = segment.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next_lower = chars.peek().is_some_and(|(_, n)| n.is_ascii_lowercase());
        if c == '-' || c == '_' {
            if let Some(s) = start.take() {
                word(&segment[s..i]);
            }
        } else {
            let boundary = prev.is_some_and(|p: char| {
                c.is_ascii_uppercase()
                    && (p.is_ascii_lowercase()
                        || p.is_ascii_digit()
                        || (p.is_ascii_uppercase() && next_lower))
            });
            if boundary && let Some(s) = start.take() {
                word(&segment[s..i]);
            }
            start.get_or_insert(i);
        }
        prev = Some(c);
    }
    if let Some(s) = start {
        word(&segment[s..]);
    }
}

/// `license-key` -> `license_key`, `camundaBPM` -> `camunda_bpm`.
pub fn snake_case(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len() + 4);
    push_snake_case(&mut out, segment);
    out
}

/// [`snake_case`], appended to `out`.
fn push_snake_case(out: &mut String, segment: &str) {
    // Most segments are lowercase words joined by single separators: their words are exactly
    // what lies between the separators, so the name is the segment with `_` for `-`.
    let bytes = segment.as_bytes();
    // One pass: only lowercase letters, digits and separators, never two separators in a row
    // nor one at either end (`after_separator` starts true for the start).
    let mut plain = true;
    let mut after_separator = true;
    for &b in bytes {
        let separator = b == b'-' || b == b'_';
        plain &= (b.is_ascii_lowercase() || b.is_ascii_digit() || separator)
            && !(separator && after_separator);
        after_separator = separator;
    }
    if plain && !after_separator {
        // Copied between the dashes, not char by char: every field name comes through here.
        for (i, part) in segment.split('-').enumerate() {
            if i > 0 {
                out.push('_');
            }
            out.push_str(part);
        }
        return;
    }
    let start = out.len();
    for_each_word(segment, |w| {
        if out.len() > start {
            out.push('_');
        }
        out.extend(w.chars().map(|c| c.to_ascii_lowercase()));
    });
}

/// `license-key` -> `LicenseKey`, `camundaBPM` -> `CamundaBpm`.
pub fn pascal_case(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    push_pascal_case(&mut out, segment);
    out
}

fn push_pascal_case(out: &mut String, segment: &str) {
    for_each_word(segment, |w| {
        let mut chars = w.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    });
}

/// The Rust struct name for the JSON object at `path` (the root is `Payload`).
pub fn struct_name<S: AsRef<str>>(path: &[S]) -> String {
    if path.is_empty() {
        "Payload".to_owned()
    } else {
        let mut out = String::new();
        for segment in path {
            push_pascal_case(&mut out, segment.as_ref());
        }
        out
    }
}

/// The Rust field name for a JSON key. Keywords get a trailing `_` rather than a raw
/// identifier, so the generated code reads naturally (`type_`), and serde renames it back.
pub fn field_name(segment: &str) -> String {
    let mut name = String::with_capacity(segment.len() + 5);
    push_field_name(&mut name, segment);
    name
}

/// [`field_name`], appended to `out`.
pub fn push_field_name(out: &mut String, segment: &str) {
    let start = out.len();
    push_snake_case(out, segment);
    if is_keyword(&out[start..]) {
        out.push('_');
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
    fn words_split_at_separators_case_changes_and_acronym_ends() {
        let words = |s: &str| {
            let mut out = Vec::new();
            for_each_word(s, |w| out.push(w.to_owned()));
            out
        };
        assert_eq!(words("camundaBPM"), ["camunda", "BPM"]);
        assert_eq!(words("BPMServer"), ["BPM", "Server"]);
        assert_eq!(words("a1B-_c__dE"), ["a1", "B", "c", "d", "E"]);
        assert_eq!(words("-x-"), ["x"]);
        assert_eq!(words("é_Aé"), ["é", "Aé"]);
        assert!(words("").is_empty() && words("_-").is_empty());
        assert_eq!(snake_case("a1B-_c__dE"), "a1_b_c_d_e");
        assert_eq!(pascal_case("a1B-_c__dE"), "A1BCDE");
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
        assert!(KEYWORDS.iter().all(|k| !is_keyword(&format!("{k}_"))));
        for other in [
            "",
            "f",
            "field_1",
            "Type",
            "selfish",
            "~",
            "\u{e9}",
            "abstracts",
        ] {
            assert!(!is_keyword(other), "{other}");
        }
    }

    #[test]
    fn plain_segments_take_the_short_way_to_the_same_name() {
        // The long way, word by word, for comparison.
        let by_words = |s: &str| {
            let mut words = Vec::new();
            for_each_word(s, |w| words.push(w.to_ascii_lowercase()));
            words.join("_")
        };
        for segment in [
            "a",
            "license-key",
            "a_b-c",
            "x1",
            "1a",
            "a1-2b",
            "-a",
            "a-",
            "a--b",
            "_",
            "",
            "camundaBPM",
            "a__b",
            "é-a",
        ] {
            assert_eq!(snake_case(segment), by_words(segment), "{segment}");
        }
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
