//! [`Client`]: a whole Socket.IO v5 client over raw TCP bytes, sans-IO — the twin of
//! [`Server`](crate::socketio::server::Server).
//!
//! It composes the layers below it: an Engine.IO [`ClientSession`] (handshake, heartbeat,
//! long-polling, the polling → WebSocket upgrade), the Socket.IO [`ClientSocket`] (namespaces,
//! emits, acks, binary attachments, connection state recovery offsets), and the transport:
//! HTTP/1.1 long-polling requests parsed with the bounded [`crate::http`] parser, and the
//! WebSocket (opening handshake, then a [`ws::Connection`](crate::ws::Connection)). It also
//! reconnects after the session is lost, with the reference client's backoff: `delay * 2^n`,
//! moved by up to [`randomization_permille`](ClientOptions::randomization_permille) of itself
//! with numbers drawn from the caller's [`seed`](ClientOptions::seed) (no global RNG), capped at
//! [`reconnection_delay_max`](ClientOptions::reconnection_delay_max).
//!
//! # Connections
//!
//! The client asks for TCP connections to the server by number ([`Transmit::Connect`]): one
//! per purpose, so that a POST never waits behind a held GET.
//!
//! | connection | carries |
//! | --- | --- |
//! | polling GET | the open GET, then each held GET, one at a time (HTTP/1.1 keep-alive) |
//! | polling POST | the POSTs of queued packets, one at a time (keep-alive) |
//! | WebSocket | the `websocket` handshake (direct, or the upgrade probe), then frames |
//!
//! A connection the server closes while idle is simply replaced by a new one at the next
//! request; one that breaks with a request in flight loses the Engine.IO session. After the
//! upgrade both polling connections are closed.
//!
//! # Run loop
//!
//! Inputs: [`Client::handle_read`] (bytes read from connection `conn`), [`Client::handle_eof`]
//! (it closed, failed, or could not be opened), [`Client::handle_timeout`] (the deadline
//! passed). Commands: [`Client::connect`], [`Client::emit`], [`Client::emit_with_ack`],
//! [`Client::ack`], [`Client::disconnect`], [`Client::close`]. After each, drain
//! [`Client::poll_transmit`] (open, write, close connections, in order), then
//! [`Client::poll_event`], then arm one timer at [`Client::poll_timeout`]. There is a deadline
//! from construction on: the connect timeout of the first attempt.
//!
//! ```
//! use core::time::Duration;
//! use sockwire::socketio::client::{Client, ClientOptions, Event, Transmit};
//!
//! let mut n = 0u8;
//! let entropy = move || {
//!     n = n.wrapping_add(1);
//!     [n; 16] // use the OS or a CSPRNG in production
//! };
//! let now = Duration::ZERO;
//! let mut io = Client::new(now, ClientOptions::new("localhost:3000"), entropy);
//! io.connect("/", None).unwrap();
//! // The first connection carries the Engine.IO handshake over long-polling.
//! assert_eq!(io.poll_transmit(), Some(Transmit::Connect { conn: 1 }));
//! let Some(Transmit::Write { conn: 1, data }) = io.poll_transmit() else { panic!() };
//! assert!(data.starts_with(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n"));
//! // The server's answer, as read from the socket.
//! let open = br#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
//! let mut resp = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", open.len()).into_bytes();
//! resp.extend_from_slice(open);
//! io.handle_read(now, 1, &resp);
//! assert_eq!(io.poll_event(), Some(Event::Open { sid: "abc".into() }));
//! // The namespace CONNECT goes out in a POST on a second connection; the next GET is held.
//! let out: Vec<Transmit> = std::iter::from_fn(|| io.poll_transmit()).collect();
//! assert!(out.iter().any(|t| matches!(t, Transmit::Write { conn: 2, data } if data.ends_with(b"\r\n\r\n40"))));
//! // Ping timeout: pingInterval + pingTimeout from the open.
//! assert_eq!(io.poll_timeout(), Some(Duration::from_secs(45)));
//! ```

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use crate::engineio::Message as EioMessage;
use crate::engineio::client::{
    ClientConfig as EioConfig, ClientEvent as EioEvent, ClientRequest, ClientSession,
};
use crate::engineio::http::Transport;
use crate::engineio::server::CloseReason;
use crate::http::HeadConfig;
use crate::socketio::packet::Value;
use crate::socketio::{
    AckHandle, ClientConfig, ClientEvent, ClientSocket, CloseReason as SocketCloseReason,
    DisconnectReason, EncodedPacket, Message, SocketIoError,
};
use crate::ws::ConnectionConfig;

mod backoff;
mod drive;
mod transport;

use backoff::Backoff;
use transport::{HttpConn, Response, WsConn};

/// Which transports to use (the reference client's `transports` and `upgrade` options).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Transports {
    /// Long-polling first, then the WebSocket when the server offers it (default).
    #[default]
    PollingThenUpgrade,
    /// Long-polling only.
    Polling,
    /// WebSocket only, from the handshake on.
    WebSocket,
}

/// Settings of a [`Client`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientOptions {
    /// The `Host` header (`host:port`). With [`path`](Self::path), visible ASCII only: a client
    /// made with anything else starts closed ([`Event::Closed`]).
    pub host: String,
    /// The Engine.IO path (default `/socket.io/`), starting with `/`.
    pub path: String,
    /// Which transports to use.
    pub transports: Transports,
    /// The Socket.IO socket machine (parser, decode caps, namespaces, pending acks).
    pub socket: ClientConfig,
    /// Most Engine.IO packets queued before sending fails (default 4096).
    pub max_queued_packets: usize,
    /// How long an attempt may take to open its Engine.IO session (default 20 s).
    pub timeout: Duration,
    /// Reconnect after the session is lost (default true; never after [`Client::close`]).
    pub reconnection: bool,
    /// Attempts in a row before giving up (default unlimited).
    pub reconnection_attempts: u32,
    /// The first delay (default 1 s), doubled per attempt ...
    pub reconnection_delay: Duration,
    /// ... up to this (default 5 s).
    pub reconnection_delay_max: Duration,
    /// How much of each delay is random, in thousandths (default 500: ±50 %).
    pub randomization_permille: u32,
    /// The seed of the jitter (use a different one per client to spread reconnections).
    pub seed: u64,
    /// Caps on every HTTP response head and on the WebSocket handshake response.
    pub head: HeadConfig,
    /// Largest long-polling response body (default 4 MiB).
    pub max_http_body: usize,
    /// The WebSocket connection (frame and message caps; it always receives whole messages).
    pub ws: ConnectionConfig,
}

impl ClientOptions {
    /// The defaults, for the server at `host` (`host:port`, sent as the `Host` header).
    pub fn new(host: &str) -> Self {
        ClientOptions {
            host: String::from(host),
            path: String::from("/socket.io/"),
            transports: Transports::default(),
            socket: ClientConfig::default(),
            max_queued_packets: 4096,
            timeout: Duration::from_secs(20),
            reconnection: true,
            reconnection_attempts: u32::MAX,
            reconnection_delay: Duration::from_secs(1),
            reconnection_delay_max: Duration::from_secs(5),
            randomization_permille: 500,
            seed: 0,
            head: HeadConfig::default(),
            max_http_body: 4 << 20,
            ws: ConnectionConfig::default(),
        }
    }

    /// Sets [`path`](Self::path).
    #[must_use]
    pub fn path(mut self, path: &str) -> Self {
        self.path = String::from(path);
        self
    }

    /// Sets [`transports`](Self::transports).
    #[must_use]
    pub fn transports(mut self, t: Transports) -> Self {
        self.transports = t;
        self
    }

    /// Sets [`socket`](Self::socket).
    #[must_use]
    pub fn socket(mut self, cfg: ClientConfig) -> Self {
        self.socket = cfg;
        self
    }

    /// Sets [`timeout`](Self::timeout).
    #[must_use]
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Sets [`reconnection`](Self::reconnection).
    #[must_use]
    pub fn reconnection(mut self, on: bool) -> Self {
        self.reconnection = on;
        self
    }

    /// Sets [`reconnection_attempts`](Self::reconnection_attempts).
    #[must_use]
    pub fn reconnection_attempts(mut self, n: u32) -> Self {
        self.reconnection_attempts = n;
        self
    }

    /// Sets the first and the largest reconnection delay.
    #[must_use]
    pub fn reconnection_delay(mut self, first: Duration, max: Duration) -> Self {
        self.reconnection_delay = first;
        self.reconnection_delay_max = max;
        self
    }

    /// Sets [`randomization_permille`](Self::randomization_permille) (capped at 1000).
    #[must_use]
    pub fn randomization_permille(mut self, p: u32) -> Self {
        self.randomization_permille = p.min(1000);
        self
    }

    /// Sets [`seed`](Self::seed).
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets [`max_http_body`](Self::max_http_body).
    #[must_use]
    pub fn max_http_body(mut self, bytes: usize) -> Self {
        self.max_http_body = bytes;
        self
    }

    /// Sets [`ws`](Self::ws).
    #[must_use]
    pub fn ws(mut self, cfg: ConnectionConfig) -> Self {
        self.ws = cfg;
        self
    }
}

/// What to do with the network, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transmit {
    /// Open a TCP connection to the server; it is `conn` from now on. Write what comes for it
    /// once it is connected; if it cannot be opened, call [`Client::handle_eof`].
    Connect {
        /// The connection.
        conn: u64,
    },
    /// Write these bytes on `conn`.
    Write {
        /// The connection.
        conn: u64,
        /// The bytes.
        data: Vec<u8>,
    },
    /// Close `conn` after what was written; its number is retired.
    Close {
        /// The connection.
        conn: u64,
    },
}

/// What happened.
// Most events are `Socket`: boxing it would allocate for the common case to shrink the rare.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// An Engine.IO session opened (the reference manager's `open`); namespaces are joined (again).
    Open {
        /// The Engine.IO session id.
        sid: String,
    },
    /// The session moved from long-polling to the WebSocket.
    Upgraded,
    /// A namespace event: connect, connect error, event, ack, ack timeout, disconnect.
    Socket(ClientEvent),
    /// The Engine.IO session ended (the manager's `close`); a reconnection follows if enabled.
    /// The terminal event of each session, sent exactly once per session that opened (or failed
    /// to).
    TransportClosed {
        /// Why.
        reason: DisconnectReason,
        /// The server or transport error that ended it: an Engine.IO or WebSocket error for
        /// [`DisconnectReason::TransportError`], a [`SocketIoError`]
        /// for [`DisconnectReason::ParseError`]; `None` for an orderly end.
        error: Option<crate::Error>,
    },
    /// The next attempt starts in `delay` (the manager's `reconnect_attempt`, announced early).
    Reconnecting {
        /// Its number, from 1.
        attempt: u32,
        /// The wait before it.
        delay: Duration,
    },
    /// Reconnection gave up after [`ClientOptions::reconnection_attempts`].
    ReconnectFailed,
    /// The client is closed for good (after [`Client::close`], or when not reconnecting).
    Closed,
}

/// One attempt: an Engine.IO session and its connections.
#[derive(Debug)]
struct Attempt {
    eio: ClientSession,
    get: Option<HttpConn>,
    post: Option<HttpConn>,
    ws: Option<WsConn>,
    /// The connect timeout, until the session opens.
    deadline: Option<Duration>,
}

type Entropy = Box<dyn FnMut() -> [u8; 16] + Send>;

/// See the [module docs](self).
pub struct Client {
    opts: ClientOptions,
    sio: ClientSocket,
    attempt: Option<Attempt>,
    next_conn: u64,
    tx: VecDeque<Transmit>,
    events: VecDeque<Event>,
    entropy: Entropy,
    fork: Box<dyn FnMut() -> Entropy + Send>,
    backoff: Backoff,
    reconnect_at: Option<Duration>,
    closed: bool,
    /// The Socket.IO parse error that is closing the session, reported with its end.
    fatal: Option<crate::Error>,
    now: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("sio", &self.sio)
            .field("attempt", &self.attempt)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client that starts its first attempt at `now`. `entropy` gives 16 unpredictable bytes
    /// per call (WebSocket keys and masks); it is cloned for each WebSocket, and clones must
    /// draw independently (the OS or a CSPRNG, not a copied seed).
    pub fn new(
        now: Duration,
        opts: ClientOptions,
        entropy: impl FnMut() -> [u8; 16] + Clone + Send + 'static,
    ) -> Self {
        let mut sio = ClientSocket::new(opts.socket.clone());
        // No Engine.IO session yet: namespaces wait for the first one.
        sio.handle_transport_close(now, DisconnectReason::TransportClose, None);
        let backoff = Backoff::new(
            opts.reconnection_delay,
            opts.reconnection_delay_max,
            opts.randomization_permille,
            opts.seed,
        );
        let e2 = entropy.clone();
        let mut c = Client {
            opts,
            sio,
            attempt: None,
            next_conn: 0,
            tx: VecDeque::new(),
            events: VecDeque::new(),
            entropy: Box::new(entropy),
            fork: Box::new(move || Box::new(e2.clone())),
            backoff,
            reconnect_at: None,
            closed: false,
            fatal: None,
            now,
        };
        let visible = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic());
        if visible(&c.opts.host) && visible(&c.opts.path) && c.opts.path.starts_with('/') {
            c.start_attempt(now);
        } else {
            // Misuse: nothing could be sent without injecting into the request head.
            c.sio.close();
            while c.sio.poll_event().is_some() {}
            c.closed = true;
            c.events.push_back(Event::Closed);
        }
        c
    }

    // ---- state -----------------------------------------------------------------------------

    /// The Socket.IO socket machine (sids, pids, offsets, `is_recovered`).
    pub fn socket(&self) -> &ClientSocket {
        &self.sio
    }

    /// Whether `nsp` is joined.
    pub fn is_connected(&self, nsp: &str) -> bool {
        self.sio.is_connected(nsp)
    }

    /// The Engine.IO session id, while a session is open.
    pub fn engine_sid(&self) -> Option<&str> {
        self.attempt
            .as_ref()
            .filter(|a| a.eio.is_open())
            .map(|a| a.eio.sid())
    }

    /// The transport of the open session.
    pub fn transport(&self) -> Option<Transport> {
        self.attempt
            .as_ref()
            .filter(|a| a.eio.is_open())
            .map(|a| a.eio.transport())
    }

    /// Whether the client is closed for good.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    // ---- commands --------------------------------------------------------------------------

    /// Joins `nsp` with an optional raw JSON auth object (kept for reconnections); completes
    /// with [`ClientEvent::Connect`] or [`ClientEvent::ConnectError`].
    pub fn connect(&mut self, nsp: &str, auth: Option<&str>) -> Result<(), SocketIoError> {
        self.sio.connect(nsp, auth)?;
        self.pump();
        Ok(())
    }

    /// Emits an event on a joined namespace.
    pub fn emit(&mut self, nsp: &str, name: &str, args: &[Value<'_>]) -> Result<(), SocketIoError> {
        self.sio.emit(nsp, name, args)?;
        self.pump();
        Ok(())
    }

    /// Emits an event asking for an ack within `timeout` (from the time of the last input);
    /// returns its id, which [`ClientEvent::Ack`] or [`ClientEvent::AckTimeout`] carries.
    pub fn emit_with_ack(
        &mut self,
        nsp: &str,
        name: &str,
        args: &[Value<'_>],
        timeout: Option<Duration>,
    ) -> Result<u64, SocketIoError> {
        let id = self.sio.emit_with_ack(self.now, nsp, name, args, timeout)?;
        self.pump();
        Ok(id)
    }

    /// Answers an event that asked for an ack.
    pub fn ack(&mut self, handle: AckHandle, args: &[Value<'_>]) -> Result<(), SocketIoError> {
        self.sio.ack(handle, args)?;
        self.pump();
        Ok(())
    }

    /// Sends a pre-encoded packet on a joined namespace.
    pub fn send(&mut self, packet: &EncodedPacket) -> Result<(), SocketIoError> {
        self.sio.send(packet)?;
        self.pump();
        Ok(())
    }

    /// Leaves `nsp`.
    pub fn disconnect(&mut self, nsp: &str) -> Result<(), SocketIoError> {
        self.sio.disconnect(nsp)?;
        self.pump();
        Ok(())
    }

    /// Leaves every namespace, closes the session and its connections; no reconnection.
    pub fn close(&mut self) {
        if self.closed {
            return;
        }
        self.sio.close();
        self.pump();
    }

    // ---- outputs ---------------------------------------------------------------------------

    /// The next network action.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.tx.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Duration> {
        if self.closed {
            return None;
        }
        let mut t = [self.reconnect_at, self.sio.poll_timeout(), None, None, None];
        if let Some(a) = &self.attempt {
            t[2] = a.deadline;
            t[3] = a.eio.poll_timeout();
            t[4] = a.ws.as_ref().and_then(WsConn::poll_timeout);
        }
        t.into_iter().flatten().min()
    }
}

impl Client {
    fn conn_id(&mut self) -> u64 {
        self.next_conn += 1;
        self.next_conn
    }

    fn start_attempt(&mut self, now: Duration) {
        let (transport, upgrade) = match self.opts.transports {
            Transports::PollingThenUpgrade => (Transport::Polling, true),
            Transports::Polling => (Transport::Polling, false),
            Transports::WebSocket => (Transport::WebSocket, false),
        };
        let eio = ClientSession::new(EioConfig {
            transport,
            upgrade,
            max_queued_packets: self.opts.max_queued_packets,
        });
        self.attempt = Some(Attempt {
            eio,
            get: None,
            post: None,
            ws: None,
            deadline: Some(now.saturating_add(self.opts.timeout)),
        });
        self.pump();
    }

    /// Moves messages between the machines and the connections until quiet.
    fn pump(&mut self) {
        let now = self.now;
        loop {
            let mut moved = false;
            if self.attempt.as_ref().is_some_and(|a| a.eio.is_open()) {
                while let Some(m) = self.sio.poll_transmit() {
                    moved = true;
                    if let Some(a) = self.attempt.as_mut() {
                        let _ = match &m {
                            Message::Text(t) => a.eio.send_text(t),
                            Message::SharedText(t) => a.eio.send_text(t),
                            Message::Binary(b) => a.eio.send_binary(b),
                            Message::SharedBinary(b) => a.eio.send_binary(b),
                        };
                    }
                }
            }
            while let Some(req) = self.attempt.as_mut().and_then(|a| a.eio.poll_transmit()) {
                moved = true;
                self.request(now, req);
            }
            while let Some(ev) = self.attempt.as_mut().and_then(|a| a.eio.poll_event()) {
                moved = true;
                self.on_eio_event(now, ev);
            }
            while let Some(ev) = self.sio.poll_event() {
                moved = true;
                match ev {
                    ClientEvent::Close { reason } => {
                        if let SocketCloseReason::ParseError(e) = reason {
                            self.fatal = Some(e.into());
                        }
                        self.closed = true;
                        self.reconnect_at = None;
                        match self.attempt.as_mut() {
                            Some(a) => a.eio.close(),
                            None => self.events.push_back(Event::Closed),
                        }
                    }
                    ev => self.events.push_back(Event::Socket(ev)),
                }
            }
            if !moved {
                return;
            }
        }
    }

    fn on_eio_event(&mut self, now: Duration, ev: EioEvent) {
        match ev {
            EioEvent::Open { sid } => {
                if let Some(a) = self.attempt.as_mut() {
                    a.deadline = None;
                }
                self.backoff.reset();
                self.sio.handle_transport_open(now);
                self.events.push_back(Event::Open { sid });
            }
            EioEvent::Message(EioMessage::Text(t)) => {
                let _ = self.sio.handle_text_owned(now, t);
            }
            EioEvent::Message(EioMessage::Binary(b)) => {
                let _ = self.sio.handle_binary_owned(now, b);
            }
            EioEvent::Upgraded => {
                if let Some(a) = self.attempt.as_mut() {
                    for c in [a.get.take(), a.post.take()].into_iter().flatten() {
                        self.tx.push_back(Transmit::Close { conn: c.id });
                    }
                }
                self.events.push_back(Event::Upgraded);
            }
            EioEvent::Closed { reason, error } => self.lose_attempt(now, reason, error),
        }
    }

    /// The attempt's session ended (or never opened): close its connections, then reconnect
    /// or stop.
    fn lose_attempt(&mut self, now: Duration, reason: CloseReason, error: Option<crate::Error>) {
        // Requests the session queued last (its close packet) go out first.
        while let Some(req) = self.attempt.as_mut().and_then(|a| a.eio.poll_transmit()) {
            self.request(now, req);
        }
        if let Some(a) = self.attempt.take() {
            let ids = [
                a.get.as_ref().map(|c| c.id),
                a.post.as_ref().map(|c| c.id),
                a.ws.as_ref().map(|c| c.id),
            ];
            for conn in ids.into_iter().flatten() {
                self.tx.push_back(Transmit::Close { conn });
            }
        }
        if self.closed || reason == CloseReason::ForcedClose {
            self.closed = true;
            // The session ended because the server sent a malformed Socket.IO packet: that is
            // its terminal event, with the error, before the client's own end.
            if let Some(error) = self.fatal.take() {
                self.events.push_back(Event::TransportClosed {
                    reason: DisconnectReason::ParseError,
                    error: Some(error),
                });
            }
            self.events.push_back(Event::Closed);
            return;
        }
        let reason = DisconnectReason::from(reason);
        self.sio.handle_transport_close(now, reason, error.clone());
        // The namespaces' disconnects first, then the session's end, then the next attempt.
        while let Some(ev) = self.sio.poll_event() {
            self.events.push_back(Event::Socket(ev));
        }
        self.events
            .push_back(Event::TransportClosed { reason, error });
        self.schedule_reconnect(now);
    }

    fn schedule_reconnect(&mut self, now: Duration) {
        if !self.opts.reconnection || self.backoff.attempts() >= self.opts.reconnection_attempts {
            if self.opts.reconnection {
                self.events.push_back(Event::ReconnectFailed);
            }
            self.closed = true;
            self.sio.close();
            while self.sio.poll_event().is_some() {}
            self.events.push_back(Event::Closed);
            return;
        }
        let delay = self.backoff.next_delay();
        self.reconnect_at = Some(now.saturating_add(delay));
        self.events.push_back(Event::Reconnecting {
            attempt: self.backoff.attempts(),
            delay,
        });
    }
}

/// The response to a request on a polling connection.
fn polling_ok(r: &Response) -> bool {
    r.status == 200
}

/// The Engine.IO machine's WebSocket messages.
fn ws_payload(req: ClientRequest) -> Option<(bool, Vec<u8>)> {
    match req {
        ClientRequest::WsText(t) => Some((false, t.into_bytes())),
        ClientRequest::WsBinary(b) => Some((true, b)),
        _ => None,
    }
}
