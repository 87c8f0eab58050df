//! The one-shot scanner: runs over a complete head once, fills the slots, validates everything.

use super::*;

// ---------------------------------------------------------------------------------------------
// The full (one-shot) parser: runs over the buffer once, fills slots, validates everything.

/// Internal outcome of a one-shot parse attempt.
pub(super) enum Fail {
    /// Ran out of bytes (or into the head-length cap) before the empty line.
    Partial,
    /// Invalid. Only trusted once the scanner agrees the head is complete.
    Invalid(HttpError),
}

impl From<HttpError> for Fail {
    fn from(e: HttpError) -> Self {
        Fail::Invalid(e)
    }
}

pub(super) struct Cursor<'b> {
    buf: &'b [u8],
    pos: usize,
}

impl<'b> Cursor<'b> {
    #[inline]
    fn peek(&self) -> Result<u8, Fail> {
        self.buf.get(self.pos).copied().ok_or(Fail::Partial)
    }

    /// Expects CRLF at the cursor.
    #[inline]
    fn crlf(&mut self) -> Result<(), Fail> {
        match self.buf.get(self.pos..self.pos + 2) {
            Some(b"\r\n") => {
                self.pos += 2;
                Ok(())
            }
            Some(_) => Err(HttpError::LineEnding.into()),
            None => match self.buf.get(self.pos) {
                None | Some(b'\r') => Err(Fail::Partial),
                Some(_) => Err(HttpError::LineEnding.into()),
            },
        }
    }

    /// `HTTP/1.x`, returns x.
    fn version(&mut self) -> Result<u8, Fail> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        if let Some(&[b'H', b'T', b'T', b'P', b'/', b'1', b'.', d]) = rest.first_chunk::<8>() {
            // The whole version at once (the slice comparison below calls `memcmp`).
            if d.is_ascii_digit() {
                self.pos += 8;
                return Ok(d - b'0');
            }
            return Err(HttpError::Version.into());
        }
        let n = rest.len().min(7);
        if rest[..n] != b"HTTP/1."[..n] {
            return Err(HttpError::Version.into());
        }
        let Some(&d) = rest.get(7) else {
            return Err(Fail::Partial);
        };
        if !d.is_ascii_digit() {
            return Err(HttpError::Version.into());
        }
        self.pos += 8;
        Ok(d - b'0')
    }

    /// Parses header lines up to and including the empty line. Returns the header count.
    fn headers(&mut self, slots: &mut [Header<'b>], cap: usize) -> Result<usize, Fail> {
        let buf = self.buf;
        let mut n = 0;
        // The start of the current line, kept in a register; `self.pos` is written on exit
        // (it is how far the parse got, see `bytes_examined`).
        let mut start = self.pos;
        let r = loop {
            match buf.get(start) {
                None => break Err(Fail::Partial),
                Some(b'\r') => {
                    self.pos = start;
                    return self.crlf().map(|()| n);
                }
                Some(b' ' | b'\t') => break Err(HttpError::ObsFold.into()),
                Some(_) => {}
            }
            if n >= cap {
                break Err(HttpError::TooManyHeaders { limit: cap }.into());
            }
            // Name: a token immediately followed by ':'. The handshake's own names are
            // recognised in place (first byte, then a word comparison including the colon).
            // Otherwise find the first ':' or control byte (from the index), classify by
            // length and words, and check other names byte by byte.
            let rest = buf.get(start..).unwrap_or_default();
            let (name, kind) = match known_name(rest) {
                Some(known) => known,
                None => {
                    let len = find_colon_or_ctl(rest);
                    let (name, colon) = rest.split_at(len);
                    match colon.first() {
                        None => break Err(Fail::Partial),
                        Some(b':') if len > 0 => {}
                        Some(_) => break Err(HttpError::HeaderName.into()),
                    }
                    let kind = classify(name);
                    if kind == kind::OTHER && token_len(name) != len {
                        break Err(HttpError::HeaderName.into());
                    }
                    (name, kind)
                }
            };
            let len = name.len();
            let mut i = start + len + 1;
            // Leading OWS (usually exactly one space).
            if buf.get(i) == Some(&b' ') {
                i += 1;
            }
            while let Some(&b) = buf.get(i) {
                if is_ows(b) {
                    i += 1;
                } else {
                    break;
                }
            }
            let vstart = i;
            let i = find_ctl(buf, i);
            match buf.get(i) {
                None => break Err(Fail::Partial),
                Some(b'\r') => {}
                Some(b'\n') => break Err(HttpError::LineEnding.into()),
                Some(_) => break Err(HttpError::HeaderValue.into()),
            }
            // CRLF (the CR is at `i`).
            match buf.get(i + 1) {
                Some(b'\n') => {}
                Some(_) => {
                    self.pos = i;
                    return Err(HttpError::LineEnding.into());
                }
                None => {
                    self.pos = i;
                    return Err(Fail::Partial);
                }
            }
            // Leading OWS is skipped already; trim the trailing OWS.
            let mut vend = i;
            while vend > vstart && is_ows(buf[vend - 1]) {
                vend -= 1;
            }
            let value = &buf[vstart..vend];
            if let Some(slot) = slots.get_mut(n) {
                *slot = Header { name, value, kind };
            }
            n += 1;
            start = i + 2;
        };
        self.pos = start;
        r
    }
}

/// Length of the longest prefix of `s` made of `tchar`s. Eight table lookups per branch.
#[inline]
pub(super) fn token_len(s: &[u8]) -> usize {
    let mut chunks = s.chunks_exact(8);
    let mut i = 0;
    for c in &mut chunks {
        // One bit per byte: set when the byte is a tchar.
        let bits = c
            .iter()
            .enumerate()
            .fold(0u32, |acc, (k, &b)| acc | (u32::from(is_tchar(b)) << k));
        if bits != 0xff {
            return i + (!bits).trailing_zeros() as usize;
        }
        i += 8;
    }
    i + chunks
        .remainder()
        .iter()
        .position(|&b| !is_tchar(b))
        .unwrap_or(s.len() - i)
}

/// ASCII case-insensitive equality of `s` with `lower`, which must contain only lower-case
/// letters, digits and `-`: letters match either case, every other byte matches exactly. Whole
/// machine words, overlapping at the end, no per-byte loop (with a literal `lower` the masks
/// and targets are constants).
#[inline]
pub(crate) fn eq_lower(s: &[u8], lower: &[u8]) -> bool {
    /// Bit 0x20 on the letters of `t` (they have bit 0x40; digits and `-` do not).
    #[inline(always)]
    fn fold8(x: u64, t: u64) -> bool {
        x | ((t & 0x4040_4040_4040_4040) >> 1) == t
    }
    #[inline(always)]
    fn fold4(x: u32, t: u32) -> bool {
        x | ((t & 0x4040_4040) >> 1) == t
    }
    #[inline(always)]
    fn at8(s: &[u8], i: usize) -> u64 {
        match s.get(i..i + 8).map(<[u8; 8]>::try_from) {
            Some(Ok(a)) => u64::from_le_bytes(a),
            _ => 0,
        }
    }
    #[inline(always)]
    fn at4(s: &[u8], i: usize) -> u32 {
        match s.get(i..i + 4).map(<[u8; 4]>::try_from) {
            Some(Ok(a)) => u32::from_le_bytes(a),
            _ => 0,
        }
    }
    let n = lower.len();
    if s.len() != n {
        return false;
    }
    if n >= 8 {
        let mut i = 0;
        while i + 8 < n {
            if !fold8(at8(s, i), at8(lower, i)) {
                return false;
            }
            i += 8;
        }
        fold8(at8(s, n - 8), at8(lower, n - 8))
    } else if n >= 4 {
        fold4(at4(s, 0), at4(lower, 0)) && fold4(at4(s, n - 4), at4(lower, n - 4))
    } else {
        s.iter()
            .zip(lower)
            .all(|(&x, &y)| x | ((y & 0x40) >> 1) == y)
    }
}

/// If `line` starts with one of the handshake's header names (any case) immediately followed
/// by `:`, that name and its [`kind`]. Dispatches on the first byte (and byte 14 for the
/// `Sec-WebSocket-*` names), then compares words against a literal.
#[inline(always)]
pub(super) fn known_name(line: &[u8]) -> Option<(&[u8], u8)> {
    #[inline(always)]
    fn check<'b>(line: &'b [u8], lower: &[u8], k: u8) -> Option<(&'b [u8], u8)> {
        let len = lower.len();
        match (line.get(..len), line.get(len)) {
            (Some(name), Some(b':')) if eq_lower(name, lower) => Some((name, k)),
            _ => None,
        }
    }
    match *line.first()? | 0x20 {
        b'h' => check(line, b"host", kind::HOST),
        b'o' => check(line, b"origin", kind::ORIGIN),
        b'u' => check(line, b"upgrade", kind::UPGRADE),
        b'c' => check(line, b"connection", kind::CONNECTION),
        b's' => match *line.get(14)? | 0x20 {
            b'k' => check(line, b"sec-websocket-key", kind::KEY),
            b'v' => check(line, b"sec-websocket-version", kind::VERSION),
            b'p' => check(line, b"sec-websocket-protocol", kind::PROTOCOL),
            b'e' => check(line, b"sec-websocket-extensions", kind::EXTENSIONS),
            _ => None,
        },
        _ => None,
    }
}

/// Index of the first `:` or control byte (below 0x20) in `s`, or `s.len()`. Sixteen bytes at
/// a time with SSE2 ([`crate::arch::header_stops`]), else [`find_colon_or_ctl_swar`].
#[cfg(not(target_arch = "x86_64"))]
#[inline]
pub(super) fn find_colon_or_ctl(s: &[u8]) -> usize {
    find_colon_or_ctl_swar(s)
}

/// The SSE2 version of [`find_colon_or_ctl`].
#[cfg(target_arch = "x86_64")]
#[inline]
pub(super) fn find_colon_or_ctl(s: &[u8]) -> usize {
    let mut i = 0;
    while let Some(chunk) = s.get(i..).and_then(<[u8]>::first_chunk::<16>) {
        let (_, m) = crate::arch::header_stops(chunk);
        if m != 0 {
            return i + m.trailing_zeros() as usize;
        }
        i += 16;
    }
    let rest = s.get(i..).unwrap_or_default();
    i + rest
        .iter()
        .position(|&b| b == b':' || b < 0x20)
        .unwrap_or(rest.len())
}

/// Index of the first byte at or after `i` that may not appear in a field value (a control
/// character other than HTAB, or DEL), or `buf.len()`. Sixteen bytes at a time with SSE2
/// ([`crate::arch::header_stops`]), else [`find_ctl_swar`].
#[cfg(not(target_arch = "x86_64"))]
#[inline]
pub(super) fn find_ctl(buf: &[u8], i: usize) -> usize {
    find_ctl_swar(buf, i)
}

/// The SSE2 version of [`find_ctl`].
#[cfg(target_arch = "x86_64")]
#[inline]
pub(super) fn find_ctl(buf: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = buf.get(i..).and_then(<[u8]>::first_chunk::<16>) {
        let (m, _) = crate::arch::header_stops(chunk);
        if m != 0 {
            return i + m.trailing_zeros() as usize;
        }
        i += 16;
    }
    let Some(rest) = buf.get(i..) else {
        return buf.len();
    };
    i + rest
        .iter()
        .position(|&b| !is_value_byte(b))
        .unwrap_or(rest.len())
}

/// [`find_colon_or_ctl`] eight bytes at a time in a `u64` (targets without SSE2).
#[inline]
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
pub(super) fn find_colon_or_ctl_swar(s: &[u8]) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut chunks = s.chunks_exact(8);
    let mut i = 0;
    for c in &mut chunks {
        let Ok(arr) = <[u8; 8]>::try_from(c) else {
            break;
        };
        let x = u64::from_le_bytes(arr);
        // The lowest flagged byte of each test is a true hit (borrows only move upwards).
        let y = x ^ (LO * u64::from(b':'));
        let colon = y.wrapping_sub(LO) & !y & HI;
        let ctl = x.wrapping_sub(LO * 0x20) & !x & HI;
        let m = colon | ctl;
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + chunks
        .remainder()
        .iter()
        .position(|&b| b == b':' || b < 0x20)
        .unwrap_or(s.len() - i)
}

/// [`find_ctl`] eight bytes at a time in a `u64` (targets without SSE2); a flagged HTAB
/// restarts the word scan after it.
#[inline]
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
pub(super) fn find_ctl_swar(buf: &[u8], mut i: usize) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    loop {
        let rest = buf.get(i..).unwrap_or_default();
        let mut chunks = rest.chunks_exact(8);
        let mut off = 0;
        let mut hit = None;
        for c in &mut chunks {
            let Ok(arr) = <[u8; 8]>::try_from(c) else {
                break;
            };
            let x = u64::from_le_bytes(arr);
            // Bytes below 0x20 and bytes equal to 0x7F; the lowest flagged byte is always a
            // true hit (borrows only propagate upwards). Bytes >= 0x80 are never flagged.
            let lt = x.wrapping_sub(LO * 0x20) & !x & HI;
            let y = x ^ (LO * 0x7f);
            let del = y.wrapping_sub(LO) & !y & HI;
            let m = lt | del;
            if m != 0 {
                hit = Some(off + (m.trailing_zeros() / 8) as usize);
                break;
            }
            off += 8;
        }
        let p = match hit {
            Some(p) => i + p,
            None => match chunks.remainder().iter().position(|&b| !is_value_byte(b)) {
                Some(q) => i + off + q,
                None => return buf.len(),
            },
        };
        if buf.get(p) == Some(&b'\t') {
            i = p + 1;
        } else {
            return p;
        }
    }
}

type RequestParts<'b> = (&'b [u8], &'b [u8], u8, usize, usize);

pub(super) fn full_request<'b>(
    buf: &'b [u8],
    slots: &mut [Header<'b>],
    cap: usize,
) -> (Result<RequestParts<'b>, Fail>, usize) {
    let mut c = Cursor { buf, pos: 0 };
    let r = (|| {
        // Method: `GET ` in one comparison, anything else byte by byte.
        let mut i = 0;
        if buf.first_chunk::<4>() == Some(b"GET ") {
            i = 3;
        }
        loop {
            match buf.get(i) {
                None => return Err(Fail::Partial),
                Some(&b) if is_tchar(b) => i += 1,
                Some(b' ') if i > 0 => break,
                Some(b'\n' | b'\r') if i == 0 => return Err(HttpError::Method.into()),
                Some(_) => return Err(HttpError::Method.into()),
            }
        }
        let method = &buf[..i];
        i += 1;
        let tstart = i;
        // Sixteen bytes at a time while they are all visible ASCII, then byte by byte.
        #[cfg(target_arch = "x86_64")]
        while let Some(chunk) = buf.get(i..).and_then(<[u8]>::first_chunk::<16>) {
            let m = crate::arch::target_stops(chunk);
            if m != 0 {
                i += m.trailing_zeros() as usize;
                break;
            }
            i += 16;
        }
        loop {
            match buf.get(i) {
                None => return Err(Fail::Partial),
                Some(&b) if (0x21..0x7f).contains(&b) => i += 1,
                Some(b' ') if i > tstart => break,
                Some(_) => return Err(HttpError::Target.into()),
            }
        }
        let target = &buf[tstart..i];
        c.pos = i + 1;
        let minor = c.version()?;
        c.crlf()?;
        let n = c.headers(slots, cap)?;
        Ok((method, target, minor, n, c.pos))
    })();
    let reached = c.pos;
    (r, reached)
}

type ResponseParts<'b> = (u8, u16, &'b [u8], usize, usize);

pub(super) fn full_response<'b>(
    buf: &'b [u8],
    slots: &mut [Header<'b>],
    cap: usize,
) -> (Result<ResponseParts<'b>, Fail>, usize) {
    let mut c = Cursor { buf, pos: 0 };
    let r = (|| {
        let minor = c.version()?;
        match c.peek()? {
            b' ' => c.pos += 1,
            _ => return Err(HttpError::StatusLine.into()),
        }
        let mut status: u16 = 0;
        for _ in 0..3 {
            let d = c.peek()?;
            if !d.is_ascii_digit() {
                return Err(HttpError::StatusLine.into());
            }
            status = status * 10 + u16::from(d - b'0');
            c.pos += 1;
        }
        if status < 100 {
            return Err(HttpError::StatusLine.into());
        }
        // "HTTP/1.1 101\r\n" (no reason, even no space) is accepted.
        let reason_start;
        match c.peek()? {
            b' ' => {
                c.pos += 1;
                reason_start = c.pos;
                loop {
                    match c.peek()? {
                        b'\r' => break,
                        b if is_value_byte(b) => c.pos += 1,
                        b'\n' => return Err(HttpError::LineEnding.into()),
                        _ => return Err(HttpError::StatusLine.into()),
                    }
                }
            }
            b'\r' => reason_start = c.pos,
            _ => return Err(HttpError::StatusLine.into()),
        }
        let reason = &buf[reason_start..c.pos];
        c.crlf()?;
        let n = c.headers(slots, cap)?;
        Ok((minor, status, reason, n, c.pos))
    })();
    let reached = c.pos;
    (r, reached)
}
