//! The rows of the item tables, rendered without Handlebars' cost per row.
//!
//! At 10,000 items Handlebars spent most of `generate` on the rows: every row became a JSON
//! object, was copied into the render context, and each value was looked up by path. So the
//! part of a template that renders one row (the body of `{{#each items}}` inside
//! `{{#each categories}}`) is compiled here into a small program over the items themselves, and
//! the block is replaced by a call of [`HELPER`], which runs that program for one category.
//! Everything else on the page stays Handlebars'.
//!
//! The program knows exactly what the row templates need: item values, `if`, `unless`,
//! `each` over a map item's keys, the `@index`/`@first`/`@last` of a loop, and the page's
//! helpers. A template that uses anything else in a row (or might look at the rows some other
//! way) is left as it is and rendered by Handlebars with the rows in its context, so the
//! output never depends on which way was taken; tests render with both and compare bytes.

use std::borrow::Cow;

use handlebars::template::{HelperTemplate, Parameter, TemplateElement};
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, Path, PathSeg, RenderContext,
    Template,
};
use serde_json::{Map, Value};

use crate::escape::{escape_html_into, escape_markdown_into};
use crate::fastmap::FastMap;
use crate::model::{Item, Sensitivity, Status, ValidSpec};
use crate::types::Str;

/// The helper that replaces a row block: `{{{__item_rows @index N}}}` renders the rows of the
/// category at `@index` with program `N`.
pub(super) const HELPER: &str = "__item_rows";

/// Which page a template renders: it decides the escaping and the helpers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Markdown,
    Html,
}

impl Kind {
    fn escape_into(self, out: &mut String, text: &str) {
        match self {
            Kind::Markdown => escape_markdown_into(out, text),
            Kind::Html => escape_html_into(out, text),
        }
    }
}

/// Helpers every registry has (Handlebars' own); a row that calls one is left to Handlebars,
/// and so is a bare `{{name}}` that could mean one.
const BUILTIN_HELPERS: &[&str] = &[
    "if", "unless", "each", "with", "lookup", "raw", "log", "eq", "ne", "gt", "gte", "lt", "lte",
    "and", "or", "not", "len", "join",
];

/// A value an item shows in its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Label,
    Description,
    Purpose,
    Path,
    Type,
    Value,
    IfUnavailable,
    Keys,
    Sensitivity,
    Since,
    Owner,
    Expires,
    Deprecated,
}

impl Field {
    const ALL: [Field; 14] = [
        Field::Id,
        Field::Label,
        Field::Description,
        Field::Purpose,
        Field::Path,
        Field::Type,
        Field::Value,
        Field::IfUnavailable,
        Field::Keys,
        Field::Sensitivity,
        Field::Since,
        Field::Owner,
        Field::Expires,
        Field::Deprecated,
    ];

    /// The name templates use.
    fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Label => "label",
            Field::Description => "description",
            Field::Purpose => "purpose",
            Field::Path => "path",
            Field::Type => "type",
            Field::Value => "value",
            Field::IfUnavailable => "if_unavailable",
            Field::Keys => "keys",
            Field::Sensitivity => "sensitivity",
            Field::Since => "since",
            Field::Owner => "owner",
            Field::Expires => "expires",
            Field::Deprecated => "deprecated",
        }
    }

    fn of(self, item: &Item) -> Val<'_> {
        fn text(s: &str) -> Val<'_> {
            Val::Text(Cow::Borrowed(s))
        }
        let owned = |s: String| Val::Text(Cow::Owned(s));
        match self {
            Field::Id => text(&item.id),
            Field::Label => text(&item.label),
            Field::Description => text(&item.description),
            Field::Purpose => item.purpose.as_deref().map_or(Val::Null, text),
            Field::Path => owned(item.path_string()),
            Field::Type => owned(item.value_type.to_string()),
            Field::Value => owned(telemetry_types::describe(&item.value_type, &item.rules)),
            Field::IfUnavailable => owned(telemetry_types::describe_unavailable(
                item.if_unavailable,
                item.fallback.as_deref(),
            )),
            Field::Keys => Val::Keys(item.keys()),
            Field::Sensitivity => {
                text(item.sensitivity.map_or("unclassified", Sensitivity::as_str))
            }
            Field::Since => text(&item.since),
            Field::Owner => text(&item.owner),
            Field::Expires => owned(item.expires.to_string()),
            Field::Deprecated => Val::Bool(item.status == Status::Deprecated),
        }
    }

    /// What kind of value the field always has, for checking a row program once.
    fn ty(self) -> Ty {
        match self {
            Field::Purpose => Ty::MaybeText,
            Field::Keys => Ty::Keys,
            Field::Deprecated => Ty::Bool,
            _ => Ty::Text,
        }
    }
}

/// One item as the JSON object templates see when Handlebars renders its row.
pub(super) fn item_json(item: &Item) -> Value {
    let mut map = Map::new();
    for field in Field::ALL {
        let value = match field.of(item) {
            Val::Text(text) => Value::String(text.into_owned()),
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(b),
            Val::Number(n) => Value::from(n),
            Val::Keys(keys) => {
                Value::Array(keys.iter().map(|k| Value::String(k.to_string())).collect())
            }
        };
        map.insert(field.name().to_owned(), value);
    }
    Value::Object(map)
}

/// A value while a row is rendered.
enum Val<'a> {
    Text(Cow<'a, str>),
    Null,
    Bool(bool),
    Number(usize),
    Keys(&'a [Str]),
}

impl Val<'_> {
    /// Handlebars' truthiness: empty text, `false`, zero, null and an empty list are false.
    fn truthy(&self) -> bool {
        match self {
            Val::Text(t) => !t.is_empty(),
            Val::Null => false,
            Val::Bool(b) => *b,
            Val::Number(n) => *n != 0,
            Val::Keys(k) => !k.is_empty(),
        }
    }
}

/// The kinds of [`Val`], known when a row program is compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Text,
    MaybeText,
    Bool,
    Number,
    Keys,
}

/// A loop's own variables.
#[derive(Debug, Clone, Copy)]
enum Local {
    Index,
    First,
    Last,
}

#[derive(Debug, Clone)]
enum Expr {
    Field(Field),
    /// The current key inside `{{#each keys}}`.
    Key,
    Local(Local),
    Literal(String),
    /// A page helper of one text.
    Text(fn(&str) -> String, Box<Expr>),
    /// `join list separator`.
    Join(Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone)]
enum Node {
    Raw(String),
    Put {
        expr: Expr,
        escape: bool,
    },
    If {
        cond: Expr,
        unless: bool,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
    EachKey {
        body: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

/// The compiled row programs of one template, in the order their blocks appear.
#[derive(Debug, Clone)]
pub(super) struct Rows {
    programs: Vec<Vec<Node>>,
}

/// Where an expression is evaluated: in a row, or inside `{{#each keys}}` of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Item,
    Key,
}

/// Compiles the row blocks of `template` and replaces each with a call of [`HELPER`]; `None`
/// (and `template` untouched) if any part of the template keeps it on Handlebars.
pub(super) fn rewrite(template: &mut Template, kind: Kind) -> Option<Rows> {
    let mut candidate = template.clone();
    let mut programs = Vec::new();
    for element in &mut candidate.elements {
        if let TemplateElement::HelperBlock(ht) = element
            && is_each_over(ht, "categories")
            && let Some(body) = &mut ht.template
        {
            replace_rows(body, kind, &mut programs)?;
        }
    }
    if mentions_rows(&candidate.elements, false) {
        return None;
    }
    *template = candidate;
    Some(Rows { programs })
}

/// Replaces the `{{#each items}}` blocks of a category body (also inside `if`/`unless`).
fn replace_rows(body: &mut Template, kind: Kind, programs: &mut Vec<Vec<Node>>) -> Option<()> {
    for element in &mut body.elements {
        let TemplateElement::HelperBlock(ht) = element else {
            continue;
        };
        if is_each_over(ht, "items") {
            if ht.inverse.is_some() {
                return None;
            }
            let program = match &ht.template {
                Some(t) => compile(&t.elements, kind, Scope::Item)?,
                None => Vec::new(),
            };
            let call = format!("{{{{{{{HELPER} @index {}}}}}}}", programs.len());
            programs.push(program);
            *element = Template::compile(&call).ok()?.elements.pop()?;
        } else if matches!(helper_name(ht), Some("if" | "unless")) {
            for t in [&mut ht.template, &mut ht.inverse].into_iter().flatten() {
                replace_rows(t, kind, programs)?;
            }
        }
    }
    Some(())
}

/// Whether anything left in the template could see the rows (or their absence from the
/// context): a path or literal naming `items`, the category object itself (`this`), partials
/// and decorators. `in_category`: inside the body of `{{#each categories}}`.
fn mentions_rows(elements: &[TemplateElement], in_category: bool) -> bool {
    elements.iter().any(|element| match element {
        TemplateElement::RawString(_) | TemplateElement::Comment(_) => false,
        TemplateElement::Expression(ht)
        | TemplateElement::HtmlExpression(ht)
        | TemplateElement::HelperBlock(ht) => {
            let inner = in_category || is_each_over(ht, "categories");
            std::iter::once(&ht.name)
                .chain(&ht.params)
                .chain(ht.hash.values())
                .any(|p| parameter_mentions_rows(p, in_category))
                || ht.block_param.is_some()
                || [&ht.template, &ht.inverse]
                    .into_iter()
                    .flatten()
                    .any(|t| mentions_rows(&t.elements, inner))
        }
        _ => true,
    })
}

fn parameter_mentions_rows(p: &Parameter, in_category: bool) -> bool {
    match p {
        Parameter::Name(_) => false,
        Parameter::Path(Path::Relative((segs, raw))) => {
            raw.contains("items") || (in_category && (segs.is_empty() || raw.contains("this")))
        }
        Parameter::Path(Path::Local((_, _, raw))) => raw.contains("items"),
        Parameter::Literal(value) => value.to_string().contains("items"),
        Parameter::Subexpression(sub) => {
            mentions_rows(std::slice::from_ref(&sub.element), in_category)
        }
        _ => true,
    }
}

fn helper_name(ht: &HelperTemplate) -> Option<&str> {
    match &ht.name {
        Parameter::Name(name) => Some(name),
        _ => None,
    }
}

/// `{{#each <name>}}` with nothing else: no hash, no block parameters.
fn is_each_over(ht: &HelperTemplate, name: &str) -> bool {
    helper_name(ht) == Some("each")
        && ht.hash.is_empty()
        && ht.block_param.is_none()
        && !ht.chain
        && matches!(ht.params.as_slice(), [p] if single_name(p) == Some(name))
}

/// The one name of a plain relative path such as `label`.
fn single_name(p: &Parameter) -> Option<&str> {
    match p {
        Parameter::Path(Path::Relative((segs, _))) => match segs.as_slice() {
            [PathSeg::Named(name)] => Some(name),
            _ => None,
        },
        _ => None,
    }
}

fn compile(elements: &[TemplateElement], kind: Kind, scope: Scope) -> Option<Vec<Node>> {
    let mut nodes = Vec::with_capacity(elements.len());
    for element in elements {
        match element {
            TemplateElement::RawString(text) => nodes.push(Node::Raw(text.clone())),
            TemplateElement::Comment(_) => {}
            TemplateElement::Expression(ht) | TemplateElement::HtmlExpression(ht) => {
                let escape = matches!(element, TemplateElement::Expression(_));
                let (expr, ty) = expression(ht, kind, scope)?;
                // A list renders as Handlebars' own `[a, b]` text: not worth copying.
                if ty == Ty::Keys {
                    return None;
                }
                nodes.push(Node::Put { expr, escape });
            }
            TemplateElement::HelperBlock(ht) => nodes.push(block(ht, kind, scope)?),
            _ => return None,
        }
    }
    Some(nodes)
}

fn plain(ht: &HelperTemplate) -> bool {
    ht.hash.is_empty() && ht.block_param.is_none() && !ht.chain
}

fn block(ht: &HelperTemplate, kind: Kind, scope: Scope) -> Option<Node> {
    if !plain(ht) {
        return None;
    }
    let body = |t: &Option<Template>, scope| match t {
        Some(t) => compile(&t.elements, kind, scope),
        None => Some(Vec::new()),
    };
    match (helper_name(ht)?, ht.params.as_slice()) {
        (name @ ("if" | "unless"), [p]) => {
            let (cond, _) = operand(p, kind, scope)?;
            Some(Node::If {
                cond,
                unless: name == "unless",
                then: body(&ht.template, scope)?,
                otherwise: body(&ht.inverse, scope)?,
            })
        }
        ("each", [p]) if scope == Scope::Item => match operand(p, kind, scope)? {
            (Expr::Field(Field::Keys), _) => Some(Node::EachKey {
                body: body(&ht.template, Scope::Key)?,
                otherwise: body(&ht.inverse, scope)?,
            }),
            _ => None,
        },
        _ => None,
    }
}

/// `{{name}}` or `{{helper args}}`.
fn expression(ht: &HelperTemplate, kind: Kind, scope: Scope) -> Option<(Expr, Ty)> {
    if !plain(ht) {
        return None;
    }
    if ht.params.is_empty() {
        // Handlebars calls a helper by that name rather than looking the value up.
        let helper = single_name(&ht.name)
            .is_some_and(|n| BUILTIN_HELPERS.contains(&n) || super::text_helper(kind, n).is_some());
        return match &ht.name {
            Parameter::Path(_) if !helper => operand(&ht.name, kind, scope),
            _ => None,
        };
    }
    let name = match &ht.name {
        Parameter::Name(name) => name.as_str(),
        p => single_name(p)?,
    };
    call(name, &ht.params, kind, scope)
}

fn call(name: &str, params: &[Parameter], kind: Kind, scope: Scope) -> Option<(Expr, Ty)> {
    if name == "join" {
        let [list, sep] = params else { return None };
        let (list, Ty::Keys) = operand(list, kind, scope)? else {
            return None;
        };
        let (sep, Ty::Text) = operand(sep, kind, scope)? else {
            return None;
        };
        return Some((Expr::Join(Box::new(list), Box::new(sep)), Ty::Text));
    }
    let f = super::text_helper(kind, name)?;
    let [arg] = params else { return None };
    let (arg, Ty::Text) = operand(arg, kind, scope)? else {
        return None;
    };
    Some((Expr::Text(f, Box::new(arg)), Ty::Text))
}

/// A value: a field of the item, the current key, a loop variable or a text literal.
fn operand(p: &Parameter, kind: Kind, scope: Scope) -> Option<(Expr, Ty)> {
    match p {
        Parameter::Path(Path::Relative((segs, raw))) => {
            if segs.is_empty() && raw == "this" && scope == Scope::Key {
                return Some((Expr::Key, Ty::Text));
            }
            let name = single_name(p)?;
            // In a key loop `label` would be looked up on the key.
            if scope != Scope::Item {
                return None;
            }
            let field = Field::ALL.into_iter().find(|f| f.name() == name)?;
            Some((Expr::Field(field), field.ty()))
        }
        Parameter::Path(Path::Local((0, name, _))) => match name.as_str() {
            "index" => Some((Expr::Local(Local::Index), Ty::Number)),
            "first" => Some((Expr::Local(Local::First), Ty::Bool)),
            "last" => Some((Expr::Local(Local::Last), Ty::Bool)),
            _ => None,
        },
        Parameter::Literal(Value::String(s)) => Some((Expr::Literal(s.clone()), Ty::Text)),
        // `(helper args)`; Handlebars reads `(name)` alone as a call too, never as a value.
        Parameter::Subexpression(sub) => match sub.as_element() {
            TemplateElement::Expression(ht) if !ht.params.is_empty() => expression(ht, kind, scope),
            _ => None,
        },
        _ => None,
    }
}

/// Where a row program is: the item, its loop position, and the key loop's.
struct At<'a> {
    item: &'a Item,
    row: (usize, usize),
    key: Option<(&'a str, usize, usize)>,
}

impl<'a> At<'a> {
    fn eval(&self, expr: &Expr) -> Val<'a> {
        match expr {
            Expr::Field(f) => f.of(self.item),
            Expr::Key => Val::Text(Cow::Borrowed(self.key.map_or("", |k| k.0))),
            Expr::Local(local) => {
                let (index, len) = self.key.map_or(self.row, |k| (k.1, k.2));
                match local {
                    Local::Index => Val::Number(index),
                    Local::First => Val::Bool(index == 0),
                    Local::Last => Val::Bool(index + 1 == len),
                }
            }
            Expr::Literal(text) => Val::Text(Cow::Owned(text.clone())),
            Expr::Text(f, arg) => Val::Text(Cow::Owned(f(&text(self.eval(arg))))),
            Expr::Join(list, sep) => {
                let sep = text(self.eval(sep));
                match self.eval(list) {
                    Val::Keys(keys) => Val::Text(Cow::Owned(
                        keys.iter()
                            .map(AsRef::as_ref)
                            .collect::<Vec<&str>>()
                            .join(&sep),
                    )),
                    _ => Val::Text(Cow::Borrowed("")),
                }
            }
        }
    }

    fn run(&self, nodes: &[Node], kind: Kind, out: &mut String) {
        for node in nodes {
            match node {
                Node::Raw(text) => out.push_str(text),
                Node::Put { expr, escape } => {
                    let value = text(self.eval(expr));
                    if *escape {
                        kind.escape_into(out, &value);
                    } else {
                        out.push_str(&value);
                    }
                }
                Node::If {
                    cond,
                    unless,
                    then,
                    otherwise,
                } => {
                    let branch = if self.eval(cond).truthy() != *unless {
                        then
                    } else {
                        otherwise
                    };
                    self.run(branch, kind, out);
                }
                Node::EachKey { body, otherwise } => {
                    let keys = self.item.keys();
                    if keys.is_empty() {
                        self.run(otherwise, kind, out);
                    }
                    for (i, key) in keys.iter().enumerate() {
                        let at = At {
                            key: Some((key, i, keys.len())),
                            ..*self
                        };
                        at.run(body, kind, out);
                    }
                }
            }
        }
    }
}

/// How a value renders: as Handlebars renders JSON (the types a program accepts).
fn text(value: Val<'_>) -> Cow<'_, str> {
    match value {
        Val::Text(t) => t,
        Val::Null => Cow::Borrowed(""),
        Val::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
        Val::Number(n) => Cow::Owned(n.to_string()),
        Val::Keys(_) => Cow::Borrowed(""),
    }
}

/// [`HELPER`]: the rows of one category.
pub(super) struct ItemRows<'a> {
    rows: Rows,
    kind: Kind,
    /// The items of each category (in spec order), by category position.
    by_category: Vec<Vec<&'a Item>>,
}

impl<'a> ItemRows<'a> {
    pub(super) fn new(rows: Rows, spec: &'a ValidSpec, kind: Kind) -> Self {
        let index: FastMap<&str, usize> = spec
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect();
        let mut by_category = vec![Vec::new(); spec.categories.len()];
        for item in &spec.items {
            if let Some(&i) = index.get(item.category.as_str()) {
                by_category[i].push(item);
            }
        }
        Self {
            rows,
            kind,
            by_category,
        }
    }
}

impl HelperDef for ItemRows<'_> {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let number = |i: usize| {
            h.param(i)
                .and_then(|p| p.value().as_u64())
                .and_then(|n| usize::try_from(n).ok())
        };
        let (Some(category), Some(program)) = (number(0), number(1)) else {
            return Ok(());
        };
        let (Some(items), Some(program)) = (
            self.by_category.get(category),
            self.rows.programs.get(program),
        ) else {
            return Ok(());
        };
        // Written in blocks: one write per row would cost more than the row.
        let mut buf = String::with_capacity(64 * 1024);
        for (i, item) in items.iter().enumerate() {
            let at = At {
                item,
                row: (i, items.len()),
                key: None,
            };
            at.run(program, self.kind, &mut buf);
            if buf.len() >= 60 * 1024 {
                out.write(&buf)?;
                buf.clear();
            }
        }
        out.write(&buf)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(name: &str) -> Template {
        let path = format!("{}/../spec/templates/{name}", env!("CARGO_MANIFEST_DIR"));
        let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        Template::compile(&source).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_shipped_row_templates_are_rendered_natively() {
        for (name, kind) in [
            ("telemetry.md.hbs", Kind::Markdown),
            ("telemetry.html.hbs", Kind::Html),
        ] {
            let mut template = shipped(name);
            let rows = rewrite(&mut template, kind);
            assert!(rows.is_some_and(|r| r.programs.len() == 1), "{name}");
        }
    }
}
