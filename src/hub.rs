//! The Socket.IO server hub: sessions, sockets, rooms, broadcast that encodes once, per-socket
//! session data and broadcast acknowledgements.
//!
//! The hub is pure state. It owns no connection, reads no clock and never writes a byte anywhere:
//! the caller tells it which Engine.IO sessions and Socket.IO sockets exist, and after a broadcast
//! it answers *which session gets which bytes* through [`Hub::poll_transmit`].
//!
//! # Model
//!
//! * A **session** ([`SessionId`]) is one Engine.IO session (one transport connection). The caller
//!   registers it with [`Hub::add_session`] together with its handshake facts ([`SessionInfo`]:
//!   headers, query, url, remote address, time).
//! * A **socket** ([`SocketId`]) is one Socket.IO socket: a session connected to a namespace, with
//!   the Socket.IO id (`sid`) the server sent in its CONNECT reply and the client's `auth` payload.
//!   Every socket is a member of the room named by its own `sid` from the moment it is added.
//! * **Rooms** live inside a namespace. [`Hub::join`] / [`Hub::leave`] change membership, removing
//!   a socket leaves all its rooms, and a room that becomes empty disappears (as in the reference
//!   in-memory adapter).
//! * **Broadcast** ([`Hub::broadcast`]) goes to a [`Target`]: a whole namespace or the union of
//!   some rooms, minus the members of some other rooms and minus some sockets ("all but the
//!   sender" is `except_sockets(&[sender])`). Each socket receives the packet at most once.
//! * **Session data** ([`Hub::set_data`], [`Hub::data`], [`Hub::take_data`]) stores values of the
//!   caller's own types per socket and key (the modern form of `socket.set` / `socket.get`); it is
//!   dropped when the socket is removed.
//! * **Broadcast with acknowledgements** ([`Hub::broadcast_with_ack`]) sends one packet carrying an
//!   ack id and collects one answer per recipient ([`Hub::handle_ack`]) until all have answered,
//!   the recipient disconnected, or the caller's clock passes the deadline
//!   ([`Hub::poll_timeout`] / [`Hub::handle_timeout`]). The result arrives as
//!   [`HubEvent::AckComplete`].
//!
//! # Encode once
//!
//! A broadcast encodes the Socket.IO packet exactly once into an [`Encoded`] held in an
//! [`Arc`]. [`Hub::poll_transmit`] hands out one [`Transmit`] per recipient that borrows that
//! packet (clone the `Arc` to keep it), and [`Hub::poll_broadcast`] hands out the packet with
//! the whole list of its recipients. Either way the per-recipient cost is a 16-byte entry: no
//! copy of the bytes, not even a reference-count update. The one buffer holds the packet in three
//! ready-made shapes:
//!
//! * [`Encoded::ws_frames`]: the complete server-to-client WebSocket frames (one text frame
//!   `4<packet>` followed by one binary frame per attachment), to be written as is;
//! * [`Encoded::engineio_messages`]: the Engine.IO messages, for the long-polling path or for an
//!   Engine.IO session machine;
//! * [`Encoded::text`] / [`Encoded::attachment`]: the bare Socket.IO packet text and attachments.
//!
//! # Run loop
//!
//! After every call that changes the hub (`broadcast*`, `remove_socket`, `remove_session`,
//! `handle_ack`, `handle_timeout`), drain [`Hub::poll_transmit`] (or [`Hub::poll_broadcast`];
//! both read the same queue, in order) and then [`Hub::poll_event`], and re-arm the timer from
//! [`Hub::poll_timeout`].
//!
//! # Acknowledgement ids
//!
//! A broadcast with ack sends the same packet, hence the same ack id, to every recipient (as the
//! reference server does). Those ids come from the hub's own counter starting at
//! [`HubConfig::ack_id_base`] (default 2<sup>40</sup>, far above the ids a per-socket machine
//! counts from 0, and below 2<sup>53</sup> so JavaScript clients echo them exactly). When an ACK
//! packet arrives, offer it to the hub: [`Hub::handle_ack_packet`] for a decoded packet (the
//! Socket.IO server machine reports ACKs it does not await as
//! [`ServerEvent::UnclaimedAck`](crate::socketio::ServerEvent::UnclaimedAck), binary ones
//! included), [`Hub::claim_ack`] for a raw Engine.IO text message before any machine sees it,
//! [`Hub::handle_ack`] for its parts. They return `false` for ids the hub does not own.
//!
//! # Limits
//!
//! Every name and every per-socket collection is capped by [`HubConfig`]; exceeding a cap is a
//! [`HubError`], never a panic or an unbounded allocation. Values stored as session data are the
//! caller's own objects and are only counted (by key), not measured.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use core::fmt;
use core::net::SocketAddr;
use core::time::Duration;

use crate::frame::{FrameHeader, OpCode};

use crate::socketio::packet::{self, Value};
use crate::socketio::{DecodeConfig, OwnedPacket, PacketType, SocketIoError};

/// Errors of the hub. All of them are misuse by the caller or a configured cap being reached; the
/// hub never sees peer bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HubError {
    /// The [`SessionId`] is not (or no longer) registered.
    UnknownSession,
    /// The [`SocketId`] is not (or no longer) registered.
    UnknownSocket,
    /// A socket with this `sid` already exists in the namespace.
    DuplicateSid,
    /// The session already has a socket on this namespace.
    AlreadyConnected,
    /// A name is empty or longer than its cap.
    InvalidName {
        /// What kind of name (`"namespace"`, `"sid"`, `"room"`, `"key"`, `"event"`).
        what: &'static str,
    },
    /// The Socket.IO encoder refused the packet (reserved event name, invalid raw JSON, a tree
    /// too deep, ...).
    Encode(SocketIoError),
    /// A configured cap was reached.
    LimitExceeded {
        /// Which cap (the [`HubConfig`] field name).
        limit: &'static str,
    },
}

impl fmt::Display for HubError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HubError::UnknownSession => f.write_str("unknown session"),
            HubError::UnknownSocket => f.write_str("unknown socket"),
            HubError::DuplicateSid => f.write_str("a socket with this sid already exists"),
            HubError::AlreadyConnected => {
                f.write_str("the session already has a socket on this namespace")
            }
            HubError::InvalidName { what } => write!(f, "invalid {what} name (empty or too long)"),
            HubError::Encode(e) => write!(f, "cannot encode the packet: {e}"),
            HubError::LimitExceeded { limit } => write!(f, "limit exceeded: {limit}"),
        }
    }
}

impl core::error::Error for HubError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            HubError::Encode(e) => Some(e),
            _ => None,
        }
    }
}

/// Caps and knobs of the hub. Every field has a sane default; setters are builder-style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubConfig {
    /// Most sessions registered at once (default 100 000).
    pub max_sessions: usize,
    /// Most sockets (namespace connections) per session (default 32).
    pub max_sockets_per_session: usize,
    /// Most namespaces with at least one socket (default 256).
    pub max_namespaces: usize,
    /// Longest namespace name in bytes (default 256).
    pub max_namespace_len: usize,
    /// Longest socket id in bytes (default 64).
    pub max_sid_len: usize,
    /// Longest room name in bytes (default 256).
    pub max_room_len: usize,
    /// Most rooms one socket may be in, its own-id room included (default 256).
    pub max_rooms_per_socket: usize,
    /// Most session-data keys per socket (default 64).
    pub max_data_keys: usize,
    /// Longest session-data key in bytes (default 128).
    pub max_data_key_len: usize,
    /// Longest event name in bytes (default 1024).
    pub max_event_len: usize,
    /// Most binary attachments in one broadcast packet (default 10).
    pub max_attachments: usize,
    /// Most broadcasts-with-ack awaiting answers at once (default 1024).
    pub max_pending_acks: usize,
    /// First ack id used for broadcasts with acks (default 2<sup>40</sup>).
    pub ack_id_base: u64,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            max_sessions: 100_000,
            max_sockets_per_session: 32,
            max_namespaces: 256,
            max_namespace_len: 256,
            max_sid_len: 64,
            max_room_len: 256,
            max_rooms_per_socket: 256,
            max_data_keys: 64,
            max_data_key_len: 128,
            max_event_len: 1024,
            max_attachments: 10,
            max_pending_acks: 1024,
            ack_id_base: 1 << 40,
        }
    }
}

macro_rules! setters {
    ($($(#[$m:meta])* $name:ident: $ty:ty),* $(,)?) => {$(
        $(#[$m])*
        #[must_use]
        pub fn $name(mut self, v: $ty) -> Self {
            self.$name = v;
            self
        }
    )*};
}

impl HubConfig {
    setters! {
        /// Sets [`HubConfig::max_sessions`].
        max_sessions: usize,
        /// Sets [`HubConfig::max_sockets_per_session`].
        max_sockets_per_session: usize,
        /// Sets [`HubConfig::max_namespaces`].
        max_namespaces: usize,
        /// Sets [`HubConfig::max_namespace_len`].
        max_namespace_len: usize,
        /// Sets [`HubConfig::max_sid_len`].
        max_sid_len: usize,
        /// Sets [`HubConfig::max_room_len`].
        max_room_len: usize,
        /// Sets [`HubConfig::max_rooms_per_socket`].
        max_rooms_per_socket: usize,
        /// Sets [`HubConfig::max_data_keys`].
        max_data_keys: usize,
        /// Sets [`HubConfig::max_data_key_len`].
        max_data_key_len: usize,
        /// Sets [`HubConfig::max_event_len`].
        max_event_len: usize,
        /// Sets [`HubConfig::max_attachments`].
        max_attachments: usize,
        /// Sets [`HubConfig::max_pending_acks`].
        max_pending_acks: usize,
        /// Sets [`HubConfig::ack_id_base`].
        ack_id_base: u64,
    }
}

/// Handle of a registered Engine.IO session. Stale handles (of a removed session) are detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionId {
    index: u32,
    generation: u32,
}

/// Handle of a registered Socket.IO socket. Stale handles (of a removed socket) are detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SocketId {
    index: u32,
    generation: u32,
}

/// What the caller knows about an Engine.IO session from its handshake request; exposed to the
/// application as the reference server's `socket.handshake`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionInfo {
    /// Request headers as received (names as sent; compare case-insensitively).
    pub headers: Vec<(String, String)>,
    /// The decoded query string parameters.
    pub query: Vec<(String, String)>,
    /// The request target (path and query) of the handshake request.
    pub url: String,
    /// The peer's address, when the transport has one.
    pub address: Option<SocketAddr>,
    /// When the session was opened, on the caller's clock.
    pub issued: Duration,
    /// Whether the connection is over TLS.
    pub secure: bool,
}

impl SessionInfo {
    /// The facts of a parsed handshake request, opened at `issued`: the headers as sent, the
    /// target, and the query string decoded with [`decode_query`]. `address` and `secure` are
    /// the caller's to fill in (the bytes do not say).
    #[must_use]
    pub fn from_request(req: &crate::http::Request<'_, '_>, issued: Duration) -> Self {
        SessionInfo {
            headers: req
                .headers()
                .iter()
                .map(|h| {
                    (
                        String::from(h.name()),
                        String::from_utf8_lossy(h.value()).into_owned(),
                    )
                })
                .collect(),
            query: decode_query(req.query().unwrap_or("")),
            url: String::from(req.target()),
            address: None,
            issued,
            secure: false,
        }
    }

    /// The first header named `name` (ASCII case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first query parameter named `name`.
    #[must_use]
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Decodes a query string as `application/x-www-form-urlencoded` (what the reference server's
/// `socket.handshake.query` holds): pairs split at `&` (empty ones skipped) and at the first `=`
/// (a key without `=` has the empty value), `+` is a space, `%XX` escapes are decoded, a
/// malformed escape is kept as written, invalid UTF-8 is replaced by U+FFFD. Linear in the input,
/// which bounds the output.
#[must_use]
pub fn decode_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| char::from(c).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                if let (Some(h), Some(l)) = (
                    b.get(i + 1).and_then(|&c| hex(c)),
                    b.get(i + 2).and_then(|&c| hex(c)),
                ) {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Where a broadcast goes. Built with [`Target::namespace`] and narrowed with the builder methods.
///
/// Recipients are: the members of `rooms` (union), or every socket of the namespace when `rooms`
/// is empty; minus the members of `except_rooms`; minus `except_sockets`. Each recipient gets the
/// packet once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    /// The namespace (`"/"` for the main one).
    pub namespace: &'a str,
    /// Rooms whose members receive (union); empty means the whole namespace.
    pub rooms: &'a [&'a str],
    /// Rooms whose members do not receive.
    pub except_rooms: &'a [&'a str],
    /// Sockets that do not receive (for example the sender).
    pub except_sockets: &'a [SocketId],
}

impl<'a> Target<'a> {
    /// Every socket of `namespace`.
    #[must_use]
    pub fn namespace(namespace: &'a str) -> Self {
        Target {
            namespace,
            rooms: &[],
            except_rooms: &[],
            except_sockets: &[],
        }
    }

    /// Only the members of these rooms (union).
    #[must_use]
    pub fn rooms(mut self, rooms: &'a [&'a str]) -> Self {
        self.rooms = rooms;
        self
    }

    /// Not the members of these rooms.
    #[must_use]
    pub fn except_rooms(mut self, rooms: &'a [&'a str]) -> Self {
        self.except_rooms = rooms;
        self
    }

    /// Not these sockets.
    #[must_use]
    pub fn except_sockets(mut self, sockets: &'a [SocketId]) -> Self {
        self.except_sockets = sockets;
        self
    }
}

/// A Socket.IO packet encoded once for all its recipients.
///
/// One buffer holds the WebSocket frames; the Engine.IO messages and the Socket.IO text are views
/// into it. See the [module docs](self) for the shapes.
#[derive(Debug, PartialEq, Eq)]
pub struct Encoded {
    buf: Box<[u8]>,
    /// Start of the Engine.IO text message (`4...`) inside `buf` (after its frame header).
    text_start: usize,
    /// End of the text message.
    text_end: usize,
    /// Byte ranges of the attachments (payloads, after their frame headers).
    attachments: Box<[(usize, usize)]>,
}

/// permessage-deflate for the encode-once broadcast (the `deflate` feature).
#[cfg(feature = "deflate")]
impl Encoded {
    /// The same frames compressed once, for every WebSocket session that negotiated
    /// permessage-deflate without server context takeover (what the default
    /// [`DeflatePolicy`](crate::deflate::DeflatePolicy) answers) and a server window at least the
    /// compressor's: the text frame, then one binary frame per attachment, each compressed (RSV1)
    /// by `compressor`. Appends them to `out`; compress once per broadcast and queue the bytes on
    /// each such connection with [`Connection::send_encoded`](crate::ws::Connection::send_encoded)
    /// (the others get [`ws_frames`](Self::ws_frames)).
    pub fn ws_frames_deflated(
        &self,
        compressor: &mut crate::deflate::SharedCompressor,
        out: &mut Vec<u8>,
    ) -> Result<(), crate::deflate::CodecError> {
        let mark = out.len();
        let r = (|| {
            compressor.encode_frame(true, self.engineio_text().as_bytes(), out)?;
            for &(s, e) in self.attachments.iter() {
                compressor.encode_frame(false, &self.buf[s..e], out)?;
            }
            Ok(())
        })();
        if r.is_err() {
            out.truncate(mark);
        }
        r
    }
}

/// One Engine.IO message of an [`Encoded`] packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineIoMessage<'a> {
    /// A text message, including the Engine.IO `4` type prefix (for example `42["a"]`).
    Text(&'a str),
    /// A binary message (an attachment), without any prefix.
    Binary(&'a [u8]),
}

impl Encoded {
    /// Wraps an already-encoded Socket.IO packet (its text without the Engine.IO prefix, and
    /// its binary attachments in `num` order) for [`Hub::broadcast_encoded`]. Copies the bytes
    /// once into the shared buffer. A packet written by a conforming encoder never contains the
    /// long-polling separator `\x1e`; that is the caller's to guarantee here.
    #[must_use]
    pub fn new(text: &str, attachments: &[&[u8]]) -> Self {
        let text_len = 1 + text.len();
        let mut total = ws_header(OpCode::Text, text_len).encoded_len() + text_len;
        for a in attachments {
            total += ws_header(OpCode::Binary, a.len()).encoded_len() + a.len();
        }
        let mut buf = Vec::with_capacity(total);
        push_ws_header(&mut buf, &ws_header(OpCode::Text, text_len));
        let text_start = buf.len();
        buf.push(b'4');
        buf.extend_from_slice(text.as_bytes());
        let text_end = buf.len();
        let mut ranges = Vec::with_capacity(attachments.len());
        for a in attachments {
            push_ws_header(&mut buf, &ws_header(OpCode::Binary, a.len()));
            let s = buf.len();
            buf.extend_from_slice(a);
            ranges.push((s, buf.len()));
        }
        Encoded {
            buf: buf.into_boxed_slice(),
            text_start,
            text_end,
            attachments: ranges.into_boxed_slice(),
        }
    }

    /// The complete WebSocket frames, server to client (unmasked, FIN set): one text frame with
    /// the Engine.IO message `4<packet>` then one binary frame per attachment. Write them as is.
    #[must_use]
    pub fn ws_frames(&self) -> &[u8] {
        &self.buf
    }

    /// The Engine.IO text message, `4` followed by the Socket.IO packet.
    #[must_use]
    pub fn engineio_text(&self) -> &str {
        // The range holds `b'4'` followed by a `&str` copied verbatim: valid UTF-8.
        core::str::from_utf8(&self.buf[self.text_start..self.text_end]).unwrap_or("")
    }

    /// The Socket.IO packet text (for example `2["chat",1]`), without the Engine.IO prefix.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.engineio_text()[1..]
    }

    /// Number of binary attachments.
    #[must_use]
    pub fn attachment_count(&self) -> usize {
        self.attachments.len()
    }

    /// Attachment `i`, if any.
    #[must_use]
    pub fn attachment(&self, i: usize) -> Option<&[u8]> {
        self.attachments.get(i).map(|&(s, e)| &self.buf[s..e])
    }

    /// The Engine.IO messages in order: the text message, then the attachments.
    pub fn engineio_messages(&self) -> impl Iterator<Item = EngineIoMessage<'_>> + '_ {
        core::iter::once(EngineIoMessage::Text(self.engineio_text())).chain(
            self.attachments
                .iter()
                .map(|&(s, e)| EngineIoMessage::Binary(&self.buf[s..e])),
        )
    }
}

/// The RFC 6455 §5.2 server header of a final, unmasked frame (the frame layer's encoder).
fn ws_header(opcode: OpCode, len: usize) -> FrameHeader {
    FrameHeader::new(opcode, len as u64)
}

/// Appends `header`; a server header always has a wire form, so nothing can fail here.
fn push_ws_header(out: &mut Vec<u8>, header: &FrameHeader) {
    let _ = header.encode_to_vec(out);
}

/// Bytes for one recipient: write `packet` to the connection of `session`. Borrowed from the
/// hub's queue; `Arc::clone(t.packet)` keeps the packet beyond the next hub call.
#[derive(Debug, Clone, Copy)]
pub struct Transmit<'a> {
    /// The Engine.IO session to write to.
    pub session: SessionId,
    /// The socket (namespace connection) the packet is for.
    pub socket: SocketId,
    /// The shared, encoded-once packet.
    pub packet: &'a Arc<Encoded>,
}

/// One recipient of a broadcast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Recipient {
    /// The Engine.IO session to write to.
    pub session: SessionId,
    /// The socket (namespace connection) the packet is for.
    pub socket: SocketId,
}

/// A whole broadcast, as handed out by [`Hub::poll_broadcast`]: write `packet` to every
/// recipient's session.
#[derive(Debug, Clone)]
pub struct Broadcast {
    /// The shared, encoded-once packet.
    pub packet: Arc<Encoded>,
    /// Who gets it, each socket once.
    pub recipients: Vec<Recipient>,
}

/// The outcome for one recipient of a broadcast with ack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckOutcome {
    /// The recipient answered; the raw JSON of the ACK's argument array and its attachments.
    Answered {
        /// The ACK packet's argument array as raw JSON (placeholders left in place).
        args: String,
        /// Binary attachments of a BINARY_ACK, in `num` order.
        attachments: Vec<Vec<u8>>,
    },
    /// The recipient disconnected before answering.
    Disconnected,
    /// The deadline passed before the recipient answered.
    TimedOut,
}

/// Something the application should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HubEvent {
    /// A broadcast with ack finished: every recipient answered, disconnected or timed out.
    AckComplete {
        /// The ack id returned by [`Hub::broadcast_with_ack`].
        id: u64,
        /// One outcome per recipient, in the order recipients were chosen.
        outcomes: Vec<(SocketId, AckOutcome)>,
        /// Whether the deadline passed with some recipients still silent.
        timed_out: bool,
    },
}

type DataValue = Box<dyn Any + Send>;

struct Socket {
    generation: u32,
    session: SessionId,
    namespace: Box<str>,
    sid: Box<str>,
    auth: Option<Box<str>>,
    rooms: Vec<Box<str>>,
    data: BTreeMap<Box<str>, DataValue>,
    /// Position in the namespace's `members`.
    nsp_pos: usize,
}

/// The few fields a broadcast touches per candidate, kept apart from [`Socket`] so that choosing
/// 10 000 recipients walks one dense array.
#[derive(Clone, Copy)]
struct Hot {
    /// Broadcast epoch stamp: equals the current epoch when chosen or excluded.
    mark: u64,
    session: SessionId,
    /// Generation of the live socket in this slot; `None` when the slot is free.
    generation: Option<u32>,
}

/// One queued broadcast: its packet and recipients; `next` recipients were already handed out.
struct Batch {
    packet: Arc<Encoded>,
    recipients: Vec<Recipient>,
    next: usize,
}

struct Session {
    generation: u32,
    info: SessionInfo,
    sockets: Vec<SocketId>,
}

#[derive(Default)]
struct Namespace {
    members: Vec<u32>,
    rooms: BTreeMap<Box<str>, BTreeSet<u32>>,
    by_sid: BTreeMap<Box<str>, u32>,
}

struct PendingAck {
    deadline: Duration,
    waiting: BTreeSet<SocketId>,
    outcomes: Vec<(SocketId, AckOutcome)>,
}

/// The Socket.IO server hub. See the [module docs](self).
pub struct Hub {
    config: HubConfig,
    sessions: Vec<Option<Session>>,
    free_sessions: Vec<u32>,
    session_generation: u32,
    session_count: usize,
    sockets: Vec<Option<Socket>>,
    hot: Vec<Hot>,
    free_sockets: Vec<u32>,
    socket_generation: u32,
    namespaces: BTreeMap<Box<str>, Namespace>,
    epoch: u64,
    outbox: VecDeque<Batch>,
    queued: usize,
    spare: Vec<Vec<Recipient>>,
    events: VecDeque<HubEvent>,
    pending: BTreeMap<u64, PendingAck>,
    next_ack: u64,
    scratch: String,
    chosen: Vec<Recipient>,
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("sessions", &self.session_count)
            .field("namespaces", &self.namespaces.len())
            .field("queued_transmits", &self.queued)
            .field("pending_acks", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new(HubConfig::default())
    }
}

fn check_name(name: &str, max: usize, what: &'static str) -> Result<(), HubError> {
    if name.is_empty() || name.len() > max {
        return Err(HubError::InvalidName { what });
    }
    Ok(())
}

impl Hub {
    /// A hub with these caps.
    #[must_use]
    pub fn new(config: HubConfig) -> Self {
        let next_ack = config.ack_id_base;
        Hub {
            config,
            sessions: Vec::new(),
            free_sessions: Vec::new(),
            session_generation: 0,
            session_count: 0,
            sockets: Vec::new(),
            hot: Vec::new(),
            free_sockets: Vec::new(),
            socket_generation: 0,
            namespaces: BTreeMap::new(),
            epoch: 0,
            outbox: VecDeque::new(),
            queued: 0,
            spare: Vec::new(),
            events: VecDeque::new(),
            pending: BTreeMap::new(),
            next_ack,
            scratch: String::new(),
            chosen: Vec::new(),
        }
    }

    /// The caps in force.
    #[must_use]
    pub fn config(&self) -> &HubConfig {
        &self.config
    }

    // ----- sessions -------------------------------------------------------------------------

    /// Registers an Engine.IO session with what its handshake told.
    ///
    /// # Errors
    /// [`HubError::LimitExceeded`] when [`HubConfig::max_sessions`] sessions exist.
    pub fn add_session(&mut self, info: SessionInfo) -> Result<SessionId, HubError> {
        if self.session_count >= self.config.max_sessions {
            return Err(HubError::LimitExceeded {
                limit: "max_sessions",
            });
        }
        self.session_generation = self.session_generation.wrapping_add(1);
        let generation = self.session_generation;
        let session = Session {
            generation,
            info,
            sockets: Vec::new(),
        };
        let index = if let Some(i) = self.free_sessions.pop() {
            self.sessions[i as usize] = Some(session);
            i
        } else {
            self.sessions.push(Some(session));
            (self.sessions.len() - 1) as u32
        };
        self.session_count += 1;
        Ok(SessionId { index, generation })
    }

    fn session_ref(&self, id: SessionId) -> Option<&Session> {
        match self.sessions.get(id.index as usize) {
            Some(Some(s)) if s.generation == id.generation => Some(s),
            _ => None,
        }
    }

    fn session_mut(&mut self, id: SessionId) -> Option<&mut Session> {
        match self.sessions.get_mut(id.index as usize) {
            Some(Some(s)) if s.generation == id.generation => Some(s),
            _ => None,
        }
    }

    /// Removes a session and every socket it has (see [`Hub::remove_socket`]).
    ///
    /// # Errors
    /// [`HubError::UnknownSession`] for a stale or foreign handle.
    pub fn remove_session(&mut self, id: SessionId) -> Result<(), HubError> {
        let sockets = match self.session_ref(id) {
            Some(s) => s.sockets.clone(),
            None => return Err(HubError::UnknownSession),
        };
        for s in sockets {
            let _ = self.remove_socket(s);
        }
        self.sessions[id.index as usize] = None;
        self.free_sessions.push(id.index);
        self.session_count -= 1;
        Ok(())
    }

    /// The handshake facts of a session.
    #[must_use]
    pub fn session_info(&self, id: SessionId) -> Option<&SessionInfo> {
        self.session_ref(id).map(|s| &s.info)
    }

    /// The sockets of a session (one per connected namespace).
    #[must_use]
    pub fn session_sockets(&self, id: SessionId) -> &[SocketId] {
        self.session_ref(id).map_or(&[], |s| &s.sockets)
    }

    /// Number of registered sessions.
    #[must_use]
    pub fn session_count(&self) -> usize {
        self.session_count
    }

    // ----- sockets --------------------------------------------------------------------------

    /// Registers the socket of `session` on `namespace`, with the `sid` the server sent in its
    /// CONNECT reply and the client's raw JSON `auth` payload. The socket joins the room named
    /// by its `sid`.
    ///
    /// # Errors
    /// Unknown session, invalid names, a duplicate `sid` in the namespace, a second socket of the
    /// session on the same namespace, or a cap.
    pub fn add_socket(
        &mut self,
        session: SessionId,
        namespace: &str,
        sid: &str,
        auth: Option<&str>,
    ) -> Result<SocketId, HubError> {
        check_name(namespace, self.config.max_namespace_len, "namespace")?;
        // A namespace is written `<nsp>,` inside packets: it starts with `/` and holds no comma
        // and no control character (which could not cross the polling framing).
        if !namespace.starts_with('/') || namespace.bytes().any(|b| b == b',' || b < 0x20) {
            return Err(HubError::InvalidName { what: "namespace" });
        }
        check_name(sid, self.config.max_sid_len, "sid")?;
        let max_per_session = self.config.max_sockets_per_session;
        let sess = self.session_ref(session).ok_or(HubError::UnknownSession)?;
        if sess.sockets.len() >= max_per_session {
            return Err(HubError::LimitExceeded {
                limit: "max_sockets_per_session",
            });
        }
        if sess.sockets.iter().any(|s| {
            self.socket_ref(*s)
                .is_some_and(|s| &*s.namespace == namespace)
        }) {
            return Err(HubError::AlreadyConnected);
        }
        match self.namespaces.get(namespace) {
            Some(n) if n.by_sid.contains_key(sid) => return Err(HubError::DuplicateSid),
            Some(_) => {}
            None if self.namespaces.len() >= self.config.max_namespaces => {
                return Err(HubError::LimitExceeded {
                    limit: "max_namespaces",
                });
            }
            None => {}
        }
        self.socket_generation = self.socket_generation.wrapping_add(1);
        let generation = self.socket_generation;
        let index = match self.free_sockets.last() {
            Some(&i) => i,
            None => self.sockets.len() as u32,
        };
        let nsp = self.namespaces.entry(namespace.into()).or_default();
        let nsp_pos = nsp.members.len();
        nsp.members.push(index);
        nsp.by_sid.insert(sid.into(), index);
        nsp.rooms.entry(sid.into()).or_default().insert(index);
        let socket = Socket {
            generation,
            session,
            namespace: namespace.into(),
            sid: sid.into(),
            auth: auth.map(Into::into),
            rooms: alloc::vec![sid.into()],
            data: BTreeMap::new(),
            nsp_pos,
        };
        let hot = Hot {
            mark: 0,
            session,
            generation: Some(generation),
        };
        if self.free_sockets.pop().is_some() {
            self.sockets[index as usize] = Some(socket);
            self.hot[index as usize] = hot;
        } else {
            self.sockets.push(Some(socket));
            self.hot.push(hot);
        }
        let id = SocketId { index, generation };
        if let Some(s) = self.session_mut(session) {
            s.sockets.push(id);
        }
        Ok(id)
    }

    fn socket_ref(&self, id: SocketId) -> Option<&Socket> {
        match self.sockets.get(id.index as usize) {
            Some(Some(s)) if s.generation == id.generation => Some(s),
            _ => None,
        }
    }

    fn socket_mut(&mut self, id: SocketId) -> Option<&mut Socket> {
        match self.sockets.get_mut(id.index as usize) {
            Some(Some(s)) if s.generation == id.generation => Some(s),
            _ => None,
        }
    }

    fn id_at(&self, index: u32) -> Option<SocketId> {
        match self.sockets.get(index as usize) {
            Some(Some(s)) => Some(SocketId {
                index,
                generation: s.generation,
            }),
            _ => None,
        }
    }

    /// Removes a socket (its namespace DISCONNECT, or the end of its session): it leaves every
    /// room, its session data is dropped, and pending broadcast acks record it as
    /// [`AckOutcome::Disconnected`] (which may complete them: drain [`Hub::poll_event`]).
    ///
    /// # Errors
    /// [`HubError::UnknownSocket`] for a stale or foreign handle.
    pub fn remove_socket(&mut self, id: SocketId) -> Result<(), HubError> {
        if self.socket_ref(id).is_none() {
            return Err(HubError::UnknownSocket);
        }
        let Some(sock) = self.sockets[id.index as usize].take() else {
            return Err(HubError::UnknownSocket);
        };
        self.free_sockets.push(id.index);
        if let Some(h) = self.hot.get_mut(id.index as usize) {
            h.generation = None;
        }
        if let Some(nsp) = self.namespaces.get_mut(&sock.namespace) {
            for room in &sock.rooms {
                if let Some(set) = nsp.rooms.get_mut(room) {
                    set.remove(&id.index);
                    if set.is_empty() {
                        nsp.rooms.remove(room);
                    }
                }
            }
            nsp.by_sid.remove(&sock.sid);
            let pos = sock.nsp_pos;
            if pos < nsp.members.len() {
                nsp.members.swap_remove(pos);
                if let Some(&moved) = nsp.members.get(pos) {
                    if let Some(Some(m)) = self.sockets.get_mut(moved as usize) {
                        m.nsp_pos = pos;
                    }
                }
            }
            if nsp.members.is_empty() {
                self.namespaces.remove(&sock.namespace);
            }
        }
        if let Some(sess) = self.session_mut(sock.session) {
            sess.sockets.retain(|s| *s != id);
        }
        // Pending acks waiting on this socket.
        let mut done = Vec::new();
        for (ack_id, p) in self.pending.iter_mut() {
            if p.waiting.remove(&id) {
                p.outcomes.push((id, AckOutcome::Disconnected));
                if p.waiting.is_empty() {
                    done.push(*ack_id);
                }
            }
        }
        for ack_id in done {
            self.complete_ack(ack_id, false);
        }
        Ok(())
    }

    /// Whether `id` is a registered socket.
    #[must_use]
    pub fn contains_socket(&self, id: SocketId) -> bool {
        self.socket_ref(id).is_some()
    }

    /// The socket's Socket.IO id.
    #[must_use]
    pub fn sid(&self, id: SocketId) -> Option<&str> {
        self.socket_ref(id).map(|s| &*s.sid)
    }

    /// The socket's namespace.
    #[must_use]
    pub fn namespace_of(&self, id: SocketId) -> Option<&str> {
        self.socket_ref(id).map(|s| &*s.namespace)
    }

    /// The socket's session.
    #[must_use]
    pub fn session_of(&self, id: SocketId) -> Option<SessionId> {
        self.socket_ref(id).map(|s| s.session)
    }

    /// The raw JSON `auth` payload the client sent with its CONNECT, if any.
    #[must_use]
    pub fn auth(&self, id: SocketId) -> Option<&str> {
        self.socket_ref(id).and_then(|s| s.auth.as_deref())
    }

    /// The handshake facts of the socket's session (the reference's `socket.handshake`, minus
    /// `auth`, which is [`Hub::auth`]).
    #[must_use]
    pub fn handshake(&self, id: SocketId) -> Option<&SessionInfo> {
        self.socket_ref(id)
            .and_then(|s| self.session_info(s.session))
    }

    /// The socket of `namespace` whose Socket.IO id is `sid`.
    #[must_use]
    pub fn socket_by_sid(&self, namespace: &str, sid: &str) -> Option<SocketId> {
        let index = *self.namespaces.get(namespace)?.by_sid.get(sid)?;
        self.id_at(index)
    }

    /// The socket `session` has on `namespace`.
    #[must_use]
    pub fn socket_of(&self, session: SessionId, namespace: &str) -> Option<SocketId> {
        self.session_sockets(session)
            .iter()
            .copied()
            .find(|s| self.namespace_of(*s) == Some(namespace))
    }

    /// The sockets of a namespace, in no particular order.
    pub fn sockets(&self, namespace: &str) -> impl Iterator<Item = SocketId> + '_ {
        self.namespaces
            .get(namespace)
            .into_iter()
            .flat_map(|n| n.members.iter())
            .filter_map(|&i| self.id_at(i))
    }

    /// Number of sockets in a namespace.
    #[must_use]
    pub fn socket_count(&self, namespace: &str) -> usize {
        self.namespaces
            .get(namespace)
            .map_or(0, |n| n.members.len())
    }

    /// Namespaces that have at least one socket, in byte order.
    pub fn namespaces(&self) -> impl Iterator<Item = &str> + '_ {
        self.namespaces.keys().map(|k| &**k)
    }

    // ----- rooms ----------------------------------------------------------------------------

    /// Adds the socket to `room` of its namespace. Returns `false` if it was already a member.
    ///
    /// # Errors
    /// Unknown socket, invalid room name, or [`HubConfig::max_rooms_per_socket`].
    pub fn join(&mut self, id: SocketId, room: &str) -> Result<bool, HubError> {
        check_name(room, self.config.max_room_len, "room")?;
        let max = self.config.max_rooms_per_socket;
        let sock = self.socket_mut(id).ok_or(HubError::UnknownSocket)?;
        if sock.rooms.iter().any(|r| &**r == room) {
            return Ok(false);
        }
        if sock.rooms.len() >= max {
            return Err(HubError::LimitExceeded {
                limit: "max_rooms_per_socket",
            });
        }
        sock.rooms.push(room.into());
        let nsp_name = sock.namespace.clone();
        if let Some(nsp) = self.namespaces.get_mut(&nsp_name) {
            nsp.rooms.entry(room.into()).or_default().insert(id.index);
        }
        Ok(true)
    }

    /// Removes the socket from `room`. Returns `false` if it was not a member. A room left empty
    /// is deleted.
    ///
    /// # Errors
    /// [`HubError::UnknownSocket`].
    pub fn leave(&mut self, id: SocketId, room: &str) -> Result<bool, HubError> {
        let sock = self.socket_mut(id).ok_or(HubError::UnknownSocket)?;
        let Some(pos) = sock.rooms.iter().position(|r| &**r == room) else {
            return Ok(false);
        };
        sock.rooms.swap_remove(pos);
        let nsp_name = sock.namespace.clone();
        if let Some(nsp) = self.namespaces.get_mut(&nsp_name) {
            if let Some(set) = nsp.rooms.get_mut(room) {
                set.remove(&id.index);
                if set.is_empty() {
                    nsp.rooms.remove(room);
                }
            }
        }
        Ok(true)
    }

    /// Removes the socket from every room, its own-id room included.
    ///
    /// # Errors
    /// [`HubError::UnknownSocket`].
    pub fn leave_all(&mut self, id: SocketId) -> Result<(), HubError> {
        let rooms = core::mem::take(&mut self.socket_mut(id).ok_or(HubError::UnknownSocket)?.rooms);
        let nsp_name = self.socket_ref(id).map(|s| s.namespace.clone());
        if let Some(nsp) = nsp_name.and_then(|n| self.namespaces.get_mut(&n)) {
            for room in &rooms {
                if let Some(set) = nsp.rooms.get_mut(room) {
                    set.remove(&id.index);
                    if set.is_empty() {
                        nsp.rooms.remove(room);
                    }
                }
            }
        }
        Ok(())
    }

    /// The rooms the socket is in (its own-id room included unless it left it), in join order
    /// except after a leave.
    pub fn rooms_of(&self, id: SocketId) -> impl Iterator<Item = &str> + '_ {
        self.socket_ref(id)
            .into_iter()
            .flat_map(|s| s.rooms.iter().map(|r| &**r))
    }

    /// Whether the socket is in `room`.
    #[must_use]
    pub fn is_member(&self, id: SocketId, room: &str) -> bool {
        self.socket_ref(id)
            .is_some_and(|s| s.rooms.iter().any(|r| &**r == room))
    }

    /// The members of `room` in `namespace`, in no particular order.
    pub fn members<'s>(
        &'s self,
        namespace: &str,
        room: &str,
    ) -> impl Iterator<Item = SocketId> + 's {
        self.namespaces
            .get(namespace)
            .and_then(|n| n.rooms.get(room))
            .into_iter()
            .flat_map(|set| set.iter())
            .filter_map(|&i| self.id_at(i))
    }

    /// Number of members of `room` in `namespace` (0 for a room that does not exist).
    #[must_use]
    pub fn room_size(&self, namespace: &str, room: &str) -> usize {
        self.namespaces
            .get(namespace)
            .and_then(|n| n.rooms.get(room))
            .map_or(0, BTreeSet::len)
    }

    /// The rooms of `namespace` that have members (own-id rooms included), in byte order.
    pub fn rooms<'s>(&'s self, namespace: &str) -> impl Iterator<Item = &'s str> + 's {
        self.namespaces
            .get(namespace)
            .into_iter()
            .flat_map(|n| n.rooms.keys().map(|k| &**k))
    }

    // ----- session data ---------------------------------------------------------------------

    /// Stores `value` under `key` for the socket, replacing (and returning) any previous value of
    /// any type. Kept until the socket is removed.
    ///
    /// # Errors
    /// Unknown socket, invalid key, or [`HubConfig::max_data_keys`].
    pub fn set_data<T: Any + Send>(
        &mut self,
        id: SocketId,
        key: &str,
        value: T,
    ) -> Result<Option<Box<dyn Any + Send>>, HubError> {
        check_name(key, self.config.max_data_key_len, "key")?;
        let max = self.config.max_data_keys;
        let sock = self.socket_mut(id).ok_or(HubError::UnknownSocket)?;
        if let Some(slot) = sock.data.get_mut(key) {
            return Ok(Some(core::mem::replace(slot, Box::new(value))));
        }
        if sock.data.len() >= max {
            return Err(HubError::LimitExceeded {
                limit: "max_data_keys",
            });
        }
        sock.data.insert(key.into(), Box::new(value));
        Ok(None)
    }

    /// The value stored under `key`, if there is one of type `T`.
    #[must_use]
    pub fn data<T: Any>(&self, id: SocketId, key: &str) -> Option<&T> {
        self.socket_ref(id)?.data.get(key)?.downcast_ref::<T>()
    }

    /// Mutable access to the value stored under `key`, if there is one of type `T`.
    #[must_use]
    pub fn data_mut<T: Any>(&mut self, id: SocketId, key: &str) -> Option<&mut T> {
        self.socket_mut(id)?.data.get_mut(key)?.downcast_mut::<T>()
    }

    /// Removes and returns the value under `key` if it is of type `T`; a value of another type is
    /// left in place and `None` returned.
    pub fn take_data<T: Any>(&mut self, id: SocketId, key: &str) -> Option<T> {
        let data = &mut self.socket_mut(id)?.data;
        if !data.get(key)?.is::<T>() {
            return None;
        }
        let boxed = data.remove(key)?;
        boxed.downcast::<T>().ok().map(|b| *b)
    }

    /// Removes the value under `key`, whatever its type. Returns whether there was one.
    pub fn remove_data(&mut self, id: SocketId, key: &str) -> bool {
        self.socket_mut(id)
            .is_some_and(|s| s.data.remove(key).is_some())
    }

    /// The keys with stored values, in byte order.
    pub fn data_keys(&self, id: SocketId) -> impl Iterator<Item = &str> + '_ {
        self.socket_ref(id)
            .into_iter()
            .flat_map(|s| s.data.keys().map(|k| &**k))
    }

    // ----- broadcast ------------------------------------------------------------------------

    /// Chooses the recipients of `target` into `self.chosen`, each at most once.
    ///
    /// One epoch stamp per socket does both jobs: excluded sockets are stamped first, then every
    /// candidate not yet stamped is stamped and chosen. No allocation once `chosen` has grown,
    /// linear in the members read, and only the dense `hot` array is touched.
    fn choose(&mut self, target: &Target<'_>) {
        self.chosen.clear();
        self.epoch += 1;
        let epoch = self.epoch;
        let Some(nsp) = self.namespaces.get(target.namespace) else {
            return;
        };
        let hot = &mut self.hot;
        for room in target.except_rooms {
            if let Some(set) = nsp.rooms.get(*room) {
                for &i in set {
                    if let Some(h) = hot.get_mut(i as usize) {
                        h.mark = epoch;
                    }
                }
            }
        }
        for id in target.except_sockets {
            if let Some(h) = hot.get_mut(id.index as usize) {
                if h.generation == Some(id.generation) {
                    h.mark = epoch;
                }
            }
        }
        let chosen = &mut self.chosen;
        let mut pick = |index: u32| {
            if let Some(h) = hot.get_mut(index as usize) {
                if let (Some(generation), true) = (h.generation, h.mark != epoch) {
                    h.mark = epoch;
                    chosen.push(Recipient {
                        session: h.session,
                        socket: SocketId { index, generation },
                    });
                }
            }
        };
        if target.rooms.is_empty() {
            for &i in &nsp.members {
                pick(i);
            }
        } else {
            for room in target.rooms {
                if let Some(set) = nsp.rooms.get(*room) {
                    for &i in set {
                        pick(i);
                    }
                }
            }
        }
    }

    /// The recipients `target` selects right now, without sending anything.
    pub fn recipients(&mut self, target: &Target<'_>) -> Vec<SocketId> {
        self.choose(target);
        self.chosen.iter().map(|r| r.socket).collect()
    }

    /// Encodes an EVENT (or BINARY_EVENT) packet for `namespace` into a shared [`Encoded`]
    /// with the Socket.IO codec.
    fn encode_event(
        &mut self,
        namespace: &str,
        event: &str,
        args: &[Value<'_>],
        ack_id: Option<u64>,
    ) -> Result<Arc<Encoded>, HubError> {
        check_name(event, self.config.max_event_len, "event")?;
        let mut text = core::mem::take(&mut self.scratch);
        text.clear();
        let mut atts: Vec<&[u8]> = Vec::new();
        let r = packet::encode_event(&mut text, &mut atts, namespace, ack_id, event, args);
        let out = match r {
            Err(e) => Err(HubError::Encode(e)),
            Ok(_) if atts.len() > self.config.max_attachments => Err(HubError::LimitExceeded {
                limit: "max_attachments",
            }),
            Ok(_) => Ok(Arc::new(Encoded::new(&text, &atts))),
        };
        self.scratch = text;
        out
    }

    /// Queues the chosen recipients with `packet` as one batch.
    fn enqueue(&mut self, packet: &Arc<Encoded>) -> usize {
        let n = self.chosen.len();
        if n == 0 {
            return 0;
        }
        // The chosen list becomes the batch; a recycled list (with its capacity) takes its place.
        let spare = self.spare.pop().unwrap_or_default();
        let recipients = core::mem::replace(&mut self.chosen, spare);
        self.queued += n;
        self.outbox.push_back(Batch {
            packet: Arc::clone(packet),
            recipients,
            next: 0,
        });
        n
    }

    /// Emits `event` with `args` (Socket.IO [`Value`]s: raw JSON, strings, binary anywhere in the
    /// tree) to every recipient of `target`: the packet is encoded once and
    /// its recipients are queued (drain [`Hub::poll_transmit`] or [`Hub::poll_broadcast`]). Returns the
    /// number of recipients.
    ///
    /// # Errors
    /// Invalid or reserved event name, an argument that is not JSON, too many attachments.
    pub fn broadcast(
        &mut self,
        target: &Target<'_>,
        event: &str,
        args: &[Value<'_>],
    ) -> Result<usize, HubError> {
        let packet = self.encode_event(target.namespace, event, args, None)?;
        Ok(self.broadcast_encoded(target, packet))
    }

    /// Sends a packet the caller encoded (for example with the Socket.IO codec) to every
    /// recipient of `target`. The packet must belong to `target.namespace`.
    pub fn broadcast_encoded(&mut self, target: &Target<'_>, packet: Arc<Encoded>) -> usize {
        self.choose(target);
        self.enqueue(&packet)
    }

    /// Emits `event` with `args` and an ack id to every recipient of `target`, and collects one
    /// answer per recipient until `now + timeout`. Returns the ack id; the result comes as
    /// [`HubEvent::AckComplete`] (immediately queued when there is no recipient).
    ///
    /// # Errors
    /// As [`Hub::broadcast`], plus [`HubConfig::max_pending_acks`].
    pub fn broadcast_with_ack(
        &mut self,
        target: &Target<'_>,
        event: &str,
        args: &[Value<'_>],
        now: Duration,
        timeout: Duration,
    ) -> Result<u64, HubError> {
        if self.pending.len() >= self.config.max_pending_acks {
            return Err(HubError::LimitExceeded {
                limit: "max_pending_acks",
            });
        }
        let id = self.next_ack;
        let packet = self.encode_event(target.namespace, event, args, Some(id))?;
        self.next_ack = self.next_ack.wrapping_add(1);
        self.choose(target);
        let waiting: BTreeSet<SocketId> = self.chosen.iter().map(|r| r.socket).collect();
        self.enqueue(&packet);
        let empty = waiting.is_empty();
        self.pending.insert(
            id,
            PendingAck {
                deadline: now.saturating_add(timeout),
                waiting,
                outcomes: Vec::new(),
            },
        );
        if empty {
            self.complete_ack(id, false);
        }
        Ok(id)
    }

    /// Offers an ACK received on `socket` with ack id `id`. Returns `true` if it answered one of
    /// the hub's broadcasts (the answer is recorded; a complete set queues
    /// [`HubEvent::AckComplete`]), `false` if the id is not the hub's or this socket was not
    /// awaited (hand it to the socket machine instead).
    ///
    /// `args` is the ACK's raw JSON argument array, `attachments` those of a BINARY_ACK.
    pub fn handle_ack(
        &mut self,
        socket: SocketId,
        id: u64,
        args: &str,
        attachments: Vec<Vec<u8>>,
    ) -> bool {
        let Some(p) = self.pending.get_mut(&id) else {
            return false;
        };
        if !p.waiting.remove(&socket) {
            return false;
        }
        p.outcomes.push((
            socket,
            AckOutcome::Answered {
                args: args.into(),
                attachments,
            },
        ));
        if p.waiting.is_empty() {
            self.complete_ack(id, false);
        }
        true
    }

    /// Claims an Engine.IO text message received on `session` if it is a (text) ACK answering
    /// one of the hub's broadcasts; returns `true` when it did, and the message must then not
    /// be fed to the session's socket machine (which does not know the hub's ids). Anything
    /// else (another packet, a malformed one, a BINARY_ACK header, an id that is not the hub's)
    /// returns `false` untouched. Cheap when no broadcast awaits acks.
    pub fn claim_ack(&mut self, session: SessionId, text: &str) -> bool {
        if self.pending.is_empty() || !text.starts_with('3') {
            return false;
        }
        let Ok(p) = packet::decode(text, &DecodeConfig::new()) else {
            return false;
        };
        let (PacketType::Ack, Some(id)) = (p.kind(), p.id()) else {
            return false;
        };
        let Some(socket) = self.socket_of(session, p.nsp()) else {
            return false;
        };
        if !self
            .pending
            .get(&id)
            .is_some_and(|w| w.waiting.contains(&socket))
        {
            return false;
        }
        self.handle_ack(socket, id, p.data().unwrap_or("[]"), Vec::new())
    }

    /// [`Hub::handle_ack`] for a decoded ACK / BINARY_ACK packet (as the Socket.IO decoder
    /// hands it out). Returns `false` for any other packet type, or an id that is not the hub's.
    pub fn handle_ack_packet(&mut self, socket: SocketId, ack: &OwnedPacket) -> bool {
        let p = ack.packet();
        if !matches!(p.kind(), PacketType::Ack | PacketType::BinaryAck)
            || self.namespace_of(socket) != Some(p.nsp())
        {
            return false;
        }
        let Some(id) = p.id() else { return false };
        if !self
            .pending
            .get(&id)
            .is_some_and(|w| w.waiting.contains(&socket))
        {
            return false;
        }
        self.handle_ack(
            socket,
            id,
            p.data().unwrap_or("[]"),
            ack.attachments().to_vec(),
        )
    }

    fn complete_ack(&mut self, id: u64, timed_out: bool) {
        if let Some(mut p) = self.pending.remove(&id) {
            for s in core::mem::take(&mut p.waiting) {
                p.outcomes.push((s, AckOutcome::TimedOut));
            }
            self.events.push_back(HubEvent::AckComplete {
                id,
                outcomes: p.outcomes,
                timed_out,
            });
        }
    }

    /// Number of broadcasts with ack still awaiting answers.
    #[must_use]
    pub fn pending_acks(&self) -> usize {
        self.pending.len()
    }

    // ----- run loop -------------------------------------------------------------------------

    /// The next bytes to write: which session gets which shared packet. Drain after every call
    /// that broadcasts. Transmits come in broadcast order, and within a broadcast in recipient
    /// order. Recipients are fixed when the broadcast is made: a transmit queued for a socket
    /// removed since is still handed out ([`Hub::contains_socket`] tells).
    #[must_use]
    #[inline]
    pub fn poll_transmit(&mut self) -> Option<Transmit<'_>> {
        if self
            .outbox
            .front()
            .is_some_and(|b| b.next >= b.recipients.len())
        {
            self.pop_drained();
        }
        let batch = self.outbox.front_mut()?;
        let r = *batch.recipients.get(batch.next)?;
        batch.next += 1;
        self.queued -= 1;
        Some(Transmit {
            session: r.session,
            socket: r.socket,
            packet: &batch.packet,
        })
    }

    /// Drops the fully handed-out batches at the front of the queue.
    #[cold]
    fn pop_drained(&mut self) {
        while self
            .outbox
            .front()
            .is_some_and(|b| b.next >= b.recipients.len())
        {
            if let Some(done) = self.outbox.pop_front() {
                self.recycle_vec(done.recipients);
            }
        }
    }

    /// The next whole broadcast: one packet and every recipient not yet handed out by
    /// [`Hub::poll_transmit`]. The cheapest way to drain: no per-recipient work at all. Give the
    /// batch back with [`Hub::recycle`] to reuse its recipient list.
    #[must_use]
    pub fn poll_broadcast(&mut self) -> Option<Broadcast> {
        loop {
            let mut batch = self.outbox.pop_front()?;
            if batch.next < batch.recipients.len() {
                batch.recipients.drain(..batch.next);
                self.queued -= batch.recipients.len();
                return Some(Broadcast {
                    packet: batch.packet,
                    recipients: batch.recipients,
                });
            }
            self.recycle_vec(batch.recipients);
        }
    }

    /// Returns a drained [`Broadcast`]'s recipient list for reuse (optional).
    pub fn recycle(&mut self, broadcast: Broadcast) {
        self.recycle_vec(broadcast.recipients);
    }

    fn recycle_vec(&mut self, mut v: Vec<Recipient>) {
        if self.spare.len() < 4 {
            v.clear();
            self.spare.push(v);
        }
    }

    /// Number of queued transmits (recipients not yet handed out).
    #[must_use]
    pub fn pending_transmits(&self) -> usize {
        self.queued
    }

    /// The next application event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<HubEvent> {
        self.events.pop_front()
    }

    /// The earliest deadline of a pending broadcast ack, if any.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.pending.values().map(|p| p.deadline).min()
    }

    /// Expires every broadcast ack whose deadline is at or before `now`: silent recipients are
    /// recorded as [`AckOutcome::TimedOut`] and [`HubEvent::AckComplete`] is queued.
    pub fn handle_timeout(&mut self, now: Duration) {
        let expired: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            self.complete_ack(id, true);
        }
    }
}
