//! The disclosure page, rendered from the spec with the Handlebars templates and prose in
//! `spec/templates/`: one Markdown page and one standalone HTML page.
//!
//! Markdown and HTML need different escaping, so each has its own registry with its own escape
//! function; both run in strict mode, so a template that names something the context lacks is an
//! error, not a silently empty cell. The example payload comes from
//! [`crate::example::example_json`], the same function the snapshot test locks.

pub use crate::escape::{escape_html, escape_markdown};
use handlebars::{Handlebars, handlebars_helper};
use serde_json::{Value, json};

use crate::GENERATED_NOTICE;
use crate::example::example_json;
use crate::model::{Sensitivity, Status, ValidSpec};

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
}

/// Renders both pages. Pure: all inputs are passed in.
pub fn render(spec: &ValidSpec, templates: &Templates) -> Result<Disclosure, DocsError> {
    let prose = prose_value(&templates.prose)?;
    let context = context(spec, prose);
    let markdown = render_one(
        "telemetry.md",
        &templates.markdown,
        markdown_registry(),
        &context,
    )?;
    let html = render_one("telemetry.html", &templates.html, html_registry(), &context)?;
    Ok(Disclosure { markdown, html })
}

fn render_one(
    name: &str,
    template: &str,
    mut registry: Handlebars<'static>,
    context: &Value,
) -> Result<String, DocsError> {
    registry
        .register_template_string(name, template)
        .map_err(|e| DocsError::Template {
            name: name.to_owned(),
            message: e.to_string(),
        })?;
    registry
        .render(name, context)
        .map_err(|e| DocsError::Render {
            name: name.to_owned(),
            message: e.to_string(),
        })
}

/// The data the templates see.
pub fn context(spec: &ValidSpec, prose: Value) -> Value {
    let example = example_json(spec);
    let categories: Vec<Value> = spec
        .categories
        .iter()
        .map(|c| {
            let items: Vec<Value> = spec
                .items_in(&c.id)
                .map(|i| {
                    json!({
                        "id": i.id,
                        "label": i.label,
                        "description": i.description,
                        "purpose": i.purpose,
                        "path": i.path_string(),
                        "type": i.value_type.to_string(),
                        "value": telemetry_types::describe(&i.value_type, &i.rules),
                        "if_unavailable": telemetry_types::describe_unavailable(i.if_unavailable, i.fallback.as_ref()),
                        "keys": i.keys(),
                        "sensitivity": i.sensitivity.map_or("unclassified", Sensitivity::as_str),
                        "since": i.since,
                        "owner": i.owner,
                        "expires": i.expires.to_string(),
                        "deprecated": i.status == Status::Deprecated,
                    })
                })
                .collect();
            json!({
                "id": c.id,
                "anchor": format!("data-{}", c.id),
                "title": c.title,
                "summary": c.summary,
                "items": items,
            })
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
        "example_json": example.trim_end(),
        "example_fence": fence_for(&example),
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
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
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

handlebars_helper!(md_inline: |text: str| inline(text, escape_markdown, str::to_owned, "`", "`"));
handlebars_helper!(html_inline: |text: str| inline(text, escape_html, escape_html, "<code>", "</code>"));
handlebars_helper!(html_pre: |text: str| {
    // Inside <pre> line breaks are kept as they are.
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
});
handlebars_helper!(html_path: |text: str| {
    // Long JSON paths may wrap after a dot, never inside a key.
    escape_html(text).replace('.', ".<wbr>")
});
handlebars_helper!(md_code: |text: str| {
    // A code span that holds backticks needs a longer delimiter and padding.
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let tick = "`".repeat(longest + 1);
    if longest > 0 { format!("{tick} {text} {tick}") } else { format!("{tick}{text}{tick}") }
});
handlebars_helper!(join: |list: array, sep: str| {
    list.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(sep)
});

fn markdown_registry() -> Handlebars<'static> {
    let mut r = Handlebars::new();
    r.set_strict_mode(true);
    r.register_escape_fn(escape_markdown);
    r.register_helper("inline", Box::new(md_inline));
    r.register_helper("code", Box::new(md_code));
    r.register_helper("join", Box::new(join));
    r
}

fn html_registry() -> Handlebars<'static> {
    let mut r = Handlebars::new();
    r.set_strict_mode(true);
    r.register_escape_fn(escape_html);
    r.register_helper("inline", Box::new(html_inline));
    r.register_helper("pre", Box::new(html_pre));
    r.register_helper("path", Box::new(html_path));
    r.register_helper("join", Box::new(join));
    r
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

    #[test]
    fn fences_outgrow_backticks_in_the_content() {
        assert_eq!(fence_for("{}"), "```");
        assert_eq!(fence_for("a ```` b"), "`````");
    }
}
