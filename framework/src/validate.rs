//! The constraints a contract declares for its schema, checked after
//! binding: one declaration documents and enforces them.
//!
//! `#[jero::contract]` reads each field's `#[schemars(..)]` validation
//! attributes, the ones the OpenAPI document shows, and generates a check
//! that runs after the field values are decoded:
//!
//! | attribute | on | the value must |
//! |---|---|---|
//! | `length(min = a, max = b)`, `length(equal = n)` | text (in characters), lists, sets | have that many characters or items |
//! | `range(min = a, max = b)` | numbers | lie between the bounds (inclusive) |
//! | `pattern("re")`, `regex(pattern = "re")` | text | match the regular expression somewhere (anchor it with `^..$` for the whole text); a string literal, compiled with the contract |
//! | `contains("s")` | text | contain the text |
//! | `email`, `url`, `ip`, `ipv4`, `ipv6` | text | be an email address (`local@domain`), an absolute URI (`scheme:rest`), an IP address (of that version) |
//! | `required` | `Option` fields | be present and not `null` |
//! | `inner(..)` | lists, sets, `Option`s of them | each item: the attributes inside |
//!
//! Patterns are Rust [`regex`](https://docs.rs/regex) syntax, which is
//! close to the ECMA-262 patterns of JSON Schema but Unicode-aware: `\d`
//! also matches other scripts' digits and `\w` their letters; write
//! `[0-9]` or `[A-Za-z0-9_]` where only ASCII will do.
//!
//! An `Option` that is `None` passes every check but `required`. A field
//! whose type is itself a contract (or a list, map or `Option` of
//! contracts, an array of them, or one behind a `Box`, `Arc` or `Rc`) is
//! checked too, and a violation names the whole path (`items[2].name`). In
//! a generic contract, a field whose type is a type parameter is checked
//! when the parameter is bounded by [`Contract`](crate::Contract)
//! (`struct Page<T: Contract>`): without the bound nothing says it is one.
//! A violated constraint is a `validation-failed` 422 for a JSON body or a form, and the source's usual error elsewhere: 400
//! for query parameters, headers and cookies, 404 for a path. The message
//! names the field and the rule, never the value.
//!
//! ```
//! #[jero::contract]
//! #[serde(rename_all = "camelCase")]
//! struct WidgetIn {
//!     #[schemars(length(min = 1, max = 80))]
//!     name: String,
//!     #[schemars(range(min = 0))]
//!     price_cents: i64,
//!     #[schemars(inner(length(min = 1)))]
//!     tags: Vec<String>,
//! }
//!
//! let empty = WidgetIn { name: String::new(), price_cents: 5, tags: vec![] };
//! let v = jero::Contract::__validate(&empty).unwrap_err();
//! assert_eq!((v.path(), v.rule()), ("name", "must have at least 1 character"));
//! let tag = WidgetIn { name: "gizmo".into(), price_cents: 5, tags: vec!["a".into(), "".into()] };
//! let v = jero::Contract::__validate(&tag).unwrap_err();
//! assert_eq!((v.path(), v.rule()), ("tags[1]", "must have at least 1 character"));
//! ```
//!
//! Constraints written as `#[validate(..)]` or `#[garde(..)]`, which
//! schemars also documents, are a compile error on a contract: write them
//! as `#[schemars(..)]`, so that what the document shows is what is
//! checked.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;

/// A declared constraint that a decoded value breaks: where (the wire
/// path, `items[2].name`) and which rule (`must be at least 0`), never
/// the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    path: String,
    rule: String,
}

impl Violation {
    /// A violation of `rule` by the field `field`.
    pub fn new(field: &str, rule: impl Into<String>) -> Violation {
        Violation {
            path: field.to_owned(),
            rule: rule.into(),
        }
    }

    /// The same violation seen from the struct that holds `field`.
    #[must_use]
    pub fn within(mut self, field: &str) -> Violation {
        if self.path.is_empty() {
            self.path = field.to_owned();
        } else if self.path.starts_with('[') {
            self.path.insert_str(0, field);
        } else {
            self.path.insert(0, '.');
            self.path.insert_str(0, field);
        }
        self
    }

    /// The same violation seen from the list that holds it at `index`.
    #[must_use]
    pub fn at_index(mut self, index: usize) -> Violation {
        let at = format!("[{index}]");
        if !self.path.is_empty() && !self.path.starts_with('[') {
            self.path.insert(0, '.');
        }
        self.path.insert_str(0, &at);
        self
    }

    /// Where: the field's path, by wire names (`items[2].name`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What the value must be (`must be at least 0`).
    pub fn rule(&self) -> &str {
        &self.rule
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.path, self.rule)
    }
}

impl std::error::Error for Violation {}

/// What a rule checks, for a value's checks: `Ok`, or the rule it breaks.
pub type Rule = Result<(), String>;

// ---------------------------------------------------------------------------
// length

/// A value with a length: text (in characters) or a collection (in items).
#[diagnostic::on_unimplemented(
    message = "`length` does not apply to `{Self}`",
    note = "`length(..)` constrains text (in characters) and lists and sets (in items); check another value's size in the handler"
)]
pub trait HasLength {
    /// `character` or `item`.
    const UNIT: &'static str;
    /// The length, `None` when there is no value (`Option::None`).
    fn length(&self) -> Option<usize>;
}

impl HasLength for str {
    const UNIT: &'static str = "character";
    fn length(&self) -> Option<usize> {
        Some(self.chars().count())
    }
}

impl HasLength for String {
    const UNIT: &'static str = "character";
    fn length(&self) -> Option<usize> {
        self.as_str().length()
    }
}

impl HasLength for Cow<'_, str> {
    const UNIT: &'static str = "character";
    fn length(&self) -> Option<usize> {
        self.as_ref().length()
    }
}

/// The list types, for their length (`length`), their items (`inner`)
/// and the contracts they hold: one list for the three.
macro_rules! lists {
    ($($ty:ty => [$($g:tt)*]),* $(,)?) => {$(
        impl<$($g)*> HasLength for $ty {
            const UNIT: &'static str = "item";
            fn length(&self) -> Option<usize> {
                Some(self.len())
            }
        }

        impl<$($g)*> Items for $ty {
            type Item = T;
            fn try_each(&self, each: &mut EachItem<'_, T>) -> Result<(), Violation> {
                self.iter().enumerate().try_for_each(|(i, item)| each(i, item))
            }
        }

        impl<$($g)*> HoldsContracts for $ty
        where
            T: HoldsContracts,
        {
            fn check_held(&self) -> Result<(), Violation> {
                check_items(self, |item| item.check_held())
            }
        }
    )*};
}

// Not maps: the schema of a map has no length (schemars writes none), and
// a constraint the document does not show is not checked either.
lists!(
    [T] => [T],
    [T; N] => [T, const N: usize],
    Vec<T> => [T],
    VecDeque<T> => [T],
    BTreeSet<T> => [T],
    HashSet<T, S> => [T, S],
);

impl<T: HasLength> HasLength for Option<T> {
    const UNIT: &'static str = T::UNIT;
    fn length(&self) -> Option<usize> {
        self.as_ref().and_then(T::length)
    }
}

impl<T: HasLength + ?Sized> HasLength for Box<T> {
    const UNIT: &'static str = T::UNIT;
    fn length(&self) -> Option<usize> {
        (**self).length()
    }
}

impl<T: HasLength + ?Sized> HasLength for &T {
    const UNIT: &'static str = T::UNIT;
    fn length(&self) -> Option<usize> {
        (**self).length()
    }
}

fn counted(n: usize, unit: &str) -> String {
    match n {
        1 => format!("1 {unit}"),
        n => format!("{n} {unit}s"),
    }
}

/// `length(min, max)` and `length(equal)`.
pub fn check_length<T: HasLength + ?Sized>(
    value: &T,
    min: Option<usize>,
    max: Option<usize>,
    equal: Option<usize>,
) -> Rule {
    let Some(n) = value.length() else {
        return Ok(());
    };
    if let Some(e) = equal.filter(|&e| n != e) {
        return Err(format!("must have exactly {}", counted(e, T::UNIT)));
    }
    if let Some(min) = min.filter(|&m| n < m) {
        return Err(format!("must have at least {}", counted(min, T::UNIT)));
    }
    if let Some(max) = max.filter(|&m| n > m) {
        return Err(format!("must have at most {}", counted(max, T::UNIT)));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// range

/// A number, exact for integers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    /// An integer (every integer type fits, but `u128` above `i128::MAX`,
    /// which is taken as that).
    Int(i128),
    /// A floating-point number.
    Float(f64),
}

impl Num {
    fn compare(self, other: Num) -> Option<Ordering> {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => Some(a.cmp(&b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Num::Int(n) => n as f64,
            Num::Float(x) => x,
        }
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Num::Int(n) => write!(f, "{n}"),
            Num::Float(x) => write!(f, "{x}"),
        }
    }
}

/// A number a field may hold, for `range`.
#[diagnostic::on_unimplemented(
    message = "`range` does not apply to `{Self}`",
    note = "`range(..)` constrains numbers (and `Option`s of them)"
)]
pub trait RangeValue {
    /// The number, `None` when there is no value (`Option::None`).
    fn num(&self) -> Option<Num>;
}

macro_rules! int_range_value {
    ($($ty:ty),*) => {$(
        impl RangeValue for $ty {
            fn num(&self) -> Option<Num> {
                Some(Num::Int(i128::try_from(*self).unwrap_or(i128::MAX)))
            }
        }
        impl From<$ty> for Num {
            fn from(n: $ty) -> Num {
                Num::Int(i128::try_from(n).unwrap_or(i128::MAX))
            }
        }
    )*};
}

int_range_value!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

impl RangeValue for f32 {
    fn num(&self) -> Option<Num> {
        Some(Num::Float(f64::from(*self)))
    }
}

impl RangeValue for f64 {
    fn num(&self) -> Option<Num> {
        Some(Num::Float(*self))
    }
}

impl From<f32> for Num {
    fn from(x: f32) -> Num {
        Num::Float(f64::from(x))
    }
}

impl From<f64> for Num {
    fn from(x: f64) -> Num {
        Num::Float(x)
    }
}

impl<T: RangeValue> RangeValue for Option<T> {
    fn num(&self) -> Option<Num> {
        self.as_ref().and_then(T::num)
    }
}

impl<T: RangeValue + ?Sized> RangeValue for Box<T> {
    fn num(&self) -> Option<Num> {
        (**self).num()
    }
}

impl<T: RangeValue + ?Sized> RangeValue for &T {
    fn num(&self) -> Option<Num> {
        (**self).num()
    }
}

/// `range(min, max)`, both inclusive.
pub fn check_range<T: RangeValue + ?Sized>(value: &T, min: Option<Num>, max: Option<Num>) -> Rule {
    let Some(n) = value.num() else {
        return Ok(());
    };
    // Not comparable (NaN) breaks both bounds.
    if let Some(min) = min.filter(|&m| !matches!(n.compare(m), Some(Ordering::Greater | Ordering::Equal))) {
        return Err(format!("must be at least {min}"));
    }
    if let Some(max) = max.filter(|&m| !matches!(n.compare(m), Some(Ordering::Less | Ordering::Equal))) {
        return Err(format!("must be at most {max}"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// text: pattern, contains, formats

/// Text a field may hold, for `pattern`, `contains` and the formats.
#[diagnostic::on_unimplemented(
    message = "this constraint applies to text, not to `{Self}`",
    note = "`pattern`, `regex`, `contains`, `email`, `url` and `ip` constrain text (and `Option`s of it)"
)]
pub trait AsText {
    /// The text, `None` when there is no value (`Option::None`).
    fn text(&self) -> Option<&str>;
}

impl AsText for str {
    fn text(&self) -> Option<&str> {
        Some(self)
    }
}

impl AsText for String {
    fn text(&self) -> Option<&str> {
        Some(self)
    }
}

impl AsText for Cow<'_, str> {
    fn text(&self) -> Option<&str> {
        Some(self)
    }
}

impl<T: AsText> AsText for Option<T> {
    fn text(&self) -> Option<&str> {
        self.as_ref().and_then(T::text)
    }
}

impl<T: AsText + ?Sized> AsText for Box<T> {
    fn text(&self) -> Option<&str> {
        (**self).text()
    }
}

impl<T: AsText + ?Sized> AsText for &T {
    fn text(&self) -> Option<&str> {
        (**self).text()
    }
}

/// A regular expression compiled on first use (the pattern was checked
/// when the contract was compiled).
pub struct Pattern {
    source: &'static str,
    compiled: std::sync::OnceLock<regex::Regex>,
}

impl Pattern {
    /// `source`, not compiled yet. Made by `#[jero::contract]`, which
    /// compiles the pattern when the contract compiles; one made by hand
    /// with a pattern that does not compile panics on first use.
    #[doc(hidden)]
    pub const fn new(source: &'static str) -> Pattern {
        Pattern {
            source,
            compiled: std::sync::OnceLock::new(),
        }
    }

    fn is_match(&self, text: &str) -> bool {
        self.compiled
            .get_or_init(|| regex::Regex::new(self.source).expect("checked when the contract was compiled"))
            .is_match(text)
    }
}

/// `pattern(..)` or `regex(pattern = ..)`: matches somewhere in the text,
/// as JSON Schema's `pattern` does.
pub fn check_pattern<T: AsText + ?Sized>(value: &T, pattern: &Pattern) -> Rule {
    match value.text() {
        Some(text) if !pattern.is_match(text) => Err(format!("must match the pattern `{}`", pattern.source)),
        _ => Ok(()),
    }
}

/// `contains(..)`.
pub fn check_contains<T: AsText + ?Sized>(value: &T, needle: &str) -> Rule {
    match value.text() {
        Some(text) if !text.contains(needle) => Err(format!("must contain `{needle}`")),
        _ => Ok(()),
    }
}

/// `email`: `local@domain`, one `@`, neither part empty, no whitespace or
/// control characters, and a domain of non-empty dot-separated labels.
pub fn check_email<T: AsText + ?Sized>(value: &T) -> Rule {
    let Some(text) = value.text() else {
        return Ok(());
    };
    let well_formed = text.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.is_empty()
            && !domain.contains('@')
            && domain.split('.').all(|label| !label.is_empty())
            && !text.chars().any(|c| c.is_whitespace() || c.is_control())
    });
    match well_formed {
        true => Ok(()),
        false => Err("must be an email address".to_owned()),
    }
}

/// `url`: an absolute URI (RFC 3986): a scheme (a letter, then letters,
/// digits, `+`, `-` or `.`), `:`, and a rest without whitespace or control
/// characters.
pub fn check_url<T: AsText + ?Sized>(value: &T) -> Rule {
    let Some(text) = value.text() else {
        return Ok(());
    };
    let well_formed = text.split_once(':').is_some_and(|(scheme, rest)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            && !rest.is_empty()
            && !rest.chars().any(|c| c.is_whitespace() || c.is_control())
    });
    match well_formed {
        true => Ok(()),
        false => Err("must be a URI".to_owned()),
    }
}

/// `ip`: an IPv4 or IPv6 address.
pub fn check_ip<T: AsText + ?Sized>(value: &T) -> Rule {
    parses_as::<std::net::IpAddr, T>(value, "an IP address")
}

/// `ipv4`: an IPv4 address (dotted decimal).
pub fn check_ipv4<T: AsText + ?Sized>(value: &T) -> Rule {
    parses_as::<std::net::Ipv4Addr, T>(value, "an IPv4 address")
}

/// `ipv6`: an IPv6 address.
pub fn check_ipv6<T: AsText + ?Sized>(value: &T) -> Rule {
    parses_as::<std::net::Ipv6Addr, T>(value, "an IPv6 address")
}

/// Whether the text of `value` parses as an `A` (`what` names it).
fn parses_as<A: std::str::FromStr, T: AsText + ?Sized>(value: &T, what: &str) -> Rule {
    match value.text() {
        Some(text) if text.parse::<A>().is_err() => Err(format!("must be {what}")),
        _ => Ok(()),
    }
}

/// A field that `required` applies to: an `Option`, which must be `Some`
/// (any other field is required already: serde has no value to give it).
#[diagnostic::on_unimplemented(
    message = "`required` applies to `Option` fields, not to `{Self}`",
    note = "a field of another type is required already"
)]
pub trait Presence {
    /// Whether there is a value.
    fn present(&self) -> bool;
}

impl<T> Presence for Option<T> {
    fn present(&self) -> bool {
        self.is_some()
    }
}

/// `required`: present and not `null`.
pub fn check_required<T: Presence + ?Sized>(value: &T) -> Rule {
    match value.present() {
        true => Ok(()),
        false => Err("is required".to_owned()),
    }
}

// ---------------------------------------------------------------------------
// items, for `inner(..)`

/// What [`Items::try_each`] calls with each item and its index.
pub type EachItem<'a, T> = dyn FnMut(usize, &T) -> Result<(), Violation> + 'a;

/// A value whose items `inner(..)` constrains.
#[diagnostic::on_unimplemented(
    message = "`inner` does not apply to `{Self}`",
    note = "`inner(..)` constrains the items of lists and sets (and of `Option`s of them)"
)]
pub trait Items {
    /// The item type.
    type Item;
    /// Calls `each` with every item and its index, until it fails.
    fn try_each(&self, each: &mut EachItem<'_, Self::Item>) -> Result<(), Violation>;
}

impl<C: Items> Items for Option<C> {
    type Item = C::Item;
    fn try_each(&self, each: &mut EachItem<'_, C::Item>) -> Result<(), Violation> {
        match self {
            Some(items) => items.try_each(each),
            None => Ok(()),
        }
    }
}

/// `inner(..)`: runs `check` on every item, a failure placed at its index.
pub fn check_items<C: Items + ?Sized>(
    value: &C,
    mut check: impl FnMut(&C::Item) -> Result<(), Violation>,
) -> Result<(), Violation> {
    value.try_each(&mut |i, item| check(item).map_err(|v| v.at_index(i)))
}

// ---------------------------------------------------------------------------
// nested contracts

/// A value holding contracts whose own constraints are checked: a
/// contract, or a list, map or `Option` of them.
pub trait HoldsContracts {
    /// Checks the contracts inside; a violation's path starts below this
    /// value (`[2].name`, `name`).
    fn check_held(&self) -> Result<(), Violation>;
}

impl<T: crate::Contract> HoldsContracts for T {
    fn check_held(&self) -> Result<(), Violation> {
        self.__validate()
    }
}

impl<T: HoldsContracts> HoldsContracts for Option<T> {
    fn check_held(&self) -> Result<(), Violation> {
        match self {
            Some(v) => v.check_held(),
            None => Ok(()),
        }
    }
}

impl<K: fmt::Display, V: HoldsContracts, S> HoldsContracts for HashMap<K, V, S> {
    fn check_held(&self) -> Result<(), Violation> {
        entries_hold(self.iter())
    }
}

impl<K: fmt::Display, V: HoldsContracts> HoldsContracts for BTreeMap<K, V> {
    fn check_held(&self) -> Result<(), Violation> {
        entries_hold(self.iter())
    }
}

/// A map's values hold their contracts; a violation's path starts at its
/// key.
fn entries_hold<'a, K: fmt::Display + 'a, V: HoldsContracts + 'a>(
    mut entries: impl Iterator<Item = (&'a K, &'a V)>,
) -> Result<(), Violation> {
    entries.try_for_each(|(k, v)| v.check_held().map_err(|e| e.within(&shown_key(k))))
}

/// A map key in a path, as [`crate::binding`] shows keys.
fn shown_key(key: &impl fmt::Display) -> String {
    crate::binding::shown_key(&key.to_string()).to_owned()
}

/// The field a contract's generated check looks into: with
/// [`ViaContracts`] when its type holds contracts, else with
/// [`ViaNothing`] (nothing to check), chosen at compile time:
/// `(&&Field(&value)).check_field()`. Used by the macro's expansion.
#[doc(hidden)]
pub struct Field<'a, T: ?Sized>(pub &'a T);

/// The field holds contracts: check them.
#[doc(hidden)]
pub trait ViaContracts {
    /// See [`Field`].
    fn check_field(&self) -> Result<(), Violation>;
}

impl<T: HoldsContracts + ?Sized> ViaContracts for &Field<'_, T> {
    #[inline]
    fn check_field(&self) -> Result<(), Violation> {
        self.0.check_held()
    }
}

/// The field holds no contracts: nothing to check.
#[doc(hidden)]
pub trait ViaNothing {
    /// See [`Field`].
    fn check_field(&self) -> Result<(), Violation>;
}

impl<T: ?Sized> ViaNothing for Field<'_, T> {
    #[inline(always)]
    fn check_field(&self) -> Result<(), Violation> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_compose() {
        let v = Violation::new("name", "must have at least 1 character");
        assert_eq!(v.clone().within("items").path(), "items.name");
        assert_eq!(v.clone().at_index(2).within("items").path(), "items[2].name");
        assert_eq!(
            Violation::new("", "r")
                .at_index(1)
                .at_index(0)
                .within("grid")
                .path(),
            "grid[0][1]"
        );
        assert_eq!(v.to_string(), "`name`: must have at least 1 character");
    }

    #[test]
    fn lengths_count_characters_and_items() {
        assert_eq!(check_length("héllo", Some(5), Some(5), None), Ok(()));
        assert_eq!(
            check_length("", Some(1), None, None),
            Err("must have at least 1 character".into())
        );
        assert_eq!(
            check_length(&vec![1, 2, 3], None, Some(2), None),
            Err("must have at most 2 items".into())
        );
        assert_eq!(
            check_length("ab", None, None, Some(3)),
            Err("must have exactly 3 characters".into())
        );
        assert_eq!(check_length(&None::<String>, Some(1), None, None), Ok(()));
        assert_eq!(
            check_length(&Some(String::new()), Some(1), None, None),
            Err("must have at least 1 character".into())
        );
    }

    #[test]
    fn ranges_are_inclusive_and_exact_for_integers() {
        assert_eq!(check_range(&0i64, Some(Num::Int(0)), None), Ok(()));
        assert_eq!(
            check_range(&-1i64, Some(Num::Int(0)), None),
            Err("must be at least 0".into())
        );
        assert_eq!(
            check_range(&u64::MAX, None, Some(Num::Int(i64::MAX as i128))),
            Err(format!("must be at most {}", i64::MAX))
        );
        // Exact where f64 is not: 2^53 + 1 against 2^53.
        let big = (1i64 << 53) + 1;
        assert!(check_range(&big, None, Some(Num::Int(1 << 53))).is_err());
        assert_eq!(
            check_range(&0.5f64, Some(Num::Float(0.25)), Some(Num::Int(1))),
            Ok(())
        );
        assert_eq!(
            check_range(&f64::NAN, Some(Num::Int(0)), None),
            Err("must be at least 0".into())
        );
        assert_eq!(check_range(&None::<i32>, Some(Num::Int(0)), None), Ok(()));
    }

    #[test]
    fn text_rules() {
        let p = Pattern::new("^[a-z]+$");
        assert_eq!(check_pattern("abc", &p), Ok(()));
        assert_eq!(
            check_pattern("abC", &p),
            Err("must match the pattern `^[a-z]+$`".into())
        );
        assert_eq!(check_contains("gizmo", "zm"), Ok(()));
        assert!(check_contains("gizmo", "x").is_err());
        for ok in ["a@b.c", "first.last+tag@example.co.uk", "a@localhost"] {
            assert_eq!(check_email(ok), Ok(()), "{ok}");
        }
        for bad in ["", "a", "@b.c", "a@", "a@b@c", "a b@c.d", "a@b..c", "a@.c"] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        for ok in ["https://example.com/x", "urn:isbn:0451450523", "mailto:a@b.c"] {
            assert_eq!(check_url(ok), Ok(()), "{ok}");
        }
        for bad in ["", "example.com", "1http://x", "http:", "http://a b", "://x"] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert_eq!(check_ip("::1"), Ok(()));
        assert_eq!(check_ip("192.168.0.1"), Ok(()));
        assert!(check_ip("192.168.0.256").is_err());
        assert_eq!(check_email(&None::<String>), Ok(()));
    }

    #[test]
    fn items_are_checked_at_their_index() {
        let tags = vec!["a".to_owned(), String::new()];
        let v = check_items(&tags, |t| {
            check_length(t, Some(1), None, None).map_err(|r| Violation::new("", r))
        })
        .unwrap_err();
        assert_eq!((v.path(), v.rule()), ("[1]", "must have at least 1 character"));
        let never = |_: &String| Err(Violation::new("", "never"));
        assert_eq!(check_items(&None::<Vec<String>>, never), Ok(()));
    }
}
