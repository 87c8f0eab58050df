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
//! # Rooms and a broadcast
//!
//! ```
//! use sockwire::hub::{Hub, HubConfig, SessionInfo, Target};
//! use sockwire::socketio::Value;
//!
//! let mut hub = Hub::new(HubConfig::default());
//! let mut socket = |hub: &mut Hub, sid: &str| {
//!     let session = hub.add_session(SessionInfo::default()).unwrap();
//!     (session, hub.add_socket(session, "/", sid, None).unwrap())
//! };
//! let (sa, a) = socket(&mut hub, "aaaaaaaaaaaaaaaaaaaa");
//! let (sb, b) = socket(&mut hub, "bbbbbbbbbbbbbbbbbbbb");
//! let (_, c) = socket(&mut hub, "cccccccccccccccccccc");
//! hub.join(a, "blue")?;
//! hub.join(b, "blue")?;
//! hub.set_data(a, "name", String::from("ann"))?;
//!
//! // `socket.to("blue").emit(...)` from c: the members of blue (c is not one of them).
//! let n = hub.broadcast(&Target::namespace("/").rooms(&["blue"]), "news", &[Value::Str("hi")])?;
//! assert_eq!(n, 2);
//! let mut got = Vec::new();
//! while let Some(t) = hub.poll_transmit() {
//!     // One encoded packet shared by every recipient.
//!     got.push((t.session, t.packet.text().to_string()));
//! }
//! assert_eq!(got, [(sa, r#"2["news","hi"]"#.to_string()), (sb, r#"2["news","hi"]"#.to_string())]);
//! assert_eq!(hub.data::<String>(a, "name").map(String::as_str), Some("ann"));
//! # let _ = c;
//! # Ok::<(), sockwire::hub::HubError>(())
//! ```
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
//! **Parsers.** A session whose client uses the msgpack parser ([`Hub::set_session_parser`],
//! or [`HubConfig::parser`] for all) gets the packet as one binary message
//! ([`Encoded::msgpack_message`]; its `ws_frames` are one binary frame). A broadcast is encoded
//! once per parser present among its recipients, and queued as one batch per parser (JSON
//! recipients first).
//!
//! # Connection state recovery
//!
//! With [`HubConfig::recovery`] set, one
//! [`RecoveryStore`](crate::socketio::recovery::RecoveryStore) per namespace keeps the
//! broadcasts and direct emits without ack id (each carries its offset as last argument and is
//! stored as its encoded-once packet, so a replay copies nothing) and the sockets that
//! disconnected for a recoverable reason (sid, rooms, session data). The caller's part:
//!
//! 1. After [`ServerSocket::accept_with_ids`](crate::socketio::ServerSocket::accept_with_ids)
//!    (with a fresh random `pid`) and [`Hub::add_socket`], call [`Hub::set_pid`].
//! 2. Emit through the hub: [`Hub::broadcast`] and, for one socket, [`Hub::emit_to`]. Stored
//!    packets are stamped with the latest time the hub was given ([`Hub::set_time`],
//!    [`Hub::handle_timeout`], ...).
//! 3. When a socket ends, call [`Hub::disconnect_socket`] with its reason (instead of
//!    [`Hub::remove_socket`]); it keeps the state when the reason is recoverable.
//! 4. On a CONNECT with a [`RecoveryRequest`](crate::socketio::RecoveryRequest), call
//!    [`Hub::recover_socket`]: on success answer with
//!    [`ServerSocket::accept_recovered`](crate::socketio::ServerSocket::accept_recovered), then
//!    drain the hub (the missed packets are queued for the socket); otherwise accept it as new.
//!
//! The store's departures from the reference adapter apply (see
//! [`crate::socketio::recovery`]): a client that never got an offset still recovers, and a
//! session restores once per disconnection.
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
use core::time::Duration;

use crate::socketio::recovery::RecoveryConfig;
use crate::socketio::{Parser, SocketIoError};

mod ack;
mod broadcast;
mod cluster;
mod cluster_acks;
mod cluster_emit;
mod cluster_requests;
mod data;
mod encode;
mod recovery;
mod registry;
mod rooms;
mod session_info;

pub use ack::{AckOutcome, HubEvent};
pub use broadcast::{Broadcast, Recipient, Target, Transmit};
pub use encode::Encoded;
pub use recovery::Recovered;
pub use session_info::{SessionInfo, decode_query};

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
    /// The parser new sessions use (default JSON); change one session's with
    /// [`Hub::set_session_parser`]. A broadcast is encoded once per parser among its recipients.
    pub parser: Parser,
    /// Connection state recovery (off by default): broadcasts and [`Hub::emit_to`] without ack
    /// carry offsets and are stored, and [`Hub::disconnect_socket`] keeps recoverable sessions
    /// (see [`Hub::recover_socket`]). Caps and duration are the [`RecoveryConfig`]'s, per
    /// namespace.
    pub recovery: Option<RecoveryConfig>,
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
            parser: Parser::Json,
            recovery: None,
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
        /// Sets [`HubConfig::parser`].
        parser: Parser,
        /// Sets [`HubConfig::recovery`].
        recovery: Option<RecoveryConfig>,
    }
}

/// Handle of a registered Engine.IO session. Stale handles (of a removed session) are detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionId {
    index: u32,
    generation: u32,
}

impl SessionId {
    /// The slot this handle names (reused after its session is removed; the handle's
    /// generation tells the two apart): a dense index for tables beside the hub.
    pub(crate) fn slot(self) -> usize {
        self.index as usize
    }
}

/// Handle of a registered Socket.IO socket. Stale handles (of a removed socket) are detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SocketId {
    index: u32,
    generation: u32,
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
    /// Private session id (connection state recovery).
    pid: Option<Box<str>>,
    /// Recovery store position when the pid was recorded.
    position: u64,
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
    /// The socket's session uses the msgpack parser.
    msgpack: bool,
}

/// One queued broadcast: its packet and recipients; `next` recipients were already handed out.
struct Batch {
    packet: Arc<Encoded>,
    recipients: Vec<Recipient>,
    next: usize,
}

struct Session {
    generation: u32,
    parser: Parser,
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
    /// Recovery stores, per namespace.
    stores: BTreeMap<Box<str>, recovery::Store>,
    /// The latest time the caller gave (stamps stored packets).
    now: Duration,
    /// The cluster adapter ([`Hub::set_cluster`]).
    cluster: Option<Box<crate::cluster::Adapter>>,
    /// Broadcasts with acks another node asked for: our ack id -> its namespace, request id
    /// and (sharded) requester.
    remote_acks: BTreeMap<u64, cluster_acks::RemoteAck>,
    /// Our broadcasts with acks published to the cluster, by request id.
    cluster_acks: BTreeMap<Box<str>, cluster_acks::ClusterAck>,
    /// Our requests waiting for the other nodes' answers, by request id.
    requests: BTreeMap<Box<str>, cluster_requests::Request>,
    next_request: u64,
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
            stores: BTreeMap::new(),
            now: Duration::ZERO,
            cluster: None,
            remote_acks: BTreeMap::new(),
            cluster_acks: BTreeMap::new(),
            requests: BTreeMap::new(),
            next_request: 0,
        }
    }

    /// The caps in force.
    #[must_use]
    pub fn config(&self) -> &HubConfig {
        &self.config
    }
}
