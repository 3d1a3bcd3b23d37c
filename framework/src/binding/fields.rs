//! A serde deserializer over named text fields: path slots, header fields,
//! cookies. It feeds a struct straight from the request's views, without an
//! intermediate map: for each field the struct declares, it looks up the
//! matching entries and hands their text to the field's type, which parses
//! numbers, booleans, options, sequences (repeated entries) and unit enums.
//!
//! Error messages name the field and what was expected, never the text that
//! was sent.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use smallvec::SmallVec;

/// How entry names are compared with field names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Match {
    /// Exactly, case-sensitive (cookies, path slots already mapped to wire names).
    Exact,
    /// Header names: the entry's name is the field's header name
    /// (`kebab_into`'s rule, as for response headers: `x_trace_id`,
    /// `xTraceId` and `X-Trace-Id` all name `x-trace-id`), ignoring ASCII
    /// case. `X_Trace_Id` or `xtraceid` bind nothing: a proxy that strips
    /// or sets `X-User-Id` is not got around with another spelling.
    Header,
}

/// Whether two names are the same ignoring ASCII case, `-` and `_`: at
/// wiring, a template's slot (`{widget_id}`) and its `path` struct's field
/// (`widgetId` under `rename_all = "camelCase"`). One pass that skips `-`
/// and `_` on both sides and stops at the first byte that differs.
#[inline]
pub(crate) fn loose_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let is_sep = |c: u8| c == b'-' || c == b'_';
    let (mut i, mut j) = (0, 0);
    loop {
        while i < a.len() && is_sep(a[i]) {
            i += 1;
        }
        while j < b.len() && is_sep(b[j]) {
            j += 1;
        }
        match (a.get(i), b.get(j)) {
            (None, None) => return true,
            (Some(p), Some(q)) if p.eq_ignore_ascii_case(q) => {
                i += 1;
                j += 1;
            }
            _ => return false,
        }
    }
}

/// Whether `name` is the header name of `field`, a field name without
/// capitals: `kebab_into`'s rule is then `_` as `-` (unless the name has a
/// `-`, then as it is), compared as it goes, ignoring `name`'s case.
/// `dashes`: whether `field` has no `-` (its `_` are then `-`).
#[inline]
fn plain_header_eq(name: &str, field: &str, dashes: bool) -> bool {
    debug_assert!(!field.bytes().any(|b| b.is_ascii_uppercase()));
    debug_assert_eq!(dashes, !field.contains('-'));
    name.len() == field.len()
        && name.bytes().zip(field.bytes()).all(|(n, f)| {
            let f = if dashes && f == b'_' { b'-' } else { f };
            n.to_ascii_lowercase() == f
        })
}

/// A binding error: which field, and what went wrong (never the input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The failing field's name as the struct declares it on the wire, if known.
    pub field: Option<String>,
    /// What was wrong, e.g. `expected an integer` or `missing field `limit``.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "`{field}`: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for FieldError {}

impl FieldError {
    /// The field serde calls missing (its own "missing field `x`", which
    /// names no field of its own), if that is what this error is.
    pub(crate) fn missing_field(&self) -> Option<&str> {
        self.message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'))
    }
}

/// A broken constraint, as a binding error of its field.
impl From<crate::validate::Violation> for FieldError {
    #[cold]
    fn from(v: crate::validate::Violation) -> FieldError {
        FieldError {
            field: (!v.path().is_empty()).then(|| v.path().to_owned()),
            message: v.rule().to_owned(),
        }
    }
}

impl de::Error for FieldError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        FieldError {
            field: None,
            message: crate::binding::sanitize(&msg.to_string()),
        }
    }
}

/// One named text entry.
pub(crate) type Entry<'a> = (&'a str, Cow<'a, str>);

/// The value of an entry that is not UTF-8 (a header's obs-text): known
/// by its address, so that binding it is an error, where a header no field
/// takes costs nothing, and a client's own text can never pass for it.
pub(crate) static NOT_UTF8: &str = "(not UTF-8)";

/// Whether `v` is [`NOT_UTF8`] itself.
#[inline(always)]
fn is_not_utf8(v: &str) -> bool {
    std::ptr::eq(v.as_ptr(), NOT_UTF8.as_ptr()) && v.len() == NOT_UTF8.len()
}

/// Deserializes a struct from named text entries.
#[derive(Clone, Copy)]
pub(crate) struct Fields<'a, 'e> {
    pub(crate) entries: &'e [Entry<'a>],
    pub(crate) matching: Match,
    /// Fields handed over with no entries where they have none, instead of
    /// left to serde as missing: a list takes that as empty (see
    /// `binding::zero_or_more`). Empty on the first pass.
    pub(crate) empty: &'e [&'static str],
    /// The query's reading: a struct also sees the entries none of its
    /// fields takes (after its own, so that `deny_unknown_fields` and
    /// `alias` work), and a scalar field given twice is an error. Headers
    /// and cookies carry much a struct never names, and a repeated one
    /// binds its first value.
    pub(crate) strict: bool,
}

/// Whether an entry called `entry` is the field `field`'s under `matching`.
pub(crate) fn names_field(matching: Match, entry: &str, field: &str) -> bool {
    match matching {
        Match::Exact => entry == field,
        Match::Header => {
            crate::headers::with_header_name(field, |h| entry.as_bytes().eq_ignore_ascii_case(h))
        }
    }
}

/// The wire names of the fields `T` deserializes as a struct (as serde
/// hands them to the deserializer), without deserializing anything; empty
/// for a type read otherwise (a map, `flatten`).
pub(crate) fn field_names<'de, T: serde::Deserialize<'de>>() -> &'static [&'static str] {
    /// Stops at `deserialize_struct` with its field list.
    struct Probe;

    #[derive(Debug)]
    struct Found(&'static [&'static str]);

    impl fmt::Display for Found {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("field names")
        }
    }

    impl std::error::Error for Found {}

    impl de::Error for Found {
        fn custom<M: fmt::Display>(_: M) -> Self {
            Found(&[])
        }
    }

    impl<'de> de::Deserializer<'de> for Probe {
        type Error = Found;

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Found> {
            Err(Found(fields))
        }

        fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Found> {
            Err(Found(&[]))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }

    match T::deserialize(Probe) {
        Ok(_) => &[],
        Err(Found(fields)) => fields,
    }
}

impl<'a, 'e> Fields<'a, 'e> {
    /// The values of the entries `field` takes, in order.
    #[inline]
    fn values_of(&self, field: &str) -> SmallVec<[&'e str; 2]> {
        match self.matching {
            Match::Exact => take(self.entries, |name| name == field),
            // Without capitals (most fields), the header name is the field's
            // with `_` as `-` (unless it has a `-`, then as it is): compared
            // as it goes, with no name built.
            Match::Header => {
                // One look at the name: capitals, dashes.
                let (capitals, dashes) = field.bytes().fold((false, false), |(c, d), b| {
                    (c | b.is_ascii_uppercase(), d | (b == b'-'))
                });
                if !capitals {
                    return take(self.entries, |name| plain_header_eq(name, field, !dashes));
                }
                // The header name once per field, not once per entry.
                crate::headers::with_header_name(field, |h| {
                    take(self.entries, |name| name.as_bytes().eq_ignore_ascii_case(h))
                })
            }
        }
    }
}

/// The values of the entries whose names `taken` accepts, in order.
#[inline(always)]
fn take<'e>(entries: &'e [Entry<'_>], taken: impl Fn(&str) -> bool) -> SmallVec<[&'e str; 2]> {
    entries
        .iter()
        .filter(|(name, _)| taken(name))
        .map(|(_, v)| v.as_ref())
        .collect()
}

impl<'de, 'a, 'e> de::Deserializer<'de> for Fields<'a, 'e> {
    type Error = FieldError;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, FieldError> {
        visitor.visit_map(StructAccess {
            src: self,
            fields,
            next: 0,
            next_entry: 0,
            current: None,
            unknown_value: None,
        })
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        // Maps (and `#[serde(flatten)]`) see every entry under its own name.
        visitor.visit_map(EntryAccess {
            entries: self.entries.iter(),
            value: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

struct StructAccess<'a, 'e> {
    src: Fields<'a, 'e>,
    fields: &'static [&'static str],
    next: usize,
    /// With `src.strict`, once every field has had its turn: the next
    /// entry to look at for one no field takes.
    next_entry: usize,
    current: Option<(&'static str, SmallVec<[&'e str; 2]>)>,
    /// The value of the entry no field takes, given as the last key.
    unknown_value: Option<&'e str>,
}

impl<'de, 'a, 'e> MapAccess<'de> for StructAccess<'a, 'e> {
    type Error = FieldError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, FieldError> {
        while self.next < self.fields.len() {
            let field = self.fields[self.next];
            self.next += 1;
            let values = self.src.values_of(field);
            if values.is_empty() && !self.src.empty.contains(&field) {
                continue;
            }
            self.current = Some((field, values));
            return seed.deserialize(field.into_deserializer()).map(Some);
        }
        while self.src.strict && self.next_entry < self.src.entries.len() {
            let (name, value) = &self.src.entries[self.next_entry];
            self.next_entry += 1;
            if self
                .fields
                .iter()
                .any(|f| names_field(self.src.matching, name, f))
            {
                continue;
            }
            self.unknown_value = Some(value.as_ref());
            return seed
                .deserialize(de::value::StrDeserializer::<FieldError>::new(name))
                .map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, FieldError> {
        if let Some(v) = self.unknown_value.take() {
            return seed.deserialize(Values::new(&[v], ""));
        }
        let (field, values) = self.current.take().expect("value requested before key");
        seed.deserialize(Values {
            values: &values,
            field,
            strict: self.src.strict,
        })
        .map_err(|mut e| {
            e.field.get_or_insert_with(|| field.to_owned());
            e
        })
    }
}

/// All entries, as a map of name to text; those whose value is not UTF-8
/// ([`NOT_UTF8`]) are left out: a map or a `flatten` takes every entry,
/// and one the app never looks at must not refuse the request
/// (`raw_headers` has their bytes).
struct EntryAccess<'a, 'e> {
    entries: std::slice::Iter<'e, Entry<'a>>,
    value: Option<&'e str>,
}

impl<'de, 'a, 'e> MapAccess<'de> for EntryAccess<'a, 'e> {
    type Error = FieldError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, FieldError> {
        match self.entries.find(|(_, value)| !is_not_utf8(value)) {
            Some((name, value)) => {
                self.value = Some(value.as_ref());
                seed.deserialize(de::value::StrDeserializer::<FieldError>::new(name))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, FieldError> {
        let v = self.value.take().expect("value requested before key");
        seed.deserialize(Values::new(&[v], ""))
    }
}

/// The text values bound to one field (several when the entry repeats).
pub(crate) struct Values<'v, 'e> {
    values: &'v [&'e str],
    field: &'static str,
    /// A scalar given more than once is an error (see [`Fields::strict`]).
    strict: bool,
}

impl<'v, 'e> Values<'v, 'e> {
    /// The values sent for `field`.
    pub(crate) fn new(values: &'v [&'e str], field: &'static str) -> Values<'v, 'e> {
        Values {
            values,
            field,
            strict: false,
        }
    }

    fn single(&self) -> Result<&'e str, FieldError> {
        let v = match self.values {
            [v] => v,
            [] => return Err(self.err("missing value")),
            [..] if self.strict => return Err(self.err("given more than once")),
            // Several values for a scalar: take the first, like most servers.
            [v, ..] => v,
        };
        if is_not_utf8(v) {
            return Err(self.err("not valid UTF-8"));
        }
        Ok(v)
    }

    fn err(&self, message: &str) -> FieldError {
        FieldError {
            field: (!self.field.is_empty()).then(|| self.field.to_owned()),
            message: message.to_owned(),
        }
    }

    /// The one value of a scalar: with its surrounding whitespace cut off
    /// (optional whitespace around a header's value), except in the query,
    /// where `?count=2+` is not a number.
    fn scalar(&self) -> Result<&'e str, FieldError> {
        let v = self.single()?;
        Ok(if self.strict { v } else { v.trim() })
    }

    fn parse<T: std::str::FromStr>(&self, expected: &str) -> Result<T, FieldError> {
        self.scalar()?.parse::<T>().map_err(|_| self.err(expected))
    }
}

macro_rules! parse_number {
    ($($method:ident => $visit:ident : $ty:ty, $what:literal;)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
            let n: $ty = self.parse($what)?;
            visitor.$visit(n)
        })*
    };
}

impl<'de, 'v, 'e> de::Deserializer<'de> for Values<'v, 'e> {
    type Error = FieldError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        if self.values.len() > 1 {
            return self.deserialize_seq(visitor);
        }
        visitor.visit_str(self.single()?)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        match self.scalar()? {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            _ => Err(self.err("expected `true` or `false`")),
        }
    }

    parse_number! {
        deserialize_i8 => visit_i8: i8, "expected an integer (i8)";
        deserialize_i16 => visit_i16: i16, "expected an integer (i16)";
        deserialize_i32 => visit_i32: i32, "expected an integer (i32)";
        deserialize_i64 => visit_i64: i64, "expected an integer";
        deserialize_i128 => visit_i128: i128, "expected an integer";
        deserialize_u8 => visit_u8: u8, "expected a non-negative integer (u8)";
        deserialize_u16 => visit_u16: u16, "expected a non-negative integer (u16)";
        deserialize_u32 => visit_u32: u32, "expected a non-negative integer (u32)";
        deserialize_u64 => visit_u64: u64, "expected a non-negative integer";
        deserialize_u128 => visit_u128: u128, "expected a non-negative integer";
        deserialize_f32 => visit_f32: f32, "expected a number";
        deserialize_f64 => visit_f64: f64, "expected a number";
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        let mut chars = self.single()?.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => visitor.visit_char(c),
            _ => Err(self.err("expected a single character")),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_str(self.single()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_string(self.single()?.to_owned())
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_bytes(self.single()?.as_bytes())
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_byte_buf(self.single()?.as_bytes().to_vec())
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        if self.values.is_empty() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, FieldError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, FieldError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_seq(ValueSeq {
            values: self.values.iter(),
            field: self.field,
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, FieldError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, FieldError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, FieldError> {
        Err(self.err("expected a single value, not a map"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, FieldError> {
        Err(self.err("expected a single value, not a struct"))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, FieldError> {
        let v = self.single()?;
        if !variants.contains(&v) {
            return Err(self.err(&format!("expected one of {}", quote_list(variants))));
        }
        visitor.visit_enum(de::value::StrDeserializer::<FieldError>::new(v))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_unit()
    }
}

struct ValueSeq<'v, 'e> {
    values: std::slice::Iter<'v, &'e str>,
    field: &'static str,
}

impl<'de, 'v, 'e> SeqAccess<'de> for ValueSeq<'v, 'e> {
    type Error = FieldError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, FieldError> {
        match self.values.next() {
            Some(v) => seed
                .deserialize(Values::new(std::slice::from_ref(v), self.field))
                .map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.values.len())
    }
}

pub(crate) fn quote_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct H {
        x_trace_id: String,
        user_agent: Option<String>,
        limit: Option<u32>,
        tag: Vec<String>,
    }

    /// `field_names` reads a struct's wire names (renames applied) without
    /// deserializing; a map or a non-struct names none.
    #[test]
    fn field_names_are_the_wire_names() {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        #[allow(dead_code)]
        struct Renamed {
            session_id: String,
            #[serde(rename = "X-Api-Key")]
            key: Option<u64>,
        }
        assert_eq!(field_names::<H>(), ["x_trace_id", "user_agent", "limit", "tag"]);
        assert_eq!(field_names::<Renamed>(), ["sessionId", "X-Api-Key"]);
        assert!(field_names::<std::collections::HashMap<String, String>>().is_empty());
        assert!(field_names::<u32>().is_empty());
    }

    fn fields<'a>(entries: &'a [Entry<'a>], m: Match) -> Fields<'a, 'a> {
        Fields {
            entries,
            matching: m,
            empty: &[],
            strict: false,
        }
    }

    #[test]
    fn loose_eq_ignores_case_dashes_and_underscores_wherever_they_are() {
        for (a, b) in [
            ("X-Trace-Id", "x_trace_id"),
            ("x-trace-id", "X_TRACE_ID"),
            ("Request-Id", "requestId"),
            ("requestid", "Request-Id"),
            ("a-b_", "ab__"),
            ("-ab", "a_b"),
            ("", "-_"),
            ("authorization", "Authorization"),
        ] {
            assert!(loose_eq(a, b), "{a} ~ {b}");
            assert!(loose_eq(b, a), "{b} ~ {a}");
        }
        for (a, b) in [
            ("X-Trace-Id", "x_trace_ix"),
            ("host", "x_trace_id"),
            ("ab", "abc"),
            ("a-b", "a-c"),
            ("Request-Id", "requestIds"),
            ("", "a"),
        ] {
            assert!(!loose_eq(a, b), "{a} !~ {b}");
            assert!(!loose_eq(b, a), "{b} !~ {a}");
        }
    }

    /// Every name of up to `max` characters from `alphabet`.
    fn short_names(alphabet: &[char], max: usize) -> Vec<String> {
        let mut names = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..max {
            last = last
                .iter()
                .flat_map(|n| alphabet.iter().map(move |c| format!("{n}{c}")))
                .collect();
            names.extend(last.iter().cloned());
        }
        names
    }

    #[test]
    fn loose_eq_agrees_with_the_rule_on_every_short_name() {
        let names = short_names(&['a', 'A', 'b', '-', '_'], 4);
        for a in &names {
            for b in &names {
                // The rule, spelled out: drop the separators, then
                // compare ignoring ASCII case.
                let bare = |n: &str| n.replace(['-', '_'], "").to_ascii_lowercase();
                assert_eq!(loose_eq(a, b), bare(a) == bare(b), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn binds_header_names_options_and_repeats() {
        let e: Vec<Entry> = vec![
            ("X-Trace-Id", "t1".into()),
            ("Tag", "a".into()),
            ("tag", "b".into()),
            ("Limit", " 7".into()),
        ];
        let h = H::deserialize(fields(&e, Match::Header)).unwrap();
        assert_eq!(
            h,
            H {
                x_trace_id: "t1".into(),
                user_agent: None,
                limit: Some(7),
                tag: vec!["a".into(), "b".into()]
            }
        );
    }

    #[test]
    fn errors_name_the_field_not_the_value() {
        let e: Vec<Entry> = vec![("x-trace-id", "t".into()), ("limit", "secret-abc".into())];
        let err = H::deserialize(fields(&e, Match::Header)).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("limit"));
        assert!(!err.to_string().contains("secret"), "{err}");
        let err = H::deserialize(fields(&[], Match::Header)).unwrap_err();
        assert_eq!(err.message, "missing field `x_trace_id`");
    }

    /// Only the header name binds a field, in any case: other spellings of
    /// it (underscores, no dashes, dashes elsewhere) are other headers, so
    /// one cannot stand in for a header a proxy strips or sets.
    #[test]
    fn only_the_header_name_binds() {
        for spelling in ["X-TRACE-ID", "x-trace-id", "X-Trace-Id"] {
            let e: Vec<Entry> = vec![(spelling, "t".into()), ("tag", "a".into())];
            let h = H::deserialize(fields(&e, Match::Header)).unwrap();
            assert_eq!(h.x_trace_id, "t", "{spelling}");
        }
        for spelling in [
            "X_Trace_Id",
            "x_trace_id",
            "xtraceid",
            "X-Tr-ace-Id",
            "X-TraceId",
            "x--trace-id",
        ] {
            let e: Vec<Entry> = vec![(spelling, "evil".into()), ("tag", "a".into())];
            let err = H::deserialize(fields(&e, Match::Header)).unwrap_err();
            assert_eq!(err.message, "missing field `x_trace_id`", "{spelling}");
            // Before the real one: the real one binds.
            let e: Vec<Entry> = vec![
                (spelling, "evil".into()),
                ("X-Trace-Id", "good".into()),
                ("tag", "a".into()),
            ];
            let h = H::deserialize(fields(&e, Match::Header)).unwrap();
            assert_eq!(h.x_trace_id, "good", "{spelling}");
        }
    }

    /// The shortcut for fields without capitals agrees with the header
    /// name rule on every short name.
    #[test]
    fn plain_header_eq_is_the_rule() {
        let names = short_names(&['a', 'A', '_', '-', '1'], 3);
        for field in short_names(&['a', '_', '-', '1'], 3) {
            let header = crate::headers::kebab(&field);
            for name in &names {
                assert_eq!(
                    plain_header_eq(name, &field, !field.contains('-')),
                    header.eq_ignore_ascii_case(name),
                    "{name:?} for {field:?}"
                );
            }
        }
    }

    #[test]
    fn exact_matching_is_case_sensitive() {
        #[derive(Deserialize, Debug)]
        struct C {
            session_id: Option<String>,
        }
        let e: Vec<Entry> = vec![("Session_Id", "x".into())];
        assert_eq!(C::deserialize(fields(&e, Match::Exact)).unwrap().session_id, None);
    }

    #[test]
    fn unit_enums_and_bools() {
        #[derive(Deserialize, Debug, PartialEq)]
        #[serde(rename_all = "kebab-case")]
        enum Kind {
            ExportText,
        }
        #[derive(Deserialize, Debug)]
        struct S {
            kind: Kind,
            flag: bool,
        }
        let e: Vec<Entry> = vec![("kind", "export-text".into()), ("flag", "true".into())];
        let s = S::deserialize(fields(&e, Match::Exact)).unwrap();
        assert_eq!(s.kind, Kind::ExportText);
        assert!(s.flag);
        let e: Vec<Entry> = vec![("kind", "nope".into()), ("flag", "true".into())];
        let err = S::deserialize(fields(&e, Match::Exact)).unwrap_err();
        assert_eq!(err.to_string(), "`kind`: expected one of `export-text`");
    }
}
