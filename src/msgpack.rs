//! A small, bounded MessagePack codec (no dependencies), the base of the Socket.IO msgpack
//! parser (`socket.io-msgpack-parser`, which uses `notepack`).
//!
//! [`decode`] reads one value borrowing strings, binaries and extension payloads from the
//! input; every count is checked against the bytes left and against [`Limits`] **before**
//! anything is allocated, and nesting is capped, so no input can panic, recurse without bound
//! or allocate more than a small multiple of its own size. [`encode`] writes the shortest
//! encoding of each value, as `notepack` does.
//!
//! # Mapping of the JavaScript-specific encodings
//!
//! MessagePack has no `undefined`, typed array or `Date`; `notepack` uses extension types for
//! them. This codec keeps them as [`Value::Ext`] (type and raw payload) and names them:
//!
//! | bytes                         | JavaScript value                      | helper               |
//! |-------------------------------|---------------------------------------|----------------------|
//! | `d4 00 00` (fixext 1, type 0)       | `undefined`                          | [`Value::Undefined`] |
//! | `d7 00` + hi:i32 + lo:u32 (fixext 8)| `Date`, ms since 1970 = hi·2³² + lo  | [`Value::Date`]      |
//! | `c7`/`c8`/`c9` (ext 8/16/32), type 0| typed array / `ArrayBuffer` bytes    | [`Value::Ext`] (0)   |
//! | `c4`/`c5`/`c6` (bin 8/16/32)        | `Buffer`                             | [`Value::Bin`]       |
//! | ext type −1 (4, 8 or 12 bytes)      | MessagePack timestamp (not notepack) | [`Value::timestamp`] |
//!
//! This is `notepack` 2.2 exactly: it writes typed arrays only in the ext 8/16/32 forms, so
//! [`encode`] writes type-0 extensions that way too (a fixext there would read back as
//! `undefined` or a `Date`); other extension types take the shortest form. Other fixext
//! type-0 payloads decode as [`Value::Ext`] and re-encode in the ext 8 form. Byte payloads of
//! `bin` and ext type 0 ([`Value::ext_bytes`]) are what a Socket.IO binary argument becomes.

use alloc::vec::Vec;
use core::fmt;

/// Caps applied by [`decode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest input accepted, in bytes.
    pub max_input: usize,
    /// Deepest nesting of arrays and maps (the top-level value is depth 1).
    pub max_depth: usize,
    /// Most values in the whole document (every element and map key counts).
    pub max_values: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_input: 16 << 20,
            max_depth: 32,
            max_values: 1 << 20,
        }
    }
}

/// One MessagePack value, borrowing byte and string payloads from the input.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Value<'a> {
    /// `nil` (`c0`): JavaScript `null`.
    Nil,
    /// `true` / `false`.
    Bool(bool),
    /// A non-negative integer.
    UInt(u64),
    /// A negative integer.
    Int(i64),
    /// A 32-bit float (`ca`), widened.
    F32(f32),
    /// A 64-bit float (`cb`).
    F64(f64),
    /// A UTF-8 string (validated).
    Str(&'a str),
    /// A binary (`c4`/`c5`/`c6`).
    Bin(&'a [u8]),
    /// An array.
    Array(Vec<Value<'a>>),
    /// A map, pairs in wire order (duplicate keys are kept).
    Map(Vec<(Value<'a>, Value<'a>)>),
    /// An extension: type and payload.
    Ext(i8, &'a [u8]),
    /// JavaScript `undefined` as `notepack` writes it: `d4 00 00`.
    Undefined,
    /// A JavaScript `Date` as `notepack` writes it (`d7 00`): milliseconds since 1970.
    Date(i64),
}

impl<'a> Value<'a> {
    /// True for `undefined`.
    pub fn is_undefined(&self) -> bool {
        matches!(self, Value::Undefined)
    }

    /// The bytes of a binary value: `bin` or an ext type 0 payload (Node typed arrays).
    pub fn ext_bytes(&self) -> Option<&'a [u8]> {
        match *self {
            Value::Bin(b) | Value::Ext(0, b) => Some(b),
            _ => None,
        }
    }

    /// A MessagePack timestamp (ext type −1): `(seconds, nanoseconds)`.
    pub fn timestamp(&self) -> Option<(i64, u32)> {
        let Value::Ext(-1, b) = *self else {
            return None;
        };
        match b.len() {
            4 => Some((i64::from(be32(b)), 0)),
            8 => {
                let v = be64(b);
                Some(((v & 0x3_ffff_ffff) as i64, (v >> 34) as u32))
            }
            12 => Some((be64(&b[4..]) as i64, be32(b))),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&'a str> {
        match *self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is one that fits `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::UInt(u) => i64::try_from(u).ok(),
            Value::Int(i) => Some(i),
            _ => None,
        }
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn be64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_be_bytes(a)
}

/// Why [`decode`] refused an input, and at which byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// What was wrong.
    pub kind: DecodeErrorKind,
    /// Byte offset in the input where it was found.
    pub offset: usize,
}

/// What [`decode`] found wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended inside a value.
    Truncated,
    /// `c1`, the one byte MessagePack never uses.
    ReservedByte,
    /// A string that is not UTF-8.
    InvalidUtf8,
    /// Bytes after the one top-level value.
    TrailingBytes,
    /// Over [`Limits::max_input`].
    InputTooLarge,
    /// Over [`Limits::max_depth`].
    TooDeep,
    /// Over [`Limits::max_values`].
    TooManyValues,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            DecodeErrorKind::Truncated => "input ends inside a value",
            DecodeErrorKind::ReservedByte => "reserved byte 0xc1",
            DecodeErrorKind::InvalidUtf8 => "string is not UTF-8",
            DecodeErrorKind::TrailingBytes => "bytes after the value",
            DecodeErrorKind::InputTooLarge => "input over the size cap",
            DecodeErrorKind::TooDeep => "nesting over the depth cap",
            DecodeErrorKind::TooManyValues => "more values than the cap",
        };
        write!(f, "msgpack: {what} at byte {}", self.offset)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DecodeError {}

/// Decodes exactly one value filling `input`.
pub fn decode<'a>(input: &'a [u8], limits: &Limits) -> Result<Value<'a>, DecodeError> {
    if input.len() > limits.max_input {
        return Err(DecodeError {
            kind: DecodeErrorKind::InputTooLarge,
            offset: 0,
        });
    }
    let mut r = Reader {
        buf: input,
        pos: 0,
        values: 0,
        limits,
    };
    let v = r.value(1)?;
    if r.pos != input.len() {
        return Err(r.err(DecodeErrorKind::TrailingBytes));
    }
    Ok(v)
}

struct Reader<'a, 'l> {
    buf: &'a [u8],
    pos: usize,
    values: usize,
    limits: &'l Limits,
}

impl<'a> Reader<'a, '_> {
    fn err(&self, kind: DecodeErrorKind) -> DecodeError {
        DecodeError {
            kind,
            offset: self.pos,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.buf.len() - self.pos < n {
            return Err(self.err(DecodeErrorKind::Truncated));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn uint(&mut self, n: usize) -> Result<u64, DecodeError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |a, &b| (a << 8) | u64::from(b)))
    }

    /// Reserves `n` further values; each needs at least one byte, so a count larger than
    /// the bytes left is refused before any allocation.
    fn reserve(&mut self, n: usize) -> Result<(), DecodeError> {
        if n > self.buf.len() - self.pos {
            return Err(self.err(DecodeErrorKind::Truncated));
        }
        self.values = self.values.saturating_add(n);
        if self.values > self.limits.max_values {
            return Err(self.err(DecodeErrorKind::TooManyValues));
        }
        Ok(())
    }

    fn str(&mut self, n: usize) -> Result<Value<'a>, DecodeError> {
        let at = self.pos;
        let b = self.take(n)?;
        core::str::from_utf8(b)
            .map(Value::Str)
            .map_err(|_| DecodeError {
                kind: DecodeErrorKind::InvalidUtf8,
                offset: at,
            })
    }

    fn ext(&mut self, n: usize) -> Result<Value<'a>, DecodeError> {
        let t = self.take(1)?[0] as i8;
        Ok(Value::Ext(t, self.take(n)?))
    }

    fn array(&mut self, n: usize, depth: usize) -> Result<Value<'a>, DecodeError> {
        self.reserve(n)?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.value(depth + 1)?);
        }
        Ok(Value::Array(v))
    }

    fn map(&mut self, n: usize, depth: usize) -> Result<Value<'a>, DecodeError> {
        // Each pair needs at least two bytes.
        self.reserve(n.saturating_mul(2))?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            let k = self.value(depth + 1)?;
            let x = self.value(depth + 1)?;
            v.push((k, x));
        }
        Ok(Value::Map(v))
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, DecodeError> {
        if depth > self.limits.max_depth {
            return Err(self.err(DecodeErrorKind::TooDeep));
        }
        let b = self.take(1)?[0];
        let v = match b {
            0x00..=0x7f => Value::UInt(u64::from(b)),
            0x80..=0x8f => return self.map(usize::from(b & 0x0f), depth),
            0x90..=0x9f => return self.array(usize::from(b & 0x0f), depth),
            0xa0..=0xbf => return self.str(usize::from(b & 0x1f)),
            0xc0 => Value::Nil,
            0xc1 => {
                self.pos -= 1;
                return Err(self.err(DecodeErrorKind::ReservedByte));
            }
            0xc2 => Value::Bool(false),
            0xc3 => Value::Bool(true),
            0xc4..=0xc6 => {
                let n = self.uint(1 << (b - 0xc4))? as usize;
                Value::Bin(self.take(n)?)
            }
            0xc7..=0xc9 => {
                let n = self.uint(1 << (b - 0xc7))? as usize;
                return self.ext(n);
            }
            0xca => Value::F32(f32::from_bits(self.uint(4)? as u32)),
            0xcb => Value::F64(f64::from_bits(self.uint(8)?)),
            0xcc..=0xcf => Value::UInt(self.uint(1 << (b - 0xcc))?),
            0xd0..=0xd3 => {
                let n = 1usize << (b - 0xd0);
                let u = self.uint(n)?;
                let shift = 64 - 8 * n as u32;
                let i = ((u << shift) as i64) >> shift;
                if i >= 0 {
                    Value::UInt(i as u64)
                } else {
                    Value::Int(i)
                }
            }
            0xd4..=0xd8 => {
                return match self.ext(1 << (b - 0xd4))? {
                    Value::Ext(0, [0]) if b == 0xd4 => Ok(Value::Undefined),
                    Value::Ext(0, d) if b == 0xd7 => Ok(Value::Date(be64(d) as i64)),
                    v => Ok(v),
                };
            }
            0xd9..=0xdb => {
                let n = self.uint(1 << (b - 0xd9))? as usize;
                return self.str(n);
            }
            0xdc | 0xdd => {
                let n = self.uint(2 << (b - 0xdc))? as usize;
                return self.array(n, depth);
            }
            0xde | 0xdf => {
                let n = self.uint(2 << (b - 0xde))? as usize;
                return self.map(n, depth);
            }
            0xe0..=0xff => Value::Int(i64::from(b as i8)),
        };
        Ok(v)
    }
}

/// Appends the shortest encoding of `v` to `out`.
pub fn encode(v: &Value<'_>, out: &mut Vec<u8>) {
    match *v {
        Value::Nil => out.push(0xc0),
        Value::Bool(b) => out.push(if b { 0xc3 } else { 0xc2 }),
        Value::UInt(u) => encode_uint(u, out),
        Value::Int(i) => encode_int(i, out),
        Value::F32(f) => {
            out.push(0xca);
            out.extend_from_slice(&f.to_bits().to_be_bytes());
        }
        Value::F64(f) => {
            out.push(0xcb);
            out.extend_from_slice(&f.to_bits().to_be_bytes());
        }
        Value::Str(s) => {
            encode_len(s.len(), 0xa0, 31, 0xd9, out);
            out.extend_from_slice(s.as_bytes());
        }
        Value::Bin(b) => {
            encode_len(b.len(), 0, 0, 0xc4, out);
            out.extend_from_slice(b);
        }
        Value::Array(ref a) => {
            encode_len(a.len(), 0x90, 15, 0xdc - 1, out);
            for x in a {
                encode(x, out);
            }
        }
        Value::Map(ref m) => {
            encode_len(m.len(), 0x80, 15, 0xde - 1, out);
            for (k, x) in m {
                encode(k, out);
                encode(x, out);
            }
        }
        Value::Undefined => out.extend_from_slice(&[0xd4, 0, 0]),
        Value::Date(ms) => {
            out.extend_from_slice(&[0xd7, 0]);
            out.extend_from_slice(&ms.to_be_bytes());
        }
        Value::Ext(0, b) => {
            encode_len(b.len(), 0, 0, 0xc7, out);
            out.push(0);
            out.extend_from_slice(b);
        }
        Value::Ext(t, b) => {
            match b.len() {
                1 => out.push(0xd4),
                2 => out.push(0xd5),
                4 => out.push(0xd6),
                8 => out.push(0xd7),
                16 => out.push(0xd8),
                n => encode_len(n, 0, 0, 0xc7, out),
            }
            out.push(t as u8);
            out.extend_from_slice(b);
        }
    }
}

/// Writes a length header: a fix form `fix | n` when `n <= fix_max` (and `fix != 0`), else
/// the 8/16/32-bit forms starting at `base` (arrays and maps, which have no 8-bit form, pass
/// `base` one below their 16-bit marker).
fn encode_len(n: usize, fix: u8, fix_max: usize, base: u8, out: &mut Vec<u8>) {
    let has8 = base != 0xdc - 1 && base != 0xde - 1;
    if fix != 0 && n <= fix_max {
        out.push(fix | n as u8);
    } else if has8 && n <= 0xff {
        out.extend_from_slice(&[base, n as u8]);
    } else if n <= 0xffff {
        out.push(base + 1);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(base + 2);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn encode_uint(u: u64, out: &mut Vec<u8>) {
    if u < 0x80 {
        out.push(u as u8);
    } else if u <= 0xff {
        out.extend_from_slice(&[0xcc, u as u8]);
    } else if u <= 0xffff {
        out.push(0xcd);
        out.extend_from_slice(&(u as u16).to_be_bytes());
    } else if u <= 0xffff_ffff {
        out.push(0xce);
        out.extend_from_slice(&(u as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&u.to_be_bytes());
    }
}

fn encode_int(i: i64, out: &mut Vec<u8>) {
    if i >= 0 {
        encode_uint(i as u64, out);
    } else if i >= -32 {
        out.push(i as u8);
    } else if i >= -0x80 {
        out.extend_from_slice(&[0xd0, i as u8]);
    } else if i >= -0x8000 {
        out.push(0xd1);
        out.extend_from_slice(&(i as i16).to_be_bytes());
    } else if i >= -0x8000_0000 {
        out.push(0xd2);
        out.extend_from_slice(&(i as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&i.to_be_bytes());
    }
}

#[cfg(test)]
mod tests;
