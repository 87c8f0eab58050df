//! Sessions: opening, draining a session's output to its connections, and the WebSocket pump.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::conn::State;
use super::{Endpoint, Event, OpenRequest, Side};
use crate::engineio::http::{ErrorCode, Reject, Transport};
use crate::engineio::server::{ServerEvent, Transmit as SessionTransmit};
use crate::frame::CloseCode;
use crate::ws::{Event as WsEvent, Message as WsMessage};

impl Endpoint {
    /// Opens a session for a handshake on connection `conn` and reports it.
    pub(super) fn open_session(
        &mut self,
        now: Duration,
        transport: Transport,
        conn: u64,
        request: OpenRequest,
        mount: usize,
    ) -> Result<String, Reject> {
        // A sid collision is astronomically unlikely with good entropy; retry a few times.
        let mut last = Reject::Code(ErrorCode::Forbidden);
        for _ in 0..3 {
            let entropy = (self.entropy)();
            match self.registry.open(now, transport, &entropy) {
                Ok(s) => {
                    let sid = String::from(s.sid());
                    self.sessions.insert(
                        &sid,
                        Side {
                            mount,
                            ..Side::default()
                        },
                    );
                    self.events.push_back(Event::Opened {
                        sid: sid.clone(),
                        conn,
                        request,
                    });
                    self.mark(&sid);
                    return Ok(sid);
                }
                Err(r) => last = r,
            }
            if self.registry.len() >= self.cfg.max_sessions {
                break;
            }
        }
        Err(last)
    }

    /// Moves a session's output to its connections and its events to the caller; drops the
    /// session once it is closed and drained.
    pub(super) fn drain_session(&mut self, sid: &str) {
        if !self.sessions.contains_key(sid) {
            return;
        }
        while let Some(t) = self.registry.get_mut(sid).and_then(|s| s.poll_transmit()) {
            let side = self.sessions.get_mut(sid);
            match t {
                SessionTransmit::PollResponse(body) => {
                    if let Some(id) = side.and_then(|s| s.held.take()) {
                        self.answer_held(id, Ok(body));
                    }
                }
                SessionTransmit::PollReject(r) => {
                    if let Some(id) = side.and_then(|s| s.held.take()) {
                        self.answer_held(id, Err(r));
                    }
                }
                SessionTransmit::WsText(text) => {
                    if let Some(id) = side.and_then(|s| s.ws) {
                        if let Some(w) = self.ws_mut(id) {
                            let _ = w.ws.send_text(&text);
                        }
                        self.ws_output(id);
                    }
                }
                SessionTransmit::WsBinary(data) => {
                    if let Some(id) = side.and_then(|s| s.ws) {
                        if let Some(w) = self.ws_mut(id) {
                            let _ = w.ws.send_binary(&data);
                        }
                        self.ws_output(id);
                    }
                }
                SessionTransmit::WsClose => {
                    if let Some(id) = side.and_then(|s| s.ws.take()) {
                        if let Some(w) = self.ws_mut(id) {
                            w.sid = None;
                            let _ = w.ws.close(CloseCode::NORMAL, "");
                        }
                        self.ws_output(id);
                    }
                }
            }
        }
        let mut closed = false;
        while let Some(e) = self.registry.get_mut(sid).and_then(|s| s.poll_event()) {
            let sid = String::from(sid);
            self.events.push_back(match e {
                ServerEvent::Message(message) => Event::Message { sid, message },
                ServerEvent::Upgraded => Event::Upgraded { sid },
                ServerEvent::Closed { reason, error } => Event::Closed { sid, reason, error },
            });
        }
        if let Some(s) = self.registry.get_mut(sid) {
            closed = s.is_closed();
        }
        if !closed {
            self.schedule_session(sid);
            return;
        }
        self.registry.remove(sid);
        let Some(side) = self.sessions.remove(sid) else {
            return;
        };
        // The session answered its GET and closed its WebSocket before closing; never leave a
        // connection attached to a session that is gone.
        if let Some(id) = side.held {
            self.answer_held(id, Err(Reject::Code(ErrorCode::SessionIdUnknown)));
        }
        if let Some(id) = side.ws {
            if let Some(w) = self.ws_mut(id) {
                w.sid = None;
                let _ = w.ws.close(CloseCode::NORMAL, "");
            }
            self.ws_output(id);
        }
    }

    fn ws_mut(&mut self, id: u64) -> Option<&mut super::conn::WsConn> {
        match &mut self.conns.get_mut(id)?.state {
            State::Ws(w) => Some(w),
            _ => None,
        }
    }

    /// The WebSocket `id` no longer carries `sid` (`error`: what failed it, if anything).
    pub(super) fn detach_ws(&mut self, sid: &str, id: u64, error: Option<crate::Error>) {
        let now = self.now;
        if let Some(side) = self.sessions.get_mut(sid) {
            if side.ws == Some(id) {
                side.ws = None;
                if let Some(s) = self.registry.get_mut(sid) {
                    s.handle_ws_closed(now, error);
                }
            }
        }
        self.mark(sid);
    }

    /// Feeds a WebSocket's unread bytes to its machine, hands the messages to the session,
    /// and writes what the machine has to send.
    pub(super) fn ws_feed(&mut self, id: u64) {
        let now = self.now;
        // Owned, so the connection can be released before the session takes them.
        let mut inputs: Vec<WsMessage> = Vec::new();
        let mut ended = false;
        let mut ws_error = None;
        let sid = {
            let Some(w) = self.ws_mut(id) else {
                return;
            };
            let mut pos = 0;
            loop {
                let used = if pos < w.inbuf.len() {
                    match w.ws.handle_read(now, &mut w.inbuf[pos..]) {
                        Ok(n) => n,
                        // The Close with the error's code is queued; the rest is ignored.
                        Err(_) => w.inbuf.len() - pos,
                    }
                } else {
                    0
                };
                pos += used;
                let mut any = false;
                loop {
                    // A whole message is taken as the buffer it was assembled in (no copy).
                    if let Some(m) = w.ws.take_message() {
                        any = true;
                        inputs.push(m);
                        continue;
                    }
                    let Some(ev) = w.ws.poll_event() else {
                        break;
                    };
                    any = true;
                    if let WsEvent::Closed { error, .. } = ev {
                        ended = true;
                        ws_error = error;
                    }
                }
                if used == 0 && !any {
                    break;
                }
            }
            w.inbuf.drain(..pos);
            if ended { w.sid.take() } else { w.sid.clone() }
        };
        if let Some(sid) = &sid {
            for input in inputs {
                // The session may have let go of this WebSocket (a failed probe) midway.
                if self.sessions.get(sid.as_str()).and_then(|s| s.ws) != Some(id) {
                    break;
                }
                if let Some(s) = self.registry.get_mut(sid) {
                    let _ = match &input {
                        WsMessage::Text(t) => s.handle_ws_text(now, t),
                        WsMessage::Binary(b) => s.handle_ws_binary(now, b),
                    };
                }
                self.mark(sid);
                // Deliver what the session answered (e.g. `3probe`) before the next message.
                self.drain_session(sid);
            }
            if ended {
                self.detach_ws(sid, id, ws_error);
            }
        }
        self.ws_output(id);
    }

    /// Writes what a WebSocket has to send; closes the TCP connection when it is over.
    pub(super) fn ws_output(&mut self, id: u64) {
        let (data, done) = {
            let Some(w) = self.ws_mut(id) else {
                return;
            };
            let data = w.ws.poll_transmit().map(Vec::from).unwrap_or_default();
            (data, w.ws.should_close_tcp())
        };
        // The bytes are copied once, into the transmit itself.
        self.write_vec(id, data);
        if done {
            self.write_close(id);
        } else {
            self.schedule_conn(id);
        }
    }
}
