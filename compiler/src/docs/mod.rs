//! The disclosure page, rendered from the spec with the Handlebars templates and prose in
//! `spec/templates/`: one Markdown page and one standalone HTML page, written to any
//! [`std::io::Write`] as they are rendered.
//!
//! Markdown and HTML need different escaping, so each has its own registry with its own escape
//! function; both run in strict mode, so a template that names something the context lacks is an
//! error, not a silently empty cell. The example payload comes from
//! [`crate::example::example_json`], the same function the snapshot test locks. The rows of the
//! item tables are rendered by [`rows`] when the template allows it.

mod compile;
mod rows;

use std::io::Write;

pub use crate::escape::{escape_html, escape_markdown};
use handlebars::{Context, Handlebars, Template, handlebars_helper};
use serde_json::{Value, json};

use crate::GENERATED_NOTICE;
use crate::example::example_json;
use crate::model::{Sensitivity, ValidSpec};
use rows::Kind;

/// The template sources: the two page layouts and the prose they share.
#[derive(Debug, Clone)]
pub struct Templates {
    pub markdown: String,
    pub html: String,
    /// `disclosure.toml`: every sentence of the page that is not about one item.
    pub prose: String,
}

/// The rendered pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    pub markdown: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    #[error("template `{name}` is not valid Handlebars: {message}")]
    Template { name: String, message: String },
    #[error("cannot render `{name}`: {message}")]
    Render { name: String, message: String },
    #[error("the prose file `disclosure.toml` is not valid TOML: {0}")]
    Prose(String),
    #[error("cannot write `{name}`: {source}")]
    Write {
        name: String,
        #[source]
        source: std::io::Error,
    },
}

/// Renders both pages into memory. Pure: all inputs are passed in.
pub fn render(spec: &ValidSpec, templates: &Templates) -> Result<Disclosure, DocsError> {
    let pages = Pages::new(spec, templates)?;
    let mut markdown = Vec::new();
    pages.write_markdown(&mut markdown)?;
    let mut html = Vec::new();
    pages.write_html(&mut html)?;
    // Templates, prose and spec are all text, so the pages are too.
    Ok(Disclosure {
        markdown: String::from_utf8_lossy(&markdown).into_owned(),
        html: String::from_utf8_lossy(&html).into_owned(),
    })
}

/// Both pages of one spec, ready to be written: templates compiled and the data they see built
/// once.
pub struct Pages<'a> {
    markdown: Page<'a>,
    html: Page<'a>,
    /// The data a page sees whose item rows are rendered natively (without the items), and
    /// the data with the items; each built only if a page needs it, and shared by both.
    light: Context,
    with_items: Context,
}

struct Page<'a> {
    name: &'static str,
    registry: Handlebars<'a>,
    /// Whether the page's item rows are rendered natively (it sees the light data).
    native: bool,
}

/// The templates and prose, compiled: everything of the pages that does not depend on the spec,
/// so that it can be done while the spec is still being read and checked.
pub struct CompiledTemplates {
    prose: Value,
    markdown: (Template, Option<rows::Rows>),
    html: (Template, Option<rows::Rows>),
}

impl CompiledTemplates {
    pub fn new(templates: &Templates) -> Result<Self, DocsError> {
        Self::build(templates, true)
    }

    /// `native`: render the item rows natively where the templates allow it (`false` only
    /// for tests that hold the two ways against each other).
    fn build(templates: &Templates, native: bool) -> Result<Self, DocsError> {
        let prose = prose_value(&templates.prose)?;
        let with_rows = |name: &str, source: &str, kind: Kind| {
            let mut template = compile(name, source)?;
            let rows = native.then(|| rows::rewrite(&mut template, kind)).flatten();
            Ok((template, rows))
        };
        Ok(Self {
            prose,
            markdown: with_rows("telemetry.md", &templates.markdown, Kind::Markdown)?,
            html: with_rows("telemetry.html", &templates.html, Kind::Html)?,
        })
    }
}

impl<'a> Pages<'a> {
    pub fn new(spec: &'a ValidSpec, templates: &Templates) -> Result<Self, DocsError> {
        Ok(Self::compiled(spec, CompiledTemplates::new(templates)?))
    }

    /// The pages of `spec` from templates compiled beforehand.
    pub fn compiled(spec: &'a ValidSpec, compiled: CompiledTemplates) -> Self {
        let CompiledTemplates {
            prose,
            markdown: (markdown, markdown_rows),
            html: (html, html_rows),
        } = compiled;
        // The item rows are most of the data; a page whose rows are rendered natively gets a
        // context without them.
        let needs_items = markdown_rows.is_none() || html_rows.is_none();
        let needs_light = markdown_rows.is_some() || html_rows.is_some();
        let with_items = needs_items.then(|| context_value(spec, prose.clone(), true));
        let light = needs_light.then(|| context_value(spec, prose, false));
        let context = |value: Option<Value>| Context::from(value.unwrap_or(Value::Null));
        Self {
            light: context(light),
            with_items: context(with_items),
            markdown: Page {
                name: "telemetry.md",
                native: markdown_rows.is_some(),
                registry: registry(
                    Kind::Markdown,
                    "telemetry.md",
                    markdown,
                    markdown_rows,
                    spec,
                ),
            },
            html: Page {
                name: "telemetry.html",
                native: html_rows.is_some(),
                registry: registry(Kind::Html, "telemetry.html", html, html_rows, spec),
            },
        }
    }

    /// Writes the Markdown page to `out`.
    pub fn write_markdown(&self, out: &mut dyn Write) -> Result<(), DocsError> {
        self.write(&self.markdown, out)
    }

    /// Writes the HTML page to `out`.
    pub fn write_html(&self, out: &mut dyn Write) -> Result<(), DocsError> {
        self.write(&self.html, out)
    }

    fn write(&self, page: &Page<'_>, out: &mut dyn Write) -> Result<(), DocsError> {
        let context = if page.native {
            &self.light
        } else {
            &self.with_items
        };
        page.registry
            .render_with_context_to_write(page.name, context, &mut *out)
            .map_err(|e| match e.reason() {
                handlebars::RenderErrorReason::IOError(io) => DocsError::Write {
                    name: page.name.to_owned(),
                    source: std::io::Error::new(io.kind(), io.to_string()),
                },
                _ => DocsError::Render {
                    name: page.name.to_owned(),
                    message: e.to_string(),
                },
            })
    }
}

fn compile(name: &str, source: &str) -> Result<Template, DocsError> {
    compile::compile(source, name).map_err(|e| DocsError::Template {
        name: name.to_owned(),
        message: e.to_string(),
    })
}

fn registry<'a>(
    kind: Kind,
    name: &str,
    template: Template,
    rows: Option<rows::Rows>,
    spec: &'a ValidSpec,
) -> Handlebars<'a> {
    let mut r = match kind {
        Kind::Markdown => markdown_registry(),
        Kind::Html => html_registry(),
    };
    if let Some(rows) = rows {
        r.register_helper(
            rows::HELPER,
            Box::new(rows::ItemRows::new(rows, spec, kind)),
        );
    }
    r.register_template(name, template);
    r
}

fn context_value(spec: &ValidSpec, prose: Value, with_items: bool) -> Value {
    let example = example_json(spec);
    let categories: Vec<Value> = spec
        .categories
        .iter()
        .map(|c| {
            let mut category = json!({
                "id": c.id,
                "anchor": format!("data-{}", c.id),
                "title": c.title,
                "summary": c.summary,
            });
            if with_items && let Value::Object(map) = &mut category {
                let items = spec.items_in(&c.id).map(rows::item_json).collect();
                map.insert("items".into(), Value::Array(items));
            }
            category
        })
        .collect();
    let used: Vec<&str> = Sensitivity::ALL
        .iter()
        .filter(|s| spec.items.iter().any(|i| i.sensitivity == Some(**s)))
        .map(|s| s.as_str())
        .collect();
    let removed: Vec<Value> = spec
        .removed
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "label": r.label,
                "description": r.description,
                "path": r.path_string(),
                "sensitivity": r.sensitivity.map_or("unclassified", Sensitivity::as_str),
                "owner": r.owner,
                "since": r.since,
                "removed_in": r.removed_in,
            })
        })
        .collect();
    let fence = fence_for(&example);
    // Moved into the context, not copied: at 100,000 items it is megabytes.
    let mut example = example;
    example.truncate(example.trim_end().len());
    json!({
        "product": spec.product.name,
        "removed": removed,
        "versions": versions(spec),
        "spec_version": spec.product.spec_version,
        "notice": GENERATED_NOTICE,
        "prose": prose,
        "categories": categories,
        "item_count": spec.items.len(),
        "sensitivities": used,
        "example_json": example,
        "example_fence": fence,
    })
}

/// "Changes by version": for every version named by a `since` or a `removed-in`, newest first,
/// the labels of the items it started and stopped sending.
fn versions(spec: &ValidSpec) -> Vec<Value> {
    let mut versions: Vec<&str> = spec
        .items
        .iter()
        .map(|i| i.since.as_str())
        .chain(
            spec.removed
                .iter()
                .flat_map(|r| [r.since.as_str(), r.removed_in.as_str()]),
        )
        .collect();
    // Items come in runs of one version: dropping a repeat of the version just before it
    // changes nothing (the sort is stable, so it would end up beside it and be dropped
    // there), and leaves a handful of versions to sort instead of one per item.
    versions.dedup();
    versions.sort_by(|a, b| crate::diff::compare_versions(b, a));
    versions.dedup();
    versions
        .into_iter()
        .map(|v| {
            let added: Vec<&str> = spec
                .items
                .iter()
                .filter(|i| i.since == v)
                .map(|i| i.label.as_str())
                .chain(
                    spec.removed
                        .iter()
                        .filter(|r| r.since == v)
                        .map(|r| r.label.as_str()),
                )
                .collect();
            let removed: Vec<&str> = spec
                .removed
                .iter()
                .filter(|r| r.removed_in == v)
                .map(|r| r.label.as_str())
                .collect();
            json!({ "version": v, "added": added, "removed": removed })
        })
        .collect()
}

/// A Markdown code fence longer than any run of backticks in `text`, so it cannot be closed early.
fn fence_for(text: &str) -> String {
    "`".repeat(longest_backtick_run(text).max(2) + 1)
}

/// The length of the longest run of backticks in `text`, counted byte by byte (splitting at
/// every other character would cost an iteration per character).
fn longest_backtick_run(text: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for b in text.bytes() {
        run = if b == b'`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// Prose allows one piece of markup, `code` in backticks; the rest is escaped. `code_escape`
/// applies inside code (Markdown shows code spans literally, HTML still needs escaping).
fn inline(
    text: &str,
    escape: fn(&str) -> String,
    code_escape: fn(&str) -> String,
    open: &str,
    close: &str,
) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(open);
            out.push_str(&code_escape(part));
            out.push_str(close);
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

fn markdown_inline(text: &str) -> String {
    inline(text, escape_markdown, str::to_owned, "`", "`")
}

fn html_inline(text: &str) -> String {
    inline(text, escape_html, escape_html, "<code>", "</code>")
}

fn html_pre(text: &str) -> String {
    // Inside <pre> line breaks are kept as they are.
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn html_path(text: &str) -> String {
    // Long JSON paths may wrap after a dot, never inside a key. Escaping adds no dot, so the
    // keys are escaped one by one, in one pass (every item's path goes through here).
    let mut out = String::with_capacity(text.len() + 32);
    for (i, key) in text.split(['.']).enumerate() {
        if i > 0 {
            out.push_str(".<wbr>");
        }
        crate::escape::escape_html_into(&mut out, key);
    }
    out
}

fn markdown_code(text: &str) -> String {
    // A code span that holds backticks needs a longer delimiter and padding.
    let longest = longest_backtick_run(text);
    let tick = "`".repeat(longest + 1);
    let pad = if longest > 0 { " " } else { "" };
    let mut out = String::with_capacity(text.len() + 2 * (tick.len() + pad.len()));
    for part in [&tick, pad, text, pad, &tick] {
        out.push_str(part);
    }
    out
}

/// A helper that takes one text.
struct TextHelperDef {
    kind: Kind,
    /// The name templates call it by.
    name: &'static str,
    /// The name its error messages give.
    id: &'static str,
    f: fn(&str) -> String,
}

/// The helpers that take one text; `join` (a list and a separator) is the only other one.
const TEXT_HELPERS: [TextHelperDef; 5] = [
    TextHelperDef {
        kind: Kind::Markdown,
        name: "inline",
        id: "md_inline",
        f: markdown_inline,
    },
    TextHelperDef {
        kind: Kind::Markdown,
        name: "code",
        id: "md_code",
        f: markdown_code,
    },
    TextHelperDef {
        kind: Kind::Html,
        name: "inline",
        id: "html_inline",
        f: html_inline,
    },
    TextHelperDef {
        kind: Kind::Html,
        name: "pre",
        id: "html_pre",
        f: html_pre,
    },
    TextHelperDef {
        kind: Kind::Html,
        name: "path",
        id: "html_path",
        f: html_path,
    },
];

/// The helper of one text called `name` on the `kind` page.
pub(super) fn text_helper(kind: Kind, name: &str) -> Option<fn(&str) -> String> {
    TEXT_HELPERS
        .iter()
        .find(|h| h.kind == kind && h.name == name)
        .map(|h| h.f)
}

/// A Handlebars helper of one text argument.
struct TextHelper {
    name: &'static str,
    f: fn(&str) -> String,
}

impl handlebars::HelperDef for TextHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &handlebars::Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut handlebars::RenderContext<'reg, 'rc>,
    ) -> Result<handlebars::ScopedJson<'rc>, handlebars::RenderError> {
        let text = h.param(0).and_then(|p| p.value().as_str()).ok_or_else(|| {
            handlebars::RenderErrorReason::ParamTypeMismatchForName(
                self.name,
                "text".to_owned(),
                "str".to_owned(),
            )
        })?;
        Ok(Value::String((self.f)(text)).into())
    }
}

handlebars_helper!(join: |list: array, sep: str| {
    list.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(sep)
});

fn markdown_registry<'a>() -> Handlebars<'a> {
    let mut r = Handlebars::new();
    r.set_strict_mode(true);
    r.register_escape_fn(escape_markdown);
    register_helpers(&mut r, Kind::Markdown);
    r
}

fn html_registry<'a>() -> Handlebars<'a> {
    let mut r = Handlebars::new();
    r.set_strict_mode(true);
    r.register_escape_fn(escape_html);
    register_helpers(&mut r, Kind::Html);
    r
}

fn register_helpers(r: &mut Handlebars<'_>, kind: Kind) {
    for h in TEXT_HELPERS.iter().filter(|h| h.kind == kind) {
        r.register_helper(h.name, Box::new(TextHelper { name: h.id, f: h.f }));
    }
    r.register_helper("join", Box::new(join));
}

/// The prose file as a JSON value for the templates.
fn prose_value(text: &str) -> Result<Value, DocsError> {
    let table = toml::de::DeTable::parse(text).map_err(|e| DocsError::Prose(e.to_string()))?;
    Ok(toml_to_json(&toml::de::DeValue::Table(table.into_inner())))
}

fn toml_to_json(value: &toml::de::DeValue<'_>) -> Value {
    use toml::de::DeValue;
    match value {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => Value::String(i.as_str().to_owned()),
        DeValue::Float(f) => Value::String(f.as_str().to_owned()),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Array(a) => Value::Array(a.iter().map(|v| toml_to_json(v.get_ref())).collect()),
        DeValue::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.get_ref().to_string(), toml_to_json(v.get_ref())))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic;

    #[test]
    fn markdown_escaping_keeps_table_cells_intact() {
        assert_eq!(
            escape_markdown("a | b <script> `x` & y\nz"),
            "a \\| b &lt;script&gt; \\`x\\` &amp; y<br>z"
        );
    }

    #[test]
    fn html_escaping_neutralises_markup() {
        assert_eq!(
            escape_html("a | b <script> `x` & \"y\"\nz"),
            "a | b &lt;script&gt; `x` &amp; &quot;y&quot;<br>z"
        );
    }

    #[test]
    fn paths_and_code_spans_are_written_as_their_plain_definitions_say() {
        for text in [
            "",
            ".",
            "a",
            "a.b.c",
            "license-key.raw",
            "a..b.",
            "<a>.&b.\"c\"",
            "x\ny.z",
            "`",
            "a`b",
            "``a`",
            "a ``` b`",
            "é.ü`",
        ] {
            assert_eq!(
                html_path(text),
                escape_html(text).replace('.', ".<wbr>"),
                "{text:?}"
            );
            let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
            let tick = "`".repeat(longest + 1);
            let plain = if longest > 0 {
                format!("{tick} {text} {tick}")
            } else {
                format!("{tick}{text}{tick}")
            };
            assert_eq!(markdown_code(text), plain, "{text:?}");
        }
    }

    #[test]
    fn prose_code_spans_become_code() {
        assert_eq!(
            inline(
                "set `a<b` & go",
                escape_html,
                escape_html,
                "<code>",
                "</code>"
            ),
            "set <code>a&lt;b</code> &amp; go"
        );
        assert_eq!(
            inline("set `x_y` & go", escape_markdown, str::to_owned, "`", "`"),
            "set `x_y` &amp; go"
        );
    }

    /// The versions of the "changes by version" list as sorting every item's version, then
    /// dropping repeats, lists them: `versions` must list the same, in the same order.
    #[test]
    fn versions_are_listed_as_a_full_sort_lists_them() {
        let checked = crate::check("s.toml", synthetic::spec_strings(8).as_bytes());
        let base = checked
            .into_spec()
            .unwrap_or_else(|c| panic!("{}", c.render()));
        let orders: [&[&str]; 4] = [
            &[
                "1.0.0", "1.0.0", "1.2.0", "1.0.0", "2.0.0", "1.2.0", "1.2.0", "1.0.0",
            ],
            // Build metadata does not order versions: equal versions keep their order.
            &[
                "1.0.0+a", "1.0.0+b", "1.0.0+a", "1.0.0+a", "0.9.0", "1.0.0+b", "1.0.0", "1.0.0+a",
            ],
            &[
                "3.0.0-rc.1",
                "3.0.0",
                "3.0.0-rc.1",
                "2.9.9",
                "3.0.0",
                "3.0.0",
                "3.0.0-rc.2",
                "2.9.9",
            ],
            &["1.0.0"; 8],
        ];
        for since in orders {
            let mut spec = base.clone();
            for (item, v) in spec.items.iter_mut().zip(since) {
                item.since = (*v).into();
            }
            let mut expected: Vec<&str> = since.to_vec();
            expected.sort_by(|a, b| crate::diff::compare_versions(b, a));
            expected.dedup();
            let listed: Vec<String> = versions(&spec)
                .iter()
                .map(|v| v["version"].as_str().unwrap_or_default().to_owned())
                .collect();
            assert_eq!(listed, expected, "{since:?}");
        }
    }

    /// Both pages rendered natively and by Handlebars alone.
    fn both_ways(spec: &ValidSpec, templates: &Templates) -> [(String, String); 2] {
        let write = |native| {
            let compiled =
                CompiledTemplates::build(templates, native).unwrap_or_else(|e| panic!("{e}"));
            let pages = Pages::compiled(spec, compiled);
            let (mut md, mut html) = (Vec::new(), Vec::new());
            pages
                .write_markdown(&mut md)
                .unwrap_or_else(|e| panic!("{e}"));
            pages
                .write_html(&mut html)
                .unwrap_or_else(|e| panic!("{e}"));
            (
                String::from_utf8(md).unwrap_or_default(),
                String::from_utf8(html).unwrap_or_default(),
            )
        };
        let ((md, html), (md_hb, html_hb)) = (write(true), write(false));
        [(md, md_hb), (html, html_hb)]
    }

    fn shipped_templates() -> Templates {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/templates/");
        let read = |name: &str| {
            std::fs::read_to_string(format!("{dir}{name}")).unwrap_or_else(|e| panic!("{e}"))
        };
        Templates {
            markdown: read("telemetry.md.hbs"),
            html: read("telemetry.html.hbs"),
            prose: read("disclosure.toml"),
        }
    }

    /// The specs the rows are compared on: the real one, the fixtures, and generated specs of
    /// every type, with deprecated and removed items, texts full of markup and no purpose.
    fn specs() -> Vec<(String, ValidSpec)> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../");
        let mut texts: Vec<(String, String)> = [
            "spec/telemetry.toml",
            "tests/fixtures/camunda7/telemetry.toml",
            "tests/fixtures/diff/base.toml",
            "tests/fixtures/diff/changed.toml",
        ]
        .iter()
        .filter_map(|name| {
            Some((
                name.to_string(),
                std::fs::read_to_string(format!("{root}{name}")).ok()?,
            ))
        })
        .collect();
        let mixed = synthetic::spec_mixed(60)
            .replace(
                "described well enough for a reviewer to read.",
                "with | pipes, <b>tags</b>, `ticks`, & amps\\nand a second line",
            )
            .replacen("purpose = \"Benchmarking the compiler.\"\n", "", 20)
            .replacen("expires = \"never\"", "expires = \"2999-01-01\"", 20)
            .replacen(
                "review = \"BENCH-1\"\n",
                "review = \"BENCH-1\"\nstatus = \"deprecated\"\n",
                7,
            );
        texts.push(("mixed".to_owned(), mixed));
        texts.push(("strings".to_owned(), synthetic::spec(30)));
        texts
            .into_iter()
            .map(|(name, text)| {
                let checked = crate::check(&name, text.as_bytes());
                let rendered = checked.render();
                let spec = checked
                    .into_spec()
                    .unwrap_or_else(|_| panic!("{name}: {rendered}"));
                (name, spec)
            })
            .collect()
    }

    #[test]
    fn native_rows_are_byte_for_byte_what_handlebars_renders() {
        let templates = shipped_templates();
        let mut compared = 0;
        for (name, spec) in specs() {
            for (native, handlebars) in both_ways(&spec, &templates) {
                assert!(native == handlebars, "{name}: the pages differ");
                compared += 1;
            }
        }
        assert_eq!(compared, 12);
    }

    /// A row using every construct the native rows support.
    const EVERY_CONSTRUCT: &str = "{{#each categories}}{{title}}\n{{#if summary}}{{#each items}}{{!-- one row --}}{{@index}}{{#if @first}} first{{/if}}{{#unless @last}} more{{else}} last{{/unless}}|{{id}}|{{label}}|{{{label}}}|{{description}}|{{purpose}}|{{#if purpose}}{{purpose}}{{else}}none{{/if}}|PATH|{{type}}|{{value}}|{{if_unavailable}}|{{sensitivity}}|{{since}}|{{owner}}|{{expires}}|{{deprecated}}|{{#each keys}}{{@index}}:{{this}}{{#if @last}}.{{else}},{{/if}}{{else}}no keys{{/each}}|{{join keys \"|\"}}|{{inline description}}|{{{inline description}}}|{{{inline (inline label)}}}  {{~ owner ~}}  x\n{{/each}}{{/if}}{{/each}}";

    #[test]
    fn every_supported_construct_renders_as_handlebars_renders_it() {
        let mut templates = shipped_templates();
        // `{{path}}` alone calls the HTML page's `path` helper.
        templates.markdown = EVERY_CONSTRUCT.replace("PATH", "{{path}}|{{code path}}");
        templates.html = EVERY_CONSTRUCT.replace("PATH", "{{{path path}}}|{{pre path}}");
        for kind in [Kind::Markdown, Kind::Html] {
            let source = if kind == Kind::Markdown {
                &templates.markdown
            } else {
                &templates.html
            };
            let mut template = Template::compile(source).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                rows::rewrite(&mut template, kind).is_some(),
                "{kind:?} must be native"
            );
        }
        for (name, spec) in specs() {
            for (native, handlebars) in both_ways(&spec, &templates) {
                assert!(native == handlebars, "{name}:\n{native}\n---\n{handlebars}");
            }
        }
    }

    #[test]
    fn rows_beyond_the_native_constructs_stay_with_handlebars() {
        for row in [
            "{{keys}}",
            "{{lookup this \"id\"}}",
            "{{#with this}}{{id}}{{/with}}",
            "{{../title}}",
            "{{#each keys as |k|}}{{k}}{{/each}}",
            "{{#if (eq id \"x\")}}x{{/if}}",
        ] {
            let source = format!(
                "{{{{#each categories}}}}{{{{#each items}}}}{row}\n{{{{/each}}}}{{{{/each}}}}"
            );
            let mut template = Template::compile(&source).unwrap_or_else(|e| panic!("{e}"));
            assert!(rows::rewrite(&mut template, Kind::Html).is_none(), "{row}");
            let mut templates = shipped_templates();
            templates.html = source.clone();
            let (_, spec) = &specs()[1];
            let [_, (native, handlebars)] = both_ways(spec, &templates);
            assert_eq!(native, handlebars, "{row}");
        }
        // The rows would be missing from the context for anything else that looks at them.
        for elsewhere in [
            "{{#each categories}}{{items.length}}{{/each}}",
            "{{#each categories}}{{#each this}}{{@key}}{{/each}}{{/each}}",
        ] {
            let source = format!(
                "{{{{#each categories}}}}{{{{#each items}}}}{{{{id}}}}{{{{/each}}}}{{{{/each}}}}{elsewhere}"
            );
            let mut template = Template::compile(&source).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                rows::rewrite(&mut template, Kind::Html).is_none(),
                "{elsewhere}"
            );
        }
    }

    #[test]
    fn fences_outgrow_backticks_in_the_content() {
        assert_eq!(fence_for("{}"), "```");
        assert_eq!(fence_for("a ```` b"), "`````");
    }
}
