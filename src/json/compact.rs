//! The one-shot validator for *compact* JSON (no whitespace outside strings, as serializers
//! write it): what the Socket.IO encoder runs on every raw JSON argument, and the first try of
//! [`validate`](super::validate).
//!
//! One non-recursive walk over the value (a bit stack of open containers) with a pluggable way
//! of finding where a string ends: [`compact_end`] scans each string (16 bytes at a time where
//! the CPU allows, escapes checked as they come); [`compact_whole`] first classifies the whole
//! text in one SSE2 pass ([`crate::arch::json_plain_quotes`]) and, when it holds no backslash
//! and no control byte, takes each string's quotes as the next two bits of the quote mask, so no string
//! is scanned at all. Both return `None` for whitespace, nesting deeper than [`COMPACT_DEPTH`] or
//! invalid text alike: the caller then runs the general scanner, which decides (so these can
//! only accept what the general scanner accepts, never change an answer).

use super::fast::{literal, number_end, str_end_esc};

/// Deepest nesting [`compact_end`] follows (one bit of its stack per level).
pub(crate) const COMPACT_DEPTH: u32 = 64;

/// End of the object key (string and colon) at `i` in compact JSON.
#[inline(always)]
fn compact_key(
    b: &[u8],
    i: usize,
    string_end: &mut impl FnMut(&[u8], usize) -> Option<usize>,
) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let e = string_end(b, i)?;
    if b.get(e) == Some(&b':') {
        Some(e + 1)
    } else {
        None
    }
}

/// The walk: the end of the compact value starting at `i`, with `string_end(b, k)` the end
/// (after the closing quote) of the valid string whose opening quote is at `k`, `None` if it
/// is not one.
#[inline(always)]
fn walk(
    b: &[u8],
    mut i: usize,
    mut string_end: impl FnMut(&[u8], usize) -> Option<usize>,
) -> Option<usize> {
    let mut stack: u64 = 0; // bit 0: the innermost container is an object
    let mut depth = 0u32;
    'value: loop {
        match *b.get(i)? {
            b'"' => i = string_end(b, i)?,
            b'{' => {
                if b.get(i + 1) == Some(&b'}') {
                    i += 2;
                } else {
                    if depth == COMPACT_DEPTH {
                        return None;
                    }
                    stack = (stack << 1) | 1;
                    depth += 1;
                    i = compact_key(b, i + 1, &mut string_end)?;
                    continue 'value;
                }
            }
            b'[' => {
                if b.get(i + 1) == Some(&b']') {
                    i += 2;
                } else {
                    if depth == COMPACT_DEPTH {
                        return None;
                    }
                    stack <<= 1;
                    depth += 1;
                    i += 1;
                    continue 'value;
                }
            }
            b'-' | b'0'..=b'9' => i = number_end(b, i).ok()?,
            b't' => i = literal(b, i, b"true").ok()?,
            b'f' => i = literal(b, i, b"false").ok()?,
            b'n' => i = literal(b, i, b"null").ok()?,
            _ => return None,
        }
        // After a value: close containers until a comma opens the next value.
        loop {
            if depth == 0 {
                return Some(i);
            }
            let in_object = stack & 1 == 1;
            match (b.get(i), in_object) {
                (Some(b','), true) => {
                    i = compact_key(b, i + 1, &mut string_end)?;
                    continue 'value;
                }
                (Some(b','), false) => {
                    i += 1;
                    continue 'value;
                }
                (Some(b'}'), true) | (Some(b']'), false) => {
                    stack >>= 1;
                    depth -= 1;
                    i += 1;
                }
                _ => return None,
            }
        }
    }
}

/// The end of the compact JSON value starting at `i` (see the module docs), every string
/// scanned on its own.
#[inline]
pub(crate) fn compact_end(b: &[u8], i: usize) -> Option<usize> {
    walk(b, i, |b, k| str_end_esc(b, k).map(|(e, _)| e))
}

/// The quote bits of a text, taken lowest first.
struct Quotes<'q> {
    /// The words (bit `k % 64` of word `k / 64` for position `k`).
    q: &'q [u64; 4],
    /// The word being taken, and its bits not taken yet.
    w: usize,
    bits: u64,
}

impl Quotes<'_> {
    /// The next quote's position, `None` when there is none left.
    #[inline(always)]
    fn take(&mut self) -> Option<usize> {
        while self.bits == 0 {
            self.w += 1;
            self.bits = *self.q.get(self.w)?;
        }
        let at = self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Some(self.w * 64 + at)
    }

    /// The end of the string whose opening quote is at `k`: the walk meets every quote of the
    /// text in order (quotes occur only in strings, and a string is stepped over as a whole),
    /// so the next quote taken is `k` and the one after it closes the string.
    #[inline(always)]
    fn string_end(&mut self, k: usize) -> Option<usize> {
        if self.take()? != k {
            return None;
        }
        Some(self.take()? + 1)
    }
}

/// Is `b` exactly one compact JSON value (see the module docs)? The same answer as
/// `compact_end(b, 0) == Some(b.len())`, faster when `b` has no escapes (16 to 256 bytes,
/// on x86-64): then one classification pass replaces every per-string scan.
#[inline]
pub(crate) fn compact_whole(b: &[u8]) -> bool {
    let mut q = [0u64; 4];
    if crate::arch::json_plain_quotes(b, &mut q) {
        // No backslash and no control byte anywhere: a string's closing quote is the next
        // quote, and every byte before it is allowed in a string (UTF-8 is given by `&str`).
        let mut quotes = Quotes {
            q: &q,
            w: 0,
            bits: q[0],
        };
        walk(b, 0, |_, k| quotes.string_end(k)) == Some(b.len())
    } else {
        compact_whole_scanned(b)
    }
}

/// [`compact_whole`] for text with escapes (or outside the classified sizes): every string
/// scanned on its own. Out of line, so that the walk over the quote bits keeps its registers.
#[inline(never)]
fn compact_whole_scanned(b: &[u8]) -> bool {
    compact_end(b, 0) == Some(b.len())
}
