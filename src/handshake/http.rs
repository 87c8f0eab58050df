//! A bounded, single-pass HTTP/1.1 head parser ([RFC 7230] §3) and header-value list helpers.
//!
//! This is the codec under the WebSocket opening handshake, and it is generic enough for any
//! HTTP/1.1 request or response head (the Engine.IO long-polling transport reuses it for its
//! `GET` and `POST` requests: method, target, headers, [`Request::content_length`]).
//!
//! # Shape
//!
//! * The caller owns the bytes and the header slots: parsing fills a caller-provided
//!   `&mut [Header<'b>]` with slices borrowed from the input, and never allocates.
//! * Incomplete input is not an error: the parser answers [`Status::Partial`]. A
//!   [`HeadParser`] remembers how far it has scanned, so feeding a head one byte at a time costs
//!   linear time in total: bytes already seen are never scanned again while the head is
//!   incomplete, and once the blank line arrives the head is parsed exactly once more.
//!   [`HeadParser::bytes_examined`] counts that work so tests can assert on it.
//! * Everything is capped ([`HeadConfig`]: 8 KiB of head and 64 headers by default). Going over a
//!   cap is reported as soon as the cap is crossed, with a ready-to-send
//!   `431 Request Header Fields Too Large` response ([`HttpError::response`]).
//!
//! # Strictness
//!
//! Lines must end in CRLF (a bare LF or CR is an error), there is no leading empty line, the
//! method and header names are RFC 7230 tokens, no whitespace is allowed between a header name and
//! its colon, obsolete line folding is rejected, and header values may contain only `HTAB`, `SP`,
//! visible ASCII and `obs-text` (bytes `0x80..=0xFF`). Optional whitespace around values is
//! trimmed.
//!
//! Errors are decided deterministically from the bytes, whatever way they were split into reads:
//! a cap violation or a bad line ending is reported as soon as it is seen, any other syntax error
//! once the head is complete. Feeding the same bytes in any chunks gives the same result.
//!
//! # Lists and parameters
//!
//! [`ListIter`] walks a comma-separated list spread over repeated header lines (RFC 7230 §7,
//! skipping empty elements); [`Extensions`] parses the RFC 6455 §9.1 / RFC 7692
//! `Sec-WebSocket-Extensions` grammar (tokens, `;` parameters, quoted strings). Both run in linear
//! time on any input and never allocate.
//!
//! [RFC 7230]: https://www.rfc-editor.org/rfc/rfc7230

use core::fmt;

/// Default cap on the length of a head, in bytes, including the final empty line.
pub const DEFAULT_MAX_HEAD_LEN: usize = 8 * 1024;
/// Default cap on the number of header fields in a head.
pub const DEFAULT_MAX_HEADERS: usize = 64;

/// Caps applied while parsing a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeadConfig {
    /// Maximum length of the head in bytes, from the first byte up to and including the CRLF of
    /// the empty line. Default [`DEFAULT_MAX_HEAD_LEN`] (8 KiB).
    pub max_head_len: usize,
    /// Maximum number of header fields. Default [`DEFAULT_MAX_HEADERS`] (64). The number of header
    /// slots the caller passes is an additional cap.
    pub max_headers: usize,
}

impl Default for HeadConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl HeadConfig {
    /// The default caps: 8 KiB of head, 64 headers.
    pub const fn new() -> Self {
        HeadConfig {
            max_head_len: DEFAULT_MAX_HEAD_LEN,
            max_headers: DEFAULT_MAX_HEADERS,
        }
    }

    /// Sets the cap on the head length in bytes.
    pub const fn max_head_len(mut self, bytes: usize) -> Self {
        self.max_head_len = bytes;
        self
    }

    /// Sets the cap on the number of header fields.
    pub const fn max_headers(mut self, count: usize) -> Self {
        self.max_headers = count;
        self
    }
}

/// The outcome of feeding bytes to a decoder: complete, or more bytes are needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Status<T> {
    /// The input held a complete item.
    Complete(T),
    /// The input is a valid prefix; call again once more bytes have been appended.
    Partial,
}

impl<T> Status<T> {
    /// `true` for [`Status::Complete`].
    pub fn is_complete(&self) -> bool {
        matches!(self, Status::Complete(_))
    }

    /// `true` for [`Status::Partial`].
    pub fn is_partial(&self) -> bool {
        matches!(self, Status::Partial)
    }

    /// The complete value, if any.
    pub fn complete(self) -> Option<T> {
        match self {
            Status::Complete(t) => Some(t),
            Status::Partial => None,
        }
    }

    /// Maps the complete value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Status<U> {
        match self {
            Status::Complete(t) => Status::Complete(f(t)),
            Status::Partial => Status::Partial,
        }
    }
}

/// Why a head was rejected. Every variant maps to a ready-to-send response
/// ([`HttpError::response`]): `431` for the caps, `400` for everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpError {
    /// The head did not end within the configured number of bytes.
    HeadTooLarge {
        /// The cap in bytes.
        limit: usize,
    },
    /// The head has more header fields than the cap (or than the slots provided).
    TooManyHeaders {
        /// The effective cap.
        limit: usize,
    },
    /// A line ended in a bare LF, or a CR was not followed by LF.
    LineEnding,
    /// The request method is not a token followed by one space.
    Method,
    /// The request target is empty or contains a byte outside visible ASCII.
    Target,
    /// The HTTP version is not `HTTP/1.x`.
    Version,
    /// The response status line is not `HTTP/1.x NNN reason`.
    StatusLine,
    /// A header name is empty, not a token, or followed by whitespace before the colon.
    HeaderName,
    /// A header value contains a control character.
    HeaderValue,
    /// A header line starts with whitespace (obsolete line folding, RFC 7230 §3.2.4).
    ObsFold,
    /// `Content-Length` is not a decimal number that fits in a `u64`, or conflicting values.
    ContentLength,
}

impl HttpError {
    /// The HTTP status to answer with: 431 for the caps, 400 otherwise.
    pub fn status(&self) -> u16 {
        match self {
            HttpError::HeadTooLarge { .. } | HttpError::TooManyHeaders { .. } => 431,
            _ => 400,
        }
    }

    /// The complete response to send before closing the connection.
    pub fn response(&self) -> &'static [u8] {
        match self {
            HttpError::HeadTooLarge { .. } => RESP_431_HEAD,
            HttpError::TooManyHeaders { .. } => RESP_431_COUNT,
            _ => RESP_400_MALFORMED,
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::HeadTooLarge { limit } => {
                write!(f, "HTTP head longer than the {limit}-byte limit")
            }
            HttpError::TooManyHeaders { limit } => {
                write!(f, "more than {limit} HTTP header fields")
            }
            HttpError::LineEnding => f.write_str("HTTP line not terminated by CRLF"),
            HttpError::Method => f.write_str("invalid HTTP request method"),
            HttpError::Target => f.write_str("invalid HTTP request target"),
            HttpError::Version => f.write_str("invalid or unsupported HTTP version"),
            HttpError::StatusLine => f.write_str("invalid HTTP status line"),
            HttpError::HeaderName => f.write_str("invalid HTTP header name"),
            HttpError::HeaderValue => f.write_str("invalid byte in HTTP header value"),
            HttpError::ObsFold => f.write_str("obsolete HTTP header line folding"),
            HttpError::ContentLength => f.write_str("invalid or conflicting Content-Length"),
        }
    }
}

impl core::error::Error for HttpError {}

pub(crate) const RESP_431_HEAD: &[u8] = b"HTTP/1.1 431 Request Header Fields Too Large\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 25\r\nConnection: close\r\n\r\n\
request head is too large";
pub(crate) const RESP_431_COUNT: &[u8] = b"HTTP/1.1 431 Request Header Fields Too Large\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 24\r\nConnection: close\r\n\r\n\
too many request headers";
pub(crate) const RESP_400_MALFORMED: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 23\r\nConnection: close\r\n\r\n\
malformed HTTP/1.1 head";

/// One header field, borrowed from the input. Values have optional whitespace trimmed.
///
/// Equality compares the name and value bytes only.
#[derive(Clone, Copy)]
pub struct Header<'b> {
    name: &'b [u8],
    value: &'b [u8],
    /// Which of the names the WebSocket handshake looks up this is ([`kind`]), decided once
    /// while parsing so that validation does not compare names again.
    pub(crate) kind: u8,
}

impl PartialEq for Header<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.value == other.value
    }
}

impl Eq for Header<'_> {}

/// Header-name classes recognised while parsing (exact ASCII case-insensitive matches).
pub(crate) mod kind {
    /// Built by [`super::Header::new`] / `EMPTY`: not classified yet (see [`super::classify`]).
    pub const UNCLASSIFIED: u8 = 0;
    /// Any other name.
    pub const OTHER: u8 = 1;
    pub const HOST: u8 = 2;
    pub const ORIGIN: u8 = 3;
    pub const UPGRADE: u8 = 4;
    pub const CONNECTION: u8 = 5;
    pub const KEY: u8 = 6;
    pub const VERSION: u8 = 7;
    pub const PROTOCOL: u8 = 8;
    pub const EXTENSIONS: u8 = 9;
}

/// The [`kind`] of a header name: a switch on the length, then one case-insensitive comparison
/// of a few machine words. A name only matches if it is exactly the token (so it is valid).
#[inline(always)]
pub(crate) fn classify(name: &[u8]) -> u8 {
    match name.len() {
        4 if eq_lower(name, b"host") => kind::HOST,
        6 if eq_lower(name, b"origin") => kind::ORIGIN,
        7 if eq_lower(name, b"upgrade") => kind::UPGRADE,
        10 if eq_lower(name, b"connection") => kind::CONNECTION,
        17 if eq_lower(name, b"sec-websocket-key") => kind::KEY,
        21 if eq_lower(name, b"sec-websocket-version") => kind::VERSION,
        22 if eq_lower(name, b"sec-websocket-protocol") => kind::PROTOCOL,
        24 if eq_lower(name, b"sec-websocket-extensions") => kind::EXTENSIONS,
        _ => kind::OTHER,
    }
}

impl<'b> Header<'b> {
    /// An empty slot, to initialise the array passed to the parser:
    /// `let mut slots = [Header::EMPTY; 64];`.
    pub const EMPTY: Header<'static> = Header {
        name: b"",
        value: b"",
        kind: kind::UNCLASSIFIED,
    };

    /// Builds a header from a name and value (no validation; used for tests and lookups).
    pub const fn new(name: &'b [u8], value: &'b [u8]) -> Self {
        Header {
            name,
            value,
            kind: kind::UNCLASSIFIED,
        }
    }

    /// The name's [`kind`], classifying it now if the parser did not.
    #[inline]
    pub(crate) fn kind(&self) -> u8 {
        if self.kind == kind::UNCLASSIFIED {
            classify(self.name)
        } else {
            self.kind
        }
    }

    /// The field name as sent (it is always an ASCII token).
    pub fn name(&self) -> &'b str {
        core::str::from_utf8(self.name).unwrap_or("")
    }

    /// The field name bytes.
    pub fn name_bytes(&self) -> &'b [u8] {
        self.name
    }

    /// The field value bytes, without leading or trailing whitespace. May contain `obs-text`.
    pub fn value(&self) -> &'b [u8] {
        self.value
    }

    /// The value as a string, if it is valid UTF-8.
    pub fn value_str(&self) -> Option<&'b str> {
        core::str::from_utf8(self.value).ok()
    }

    /// Case-insensitive comparison of the name.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }
}

impl fmt::Debug for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}",
            self.name.escape_ascii(),
            self.value.escape_ascii()
        )
    }
}

/// A parsed request head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'h, 'b> {
    pub(crate) method: &'b [u8],
    target: &'b [u8],
    minor: u8,
    headers: &'h [Header<'b>],
    head_len: usize,
}

/// A parsed response head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response<'h, 'b> {
    minor: u8,
    status: u16,
    reason: &'b [u8],
    headers: &'h [Header<'b>],
    head_len: usize,
}

macro_rules! header_queries {
    () => {
        /// The header fields, in order.
        pub fn headers(&self) -> &'h [Header<'b>] {
            self.headers
        }

        /// Length of the head in bytes, including the final empty line. Bytes after it (in the
        /// same read) belong to the body or the next protocol.
        pub fn head_len(&self) -> usize {
            self.head_len
        }

        /// The `x` in `HTTP/1.x`.
        pub fn version_minor(&self) -> u8 {
            self.minor
        }

        /// The value of the first header field with this name (case-insensitive).
        pub fn header(&self, name: &str) -> Option<&'b [u8]> {
            header(self.headers, name)
        }

        /// How many header fields have this name.
        pub fn header_count(&self, name: &str) -> usize {
            self.headers.iter().filter(|h| h.is(name)).count()
        }

        /// The comma-separated list elements of every header field with this name.
        pub fn list(&self, name: &'h str) -> ListIter<'h, 'b> {
            ListIter::new(self.headers, name)
        }

        /// Whether the comma-separated lists of the fields with this name contain `token`
        /// (ASCII case-insensitive).
        pub fn has_token(&self, name: &'h str, token: &str) -> bool {
            self.list(name)
                .any(|t| t.eq_ignore_ascii_case(token.as_bytes()))
        }

        /// The `Content-Length`, if present. Repeated fields (or a list) must all carry the same
        /// decimal value (RFC 7230 §3.3.2); anything else is [`HttpError::ContentLength`].
        pub fn content_length(&self) -> Result<Option<u64>, HttpError> {
            content_length(self.headers)
        }
    };
}

impl<'h, 'b> Request<'h, 'b> {
    /// The method, e.g. `GET` (case-sensitive, RFC 7230 §3.1.1).
    pub fn method(&self) -> &'b str {
        core::str::from_utf8(self.method).unwrap_or("")
    }

    /// The request target as sent, e.g. `/chat?room=1`.
    pub fn target(&self) -> &'b str {
        core::str::from_utf8(self.target).unwrap_or("")
    }

    /// The target up to (not including) the first `?`.
    pub fn path(&self) -> &'b str {
        let t = self.target();
        match t.find('?') {
            Some(i) => &t[..i],
            None => t,
        }
    }

    /// The target after the first `?`, if there is one.
    pub fn query(&self) -> Option<&'b str> {
        let t = self.target();
        t.find('?').map(|i| &t[i + 1..])
    }

    header_queries!();
}

impl<'h, 'b> Response<'h, 'b> {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase bytes (may be empty).
    pub fn reason(&self) -> &'b [u8] {
        self.reason
    }

    header_queries!();
}

/// The value of the first header with this name.
pub fn header<'b>(headers: &[Header<'b>], name: &str) -> Option<&'b [u8]> {
    headers.iter().find(|h| h.is(name)).map(|h| h.value)
}

fn content_length(headers: &[Header<'_>]) -> Result<Option<u64>, HttpError> {
    let mut found: Option<u64> = None;
    for el in ListIter::new(headers, "content-length") {
        if el.is_empty() || el.len() > 20 || !el.iter().all(u8::is_ascii_digit) {
            return Err(HttpError::ContentLength);
        }
        let mut v: u64 = 0;
        for &d in el {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
                .ok_or(HttpError::ContentLength)?;
        }
        match found {
            Some(prev) if prev != v => return Err(HttpError::ContentLength),
            _ => found = Some(v),
        }
    }
    // A Content-Length header with only empty elements is malformed too.
    if found.is_none() && headers.iter().any(|h| h.is("content-length")) {
        return Err(HttpError::ContentLength);
    }
    Ok(found)
}

// ---------------------------------------------------------------------------------------------
// Character classes.

/// RFC 7230 `tchar`.
const fn tchar_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        i += 1;
    }
    t
}

static TCHAR: [bool; 256] = tchar_table();

/// Whether `b` is an RFC 7230 `tchar`.
#[inline]
pub fn is_tchar(b: u8) -> bool {
    TCHAR[b as usize]
}

/// Whether `s` is a non-empty RFC 7230 `token`.
pub fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Field-value byte: HTAB, SP, VCHAR, obs-text.
#[inline]
fn is_value_byte(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

#[inline]
fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if is_ows(*first) {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if is_ows(*last) {
            s = rest;
        } else {
            break;
        }
    }
    s
}

// ---------------------------------------------------------------------------------------------
// The full (one-shot) parser: runs over the buffer once, fills slots, validates everything.

/// Internal outcome of a one-shot parse attempt.
enum Fail {
    /// Ran out of bytes (or into the head-length cap) before the empty line.
    Partial,
    /// Invalid. Only trusted once the scanner agrees the head is complete.
    Invalid(HttpError),
}

impl From<HttpError> for Fail {
    fn from(e: HttpError) -> Self {
        Fail::Invalid(e)
    }
}

struct Cursor<'b> {
    buf: &'b [u8],
    pos: usize,
}

impl<'b> Cursor<'b> {
    #[inline]
    fn peek(&self) -> Result<u8, Fail> {
        self.buf.get(self.pos).copied().ok_or(Fail::Partial)
    }

    /// Expects CRLF at the cursor.
    #[inline]
    fn crlf(&mut self) -> Result<(), Fail> {
        match self.buf.get(self.pos..self.pos + 2) {
            Some(b"\r\n") => {
                self.pos += 2;
                Ok(())
            }
            Some(_) => Err(HttpError::LineEnding.into()),
            None => match self.buf.get(self.pos) {
                None | Some(b'\r') => Err(Fail::Partial),
                Some(_) => Err(HttpError::LineEnding.into()),
            },
        }
    }

    /// `HTTP/1.x`, returns x.
    fn version(&mut self) -> Result<u8, Fail> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        if let Some(&[b'H', b'T', b'T', b'P', b'/', b'1', b'.', d]) = rest.first_chunk::<8>() {
            // The whole version at once (the slice comparison below calls `memcmp`).
            if d.is_ascii_digit() {
                self.pos += 8;
                return Ok(d - b'0');
            }
            return Err(HttpError::Version.into());
        }
        let n = rest.len().min(7);
        if rest[..n] != b"HTTP/1."[..n] {
            return Err(HttpError::Version.into());
        }
        let Some(&d) = rest.get(7) else {
            return Err(Fail::Partial);
        };
        if !d.is_ascii_digit() {
            return Err(HttpError::Version.into());
        }
        self.pos += 8;
        Ok(d - b'0')
    }

    /// Parses header lines up to and including the empty line. Returns the header count.
    fn headers(&mut self, slots: &mut [Header<'b>], cap: usize) -> Result<usize, Fail> {
        let buf = self.buf;
        let mut n = 0;
        // The start of the current line, kept in a register; `self.pos` is written on exit
        // (it is how far the parse got, see `bytes_examined`).
        let mut start = self.pos;
        let r = loop {
            match buf.get(start) {
                None => break Err(Fail::Partial),
                Some(b'\r') => {
                    self.pos = start;
                    return self.crlf().map(|()| n);
                }
                Some(b' ' | b'\t') => break Err(HttpError::ObsFold.into()),
                Some(_) => {}
            }
            if n >= cap {
                break Err(HttpError::TooManyHeaders { limit: cap }.into());
            }
            // Name: a token immediately followed by ':'. The handshake's own names are
            // recognised in place (first byte, then a word comparison including the colon).
            // Otherwise find the first ':' or control byte (from the index), classify by
            // length and words, and check other names byte by byte.
            let rest = buf.get(start..).unwrap_or_default();
            let (name, kind) = match known_name(rest) {
                Some(known) => known,
                None => {
                    let len = find_colon_or_ctl(rest);
                    let (name, colon) = rest.split_at(len);
                    match colon.first() {
                        None => break Err(Fail::Partial),
                        Some(b':') if len > 0 => {}
                        Some(_) => break Err(HttpError::HeaderName.into()),
                    }
                    let kind = classify(name);
                    if kind == kind::OTHER && token_len(name) != len {
                        break Err(HttpError::HeaderName.into());
                    }
                    (name, kind)
                }
            };
            let len = name.len();
            let mut i = start + len + 1;
            // Leading OWS (usually exactly one space).
            if buf.get(i) == Some(&b' ') {
                i += 1;
            }
            while let Some(&b) = buf.get(i) {
                if is_ows(b) {
                    i += 1;
                } else {
                    break;
                }
            }
            let vstart = i;
            let i = find_ctl(buf, i);
            match buf.get(i) {
                None => break Err(Fail::Partial),
                Some(b'\r') => {}
                Some(b'\n') => break Err(HttpError::LineEnding.into()),
                Some(_) => break Err(HttpError::HeaderValue.into()),
            }
            // CRLF (the CR is at `i`).
            match buf.get(i + 1) {
                Some(b'\n') => {}
                Some(_) => {
                    self.pos = i;
                    return Err(HttpError::LineEnding.into());
                }
                None => {
                    self.pos = i;
                    return Err(Fail::Partial);
                }
            }
            // Leading OWS is skipped already; trim the trailing OWS.
            let mut vend = i;
            while vend > vstart && is_ows(buf[vend - 1]) {
                vend -= 1;
            }
            let value = &buf[vstart..vend];
            if let Some(slot) = slots.get_mut(n) {
                *slot = Header { name, value, kind };
            }
            n += 1;
            start = i + 2;
        };
        self.pos = start;
        r
    }
}

/// Length of the longest prefix of `s` made of `tchar`s. Eight table lookups per branch.
#[inline]
fn token_len(s: &[u8]) -> usize {
    let mut chunks = s.chunks_exact(8);
    let mut i = 0;
    for c in &mut chunks {
        // One bit per byte: set when the byte is a tchar.
        let bits = c
            .iter()
            .enumerate()
            .fold(0u32, |acc, (k, &b)| acc | (u32::from(is_tchar(b)) << k));
        if bits != 0xff {
            return i + (!bits).trailing_zeros() as usize;
        }
        i += 8;
    }
    i + chunks
        .remainder()
        .iter()
        .position(|&b| !is_tchar(b))
        .unwrap_or(s.len() - i)
}

/// ASCII case-insensitive equality of `s` with `lower`, which must contain only lower-case
/// letters, digits and `-`: letters match either case, every other byte matches exactly. Whole
/// machine words, overlapping at the end, no per-byte loop (with a literal `lower` the masks
/// and targets are constants).
#[inline]
pub(crate) fn eq_lower(s: &[u8], lower: &[u8]) -> bool {
    /// Bit 0x20 on the letters of `t` (they have bit 0x40; digits and `-` do not).
    #[inline(always)]
    fn fold8(x: u64, t: u64) -> bool {
        x | ((t & 0x4040_4040_4040_4040) >> 1) == t
    }
    #[inline(always)]
    fn fold4(x: u32, t: u32) -> bool {
        x | ((t & 0x4040_4040) >> 1) == t
    }
    #[inline(always)]
    fn at8(s: &[u8], i: usize) -> u64 {
        match s.get(i..i + 8).map(<[u8; 8]>::try_from) {
            Some(Ok(a)) => u64::from_le_bytes(a),
            _ => 0,
        }
    }
    #[inline(always)]
    fn at4(s: &[u8], i: usize) -> u32 {
        match s.get(i..i + 4).map(<[u8; 4]>::try_from) {
            Some(Ok(a)) => u32::from_le_bytes(a),
            _ => 0,
        }
    }
    let n = lower.len();
    if s.len() != n {
        return false;
    }
    if n >= 8 {
        let mut i = 0;
        while i + 8 < n {
            if !fold8(at8(s, i), at8(lower, i)) {
                return false;
            }
            i += 8;
        }
        fold8(at8(s, n - 8), at8(lower, n - 8))
    } else if n >= 4 {
        fold4(at4(s, 0), at4(lower, 0)) && fold4(at4(s, n - 4), at4(lower, n - 4))
    } else {
        s.iter()
            .zip(lower)
            .all(|(&x, &y)| x | ((y & 0x40) >> 1) == y)
    }
}

/// If `line` starts with one of the handshake's header names (any case) immediately followed
/// by `:`, that name and its [`kind`]. Dispatches on the first byte (and byte 14 for the
/// `Sec-WebSocket-*` names), then compares words against a literal.
#[inline(always)]
fn known_name(line: &[u8]) -> Option<(&[u8], u8)> {
    #[inline(always)]
    fn check<'b>(line: &'b [u8], lower: &[u8], k: u8) -> Option<(&'b [u8], u8)> {
        let len = lower.len();
        match (line.get(..len), line.get(len)) {
            (Some(name), Some(b':')) if eq_lower(name, lower) => Some((name, k)),
            _ => None,
        }
    }
    match *line.first()? | 0x20 {
        b'h' => check(line, b"host", kind::HOST),
        b'o' => check(line, b"origin", kind::ORIGIN),
        b'u' => check(line, b"upgrade", kind::UPGRADE),
        b'c' => check(line, b"connection", kind::CONNECTION),
        b's' => match *line.get(14)? | 0x20 {
            b'k' => check(line, b"sec-websocket-key", kind::KEY),
            b'v' => check(line, b"sec-websocket-version", kind::VERSION),
            b'p' => check(line, b"sec-websocket-protocol", kind::PROTOCOL),
            b'e' => check(line, b"sec-websocket-extensions", kind::EXTENSIONS),
            _ => None,
        },
        _ => None,
    }
}

/// Index of the first `:` or control byte (below 0x20) in `s`, or `s.len()`. Sixteen bytes at
/// a time with SSE2 ([`crate::arch::header_stops`]), else [`find_colon_or_ctl_swar`].
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn find_colon_or_ctl(s: &[u8]) -> usize {
    find_colon_or_ctl_swar(s)
}

/// The SSE2 version of [`find_colon_or_ctl`].
#[cfg(target_arch = "x86_64")]
#[inline]
fn find_colon_or_ctl(s: &[u8]) -> usize {
    let mut i = 0;
    while let Some(chunk) = s.get(i..).and_then(<[u8]>::first_chunk::<16>) {
        let (_, m) = crate::arch::header_stops(chunk);
        if m != 0 {
            return i + m.trailing_zeros() as usize;
        }
        i += 16;
    }
    let rest = s.get(i..).unwrap_or_default();
    i + rest
        .iter()
        .position(|&b| b == b':' || b < 0x20)
        .unwrap_or(rest.len())
}

/// Index of the first byte at or after `i` that may not appear in a field value (a control
/// character other than HTAB, or DEL), or `buf.len()`. Sixteen bytes at a time with SSE2
/// ([`crate::arch::header_stops`]), else [`find_ctl_swar`].
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn find_ctl(buf: &[u8], i: usize) -> usize {
    find_ctl_swar(buf, i)
}

/// The SSE2 version of [`find_ctl`].
#[cfg(target_arch = "x86_64")]
#[inline]
fn find_ctl(buf: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = buf.get(i..).and_then(<[u8]>::first_chunk::<16>) {
        let (m, _) = crate::arch::header_stops(chunk);
        if m != 0 {
            return i + m.trailing_zeros() as usize;
        }
        i += 16;
    }
    let Some(rest) = buf.get(i..) else {
        return buf.len();
    };
    i + rest
        .iter()
        .position(|&b| !is_value_byte(b))
        .unwrap_or(rest.len())
}

/// [`find_colon_or_ctl`] eight bytes at a time in a `u64` (targets without SSE2).
#[inline]
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn find_colon_or_ctl_swar(s: &[u8]) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut chunks = s.chunks_exact(8);
    let mut i = 0;
    for c in &mut chunks {
        let Ok(arr) = <[u8; 8]>::try_from(c) else {
            break;
        };
        let x = u64::from_le_bytes(arr);
        // The lowest flagged byte of each test is a true hit (borrows only move upwards).
        let y = x ^ (LO * u64::from(b':'));
        let colon = y.wrapping_sub(LO) & !y & HI;
        let ctl = x.wrapping_sub(LO * 0x20) & !x & HI;
        let m = colon | ctl;
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + chunks
        .remainder()
        .iter()
        .position(|&b| b == b':' || b < 0x20)
        .unwrap_or(s.len() - i)
}

/// [`find_ctl`] eight bytes at a time in a `u64` (targets without SSE2); a flagged HTAB
/// restarts the word scan after it.
#[inline]
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn find_ctl_swar(buf: &[u8], mut i: usize) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    loop {
        let rest = buf.get(i..).unwrap_or_default();
        let mut chunks = rest.chunks_exact(8);
        let mut off = 0;
        let mut hit = None;
        for c in &mut chunks {
            let Ok(arr) = <[u8; 8]>::try_from(c) else {
                break;
            };
            let x = u64::from_le_bytes(arr);
            // Bytes below 0x20 and bytes equal to 0x7F; the lowest flagged byte is always a
            // true hit (borrows only propagate upwards). Bytes >= 0x80 are never flagged.
            let lt = x.wrapping_sub(LO * 0x20) & !x & HI;
            let y = x ^ (LO * 0x7f);
            let del = y.wrapping_sub(LO) & !y & HI;
            let m = lt | del;
            if m != 0 {
                hit = Some(off + (m.trailing_zeros() / 8) as usize);
                break;
            }
            off += 8;
        }
        let p = match hit {
            Some(p) => i + p,
            None => match chunks.remainder().iter().position(|&b| !is_value_byte(b)) {
                Some(q) => i + off + q,
                None => return buf.len(),
            },
        };
        if buf.get(p) == Some(&b'\t') {
            i = p + 1;
        } else {
            return p;
        }
    }
}

type RequestParts<'b> = (&'b [u8], &'b [u8], u8, usize, usize);

fn full_request<'b>(
    buf: &'b [u8],
    slots: &mut [Header<'b>],
    cap: usize,
) -> (Result<RequestParts<'b>, Fail>, usize) {
    let mut c = Cursor { buf, pos: 0 };
    let r = (|| {
        // Method: `GET ` in one comparison, anything else byte by byte.
        let mut i = 0;
        if buf.first_chunk::<4>() == Some(b"GET ") {
            i = 3;
        }
        loop {
            match buf.get(i) {
                None => return Err(Fail::Partial),
                Some(&b) if is_tchar(b) => i += 1,
                Some(b' ') if i > 0 => break,
                Some(b'\n' | b'\r') if i == 0 => return Err(HttpError::Method.into()),
                Some(_) => return Err(HttpError::Method.into()),
            }
        }
        let method = &buf[..i];
        i += 1;
        let tstart = i;
        // Sixteen bytes at a time while they are all visible ASCII, then byte by byte.
        #[cfg(target_arch = "x86_64")]
        while let Some(chunk) = buf.get(i..).and_then(<[u8]>::first_chunk::<16>) {
            let m = crate::arch::target_stops(chunk);
            if m != 0 {
                i += m.trailing_zeros() as usize;
                break;
            }
            i += 16;
        }
        loop {
            match buf.get(i) {
                None => return Err(Fail::Partial),
                Some(&b) if (0x21..0x7f).contains(&b) => i += 1,
                Some(b' ') if i > tstart => break,
                Some(_) => return Err(HttpError::Target.into()),
            }
        }
        let target = &buf[tstart..i];
        c.pos = i + 1;
        let minor = c.version()?;
        c.crlf()?;
        let n = c.headers(slots, cap)?;
        Ok((method, target, minor, n, c.pos))
    })();
    let reached = c.pos;
    (r, reached)
}

type ResponseParts<'b> = (u8, u16, &'b [u8], usize, usize);

fn full_response<'b>(
    buf: &'b [u8],
    slots: &mut [Header<'b>],
    cap: usize,
) -> (Result<ResponseParts<'b>, Fail>, usize) {
    let mut c = Cursor { buf, pos: 0 };
    let r = (|| {
        let minor = c.version()?;
        match c.peek()? {
            b' ' => c.pos += 1,
            _ => return Err(HttpError::StatusLine.into()),
        }
        let mut status: u16 = 0;
        for _ in 0..3 {
            let d = c.peek()?;
            if !d.is_ascii_digit() {
                return Err(HttpError::StatusLine.into());
            }
            status = status * 10 + u16::from(d - b'0');
            c.pos += 1;
        }
        if status < 100 {
            return Err(HttpError::StatusLine.into());
        }
        // "HTTP/1.1 101\r\n" (no reason, even no space) is accepted.
        let reason_start;
        match c.peek()? {
            b' ' => {
                c.pos += 1;
                reason_start = c.pos;
                loop {
                    match c.peek()? {
                        b'\r' => break,
                        b if is_value_byte(b) => c.pos += 1,
                        b'\n' => return Err(HttpError::LineEnding.into()),
                        _ => return Err(HttpError::StatusLine.into()),
                    }
                }
            }
            b'\r' => reason_start = c.pos,
            _ => return Err(HttpError::StatusLine.into()),
        }
        let reason = &buf[reason_start..c.pos];
        c.crlf()?;
        let n = c.headers(slots, cap)?;
        Ok((minor, status, reason, n, c.pos))
    })();
    let reached = c.pos;
    (r, reached)
}

// ---------------------------------------------------------------------------------------------
// The incremental scanner: finds the end of the head, enforces the caps and CRLF.

/// Incremental, bounded HTTP/1.1 head parser.
///
/// Feed it the *whole* buffer received so far on every call (the caller appends new bytes at the
/// end; earlier bytes must not change) together with fresh header slots:
///
/// ```
/// use sockwire::handshake::http::{HeadConfig, HeadParser, Header, Status};
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
/// # Ok::<(), sockwire::handshake::http::HttpError>(())
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

// ---------------------------------------------------------------------------------------------
// Lists.

/// The elements of a comma-separated list (RFC 7230 §7) spread over every header field with a
/// given name, in order, with optional whitespace trimmed and empty elements skipped.
///
/// Elements are split at every comma: use it for lists of tokens (`Connection`, `Upgrade`,
/// `Sec-WebSocket-Protocol`), not for values that may contain quoted commas (see
/// [`Extensions`]). Linear in the total length of the values.
#[derive(Debug, Clone)]
pub struct ListIter<'h, 'b> {
    headers: &'h [Header<'b>],
    name: &'h str,
    rest: &'b [u8],
}

impl<'h, 'b> ListIter<'h, 'b> {
    /// Lists of all headers named `name`.
    pub fn new(headers: &'h [Header<'b>], name: &'h str) -> Self {
        ListIter {
            headers,
            name,
            rest: b"",
        }
    }

    /// The elements of a single value.
    pub fn value(value: &'b [u8]) -> ListIter<'b, 'b> {
        ListIter {
            headers: &[],
            name: "",
            rest: value,
        }
    }
}

impl<'b> Iterator for ListIter<'_, 'b> {
    type Item = &'b [u8];

    fn next(&mut self) -> Option<&'b [u8]> {
        loop {
            while self.rest.is_empty() {
                let (h, rest) = self.headers.split_first()?;
                self.headers = rest;
                if h.is(self.name) {
                    self.rest = h.value;
                }
            }
            let (el, rest) = match self.rest.iter().position(|&b| b == b',') {
                Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
                None => (self.rest, &b""[..]),
            };
            self.rest = rest;
            let el = trim_ows(el);
            if !el.is_empty() {
                return Some(el);
            }
        }
    }
}

/// Byte classes for [`is_token_list`]: 0 other, 1 `tchar`, 2 `,`, 3 OWS.
const fn list_class_table() -> [u8; 256] {
    let tchar = tchar_table();
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if tchar[i] {
            1
        } else if i == b',' as usize {
            2
        } else if i == b' ' as usize || i == b'\t' as usize {
            3
        } else {
            0
        };
        i += 1;
    }
    t
}

static LIST_CLASS: [u8; 256] = list_class_table();

/// Transitions of the `#token` automaton, two bits per (state, class) at bit `2 * (4 * state +
/// class)`. States: 0 before a token (start of an element), 1 in a token, 2 whitespace after a
/// token, 3 failed (absorbing).
const LIST_TRANSITIONS: u32 = {
    // [state][class] for class = other, tchar, comma, OWS.
    let table: [[u32; 4]; 4] = [[3, 1, 0, 0], [3, 1, 0, 2], [3, 3, 0, 2], [3, 3, 3, 3]];
    let mut bits = 0u32;
    let mut st = 0;
    while st < 4 {
        let mut c = 0;
        while c < 4 {
            bits |= table[st][c] << (2 * (4 * st + c));
            c += 1;
        }
        st += 1;
    }
    bits
};

/// Whether `value` is a comma-separated list of tokens (RFC 7230 §7 `#token`: optional whitespace
/// around elements, empty elements allowed). One pass of a branch-free four-state automaton
/// (the failed state is absorbing, so it is only tested at the end).
pub fn is_token_list(value: &[u8]) -> bool {
    let mut state = 0u32;
    for &b in value {
        let class = u32::from(LIST_CLASS[b as usize]);
        state = (LIST_TRANSITIONS >> (2 * (4 * state + class))) & 3;
    }
    state != 3
}

/// Whether a single header value's comma list contains `token` (ASCII case-insensitive).
pub fn value_has_token(value: &[u8], token: &[u8]) -> bool {
    value.eq_ignore_ascii_case(token)
        || ListIter::value(value).any(|t| t.eq_ignore_ascii_case(token))
}

// ---------------------------------------------------------------------------------------------
// Extensions (RFC 6455 §9.1, RFC 7692 §5).

/// An extension list violates the RFC 6455 §9.1 grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtensionSyntaxError;

impl fmt::Display for ExtensionSyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("malformed extension list (RFC 6455 section 9.1)")
    }
}

impl core::error::Error for ExtensionSyntaxError {}

/// One extension offer or acceptance: a name and its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension<'b> {
    name: &'b [u8],
    params: &'b [u8],
}

impl<'b> Extension<'b> {
    /// The extension token, e.g. `permessage-deflate`.
    pub fn name(&self) -> &'b str {
        core::str::from_utf8(self.name).unwrap_or("")
    }

    /// The parameters (already validated).
    pub fn params(&self) -> Params<'b> {
        Params { rest: self.params }
    }
}

/// The parameters of an [`Extension`].
#[derive(Debug, Clone)]
pub struct Params<'b> {
    rest: &'b [u8],
}

/// One extension parameter: `name` or `name=value` (value a token or a quoted string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param<'b> {
    name: &'b [u8],
    value: Option<&'b [u8]>,
    quoted: bool,
}

impl<'b> Param<'b> {
    /// The parameter name.
    pub fn name(&self) -> &'b str {
        core::str::from_utf8(self.name).unwrap_or("")
    }

    /// The raw value: a token, or the inside of a quoted string with its backslash escapes.
    pub fn raw_value(&self) -> Option<&'b str> {
        self.value.map(|v| core::str::from_utf8(v).unwrap_or(""))
    }

    /// Whether the value was a quoted string.
    pub fn is_quoted(&self) -> bool {
        self.quoted
    }

    /// The unescaped value bytes (RFC 6455 §9.1 requires them to form a token), if any.
    pub fn value_bytes(&self) -> Option<impl Iterator<Item = u8> + 'b> {
        let quoted = self.quoted;
        self.value.map(move |v| Unescape {
            bytes: v,
            quoted,
            i: 0,
        })
    }
}

struct Unescape<'b> {
    bytes: &'b [u8],
    quoted: bool,
    i: usize,
}

impl Iterator for Unescape<'_> {
    type Item = u8;
    fn next(&mut self) -> Option<u8> {
        let mut b = *self.bytes.get(self.i)?;
        self.i += 1;
        if self.quoted && b == b'\\' {
            b = *self.bytes.get(self.i)?;
            self.i += 1;
        }
        Some(b)
    }
}

impl<'b> Iterator for Params<'b> {
    type Item = Param<'b>;

    fn next(&mut self) -> Option<Param<'b>> {
        // `rest` is validated: `(OWS ";" OWS param)*`.
        let mut p = ExtParser { s: self.rest, i: 0 };
        p.ows();
        if p.peek() != Some(b';') {
            self.rest = b"";
            return None;
        }
        p.i += 1;
        p.ows();
        let param = p.param().ok()?;
        self.rest = &self.rest[p.i..];
        Some(param)
    }
}

struct ExtParser<'b> {
    s: &'b [u8],
    i: usize,
}

impl<'b> ExtParser<'b> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn token(&mut self) -> Result<&'b [u8], ExtensionSyntaxError> {
        let start = self.i;
        while matches!(self.peek(), Some(b) if is_tchar(b)) {
            self.i += 1;
        }
        if self.i == start {
            Err(ExtensionSyntaxError)
        } else {
            Ok(&self.s[start..self.i])
        }
    }

    fn param(&mut self) -> Result<Param<'b>, ExtensionSyntaxError> {
        let name = self.token()?;
        self.ows();
        if self.peek() != Some(b'=') {
            return Ok(Param {
                name,
                value: None,
                quoted: false,
            });
        }
        self.i += 1;
        self.ows();
        if self.peek() == Some(b'"') {
            self.i += 1;
            let start = self.i;
            let mut len = 0usize;
            loop {
                match self.peek() {
                    None => return Err(ExtensionSyntaxError),
                    Some(b'"') => break,
                    Some(b'\\') => {
                        self.i += 1;
                        match self.peek() {
                            Some(b) if is_tchar(b) => self.i += 1,
                            _ => return Err(ExtensionSyntaxError),
                        }
                    }
                    // After unescaping, the value must be a token (RFC 6455 §9.1).
                    Some(b) if is_tchar(b) => self.i += 1,
                    Some(_) => return Err(ExtensionSyntaxError),
                }
                len += 1;
            }
            let value = &self.s[start..self.i];
            self.i += 1;
            if len == 0 {
                return Err(ExtensionSyntaxError);
            }
            Ok(Param {
                name,
                value: Some(value),
                quoted: true,
            })
        } else {
            let value = self.token()?;
            Ok(Param {
                name,
                value: Some(value),
                quoted: false,
            })
        }
    }

    /// One extension: `token *(OWS ";" OWS param)`. Returns it; leaves the cursor after it.
    fn extension(&mut self) -> Result<Extension<'b>, ExtensionSyntaxError> {
        let name = self.token()?;
        let pstart = self.i;
        loop {
            let save = self.i;
            self.ows();
            if self.peek() != Some(b';') {
                self.i = save;
                break;
            }
            self.i += 1;
            self.ows();
            self.param()?;
        }
        Ok(Extension {
            name,
            params: &self.s[pstart..self.i],
        })
    }
}

/// The extensions of every header field with a given name (normally
/// `Sec-WebSocket-Extensions`), in order.
///
/// Yields `Err(ExtensionSyntaxError)` once (and then stops) if the grammar is violated; use
/// [`validate_extensions`] to check a whole list first. Linear time: every byte is looked at
/// once per iteration.
#[derive(Debug, Clone)]
pub struct Extensions<'h, 'b> {
    headers: &'h [Header<'b>],
    name: &'h str,
    rest: &'b [u8],
    done: bool,
}

impl<'h, 'b> Extensions<'h, 'b> {
    /// The extensions listed in all fields named `name`.
    pub fn new(headers: &'h [Header<'b>], name: &'h str) -> Self {
        Extensions {
            headers,
            name,
            rest: b"",
            done: false,
        }
    }

    /// The extensions of a single header value.
    pub fn value(value: &'b [u8]) -> Extensions<'b, 'b> {
        Extensions {
            headers: &[],
            name: "",
            rest: value,
            done: false,
        }
    }
}

impl<'b> Iterator for Extensions<'_, 'b> {
    type Item = Result<Extension<'b>, ExtensionSyntaxError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            // Skip OWS and empty list elements.
            let mut p = ExtParser { s: self.rest, i: 0 };
            while matches!(p.peek(), Some(b' ' | b'\t' | b',')) {
                p.i += 1;
            }
            self.rest = &self.rest[p.i..];
            if self.rest.is_empty() {
                let Some((h, rest)) = self.headers.split_first() else {
                    self.done = true;
                    return None;
                };
                self.headers = rest;
                if h.is(self.name) {
                    self.rest = h.value;
                }
                continue;
            }
            let mut p = ExtParser { s: self.rest, i: 0 };
            let r = p.extension().and_then(|ext| {
                p.ows();
                match p.peek() {
                    None | Some(b',') => Ok(ext),
                    Some(_) => Err(ExtensionSyntaxError),
                }
            });
            self.rest = &self.rest[p.i..];
            if r.is_err() {
                self.done = true;
            }
            return Some(r);
        }
    }
}

/// Checks the extension grammar of every field named `name`; returns the number of extensions.
pub fn validate_extensions(
    headers: &[Header<'_>],
    name: &str,
) -> Result<usize, ExtensionSyntaxError> {
    let mut n = 0;
    for e in Extensions::new(headers, name) {
        e?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::string::ToString;
    use std::vec;
    use std::vec::Vec;

    fn naive_eq_lower(s: &[u8], lower: &[u8]) -> bool {
        s.len() == lower.len()
            && s.iter().zip(lower).all(|(&x, &y)| {
                if y.is_ascii_lowercase() {
                    x.to_ascii_lowercase() == y
                } else {
                    x == y
                }
            })
    }

    const NAMES: [(&[u8], u8); 8] = [
        (b"host", kind::HOST),
        (b"origin", kind::ORIGIN),
        (b"upgrade", kind::UPGRADE),
        (b"connection", kind::CONNECTION),
        (b"sec-websocket-key", kind::KEY),
        (b"sec-websocket-version", kind::VERSION),
        (b"sec-websocket-protocol", kind::PROTOCOL),
        (b"sec-websocket-extensions", kind::EXTENSIONS),
    ];

    #[test]
    fn classify_every_case_and_every_single_byte_change() {
        for (name, k) in NAMES {
            let upper = name.to_ascii_uppercase();
            assert_eq!(classify(name), k);
            assert_eq!(classify(&upper), k);
            // Each byte replaced by every other value: a match only for the other case of a
            // letter.
            for i in 0..name.len() {
                for b in 0..=255u8 {
                    let mut n = name.to_vec();
                    n[i] = b;
                    let same = b == name[i] || (name[i].is_ascii_lowercase() && b == name[i] - 32);
                    assert_eq!(
                        classify(&n) == k,
                        same,
                        "{:?}",
                        n.escape_ascii().to_string()
                    );
                    assert_eq!(eq_lower(&n, name), naive_eq_lower(&n, name));
                }
            }
            assert_eq!(classify(&name[1..]), kind::OTHER);
        }
        assert_eq!(classify(b""), kind::OTHER);
        assert_eq!(classify(b"Sec-WebSocket-Accept"), kind::OTHER);
        assert_eq!(Header::new(b"HOST", b"x").kind(), kind::HOST);
    }

    /// The generic path: first ':' or control byte, then `classify`.
    fn generic_name(line: &[u8]) -> Option<(&[u8], u8)> {
        let len = find_colon_or_ctl(line);
        match line.get(len) {
            Some(b':') if len > 0 => Some((&line[..len], classify(&line[..len]))),
            _ => None,
        }
    }

    #[test]
    fn scans_starting_past_the_end_stop_at_the_end() {
        // Found by the property test below when the scans became 16-byte windows.
        assert_eq!(find_ctl(b"", 1), 0);
        assert_eq!(find_ctl(b"abc", 7), 3);
        assert_eq!(find_ctl(&[b'a'; 40], 17), 40);
        assert_eq!(find_colon_or_ctl(&[b'a'; 40]), 40);
        assert_eq!(find_ctl_swar(b"", 1), 0);
        assert_eq!(find_ctl_swar(&[b'a'; 40], 17), 40);
    }

    #[test]
    fn known_names_in_place_agree_with_the_generic_path() {
        let mut lines: Vec<Vec<u8>> = Vec::new();
        for (name, _) in NAMES {
            for i in 0..=name.len() {
                for b in 0..=255u8 {
                    // One byte replaced (or the colon), or one byte inserted.
                    let mut l = name.to_vec();
                    l.extend_from_slice(b": v");
                    l[i] = b;
                    lines.push(l);
                    let mut l = name.to_vec();
                    l.insert(i, b);
                    l.extend_from_slice(b": v");
                    lines.push(l);
                }
            }
            let mut upper = name.to_ascii_uppercase();
            upper.push(b':');
            lines.push(upper.clone());
            upper.pop();
            lines.push(upper);
        }
        lines.push(b"Sec-WebSocket-".to_vec());
        lines.push(b"".to_vec());
        for line in &lines {
            let generic = generic_name(line).filter(|&(_, k)| k != kind::OTHER);
            assert_eq!(known_name(line), generic, "{}", line.escape_ascii());
        }
    }

    #[test]
    fn parsed_headers_carry_their_kind() {
        let head = b"GET / HTTP/1.1\r\nhOsT: a\r\nX-Y: b\r\nSEC-WEBSOCKET-KEY: k\r\n\r\n";
        let mut slots = [Header::EMPTY; 4];
        let req = parse_request(head, &mut slots, &HeadConfig::default())
            .unwrap()
            .complete()
            .unwrap();
        let kinds: Vec<u8> = req.headers().iter().map(|h| h.kind).collect();
        assert_eq!(kinds, [kind::HOST, kind::OTHER, kind::KEY]);
        // Equality ignores the (derived) kind.
        assert_eq!(req.headers()[0], Header::new(b"hOsT", b"a"));
    }

    proptest! {
        #[test]
        fn eq_lower_matches_naive(
            s in proptest::collection::vec(any::<u8>(), 0..40),
            pick in 0usize..8,
            mutate in any::<bool>(),
        ) {
            let target = NAMES[pick].0;
            let mut cand = s.clone();
            if mutate && !s.is_empty() {
                // Mostly near-misses of the target: same length, mixed case, one byte from `s`.
                cand = target.to_vec();
                let i = s[0] as usize % cand.len();
                cand[i] = s[s.len() - 1];
                if s.len() > 1 && s[1] & 1 == 1 {
                    cand.make_ascii_uppercase();
                }
            }
            prop_assert_eq!(eq_lower(&cand, target), naive_eq_lower(&cand, target));
        }

        #[test]
        fn token_list_automaton_matches_naive(s in proptest::collection::vec(
            prop_oneof![Just(b','), Just(b' '), Just(b'\t'), Just(b'a'), Just(b'-'), Just(b'"'),
                        Just(b';'), Just(0x80), Just(0u8), any::<u8>()],
            0..24,
        )) {
            let naive = s
                .split(|&b| b == b',')
                .all(|el| {
                    let t = trim_ows(el);
                    t.is_empty() || is_token(t)
                });
            prop_assert_eq!(is_token_list(&s), naive);
        }

        #[test]
        fn find_colon_or_ctl_matches_naive(s in proptest::collection::vec(
            prop_oneof![Just(b':'), Just(b'\r'), Just(b'\n'), Just(0u8), Just(0x1f), Just(0x20),
                        Just(0x3b), Just(0x80), Just(0xba), any::<u8>(), 0x41u8..0x7b],
            0..80,
        )) {
            let naive = s.iter().position(|&b| b == b':' || b < 0x20).unwrap_or(s.len());
            prop_assert_eq!(find_colon_or_ctl(&s), naive);
            prop_assert_eq!(find_colon_or_ctl_swar(&s), naive);
        }

        #[test]
        fn find_ctl_matches_naive(
            s in proptest::collection::vec(
                prop_oneof![Just(b'\t'), Just(b'\r'), Just(0x7f), Just(0x08), Just(0x1f),
                            Just(0x20), Just(0x80), Just(0xff), any::<u8>(), 0x21u8..0x7f],
                0..80,
            ),
            from in 0usize..85,
        ) {
            let naive = (from..s.len()).find(|&i| !is_value_byte(s[i])).unwrap_or(s.len());
            let naive = if from > s.len() { s.len() } else { naive };
            prop_assert_eq!(find_ctl(&s, from), naive);
            prop_assert_eq!(find_ctl_swar(&s, from), naive);
        }
    }

    #[test]
    fn static_responses_are_well_formed() {
        for r in [RESP_431_HEAD, RESP_431_COUNT, RESP_400_MALFORMED] {
            let mut slots = [Header::EMPTY; 8];
            let resp = parse_response(r, &mut slots, &HeadConfig::default())
                .unwrap()
                .complete()
                .unwrap();
            let body = &r[resp.head_len()..];
            assert_eq!(resp.content_length().unwrap(), Some(body.len() as u64));
        }
    }
}
