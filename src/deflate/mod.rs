//! permessage-deflate (RFC 7692): extension negotiation, and compression behind a codec trait.
//!
//! The negotiation is part of the core (no dependency, no allocation):
//!
//! * a server reads the offers of the upgrade request with [`DeflatePolicy::negotiate`] (or
//!   [`UpgradeRequest::negotiate_deflate`](crate::handshake::UpgradeRequest::negotiate_deflate)),
//!   which takes the first acceptable `permessage-deflate` offer in the client's order of
//!   preference and returns the chosen [`PerMessageDeflate`]; [`PerMessageDeflate::response`]
//!   is the `Sec-WebSocket-Extensions` value to put in
//!   [`AcceptOptions::extensions`](crate::handshake::AcceptOptions::extensions);
//! * a client sends [`DeflateOffer::header_value`] and checks the server's answer with
//!   [`DeflateOffer::accept_response`];
//! * both hand the result to [`ConnectionConfig::permessage_deflate`](crate::ws::ConnectionConfig::permessage_deflate),
//!   which lets RSV1 through on the first frame of a data message (never on control or
//!   continuation frames: 1002) and compresses and inflates through a [`Codec`] (`alloc`): the
//!   built-in one, `ZlibCodec` (feature `deflate`, the pure-Rust `zlib-rs`), or the host's own.
//!
//! Offers with an unknown parameter, a parameter given twice, or a bad value are declined (RFC
//! 7692 §5: the server then tries the next offer, or accepts without the extension); a
//! response that breaks the same rules, names a parameter the client did not allow, or accepts
//! the extension twice fails the handshake on the client ([`DeflateError`]). Every pass is
//! linear in the length of the header values.
//!
//! ```
//! use sockwire::deflate::{DeflateOffer, DeflatePolicy};
//! use sockwire::handshake::http::Extensions;
//!
//! // The server side of a browser's offer.
//! let offer = b"permessage-deflate; client_max_window_bits";
//! let pmd = DeflatePolicy::default().negotiate(Extensions::value(offer)).unwrap();
//! assert_eq!(
//!     pmd.response().as_str(),
//!     "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
//! );
//!
//! // A client checking a response.
//! let offer = DeflateOffer::default();
//! assert_eq!(offer.header_value().as_str(), "permessage-deflate; client_max_window_bits");
//! let got = offer
//!     .accept_response(Extensions::value(b"permessage-deflate; client_max_window_bits=10"))?
//!     .unwrap();
//! assert_eq!(got.client_max_window_bits, Some(10));
//! # Ok::<(), sockwire::deflate::DeflateError>(())
//! ```

#[cfg(feature = "alloc")]
mod codec;
#[cfg(feature = "deflate")]
mod zlib;

#[cfg(feature = "alloc")]
pub use codec::{Codec, CodecError};
#[cfg(feature = "deflate")]
pub use zlib::{SharedCompressor, ZlibCodec, ZlibOptions};

/// Whether this build carries the built-in codec (the `deflate` feature): a connection created
/// with a negotiated [`PerMessageDeflate`] then compresses and inflates by itself. Without it, a
/// host negotiates the extension only if it installs its own codec with
/// [`Connection::set_codec`](crate::ws::Connection::set_codec).
pub const BUILTIN_CODEC: bool = cfg!(feature = "deflate");

use core::fmt;

use crate::Role;
use crate::handshake::http::{Extension, ExtensionSyntaxError};

/// The extension token.
pub const EXTENSION_NAME: &str = "permessage-deflate";

/// The smallest LZ77 window (in bits) RFC 7692 allows.
pub const MIN_WINDOW_BITS: u8 = 8;
/// The largest LZ77 window (in bits), the default.
pub const MAX_WINDOW_BITS: u8 = 15;

/// The parameters of an accepted permessage-deflate, as they appear in the server's response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PerMessageDeflate {
    /// The server resets its compressor after every message.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after every message.
    pub client_no_context_takeover: bool,
    /// The server's compression window (`None`: 15).
    pub server_max_window_bits: Option<u8>,
    /// The client's compression window (`None`: 15, or the value the client offered).
    pub client_max_window_bits: Option<u8>,
}

impl PerMessageDeflate {
    /// The window the peer of `role` compresses with, which `role` must be able to inflate.
    pub fn receive_window_bits(&self, role: Role) -> u8 {
        match role {
            Role::Server => self.client_max_window_bits,
            Role::Client => self.server_max_window_bits,
        }
        .unwrap_or(MAX_WINDOW_BITS)
    }

    /// The largest window `role` may compress with.
    pub fn send_window_bits(&self, role: Role) -> u8 {
        match role {
            Role::Server => self.server_max_window_bits,
            Role::Client => self.client_max_window_bits,
        }
        .unwrap_or(MAX_WINDOW_BITS)
    }

    /// Whether `role` resets its compressor after every message.
    pub fn send_no_context_takeover(&self, role: Role) -> bool {
        match role {
            Role::Server => self.server_no_context_takeover,
            Role::Client => self.client_no_context_takeover,
        }
    }

    /// Whether the peer of `role` resets its compressor after every message (so `role` can
    /// reset its decompressor too).
    pub fn receive_no_context_takeover(&self, role: Role) -> bool {
        match role {
            Role::Server => self.client_no_context_takeover,
            Role::Client => self.server_no_context_takeover,
        }
    }

    /// The `Sec-WebSocket-Extensions` value of the server's response.
    pub fn response(&self) -> HeaderValue {
        let mut v = HeaderValue::new(EXTENSION_NAME);
        if self.server_no_context_takeover {
            v.push("; server_no_context_takeover");
        }
        if self.client_no_context_takeover {
            v.push("; client_no_context_takeover");
        }
        if let Some(b) = self.server_max_window_bits {
            v.push("; server_max_window_bits=");
            v.push_bits(b);
        }
        if let Some(b) = self.client_max_window_bits {
            v.push("; client_max_window_bits=");
            v.push_bits(b);
        }
        v
    }
}

/// A short header value built on the stack (at most 128 bytes, always ASCII).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeaderValue {
    buf: [u8; 128],
    len: u8,
}

impl HeaderValue {
    fn new(s: &str) -> Self {
        let mut v = HeaderValue {
            buf: [0; 128],
            len: 0,
        };
        v.push(s);
        v
    }

    fn push(&mut self, s: &str) {
        let at = usize::from(self.len);
        // Every value built here is far below 128 bytes.
        let end = (at + s.len()).min(self.buf.len());
        self.buf[at..end].copy_from_slice(&s.as_bytes()[..end - at]);
        self.len = end as u8;
    }

    fn push_bits(&mut self, b: u8) {
        let digits = [b'0' + b / 10, b'0' + b % 10];
        let d = if b >= 10 { &digits[..] } else { &digits[1..] };
        self.push(core::str::from_utf8(d).unwrap_or(""));
    }

    /// The value as text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or("")
    }
}

impl fmt::Debug for HeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl core::ops::Deref for HeaderValue {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

// ---------------------------------------------------------------------------------------------
// Parameters.

/// How `client_max_window_bits` appears in an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum ClientBits {
    #[default]
    Absent,
    NoValue,
    Value(u8),
}

/// The validated parameters of one `permessage-deflate` element (offer or response).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Params {
    server_nct: bool,
    client_nct: bool,
    server_bits: Option<u8>,
    client_bits: ClientBits,
}

/// A window-bits value: `8`..=`15`, digits only, no leading zero (RFC 7692 §7.1.2).
fn window_bits(p: &crate::handshake::http::Param<'_>) -> Option<u8> {
    let mut it = p.value_bytes()?;
    let (a, b, c) = (it.next(), it.next(), it.next());
    match (a, b, c) {
        (Some(d @ b'8'..=b'9'), None, None) => Some(d - b'0'),
        (Some(b'1'), Some(d @ b'0'..=b'5'), None) => Some(10 + d - b'0'),
        _ => None,
    }
}

/// Parses and validates the parameters of a `permessage-deflate` element: no unknown
/// parameter, none twice, every value valid (RFC 7692 §5, §7.1).
fn parse_params(ext: &Extension<'_>) -> Result<Params, DeflateError> {
    let mut p = Params::default();
    let mut seen = 0u8;
    for param in ext.params() {
        let name = param.name();
        let bit = if name.eq_ignore_ascii_case("server_no_context_takeover") {
            if param.raw_value().is_some() {
                return Err(DeflateError::InvalidValue);
            }
            p.server_nct = true;
            1
        } else if name.eq_ignore_ascii_case("client_no_context_takeover") {
            if param.raw_value().is_some() {
                return Err(DeflateError::InvalidValue);
            }
            p.client_nct = true;
            2
        } else if name.eq_ignore_ascii_case("server_max_window_bits") {
            p.server_bits = Some(window_bits(&param).ok_or(DeflateError::InvalidValue)?);
            4
        } else if name.eq_ignore_ascii_case("client_max_window_bits") {
            p.client_bits = match param.raw_value() {
                None => ClientBits::NoValue,
                Some(_) => {
                    ClientBits::Value(window_bits(&param).ok_or(DeflateError::InvalidValue)?)
                }
            };
            8
        } else {
            return Err(DeflateError::UnknownParameter);
        };
        if seen & bit != 0 {
            return Err(DeflateError::DuplicateParameter);
        }
        seen |= bit;
    }
    Ok(p)
}

// ---------------------------------------------------------------------------------------------
// Server.

/// What a server accepts: the settings it asks for whenever RFC 7692 lets it.
///
/// The default is the lean one: both sides reset their context after every message
/// (`server_no_context_takeover` and `client_no_context_takeover`, which a server may always
/// ask for), so no connection keeps compression state between messages: an idle connection
/// costs nothing, and one compressed message can be sent to many connections
/// (`SharedCompressor`, feature `deflate`). [`DeflatePolicy::context_takeover`] keeps the
/// contexts (better ratios on small, similar messages, at the cost of a compressor and a
/// decompressor per connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeflatePolicy {
    /// Always answer `server_no_context_takeover`.
    pub server_no_context_takeover: bool,
    /// Always answer `client_no_context_takeover`.
    pub client_no_context_takeover: bool,
    /// The largest window this server compresses with (answered when the client asks to
    /// limit it; `8`..=`15`).
    pub server_max_window_bits: u8,
    /// The largest window the client may compress with (answered when the client allows it:
    /// it bounds the decompressor's window here; `8`..=`15`).
    pub client_max_window_bits: u8,
}

impl Default for DeflatePolicy {
    fn default() -> Self {
        DeflatePolicy {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: MAX_WINDOW_BITS,
            client_max_window_bits: MAX_WINDOW_BITS,
        }
    }
}

impl DeflatePolicy {
    /// Keeps the compression contexts across messages, with windows of `window_bits` both ways
    /// (as far as the client allows; clamped to `8`..=`15`).
    pub fn context_takeover(window_bits: u8) -> Self {
        let b = window_bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS);
        DeflatePolicy {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: b,
            client_max_window_bits: b,
        }
    }

    /// Chooses from the offers (in the client's order of preference) the first
    /// `permessage-deflate` element whose parameters are valid, and the configuration to
    /// answer it with; `None` declines the extension (no valid offer).
    pub fn negotiate<'b, I>(&self, offers: I) -> Option<PerMessageDeflate>
    where
        I: IntoIterator<Item = Result<Extension<'b>, ExtensionSyntaxError>>,
    {
        for ext in offers {
            let Ok(ext) = ext else {
                return None;
            };
            if !ext.name().eq_ignore_ascii_case(EXTENSION_NAME) {
                continue;
            }
            let Ok(p) = parse_params(&ext) else {
                continue;
            };
            return Some(self.answer(p));
        }
        None
    }

    fn answer(&self, p: Params) -> PerMessageDeflate {
        let sb = self
            .server_max_window_bits
            .clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS);
        let cb = self
            .client_max_window_bits
            .clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS);
        PerMessageDeflate {
            server_no_context_takeover: p.server_nct || self.server_no_context_takeover,
            client_no_context_takeover: p.client_nct || self.client_no_context_takeover,
            // Only when asked (§7.1.2.1), never above the asked value.
            server_max_window_bits: p.server_bits.map(|n| n.min(sb)),
            // Only when the client allows it (§7.1.2.2).
            client_max_window_bits: match p.client_bits {
                ClientBits::Absent => None,
                ClientBits::NoValue => (cb < MAX_WINDOW_BITS).then_some(cb),
                ClientBits::Value(n) => Some(n.min(cb)),
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Client.

/// What a client offers (one `permessage-deflate` element).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeflateOffer {
    /// Ask the server to reset its context after every message.
    pub server_no_context_takeover: bool,
    /// Announce that this client resets its context after every message.
    pub client_no_context_takeover: bool,
    /// Ask the server to compress with at most this window (`8`..=`15`).
    pub server_max_window_bits: Option<u8>,
    /// `client_max_window_bits`: `Some(None)` offers it without a value (the server may then
    /// choose), `Some(Some(n))` announces this client's window.
    pub client_max_window_bits: Option<Option<u8>>,
}

impl Default for DeflateOffer {
    fn default() -> Self {
        DeflateOffer {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: None,
            client_max_window_bits: Some(None),
        }
    }
}

impl DeflateOffer {
    /// The `Sec-WebSocket-Extensions` value of the request.
    pub fn header_value(&self) -> HeaderValue {
        let mut v = HeaderValue::new(EXTENSION_NAME);
        if self.server_no_context_takeover {
            v.push("; server_no_context_takeover");
        }
        if self.client_no_context_takeover {
            v.push("; client_no_context_takeover");
        }
        if let Some(b) = self.server_max_window_bits {
            v.push("; server_max_window_bits=");
            v.push_bits(b.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS));
        }
        match self.client_max_window_bits {
            None => {}
            Some(None) => v.push("; client_max_window_bits"),
            Some(Some(b)) => {
                v.push("; client_max_window_bits=");
                v.push_bits(b.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS));
            }
        }
        v
    }

    /// Checks the extensions of the server's response against this offer: `Ok(None)` when the
    /// server did not accept permessage-deflate, `Ok(Some(_))` with the agreed parameters,
    /// or an error that must fail the connection (RFC 7692 §5, §7.1).
    ///
    /// Other extensions in the response are not looked at here (the handshake rejects
    /// extensions that were not offered).
    pub fn accept_response<'b, I>(
        &self,
        response: I,
    ) -> Result<Option<PerMessageDeflate>, DeflateError>
    where
        I: IntoIterator<Item = Result<Extension<'b>, ExtensionSyntaxError>>,
    {
        let mut found = None;
        for ext in response {
            let ext = ext.map_err(|_| DeflateError::Syntax)?;
            if !ext.name().eq_ignore_ascii_case(EXTENSION_NAME) {
                continue;
            }
            if found.is_some() {
                return Err(DeflateError::DuplicateExtension);
            }
            let p = parse_params(&ext)?;
            match (p.server_bits, self.server_max_window_bits) {
                (Some(got), Some(asked)) if got > asked => return Err(DeflateError::NotOffered),
                // A server accepts the limit by answering it (§7.1.2.1), or declines the offer.
                (None, Some(_)) => return Err(DeflateError::NotOffered),
                _ => {}
            }
            if self.server_no_context_takeover && !p.server_nct {
                // The server ignored a request we made: it would keep its context.
                return Err(DeflateError::NotOffered);
            }
            let client_bits = match (p.client_bits, self.client_max_window_bits) {
                (ClientBits::Absent, Some(Some(n))) => Some(n),
                (ClientBits::Absent, _) => None,
                // A response may only limit the client's window if the client allowed it.
                (ClientBits::NoValue, _) => return Err(DeflateError::InvalidValue),
                (ClientBits::Value(_), None) => return Err(DeflateError::NotOffered),
                (ClientBits::Value(n), Some(Some(max))) if n > max => {
                    return Err(DeflateError::NotOffered);
                }
                (ClientBits::Value(n), Some(_)) => Some(n),
            };
            found = Some(PerMessageDeflate {
                server_no_context_takeover: p.server_nct,
                client_no_context_takeover: p.client_nct || self.client_no_context_takeover,
                server_max_window_bits: p.server_bits,
                client_max_window_bits: client_bits,
            });
        }
        Ok(found)
    }
}

// ---------------------------------------------------------------------------------------------
// Errors.

/// Why a `permessage-deflate` element is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeflateError {
    /// The extension list does not follow the RFC 6455 §9.1 grammar.
    Syntax,
    /// A parameter that RFC 7692 does not define.
    UnknownParameter,
    /// A parameter given twice in one element.
    DuplicateParameter,
    /// A value where none is allowed, none where one is required, or a window size that is
    /// not `8`..=`15` written without leading zeros.
    InvalidValue,
    /// The response accepts `permessage-deflate` more than once.
    DuplicateExtension,
    /// The response uses a parameter, or a value, that the offer did not allow.
    NotOffered,
}

impl fmt::Display for DeflateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeflateError::Syntax => "malformed Sec-WebSocket-Extensions",
            DeflateError::UnknownParameter => "unknown permessage-deflate parameter",
            DeflateError::DuplicateParameter => "permessage-deflate parameter given twice",
            DeflateError::InvalidValue => "invalid permessage-deflate parameter value",
            DeflateError::DuplicateExtension => "permessage-deflate accepted twice",
            DeflateError::NotOffered => "permessage-deflate response does not match the offer",
        })
    }
}

impl core::error::Error for DeflateError {}

#[cfg(test)]
#[cfg(feature = "alloc")]
mod tests;
