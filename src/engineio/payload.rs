//! HTTP long-polling payloads: packets in their text form joined by `\x1e` (record separator),
//! binary messages as `b<base64>`.
//!
//! Decoding follows the reference parser (engine.io-parser 5): the body is split at every `\x1e`
//! and each record decoded in turn; an empty body, an empty record (a leading, trailing or doubled
//! separator) or an unknown type is an error, and decoding stops at the first error (packets
//! before it are still delivered, exactly as the reference does). [`Payload`] is an iterator over
//! borrowed packets: no allocation.
//!
//! Encoding rejects a text packet containing `\x1e`: it cannot be framed (the reference silently
//! splits it into two records; we refuse instead, with [`EngineIoError::RecordSeparatorInText`]).

use super::EngineIoError;
use super::packet::{Packet, PacketData, RECORD_SEPARATOR};

/// Iterator over the packets of a long-polling payload (see the module docs).
///
/// Yields `Ok(packet)` for each record, or one `Err` at the first malformed record and then
/// nothing more.
#[derive(Debug, Clone)]
pub struct Payload<'b> {
    rest: Option<&'b str>,
}

/// Starts decoding a long-polling payload.
pub fn decode_payload(body: &str) -> Payload<'_> {
    Payload { rest: Some(body) }
}

impl<'b> Iterator for Payload<'b> {
    type Item = Result<Packet<'b>, EngineIoError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.rest?;
        let (record, tail) = match memchr_rs(rest.as_bytes()) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let item = Packet::decode_text(record);
        self.rest = if item.is_err() { None } else { tail };
        Some(item)
    }
}

impl core::iter::FusedIterator for Payload<'_> {}

/// Position of the first record separator: eight bytes at a time (the classic "has a zero
/// byte" word trick on `word ^ 0x1e1e…`; the lowest flagged byte is always exact), then a byte
/// loop for the tail. Property-tested against `iter().position`.
#[inline]
pub(crate) fn memchr_rs(b: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const RS: u64 = LO * RECORD_SEPARATOR as u64;
    let flags = |c: &[u8]| {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w) ^ RS;
        x.wrapping_sub(LO) & !x & HI
    };
    let first = |c: &[u8]| {
        let (t0, t1) = (flags(&c[..8]), flags(&c[8..]));
        if t0 | t1 == 0 {
            None
        } else if t0 != 0 {
            Some((t0.trailing_zeros() / 8) as usize)
        } else {
            Some(8 + (t1.trailing_zeros() / 8) as usize)
        }
    };
    let mut chunks = b.chunks_exact(16);
    let mut base = 0;
    for c in &mut chunks {
        if let Some(at) = first(c) {
            return Some(base + at);
        }
        base += 16;
    }
    let rest = chunks.remainder();
    if rest.is_empty() {
        return None;
    }
    if b.len() >= 16 {
        // The last sixteen bytes, overlapping the part already searched (which holds no
        // separator, so the first flagged byte is still the first separator).
        let start = b.len() - 16;
        return first(&b[start..]).map(|at| start + at);
    }
    rest.iter()
        .position(|&c| c == RECORD_SEPARATOR)
        .map(|p| base + p)
}

#[doc(hidden)]
/// Exposed for the property test of the fast separator search.
pub fn find_record_separator(b: &[u8]) -> Option<usize> {
    memchr_rs(b)
}

/// Checks that a packet can be framed in a payload (no `\x1e` in text data).
pub fn check_framable(packet: &Packet<'_>) -> Result<(), EngineIoError> {
    if let PacketData::Text(s) = packet.data() {
        if memchr_rs(s.as_bytes()).is_some() {
            return Err(EngineIoError::RecordSeparatorInText);
        }
    }
    Ok(())
}

/// The encoded length of a payload made of `packets`.
pub fn payload_len<'a, 'b: 'a>(packets: impl IntoIterator<Item = &'a Packet<'b>>) -> usize {
    let mut n: usize = 0;
    let mut len = 0;
    for p in packets {
        len += p.encoded_len();
        n += 1;
    }
    len + n.saturating_sub(1)
}

/// Encodes `packets` as a payload into `out`, returning the length written.
///
/// Errors: [`EngineIoError::RecordSeparatorInText`], [`EngineIoError::InsufficientSize`] (then
/// `out` is untouched), [`EngineIoError::EmptyPayload`] for no packets (an empty body cannot be
/// decoded).
pub fn encode_payload(packets: &[Packet<'_>], out: &mut [u8]) -> Result<usize, EngineIoError> {
    if packets.is_empty() {
        return Err(EngineIoError::EmptyPayload);
    }
    for p in packets {
        check_framable(p)?;
    }
    let required = payload_len(packets);
    if out.len() < required {
        return Err(EngineIoError::InsufficientSize { required });
    }
    let mut pos = 0;
    for (i, p) in packets.iter().enumerate() {
        if i > 0 {
            out[pos] = RECORD_SEPARATOR;
            pos += 1;
        }
        pos += p.encode(&mut out[pos..])?;
    }
    Ok(pos)
}

/// Builds a payload incrementally in a `Vec`, one packet at a time.
#[derive(Debug)]
pub struct PayloadWriter<'v> {
    out: &'v mut alloc::vec::Vec<u8>,
    start: usize,
    count: usize,
}

impl<'v> PayloadWriter<'v> {
    /// Starts a payload at the end of `out`.
    pub fn new(out: &'v mut alloc::vec::Vec<u8>) -> Self {
        let start = out.len();
        PayloadWriter {
            out,
            start,
            count: 0,
        }
    }

    /// How many bytes adding `packet` would add (separator included).
    pub fn added_len(&self, packet: &Packet<'_>) -> usize {
        packet.encoded_len() + usize::from(self.count > 0)
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.out.len() - self.start
    }

    /// Whether no packet was written yet.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Packets written so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Appends one packet (and a separator before it when needed).
    pub fn push(&mut self, packet: &Packet<'_>) -> Result<(), EngineIoError> {
        check_framable(packet)?;
        if self.count > 0 {
            self.out.push(RECORD_SEPARATOR);
        }
        packet.encode_to_vec(self.out);
        self.count += 1;
        Ok(())
    }
}

/// Encodes `packets` as a payload appended to `out`.
pub fn encode_payload_to_vec(
    packets: &[Packet<'_>],
    out: &mut alloc::vec::Vec<u8>,
) -> Result<usize, EngineIoError> {
    if packets.is_empty() {
        return Err(EngineIoError::EmptyPayload);
    }
    for p in packets {
        check_framable(p)?;
    }
    let mut w = PayloadWriter::new(out);
    for p in packets {
        w.push(p)?;
    }
    Ok(w.len())
}
