//! [`Endpoint`]: a sans-IO Engine.IO v4 server over raw TCP bytes.
//!
//! The [`Registry`] and [`ServerSession`](super::server::ServerSession)
//! speak in parsed HTTP requests and WebSocket messages; something still has to parse HTTP,
//! route requests to sessions, hold long-polling GETs, answer the WebSocket handshake, run the
//! WebSocket connections and the timers. The endpoint does all of that, so that a runtime (std
//! threads, tokio, a C host) only moves bytes between sockets and the endpoint.
//!
//! # Run loop
//!
//! Connections are named by ids the caller chooses (a `u64`: a slab index, a file descriptor,
//! a token). The caller:
//!
//! 1. [`Endpoint::handle_accept`] when a TCP connection is accepted (at the
//!    [connection cap](EndpointConfig::max_connections) it is answered `503` and closed);
//! 2. [`Endpoint::handle_read`] with every chunk read from it, [`Endpoint::handle_eof`] when a
//!    read returns 0 (or fails), and [`Endpoint::handle_timeout`] when the deadline passes;
//! 3. after every input or command drains, in this order, [`Endpoint::poll_transmit`] (bytes to
//!    write on a connection, and whether to close it after them), [`Endpoint::poll_event`]
//!    (sessions opened, messages, upgrades, sessions closed) and [`Endpoint::poll_timeout`]
//!    (the one deadline of the whole endpoint);
//! 4. talks back with [`Endpoint::send`] and [`Endpoint::close`].
//!
//! A [`Transmit`] with [`close`](Transmit::close) set retires its connection id: write the
//! bytes, close the socket, and feed nothing more under that id (inputs for unknown ids are
//! ignored) until it is accepted again.
//!
//! ```
//! use core::time::Duration;
//! use sockwire::engineio::Message;
//! use sockwire::engineio::endpoint::{Endpoint, EndpointConfig, Event};
//!
//! // Session ids come from the caller's entropy (use a CSPRNG in production).
//! let mut next = 0u8;
//! let mut ep = Endpoint::new(EndpointConfig::default(), move || {
//!     next += 1;
//!     [next; 15]
//! });
//! let mut wire: Vec<(u64, Vec<u8>)> = Vec::new(); // what we would write to sockets
//! let mut now = Duration::ZERO; // time since the caller's epoch
//!
//! // A connection (id 7) sends the long-polling handshake.
//! ep.handle_accept(now, 7);
//! ep.handle_read(now, 7, b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n");
//! let mut sid = String::new();
//! loop {
//!     // Drain transmit, then events, then read the deadline.
//!     while let Some(t) = ep.poll_transmit() {
//!         wire.push((t.conn, t.data));
//!         // if t.close { close the socket }
//!     }
//!     while let Some(event) = ep.poll_event() {
//!         match event {
//!             Event::Opened { sid: s, .. } => sid = s,
//!             Event::Message { sid, message } => ep.send(&sid, &message)?, // echo
//!             Event::Closed { .. } | Event::Upgraded { .. } => {}
//!             _ => {}
//!         }
//!     }
//!     match ep.poll_timeout() {
//!         // A real loop sleeps in its poller until then, reading sockets meanwhile.
//!         Some(at) if at <= Duration::from_secs(60) => {
//!             now = at;
//!             ep.handle_timeout(now);
//!         }
//!         _ => break,
//!     }
//! }
//! // The open packet went out on connection 7. Nobody polled again: the idle connection was
//! // closed after the request timeout (an empty closing transmit), and the session ended when
//! // its ping went unanswered.
//! assert!(wire[0].1.ends_with(b"\"maxPayload\":1000000}"));
//! assert_eq!(wire[1], (7, Vec::new()));
//! assert_eq!(sid.len(), 20);
//! assert!(!ep.is_open(&sid));
//! # Ok::<(), sockwire::engineio::EngineIoError>(())
//! ```
//!
//! # What it decides
//!
//! * **HTTP**: request heads are parsed with [`crate::http::HeadParser`] (incremental, linear
//!   time, capped by [`EndpointConfig::head`]); bodies are read by `Content-Length` (chunked
//!   bodies are refused with 411, bodies over `maxPayload` with 413 before they are read).
//!   Keep-alive and pipelining follow HTTP/1.1: responses go out in request order.
//! * **Routing**: requests to the [`paths`](EndpointConfig::paths) (with or without the trailing slash) are
//!   classified by [`classify_request`](super::http::classify_request) and routed by `sid`;
//!   errors get the reference's replies (`400 {"code":1,"message":"Session ID unknown"}`, ...).
//!   Static [`pages`](EndpointConfig::page) are served on exact paths; anything else is a 404.
//!   `OPTIONS` preflights get the CORS answer of [`EndpointConfig::cors`].
//! * **Long-polling**: a GET with nothing to send is held until the session has output (a
//!   message, the heartbeat ping, the close, the upgrade's `6`); a second GET while one is held
//!   is refused and closes the session, as in the reference. If a held GET's connection ends,
//!   the session closes ("poll connection closed prematurely").
//! * **WebSocket**: an Upgrade to the path is validated ([`UpgradeRequest`](crate::handshake::UpgradeRequest)),
//!   permessage-deflate is negotiated when [`ServerConfig::per_message_deflate`] asks for it and a
//!   codec is built in, the `101` is queued before any frame, and the connection is handed to an
//!   owned [`ws::Connection`](crate::ws::Connection). Without `sid` it opens a session on
//!   WebSocket; with one it is the upgrade candidate (`2probe` / `3probe` / `5`).
//! * **Timers**: one heap of `(deadline, key)` for every session and connection, with lazy
//!   invalidation; `handle_timeout` touches only what is due. Sessions with new output are put
//!   on a ready queue, so draining never scans all sessions.
//!
//! # Caps
//!
//! | cap | default | over it |
//! |---|---|---|
//! | [`max_connections`](EndpointConfig::max_connections) | 1024 | `503`, closed |
//! | [`max_sessions`](EndpointConfig::max_sessions) | 10 000 | `403 {"code":4,...}` |
//! | [`head`](EndpointConfig::head) | 8 KiB, 128 headers | `431`, closed |
//! | body: [`ServerConfig::max_payload`] | 1 000 000 bytes | `413`, closed |
//! | [`request_timeout`](EndpointConfig::request_timeout) | 30 s | closed, no answer |
//! | [`ws`](EndpointConfig::ws) message size | 1 100 000 bytes | close 1009 |

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use super::http::{Cors, HttpConfig};
use super::id_map::IdMap;
use super::server::{CloseReason, Registry, ServerConfig};
use super::{EngineIoError, Message};
use crate::http::HeadConfig;
use crate::ws::ConnectionConfig;

mod conn;
pub mod pacing;
mod session;
mod timers;

use conn::Conn;
use timers::{Key, Timers};

/// A static page served by the endpoint ([`EndpointConfig::page`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The exact request path, e.g. `/`.
    pub path: String,
    /// The `Content-Type` value.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
}

/// The endpoint's options and caps (see the [module docs](self#caps)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointConfig {
    /// The Engine.IO paths (mounts), e.g. `["/engine.io/"]` (the default); each matches with
    /// or without its trailing slash. Sessions share the configuration but not the path: a
    /// session answers only on the path that opened it ([`OpenRequest::path`] says which).
    pub paths: Vec<String>,
    /// The sessions' options (heartbeat, `maxPayload`, upgrades, `perMessageDeflate`).
    pub server: ServerConfig,
    /// CORS headers for long-polling responses and preflights; `None` (the default) sends none
    /// and refuses preflights as the reference does.
    pub cors: Option<Cors>,
    /// Most TCP connections at once. Default 1024.
    pub max_connections: usize,
    /// Most Engine.IO sessions at once. Default 10 000.
    pub max_sessions: usize,
    /// Caps on a request head (bytes and header count; at most
    /// [`DEFAULT_MAX_HEADERS`](crate::http::DEFAULT_MAX_HEADERS) headers are kept whatever the
    /// count cap). Default 8 KiB and 128 headers.
    pub head: HeadConfig,
    /// How long a connection may take to deliver a whole request (head and body), counted from
    /// when it is accepted or its previous response was queued. An idle keep-alive connection
    /// is closed after it too. A held GET and a WebSocket are not subject to it. Default 30 s.
    pub request_timeout: Duration,
    /// The WebSocket connections' options (sizes, timers). permessage-deflate is set per
    /// connection from the negotiation. Default: messages and frames up to 1 100 000 bytes
    /// (`maxPayload` plus slack), other settings as [`ConnectionConfig::default`].
    pub ws: ConnectionConfig,
    /// Static pages, by exact path.
    pub pages: Vec<Page>,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            paths: alloc::vec![String::from("/engine.io/")],
            server: ServerConfig::default(),
            cors: None,
            max_connections: 1024,
            max_sessions: 10_000,
            head: HeadConfig::default(),
            request_timeout: Duration::from_secs(30),
            ws: ConnectionConfig::new()
                .max_message_size(1_100_000)
                .max_frame_size(1_100_000),
            pages: Vec::new(),
        }
    }
}

impl EndpointConfig {
    /// Makes `path` the only Engine.IO path ([`EndpointConfig::paths`]).
    pub fn path(mut self, path: &str) -> Self {
        self.paths = alloc::vec![String::from(path)];
        self
    }
    /// Adds an Engine.IO path ([`EndpointConfig::paths`]).
    pub fn add_path(mut self, path: &str) -> Self {
        self.paths.push(String::from(path));
        self
    }
    /// Sets [`EndpointConfig::server`].
    pub fn server(mut self, cfg: ServerConfig) -> Self {
        self.server = cfg;
        self
    }
    /// Sets [`EndpointConfig::cors`].
    pub fn cors(mut self, cors: Option<Cors>) -> Self {
        self.cors = cors;
        self
    }
    /// Sets [`EndpointConfig::max_connections`].
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }
    /// Sets [`EndpointConfig::max_sessions`].
    pub fn max_sessions(mut self, n: usize) -> Self {
        self.max_sessions = n;
        self
    }
    /// Sets [`EndpointConfig::head`].
    pub fn head(mut self, head: HeadConfig) -> Self {
        self.head = head;
        self
    }
    /// Sets [`EndpointConfig::request_timeout`].
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = d;
        self
    }
    /// Sets [`EndpointConfig::ws`].
    pub fn ws(mut self, cfg: ConnectionConfig) -> Self {
        self.ws = cfg;
        self
    }
    /// Adds a static page served at exactly `path`.
    pub fn page(mut self, path: &str, content_type: &str, body: Vec<u8>) -> Self {
        self.pages.push(Page {
            path: String::from(path),
            content_type: String::from(content_type),
            body,
        });
        self
    }
}

/// Bytes to write on a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The caller's connection id.
    pub conn: u64,
    /// The bytes, in order after those of the previous transmit for this connection (may be
    /// empty when only `close` matters).
    pub data: Vec<u8>,
    /// Close the connection after writing `data`; the id is then retired.
    pub close: bool,
}

/// What the request that opened a session said (the reference's `socket.handshake` facts the
/// endpoint can see; the peer address is the caller's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenRequest {
    /// The configured Engine.IO path the request matched (one of [`EndpointConfig::paths`]).
    pub path: String,
    /// The request target (path and query), as sent.
    pub target: String,
    /// The header fields in order (names as sent; values that are not UTF-8 are empty).
    pub headers: Vec<(String, String)>,
}

/// Something that happened to a session, from [`Endpoint::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A session opened (before any other event about it).
    Opened {
        /// Its id.
        sid: String,
        /// The connection the handshake came on.
        conn: u64,
        /// The handshake request.
        request: OpenRequest,
    },
    /// A message from a session's client.
    Message {
        /// The session.
        sid: String,
        /// The message.
        message: Message,
    },
    /// A session moved to WebSocket.
    Upgraded {
        /// The session.
        sid: String,
    },
    /// A session ended (exactly once, last).
    Closed {
        /// The session.
        sid: String,
        /// Why, in the reference's terms.
        reason: CloseReason,
        /// The peer or transport error that ended it: an Engine.IO error, or the WebSocket
        /// protocol error that failed the session's WebSocket (`Some` exactly for
        /// [`CloseReason::ParseError`] and [`CloseReason::TransportError`]).
        error: Option<crate::Error>,
    },
}

/// Per-session bookkeeping next to the registry's session.
#[derive(Debug, Default)]
struct Side {
    /// The connection holding this session's long-polling GET.
    held: Option<u64>,
    /// The connection carrying this session's WebSocket (or upgrade candidate).
    ws: Option<u64>,
    /// On the ready queue.
    ready: bool,
    /// The deadline this session is scheduled at in the heap.
    deadline: Option<Duration>,
    /// Which of the configured paths the session lives on.
    mount: usize,
}

/// A sans-IO Engine.IO server over TCP bytes (see the [module docs](self)).
pub struct Endpoint {
    cfg: EndpointConfig,
    http: HttpConfig,
    entropy: Box<dyn FnMut() -> [u8; 15] + Send>,
    registry: Registry,
    sessions: crate::engineio::sid_map::SidMap<Side>,
    conns: IdMap<Conn>,
    timers: Timers,
    /// Sessions that may have output or events to drain.
    ready: VecDeque<String>,
    /// HTTP connections that may hold a complete request to process.
    http_ready: VecDeque<u64>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    now: Duration,
    /// Write pacing on ([`Endpoint::enable_write_pacing`]).
    paced: bool,
    /// With pacing: the connections with a write in flight, and what waits behind it.
    in_flight: IdMap<pacing::Held>,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("paths", &self.cfg.paths)
            .field("sessions", &self.sessions.len())
            .field("connections", &self.conns.len())
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// An endpoint with `cfg`, drawing 15 bytes of entropy per session id from `entropy` (feed
    /// it from a cryptographically secure source: session ids are the only credential of a
    /// long-polling client).
    pub fn new(cfg: EndpointConfig, entropy: impl FnMut() -> [u8; 15] + Send + 'static) -> Self {
        let http = HttpConfig {
            max_body: cfg.server.max_payload,
            cors: cfg.cors.clone(),
        };
        Endpoint {
            registry: Registry::new(cfg.server.clone(), cfg.max_sessions),
            http,
            cfg,
            entropy: Box::new(entropy),
            sessions: crate::engineio::sid_map::SidMap::new(),
            conns: IdMap::new(),
            timers: Timers::default(),
            ready: VecDeque::new(),
            http_ready: VecDeque::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            now: Duration::ZERO,
            paced: false,
            in_flight: IdMap::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &EndpointConfig {
        &self.cfg
    }

    /// Number of connections held.
    pub fn connections(&self) -> usize {
        self.conns.len()
    }

    /// Number of sessions held (a closed session is dropped once its last output is drained).
    pub fn sessions(&self) -> usize {
        self.sessions.len()
    }

    /// Whether the session `sid` exists and has not emitted its close event.
    pub fn is_open(&self, sid: &str) -> bool {
        self.registry
            .get(sid)
            .is_some_and(|s| !s.is_closing_or_closed())
    }

    /// The ids of the open sessions, in sid order (sids of up to 32 bytes, which every sid
    /// this crate makes is, come first in their order, then any longer ones in theirs).
    pub fn sids(&self) -> impl Iterator<Item = &str> + '_ {
        self.sessions
            .iter()
            .map(|(sid, _)| sid)
            .filter(|sid| self.is_open(sid))
    }

    // ---- inputs ----------------------------------------------------------------------------

    /// A TCP connection was accepted under the caller's id `conn`. At the connection cap it is
    /// answered `503` and closed at once (one [`Transmit`] with `close`). An id still in use is
    /// first dropped without a transmit (its session learns of it as of an EOF).
    pub fn handle_accept(&mut self, now: Duration, conn: u64) {
        self.advance(now);
        if self.conns.contains_key(conn) {
            self.drop_conn(conn);
        }
        self.forget_held(conn);
        if self.conns.len() >= self.cfg.max_connections {
            self.transmits.push_back(Transmit {
                conn,
                data: Vec::from(RESP_503),
                close: true,
            });
        } else {
            let c = Conn::new(self.cfg.head, now.saturating_add(self.cfg.request_timeout));
            self.conns.insert(conn, c);
            self.schedule_conn(conn);
        }
        self.flush();
    }

    /// Bytes read from connection `conn`. Ignored for an id that is not accepted (or was
    /// retired by a closing [`Transmit`]).
    pub fn handle_read(&mut self, now: Duration, conn: u64, bytes: &[u8]) {
        self.advance(now);
        self.read(conn, bytes);
        self.flush();
    }

    /// The peer closed connection `conn` (a read returned 0), or it failed. A partial request is
    /// dropped; a held GET or an in-flight POST closes its session, as in the reference; a
    /// WebSocket ends abnormally. The connection is retired with an empty closing [`Transmit`].
    pub fn handle_eof(&mut self, now: Duration, conn: u64) {
        self.advance(now);
        if self.conns.contains_key(conn) {
            self.drop_conn(conn);
            self.forget_held(conn);
            self.transmits.push_back(Transmit {
                conn,
                data: Vec::new(),
                close: true,
            });
        }
        self.flush();
    }

    /// Runs what is due at `now`: session timers (heartbeat, upgrade, close), request
    /// timeouts, WebSocket close timers. Only due sessions and connections are touched.
    pub fn handle_timeout(&mut self, now: Duration) {
        self.advance(now);
        let now = self.now;
        // At most the entries present now: a machine that rescheduled itself at or before `now`
        // is handled on the next call, never in a loop here.
        let mut budget = self.timers.len();
        while budget > 0 {
            budget -= 1;
            let Some((at, key)) = self.timers.pop_due(now) else {
                break;
            };
            match key {
                Key::Session(sid) => {
                    let Some(side) = self.sessions.get_mut(&sid) else {
                        continue;
                    };
                    if side.deadline != Some(at) {
                        continue;
                    }
                    side.deadline = None;
                    if let Some(s) = self.registry.get_mut(&sid) {
                        s.handle_timeout(now);
                    }
                    self.mark(&sid);
                }
                Key::Conn(id) => {
                    let Some(c) = self.conns.get_mut(id) else {
                        continue;
                    };
                    if c.scheduled != Some(at) {
                        continue;
                    }
                    c.scheduled = None;
                    self.conn_timeout(id);
                }
            }
        }
        self.flush();
    }

    // ---- commands --------------------------------------------------------------------------

    /// Sends a message to session `sid` (delivered to its held GET, queued for the next one,
    /// or written to its WebSocket).
    pub fn send(&mut self, sid: &str, message: &Message) -> Result<(), EngineIoError> {
        match message {
            Message::Text(t) => self.send_text(sid, t),
            Message::Binary(b) => self.send_binary(sid, b),
        }
    }

    /// Sends a text message to session `sid`.
    pub fn send_text(&mut self, sid: &str, text: &str) -> Result<(), EngineIoError> {
        let s = self.registry.get_mut(sid).ok_or(EngineIoError::Closed)?;
        s.send_text(text)?;
        self.mark(sid);
        self.flush();
        Ok(())
    }

    /// Sends a binary message to session `sid`.
    pub fn send_binary(&mut self, sid: &str, data: &[u8]) -> Result<(), EngineIoError> {
        let s = self.registry.get_mut(sid).ok_or(EngineIoError::Closed)?;
        s.send_binary(data)?;
        self.mark(sid);
        self.flush();
        Ok(())
    }

    /// Whether session `sid` is open on WebSocket (upgraded, or opened there), so that
    /// [`Endpoint::send_ws_encoded`] can take frames encoded once for many sessions.
    pub fn is_websocket(&self, sid: &str) -> bool {
        self.ws_of(sid).is_some()
    }

    /// The permessage-deflate parameters the WebSocket of session `sid` negotiated, if it is on
    /// WebSocket and did: frames compressed once for many connections (e.g. by
    /// [`hub::Encoded::ws_frames_deflated`](crate::hub::Encoded::ws_frames_deflated)) suit it only
    /// if these allow them; uncompressed frames suit every WebSocket.
    pub fn ws_deflate(&self, sid: &str) -> Option<crate::deflate::PerMessageDeflate> {
        let id = self.ws_of(sid)?;
        match &self.conns.get(id)?.state {
            conn::State::Ws(w) => w.ws.config().deflate_params(),
            _ => None,
        }
    }

    /// Queues bytes already encoded as whole server WebSocket frames (each an Engine.IO packet:
    /// text `4…` for a message, binary for binary) on the WebSocket of session `sid`, without
    /// going through the session's queue: the encode-once path of a broadcast (for instance
    /// [`hub::Encoded::ws_frames`](crate::hub::Encoded::ws_frames)), no copy per session but
    /// the connection's output buffer. `Ok(false)` when the session is not on WebSocket (yet):
    /// send it the messages with [`Endpoint::send`] instead. The caller vouches for the frames.
    pub fn send_ws_encoded(&mut self, sid: &str, frames: &[u8]) -> Result<bool, EngineIoError> {
        if !self.is_open(sid) {
            return Err(EngineIoError::Closed);
        }
        let Some(id) = self.ws_of(sid) else {
            return Ok(false);
        };
        if let Some(conn::State::Ws(w)) = self.conns.get_mut(id).map(|c| &mut c.state) {
            w.ws.send_encoded(frames)
                .map_err(|_| EngineIoError::Closed)?;
        }
        self.ws_output(id);
        self.flush();
        Ok(true)
    }

    /// [`Endpoint::send_ws_encoded`] of uncompressed frames, done only when session `sid` is on a
    /// WebSocket that did not negotiate permessage-deflate (else false: send it the messages):
    /// a broadcast's recipient looked up once, not in three calls.
    pub(crate) fn send_ws_uncompressed(&mut self, sid: &str, frames: &[u8]) -> bool {
        let Some(id) = self.ws_of(sid) else {
            return false;
        };
        let Some(c) = self.conns.get_mut(id) else {
            return false;
        };
        let conn::State::Ws(w) = &mut c.state else {
            return false;
        };
        if w.ws.config().deflate_params().is_some() {
            return false;
        }
        match w.ws.send_encoded_owned(frames) {
            Err(_) => false,
            // Nothing waited on the connection: the frames are the transmit, and nothing else
            // changed (no session marked, no close), so one look-up of the connection does.
            Ok(Some(data)) => {
                let at = c.deadline();
                if c.scheduled != at {
                    c.scheduled = at;
                    if let Some(at) = at {
                        self.timers.push(at, Key::Conn(id));
                    }
                }
                self.write_vec(id, data);
                true
            }
            Ok(None) => {
                self.ws_output(id);
                self.flush();
                true
            }
        }
    }

    /// The connection of `sid`'s WebSocket when the session is open on WebSocket with nothing
    /// queued in front (so frames written directly keep the session's order).
    fn ws_of(&self, sid: &str) -> Option<u64> {
        let s = self.registry.get(sid)?;
        if s.is_closing_or_closed()
            || s.transport() != super::http::Transport::WebSocket
            || s.queued() != 0
        {
            return None;
        }
        self.sessions.get(sid)?.ws
    }

    /// Closes session `sid` ([`CloseReason::ForcedClose`]): what is queued is still delivered,
    /// then a `1` packet (long-polling) or a WebSocket close. Unknown sids are ignored.
    pub fn close(&mut self, sid: &str) {
        let now = self.now;
        if let Some(s) = self.registry.get_mut(sid) {
            s.close(now);
            self.mark(sid);
        }
        self.flush();
    }

    // ---- outputs ---------------------------------------------------------------------------

    /// The next bytes to write (see [`Transmit`]).
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Endpoint::handle_timeout`] must be called next, if ever.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.timers.peek()
    }

    // ---- internals -------------------------------------------------------------------------

    fn advance(&mut self, now: Duration) {
        self.now = self.now.max(now);
    }

    /// Puts a session on the ready queue (once).
    fn mark(&mut self, sid: &str) {
        if let Some(side) = self.sessions.get_mut(sid) {
            if !side.ready {
                side.ready = true;
                self.ready.push_back(String::from(sid));
            }
        }
    }

    /// Drains the ready sessions and connections until nothing is left, then tidies the heap.
    fn flush(&mut self) {
        loop {
            if let Some(sid) = self.ready.pop_front() {
                if let Some(side) = self.sessions.get_mut(&sid) {
                    side.ready = false;
                }
                self.drain_session(&sid);
            } else if let Some(id) = self.http_ready.pop_front() {
                self.process_http(id);
            } else {
                break;
            }
        }
        let (sessions, conns) = (&self.sessions, &self.conns);
        let live = |at: Duration, key: &Key| match key {
            Key::Session(sid) => sessions.get(sid).is_some_and(|s| s.deadline == Some(at)),
            Key::Conn(id) => conns.get(*id).is_some_and(|c| c.scheduled == Some(at)),
        };
        self.timers.prune_top(live);
        if self.timers.len() > 64 + 2 * (self.sessions.len() + self.conns.len()) {
            let mut all: Vec<(Duration, Key)> = Vec::new();
            for (sid, side) in self.sessions.iter() {
                if let Some(at) = side.deadline {
                    all.push((at, Key::Session(String::from(sid))));
                }
            }
            for (id, c) in self.conns.iter() {
                if let Some(at) = c.scheduled {
                    all.push((at, Key::Conn(id)));
                }
            }
            self.timers.rebuild(all);
        }
    }

    /// Re-reads a session's deadline and schedules it if it changed.
    fn schedule_session(&mut self, sid: &str) {
        let at = self.registry.get_mut(sid).and_then(|s| s.poll_timeout());
        if let Some(side) = self.sessions.get_mut(sid) {
            if side.deadline != at {
                side.deadline = at;
                if let Some(at) = at {
                    self.timers.push(at, Key::Session(String::from(sid)));
                }
            }
        }
    }

    /// Re-reads a connection's deadline and schedules it if it changed.
    fn schedule_conn(&mut self, id: u64) {
        if let Some(c) = self.conns.get_mut(id) {
            let at = c.deadline();
            if c.scheduled != at {
                c.scheduled = at;
                if let Some(at) = at {
                    self.timers.push(at, Key::Conn(id));
                }
            }
        }
    }

    /// Queues bytes for a connection: one transmit per HTTP response or per WebSocket flush
    /// (not merged, so a host that writes each at once sends each message as soon as it is
    /// made; a host may still coalesce consecutive transmits with a vectored write).
    fn write(&mut self, conn: u64, data: &[u8]) {
        if data.is_empty() || self.hold(conn, data) {
            return;
        }
        self.transmits.push_back(Transmit {
            conn,
            data: Vec::from(data),
            close: false,
        });
    }

    /// [`Endpoint::write`] of bytes the caller already owns (no second copy).
    fn write_vec(&mut self, conn: u64, data: Vec<u8>) {
        if data.is_empty() || self.hold(conn, &data) {
            return;
        }
        self.transmits.push_back(Transmit {
            conn,
            data,
            close: false,
        });
    }

    /// Queues the close of a connection after what was written, and forgets it.
    fn write_close(&mut self, conn: u64) {
        self.drop_conn(conn);
        if self.hold_close(conn) {
            return;
        }
        self.forget_held(conn);
        if let Some(last) = self.transmits.back_mut() {
            if last.conn == conn && !last.close {
                last.close = true;
                return;
            }
        }
        self.transmits.push_back(Transmit {
            conn,
            data: Vec::new(),
            close: true,
        });
    }
}

const RESP_503: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
