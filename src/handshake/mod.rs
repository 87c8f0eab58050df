//! The WebSocket opening handshake ([RFC 6455] §4), both roles, pure and bounded.
//!
//! # Server
//!
//! Feed the bytes received so far to a [`ServerHandshake`] (or call [`parse_request`] when the
//! whole head is in one buffer). It parses the head with the bounded [`http`] parser, then
//! validates it strictly (§4.2.1): `GET`, `HTTP/1.1` or later, exactly one `Host`, an `Upgrade`
//! list containing `websocket`, a `Connection` list containing `upgrade` (both case-insensitive,
//! across repeated header lines), exactly one `Sec-WebSocket-Version: 13` and exactly one
//! `Sec-WebSocket-Key` that is the base64 encoding of 16 bytes. Every failure is a
//! [`HandshakeError`] whose [`HandshakeError::response`] is the complete HTTP response to send
//! (400, 426 with `Sec-WebSocket-Version: 13`, or 431) before closing.
//!
//! A valid request is an [`UpgradeRequest`]: it exposes the path, query, `Origin`, the offered
//! subprotocols and extensions (borrowed, parsed in linear time), and builds the
//! `101 Switching Protocols` response ([`UpgradeRequest::accept`]) into a caller buffer or a `Vec`.
//! A [`Rejection`] builds any other answer (e.g. `403` for a refused `Origin`).
//! [`UpgradeRequest::head_len`] says where the head ended: bytes after it belong to the frame
//! layer.
//!
//! ```
//! use sockwire::handshake::{AcceptOptions, ServerHandshake};
//! use sockwire::http::{Header, HeadConfig, Status};
//!
//! let input = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
//! Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
//! Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, superchat\r\n\r\n";
//! let mut server = ServerHandshake::new(HeadConfig::default());
//! let mut slots = [Header::EMPTY; sockwire::http::DEFAULT_MAX_HEADERS];
//! let mut out = [0u8; 256];
//! match server.parse(input, &mut slots) {
//!     Ok(Status::Partial) => { /* read more, call again with the longer buffer */ }
//!     Ok(Status::Complete(req)) => {
//!         assert_eq!(req.path(), "/chat");
//!         let chosen = req.subprotocols().find(|p| *p == "chat");
//!         let n = req.accept(&AcceptOptions::new().subprotocol(chosen))?.encode(&mut out)?;
//!         let response = &out[..n];
//!         assert!(response.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
//!         // write `response`; bytes after `req.head_len()` go to the frame decoder.
//!     }
//!     Err(e) => {
//!         let _reply = e.response(); // write it, then close
//!     }
//! }
//! # Ok::<(), sockwire::handshake::HandshakeError>(())
//! ```
//!
//! # Client
//!
//! [`ClientHandshake`] builds the request from [`ClientOptions`] (host, target, the caller's
//! 16-byte nonce, subprotocols, extensions, extra headers) and verifies the response (§4.1):
//! status 101, `Upgrade` and `Connection` tokens, `Sec-WebSocket-Accept` equal to the expected
//! value, a subprotocol only if offered, extensions only if offered. A response other than 101
//! (a redirect, `401`, ...) is returned as [`ServerResponse::NotUpgraded`] with its status and
//! headers so the caller can follow it or give up.
//!
//! # Checking recorded exchanges
//!
//! [`audit_request`] and [`audit_response`] run every check independently and report each
//! verdict with the RFC 6455 section it comes from (the `handshake_check` example prints them).
//!
//! [RFC 6455]: https://www.rfc-editor.org/rfc/rfc6455

#[doc(hidden)]
pub use crate::http;
mod sha1;

use core::fmt;

use http::{
    Extensions, HeadConfig, HeadParser, Header, HttpError, ListIter, Request, Response, Status,
};

/// The GUID appended to the key before hashing (RFC 6455 §1.3).
pub const GUID: &[u8; 36] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The only WebSocket version this crate speaks (RFC 6455 §4.1 item 9).
pub const VERSION: &str = "13";

// ---------------------------------------------------------------------------------------------
// Errors.

/// Why a handshake failed.
///
/// Variants caused by a client's request carry a ready-to-send response
/// ([`HandshakeError::response`]); those caused by a server's response (client side) or by the
/// caller's own arguments have none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The HTTP head is malformed or over a cap (400 or 431).
    Http(HttpError),
    /// The request method is not `GET` (§4.1 item 2). 400.
    Method,
    /// The HTTP version is older than 1.1 (§4.1 item 2). 400.
    HttpVersion,
    /// No `Host` header, more than one, or an empty / non-ASCII one (§4.1 item 4). 400.
    Host,
    /// The `Upgrade` header does not contain `websocket` (§4.1 item 5, §4.2.1 item 3). 400 on the
    /// server; fatal on the client.
    Upgrade,
    /// The `Connection` header does not contain `upgrade` (§4.1 item 6, §4.2.1 item 4). 400 on the
    /// server; fatal on the client.
    Connection,
    /// `Sec-WebSocket-Version` is missing, repeated, or not `13` (§4.2.1 item 6, §4.4). 426 with
    /// `Sec-WebSocket-Version: 13`.
    Version,
    /// `Sec-WebSocket-Key` is missing or repeated (§4.2.1 item 5). 400.
    MissingKey,
    /// `Sec-WebSocket-Key` is not the base64 encoding of exactly 16 bytes (§4.1 item 7). 400.
    InvalidKey,
    /// More than one `Origin` header, or a non-ASCII one (RFC 6454 §7). 400.
    Origin,
    /// `Sec-WebSocket-Protocol` is not a list of tokens (§4.1 item 10, §11.3.4). 400.
    Subprotocols,
    /// `Sec-WebSocket-Extensions` does not follow the §9.1 grammar. 400 on the server; fatal on
    /// the client.
    Extensions,

    /// Client side: the response is not `101 Switching Protocols` (§4.1, first check).
    NotSwitching {
        /// The status received.
        status: u16,
    },
    /// Client side: no `Sec-WebSocket-Accept`, or more than one (§4.1, 4th check).
    MissingAccept,
    /// Client side: `Sec-WebSocket-Accept` differs from the expected value (§4.1, 4th check).
    AcceptMismatch,
    /// Client side: the server selected a subprotocol we did not offer, several, or one when we
    /// offered none (§4.1, 6th check).
    UnofferedSubprotocol,
    /// Client side: the server accepted an extension we did not offer (§4.1, 5th check).
    UnofferedExtension,

    /// Caller: the output buffer is too small; nothing was written.
    InsufficientSize {
        /// Bytes needed.
        required: usize,
    },
    /// Caller: the subprotocol chosen for the 101 response was not offered by the client
    /// (§4.2.2 item 5).
    SubprotocolNotOffered,
    /// Caller: an extension accepted in the 101 response was not offered by the client, or the
    /// extension string is malformed (§9.1).
    ExtensionNotOffered,
    /// Caller: an argument (host, target, token, header name or value, reason phrase) contains
    /// bytes that would corrupt the HTTP head, or names a header the handshake manages itself.
    InvalidArgument(&'static str),
}

impl HandshakeError {
    /// The HTTP status a server answers with, when the error is the client's fault.
    pub fn status(&self) -> Option<u16> {
        match self {
            HandshakeError::Http(e) => Some(e.status()),
            HandshakeError::Version => Some(426),
            HandshakeError::Method
            | HandshakeError::HttpVersion
            | HandshakeError::Host
            | HandshakeError::Upgrade
            | HandshakeError::Connection
            | HandshakeError::MissingKey
            | HandshakeError::InvalidKey
            | HandshakeError::Origin
            | HandshakeError::Subprotocols
            | HandshakeError::Extensions => Some(400),
            _ => None,
        }
    }

    /// The complete HTTP response a server sends for this error before closing the connection
    /// (status line, `Connection: close`, `Content-Length` and a one-line text body; 426 also
    /// carries `Sec-WebSocket-Version: 13`). `None` for client-side and caller errors.
    pub fn response(&self) -> Option<&'static [u8]> {
        Some(match self {
            HandshakeError::Http(e) => e.response(),
            HandshakeError::Method => RESP_400_METHOD,
            HandshakeError::HttpVersion => RESP_400_VERSION,
            HandshakeError::Host => RESP_400_HOST,
            HandshakeError::Upgrade => RESP_400_UPGRADE,
            HandshakeError::Connection => RESP_400_CONNECTION,
            HandshakeError::Version => RESP_426,
            HandshakeError::MissingKey | HandshakeError::InvalidKey => RESP_400_KEY,
            HandshakeError::Origin => RESP_400_ORIGIN,
            HandshakeError::Subprotocols => RESP_400_PROTOCOL,
            HandshakeError::Extensions => RESP_400_EXTENSIONS,
            _ => return None,
        })
    }
}

impl From<HttpError> for HandshakeError {
    fn from(e: HttpError) -> Self {
        HandshakeError::Http(e)
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::Http(e) => write!(f, "{e}"),
            HandshakeError::Method => f.write_str("request method is not GET"),
            HandshakeError::HttpVersion => f.write_str("HTTP version older than 1.1"),
            HandshakeError::Host => f.write_str("missing, repeated or invalid Host header"),
            HandshakeError::Upgrade => f.write_str("Upgrade header does not contain websocket"),
            HandshakeError::Connection => f.write_str("Connection header does not contain upgrade"),
            HandshakeError::Version => {
                f.write_str("Sec-WebSocket-Version missing, repeated or not 13")
            }
            HandshakeError::MissingKey => f.write_str("Sec-WebSocket-Key missing or repeated"),
            HandshakeError::InvalidKey => {
                f.write_str("Sec-WebSocket-Key is not base64 of exactly 16 bytes")
            }
            HandshakeError::Origin => f.write_str("repeated or non-ASCII Origin header"),
            HandshakeError::Subprotocols => {
                f.write_str("Sec-WebSocket-Protocol is not a list of tokens")
            }
            HandshakeError::Extensions => f.write_str("malformed Sec-WebSocket-Extensions"),
            HandshakeError::NotSwitching { status } => {
                write!(
                    f,
                    "server answered {status} instead of 101 Switching Protocols"
                )
            }
            HandshakeError::MissingAccept => {
                f.write_str("Sec-WebSocket-Accept missing or repeated")
            }
            HandshakeError::AcceptMismatch => {
                f.write_str("Sec-WebSocket-Accept does not match the key")
            }
            HandshakeError::UnofferedSubprotocol => {
                f.write_str("server selected a subprotocol that was not offered")
            }
            HandshakeError::UnofferedExtension => {
                f.write_str("server accepted an extension that was not offered")
            }
            HandshakeError::InsufficientSize { required } => {
                write!(f, "output buffer too small: {required} bytes required")
            }
            HandshakeError::SubprotocolNotOffered => {
                f.write_str("chosen subprotocol was not offered by the client")
            }
            HandshakeError::ExtensionNotOffered => {
                f.write_str("accepted extension was not offered by the client, or is malformed")
            }
            HandshakeError::InvalidArgument(what) => write!(f, "invalid argument: {what}"),
        }
    }
}

impl core::error::Error for HandshakeError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            HandshakeError::Http(e) => Some(e),
            _ => None,
        }
    }
}

const RESP_400_METHOD: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 41\r\nConnection: close\r\n\r\n\
a WebSocket upgrade must be a GET request";
const RESP_400_VERSION: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 43\r\nConnection: close\r\n\r\n\
a WebSocket upgrade needs HTTP/1.1 or later";
const RESP_400_HOST: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 45\r\nConnection: close\r\n\r\n\
exactly one non-empty Host header is required";
const RESP_400_UPGRADE: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 41\r\nConnection: close\r\n\r\n\
the Upgrade header must contain websocket";
const RESP_400_CONNECTION: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 42\r\nConnection: close\r\n\r\n\
the Connection header must contain upgrade";
const RESP_400_KEY: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 68\r\nConnection: close\r\n\r\n\
exactly one Sec-WebSocket-Key holding base64 of 16 bytes is required";
const RESP_400_ORIGIN: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 42\r\nConnection: close\r\n\r\n\
at most one ASCII Origin header is allowed";
const RESP_400_PROTOCOL: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 47\r\nConnection: close\r\n\r\n\
Sec-WebSocket-Protocol must be a list of tokens";
const RESP_400_EXTENSIONS: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 34\r\nConnection: close\r\n\r\n\
malformed Sec-WebSocket-Extensions";
const RESP_426: &[u8] = b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 46\r\nConnection: close\r\n\r\n\
this server supports WebSocket version 13 only";

// ---------------------------------------------------------------------------------------------
// Keys.

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const fn b64_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 64 {
        t[B64[i] as usize] = true;
        i += 1;
    }
    t
}
static IS_B64: [bool; 256] = b64_table();

/// Base64 (standard alphabet, padded) of `N` bytes into `M` output bytes; `M` must be
/// `4 * ceil(N / 3)`.
fn b64_encode<const N: usize, const M: usize>(input: &[u8; N]) -> [u8; M] {
    let mut out = [b'='; M];
    let mut o = 0;
    let mut chunks = input.chunks_exact(3);
    for c in &mut chunks {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        out[o] = B64[(n >> 18) as usize & 63];
        out[o + 1] = B64[(n >> 12) as usize & 63];
        out[o + 2] = B64[(n >> 6) as usize & 63];
        out[o + 3] = B64[n as usize & 63];
        o += 4;
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out[o] = B64[(n >> 18) as usize & 63];
            out[o + 1] = B64[(n >> 12) as usize & 63];
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            out[o] = B64[(n >> 18) as usize & 63];
            out[o + 1] = B64[(n >> 12) as usize & 63];
            out[o + 2] = B64[(n >> 6) as usize & 63];
        }
        _ => {}
    }
    out
}

/// Whether `key` is a valid `Sec-WebSocket-Key`: the canonical padded base64 encoding of exactly
/// 16 bytes (24 characters ending in `==`, the last data character carrying no stray bits).
pub fn is_valid_key(key: &[u8]) -> bool {
    let Ok(k) = <&[u8; 24]>::try_from(key) else {
        return false;
    };
    k[22] == b'='
        && k[23] == b'='
        && matches!(k[21], b'A' | b'Q' | b'g' | b'w')
        // No early exit: a fixed-length AND over the table, which the compiler unrolls.
        && k[..21].iter().fold(true, |ok, &b| ok & IS_B64[b as usize])
}

/// The `Sec-WebSocket-Key` for a 16-byte nonce: its base64 encoding (24 bytes).
pub fn key_for_nonce(nonce: &[u8; 16]) -> [u8; 24] {
    b64_encode(nonce)
}

/// `Sec-WebSocket-Accept` for a key (RFC 6455 §4.2.2 item 5.4): base64 of the SHA-1 of the key
/// (as sent, any bytes) followed by [`GUID`]. Always 28 ASCII bytes.
///
/// ```
/// let a = sockwire::handshake::accept_key(b"dGhlIHNhbXBsZSBub25jZQ==");
/// assert_eq!(&a, b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn accept_key(key: &[u8]) -> [u8; 28] {
    let digest = match <&[u8; 24]>::try_from(key) {
        // Every valid key: the two-block SHA-1 specialised for 24 + 36 bytes.
        Ok(key) => sha1::digest_key_guid(key),
        Err(_) => {
            let mut sha = sha1_smol::Sha1::new();
            sha.update(key);
            sha.update(GUID);
            sha.digest().bytes()
        }
    };
    b64_encode(&digest)
}

// ---------------------------------------------------------------------------------------------
// Request validation (server side).

/// What one pass over the request headers found.
#[derive(Default)]
struct ReqSeen<'b> {
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
    fn collect(headers: &[Header<'b>]) -> Self {
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

const PROTOCOL: &str = "sec-websocket-protocol";
const EXTENSIONS: &str = "sec-websocket-extensions";

type Check = for<'x, 'b> fn(&Request<'x, 'b>, &ReqSeen<'b>) -> Result<(), HandshakeError>;

fn check_method(req: &Request<'_, '_>, _: &ReqSeen<'_>) -> Result<(), HandshakeError> {
    // A fixed-size comparison (a slice `!=` would call `memcmp`).
    if <&[u8; 3]>::try_from(req.method).ok() != Some(b"GET") {
        return Err(HandshakeError::Method);
    }
    if req.version_minor() < 1 {
        return Err(HandshakeError::HttpVersion);
    }
    Ok(())
}

fn check_host(_: &Request<'_, '_>, s: &ReqSeen<'_>) -> Result<(), HandshakeError> {
    match s.host {
        Some(h) if s.hosts == 1 && !h.is_empty() && h.is_ascii() => Ok(()),
        _ => Err(HandshakeError::Host),
    }
}

fn check_upgrade(_: &Request<'_, '_>, s: &ReqSeen<'_>) -> Result<(), HandshakeError> {
    if s.upgrade {
        Ok(())
    } else {
        Err(HandshakeError::Upgrade)
    }
}

fn check_connection(_: &Request<'_, '_>, s: &ReqSeen<'_>) -> Result<(), HandshakeError> {
    if s.connection {
        Ok(())
    } else {
        Err(HandshakeError::Connection)
    }
}

fn check_version(_: &Request<'_, '_>, s: &ReqSeen<'_>) -> Result<(), HandshakeError> {
    match s.version {
        Some(b"13") if s.versions == 1 => Ok(()),
        _ => Err(HandshakeError::Version),
    }
}

fn check_key(_: &Request<'_, '_>, s: &ReqSeen<'_>) -> Result<(), HandshakeError> {
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
fn check_origin(_: &Request<'_, '_>, s: &ReqSeen<'_>) -> Result<(), HandshakeError> {
    match s.origin {
        Some(o) if s.origins > 1 || !o.is_ascii() => Err(HandshakeError::Origin),
        _ => Ok(()),
    }
}

#[inline]
fn check_protocols(req: &Request<'_, '_>, s: &ReqSeen<'_>) -> Result<(), HandshakeError> {
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
fn check_extensions(req: &Request<'_, '_>, s: &ReqSeen<'_>) -> Result<(), HandshakeError> {
    if s.extensions && http::validate_extensions(req.headers(), EXTENSIONS).is_err() {
        return Err(HandshakeError::Extensions);
    }
    Ok(())
}

/// The server-side checks, in the order the fast path applies them, with their RFC sections.
const REQUEST_CHECKS: [(&str, &str, Check); 9] = [
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
        b64_encode(&self.digest)
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
const MANAGED: [&str; 8] = [
    "host",
    "upgrade",
    "connection",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-accept",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
];

fn check_extra_headers(headers: &[(&str, &str)]) -> Result<(), HandshakeError> {
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

fn check_value(value: &str, what: &'static str) -> Result<(), HandshakeError> {
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
struct Out<'o> {
    buf: &'o mut [u8],
    pos: usize,
}

impl Out<'_> {
    #[inline]
    fn put(&mut self, s: &[u8]) {
        // The caller checked the total length first; `get_mut` keeps this panic-free anyway.
        if let Some(dst) = self.buf.get_mut(self.pos..self.pos + s.len()) {
            dst.copy_from_slice(s);
        }
        self.pos += s.len();
    }

    fn header(&mut self, name: &[u8], value: &[u8]) {
        self.put(name);
        self.put(b": ");
        self.put(value);
        self.put(b"\r\n");
    }
}

fn headers_len(headers: &[(&str, &str)]) -> usize {
    headers.iter().map(|(n, v)| n.len() + v.len() + 4).sum()
}

/// A `101 Switching Protocols` response ready to encode (from [`UpgradeRequest::accept`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accept<'a> {
    accept: [u8; 28],
    opts: AcceptOptions<'a>,
}

const RESP_101_START: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\n\
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
    pub fn bytes_examined(&self) -> u64 {
        self.parser.bytes_examined()
    }
}

/// What one pass over the response headers found.
#[derive(Default)]
struct RespSeen<'b> {
    upgrade: bool,
    connection: bool,
    accept: Option<&'b [u8]>,
    accepts: u32,
    protocol: Option<&'b [u8]>,
    protocols: u32,
}

impl<'b> RespSeen<'b> {
    fn collect(headers: &[Header<'b>]) -> Self {
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

type RespCheck<'x> = &'x dyn Fn() -> Result<(), HandshakeError>;

fn response_checks<'b>(
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

// ---------------------------------------------------------------------------------------------
// Audits.

/// One check of a recorded handshake and its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// RFC 6455 section (and item) the rule comes from.
    pub section: &'static str,
    /// What is checked.
    pub rule: &'static str,
    /// `Ok` if the rule holds, else the error a strict peer reports.
    pub result: Result<(), HandshakeError>,
}

/// Number of verdicts [`audit_request`] returns.
pub const REQUEST_CHECK_COUNT: usize = REQUEST_CHECKS.len();
/// Number of verdicts [`audit_response`] returns.
pub const RESPONSE_CHECK_COUNT: usize = 6;

/// Runs every server-side check on a request independently (the handshake itself stops at the
/// first failure, in this order).
pub fn audit_request(req: &Request<'_, '_>) -> [Verdict; REQUEST_CHECK_COUNT] {
    let seen = ReqSeen::collect(req.headers());
    REQUEST_CHECKS.map(|(section, rule, check)| Verdict {
        section,
        rule,
        result: check(req, &seen),
    })
}

/// Runs every client-side check on a response to `req` independently: the expected accept value
/// comes from the request's (first) `Sec-WebSocket-Key`, the offers from its
/// `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions`.
pub fn audit_response(
    resp: &Response<'_, '_>,
    req: &Request<'_, '_>,
) -> [Verdict; RESPONSE_CHECK_COUNT] {
    let seen = RespSeen::collect(resp.headers());
    let expected = accept_key(req.header("sec-websocket-key").unwrap_or_default());
    let mut out = [Verdict {
        section: "",
        rule: "",
        result: Ok(()),
    }; RESPONSE_CHECK_COUNT];
    let mut i = 0;
    response_checks(
        resp,
        &seen,
        &expected,
        &|p| ListIter::new(req.headers(), PROTOCOL).any(|o| o == p),
        &|name| {
            Extensions::new(req.headers(), EXTENSIONS)
                .any(|e| e.is_ok_and(|e| e.name().as_bytes().eq_ignore_ascii_case(name)))
        },
        |section, rule, result| {
            if let Some(v) = out.get_mut(i) {
                *v = Verdict {
                    section,
                    rule,
                    result,
                };
            }
            i += 1;
            true
        },
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_responses_are_well_formed() {
        let errs = [
            HandshakeError::Method,
            HandshakeError::HttpVersion,
            HandshakeError::Host,
            HandshakeError::Upgrade,
            HandshakeError::Connection,
            HandshakeError::Version,
            HandshakeError::MissingKey,
            HandshakeError::InvalidKey,
            HandshakeError::Origin,
            HandshakeError::Subprotocols,
            HandshakeError::Extensions,
        ];
        for e in errs {
            let r = e.response().unwrap();
            let mut slots = [Header::EMPTY; 8];
            let resp = http::parse_response(r, &mut slots, &HeadConfig::default())
                .unwrap()
                .complete()
                .unwrap();
            assert_eq!(Some(resp.status()), e.status());
            let body = &r[resp.head_len()..];
            assert_eq!(resp.content_length().unwrap(), Some(body.len() as u64));
        }
    }

    #[test]
    fn b64_matches_reference() {
        use base64::Engine;
        let data: [u8; 20] = core::array::from_fn(|i| (i * 37 + 11) as u8);
        let ours: [u8; 28] = b64_encode(&data);
        let mut theirs = [0u8; 28];
        base64::engine::general_purpose::STANDARD
            .encode_slice(data, &mut theirs)
            .unwrap();
        assert_eq!(ours, theirs);
    }
}
