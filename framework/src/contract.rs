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
pub trait Contract: schemars::JsonSchema {
    /// Whether one of the fields, as a typed response header, may be
    /// `content-type`; `true` unless `#[jero::contract]` knows the wire
    /// names at compile time. Not part of the stable API.
    #[doc(hidden)]
    const __HEADERS_MAY_SET_CONTENT_TYPE: bool = true;

    /// Writes the fields as typed response headers with names computed at
    /// compile time, or `None` to leave it to serde (the default). Generated
    /// by `#[jero::contract]` where the wire names are plain; not part of the
    /// stable API.
    #[doc(hidden)]
    #[inline]
    fn __write_headers(&self, _res: &mut jero_engine::Response) -> Option<bool> {
        None
    }
}
