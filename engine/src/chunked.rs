//! Incremental decoder for `Transfer-Encoding: chunked` request bodies
//! (RFC 9112 section 7.1). Extensions are checked against their grammar and
//! skipped, trailers are checked as field lines and discarded: a framing
//! byte another parser might read differently (a proxy in front) is 400. The decoder keeps its state between reads, so each byte is
//! looked at once however the body is split across packets.

use bytes::{Buf, BytesMut};

use crate::parse::ParseError;

/// Most hex digits accepted in a chunk size (16 fills a `u64`).
const MAX_SIZE_DIGITS: usize = 16;
/// Longest chunk-size line (size plus extensions) accepted.
const MAX_SIZE_LINE: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the hex chunk size.
    Size,
    /// After the size or an extension: whitespace, then `;` or CR.
    ExtNext,
    /// After `;`: whitespace, then an extension's name.
    ExtNameStart,
    /// In an extension's name (a token).
    ExtName,
    /// After an extension's name: whitespace, then `=`, `;` or CR.
    ExtAfterName,
    /// After `=`: whitespace, then a token or a quoted string.
    ExtValueStart,
    /// In a token value.
    ExtToken,
    /// In a quoted-string value.
    ExtQuoted,
    /// After a backslash in a quoted-string value.
    ExtQuotedPair,
    /// Expecting the LF that ends the size line.
    SizeLf,
    /// Copying chunk data; `remaining` bytes left.
    Data,
    /// Expecting CR after the chunk data.
    DataCr,
    /// Expecting LF after the chunk data.
    DataLf,
    /// At the start of a trailer line (or the final empty line).
    TrailerStart,
    /// In a trailer field's name.
    TrailerName,
    /// In a trailer field's value.
    Trailer,
    /// Expecting LF of a trailer line.
    TrailerLf,
    /// Expecting LF of the final empty line.
    EndLf,
    /// Body complete.
    Done,
}

/// Resumable chunked-body decoder.
#[derive(Debug)]
pub(crate) struct ChunkedDecoder {
    state: State,
    size: u64,
    digits: usize,
    line_len: usize,
    remaining: u64,
    total: u64,
    max_body: u64,
    trailer_bytes: usize,
    max_trailers: usize,
}

const BAD_CHUNK: ParseError = ParseError::new(400, "invalid chunked body");

impl ChunkedDecoder {
    pub(crate) fn new(max_body: usize, max_trailers: usize) -> ChunkedDecoder {
        ChunkedDecoder {
            state: State::Size,
            size: 0,
            digits: 0,
            line_len: 0,
            remaining: 0,
            total: 0,
            max_body: max_body as u64,
            trailer_bytes: 0,
            max_trailers,
        }
    }

    /// Consumes framing and data from the front of `src`, appending decoded
    /// data to `dst`. Returns `Ok(true)` once the whole body (trailers
    /// included) has been consumed; bytes after it stay in `src`.
    pub(crate) fn decode(&mut self, src: &mut BytesMut, dst: &mut BytesMut) -> Result<bool, ParseError> {
        loop {
            if self.state == State::Done {
                return Ok(true);
            }
            if self.state == State::Data {
                if src.is_empty() {
                    return Ok(false);
                }
                let n = (self.remaining.min(src.len() as u64)) as usize;
                dst.extend_from_slice(&src[..n]);
                src.advance(n);
                self.remaining -= n as u64;
                if self.remaining == 0 {
                    self.state = State::DataCr;
                }
                continue;
            }
            let Some(&b) = src.first() else { return Ok(false) };
            src.advance(1);
            self.step(b)?;
        }
    }

    fn step(&mut self, b: u8) -> Result<(), ParseError> {
        match self.state {
            State::Size => {
                self.line_len += 1;
                if let Some(d) = hex_value(b) {
                    self.digits += 1;
                    if self.digits > MAX_SIZE_DIGITS {
                        return Err(BAD_CHUNK);
                    }
                    self.size = (self.size << 4) | u64::from(d);
                } else if self.digits == 0 {
                    return Err(BAD_CHUNK);
                } else {
                    self.state = State::ExtNext;
                    return self.step_extension(b);
                }
            }
            State::ExtNext
            | State::ExtNameStart
            | State::ExtName
            | State::ExtAfterName
            | State::ExtValueStart
            | State::ExtToken
            | State::ExtQuoted
            | State::ExtQuotedPair => {
                self.line_len += 1;
                if self.line_len > MAX_SIZE_LINE {
                    return Err(BAD_CHUNK);
                }
                return self.step_extension(b);
            }
            State::SizeLf => {
                if b != b'\n' {
                    return Err(BAD_CHUNK);
                }
                let size = self.size;
                self.size = 0;
                self.digits = 0;
                self.line_len = 0;
                if size == 0 {
                    self.state = State::TrailerStart;
                } else {
                    self.total = self.total.saturating_add(size);
                    if self.total > self.max_body {
                        return Err(ParseError::new(413, "request body too large"));
                    }
                    self.remaining = size;
                    self.state = State::Data;
                }
            }
            State::Data => unreachable!("data is copied in bulk by decode"),
            State::DataCr => {
                if b != b'\r' {
                    return Err(BAD_CHUNK);
                }
                self.state = State::DataLf;
            }
            State::DataLf => {
                if b != b'\n' {
                    return Err(BAD_CHUNK);
                }
                self.state = State::Size;
            }
            // A field line: a name (a token; not whitespace, which would be
            // an obsolete folded line), `:`, a value.
            State::TrailerStart => match b {
                b'\r' => self.state = State::EndLf,
                _ if crate::encode::is_tchar(b) => {
                    self.count_trailer()?;
                    self.state = State::TrailerName;
                }
                _ => return Err(BAD_CHUNK),
            },
            State::TrailerName => {
                self.count_trailer()?;
                match b {
                    b':' => self.state = State::Trailer,
                    _ if crate::encode::is_tchar(b) => {}
                    _ => return Err(BAD_CHUNK),
                }
            }
            State::Trailer => {
                self.count_trailer()?;
                match b {
                    b'\r' => self.state = State::TrailerLf,
                    b'\n' => return Err(BAD_CHUNK),
                    _ if crate::encode::field_byte(b) => {}
                    _ => return Err(BAD_CHUNK),
                }
            }
            State::TrailerLf => {
                if b != b'\n' {
                    return Err(BAD_CHUNK);
                }
                self.state = State::TrailerStart;
            }
            State::EndLf => {
                if b != b'\n' {
                    return Err(BAD_CHUNK);
                }
                self.state = State::Done;
            }
            State::Done => {}
        }
        Ok(())
    }

    /// One byte of a size line after its digits: `*( BWS ";" BWS name [
    /// BWS "=" BWS ( token / quoted-string ) ] )`, then CR (RFC 9112
    /// 7.1.1).
    fn step_extension(&mut self, b: u8) -> Result<(), ParseError> {
        let blank = b == b' ' || b == b'\t';
        let token = crate::encode::is_tchar(b);
        self.state = match (self.state, b) {
            (State::ExtNext | State::ExtAfterName, _) if blank => self.state,
            (State::ExtNext | State::ExtAfterName | State::ExtToken | State::ExtName, b';') => {
                State::ExtNameStart
            }
            (State::ExtNext | State::ExtAfterName | State::ExtToken | State::ExtName, b'\r') => State::SizeLf,
            (State::ExtNameStart, _) if blank => State::ExtNameStart,
            (State::ExtNameStart | State::ExtName, _) if token => State::ExtName,
            (State::ExtName, _) if blank => State::ExtAfterName,
            (State::ExtName | State::ExtAfterName, b'=') => State::ExtValueStart,
            (State::ExtValueStart, _) if blank => State::ExtValueStart,
            (State::ExtValueStart, b'"') => State::ExtQuoted,
            (State::ExtValueStart | State::ExtToken, _) if token => State::ExtToken,
            (State::ExtToken, _) if blank => State::ExtNext,
            (State::ExtQuoted, b'"') => State::ExtNext,
            (State::ExtQuoted, b'\\') => State::ExtQuotedPair,
            (State::ExtQuoted | State::ExtQuotedPair, _) if crate::encode::field_byte(b) => State::ExtQuoted,
            _ => return Err(BAD_CHUNK),
        };
        Ok(())
    }

    fn count_trailer(&mut self) -> Result<(), ParseError> {
        self.trailer_bytes += 1;
        if self.trailer_bytes > self.max_trailers {
            return Err(ParseError::new(431, "request trailers too large"));
        }
        Ok(())
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8], limit: usize) -> Result<(Vec<u8>, Vec<u8>), ParseError> {
        let mut dec = ChunkedDecoder::new(limit, 1024);
        let mut src = BytesMut::from(input);
        let mut dst = BytesMut::new();
        if dec.decode(&mut src, &mut dst)? {
            Ok((dst.to_vec(), src.to_vec()))
        } else {
            Err(ParseError::new(0, "incomplete"))
        }
    }

    #[test]
    fn decodes_chunks_extensions_trailers() {
        let (body, rest) = decode_all(
            b"5;name=val\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\nNEXT",
            100,
        )
        .unwrap();
        assert_eq!(body, b"hello world");
        assert_eq!(rest, b"NEXT");
    }

    /// Extensions follow their grammar (RFC 9112 7.1.1) and trailers are
    /// field lines (7.1.2): anything else is 400, fed whole or a byte at a
    /// time, since a proxy in front may frame such a body differently.
    #[test]
    fn extensions_and_trailers_follow_the_grammar() {
        let accepted: &[&[u8]] = &[
            b"3;a\r\nabc\r\n0\r\n\r\n",
            b"3;a=b\r\nabc\r\n0\r\n\r\n",
            b"3 ; a = b ; c\r\nabc\r\n0\r\n\r\n",
            b"3\t;a=\"x \\\" y;z\"\r\nabc\r\n0\r\n\r\n",
            b"3;a=b;c=\"\"\r\nabc\r\n0;last\r\n\r\n",
            b"3\r\nabc\r\n0\r\nX-T: 1\r\nEmpty:\r\nSpaced:  v  \r\n\r\n",
        ];
        let refused: &[&[u8]] = &[
            b"3 4\r\nabc\r\n0\r\n\r\n",
            b"3 garbage\r\nabc\r\n0\r\n\r\n",
            b"3;\r\nabc\r\n0\r\n\r\n",
            b"3;a=\r\nabc\r\n0\r\n\r\n",
            b"3;a b\r\nabc\r\n0\r\n\r\n",
            b"3;a=b c\r\nabc\r\n0\r\n\r\n",
            b"3;a=\"open\r\nabc\r\n0\r\n\r\n",
            b"3;a=\"x\"y\r\nabc\r\n0\r\n\r\n",
            b"3;(a)\r\nabc\r\n0\r\n\r\n",
            b"3\r\nabc\r\n0\r\nGET /x HTTP/1.1\r\n\r\n",
            b"3\r\nabc\r\n0\r\n folded: v\r\n\r\n",
            b"3\r\nabc\r\n0\r\nno-colon\r\n\r\n",
            b"3\r\nabc\r\n0\r\n: no name\r\n\r\n",
        ];
        for input in accepted {
            let (body, rest) = decode_all(input, 100)
                .unwrap_or_else(|e| panic!("{e:?}: {}", String::from_utf8_lossy(input)));
            assert_eq!((body.as_slice(), rest.as_slice()), (&b"abc"[..], &b""[..]));
        }
        for input in refused {
            assert_eq!(
                decode_all(input, 100).map(|_| ()),
                Err(BAD_CHUNK),
                "{}",
                String::from_utf8_lossy(input)
            );
            let mut dec = ChunkedDecoder::new(100, 1024);
            let mut dst = BytesMut::new();
            let refused_bytewise = input.iter().any(|&b| {
                let mut src = BytesMut::from(&[b][..]);
                dec.decode(&mut src, &mut dst).is_err()
            });
            assert!(refused_bytewise, "{}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn byte_at_a_time_matches_whole() {
        let input = b"A\r\n0123456789\r\n3\r\nabc\r\n0\r\n\r\n";
        let mut dec = ChunkedDecoder::new(100, 100);
        let mut dst = BytesMut::new();
        let mut done = false;
        for &b in input.iter() {
            let mut src = BytesMut::from(&[b][..]);
            done = dec.decode(&mut src, &mut dst).unwrap();
            assert!(src.is_empty());
        }
        assert!(done);
        assert_eq!(&dst[..], b"0123456789abc");
    }

    #[test]
    fn rejects_bad_sizes() {
        assert_eq!(decode_all(b"zz\r\n", 100).unwrap_err().status, 400);
        assert_eq!(decode_all(b"\r\n", 100).unwrap_err().status, 400);
        assert_eq!(
            decode_all(b"11111111111111111\r\n", usize::MAX)
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(decode_all(b"5\nhello\r\n0\r\n\r\n", 100).unwrap_err().status, 400);
        assert_eq!(
            decode_all(b"5\r\nhelloX\r\n0\r\n\r\n", 100).unwrap_err().status,
            400
        );
        assert_eq!(
            decode_all(b"-5\r\nhello\r\n0\r\n\r\n", 100).unwrap_err().status,
            400
        );
    }

    #[test]
    fn enforces_body_limit() {
        assert!(decode_all(b"5\r\nhello\r\n0\r\n\r\n", 5).is_ok());
        assert_eq!(
            decode_all(b"3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", 5)
                .unwrap_err()
                .status,
            413
        );
    }
}
