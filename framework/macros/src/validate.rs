//! `#[jero::contract]`'s constraint check: the `#[schemars(..)]`
//! validation attributes of each field (the constraints the schema shows),
//! turned into `Contract::__validate`.

use proc_macro2::TokenStream as TokenStream2;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Lit, Type};

/// The check of one value: its constraints and whether to look into it for
/// contracts.
#[derive(Default)]
struct Rules {
    length: Option<Bounds>,
    range: Option<Bounds>,
    pattern: Option<Expr>,
    contains: Option<Expr>,
    /// The check of each format (`check_email`, ...).
    formats: Vec<syn::Ident>,
    required: bool,
    inner: Option<Box<Rules>>,
}

#[derive(Default)]
struct Bounds {
    min: Option<Expr>,
    max: Option<Expr>,
    equal: Option<Expr>,
}

/// The `__validate` method for a contract, or an error for a constraint
/// it cannot enforce.
pub(crate) fn validate_method(item: &syn::DeriveInput) -> syn::Result<TokenStream2> {
    let rename_all = serde_str(&item.attrs, "rename_all");
    let body = match &item.data {
        syn::Data::Struct(data) => {
            let transparent = crate::has_serde_flag(&item.attrs, "transparent");
            let checks = fields_checks(
                &data.fields,
                rename_all.as_deref(),
                transparent,
                |member, span| quote_spanned!(span=> &self.#member),
            )?;
            quote! { #(#checks)* }
        }
        syn::Data::Enum(data) => {
            let external =
                serde_str(&item.attrs, "tag").is_none() && !crate::has_serde_flag(&item.attrs, "untagged");
            let content = serde_str(&item.attrs, "content");
            let fields_rule = serde_str(&item.attrs, "rename_all_fields");
            let mut arms = Vec::new();
            for variant in &data.variants {
                if crate::has_serde_flag(&variant.attrs, "skip")
                    || crate::has_serde_flag(&variant.attrs, "skip_deserializing")
                {
                    continue;
                }
                let v_ident = &variant.ident;
                let v_wire = wire_name(
                    &variant.attrs,
                    &v_ident.to_string(),
                    rename_all.as_deref(),
                    RenameTarget::Variant,
                );
                let v_rule = serde_str(&variant.attrs, "rename_all").or(fields_rule.clone());
                // A variant's fields are checked through the pattern's
                // bindings: its names, or `__f0`, `__f1`.. for a tuple.
                let binding = |member: &syn::Member| match member {
                    syn::Member::Named(id) => id.clone(),
                    syn::Member::Unnamed(ix) => format_ident!("__f{}", ix.index),
                };
                let bindings: Vec<_> = variant.fields.members().map(|m| binding(&m)).collect();
                let checks = fields_checks(&variant.fields, v_rule.as_deref(), false, |member, span| {
                    let b = binding(member);
                    quote_spanned!(span=> #b)
                })?;
                // Where a variant's fields sit: under the variant's name
                // (externally tagged), under `content` (adjacently tagged),
                // or beside the tag (internally tagged, untagged).
                let prefix = match (external, &content) {
                    (true, _) => Some(v_wire),
                    (false, Some(c)) => Some(c.clone()),
                    (false, None) => None,
                };
                let placed = match prefix {
                    Some(p) => quote!(.map_err(|__v| __v.within(#p))),
                    None => quote!(),
                };
                let pattern = match &variant.fields {
                    syn::Fields::Named(_) => quote!(Self::#v_ident { #(#bindings),* }),
                    syn::Fields::Unnamed(_) => quote!(Self::#v_ident ( #(#bindings),* )),
                    syn::Fields::Unit => quote!(Self::#v_ident),
                };
                arms.push(quote! {
                    #[allow(unused_variables)]
                    #pattern => (|| -> ::std::result::Result<(), ::jero::validate::Violation> {
                        #(#checks)*
                        ::std::result::Result::Ok(())
                    })()#placed?,
                });
            }
            quote! {
                #[allow(unreachable_patterns)]
                match self {
                    #(#arms)*
                    _ => {}
                }
            }
        }
        syn::Data::Union(_) => quote!(),
    };
    Ok(quote! {
        #[inline]
        #[allow(clippy::needless_question_mark, unused_imports)]
        fn __validate(&self) -> ::std::result::Result<(), ::jero::validate::Violation> {
            use ::jero::validate::{ViaContracts as _, ViaNothing as _};
            #body
            ::std::result::Result::Ok(())
        }
    })
}

/// The checks of a struct's (or a variant's) fields; `access` gives the
/// expression of a field's value (a reference).
fn fields_checks(
    fields: &syn::Fields,
    rename_all: Option<&str>,
    transparent: bool,
    access: impl Fn(&syn::Member, proc_macro2::Span) -> TokenStream2,
) -> syn::Result<Vec<TokenStream2>> {
    let mut checks = Vec::new();
    let newtype = matches!(fields, syn::Fields::Unnamed(u) if u.unnamed.len() == 1);
    for (i, field) in fields.iter().enumerate() {
        forbid_foreign_constraints(&field.attrs)?;
        if crate::has_serde_flag(&field.attrs, "skip")
            || crate::has_serde_flag(&field.attrs, "skip_deserializing")
        {
            continue;
        }
        let member = match &field.ident {
            Some(id) => syn::Member::Named(id.clone()),
            None => syn::Member::Unnamed(syn::Index::from(i)),
        };
        let value = access(&member, field.ty.span());
        // The field's place in the path: none when its value is its
        // holder's (flattened, transparent, a newtype's only field).
        let flattened = crate::has_serde_flag(&field.attrs, "flatten");
        let wire = match &field.ident {
            _ if flattened || transparent || newtype => Place::Same,
            Some(id) => {
                use syn::ext::IdentExt;
                Place::Field(wire_name(
                    &field.attrs,
                    &id.unraw().to_string(),
                    rename_all,
                    RenameTarget::Field,
                ))
            }
            // A tuple's items are an array's on the wire.
            None => Place::Index(i),
        };
        let place = |v: TokenStream2| match &wire {
            Place::Field(w) => quote!(#v.map_err(|__v| __v.within(#w))),
            Place::Index(i) => quote!(#v.map_err(|__v| __v.at_index(#i))),
            Place::Same => v,
        };
        let rules = field_rules(&field.attrs)?;
        if let Some(rule_checks) = value_checks(&rules, &value, &field.ty)? {
            let checked = place(
                quote!((|| -> ::std::result::Result<(), ::jero::validate::Violation> {
                #rule_checks
                ::std::result::Result::Ok(())
            })()),
            );
            checks.push(quote!(#checked?;));
        }
        let nested = place(quote!((&&::jero::validate::Field(#value)).check_field()));
        checks.push(quote_spanned! {field.ty.span()=> #nested?; });
    }
    Ok(checks)
}

/// Where a field's violations sit in its holder's path.
enum Place {
    /// Under the field's wire name.
    Field(String),
    /// At an index (a tuple's item).
    Index(usize),
    /// Where the holder is (flattened, transparent, a newtype's field).
    Same,
}

/// The checks of `rules` on `value` (a reference), each failing with a
/// path-less violation; `None` when there are none.
fn value_checks(rules: &Rules, value: &TokenStream2, ty: &Type) -> syn::Result<Option<TokenStream2>> {
    let v = quote!(::jero::validate);
    let fail = quote!(.map_err(|__r| #v::Violation::new("", __r))?;);
    let mut out = Vec::new();
    if rules.required {
        out.push(quote_spanned!(ty.span()=> #v::check_required(#value)#fail));
    }
    if let Some(b) = &rules.length {
        let (min, max, equal) = (usize_bound(&b.min), usize_bound(&b.max), usize_bound(&b.equal));
        out.push(quote_spanned!(ty.span()=> #v::check_length(#value, #min, #max, #equal)#fail));
    }
    if let Some(b) = &rules.range {
        if let Some(e) = &b.equal {
            return Err(syn::Error::new(
                e.span(),
                "`range` takes `min` and `max`, not `equal`: write `range(min = n, max = n)` for one value",
            ));
        }
        let (min, max) = (num_bound(&b.min), num_bound(&b.max));
        out.push(quote_spanned!(ty.span()=> #v::check_range(#value, #min, #max)#fail));
    }
    if let Some(p) = &rules.pattern {
        check_regex(p)?;
        out.push(quote_spanned! {ty.span()=>
            {
                static __PATTERN: #v::Pattern = #v::Pattern::new(#p);
                #v::check_pattern(#value, &__PATTERN)#fail
            }
        });
    }
    if let Some(c) = &rules.contains {
        out.push(quote_spanned!(ty.span()=> #v::check_contains(#value, #c)#fail));
    }
    for check in &rules.formats {
        out.push(quote_spanned!(ty.span()=> #v::#check(#value)#fail));
    }
    if let Some(inner) = &rules.inner {
        if inner.required {
            return Err(syn::Error::new(
                ty.span(),
                "`required` does not apply inside `inner(..)`: the items of a list are always there; \
                 put `required` on the field itself, or remove it",
            ));
        }
        let item_ty: Type = syn::parse_quote!(_);
        if let Some(item_checks) = value_checks(inner, &quote!(__item), &item_ty)? {
            out.push(quote_spanned! {ty.span()=>
                #v::check_items(#value, |__item| {
                    #item_checks
                    ::std::result::Result::Ok(())
                })?;
            });
        }
    }
    Ok((!out.is_empty()).then(|| quote!(#(#out)*)))
}

fn usize_bound(e: &Option<Expr>) -> TokenStream2 {
    match e {
        Some(e) => quote!(::std::option::Option::Some((#e) as usize)),
        None => quote!(::std::option::Option::None),
    }
}

/// A `range` bound as a `Num`: an integer literal exactly (any size), a
/// float literal as `f64`, anything else through `Num::from`.
fn num_bound(e: &Option<Expr>) -> TokenStream2 {
    let Some(e) = e else {
        return quote!(::std::option::Option::None);
    };
    let (negative, lit) = match e {
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => match &*u.expr {
            Expr::Lit(l) => (true, Some(&l.lit)),
            _ => (false, None),
        },
        Expr::Lit(l) => (false, Some(&l.lit)),
        _ => (false, None),
    };
    let sign = if negative { quote!(-) } else { quote!() };
    let num = match lit {
        Some(Lit::Int(i)) => {
            let exact = syn::LitInt::new(&format!("{}i128", i.base10_digits()), i.span());
            quote!(::jero::validate::Num::Int(#sign #exact))
        }
        Some(Lit::Float(f)) => quote!(::jero::validate::Num::Float((#sign #f) as f64)),
        _ => quote!(::jero::validate::Num::from(#e)),
    };
    quote!(::std::option::Option::Some(#num))
}

/// A pattern is a string literal that compiles as a Rust `regex` (with the
/// run time's own limits): it never fails on a request.
fn check_regex(p: &Expr) -> syn::Result<()> {
    match p {
        Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => match regex::Regex::new(&s.value()) {
            Ok(_) => Ok(()),
            Err(e @ regex::Error::CompiledTooBig(_)) => Err(syn::Error::new(
                s.span(),
                format!(
                    "pattern too large (simplify it: a counted repetition inside another, \
                     like `(\\w{{100}}){{100}}`, multiplies its size): {e}"
                ),
            )),
            Err(e) => Err(syn::Error::new(s.span(), format!("invalid pattern: {e}"))),
        },
        other => Err(syn::Error::new(
            other.span(),
            "a contract's pattern is a string literal, so that it is compiled (and refused if \
             invalid) when the contract is",
        )),
    }
}

/// The constraints of a field's `#[schemars(..)]` attributes.
fn field_rules(attrs: &[syn::Attribute]) -> syn::Result<Rules> {
    let mut rules = Rules::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("schemars")) {
        attr.parse_nested_meta(|meta| read_rule(&mut rules, meta))?;
    }
    Ok(rules)
}

fn read_rule(rules: &mut Rules, meta: syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    let name = meta.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
    match name.as_str() {
        "length" => rules.length = Some(read_bounds(&meta)?),
        "range" => rules.range = Some(read_bounds(&meta)?),
        "pattern" => {
            let content;
            syn::parenthesized!(content in meta.input);
            rules.pattern = Some(content.parse()?);
        }
        "regex" => {
            meta.parse_nested_meta(|m| {
                if m.path.is_ident("pattern") {
                    rules.pattern = Some(m.value()?.parse()?);
                    Ok(())
                } else {
                    Err(m.error("expected `pattern = ..`"))
                }
            })?;
        }
        "contains" => {
            let content;
            syn::parenthesized!(content in meta.input);
            // `contains("-")`, or the validator crate's `contains(pattern = "-")`.
            if content.peek(syn::Ident) && content.peek2(syn::Token![=]) {
                let key: syn::Ident = content.parse()?;
                if key != "pattern" {
                    return Err(syn::Error::new(key.span(), "expected `pattern = ..`"));
                }
                content.parse::<syn::Token![=]>()?;
            }
            rules.contains = Some(content.parse()?);
        }
        "email" | "url" | "ip" | "ipv4" | "ipv6" => rules.formats.push(format_ident!("check_{}", name)),
        "required" => rules.required = true,
        "inner" => {
            let mut inner = Rules::default();
            meta.parse_nested_meta(|m| read_rule(&mut inner, m))?;
            rules.inner = Some(Box::new(inner));
        }
        // Everything else (`with`, `description`, `example`, ...) shapes
        // the schema, not the value: skip its value.
        _ => skip_value(&meta)?,
    }
    Ok(())
}

fn read_bounds(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Bounds> {
    let mut b = Bounds::default();
    meta.parse_nested_meta(|m| {
        let value: Expr = m.value()?.parse()?;
        // schemars also takes a bound written as a string literal.
        let value = match value {
            Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => s.parse()?,
            v => v,
        };
        if m.path.is_ident("min") {
            b.min = Some(value);
        } else if m.path.is_ident("max") {
            b.max = Some(value);
        } else if m.path.is_ident("equal") {
            b.equal = Some(value);
        } else {
            return Err(m.error("expected `min`, `max` or `equal`"));
        }
        Ok(())
    })?;
    Ok(b)
}

/// Consumes the value of an attribute item (`= expr` or `(..)`), so that
/// parsing goes on past it.
pub(crate) fn skip_value(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let _: Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _content;
        syn::parenthesized!(_content in meta.input);
        let _: TokenStream2 = _content.parse()?;
    }
    Ok(())
}

/// `#[validate(..)]` and `#[garde(..)]` constraints are documented by
/// schemars but would not be checked here: refused, with what to write.
fn forbid_foreign_constraints(attrs: &[syn::Attribute]) -> syn::Result<()> {
    for attr in attrs {
        for foreign in ["validate", "garde"] {
            if attr.path().is_ident(foreign) {
                return Err(syn::Error::new(
                    attr.span(),
                    format!(
                        "a contract's constraints are written as #[schemars(..)] (e.g. \
                         #[schemars(length(min = 1))]), which jero checks after binding and \
                         documents; #[{foreign}(..)] would be documented but not checked"
                    ),
                ));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// serde names

#[derive(Clone, Copy, PartialEq)]
enum RenameTarget {
    Field,
    Variant,
}

/// The name serde reads a field (or variant) under: its `rename` (the
/// deserialize one), else the container's rule applied to its name.
fn wire_name(attrs: &[syn::Attribute], name: &str, rule: Option<&str>, target: RenameTarget) -> String {
    if let Some(renamed) = serde_str(attrs, "rename") {
        return renamed;
    }
    match rule {
        Some(rule) => apply_rule(rule, name, target),
        None => name.to_owned(),
    }
}

/// serde's `rename_all` rules (`serde_derive`'s `RenameRule`), for a
/// field (written in `snake_case`) or a variant (in `PascalCase`).
fn apply_rule(rule: &str, name: &str, target: RenameTarget) -> String {
    let pascal_field = || crate::camel(name);
    let lower_first = |s: String| match s.chars().next() {
        Some(first) => first.to_ascii_lowercase().to_string() + &s[first.len_utf8()..],
        None => s,
    };
    let snake_variant = || {
        let mut out = String::new();
        for (i, ch) in name.char_indices() {
            if i > 0 && ch.is_uppercase() {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        }
        out
    };
    match (target, rule) {
        (RenameTarget::Field, "lowercase" | "snake_case") => name.to_owned(),
        (RenameTarget::Field, "UPPERCASE" | "SCREAMING_SNAKE_CASE") => name.to_ascii_uppercase(),
        (RenameTarget::Field, "PascalCase") => pascal_field(),
        (RenameTarget::Field, "camelCase") => lower_first(pascal_field()),
        (RenameTarget::Field, "kebab-case") => name.replace('_', "-"),
        (RenameTarget::Field, "SCREAMING-KEBAB-CASE") => name.to_ascii_uppercase().replace('_', "-"),
        (RenameTarget::Variant, "PascalCase") => name.to_owned(),
        (RenameTarget::Variant, "lowercase") => name.to_ascii_lowercase(),
        (RenameTarget::Variant, "UPPERCASE") => name.to_ascii_uppercase(),
        (RenameTarget::Variant, "camelCase") => lower_first(name.to_owned()),
        (RenameTarget::Variant, "snake_case") => snake_variant(),
        (RenameTarget::Variant, "SCREAMING_SNAKE_CASE") => snake_variant().to_ascii_uppercase(),
        (RenameTarget::Variant, "kebab-case") => snake_variant().replace('_', "-"),
        (RenameTarget::Variant, "SCREAMING-KEBAB-CASE") => {
            snake_variant().to_ascii_uppercase().replace('_', "-")
        }
        _ => name.to_owned(),
    }
}

/// The string of `#[serde(key = "..")]`, or of
/// `#[serde(key(deserialize = ".."))]`.
fn serde_str(attrs: &[syn::Attribute], key: &str) -> Option<String> {
    let mut found = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(key) {
                if meta.input.peek(syn::Token![=]) {
                    let s: syn::LitStr = meta.value()?.parse()?;
                    found = Some(s.value());
                } else if meta.input.peek(syn::token::Paren) {
                    meta.parse_nested_meta(|m| {
                        let s: syn::LitStr = m.value()?.parse()?;
                        if m.path.is_ident("deserialize") {
                            found = Some(s.value());
                        }
                        Ok(())
                    })?;
                }
                return Ok(());
            }
            skip_value(&meta)
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rename_rules_are_serdes() {
        let f = |rule| apply_rule(rule, "price_cents", RenameTarget::Field);
        assert_eq!(f("camelCase"), "priceCents");
        assert_eq!(f("PascalCase"), "PriceCents");
        assert_eq!(f("kebab-case"), "price-cents");
        assert_eq!(f("SCREAMING_SNAKE_CASE"), "PRICE_CENTS");
        assert_eq!(f("SCREAMING-KEBAB-CASE"), "PRICE-CENTS");
        assert_eq!(f("UPPERCASE"), "PRICE_CENTS");
        assert_eq!(f("lowercase"), "price_cents");
        assert_eq!(f("snake_case"), "price_cents");
        // serde keeps a field's own case where the rule does not change it.
        assert_eq!(
            apply_rule("lowercase", "userName", RenameTarget::Field),
            "userName"
        );
        assert_eq!(
            apply_rule("kebab-case", "userName", RenameTarget::Field),
            "userName"
        );
        let v = |rule| apply_rule(rule, "TextChunk", RenameTarget::Variant);
        assert_eq!(v("snake_case"), "text_chunk");
        assert_eq!(v("camelCase"), "textChunk");
        assert_eq!(v("kebab-case"), "text-chunk");
        assert_eq!(v("lowercase"), "textchunk");
        assert_eq!(v("SCREAMING_SNAKE_CASE"), "TEXT_CHUNK");
        assert_eq!(
            apply_rule("kebab-case", "Foo_Bar", RenameTarget::Variant),
            "foo--bar"
        );
    }
}
