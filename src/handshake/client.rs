//! The client side: [`ClientOptions`], [`ClientHandshake`], [`verify_response`].

use super::*;

// ---------------------------------------------------------------------------------------------
// Client side.

/// What the client asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientOptions<'a> {
    /// `Host` value, e.g. `example.com:8080`.
    pub host: &'a str,
    /// Request target, e.g. `/chat?room=1` (must start with `/`).
    pub target: &'a str,
    /// 16 random bytes from the caller's entropy source; their base64 is the key.
    pub nonce: [u8; 16],
    /// Offered subprotocols, most preferred first (tokens, unique).
    pub subprotocols: &'a [&'a str],
    /// Offered extensions as a `Sec-WebSocket-Extensions` value.
    pub extensions: Option<&'a str>,
    /// `Origin`, for browser-like clients.
    pub origin: Option<&'a str>,
    /// Extra header fields (e.g. `Authorization`, `Cookie`).
    pub headers: &'a [(&'a str, &'a str)],
}

impl<'a> ClientOptions<'a> {
    /// Options for `GET target` on `host` with this nonce.
    pub const fn new(host: &'a str, target: &'a str, nonce: [u8; 16]) -> Self {
        ClientOptions {
            host,
            target,
            nonce,
            subprotocols: &[],
            extensions: None,
            origin: None,
            headers: &[],
        }
    }

    /// Offered subprotocols.
    pub const fn subprotocols(mut self, protocols: &'a [&'a str]) -> Self {
        self.subprotocols = protocols;
        self
    }

    /// Offered extensions.
    pub const fn extensions(mut self, value: Option<&'a str>) -> Self {
        self.extensions = value;
        self
    }

    /// `Origin` header.
    pub const fn origin(mut self, origin: Option<&'a str>) -> Self {
        self.origin = origin;
        self
    }

    /// Extra header fields.
    pub const fn headers(mut self, headers: &'a [(&'a str, &'a str)]) -> Self {
        self.headers = headers;
        self
    }
}

/// Client side of the handshake: builds the request, verifies the response.
#[derive(Debug, Clone)]
pub struct ClientHandshake<'a> {
    opts: ClientOptions<'a>,
    key: [u8; 24],
    expected: [u8; 28],
    parser: HeadParser,
}

/// How the server answered.
#[derive(Debug, Clone, Copy)]
pub enum ServerResponse<'h, 'b> {
    /// `101 Switching Protocols`, verified.
    Accepted(Accepted<'h, 'b>),
    /// Any other status (a redirect, `401`, `403`, ...), with all its headers, so the caller
    /// can follow it or give up. The connection is not a WebSocket.
    NotUpgraded(Response<'h, 'b>),
}

/// A verified `101` response.
#[derive(Debug, Clone, Copy)]
pub struct Accepted<'h, 'b> {
    response: Response<'h, 'b>,
    subprotocol: Option<&'b str>,
}

impl<'h, 'b> Accepted<'h, 'b> {
    /// The selected subprotocol, if the server chose one.
    pub fn subprotocol(&self) -> Option<&'b str> {
        self.subprotocol
    }

    /// The extensions the server accepted (names verified as offered).
    pub fn extensions(&self) -> Extensions<'h, 'b> {
        Extensions::new(self.response.headers(), EXTENSIONS)
    }

    /// Length of the response head: bytes after it are WebSocket frames.
    pub fn head_len(&self) -> usize {
        self.response.head_len()
    }

    /// Checks the server's permessage-deflate answer against what the client offered
    /// ([`DeflateOffer::accept_response`](crate::deflate::DeflateOffer::accept_response)); an
    /// error must fail the connection.
    pub fn deflate(
        &self,
        offer: &crate::deflate::DeflateOffer,
    ) -> Result<Option<crate::deflate::PerMessageDeflate>, crate::deflate::DeflateError> {
        offer.accept_response(self.extensions())
    }

    /// The underlying HTTP response.
    pub fn response(&self) -> &Response<'h, 'b> {
        &self.response
    }
}

impl<'a> ClientHandshake<'a> {
    /// Validates the options and derives the key. Uses the default head caps for the response.
    pub fn new(opts: ClientOptions<'a>) -> Result<Self, HandshakeError> {
        Self::with_config(opts, HeadConfig::default())
    }

    /// Like [`ClientHandshake::new`] with explicit caps for the response head.
    pub fn with_config(opts: ClientOptions<'a>, cfg: HeadConfig) -> Result<Self, HandshakeError> {
        if opts.host.is_empty() || !opts.host.bytes().all(|b| b.is_ascii_graphic() && b != b'/') {
            return Err(HandshakeError::InvalidArgument("host"));
        }
        if !opts.target.starts_with('/') || !opts.target.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(HandshakeError::InvalidArgument("target"));
        }
        for (i, p) in opts.subprotocols.iter().enumerate() {
            if !http::is_token(p.as_bytes()) {
                return Err(HandshakeError::InvalidArgument(
                    "subprotocol is not a token",
                ));
            }
            if opts.subprotocols[..i].contains(p) {
                return Err(HandshakeError::InvalidArgument("subprotocol offered twice"));
            }
        }
        if let Some(e) = opts.extensions {
            if http::validate_extensions(&[Header::new(b"x", e.as_bytes())], "x").is_err() {
                return Err(HandshakeError::InvalidArgument("extensions"));
            }
        }
        if let Some(o) = opts.origin {
            check_value(o, "origin")?;
            if !o.is_ascii() {
                return Err(HandshakeError::InvalidArgument("origin"));
            }
        }
        check_extra_headers(opts.headers)?;
        if opts
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("origin"))
            && opts.origin.is_some()
        {
            return Err(HandshakeError::InvalidArgument("Origin given twice"));
        }
        let key = key_for_nonce(&opts.nonce);
        Ok(ClientHandshake {
            opts,
            key,
            expected: accept_key(&key),
            parser: HeadParser::new(cfg),
        })
    }

    /// The `Sec-WebSocket-Key` sent.
    pub fn key(&self) -> &str {
        core::str::from_utf8(&self.key).unwrap_or("")
    }

    /// The `Sec-WebSocket-Accept` the server must answer with.
    pub fn expected_accept(&self) -> &str {
        core::str::from_utf8(&self.expected).unwrap_or("")
    }

    /// The exact length of the encoded request.
    pub fn encoded_len(&self) -> usize {
        let o = &self.opts;
        let mut n = "GET  HTTP/1.1\r\nHost: \r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: \r\nSec-WebSocket-Version: 13\r\n\r\n"
            .len()
            + o.target.len()
            + o.host.len()
            + 24;
        if !o.subprotocols.is_empty() {
            n += "Sec-WebSocket-Protocol: \r\n".len();
            n += o.subprotocols.iter().map(|p| p.len() + 2).sum::<usize>() - 2;
        }
        if let Some(e) = o.extensions {
            n += "Sec-WebSocket-Extensions: \r\n".len() + e.len();
        }
        if let Some(origin) = o.origin {
            n += "Origin: \r\n".len() + origin.len();
        }
        n + headers_len(o.headers)
    }

    /// Writes the request into `out`, or fails with `InsufficientSize` leaving it untouched.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, HandshakeError> {
        let required = self.encoded_len();
        if out.len() < required {
            return Err(HandshakeError::InsufficientSize { required });
        }
        let o = &self.opts;
        let mut w = Out { buf: out, pos: 0 };
        w.put(b"GET ");
        w.put(o.target.as_bytes());
        w.put(b" HTTP/1.1\r\n");
        w.header(b"Host", o.host.as_bytes());
        w.put(b"Upgrade: websocket\r\nConnection: Upgrade\r\n");
        w.header(b"Sec-WebSocket-Key", &self.key);
        w.put(b"Sec-WebSocket-Version: 13\r\n");
        if let Some((first, rest)) = o.subprotocols.split_first() {
            w.put(b"Sec-WebSocket-Protocol: ");
            w.put(first.as_bytes());
            for p in rest {
                w.put(b", ");
                w.put(p.as_bytes());
            }
            w.put(b"\r\n");
        }
        if let Some(e) = o.extensions {
            w.header(b"Sec-WebSocket-Extensions", e.as_bytes());
        }
        if let Some(origin) = o.origin {
            w.header(b"Origin", origin.as_bytes());
        }
        for (n, v) in o.headers {
            w.header(n.as_bytes(), v.as_bytes());
        }
        w.put(b"\r\n");
        Ok(w.pos)
    }

    /// Appends the request to `out` and returns its length.
    #[cfg(feature = "alloc")]
    pub fn encode_to_vec(&self, out: &mut alloc::vec::Vec<u8>) -> usize {
        let start = out.len();
        let n = self.encoded_len();
        out.resize(start + n, 0);
        let _ = self.encode(&mut out[start..]);
        n
    }

    /// Parses and verifies the response received so far (whole buffer each time, fresh
    /// slots). `Partial` means read more.
    pub fn parse_response<'h, 'b>(
        &mut self,
        buf: &'b [u8],
        slots: &'h mut [Header<'b>],
    ) -> Result<Status<ServerResponse<'h, 'b>>, HandshakeError> {
        let resp = match self.parser.parse_response(buf, slots)? {
            Status::Partial => return Ok(Status::Partial),
            Status::Complete(r) => r,
        };
        if resp.status() != 101 {
            return Ok(Status::Complete(ServerResponse::NotUpgraded(resp)));
        }
        let offered = self.opts.subprotocols;
        let ext = self.opts.extensions.unwrap_or("");
        let accepted = verify_response(
            resp,
            &self.expected,
            |p| offered.iter().any(|o| o.as_bytes() == p),
            |name| {
                Extensions::value(ext.as_bytes())
                    .any(|e| e.is_ok_and(|e| e.name().as_bytes().eq_ignore_ascii_case(name)))
            },
        )?;
        Ok(Status::Complete(ServerResponse::Accepted(accepted)))
    }

    /// Work counter of the response parser ([`HeadParser::bytes_examined`]).
    /// Not part of the stable API (hidden from the docs): a test instrument.
    #[doc(hidden)]
    pub fn bytes_examined(&self) -> u64 {
        self.parser.bytes_examined()
    }
}

/// What one pass over the response headers found.
#[derive(Default)]
pub(super) struct RespSeen<'b> {
    upgrade: bool,
    connection: bool,
    accept: Option<&'b [u8]>,
    accepts: u32,
    protocol: Option<&'b [u8]>,
    protocols: u32,
}

impl<'b> RespSeen<'b> {
    pub(super) fn collect(headers: &[Header<'b>]) -> Self {
        let mut s = RespSeen::default();
        for h in headers {
            let v = h.value();
            if h.is("upgrade") {
                s.upgrade = s.upgrade || http::value_has_token(v, b"websocket");
            } else if h.is("connection") {
                s.connection = s.connection || http::value_has_token(v, b"upgrade");
            } else if h.is("sec-websocket-accept") {
                s.accepts += 1;
                s.accept = Some(v);
            } else if h.is(PROTOCOL) {
                s.protocols += 1;
                s.protocol = Some(v);
            }
        }
        s
    }
}

pub(super) type RespCheck<'x> = &'x dyn Fn() -> Result<(), HandshakeError>;

pub(super) fn response_checks<'b>(
    resp: &Response<'_, 'b>,
    seen: &RespSeen<'b>,
    expected_accept: &[u8; 28],
    offered_protocol: &dyn Fn(&[u8]) -> bool,
    offered_extension: &dyn Fn(&[u8]) -> bool,
    mut each: impl FnMut(&'static str, &'static str, Result<(), HandshakeError>) -> bool,
) {
    let status = || {
        if resp.status() != 101 || resp.version_minor() < 1 {
            return Err(HandshakeError::NotSwitching {
                status: resp.status(),
            });
        }
        Ok(())
    };
    let upgrade = || {
        if seen.upgrade {
            Ok(())
        } else {
            Err(HandshakeError::Upgrade)
        }
    };
    let connection = || {
        if seen.connection {
            Ok(())
        } else {
            Err(HandshakeError::Connection)
        }
    };
    let accept = || match seen.accept {
        Some(a) if seen.accepts == 1 => {
            if a == expected_accept {
                Ok(())
            } else {
                Err(HandshakeError::AcceptMismatch)
            }
        }
        _ => Err(HandshakeError::MissingAccept),
    };
    let extensions = || {
        for e in Extensions::new(resp.headers(), EXTENSIONS) {
            match e {
                Err(_) => return Err(HandshakeError::Extensions),
                Ok(e) if !offered_extension(e.name().as_bytes()) => {
                    return Err(HandshakeError::UnofferedExtension);
                }
                Ok(_) => {}
            }
        }
        Ok(())
    };
    let protocol = || match seen.protocol {
        None => Ok(()),
        Some(p) if seen.protocols == 1 && http::is_token(p) && offered_protocol(p) => Ok(()),
        Some(_) => Err(HandshakeError::UnofferedSubprotocol),
    };
    let checks: [(&str, &str, RespCheck<'_>); 6] = [
        (
            "4.1 resp. (1), 4.2.2",
            "status is 101 Switching Protocols, HTTP/1.1",
            &status,
        ),
        (
            "4.1 resp. (2), 4.2.2",
            "Upgrade contains \"websocket\"",
            &upgrade,
        ),
        (
            "4.1 resp. (3), 4.2.2",
            "Connection contains \"Upgrade\"",
            &connection,
        ),
        (
            "4.1 resp. (4), 4.2.2",
            "exactly one Sec-WebSocket-Accept, equal to base64(SHA-1(key + GUID))",
            &accept,
        ),
        (
            "4.1 resp. (5), 9.1",
            "Sec-WebSocket-Extensions well-formed and only offered extensions",
            &extensions,
        ),
        (
            "4.1 resp. (6), 4.2.2",
            "Sec-WebSocket-Protocol absent, or one offered subprotocol",
            &protocol,
        ),
    ];
    for (section, rule, check) in checks {
        if !each(section, rule, check()) {
            return;
        }
    }
}

/// Verifies a response head against what the client sent: the expected accept value and
/// predicates telling whether a subprotocol (exact bytes) or an extension name (compare
/// case-insensitively) was offered. A non-101 status is [`HandshakeError::NotSwitching`].
pub fn verify_response<'h, 'b>(
    resp: Response<'h, 'b>,
    expected_accept: &[u8; 28],
    offered_protocol: impl Fn(&[u8]) -> bool,
    offered_extension: impl Fn(&[u8]) -> bool,
) -> Result<Accepted<'h, 'b>, HandshakeError> {
    let seen = RespSeen::collect(resp.headers());
    let mut result = Ok(());
    response_checks(
        &resp,
        &seen,
        expected_accept,
        &offered_protocol,
        &offered_extension,
        |_, _, r| {
            result = r;
            result.is_ok()
        },
    );
    result?;
    Ok(Accepted {
        response: resp,
        subprotocol: seen.protocol.map(|p| core::str::from_utf8(p).unwrap_or("")),
    })
}
