//! The client's inputs (`handle_*`) and how the Engine.IO machine's requests become bytes on
//! connections.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::transport::{HttpConn, WsConn, WsInput, WsKeys, http_request};
use super::{Client, Transmit, polling_ok, ws_payload};
use crate::engineio::EngineIoError;
use crate::engineio::client::ClientRequest;
use crate::engineio::http::Transport;
use crate::engineio::server::CloseReason;

/// Which connection of the attempt a number names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Get,
    Post,
    Ws,
}

impl Client {
    /// Bytes read from connection `conn` (bytes for a retired number are ignored).
    pub fn handle_read(&mut self, now: Duration, conn: u64, data: &[u8]) {
        self.now = now;
        self.run_timers(now);
        match self.which(conn) {
            Some(Which::Get) | Some(Which::Post) => self.http_read(now, conn, data),
            Some(Which::Ws) => {
                let mut inputs = Vec::new();
                let mut out = Vec::new();
                if let Some(ws) = self.attempt.as_mut().and_then(|a| a.ws.as_mut()) {
                    ws.read(now, data, &mut inputs, &mut out);
                }
                self.ws_inputs(now, conn, inputs, out);
            }
            None => {}
        }
        self.pump();
    }

    /// Connection `conn` closed, failed, or could not be opened; its number is retired.
    pub fn handle_eof(&mut self, now: Duration, conn: u64) {
        self.now = now;
        self.run_timers(now);
        let Some(which) = self.which(conn) else {
            return;
        };
        if let Some(a) = self.attempt.as_mut() {
            match which {
                Which::Get | Which::Post => {
                    let slot = if which == Which::Get {
                        &mut a.get
                    } else {
                        &mut a.post
                    };
                    if slot.take().is_some_and(|c| c.busy) {
                        a.eio.handle_http_error(now);
                    }
                }
                Which::Ws => {
                    a.ws = None;
                    a.eio.handle_ws_closed(now, None);
                }
            }
        }
        self.pump();
    }

    /// Runs what is due at `now`: the connect timeout, the reconnection delay, the heartbeat,
    /// ack timeouts, the WebSocket's close timer.
    pub fn handle_timeout(&mut self, now: Duration) {
        self.now = now;
        self.run_timers(now);
        self.pump();
    }

    fn run_timers(&mut self, now: Duration) {
        if self.closed {
            return;
        }
        if self.reconnect_at.is_some_and(|at| now >= at) {
            self.reconnect_at = None;
            self.start_attempt(now);
        }
        let timed_out = self
            .attempt
            .as_ref()
            .is_some_and(|a| a.deadline.is_some_and(|d| now >= d) && !a.eio.is_open());
        if timed_out {
            let e = EngineIoError::Transport("timeout");
            self.lose_attempt(now, CloseReason::TransportError, Some(e.into()));
        }
        let mut ws_out = None;
        if let Some(a) = self.attempt.as_mut() {
            a.eio.handle_timeout(now);
            if let Some(ws) = a.ws.as_mut() {
                if ws.poll_timeout().is_some_and(|d| now >= d) {
                    let (mut inputs, mut out) = (Vec::new(), Vec::new());
                    ws.handle_timeout(now, &mut inputs, &mut out);
                    ws_out = Some((ws.id, inputs, out));
                }
            }
        }
        if let Some((id, inputs, out)) = ws_out {
            self.ws_inputs(now, id, inputs, out);
        }
        self.sio.handle_timeout(now);
    }

    fn which(&self, conn: u64) -> Option<Which> {
        let a = self.attempt.as_ref()?;
        if a.get.as_ref().is_some_and(|c| c.id == conn) {
            Some(Which::Get)
        } else if a.post.as_ref().is_some_and(|c| c.id == conn) {
            Some(Which::Post)
        } else if a.ws.as_ref().is_some_and(|c| c.id == conn) {
            Some(Which::Ws)
        } else {
            None
        }
    }

    fn http_read(&mut self, now: Duration, conn: u64, data: &[u8]) {
        let Some(a) = self.attempt.as_mut() else {
            return;
        };
        let get = a.get.as_ref().is_some_and(|c| c.id == conn);
        let slot = if get { &mut a.get } else { &mut a.post };
        let Some(c) = slot.as_mut() else {
            return;
        };
        let r = if data.is_empty() {
            c.process()
        } else {
            c.read(data)
        };
        match r {
            Ok(None) => {}
            Ok(Some(resp)) => {
                if resp.close {
                    *slot = None;
                    self.tx.push_back(Transmit::Close { conn });
                }
                match (get, polling_ok(&resp)) {
                    (true, true) => a.eio.handle_poll_response(now, &resp.body),
                    (true, false) => a.eio.handle_http_error(now),
                    (false, ok) => a.eio.handle_post_response(now, ok),
                }
            }
            Err(_) => {
                *slot = None;
                self.tx.push_back(Transmit::Close { conn });
                a.eio.handle_http_error(now);
            }
        }
    }

    fn ws_inputs(&mut self, now: Duration, conn: u64, inputs: Vec<WsInput>, out: Vec<u8>) {
        if !out.is_empty() {
            self.tx.push_back(Transmit::Write { conn, data: out });
        }
        for input in inputs {
            let Some(a) = self.attempt.as_mut() else {
                return;
            };
            if a.ws.as_ref().is_none_or(|c| c.id != conn) {
                return;
            }
            match input {
                WsInput::Opened => a.eio.handle_ws_open(now),
                WsInput::Text(t) => a.eio.handle_ws_text(now, &t),
                WsInput::Binary(b) => a.eio.handle_ws_binary(now, &b),
                WsInput::Closed(error) => {
                    a.ws = None;
                    self.tx.push_back(Transmit::Close { conn });
                    a.eio.handle_ws_closed(now, error);
                }
            }
        }
    }

    /// The target of a request on `transport`.
    fn target(&self, transport: Transport) -> String {
        let mut t = self.opts.path.clone();
        t.push('?');
        if let Some(a) = &self.attempt {
            t.push_str(&a.eio.query(transport));
        }
        t
    }

    /// Turns one request of the Engine.IO machine into bytes on a connection.
    pub(super) fn request(&mut self, now: Duration, req: ClientRequest) {
        match req {
            ClientRequest::Get | ClientRequest::Post(_) => {
                let target = self.target(Transport::Polling);
                let body = match &req {
                    ClientRequest::Post(b) => Some(b.as_slice()),
                    _ => None,
                };
                let data = http_request(&self.opts.host, &target, body);
                let id = self.polling_conn(body.is_some());
                self.tx.push_back(Transmit::Write { conn: id, data });
                // A response that arrived early (kept after the previous one) is read now.
                self.http_read(now, id, &[]);
            }
            ClientRequest::OpenWebSocket => {
                let target = self.target(Transport::WebSocket);
                let id = self.conn_id();
                let nonce = (self.entropy)();
                let keys = WsKeys((self.fork)());
                let made = WsConn::new(
                    id,
                    &self.opts.host,
                    &target,
                    nonce,
                    self.opts.head,
                    self.opts.ws,
                    keys,
                );
                let Some(a) = self.attempt.as_mut() else {
                    return;
                };
                match made {
                    Ok((conn, data)) => {
                        a.ws = Some(conn);
                        self.tx.push_back(Transmit::Connect { conn: id });
                        self.tx.push_back(Transmit::Write { conn: id, data });
                    }
                    Err(e) => a.eio.handle_ws_closed(now, Some(e.into())),
                }
            }
            ClientRequest::WsClose => {
                if let Some(mut ws) = self.attempt.as_mut().and_then(|a| a.ws.take()) {
                    let mut out = Vec::new();
                    ws.close(&mut out);
                    if !out.is_empty() {
                        self.tx.push_back(Transmit::Write {
                            conn: ws.id,
                            data: out,
                        });
                    }
                    self.tx.push_back(Transmit::Close { conn: ws.id });
                }
            }
            req => {
                let Some((binary, data)) = ws_payload(req) else {
                    return;
                };
                if let Some(ws) = self.attempt.as_mut().and_then(|a| a.ws.as_mut()) {
                    let mut out = Vec::new();
                    ws.send(binary, data, &mut out);
                    if !out.is_empty() {
                        let conn = ws.id;
                        self.tx.push_back(Transmit::Write { conn, data: out });
                    }
                }
            }
        }
    }

    /// The GET (`post == false`) or POST connection, opened if needed, marked busy.
    fn polling_conn(&mut self, post: bool) -> u64 {
        let exists = self.attempt.as_ref().is_some_and(|a| {
            if post {
                a.post.is_some()
            } else {
                a.get.is_some()
            }
        });
        if !exists {
            let id = self.conn_id();
            self.tx.push_back(Transmit::Connect { conn: id });
            let (head, max) = (self.opts.head, self.opts.max_http_body);
            if let Some(a) = self.attempt.as_mut() {
                let slot = if post { &mut a.post } else { &mut a.get };
                *slot = Some(HttpConn::new(id, head, max));
            }
        }
        let Some(a) = self.attempt.as_mut() else {
            return 0;
        };
        let slot = if post { &mut a.post } else { &mut a.get };
        match slot.as_mut() {
            Some(c) => {
                c.busy = true;
                c.id
            }
            None => 0,
        }
    }
}
