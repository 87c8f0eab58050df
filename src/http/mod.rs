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
//! * Everything is capped ([`HeadConfig`]: 8 KiB of head and 128 headers by default). Going over a
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
pub const DEFAULT_MAX_HEADERS: usize = 128;

/// Caps applied while parsing a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeadConfig {
    /// Maximum length of the head in bytes, from the first byte up to and including the CRLF of
    /// the empty line. Default [`DEFAULT_MAX_HEAD_LEN`] (8 KiB).
    pub max_head_len: usize,
    /// Maximum number of header fields. Default [`DEFAULT_MAX_HEADERS`] (128). The number of header
    /// slots the caller passes is an additional cap.
    pub max_headers: usize,
}

impl Default for HeadConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl HeadConfig {
    /// The default caps: 8 KiB of head, 128 headers (Python `websockets` accepts 128, tungstenite 124,
    /// hyper 100).
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
    pub(crate) const UNCLASSIFIED: u8 = 0;
    /// Any other name.
    pub(crate) const OTHER: u8 = 1;
    pub(crate) const HOST: u8 = 2;
    pub(crate) const ORIGIN: u8 = 3;
    pub(crate) const UPGRADE: u8 = 4;
    pub(crate) const CONNECTION: u8 = 5;
    pub(crate) const KEY: u8 = 6;
    pub(crate) const VERSION: u8 = 7;
    pub(crate) const PROTOCOL: u8 = 8;
    pub(crate) const EXTENSIONS: u8 = 9;
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
    /// `let mut slots = [Header::EMPTY; DEFAULT_MAX_HEADERS];`.
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

mod lists;
mod parser;
mod scan;
#[cfg(test)]
mod tests;

pub use lists::{
    Extension, ExtensionSyntaxError, Extensions, ListIter, Param, Params, is_token_list,
    validate_extensions, value_has_token,
};
pub use parser::{HeadParser, parse_request, parse_response};
pub(crate) use scan::eq_lower;
