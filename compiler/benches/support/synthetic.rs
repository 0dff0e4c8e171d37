//! Synthetic specs of any size for benchmarks and memory measurements: `n` items spread over
//! nested objects, every value type, ten sources and two categories, all valid.

use std::fmt::Write as _;

/// A valid spec text with `n` items.
pub fn spec(n: usize) -> String {
    let mut out = String::with_capacity(n * 420 + 1024);
    out.push_str(
        "[product]\nname = \"Synthetic\"\nspec-version = \"1.0.0\"\n\n\
         [[category]]\nid = \"general\"\ntitle = \"General\"\nsummary = \"Facts about the installation.\"\n\n\
         [[category]]\nid = \"environment\"\ntitle = \"Environment\"\nsummary = \"Facts about the setup.\"\n",
    );
    for s in 0..10 {
        let _ = write!(
            out,
            "\n[[source]]\nid = \"source{s}\"\ndescription = \"Synthetic source number {s}.\"\n"
        );
    }
    for i in 0..n {
        let (value_type, example, keys) = match i % 7 {
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
        };
        let category = if i % 2 == 0 { "general" } else { "environment" };
        let _ = write!(
            out,
            "\n[[item]]\nid = \"item_{i}\"\ncategory = \"{category}\"\nlabel = \"Item {i}\"\n\
             description = \"Synthetic item number {i}, described well enough for a reviewer to read.\"\n\
             purpose = \"Benchmarking the compiler.\"\n\
             path = \"group{g}.section{s}.field-{i}\"\ntype = \"{value_type}\"\n{keys}example = {example}\n\
             source = \"source{src}.field_{i}\"\nsensitivity = \"technical\"\nsince = \"1.0.0\"\n",
            g = i / 100,
            s = (i / 10) % 10,
            src = i % 10,
        );
    }
    out
}
