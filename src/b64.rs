//! Base64 for the whole crate (RFC 4648 §4, the standard alphabet): one module, one alphabet
//! table, used by the WebSocket handshake (`Sec-WebSocket-Key` / `-Accept`), the Engine.IO
//! `b<base64>` long-polling form and the session ids.
//!
//! The hot paths are our own because their inputs have shapes a general codec does not exploit:
//! the handshake encodes fixed 16- and 20-byte values into fixed-size arrays (no length checks, no
//! error paths), and Engine.IO validates a whole body once with comparisons only (vectorisable)
//! and later decodes it eight characters at a time through pre-shifted tables. Variable-length
//! encoding goes through the `base64` crate's engine configured here, which the tests also use
//! as the reference for ours.

// Without `alloc` only the handshake's parts are used (Engine.IO and the ids need `alloc`).
#![cfg_attr(not(feature = "alloc"), allow(dead_code))]

use base64::Engine as _;

/// The base64 engine of the long-polling `b` form: the standard alphabet, padding written on
/// encode and optional on decode (Node's `Buffer.from(s, "base64")` accepts both), non-zero
/// trailing bits rejected (no two encodings of the same bytes).
pub(crate) const STANDARD: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// The standard alphabet (RFC 4648 §4).
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Whether `b` is a character of the standard alphabet (no padding).
#[inline]
pub(crate) fn is_alphabet(b: u8) -> bool {
    VALUE[usize::from(b)] != 0xFF
}

/// Base64 (standard alphabet, padded) of `N` bytes into `M` output bytes; `M` must be
/// `4 * ceil(N / 3)`.
pub(crate) fn encode_fixed<const N: usize, const M: usize>(input: &[u8; N]) -> [u8; M] {
    let mut out = [b'='; M];
    let mut o = 0;
    let mut chunks = input.chunks_exact(3);
    for c in &mut chunks {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        out[o] = ALPHABET[(n >> 18) as usize & 63];
        out[o + 1] = ALPHABET[(n >> 12) as usize & 63];
        out[o + 2] = ALPHABET[(n >> 6) as usize & 63];
        out[o + 3] = ALPHABET[n as usize & 63];
        o += 4;
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out[o] = ALPHABET[(n >> 18) as usize & 63];
            out[o + 1] = ALPHABET[(n >> 12) as usize & 63];
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            out[o] = ALPHABET[(n >> 18) as usize & 63];
            out[o + 1] = ALPHABET[(n >> 12) as usize & 63];
            out[o + 2] = ALPHABET[(n >> 6) as usize & 63];
        }
        _ => {}
    }
    out
}

/// Length of padded base64 for `n` bytes.
pub(crate) const fn encoded_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// Decoded length of validated base64 text (padding optional).
pub(crate) fn decoded_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut len = b.len();
    while len > 0 && b[len - 1] == b'=' {
        len -= 1;
    }
    len / 4 * 3 + (len % 4).saturating_sub(1)
}

#[cfg(feature = "alloc")]
pub(crate) fn decode_vec(s: &str) -> alloc::vec::Vec<u8> {
    let mut v = alloc::vec![0u8; decoded_len(s)];
    let n = decode_validated(s.as_bytes(), &mut v);
    v.truncate(n);
    v
}

/// `B64_SHIFTED[k][c]`: the value of base64 character `c` placed for position `k` of a
/// four-character group (bits 23..0 of the three output bytes); 0 for non-alphabet bytes.
const B64_SHIFTED: [[u32; 256]; 4] = {
    let mut t = [[0u32; 256]; 4];
    let mut c = 0;
    while c < 256 {
        let v = VALUE[c];
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

/// Decodes base64 that [`validate`] accepted into `out` (at least
/// [`decoded_len`] bytes), returning the length: eight characters to six bytes per step
/// through pre-shifted tables, no branches in the loop. On unvalidated input it cannot panic,
/// only produce garbage.
pub(crate) fn decode_validated(s: &[u8], out: &mut [u8]) -> usize {
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
        acc = acc << 6 | (VALUE[usize::from(c)] & 0x3f) as u32;
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
pub(crate) const VALUE: [u8; 256] = {
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
pub(crate) fn validate(s: &str) -> bool {
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
        return false;
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
        return false;
    }
    let last = if data_len > 0 {
        VALUE[usize::from(b[data_len - 1])]
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
        return false;
    }
    true
}

/// An opaque id for `entropy`: URL-safe base64 without padding (15 bytes become 20 ASCII
/// characters), the form of Engine.IO session ids and Socket.IO socket ids (the reference's
/// `base64id` shape).
pub(crate) fn url_safe_id(entropy: &[u8; 15]) -> [u8; 20] {
    let mut out = [0u8; 20];
    let n = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode_slice(entropy, &mut out)
        .unwrap_or(0);
    debug_assert_eq!(n, 20);
    out
}

/// Encodes `bytes` as padded standard base64 into `out`, returning the length, or `None` when
/// `out` is shorter than [`encoded_len`]`(bytes.len())`.
pub(crate) fn encode_slice(bytes: &[u8], out: &mut [u8]) -> Option<usize> {
    STANDARD.encode_slice(bytes, out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b64_matches_reference() {
        use base64::Engine;
        let data: [u8; 20] = core::array::from_fn(|i| (i * 37 + 11) as u8);
        let ours: [u8; 28] = encode_fixed(&data);
        let mut theirs = [0u8; 28];
        base64::engine::general_purpose::STANDARD
            .encode_slice(data, &mut theirs)
            .unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn ids_are_twenty_url_safe_characters() {
        let id = url_safe_id(&[0xfb; 15]);
        assert_eq!(&id, b"-_v7-_v7-_v7-_v7-_v7");
        assert!(url_safe_id(&[0; 15]).iter().all(|&b| b == b'A'));
    }

    #[test]
    fn the_alphabet_and_the_value_table_agree() {
        for b in 0..=255u8 {
            let pos = ALPHABET.iter().position(|&a| a == b);
            assert_eq!(is_alphabet(b), pos.is_some(), "{b:#x}");
            if let Some(p) = pos {
                assert_eq!(usize::from(VALUE[usize::from(b)]), p);
            }
        }
    }
}
