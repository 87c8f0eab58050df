//! WebSocket frame headers and close payloads (RFC 6455 §5 and §7.4).
//!
//! A stateless, allocation-free codec:
//!
//! * [`decode_header`] (or a reusable [`HeaderDecoder`]) reads a frame header from the start of a
//!   byte slice. Incomplete input is [`Decoded::Partial`], never an error. Everything RFC 6455
//!   lets a receiver decide from the header alone is checked before any payload is read, and
//!   each rejection carries the close code to send ([`FrameError::close_code`]).
//! * [`decode_frame`] does the same for a whole frame and unmasks its payload in place;
//!   [`HeaderDecoder::decode_frames`] drains every complete frame of a read buffer that way
//!   (the fastest path: about 4 ns per 16-byte frame, 15 GB/s at 125 bytes).
//! * [`FrameHeader::encode`] writes a header into a caller buffer (or reports
//!   [`FrameError::InsufficientSize`] and leaves it untouched); [`FrameHeader::header_bytes`]
//!   returns it as a small stack array for vectored writes of server frames (header, then the
//!   caller's own payload slice, no copy).
//! * [`decode_close_payload`] / [`encode_close_payload`] handle the code and reason of Close frames.
//!
//! ```
//! use sockwire::Role;
//! use sockwire::frame::{decode_header, DecodeConfig, Decoded, FrameHeader, OpCode};
//!
//! // A masked "Hello" from a client (RFC 6455 §5.7), received by a server.
//! let wire = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
//! let cfg = DecodeConfig::new(Role::Server);
//! let Decoded::Header { header, header_len } = decode_header(&wire, &cfg)? else { panic!() };
//! assert_eq!(header_len, 6);
//! assert_eq!(header.opcode, OpCode::Text);
//! assert_eq!(header.mask, Some([0x37, 0xfa, 0x21, 0x3d]));
//! assert_eq!(header.payload_len, 5);
//!
//! // A prefix is Partial, with the number of bytes still missing.
//! assert_eq!(decode_header(&wire[..3], &cfg)?, Decoded::Partial { needed: 3 });
//!
//! // The server's unmasked reply, header and payload written separately.
//! let reply = FrameHeader::new(OpCode::Text, 5);
//! assert_eq!(reply.header_bytes()?.as_slice(), &[0x81, 0x05]);
//! # Ok::<(), sockwire::frame::FrameError>(())
//! ```
//!
//! # Policies
//!
//! * **Roles.** [`DecodeConfig::role`] is the role of the *receiver*: a server rejects unmasked
//!   frames, a client rejects masked ones (RFC 6455 §5.1), both with 1002.
//! * **Non-minimal lengths.** RFC 6455 §5.2 says the minimal number of bytes MUST be used to
//!   encode the length (a 16-bit length below 126, a 64-bit length below 65536). By default such
//!   frames are rejected with 1002 ([`FrameError::NonMinimalLength`]); peers that need leniency
//!   can turn this off with [`DecodeConfig::reject_non_minimal`]. The encoder always writes the
//!   minimal form.
//! * **Size cap.** A declared length over [`DecodeConfig::max_payload`] is rejected with 1009
//!   from the header alone (default [`DEFAULT_MAX_PAYLOAD`]).
//! * **Extensions.** RSV bits are accepted only when set in [`DecodeConfig::allowed_rsv`]
//!   (default none). Which frames of a message may carry a negotiated bit (for
//!   permessage-deflate, RSV1 on the first frame of a data message only) is for the connection
//!   to check; the header codec only knows what was negotiated.
//! * **Overflow.** Lengths are `u64` throughout; [`decode_frame`] compares the declared length
//!   against the bytes actually present with checked arithmetic, so `header_len + payload_len`
//!   cannot wrap on 32-bit targets either.

use core::fmt;

use crate::Role;

mod close;
mod decode;

pub use close::{decode_close_payload, encode_close_payload, truncate_close_reason};
pub use decode::{DecodeConfig, Decoded, DecodedFrame, HeaderDecoder, decode_frame, decode_header};

/// Default [`DecodeConfig::max_payload`]: 16 MiB per frame.
pub const DEFAULT_MAX_PAYLOAD: u64 = 16 << 20;

/// Longest possible frame header: 2 fixed bytes, an 8-byte extended length, a 4-byte mask key.
pub const MAX_HEADER_LEN: usize = 14;

/// Largest payload of a control frame (RFC 6455 §5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// Largest close reason that fits a control frame beside the 2-byte code.
pub const MAX_CLOSE_REASON: usize = MAX_CONTROL_PAYLOAD - 2;

/// The RSV1 bit as it appears in [`FrameHeader::rsv`] and [`DecodeConfig::allowed_rsv`].
pub const RSV1: u8 = 0b100;
/// The RSV2 bit.
pub const RSV2: u8 = 0b010;
/// The RSV3 bit.
pub const RSV3: u8 = 0b001;

// ---------------------------------------------------------------------------------------------
// Opcodes
// ---------------------------------------------------------------------------------------------

/// A frame opcode (RFC 6455 §5.2). The reserved values 3–7 and 0xB–0xF have no variant: a
/// decoder rejects them with [`FrameError::ReservedOpcode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OpCode {
    /// 0x0: continues a fragmented message.
    Continuation = 0x0,
    /// 0x1: the first frame of a text (UTF-8) message.
    Text = 0x1,
    /// 0x2: the first frame of a binary message.
    Binary = 0x2,
    /// 0x8: starts or answers the closing handshake.
    Close = 0x8,
    /// 0x9: asks the peer for a Pong.
    Ping = 0x9,
    /// 0xA: answers a Ping (or is sent unsolicited as a heartbeat).
    Pong = 0xA,
}

impl OpCode {
    /// The opcode for the 4-bit value `v`, or `None` for a reserved (or out-of-range) value.
    #[inline]
    #[must_use]
    pub const fn from_u8(v: u8) -> Option<OpCode> {
        match v {
            0x0 => Some(OpCode::Continuation),
            0x1 => Some(OpCode::Text),
            0x2 => Some(OpCode::Binary),
            0x8 => Some(OpCode::Close),
            0x9 => Some(OpCode::Ping),
            0xA => Some(OpCode::Pong),
            _ => None,
        }
    }

    /// The 4-bit wire value.
    #[inline]
    #[must_use]
    pub const fn as_u8(self) -> u8 {
        self as u8
    }

    /// Close, Ping or Pong: at most 125 bytes of payload and never fragmented.
    #[inline]
    #[must_use]
    pub const fn is_control(self) -> bool {
        (self as u8) & 0x8 != 0
    }

    /// Continuation, Text or Binary.
    #[inline]
    #[must_use]
    pub const fn is_data(self) -> bool {
        !self.is_control()
    }
}

impl fmt::Display for OpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OpCode::Continuation => "continuation",
            OpCode::Text => "text",
            OpCode::Binary => "binary",
            OpCode::Close => "close",
            OpCode::Ping => "ping",
            OpCode::Pong => "pong",
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Close codes
// ---------------------------------------------------------------------------------------------

/// A close status code (RFC 6455 §7.4), carried in the first two bytes of a Close payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: normal closure.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: the endpoint is going away (server shutdown, page navigation).
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: protocol error.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: a data type the endpoint cannot accept (e.g. binary where only text is supported).
    pub const UNSUPPORTED: CloseCode = CloseCode(1003);
    /// 1005: no status code was present. Reported locally, never sent.
    pub const NO_STATUS: CloseCode = CloseCode(1005);
    /// 1006: the connection dropped without a Close frame. Reported locally, never sent.
    pub const ABNORMAL: CloseCode = CloseCode(1006);
    /// 1007: message data inconsistent with its type (invalid UTF-8 in a text message).
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: a message violates the endpoint's policy.
    pub const POLICY: CloseCode = CloseCode(1008);
    /// 1009: a message is too big to process.
    pub const TOO_BIG: CloseCode = CloseCode(1009);
    /// 1010: the client expected the server to negotiate an extension.
    pub const MANDATORY_EXTENSION: CloseCode = CloseCode(1010);
    /// 1011: the server hit an unexpected condition.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);
    /// 1012: the service is restarting.
    pub const SERVICE_RESTART: CloseCode = CloseCode(1012);
    /// 1013: try again later (temporary overload).
    pub const TRY_AGAIN_LATER: CloseCode = CloseCode(1013);
    /// 1014: a gateway or proxy got an invalid response from upstream.
    pub const BAD_GATEWAY: CloseCode = CloseCode(1014);
    /// 1015: the TLS handshake failed. Reported locally, never sent.
    pub const TLS_HANDSHAKE: CloseCode = CloseCode(1015);

    /// Whether a peer may send this code: 1000–1003, 1007–1014 (the registered codes other than
    /// the local-only 1005/1006/1015), and 3000–4999 (registered and private use). Anything else
    /// in a received Close frame is a protocol error.
    #[inline]
    #[must_use]
    pub const fn is_valid_received(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }

    /// Whether this code may be put on the wire by us: the same set as
    /// [`is_valid_received`](Self::is_valid_received), so never 1005, 1006 or 1015.
    #[inline]
    #[must_use]
    pub const fn is_sendable(self) -> bool {
        self.is_valid_received()
    }
}

impl From<u16> for CloseCode {
    fn from(v: u16) -> Self {
        CloseCode(v)
    }
}

impl From<CloseCode> for u16 {
    fn from(c: CloseCode) -> Self {
        c.0
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Errors of the frame layer.
///
/// Errors caused by the peer's bytes have a [`close_code`](Self::close_code) to send; errors
/// caused by the caller (a buffer too small, a header or close payload that cannot be encoded)
/// have none.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// The output buffer is too small; nothing was written. Caller error.
    InsufficientSize {
        /// Bytes the output needs.
        required: usize,
    },
    /// Opcode 3–7 or 0xB–0xF (1002).
    ReservedOpcode(u8),
    /// RSV bits set that no negotiated extension allows (1002). The value is the 3-bit field.
    ReservedBits(u8),
    /// A control frame with FIN clear (1002).
    FragmentedControl,
    /// A control frame declaring more than 125 bytes of payload (1002).
    ControlTooLong,
    /// A frame from a client without a mask, received by a server (1002).
    UnmaskedFrame,
    /// A frame from a server with a mask, received by a client (1002).
    MaskedFrame,
    /// A 64-bit length with the most significant bit set (1002).
    LengthTopBit,
    /// A length in a longer form than needed while [`DecodeConfig::reject_non_minimal`] is on
    /// (1002).
    NonMinimalLength,
    /// The declared payload is longer than [`DecodeConfig::max_payload`] (1009).
    TooBig {
        /// The declared payload length.
        len: u64,
        /// The configured maximum.
        max: u64,
    },
    /// A Close payload of exactly one byte (1002).
    CloseTooShort,
    /// A Close payload over 125 bytes (1002).
    CloseTooLong,
    /// A received close code outside 1000–1003, 1007–1014, 3000–4999 (1002).
    InvalidCloseCode(u16),
    /// A close reason that is not valid UTF-8 (1007).
    InvalidCloseReason,
    /// Encoding a close code that must not be sent (1005, 1006, 1015, or one outside the valid
    /// ranges). Caller error.
    UnsendableCloseCode(u16),
    /// Encoding a close reason longer than 123 bytes. Caller error.
    CloseReasonTooLong {
        /// The reason's length in bytes.
        len: usize,
    },
    /// Encoding a header that has no wire form: `rsv` over 3 bits or a payload length of 2^63
    /// or more. Caller error.
    Unencodable,
}

impl FrameError {
    /// The close code to send the peer for this error, or `None` when the caller caused it.
    #[must_use]
    pub const fn close_code(&self) -> Option<CloseCode> {
        match self {
            FrameError::InsufficientSize { .. }
            | FrameError::UnsendableCloseCode(_)
            | FrameError::CloseReasonTooLong { .. }
            | FrameError::Unencodable => None,
            FrameError::TooBig { .. } => Some(CloseCode::TOO_BIG),
            FrameError::InvalidCloseReason => Some(CloseCode::INVALID_PAYLOAD),
            FrameError::ReservedOpcode(_)
            | FrameError::ReservedBits(_)
            | FrameError::FragmentedControl
            | FrameError::ControlTooLong
            | FrameError::UnmaskedFrame
            | FrameError::MaskedFrame
            | FrameError::LengthTopBit
            | FrameError::NonMinimalLength
            | FrameError::CloseTooShort
            | FrameError::CloseTooLong
            | FrameError::InvalidCloseCode(_) => Some(CloseCode::PROTOCOL_ERROR),
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::InsufficientSize { required } => {
                write!(f, "output buffer too small: {required} bytes required")
            }
            FrameError::ReservedOpcode(op) => write!(f, "reserved opcode {op:#x}"),
            FrameError::ReservedBits(rsv) => {
                write!(
                    f,
                    "reserved bits {rsv:#05b} set without a negotiated extension"
                )
            }
            FrameError::FragmentedControl => f.write_str("fragmented control frame"),
            FrameError::ControlTooLong => f.write_str("control frame payload over 125 bytes"),
            FrameError::UnmaskedFrame => f.write_str("unmasked frame from a client"),
            FrameError::MaskedFrame => f.write_str("masked frame from a server"),
            FrameError::LengthTopBit => f.write_str("64-bit payload length with the top bit set"),
            FrameError::NonMinimalLength => f.write_str("payload length not minimally encoded"),
            FrameError::TooBig { len, max } => {
                write!(f, "frame payload of {len} bytes exceeds the limit of {max}")
            }
            FrameError::CloseTooShort => f.write_str("close payload of 1 byte"),
            FrameError::CloseTooLong => f.write_str("close payload over 125 bytes"),
            FrameError::InvalidCloseCode(c) => write!(f, "invalid close code {c}"),
            FrameError::InvalidCloseReason => f.write_str("close reason is not valid UTF-8"),
            FrameError::UnsendableCloseCode(c) => write!(f, "close code {c} must not be sent"),
            FrameError::CloseReasonTooLong { len } => {
                write!(f, "close reason of {len} bytes exceeds 123")
            }
            FrameError::Unencodable => {
                f.write_str("header cannot be encoded (rsv over 3 bits or length >= 2^63)")
            }
        }
    }
}

impl core::error::Error for FrameError {}

// ---------------------------------------------------------------------------------------------
// Header
// ---------------------------------------------------------------------------------------------

/// A decoded or to-be-encoded frame header (RFC 6455 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameHeader {
    /// The final fragment of a message (always set on control frames).
    pub fin: bool,
    /// The three RSV bits: RSV1 = `0b100` ([`RSV1`]), RSV2 = `0b010`, RSV3 = `0b001`.
    pub rsv: u8,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key; `Some` exactly on frames sent by a client.
    pub mask: Option<[u8; 4]>,
    /// The payload length in bytes (below 2^63).
    pub payload_len: u64,
}

impl FrameHeader {
    /// A final, unmasked frame without RSV bits: what a server sends.
    #[inline]
    #[must_use]
    pub const fn new(opcode: OpCode, payload_len: u64) -> FrameHeader {
        FrameHeader {
            fin: true,
            rsv: 0,
            opcode,
            mask: None,
            payload_len,
        }
    }

    /// This header with FIN set to `fin`.
    #[inline]
    #[must_use]
    pub const fn with_fin(mut self, fin: bool) -> FrameHeader {
        self.fin = fin;
        self
    }

    /// This header with the RSV bits `rsv` (3 bits).
    #[inline]
    #[must_use]
    pub const fn with_rsv(mut self, rsv: u8) -> FrameHeader {
        self.rsv = rsv;
        self
    }

    /// This header with a masking key (client frames; the key must come from a strong source
    /// of randomness, RFC 6455 §5.3). The payload must then be masked with
    /// [`crate::mask::apply_mask`] using the same key at phase 0.
    #[inline]
    #[must_use]
    pub const fn with_mask(mut self, mask: Option<[u8; 4]>) -> FrameHeader {
        self.mask = mask;
        self
    }

    /// The number of bytes [`encode`](Self::encode) writes: 2, plus 2 or 8 for an extended
    /// length, plus 4 for a mask key.
    #[inline]
    #[must_use]
    pub const fn encoded_len(&self) -> usize {
        let ext = if self.payload_len < 126 {
            0
        } else if self.payload_len <= 0xFFFF {
            2
        } else {
            8
        };
        2 + ext + if self.mask.is_some() { 4 } else { 0 }
    }

    /// The header as a small stack array, for vectored writes (header bytes, then the payload
    /// straight from the caller's buffer).
    ///
    /// Fails with [`FrameError::Unencodable`] if `rsv` has bits above the low three or
    /// `payload_len` is 2^63 or more.
    #[inline]
    pub fn header_bytes(&self) -> Result<HeaderBytes, FrameError> {
        if self.rsv > 0b111 || self.payload_len > i64::MAX as u64 {
            return Err(FrameError::Unencodable);
        }
        let mut b = [0u8; MAX_HEADER_LEN];
        b[0] = (u8::from(self.fin) << 7) | (self.rsv << 4) | self.opcode.as_u8();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let mut n = if self.payload_len < 126 {
            b[1] = mask_bit | self.payload_len as u8;
            2
        } else if self.payload_len <= 0xFFFF {
            b[1] = mask_bit | 126;
            b[2..4].copy_from_slice(&(self.payload_len as u16).to_be_bytes());
            4
        } else {
            b[1] = mask_bit | 127;
            b[2..10].copy_from_slice(&self.payload_len.to_be_bytes());
            10
        };
        if let Some(key) = self.mask {
            b[n..n + 4].copy_from_slice(&key);
            n += 4;
        }
        Ok(HeaderBytes {
            bytes: b,
            len: n as u8,
        })
    }

    /// Writes the header at the start of `out` and returns the number of bytes written
    /// ([`encoded_len`](Self::encoded_len)). The length is always minimally encoded.
    ///
    /// If `out` is shorter than that, fails with [`FrameError::InsufficientSize`] and leaves
    /// `out` untouched. Fails with [`FrameError::Unencodable`] for a header with no wire form.
    #[inline]
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, FrameError> {
        let h = self.header_bytes()?;
        let bytes = h.as_slice();
        match out.get_mut(..bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                Ok(bytes.len())
            }
            None => Err(FrameError::InsufficientSize {
                required: bytes.len(),
            }),
        }
    }

    /// Appends the header to `out` and returns the number of bytes appended.
    ///
    /// Fails (appending nothing) with [`FrameError::Unencodable`] for a header with no wire form.
    #[cfg(feature = "alloc")]
    #[inline]
    pub fn encode_to_vec(&self, out: &mut alloc::vec::Vec<u8>) -> Result<usize, FrameError> {
        let h = self.header_bytes()?;
        // One fixed-size copy per possible length: a few stores instead of a call to `memcpy`,
        // and a single update of the vector's length.
        let b = &h.bytes;
        match h.len {
            2 => out.extend_from_slice(&b[..2]),
            4 => out.extend_from_slice(&b[..4]),
            6 => out.extend_from_slice(&b[..6]),
            8 => out.extend_from_slice(&b[..8]),
            10 => out.extend_from_slice(&b[..10]),
            _ => out.extend_from_slice(&b[..14]),
        }
        Ok(h.len())
    }

    /// Appends the whole frame to `out`: the header, then `payload` (masked on the way with
    /// the header's key, if it has one). Returns the number of bytes appended.
    ///
    /// Fails (appending nothing) with [`FrameError::Unencodable`] if `payload.len()` is not
    /// the header's `payload_len`, or for a header with no wire form.
    ///
    /// Cheaper than [`encode_to_vec`](Self::encode_to_vec) followed by `extend_from_slice`:
    /// the space is reserved once, the header is written from registers, and a small unmasked
    /// frame (payload of at most 32 bytes) is appended as one block of exactly its size,
    /// without a call to `memcpy` and with a single update of the vector's length.
    ///
    /// ```
    /// use sockwire::frame::{FrameHeader, OpCode};
    ///
    /// let mut out = Vec::new();
    /// FrameHeader::new(OpCode::Text, 5).encode_frame_to_vec(b"Hello", &mut out)?;
    /// assert_eq!(out, [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]); // RFC 6455 §5.7
    /// # Ok::<(), sockwire::frame::FrameError>(())
    /// ```
    #[cfg(feature = "alloc")]
    #[inline(always)]
    pub fn encode_frame_to_vec(
        &self,
        payload: &[u8],
        out: &mut alloc::vec::Vec<u8>,
    ) -> Result<usize, FrameError> {
        let n = payload.len();
        // The fast paths: an unmasked frame with a 2-byte header (at most 125 payload bytes).
        if n <= 125 && self.payload_len == n as u64 && self.mask.is_none() && self.rsv <= 0b111 {
            let b0 = (u8::from(self.fin) << 7) | (self.rsv << 4) | self.opcode.as_u8();
            if n <= SMALL_FRAME {
                append_small(out, b0, payload);
            } else {
                append_short(out, b0, payload);
            }
            return Ok(2 + n);
        }
        encode_frame_to_vec_general(
            self.fin,
            self.rsv,
            self.opcode.as_u8(),
            self.payload_len,
            self.mask,
            payload,
            out,
        )
    }
}

/// [`FrameHeader::encode_frame_to_vec`] for every case. The header comes as separate scalars
/// (in registers): passed as one struct, the caller's fast path would spill it to the stack
/// on every call.
///
/// The header goes in as one fixed-size array per wire form, built in registers: assembling it
/// byte by byte in a stack buffer and copying a variable-length slice of it made the copy's
/// wide load wait for the narrow stores (a store-forwarding stall that cost ~10 ns a frame).
#[cfg(feature = "alloc")]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn encode_frame_to_vec_general(
    fin: bool,
    rsv: u8,
    opcode: u8,
    payload_len: u64,
    mask: Option<[u8; 4]>,
    payload: &[u8],
    out: &mut alloc::vec::Vec<u8>,
) -> Result<usize, FrameError> {
    let n = payload.len();
    if n as u64 != payload_len || rsv > 0b111 {
        return Err(FrameError::Unencodable);
    }
    let b0 = (u8::from(fin) << 7) | (rsv << 4) | opcode;
    let start = out.len();
    let h = match (n, mask) {
        (0..=125, None) => push(out, [b0, n as u8], n),
        (126..=0xFFFF, None) => {
            let [l0, l1] = (n as u16).to_be_bytes();
            push(out, [b0, 126, l0, l1], n)
        }
        (_, None) => {
            let [l0, l1, l2, l3, l4, l5, l6, l7] = (n as u64).to_be_bytes();
            push(out, [b0, 127, l0, l1, l2, l3, l4, l5, l6, l7], n)
        }
        (0..=125, Some([k0, k1, k2, k3])) => push(out, [b0, 0x80 | n as u8, k0, k1, k2, k3], n),
        (126..=0xFFFF, Some([k0, k1, k2, k3])) => {
            let [l0, l1] = (n as u16).to_be_bytes();
            push(out, [b0, 0xfe, l0, l1, k0, k1, k2, k3], n)
        }
        (_, Some([k0, k1, k2, k3])) => {
            let [l0, l1, l2, l3, l4, l5, l6, l7] = (n as u64).to_be_bytes();
            let a = [b0, 0xff, l0, l1, l2, l3, l4, l5, l6, l7, k0, k1, k2, k3];
            push(out, a, n)
        }
    };
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        if let Some(body) = out.get_mut(start + h..) {
            crate::mask::apply_mask(body, key, 0);
        }
    }
    return Ok(h + n);

    /// Reserves room for the header and `n` payload bytes, appends the header; its length.
    #[inline(always)]
    fn push<const H: usize>(out: &mut alloc::vec::Vec<u8>, header: [u8; H], n: usize) -> usize {
        out.reserve(H + n);
        out.extend_from_slice(&header);
        H
    }
}

/// Appends the unmasked frame `[b0, payload.len()]` + `payload` (33 to 125 bytes): the
/// two header bytes from registers, then the payload.
#[cfg(feature = "alloc")]
#[inline(always)]
fn append_short(out: &mut alloc::vec::Vec<u8>, b0: u8, payload: &[u8]) {
    out.reserve(2 + payload.len());
    out.extend_from_slice(&[b0, payload.len() as u8]);
    out.extend_from_slice(payload);
}

/// Unmasked frames with at most this many payload bytes take the fast path of
/// [`FrameHeader::encode_frame_to_vec`].
#[cfg(feature = "alloc")]
const SMALL_FRAME: usize = 32;

/// Appends the unmasked frame `[b0, payload.len()]` + `payload` (at most [`SMALL_FRAME`]
/// bytes) as one block of exactly its size: one arm per length, each of which the compiler
/// turns into a few stores straight into the vector (no call to `memcpy`, one update of the
/// vector's length). Kept out of line: inlined into a caller, the arms' appends stop being
/// inlined themselves.
#[cfg(feature = "alloc")]
#[inline(never)]
fn append_small(out: &mut alloc::vec::Vec<u8>, b0: u8, payload: &[u8]) {
    macro_rules! exact {
        ($($len:literal)*) => {
            match payload.len() {
                $($len => append_exact::<{ $len + 2 }, $len>(out, b0, payload),)*
                _ => {}
            }
        };
    }
    exact!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32);
}

/// Appends the frame `[b0, N as u8]` + `payload` (`N` bytes, `M == N + 2`, `N < 126`) as one
/// fixed-size block. Appends nothing if `payload` is not `N` bytes long (never the case).
#[cfg(feature = "alloc")]
#[inline(always)]
fn append_exact<const M: usize, const N: usize>(
    out: &mut alloc::vec::Vec<u8>,
    b0: u8,
    payload: &[u8],
) {
    if let Ok(p) = <&[u8; N]>::try_from(payload) {
        let mut block = [0u8; M];
        block[0] = b0;
        block[1] = N as u8;
        block[2..].copy_from_slice(p);
        out.extend_from_slice(&block);
    }
}

/// An encoded frame header held on the stack (at most [`MAX_HEADER_LEN`] bytes); see
/// [`FrameHeader::header_bytes`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeaderBytes {
    bytes: [u8; MAX_HEADER_LEN],
    len: u8,
}

impl HeaderBytes {
    /// The encoded bytes.
    #[inline]
    #[must_use]
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The number of encoded bytes (2 to 14).
    #[inline]
    #[must_use]
    #[allow(clippy::len_without_is_empty)] // never empty
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }
}

impl core::ops::Deref for HeaderBytes {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for HeaderBytes {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl fmt::Debug for HeaderBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("HeaderBytes")
            .field(&self.as_slice())
            .finish()
    }
}
