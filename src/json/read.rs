//! Reading scalar tokens: string tokens compared, borrowed or unescaped (decoding `\u` escapes
//! and surrogate pairs), and non-negative integers.

use super::error::err;
use super::{JsonError, JsonErrorKind};

/// Decodes the characters of a raw string token (with quotes), one `char` at a time.
struct StrChars<'b> {
    b: &'b [u8],
    s: &'b str,
    i: usize,
    end: usize,
}

impl<'b> StrChars<'b> {
    fn new(raw: &'b str) -> Option<Self> {
        let b = raw.as_bytes();
        if b.len() < 2 || b[0] != b'"' || b[b.len() - 1] != b'"' {
            return None;
        }
        Some(StrChars {
            b,
            s: raw,
            i: 1,
            end: b.len() - 1,
        })
    }

    fn hex4(&self, at: usize) -> Result<u32, JsonError> {
        let mut v = 0u32;
        for k in 0..4 {
            let h = *self
                .b
                .get(at + k)
                .filter(|_| at + k < self.end)
                .ok_or(JsonError {
                    offset: at + k,
                    kind: JsonErrorKind::UnexpectedEnd,
                })?;
            let d = (h as char).to_digit(16).ok_or(JsonError {
                offset: at + k,
                kind: JsonErrorKind::InvalidEscape,
            })?;
            v = v * 16 + d;
        }
        Ok(v)
    }
}

impl Iterator for StrChars<'_> {
    type Item = Result<char, JsonError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.i >= self.end {
            return None;
        }
        let at = self.i;
        let b = self.b[at];
        if b != b'\\' {
            let c = self.s[at..].chars().next()?;
            if (c as u32) < 0x20 || c == '"' {
                self.i = self.end;
                return Some(err(
                    at,
                    if c == '"' {
                        JsonErrorKind::UnexpectedByte(b'"')
                    } else {
                        JsonErrorKind::ControlCharacter
                    },
                ));
            }
            self.i += c.len_utf8();
            return Some(Ok(c));
        }
        let esc = match self.b.get(at + 1).filter(|_| at + 1 < self.end) {
            Some(&e) => e,
            None => {
                self.i = self.end;
                return Some(err(at, JsonErrorKind::InvalidEscape));
            }
        };
        let simple = match esc {
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            b'/' => Some('/'),
            b'b' => Some('\u{8}'),
            b'f' => Some('\u{c}'),
            b'n' => Some('\n'),
            b'r' => Some('\r'),
            b't' => Some('\t'),
            b'u' => None,
            _ => {
                self.i = self.end;
                return Some(err(at, JsonErrorKind::InvalidEscape));
            }
        };
        if let Some(c) = simple {
            self.i += 2;
            return Some(Ok(c));
        }
        let r = (|| {
            let hi = self.hex4(at + 2)?;
            if !(0xD800..0xE000).contains(&hi) {
                self.i = at + 6;
                return Ok(char::from_u32(hi).expect("not a surrogate"));
            }
            if hi >= 0xDC00
                || self.b.get(at + 6) != Some(&b'\\')
                || self.b.get(at + 7) != Some(&b'u')
            {
                return err(at, JsonErrorKind::LoneSurrogate);
            }
            let lo = self.hex4(at + 8)?;
            if !(0xDC00..0xE000).contains(&lo) {
                return err(at, JsonErrorKind::LoneSurrogate);
            }
            self.i = at + 12;
            let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
            Ok(char::from_u32(c).expect("valid supplementary code point"))
        })();
        if r.is_err() {
            self.i = self.end;
        }
        Some(r)
    }
}

/// Compares a raw JSON string token (with quotes and possibly escapes) with `s`, without
/// allocating. Returns `false` for anything that is not a well-formed string token.
///
/// ```
/// assert!(sockwire::json::string_eq(r#""caf\u00e9""#, "café"));
/// assert!(!sockwire::json::string_eq("1", "1"));
/// ```
pub fn string_eq(raw: &str, s: &str) -> bool {
    if let Some(inner) = str_borrowed(raw) {
        return inner == s;
    }
    let Some(chars) = StrChars::new(raw) else {
        return false;
    };
    let mut want = s.chars();
    for c in chars {
        match c {
            Ok(c) if want.next() == Some(c) => {}
            _ => return false,
        }
    }
    want.next().is_none()
}

/// The contents of a raw string token when it has no escapes (so it can be borrowed as is);
/// `None` when it has escapes or is not a string token.
pub fn str_borrowed(raw: &str) -> Option<&str> {
    let b = raw.as_bytes();
    if b.len() < 2 || b[0] != b'"' || b[b.len() - 1] != b'"' {
        return None;
    }
    let inner = &raw[1..raw.len() - 1];
    if inner.bytes().any(|c| c == b'\\' || c == b'"' || c < 0x20) {
        return None;
    }
    Some(inner)
}

/// Decodes a raw string token (with quotes) into its value, borrowing when it has no escapes.
#[cfg(feature = "alloc")]
pub fn unescape(raw: &str) -> Result<alloc::borrow::Cow<'_, str>, JsonError> {
    use alloc::borrow::Cow;
    if let Some(inner) = str_borrowed(raw) {
        return Ok(Cow::Borrowed(inner));
    }
    let chars = StrChars::new(raw).ok_or(JsonError {
        offset: 0,
        kind: JsonErrorKind::WrongType,
    })?;
    let mut out = alloc::string::String::with_capacity(raw.len());
    for c in chars {
        out.push(c?);
    }
    Ok(Cow::Owned(out))
}

/// Reads a raw number token as a `u64`: digits only (no sign, fraction or exponent), no leading
/// zero, no overflow. Anything else is `None`.
///
/// ```
/// assert_eq!(sockwire::json::parse_u64("42"), Some(42));
/// assert_eq!(sockwire::json::parse_u64("4.0"), None);
/// assert_eq!(sockwire::json::parse_u64("18446744073709551616"), None);
/// ```
pub fn parse_u64(raw: &str) -> Option<u64> {
    let b = raw.as_bytes();
    if b.is_empty() || (b[0] == b'0' && b.len() > 1) {
        return None;
    }
    let mut v: u64 = 0;
    if b.len() <= 19 {
        // At most 19 digits cannot overflow (10^19 - 1 < 2^64): no checked arithmetic.
        for &c in b {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            v = v * 10 + u64::from(d);
        }
        return Some(v);
    }
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(v)
}
