//! Engine.IO v4 packets: the text form `<type digit><data>`, binary messages, and the `b<base64>`
//! form binary messages take inside a long-polling payload.
//!
//! Decoding borrows from the input and never allocates; a base64 body is validated on decode and
//! decoded later, on demand, into a caller buffer ([`Packet::decode_binary_into`]) or a `Vec`.

use core::fmt;

use super::EngineIoError;

/// The record separator joining packets in a long-polling payload (`\x1e`).
pub const RECORD_SEPARATOR: u8 = 0x1e;

/// The seven Engine.IO packet types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// `0`: sent by the server when a session opens, with the handshake JSON.
    Open,
    /// `1`: asks the other side to close the session.
    Close,
    /// `2`: heartbeat ping (server → client in v4; `2probe` from the client during an upgrade).
    Ping,
    /// `3`: heartbeat pong (client → server in v4; `3probe` from the server during an upgrade).
    Pong,
    /// `4`: an application message.
    Message,
    /// `5`: completes a transport upgrade (client → server over the new WebSocket).
    Upgrade,
    /// `6`: does nothing; ends a held long-polling GET.
    Noop,
}

impl PacketType {
    /// The ASCII digit that starts a packet of this type.
    pub const fn as_char(self) -> char {
        self.as_byte() as char
    }

    /// The ASCII digit that starts a packet of this type, as a byte.
    pub const fn as_byte(self) -> u8 {
        match self {
            PacketType::Open => b'0',
            PacketType::Close => b'1',
            PacketType::Ping => b'2',
            PacketType::Pong => b'3',
            PacketType::Message => b'4',
            PacketType::Upgrade => b'5',
            PacketType::Noop => b'6',
        }
    }

    /// The packet type of a leading digit, `None` for anything else.
    pub const fn from_byte(b: u8) -> Option<PacketType> {
        Some(match b {
            b'0' => PacketType::Open,
            b'1' => PacketType::Close,
            b'2' => PacketType::Ping,
            b'3' => PacketType::Pong,
            b'4' => PacketType::Message,
            b'5' => PacketType::Upgrade,
            b'6' => PacketType::Noop,
            _ => return None,
        })
    }

    /// The reference implementation's name (`"open"`, `"close"`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            PacketType::Open => "open",
            PacketType::Close => "close",
            PacketType::Ping => "ping",
            PacketType::Pong => "pong",
            PacketType::Message => "message",
            PacketType::Upgrade => "upgrade",
            PacketType::Noop => "noop",
        }
    }
}

impl fmt::Display for PacketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The data a packet carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketData<'b> {
    /// Text (possibly empty) following the type digit.
    Text(&'b str),
    /// Raw binary message bytes (a WebSocket binary frame; v4 has no type byte there).
    Binary(&'b [u8]),
    /// A binary message still in its long-polling form: validated standard base64 (the text after
    /// the `b`). Decode it with [`Packet::decode_binary_into`] or [`Packet::binary_to_vec`].
    Base64(&'b str),
}

/// One Engine.IO packet, borrowing its data.
///
/// Binary data ([`PacketData::Binary`] / [`PacketData::Base64`]) only ever belongs to a
/// [`PacketType::Message`]; the constructors and decoders keep that invariant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'b> {
    packet_type: PacketType,
    data: PacketData<'b>,
}

impl<'b> Packet<'b> {
    /// A packet of `packet_type` with text data (`""` for none).
    pub const fn text(packet_type: PacketType, data: &'b str) -> Self {
        Packet {
            packet_type,
            data: PacketData::Text(data),
        }
    }

    /// A packet of `packet_type` without data.
    pub const fn bare(packet_type: PacketType) -> Self {
        Packet::text(packet_type, "")
    }

    /// A text message packet (`4<data>`).
    pub const fn message(data: &'b str) -> Self {
        Packet::text(PacketType::Message, data)
    }

    /// A binary message packet.
    pub const fn binary(data: &'b [u8]) -> Self {
        Packet {
            packet_type: PacketType::Message,
            data: PacketData::Binary(data),
        }
    }

    /// The packet type.
    pub const fn packet_type(&self) -> PacketType {
        self.packet_type
    }

    /// The packet data.
    pub const fn data(&self) -> PacketData<'b> {
        self.data
    }

    /// The text data, if this packet carries text.
    pub const fn as_text(&self) -> Option<&'b str> {
        match self.data {
            PacketData::Text(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is a binary message (raw or base64).
    pub const fn is_binary(&self) -> bool {
        !matches!(self.data, PacketData::Text(_))
    }

    /// Decodes a text packet as it arrives in a WebSocket text frame: `<digit><data>`, or the
    /// `b<base64>` binary form (the reference accepts it on every transport).
    ///
    /// Errors: [`EngineIoError::EmptyPacket`], [`EngineIoError::UnknownPacketType`],
    /// [`EngineIoError::InvalidBase64`].
    #[inline]
    pub fn decode_text(input: &'b str) -> Result<Self, EngineIoError> {
        let bytes = input.as_bytes();
        let Some(&first) = bytes.first() else {
            return Err(EngineIoError::EmptyPacket);
        };
        // `first` is ASCII in every accepted case, so slicing at 1 is a char boundary.
        if first == b'b' {
            let b64 = &input[1..];
            if !crate::b64::validate(b64) {
                return Err(EngineIoError::InvalidBase64);
            }
            return Ok(Packet {
                packet_type: PacketType::Message,
                data: PacketData::Base64(b64),
            });
        }
        match PacketType::from_byte(first) {
            Some(t) => Ok(Packet::text(t, &input[1..])),
            None => Err(EngineIoError::UnknownPacketType { byte: first }),
        }
    }

    /// Decodes a WebSocket binary frame: always a binary message in v4 (no type byte).
    pub const fn decode_binary(input: &'b [u8]) -> Self {
        Packet::binary(input)
    }

    /// The length of the text form (WebSocket text frame, or one record of a polling payload),
    /// `b<base64>` for binary messages.
    pub fn encoded_len(&self) -> usize {
        match self.data {
            PacketData::Text(s) => 1 + s.len(),
            PacketData::Binary(b) => 1 + crate::b64::encoded_len(b.len()),
            PacketData::Base64(s) => 1 + s.len(),
        }
    }

    /// Writes the text form into `out` and returns the length written, or
    /// [`EngineIoError::InsufficientSize`] leaving `out` untouched.
    ///
    /// This is the long-polling record form; over WebSocket, send binary messages as raw bytes in
    /// a binary frame instead (see [`Packet::ws_frame`]).
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, EngineIoError> {
        let required = self.encoded_len();
        if out.len() < required {
            return Err(EngineIoError::InsufficientSize { required });
        }
        match self.data {
            PacketData::Text(s) => {
                out[0] = self.packet_type.as_byte();
                out[1..required].copy_from_slice(s.as_bytes());
            }
            PacketData::Base64(s) => {
                out[0] = b'b';
                out[1..required].copy_from_slice(s.as_bytes());
            }
            PacketData::Binary(b) => {
                out[0] = b'b';
                let n = crate::b64::encode_slice(b, &mut out[1..required])
                    .ok_or(EngineIoError::InsufficientSize { required })?;
                debug_assert_eq!(n + 1, required);
            }
        }
        Ok(required)
    }

    /// Appends the text form to `out` (see [`Packet::encode`]).
    pub fn encode_to_vec(&self, out: &mut alloc::vec::Vec<u8>) -> usize {
        let start = out.len();
        let len = self.encoded_len();
        out.resize(start + len, 0);
        // Cannot fail: the slice has exactly the required length.
        let _ = self.encode(&mut out[start..]);
        len
    }

    /// How this packet travels in one WebSocket message: text frames carry the text form, binary
    /// messages go as raw bytes (base64 data is decoded first, hence the `Vec`).
    pub fn ws_frame(&self) -> WsFrame<'b> {
        match self.data {
            PacketData::Binary(b) => WsFrame::Binary(alloc::borrow::Cow::Borrowed(b)),
            PacketData::Base64(s) => {
                WsFrame::Binary(alloc::borrow::Cow::Owned(crate::b64::decode_vec(s)))
            }
            PacketData::Text(_) => {
                let mut v = alloc::vec::Vec::with_capacity(self.encoded_len());
                self.encode_to_vec(&mut v);
                // Text data plus an ASCII digit is valid UTF-8.
                WsFrame::Text(alloc::string::String::from_utf8(v).unwrap_or_default())
            }
        }
    }

    /// The decoded length of a binary message's data (0 for text packets).
    #[inline]
    pub fn binary_len(&self) -> usize {
        match self.data {
            PacketData::Binary(b) => b.len(),
            PacketData::Base64(s) => crate::b64::decoded_len(s),
            PacketData::Text(_) => 0,
        }
    }

    /// Copies or base64-decodes a binary message's data into `out`, returning the length, or
    /// [`EngineIoError::InsufficientSize`] (see [`Packet::binary_len`]). Text packets write nothing.
    #[inline]
    pub fn decode_binary_into(&self, out: &mut [u8]) -> Result<usize, EngineIoError> {
        let required = self.binary_len();
        if out.len() < required {
            return Err(EngineIoError::InsufficientSize { required });
        }
        match self.data {
            PacketData::Binary(b) => {
                out[..b.len()].copy_from_slice(b);
                Ok(b.len())
            }
            PacketData::Base64(s) => Ok(crate::b64::decode_validated(s.as_bytes(), out)),
            PacketData::Text(_) => Ok(0),
        }
    }

    /// A binary message's data as a `Vec` (empty for text packets).
    pub fn binary_to_vec(&self) -> alloc::vec::Vec<u8> {
        match self.data {
            PacketData::Binary(b) => b.to_vec(),
            PacketData::Base64(s) => crate::b64::decode_vec(s),
            PacketData::Text(_) => alloc::vec::Vec::new(),
        }
    }
}

/// A packet's form over WebSocket (see [`Packet::ws_frame`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsFrame<'b> {
    /// Send as a text frame.
    Text(alloc::string::String),
    /// Send as a binary frame.
    Binary(alloc::borrow::Cow<'b, [u8]>),
}
