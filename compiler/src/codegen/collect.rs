//! `collect()` of the generated code: every source read concurrently, the payload assembled,
//! fallbacks applied, and optional objects left out when none of their items has a value.

use std::collections::HashMap;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::sources::value_expr;
use super::{Context, ident, source_struct, struct_ident};
use crate::naming;
use crate::tree::Member;
use crate::types::IfUnavailable;

pub(super) fn collect_fn(ctx: &Context<'_>) -> TokenStream {
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
    let build = build_object(ctx, 0, &source_var);
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
