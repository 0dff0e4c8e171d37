//! Compiling a page template without paying Handlebars' quadratic cost for its plain text.
//!
//! Handlebars records the line and column of every element of a template by counting from the
//! template's first byte each time (pest's `Position::line_col`), so compiling takes time
//! quadratic in the template's length: for the 8.7 KB HTML page that was half of `generate`'s
//! time on the real spec. Most of a page template is plain text (its style sheet, its
//! prose), so [`compile`] hands Handlebars the template with the inner lines of each long run
//! of plain text replaced by a short marker and their line breaks, and puts the text back
//! into the compiled template. Every element keeps its line and column, and the result is the
//! template Handlebars compiles from the text as written (the tests hold the two to each
//! other); whenever that cannot be made sure of, the template is compiled as written.

use handlebars::template::TemplateElement;
use handlebars::{Template, TemplateError};

/// Runs of plain text shorter than this are left as they are: the marker would save little.
const MIN_RUN: usize = 96;

/// Where marker `n` starts: a character of Unicode's private use area, which no template of
/// ours contains (a template that does is compiled as written).
const MARK: char = '\u{E000}';

/// `source` compiled as `Template::compile_with_name` compiles it; the quadratic cost is
/// that of the template with its long runs of text shortened (the HTML page: 3.9 of 8.8 KB).
pub(super) fn compile(source: &str, name: &str) -> Result<Template, TemplateError> {
    match shortened(source, name) {
        Some(template) => Ok(template),
        // Also the way a template with an error is compiled: the message quotes the text.
        None => Template::compile_with_name(source, name.to_owned()),
    }
}

/// The template compiled with its long runs of text shortened and put back; `None` if it has
/// none, does not compile, or a run did not come back whole.
fn shortened(source: &str, name: &str) -> Option<Template> {
    let (short, runs) = shorten(source);
    if runs.is_empty() {
        return None;
    }
    let mut template = Template::compile_with_name(&short, name.to_owned()).ok()?;
    let mut restored = vec![false; runs.len()];
    (restore(&mut template, &runs, &mut restored) && restored.iter().all(|&r| r))
        .then_some(template)
}

/// One run of text taken out of the template: what stands in for it, and the text itself.
struct Run<'s> {
    stand_in: String,
    text: &'s str,
}

/// The template with the inner part of each long run of plain text replaced, and the runs.
///
/// A run is text without `{{` or `\` (see [`plain_runs`]). Its inner part starts at the first
/// character that is not white space after its first line break and ends at the last such
/// character before its last line break: what Handlebars trims around tags (white space next
/// to a tag, a standalone tag's line) lies outside, and the lines before and after, where
/// elements sit, are kept as written. The stand-in is a marker followed by as many line breaks
/// as the inner part has, so every line keeps its number.
fn shorten(source: &str) -> (String, Vec<Run<'_>>) {
    let mut runs = Vec::new();
    if source.contains(MARK) {
        return (String::new(), runs);
    }
    let mut short = String::with_capacity(source.len());
    let mut copied = 0;
    for (start, end) in plain_runs(source) {
        let run = &source[start..end];
        let (Some(first), Some(last)) = (run.find('\n'), run.rfind('\n')) else {
            continue;
        };
        let inner_start = match run[first..last].find(|c: char| !c.is_whitespace()) {
            Some(at) => first + at,
            None => continue,
        };
        let inner_end = match run[..last].rfind(|c: char| !c.is_whitespace()) {
            Some(at) => at + run[at..].chars().next().map_or(1, char::len_utf8),
            None => continue,
        };
        if inner_end <= inner_start || inner_end - inner_start < MIN_RUN {
            continue;
        }
        let text = &run[inner_start..inner_end];
        let breaks = text.bytes().filter(|&b| b == b'\n').count();
        let stand_in = format!("{MARK}{}{MARK}{}", runs.len(), "\n".repeat(breaks));
        short.push_str(&source[copied..start + inner_start]);
        short.push_str(&stand_in);
        copied = start + inner_end;
        runs.push(Run { stand_in, text });
    }
    short.push_str(&source[copied..]);
    (short, runs)
}

/// The maximal stretches of `source` (byte ranges) without `{{` or `\`: no tag starts in
/// them, and no escape. (A tag that started before one may end in it; then the stand-in ends
/// up inside the tag, is not put back, and the template is compiled as written.)
fn plain_runs(source: &str) -> Vec<(usize, usize)> {
    let bytes = source.as_bytes();
    let mut runs = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at < bytes.len() {
        let cut = match bytes[at] {
            b'\\' => 1,
            b'{' if bytes.get(at + 1) == Some(&b'{') => 2,
            _ => 0,
        };
        if cut == 0 {
            at += 1;
            continue;
        }
        if at > start {
            runs.push((start, at));
        }
        at += cut;
        start = at;
    }
    if bytes.len() > start {
        runs.push((start, bytes.len()));
    }
    runs
}

/// Puts the runs back into the raw text of `template`, at any depth; `false` if a stand-in
/// turned up in part. Each stand-in is in the text Handlebars compiled once, so one that is
/// not put back leaves its flag unset: one that ended up in a parameter, or in a comment (a
/// run that took in the end of a comment makes the comment longer).
fn restore(template: &mut Template, runs: &[Run<'_>], restored: &mut [bool]) -> bool {
    template.elements.iter_mut().all(|element| match element {
        TemplateElement::RawString(text) => put_back(text, runs, restored),
        TemplateElement::Comment(_) => true,
        TemplateElement::HtmlExpression(h)
        | TemplateElement::Expression(h)
        | TemplateElement::HelperBlock(h) => [&mut h.template, &mut h.inverse]
            .into_iter()
            .flatten()
            .all(|t| restore(t, runs, restored)),
        TemplateElement::DecoratorExpression(d)
        | TemplateElement::DecoratorBlock(d)
        | TemplateElement::PartialExpression(d)
        | TemplateElement::PartialBlock(d) => {
            d.template.iter_mut().all(|t| restore(t, runs, restored))
        }
        // An element a later Handlebars added: the template is compiled as written.
        _ => false,
    })
}

/// Replaces the stand-ins in `text` by their runs; `false` if part of one is left.
fn put_back(text: &mut String, runs: &[Run<'_>], restored: &mut [bool]) -> bool {
    if !text.contains(MARK) {
        return true;
    }
    for (n, run) in runs.iter().enumerate() {
        if let Some(at) = text.find(&run.stand_in) {
            restored[n] = true;
            text.replace_range(at..at + run.stand_in.len(), run.text);
        }
    }
    !text.contains(MARK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_support::Rng;

    /// The template as Handlebars compiles it from the text as written.
    fn plain(source: &str) -> Result<Template, String> {
        Template::compile_with_name(source, "t".to_owned()).map_err(|e| e.to_string())
    }

    fn same_as_handlebars(source: &str) {
        let ours = compile(source, "t").map_err(|e| e.to_string());
        assert_eq!(ours, plain(source), "template:\n{source}");
    }

    #[test]
    fn the_page_templates_compile_as_written_and_are_shortened() {
        for name in ["telemetry.md.hbs", "telemetry.html.hbs"] {
            let path = format!("{}/../spec/templates/{name}", env!("CARGO_MANIFEST_DIR"));
            let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            same_as_handlebars(&source);
            assert!(shortened(&source, name).is_some(), "{name}: not shortened");
            assert!(shorten(&source).0.len() < source.len(), "{name}");
        }
    }

    /// A random well-formed template: text (three picks in four, so that most templates have
    /// long runs), tags with and without white-space control, and blocks nested in blocks.
    fn template(rng: &mut Rng, depth: usize, out: &mut String) {
        let long = "A long line of plain prose, with punctuation: commas, dots and colons.";
        let text: &[&str] = &[
            long,
            long,
            "\n",
            "\n",
            "\r\n",
            "  ",
            "\t",
            "\u{e9}t\u{e9}",
            "  main { margin: 0 auto; }",
            "}",
        ];
        let tags: &[&str] = &[
            "{{x}}",
            "{{{x}}}",
            "{{~x~}}",
            "{{! a comment }}",
            "{{!-- a long comment\nwith a line break and braces }} inside --}}",
            "{{join xs \", \"}}",
            "{{join xs \"a literal, long but on one line as Handlebars wants it\"}}",
            "{{> partial}}",
            "\\{{escaped}}",
            "{{{{raw}}}}raw {{text}}\nmore raw text that is long enough to count as a run\n{{{{/raw}}}}",
        ];
        let blocks: &[(&str, &str, &str)] = &[
            ("{{#if a}}", "{{else}}", "{{/if}}"),
            ("{{~#if a~}}", "{{~else~}}", "{{~/if~}}"),
            ("{{#each xs}}", "{{else}}", "{{/each}}"),
            ("{{#unless b}}", "{{else}}", "{{/unless}}"),
        ];
        for _ in 0..rng.below(24) {
            match rng.below(8) {
                0 if depth < 3 => {
                    let (open, otherwise, close) = blocks[rng.below(blocks.len())];
                    out.push_str(open);
                    template(rng, depth + 1, out);
                    if rng.below(2) == 0 {
                        out.push_str(otherwise);
                        template(rng, depth + 1, out);
                    }
                    out.push_str(close);
                }
                0 | 1 => out.push_str(tags[rng.below(tags.len())]),
                _ => out.push_str(text[rng.below(text.len())]),
            }
        }
    }

    #[test]
    fn random_templates_compile_as_written() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut short = 0;
        for _ in 0..400 {
            let mut source = String::new();
            template(&mut rng, 0, &mut source);
            same_as_handlebars(&source);
            short += usize::from(shortened(&source, "t").is_some());
        }
        assert!(short > 60, "only {short} of the templates were shortened");
    }

    #[test]
    fn a_stand_in_where_text_is_not_raw_falls_back_to_the_template_as_written() {
        // Inside a tag whose parameters are written one per line: the stand-in would become
        // a parameter, and is not put back.
        let params = ["a_parameter_long_enough_to_count"; 8].join("\n  ");
        let source = format!("{{{{join\n  {params}\n}}}}");
        assert!(!shorten(&source).1.is_empty());
        assert!(shortened(&source, "t").is_none());
        same_as_handlebars(&source);
        // A template with the marker character is compiled as written.
        let run = ["plain text line"; 12].join("\n");
        let source = format!("{MARK}\n{run}\n{{{{x}}}}");
        assert!(shorten(&source).1.is_empty());
        same_as_handlebars(&source);
    }

    #[test]
    fn an_error_is_reported_as_for_the_template_as_written() {
        let run = ["plain text line"; 12].join("\n");
        same_as_handlebars(&format!("{{{{#if a}}}}\n{run}\n{{{{/each}}}}"));
        same_as_handlebars(&format!("\n{run}\n{{{{x"));
    }
}
