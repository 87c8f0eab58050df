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
//! The mask is pre-rotated to the phase and widened to a 64-bit word. Short slices go through
//! a word loop. Longer ones first process the few bytes up to a 32-byte boundary with word
//! operations of decreasing width, so that the body is aligned, then XOR the body in 64-byte
//! blocks with a plain loop that the compiler vectorises (SSE2 on every x86-64 CPU). On x86-64
//! with the `std` feature, the body loop is also compiled for AVX2 and chosen at run time when the
//! CPU has it (without `std`, when the crate is built with AVX2 enabled). That dispatch is the
//! only `unsafe` in the crate; every code path is property-tested and fuzzed against
//! [`apply_mask_naive`], and nothing reads or writes outside the slice (everything goes through
//! safe slice operations).
#![allow(unsafe_code)]

/// Slices shorter than this skip the alignment head and the wide body loop.
const SMALL: usize = 64;

/// Alignment the body loop starts at.
const ALIGN: usize = 32;

/// XORs `buf` in place with the masking key, starting at `phase` within the key.
///
/// Byte `i` of `buf` becomes `buf[i] ^ key[(phase + i) % 4]`. Masking and unmasking are the same
/// operation. Only `phase % 4` matters, so the phase of the next chunk of the same payload is
/// simply `phase + buf.len()` (use [`next_phase`] to keep it small).
///
/// Never reads or writes outside `buf`; never panics.
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], phase: usize) {
    let word = rotated_word(key, phase);
    if buf.len() < SMALL {
        mask_words(buf, word);
    } else {
        mask_large(buf, word);
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
/// Same result as [`apply_mask`], much slower; kept public as the oracle for tests and fuzzing.
pub fn apply_mask_naive(buf: &mut [u8], key: [u8; 4], phase: usize) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[(phase.wrapping_add(i)) % 4];
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

/// Word loop: 8 bytes at a time, then the tail. `word` is aligned to `buf[0]`.
#[inline(always)]
fn mask_words(buf: &mut [u8], word: u64) {
    let mut chunks = buf.chunks_exact_mut(8);
    for c in &mut chunks {
        let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) ^ word;
        c.copy_from_slice(&v.to_le_bytes());
    }
    mask_tail(chunks.into_remainder(), word);
}

/// Fewer than 8 bytes, one at a time. `word` is aligned to `buf[0]`.
#[inline(always)]
fn mask_tail(buf: &mut [u8], word: u64) {
    let m = word.to_le_bytes();
    for (b, k) in buf.iter_mut().zip(m.iter()) {
        *b ^= *k;
    }
}

/// Slices of at least [`SMALL`] bytes: aligned head, wide body, tail.
#[inline]
fn mask_large(buf: &mut [u8], word: u64) {
    let misalign = (buf.as_ptr() as usize) % ALIGN;
    let head_len = (ALIGN - misalign) % ALIGN; // < ALIGN <= SMALL <= buf.len()
    let (head, body) = buf.split_at_mut(head_len);
    mask_head(head, word);
    let word = advance(word, head_len);
    mask_body(body, word);
}

/// The (fewer than 32) bytes before the first aligned address, in power-of-two steps so each
/// step stays within one aligned unit.
#[inline(always)]
fn mask_head(mut head: &mut [u8], mut word: u64) {
    // The head ends on a 32-byte boundary, so taking 1, 2, 4, 8, 16 bytes in that order when the
    // corresponding bit of its length is set keeps each piece naturally aligned.
    let m = |w: u64| w.to_le_bytes();
    let len = head.len();
    if len & 1 != 0 {
        let (a, rest) = head.split_at_mut(1);
        a[0] ^= m(word)[0];
        word = advance(word, 1);
        head = rest;
    }
    if len & 2 != 0 {
        let (a, rest) = head.split_at_mut(2);
        let k = m(word);
        a[0] ^= k[0];
        a[1] ^= k[1];
        word = advance(word, 2);
        head = rest;
    }
    if len & 4 != 0 {
        let (a, rest) = head.split_at_mut(4);
        let v = u32::from_le_bytes([a[0], a[1], a[2], a[3]]) ^ (word as u32);
        a.copy_from_slice(&v.to_le_bytes());
        head = rest;
    }
    // From here on every piece is a multiple of 4 bytes long: the phase no longer moves.
    for c in head.chunks_exact_mut(8) {
        let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) ^ word;
        c.copy_from_slice(&v.to_le_bytes());
    }
}

/// The aligned body: 64-byte blocks (vectorised), then the remainder with the word loop.
#[inline]
fn mask_body(body: &mut [u8], word: u64) {
    #[cfg(all(target_arch = "x86_64", feature = "std", not(target_feature = "avx2")))]
    {
        if body.len() >= 128 && std::is_x86_feature_detected!("avx2") {
            // SAFETY: `mask_body_avx2` only requires that the CPU supports AVX2, which was just
            // checked at run time. Its body is safe code (slice operations only).
            unsafe { mask_body_avx2(body, word) };
            return;
        }
    }
    mask_body_generic(body, word);
}

/// [`mask_body_generic`] compiled with AVX2 enabled.
///
/// # Safety
///
/// The CPU must support AVX2.
#[cfg(all(target_arch = "x86_64", feature = "std", not(target_feature = "avx2")))]
#[target_feature(enable = "avx2")]
unsafe fn mask_body_avx2(body: &mut [u8], word: u64) {
    mask_body_generic(body, word);
}

#[inline(always)]
fn mask_body_generic(body: &mut [u8], word: u64) {
    let w = word.to_le_bytes();
    let mut pattern = [0u8; 64];
    for (i, p) in pattern.iter_mut().enumerate() {
        *p = w[i % 8];
    }
    let mut blocks = body.chunks_exact_mut(64);
    for block in &mut blocks {
        for (b, p) in block.iter_mut().zip(pattern.iter()) {
            *b ^= *p;
        }
    }
    // Every block is a multiple of 4 bytes: the remainder starts at the same phase.
    mask_words(blocks.into_remainder(), word);
}
