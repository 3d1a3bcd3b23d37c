//! Procedural macros for [jero](https://docs.rs/jero). Use them through the
//! `jero` crate (`#[jero::resource]`, `#[jero::endpoint]`, `#[jero::contract]`).

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{parse_macro_input, FnArg, ImplItem, ItemImpl, LitStr, Pat, ReturnType, Type};

mod validate;

/// The operations a resource may define, with their HTTP method, whether the
/// method takes a request body, and whether it addresses one item.
const RESOURCE_OPS: &[(&str, &str, bool)] = &[
    ("create", "Post", true),
    ("read_many", "Get", false),
    ("read_one", "Get", false),
    ("update", "Put", true),
    ("partial_update", "Patch", true),
    ("delete", "Delete", false),
];

const ENDPOINT_VERBS: &[(&str, &str, bool)] = &[
    ("get", "Get", false),
    ("post", "Post", true),
    ("put", "Put", true),
    ("patch", "Patch", true),
    ("delete", "Delete", false),
];

/// The argument names a handler may declare, and what each binds.
const ARG_NAMES: &str = "path, params, headers, cookies, raw_headers, user, json, content, form";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Resource,
    Endpoint,
}

/// Marks an impl block as a jero resource mounted at `path`.
///
/// Methods named `create`, `read_many`, `read_one`, `update`,
/// `partial_update` and `delete` become POST, GET (collection), GET (item),
/// PUT, PATCH and DELETE. See the `jero` crate docs.
#[proc_macro_attribute]
pub fn resource(args: TokenStream, input: TokenStream) -> TokenStream {
    expand(Kind::Resource, args, input)
}

/// Marks an impl block as a jero endpoint at exactly `path`; its methods
/// are the verbs `get`, `post`, `put`, `patch`, `delete`.
#[proc_macro_attribute]
pub fn endpoint(args: TokenStream, input: TokenStream) -> TokenStream {
    expand(Kind::Endpoint, args, input)
}

fn expand(kind: Kind, args: TokenStream, input: TokenStream) -> TokenStream {
    let mut path: Option<LitStr> = None;
    let mut tag: Option<LitStr> = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("path") {
            path = Some(meta.value()?.parse()?);
            Ok(())
        } else if meta.path.is_ident("tag") {
            tag = Some(meta.value()?.parse()?);
            Ok(())
        } else {
            Err(meta.error("unknown argument; expected `path = \"/...\"` (and optionally `tag = \"...\"`)"))
        }
    });
    parse_macro_input!(args with parser);
    let item = parse_macro_input!(input as ItemImpl);
    let (what, article) = match kind {
        Kind::Resource => ("resource", "a"),
        Kind::Endpoint => ("endpoint", "an"),
    };
    let Some(path) = path else {
        return syn::Error::new(
            Span::call_site(),
            format!("{article} {what} needs its path: #[jero::{what}(path = \"/widgets\")]"),
        )
        .to_compile_error()
        .into();
    };
    match expand_impl(kind, &path, tag.as_ref(), &item) {
        Ok(extra) => quote!(#item #extra).into(),
        Err(e) => {
            let err = e.to_compile_error();
            quote!(#item #err).into()
        }
    }
}

struct Arg {
    name: String,
    ty: Type,
    span: Span,
}

fn expand_impl(
    kind: Kind,
    path: &LitStr,
    tag: Option<&LitStr>,
    item: &ItemImpl,
) -> syn::Result<TokenStream2> {
    if let Some((_, trait_path, _)) = &item.trait_ {
        return Err(syn::Error::new(
            trait_path.span(),
            "#[jero::resource] and #[jero::endpoint] go on an inherent impl block, not a trait impl",
        ));
    }
    if !item.generics.params.is_empty() {
        return Err(syn::Error::new(
            item.generics.span(),
            "a jero resource or endpoint cannot be generic; wrap the generic type in a concrete one",
        ));
    }
    let self_ty = &item.self_ty;
    let table = match kind {
        Kind::Resource => RESOURCE_OPS,
        Kind::Endpoint => ENDPOINT_VERBS,
    };
    let mut ops = Vec::new();
    let mut users: Vec<(String, Type)> = Vec::new();
    let mut errors: Option<syn::Error> = None;
    let mut push_err = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    for it in &item.items {
        let ImplItem::Fn(f) = it else { continue };
        let name = f.sig.ident.to_string();
        let Some(&(_, method, body_allowed)) = table.iter().find(|(n, _, _)| *n == name) else {
            let names: Vec<&str> = table.iter().map(|(n, _, _)| *n).collect();
            let msg = match (kind, name.as_str()) {
                (Kind::Endpoint, "head") => "`head` is answered by the framework: HEAD is served from \
                     the GET handler, without the body. Remove the method"
                    .to_owned(),
                (Kind::Endpoint, "options") => "`options` is answered by the framework: OPTIONS is 204 \
                     with `Allow`, the route's methods. Remove the method"
                    .to_owned(),
                (Kind::Resource, _) => format!(
                    "`{name}` is not a resource operation; a resource's methods must be named one of {}. \
                     Move helper methods to a separate impl block, or use #[jero::endpoint] for other routes",
                    names.join(", ")
                ),
                (Kind::Endpoint, _) => format!(
                    "`{name}` is not an HTTP verb; an endpoint's methods must be named one of {}. \
                     Move helper methods to a separate impl block",
                    names.join(", ")
                ),
            };
            push_err(syn::Error::new(f.sig.ident.span(), msg));
            continue;
        };
        match operation(kind, self_ty, f, &name, method, body_allowed) {
            Ok((op, user)) => {
                ops.push(op);
                users.extend(user.map(|ty| (name, ty)));
            }
            Err(e) => push_err(e),
        }
    }
    if let Some(e) = errors {
        return Err(e);
    }
    let trait_name = match kind {
        Kind::Resource => quote!(::jero::Resource),
        Kind::Endpoint => quote!(::jero::Endpoint),
    };
    let users = users_impls(self_ty, &users)?;
    let tag_value = match tag {
        Some(t) => quote!(::std::option::Option::Some(#t)),
        None => quote!(::std::option::Option::None),
    };
    Ok(quote! {
        impl #trait_name for #self_ty {
            const PATH: &'static str = #path;
            const TAG: ::std::option::Option<&'static str> = #tag_value;
            fn operations<__G: ::jero::__private::Gate<Self>>(
            ) -> ::std::vec::Vec<::jero::__private::OperationDef<Self, __G>> {
                ::std::vec![#(#ops),*]
            }
        }
        #users
    })
}

/// The `user` type of an impl block's handlers, as the `Users`, `Public`
/// and `AcceptsUser` impls: one authenticator serves the whole resource or
/// endpoint, so every handler that declares `user` declares the same type.
fn users_impls(self_ty: &Type, users: &[(String, Type)]) -> syn::Result<TokenStream2> {
    let p = quote!(::jero::__private);
    let Some((first_name, first)) = users.first() else {
        return Ok(quote! {
            impl #p::Users for #self_ty {
                type User = ();
            }
            impl #p::Public for #self_ty {}
            impl<__U> #p::AcceptsUser<__U> for #self_ty {
                #[inline]
                fn accept(_: __U) -> ::std::option::Option<()> {
                    ::std::option::Option::None
                }
            }
        });
    };
    let shown = |t: &Type| quote!(#t).to_string().replace(' ', "");
    // Compared by their last path segment, so `User` and `crate::User`
    // agree here; two different types that share a name still fail to
    // compile, where the handler binds its `user`.
    let last = |t: &Type| {
        match t {
            Type::Path(p) => p
                .path
                .segments
                .last()
                .map(|s| quote!(#s).to_string().replace(' ', "")),
            _ => None,
        }
        .unwrap_or_else(|| shown(t))
    };
    if let Some((name, other)) = users.iter().find(|(_, t)| last(t) != last(first)) {
        return Err(syn::Error::new(
            other.span(),
            format!(
                "`{name}` declares `user: {}` but `{first_name}` declares `user: {}`; one authenticator \
                 serves every operation here, so declare the same type in both",
                shown(other),
                shown(first)
            ),
        ));
    }
    Ok(quote! {
        impl #p::Users for #self_ty {
            type User = #first;
        }
        impl #p::AcceptsUser<#first> for #self_ty {
            #[inline]
            fn accept(user: #first) -> ::std::option::Option<#first> {
                ::std::option::Option::Some(user)
            }
        }
    })
}

fn operation(
    kind: Kind,
    self_ty: &Type,
    f: &syn::ImplItemFn,
    name: &str,
    method: &str,
    body_allowed: bool,
) -> syn::Result<(TokenStream2, Option<Type>)> {
    let sig = &f.sig;
    let ident = &sig.ident;
    match sig.inputs.first() {
        Some(FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_none() => {}
        _ => {
            return Err(syn::Error::new(
                sig.span(),
                format!("`{name}` must take `&self` as its first argument (handlers share the instance)"),
            ))
        }
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new(
            sig.generics.span(),
            format!("`{name}` cannot be generic"),
        ));
    }
    let mut args: Vec<Arg> = Vec::new();
    for input in sig.inputs.iter().skip(1) {
        let FnArg::Typed(pt) = input else { continue };
        let Pat::Ident(pi) = &*pt.pat else {
            return Err(syn::Error::new(
                pt.pat.span(),
                format!("bind handler arguments by plain name (one of {ARG_NAMES}), not by pattern"),
            ));
        };
        let arg_name = pi.ident.to_string();
        let arg_name = arg_name.trim_start_matches('_').to_owned();
        if !ARG_NAMES.split(", ").any(|n| n == arg_name) {
            return Err(syn::Error::new(
                pi.ident.span(),
                format!(
                    "unknown argument `{}` in `{name}`: handler arguments bind by name; \
                     rename it to one of {ARG_NAMES}",
                    pi.ident
                ),
            ));
        }
        if args.iter().any(|a| a.name == arg_name) {
            return Err(syn::Error::new(
                pi.ident.span(),
                format!("`{arg_name}` is declared twice"),
            ));
        }
        args.push(Arg {
            name: arg_name,
            ty: (*pt.ty).clone(),
            span: pi.ident.span(),
        });
    }
    let bodies: Vec<&Arg> = args
        .iter()
        .filter(|a| matches!(a.name.as_str(), "json" | "content" | "form"))
        .collect();
    if bodies.len() > 1 {
        return Err(syn::Error::new(
            bodies[1].span,
            format!(
                "`{name}` declares both `{}` and `{}`; a request has one body: keep only one of json, content, form",
                bodies[0].name, bodies[1].name
            ),
        ));
    }
    if let Some(b) = bodies.first() {
        if !body_allowed {
            let verb = method.to_uppercase();
            return Err(syn::Error::new(
                b.span,
                format!(
                    "`{name}` answers {verb}, which takes no request body: remove the `{}` argument \
                     (read input from `params` or `path` instead)",
                    b.name
                ),
            ));
        }
    }

    let mut binds = Vec::new();
    // The path is part of routing: a slot that names no resource is 404
    // before credentials are asked for.
    let mut path_bind = None;
    // The same check for `before_body`: a refusal, or on.
    let mut path_check = None;
    let mut call_args = Vec::new();
    let mut spec = Vec::new();
    let mut user_ty = None;
    for a in &args {
        let var = format_ident!("{}", a.name);
        let ty = &a.ty;
        if a.name == "user" {
            // Handed over by the authenticator, bound before everything else.
            user_ty = Some(ty.clone());
            binds.insert(
                0,
                quote_spanned! {a.span=>
                    let #var: #ty = match __user {
                        ::std::option::Option::Some(v) => v,
                        ::std::option::Option::None => return ::jero::__private::missing_user(__cx),
                    };
                },
            );
            call_args.push(quote!(#var));
            spec.push(quote!(user: ::std::option::Option::Some(::jero::__private::no_contract)));
            continue;
        }
        let binder = format_ident!("bind_{}", a.name);
        let bind = quote_spanned! {a.span=>
            let #var: #ty = match ::jero::__private::#binder::<#ty>(__cx) {
                ::std::result::Result::Ok(v) => v,
                ::std::result::Result::Err(e) => return __cx.reject(e),
            };
        };
        match a.name.as_str() {
            "path" => {
                path_bind = Some(bind);
                path_check = Some(quote_spanned! {a.span=>
                    if let ::std::result::Result::Err(e) = ::jero::__private::bind_path::<#ty>(__cx) {
                        return ::std::result::Result::Err(__cx.reject(e));
                    }
                });
            }
            _ => binds.push(bind),
        }
        call_args.push(quote!(#var));
        let field = format_ident!("{}", a.name);
        let describe = match a.name.as_str() {
            "path" | "params" | "headers" | "cookies" | "json" | "form" => {
                quote!(::std::option::Option::Some(::jero::__private::contract_info::<#ty>))
            }
            _ => quote!(::std::option::Option::Some(::jero::__private::no_contract)),
        };
        spec.push(quote!(#field: #describe));
    }
    let ret: Type = match &sig.output {
        ReturnType::Default => syn::parse_quote!(()),
        ReturnType::Type(_, t) => (**t).clone(),
    };
    let call = if sig.asyncness.is_some() {
        quote!(__this.#ident(#(#call_args),*).await)
    } else {
        quote!(__this.#ident(#(#call_args),*))
    };
    let method_ident = format_ident!("{}", method);
    let op_kind = match kind {
        Kind::Resource => {
            let v = format_ident!("{}", camel(name));
            quote!(::jero::__private::OpKind::#v)
        }
        Kind::Endpoint => quote!(::jero::__private::OpKind::Verb(::jero::__private::Method::#method_ident)),
    };
    let ret_span = ret.span();
    let respond = quote_spanned! {ret_span=>
        ::jero::__private::respond::<#ret>(__out, __cx)
    };
    let unused_user = user_ty.is_none().then(|| quote!(let _ = __user;));
    let p = quote!(::jero::__private);
    let doc = doc_comment(&f.attrs);
    let body = quote! {
        #unused_user
        #(#binds)*
        let __out: #ret = #call;
        #respond
    };
    // Two handlers from one body: behind an authenticator the gate runs
    // first, inside the same future; a public route's handler has no trace
    // of it (`operations` picks one per gate, at wiring).
    let op = quote! {
        {
            fn __jero_gated<'a, __G: #p::Gate<#self_ty>>(
                __this: &'a #self_ty,
                __gate: &'a __G,
                __cx: &'a #p::RequestCx<'a>,
            ) -> #p::BoxFuture<'a> {
                ::std::boxed::Box::pin(async move {
                    #path_bind
                    // Authentication next: after routing (the path
                    // included), before any other binding.
                    let __user = match #p::pass_gate::<#self_ty, __G>(__gate, __cx).await {
                        ::std::result::Result::Ok(user) => user,
                        ::std::result::Result::Err(refused) => return refused,
                    };
                    #body
                })
            }
            fn __jero_public<'a, __G>(
                __this: &'a #self_ty,
                _: &'a __G,
                __cx: &'a #p::RequestCx<'a>,
            ) -> #p::BoxFuture<'a> {
                ::std::boxed::Box::pin(async move {
                    #path_bind
                    let __user: ::std::option::Option<<#self_ty as #p::Users>::User> =
                        ::std::option::Option::None;
                    #body
                })
            }
            // Before the body is read (over a socket, when it has not
            // arrived with the head): the path, then the gate, in the
            // handler's order.
            fn __jero_before_body<'a, __G: #p::Gate<#self_ty>>(
                _: &'a #self_ty,
                __gate: &'a __G,
                __cx: &'a #p::RequestCx<'a>,
            ) -> #p::BeforeBody<'a> {
                ::std::boxed::Box::pin(async move {
                    #path_check
                    #p::pass_gate_before_body::<#self_ty, __G>(__gate, __cx).await
                })
            }
            #p::OperationDef::<Self, __G> {
                kind: #op_kind,
                method_name: #name,
                args: #p::ArgSpec {
                    #(#spec,)*
                    ..#p::ArgSpec::NONE
                },
                responses: #p::describe_responses::<#ret>,
                doc: #doc,
                before_body: __jero_before_body::<__G>,
                handler: if <__G as #p::Gate<Self>>::PUBLIC {
                    __jero_public::<__G>
                } else {
                    __jero_gated::<__G>
                },
            }
        }
    };
    Ok((op, user_ty))
}

/// The argument names an authenticator's `authenticate` may declare.
const AUTH_ARG_NAMES: &[&str] = &["headers", "cookies", "raw_headers"];

/// Marks an impl block as a jero authenticator. Its one method,
/// `async fn authenticate(&self, ...) -> Result<User, E>`, binds `headers`,
/// `cookies` and `raw_headers` by name, like a handler; returning
/// `Result<Option<User>, E>` admits anonymous callers. See `jero::auth`.
#[proc_macro_attribute]
pub fn authenticator(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut bearer = false;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("scheme") {
            let v: LitStr = meta.value()?.parse()?;
            if v.value().eq_ignore_ascii_case("bearer") {
                bearer = true;
                Ok(())
            } else {
                Err(syn::Error::new(v.span(), "the only scheme jero documents is `bearer` (an `Authorization: Bearer` header); leave it out for API keys"))
            }
        } else {
            Err(meta.error("unknown argument; expected `scheme = \"bearer\"`, or nothing"))
        }
    });
    parse_macro_input!(args with parser);
    let item = parse_macro_input!(input as ItemImpl);
    match expand_authenticator(&item, bearer) {
        Ok(extra) => quote!(#item #extra).into(),
        Err(e) => {
            let err = e.to_compile_error();
            quote!(#item #err).into()
        }
    }
}

fn expand_authenticator(item: &ItemImpl, bearer: bool) -> syn::Result<TokenStream2> {
    const SHAPE: &str = "an authenticator has one method, \
        `async fn authenticate(&self, headers: H) -> Result<User, E>` \
        (or `Result<Option<User>, E>` to admit anonymous callers)";
    if let Some((_, trait_path, _)) = &item.trait_ {
        return Err(syn::Error::new(
            trait_path.span(),
            "#[jero::authenticator] goes on an inherent impl block, not a trait impl",
        ));
    }
    if !item.generics.params.is_empty() {
        return Err(syn::Error::new(
            item.generics.span(),
            "a jero authenticator cannot be generic; wrap the generic type in a concrete one",
        ));
    }
    let mut found = None;
    for it in &item.items {
        let ImplItem::Fn(f) = it else { continue };
        if f.sig.ident != "authenticate" {
            return Err(syn::Error::new(
                f.sig.ident.span(),
                format!(
                    "`{}` is not `authenticate`; {SHAPE}. Move helper methods to a separate impl block",
                    f.sig.ident
                ),
            ));
        }
        found = Some(f);
    }
    let Some(f) = found else {
        return Err(syn::Error::new(
            item.self_ty.span(),
            format!("no `authenticate` method: {SHAPE}"),
        ));
    };
    let sig = &f.sig;
    match sig.inputs.first() {
        Some(FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_none() => {}
        _ => {
            return Err(syn::Error::new(
                sig.span(),
                "`authenticate` must take `&self` as its first argument (one instance serves every request)",
            ))
        }
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new(
            sig.generics.span(),
            "`authenticate` cannot be generic",
        ));
    }
    let mut binds = Vec::new();
    let mut call_args = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let ReturnType::Type(_, ret) = &sig.output else {
        return Err(syn::Error::new(
            sig.span(),
            format!("`authenticate` returns nothing; {SHAPE}"),
        ));
    };
    let (user, error) = result_args(ret).ok_or_else(|| {
        syn::Error::new(
            ret.span(),
            format!("`authenticate` must return a Result: {SHAPE}"),
        )
    })?;
    let optional = last_ident_is(user, "Option");
    // Behind an optional authenticator, credentials that do not bind and
    // that the request does not carry at all are an anonymous caller.
    let on_absent = if optional {
        quote! {
            if __absent() {
                return ::std::result::Result::Ok(::std::option::Option::None);
            }
        }
    } else {
        quote!()
    };
    let mut credentials = Vec::new();
    let mut credential_args: Vec<(syn::Type, bool)> = Vec::new();
    for input in sig.inputs.iter().skip(1) {
        let FnArg::Typed(pt) = input else { continue };
        let name = match &*pt.pat {
            Pat::Ident(pi) => pi.ident.to_string().trim_start_matches('_').to_owned(),
            other => {
                return Err(syn::Error::new(
                    other.span(),
                    "bind the authenticator's arguments by plain name (headers, cookies, raw_headers), not by pattern",
                ))
            }
        };
        if !AUTH_ARG_NAMES.contains(&name.as_str()) {
            return Err(syn::Error::new(
                pt.pat.span(),
                format!(
                    "unknown argument `{name}` in `authenticate`: an authenticator reads credentials, so its \
                     arguments are one or more of {}",
                    AUTH_ARG_NAMES.join(", ")
                ),
            ));
        }
        if seen.contains(&name) {
            return Err(syn::Error::new(
                pt.pat.span(),
                format!("`{name}` is declared twice"),
            ));
        }
        seen.push(name.clone());
        let ty = &pt.ty;
        match name.as_str() {
            "headers" => credentials.push(quote! {
                __creds.extend(::jero::__private::credentials_of(
                    &::jero::__private::contract_info::<#ty>(generator), true,
                ));
            }),
            "cookies" => credentials.push(quote! {
                __creds.extend(::jero::__private::credentials_of(
                    &::jero::__private::contract_info::<#ty>(generator), false,
                ));
            }),
            _ => {}
        }
        let var = format_ident!("{}", name);
        let binder = format_ident!("bind_{}", name);
        let ty = &pt.ty;
        if name != "raw_headers" {
            credential_args.push(((**ty).clone(), name == "headers"));
        }
        // Credentials that do not bind are a 401, not a 400; behind an
        // optional authenticator, none sent at all is an anonymous caller
        // (`absent`, built below once every argument is known).
        binds.push(quote_spanned! {pt.ty.span()=>
            let #var: #ty = match ::jero::__private::#binder::<#ty>(__cx) {
                ::std::result::Result::Ok(v) => v,
                ::std::result::Result::Err(_) => {
                    #on_absent
                    return ::std::result::Result::Err(::jero::__private::credentials_missing(__cx))
                }
            };
        });
        call_args.push(quote!(#var));
    }
    // Whether every credential argument finds nothing of its own in the
    // request (only asked for behind an optional authenticator).
    let absent_checks = credential_args
        .iter()
        .map(|(ty, headers)| quote!(::jero::__private::credentials_absent::<#ty>(__cx, #headers)));
    let challenge = match bearer {
        true => quote!(::std::option::Option::Some(&::jero::__private::BEARER_CHALLENGE)),
        false => quote!(::std::option::Option::None),
    };
    let absent = match optional {
        true => quote!(let __absent = || true #(&& #absent_checks)*;),
        false => quote!(),
    };
    let call = if sig.asyncness.is_some() {
        quote!(self.authenticate(#(#call_args),*).await)
    } else {
        quote!(self.authenticate(#(#call_args),*))
    };
    let self_ty = &item.self_ty;
    let p = quote!(::jero::__private);
    let name_str = quote!(#self_ty).to_string().replace(' ', "");
    let name_str = name_str.rsplit("::").next().unwrap_or(&name_str).to_owned();
    Ok(quote! {
        impl #p::Authenticator for #self_ty {
            type User = #user;
            const OPTIONAL: bool = #optional;
            const CHALLENGE: ::std::option::Option<&'static #p::StaticHeader> = #challenge;

            async fn authenticate_request(
                &self,
                __cx: &#p::RequestCx<'_>,
            ) -> ::std::result::Result<#user, #p::Response> {
                #absent
                #(#binds)*
                match #call {
                    ::std::result::Result::Ok(user) => ::std::result::Result::Ok(user),
                    ::std::result::Result::Err(e) => {
                        ::std::result::Result::Err(#p::respond::<#error>(e, __cx))
                    }
                }
            }

            fn describe(responses: &mut ::jero::Responses<'_>) {
                #p::describe_responses::<#error>(responses)
            }

            fn security_schemes(
                generator: &mut #p::schemars::SchemaGenerator,
            ) -> ::std::vec::Vec<(::std::string::String, #p::serde_json::Value)> {
                let mut __creds: ::std::vec::Vec<#p::Credential> = ::std::vec::Vec::new();
                #(#credentials)*
                let _ = &generator;
                #p::security_schemes(#name_str, #bearer, &__creds)
            }
        }
    })
}

/// `T` and `E` of a return type spelled `Result<T, E>` (any path ending
/// in `Result`).
fn result_args(ty: &Type) -> Option<(&Type, &Type)> {
    let Type::Path(tp) = ty else { return None };
    let last = tp.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    match (types.next(), types.next(), types.next()) {
        (Some(t), Some(e), None) => Some((t, e)),
        _ => None,
    }
}

/// Whether `ty` is a path whose last segment is `ident` (`Option<User>`,
/// `std::option::Option<User>`).
fn last_ident_is(ty: &Type, ident: &str) -> bool {
    matches!(ty, Type::Path(tp) if tp.path.segments.last().is_some_and(|s| s.ident == ident))
}

/// The `///` doc comment on an item, lines joined, one leading space off.
fn doc_comment(attrs: &[syn::Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|l| l.strip_prefix(' ').unwrap_or(&l).to_owned())
        .collect();
    lines.join("\n")
}

/// `snake_case` as `PascalCase`, as serde's `rename_all` writes it.
fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// Declares a contract: a struct or enum that crosses the wire.
///
/// Expands to serde's `Serialize` and `Deserialize` and schemars'
/// `JsonSchema` derives (through jero's re-exports, so the user's crate
/// needs neither dependency), plus the `jero::Contract` marker. Serde and
/// schemars attributes written after it apply as usual. `#[contract(input)]`
/// derives only `Deserialize`, `#[contract(output)]` only `Serialize`.
#[proc_macro_attribute]
pub fn contract(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut ser = true;
    let mut de = true;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("input") {
            ser = false;
            Ok(())
        } else if meta.path.is_ident("output") {
            de = false;
            Ok(())
        } else {
            Err(meta.error("unknown argument; expected `input` or `output`"))
        }
    });
    parse_macro_input!(args with parser);
    let item = parse_macro_input!(input as syn::DeriveInput);
    // Said once, and the struct still declared (as input), so that its
    // uses do not add errors of their own.
    let part_error = ser.then(|| form_part_in_output(&item)).flatten();
    ser &= part_error.is_none();
    let part_error = part_error.map(|e| e.to_compile_error());
    let name = &item.ident;
    let (impl_g, ty_g, _) = item.generics.split_for_impl();
    let mut derives = vec![quote!(::jero::__private::schemars::JsonSchema)];
    if ser {
        derives.push(quote!(::jero::__private::serde::Serialize));
    }
    if de {
        derives.push(quote!(::jero::__private::serde::Deserialize));
    }
    let write_headers = if ser { header_fast_path(&item) } else { None };
    let json_object = json_object(&item);
    let validate = match de {
        true => match validate::validate_method(&item) {
            Ok(method) => method,
            Err(e) => return e.to_compile_error().into(),
        },
        false => quote!(),
    };
    // A generic contract is one where its schema is (`T: JsonSchema`, as the
    // derive bounds it), without the user spelling the bound out.
    let contract_where = where_with(
        &item.generics,
        quote!(Self: ::jero::__private::schemars::JsonSchema),
    );
    quote! {
        #part_error
        #[derive(#(#derives),*)]
        #[serde(crate = "::jero::__private::serde")]
        #[schemars(crate = "::jero::__private::schemars")]
        #item
        impl #impl_g ::jero::Contract for #name #ty_g #contract_where {
            const __JSON_OBJECT: bool = #json_object;
            #write_headers
            #validate
        }
    }
    .into()
}

/// An error for a field holding a form part (`FilePart`, `FormPart`, in
/// any wrapper) of a contract that would also be serialized: a form is
/// only read, and serde's error ("`FilePart` does not implement
/// `Serialize`") pointed at a type the user does not own.
fn form_part_in_output(item: &syn::DeriveInput) -> Option<syn::Error> {
    fn names_a_part(ty: &Type) -> bool {
        match ty {
            Type::Path(p) => p.path.segments.iter().any(|seg| {
                seg.ident == "FilePart"
                    || seg.ident == "FormPart"
                    || match &seg.arguments {
                        syn::PathArguments::AngleBracketed(args) => args.args.iter().any(|a| match a {
                            syn::GenericArgument::Type(t) => names_a_part(t),
                            _ => false,
                        }),
                        _ => false,
                    }
            }),
            Type::Array(a) => names_a_part(&a.elem),
            Type::Group(g) => names_a_part(&g.elem),
            Type::Paren(p) => names_a_part(&p.elem),
            _ => false,
        }
    }
    let fields: Vec<&syn::Field> = match &item.data {
        syn::Data::Struct(s) => s.fields.iter().collect(),
        syn::Data::Enum(e) => e.variants.iter().flat_map(|v| v.fields.iter()).collect(),
        syn::Data::Union(_) => Vec::new(),
    };
    // A field serde never serializes, or serializes its own way, is fine.
    let serialized = |f: &&syn::Field| {
        !["skip", "skip_serializing", "serialize_with", "with"]
            .iter()
            .any(|flag| has_serde_flag(&f.attrs, flag))
    };
    let field = fields
        .into_iter()
        .filter(serialized)
        .find(|f| names_a_part(&f.ty))?;
    Some(syn::Error::new_spanned(
        &field.ty,
        "a form part is only ever read: declare the form with #[jero::contract(input)]",
    ))
}

/// Whether the type's JSON form is an object: a struct with named fields
/// whose serde attributes do not make it another type's form
/// (`transparent`, `from`, `try_from`, `remote`).
fn json_object(item: &syn::DeriveInput) -> bool {
    let syn::Data::Struct(data) = &item.data else {
        return false;
    };
    matches!(data.fields, syn::Fields::Named(_))
        && serde_metas(&item.attrs, |meta| {
            !["transparent", "from", "try_from", "remote"]
                .iter()
                .any(|k| meta.path.is_ident(k))
        })
}

/// Calls `each` on every item of the `#[serde(..)]` attributes in `attrs`;
/// whether it returned `true` for all and they all parsed.
fn serde_metas(attrs: &[syn::Attribute], mut each: impl FnMut(&syn::meta::ParseNestedMeta) -> bool) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("serde")).all(|a| {
        let mut ok = true;
        let parsed = a.parse_nested_meta(|meta| {
            ok &= each(&meta);
            // Consume any value so parsing goes on.
            validate::skip_value(&meta)
        });
        ok && parsed.is_ok()
    })
}

/// Whether `#[serde(flag)]` is among `attrs`.
fn has_serde_flag(attrs: &[syn::Attribute], flag: &str) -> bool {
    let mut found = false;
    serde_metas(attrs, |meta| {
        found |= meta.path.is_ident(flag);
        true
    });
    found
}

/// The serde wire names of a plain struct's fields: named fields, no
/// generics, and no serde attribute that changes serialization other than
/// a field's `rename = "..."`. `None` otherwise (serde decides at run time).
fn plain_wire_names(item: &syn::DeriveInput) -> Option<Vec<(syn::Ident, String)>> {
    use syn::ext::IdentExt;
    // Attributes that only affect deserialization (or nothing here).
    const HARMLESS: &[&str] = &["default", "deny_unknown_fields", "alias"];
    // `cfg`/`cfg_attr` may remove fields or add serde attributes the macro
    // cannot see: leave such structs to serde.
    let conditional = |attrs: &[syn::Attribute]| {
        attrs
            .iter()
            .any(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr"))
    };
    if !item.generics.params.is_empty() || conditional(&item.attrs) {
        return None;
    }
    let syn::Data::Struct(data) = &item.data else {
        return None;
    };
    let syn::Fields::Named(fields) = &data.fields else {
        return None;
    };
    let plain_struct = serde_metas(&item.attrs, |m| HARMLESS.iter().any(|h| m.path.is_ident(h)));
    if !plain_struct {
        return None;
    }
    let mut names = Vec::new();
    for f in &fields.named {
        if conditional(&f.attrs) {
            return None;
        }
        let ident = f.ident.clone()?;
        let mut wire = ident.unraw().to_string();
        let plain = serde_metas(&f.attrs, |m| {
            if m.path.is_ident("rename") && m.input.peek(syn::Token![=]) {
                let fork = m.input.fork();
                let lit = fork
                    .parse::<syn::Token![=]>()
                    .and_then(|_| fork.parse::<LitStr>());
                match lit {
                    Ok(lit) => {
                        wire = lit.value();
                        true
                    }
                    Err(_) => false,
                }
            } else {
                HARMLESS.iter().any(|h| m.path.is_ident(h))
            }
        });
        if !plain {
            return None;
        }
        names.push((ident, wire));
    }
    Some(names)
}

/// `Contract::__write_headers` and `__write_header_lines` for a plain
/// struct: each field is written as a typed header whose name was computed
/// and checked at compile time.
fn header_fast_path(item: &syn::DeriveInput) -> Option<TokenStream2> {
    let names = plain_wire_names(item)?;
    // The field's header names, as constants, and the trait methods the
    // field's type picks (`ScalarField` for a `HeaderScalar`, else serde).
    let field = |wire: &String| {
        quote! {
            #[allow(unused_imports)]
            use ::jero::__private::{ScalarField as _, SerdeField as _};
            const KEY: &str = #wire;
            const LEN: usize = ::jero::__private::header_name_len(KEY);
            const NAME: [u8; LEN] = ::jero::__private::header_name(KEY);
            const PREFIX: [u8; LEN + 2] = ::jero::__private::line_prefix(KEY);
            const FIELD: ::jero::__private::FieldHeader = ::jero::__private::FieldHeader::new(KEY, &NAME, &PREFIX);
        }
    };
    let writes = names.iter().map(|(ident, wire)| {
        let field = field(wire);
        quote! {
            {
                #field
                let written = (&&::jero::__private::HeaderField(&self.#ident)).write_field(res, &FIELD);
                content_type |= FIELD.content_type && written;
            }
        }
    });
    let lines = names.iter().map(|(ident, wire)| {
        let field = field(wire);
        quote! {
            && {
                #field
                (&&::jero::__private::HeaderField(&self.#ident)).write_line(lines, &FIELD)
            }
        }
    });
    let possible = names.iter().map(|(ident, wire)| {
        let field = field(wire);
        quote! {
            && {
                #field
                (&&::jero::__private::HeaderField(&self.#ident)).line_possible(&FIELD)
            }
        }
    });
    let content_types = names.iter().map(|(_, wire)| {
        let field = field(wire);
        quote!(|| { #field FIELD.content_type })
    });
    Some(quote! {
        const __HEADERS_MAY_SET_CONTENT_TYPE: bool = false #(#content_types)*;

        #[inline(always)]
        fn __write_headers(&self, res: &mut ::jero::__private::Response) -> ::core::option::Option<bool> {
            let mut content_type = false;
            #(#writes)*
            ::core::option::Option::Some(content_type)
        }

        #[inline(always)]
        fn __write_header_lines(&self, lines: &mut ::jero::__private::ResponseBuf) -> bool {
            true #(#lines)*
        }

        #[inline(always)]
        fn __header_lines_possible(&self) -> bool {
            true #(#possible)*
        }
    })
}

/// Declares an application error: a struct whose fields are the error's
/// typed `params`.
///
/// `#[jero::error(status = 404, code = "widget-not-found", title = "Widget not found",
/// detail = "Widget {widget_id} not found")]` implements `jero::ApiError`
/// (the `detail` format string may use the struct's field names),
/// `jero::IntoResponse` (an RFC 9457 problem, or the app's exception handler
/// for this type) and `Display`. Serde attributes on the struct shape the
/// `params` (e.g. `rename_all = "camelCase"`).
#[proc_macro_attribute]
pub fn error(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut status: Option<syn::LitInt> = None;
    let mut code: Option<LitStr> = None;
    let mut title: Option<LitStr> = None;
    let mut detail: Option<LitStr> = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("status") {
            status = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident("code") {
            code = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident("title") {
            title = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident("detail") {
            detail = Some(meta.value()?.parse()?);
        } else {
            return Err(meta.error("unknown argument; expected status, code, title or detail"));
        }
        Ok(())
    });
    parse_macro_input!(args with parser);
    let item = parse_macro_input!(input as syn::DeriveInput);
    let (Some(status), Some(code), Some(title)) = (status, code, title) else {
        return syn::Error::new(
            Span::call_site(),
            "an error needs status, code and title: \
             #[jero::error(status = 404, code = \"widget-not-found\", title = \"Widget not found\")]",
        )
        .to_compile_error()
        .into();
    };
    match status.base10_parse::<u16>() {
        Ok(s) if (400..=599).contains(&s) => {}
        _ => {
            return syn::Error::new(status.span(), "an error's status must be between 400 and 599")
                .to_compile_error()
                .into()
        }
    }
    let name = &item.ident;
    let (impl_g, ty_g, _) = item.generics.split_for_impl();
    let syn::Data::Struct(data) = &item.data else {
        return syn::Error::new(
            name.span(),
            "#[jero::error] goes on a struct; for several errors, use an enum of them with #[derive(jero::IntoResponse)]",
        )
        .to_compile_error()
        .into();
    };
    if let syn::Fields::Unnamed(fields) = &data.fields {
        if !fields.unnamed.is_empty() {
            return syn::Error::new(
                fields.span(),
                "an error's params are its named fields (sent as `params`, an object): \
                 use named fields, like `struct WidgetNotFound { widget_id: String }`",
            )
            .to_compile_error()
            .into();
        }
    }
    let named: Vec<&syn::Ident> = data.fields.iter().filter_map(|f| f.ident.as_ref()).collect();
    // A `transparent` struct serializes as its one field, not an object:
    // it has no params to send.
    let has_params = !data.fields.is_empty() && !has_serde_flag(&item.attrs, "transparent");
    let detail_fn = detail.map(|d| {
        quote! {
            fn detail(&self) -> ::std::option::Option<::std::string::String> {
                #[allow(unused_variables)]
                let Self { #(#named,)* .. } = self;
                ::std::option::Option::Some(::std::format!(#d))
            }
        }
    });
    let params_fn = has_params.then(|| {
        quote! {
            fn params(&self) -> ::std::option::Option<::jero::__private::serde_json::Value> {
                // An object with at least one entry (a `transparent` or
                // all-skipped struct has none to send).
                match ::jero::__private::serde_json::to_value(self) {
                    ::std::result::Result::Ok(::jero::__private::serde_json::Value::Object(map)) if !map.is_empty() => {
                        ::std::option::Option::Some(::jero::__private::serde_json::Value::Object(map))
                    }
                    _ => ::std::option::Option::None,
                }
            }
            fn params_schema(
                generator: &mut ::jero::__private::schemars::SchemaGenerator,
            ) -> ::std::option::Option<::jero::__private::schemars::Schema> {
                ::std::option::Option::Some(generator.subschema_for::<Self>())
            }
        }
    });
    // A generic error is one where its fields serialize and have a schema
    // (as the derives bound them), without the user spelling it out.
    let error_where = where_with(
        &item.generics,
        quote!(Self: ::jero::__private::serde::Serialize + ::jero::__private::schemars::JsonSchema
            + ::std::marker::Send + ::std::marker::Sync + 'static),
    );
    let is_error_where = where_with(&item.generics, quote!(Self: ::jero::ApiError));
    quote! {
        #[derive(::std::fmt::Debug, ::jero::__private::serde::Serialize, ::jero::__private::schemars::JsonSchema)]
        #[serde(crate = "::jero::__private::serde")]
        #[schemars(crate = "::jero::__private::schemars")]
        #item

        impl #impl_g ::jero::ApiError for #name #ty_g #error_where {
            const STATUS: u16 = #status;
            const CODE: &'static str = #code;
            const TITLE: &'static str = #title;
            #detail_fn
            #params_fn
        }

        impl #impl_g ::jero::IntoResponse for #name #ty_g #is_error_where {
            const IS_ERROR: bool = true;

            fn into_response(self, cx: &::jero::RequestCx<'_>) -> ::jero::engine::Response {
                ::jero::__private::render_api_error(self, cx)
            }
            fn describe(r: &mut ::jero::Responses<'_>) {
                ::jero::__private::describe_api_error::<Self>(r)
            }
        }

        impl #impl_g ::std::fmt::Display for #name #ty_g #is_error_where {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match ::jero::ApiError::detail(self) {
                    ::std::option::Option::Some(d) => f.write_str(&d),
                    ::std::option::Option::None => f.write_str(#title),
                }
            }
        }
    }
    .into()
}

/// The `where` clause of `generics` with `predicate` added.
fn where_with(generics: &syn::Generics, predicate: TokenStream2) -> TokenStream2 {
    let mut generics = generics.clone();
    generics
        .make_where_clause()
        .predicates
        .push(syn::parse2(predicate).expect("a where predicate"));
    let where_clause = &generics.where_clause;
    quote!(#where_clause)
}

/// Whether `tree` names one of `params` (an identifier, at any depth).
fn mentions(tree: &proc_macro2::TokenTree, params: &[String]) -> bool {
    match tree {
        proc_macro2::TokenTree::Ident(i) => params.iter().any(|p| i == p),
        proc_macro2::TokenTree::Group(g) => g.stream().into_iter().any(|t| mentions(&t, params)),
        _ => false,
    }
}

/// Derives `jero::IntoResponse` for an enum of outcomes or errors: each
/// variant wraps one response type and keeps its own status. Also derives
/// `From` for each variant's type (so `?` and `.into()` work), unless two
/// variants share a type or a variant's type mentions a type parameter.
/// An exception handler registered for the enum itself (`Wiring::on_error`)
/// answers for its error variants, before their own handlers; its other
/// variants go out as they are. A variant is an error variant by its type
/// (`IntoResponse::IS_ERROR`: a `#[jero::error]` type, `jero::Error`,
/// `Problem`, an enum of only those), not by its value: a variant holding a
/// `Result` or an enum that mixes outcomes and errors is not one, and its
/// errors go to their own types' handlers. Generic enums have no enum-level
/// lookup: register handlers for their variants' types.
#[proc_macro_derive(IntoResponse)]
pub fn derive_into_response(input: TokenStream) -> TokenStream {
    let item = parse_macro_input!(input as syn::DeriveInput);
    let name = &item.ident;
    let (impl_g, ty_g, where_g) = item.generics.split_for_impl();
    let syn::Data::Enum(data) = &item.data else {
        return syn::Error::new(
            name.span(),
            "#[derive(IntoResponse)] goes on an enum whose variants each wrap one response type",
        )
        .to_compile_error()
        .into();
    };
    // Each variant and the one type it wraps.
    let mut variants: Vec<(&syn::Ident, &syn::Type)> = Vec::new();
    for v in &data.variants {
        let vname = &v.ident;
        match &v.fields {
            syn::Fields::Unnamed(f) if f.unnamed.len() == 1 => variants.push((vname, &f.unnamed[0].ty)),
            _ => {
                return syn::Error::new(
                    v.span(),
                    format!("variant `{vname}` must wrap exactly one response type, like `{vname}(Widget)`"),
                )
                .to_compile_error()
                .into()
            }
        }
    }
    // A handler registered for the enum itself takes its error variants
    // (their types' `IS_ERROR`, constants), and the OpenAPI document lists
    // it in their place; the lookup needs `Self: 'static`, so generic enums
    // have none.
    let lookup = item.generics.params.is_empty();
    let enclosing = match lookup {
        true => quote!(::std::option::Option::Some(::std::any::type_name::<Self>())),
        false => quote!(::std::option::Option::None),
    };
    let arms = variants
        .iter()
        .map(|(vname, _)| quote!(#name::#vname(v) => ::jero::IntoResponse::into_response(v, cx)));
    let error_arms = variants
        .iter()
        .map(|(vname, ty)| quote!(#name::#vname(_) => <#ty as ::jero::IntoResponse>::IS_ERROR));
    let describes = variants
        .iter()
        .map(|(_, ty)| quote!(::jero::__private::describe_variant::<#ty>(r, #enclosing);));
    let types = variants.iter().map(|(_, ty)| ty);
    let enum_handler = (lookup && !variants.is_empty()).then(|| {
        quote! {
            let is_error = match &self { #(#error_arms,)* };
            if is_error {
                if let ::std::option::Option::Some(res) = ::jero::__private::handle_error(&self, cx) {
                    return res;
                }
            }
        }
    });
    // `From` for each variant's type, unless two variants share it or it
    // mentions a type parameter (it may be any type, another variant's
    // included: the impls would conflict).
    let type_params: Vec<String> = item.generics.type_params().map(|p| p.ident.to_string()).collect();
    let keys: Vec<String> = variants.iter().map(|(_, ty)| quote!(#ty).to_string()).collect();
    let froms = variants.iter().zip(&keys).filter_map(|((vname, ty), key)| {
        let generic = quote!(#ty).into_iter().any(|t| mentions(&t, &type_params));
        let unique = keys.iter().filter(|k| *k == key).count() == 1;
        (!generic && unique).then(|| {
            quote! {
                impl #impl_g ::std::convert::From<#ty> for #name #ty_g #where_g {
                    fn from(v: #ty) -> Self { #name::#vname(v) }
                }
            }
        })
    });
    quote! {
        impl #impl_g ::jero::IntoResponse for #name #ty_g #where_g {
            const IS_ERROR: bool = true #(&& <#types as ::jero::IntoResponse>::IS_ERROR)*;

            fn into_response(self, cx: &::jero::RequestCx<'_>) -> ::jero::engine::Response {
                #enum_handler
                match self { #(#arms,)* }
            }
            fn describe(r: &mut ::jero::Responses<'_>) {
                #(#describes)*
            }
        }
        #(#froms)*
    }
    .into()
}
