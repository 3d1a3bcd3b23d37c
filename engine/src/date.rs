//! A per-thread cache of the `date` header line, refreshed by each
//! worker's tick task. No locks and no unsafe: every worker owns its copy.

use std::cell::Cell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Length of an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
const DATE_LEN: usize = 29;

/// Length of the whole line: `date: `, the date, CRLF.
const LINE_LEN: usize = 6 + DATE_LEN + 2;

/// The line padded to a whole number of 16-byte words. It is copied as one
/// block of this constant size and the output cut back to [`LINE_LEN`]:
/// three vector moves that each read exactly what one move wrote. The
/// earlier 29-byte value was read back with overlapping moves, which the
/// CPU could not forward from the stores that had just written it
/// (`benches/encode`: the most expensive instructions of `encode`).
const BLOCK: usize = 48;

/// A line before the first refresh (never sent: `line` refreshes first).
const EMPTY: [u8; BLOCK] = [0; BLOCK];

thread_local! {
    /// The line (read on every response), and one more than the second
    /// it was made for (0 before the first refresh). Apart, the line is
    /// read straight into vector registers: as one `(line, second)` value
    /// it was copied to the stack twice first (12 moves a response).
    static LINE: Cell<[u8; BLOCK]> = const { Cell::new(EMPTY) };
    static MADE: Cell<u64> = const { Cell::new(0) };
}

/// The last second an IMF-fixdate can name, 9999-12-31 23:59:59 GMT
/// (`httpdate` panics after it).
const LAST_SECOND: u64 = 253_402_300_799;

/// Recomputes the cached line if the second has changed.
pub(crate) fn refresh() {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    refresh_at(secs);
}

/// [`refresh`] for `secs` after the epoch. A clock outside what the
/// format can name (before 1970, or after 9999) is sent as the nearest
/// date it can: `httpdate` panics on both, and a line never made would
/// be sent as zero bytes.
fn refresh_at(secs: u64) {
    let secs = secs.min(LAST_SECOND);
    if MADE.get() != secs + 1 {
        let text = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs));
        let mut line = EMPTY;
        line[..6].copy_from_slice(b"date: ");
        line[6..6 + DATE_LEN].copy_from_slice(&text.as_bytes()[..DATE_LEN]);
        line[6 + DATE_LEN..LINE_LEN].copy_from_slice(b"\r\n");
        LINE.set(line);
        MADE.set(secs + 1);
    }
}

/// Appends the current `date: ...\r\n` line to `out`.
#[inline]
pub(crate) fn push_line(out: &mut Vec<u8>) {
    if MADE.get() == 0 {
        refresh();
    }
    crate::response::push_prefix(out, &LINE.get(), LINE_LEN);
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_an_imf_fixdate_line() {
        let mut out = b"x".to_vec();
        super::push_line(&mut out);
        assert_eq!(out.len(), 1 + super::LINE_LEN);
        let s = std::str::from_utf8(&out[1..]).unwrap();
        let date = s
            .strip_prefix("date: ")
            .and_then(|s| s.strip_suffix("\r\n"))
            .unwrap();
        assert!(date.ends_with(" GMT"), "{s}");
        assert!(httpdate::parse_http_date(date).is_ok(), "{s}");
        // A refresh within the same second keeps the line; either way it
        // stays a valid date.
        super::refresh();
        let mut again = Vec::new();
        super::push_line(&mut again);
        assert_eq!(again.len(), super::LINE_LEN);
        assert!(again.starts_with(b"date: ") && again.ends_with(b" GMT\r\n"));
    }

    #[test]
    fn clocks_outside_the_format_get_its_nearest_date() {
        let line = |secs: u64| {
            super::refresh_at(secs);
            let mut out = Vec::new();
            super::push_line(&mut out);
            String::from_utf8(out).unwrap()
        };
        // 0 seconds after the epoch (what `refresh` reads a clock before
        // 1970 as), then the last second the format can name and past it.
        assert_eq!(line(0), "date: Thu, 01 Jan 1970 00:00:00 GMT\r\n");
        assert_eq!(
            line(super::LAST_SECOND),
            "date: Fri, 31 Dec 9999 23:59:59 GMT\r\n"
        );
        assert_eq!(line(u64::MAX), "date: Fri, 31 Dec 9999 23:59:59 GMT\r\n");
        assert_eq!(line(784_111_777), "date: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
        super::refresh();
    }
}
