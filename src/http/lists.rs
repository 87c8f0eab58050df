//! Comma-separated lists and the `Sec-WebSocket-Extensions` grammar.

use super::*;

// ---------------------------------------------------------------------------------------------
// Lists.

/// The elements of a comma-separated list (RFC 7230 §7) spread over every header field with a
/// given name, in order, with optional whitespace trimmed and empty elements skipped.
///
/// Elements are split at every comma: use it for lists of tokens (`Connection`, `Upgrade`,
/// `Sec-WebSocket-Protocol`), not for values that may contain quoted commas (see
/// [`Extensions`]). Linear in the total length of the values.
#[derive(Debug, Clone)]
pub struct ListIter<'h, 'b> {
    headers: &'h [Header<'b>],
    name: &'h str,
    rest: &'b [u8],
}

impl<'h, 'b> ListIter<'h, 'b> {
    /// Lists of all headers named `name`.
    pub fn new(headers: &'h [Header<'b>], name: &'h str) -> Self {
        ListIter {
            headers,
            name,
            rest: b"",
        }
    }

    /// The elements of a single value.
    pub fn value(value: &'b [u8]) -> ListIter<'b, 'b> {
        ListIter {
            headers: &[],
            name: "",
            rest: value,
        }
    }
}

impl<'b> Iterator for ListIter<'_, 'b> {
    type Item = &'b [u8];

    fn next(&mut self) -> Option<&'b [u8]> {
        loop {
            while self.rest.is_empty() {
                let (h, rest) = self.headers.split_first()?;
                self.headers = rest;
                if h.is(self.name) {
                    self.rest = h.value;
                }
            }
            let (el, rest) = match self.rest.iter().position(|&b| b == b',') {
                Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
                None => (self.rest, &b""[..]),
            };
            self.rest = rest;
            let el = trim_ows(el);
            if !el.is_empty() {
                return Some(el);
            }
        }
    }
}

/// Byte classes for [`is_token_list`]: 0 other, 1 `tchar`, 2 `,`, 3 OWS.
const fn list_class_table() -> [u8; 256] {
    let tchar = tchar_table();
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if tchar[i] {
            1
        } else if i == b',' as usize {
            2
        } else if i == b' ' as usize || i == b'\t' as usize {
            3
        } else {
            0
        };
        i += 1;
    }
    t
}

static LIST_CLASS: [u8; 256] = list_class_table();

/// Transitions of the `#token` automaton, two bits per (state, class) at bit `2 * (4 * state +
/// class)`. States: 0 before a token (start of an element), 1 in a token, 2 whitespace after a
/// token, 3 failed (absorbing).
const LIST_TRANSITIONS: u32 = {
    // [state][class] for class = other, tchar, comma, OWS.
    let table: [[u32; 4]; 4] = [[3, 1, 0, 0], [3, 1, 0, 2], [3, 3, 0, 2], [3, 3, 3, 3]];
    let mut bits = 0u32;
    let mut st = 0;
    while st < 4 {
        let mut c = 0;
        while c < 4 {
            bits |= table[st][c] << (2 * (4 * st + c));
            c += 1;
        }
        st += 1;
    }
    bits
};

/// Whether `value` is a comma-separated list of tokens (RFC 7230 §7 `#token`: optional whitespace
/// around elements, empty elements allowed). One pass of a branch-free four-state automaton
/// (the failed state is absorbing, so it is only tested at the end).
pub fn is_token_list(value: &[u8]) -> bool {
    let mut state = 0u32;
    for &b in value {
        let class = u32::from(LIST_CLASS[b as usize]);
        state = (LIST_TRANSITIONS >> (2 * (4 * state + class))) & 3;
    }
    state != 3
}

/// Whether a single header value's comma list contains `token` (ASCII case-insensitive).
pub fn value_has_token(value: &[u8], token: &[u8]) -> bool {
    value.eq_ignore_ascii_case(token)
        || ListIter::value(value).any(|t| t.eq_ignore_ascii_case(token))
}

// ---------------------------------------------------------------------------------------------
// Extensions (RFC 6455 §9.1, RFC 7692 §5).

/// An extension list violates the RFC 6455 §9.1 grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtensionSyntaxError;

impl fmt::Display for ExtensionSyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("malformed extension list (RFC 6455 section 9.1)")
    }
}

impl core::error::Error for ExtensionSyntaxError {}

/// One extension offer or acceptance: a name and its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension<'b> {
    name: &'b [u8],
    params: &'b [u8],
}

impl<'b> Extension<'b> {
    /// The extension token, e.g. `permessage-deflate`.
    pub fn name(&self) -> &'b str {
        core::str::from_utf8(self.name).unwrap_or("")
    }

    /// The parameters (already validated).
    pub fn params(&self) -> Params<'b> {
        Params { rest: self.params }
    }
}

/// The parameters of an [`Extension`].
#[derive(Debug, Clone)]
pub struct Params<'b> {
    rest: &'b [u8],
}

/// One extension parameter: `name` or `name=value` (value a token or a quoted string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param<'b> {
    name: &'b [u8],
    value: Option<&'b [u8]>,
    quoted: bool,
}

impl<'b> Param<'b> {
    /// The parameter name.
    pub fn name(&self) -> &'b str {
        core::str::from_utf8(self.name).unwrap_or("")
    }

    /// The raw value: a token, or the inside of a quoted string with its backslash escapes.
    pub fn raw_value(&self) -> Option<&'b str> {
        self.value.map(|v| core::str::from_utf8(v).unwrap_or(""))
    }

    /// Whether the value was a quoted string.
    pub fn is_quoted(&self) -> bool {
        self.quoted
    }

    /// The unescaped value bytes (RFC 6455 §9.1 requires them to form a token), if any.
    pub fn value_bytes(&self) -> Option<impl Iterator<Item = u8> + 'b> {
        let quoted = self.quoted;
        self.value.map(move |v| Unescape {
            bytes: v,
            quoted,
            i: 0,
        })
    }
}

struct Unescape<'b> {
    bytes: &'b [u8],
    quoted: bool,
    i: usize,
}

impl Iterator for Unescape<'_> {
    type Item = u8;
    fn next(&mut self) -> Option<u8> {
        let mut b = *self.bytes.get(self.i)?;
        self.i += 1;
        if self.quoted && b == b'\\' {
            b = *self.bytes.get(self.i)?;
            self.i += 1;
        }
        Some(b)
    }
}

impl<'b> Iterator for Params<'b> {
    type Item = Param<'b>;

    fn next(&mut self) -> Option<Param<'b>> {
        // `rest` is validated: `(OWS ";" OWS param)*`.
        let mut p = ExtParser { s: self.rest, i: 0 };
        p.ows();
        if p.peek() != Some(b';') {
            self.rest = b"";
            return None;
        }
        p.i += 1;
        p.ows();
        let param = p.param().ok()?;
        self.rest = &self.rest[p.i..];
        Some(param)
    }
}

struct ExtParser<'b> {
    s: &'b [u8],
    i: usize,
}

impl<'b> ExtParser<'b> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn token(&mut self) -> Result<&'b [u8], ExtensionSyntaxError> {
        let start = self.i;
        while matches!(self.peek(), Some(b) if is_tchar(b)) {
            self.i += 1;
        }
        if self.i == start {
            Err(ExtensionSyntaxError)
        } else {
            Ok(&self.s[start..self.i])
        }
    }

    fn param(&mut self) -> Result<Param<'b>, ExtensionSyntaxError> {
        let name = self.token()?;
        self.ows();
        if self.peek() != Some(b'=') {
            return Ok(Param {
                name,
                value: None,
                quoted: false,
            });
        }
        self.i += 1;
        self.ows();
        if self.peek() == Some(b'"') {
            self.i += 1;
            let start = self.i;
            let mut len = 0usize;
            loop {
                match self.peek() {
                    None => return Err(ExtensionSyntaxError),
                    Some(b'"') => break,
                    Some(b'\\') => {
                        self.i += 1;
                        match self.peek() {
                            Some(b) if is_tchar(b) => self.i += 1,
                            _ => return Err(ExtensionSyntaxError),
                        }
                    }
                    // After unescaping, the value must be a token (RFC 6455 §9.1).
                    Some(b) if is_tchar(b) => self.i += 1,
                    Some(_) => return Err(ExtensionSyntaxError),
                }
                len += 1;
            }
            let value = &self.s[start..self.i];
            self.i += 1;
            if len == 0 {
                return Err(ExtensionSyntaxError);
            }
            Ok(Param {
                name,
                value: Some(value),
                quoted: true,
            })
        } else {
            let value = self.token()?;
            Ok(Param {
                name,
                value: Some(value),
                quoted: false,
            })
        }
    }

    /// One extension: `token *(OWS ";" OWS param)`. Returns it; leaves the cursor after it.
    fn extension(&mut self) -> Result<Extension<'b>, ExtensionSyntaxError> {
        let name = self.token()?;
        let pstart = self.i;
        loop {
            let save = self.i;
            self.ows();
            if self.peek() != Some(b';') {
                self.i = save;
                break;
            }
            self.i += 1;
            self.ows();
            self.param()?;
        }
        Ok(Extension {
            name,
            params: &self.s[pstart..self.i],
        })
    }
}

/// The extensions of every header field with a given name (normally
/// `Sec-WebSocket-Extensions`), in order.
///
/// Yields `Err(ExtensionSyntaxError)` once (and then stops) if the grammar is violated; use
/// [`validate_extensions`] to check a whole list first. Linear time: every byte is looked at
/// once per iteration.
#[derive(Debug, Clone)]
pub struct Extensions<'h, 'b> {
    headers: &'h [Header<'b>],
    name: &'h str,
    rest: &'b [u8],
    done: bool,
}

impl<'h, 'b> Extensions<'h, 'b> {
    /// The extensions listed in all fields named `name`.
    pub fn new(headers: &'h [Header<'b>], name: &'h str) -> Self {
        Extensions {
            headers,
            name,
            rest: b"",
            done: false,
        }
    }

    /// The extensions of a single header value.
    pub fn value(value: &'b [u8]) -> Extensions<'b, 'b> {
        Extensions {
            headers: &[],
            name: "",
            rest: value,
            done: false,
        }
    }
}

impl<'b> Iterator for Extensions<'_, 'b> {
    type Item = Result<Extension<'b>, ExtensionSyntaxError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            // Skip OWS and empty list elements.
            let mut p = ExtParser { s: self.rest, i: 0 };
            while matches!(p.peek(), Some(b' ' | b'\t' | b',')) {
                p.i += 1;
            }
            self.rest = &self.rest[p.i..];
            if self.rest.is_empty() {
                let Some((h, rest)) = self.headers.split_first() else {
                    self.done = true;
                    return None;
                };
                self.headers = rest;
                if h.is(self.name) {
                    self.rest = h.value;
                }
                continue;
            }
            let mut p = ExtParser { s: self.rest, i: 0 };
            let r = p.extension().and_then(|ext| {
                p.ows();
                match p.peek() {
                    None | Some(b',') => Ok(ext),
                    Some(_) => Err(ExtensionSyntaxError),
                }
            });
            self.rest = &self.rest[p.i..];
            if r.is_err() {
                self.done = true;
            }
            return Some(r);
        }
    }
}

/// Checks the extension grammar of every field named `name`; returns the number of extensions.
pub fn validate_extensions(
    headers: &[Header<'_>],
    name: &str,
) -> Result<usize, ExtensionSyntaxError> {
    let mut n = 0;
    for e in Extensions::new(headers, name) {
        e?;
        n += 1;
    }
    Ok(n)
}
