//! The string writer: escapes exactly as `JSON.stringify` does, into a `fmt::Write`, a `String`,
//! a `Vec<u8>` or a fixed slice.

use core::fmt;

/// The escape `JSON.stringify` writes for byte `b`, if any: `\\"`, `\\\\`, the short escapes,
/// or `\\u00xx` with lowercase hex for the other control characters.
#[inline]
fn escape_of(b: u8) -> Option<&'static str> {
    const CONTROL: [&str; 32] = [
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\b", "\\t", "\\n", "\\u000b", "\\f", "\\r", "\\u000e", "\\u000f", "\\u0010", "\\u0011",
        "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017", "\\u0018", "\\u0019",
        "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
    ];
    match b {
        b'"' => Some("\\\""),
        b'\\' => Some("\\\\"),
        0..=0x1f => Some(CONTROL[usize::from(b)]),
        _ => None,
    }
}

/// The index of the first byte of `b` that needs an escape, or `b.len()`: eight bytes at a
/// time, the last (partial) word read overlapping the one before it, so nothing is copied.
#[inline]
fn first_special(b: &[u8]) -> usize {
    let Some(last) = b.len().checked_sub(8) else {
        return b
            .iter()
            .position(|&c| escape_of(c).is_some())
            .unwrap_or(b.len());
    };
    let word = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[at..at + 8]);
        super::scan::special_bytes(u64::from_le_bytes(w))
    };
    let mut i = 0;
    while i < last {
        let m = word(i);
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    // The bytes before `i` are plain, so the lowest flag of the last word is exact (see
    // `special_bytes`) and lies at or after `i`.
    let m = word(last);
    if m != 0 {
        last + (m.trailing_zeros() / 8) as usize
    } else {
        b.len()
    }
}

/// Whether `s` is written by [`write_str`] as itself between quotes (no byte needs an escape).
#[cfg(feature = "alloc")]
#[inline]
pub(crate) fn is_plain(s: &str) -> bool {
    first_special(s.as_bytes()) == s.len()
}

/// Calls `sink` with consecutive pieces of `s` written as a JSON string (quotes included).
/// Escapes are ASCII, so every cut falls on a character boundary.
#[inline]
fn write_pieces<E>(s: &str, mut sink: impl FnMut(&str) -> Result<(), E>) -> Result<(), E> {
    sink("\"")?;
    let b = s.as_bytes();
    let first = first_special(b);
    if first == b.len() {
        // Nothing to escape (event names, keys): one piece.
        sink(s)?;
        return sink("\"");
    }
    let mut run = 0;
    for (i, &c) in b.iter().enumerate().skip(first) {
        if let Some(e) = escape_of(c) {
            sink(&s[run..i])?;
            sink(e)?;
            run = i + 1;
        }
    }
    sink(&s[run..])?;
    sink("\"")
}

/// The length of `s` written by [`write_str`] (quotes included).
pub fn escaped_len(s: &str) -> usize {
    let mut n = 0;
    let _ = write_pieces::<()>(s, |p| {
        n += p.len();
        Ok(())
    });
    n
}

/// Writes `s` as a JSON string, quotes included, byte-for-byte as `JSON.stringify` would
/// (non-ASCII characters are written as they are).
///
/// ```
/// let mut out = String::new();
/// sockwire::json::write_str(&mut out, "a\"b\n\u{1}é").unwrap();
/// assert_eq!(out, r#""a\"b\n\u0001é""#);
/// ```
pub fn write_str<W: fmt::Write + ?Sized>(out: &mut W, s: &str) -> fmt::Result {
    write_pieces(s, |p| out.write_str(p))
}

/// Appends `s` as a JSON string to a `String` (the infallible form of [`write_str`]).
#[cfg(feature = "alloc")]
pub fn push_string(out: &mut alloc::string::String, s: &str) {
    out.reserve(s.len() + 2);
    if is_plain(s) {
        // Nothing to escape (event names, keys): the quotes as single bytes, not as pieces.
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    let _ = write_pieces::<()>(s, |p| {
        out.push_str(p);
        Ok(())
    });
}

/// Appends `s` as a JSON string to `out` (the fast path of [`write_str`] for byte buffers).
#[cfg(feature = "alloc")]
pub fn push_str(out: &mut alloc::vec::Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    let _ = write_pieces::<()>(s, |p| {
        out.extend_from_slice(p.as_bytes());
        Ok(())
    });
}

/// Writes `s` as a JSON string into `out`, returning the bytes written, or `None` (with `out`
/// untouched) when `out` is shorter than [`escaped_len`].
pub fn write_str_to_slice(s: &str, out: &mut [u8]) -> Option<usize> {
    let need = escaped_len(s);
    if out.len() < need {
        return None;
    }
    let mut at = 0;
    let _ = write_pieces::<()>(s, |p| {
        out[at..at + p.len()].copy_from_slice(p.as_bytes());
        at += p.len();
        Ok(())
    });
    Some(at)
}
