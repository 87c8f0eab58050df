//! The scanner's error: what went wrong ([`JsonErrorKind`]) and at which byte offset.

use core::fmt;

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

pub(super) fn err<T>(offset: usize, kind: JsonErrorKind) -> Result<T, JsonError> {
    Err(JsonError { offset, kind })
}
