//! The client side: [`ClientSession`], the mirror of [`super::server::ServerSession`].
//!
//! The machine asks for HTTP requests and WebSocket actions through
//! [`ClientSession::poll_transmit`] and is told their results through `handle_*`. It performs the
//! handshake (over long-polling or WebSocket), answers pings, closes after
//! `pingInterval + pingTimeout` without a ping, upgrades a polling session to WebSocket when the
//! server offers it (`2probe` → `3probe`, wait for the in-flight GET and POST to end, `5`), and
//! batches queued packets into POST bodies of at most the server's `maxPayload` bytes.
//!
//! Drain order after every input or command: [`ClientSession::poll_transmit`],
//! [`ClientSession::poll_event`], [`ClientSession::poll_timeout`].

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::http::Transport;
use super::packet::{Packet, PacketData, PacketType};
use super::payload::{PayloadWriter, decode_payload};
use super::server::CloseReason;
use super::{EngineIoError, Message, OpenPacket};

/// Client options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The transport of the handshake. Default polling.
    pub transport: Transport,
    /// Upgrade a polling session to WebSocket when offered. Default true.
    pub upgrade: bool,
    /// Most packets queued before `send_*` fails. Default 4096.
    pub max_queued_packets: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            transport: Transport::Polling,
            upgrade: true,
            max_queued_packets: 4096,
        }
    }
}

/// What the caller should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientRequest {
    /// Send a long-polling GET with query [`ClientSession::query`] for polling; answer with
    /// [`ClientSession::handle_poll_response`] (or [`ClientSession::handle_http_error`]).
    Get,
    /// Send a long-polling POST with this body; answer with
    /// [`ClientSession::handle_post_response`].
    Post(Vec<u8>),
    /// Open a WebSocket with query [`ClientSession::query`] for websocket; answer with
    /// [`ClientSession::handle_ws_open`] or [`ClientSession::handle_ws_closed`].
    OpenWebSocket,
    /// Send a text frame on the WebSocket.
    WsText(String),
    /// Send a binary frame on the WebSocket.
    WsBinary(Vec<u8>),
    /// Close the WebSocket.
    WsClose,
}

/// Application-facing events of a client session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The handshake completed.
    Open {
        /// The session id.
        sid: String,
    },
    /// A message from the server.
    Message(Message),
    /// The session moved to WebSocket.
    Upgraded,
    /// The session ended (exactly once, last).
    Closed {
        /// Why, in the reference's terms.
        reason: CloseReason,
        /// The server or transport error that ended it (`Some` exactly for
        /// [`CloseReason::ParseError`] and [`CloseReason::TransportError`]); the same field on
        /// every machine's terminal event.
        error: Option<crate::Error>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Upgrade {
    None,
    /// The candidate WebSocket was requested / is open and `2probe` sent.
    Probing,
    /// `3probe` arrived: waiting for the in-flight GET and POST before sending `5`.
    Pausing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Handshaking,
    Open,
    Closed,
}

/// One client-side Engine.IO session.
#[derive(Debug)]
pub struct ClientSession {
    cfg: ClientConfig,
    state: State,
    transport: Transport,
    sid: String,
    upgrades_offered: bool,
    ping_interval: Duration,
    ping_timeout: Duration,
    max_payload: usize,
    upgrade: Upgrade,
    get_in_flight: bool,
    post_in_flight: bool,
    ws_requested: bool,
    queue: VecDeque<(PacketType, String, Option<Vec<u8>>)>,
    requests: VecDeque<ClientRequest>,
    events: VecDeque<ClientEvent>,
    ping_deadline: Option<Duration>,
}

impl ClientSession {
    /// Starts a session: the first request is the handshake.
    pub fn new(cfg: ClientConfig) -> Self {
        let transport = cfg.transport;
        let mut s = ClientSession {
            cfg,
            state: State::Handshaking,
            transport,
            sid: String::new(),
            upgrades_offered: false,
            ping_interval: Duration::ZERO,
            ping_timeout: Duration::ZERO,
            max_payload: 1_000_000,
            upgrade: Upgrade::None,
            get_in_flight: false,
            post_in_flight: false,
            ws_requested: false,
            queue: VecDeque::new(),
            requests: VecDeque::new(),
            events: VecDeque::new(),
            ping_deadline: None,
        };
        match transport {
            Transport::Polling => {
                s.get_in_flight = true;
                s.requests.push_back(ClientRequest::Get);
            }
            Transport::WebSocket => {
                s.ws_requested = true;
                s.requests.push_back(ClientRequest::OpenWebSocket);
            }
        }
        s
    }

    /// The query string for a request on `transport`: `EIO=4&transport=…` plus `&sid=…` once
    /// known.
    pub fn query(&self, transport: Transport) -> String {
        let mut q = String::from("EIO=4&transport=");
        q.push_str(transport.name());
        if !self.sid.is_empty() {
            q.push_str("&sid=");
            q.push_str(&self.sid);
        }
        q
    }

    /// The session id ("" before the handshake).
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// The transport in use.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// Whether the session is open.
    pub fn is_open(&self) -> bool {
        self.state == State::Open
    }

    /// Whether the session ended.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    // ---- commands --------------------------------------------------------------------------

    /// Queues a text message (refused with `\x1e` while long-polling may still be used).
    pub fn send_text(&mut self, text: &str) -> Result<(), EngineIoError> {
        if self.transport == Transport::Polling && text.as_bytes().contains(&0x1e) {
            return Err(EngineIoError::RecordSeparatorInText);
        }
        self.enqueue(PacketType::Message, String::from(text), None)
    }

    /// Queues a binary message.
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), EngineIoError> {
        self.enqueue(PacketType::Message, String::new(), Some(data.to_vec()))
    }

    fn enqueue(
        &mut self,
        kind: PacketType,
        text: String,
        bin: Option<Vec<u8>>,
    ) -> Result<(), EngineIoError> {
        if self.state == State::Closed {
            return Err(EngineIoError::Closed);
        }
        if self.queue.len() >= self.cfg.max_queued_packets {
            return Err(EngineIoError::SendBufferFull);
        }
        self.queue.push_back((kind, text, bin));
        self.flush();
        Ok(())
    }

    /// Closes the session: sends `1` (POST or WebSocket) and ends with
    /// [`CloseReason::ForcedClose`].
    pub fn close(&mut self) {
        if self.state == State::Closed {
            return;
        }
        if self.state == State::Open {
            match self.transport {
                Transport::Polling => {
                    let mut body = Vec::new();
                    let mut w = PayloadWriter::new(&mut body);
                    while let Some((k, t, b)) = self.queue.pop_front() {
                        let _ = w.push(&packet_of(k, &t, &b));
                    }
                    let _ = w.push(&Packet::bare(PacketType::Close));
                    self.requests.push_back(ClientRequest::Post(body));
                }
                Transport::WebSocket => {
                    self.flush();
                    self.requests
                        .push_back(ClientRequest::WsText(String::from("1")));
                    self.requests.push_back(ClientRequest::WsClose);
                }
            }
        }
        if self.upgrade != Upgrade::None && self.transport == Transport::Polling {
            self.requests.push_back(ClientRequest::WsClose);
        }
        self.end(CloseReason::ForcedClose);
    }

    // ---- inputs ----------------------------------------------------------------------------

    /// The body of a `200` answer to the GET.
    pub fn handle_poll_response(&mut self, now: Duration, body: &[u8]) {
        self.handle_timeout(now);
        self.get_in_flight = false;
        if self.state == State::Closed {
            return;
        }
        let Ok(text) = core::str::from_utf8(body) else {
            self.fail(EngineIoError::InvalidUtf8);
            return;
        };
        for item in decode_payload(text) {
            match item {
                Ok(p) => self.on_packet(now, &p),
                Err(e) => self.fail(e),
            }
            if self.state == State::Closed {
                return;
            }
        }
        if self.state == State::Handshaking {
            self.fail(EngineIoError::InvalidHandshake);
            return;
        }
        self.after_poll_cycle();
    }

    /// The answer to the POST (`ok` is whether it was `200 ok`).
    pub fn handle_post_response(&mut self, now: Duration, ok: bool) {
        self.handle_timeout(now);
        self.post_in_flight = false;
        if self.state == State::Closed {
            return;
        }
        if !ok {
            self.fail(EngineIoError::Transport("post error"));
            return;
        }
        self.after_poll_cycle();
    }

    /// A long-polling request failed (non-200 status or connection error).
    pub fn handle_http_error(&mut self, now: Duration) {
        self.handle_timeout(now);
        self.get_in_flight = false;
        self.post_in_flight = false;
        self.fail(EngineIoError::Transport("xhr poll error"));
    }

    /// The requested WebSocket is open.
    pub fn handle_ws_open(&mut self, now: Duration) {
        self.handle_timeout(now);
        if self.state == State::Open && self.transport == Transport::Polling {
            // The upgrade candidate.
            self.upgrade = Upgrade::Probing;
            self.requests
                .push_back(ClientRequest::WsText(String::from("2probe")));
        }
    }

    /// A text frame from the WebSocket.
    pub fn handle_ws_text(&mut self, now: Duration, text: &str) {
        self.handle_timeout(now);
        if self.state == State::Closed {
            return;
        }
        let p = match Packet::decode_text(text) {
            Ok(p) => p,
            Err(e) => {
                if self.transport == Transport::Polling && self.state == State::Open {
                    self.abort_upgrade();
                } else {
                    self.fail(e);
                    self.requests.push_back(ClientRequest::WsClose);
                }
                return;
            }
        };
        if self.transport == Transport::Polling && self.state == State::Open {
            // Upgrade candidate: only `3probe` is expected.
            if p.packet_type() == PacketType::Pong && p.as_text() == Some("probe") {
                self.upgrade = Upgrade::Pausing;
                self.try_finish_upgrade();
            } else {
                self.abort_upgrade();
            }
            return;
        }
        self.on_packet(now, &p);
        if self.state == State::Closed {
            self.requests.push_back(ClientRequest::WsClose);
        }
    }

    /// A binary frame from the WebSocket.
    pub fn handle_ws_binary(&mut self, now: Duration, data: &[u8]) {
        self.handle_timeout(now);
        if self.state == State::Open && self.transport == Transport::WebSocket {
            self.on_packet(now, &Packet::binary(data));
        }
    }

    /// The WebSocket closed (or could not be opened). `error` is what failed it (the `error` of
    /// its [`ws::Event::Closed`](crate::ws::Event::Closed)): with one the session ends with
    /// [`CloseReason::TransportError`] carrying it, without with [`CloseReason::TransportClose`].
    pub fn handle_ws_closed(&mut self, now: Duration, error: Option<crate::Error>) {
        self.handle_timeout(now);
        if self.transport == Transport::WebSocket {
            match error {
                Some(e) => self.end_with(CloseReason::TransportError, Some(e)),
                None => self.end(CloseReason::TransportClose),
            }
        } else if self.upgrade != Upgrade::None {
            self.upgrade = Upgrade::None;
            self.after_poll_cycle();
        }
    }

    /// Processes due timers (the ping timeout).
    pub fn handle_timeout(&mut self, now: Duration) {
        if let Some(d) = self.ping_deadline {
            if now >= d && self.state == State::Open {
                if self.transport == Transport::WebSocket || self.upgrade != Upgrade::None {
                    self.requests.push_back(ClientRequest::WsClose);
                }
                self.end(CloseReason::PingTimeout);
            }
        }
    }

    // ---- outputs ---------------------------------------------------------------------------

    /// The next request or WebSocket action (`poll_transmit`, the output name of every machine).
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<ClientRequest> {
        self.requests.pop_front()
    }

    /// The former name of [`ClientSession::poll_transmit`].
    #[deprecated(note = "renamed to `poll_transmit`, the output name of every machine")]
    #[doc(hidden)]
    #[must_use]
    pub fn poll_request(&mut self) -> Option<ClientRequest> {
        self.poll_transmit()
    }

    /// The next application event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// The next deadline.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Duration> {
        if self.state == State::Open {
            self.ping_deadline
        } else {
            None
        }
    }

    // ---- internals -------------------------------------------------------------------------

    /// Ends the session for `reason` without an error (an orderly end).
    fn end(&mut self, reason: CloseReason) {
        self.end_with(reason, None);
    }

    /// Ends the session because the server or the transport failed with `e`: a decode error is
    /// the reference's "parse error", anything else its "transport error".
    fn fail(&mut self, e: EngineIoError) {
        let reason = if e.is_parse_error() || e == EngineIoError::InvalidHandshake {
            CloseReason::ParseError
        } else {
            CloseReason::TransportError
        };
        self.end_with(reason, Some(e.into()));
    }

    fn end_with(&mut self, reason: CloseReason, error: Option<crate::Error>) {
        if self.state == State::Closed {
            return;
        }
        self.state = State::Closed;
        self.ping_deadline = None;
        self.queue.clear();
        self.events.push_back(ClientEvent::Closed { reason, error });
    }

    fn abort_upgrade(&mut self) {
        self.upgrade = Upgrade::None;
        self.requests.push_back(ClientRequest::WsClose);
        self.after_poll_cycle();
    }

    fn on_packet(&mut self, now: Duration, p: &Packet<'_>) {
        if self.state == State::Handshaking {
            if p.packet_type() != PacketType::Open {
                self.fail(EngineIoError::InvalidHandshake);
                return;
            }
            let Some(open) = p.as_text().and_then(|t| OpenPacket::parse(t).ok()) else {
                self.fail(EngineIoError::InvalidHandshake);
                return;
            };
            self.sid = String::from(open.sid);
            self.upgrades_offered = open.upgrade_websocket;
            self.ping_interval = open.ping_interval;
            self.ping_timeout = open.ping_timeout;
            self.max_payload = usize::try_from(open.max_payload).unwrap_or(usize::MAX);
            self.state = State::Open;
            self.reset_ping_deadline(now);
            self.events.push_back(ClientEvent::Open {
                sid: self.sid.clone(),
            });
            if self.transport == Transport::Polling
                && self.cfg.upgrade
                && self.upgrades_offered
                && !self.ws_requested
            {
                self.ws_requested = true;
                self.requests.push_back(ClientRequest::OpenWebSocket);
            }
            return;
        }
        match p.packet_type() {
            PacketType::Ping => {
                self.reset_ping_deadline(now);
                self.queue
                    .push_back((PacketType::Pong, String::new(), None));
                self.flush();
            }
            PacketType::Message => {
                let msg = match p.data() {
                    PacketData::Text(t) => Message::Text(String::from(t)),
                    _ => Message::Binary(p.binary_to_vec()),
                };
                self.events.push_back(ClientEvent::Message(msg));
            }
            PacketType::Close => self.end(CloseReason::ClosePacket),
            PacketType::Open | PacketType::Pong | PacketType::Upgrade | PacketType::Noop => {}
        }
    }

    fn reset_ping_deadline(&mut self, now: Duration) {
        self.ping_deadline = Some(
            now.saturating_add(self.ping_interval)
                .saturating_add(self.ping_timeout),
        );
    }

    /// After a GET or POST ended: continue polling, finish a paused upgrade, send the queue.
    fn after_poll_cycle(&mut self) {
        if self.state != State::Open || self.transport != Transport::Polling {
            return;
        }
        if self.upgrade == Upgrade::Pausing {
            self.try_finish_upgrade();
            return;
        }
        if !self.get_in_flight {
            self.get_in_flight = true;
            self.requests.push_back(ClientRequest::Get);
        }
        self.flush();
    }

    fn try_finish_upgrade(&mut self) {
        if self.get_in_flight || self.post_in_flight {
            return;
        }
        self.upgrade = Upgrade::None;
        self.transport = Transport::WebSocket;
        self.requests
            .push_back(ClientRequest::WsText(String::from("5")));
        self.events.push_back(ClientEvent::Upgraded);
        self.flush();
    }

    fn flush(&mut self) {
        if self.state != State::Open || self.queue.is_empty() {
            return;
        }
        match self.transport {
            Transport::WebSocket => {
                while let Some((k, t, b)) = self.queue.pop_front() {
                    self.requests.push_back(match b {
                        Some(b) => ClientRequest::WsBinary(b),
                        None => {
                            let mut s = String::with_capacity(1 + t.len());
                            s.push(k.as_char());
                            s.push_str(&t);
                            ClientRequest::WsText(s)
                        }
                    });
                }
            }
            Transport::Polling => {
                if self.post_in_flight || self.upgrade == Upgrade::Pausing {
                    return;
                }
                let mut body = Vec::new();
                let mut w = PayloadWriter::new(&mut body);
                while let Some((k, t, b)) = self.queue.front() {
                    let p = packet_of(*k, t, b);
                    if !w.is_empty() && w.len() + w.added_len(&p) > self.max_payload {
                        break;
                    }
                    let _ = w.push(&p);
                    self.queue.pop_front();
                }
                self.post_in_flight = true;
                self.requests.push_back(ClientRequest::Post(body));
            }
        }
    }
}

fn packet_of<'a>(k: PacketType, t: &'a str, b: &'a Option<Vec<u8>>) -> Packet<'a> {
    match b {
        Some(b) => Packet::binary(b),
        None => Packet::text(k, t),
    }
}
