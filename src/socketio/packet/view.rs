//! The decoded packet: [`Packet`] borrows its text and keeps the byte offsets of its parts;
//! [`Args`], [`Members`] and [`FirstArgMembers`] walk its raw JSON.

use alloc::borrow::Cow;
use alloc::string::String;

use super::PacketType;
use crate::json::fast as json;

/// Byte offsets of a decoded packet's parts inside its text (internal, `Copy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) kind: PacketType,
    pub(crate) attachments: usize,
    /// `None` means the main namespace `/` (nothing written).
    pub(crate) nsp: Option<(usize, usize)>,
    pub(crate) id: Option<u64>,
    pub(crate) data: Option<(usize, usize)>,
    /// For events: the raw first element (the name) and where the arguments start.
    pub(crate) name: (usize, usize),
    /// The name is a string token without escapes (read without a second scan).
    pub(crate) name_plain: bool,
    pub(crate) args_at: usize,
    /// The first argument, found while validating (saves a rescan when iterating).
    pub(crate) first_arg: Option<(usize, usize)>,
    /// The members of the first argument when it is a small flat object (see
    /// [`Packet::first_arg_members`]).
    pub(crate) flat: json::FlatMembers,
}

/// A decoded text packet, borrowing from its input.
///
/// For a binary packet ([`PacketType::BinaryEvent`] / [`PacketType::BinaryAck`]) the data still
/// holds the `{"_placeholder":true,"num":N}` objects; [`Decoder`](crate::socketio::Decoder)
/// pairs it with its attachments into an [`OwnedPacket`](crate::socketio::OwnedPacket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'b> {
    pub(crate) src: &'b str,
    pub(crate) meta: Meta,
}

impl<'b> Packet<'b> {
    /// The packet type as written on the wire (binary types are kept).
    pub fn kind(&self) -> PacketType {
        self.meta.kind
    }

    /// The announced number of binary attachments (0 for non-binary packets).
    pub fn attachments(&self) -> usize {
        self.meta.attachments
    }

    /// The namespace (`/` when none was written).
    pub fn nsp(&self) -> &'b str {
        match self.meta.nsp {
            Some((s, e)) => &self.src[s..e],
            None => "/",
        }
    }

    /// The acknowledgement id, if any.
    pub fn id(&self) -> Option<u64> {
        self.meta.id
    }

    /// The raw JSON payload (validated), if any.
    pub fn data(&self) -> Option<&'b str> {
        self.meta.data.map(|(s, e)| &self.src[s..e])
    }

    /// The whole packet text this was decoded from.
    pub fn as_str(&self) -> &'b str {
        self.src
    }

    /// For events: the raw JSON first element (a string token with its quotes, or a number).
    pub fn event_name_raw(&self) -> Option<&'b str> {
        if self.meta.kind.is_event() {
            Some(&self.src[self.meta.name.0..self.meta.name.1])
        } else {
            None
        }
    }

    /// For events: the event name, unescaped (borrowed unless it contains escapes). A numeric
    /// name is returned as written (`2[1,"a"]` has the name `1`).
    pub fn event_name(&self) -> Option<Cow<'b, str>> {
        let raw = self.event_name_raw()?;
        if self.meta.name_plain {
            // Recorded while validating: a string token without escapes.
            return Some(Cow::Borrowed(inner(raw)));
        }
        Some(unquote(raw))
    }

    /// The arguments as raw JSON slices: for events every element after the name, for acks
    /// every element, otherwise nothing.
    pub fn args(&self) -> Args<'b> {
        if self.meta.kind.is_event() || self.meta.kind.is_ack() {
            Args {
                src: self.src,
                pos: self.meta.args_at,
                cached: self.meta.first_arg,
            }
        } else {
            Args {
                src: "",
                pos: 0,
                cached: None,
            }
        }
    }
}

impl<'b> Packet<'b> {
    /// The members of the first argument (as [`members`] would yield them for
    /// `self.args().next()`), when that argument is an object; nothing otherwise.
    ///
    /// For a small flat object (up to 8 members whose values are strings, numbers or literals,
    /// written without whitespace — the common shape of an event payload) the member ranges were
    /// recorded while the packet was validated, so this reads them without scanning again.
    pub fn first_arg_members(&self) -> FirstArgMembers<'b> {
        let flat = &self.meta.flat;
        let recorded = usize::from(flat.len);
        if flat.len != json::FLAT_NONE && self.meta.first_arg.is_some() {
            FirstArgMembers {
                src: self.src,
                flat: flat.at,
                next: 0,
                len: recorded,
                rest: None,
            }
        } else {
            let arg = self.args().next().unwrap_or("");
            FirstArgMembers {
                src: self.src,
                flat: flat.at,
                next: 0,
                len: 0,
                rest: Some(members(arg)),
            }
        }
    }

    /// The members of the first argument like [`first_arg_members`](Self::first_arg_members),
    /// as [`Field`]s that also know whether their strings hold escapes when that was recorded
    /// while validating, so that reading them ([`Field::key`], [`Field::value_str`]) needs no
    /// second scan.
    ///
    /// ```
    /// use sockwire::socketio::{packet, DecodeConfig};
    /// let p = packet::decode(r#"2["chat",{"user":"ann","ts":17}]"#, &DecodeConfig::new()).unwrap();
    /// let f: Vec<_> = p.first_arg_fields().collect();
    /// assert_eq!(f[0].key(), "user");
    /// assert_eq!(f[0].value_str().as_deref(), Some("ann"));
    /// assert_eq!(f[1].raw_value(), "17");
    /// assert_eq!(f[1].value_str(), None);
    /// ```
    pub fn first_arg_fields(&self) -> FirstArgFields<'_, 'b> {
        let flat = &self.meta.flat;
        if flat.len != json::FLAT_NONE && self.meta.first_arg.is_some() {
            FirstArgFields {
                src: self.src,
                flat,
                next: 0,
                rest: None,
            }
        } else {
            let arg = self.args().next().unwrap_or("");
            FirstArgFields {
                src: self.src,
                flat,
                next: 0,
                rest: Some(members(arg)),
            }
        }
    }
}

/// Iterator returned by [`Packet::first_arg_fields`] (borrows the packet's record of the
/// members, `'p`, and yields slices of its text, `'b`).
#[derive(Debug, Clone)]
pub struct FirstArgFields<'p, 'b> {
    src: &'b str,
    flat: &'p json::FlatMembers,
    next: usize,
    rest: Option<Members<'b>>,
}

impl<'b> Iterator for FirstArgFields<'_, 'b> {
    type Item = Field<'b>;

    #[inline]
    fn next(&mut self) -> Option<Field<'b>> {
        if let Some(m) = &mut self.rest {
            let (raw_key, raw_value) = m.next()?;
            return Some(Field {
                raw_key,
                raw_value,
                key_plain: false,
                value_plain: false,
            });
        }
        let n = self.next;
        let &(k, v, e) = self.flat.at[..usize::from(self.flat.len)].get(n)?;
        self.next += 1;
        let (k, v, e) = (usize::from(k), usize::from(v), usize::from(e));
        let bits = self.flat.esc >> (2 * n);
        Some(Field {
            raw_key: self.src.get(k..v - 1)?,
            raw_value: self.src.get(v..e)?,
            key_plain: bits & 1 == 0,
            value_plain: bits & 2 == 0,
        })
    }
}

/// A member of an object argument (see [`Packet::first_arg_fields`]): its raw key and value,
/// and whether their string tokens are known to hold no escapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'b> {
    raw_key: &'b str,
    raw_value: &'b str,
    key_plain: bool,
    value_plain: bool,
}

impl<'b> Field<'b> {
    /// The key as written (a string token, quotes included).
    pub fn raw_key(&self) -> &'b str {
        self.raw_key
    }

    /// The value as written (raw JSON).
    pub fn raw_value(&self) -> &'b str {
        self.raw_value
    }

    /// The key, unescaped (borrowed unless it holds escapes); what [`unquote`] gives.
    #[inline]
    pub fn key(&self) -> Cow<'b, str> {
        if self.key_plain {
            Cow::Borrowed(inner(self.raw_key))
        } else {
            unquote(self.raw_key)
        }
    }

    /// The value if it is a string, unescaped (borrowed unless it holds escapes); `None` for
    /// any other value.
    #[inline]
    pub fn value_str(&self) -> Option<Cow<'b, str>> {
        if !self.raw_value.starts_with('"') {
            return None;
        }
        Some(if self.value_plain {
            Cow::Borrowed(inner(self.raw_value))
        } else {
            unquote(self.raw_value)
        })
    }
}

/// The inside of a validated string token (without its quotes).
#[inline]
fn inner(token: &str) -> &str {
    token.get(1..token.len().saturating_sub(1)).unwrap_or("")
}

/// Iterator returned by [`Packet::first_arg_members`]: `(raw key, raw value)` pairs.
#[derive(Debug, Clone)]
pub struct FirstArgMembers<'b> {
    src: &'b str,
    flat: [(u16, u16, u16); json::FLAT_CAP],
    next: usize,
    len: usize,
    rest: Option<Members<'b>>,
}

impl<'b> Iterator for FirstArgMembers<'b> {
    type Item = (&'b str, &'b str);

    #[inline]
    fn next(&mut self) -> Option<(&'b str, &'b str)> {
        if let Some(m) = &mut self.rest {
            return m.next();
        }
        let &(k, v, e) = self.flat[..self.len].get(self.next)?;
        self.next += 1;
        let (k, v, e) = (k as usize, v as usize, e as usize);
        Some((self.src.get(k..v - 1)?, self.src.get(v..e)?))
    }
}

/// The unescaped content of a raw JSON string token, or the token itself if it is not a string.
pub fn unquote(raw: &str) -> Cow<'_, str> {
    if raw.len() >= 2 && raw.starts_with('"') {
        let inner = &raw[1..raw.len() - 1];
        if crate::json::has_backslash(inner.as_bytes()) {
            let mut s = String::with_capacity(inner.len());
            json::unescape_into(inner, &mut s);
            Cow::Owned(s)
        } else {
            Cow::Borrowed(inner)
        }
    } else {
        Cow::Borrowed(raw)
    }
}

/// The members of a JSON object taken from a decoded packet (an argument from
/// [`Packet::args`], or any value nested in one), as `(raw key, raw value)` pairs; keys keep their
/// quotes (decode them with [`unquote`]).
///
/// The text was validated when the packet was decoded, so this only matches brackets and
/// strings: it is much cheaper than a validating iterator. On text that is not an object (or
/// not valid JSON) it yields nothing, or stops early; it never panics.
///
/// ```
/// use sockwire::socketio::{packet, DecodeConfig};
/// let p = packet::decode(r#"2["chat",{"user":"ann","ts":17}]"#, &DecodeConfig::new()).unwrap();
/// let arg = p.args().next().unwrap();
/// let m: Vec<_> = packet::members(arg).collect();
/// assert_eq!(m, [(r#""user""#, r#""ann""#), (r#""ts""#, "17")]);
/// assert_eq!(packet::unquote(m[0].1), "ann");
/// ```
pub fn members(object: &str) -> Members<'_> {
    let b = object.as_bytes();
    let pos = if b.first() == Some(&b'{') {
        json::skip_ws(b, 1)
    } else {
        b.len()
    };
    Members { src: object, pos }
}

/// Iterator returned by [`members`].
#[derive(Debug, Clone)]
pub struct Members<'b> {
    src: &'b str,
    pos: usize,
}

impl<'b> Iterator for Members<'b> {
    type Item = (&'b str, &'b str);

    fn next(&mut self) -> Option<(&'b str, &'b str)> {
        let b = self.src.as_bytes();
        let k = self.pos;
        if b.get(k) != Some(&b'"') {
            self.pos = b.len();
            return None;
        }
        let key_end = json::skip_value(b, k);
        let colon = json::skip_ws(b, key_end);
        if b.get(colon) != Some(&b':') {
            self.pos = b.len();
            return None;
        }
        let v = json::skip_ws(b, colon + 1);
        let v_end = json::skip_value(b, v);
        if v_end <= v {
            self.pos = b.len();
            return None;
        }
        let mut next = json::skip_ws(b, v_end);
        if b.get(next) == Some(&b',') {
            next = json::skip_ws(b, next + 1);
        } else {
            next = b.len();
        }
        self.pos = next;
        Some((&self.src[k..key_end], &self.src[v..v_end]))
    }
}

/// Iterator over the raw JSON arguments of an event or ack (see [`Packet::args`]).
#[derive(Debug, Clone)]
pub struct Args<'b> {
    src: &'b str,
    pos: usize,
    cached: Option<(usize, usize)>,
}

impl<'b> Iterator for Args<'b> {
    type Item = &'b str;

    fn next(&mut self) -> Option<&'b str> {
        let b = self.src.as_bytes();
        if let Some((s, e)) = self.cached.take() {
            let mut next = json::skip_ws(b, e);
            if b.get(next) == Some(&b',') {
                next = json::skip_ws(b, next + 1);
            }
            self.pos = next;
            return Some(&self.src[s..e]);
        }
        let start = json::skip_ws(b, self.pos);
        match b.get(start) {
            None | Some(b']') => {
                self.pos = b.len();
                return None;
            }
            _ => {}
        }
        // The payload was validated when it was decoded: only match brackets and strings.
        let end = json::skip_value(b, start);
        if end <= start {
            self.pos = b.len();
            return None;
        }
        let mut next = json::skip_ws(b, end);
        if b.get(next) == Some(&b',') {
            next = json::skip_ws(b, next + 1);
        }
        self.pos = next;
        Some(&self.src[start..end])
    }
}
