//! Incremental, fail-fast UTF-8 validation.
//!
//! A WebSocket text message may arrive split over many frames, and each frame over many reads, so
//! a code point can be cut anywhere. [`Utf8Validator`] is fed the bytes chunk by chunk and keeps
//! the few bits of state needed to resume in the middle of a code point. It rejects a byte **as
//! soon as no valid UTF-8 string can start with the bytes seen so far**, not merely when a code
//! point is complete: an overlong lead (`C0`, `C1`, `E0 80..9F`, `F0 80..8F`), a surrogate
//! (`ED A0..BF`), a value above U+10FFFF (`F4 90..BF`, `F5..FF`), a stray continuation byte or
//! a missing one all fail at the offending byte. That is what Autobahn cases 6.4.x call *strict*
//! (failing a frame late is *non-strict*).
//!
//! The validator needs no allocation. Runs of ASCII are checked 16 bytes at a time; a chunk that
//! is entirely ASCII costs a handful of instructions per 16 bytes, and feeding many small chunks
//! costs no more than a function call each.
//!
//! ```
//! use sockwire::utf8::Utf8Validator;
//!
//! let euro = "€".as_bytes(); // E2 82 AC
//! let mut v = Utf8Validator::new();
//! v.feed(&euro[..1]).unwrap();
//! assert!(!v.is_boundary()); // in the middle of a code point
//! v.feed(&euro[1..]).unwrap();
//! v.finish().unwrap();
//!
//! // A surrogate is refused at its second byte, before the code point is complete.
//! let mut v = Utf8Validator::new();
//! let err = v.feed(&[b'a', 0xED, 0xA0]).unwrap_err();
//! assert_eq!(err.offset(), Some(2));
//! ```

use core::fmt;

/// Why and where UTF-8 validation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utf8Error {
    /// Index of the offending byte in the chunk given to [`Utf8Validator::feed`]; `None` when the
    /// input ended in the middle of a code point ([`Utf8Validator::finish`]).
    offset: Option<usize>,
}

impl Utf8Error {
    /// Index, within the chunk passed to the failing [`Utf8Validator::feed`] call, of the first
    /// byte that cannot be part of valid UTF-8. `None` when the error is that the input ended in
    /// the middle of a code point (reported by [`Utf8Validator::finish`]).
    pub fn offset(&self) -> Option<usize> {
        self.offset
    }

    /// Whether the error is an input that ended inside a code point (as opposed to a bad byte).
    pub fn is_incomplete(&self) -> bool {
        self.offset.is_none()
    }
}

impl fmt::Display for Utf8Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(i) => write!(f, "invalid UTF-8 at byte {i} of the chunk"),
            None => f.write_str("input ends inside a UTF-8 code point"),
        }
    }
}

impl core::error::Error for Utf8Error {}

/// Incremental UTF-8 validator; see the [module docs](self).
///
/// Feed chunks with [`feed`](Self::feed), then call [`finish`](Self::finish) at the end of the
/// text. After an error the validator stays failed (every further `feed` fails at offset 0) until
/// [`reset`](Self::reset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Utf8Validator {
    /// Continuation bytes still expected for the current code point (0..=3).
    need: u8,
    /// Lowest allowed value of the next byte (only meaningful while `need > 0`).
    lo: u8,
    /// Highest allowed value of the next byte (only meaningful while `need > 0`).
    hi: u8,
    /// A previous `feed` failed.
    failed: bool,
}

const HIGH_BITS_8: u64 = 0x8080_8080_8080_8080;

/// The length of the longest prefix of `b` made of whole 8-byte words that are all ASCII,
/// checked 32 bytes at a time, then 8. (8-byte loads rather than wider ones: freshly unmasked
/// payloads were just written 8 bytes at a time, and a load spanning two stores cannot be
/// forwarded from them.)
#[inline(always)]
fn ascii_words(b: &[u8]) -> usize {
    #[inline(always)]
    fn word(c: &[u8]) -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&c[..8]);
        u64::from_ne_bytes(w)
    }
    // Mixed text has short ASCII runs: give up at once if the first word is not ASCII.
    match b.get(..8) {
        Some(c) if word(c) & HIGH_BITS_8 == 0 => {}
        _ => return 0,
    }
    let mut n = 0;
    let mut blocks = b.chunks_exact(32);
    for c in &mut blocks {
        if (word(c) | word(&c[8..]) | word(&c[16..]) | word(&c[24..])) & HIGH_BITS_8 != 0 {
            break;
        }
        n += 32;
    }
    for c in b[n..].chunks_exact(8) {
        if word(c) & HIGH_BITS_8 != 0 {
            break;
        }
        n += 8;
    }
    n
}

/// Classifies a lead byte: `(continuations needed, allowed range of the second byte)`, or `None`
/// for a byte that cannot start a code point (continuation bytes, `C0`, `C1`, `F5..=FF`).
#[inline]
fn lead(b: u8) -> Option<(u8, u8, u8)> {
    Some(match b {
        0xC2..=0xDF => (1, 0x80, 0xBF),
        0xE0 => (2, 0xA0, 0xBF),
        0xE1..=0xEC | 0xEE..=0xEF => (2, 0x80, 0xBF),
        0xED => (2, 0x80, 0x9F),
        0xF0 => (3, 0x90, 0xBF),
        0xF1..=0xF3 => (3, 0x80, 0xBF),
        0xF4 => (3, 0x80, 0x8F),
        _ => return None,
    })
}

impl Utf8Validator {
    /// A validator at the start of a text.
    pub const fn new() -> Self {
        Utf8Validator {
            need: 0,
            lo: 0,
            hi: 0,
            failed: false,
        }
    }

    /// Forgets everything: back to the start of a new text.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Whether the bytes fed so far end on a code point boundary (nothing pending) and no error
    /// was seen. A text is complete and valid exactly when this holds at its end.
    pub fn is_boundary(&self) -> bool {
        self.need == 0 && !self.failed
    }

    /// Whether a previous [`feed`](Self::feed) failed.
    pub fn is_failed(&self) -> bool {
        self.failed
    }

    /// Validates the next chunk of the text.
    ///
    /// Fails at the first byte that no valid UTF-8 text could contain after the bytes seen so
    /// far, also when that code point started in an earlier chunk. The error's
    /// [`offset`](Utf8Error::offset) is relative to `bytes`.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), Utf8Error> {
        if self.failed {
            return Err(Utf8Error { offset: Some(0) });
        }
        match self.feed_inner(bytes) {
            Ok(()) => Ok(()),
            Err(i) => {
                self.failed = true;
                Err(Utf8Error { offset: Some(i) })
            }
        }
    }

    #[inline]
    fn feed_inner(&mut self, bytes: &[u8]) -> Result<(), usize> {
        let len = bytes.len();
        let mut i = 0;
        // Finish a code point begun in an earlier chunk.
        while self.need > 0 {
            let Some(&b) = bytes.get(i) else {
                return Ok(());
            };
            if b < self.lo || b > self.hi {
                return Err(i);
            }
            self.need -= 1;
            self.lo = 0x80;
            self.hi = 0xBF;
            i += 1;
        }
        while i < len {
            // ASCII runs, a word at a time (see `ascii_words`).
            let skip = ascii_words(&bytes[i..]);
            i += skip;
            if skip >= 8 {
                continue;
            }
            // Fewer than 8 ASCII bytes before the next non-ASCII one: byte by byte.
            while bytes.get(i).is_some_and(|&b| b < 0x80) {
                i += 1;
            }
            // A run of multi-byte code points; back to the fast path at the next ASCII byte.
            while let Some(&b) = bytes.get(i) {
                if b < 0x80 {
                    break;
                }
                let Some((need, lo, hi)) = lead(b) else {
                    return Err(i);
                };
                i += 1;
                // Second byte: restricted range.
                let Some(&c) = bytes.get(i) else {
                    self.need = need;
                    self.lo = lo;
                    self.hi = hi;
                    return Ok(());
                };
                if c < lo || c > hi {
                    return Err(i);
                }
                i += 1;
                // Remaining continuation bytes: 80..=BF.
                let mut rest = need - 1;
                while rest > 0 {
                    let Some(&c) = bytes.get(i) else {
                        self.need = rest;
                        self.lo = 0x80;
                        self.hi = 0xBF;
                        return Ok(());
                    };
                    if c & 0xC0 != 0x80 {
                        return Err(i);
                    }
                    i += 1;
                    rest -= 1;
                }
            }
        }
        Ok(())
    }

    /// Declares the end of the text: fails if it ends inside a code point or an error was seen.
    pub fn finish(&self) -> Result<(), Utf8Error> {
        if self.failed {
            Err(Utf8Error { offset: Some(0) })
        } else if self.need > 0 {
            Err(Utf8Error { offset: None })
        } else {
            Ok(())
        }
    }
}

/// Validates a complete text in one go (the same rules as a fresh [`Utf8Validator`] fed once and
/// finished).
pub fn validate(bytes: &[u8]) -> Result<(), Utf8Error> {
    let mut v = Utf8Validator::new();
    v.feed(bytes)?;
    v.finish()
}
