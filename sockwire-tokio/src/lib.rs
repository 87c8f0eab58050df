//! tokio adapter for [`sockwire`]: it moves bytes between an `AsyncRead + AsyncWrite` stream
//! and the sans-IO [`Connection`], and arms one timer from [`Connection::poll_timeout`]. Every
//! protocol decision (pongs, close replies, keepalive pings, close timeouts) is the core's.
//!
//! Lean by design: no read buffer is held while a connection is idle (it is allocated for a
//! read and released once every byte of it has been fed), and no task is spawned.

use std::io;

use sockwire::frame::CloseCode;
use sockwire::handshake::http::{HeadConfig, Header, Status};
use sockwire::handshake::{AcceptOptions, ServerHandshake};
use sockwire::ws::{Connection, ConnectionConfig, Event};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

/// Size of one read (allocated for the read, released when fed).
const READ_CHUNK: usize = 8 * 1024;
/// Cap on the opening handshake's request head.
const MAX_HEAD: usize = 16 * 1024;

/// A whole message received or to send.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
}

/// A WebSocket over `S`, driven by a sockwire [`Connection`].
#[derive(Debug)]
pub struct WebSocket<S> {
    io: S,
    conn: Connection,
    start: Instant,
    /// Bytes read but not yet fed; empty (no allocation) while idle.
    rbuf: Vec<u8>,
    eof: bool,
}

/// Reads the opening handshake from `io`, answers it and returns the server WebSocket.
/// A refused handshake is answered with the core's error response and reported as an error.
pub async fn accept<S>(mut io: S, config: ConnectionConfig) -> io::Result<WebSocket<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut server = ServerHandshake::new(HeadConfig::default());
    let mut buf = Vec::with_capacity(1024);
    loop {
        if buf.len() >= MAX_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request head too large",
            ));
        }
        let old = buf.len();
        buf.resize(old + 1024, 0);
        let n = io.read(&mut buf[old..]).await?;
        buf.truncate(old + n);
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let mut slots = [Header::EMPTY; 64];
        match server.parse(&buf, &mut slots) {
            Ok(Status::Partial) => continue,
            Ok(Status::Complete(req)) => {
                let accept = req
                    .accept(&AcceptOptions::new())
                    .map_err(io::Error::other)?;
                let mut out = Vec::new();
                accept.encode_to_vec(&mut out);
                io.write_all(&out).await?;
                let rest = buf[req.head_len()..].to_vec();
                return Ok(WebSocket::from_upgraded(
                    io,
                    Connection::server(config),
                    rest,
                ));
            }
            Err(e) => {
                if let Some(resp) = e.response() {
                    io.write_all(resp).await?;
                }
                return Err(io::Error::other(format!("handshake refused: {e}")));
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    /// Wraps a stream whose opening handshake is done; `rest` are the bytes read after it.
    pub fn from_upgraded(io: S, conn: Connection, rest: Vec<u8>) -> Self {
        WebSocket {
            io,
            conn,
            start: Instant::now(),
            rbuf: rest,
            eof: false,
        }
    }

    /// The sans-IO connection (state, close codes, error).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn now(&self) -> std::time::Duration {
        self.start.elapsed()
    }

    async fn flush(&mut self) -> io::Result<()> {
        while let Some(bytes) = self.conn.poll_transmit() {
            self.io.write_all(bytes).await?;
        }
        self.io.flush().await
    }

    /// Waits for the next message. `Ok(None)` once the connection is over (closing handshake
    /// done, protocol error answered with its Close, EOF or timeout); the core's
    /// [`Connection::peer_close_code`] and [`Connection::error`] say how.
    pub async fn recv(&mut self) -> io::Result<Option<Message>> {
        loop {
            // Feed what is buffered, one event at a time.
            while !self.rbuf.is_empty() {
                let now = self.now();
                let fed = self.conn.handle_read(now, &mut self.rbuf);
                let mut msg = None;
                while let Some(ev) = self.conn.poll_event() {
                    match ev {
                        Event::Text(t) => msg = Some(Message::Text(t.to_owned())),
                        Event::Binary(b) => msg = Some(Message::Binary(b.to_vec())),
                        _ => {}
                    }
                }
                match fed {
                    Ok(n) => {
                        self.rbuf.drain(..n);
                    }
                    Err(_) => self.rbuf = Vec::new(),
                }
                if self.rbuf.is_empty() {
                    self.rbuf = Vec::new(); // release: nothing held while idle
                }
                self.flush().await?;
                if msg.is_some() {
                    return Ok(msg);
                }
            }
            self.flush().await?;
            if self.conn.should_close_tcp() || self.conn.is_closed() || self.eof {
                let _ = self.io.shutdown().await;
                return Ok(None);
            }
            let deadline = self.conn.poll_timeout().map(|at| self.start + at);
            self.rbuf.resize(READ_CHUNK, 0);
            let read = self.io.read(&mut self.rbuf);
            let res = match deadline {
                Some(d) => tokio::time::timeout_at(d, read).await.ok(),
                None => Some(read.await),
            };
            match res {
                Some(Ok(0)) => {
                    self.rbuf = Vec::new();
                    self.eof = true;
                    let now = self.now();
                    self.conn.handle_eof(now);
                }
                Some(Ok(n)) => self.rbuf.truncate(n),
                Some(Err(e)) => {
                    self.rbuf = Vec::new();
                    return Err(e);
                }
                None => {
                    self.rbuf = Vec::new();
                    let now = self.now();
                    self.conn.handle_timeout(now);
                }
            }
        }
    }

    /// Sends a message and writes it out (waits while the socket is full: backpressure).
    pub async fn send(&mut self, msg: &Message) -> io::Result<()> {
        let r = match msg {
            Message::Text(t) => self.conn.send_text(t),
            Message::Binary(b) => self.conn.send_binary(b),
        };
        r.map_err(io::Error::other)?;
        self.flush().await
    }

    /// Starts the closing handshake; keep calling [`recv`](Self::recv) until `None` to finish it.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> io::Result<()> {
        self.conn.close(code, reason).map_err(io::Error::other)?;
        self.flush().await
    }
}
