//! Whole values: [`validate`] / [`value_end`] check or skip exactly one value, and
//! [`array_items`] / [`object_members`] iterate the raw text of a container's children.

use super::error::err;
use super::scan::scan_string;
use super::{DEFAULT_MAX_DEPTH, JsonError, JsonErrorKind, Tokenizer};

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
    // Fast path: compact text (no whitespace outside strings, as serializers write it) in one
    // tight pass. It accepts only what the tokenizer below accepts at a depth of at least
    // `COMPACT_DEPTH`; anything else, valid or not, is decided (and any error located) below.
    if max_depth >= super::fast::COMPACT_DEPTH as usize
        && super::fast::compact_whole(input.as_bytes())
    {
        return Ok(());
    }
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
/// includes its quotes: compare it with [`string_eq`](super::string_eq) or decode it with
/// [`unescape`](super::unescape).
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
