//! A small, strict JSON ([RFC 8259]) scanner and a `JSON.stringify`-compatible string writer.
//!
//! Engine.IO and Socket.IO carry JSON, but sockwire never builds a tree of it: packets keep their
//! payload as *raw* JSON text borrowed from the input, validated once, and the application decodes
//! the parts it cares about with whatever JSON library it prefers. This module is what that needs:
//!
//! * [`validate`] / [`value_end`]: check that text is exactly one JSON value (strict grammar, depth
//!   cap), in one pass and without allocating.
//! * [`Tokenizer`]: a pull tokenizer yielding [`Token`]s with their byte ranges, for callers that
//!   walk a document (Socket.IO placeholders, the Engine.IO open packet).
//! * [`array_items`] / [`object_members`]: iterate the raw slices of a container's children, each
//!   child scanned exactly once.
//! * [`string_eq`], [`str_borrowed`], [`unescape`]: read string tokens, borrowing when there are
//!   no escapes.
//! * [`write_str`] / [`push_str`]: write a string escaped byte-for-byte like `JSON.stringify`.
//! * [`parse_u64`]: read a non-negative integer token.
//!
//! Everything takes `&str`, so UTF-8 is already guaranteed by the type. Strictness follows RFC 8259:
//! no comments, no trailing commas, no leading zeros, no `NaN`, no single quotes, no unescaped
//! control characters in strings. `\u` escapes that encode a lone surrogate are *grammatically*
//! valid JSON (JavaScript accepts them) and pass validation, but cannot be represented in a Rust
//! string: [`unescape`] reports them as [`JsonErrorKind::LoneSurrogate`].
//!
//! [RFC 8259]: https://www.rfc-editor.org/rfc/rfc8259

use core::fmt;

/// The nesting depth (arrays and objects) accepted by default.
pub const DEFAULT_MAX_DEPTH: usize = 128;
/// The largest nesting depth a [`Tokenizer`] can track.
pub const MAX_DEPTH_LIMIT: usize = 256;

/// What went wrong, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset in the input where the problem was detected.
    pub offset: usize,
    /// The kind of problem.
    pub kind: JsonErrorKind,
}

/// The kinds of [`JsonError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// The input ended inside a value.
    UnexpectedEnd,
    /// A byte that the grammar does not allow at this position.
    UnexpectedByte(u8),
    /// An unknown escape after a backslash, or a malformed `\u` escape.
    InvalidEscape,
    /// An unescaped control character (below U+0020) inside a string.
    ControlCharacter,
    /// A malformed number (leading zero, missing digits, ...).
    InvalidNumber,
    /// Arrays and objects nested deeper than the configured limit.
    TooDeep,
    /// Non-whitespace after the value.
    TrailingCharacters,
    /// A `\u` escape encodes an unpaired UTF-16 surrogate (valid JSON, not representable in `str`).
    LoneSurrogate,
    /// The value is valid JSON but not of the kind the caller asked for (e.g. not an array).
    WrongType,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            JsonErrorKind::UnexpectedEnd => f.write_str("unexpected end of input")?,
            JsonErrorKind::UnexpectedByte(b) if b.is_ascii_graphic() => {
                write!(f, "unexpected character '{}'", b as char)?
            }
            JsonErrorKind::UnexpectedByte(b) => write!(f, "unexpected byte 0x{b:02x}")?,
            JsonErrorKind::InvalidEscape => f.write_str("invalid escape sequence")?,
            JsonErrorKind::ControlCharacter => {
                f.write_str("unescaped control character in string")?
            }
            JsonErrorKind::InvalidNumber => f.write_str("invalid number")?,
            JsonErrorKind::TooDeep => f.write_str("nesting too deep")?,
            JsonErrorKind::TrailingCharacters => {
                f.write_str("trailing characters after the value")?
            }
            JsonErrorKind::LoneSurrogate => f.write_str("escape encodes a lone surrogate")?,
            JsonErrorKind::WrongType => f.write_str("value of the wrong type")?,
        }
        write!(f, " at byte {}", self.offset)
    }
}

impl core::error::Error for JsonError {}

fn err<T>(offset: usize, kind: JsonErrorKind) -> Result<T, JsonError> {
    Err(JsonError { offset, kind })
}

/// The kind of a [`Token`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// `{`
    ObjectStart,
    /// `}`
    ObjectEnd,
    /// `[`
    ArrayStart,
    /// `]`
    ArrayEnd,
    /// A string used as an object key (range includes the quotes).
    Key,
    /// A string value (range includes the quotes).
    String,
    /// A number.
    Number,
    /// `true`
    True,
    /// `false`
    False,
    /// `null`
    Null,
}

/// One token: its kind, byte range in the input, and nesting depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Offset of its first byte.
    pub start: usize,
    /// Offset one past its last byte.
    pub end: usize,
    /// Number of containers enclosing the token (`0` for the top-level value and its brackets).
    pub depth: usize,
}

impl Token {
    /// The token's text in `input` (the same input the tokenizer read).
    pub fn text<'b>(&self, input: &'b str) -> &'b str {
        &input[self.start..self.end]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expect a value (top level, after `:` or after `,` in an array).
    Value,
    /// After `[`: a value or `]`.
    ValueOrEnd,
    /// After `{`: a key or `}`.
    KeyOrEnd,
    /// After `,` in an object: a key.
    Key,
    /// After a key: `:`.
    Colon,
    /// After a value inside a container: `,` or the closing bracket.
    CommaOrEnd,
    /// The top-level value is complete.
    Done,
}

/// A strict, non-allocating pull tokenizer for exactly one JSON value.
///
/// Each call to [`next`](Iterator::next) yields the next token or the first error; after an error
/// or the end of the value (followed only by whitespace) it yields `None`. Trailing non-whitespace
/// is reported as [`JsonErrorKind::TrailingCharacters`].
///
/// ```
/// use sockwire::json::{Tokenizer, TokenKind};
/// let kinds: Vec<TokenKind> = Tokenizer::new(r#"{"a":[1,true]}"#).map(|t| t.unwrap().kind).collect();
/// assert_eq!(kinds, [TokenKind::ObjectStart, TokenKind::Key, TokenKind::ArrayStart,
///     TokenKind::Number, TokenKind::True, TokenKind::ArrayEnd, TokenKind::ObjectEnd]);
/// ```
#[derive(Debug, Clone)]
pub struct Tokenizer<'b> {
    input: &'b [u8],
    pos: usize,
    state: State,
    depth: usize,
    max_depth: usize,
    /// Bit `d` set: the container at depth `d` is an object.
    kinds: [u64; MAX_DEPTH_LIMIT / 64],
    failed: bool,
    /// Stop after the top-level value instead of requiring the input to end (for [`value_end`]).
    prefix: bool,
}

impl<'b> Tokenizer<'b> {
    /// A tokenizer over `input` with [`DEFAULT_MAX_DEPTH`].
    pub fn new(input: &'b str) -> Self {
        Self::with_max_depth(input, DEFAULT_MAX_DEPTH)
    }

    /// A tokenizer with a nesting cap (clamped to [`MAX_DEPTH_LIMIT`]).
    pub fn with_max_depth(input: &'b str, max_depth: usize) -> Self {
        Tokenizer {
            input: input.as_bytes(),
            pos: 0,
            state: State::Value,
            depth: 0,
            max_depth: max_depth.min(MAX_DEPTH_LIMIT),
            kinds: [0; MAX_DEPTH_LIMIT / 64],
            failed: false,
            prefix: false,
        }
    }

    /// Byte offset of the next unread byte.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// True once the top-level value has been read completely.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.input.get(self.pos) {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn in_object(&self) -> bool {
        let d = self.depth - 1;
        self.kinds[d / 64] & (1 << (d % 64)) != 0
    }

    fn open(&mut self, object: bool) -> Result<(), JsonError> {
        if self.depth >= self.max_depth {
            return err(self.pos, JsonErrorKind::TooDeep);
        }
        let d = self.depth;
        if object {
            self.kinds[d / 64] |= 1 << (d % 64);
        } else {
            self.kinds[d / 64] &= !(1 << (d % 64));
        }
        self.depth += 1;
        Ok(())
    }

    fn after_value(&mut self) {
        self.state = if self.depth == 0 {
            State::Done
        } else {
            State::CommaOrEnd
        };
    }

    fn token(&self, kind: TokenKind, start: usize, depth: usize) -> Token {
        Token {
            kind,
            start,
            end: self.pos,
            depth,
        }
    }

    fn step(&mut self) -> Result<Option<Token>, JsonError> {
        loop {
            self.skip_ws();
            let start = self.pos;
            if self.state == State::Done {
                if self.prefix || start == self.input.len() {
                    return Ok(None);
                }
                return err(start, JsonErrorKind::TrailingCharacters);
            }
            let Some(&b) = self.input.get(start) else {
                return err(start, JsonErrorKind::UnexpectedEnd);
            };
            match self.state {
                State::Colon => {
                    if b != b':' {
                        return err(start, JsonErrorKind::UnexpectedByte(b));
                    }
                    self.pos += 1;
                    self.state = State::Value;
                }
                State::CommaOrEnd => {
                    let object = self.in_object();
                    match b {
                        b',' => {
                            self.pos += 1;
                            self.state = if object { State::Key } else { State::Value };
                        }
                        b'}' if object => return Ok(Some(self.close(TokenKind::ObjectEnd))),
                        b']' if !object => return Ok(Some(self.close(TokenKind::ArrayEnd))),
                        _ => return err(start, JsonErrorKind::UnexpectedByte(b)),
                    }
                }
                State::KeyOrEnd | State::Key => {
                    if b == b'}' && self.state == State::KeyOrEnd {
                        return Ok(Some(self.close(TokenKind::ObjectEnd)));
                    }
                    if b != b'"' {
                        return err(start, JsonErrorKind::UnexpectedByte(b));
                    }
                    self.pos = scan_string(self.input, start)?;
                    self.state = State::Colon;
                    return Ok(Some(self.token(TokenKind::Key, start, self.depth)));
                }
                State::Value | State::ValueOrEnd => {
                    if b == b']' && self.state == State::ValueOrEnd {
                        return Ok(Some(self.close(TokenKind::ArrayEnd)));
                    }
                    return self.value(b, start).map(Some);
                }
                State::Done => unreachable!("handled above"),
            }
        }
    }

    fn close(&mut self, kind: TokenKind) -> Token {
        let start = self.pos;
        self.pos += 1;
        self.depth -= 1;
        self.after_value();
        self.token(kind, start, self.depth)
    }

    fn value(&mut self, b: u8, start: usize) -> Result<Token, JsonError> {
        let depth = self.depth;
        let kind = match b {
            b'{' | b'[' => {
                let object = b == b'{';
                self.open(object)?;
                self.pos += 1;
                self.state = if object {
                    State::KeyOrEnd
                } else {
                    State::ValueOrEnd
                };
                return Ok(self.token(
                    if object {
                        TokenKind::ObjectStart
                    } else {
                        TokenKind::ArrayStart
                    },
                    start,
                    depth,
                ));
            }
            b'"' => {
                self.pos = scan_string(self.input, start)?;
                TokenKind::String
            }
            b't' => {
                self.pos = scan_literal(self.input, start, b"true")?;
                TokenKind::True
            }
            b'f' => {
                self.pos = scan_literal(self.input, start, b"false")?;
                TokenKind::False
            }
            b'n' => {
                self.pos = scan_literal(self.input, start, b"null")?;
                TokenKind::Null
            }
            b'-' | b'0'..=b'9' => {
                self.pos = scan_number(self.input, start)?;
                TokenKind::Number
            }
            _ => return err(start, JsonErrorKind::UnexpectedByte(b)),
        };
        self.after_value();
        Ok(self.token(kind, start, depth))
    }
}

impl Iterator for Tokenizer<'_> {
    type Item = Result<Token, JsonError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.step() {
            Ok(Some(t)) => Some(Ok(t)),
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// Scans the string starting at `input[start] == b'"'`; returns the offset after the closing quote.
#[inline]
pub(crate) fn scan_string(input: &[u8], start: usize) -> Result<usize, JsonError> {
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
#[inline]
fn special_bytes(w: u64) -> u64 {
    let q = w ^ (LO * u64::from(b'"'));
    let bs = w ^ (LO * u64::from(b'\\'));
    let zq = q.wrapping_sub(LO) & !q;
    let zb = bs.wrapping_sub(LO) & !bs;
    let ctl = w.wrapping_sub(LO * 0x20) & !w;
    (zq | zb | ctl) & HI
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

fn scan_literal(input: &[u8], start: usize, lit: &[u8]) -> Result<usize, JsonError> {
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

fn scan_number(input: &[u8], start: usize) -> Result<usize, JsonError> {
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

/// Checks that `input` is exactly one JSON value, optionally surrounded by whitespace, nested at
/// most [`DEFAULT_MAX_DEPTH`] deep.
///
/// ```
/// assert!(sockwire::json::validate(r#" ["a", {"b": null}] "#).is_ok());
/// assert!(sockwire::json::validate("[1,]").is_err());
/// ```
pub fn validate(input: &str) -> Result<(), JsonError> {
    validate_with_depth(input, DEFAULT_MAX_DEPTH)
}

/// [`validate`] with an explicit nesting cap.
pub fn validate_with_depth(input: &str, max_depth: usize) -> Result<(), JsonError> {
    for t in Tokenizer::with_max_depth(input, max_depth) {
        t?;
    }
    Ok(())
}

/// Scans one JSON value starting at `start` (leading whitespace skipped) and returns the offset
/// one past its end; whatever follows the value is not looked at.
///
/// ```
/// let s = r#"{"a":1}, 2"#;
/// assert_eq!(sockwire::json::value_end(s, 0), Ok(7));
/// ```
pub fn value_end(input: &str, start: usize) -> Result<usize, JsonError> {
    value_end_depth(input, start, DEFAULT_MAX_DEPTH)
}

fn value_end_depth(input: &str, start: usize, max_depth: usize) -> Result<usize, JsonError> {
    let mut t = Tokenizer::with_max_depth(input, max_depth);
    t.pos = start;
    t.prefix = true;
    for tok in t.by_ref() {
        tok?;
    }
    Ok(t.pos)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// Iterates the raw text of each element of a JSON array, scanning each element once.
///
/// `input` must be an array (surrounding whitespace allowed), otherwise the call fails with
/// [`JsonErrorKind::WrongType`]. Errors inside the array, and trailing characters after it, are
/// reported by the iterator, after which it stops.
///
/// ```
/// let items: Vec<&str> = sockwire::json::array_items(r#"["ev", {"a":1}, 2]"#)
///     .unwrap().map(Result::unwrap).collect();
/// assert_eq!(items, [r#""ev""#, r#"{"a":1}"#, "2"]);
/// ```
pub fn array_items(input: &str) -> Result<ArrayItems<'_>, JsonError> {
    let b = input.as_bytes();
    let i = skip_ws(b, 0);
    match b.get(i) {
        Some(b'[') => Ok(ArrayItems {
            input,
            pos: i + 1,
            first: true,
            done: false,
        }),
        Some(_) => err(i, JsonErrorKind::WrongType),
        None => err(i, JsonErrorKind::UnexpectedEnd),
    }
}

/// Iterator returned by [`array_items`].
#[derive(Debug, Clone)]
pub struct ArrayItems<'b> {
    input: &'b str,
    pos: usize,
    first: bool,
    done: bool,
}

impl<'b> ArrayItems<'b> {
    fn step(&mut self) -> Result<Option<&'b str>, JsonError> {
        // `[1,]` is refused by `value_end_depth`: after `,` a value must follow.
        let Some(start) = next_child(self.input, &mut self.pos, &mut self.first, b']')? else {
            return Ok(None);
        };
        // Depth 1 is taken by the array itself.
        let end = value_end_depth(self.input, start, DEFAULT_MAX_DEPTH - 1)?;
        self.pos = end;
        Ok(Some(&self.input[start..end]))
    }
}

/// Where the next child of a container starts (after `[`/`{`, or after a value and its `,`), or
/// `None` at the closing byte `close`, which must end the input (whitespace aside).
fn next_child(
    input: &str,
    pos: &mut usize,
    first: &mut bool,
    close: u8,
) -> Result<Option<usize>, JsonError> {
    let b = input.as_bytes();
    let mut i = skip_ws(b, *pos);
    match b.get(i) {
        None => return err(i, JsonErrorKind::UnexpectedEnd),
        Some(&c) if c == close => {
            let end = skip_ws(b, i + 1);
            if end != b.len() {
                return err(end, JsonErrorKind::TrailingCharacters);
            }
            return Ok(None);
        }
        Some(&c) if !*first => {
            if c != b',' {
                return err(i, JsonErrorKind::UnexpectedByte(c));
            }
            i = skip_ws(b, i + 1);
        }
        Some(_) => {}
    }
    *first = false;
    Ok(Some(i))
}

/// `Iterator` for a container walker whose `step` yields the next child, `None` at the end, or
/// the first error; the iterator stops after the end or an error.
macro_rules! children_iterator {
    ($ty:ident, $item:ty) => {
        impl<'b> Iterator for $ty<'b> {
            type Item = Result<$item, JsonError>;

            fn next(&mut self) -> Option<Self::Item> {
                if self.done {
                    return None;
                }
                let r = self.step().transpose();
                self.done = !matches!(r, Some(Ok(_)));
                r
            }
        }
    };
}

children_iterator!(ArrayItems, &'b str);

/// Iterates `(raw key, raw value)` pairs of a JSON object, scanning each member once. The raw key
/// includes its quotes: compare it with [`string_eq`] or decode it with [`unescape`].
///
/// ```
/// let m: Vec<(&str, &str)> = sockwire::json::object_members(r#"{"sid":"x","n":1}"#)
///     .unwrap().map(Result::unwrap).collect();
/// assert_eq!(m, [(r#""sid""#, r#""x""#), (r#""n""#, "1")]);
/// ```
pub fn object_members(input: &str) -> Result<ObjectMembers<'_>, JsonError> {
    let b = input.as_bytes();
    let i = skip_ws(b, 0);
    match b.get(i) {
        Some(b'{') => Ok(ObjectMembers {
            input,
            pos: i + 1,
            first: true,
            done: false,
        }),
        Some(_) => err(i, JsonErrorKind::WrongType),
        None => err(i, JsonErrorKind::UnexpectedEnd),
    }
}

/// Iterator returned by [`object_members`].
#[derive(Debug, Clone)]
pub struct ObjectMembers<'b> {
    input: &'b str,
    pos: usize,
    first: bool,
    done: bool,
}

impl<'b> ObjectMembers<'b> {
    fn step(&mut self) -> Result<Option<(&'b str, &'b str)>, JsonError> {
        let b = self.input.as_bytes();
        let Some(i) = next_child(self.input, &mut self.pos, &mut self.first, b'}')? else {
            return Ok(None);
        };
        match b.get(i) {
            None => return err(i, JsonErrorKind::UnexpectedEnd),
            Some(b'"') => {}
            Some(&c) => return err(i, JsonErrorKind::UnexpectedByte(c)),
        }
        let key_end = scan_string(b, i)?;
        let key = &self.input[i..key_end];
        let colon = skip_ws(b, key_end);
        match b.get(colon) {
            None => return err(colon, JsonErrorKind::UnexpectedEnd),
            Some(b':') => {}
            Some(&c) => return err(colon, JsonErrorKind::UnexpectedByte(c)),
        }
        let start = skip_ws(b, colon + 1);
        let end = value_end_depth(self.input, start, DEFAULT_MAX_DEPTH - 1)?;
        self.pos = end;
        Ok(Some((key, &self.input[start..end])))
    }
}

children_iterator!(ObjectMembers, (&'b str, &'b str));

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

/// Calls `sink` with consecutive pieces of `s` written as a JSON string (quotes included).
/// Escapes are ASCII, so every cut falls on a character boundary.
#[inline]
fn write_pieces<E>(s: &str, mut sink: impl FnMut(&str) -> Result<(), E>) -> Result<(), E> {
    sink("\"")?;
    let mut run = 0;
    for (i, &c) in s.as_bytes().iter().enumerate() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_u64_matches_the_standard_parser_on_json_integers() {
        let cases: [&str; 14] = [
            "0",
            "7",
            "00",
            "01",
            "-1",
            "+1",
            "1e3",
            "1.0",
            "",
            " 1",
            "9999999999999999999",
            "10000000000000000000",
            "18446744073709551615",
            "18446744073709551616",
        ];
        for raw in cases {
            // JSON integers: no sign, no leading zero (except "0" itself).
            let json_ok = !raw.is_empty()
                && raw.bytes().all(|c| c.is_ascii_digit())
                && !(raw.len() > 1 && raw.starts_with('0'));
            let want = if json_ok {
                raw.parse::<u64>().ok()
            } else {
                None
            };
            assert_eq!(parse_u64(raw), want, "{raw:?}");
        }
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = x >> (x % 64);
            let mut buf = [0u8; 20];
            let mut i = buf.len();
            let mut m = n;
            loop {
                i -= 1;
                buf[i] = b'0' + (m % 10) as u8;
                m /= 10;
                if m == 0 {
                    break;
                }
            }
            let raw = core::str::from_utf8(&buf[i..]).unwrap_or("");
            assert_eq!(parse_u64(raw), Some(n), "{raw}");
        }
    }

    #[test]
    #[cfg(feature = "alloc")]
    fn has_backslash_finds_it_anywhere() {
        // Every length to 40 with one backslash at every position, none, and the neighbours
        // of `\\` in value (0x5b, 0x5d) and bytes that differ from it in one bit.
        for len in 0..=40 {
            let plain = [b'a'; 40];
            assert!(!has_backslash(&plain[..len]));
            for near in [0x5b_u8, 0x5d, 0x5c ^ 0x80, 0x5c ^ 0x01, 0x5c ^ 0x40, 0] {
                let mut b = [near; 40];
                assert!(!has_backslash(&b[..len]), "{near:#x} len {len}");
                for at in 0..len {
                    b[at] = b'\\';
                    assert!(has_backslash(&b[..len]), "len {len} at {at}");
                    b[at] = near;
                }
            }
        }
    }

    #[test]
    fn accepts_valid_documents() {
        for ok in [
            "0",
            "-0",
            "1.5e-3",
            "1E+2",
            "\"\"",
            "\"\\u00e9\\ud83d\\ude00\"",
            "[]",
            "{}",
            " [ 1 , { \"a\" : [ null , true , false ] } ] ",
            "\"\\ud800\"",
        ] {
            assert_eq!(validate(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_invalid_documents() {
        for bad in [
            "",
            " ",
            "01",
            "-",
            "1.",
            ".1",
            "1e",
            "+1",
            "[1,]",
            "[,1]",
            "{\"a\":1,}",
            "{,}",
            "{\"a\" 1}",
            "{1:2}",
            "[1 2]",
            "tru",
            "nul",
            "\"a",
            "\"\\x\"",
            "\"\\u12g4\"",
            "\"\t\"",
            "[]]",
            "{}x",
            "NaN",
            "'a'",
            "[",
            "{\"a\":",
            "1 2",
        ] {
            assert!(validate(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn depth_is_capped() {
        let deep: alloc_free::Buf = alloc_free::nested(200);
        assert_eq!(
            validate(deep.as_str()).unwrap_err().kind,
            JsonErrorKind::TooDeep
        );
        assert!(validate_with_depth(deep.as_str(), 256).is_ok());
    }

    mod alloc_free {
        pub(super) struct Buf([u8; 512], usize);
        impl Buf {
            pub(super) fn as_str(&self) -> &str {
                core::str::from_utf8(&self.0[..self.1]).unwrap()
            }
        }
        pub(super) fn nested(n: usize) -> Buf {
            let mut b = [0u8; 512];
            for i in 0..n {
                b[i] = b'[';
                b[2 * n - 1 - i] = b']';
            }
            Buf(b, 2 * n)
        }
    }

    #[test]
    fn string_helpers() {
        assert!(string_eq("\"a\\\"b\"", "a\"b"));
        assert!(string_eq("\"\\ud83d\\ude00\"", "😀"));
        assert!(!string_eq("\"\\ud83d\"", "\u{fffd}"));
        assert!(!string_eq("\"ab\"", "a"));
        assert!(!string_eq("\"a\"", "ab"));
        assert_eq!(str_borrowed("\"plain\""), Some("plain"));
        assert_eq!(str_borrowed("\"esc\\n\""), None);
    }

    #[test]
    fn items_and_members() {
        let v: Result<(), JsonError> = array_items("[1,]").unwrap().try_for_each(|r| r.map(drop));
        assert!(v.is_err());
        let v: Result<(), JsonError> = array_items("[1] x").unwrap().try_for_each(|r| r.map(drop));
        assert_eq!(v.unwrap_err().kind, JsonErrorKind::TrailingCharacters);
        assert_eq!(array_items("[]").unwrap().count(), 0);
        assert_eq!(array_items(" [ ] ").unwrap().count(), 0);
        assert_eq!(
            array_items("{}").unwrap_err().kind,
            JsonErrorKind::WrongType
        );
        let v: Result<(), JsonError> = object_members("{\"a\":1,}")
            .unwrap()
            .try_for_each(|r| r.map(drop));
        assert!(v.is_err());
        assert_eq!(object_members("{ }").unwrap().count(), 0);
    }

    #[test]
    fn writer_matches_json_stringify() {
        let mut out = [0u8; 64];
        let n = write_str_to_slice("\u{0}\u{1f}\u{7f}\u{2028}\\/", &mut out).unwrap();
        assert_eq!(
            core::str::from_utf8(&out[..n]).unwrap(),
            "\"\\u0000\\u001f\u{7f}\u{2028}\\\\/\""
        );
        assert_eq!(escaped_len("ab"), 4);
        assert_eq!(write_str_to_slice("abc", &mut out[..4]), None);
    }
}
