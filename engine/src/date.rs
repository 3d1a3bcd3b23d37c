//! A per-thread cache of the `Date` header value, refreshed by each
//! worker's tick task. No locks and no unsafe: every worker owns its copy.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

/// Length of an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) const DATE_LEN: usize = 29;

thread_local! {
    static CACHE: Cell<([u8; DATE_LEN], u64)> = const { Cell::new(([0; DATE_LEN], 0)) };
}

/// Recomputes the cached value if the second has changed.
pub(crate) fn refresh() {
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    CACHE.with(|c| {
        let (_, cached) = c.get();
        if cached != secs {
            let text = httpdate::fmt_http_date(now);
            let mut buf = [0u8; DATE_LEN];
            if text.len() == DATE_LEN {
                buf.copy_from_slice(text.as_bytes());
                c.set((buf, secs));
            }
        }
    });
}

/// The current `Date` value.
#[inline]
pub(crate) fn now() -> [u8; DATE_LEN] {
    CACHE.with(|c| {
        let (bytes, secs) = c.get();
        if secs == 0 {
            refresh();
            c.get().0
        } else {
            bytes
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_imf_fixdate() {
        super::refresh();
        let d = super::now();
        let s = std::str::from_utf8(&d).unwrap();
        assert!(s.ends_with(" GMT"), "{s}");
        assert!(httpdate::parse_http_date(s).is_ok());
    }
}
