//! Incremental decoder for `Transfer-Encoding: chunked` request bodies
//! (RFC 9112 section 7.1). Extensions are skipped, trailers are read and
//! discarded. The decoder keeps its state between reads, so each byte is
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
    /// Skipping `;ext=val` up to the end of the size line.
    Extension,
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
    /// Inside a trailer field line.
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
                    match b {
                        b';' | b' ' | b'\t' => self.state = State::Extension,
                        b'\r' => self.state = State::SizeLf,
                        _ => return Err(BAD_CHUNK),
                    }
                }
            }
            State::Extension => {
                self.line_len += 1;
                if self.line_len > MAX_SIZE_LINE {
                    return Err(BAD_CHUNK);
                }
                match b {
                    b'\r' => self.state = State::SizeLf,
                    b'\n' => return Err(BAD_CHUNK),
                    b'\t' | b' '..=b'~' | 0x80..=0xff => {}
                    _ => return Err(BAD_CHUNK),
                }
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
            State::TrailerStart => match b {
                b'\r' => self.state = State::EndLf,
                b'\n' => return Err(BAD_CHUNK),
                _ => {
                    self.count_trailer()?;
                    self.state = State::Trailer;
                }
            },
            State::Trailer => {
                self.count_trailer()?;
                match b {
                    b'\r' => self.state = State::TrailerLf,
                    b'\n' => return Err(BAD_CHUNK),
                    b'\t' | b' '..=b'~' | 0x80..=0xff => {}
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
