//! Synthetic specs of any size for benchmarks and memory measurements: `n` items spread over
//! nested objects and ten sources, all valid. [`spec`] uses only the text types Optimize's spec
//! uses, in two categories; [`spec_mixed`] cycles through every type of the spec language;
//! [`spec_strings`] is the shape the peer comparison uses: one category, only `string` items.

// Not every crate that includes this file uses every generator.
#![allow(dead_code)]

use std::fmt::Write as _;

/// A valid spec text with `n` items of the text types.
pub fn spec(n: usize) -> String {
    build(n, text_type)
}

/// A valid spec text with `n` items cycling through every type, with their rules.
pub fn spec_mixed(n: usize) -> String {
    build(n, any_type)
}

/// A valid spec text with `n` items of type `string`, all in one category.
pub fn spec_strings(n: usize) -> String {
    build_in(
        n,
        |_| ("string", "\"some text\"".to_owned(), ""),
        &CATEGORIES[..1],
    )
}

/// (type, example, the extra keys the type needs).
fn text_type(i: usize) -> (&'static str, String, &'static str) {
    match i % 7 {
        0 => ("string", "\"some text\"".to_owned(), ""),
        1 => (
            "uuid",
            "\"7b86edba-fcb7-11ea-adc1-0242ac120002\"".to_owned(),
            "",
        ),
        2 => ("date", "\"2025-01-01\"".to_owned(), ""),
        3 => ("semver", "\"3.2.0\"".to_owned(), ""),
        4 => ("flag", "\"true\"".to_owned(), ""),
        5 => (
            "list<uuid>",
            "[\"8343cc7a-8ad1-42d4-97d2-43452c0bdfa3\"]".to_owned(),
            "",
        ),
        _ => (
            "map<flag>",
            "{ alpha = \"true\", beta = \"false\" }".to_owned(),
            "keys = [\"alpha\", \"beta\"]\n",
        ),
    }
}

fn any_type(i: usize) -> (&'static str, String, &'static str) {
    const OMIT: &str = "if-unavailable = \"omit\"\n";
    match i % 14 {
        n @ 0..=6 => text_type(n),
        7 => (
            "integer",
            "5".to_owned(),
            "min = 1\nmax = 10\nif-unavailable = \"null\"\n",
        ),
        8 => (
            "counter",
            "936".to_owned(),
            "if-unavailable = \"fallback\"\nfallback = 0\n",
        ),
        9 => (
            "number",
            "1.5".to_owned(),
            "unit = \"seconds\"\nif-unavailable = \"omit\"\n",
        ),
        10 => ("boolean", "false".to_owned(), OMIT),
        11 => (
            "list<enum>",
            "[\"cockpit\", \"admin\"]".to_owned(),
            "values = [\"cockpit\", \"admin\", \"tasklist\"]\nif-unavailable = \"omit\"\n",
        ),
        12 => (
            "map<record>",
            "{ alpha = { count = 1 }, beta = { count = 2 } }".to_owned(),
            "keys = [\"alpha\", \"beta\"]\nfields = { count = \"counter\" }\nif-unavailable = \"omit\"\n",
        ),
        _ => (
            "open-map<counter>",
            "{ StartCmd = 40, FetchCmd = 100 }".to_owned(),
            "key-pattern = \"^[A-Z][A-Za-z]*$\"\nmax-keys = 500\nif-unavailable = \"omit\"\n",
        ),
    }
}

type TypeOf = fn(usize) -> (&'static str, String, &'static str);

/// (id, title, summary).
const CATEGORIES: [(&str, &str, &str); 2] = [
    ("general", "General", "Facts about the installation."),
    ("environment", "Environment", "Facts about the setup."),
];

fn build(n: usize, types: TypeOf) -> String {
    build_in(n, types, &CATEGORIES)
}

/// `n` items of `types`, spread over `categories` in turn.
fn build_in(n: usize, types: TypeOf, categories: &[(&str, &str, &str)]) -> String {
    let mut out = String::with_capacity(n * 420 + 1024);
    out.push_str("[product]\nname = \"Synthetic\"\nspec-version = \"1.0.0\"\n");
    for (id, title, summary) in categories {
        let _ = write!(
            out,
            "\n[[category]]\nid = \"{id}\"\ntitle = \"{title}\"\nsummary = \"{summary}\"\n"
        );
    }
    for s in 0..10 {
        let _ = write!(
            out,
            "\n[[source]]\nid = \"source{s}\"\ndescription = \"Synthetic source number {s}.\"\n"
        );
    }
    for i in 0..n {
        let (value_type, example, keys) = types(i);
        let category = categories[i % categories.len()].0;
        let _ = write!(
            out,
            "\n[[item]]\nid = \"item_{i}\"\ncategory = \"{category}\"\nlabel = \"Item {i}\"\n\
             description = \"Synthetic item number {i}, described well enough for a reviewer to read.\"\n\
             purpose = \"Benchmarking the compiler.\"\n\
             path = \"group{g}.section{s}.field-{i}\"\ntype = \"{value_type}\"\n{keys}example = {example}\n\
             source = \"source{src}.field_{i}\"\nsensitivity = \"technical\"\nsince = \"1.0.0\"\n\
             owner = \"Benchmark team\"\nreview = \"BENCH-1\"\nexpires = \"never\"\n",
            g = i / 100,
            s = (i / 10) % 10,
            src = i % 10,
        );
    }
    out
}
