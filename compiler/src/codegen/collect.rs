//! `collect()` of the generated code: every source read concurrently, the payload assembled,
//! fallbacks applied, and optional objects left out when none of their items has a value.

use std::collections::HashMap;

use proc_macro2::{Ident, TokenStream};
use quote::{ToTokens, format_ident, quote};

use super::sources::value_expr;
use super::{Context, ident, source_struct, struct_ident};
use crate::naming;
use crate::tree::Member;
use crate::types::IfUnavailable;

/// `collect()`, formatted. The payload expression is most of it at scale, and building and
/// printing its syntax tree would be where the time goes. So when every member of the payload
/// is a plain read of a source field (no fallback, no optional object), that expression is
/// written as text, laid out exactly as prettyplease lays it out (see [`Layout`]), into the
/// function prettyplease formatted around a placeholder; otherwise all of it is prettyplease's.
pub(super) fn collect_text(ctx: &Context<'_>) -> String {
    const PLACEHOLDER: &str = "__collect_payload";
    let mut payload = String::new();
    if Layout::new(ctx)
        .object(0, 4, MARGIN - 4, 0, &mut payload)
        .is_some()
    {
        let around = super::format_tokens(collect_fn(
            ctx,
            Some(ident(PLACEHOLDER).into_token_stream()),
        ));
        let line = format!("\n    {PLACEHOLDER}\n");
        if let Some(at) = around.find(&line) {
            let mut out = String::with_capacity(around.len() + payload.len());
            out.push_str(&around[..at + 5]);
            out.push_str(&payload);
            out.push_str(&around[at + line.len() - 1..]);
            return out;
        }
    }
    super::format_tokens(collect_fn(ctx, None))
}

/// The whole function as tokens; `payload`: the expression building the payload, if not the
/// one built here.
pub(super) fn collect_fn(ctx: &Context<'_>, payload: Option<TokenStream>) -> TokenStream {
    let spec = ctx.spec;
    let vars: Vec<Ident> = spec
        .sources
        .iter()
        .map(|s| format_ident!("{}_data", s.id))
        .collect();
    let calls = spec.sources.iter().map(|s| {
        let id = &s.id;
        let method = ident(id);
        let name = source_struct(id);
        quote!(settle(#id, sources.#method(), sources::#name::unknown))
    });
    let source_var: HashMap<&str, &Ident> = spec
        .sources
        .iter()
        .zip(&vars)
        .map(|(s, v)| (s.id.as_str(), v))
        .collect();
    let build = payload.unwrap_or_else(|| build_object(ctx, 0, &source_var));
    // A source feeding no item is still read (its method exists), but nothing uses the value.
    let used: std::collections::HashSet<&str> =
        spec.items.iter().map(|i| i.source.as_str()).collect();
    let unused = spec
        .sources
        .iter()
        .zip(&vars)
        .filter(|(s, _)| !used.contains(s.id.as_str()))
        .map(|(_, v)| quote!(let _ = #v;));
    quote! {
            /// Reads every source concurrently and assembles the payload. Never fails: a source
            /// that errors or panics is logged and its items are reported as [`UNKNOWN`].
            pub async fn collect<S: sources::Sources>(sources: &S) -> payload::Payload {
                let (#(#vars,)*) = ::tokio::join!(#(#calls,)*);
                #(#unused)*
                #build
            }
    }
}

pub(super) fn settle_fn() -> TokenStream {
    quote! {
        async fn settle<T, F>(source: &'static str, future: F, unknown: fn() -> T) -> T
        where
            F: ::core::future::Future<Output = Result<T, sources::SourceError>>,
        {
            match ::futures_util::FutureExt::catch_unwind(::core::panic::AssertUnwindSafe(future)).await {
                Ok(Ok(data)) => data,
                Ok(Err(error)) => {
                    ::tracing::warn!(source, %error, "telemetry source failed; its items are reported as \"Unknown\"");
                    unknown()
                }
                Err(_) => {
                    ::tracing::error!(source, "telemetry source panicked; its items are reported as \"Unknown\"");
                    unknown()
                }
            }
        }
    }
}

fn build_object(
    ctx: &Context<'_>,
    index: usize,
    source_var: &HashMap<&str, &Ident>,
) -> TokenStream {
    let (spec, objects) = (ctx.spec, &ctx.objects);
    let object = &objects[index];
    let name = struct_ident(object.path);
    let fields = object.members.iter().map(|member| match member {
        Member::Object(segment, index) => {
            let field = ident(&naming::field_name(segment));
            let value = build_object(ctx, *index, source_var);
            match objects[*index].optional {
                Some(_) => {
                    // Left out (or null) when none of its items has a value.
                    let present = items_under(ctx, *index, quote!(object));
                    quote!(#field: {
                        let object = #value;
                        if #(#present.is_none())&&* { None } else { Some(object) }
                    },)
                }
                None => quote!(#field: #value,),
            }
        }
        Member::Leaf(segment, item) => {
            let item = &spec.items[*item];
            let field = ident(&naming::field_name(segment));
            let var = source_var[item.source.as_str()];
            let source_field = ident(&item.source_field);
            match (&item.fallback, item.if_unavailable) {
                (Some(fallback), IfUnavailable::Fallback) => {
                    let fallback = value_expr(item, fallback, "payload::");
                    quote!(#field: #var.#source_field.unwrap_or_else(|| #fallback),)
                }
                _ => quote!(#field: #var.#source_field,),
            }
        }
    });
    quote!(payload::#name { #(#fields)* })
}

/// Expressions reaching every item field under object `index`, starting from `base`.
fn items_under(ctx: &Context<'_>, index: usize, base: TokenStream) -> Vec<TokenStream> {
    let mut out = Vec::new();
    for member in &ctx.objects[index].members {
        match member {
            Member::Object(segment, index) => {
                let field = ident(&naming::field_name(segment));
                out.extend(items_under(ctx, *index, quote!(#base.#field)));
            }
            Member::Leaf(segment, _) => {
                let field = ident(&naming::field_name(segment));
                out.push(quote!(#base.#field));
            }
        }
    }
    out
}

/// prettyplease's line width, and the room it allows a line however deep its indentation.
const MARGIN: isize = 89;
const MIN_SPACE: isize = 60;
/// prettyplease breaks a struct literal whose content (up to its `}`) is wider than this,
/// even when the line has room for it.
const STRUCT_MAX_WIDTH: isize = 34;

/// The payload expression of `collect()` as prettyplease formats it, for payloads made only of
/// nested structs and field reads. prettyplease (like rustc's pretty printer) prints a group on
/// one line if it fits in the room left on the line, counting the text up to the next possible
/// break after it; otherwise it breaks every break of the group. For a struct literal that
/// means: one line if its text is at most [`STRUCT_MAX_WIDTH`] + 1 wide and fits followed by
/// its trailing `,` (a last field's `,` is only printed when broken, so it does not count);
/// else one field per line, 4 deeper, and `}` on its own line. Anything else (a field read
/// that does not fit, where prettyplease would break before its `.`) gives up: `None`.
/// `tests::collect_text_is_what_prettyplease_prints` holds this against prettyplease.
pub(super) struct Layout<'c, 'a> {
    ctx: &'c Context<'a>,
}

impl<'c, 'a> Layout<'c, 'a> {
    pub(super) fn new(ctx: &'c Context<'a>) -> Self {
        Self { ctx }
    }

    /// Writes object `index` where `space` columns are left on the line, followed by
    /// `trailing` columns of text before the next break; `indent` is the line's indentation.
    pub(super) fn object(
        &self,
        index: usize,
        indent: isize,
        space: isize,
        trailing: isize,
        out: &mut String,
    ) -> Option<()> {
        let object = &self.ctx.objects[index];
        if let Some(width) = self.flat_width(index, STRUCT_MAX_WIDTH + 1)?
            && width + trailing <= space
        {
            self.flat(index, out);
            return Some(());
        }
        let inner = indent + 4;
        let line = (MARGIN - inner).max(MIN_SPACE);
        out.push_str("payload::");
        out.push_str(&naming::struct_name(object.path));
        out.push_str(" {\n");
        let last = object.members.len().saturating_sub(1);
        for (i, member) in object.members.iter().enumerate() {
            let trailing = if i == last { 0 } else { 1 };
            push_indent(out, inner);
            let field = naming::field_name(member.segment());
            out.push_str(&field);
            out.push_str(": ");
            let space = line - field.len() as isize - 2;
            match member {
                Member::Object(_, child) => {
                    self.object(*child, inner, space, trailing, out)?;
                }
                Member::Leaf(_, item) => {
                    let (var, field) = self.read(*item)?;
                    if (var.len() + 6 + field.len()) as isize + trailing > space {
                        return None;
                    }
                    out.push_str(var);
                    out.push_str("_data.");
                    out.push_str(field);
                }
            }
            out.push_str(",\n");
        }
        push_indent(out, indent);
        out.push('}');
        Some(())
    }

    /// The source and field an item reads (`<source>_data.<field>`), if it is a plain read.
    fn read(&self, item: usize) -> Option<(&'a str, &'a str)> {
        let item = &self.ctx.spec.items[item];
        if item.if_unavailable == IfUnavailable::Fallback && item.fallback.is_some() {
            return None;
        }
        Some((item.source.as_str(), item.source_field.as_str()))
    }

    /// The width of object `index` on one line, or `Some(None)` once it exceeds `limit`;
    /// `None` if it is not a payload of plain reads.
    fn flat_width(&self, index: usize, limit: isize) -> Option<Option<isize>> {
        let object = &self.ctx.objects[index];
        if object.optional.is_some() && index != 0 {
            return None;
        }
        // `payload::Name { ` ... ` }`
        let mut width = 9 + naming::struct_name(object.path).len() as isize + 5;
        for (i, member) in object.members.iter().enumerate() {
            if i > 0 {
                width += 2;
            }
            width += naming::field_name(member.segment()).len() as isize + 2;
            width += match member {
                Member::Object(_, child) => match self.flat_width(*child, limit)? {
                    Some(w) => w,
                    None => return Some(None),
                },
                Member::Leaf(_, item) => {
                    let (var, field) = self.read(*item)?;
                    (var.len() + 6 + field.len()) as isize
                }
            };
            if width > limit {
                return Some(None);
            }
        }
        Some(Some(width))
    }

    fn flat(&self, index: usize, out: &mut String) {
        let object = &self.ctx.objects[index];
        out.push_str("payload::");
        out.push_str(&naming::struct_name(object.path));
        out.push_str(" { ");
        for (i, member) in object.members.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(&naming::field_name(member.segment()));
            out.push_str(": ");
            match member {
                Member::Object(_, child) => self.flat(*child, out),
                Member::Leaf(_, item) => {
                    let item = &self.ctx.spec.items[*item];
                    out.push_str(&item.source);
                    out.push_str("_data.");
                    out.push_str(&item.source_field);
                }
            }
        }
        out.push_str(" }");
    }
}

fn push_indent(out: &mut String, indent: isize) {
    for _ in 0..indent {
        out.push(' ');
    }
}
