//! The small slice of JSON this layer needs, kept private to `socketio`.
//!
//! A strict RFC 8259 recursive-descent scanner over raw bytes (depth-capped, no allocation), which
//! can at the same time check Socket.IO binary placeholders, plus a `JSON.stringify`-exact string
//! writer, a minifier and a raw-key comparison that understands escapes. Everything works on
//! slices of a `&str`, so UTF-8 validity is already given and only the JSON grammar is checked.

use alloc::string::String;

/// Why a JSON text was rejected (this layer maps it to `SocketIoError`).
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
    pub(crate) info: ScanInfo,
}

impl<'b> Scanner<'b> {
    pub(crate) fn new(b: &'b [u8], max_depth: usize, attachments: Option<usize>) -> Self {
        Scanner {
            b,
            depth_left: max_depth,
            attachments,
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

/// How many members of a flat object are recorded (larger objects are read by rescanning).
pub(crate) const FLAT_CAP: usize = 8;
/// `FlatMembers::len` when nothing usable was recorded.
pub(crate) const FLAT_NONE: u8 = u8::MAX;

/// Member ranges of a flat object, recorded while validating it: `(key start, value start,
/// value end)` as offsets into the scanned text (keys keep their quotes and end at `value start
/// - 1`, the colon).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FlatMembers {
    pub(crate) len: u8,
    pub(crate) at: [(u16, u16, u16); FLAT_CAP],
}

impl FlatMembers {
    pub(crate) const NONE: FlatMembers = FlatMembers {
        len: FLAT_NONE,
        at: [(0, 0, 0); FLAT_CAP],
    };
}

/// Fast path for the most common argument shape: a compact object (no whitespace) whose values
/// are all strings, numbers or literals. Validates it strictly and returns its end, recording up
/// to [`FLAT_CAP`] members in `rec` (`rec.len` is [`FLAT_NONE`] when there were more, or the text
/// is too long for `u16` offsets). Returns `None` for anything else — whitespace, nesting, or
/// invalid text — and the caller then runs the general [`Scanner`], which decides.
#[inline]
pub(crate) fn flat_object(b: &[u8], i: usize, rec: &mut FlatMembers) -> Option<usize> {
    let mut j = i + 1;
    let mut n = 0usize;
    let fits = u16::try_from(b.len()).is_ok();
    if b.get(j) == Some(&b'}') {
        rec.len = if fits { 0 } else { FLAT_NONE };
        return Some(j + 1);
    }
    loop {
        if b.get(j) != Some(&b'"') {
            return None;
        }
        let k = j;
        let ke = string_end(b, j).ok()?;
        if b.get(ke) != Some(&b':') {
            return None;
        }
        let v = ke + 1;
        let ve = match b.get(v)? {
            b'"' => string_end(b, v),
            b'-' | b'0'..=b'9' => number_end(b, v),
            b't' => literal(b, v, b"true"),
            b'f' => literal(b, v, b"false"),
            b'n' => literal(b, v, b"null"),
            _ => return None,
        }
        .ok()?;
        if let Some(slot) = rec.at.get_mut(n) {
            // Truncation is harmless: `fits` below discards the record when it could occur.
            *slot = (k as u16, v as u16, ve as u16);
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
                return Some(ve + 1);
            }
            _ => return None,
        }
    }
}

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
fn literal(b: &[u8], i: usize, lit: &[u8]) -> Result<usize, ScanError> {
    if b.len() >= i + lit.len() && &b[i..i + lit.len()] == lit {
        Ok(i + lit.len())
    } else {
        Err(ScanError::Syntax)
    }
}

/// End (exclusive) of the number starting at `i`, strictly `-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`.
#[inline]
pub(crate) fn number_end(b: &[u8], mut i: usize) -> Result<usize, ScanError> {
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            i += 1;
            while matches!(b.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
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
    crate::json::scan_string(b, i).map_err(|_| ScanError::Syntax)
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

/// Writes `s` as a JSON string exactly like `JSON.stringify` does.
#[inline]
pub(crate) fn write_str(out: &mut String, s: &str) {
    crate::json::push_string(out, s);
}

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
    const CANONICAL: &[u8; 27] = br#"{"_placeholder":true,"num":"#;
    if let Some((head, rest)) = obj.split_first_chunk::<27>() {
        if let (true, Some((b'}', digits))) = (head == CANONICAL, rest.split_last()) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    #[test]
    fn stringify_escapes() {
        let mut s = String::new();
        write_str(&mut s, "a\"\\\n\u{1}\u{7f}é\u{2028}");
        assert_eq!(s, "\"a\\\"\\\\\\n\\u0001\u{7f}é\u{2028}\"");
    }

    #[test]
    fn raw_key_compare() {
        assert!(raw_eq(b"_placeholder", "_placeholder"));
        assert!(raw_eq(br"_placeholde\u0072", "_placeholder"));
        assert!(!raw_eq(br"_placeholde\u0072x", "_placeholder"));
        assert!(raw_eq(br"\ud83d\ude00", "😀"));
    }

    #[test]
    fn scan() {
        for ok in [
            "1",
            "-0.5e+3",
            "\"\\u00e9\"",
            "[1, {\"a\" : [ ] }]",
            "{}",
            "true",
        ] {
            assert!(validate(ok.as_bytes(), 8, None).is_ok(), "{ok}");
        }
        for bad in [
            "01", "1.", "[1,]", "{\"a\"}", "\"\t\"", " 1", "nul", "[", "\"\\x\"", "1 2",
        ] {
            assert!(validate(bad.as_bytes(), 8, None).is_err(), "{bad}");
        }
        assert_eq!(
            validate(b"[[[]]]", 2, None).unwrap_err(),
            ScanError::TooDeep
        );
    }
}
