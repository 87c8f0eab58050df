//! The client's connections: HTTP/1.1 for long-polling (one keep-alive connection for the held
//! GET, one for the POSTs, so a POST never waits behind a held GET) and the WebSocket (the
//! opening handshake, then a [`Connection`]).
//!
//! Both read into a buffer of their own, capped: an HTTP connection holds at most one response
//! head ([`HeadConfig`]) plus one body ([`ClientOptions::max_http_body`](super::ClientOptions)),
//! a WebSocket connection at most one handshake head; after the handshake the bytes go straight
//! into the [`Connection`], whose own caps bound frames and messages.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use crate::frame::CloseCode;
use crate::handshake::{self, ClientHandshake, ClientOptions as WsOptions, HandshakeError};
use crate::http::{HeadConfig, HeadParser, Header, HttpError, Status};
use crate::ws::{
    Connection, ConnectionConfig, Event as WsEvent, MaskKeySource, Message as WsMessage,
    ProtocolError, ReceiveMode,
};

/// Header slots for one response head.
const SLOTS: usize = 32;

/// Masking keys for our WebSocket: the first four bytes of each draw of the caller's entropy.
pub(super) struct WsKeys(pub(super) Box<dyn FnMut() -> [u8; 16] + Send>);

impl fmt::Debug for WsKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WsKeys")
    }
}

impl MaskKeySource for WsKeys {
    fn next_key(&mut self) -> [u8; 4] {
        let b = (self.0)();
        [b[0], b[1], b[2], b[3]]
    }
}

/// Why a connection is unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Broken;

/// A response head, once parsed.
#[derive(Debug, Clone, Copy)]
struct Head {
    status: u16,
    head_len: usize,
    body_len: usize,
    close: bool,
}

/// One complete HTTP response.
#[derive(Debug)]
pub(super) struct Response {
    pub(super) status: u16,
    pub(super) body: Vec<u8>,
    /// The server will close the connection (`Connection: close` or HTTP/1.0).
    pub(super) close: bool,
}

/// A long-polling HTTP/1.1 connection.
#[derive(Debug)]
pub(super) struct HttpConn {
    pub(super) id: u64,
    rx: Vec<u8>,
    parser: HeadParser,
    head: Option<Head>,
    max_body: usize,
    /// A request is in flight on it.
    pub(super) busy: bool,
}

impl HttpConn {
    pub(super) fn new(id: u64, head: HeadConfig, max_body: usize) -> Self {
        HttpConn {
            id,
            rx: Vec::new(),
            parser: HeadParser::new(head),
            head: None,
            max_body,
            busy: false,
        }
    }

    /// Adds bytes; returns the response once complete. Bytes after a response are kept as the
    /// start of the next one (whatever way the stream was split into reads), and parsed once a
    /// request is in flight again ([`process`](Self::process)).
    pub(super) fn read(&mut self, data: &[u8]) -> Result<Option<Response>, Broken> {
        let cap = self
            .parser
            .config()
            .max_head_len
            .saturating_add(self.max_body);
        if self.rx.len().saturating_add(data.len()) > cap {
            return Err(Broken);
        }
        self.rx.extend_from_slice(data);
        self.process()
    }

    /// Parses what the buffer holds, if a request is in flight.
    pub(super) fn process(&mut self) -> Result<Option<Response>, Broken> {
        if !self.busy || self.rx.is_empty() {
            return Ok(None);
        }
        if self.head.is_none() {
            let mut slots = [Header::EMPTY; SLOTS];
            let resp = match self.parser.parse_response(&self.rx, &mut slots) {
                Ok(Status::Complete(r)) => r,
                Ok(Status::Partial) => return Ok(None),
                Err(_) => return Err(Broken),
            };
            if resp.header("transfer-encoding").is_some() {
                return Err(Broken); // Engine.IO servers send Content-Length
            }
            let body_len = match resp.content_length() {
                Ok(Some(n)) => usize::try_from(n).map_err(|_| Broken)?,
                Ok(None) if resp.status() == 204 || resp.status() == 304 => 0,
                _ => return Err(Broken),
            };
            if body_len > self.max_body {
                return Err(Broken);
            }
            let close = resp.version_minor() == 0 || resp.has_token("connection", "close");
            self.head = Some(Head {
                status: resp.status(),
                head_len: resp.head_len(),
                body_len,
                close,
            });
        }
        let Some(h) = self.head else {
            return Ok(None);
        };
        let end = h.head_len + h.body_len;
        if self.rx.len() < end {
            return Ok(None);
        }
        let rest = self.rx.split_off(end);
        let body = self.rx.split_off(h.head_len);
        self.rx = rest;
        self.head = None;
        self.parser.reset();
        self.busy = false;
        Ok(Some(Response {
            status: h.status,
            body,
            close: h.close,
        }))
    }
}

/// Writes a long-polling request.
pub(super) fn http_request(host: &str, target: &str, body: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 + target.len() + body.map_or(0, <[u8]>::len));
    out.extend_from_slice(if body.is_some() { b"POST " } else { b"GET " });
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    out.extend_from_slice(host.as_bytes());
    out.extend_from_slice(b"\r\nAccept: */*\r\n");
    if let Some(b) = body {
        out.extend_from_slice(b"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: ");
        push_decimal(&mut out, b.len());
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(b);
    } else {
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn push_decimal(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// What a WebSocket connection produced from one read.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum WsInput {
    /// The handshake completed.
    Opened,
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
    /// The connection is over (closing handshake done, or failed): what failed it, if anything
    /// (a handshake error, or the protocol error of the connection's `Closed` event).
    Closed(Option<crate::Error>),
}

/// The WebSocket connection: handshake, then frames.
#[derive(Debug)]
pub(super) struct WsConn {
    pub(super) id: u64,
    rx: Vec<u8>,
    parser: HeadParser,
    expected: [u8; 28],
    cfg: ConnectionConfig,
    keys: Option<WsKeys>,
    ws: Option<Connection<WsKeys>>,
    /// The machine's frames asked for before the handshake completed.
    early: Vec<(bool, Vec<u8>)>,
    closed: bool,
}

impl WsConn {
    /// A connection and its handshake request.
    pub(super) fn new(
        id: u64,
        host: &str,
        target: &str,
        nonce: [u8; 16],
        head: HeadConfig,
        cfg: ConnectionConfig,
        keys: WsKeys,
    ) -> Result<(Self, Vec<u8>), HandshakeError> {
        let hs = ClientHandshake::with_config(WsOptions::new(host, target, nonce), head)?;
        let mut req = Vec::new();
        hs.encode_to_vec(&mut req);
        let mut expected = [0u8; 28];
        expected.copy_from_slice(hs.expected_accept().as_bytes());
        let conn = WsConn {
            id,
            rx: Vec::new(),
            parser: HeadParser::new(head),
            expected,
            cfg,
            keys: Some(keys),
            ws: None,
            early: Vec::new(),
            closed: false,
        };
        Ok((conn, req))
    }

    /// Feeds bytes; pushes what they produced to `out` and bytes to write to `tx`.
    pub(super) fn read(
        &mut self,
        now: Duration,
        data: &[u8],
        out: &mut Vec<WsInput>,
        tx: &mut Vec<u8>,
    ) {
        if self.closed {
            return;
        }
        if self.ws.is_none() {
            // Below the head cap before this read (checked below), so the buffer holds at most
            // one head plus one read.
            self.rx.extend_from_slice(data);
            let mut slots = [Header::EMPTY; SLOTS];
            let head_len = match self.parser.parse_response(&self.rx, &mut slots) {
                Ok(Status::Partial) if self.rx.len() < self.parser.config().max_head_len => {
                    return;
                }
                Ok(Status::Complete(r)) if r.status() == 101 => {
                    match handshake::verify_response(r, &self.expected, |_| false, |_| false) {
                        Ok(a) => a.head_len(),
                        Err(e) => return self.fail(out, e.into()),
                    }
                }
                Ok(Status::Complete(r)) => {
                    let status = r.status();
                    return self.fail(out, HandshakeError::NotSwitching { status }.into());
                }
                Ok(Status::Partial) => {
                    let max = self.parser.config().max_head_len;
                    let e = HandshakeError::Http(HttpError::HeadTooLarge { limit: max });
                    return self.fail(out, e.into());
                }
                Err(e) => return self.fail(out, HandshakeError::Http(e).into()),
            };
            let Some(keys) = self.keys.take() else {
                return self.fail(out, crate::Error::Protocol(ProtocolError::Closed));
            };
            // Engine.IO packets are whole messages.
            let cfg = self.cfg.receive_mode(ReceiveMode::Messages);
            let mut ws = Connection::client(cfg, keys);
            for (binary, m) in self.early.drain(..) {
                let _ = if binary {
                    ws.send_binary(&m)
                } else {
                    ws.send_text(core::str::from_utf8(&m).unwrap_or_default())
                };
            }
            self.ws = Some(ws);
            out.push(WsInput::Opened);
            // Frames that came in the same read as the end of the head.
            let rest = self.rx.split_off(head_len);
            self.rx = Vec::new();
            self.feed(now, rest, out, tx);
            return;
        }
        self.feed(now, data.to_vec(), out, tx);
    }

    fn feed(&mut self, now: Duration, mut buf: Vec<u8>, out: &mut Vec<WsInput>, tx: &mut Vec<u8>) {
        let Some(ws) = self.ws.as_mut() else {
            return;
        };
        let mut pos = 0;
        loop {
            let r = if pos < buf.len() {
                ws.handle_read(now, &mut buf[pos..])
            } else {
                Ok(0)
            };
            let n = match r {
                Ok(n) => n,
                Err(_) => 0,
            };
            pos += n;
            if let Some(t) = ws.poll_transmit() {
                tx.extend_from_slice(t);
            }
            let mut progressed = n > 0;
            loop {
                // A whole message is taken as the buffer it was assembled in (no copy).
                if let Some(m) = ws.take_message() {
                    progressed = true;
                    out.push(match m {
                        WsMessage::Text(t) => WsInput::Text(t),
                        WsMessage::Binary(b) => WsInput::Binary(b),
                    });
                    continue;
                }
                let Some(ev) = ws.poll_event() else {
                    break;
                };
                progressed = true;
                if let WsEvent::Closed { error, .. } = ev {
                    self.closed = true;
                    out.push(WsInput::Closed(error));
                }
            }
            if let Some(t) = ws.poll_transmit() {
                tx.extend_from_slice(t);
            }
            if self.closed || !progressed || pos >= buf.len() {
                if let (Err(e), false) = (r, self.closed) {
                    // A protocol error: the connection queued its Close and reports Closed
                    // once drained; stop reading either way.
                    self.closed = true;
                    out.push(WsInput::Closed(Some(e.into())));
                }
                return;
            }
        }
    }

    fn fail(&mut self, out: &mut Vec<WsInput>, e: crate::Error) {
        self.closed = true;
        self.rx = Vec::new();
        out.push(WsInput::Closed(Some(e)));
    }

    /// Queues a message (before the handshake completes it waits).
    pub(super) fn send(&mut self, binary: bool, data: Vec<u8>, tx: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        match self.ws.as_mut() {
            None => self.early.push((binary, data)),
            Some(ws) => {
                let _ = if binary {
                    ws.send_binary(&data)
                } else {
                    ws.send_text(core::str::from_utf8(&data).unwrap_or_default())
                };
                if let Some(t) = ws.poll_transmit() {
                    tx.extend_from_slice(t);
                }
            }
        }
    }

    /// Sends a Close frame (when open).
    pub(super) fn close(&mut self, tx: &mut Vec<u8>) {
        if let Some(ws) = self.ws.as_mut() {
            let _ = ws.close(CloseCode::NORMAL, "");
            if let Some(t) = ws.poll_transmit() {
                tx.extend_from_slice(t);
            }
        }
        self.closed = true;
    }

    /// The connection's own deadline (close timer), if any.
    pub(super) fn poll_timeout(&self) -> Option<Duration> {
        if self.closed {
            return None;
        }
        self.ws.as_ref().and_then(Connection::poll_timeout)
    }

    /// Runs the connection's timers.
    pub(super) fn handle_timeout(
        &mut self,
        now: Duration,
        out: &mut Vec<WsInput>,
        tx: &mut Vec<u8>,
    ) {
        if let Some(ws) = self.ws.as_mut() {
            ws.handle_timeout(now);
        }
        self.feed(now, Vec::new(), out, tx);
    }
}
