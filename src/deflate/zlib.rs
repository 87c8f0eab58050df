//! The built-in codec on `zlib-rs` (pure Rust zlib): [`ZlibCodec`] and [`SharedCompressor`].

use alloc::vec::Vec;

use zlib_rs::{Deflate, DeflateConfig, DeflateFlush, Inflate, InflateFlush, Status};

use super::{Codec, CodecError, PerMessageDeflate};
use crate::Role;
use crate::frame::{FrameHeader, OpCode, RSV1};

/// The `00 00 ff ff` tail removed from every compressed message (RFC 7692 §7.2.1).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Output produced per inflate step at most (the message cap bounds the total).
const INFLATE_STEP: usize = 64 << 10;

/// Compressor settings of the built-in codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ZlibOptions {
    /// Compression level, 0 (store) to 9 (best); default 6 as zlib's.
    pub level: u8,
    /// zlib's `memLevel`, 1..=9: the size of the literal buffer (`2^(mem_level + 6)` symbols).
    /// Default 8 as zlib's. (zlib-rs keeps a fixed 64 Ki-entry hash table whatever the value.)
    pub mem_level: u8,
}

impl Default for ZlibOptions {
    fn default() -> Self {
        ZlibOptions {
            level: 6,
            mem_level: 8,
        }
    }
}

impl ZlibOptions {
    fn deflate(&self, window_bits: u8) -> Deflate {
        // zlib cannot compress with a 256-byte window: 9 is used for 8, as zlib itself and
        // `ws` do (a 9-bit zlib window never emits distances beyond 250, which an 8-bit
        // decompressor accepts).
        let bits = window_bits.clamp(9, 15);
        Deflate::new_with_config(DeflateConfig {
            level: i32::from(self.level.min(9)),
            window_bits: -i32::from(bits),
            mem_level: i32::from(self.mem_level.clamp(1, 9)),
            ..DeflateConfig::default()
        })
    }
}

/// Compresses `data` with `d` (sync flush, tail removed), appending to `out`.
fn compress_into(d: &mut Deflate, data: &[u8], out: &mut Vec<u8>) -> Result<(), CodecError> {
    let start = out.len();
    let mut input = data;
    let mut room = (input.len() / 2 + 64).min(1 << 20);
    loop {
        let len = out.len();
        out.resize(len + room, 0);
        let (in0, out0) = (d.total_in(), d.total_out());
        let r = d.compress(input, &mut out[len..], DeflateFlush::SyncFlush);
        let used = (d.total_in() - in0) as usize;
        let produced = (d.total_out() - out0) as usize;
        out.truncate(len + produced);
        r.map_err(|_| CodecError::Compress)?;
        input = &input[used..];
        if input.is_empty() && produced < room {
            break;
        }
        room = (room * 2).min(1 << 20);
    }
    if out.len() >= start + 4 && out[out.len() - 4..] == TAIL {
        out.truncate(out.len() - 4);
    }
    if out.len() == start {
        // An empty message: one empty stored block's first byte (RFC 7692 §7.2.3.6).
        out.push(0);
    }
    Ok(())
}

/// The built-in [`Codec`]: zlib-rs with the negotiated windows and context takeover.
///
/// The compressor and the decompressor are allocated on first use. A side without context
/// takeover frees its state at the end of every message, so a connection that negotiated
/// `server_no_context_takeover` and `client_no_context_takeover` (the default
/// [`DeflatePolicy`](super::DeflatePolicy)) holds no codec memory between messages.
pub struct ZlibCodec {
    opts: ZlibOptions,
    send_bits: u8,
    recv_bits: u8,
    send_reset: bool,
    recv_reset: bool,
    deflate: Option<Deflate>,
    inflate: Option<Inflate>,
    /// The peer ended its DEFLATE stream (a final block) within the current message.
    ended: bool,
}

impl core::fmt::Debug for ZlibCodec {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ZlibCodec")
            .field("opts", &self.opts)
            .field("send_bits", &self.send_bits)
            .field("recv_bits", &self.recv_bits)
            .field("compressor", &self.deflate.is_some())
            .field("decompressor", &self.inflate.is_some())
            .finish()
    }
}

impl ZlibCodec {
    /// A codec for `role` under the negotiated `pmd`.
    pub fn new(pmd: &PerMessageDeflate, role: Role, opts: ZlibOptions) -> Self {
        ZlibCodec {
            opts,
            send_bits: pmd.send_window_bits(role),
            recv_bits: pmd.receive_window_bits(role),
            send_reset: pmd.send_no_context_takeover(role),
            recv_reset: pmd.receive_no_context_takeover(role),
            deflate: None,
            inflate: None,
            ended: false,
        }
    }

    /// Whether the compressor / decompressor state is currently allocated.
    pub fn is_allocated(&self) -> (bool, bool) {
        (self.deflate.is_some(), self.inflate.is_some())
    }

    fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>, max: usize) -> Result<(), CodecError> {
        if self.ended {
            // Anything after a final block is not part of the message's DEFLATE data.
            return Ok(());
        }
        let bits = self.recv_bits.clamp(9, 15);
        let inf = self
            .inflate
            .get_or_insert_with(|| Inflate::new(false, bits));
        loop {
            let len = out.len();
            let cap = max.saturating_add(1).saturating_sub(len);
            if cap == 0 {
                return Err(CodecError::TooBig);
            }
            let room = cap.min(input.len().saturating_mul(4).clamp(1024, INFLATE_STEP));
            out.resize(len + room, 0);
            let (in0, out0) = (inf.total_in(), inf.total_out());
            let r = inf.decompress(input, &mut out[len..], InflateFlush::SyncFlush);
            let used = (inf.total_in() - in0) as usize;
            let produced = (inf.total_out() - out0) as usize;
            out.truncate(len + produced);
            input = &input[used..];
            if out.len() > max {
                return Err(CodecError::TooBig);
            }
            match r {
                Err(_) => return Err(CodecError::Corrupt),
                Ok(Status::StreamEnd) => {
                    self.ended = true;
                    return Ok(());
                }
                Ok(Status::BufError) => return Ok(()),
                Ok(Status::Ok) => {
                    if input.is_empty() && produced < room {
                        return Ok(());
                    }
                }
            }
        }
    }
}

impl Codec for ZlibCodec {
    fn compress(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), CodecError> {
        let (opts, bits) = (self.opts, self.send_bits);
        let d = self.deflate.get_or_insert_with(|| opts.deflate(bits));
        let r = compress_into(d, data, out);
        if self.send_reset || r.is_err() {
            self.deflate = None;
        }
        r
    }

    fn decompress(
        &mut self,
        input: &[u8],
        fin: bool,
        out: &mut Vec<u8>,
        max: usize,
    ) -> Result<(), CodecError> {
        let r = self.feed(input, out, max).and_then(|()| {
            if fin {
                self.feed(&TAIL, out, max)
            } else {
                Ok(())
            }
        });
        if r.is_err() || (fin && (self.recv_reset || self.ended)) {
            self.inflate = None;
        }
        if fin || r.is_err() {
            self.ended = false;
        }
        r
    }

    fn allocated(&self) -> usize {
        usize::from(self.deflate.is_some()) + usize::from(self.inflate.is_some())
    }
}

/// Compress once, send to many: encodes a message as one compressed server frame (RSV1 set,
/// unmasked) that can be written to every connection that negotiated permessage-deflate with
/// `server_no_context_takeover` (every connection accepted with the default
/// [`DeflatePolicy`](super::DeflatePolicy)) and a server window of at least the one given
/// here. Queue the bytes with [`Connection::send_encoded`](crate::ws::Connection::send_encoded),
/// or hand them to the hub's encode-once broadcast.
pub struct SharedCompressor {
    deflate: Deflate,
    scratch: Vec<u8>,
}

impl core::fmt::Debug for SharedCompressor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SharedCompressor").finish_non_exhaustive()
    }
}

impl SharedCompressor {
    /// A compressor using windows of `window_bits` (clamped to 9..=15).
    pub fn new(window_bits: u8, opts: ZlibOptions) -> Self {
        SharedCompressor {
            deflate: opts.deflate(window_bits),
            scratch: Vec::new(),
        }
    }

    /// Appends to `out` the frame carrying `data` compressed (a text frame when `text`).
    pub fn encode_frame(
        &mut self,
        text: bool,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), CodecError> {
        self.scratch.clear();
        let r = compress_into(&mut self.deflate, data, &mut self.scratch);
        self.deflate.reset();
        r?;
        let op = if text { OpCode::Text } else { OpCode::Binary };
        let h = FrameHeader::new(op, self.scratch.len() as u64).with_rsv(RSV1);
        let bytes = h.header_bytes().map_err(|_| CodecError::Compress)?;
        out.extend_from_slice(&bytes);
        out.extend_from_slice(&self.scratch);
        Ok(())
    }
}
