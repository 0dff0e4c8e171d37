//! The disclosure pages: generated from the spec, committed, never stale, safe whatever the
//! descriptions hold, and carrying the very example the snapshot locks.

use telemetry_spec::example_json;
use telemetry_spec::{Templates, render_docs};

use crate::{real_spec, repo_root};

pub fn templates() -> Templates {
    let dir = repo_root().join("spec/templates");
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    Templates {
        markdown: read("telemetry.md.hbs"),
        html: read("telemetry.html.hbs"),
        prose: read("disclosure.toml"),
    }
}

#[test]
fn committed_pages_and_schema_are_not_stale() {
    let spec = real_spec();
    let pages = render_docs(&spec, &templates()).unwrap_or_else(|e| panic!("{e}"));
    let expected = [
        ("telemetry.md", pages.markdown),
        ("telemetry.html", pages.html),
        ("payload.schema.json", telemetry_spec::schema_json(&spec)),
    ];
    let mut stale = Vec::new();
    for (name, content) in expected {
        let path = repo_root().join("docs/disclosure").join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(content.as_str()) {
            stale.push(format!("docs/disclosure/{name}"));
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files: {}\nregenerate them with `cargo run -p telemetry-spec -- generate` and commit the result",
        stale.join(", ")
    );
}

#[test]
fn pages_show_the_locked_example_and_every_item_in_spec_order() {
    let spec = real_spec();
    let pages = render_docs(&spec, &templates()).unwrap_or_else(|e| panic!("{e}"));
    let example = example_json(&spec);
    assert!(
        pages.markdown.contains(example.trim_end()),
        "the Markdown page must embed the example verbatim"
    );
    let escaped = example
        .trim_end()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    assert!(
        pages.html.contains(&escaped),
        "the HTML page must embed the example"
    );
    let markers = |page: &str, marker: &dyn Fn(&telemetry_spec::Item) -> String| {
        let mut last = 0;
        for item in &spec.items {
            let needle = marker(item);
            last = page[last..]
                .find(&needle)
                .map(|i| i + last)
                .unwrap_or_else(|| panic!("`{needle}` is missing or out of order"));
        }
    };
    // A row starts with the label; how its description is escaped is the unit tests' business.
    markers(&pages.markdown, &|i| format!("| {} | ", i.label));
    markers(&pages.html, &|i| format!("<tr id=\"item-{}\">", i.id));
}

#[test]
fn the_html_page_is_standalone() {
    let pages = render_docs(&real_spec(), &templates()).unwrap_or_else(|e| panic!("{e}"));
    let html = pages.html.to_lowercase();
    for external in [
        "src=",
        "href=\"http",
        "href='http",
        "@import",
        "url(",
        "<script",
        "<link",
    ] {
        assert!(
            !html.contains(external),
            "the page must not load anything: found `{external}`"
        );
    }
    assert!(
        html.contains("<meta name=\"viewport\""),
        "readable on a phone"
    );
    assert!(html.contains("@media print"), "readable in print");
    assert!(html.contains("<nav class=\"toc\""), "a table of contents");
}

const HOSTILE: &str = "pipes | <script>alert(1)</script> `ticks` & amps\nsecond line";

/// A spec whose only item has a description full of Markdown and HTML syntax.
fn hostile_spec() -> telemetry_spec::ValidSpec {
    let text = std::fs::read_to_string(repo_root().join("tests/fixtures/diff/base.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let escaped = HOSTILE
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    let text = text.replacen(
        "description = \"The name of the product that sends the report.\"",
        &format!("description = \"{escaped}\""),
        1,
    );
    let checked = telemetry_spec::check("hostile.toml", text.as_bytes());
    let rendered = checked.render();
    checked.into_spec().unwrap_or_else(|_| panic!("{rendered}"))
}

#[test]
fn hostile_descriptions_render_literally_in_markdown() {
    let pages = render_docs(&hostile_spec(), &templates()).unwrap_or_else(|e| panic!("{e}"));
    let mut html = String::new();
    let parser =
        pulldown_cmark::Parser::new_ext(&pages.markdown, pulldown_cmark::Options::ENABLE_TABLES);
    pulldown_cmark::html::push_html(&mut html, parser);
    assert!(
        !html.contains("<script>"),
        "a description must not inject markup:\n{html}"
    );
    let row = html
        .split("<tr>")
        .find(|r| r.contains("Product name"))
        .unwrap_or_else(|| panic!("no row for the item:\n{html}"));
    assert_eq!(
        row.matches("<td").count(),
        6,
        "the `|` must not split the cell: {row}"
    );
    assert!(
        row.contains(
            "pipes | &lt;script&gt;alert(1)&lt;/script&gt; `ticks` &amp; amps<br>second line"
        ),
        "the description must read as written: {row}"
    );
}

#[test]
fn hostile_descriptions_render_literally_in_html() {
    let pages = render_docs(&hostile_spec(), &templates()).unwrap_or_else(|e| panic!("{e}"));
    assert!(!pages.html.contains("<script"));
    assert!(pages.html.contains(
        "pipes | &lt;script&gt;alert(1)&lt;/script&gt; `ticks` &amp; amps<br>second line"
    ));
}

#[test]
fn a_template_naming_something_unknown_is_an_error_not_a_blank() {
    let mut t = templates();
    t.markdown.push_str("{{prose.no_such_section}}\n");
    let err = render_docs(&real_spec(), &t)
        .err()
        .unwrap_or_else(|| panic!("strict mode must refuse"));
    assert!(err.to_string().contains("no_such_section"), "{err}");
}
