//! One corpus of hostile spec texts, rendered by both Markdown outputs (`generate`'s page and
//! `diff`'s review) through a real Markdown parser: none of it may become markup.

use telemetry_spec::diff::{diff, render_markdown};
use telemetry_spec::render_docs;

use crate::repo_root;

/// Texts that would turn into an image, a link, emphasis, a heading, raw HTML, an autolink or
/// a broken table if they were not escaped.
const CORPUS: &[&str] = &[
    "Version ![t](https://evil.example/p.png) [docs](https://evil.example/x) **APPROVED**",
    "pipes | <script>alert(1)</script> `ticks` & amps",
    "_under_ *star* ~~gone~~ <https://evil.example/auto> [ref][1]",
    "# Heading\n> quote\n- list",
    "<img src=x onerror=alert(1)> &lt;already&gt; \\*escaped\\*",
    "1. Approved by legal",
    "- a list item",
    "> a quote",
];

/// The fixture spec with the first category's summary and the first item's label and
/// description set to `text`.
fn spec_with(text: &str) -> telemetry_spec::ValidSpec {
    let base = std::fs::read_to_string(repo_root().join("tests/fixtures/diff/base.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let quoted = toml_string(text);
    let spec = base
        .replacen("label = \"Product name\"", &format!("label = {quoted}"), 1)
        .replacen(
            "summary = \"Facts about the installation.\"",
            &format!("summary = {quoted}"),
            1,
        )
        .replacen(
            "description = \"The name of the product that sends the report.\"",
            &format!("description = {quoted}"),
            1,
        );
    let checked = telemetry_spec::check("hostile.toml", spec.as_bytes());
    let rendered = checked.render();
    checked.into_spec().unwrap_or_else(|_| panic!("{rendered}"))
}

fn toml_string(text: &str) -> String {
    format!(
        "\"{}\"",
        text.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    )
}

/// The tags a Markdown document renders to, counted by kind.
fn markup(markdown: &str) -> Vec<(String, usize)> {
    use pulldown_cmark::{Event, Options, Parser, Tag};
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for event in Parser::new_ext(markdown, options) {
        let kind = match event {
            Event::Start(Tag::TableCell) => "cell".to_owned(),
            Event::Start(Tag::TableRow) => "row".to_owned(),
            Event::Start(tag) => format!("{tag:?}")
                .split(['(', ' ', '{'])
                .next()
                .unwrap_or_default()
                .to_owned(),
            // A line break inside a table cell is written as `<br>` on purpose.
            Event::InlineHtml(h) if h.as_ref() == "<br>" => continue,
            Event::Html(_) | Event::InlineHtml(_) => "html".to_owned(),
            _ => continue,
        };
        *counts.entry(kind).or_default() += 1;
    }
    counts.into_iter().collect()
}

fn text_of(markdown: &str) -> String {
    let mut out = String::new();
    for event in pulldown_cmark::Parser::new_ext(markdown, pulldown_cmark::Options::ENABLE_TABLES) {
        if let pulldown_cmark::Event::Text(t) = event {
            out.push_str(&t);
        }
    }
    out
}

fn pages(spec: &telemetry_spec::ValidSpec) -> String {
    render_docs(spec, &crate::docs::templates())
        .unwrap_or_else(|e| panic!("{e}"))
        .markdown
}

#[test]
fn hostile_texts_stay_text_in_the_page_and_in_the_diff() {
    let plain = spec_with("Plain words");
    let base = spec_with("Product name");
    let page_markup = markup(&pages(&plain));
    let diff_markup = markup(&render_markdown(&diff(&base, &plain)));
    for text in CORPUS {
        let hostile = spec_with(text);
        let page = pages(&hostile);
        let review = render_markdown(&diff(&base, &hostile));
        assert_eq!(
            markup(&page),
            page_markup,
            "the page gained markup from {text:?}"
        );
        assert_eq!(
            markup(&review),
            diff_markup,
            "the diff gained markup from {text:?}"
        );
        // And the reader sees the words as written (line breaks become <br>, which is HTML).
        let first_line = text.lines().next().unwrap_or_default();
        for rendered in [&page, &review] {
            let visible = text_of(rendered);
            assert!(
                visible.contains(first_line),
                "{first_line:?} is not shown literally:\n{visible}"
            );
        }
    }
}
