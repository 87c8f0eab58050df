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
//! The validator needs no allocation. Runs of ASCII are checked a word at a time (32 bytes per
//! step); everything else goes through a branch-free shift-based DFA (one table load, shift and
//! mask per byte), so text that mixes scripts costs no branch mispredictions. Feeding many small
//! chunks costs no more than a function call each.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utf8Validator {
    /// The DFA state (a bit offset into [`TABLE`] entries, see [`step`]).
    state: u8,
}

impl Default for Utf8Validator {
    fn default() -> Self {
        Self::new()
    }
}

// A shift-based DFA: each state is a 6-bit field offset, and `TABLE[byte]` packs, for every state
// `s`, the next state at bits `s..s + 6`. One table load, one shift and one mask per byte, no
// branches, so mixed scripts cost the same whatever their mix. `ERR` is offset 0 and every
// entry's low field is 0, so the error state absorbs everything that follows.
const ERR: u8 = 0;
const ACC: u8 = 6;
/// One, two or three continuation bytes (80..=BF) still expected.
const C1: u8 = 12;
const C2: u8 = 18;
const C3: u8 = 24;
/// After `E0`: A0..=BF (no overlongs), then one more.
const AFTER_E0: u8 = 30;
/// After `ED`: 80..=9F (no surrogates), then one more.
const AFTER_ED: u8 = 36;
/// After `F0`: 90..=BF (no overlongs), then two more.
const AFTER_F0: u8 = 42;
/// After `F4`: 80..=8F (nothing above U+10FFFF), then two more.
const AFTER_F4: u8 = 48;

const fn next(state: u8, b: u8) -> u8 {
    match state {
        ACC => match b {
            0x00..=0x7F => ACC,
            0xC2..=0xDF => C1,
            0xE0 => AFTER_E0,
            0xE1..=0xEC | 0xEE..=0xEF => C2,
            0xED => AFTER_ED,
            0xF0 => AFTER_F0,
            0xF1..=0xF3 => C3,
            0xF4 => AFTER_F4,
            _ => ERR,
        },
        C1 | C2 | C3 if b >= 0x80 && b <= 0xBF => state - 6,
        AFTER_E0 if b >= 0xA0 && b <= 0xBF => C1,
        AFTER_ED if b >= 0x80 && b <= 0x9F => C1,
        AFTER_F0 if b >= 0x90 && b <= 0xBF => C2,
        AFTER_F4 if b >= 0x80 && b <= 0x8F => C2,
        _ => ERR,
    }
}

const TABLE: [u64; 256] = {
    let states = [ACC, C1, C2, C3, AFTER_E0, AFTER_ED, AFTER_F0, AFTER_F4];
    let mut t = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut k = 0;
        while k < states.len() {
            t[b] |= (next(states[k], b as u8) as u64) << states[k];
            k += 1;
        }
        b += 1;
    }
    t
};

#[inline(always)]
fn step(state: u8, b: u8) -> u8 {
    ((TABLE[usize::from(b)] >> state) & 63) as u8
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

impl Utf8Validator {
    /// A validator at the start of a text.
    pub const fn new() -> Self {
        Utf8Validator { state: ACC }
    }

    /// Forgets everything: back to the start of a new text.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Whether the bytes fed so far end on a code point boundary (nothing pending) and no error
    /// was seen. A text is complete and valid exactly when this holds at its end.
    pub fn is_boundary(&self) -> bool {
        self.state == ACC
    }

    /// Whether a previous [`feed`](Self::feed) failed.
    pub fn is_failed(&self) -> bool {
        self.state == ERR
    }

    /// Validates the next chunk of the text.
    ///
    /// Fails at the first byte that no valid UTF-8 text could contain after the bytes seen so
    /// far, also when that code point started in an earlier chunk. The error's
    /// [`offset`](Utf8Error::offset) is relative to `bytes`.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), Utf8Error> {
        if self.state == ERR {
            return Err(Utf8Error { offset: Some(0) });
        }
        self.feed_inner(bytes)
            .map_err(|i| Utf8Error { offset: Some(i) })
    }

    #[inline]
    fn feed_inner(&mut self, bytes: &[u8]) -> Result<(), usize> {
        /// Bytes run through the DFA between checks for the error state.
        const BLOCK: usize = 32;
        let len = bytes.len();
        let mut state = self.state;
        let mut i = 0;
        while i < len {
            if state == ACC {
                // ASCII runs, a word at a time (see `ascii_words`).
                let skip = ascii_words(&bytes[i..]);
                i += skip;
                if skip >= 8 {
                    continue;
                }
            }
            let end = len.min(i + BLOCK);
            let block = &bytes[i..end];
            let mut s = state;
            for &b in block {
                s = step(s, b);
            }
            if s == ERR {
                // Replay the block to find the first byte that led into the error state.
                let mut t = state;
                for (k, &b) in block.iter().enumerate() {
                    t = step(t, b);
                    if t == ERR {
                        self.state = ERR;
                        return Err(i + k);
                    }
                }
            }
            state = s;
            i = end;
        }
        self.state = state;
        Ok(())
    }

    /// Declares the end of the text: fails if it ends inside a code point or an error was seen.
    pub fn finish(&self) -> Result<(), Utf8Error> {
        match self.state {
            ERR => Err(Utf8Error { offset: Some(0) }),
            ACC => Ok(()),
            _ => Err(Utf8Error { offset: None }),
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
