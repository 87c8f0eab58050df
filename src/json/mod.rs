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

mod compact;
mod error;
pub(crate) mod fast;
mod read;
mod scan;
mod tokenizer;
mod value;
mod write;

pub use error::{JsonError, JsonErrorKind};
#[cfg(feature = "alloc")]
pub use read::unescape;
pub use read::{parse_u64, str_borrowed, string_eq};
#[cfg(feature = "alloc")]
pub(crate) use scan::has_backslash;
pub(crate) use scan::scan_string;
pub use tokenizer::{Token, TokenKind, Tokenizer};
pub use value::{
    ArrayItems, ObjectMembers, array_items, object_members, validate, validate_with_depth,
    value_end,
};
#[cfg(feature = "alloc")]
pub(crate) use write::is_plain;
pub use write::{escaped_len, write_str, write_str_to_slice};
#[cfg(feature = "alloc")]
pub use write::{push_str, push_string};

/// The nesting depth (arrays and objects) accepted by default.
pub const DEFAULT_MAX_DEPTH: usize = 128;
/// The largest nesting depth a [`Tokenizer`] can track.
pub const MAX_DEPTH_LIMIT: usize = 256;

#[cfg(test)]
mod tests;
