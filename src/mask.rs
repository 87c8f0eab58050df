//! In-place payload masking (RFC 6455 §5.3).
//!
//! Every frame a client sends is masked with a 4-byte key: payload byte `i` is XORed with
//! `key[i % 4]`. Unmasking is the same operation. [`apply_mask`] takes a `phase` so that a payload
//! can be (un)masked in arbitrary chunks: byte `i` of the slice is XORed with
//! `key[(phase + i) % 4]`, and the next chunk continues at `phase + chunk.len()`.
//!
//! ```
//! use sockwire::mask::apply_mask;
//!
//! let key = [0x37, 0xfa, 0x21, 0x3d];
//! let mut payload = *b"Hello";
//! apply_mask(&mut payload, key, 0);
//! assert_eq!(payload, [0x7f, 0x9f, 0x4d, 0x51, 0x58]); // RFC 6455 §5.7
//!
//! // Unmask in two chunks, carrying the phase.
//! let (a, b) = payload.split_at_mut(3);
//! apply_mask(a, key, 0);
//! apply_mask(b, key, 3);
//! assert_eq!(&payload, b"Hello");
//! ```
//!
//! # Implementation
//!
//! The key is rotated to the phase once and widened to a 64-bit word; every step below covers
//! a multiple of 4 bytes except the last one or two, so the phase only moves at the very end.
//!
//! * **Under 256 bytes** (always inlined into the caller, no dispatch, SSE2 on x86-64): one
//!   piece per set bit of the length, widest first (128, 64, 32, 16, 8, 4, 2, 1 bytes), each
//!   behind a single comparison of the remaining length, no loop counter. At these sizes a
//!   run-time dispatch or an alignment prologue costs more than it saves, and every
//!   instruction shows (125 bytes: about 60, down from about 75 with a block loop).
//! * **256 bytes and more** (out of line): the bytes up to the first 32-byte boundary in
//!   ascending power-of-two pieces (each naturally aligned), the body in whole 32-byte blocks
//!   with aligned loads and stores (128 bytes per loop step), then the tail as above. On x86-64
//!   with the `std` feature this path is also compiled for AVX2 and that version is chosen at
//!   run time when the CPU has it (without `std`, build with `-C target-feature=+avx2`).
//!
//! No two stores overlap: a later read of the same bytes (unmasking right after a `recv` copy,
//! or masking the same buffer again) always gets store-to-load forwarding. Overlapping
//! head/tail blocks, the usual `memcpy` trick, measured slower for that reason.
//!
//! The AVX2 dispatch lives in the crate's one `unsafe` module (`arch`; one call, guarded by
//! `is_x86_feature_detected!`). All the loops are plain safe Rust over slices that the compiler
//! vectorises; nothing reads or writes outside the slice, and every path is property-tested
//! (every length 0..=300 at every phase and start offset 0..16) and fuzzed against
//! [`apply_mask_naive`].

/// Slices shorter than this are masked inline (SSE2 at most): no alignment head, no run-time
/// dispatch, whose fixed cost would dominate at these sizes.
const SMALL: usize = 256;

/// Alignment the body loop of longer slices starts at.
const ALIGN: usize = 32;

/// XORs `buf` in place with the masking key, starting at `phase` within the key.
///
/// Byte `i` of `buf` becomes `buf[i] ^ key[(phase + i) % 4]`. Masking and unmasking are the same
/// operation. Only `phase % 4` matters, so the phase of the next chunk of the same payload is
/// simply `phase + buf.len()` (use [`next_phase`] to keep it small).
///
/// Never reads or writes outside `buf`; never panics.
#[inline(always)]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], phase: usize) {
    let word = rotated_word(key, phase);
    if buf.len() < SMALL {
        mask_short(buf, word);
    } else {
        mask_wide(buf, word);
    }
}

/// The phase at which the chunk following `len` bytes masked at `phase` continues, in `0..4`.
#[inline]
#[must_use]
pub const fn next_phase(phase: usize, len: usize) -> usize {
    (phase % 4 + len % 4) % 4
}

/// The reference implementation: one byte at a time, exactly as RFC 6455 §5.3 writes it.
///
/// Same result as [`apply_mask`], much slower; the oracle of the crate's tests and fuzz targets.
/// Not part of the stable API (hidden from the docs).
#[doc(hidden)]
pub fn apply_mask_naive(buf: &mut [u8], key: [u8; 4], phase: usize) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[(phase.wrapping_add(i)) % 4];
    }
}

/// Unmasks a short payload (phase 0) with at most two loads and two stores: 8 to 16 bytes as
/// its first and its last 8 bytes, 4 to 7 bytes as its first and last 4, each pair read
/// before either is written (the overlap is written twice with the same value); shorter ones
/// byte-wise. Used by the frame decoder for small frames. Any length is handled correctly
/// (longer ones take the general short path).
#[inline(always)]
pub(crate) fn unmask_short_payload(p: &mut [u8], key: [u8; 4]) {
    let n = p.len();
    let w = rotated_word(key, 0);
    if n > 16 {
        mask_short(p, w);
    } else if n >= 8 {
        if let (Some(a), Some(b)) = (p.first_chunk::<8>(), p.last_chunk::<8>()) {
            let a = u64::from_le_bytes(*a) ^ w;
            let b = u64::from_le_bytes(*b) ^ advance(w, n - 8);
            if let Some(x) = p.first_chunk_mut::<8>() {
                *x = a.to_le_bytes();
            }
            if let Some(x) = p.last_chunk_mut::<8>() {
                *x = b.to_le_bytes();
            }
        }
    } else if n >= 4 {
        if let (Some(a), Some(b)) = (p.first_chunk::<4>(), p.last_chunk::<4>()) {
            let a = u32::from_le_bytes(*a) ^ w as u32;
            let b = u32::from_le_bytes(*b) ^ advance(w, n - 4) as u32;
            if let Some(x) = p.first_chunk_mut::<4>() {
                *x = a.to_le_bytes();
            }
            if let Some(x) = p.last_chunk_mut::<4>() {
                *x = b.to_le_bytes();
            }
        }
    } else {
        mask_tail(p, w);
    }
}

/// The key rotated to `phase` and repeated twice, as a little-endian `u64`: byte `j` of
/// `word.to_le_bytes()` is `key[(phase + j) % 4]`.
#[inline(always)]
fn rotated_word(key: [u8; 4], phase: usize) -> u64 {
    let k = u32::from_le_bytes(key);
    let k = k.rotate_right(8 * (phase % 4) as u32);
    u64::from(k) | (u64::from(k) << 32)
}

/// The word after `n` more bytes were consumed (the pattern has a 4-byte period).
#[inline(always)]
fn advance(word: u64, n: usize) -> u64 {
    word.rotate_right(8 * (n % 4) as u32)
}

/// `src` (exactly `N` bytes, `N` a multiple of 8) XORed with the mask, as a new array. Used to
/// load whole blocks before any store, so that overlapping blocks stay correct.
#[inline(always)]
fn xor_block<const N: usize>(src: &[u8], word: u64) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(src);
    for c in a.chunks_exact_mut(8) {
        let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) ^ word;
        c.copy_from_slice(&v.to_le_bytes());
    }
    a
}

/// Masks the first `N` bytes of `*buf` in place and moves `*buf` past them.
#[inline(always)]
fn mask_piece<const N: usize>(buf: &mut &mut [u8], word: u64) {
    let (piece, rest) = core::mem::take(buf).split_at_mut(N);
    let x = xor_block::<N>(piece, word);
    piece.copy_from_slice(&x);
    *buf = rest;
}

/// Short slices (under [`SMALL`] = 256 bytes): one piece per set bit of the length, widest
/// first (128, 64, 32, 16 bytes, then the tail), each guarded by one comparison of the
/// remaining length. No alignment work, and no two stores overlap (an overlapping store would
/// make the next read of these bytes miss store forwarding). `word` is aligned to `buf[0]`.
/// Correct for any length (the 128-byte step repeats while needed).
#[inline(always)]
fn mask_short(mut buf: &mut [u8], word: u64) {
    while buf.len() >= 128 {
        mask_piece::<128>(&mut buf, word);
    }
    if buf.len() >= 64 {
        mask_piece::<64>(&mut buf, word);
    }
    if buf.len() >= 32 {
        mask_piece::<32>(&mut buf, word);
    }
    if buf.len() >= 16 {
        mask_piece::<16>(&mut buf, word);
    }
    // Every piece so far was a multiple of 4 bytes: the phase is unchanged.
    mask_tail(buf, word);
}

/// Fewer than 16 bytes, in 8/4/2/1-byte steps. `word` is aligned to `buf[0]`.
#[inline(always)]
fn mask_tail(mut buf: &mut [u8], mut word: u64) {
    if buf.len() >= 8 {
        let (c, rest) = buf.split_at_mut(8);
        let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) ^ word;
        c.copy_from_slice(&v.to_le_bytes());
        buf = rest;
    }
    if buf.len() >= 4 {
        let (c, rest) = buf.split_at_mut(4);
        let v = u32::from_le_bytes([c[0], c[1], c[2], c[3]]) ^ (word as u32);
        c.copy_from_slice(&v.to_le_bytes());
        buf = rest;
    }
    if buf.len() >= 2 {
        let (c, rest) = buf.split_at_mut(2);
        let v = u16::from_le_bytes([c[0], c[1]]) ^ (word as u16);
        c.copy_from_slice(&v.to_le_bytes());
        buf = rest;
        word = advance(word, 2);
    }
    if let [b] = buf {
        *b ^= word as u8;
    }
}

/// Slices of at least [`SMALL`] bytes: picks the widest instructions the CPU offers. Kept
/// out of line so that the short path inlined into callers stays small.
#[inline(never)]
fn mask_wide(buf: &mut [u8], word: u64) {
    if crate::arch::with_avx2(|| mask_wide_generic(buf, word)).is_none() {
        mask_wide_generic(buf, word);
    }
}

/// At least [`SMALL`] bytes: the few bytes up to the first 32-byte boundary in ascending power-of-two pieces (each naturally aligned),
/// the body in whole 32-byte blocks (aligned loads and stores), then the last bytes in
/// descending pieces.
#[inline(always)]
fn mask_wide_generic(buf: &mut [u8], word: u64) {
    let head_len = (ALIGN - (buf.as_ptr() as usize) % ALIGN) % ALIGN; // < 32 < buf.len()
    let (head, body) = buf.split_at_mut(head_len);
    let word = mask_head(head, word);
    let whole = body.len() / 32 * 32;
    let (body, tail) = body.split_at_mut(whole);
    mask_body(body, word);
    // 32 is a multiple of 4: the tail starts at the body's phase; it is under 32 bytes.
    mask_short(tail, word);
}

/// The bytes before a 32-byte boundary (fewer than 32): 1, 2, 4, 8, 16 bytes when that bit of
/// the length is set, so each piece is naturally aligned. Returns the word for the next byte.
#[inline(always)]
fn mask_head(mut head: &mut [u8], mut word: u64) -> u64 {
    let len = head.len();
    if len & 1 != 0 {
        let (a, rest) = core::mem::take(&mut head).split_at_mut(1);
        a[0] ^= word as u8;
        word = advance(word, 1);
        head = rest;
    }
    if len & 2 != 0 {
        let (a, rest) = core::mem::take(&mut head).split_at_mut(2);
        let v = u16::from_le_bytes([a[0], a[1]]) ^ (word as u16);
        a.copy_from_slice(&v.to_le_bytes());
        word = advance(word, 2);
        head = rest;
    }
    if len & 4 != 0 {
        let (a, rest) = core::mem::take(&mut head).split_at_mut(4);
        let v = u32::from_le_bytes([a[0], a[1], a[2], a[3]]) ^ (word as u32);
        a.copy_from_slice(&v.to_le_bytes());
        head = rest;
    }
    if len & 8 != 0 {
        mask_piece::<8>(&mut head, word);
    }
    if len & 16 != 0 {
        mask_piece::<16>(&mut head, word);
    }
    word
}

/// The body loop over whole 32-byte blocks (`body.len()` is a multiple of 32): 128-byte
/// steps, then 32-byte steps. The compiler turns each block into vector XORs with the word
/// broadcast into a register.
#[inline(always)]
fn mask_body(body: &mut [u8], word: u64) {
    let mut big = body.chunks_exact_mut(128);
    for b in &mut big {
        let x = xor_block::<128>(b, word);
        b.copy_from_slice(&x);
    }
    for b in big.into_remainder().chunks_exact_mut(32) {
        let x = xor_block::<32>(b, word);
        b.copy_from_slice(&x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_payload_unmasking_matches_the_naive_loop() {
        // Every length the frame decoder sends here and a few beyond, every key rotation,
        // with guard bytes on both sides that must stay untouched.
        for key in [
            [0x37, 0xfa, 0x21, 0x3d],
            [1, 2, 3, 4],
            [0xff, 0, 0x80, 0x7f],
        ] {
            for len in 0..=40 {
                let mut buf = [0xa5u8; 48];
                for (i, b) in buf[4..4 + len].iter_mut().enumerate() {
                    *b = (i * 29 + 3) as u8;
                }
                let mut want = buf;
                apply_mask_naive(&mut want[4..4 + len], key, 0);
                unmask_short_payload(&mut buf[4..4 + len], key);
                assert_eq!(buf, want, "len {len} key {key:?}");
            }
        }
    }
}
