//! The incremental parser: finds the end of the head across reads in linear total time.

use super::scan::*;
use super::*;

// ---------------------------------------------------------------------------------------------
// The incremental scanner: finds the end of the head, enforces the caps and CRLF.

/// Incremental, bounded HTTP/1.1 head parser.
///
/// Feed it the *whole* buffer received so far on every call (the caller appends new bytes at the
/// end; earlier bytes must not change) together with fresh header slots:
///
/// ```
/// use sockwire::http::{HeadConfig, HeadParser, Header, Status};
///
/// let wire = b"GET /chat?x=1 HTTP/1.1\r\nHost: a\r\n\r\nrest";
/// let mut parser = HeadParser::new(HeadConfig::default());
/// let mut buf = Vec::new();
/// for &byte in wire.iter() {
///     buf.push(byte);
///     let mut slots = [Header::EMPTY; 16];
///     match parser.parse_request(&buf, &mut slots)? {
///         Status::Partial => continue,
///         Status::Complete(req) => {
///             assert_eq!(req.method(), "GET");
///             assert_eq!(req.path(), "/chat");
///             assert_eq!(req.query(), Some("x=1"));
///             assert_eq!(req.header("host"), Some(&b"a"[..]));
///             assert_eq!(req.head_len(), wire.len() - 4);
///             break;
///         }
///     }
/// }
/// # Ok::<(), sockwire::http::HttpError>(())
/// ```
///
/// On the first call the whole head is parsed optimistically in one pass (the common case: the
/// head arrives in one read). If it is incomplete, later calls only scan the new bytes for the
/// empty line, at most `max_head_len` bytes in total, and the head is parsed once when it is
/// complete. After an error the parser keeps answering that error; [`HeadParser::reset`] starts
/// over.
#[derive(Debug, Clone)]
pub struct HeadParser {
    cfg: HeadConfig,
    started: bool,
    /// Bytes scanned by the incremental scanner.
    pos: usize,
    /// Start of the current line.
    line_start: usize,
    /// Complete lines seen (start line included), excluding the empty line.
    lines: usize,
    /// End of the head once found.
    end: Option<usize>,
    failed: Option<HttpError>,
    examined: u64,
}

enum Scan {
    Partial,
    End(usize),
}

impl HeadParser {
    /// A parser with the given caps.
    pub const fn new(cfg: HeadConfig) -> Self {
        HeadParser {
            cfg,
            started: false,
            pos: 0,
            line_start: 0,
            lines: 0,
            end: None,
            failed: None,
            examined: 0,
        }
    }

    /// The caps in use.
    pub fn config(&self) -> &HeadConfig {
        &self.cfg
    }

    /// Forgets all progress (keeps the caps) to parse a new head.
    pub fn reset(&mut self) {
        *self = HeadParser::new(self.cfg);
    }

    /// Total number of bytes the parser has looked at since it was created or reset, counting
    /// each pass. It is at most three times the head length (or the cap), however the input was
    /// split; tests use it to prove linear behaviour without timing anything.
    ///
    /// Not part of the stable API (hidden from the docs): a test instrument.
    #[doc(hidden)]
    pub fn bytes_examined(&self) -> u64 {
        self.examined
    }

    /// Parses a request head. See the type docs for the calling convention.
    pub fn parse_request<'h, 'b>(
        &mut self,
        buf: &'b [u8],
        slots: &'h mut [Header<'b>],
    ) -> Result<Status<Request<'h, 'b>>, HttpError> {
        let cap = self.cfg.max_headers.min(slots.len());
        let parts = self.drive(buf, cap, |b| full_request(b, slots, cap))?;
        Ok(match parts {
            None => Status::Partial,
            Some((method, target, minor, n, head_len)) => {
                let slots: &'h [Header<'b>] = slots;
                Status::Complete(Request {
                    method,
                    target,
                    minor,
                    headers: &slots[..n],
                    head_len,
                })
            }
        })
    }

    /// Parses a response head. See the type docs for the calling convention.
    pub fn parse_response<'h, 'b>(
        &mut self,
        buf: &'b [u8],
        slots: &'h mut [Header<'b>],
    ) -> Result<Status<Response<'h, 'b>>, HttpError> {
        let cap = self.cfg.max_headers.min(slots.len());
        let parts = self.drive(buf, cap, |b| full_response(b, slots, cap))?;
        Ok(match parts {
            None => Status::Partial,
            Some((minor, status, reason, n, head_len)) => {
                let slots: &'h [Header<'b>] = slots;
                Status::Complete(Response {
                    minor,
                    status,
                    reason,
                    headers: &slots[..n],
                    head_len,
                })
            }
        })
    }

    /// Shared driver: optimistic full parse on the first call, incremental scan afterwards,
    /// full parse once the end is known.
    fn drive<'b, T>(
        &mut self,
        buf: &'b [u8],
        cap: usize,
        mut full: impl FnMut(&'b [u8]) -> (Result<T, Fail>, usize),
    ) -> Result<Option<T>, HttpError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if buf.len() < self.pos {
            // The caller broke the contract (the buffer shrank): start over.
            let cfg = self.cfg;
            let examined = self.examined;
            *self = HeadParser::new(cfg);
            self.examined = examined;
        }
        let limited = &buf[..buf.len().min(self.cfg.max_head_len)];
        if let Some(end) = self.end {
            // Already complete: parse again (the caller asks twice).
            let (r, reached) = full(&buf[..end]);
            self.examined += reached as u64;
            return self.finish(r);
        }
        if !self.started {
            self.started = true;
            let (r, reached) = full(limited);
            self.examined += reached as u64;
            if let Ok(t) = r {
                return Ok(Some(t));
            }
            // Incomplete or invalid: let the scanner decide what the bytes so far mean, so that
            // the result does not depend on how the input was split.
        }
        match self.scan(buf, cap) {
            Err(e) => {
                self.failed = Some(e);
                Err(e)
            }
            Ok(Scan::Partial) => Ok(None),
            Ok(Scan::End(end)) => {
                self.end = Some(end);
                let (r, reached) = full(&buf[..end]);
                self.examined += reached as u64;
                self.finish(r)
            }
        }
    }

    fn finish<T>(&mut self, r: Result<T, Fail>) -> Result<Option<T>, HttpError> {
        match r {
            Ok(t) => Ok(Some(t)),
            Err(Fail::Invalid(e)) => {
                self.failed = Some(e);
                Err(e)
            }
            // Cannot happen on a head the scanner found complete; treat as malformed.
            Err(Fail::Partial) => {
                self.failed = Some(HttpError::LineEnding);
                Err(HttpError::LineEnding)
            }
        }
    }

    fn scan(&mut self, buf: &[u8], cap: usize) -> Result<Scan, HttpError> {
        let max = self.cfg.max_head_len;
        let limit = buf.len().min(max);
        let from = self.pos;
        let mut i = from;
        let mut result = Ok(Scan::Partial);
        while i < limit {
            // Find the next LF.
            match buf[i..limit].iter().position(|&b| b == b'\n') {
                None => {
                    i = limit;
                    break;
                }
                Some(off) => {
                    let lf = i + off;
                    i = lf + 1;
                    if lf == self.line_start || buf[lf - 1] != b'\r' {
                        result = Err(HttpError::LineEnding);
                        break;
                    }
                    if lf - self.line_start == 1 {
                        if self.lines == 0 {
                            // An empty start line.
                            result = Err(HttpError::LineEnding);
                        } else {
                            result = Ok(Scan::End(lf + 1));
                        }
                        break;
                    }
                    self.lines += 1;
                    self.line_start = lf + 1;
                    if self.lines > cap + 1 {
                        result = Err(HttpError::TooManyHeaders { limit: cap });
                        break;
                    }
                }
            }
        }
        self.examined += (i - from) as u64;
        self.pos = i;
        if let Ok(Scan::Partial) = result {
            if buf.len() >= max {
                return Err(HttpError::HeadTooLarge { limit: max });
            }
        }
        result
    }
}

/// Parses a complete request head in one call (a fresh [`HeadParser`]).
pub fn parse_request<'h, 'b>(
    buf: &'b [u8],
    slots: &'h mut [Header<'b>],
    cfg: &HeadConfig,
) -> Result<Status<Request<'h, 'b>>, HttpError> {
    HeadParser::new(*cfg).parse_request(buf, slots)
}

/// Parses a complete response head in one call (a fresh [`HeadParser`]).
pub fn parse_response<'h, 'b>(
    buf: &'b [u8],
    slots: &'h mut [Header<'b>],
    cfg: &HeadConfig,
) -> Result<Status<Response<'h, 'b>>, HttpError> {
    HeadParser::new(*cfg).parse_response(buf, slots)
}
