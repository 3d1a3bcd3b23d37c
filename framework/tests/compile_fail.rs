//! Compile-time wiring mistakes: each case in `tests/ui/` must fail to
//! compile with a message that says what to do. The expected compiler output
//! is in the `.stderr` file next to each case (regenerate with
//! `TRYBUILD=overwrite cargo test -p jero --test compile_fail`, then review
//! every message by hand).
//!
//! `tests/ui_bugs/` holds cases that show what the framework *should* do but
//! does not yet; their tests are ignored until the bug is fixed.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
