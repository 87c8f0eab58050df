//! Engine.IO v4 packets: the text form `<type digit><data>`, binary messages, and the `b<base64>`
//! form binary messages take inside a long-polling payload.
//!
//! Decoding borrows from the input and never allocates; a base64 body is validated on decode and
//! decoded later, on demand, into a caller buffer ([`Packet::decode_binary_into`]) or a `Vec`.

use core::fmt;

use base64::Engine as _;

use super::EngineIoError;

/// The base64 engine of the long-polling `b` form: the standard alphabet, padding written on
/// encode and optional on decode (Node's `Buffer.from(s, "base64")` accepts both), non-zero
/// trailing bits rejected (no two encodings of the same bytes).
pub(crate) const B64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

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
            validate_base64(b64)?;
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
            PacketData::Binary(b) => 1 + base64_len(b.len()),
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
                let n = B64
                    .encode_slice(b, &mut out[1..required])
                    .map_err(|_| EngineIoError::InsufficientSize { required })?;
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
                WsFrame::Binary(alloc::borrow::Cow::Owned(decode_base64_vec(s)))
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
            PacketData::Base64(s) => base64_decoded_len(s),
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
            PacketData::Base64(s) => Ok(decode_validated_base64(s.as_bytes(), out)),
            PacketData::Text(_) => Ok(0),
        }
    }

    /// A binary message's data as a `Vec` (empty for text packets).
    pub fn binary_to_vec(&self) -> alloc::vec::Vec<u8> {
        match self.data {
            PacketData::Binary(b) => b.to_vec(),
            PacketData::Base64(s) => decode_base64_vec(s),
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

/// Length of padded base64 for `n` bytes.
pub(crate) const fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// Decoded length of validated base64 text (padding optional).
fn base64_decoded_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut len = b.len();
    while len > 0 && b[len - 1] == b'=' {
        len -= 1;
    }
    len / 4 * 3 + (len % 4).saturating_sub(1)
}

fn decode_base64_vec(s: &str) -> alloc::vec::Vec<u8> {
    let mut v = alloc::vec![0u8; base64_decoded_len(s)];
    let n = decode_validated_base64(s.as_bytes(), &mut v);
    v.truncate(n);
    v
}

/// `B64_SHIFTED[k][c]`: the value of base64 character `c` placed for position `k` of a
/// four-character group (bits 23..0 of the three output bytes); 0 for non-alphabet bytes.
const B64_SHIFTED: [[u32; 256]; 4] = {
    let mut t = [[0u32; 256]; 4];
    let mut c = 0;
    while c < 256 {
        let v = B64_TABLE[c];
        if v != 0xFF {
            let v = v as u32;
            t[0][c] = v << 18;
            t[1][c] = v << 12;
            t[2][c] = v << 6;
            t[3][c] = v;
        }
        c += 1;
    }
    t
};

/// Decodes base64 that [`validate_base64`] accepted into `out` (at least
/// [`base64_decoded_len`] bytes), returning the length: eight characters to six bytes per step
/// through pre-shifted tables, no branches in the loop. On unvalidated input it cannot panic,
/// only produce garbage.
pub(crate) fn decode_validated_base64(s: &[u8], out: &mut [u8]) -> usize {
    let mut len = s.len();
    while len > 0 && s[len - 1] == b'=' {
        len -= 1;
    }
    let s = &s[..len];
    let groups = s.len() / 4;
    let full = (groups * 3).min(out.len()) / 3;
    let (head, tail_out) = out.split_at_mut(full * 3);
    let quad = |c: &[u8]| {
        B64_SHIFTED[0][usize::from(c[0])]
            | B64_SHIFTED[1][usize::from(c[1])]
            | B64_SHIFTED[2][usize::from(c[2])]
            | B64_SHIFTED[3][usize::from(c[3])]
    };
    // Eight characters to six bytes per step (one 48-bit value, one copy), then at most one
    // lone group of four.
    let mut ins = s[..full * 4].chunks_exact(8);
    let mut outs = head.chunks_exact_mut(6);
    for (c, o) in (&mut ins).zip(&mut outs) {
        let n = u64::from(quad(&c[..4])) << 24 | u64::from(quad(&c[4..]));
        o.copy_from_slice(&n.to_be_bytes()[2..]);
    }
    if let [c0, c1, c2, c3] = *ins.remainder() {
        let n = quad(&[c0, c1, c2, c3]).to_be_bytes();
        for (d, &b) in outs.into_remainder().iter_mut().zip(&n[1..]) {
            *d = b;
        }
    }
    let mut o = full * 3;
    let rest = &s[full * 4..];
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut k = 0;
    for &c in rest {
        acc = acc << 6 | (B64_TABLE[usize::from(c)] & 0x3f) as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            if let Some(d) = tail_out.get_mut(k) {
                *d = (acc >> bits) as u8;
                k += 1;
                o += 1;
            }
        }
    }
    o
}

/// Standard base64 alphabet values; 0xFF for every other byte.
const B64_TABLE: [u8; 256] = {
    let mut t = [0xFFu8; 256];
    let mut i = 0;
    while i < 26 {
        t[b'A' as usize + i] = i as u8;
        t[b'a' as usize + i] = 26 + i as u8;
        i += 1;
    }
    let mut d = 0;
    while d < 10 {
        t[b'0' as usize + d] = 52 + d as u8;
        d += 1;
    }
    t[b'+' as usize] = 62;
    t[b'/' as usize] = 63;
    t
};

/// Validates standard base64 without decoding: alphabet characters, then at most the padding
/// that completes the last quantum (or none), a length that is not 1 mod 4, and zero trailing bits.
pub(crate) fn validate_base64(s: &str) -> Result<(), EngineIoError> {
    let b = s.as_bytes();
    let mut data_len = b.len();
    while data_len > 0 && b[data_len - 1] == b'=' {
        data_len -= 1;
    }
    let pad = b.len() - data_len;
    let rem = data_len % 4;
    let pad_ok = match pad {
        0 => rem != 1,
        1 => rem == 3 && b.len() % 4 == 0,
        2 => rem == 2 && b.len() % 4 == 0,
        _ => false,
    };
    if !pad_ok {
        return Err(EngineIoError::InvalidBase64);
    }
    // Branch-free over the body with comparisons only (vectorizable, unlike table lookups).
    let bad = b[..data_len].iter().fold(0u8, |acc, &c| {
        acc | u8::from(
            !((c.wrapping_sub(b'A') < 26)
                | (c.wrapping_sub(b'a') < 26)
                | (c.wrapping_sub(b'0') < 10)
                | (c == b'+')
                | (c == b'/')),
        )
    });
    if bad != 0 {
        return Err(EngineIoError::InvalidBase64);
    }
    let last = if data_len > 0 {
        B64_TABLE[usize::from(b[data_len - 1])]
    } else {
        0
    };
    // The unused low bits of the last character must be zero.
    let unused_mask = match rem {
        2 => 0b1111,
        3 => 0b11,
        _ => 0,
    };
    if last & unused_mask != 0 {
        return Err(EngineIoError::InvalidBase64);
    }
    Ok(())
}
