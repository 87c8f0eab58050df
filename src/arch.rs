//! CPU-specific fast paths: the crate's only `unsafe` code.
//!
//! Each function here is safe to call on any CPU: it checks that the instructions it needs are
//! present (at run time with `std`, through `is_x86_feature_detected!`, which caches its answer;
//! at compile time otherwise, when the crate is built with `-C target-feature=...`) and returns
//! `false` / `None` when they are not, so that the caller runs its portable safe version. Every
//! function has that portable version as its reference in the tests (see the `tests` module
//! below and the callers' own property tests), and nothing here reads or writes outside the
//! slices and arrays it is given.
//!
//! * [`with_avx2`]: runs a closure compiled with AVX2 enabled (the masking module passes its
//!   long-slice loop, which the compiler then vectorises with 256-bit registers). The closure is
//!   the caller's safe code; only the dispatch is `unsafe`.
//! * [`sha1_key_guid`]: the handshake's SHA-1 of `Sec-WebSocket-Key` + GUID with the x86 SHA
//!   extensions (`sha1rnds4` and friends), 4 rounds per instruction instead of one round per
//!   few dependent integer operations. The second block and most of the first are constants,
//!   so their message schedule is precomputed at compile time.
//!
//! This module is a leaf: it imports nothing from the rest of the crate (the layers above call
//! into it, never the reverse), so its `unsafe` code can be read on its own.
#![allow(unsafe_code)]

/// The GUID of RFC 6455 §1.3 that the handshake appends to the key before hashing. The same
/// bytes as `handshake::GUID` (a test checks it); repeated here so that this module stays a leaf.
// Read by the SHA kernel where it is compiled (x86-64 with `std` or the SHA target features)
// and by a test of `handshake::sha1`.
#[allow(dead_code)]
pub(crate) const WS_GUID: &[u8; 36] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Runs `f` in a function compiled with AVX2 enabled, if the CPU has AVX2; returns `None`
/// (without calling `f`) when it does not. `f` is inlined into that function, so the loops it
/// contains are vectorised for 256-bit registers.
#[inline]
pub(crate) fn with_avx2<R>(f: impl FnOnce() -> R) -> Option<R> {
    #[cfg(all(target_arch = "x86_64", feature = "std", not(target_feature = "avx2")))]
    {
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: `avx2::run` only requires that the CPU supports AVX2, which was just
            // checked at run time. `f` is safe code.
            return Some(unsafe { avx2::run(f) });
        }
        None
    }
    #[cfg(all(target_arch = "x86_64", target_feature = "avx2"))]
    {
        // Compiled for AVX2 already: every function is.
        Some(f())
    }
    #[cfg(not(all(target_arch = "x86_64", any(feature = "std", target_feature = "avx2"))))]
    {
        let _ = f;
        None
    }
}

#[cfg(all(target_arch = "x86_64", feature = "std", not(target_feature = "avx2")))]
mod avx2 {
    /// Calls `f`, compiled (with `f` inlined) for AVX2.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) unsafe fn run<R>(f: impl FnOnce() -> R) -> R {
        f()
    }
}

/// SHA-1 of the 24-byte `key` followed by the WebSocket GUID, with the x86 SHA extensions, or
/// `None` when the CPU does not have them (the caller then uses its portable version).
#[inline]
pub(crate) fn sha1_key_guid(key: &[u8; 24]) -> Option<[u8; 20]> {
    #[cfg(all(
        target_arch = "x86_64",
        target_feature = "sha",
        target_feature = "ssse3"
    ))]
    {
        // SAFETY: the crate is compiled for a CPU with SHA and SSSE3 (checked by the `cfg`).
        Some(unsafe { shani::digest(key) })
    }
    #[cfg(all(
        target_arch = "x86_64",
        feature = "std",
        not(all(target_feature = "sha", target_feature = "ssse3"))
    ))]
    {
        if std::is_x86_feature_detected!("sha") && std::is_x86_feature_detected!("ssse3") {
            // SAFETY: `digest` only requires SHA and SSSE3, which were just checked at run time.
            return Some(unsafe { shani::digest(key) });
        }
        None
    }
    #[cfg(not(all(
        target_arch = "x86_64",
        any(feature = "std", all(target_feature = "sha", target_feature = "ssse3"))
    )))]
    {
        let _ = key;
        None
    }
}

#[cfg(all(
    target_arch = "x86_64",
    any(feature = "std", all(target_feature = "sha", target_feature = "ssse3"))
))]
mod shani {
    use core::arch::x86_64::{
        __m128i, _mm_add_epi32, _mm_loadu_si128, _mm_set_epi32, _mm_sha1msg1_epu32,
        _mm_sha1msg2_epu32, _mm_sha1nexte_epu32, _mm_sha1rnds4_epu32, _mm_shuffle_epi8,
        _mm_storeu_si128, _mm_xor_si128,
    };

    use super::WS_GUID as GUID;

    /// Block 1 with the key bytes zeroed: 24 key bytes, the 36-byte GUID, the `0x80` padding
    /// byte, three zeros.
    const BLOCK1: [u8; 64] = {
        let mut b = [0u8; 64];
        let mut i = 0;
        while i < 36 {
            b[24 + i] = GUID[i];
            i += 1;
        }
        b[60] = 0x80;
        b
    };

    /// Block 2's full message schedule (all zeros but the bit length 480 in word 15), four
    /// words per entry in the order `sha1rnds4` consumes them: entry `i` is
    /// `[W[4i+3], W[4i+2], W[4i+1], W[4i]]` (lane 0 first).
    const W2: [[u32; 4]; 20] = {
        let mut w = [0u32; 80];
        w[15] = 60 * 8;
        let mut t = 16;
        while t < 80 {
            w[t] = (w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]).rotate_left(1);
            t += 1;
        }
        let mut out = [[0u32; 4]; 20];
        let mut i = 0;
        while i < 20 {
            out[i] = [w[4 * i + 3], w[4 * i + 2], w[4 * i + 1], w[4 * i]];
            i += 1;
        }
        out
    };

    /// `pshufb` control that reverses the 16 bytes of a register: four big-endian message words
    /// in memory order become lanes 3, 2, 1, 0.
    const REVERSE: [u8; 16] = [15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0];

    /// Loads 16 bytes.
    #[inline(always)]
    fn load(bytes: &[u8; 16]) -> __m128i {
        // SAFETY: reads exactly the 16 bytes of the array; `loadu` has no alignment requirement.
        unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) }
    }

    /// Loads four words, `w[0]` into lane 0.
    #[inline(always)]
    fn load_words(w: &[u32; 4]) -> __m128i {
        // SAFETY: reads exactly the 16 bytes of the array; `loadu` has no alignment requirement.
        unsafe { _mm_loadu_si128(w.as_ptr().cast()) }
    }

    /// Stores four words, lane 0 into `[0]`.
    #[inline(always)]
    fn store_words(v: __m128i) -> [u32; 4] {
        let mut w = [0u32; 4];
        // SAFETY: writes exactly the 16 bytes of the array; `storeu` has no alignment
        // requirement.
        unsafe { _mm_storeu_si128(w.as_mut_ptr().cast(), v) };
        w
    }

    /// One 64-byte block's 80 rounds on `(abcd, e)`, given the message schedule in the
    /// `sha1rnds4` layout (`w[i]` holds W[4i..4i+4], W[4i] in lane 3). Returns the updated state.
    ///
    /// # Safety
    ///
    /// The CPU must support SHA and SSSE3.
    #[inline]
    #[target_feature(enable = "sha,ssse3")]
    // The block below is required up to Rust 1.86, where these intrinsics are `unsafe fn`s;
    // later compilers consider them safe inside a function with their target features.
    #[allow(unused_unsafe)]
    unsafe fn rounds(abcd: __m128i, e: __m128i, w: &[__m128i; 20]) -> (__m128i, __m128i) {
        // SAFETY: the intrinsics only require the CPU features this function is compiled with,
        // which the caller guarantees; they operate on registers only.
        unsafe {
            let (abcd0, e0) = (abcd, e);
            let mut abcd = abcd;
            // The first group takes E plus W directly; each later one gets its E from the state
            // before the previous group (`sha1nexte` rotates that state's A by 30, adds W).
            let mut ew = _mm_add_epi32(e, w[0]);
            macro_rules! group {
                ($i:literal, $f:literal) => {
                    let prev = abcd;
                    abcd = _mm_sha1rnds4_epu32::<$f>(abcd, ew);
                    ew = if $i < 19 {
                        _mm_sha1nexte_epu32(prev, w[($i + 1) % 20])
                    } else {
                        _mm_sha1nexte_epu32(prev, e0)
                    };
                };
            }
            group!(0, 0);
            group!(1, 0);
            group!(2, 0);
            group!(3, 0);
            group!(4, 0);
            group!(5, 1);
            group!(6, 1);
            group!(7, 1);
            group!(8, 1);
            group!(9, 1);
            group!(10, 2);
            group!(11, 2);
            group!(12, 2);
            group!(13, 2);
            group!(14, 2);
            group!(15, 3);
            group!(16, 3);
            group!(17, 3);
            group!(18, 3);
            group!(19, 3);
            // After the last group `ew` is the new E (old E plus the rotated A of round 76).
            (_mm_add_epi32(abcd, abcd0), ew)
        }
    }

    /// SHA-1 of `key` + GUID (two blocks).
    ///
    /// # Safety
    ///
    /// The CPU must support SHA and SSSE3.
    #[target_feature(enable = "sha,ssse3")]
    #[allow(unused_unsafe)] // as for `rounds`
    pub(super) unsafe fn digest(key: &[u8; 24]) -> [u8; 20] {
        let mut block = BLOCK1;
        block[..24].copy_from_slice(key);
        // SAFETY: the intrinsics only require the CPU features this function is compiled with,
        // which the caller guarantees; `rounds` requires the same ones.
        let (abcd, e) = unsafe {
            let rev = load(&REVERSE);
            let mut w = [_mm_set_epi32(0, 0, 0, 0); 20];
            for (i, chunk) in block.chunks_exact(16).enumerate() {
                let mut b = [0u8; 16];
                b.copy_from_slice(chunk);
                w[i] = _mm_shuffle_epi8(load(&b), rev);
            }
            // W[t] = rotl(W[t-3] ^ W[t-8] ^ W[t-14] ^ W[t-16], 1), four words at a time: msg1
            // combines the t-16 and t-14 terms, the XOR adds t-8, msg2 adds t-3 and rotates.
            for i in 4..20 {
                let x = _mm_sha1msg1_epu32(w[i - 4], w[i - 3]);
                w[i] = _mm_sha1msg2_epu32(_mm_xor_si128(x, w[i - 2]), w[i - 1]);
            }
            let abcd = _mm_set_epi32(
                0x6745_2301_u32 as i32,
                0xefcd_ab89_u32 as i32,
                0x98ba_dcfe_u32 as i32,
                0x1032_5476,
            );
            let e = _mm_set_epi32(0xc3d2_e1f0_u32 as i32, 0, 0, 0);
            let (abcd, e) = rounds(abcd, e, &w);
            let w2: [__m128i; 20] = core::array::from_fn(|i| load_words(&W2[i]));
            rounds(abcd, e, &w2)
        };
        let [d, c, b, a] = store_words(abcd);
        let e = store_words(e)[3];
        let mut out = [0u8; 20];
        for (o, v) in out.chunks_exact_mut(4).zip([a, b, c, d, e]) {
            o.copy_from_slice(&v.to_be_bytes());
        }
        out
    }
}

/// Header-byte classes of 16 bytes at once, one bit per byte (bit `i` for `chunk[i]`):
/// `(stop, name_stop)` where `stop` flags the bytes a field value may not contain (controls
/// other than HTAB, and DEL) and `name_stop` flags `:` and every control byte (where a field
/// name ends). SSE2, which every x86-64 CPU has (other targets use `u64` word scans in
/// `http`).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn header_stops(chunk: &[u8; 16]) -> (u32, u32) {
    use core::arch::x86_64::{
        _mm_andnot_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8,
    };
    #[allow(unused_unsafe)] // the intrinsics are `unsafe fn`s only before Rust 1.87
    // SAFETY: SSE2 is part of the x86-64 baseline, so its intrinsics are always available;
    // the load reads exactly the 16 bytes of `chunk` and has no alignment requirement.
    unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        // v <= 0x1F (unsigned), so obs-text bytes 0x80..=0xFF are not flagged.
        let ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
        let tab = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\t' as i8));
        let del = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f));
        let colon = _mm_cmpeq_epi8(v, _mm_set1_epi8(b':' as i8));
        let stop = _mm_or_si128(_mm_andnot_si128(tab, ctl), del);
        let name_stop = _mm_or_si128(ctl, colon);
        (
            _mm_movemask_epi8(stop) as u32,
            _mm_movemask_epi8(name_stop) as u32,
        )
    }
}

/// Bit `i` set when `chunk[i]` may not appear in a request target (RFC 9112 §3.2: visible
/// ASCII only), i.e. it is at most 0x20 (space ends the target) or at least 0x7F. SSE2.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn target_stops(chunk: &[u8; 16]) -> u32 {
    use core::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_min_epu8, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8,
    };
    #[allow(unused_unsafe)] // the intrinsics are `unsafe fn`s only before Rust 1.87
    // SAFETY: as in `header_stops`: SSE2 is always available on x86-64 and the load reads
    // exactly the 16 bytes of `chunk`.
    unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        let low = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x20)), v);
        let high = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x7f)), v);
        _mm_movemask_epi8(_mm_or_si128(low, high)) as u32
    }
}

/// Bit `i` of the first mask set when `chunk[i]` ends a run of plain JSON string content: `"`,
/// `\\` or a control byte (below 0x20); of the second when it is a quote. SSE2.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn json_string_stops(chunk: &[u8; 16]) -> (u32, u32) {
    use core::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    #[allow(unused_unsafe)] // the intrinsics are `unsafe fn`s only before Rust 1.87
    // SAFETY: SSE2 is enabled for this target (the `cfg`), so its intrinsics are available;
    // the load reads exactly the 16 bytes of `chunk` and has no alignment requirement.
    unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // v <= 0x1F (unsigned): bytes 0x80..=0xFF are not flagged.
        let ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
        let stops = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), ctl));
        (stops as u32, _mm_movemask_epi8(quote) as u32)
    }
}

/// The offset of the first byte at or after `i` in `b` that ends plain JSON string content
/// (`"`, `\\` or below 0x20), or `b.len()` when there is none, scanned 16 bytes at a time
/// (a short tail is read as the last 16 bytes of `b`, the bytes before `i` masked off).
/// With it, whether that byte is a quote (so the caller need not load it again; `false` at
/// `b.len()`). `None` when `b` is shorter than 16 bytes or the target has no SSE2 (aarch64
/// included): the caller then runs its portable word-at-a-time scan, the reference of the tests.
#[inline(always)]
pub(crate) fn json_string_stop(b: &[u8], i: usize) -> Option<(usize, bool)> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        first_stop(b, i, json_string_stops)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        let _ = (b, i);
        None
    }
}

/// Longest text [`json_plain_quotes`] classifies (four 64-bit words of quote bits).
// Read by the SSE2 path and the tests only.
#[cfg_attr(
    not(all(target_arch = "x86_64", target_feature = "sse2")),
    allow(dead_code)
)]
pub(crate) const PLAIN_QUOTES_MAX: usize = 256;

/// Writes the quote positions of `b` to `q` as a bitmask (bit `k % 64` of word `k / 64` set
/// when `b[k]` is `"`) and returns `true`, if `b` is 16 to [`PLAIN_QUOTES_MAX`] bytes long and holds no backslash and no control
/// byte (below 0x20) anywhere: then every quote of a JSON text in `b` delimits a string, and the
/// closing quote of a string is the next quote bit. One SSE2 pass over 16-byte chunks (the last
/// partial chunk read as the last 16 bytes of `b`, the bytes seen already shifted out). `false`
/// otherwise, or on targets without SSE2 (`q` then says nothing): the caller then scans strings
/// one by one. (`q` is the caller's so that the words are read back as they were stored.)
#[inline(always)]
pub(crate) fn json_plain_quotes(b: &[u8], q: &mut [u64; 4]) -> bool {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        use core::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8,
            _mm_or_si128, _mm_set1_epi8, _mm_setzero_si128,
        };
        if !(16..=PLAIN_QUOTES_MAX).contains(&b.len()) {
            return false;
        }
        /// (quote bits, backslash-or-control lanes) of one chunk.
        #[inline(always)]
        fn classify(chunk: &[u8; 16]) -> (u64, __m128i) {
            #[allow(unused_unsafe)] // the intrinsics are `unsafe fn`s only before Rust 1.87
            // SAFETY: SSE2 is enabled for this target (the `cfg`), so its intrinsics are
            // available; the load reads exactly the 16 bytes of `chunk` and has no alignment
            // requirement.
            unsafe {
                let v = _mm_loadu_si128(chunk.as_ptr().cast());
                let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
                let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
                // v <= 0x1F (unsigned): bytes 0x80..=0xFF are not flagged.
                let ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
                (
                    u64::from(_mm_movemask_epi8(quote) as u32),
                    _mm_or_si128(backslash, ctl),
                )
            }
        }
        let n = b.len();
        *q = [0; 4];
        #[allow(unused_unsafe)] // as above
        // SAFETY: SSE2 is enabled for this target; register operations only.
        let mut bad = unsafe { _mm_setzero_si128() };
        let mut acc = |x: __m128i| {
            #[allow(unused_unsafe)] // as above
            // SAFETY: SSE2 is enabled for this target; register operations only.
            let y = unsafe { _mm_or_si128(bad, x) };
            bad = y;
        };
        // Whole 64-byte blocks: one word of quote bits each, built in a register.
        let mut i = 0;
        let mut w = 0;
        while let Some(block) = b.get(i..).and_then(<[u8]>::first_chunk::<64>) {
            let mut m = 0;
            for k in 0..4 {
                let Some(chunk) = block[16 * k..].first_chunk::<16>() else {
                    return false;
                };
                let (bits, x) = classify(chunk);
                m |= bits << (16 * k);
                acc(x);
            }
            q[w & 3] = m;
            i += 64;
            w += 1;
        }
        // The rest (under 64 bytes): whole chunks, then the last 16 bytes of `b` for the
        // tail, the bytes classified already shifted out (re-flagging a backslash among them
        // changes nothing).
        let mut m = 0;
        let mut k = 0;
        while let Some(chunk) = b.get(i + k..).and_then(<[u8]>::first_chunk::<16>) {
            let (bits, x) = classify(chunk);
            m |= bits << (k & 63);
            acc(x);
            k += 16;
        }
        if i + k < n {
            let tail = n - 16;
            let Some(chunk) = b[tail..].first_chunk::<16>() else {
                return false;
            };
            let (bits, x) = classify(chunk);
            m |= (bits >> (i + k - tail)) << (k & 63);
            acc(x);
        }
        q[w & 3] |= m;
        #[allow(unused_unsafe)] // as above
        // SAFETY: SSE2 is enabled for this target; register operations only.
        let bad = unsafe { _mm_movemask_epi8(bad) };
        bad == 0
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        let _ = (b, q);
        false
    }
}

/// Bit `k` set when byte `k` of `chunk` is not an ASCII digit (SSE2).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn non_digits(chunk: &[u8; 16]) -> (u32, u32) {
    use core::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_set1_epi8,
        _mm_sub_epi8,
    };
    #[allow(unused_unsafe)] // the intrinsics are `unsafe fn`s only before Rust 1.87
    // SAFETY: SSE2 is enabled for this target (the `cfg`), so its intrinsics are available;
    // the load reads exactly the 16 bytes of `chunk` and has no alignment requirement.
    unsafe {
        let v = _mm_sub_epi8(
            _mm_loadu_si128(chunk.as_ptr().cast()),
            _mm_set1_epi8(b'0' as i8),
        );
        // A digit is at most 9 after the (wrapping) subtraction, compared unsigned.
        let digit = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(9)), v);
        (!(_mm_movemask_epi8(digit) as u32) & 0xffff, 0)
    }
}

/// The offset of the first byte at or after `i` in `b` that is not an ASCII digit, or
/// `b.len()`, 16 bytes at a time like [`json_string_stop`]; `None` under the same conditions
/// (the caller then runs its byte loop, the reference of the tests).
#[inline(always)]
pub(crate) fn digit_run_end(b: &[u8], i: usize) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        first_stop(b, i, non_digits).map(|(k, _)| k)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        let _ = (b, i);
        None
    }
}

/// The first position at or after `i` whose bit the first mask of `stops` sets (16-byte chunks,
/// the tail read as the last 16 bytes of `b`), or `b.len()`, with that position's bit of the
/// second mask (`false` at `b.len()`); `None` when `b` is shorter than 16 bytes.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn first_stop(
    b: &[u8],
    i: usize,
    stops: impl Fn(&[u8; 16]) -> (u32, u32),
) -> Option<(usize, bool)> {
    let tail = b.len().checked_sub(16)?;
    let mut i = i;
    while let Some(chunk) = b.get(i..).and_then(<[u8]>::first_chunk::<16>) {
        let (m, flag) = stops(chunk);
        if m != 0 {
            let at = m.trailing_zeros();
            return Some((i + at as usize, (flag >> at) & 1 != 0));
        }
        i += 16;
    }
    if i >= b.len() {
        return Some((b.len(), false));
    }
    // Fewer than 16 bytes left: the last 16 bytes of `b`, those before `i` shifted out.
    let last = b[tail..].first_chunk::<16>()?;
    let (m, flag) = stops(last);
    let m = m >> (i - tail);
    if m != 0 {
        let at = m.trailing_zeros();
        Some((i + at as usize, (flag >> (i - tail + at as usize)) & 1 != 0))
    } else {
        Some((b.len(), false))
    }
}

#[cfg(all(test, feature = "std"))]
mod tests;
