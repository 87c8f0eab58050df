//! [`ServerSession`]: one Engine.IO session, whatever its transport (the send queue, the
//! long-polling GET and POST, the WebSocket upgrade, the heartbeat).

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::super::http::{ErrorCode, Reject, Transport};
use super::super::packet::{Packet, PacketData, PacketType};
use super::super::payload::{PayloadWriter, decode_payload};
use super::super::{EngineIoError, Message, OpenPacket};
use super::{CloseReason, GetOutcome, ServerConfig, ServerEvent, Transmit};

/// An owned packet in the send queue.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Queued {
    kind: PacketType,
    text: String,
    binary: Option<Vec<u8>>,
}

impl Queued {
    fn bare(kind: PacketType) -> Self {
        Queued {
            kind,
            text: String::new(),
            binary: None,
        }
    }
    fn packet(&self) -> Packet<'_> {
        match &self.binary {
            Some(b) => Packet::binary(b),
            None => Packet::text(self.kind, &self.text),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// `close()` on polling: the `1` waits in the queue for a GET until the deadline.
    Closing,
    Closed,
}

/// One server-side Engine.IO session (see the module docs).
#[derive(Debug)]
pub struct ServerSession {
    sid: String,
    cfg: ServerConfig,
    state: State,
    transport: Transport,
    /// Upgrade candidate WebSocket: its deadline.
    upgrading: Option<Duration>,
    /// `3probe` was sent on the candidate.
    probed: bool,
    /// A GET held after the probe is answered with `6` at this time.
    noop_at: Option<Duration>,
    get_parked: bool,
    post_in_flight: bool,
    queue: VecDeque<Queued>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<ServerEvent>,
    next_ping: Option<Duration>,
    pong_deadline: Option<Duration>,
    close_deadline: Option<Duration>,
}

impl ServerSession {
    /// Closed with every transmit and event drained: the registry may drop it.
    pub(super) fn is_finished(&self) -> bool {
        self.is_closed() && self.transmits.is_empty() && self.events.is_empty()
    }

    /// Opens a session whose handshake came over long-polling. The `open` packet is queued:
    /// answer the handshake GET with [`ServerSession::handle_get`].
    pub fn new_polling(sid: &str, now: Duration, cfg: ServerConfig) -> Self {
        Self::new(sid, now, cfg, Transport::Polling)
    }

    /// Opens a session whose handshake came over WebSocket: the `open` packet is the first
    /// [`Transmit::WsText`].
    pub fn new_websocket(sid: &str, now: Duration, cfg: ServerConfig) -> Self {
        Self::new(sid, now, cfg, Transport::WebSocket)
    }

    fn new(sid: &str, now: Duration, cfg: ServerConfig, transport: Transport) -> Self {
        let open = OpenPacket {
            sid,
            upgrade_websocket: transport == Transport::Polling && cfg.allow_upgrades,
            ping_interval: cfg.ping_interval,
            ping_timeout: cfg.ping_timeout,
            max_payload: cfg.max_payload as u64,
        }
        .to_packet_string();
        let mut s = ServerSession {
            sid: String::from(sid),
            next_ping: Some(now.saturating_add(cfg.ping_interval)),
            cfg,
            state: State::Open,
            transport,
            upgrading: None,
            probed: false,
            noop_at: None,
            get_parked: false,
            post_in_flight: false,
            queue: VecDeque::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            pong_deadline: None,
            close_deadline: None,
        };
        s.queue.push_back(Queued {
            kind: PacketType::Open,
            text: String::from(&open[1..]),
            binary: None,
        });
        s.flush();
        s
    }

    /// The session id.
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.cfg
    }

    /// The transport in use ([`Transport::WebSocket`] once upgraded).
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// Whether an upgrade WebSocket is being probed.
    pub fn is_upgrading(&self) -> bool {
        self.upgrading.is_some()
    }

    /// Whether a long-polling GET is held.
    pub fn has_parked_get(&self) -> bool {
        self.get_parked
    }

    /// Whether the session is over (the close event was emitted and nothing remains to send).
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Whether the close event was emitted (the session may still deliver its final `1`).
    pub fn is_closing_or_closed(&self) -> bool {
        self.state != State::Open
    }

    /// Number of packets waiting for a transport.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    // ---- commands ------------------------------------------------------------------------

    /// Queues a text message. Fails on a closed session, a full queue, or (while long-polling
    /// may still be used) a text containing `\x1e`.
    pub fn send_text(&mut self, text: &str) -> Result<(), EngineIoError> {
        if self.transport == Transport::Polling && text.as_bytes().contains(&0x1e) {
            return Err(EngineIoError::RecordSeparatorInText);
        }
        self.enqueue(Queued {
            kind: PacketType::Message,
            text: String::from(text),
            binary: None,
        })
    }

    /// Queues a binary message.
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), EngineIoError> {
        self.enqueue(Queued {
            kind: PacketType::Message,
            text: String::new(),
            binary: Some(data.to_vec()),
        })
    }

    /// Queues a [`Message`].
    pub fn send(&mut self, msg: &Message) -> Result<(), EngineIoError> {
        match msg {
            Message::Text(t) => self.send_text(t),
            Message::Binary(b) => self.send_binary(b),
        }
    }

    fn enqueue(&mut self, q: Queued) -> Result<(), EngineIoError> {
        if self.state != State::Open {
            return Err(EngineIoError::Closed);
        }
        if self.queue.len() >= self.cfg.max_queued_packets {
            return Err(EngineIoError::SendBufferFull);
        }
        self.queue.push_back(q);
        self.flush();
        Ok(())
    }

    /// Closes the session ([`CloseReason::ForcedClose`]): queued packets are still delivered,
    /// followed by a `1` on long-polling or a WebSocket close.
    pub fn close(&mut self, now: Duration) {
        if self.state != State::Open {
            return;
        }
        self.events.push_back(ServerEvent::Closed {
            reason: CloseReason::ForcedClose,
            error: None,
        });
        self.stop_timers();
        if self.upgrading.take().is_some() {
            self.transmits.push_back(Transmit::WsClose);
        }
        match self.transport {
            Transport::WebSocket => {
                self.flush();
                self.transmits.push_back(Transmit::WsClose);
                self.finish();
            }
            Transport::Polling => {
                self.queue.push_back(Queued::bare(PacketType::Close));
                self.state = State::Closing;
                self.close_deadline = Some(now.saturating_add(self.cfg.ping_timeout));
                self.flush();
            }
        }
    }

    // ---- inputs ----------------------------------------------------------------------------

    /// A long-polling GET for this session.
    pub fn handle_get(&mut self, now: Duration) -> Result<GetOutcome, EngineIoError> {
        self.handle_timeout(now);
        if self.state == State::Closed {
            return Err(Reject::Code(ErrorCode::BadRequest).into());
        }
        if self.transport != Transport::Polling {
            return Err(Reject::Code(ErrorCode::BadRequest).into());
        }
        if self.get_parked {
            // The reference answers the held GET with a close packet and errors the new one.
            self.get_parked = false;
            self.transmits
                .push_back(Transmit::PollResponse(Vec::from(&b"1"[..])));
            self.fail(EngineIoError::Protocol("overlap from client"));
            return Err(Reject::Code(ErrorCode::BadRequest).into());
        }
        if !self.queue.is_empty() {
            return Ok(GetOutcome::Respond(self.take_poll_body()));
        }
        if self.upgrading.is_some() && self.probed {
            // The client pauses polling after `3probe`: this GET crossed the probe. End it with
            // `6` shortly (as the reference's 100 ms check does), unless the upgrade completes
            // first, which refuses it.
            self.noop_at = Some(now.saturating_add(self.cfg.upgrade_noop_delay));
        }
        self.get_parked = true;
        Ok(GetOutcome::Parked)
    }

    /// The held GET's connection closed before it was answered: the session closes
    /// ("poll connection closed prematurely", as in the reference).
    pub fn handle_get_aborted(&mut self, now: Duration) {
        self.handle_timeout(now);
        if !self.get_parked {
            return;
        }
        self.get_parked = false;
        if self.state == State::Open {
            self.fail(EngineIoError::Transport(
                "poll connection closed prematurely",
            ));
        }
    }

    /// Marks the start of a POST (optional: lets a second concurrent POST be detected as the
    /// reference's "data request overlap from client"). [`ServerSession::handle_post`] ends it.
    pub fn begin_post(&mut self, now: Duration) -> Result<(), EngineIoError> {
        self.handle_timeout(now);
        if self.state != State::Open || self.transport != Transport::Polling {
            return Err(Reject::Code(ErrorCode::BadRequest).into());
        }
        if self.post_in_flight {
            self.fail(EngineIoError::Protocol("data request overlap from client"));
            return Err(Reject::Code(ErrorCode::BadRequest).into());
        }
        self.post_in_flight = true;
        Ok(())
    }

    /// The connection of a POST begun with [`ServerSession::begin_post`] closed before its body
    /// arrived: the session closes ("data request connection closed prematurely", as in the
    /// reference). Without a POST in flight this does nothing.
    pub fn handle_post_aborted(&mut self, now: Duration) {
        self.handle_timeout(now);
        if !self.post_in_flight {
            return;
        }
        self.post_in_flight = false;
        if self.state == State::Open {
            self.fail(EngineIoError::Transport(
                "data request connection closed prematurely",
            ));
        }
    }

    /// A long-polling POST body. `Ok` → answer `200 ok`; `Err(Rejected(r))` → answer `r`.
    /// A malformed payload closes the session ([`CloseReason::ParseError`]); the packets before
    /// the malformed one are still delivered.
    pub fn handle_post(&mut self, now: Duration, body: &[u8]) -> Result<(), EngineIoError> {
        self.handle_timeout(now);
        self.post_in_flight = false;
        if self.state == State::Closed || self.transport != Transport::Polling {
            return Err(Reject::Code(ErrorCode::BadRequest).into());
        }
        if body.len() > self.cfg.max_payload {
            return Err(Reject::PayloadTooLarge.into());
        }
        if self.state != State::Open {
            // Closing: the client's data is dropped, the request still succeeds.
            return Ok(());
        }
        let Ok(text) = core::str::from_utf8(body) else {
            self.fail(EngineIoError::InvalidUtf8);
            return Err(Reject::Code(ErrorCode::BadRequest).into());
        };
        for item in decode_payload(text) {
            match item {
                Ok(p) => {
                    self.on_packet(now, &p)?;
                    if self.state != State::Open {
                        // A `1` closes; the rest of the payload is ignored, the POST succeeds.
                        return Ok(());
                    }
                }
                Err(e) => {
                    self.fail(e);
                    return Err(Reject::Code(ErrorCode::BadRequest).into());
                }
            }
        }
        Ok(())
    }

    /// A WebSocket for this session's sid arrived (an upgrade). `Err` → refuse it (400 code 3)
    /// or close it: the session is not on polling, is already upgrading, or upgrades are off.
    pub fn handle_ws_open(&mut self, now: Duration) -> Result<(), EngineIoError> {
        self.handle_timeout(now);
        if self.state != State::Open
            || self.transport != Transport::Polling
            || self.upgrading.is_some()
            || !self.cfg.allow_upgrades
        {
            return Err(Reject::Code(ErrorCode::BadRequest).into());
        }
        self.upgrading = Some(now.saturating_add(self.cfg.upgrade_timeout));
        self.probed = false;
        Ok(())
    }

    /// A text message on the session's WebSocket (or the upgrade candidate).
    pub fn handle_ws_text(&mut self, now: Duration, text: &str) -> Result<(), EngineIoError> {
        self.handle_timeout(now);
        match Packet::decode_text(text) {
            Ok(p) => self.on_ws_packet(now, &p),
            Err(e) => {
                self.on_ws_garbage(e.clone());
                Err(e)
            }
        }
    }

    /// A binary message on the session's WebSocket (a binary message in v4).
    pub fn handle_ws_binary(&mut self, now: Duration, data: &[u8]) -> Result<(), EngineIoError> {
        self.handle_timeout(now);
        self.on_ws_packet(now, &Packet::binary(data))
    }

    /// The session's WebSocket (or the upgrade candidate) is gone. `error` is what failed it
    /// (the `error` of its [`ws::Event::Closed`](crate::ws::Event::Closed)): with one the session
    /// ends with [`CloseReason::TransportError`] carrying it, without with
    /// [`CloseReason::TransportClose`].
    pub fn handle_ws_closed(&mut self, now: Duration, error: Option<crate::Error>) {
        self.handle_timeout(now);
        if self.upgrading.take().is_some() {
            return;
        }
        if self.transport == Transport::WebSocket && self.state == State::Open {
            match error {
                Some(e) => self.end(CloseReason::TransportError, Some(e)),
                None => self.end(CloseReason::TransportClose, None),
            }
        }
    }

    /// Processes the timers that are due at `now`.
    pub fn handle_timeout(&mut self, now: Duration) {
        if let Some(d) = self.close_deadline {
            if now >= d {
                self.close_deadline = None;
                if self.get_parked {
                    // Should not happen (a held GET takes the queue), but never leave it hanging.
                    self.get_parked = false;
                    self.transmits
                        .push_back(Transmit::PollResponse(Vec::from(&b"1"[..])));
                }
                self.finish();
            }
        }
        if self.state != State::Open {
            return;
        }
        if let Some(d) = self.noop_at {
            if now >= d {
                self.noop_at = None;
                self.release_parked_get();
            }
        }
        if let Some(d) = self.upgrading {
            if now >= d {
                self.upgrading = None;
                self.transmits.push_back(Transmit::WsClose);
            }
        }
        if let Some(d) = self.pong_deadline {
            if now >= d {
                self.close_with(CloseReason::PingTimeout);
                return;
            }
        }
        if let Some(d) = self.next_ping {
            if now >= d {
                self.next_ping = None;
                // Measured from when the ping was due, not from when the caller's timer ran:
                // a slightly late timer must not extend the client's allowance. A timer so late
                // that the allowance is already over is the server's fault: then the client
                // gets a full pingTimeout from now.
                let due = d.saturating_add(self.cfg.ping_timeout);
                self.pong_deadline = Some(if due > now {
                    due
                } else {
                    now.saturating_add(self.cfg.ping_timeout)
                });
                self.queue.push_back(Queued::bare(PacketType::Ping));
                self.flush();
            }
        }
    }

    // ---- outputs ---------------------------------------------------------------------------

    /// The next transmit (see [`Transmit`]).
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next application event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// The next deadline, if any.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Duration> {
        if self.state != State::Open {
            // `handle_timeout` acts on nothing else once the session is not open: reporting a
            // ping, pong, upgrade or noop deadline then would leave the host's timer due forever.
            return self.close_deadline;
        }
        [
            self.next_ping,
            self.pong_deadline,
            self.upgrading,
            self.close_deadline,
            self.noop_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ---- internals -------------------------------------------------------------------------

    fn stop_timers(&mut self) {
        self.next_ping = None;
        self.pong_deadline = None;
    }

    /// Ends the session for `reason` without an error (an orderly end).
    fn close_with(&mut self, reason: CloseReason) {
        self.end(reason, None);
    }

    /// Ends the session because the peer or its transport failed with `e`: a decode error is
    /// the reference's "parse error", anything else its "transport error".
    fn fail(&mut self, e: EngineIoError) {
        let reason = if e.is_parse_error() {
            CloseReason::ParseError
        } else {
            CloseReason::TransportError
        };
        self.end(reason, Some(e.into()));
    }

    /// Ends the session (emits the close event once).
    fn end(&mut self, reason: CloseReason, error: Option<crate::Error>) {
        if self.state == State::Closed {
            return;
        }
        if self.state == State::Open {
            self.events.push_back(ServerEvent::Closed { reason, error });
        }
        self.stop_timers();
        if self.upgrading.take().is_some() {
            self.transmits.push_back(Transmit::WsClose);
        }
        match self.transport {
            Transport::Polling => {
                if self.get_parked {
                    self.get_parked = false;
                    self.transmits
                        .push_back(Transmit::PollResponse(Vec::from(&b"6"[..])));
                }
            }
            Transport::WebSocket => self.transmits.push_back(Transmit::WsClose),
        }
        self.finish();
    }

    fn finish(&mut self) {
        self.noop_at = None;
        self.state = State::Closed;
        self.queue.clear();
        self.close_deadline = None;
        self.upgrading = None;
        self.stop_timers();
    }

    /// Sends what can be sent now: to the held GET, or over the WebSocket.
    fn flush(&mut self) {
        if self.queue.is_empty() {
            return;
        }
        match self.transport {
            Transport::WebSocket => {
                while let Some(q) = self.queue.pop_front() {
                    self.transmits.push_back(match q.binary {
                        Some(b) => Transmit::WsBinary(b),
                        None => {
                            let mut s = String::with_capacity(1 + q.text.len());
                            s.push(q.kind.as_char());
                            s.push_str(&q.text);
                            Transmit::WsText(s)
                        }
                    });
                }
            }
            Transport::Polling => {
                if self.get_parked {
                    self.get_parked = false;
                    let body = self.take_poll_body();
                    self.transmits.push_back(Transmit::PollResponse(body));
                }
            }
        }
    }

    /// Takes up to the caps from the queue and encodes them as a payload.
    fn take_poll_body(&mut self) -> Vec<u8> {
        let mut body = Vec::new();
        let mut w = PayloadWriter::new(&mut body);
        let mut sent_close = false;
        while let Some(q) = self.queue.front() {
            let p = q.packet();
            if !w.is_empty()
                && (w.count() >= self.cfg.max_packets_per_poll
                    || w.len() + w.added_len(&p) > self.cfg.max_payload)
            {
                break;
            }
            // `send_text` refused separators while on polling; a failure here only drops.
            let _ = w.push(&p);
            sent_close |= q.kind == PacketType::Close;
            self.queue.pop_front();
        }
        if body.is_empty() {
            body.push(b'6');
        }
        if self.state == State::Closing && (sent_close || self.queue.is_empty()) {
            self.finish();
        }
        body
    }

    /// Handles a packet that arrived on the active transport.
    fn on_packet(&mut self, now: Duration, p: &Packet<'_>) -> Result<(), EngineIoError> {
        match p.packet_type() {
            PacketType::Message => {
                let msg = match p.data() {
                    PacketData::Text(t) => Message::Text(String::from(t)),
                    _ => Message::Binary(p.binary_to_vec()),
                };
                self.events.push_back(ServerEvent::Message(msg));
            }
            PacketType::Pong => {
                self.pong_deadline = None;
                self.next_ping = Some(now.saturating_add(self.cfg.ping_interval));
            }
            PacketType::Ping => {
                let e = EngineIoError::Protocol("invalid heartbeat direction");
                self.fail(e.clone());
                return Err(e);
            }
            PacketType::Close => {
                if self.transport == Transport::Polling && !self.get_parked {
                    // A GET may be on its way (clients often send the `1` while polling): the
                    // first GET still gets `6` instead of an error, within pingTimeout.
                    self.close_with(CloseReason::ClosePacket);
                    self.state = State::Closing;
                    self.queue.push_back(Queued::bare(PacketType::Noop));
                    self.close_deadline = Some(now.saturating_add(self.cfg.ping_timeout));
                } else {
                    self.close_with(CloseReason::ClosePacket);
                }
            }
            // The reference ignores these from a client.
            PacketType::Open | PacketType::Upgrade | PacketType::Noop => {}
        }
        Ok(())
    }

    fn on_ws_packet(&mut self, now: Duration, p: &Packet<'_>) -> Result<(), EngineIoError> {
        if self.state != State::Open {
            return Err(EngineIoError::Closed);
        }
        if self.upgrading.is_some() {
            match (p.packet_type(), p.as_text()) {
                (PacketType::Ping, Some("probe")) => {
                    self.transmits
                        .push_back(Transmit::WsText(String::from("3probe")));
                    self.probed = true;
                    self.release_parked_get();
                }
                (PacketType::Upgrade, _) => {
                    self.upgrading = None;
                    self.noop_at = None;
                    if self.get_parked {
                        self.get_parked = false;
                        self.transmits
                            .push_back(Transmit::PollReject(Reject::Code(ErrorCode::BadRequest)));
                    }
                    self.transport = Transport::WebSocket;
                    self.events.push_back(ServerEvent::Upgraded);
                    self.flush();
                }
                _ => {
                    self.upgrading = None;
                    self.transmits.push_back(Transmit::WsClose);
                }
            }
            return Ok(());
        }
        if self.transport != Transport::WebSocket {
            return Err(EngineIoError::Closed);
        }
        self.on_packet(now, p)
    }

    fn on_ws_garbage(&mut self, e: EngineIoError) {
        if self.upgrading.take().is_some() {
            self.transmits.push_back(Transmit::WsClose);
        } else if self.transport == Transport::WebSocket {
            self.fail(e);
        }
    }

    /// Answers a held GET with `6` (noop) so the client's poll cycle ends.
    fn release_parked_get(&mut self) {
        if self.get_parked {
            self.get_parked = false;
            let body = if self.queue.is_empty() {
                Vec::from(&b"6"[..])
            } else {
                self.take_poll_body()
            };
            self.transmits.push_back(Transmit::PollResponse(body));
        }
    }
}
