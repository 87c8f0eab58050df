//! The pull tokenizer: [`Tokenizer`] yields the [`Token`]s of exactly one JSON value with their
//! byte ranges and depth, without allocating.

use super::error::err;
use super::scan::{scan_literal, scan_number, scan_string};
use super::{DEFAULT_MAX_DEPTH, JsonError, JsonErrorKind, MAX_DEPTH_LIMIT};

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
    pub(super) pos: usize,
    state: State,
    depth: usize,
    max_depth: usize,
    /// Bit `d` set: the container at depth `d` is an object.
    kinds: [u64; MAX_DEPTH_LIMIT / 64],
    failed: bool,
    /// Stop after the top-level value instead of requiring the input to end (for [`value_end`]).
    pub(super) prefix: bool,
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
