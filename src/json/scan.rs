//! The byte-level scanners every entry point shares: strings (a word at a time), literals and
//! numbers, each returning the offset just past the token.

use super::error::err;
use super::{JsonError, JsonErrorKind};

/// Scans the string starting at `input[start] == b'"'`; returns the offset after the closing quote.
///
/// Valid strings take the fast path's one-pass scanner ([`str_end_esc`](super::fast::str_end_esc),
/// 16 bytes at a time with SSE2); only a rejected one is rescanned below, to locate and name
/// the error.
#[inline]
pub(crate) fn scan_string(input: &[u8], start: usize) -> Result<usize, JsonError> {
    match super::fast::str_end_esc(input, start) {
        Some((end, _)) => Ok(end),
        None => string_error(input, start),
    }
}

/// The error of the invalid string starting at `input[start]` (the word-at-a-time scan that
/// was the string scanner before the fast path; it returns `Ok` only if the string is valid).
#[cold]
#[inline(never)]
fn string_error(input: &[u8], start: usize) -> Result<usize, JsonError> {
    let mut i = start + 1;
    loop {
        // Fast path: skip ordinary bytes a word at a time, then byte by byte.
        while let Some(chunk) = input.get(i..i + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            let m = special_bytes(u64::from_le_bytes(w));
            if m != 0 {
                i += (m.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        while let Some(&b) = input.get(i) {
            if b == b'"' || b == b'\\' || b < 0x20 {
                break;
            }
            i += 1;
        }
        match input.get(i) {
            None => return err(i, JsonErrorKind::UnexpectedEnd),
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => match input.get(i + 1) {
                None => return err(i + 1, JsonErrorKind::UnexpectedEnd),
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                Some(b'u') => {
                    for k in 0..4 {
                        match input.get(i + 2 + k) {
                            None => return err(i + 2 + k, JsonErrorKind::UnexpectedEnd),
                            Some(h) if h.is_ascii_hexdigit() => {}
                            Some(_) => return err(i, JsonErrorKind::InvalidEscape),
                        }
                    }
                    i += 6;
                }
                Some(_) => return err(i, JsonErrorKind::InvalidEscape),
            },
            Some(_) => return err(i, JsonErrorKind::ControlCharacter),
        }
    }
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Non-zero if any byte of the word is `"`, `\\` or below 0x20, and then its lowest set bit is
/// in the first such byte (the classic "has a zero byte" test applied to `w ^ '"'`, `w ^ '\\'`
/// and `w < 0x20`; borrows only move upwards, so the lowest flag is never a false hit).
#[inline(always)]
pub(crate) fn special_bytes(w: u64) -> u64 {
    let q = w ^ (LO * u64::from(b'"'));
    let bs = w ^ (LO * u64::from(b'\\'));
    let zq = q.wrapping_sub(LO) & !q;
    let zb = bs.wrapping_sub(LO) & !bs;
    let ctl = w.wrapping_sub(LO * 0x20) & !w;
    (zq | zb | ctl) & HI
}

/// [`special_bytes`] and, separately, its quote part: the lowest set bit of the first is a
/// quote exactly when it is also set in the second (each part is exact at its lowest bit).
#[inline(always)]
pub(crate) fn special_and_quote(w: u64) -> (u64, u64) {
    let q = w ^ (LO * u64::from(b'"'));
    let bs = w ^ (LO * u64::from(b'\\'));
    let zq = q.wrapping_sub(LO) & !q & HI;
    let zb = bs.wrapping_sub(LO) & !bs;
    let ctl = w.wrapping_sub(LO * 0x20) & !w;
    (zq | ((zb | ctl) & HI), zq)
}

/// Whether `b` contains a backslash, i.e. whether a string token's content has escapes. Eight
/// bytes at a time, inline: the strings checked are mostly short keys and names, for which a
/// call to `memchr` (what `<[u8]>::contains` becomes) costs more than the scan.
#[cfg(feature = "alloc")]
#[inline]
pub(crate) fn has_backslash(b: &[u8]) -> bool {
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w) ^ (LO * u64::from(b'\\'));
        // Non-zero exactly when some byte of `x` is zero.
        if x.wrapping_sub(LO) & !x & HI != 0 {
            return true;
        }
    }
    // At most 7 bytes: a plain loop (`contains` would be the `memchr` call avoided above).
    #[allow(clippy::manual_contains)]
    chunks.remainder().iter().any(|&c| c == b'\\')
}

pub(super) fn scan_literal(input: &[u8], start: usize, lit: &[u8]) -> Result<usize, JsonError> {
    for (k, &want) in lit.iter().enumerate() {
        match input.get(start + k) {
            None => return err(start + k, JsonErrorKind::UnexpectedEnd),
            Some(&b) if b == want => {}
            Some(&b) => return err(start + k, JsonErrorKind::UnexpectedByte(b)),
        }
    }
    Ok(start + lit.len())
}

fn digits(input: &[u8], mut i: usize) -> usize {
    while input.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

pub(super) fn scan_number(input: &[u8], start: usize) -> Result<usize, JsonError> {
    let mut i = start;
    if input[i] == b'-' {
        i += 1;
    }
    match input.get(i) {
        None => return err(i, JsonErrorKind::UnexpectedEnd),
        Some(b'0') => {
            i += 1;
            if input.get(i).is_some_and(u8::is_ascii_digit) {
                return err(i, JsonErrorKind::InvalidNumber);
            }
        }
        Some(b'1'..=b'9') => i = digits(input, i + 1),
        Some(_) => return err(i, JsonErrorKind::InvalidNumber),
    }
    if input.get(i) == Some(&b'.') {
        let j = digits(input, i + 1);
        if j == i + 1 {
            return err(j, number_end_kind(input, j));
        }
        i = j;
    }
    if matches!(input.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(input.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let j = digits(input, i);
        if j == i {
            return err(j, number_end_kind(input, j));
        }
        i = j;
    }
    Ok(i)
}

fn number_end_kind(input: &[u8], i: usize) -> JsonErrorKind {
    if i == input.len() {
        JsonErrorKind::UnexpectedEnd
    } else {
        JsonErrorKind::InvalidNumber
    }
}
