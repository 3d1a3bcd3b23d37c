//! Contracts: the declared types that cross the wire.

/// A type declared with [`#[jero::contract]`](crate::contract): it crosses the
/// wire as JSON (or as query, path, header or cookie fields) and describes
/// itself with a JSON Schema. The marker is what lets a plain struct be a
/// handler's return value and an argument's type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a jero contract",
    label = "not declared with #[jero::contract]",
    note = "add `#[jero::contract]` above the declaration of `{Self}`; everything that crosses the wire is a declared contract"
)]
pub trait Contract: schemars::JsonSchema {}
