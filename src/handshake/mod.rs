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
//! `audit_request` and `audit_response` (hidden from these docs, not stable API) run every check
//! independently and report each verdict with the RFC 6455 section it comes from; the
//! `handshake_check` example prints them.
//!
//! [RFC 6455]: https://www.rfc-editor.org/rfc/rfc6455

mod audit;
mod client;
#[doc(hidden)]
pub use crate::http;
mod server;
mod sha1;

pub use audit::*;
pub use client::*;
pub use server::*;

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
        && k[..21].iter().fold(true, |ok, &b| ok & crate::b64::is_alphabet(b))
}

/// The `Sec-WebSocket-Key` for a 16-byte nonce: its base64 encoding (24 bytes).
pub fn key_for_nonce(nonce: &[u8; 16]) -> [u8; 24] {
    crate::b64::encode_fixed(nonce)
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
    crate::b64::encode_fixed(&digest)
}
