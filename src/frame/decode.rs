//! Frame decoding: [`DecodeConfig`], [`HeaderDecoder`], [`decode_header`], [`decode_frame`].

use super::*;

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/// What the receiver accepts; see the module's "Policies".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DecodeConfig {
    /// The role of the **receiver**: a server requires masked frames, a client unmasked ones.
    pub role: Role,
    /// Largest accepted payload length of a single frame; larger is [`FrameError::TooBig`]
    /// (1009). Default [`DEFAULT_MAX_PAYLOAD`].
    pub max_payload: u64,
    /// RSV bits negotiated by extensions (e.g. [`RSV1`] for permessage-deflate). Default 0.
    pub allowed_rsv: u8,
    /// Reject lengths that are not minimally encoded ([`FrameError::NonMinimalLength`]).
    /// Default `true`, as RFC 6455 §5.2 requires the minimal form.
    pub reject_non_minimal: bool,
}

impl DecodeConfig {
    /// The defaults for a receiver playing `role`.
    #[inline]
    #[must_use]
    pub const fn new(role: Role) -> DecodeConfig {
        DecodeConfig {
            role,
            max_payload: DEFAULT_MAX_PAYLOAD,
            allowed_rsv: 0,
            reject_non_minimal: true,
        }
    }

    /// Sets [`max_payload`](Self::max_payload).
    #[inline]
    #[must_use]
    pub const fn max_payload(mut self, max: u64) -> DecodeConfig {
        self.max_payload = max;
        self
    }

    /// Sets [`allowed_rsv`](Self::allowed_rsv).
    #[inline]
    #[must_use]
    pub const fn allowed_rsv(mut self, rsv: u8) -> DecodeConfig {
        self.allowed_rsv = rsv;
        self
    }

    /// Sets [`reject_non_minimal`](Self::reject_non_minimal).
    #[inline]
    #[must_use]
    pub const fn reject_non_minimal(mut self, reject: bool) -> DecodeConfig {
        self.reject_non_minimal = reject;
        self
    }
}

/// The result of decoding a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub enum Decoded {
    /// The input holds only part of a header.
    Partial {
        /// How many more bytes are needed at least. Exact once the first two bytes are there
        /// (they fix the header length); with fewer, the count to reach those two.
        needed: usize,
    },
    /// A complete, valid header.
    Header {
        /// The header.
        header: FrameHeader,
        /// Its encoded length: the payload starts at this offset.
        header_len: usize,
    },
}

/// A header decoder with a fixed configuration (precomputes the bit checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeaderDecoder {
    cfg: DecodeConfig,
    /// Bit `b` is set when a first header byte `b` is acceptable: allowed RSV bits, a defined
    /// opcode, FIN set on control frames.
    first_ok: [u64; 4],
    /// The value the MASK bit (0x80 of byte 1) must have.
    mask_bit: u8,
    /// 4 when frames carry a mask key (the receiver is a server), else 0.
    mask_len: u8,
    /// The longest payload the fast path takes: 125 (a 7-bit length), or less under a
    /// smaller `max_payload`.
    max_len7: u8,
}

/// Opcode by 4-bit value; reserved slots are never read (the first-byte bitmap rejects them).
const OPCODES: [OpCode; 16] = {
    let mut t = [OpCode::Continuation; 16];
    t[0x1] = OpCode::Text;
    t[0x2] = OpCode::Binary;
    t[0x8] = OpCode::Close;
    t[0x9] = OpCode::Ping;
    t[0xA] = OpCode::Pong;
    t
};

impl HeaderDecoder {
    /// A decoder for `cfg`.
    #[must_use]
    pub const fn new(cfg: DecodeConfig) -> HeaderDecoder {
        // Byte 0 is FIN, RSV1 | RSV2, RSV3, opcode (4 bits). Word `w` of the bitmap holds the
        // bytes with FIN = w >> 1 and RSV1 = w & 1; within a word, each 16-bit lane is one
        // (RSV2, RSV3) combination and bit `op` of a lane the opcode.
        const DATA_OPS: u64 = 0x0007; // continuation, text, binary
        const ALL_OPS: u64 = 0x0707; // + close, ping, pong
        let mut first_ok = [0u64; 4];
        let mut w = 0;
        while w < 4 {
            let fin = w >> 1 != 0;
            let rsv1 = w & 1 != 0;
            if !rsv1 || cfg.allowed_rsv & RSV1 != 0 {
                let ops = if fin { ALL_OPS } else { DATA_OPS };
                let mut lane = 0u8;
                while lane < 4 {
                    // lane = RSV2 << 1 | RSV3, the low two bits of the rsv field.
                    if lane & !cfg.allowed_rsv & 0b011 == 0 {
                        first_ok[w] |= ops << (16 * lane);
                    }
                    lane += 1;
                }
            }
            w += 1;
        }
        let (mask_bit, mask_len) = match cfg.role {
            Role::Server => (0x80, 4),
            Role::Client => (0, 0),
        };
        HeaderDecoder {
            cfg,
            first_ok,
            mask_bit,
            mask_len,
            max_len7: if cfg.max_payload < 125 {
                cfg.max_payload as u8
            } else {
                125
            },
        }
    }

    /// The configuration.
    #[inline]
    #[must_use]
    pub const fn config(&self) -> &DecodeConfig {
        &self.cfg
    }

    /// Decodes the header at the start of `buf`; see [`decode_header`].
    ///
    /// Always inlined: it is the hot path of every receiver, and a call returning the result
    /// through memory costs more than the decode itself.
    #[inline(always)]
    pub fn decode(&self, buf: &[u8]) -> Result<Decoded, FrameError> {
        let (b0, b1) = match buf {
            [b0, b1, ..] => (*b0, *b1),
            _ => {
                return Ok(Decoded::Partial {
                    needed: 2 - buf.len(),
                });
            }
        };
        let len7 = b1 & 0x7F;
        let first_ok = (self.first_ok[usize::from(b0 >> 6)] >> (b0 & 63)) & 1 != 0;
        if !first_ok || b1 & 0x80 != self.mask_bit || (b0 & 0x08 != 0 && len7 > 125) {
            return Err(self.header_error(b0, b1));
        }
        let mask_len = usize::from(self.mask_len);
        let (payload_len, len_end) = if len7 < 126 {
            (u64::from(len7), 2)
        } else {
            match self.extended_len(buf, len7)? {
                Some(v) => v,
                None => {
                    let len_end = if len7 == 126 { 4 } else { 10 };
                    return Ok(Decoded::Partial {
                        needed: len_end + mask_len - buf.len(),
                    });
                }
            }
        };
        if payload_len > self.cfg.max_payload {
            return Err(FrameError::TooBig {
                len: payload_len,
                max: self.cfg.max_payload,
            });
        }
        let header_len = len_end + mask_len;
        let mask = if mask_len != 0 {
            let Some(k) = buf.get(len_end..len_end + 4) else {
                return Ok(Decoded::Partial {
                    needed: header_len - buf.len(),
                });
            };
            Some([k[0], k[1], k[2], k[3]])
        } else {
            None
        };
        Ok(Decoded::Header {
            header: FrameHeader {
                fin: b0 & 0x80 != 0,
                rsv: (b0 >> 4) & 0b111,
                opcode: OPCODES[usize::from(b0 & 0x0F)],
                mask,
                payload_len,
            },
            header_len,
        })
    }

    /// The 16- or 64-bit length (`len7` is 126 or 127) and where it ends, `None` while it is
    /// incomplete.
    #[inline]
    fn extended_len(&self, buf: &[u8], len7: u8) -> Result<Option<(u64, usize)>, FrameError> {
        if len7 == 126 {
            let Some(ext) = buf.get(2..4) else {
                return Ok(None);
            };
            let len = u64::from(u16::from_be_bytes([ext[0], ext[1]]));
            if len < 126 && self.cfg.reject_non_minimal {
                return Err(FrameError::NonMinimalLength);
            }
            Ok(Some((len, 4)))
        } else {
            let Some(ext) = buf.get(2..10) else {
                return Ok(None);
            };
            let len = u64::from_be_bytes([
                ext[0], ext[1], ext[2], ext[3], ext[4], ext[5], ext[6], ext[7],
            ]);
            if len >> 63 != 0 {
                return Err(FrameError::LengthTopBit);
            }
            if len <= 0xFFFF && self.cfg.reject_non_minimal {
                return Err(FrameError::NonMinimalLength);
            }
            Ok(Some((len, 10)))
        }
    }

    /// Which check the first two bytes failed, in the order RSV, opcode, control FIN, control
    /// length, mask bit. Off the hot path.
    #[cold]
    #[inline(never)]
    fn header_error(&self, b0: u8, b1: u8) -> FrameError {
        let rsv = (b0 >> 4) & 0b111;
        if rsv & !self.cfg.allowed_rsv != 0 {
            return FrameError::ReservedBits(rsv);
        }
        let Some(opcode) = OpCode::from_u8(b0 & 0x0F) else {
            return FrameError::ReservedOpcode(b0 & 0x0F);
        };
        if opcode.is_control() {
            if b0 & 0x80 == 0 {
                return FrameError::FragmentedControl;
            }
            if b1 & 0x7F > 125 {
                return FrameError::ControlTooLong;
            }
        }
        match self.cfg.role {
            Role::Server => FrameError::UnmaskedFrame,
            Role::Client => FrameError::MaskedFrame,
        }
    }
}

/// Decodes the frame header at the start of `buf` as a receiver configured by `cfg`.
///
/// Returns [`Decoded::Partial`] while the header is incomplete (errors that the bytes present
/// already prove are reported at once), [`Decoded::Header`] with the header and its length once
/// it is complete, or the [`FrameError`] that rejects the frame. Never reads past the header:
/// the payload is not looked at.
#[inline]
pub fn decode_header(buf: &[u8], cfg: &DecodeConfig) -> Result<Decoded, FrameError> {
    HeaderDecoder::new(*cfg).decode(buf)
}

/// The result of [`decode_frame`].
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub enum DecodedFrame<'b> {
    /// The input holds only part of the frame (header or payload).
    Partial {
        /// How many more bytes are needed at least (see [`Decoded::Partial`]); once the header
        /// is complete, exactly the missing payload bytes (saturated at `usize::MAX`).
        needed: usize,
    },
    /// A complete frame.
    Frame {
        /// The header (its `mask` still says whether the payload was masked on the wire).
        header: FrameHeader,
        /// The payload, already unmasked in place.
        payload: &'b mut [u8],
        /// Header plus payload length: where the next frame starts in the input.
        frame_len: usize,
    },
}

impl HeaderDecoder {
    /// Decodes a whole frame at the start of `buf` and unmasks its payload in place; see
    /// [`decode_frame`].
    ///
    /// The common case (a 7-bit length and the whole frame in `buf`) takes an inlined fast
    /// path with the same checks; everything else goes through [`decode`](Self::decode).
    #[inline(always)]
    pub fn decode_frame<'b>(&self, buf: &'b mut [u8]) -> Result<DecodedFrame<'b>, FrameError> {
        let fast = if self.mask_len != 0 {
            self.fast_header::<true>(buf)
        } else {
            self.fast_header::<false>(buf)
        };
        if let Some((header, _, frame_len)) = fast {
            // A 7-bit length: the payload is the last `payload_len` bytes of the frame.
            let header_len = frame_len - header.payload_len as usize;
            let payload = &mut buf[header_len..frame_len];
            if let Some(key) = header.mask {
                if payload.len() <= 16 {
                    crate::mask::unmask_short_payload(payload, key);
                } else {
                    crate::mask::apply_mask(payload, key, 0);
                }
            }
            return Ok(DecodedFrame::Frame {
                header,
                payload,
                frame_len,
            });
        }
        self.decode_frame_general(buf)
    }

    /// Decodes every complete frame at the start of `buf`, unmasking each payload in place and
    /// passing it with its header to `on_frame`, in order, until the input ends or holds only
    /// part of a frame. Returns the number of bytes consumed (the next frame starts there).
    ///
    /// On an invalid frame it returns that frame's error; the frames before it have been passed
    /// to `on_frame` already. This is the fastest way to drain a read buffer: the common case
    /// stays in registers from one frame to the next.
    #[inline(always)]
    pub fn decode_frames(
        &self,
        buf: &mut [u8],
        mut on_frame: impl FnMut(&FrameHeader, &mut [u8]),
    ) -> Result<usize, FrameError> {
        // One copy of the loop per role, so that the fast path knows the header length and
        // whether there is a key to unmask with.
        if self.mask_len != 0 {
            self.frames_loop::<true>(buf, &mut on_frame)
        } else {
            self.frames_loop::<false>(buf, &mut on_frame)
        }
    }

    /// [`decode_frames`](Self::decode_frames) for a decoder whose frames carry a mask key
    /// exactly when `MASKED`.
    #[inline(always)]
    fn frames_loop<const MASKED: bool>(
        &self,
        buf: &mut [u8],
        on_frame: &mut impl FnMut(&FrameHeader, &mut [u8]),
    ) -> Result<usize, FrameError> {
        let mut pos = 0;
        loop {
            if let Some((header, key, frame_len)) = self.fast_header::<MASKED>(&buf[pos..]) {
                let header_len = if MASKED { 6 } else { 2 };
                let (start, end) = (pos + header_len, pos + frame_len);
                if MASKED {
                    if let Some(payload) = buf.get_mut(start..end) {
                        if payload.len() <= 16 {
                            // At most two loads and two stores, no loop.
                            crate::mask::unmask_short_payload(payload, key);
                        } else {
                            crate::mask::apply_mask(payload, key, 0);
                        }
                    }
                }
                on_frame(&header, &mut buf[start..end]);
                pos = end;
                continue;
            }
            let rest = &mut buf[pos..];
            match self.decode_frame_general(rest)? {
                DecodedFrame::Frame {
                    header,
                    payload,
                    frame_len,
                } => {
                    on_frame(&header, payload);
                    pos += frame_len;
                }
                DecodedFrame::Partial { .. } => return Ok(pos),
            }
        }
    }

    /// The fast path: a valid header with a 7-bit length whose whole frame is in `buf`, as
    /// (header, mask key, frame length). `None` for anything else, including errors, which
    /// the general path then reports. `MASKED` must be `self.mask_len != 0`; the key is
    /// `[0; 4]` for unmasked frames.
    #[inline(always)]
    fn fast_header<const MASKED: bool>(&self, buf: &[u8]) -> Option<(FrameHeader, [u8; 4], usize)> {
        let [b0, b1, ..] = *buf else { return None };
        // With the expected MASK bit flipped off, byte 1 is the 7-bit length; a wrong MASK
        // bit makes it 128 or more. One comparison checks the MASK bit, a 7-bit length (which
        // also satisfies the control-frame limit) and `max_payload`.
        let len7 = b1 ^ if MASKED { 0x80 } else { 0 };
        let header_len = if MASKED { 6 } else { 2 };
        let frame_len = header_len + usize::from(len7);
        let ok = len7 <= self.max_len7
            && frame_len <= buf.len()
            && (self.first_ok[usize::from(b0 >> 6)] >> (b0 & 63)) & 1 != 0;
        if !ok {
            return None;
        }
        // frame_len >= header_len was checked against buf.len().
        let key = match buf.get(2..6).map(<[u8; 4]>::try_from) {
            Some(Ok(key)) if MASKED => key,
            _ => [0; 4],
        };
        let header = FrameHeader {
            fin: b0 & 0x80 != 0,
            rsv: (b0 >> 4) & 0b111,
            opcode: OPCODES[usize::from(b0 & 0x0F)],
            mask: if MASKED { Some(key) } else { None },
            payload_len: u64::from(len7),
        };
        Some((header, key, frame_len))
    }

    /// [`decode_frame`](Self::decode_frame) for every case: extended lengths, incomplete input,
    /// errors.
    #[inline(never)]
    fn decode_frame_general<'b>(&self, buf: &'b mut [u8]) -> Result<DecodedFrame<'b>, FrameError> {
        let (header, header_len) = match self.decode(buf)? {
            Decoded::Header { header, header_len } => (header, header_len),
            Decoded::Partial { needed } => return Ok(DecodedFrame::Partial { needed }),
        };
        // header_len <= 14 <= buf.len(); compare the payload in u64 so nothing can wrap.
        let available = (buf.len() - header_len) as u64;
        if header.payload_len > available {
            let missing = header.payload_len - available;
            let needed = usize::try_from(missing).unwrap_or(usize::MAX);
            return Ok(DecodedFrame::Partial { needed });
        }
        // payload_len <= available, which came from a usize: the casts are lossless.
        let frame_len = header_len + header.payload_len as usize;
        let payload = &mut buf[header_len..frame_len];
        if let Some(key) = header.mask {
            crate::mask::apply_mask(payload, key, 0);
        }
        Ok(DecodedFrame::Frame {
            header,
            payload,
            frame_len,
        })
    }
}

/// Decodes the complete frame at the start of `buf`, unmasking its payload in place.
///
/// Like [`decode_header`], but also waits for the whole payload ([`DecodedFrame::Partial`]
/// until it is there) and returns it unmasked together with the frame's total length. Calling
/// it twice on the same bytes masks them again: advance past `frame_len` after each frame.
#[inline]
pub fn decode_frame<'b>(
    buf: &'b mut [u8],
    cfg: &DecodeConfig,
) -> Result<DecodedFrame<'b>, FrameError> {
    HeaderDecoder::new(*cfg).decode_frame(buf)
}

// ---------------------------------------------------------------------------------------------
