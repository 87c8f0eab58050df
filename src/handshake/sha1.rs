//! SHA-1 (FIPS 180-4 §6.1) specialised for the one message the handshake hashes: a 24-byte
//! `Sec-WebSocket-Key` followed by the 36-byte [`GUID`](super::GUID), 60 bytes in all.
//!
//! Padded, that message is exactly two 64-byte blocks:
//!
//! * block 1: the key (message words 0..6, the only input-dependent ones), the GUID (words
//!   6..15) and the `0x80` padding byte at offset 60 (word 15 = `0x8000_0000`);
//! * block 2: zeros and the 64-bit bit length 480 (word 15 = `0x1e0`). It never changes, so its
//!   whole message schedule, with the round constants already added, is a `const` table built
//!   at compile time ([`KW2`]).
//!
//! Block 1's schedule is linear over GF(2) in its message words (only XOR and rotations), so it
//! splits into the schedule of the constant GUID/padding words ([`GUID_W`], a `const` table) XOR
//! the schedule of the six key words with the other ten set to zero. The rounds are fully
//! unrolled with constant indices; there is no buffering and no `update`/`finalize` state.
//!
//! `sha1_smol` stays the reference: the unit tests below and `tests/handshake_sha1_proptest.rs`
//! compare this digest with it.

use super::GUID;

/// Round constants, one per round.
const K: [u32; 80] = {
    let mut k = [0u32; 80];
    let mut t = 0;
    while t < 80 {
        k[t] = match t / 20 {
            0 => 0x5a82_7999,
            1 => 0x6ed9_eba1,
            2 => 0x8f1b_bcdc,
            _ => 0xca62_c1d6,
        };
        t += 1;
    }
    k
};

/// Initial hash value H(0).
const H0: [u32; 5] = [
    0x6745_2301,
    0xefcd_ab89,
    0x98ba_dcfe,
    0x1032_5476,
    0xc3d2_e1f0,
];

/// The message schedule W[0..80] of a block whose first 16 words are `m`.
const fn schedule(m: [u32; 16]) -> [u32; 80] {
    let mut w = [0u32; 80];
    let mut t = 0;
    while t < 16 {
        w[t] = m[t];
        t += 1;
    }
    while t < 80 {
        w[t] = (w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]).rotate_left(1);
        t += 1;
    }
    w
}

/// Block 1's message words with the key words (0..6) set to zero: the GUID and the padding.
const fn guid_words() -> [u32; 16] {
    let mut m = [0u32; 16];
    let mut i = 0;
    while i < 9 {
        m[6 + i] = u32::from_be_bytes([
            GUID[4 * i],
            GUID[4 * i + 1],
            GUID[4 * i + 2],
            GUID[4 * i + 3],
        ]);
        i += 1;
    }
    m[15] = 0x8000_0000;
    m
}

/// Schedule of block 1 with zero key words. Block 1's real schedule is this XOR the schedule of
/// the key words alone (with words 6..16 zero).
const GUID_W: [u32; 80] = schedule(guid_words());

/// Block 2 (padding zeros + bit length 480): schedule plus round constant, per round.
const KW2: [u32; 80] = {
    let mut m = [0u32; 16];
    m[15] = 60 * 8;
    let w = schedule(m);
    let mut kw = [0u32; 80];
    let mut t = 0;
    while t < 80 {
        kw[t] = K[t].wrapping_add(w[t]);
        t += 1;
    }
    kw
};

/// The round functions, named as in FIPS 180-4 §4.1.1 (`ch`, `parity`, `maj`).
#[inline(always)]
fn ch(b: u32, c: u32, d: u32) -> u32 {
    d ^ (b & (c ^ d))
}

#[inline(always)]
fn parity(b: u32, c: u32, d: u32) -> u32 {
    b ^ c ^ d
}

#[inline(always)]
fn maj(b: u32, c: u32, d: u32) -> u32 {
    (b & c) | (d & (b | c))
}

/// The 80 rounds of one block on state `s`, with `kw(t)` = K[t] + W[t]. Fully unrolled: every
/// `t` is a literal, so `kw` resolves to constants or straight-line code.
macro_rules! compress {
    ($s:expr, $kw:expr) => {{
        let [mut a, mut b, mut c, mut d, mut e] = $s;
        macro_rules! r {
            ($f:ident, $t:literal, $a:ident, $b:ident, $c:ident, $d:ident, $e:ident) => {
                $e = $e
                    .wrapping_add($a.rotate_left(5))
                    .wrapping_add($f($b, $c, $d))
                    .wrapping_add($kw($t));
                $b = $b.rotate_left(30);
            };
        }
        macro_rules! r5 {
            ($f:ident, $t0:literal, $t1:literal, $t2:literal, $t3:literal, $t4:literal) => {
                r!($f, $t0, a, b, c, d, e);
                r!($f, $t1, e, a, b, c, d);
                r!($f, $t2, d, e, a, b, c);
                r!($f, $t3, c, d, e, a, b);
                r!($f, $t4, b, c, d, e, a);
            };
        }
        r5!(ch, 0, 1, 2, 3, 4);
        r5!(ch, 5, 6, 7, 8, 9);
        r5!(ch, 10, 11, 12, 13, 14);
        r5!(ch, 15, 16, 17, 18, 19);
        r5!(parity, 20, 21, 22, 23, 24);
        r5!(parity, 25, 26, 27, 28, 29);
        r5!(parity, 30, 31, 32, 33, 34);
        r5!(parity, 35, 36, 37, 38, 39);
        r5!(maj, 40, 41, 42, 43, 44);
        r5!(maj, 45, 46, 47, 48, 49);
        r5!(maj, 50, 51, 52, 53, 54);
        r5!(maj, 55, 56, 57, 58, 59);
        r5!(parity, 60, 61, 62, 63, 64);
        r5!(parity, 65, 66, 67, 68, 69);
        r5!(parity, 70, 71, 72, 73, 74);
        r5!(parity, 75, 76, 77, 78, 79);
        let s = $s;
        [
            s[0].wrapping_add(a),
            s[1].wrapping_add(b),
            s[2].wrapping_add(c),
            s[3].wrapping_add(d),
            s[4].wrapping_add(e),
        ]
    }};
}

/// Expands the key-only schedule X[16..80] in place (X[6..16] are zero), fully unrolled.
macro_rules! expand {
    ($x:ident; $($t:literal)*) => {
        $( $x[$t] = ($x[$t - 3] ^ $x[$t - 8] ^ $x[$t - 14] ^ $x[$t - 16]).rotate_left(1); )*
    };
}

/// SHA-1 of `key` followed by the GUID: with the CPU's SHA instructions when it has them
/// (`crate::arch`), else [`digest_key_guid_portable`].
#[inline]
pub(super) fn digest_key_guid(key: &[u8; 24]) -> [u8; 20] {
    match crate::arch::sha1_key_guid(key) {
        Some(d) => d,
        None => digest_key_guid_portable(key),
    }
}

/// SHA-1 of `key` followed by the GUID in portable integer code.
#[inline]
pub(super) fn digest_key_guid_portable(key: &[u8; 24]) -> [u8; 20] {
    let mut x = [0u32; 80];
    for (w, c) in x.iter_mut().zip(key.chunks_exact(4)) {
        *w = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
    }
    expand!(x; 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39
        40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59
        60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79);
    let kw1 = |t: usize| K[t].wrapping_add(GUID_W[t] ^ x[t]);
    let s = compress!(H0, kw1);
    let kw2 = |t: usize| KW2[t];
    let s = compress!(s, kw2);
    let mut out = [0u8; 20];
    for (o, w) in out.chunks_exact_mut(4).zip(s) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(key: &[u8]) -> [u8; 20] {
        let mut sha = sha1_smol::Sha1::new();
        sha.update(key);
        sha.update(GUID);
        sha.digest().bytes()
    }

    /// `arch` keeps its own copy of the GUID so that it imports nothing from the crate.
    #[test]
    fn the_arch_kernel_hashes_the_same_guid() {
        assert_eq!(crate::arch::WS_GUID, GUID);
    }

    #[test]
    fn rfc_key() {
        let key = b"dGhlIHNhbXBsZSBub25jZQ==";
        assert_eq!(digest_key_guid(key), reference(key));
        assert_eq!(digest_key_guid_portable(key), reference(key));
    }

    #[test]
    fn portable_path_random_keys() {
        // The dispatching digest may take the SHA-instruction path on this CPU; the portable
        // one must stay correct on its own.
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..2000 {
            let key: [u8; 24] = core::array::from_fn(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            });
            assert_eq!(digest_key_guid_portable(&key), reference(&key));
            assert_eq!(digest_key_guid(&key), reference(&key));
        }
    }

    #[test]
    fn extreme_keys() {
        for b in [0u8, 0x80, 0xff, b'A', b'='] {
            let key = [b; 24];
            assert_eq!(digest_key_guid(&key), reference(&key));
        }
        let key: [u8; 24] = core::array::from_fn(|i| i as u8);
        assert_eq!(digest_key_guid(&key), reference(&key));
    }

    #[test]
    fn single_bit_keys() {
        // Every key with exactly one bit set exercises each key bit's path through the schedule.
        for bit in 0..24 * 8 {
            let mut key = [0u8; 24];
            key[bit / 8] = 1 << (bit % 8);
            assert_eq!(digest_key_guid(&key), reference(&key), "bit {bit}");
            assert_eq!(digest_key_guid_portable(&key), reference(&key), "bit {bit}");
        }
    }

    #[test]
    fn tables_match_the_padding_rules() {
        // Block 2 is all zeros but the length; word 15 of block 1 holds the 0x80 pad byte.
        assert_eq!(KW2[15], K[15].wrapping_add(480));
        assert_eq!(KW2[0], K[0]);
        assert_eq!(guid_words()[15], 0x8000_0000);
        assert_eq!(&guid_words()[6].to_be_bytes(), b"258E");
    }
}
