//! The server side: request validation, [`AcceptOptions`], [`Accept`], [`Rejection`].

use super::*;

// ---------------------------------------------------------------------------------------------
// Request validation (server side).

/// What one pass over the request headers found.
#[derive(Default)]
pub(super) struct ReqSeen<'b> {
    host: Option<&'b [u8]>,
    hosts: u32,
    key: Option<&'b [u8]>,
    keys: u32,
    version: Option<&'b [u8]>,
    versions: u32,
    origin: Option<&'b [u8]>,
    origins: u32,
    upgrade: bool,
    connection: bool,
    protocol: Option<&'b [u8]>,
    protocols: u32,
    extensions: bool,
}

impl<'b> ReqSeen<'b> {
    pub(super) fn collect(headers: &[Header<'b>]) -> Self {
        use http::kind;
        let mut s = ReqSeen::default();
        for h in headers {
            let v = h.value();
            // The parser classified the name already; no name comparison here.
            match h.kind() {
                kind::HOST => {
                    s.hosts += 1;
                    s.host = Some(v);
                }
                kind::ORIGIN => {
                    s.origins += 1;
                    s.origin = Some(v);
                }
                kind::UPGRADE => {
                    s.upgrade = s.upgrade
                        || http::eq_lower(v, b"websocket")
                        || http::value_has_token(v, b"websocket");
                }
                kind::CONNECTION => {
                    s.connection = s.connection
                        || http::eq_lower(v, b"upgrade")
                        || http::value_has_token(v, b"upgrade");
                }
                kind::KEY => {
                    s.keys += 1;
                    s.key = Some(v);
                }
                kind::VERSION => {
                    s.versions += 1;
                    s.version = Some(v);
                }
                kind::PROTOCOL => {
                    s.protocols += 1;
                    s.protocol = Some(v);
                }
                kind::EXTENSIONS => {
                    s.extensions = true;
                }
                _ => {}
            }
        }
        s
    }
}

pub(super) const PROTOCOL: &str = "sec-websocket-protocol";
pub(super) const EXTENSIONS: &str = "sec-websocket-extensions";

pub(super) type Check =
    for<'x, 'b> fn(&Request<'x, 'b>, &ReqSeen<'b>) -> Result<(), HandshakeError>;

pub(super) fn check_method(req: &Request<'_, '_>, _: &ReqSeen<'_>) -> Result<(), HandshakeError> {
    // A fixed-size comparison (a slice `!=` would call `memcmp`).
    if <&[u8; 3]>::try_from(req.method).ok() != Some(b"GET") {
        return Err(HandshakeError::Method);
    }
    if req.version_minor() < 1 {
        return Err(HandshakeError::HttpVersion);
    }
    Ok(())
}

pub(super) fn check_host(_: &Request<'_, '_>, s: &ReqSeen<'_>) -> Result<(), HandshakeError> {
    match s.host {
        Some(h) if s.hosts == 1 && !h.is_empty() && h.is_ascii() => Ok(()),
        _ => Err(HandshakeError::Host),
    }
}

pub(super) fn check_upgrade(_: &Request<'_, '_>, s: &ReqSeen<'_>) -> Result<(), HandshakeError> {
    if s.upgrade {
        Ok(())
    } else {
        Err(HandshakeError::Upgrade)
    }
}

pub(super) fn check_connection(_: &Request<'_, '_>, s: &ReqSeen<'_>) -> Result<(), HandshakeError> {
    if s.connection {
        Ok(())
    } else {
        Err(HandshakeError::Connection)
    }
}

pub(super) fn check_version(_: &Request<'_, '_>, s: &ReqSeen<'_>) -> Result<(), HandshakeError> {
    match s.version {
        Some(b"13") if s.versions == 1 => Ok(()),
        _ => Err(HandshakeError::Version),
    }
}

pub(super) fn check_key(_: &Request<'_, '_>, s: &ReqSeen<'_>) -> Result<(), HandshakeError> {
    match s.key {
        Some(k) if s.keys == 1 => {
            if is_valid_key(k) {
                Ok(())
            } else {
                Err(HandshakeError::InvalidKey)
            }
        }
        _ => Err(HandshakeError::MissingKey),
    }
}

#[inline]
pub(super) fn check_origin(_: &Request<'_, '_>, s: &ReqSeen<'_>) -> Result<(), HandshakeError> {
    match s.origin {
        Some(o) if s.origins > 1 || !o.is_ascii() => Err(HandshakeError::Origin),
        _ => Ok(()),
    }
}

#[inline]
pub(super) fn check_protocols(
    req: &Request<'_, '_>,
    s: &ReqSeen<'_>,
) -> Result<(), HandshakeError> {
    let ok = match (s.protocols, s.protocol) {
        (0, _) | (_, None) => true,
        (1, Some(v)) => http::is_token_list(v),
        _ => req
            .headers()
            .iter()
            .filter(|h| h.is(PROTOCOL))
            .all(|h| http::is_token_list(h.value())),
    };
    if ok {
        Ok(())
    } else {
        Err(HandshakeError::Subprotocols)
    }
}

#[inline]
pub(super) fn check_extensions(
    req: &Request<'_, '_>,
    s: &ReqSeen<'_>,
) -> Result<(), HandshakeError> {
    if s.extensions && http::validate_extensions(req.headers(), EXTENSIONS).is_err() {
        return Err(HandshakeError::Extensions);
    }
    Ok(())
}

/// The server-side checks, in the order the fast path applies them, with their RFC sections.
pub(super) const REQUEST_CHECKS: [(&str, &str, Check); 9] = [
    (
        "4.1 (2), 4.2.1 (1)",
        "method is GET and HTTP version is 1.1 or later",
        check_method,
    ),
    (
        "4.1 (4), 4.2.1 (2)",
        "exactly one non-empty Host",
        check_host,
    ),
    (
        "4.1 (5), 4.2.1 (3)",
        "Upgrade contains \"websocket\" (case-insensitive)",
        check_upgrade,
    ),
    (
        "4.1 (6), 4.2.1 (4)",
        "Connection contains \"Upgrade\" (case-insensitive, any header line)",
        check_connection,
    ),
    (
        "4.1 (9), 4.2.1 (6), 4.4",
        "exactly one Sec-WebSocket-Version, equal to 13",
        check_version,
    ),
    (
        "4.1 (7), 4.2.1 (5)",
        "exactly one Sec-WebSocket-Key, base64 of exactly 16 bytes",
        check_key,
    ),
    (
        "4.1 (8), 4.2.1 (7), 10.2",
        "at most one Origin, ASCII",
        check_origin,
    ),
    (
        "4.1 (10), 4.2.1 (8)",
        "Sec-WebSocket-Protocol is a list of tokens",
        check_protocols,
    ),
    (
        "4.1 (11), 4.2.1 (9), 9.1",
        "Sec-WebSocket-Extensions follows the extension grammar",
        check_extensions,
    ),
];

/// A request that passed every server-side check (RFC 6455 §4.2.1).
#[derive(Debug, Clone, Copy)]
pub struct UpgradeRequest<'h, 'b> {
    request: Request<'h, 'b>,
    host: &'b [u8],
    key: &'b [u8],
    origin: Option<&'b [u8]>,
    has_protocols: bool,
    has_extensions: bool,
    /// SHA-1 of the key and the GUID, computed before the other checks run (see `validate`).
    digest: [u8; 20],
}

impl<'h, 'b> UpgradeRequest<'h, 'b> {
    /// Validates a parsed request (e.g. one the Engine.IO layer parsed itself).
    pub fn validate(request: Request<'h, 'b>) -> Result<Self, HandshakeError> {
        let seen = ReqSeen::collect(request.headers());
        // The digest is a chain of dependent instructions, the checks are independent short
        // work: started first, the CPU runs the two side by side. (A rejected request wastes
        // one digest, which it would cost anyway if it were valid.)
        let digest = match seen.key.map(<&[u8; 24]>::try_from) {
            Some(Ok(key)) => sha1::digest_key_guid(key),
            _ => [0; 20],
        };
        // The same checks as `REQUEST_CHECKS`, in the same order, called directly so they
        // inline (a test asserts the audit and this path agree).
        check_method(&request, &seen)?;
        check_host(&request, &seen)?;
        check_upgrade(&request, &seen)?;
        check_connection(&request, &seen)?;
        check_version(&request, &seen)?;
        check_key(&request, &seen)?;
        check_origin(&request, &seen)?;
        check_protocols(&request, &seen)?;
        check_extensions(&request, &seen)?;
        Ok(UpgradeRequest {
            request,
            host: seen.host.unwrap_or_default(),
            key: seen.key.unwrap_or_default(),
            origin: seen.origin,
            has_protocols: seen.protocols > 0,
            has_extensions: seen.extensions,
            digest,
        })
    }

    /// The underlying HTTP request (method, target, all headers).
    pub fn request(&self) -> &Request<'h, 'b> {
        &self.request
    }

    /// All header fields.
    pub fn headers(&self) -> &'h [Header<'b>] {
        self.request.headers()
    }

    /// Length of the request head; bytes after it belong to the frame layer.
    pub fn head_len(&self) -> usize {
        self.request.head_len()
    }

    /// The request target, e.g. `/chat?room=1`.
    pub fn target(&self) -> &'b str {
        self.request.target()
    }

    /// The path part of the target.
    pub fn path(&self) -> &'b str {
        self.request.path()
    }

    /// The query part of the target (after `?`), if any.
    pub fn query(&self) -> Option<&'b str> {
        self.request.query()
    }

    /// The `Host` header (validated: exactly one, non-empty ASCII).
    pub fn host(&self) -> &'b str {
        core::str::from_utf8(self.host).unwrap_or("")
    }

    /// The `Origin` header, if sent (ASCII). Refuse unwanted origins with
    /// [`Rejection::forbidden`].
    pub fn origin(&self) -> Option<&'b str> {
        self.origin.map(|o| core::str::from_utf8(o).unwrap_or(""))
    }

    /// The `Sec-WebSocket-Key` (validated).
    pub fn key(&self) -> &'b str {
        core::str::from_utf8(self.key).unwrap_or("")
    }

    /// The `Sec-WebSocket-Accept` value for this request's key.
    pub fn accept_key(&self) -> [u8; 28] {
        // A valid key is 24 bytes, so `validate` hashed it already.
        crate::b64::encode_fixed(&self.digest)
    }

    /// The offered subprotocols, in the client's order of preference.
    pub fn subprotocols(&self) -> impl Iterator<Item = &'b str> + 'h {
        let headers = if self.has_protocols {
            self.request.headers()
        } else {
            &[]
        };
        ListIter::new(headers, PROTOCOL).map(|p| core::str::from_utf8(p).unwrap_or(""))
    }

    /// Whether `protocol` was offered (exact, case-sensitive match per §11.3.4).
    pub fn offers_subprotocol(&self, protocol: &str) -> bool {
        self.subprotocols().any(|p| p == protocol)
    }

    /// The offered extensions, in order (grammar already validated, so every item is `Ok`).
    pub fn extensions(&self) -> Extensions<'h, 'b> {
        let headers = if self.has_extensions {
            self.request.headers()
        } else {
            &[]
        };
        Extensions::new(headers, EXTENSIONS)
    }

    /// Negotiates permessage-deflate (RFC 7692) under `policy`: the first valid offer in the
    /// client's order of preference, or `None`. Put
    /// [`response()`](crate::deflate::PerMessageDeflate::response) in
    /// [`AcceptOptions::extensions`] and the result in
    /// [`ConnectionConfig::permessage_deflate`](crate::ws::ConnectionConfig::permessage_deflate).
    pub fn negotiate_deflate(
        &self,
        policy: &crate::deflate::DeflatePolicy,
    ) -> Option<crate::deflate::PerMessageDeflate> {
        policy.negotiate(self.extensions())
    }

    /// Whether an extension with this name was offered (ASCII case-insensitive).
    pub fn offers_extension(&self, name: &str) -> bool {
        self.extensions()
            .any(|e| e.is_ok_and(|e| e.name().eq_ignore_ascii_case(name)))
    }

    /// Prepares the `101 Switching Protocols` response. Fails if the chosen subprotocol or an
    /// accepted extension was not offered, or an extra header is invalid.
    pub fn accept<'a>(&self, opts: &AcceptOptions<'a>) -> Result<Accept<'a>, HandshakeError> {
        if let Some(p) = opts.subprotocol {
            if !self.offers_subprotocol(p) {
                return Err(HandshakeError::SubprotocolNotOffered);
            }
        }
        if let Some(ext) = opts.extensions {
            for e in Extensions::value(ext.as_bytes()) {
                match e {
                    Ok(e) if self.offers_extension(e.name()) => {}
                    _ => return Err(HandshakeError::ExtensionNotOffered),
                }
            }
        }
        check_extra_headers(opts.headers)?;
        Ok(Accept {
            accept: self.accept_key(),
            opts: *opts,
        })
    }
}

/// Headers the handshake writes itself; callers may not add them as extras.
pub(super) const MANAGED: [&str; 8] = [
    "host",
    "upgrade",
    "connection",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-accept",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
];

pub(super) fn check_extra_headers(headers: &[(&str, &str)]) -> Result<(), HandshakeError> {
    for (name, value) in headers {
        if !http::is_token(name.as_bytes()) {
            return Err(HandshakeError::InvalidArgument(
                "header name is not a token",
            ));
        }
        if MANAGED.iter().any(|m| name.eq_ignore_ascii_case(m)) {
            return Err(HandshakeError::InvalidArgument(
                "header is managed by the handshake",
            ));
        }
        check_value(value, "header value contains a control character")?;
    }
    Ok(())
}

pub(super) fn check_value(value: &str, what: &'static str) -> Result<(), HandshakeError> {
    if value
        .bytes()
        .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
    {
        Ok(())
    } else {
        Err(HandshakeError::InvalidArgument(what))
    }
}

/// Options for the `101 Switching Protocols` response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AcceptOptions<'a> {
    /// The selected subprotocol (must be one the client offered).
    pub subprotocol: Option<&'a str>,
    /// The `Sec-WebSocket-Extensions` value accepting some of the offered extensions, e.g.
    /// `permessage-deflate; server_no_context_takeover`.
    pub extensions: Option<&'a str>,
    /// Extra header fields, written in order after the handshake's own.
    pub headers: &'a [(&'a str, &'a str)],
}

impl<'a> AcceptOptions<'a> {
    /// No subprotocol, no extensions, no extra headers.
    pub const fn new() -> Self {
        AcceptOptions {
            subprotocol: None,
            extensions: None,
            headers: &[],
        }
    }

    /// Selects a subprotocol (or none).
    pub const fn subprotocol(mut self, protocol: Option<&'a str>) -> Self {
        self.subprotocol = protocol;
        self
    }

    /// Accepts extensions (a `Sec-WebSocket-Extensions` value).
    pub const fn extensions(mut self, value: Option<&'a str>) -> Self {
        self.extensions = value;
        self
    }

    /// Adds extra header fields.
    pub const fn headers(mut self, headers: &'a [(&'a str, &'a str)]) -> Self {
        self.headers = headers;
        self
    }
}

/// Output writer that checks the size up front.
pub(super) struct Out<'o> {
    pub(super) buf: &'o mut [u8],
    pub(super) pos: usize,
}

impl Out<'_> {
    #[inline]
    pub(super) fn put(&mut self, s: &[u8]) {
        // The caller checked the total length first; `get_mut` keeps this panic-free anyway.
        if let Some(dst) = self.buf.get_mut(self.pos..self.pos + s.len()) {
            dst.copy_from_slice(s);
        }
        self.pos += s.len();
    }

    pub(super) fn header(&mut self, name: &[u8], value: &[u8]) {
        self.put(name);
        self.put(b": ");
        self.put(value);
        self.put(b"\r\n");
    }
}

pub(super) fn headers_len(headers: &[(&str, &str)]) -> usize {
    headers.iter().map(|(n, v)| n.len() + v.len() + 4).sum()
}

/// A `101 Switching Protocols` response ready to encode (from [`UpgradeRequest::accept`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accept<'a> {
    accept: [u8; 28],
    opts: AcceptOptions<'a>,
}

pub(super) const RESP_101_START: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\n\
Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";

impl Accept<'_> {
    /// The `Sec-WebSocket-Accept` value.
    pub fn accept_key(&self) -> &str {
        core::str::from_utf8(&self.accept).unwrap_or("")
    }

    /// The exact length of the encoded response.
    pub fn encoded_len(&self) -> usize {
        let mut n = RESP_101_START.len() + 28 + 2 + 2;
        if let Some(p) = self.opts.subprotocol {
            n += "Sec-WebSocket-Protocol: \r\n".len() + p.len();
        }
        if let Some(e) = self.opts.extensions {
            n += "Sec-WebSocket-Extensions: \r\n".len() + e.len();
        }
        n + headers_len(self.opts.headers)
    }

    /// Writes the response into `out` and returns its length, or
    /// [`HandshakeError::InsufficientSize`] leaving `out` untouched.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, HandshakeError> {
        let required = self.encoded_len();
        if out.len() < required {
            return Err(HandshakeError::InsufficientSize { required });
        }
        let mut w = Out { buf: out, pos: 0 };
        w.put(RESP_101_START);
        w.put(&self.accept);
        w.put(b"\r\n");
        if let Some(p) = self.opts.subprotocol {
            w.header(b"Sec-WebSocket-Protocol", p.as_bytes());
        }
        if let Some(e) = self.opts.extensions {
            w.header(b"Sec-WebSocket-Extensions", e.as_bytes());
        }
        for (n, v) in self.opts.headers {
            w.header(n.as_bytes(), v.as_bytes());
        }
        w.put(b"\r\n");
        Ok(w.pos)
    }

    /// Appends the response to `out` and returns its length.
    #[cfg(feature = "alloc")]
    pub fn encode_to_vec(&self, out: &mut alloc::vec::Vec<u8>) -> usize {
        let start = out.len();
        let n = self.encoded_len();
        out.resize(start + n, 0);
        // Cannot fail: the slice has exactly the required length.
        let _ = self.encode(&mut out[start..]);
        n
    }
}

/// Any response refusing a handshake, e.g. `403 Forbidden` for an unwanted `Origin`
/// (§4.2.2 item 4 allows any status). It always carries `Connection: close` and a
/// `Content-Length` for its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection<'a> {
    status: u16,
    reason: &'a str,
    headers: &'a [(&'a str, &'a str)],
    body: &'a [u8],
}

impl<'a> Rejection<'a> {
    /// A response with this status and reason phrase, no body.
    pub const fn new(status: u16, reason: &'a str) -> Self {
        Rejection {
            status,
            reason,
            headers: &[],
            body: b"",
        }
    }

    /// `403 Forbidden`, e.g. for a refused `Origin`.
    pub const fn forbidden() -> Rejection<'static> {
        Rejection::new(403, "Forbidden")
    }

    /// Extra header fields.
    pub const fn headers(mut self, headers: &'a [(&'a str, &'a str)]) -> Self {
        self.headers = headers;
        self
    }

    /// A body (its `Content-Length` is written for you).
    pub const fn body(mut self, body: &'a [u8]) -> Self {
        self.body = body;
        self
    }

    fn validate(&self) -> Result<(), HandshakeError> {
        if !(100..=999).contains(&self.status) {
            return Err(HandshakeError::InvalidArgument(
                "status is not three digits",
            ));
        }
        check_value(self.reason, "reason phrase contains a control character")?;
        for (name, value) in self.headers {
            if !http::is_token(name.as_bytes()) {
                return Err(HandshakeError::InvalidArgument(
                    "header name is not a token",
                ));
            }
            if name.eq_ignore_ascii_case("content-length")
                || name.eq_ignore_ascii_case("connection")
            {
                return Err(HandshakeError::InvalidArgument(
                    "header is managed by the rejection",
                ));
            }
            check_value(value, "header value contains a control character")?;
        }
        Ok(())
    }

    fn digits(&self) -> ([u8; 20], usize) {
        let mut d = [0u8; 20];
        let mut n = self.body.len();
        let mut i = d.len();
        loop {
            i -= 1;
            d[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        (d, i)
    }

    /// The exact length of the encoded response.
    pub fn encoded_len(&self) -> usize {
        let (d, i) = self.digits();
        "HTTP/1.1 000 \r\n".len()
            + self.reason.len()
            + headers_len(self.headers)
            + "Content-Length: \r\nConnection: close\r\n\r\n".len()
            + (d.len() - i)
            + self.body.len()
    }

    /// Writes the response into `out`, or fails with `InsufficientSize` / `InvalidArgument`
    /// leaving `out` untouched.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, HandshakeError> {
        self.validate()?;
        let required = self.encoded_len();
        if out.len() < required {
            return Err(HandshakeError::InsufficientSize { required });
        }
        let status = [
            b'0' + (self.status / 100) as u8,
            b'0' + (self.status / 10 % 10) as u8,
            b'0' + (self.status % 10) as u8,
        ];
        let (d, i) = self.digits();
        let mut w = Out { buf: out, pos: 0 };
        w.put(b"HTTP/1.1 ");
        w.put(&status);
        w.put(b" ");
        w.put(self.reason.as_bytes());
        w.put(b"\r\n");
        for (n, v) in self.headers {
            w.header(n.as_bytes(), v.as_bytes());
        }
        w.header(b"Content-Length", &d[i..]);
        w.put(b"Connection: close\r\n\r\n");
        w.put(self.body);
        Ok(w.pos)
    }

    /// Appends the response to `out` and returns its length.
    #[cfg(feature = "alloc")]
    pub fn encode_to_vec(&self, out: &mut alloc::vec::Vec<u8>) -> Result<usize, HandshakeError> {
        self.validate()?;
        let start = out.len();
        let n = self.encoded_len();
        out.resize(start + n, 0);
        self.encode(&mut out[start..])
    }
}

/// Incremental server side of the handshake: a bounded [`HeadParser`] plus validation.
#[derive(Debug, Clone)]
pub struct ServerHandshake {
    parser: HeadParser,
}

impl ServerHandshake {
    /// A server handshake with these caps.
    pub const fn new(cfg: HeadConfig) -> Self {
        ServerHandshake {
            parser: HeadParser::new(cfg),
        }
    }

    /// Parses and validates the request received so far. Pass the whole buffer each time (new
    /// bytes appended at the end) and fresh slots; `Partial` means read more.
    pub fn parse<'h, 'b>(
        &mut self,
        buf: &'b [u8],
        slots: &'h mut [Header<'b>],
    ) -> Result<Status<UpgradeRequest<'h, 'b>>, HandshakeError> {
        match self.parser.parse_request(buf, slots)? {
            Status::Partial => Ok(Status::Partial),
            Status::Complete(req) => UpgradeRequest::validate(req).map(Status::Complete),
        }
    }

    /// Work counter of the underlying parser ([`HeadParser::bytes_examined`]).
    /// Not part of the stable API (hidden from the docs): a test instrument.
    #[doc(hidden)]
    pub fn bytes_examined(&self) -> u64 {
        self.parser.bytes_examined()
    }

    /// Starts over for a new request.
    pub fn reset(&mut self) {
        self.parser.reset();
    }
}

/// Parses and validates a request head that is (expected to be) complete in `buf`.
pub fn parse_request<'h, 'b>(
    buf: &'b [u8],
    slots: &'h mut [Header<'b>],
    cfg: &HeadConfig,
) -> Result<Status<UpgradeRequest<'h, 'b>>, HandshakeError> {
    ServerHandshake::new(*cfg).parse(buf, slots)
}
