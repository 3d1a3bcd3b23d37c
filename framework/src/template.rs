//! Path templates: static segments and `{slot}`s in snake_case.

/// One segment of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Static(String),
    Slot(String),
}

/// A validated template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    pub(crate) segments: Vec<Segment>,
}

impl Template {
    /// Parses and validates a mount path. The error says what is wrong and
    /// how to write it instead.
    pub(crate) fn parse(path: &str) -> Result<Template, String> {
        if !path.starts_with('/') {
            return Err(format!(
                "the path {path:?} does not start with `/`; write it as \"/{path}\""
            ));
        }
        if path == "/" {
            return Ok(Template { segments: Vec::new() });
        }
        if path.ends_with('/') {
            return Err(format!(
                "the path {path:?} ends with `/`; remove the trailing slash"
            ));
        }
        let mut segments = Vec::new();
        for seg in path[1..].split('/') {
            if seg.is_empty() {
                return Err(format!(
                    "the path {path:?} has an empty segment (`//`); remove it"
                ));
            }
            if let Some(inner) = seg.strip_prefix('{') {
                let Some(name) = inner.strip_suffix('}') else {
                    return Err(format!(
                        "the path {path:?} has a malformed slot `{seg}`; write slots as `{{name}}`"
                    ));
                };
                if !is_snake(name) {
                    return Err(format!(
                        "the path {path:?} has a slot `{{{name}}}` that is not snake_case; \
                         name slots like `{{widget_id}}`"
                    ));
                }
                if segments.contains(&Segment::Slot(name.to_owned())) {
                    return Err(format!(
                        "the path {path:?} uses the slot `{{{name}}}` twice; rename one"
                    ));
                }
                segments.push(Segment::Slot(name.to_owned()));
            } else {
                if seg.contains(['{', '}']) {
                    return Err(format!(
                        "the path {path:?} has a malformed segment `{seg}`; a slot must be a whole segment, \
                         like `/{{widget_id}}`"
                    ));
                }
                if !seg.bytes().all(is_pchar) {
                    return Err(format!(
                        "the path {path:?} has characters that are not allowed in a URL path in `{seg}`; \
                         percent-encode them"
                    ));
                }
                segments.push(Segment::Static(seg.to_owned()));
            }
        }
        Ok(Template { segments })
    }

    /// The slot names, in order.
    pub(crate) fn slots(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Slot(n) => Some(n.as_str()),
            Segment::Static(_) => None,
        })
    }

    /// Which path segments hold the slots (0 for the segment after the
    /// first `/`), in order.
    pub(crate) fn slot_segments(&self) -> Box<[u16]> {
        self.segments
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s, Segment::Slot(_)))
            .map(|(i, _)| u16::try_from(i).expect("a path has fewer than 65,536 segments"))
            .collect()
    }

    /// The template as written, e.g. `/widgets/{widget_id}`.
    pub(crate) fn display(&self) -> String {
        self.render(|_, name| format!("{{{name}}}"))
    }

    /// The router's form: slots named by position (`{s0}`, `{s1}`), so two
    /// routes with the same shape but different slot names are one route.
    pub(crate) fn positional(&self) -> String {
        self.render(|i, _| format!("{{s{i}}}"))
    }

    fn render(&self, slot: impl Fn(usize, &str) -> String) -> String {
        if self.segments.is_empty() {
            return "/".to_owned();
        }
        let mut out = String::new();
        let mut i = 0;
        for s in &self.segments {
            out.push('/');
            match s {
                Segment::Static(t) => out.push_str(t),
                Segment::Slot(n) => {
                    out.push_str(&slot(i, n));
                    i += 1;
                }
            }
        }
        out
    }
}

fn is_snake(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// RFC 3986 `pchar` (minus `%`-escapes' validation, which matchit does not need).
fn is_pchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'%'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_renders() {
        let t = Template::parse("/collections/{collection_id}/items").unwrap();
        assert_eq!(t.slots().collect::<Vec<_>>(), ["collection_id"]);
        assert_eq!(t.positional(), "/collections/{s0}/items");
        assert_eq!(t.display(), "/collections/{collection_id}/items");
        assert_eq!(Template::parse("/").unwrap().display(), "/");
    }

    #[test]
    fn rejects_malformed() {
        assert!(Template::parse("widgets")
            .unwrap_err()
            .contains("does not start with `/`"));
        assert!(Template::parse("/a/{b").unwrap_err().contains("malformed slot"));
        assert!(Template::parse("/a/x{b}")
            .unwrap_err()
            .contains("malformed segment"));
        assert!(Template::parse("/a/{B}").unwrap_err().contains("not snake_case"));
        assert!(Template::parse("/a/{b}/{b}").unwrap_err().contains("twice"));
        assert!(Template::parse("/a//b").unwrap_err().contains("empty segment"));
        assert!(Template::parse("/a/").unwrap_err().contains("trailing slash"));
        assert!(Template::parse("/a b").unwrap_err().contains("not allowed"));
    }
}
