//! The fast path of the JSON scanner: what the Socket.IO codec runs on every packet.
//!
//! A strict RFC 8259 recursive-descent [`Scanner`] over raw bytes (depth-capped, no allocation)
//! that can check Socket.IO binary placeholders and record an argument's members while
//! validating, the one-shot [`compact_end`] validator for compact text (also the first try of
//! [`validate`](super::validate)), plus a `JSON.stringify`-exact string writer, a minifier and a
//! raw-key comparison that understands escapes. Strings are scanned by the shared word-at-a-time
//! scanner of [`scan`](super::scan). Everything works on slices of a `&str`, so UTF-8 validity is
//! already given and only the grammar is checked; errors are coarse ([`ScanError`]): callers that
//! need an offset and a reason rescan with the [`Tokenizer`](super::Tokenizer).
// Without `alloc` only `compact_end` (the fast path of `validate`) is used.
#![cfg_attr(not(feature = "alloc"), allow(dead_code))]

#[cfg(feature = "alloc")]
use alloc::string::String;

/// Why a JSON text was rejected (the Socket.IO layer maps it to its `SocketIoError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanError {
    /// Not a JSON text.
    Syntax,
    /// Nested deeper than the configured cap.
    TooDeep,
    /// A `{"_placeholder":true,...}` object whose `num` is missing, not a non-negative integer,
    /// not below the attachment count, or whose keys are duplicated.
    Placeholder,
}

/// What the scanner learnt about a value.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ScanInfo {
    /// Whitespace outside strings was seen (the text is not in `JSON.stringify` form).
    pub whitespace: bool,
    /// Number of placeholder objects seen (only counted when placeholders are checked).
    pub placeholders: usize,
    /// [`Scanner::array_head`]: the first element is a string holding an escape.
    pub first_escaped: bool,
}

#[inline]
pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

#[inline]
pub(crate) fn skip_ws(b: &[u8], mut i: usize) -> usize {
    match b.get(i) {
        Some(&c) if is_ws(c) => {}
        _ => return i,
    }
    while i < b.len() && is_ws(b[i]) {
        i += 1;
    }
    i
}

/// The scanner. `attachments` is `Some(count)` to check placeholders of a binary packet.
pub(crate) struct Scanner<'b> {
    b: &'b [u8],
    depth_left: usize,
    attachments: Option<usize>,
    /// Take the canonical-placeholder shortcut (off only to test it against the general path).
    fast_placeholders: bool,
    pub(crate) info: ScanInfo,
}

impl<'b> Scanner<'b> {
    pub(crate) fn new(b: &'b [u8], max_depth: usize, attachments: Option<usize>) -> Self {
        Scanner {
            b,
            depth_left: max_depth,
            attachments,
            fast_placeholders: true,
            info: ScanInfo::default(),
        }
    }

    /// Skips whitespace, recording that some was seen.
    #[inline]
    fn ws(&mut self, i: usize) -> usize {
        let j = skip_ws(self.b, i);
        if j != i {
            self.info.whitespace = true;
        }
        j
    }

    /// Scans one value starting exactly at `i` (no leading whitespace); returns its end.
    pub(crate) fn value(&mut self, i: usize) -> Result<usize, ScanError> {
        match self.b.get(i) {
            Some(b'"') => string_end(self.b, i),
            Some(b'{') => self.object(i),
            Some(b'[') => self.array(i),
            Some(b't') => literal(self.b, i, b"true"),
            Some(b'f') => literal(self.b, i, b"false"),
            Some(b'n') => literal(self.b, i, b"null"),
            Some(b'-' | b'0'..=b'9') => number_end(self.b, i),
            _ => Err(ScanError::Syntax),
        }
    }

    fn enter(&mut self) -> Result<(), ScanError> {
        if self.depth_left == 0 {
            return Err(ScanError::TooDeep);
        }
        self.depth_left -= 1;
        Ok(())
    }

    fn array(&mut self, i: usize) -> Result<usize, ScanError> {
        self.enter()?;
        let mut j = self.ws(i + 1);
        if self.b.get(j) == Some(&b']') {
            self.depth_left += 1;
            return Ok(j + 1);
        }
        loop {
            j = self.value(j)?;
            j = self.ws(j);
            match self.b.get(j) {
                Some(b',') => j = self.ws(j + 1),
                Some(b']') => {
                    self.depth_left += 1;
                    return Ok(j + 1);
                }
                _ => return Err(ScanError::Syntax),
            }
        }
    }

    /// Scans the array starting at `i` like [`value`](Self::value), recording the ranges of
    /// its first two elements; when element `rec` is a flat object (see [`flat_object`]) its
    /// members are recorded in `flat` (`flat.len` is `FLAT_NONE` otherwise).
    pub(crate) fn array_head(
        &mut self,
        i: usize,
        elems: &mut [Option<(usize, usize)>; 2],
        rec: usize,
        flat: &mut FlatMembers,
    ) -> Result<usize, ScanError> {
        self.enter()?;
        let mut j = self.ws(i + 1);
        if self.b.get(j) == Some(&b']') {
            self.depth_left += 1;
            return Ok(j + 1);
        }
        let mut n = 0;
        loop {
            let start = j;
            j = match self.b.get(j) {
                Some(b'"') => {
                    let (end, esc) = str_end_esc(self.b, j).ok_or(ScanError::Syntax)?;
                    if n == 0 {
                        self.info.first_escaped = esc;
                    }
                    end
                }
                Some(b'{') if n == rec && self.attachments.is_none() && self.depth_left > 0 => {
                    match flat_object(self.b, j, flat) {
                        Some(end) => end,
                        None => {
                            flat.len = FLAT_NONE;
                            self.value(j)?
                        }
                    }
                }
                _ => self.value(j)?,
            };
            if let Some(slot) = elems.get_mut(n) {
                *slot = Some((start, j));
            }
            n += 1;
            j = self.ws(j);
            match self.b.get(j) {
                Some(b',') => j = self.ws(j + 1),
                Some(b']') => {
                    self.depth_left += 1;
                    return Ok(j + 1);
                }
                _ => return Err(ScanError::Syntax),
            }
        }
    }

    fn object(&mut self, i: usize) -> Result<usize, ScanError> {
        self.enter()?;
        if let (Some(count), true) = (self.attachments, self.fast_placeholders) {
            // The form every socket.io encoder writes, checked in one comparison.
            if let Some((end, n)) = canonical_placeholder(self.b, i) {
                if n >= count {
                    return Err(ScanError::Placeholder);
                }
                self.info.placeholders += 1;
                self.depth_left += 1;
                return Ok(end);
            }
        }
        let mut j = self.ws(i + 1);
        // Placeholder bookkeeping (only when checking a binary packet).
        let mut placeholder: Option<bool> = None; // value of `_placeholder` is `true`?
        let mut num: Option<(usize, usize)> = None;
        let mut dup = false;
        if self.b.get(j) == Some(&b'}') {
            self.depth_left += 1;
            return Ok(j + 1);
        }
        loop {
            if self.b.get(j) != Some(&b'"') {
                return Err(ScanError::Syntax);
            }
            let key_end = string_end(self.b, j)?;
            let key = &self.b[j + 1..key_end - 1];
            j = self.ws(key_end);
            if self.b.get(j) != Some(&b':') {
                return Err(ScanError::Syntax);
            }
            j = self.ws(j + 1);
            let vstart = j;
            j = self.value(j)?;
            if self.attachments.is_some() {
                if raw_eq(key, "_placeholder") {
                    dup |= placeholder.is_some();
                    placeholder = Some(&self.b[vstart..j] == b"true");
                } else if raw_eq(key, "num") {
                    dup |= num.is_some();
                    num = Some((vstart, j));
                }
            }
            j = self.ws(j);
            match self.b.get(j) {
                Some(b',') => j = self.ws(j + 1),
                Some(b'}') => break,
                _ => return Err(ScanError::Syntax),
            }
        }
        self.depth_left += 1;
        if let (Some(count), Some(true)) = (self.attachments, placeholder) {
            if dup {
                return Err(ScanError::Placeholder);
            }
            let (s, e) = num.ok_or(ScanError::Placeholder)?;
            match parse_index(&self.b[s..e]) {
                Some(n) if n < count => self.info.placeholders += 1,
                _ => return Err(ScanError::Placeholder),
            }
        }
        Ok(j + 1)
    }
}

/// The placeholder prefix every socket.io encoder writes (then the digits of `num` and `}`).
const CANONICAL_PLACEHOLDER: &[u8; 27] = br#"{"_placeholder":true,"num":"#;

/// If the text at `i` is exactly `{"_placeholder":true,"num":<index>}` (the index a plain
/// non-negative integer, as [`parse_index`] reads it), its end and the index. `None` for
/// anything else, left to the general scanner.
#[inline]
fn canonical_placeholder(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let rest = b.get(i..)?.strip_prefix(&CANONICAL_PLACEHOLDER[..])?;
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if rest.get(digits) != Some(&b'}') {
        return None;
    }
    let n = parse_index(&rest[..digits])?;
    Some((i + CANONICAL_PLACEHOLDER.len() + digits + 1, n))
}

/// How many members of a flat object are recorded (larger objects are read by rescanning).
pub(crate) const FLAT_CAP: usize = 8;
/// `FlatMembers::len` when nothing usable was recorded.
pub(crate) const FLAT_NONE: u8 = u8::MAX;

/// Member ranges of a flat object, recorded while validating it: `(key start, value start,
/// value end)` as offsets into the scanned text (keys keep their quotes and end at `value start
/// - 1`, the colon). Bit `2n` of `esc` is set when key `n` holds an escape, bit `2n + 1` when
/// value `n` does (so reading them needs no second scan).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FlatMembers {
    pub(crate) len: u8,
    pub(crate) esc: u16,
    pub(crate) at: [(u16, u16, u16); FLAT_CAP],
}

impl FlatMembers {
    pub(crate) const NONE: FlatMembers = FlatMembers {
        len: FLAT_NONE,
        esc: 0,
        at: [(0, 0, 0); FLAT_CAP],
    };
}

/// Fast path for the most common argument shape: a compact object (no whitespace) whose values
/// are all strings, numbers or literals. Validates it strictly and returns its end, recording up
/// to [`FLAT_CAP`] members in `rec` (`rec.len` is [`FLAT_NONE`] when there were more, or the text
/// is too long for `u16` offsets), with which of their strings hold escapes. Returns `None` for
/// anything else — whitespace, nesting, or invalid text — and the caller then runs the general
/// [`Scanner`], which decides.
#[inline]
pub(crate) fn flat_object(b: &[u8], i: usize, rec: &mut FlatMembers) -> Option<usize> {
    let mut j = i + 1;
    let mut n = 0usize;
    let mut esc = 0u32;
    let fits = u16::try_from(b.len()).is_ok();
    if b.get(j) == Some(&b'}') {
        rec.len = if fits { 0 } else { FLAT_NONE };
        rec.esc = 0;
        return Some(j + 1);
    }
    loop {
        if b.get(j) != Some(&b'"') {
            return None;
        }
        let k = j;
        let (ke, kesc) = str_end_esc(b, j)?;
        if b.get(ke) != Some(&b':') {
            return None;
        }
        let v = ke + 1;
        let (ve, vesc) = match *b.get(v)? {
            b'"' => str_end_esc(b, v)?,
            b'-' | b'0'..=b'9' => (number_end(b, v).ok()?, false),
            b't' => (literal(b, v, b"true").ok()?, false),
            b'f' => (literal(b, v, b"false").ok()?, false),
            b'n' => (literal(b, v, b"null").ok()?, false),
            _ => return None,
        };
        if let Some(slot) = rec.at.get_mut(n) {
            // Truncation is harmless: `fits` below discards the record when it could occur.
            *slot = (k as u16, v as u16, ve as u16);
            esc |= (u32::from(kesc) | (u32::from(vesc) << 1)) << (2 * n);
        }
        n += 1;
        match b.get(ve) {
            Some(b',') => j = ve + 1,
            Some(b'}') => {
                rec.len = if fits && n <= FLAT_CAP {
                    n as u8
                } else {
                    FLAT_NONE
                };
                rec.esc = esc as u16;
                return Some(ve + 1);
            }
            _ => return None,
        }
    }
}

/// End (after the closing quote) of the string token whose opening quote is at `i`, and whether
/// it holds an escape; `None` if it is not a valid JSON string. One pass: plain bytes are
/// skipped sixteen at a time with SSE2 ([`crate::arch::json_string_stop`]; eight at a time in
/// a `u64` elsewhere, or in text under 16 bytes), escapes checked as they come.
#[inline(always)]
pub(crate) fn str_end_esc(b: &[u8], i: usize) -> Option<(usize, bool)> {
    let mut j = i + 1;
    let mut esc = false;
    loop {
        // 16 bytes at a time where the CPU allows (SSE2), straight to the byte that stops.
        if let Some((k, quote)) = crate::arch::json_string_stop(b, j) {
            if quote {
                return Some((k + 1, esc));
            }
            j = k;
            match *b.get(j)? {
                b'"' => return Some((j + 1, esc)),
                b'\\' => {}
                _ => return None,
            }
        } else {
            // Short text, or no SSE2: eight bytes at a time, then byte by byte.
            while let Some(w) = b.get(j..).and_then(<[u8]>::first_chunk::<8>) {
                let (m, quote) = super::scan::special_and_quote(u64::from_le_bytes(*w));
                if m != 0 {
                    let first = m & m.wrapping_neg();
                    j += (first.trailing_zeros() / 8) as usize;
                    if quote & first != 0 {
                        // The first special byte is the closing quote: no need to load it again.
                        return Some((j + 1, esc));
                    }
                    break;
                }
                j += 8;
            }
            loop {
                let c = *b.get(j)?;
                if c == b'"' {
                    return Some((j + 1, esc));
                }
                if c == b'\\' {
                    break;
                }
                if c < 0x20 {
                    return None;
                }
                j += 1;
            }
        }
        esc = true;
        match *b.get(j + 1)? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => j += 2,
            b'u' => {
                if !b.get(j + 2..j + 6)?.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                j += 6;
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
pub(crate) use super::compact::compact_end;
pub(crate) use super::compact::{COMPACT_DEPTH, compact_whole};

/// Validates that `b` is exactly one JSON value, optionally surrounded by trailing whitespace.
/// Leading whitespace is rejected (see the packet docs). Returns the end of the value.
pub(crate) fn validate(
    b: &[u8],
    max_depth: usize,
    attachments: Option<usize>,
) -> Result<(usize, ScanInfo), ScanError> {
    let mut s = Scanner::new(b, max_depth, attachments);
    let end = s.value(0)?;
    if skip_ws(b, end) != b.len() {
        return Err(ScanError::Syntax);
    }
    Ok((end, s.info))
}

/// A non-negative integer written with digits only (`0` or no leading zero), as a `usize`.
pub(crate) fn parse_index(b: &[u8]) -> Option<usize> {
    if b.is_empty() || b.len() > 10 || (b.len() > 1 && b[0] == b'0') {
        return None;
    }
    let mut n: usize = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(usize::from(c - b'0'))?;
    }
    Some(n)
}

#[inline]
pub(crate) fn literal(b: &[u8], i: usize, lit: &[u8]) -> Result<usize, ScanError> {
    if b.len() >= i + lit.len() && &b[i..i + lit.len()] == lit {
        Ok(i + lit.len())
    } else {
        Err(ScanError::Syntax)
    }
}

/// End of the run of ASCII digits starting at `i` (16 at a time with SSE2 where the text
/// allows, byte by byte otherwise).
#[inline(always)]
fn digits_end(b: &[u8], mut i: usize) -> usize {
    if let Some(k) = crate::arch::digit_run_end(b, i) {
        return k;
    }
    while matches!(b.get(i), Some(b'0'..=b'9')) {
        i += 1;
    }
    i
}

/// End (exclusive) of the number starting at `i`, strictly `-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`.
#[inline(always)]
pub(crate) fn number_end(b: &[u8], mut i: usize) -> Result<usize, ScanError> {
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits_end(b, i + 1),
        _ => return Err(ScanError::Syntax),
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !matches!(b.get(i), Some(b'0'..=b'9')) {
            return Err(ScanError::Syntax);
        }
        while matches!(b.get(i), Some(b'0'..=b'9')) {
            i += 1;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !matches!(b.get(i), Some(b'0'..=b'9')) {
            return Err(ScanError::Syntax);
        }
        while matches!(b.get(i), Some(b'0'..=b'9')) {
            i += 1;
        }
    }
    Ok(i)
}

/// End (exclusive, after the closing quote) of the string starting with the quote at `i`
/// (the crate's scanner, word at a time).
#[inline(always)]
pub(crate) fn string_end(b: &[u8], i: usize) -> Result<usize, ScanError> {
    super::scan_string(b, i).map_err(|_| ScanError::Syntax)
}

/// End of the value starting at `i` in text already validated by [`Scanner`]: brackets and
/// strings are matched without checking the grammar again (never panics on any input).
pub(crate) fn skip_value(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'"') => string_end(b, i).unwrap_or(b.len()),
        Some(b'[' | b'{') => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = string_end(b, j).unwrap_or(b.len());
                        continue;
                    }
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            return j + 1;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            b.len()
        }
        Some(_) => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r')
            {
                j += 1;
            }
            j
        }
        None => i,
    }
}

/// Decodes the escape at `raw[i..]` (which starts with a backslash) into chars; returns the char
/// (lone surrogates become U+FFFD, as a Rust `String` cannot hold them) and the bytes consumed.
fn unescape_at(raw: &[u8], i: usize) -> (char, usize) {
    let hex4 = |at: usize| -> Option<u32> {
        let h = raw.get(at..at + 4)?;
        let s = core::str::from_utf8(h).ok()?;
        u32::from_str_radix(s, 16).ok()
    };
    match raw.get(i + 1) {
        Some(b'"') => ('"', 2),
        Some(b'\\') => ('\\', 2),
        Some(b'/') => ('/', 2),
        Some(b'b') => ('\u{8}', 2),
        Some(b'f') => ('\u{c}', 2),
        Some(b'n') => ('\n', 2),
        Some(b'r') => ('\r', 2),
        Some(b't') => ('\t', 2),
        Some(b'u') => {
            let Some(hi) = hex4(i + 2) else {
                return ('\u{fffd}', raw.len() - i);
            };
            if (0xD800..0xDC00).contains(&hi)
                && raw.get(i + 6) == Some(&b'\\')
                && raw.get(i + 7) == Some(&b'u')
            {
                if let Some(lo) = hex4(i + 8) {
                    if (0xDC00..0xE000).contains(&lo) {
                        let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                        return (char::from_u32(c).unwrap_or('\u{fffd}'), 12);
                    }
                }
            }
            (char::from_u32(hi).unwrap_or('\u{fffd}'), 6)
        }
        _ => ('\u{fffd}', 1),
    }
}

/// Compares the inside of a raw (validated) JSON string token with `s`, honouring escapes.
pub(crate) fn raw_eq(raw: &[u8], s: &str) -> bool {
    // An escape is always longer than what it stands for, so a raw token shorter than `s`
    // cannot match, and one of the same length matches only byte for byte (for an `s` without
    // backslashes, which is how this is used).
    if raw.len() <= s.len() {
        return raw == s.as_bytes();
    }
    if !raw.contains(&b'\\') {
        return false;
    }
    let mut i = 0;
    let mut chars = s.chars();
    while i < raw.len() {
        if raw[i] == b'\\' {
            let (c, n) = unescape_at(raw, i);
            if chars.next() != Some(c) {
                return false;
            }
            i += n;
        } else {
            // Compare one UTF-8 encoded char.
            let Some(c) = chars.next() else { return false };
            let mut buf = [0u8; 4];
            let enc = c.encode_utf8(&mut buf).as_bytes();
            if raw.get(i..i + enc.len()) != Some(enc) {
                return false;
            }
            i += enc.len();
        }
    }
    chars.next().is_none()
}

#[cfg(feature = "alloc")]
/// Appends the unescaped inside of a raw (validated) JSON string token.
pub(crate) fn unescape_into(raw: &str, out: &mut String) {
    let b = raw.as_bytes();
    let mut i = 0;
    let mut start = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            out.push_str(&raw[start..i]);
            let (c, n) = unescape_at(b, i);
            out.push(c);
            i += n;
            start = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&raw[start..]);
}

#[cfg(feature = "alloc")]
/// Writes `s` as a JSON string exactly like `JSON.stringify` does.
#[inline]
pub(crate) fn write_str(out: &mut String, s: &str) {
    super::push_string(out, s);
}

#[cfg(feature = "alloc")]
/// Appends a validated JSON text without the whitespace outside strings.
pub(crate) fn write_minified(out: &mut String, json: &str) {
    let b = json.as_bytes();
    let mut in_str = false;
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_str {
            if c == b'\\' {
                i += 2;
                continue;
            }
            if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else if is_ws(c) {
            out.push_str(&json[start..i]);
            start = i + 1;
        }
        i += 1;
    }
    out.push_str(&json[start..]);
}

/// If the validated object `obj` is a placeholder (`_placeholder` is `true`), its `num`.
/// Returns `Some(None)` for a placeholder whose `num` is not a valid index.
pub(crate) fn placeholder_num(obj: &[u8]) -> Option<Option<usize>> {
    // The form every socket.io encoder writes, `{"_placeholder":true,"num":<digits>}`, in
    // one fixed-size comparison; anything else goes through the member loop below.
    if let Some((head, rest)) = obj.split_first_chunk::<27>() {
        if let (true, Some((b'}', digits))) = (head == CANONICAL_PLACEHOLDER, rest.split_last()) {
            if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
                return Some(parse_index(digits));
            }
        }
    }
    if obj.first() != Some(&b'{') {
        return None;
    }
    let mut j = skip_ws(obj, 1);
    let mut is_ph = false;
    let mut num = None;
    let mut s = Scanner::new(obj, usize::MAX, None);
    while obj.get(j) == Some(&b'"') {
        let key_end = string_end(obj, j).ok()?;
        let key = &obj[j + 1..key_end - 1];
        j = skip_ws(obj, key_end);
        j = skip_ws(obj, j + 1); // ':'
        let vs = j;
        j = s.value(j).ok()?;
        if raw_eq(key, "_placeholder") {
            is_ph = &obj[vs..j] == b"true";
        } else if raw_eq(key, "num") {
            num = parse_index(&obj[vs..j]);
        }
        j = skip_ws(obj, j);
        if obj.get(j) == Some(&b',') {
            j = skip_ws(obj, j + 1);
        }
    }
    if is_ph { Some(num) } else { None }
}

// The tests build their inputs in `String`s.
#[cfg(all(test, feature = "alloc"))]
pub(crate) mod tests;
