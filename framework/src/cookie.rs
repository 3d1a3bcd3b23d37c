//! `Set-Cookie`, secure by default.

use std::fmt::Write as _;

/// The `SameSite` attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SameSite {
    /// `SameSite=Strict`
    Strict,
    /// `SameSite=Lax` (the default)
    Lax,
    /// `SameSite=None` (requires `Secure`)
    None,
}

/// A cookie to set on the client.
///
/// Secure by default: `Path=/; Secure; HttpOnly; SameSite=Lax`. Bytes of the
/// value that are not cookie octets, and `%`, are percent-encoded, and a
/// `cookies` argument decodes them, so a handler reads back what it set. A
/// name that is not a token, or a `Path` or `Domain` with a control byte or
/// `;`, is refused: the cookie is not sent and an error is logged.
///
/// ```
/// use jero::SetCookie;
/// assert_eq!(
///     SetCookie::new("session_id", "abc").to_string(),
///     "session_id=abc; Path=/; Secure; HttpOnly; SameSite=Lax"
/// );
/// assert_eq!(
///     SetCookie::new("theme", "dark").http_only(false).max_age(3600).to_string(),
///     "theme=dark; Path=/; Max-Age=3600; Secure; SameSite=Lax"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetCookie {
    name: String,
    value: String,
    path: Option<String>,
    domain: Option<String>,
    max_age: Option<i64>,
    expires: Option<std::time::SystemTime>,
    secure: bool,
    http_only: bool,
    same_site: Option<SameSite>,
}

impl SetCookie {
    /// A cookie with the secure defaults.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> SetCookie {
        SetCookie {
            name: name.into(),
            value: value.into(),
            path: Some("/".into()),
            domain: None,
            max_age: None,
            expires: None,
            secure: true,
            http_only: true,
            same_site: Some(SameSite::Lax),
        }
    }

    /// A cookie that deletes `name` on the client (empty value, `Max-Age=0`).
    pub fn remove(name: impl Into<String>) -> SetCookie {
        SetCookie::new(name, "").max_age(0)
    }

    /// The `Path` (default `/`); `None` omits it.
    pub fn path(mut self, path: Option<&str>) -> Self {
        self.path = path.map(str::to_owned);
        self
    }

    /// The `Domain`.
    pub fn domain(mut self, domain: &str) -> Self {
        self.domain = Some(domain.to_owned());
        self
    }

    /// `Max-Age` in seconds.
    pub fn max_age(mut self, seconds: i64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// `Expires`.
    pub fn expires(mut self, at: std::time::SystemTime) -> Self {
        self.expires = Some(at);
        self
    }

    /// Whether to send `Secure` (default yes).
    pub fn secure(mut self, yes: bool) -> Self {
        self.secure = yes;
        self
    }

    /// Whether to send `HttpOnly` (default yes).
    pub fn http_only(mut self, yes: bool) -> Self {
        self.http_only = yes;
        self
    }

    /// The `SameSite` policy (default `Lax`); `None` omits the attribute.
    /// `SameSite=None` always carries `Secure`, as browsers require.
    pub fn same_site(mut self, policy: Option<SameSite>) -> Self {
        self.same_site = policy;
        self
    }

    /// The cookie's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Why the cookie cannot be sent, if it cannot: a name that is not a
    /// token, a `Path` or `Domain` that would break out of its attribute.
    /// The response wrappers log such a cookie and leave it out; check it
    /// here before sending a cookie's text through a raw header.
    ///
    /// ```
    /// use jero::SetCookie;
    /// assert_eq!(SetCookie::new("seen", "1").refused(), None);
    /// assert!(SetCookie::new("seen", "1").path(Some("/a;Domain=evil")).refused().is_some());
    /// assert!(SetCookie::new("bad name", "1").refused().is_some());
    /// ```
    pub fn refused(&self) -> Option<&'static str> {
        if !jero_engine::is_token(self.name.as_bytes()) {
            return Some("cookie name is not a token; cookie not sent");
        }
        let attrs = [self.path.as_deref(), self.domain.as_deref()];
        if attrs.into_iter().flatten().any(|a| !attr_safe(a)) {
            return Some("cookie Path or Domain has a control byte or `;`; cookie not sent");
        }
        None
    }
}

/// What a cookie value holds percent-encoded: all but RFC 6265's
/// cookie-octets, and `%` itself, so that decoding gives the value back.
/// The TestClient sends cookie values encoded with it, as a browser gives
/// back what [`SetCookie`] set.
#[doc(hidden)]
pub const COOKIE_VALUE_ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b',')
    .add(b';')
    .add(b'\\')
    .add(b'%');

fn attr_safe(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b';')
}

/// The `Set-Cookie` value. A `Path` or `Domain` with a control byte or `;`
/// is left out here (the response wrappers refuse the whole cookie
/// instead): check [`SetCookie::refused`] before sending this text through
/// a raw header.
impl std::fmt::Display for SetCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)?;
        f.write_char('=')?;
        write!(
            f,
            "{}",
            percent_encoding::utf8_percent_encode(&self.value, COOKIE_VALUE_ESCAPES)
        )?;
        if let Some(p) = self.path.as_deref().filter(|p| attr_safe(p)) {
            write!(f, "; Path={p}")?;
        }
        if let Some(d) = self.domain.as_deref().filter(|d| attr_safe(d)) {
            write!(f, "; Domain={d}")?;
        }
        if let Some(m) = self.max_age {
            write!(f, "; Max-Age={m}")?;
        }
        if let Some(e) = self.expires {
            write!(f, "; Expires={}", jero_engine_date(e))?;
        }
        // Browsers drop `SameSite=None` cookies that are not `Secure`.
        if self.secure || self.same_site == Some(SameSite::None) {
            f.write_str("; Secure")?;
        }
        if self.http_only {
            f.write_str("; HttpOnly")?;
        }
        match self.same_site {
            Some(SameSite::Strict) => f.write_str("; SameSite=Strict")?,
            Some(SameSite::Lax) => f.write_str("; SameSite=Lax")?,
            Some(SameSite::None) => f.write_str("; SameSite=None")?,
            None => {}
        }
        Ok(())
    }
}

fn jero_engine_date(t: std::time::SystemTime) -> String {
    httpdate::fmt_http_date(t)
}
