//! Blocking WebSocket on a std [`TcpStream`]: the opening handshake both ways
//! ([`accept`], [`connect`]) and the run loop of a [`Connection`] ([`run`]). Every protocol
//! decision (pongs, close replies, keepalive, close timeouts, limits) is the core's; this module
//! reads, writes and sets the read timeout from [`Connection::poll_timeout`].

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sockwire::deflate::{DeflateOffer, DeflatePolicy, PerMessageDeflate};
use sockwire::frame::CloseCode;
use sockwire::handshake::http::{HeadConfig, Header, Status};
use sockwire::handshake::{
    AcceptOptions, ClientHandshake, ClientOptions, ServerHandshake, ServerResponse,
};
use sockwire::ws::{Connection, Event, MaskKeySource, MessageKind};

/// Most header fields read in an opening handshake.
const MAX_HEADERS: usize = 128;
/// Size of one read of the run loop.
const READ_CHUNK: usize = 64 << 10;

/// An upgraded stream: what was negotiated, and the bytes that followed the head in the same
/// read (they belong to the frame layer: [`run`] feeds them first).
#[derive(Debug)]
pub struct Upgraded {
    /// The stream.
    pub stream: TcpStream,
    /// The subprotocol selected (by us as a server, by the server as a client).
    pub subprotocol: Option<String>,
    /// permessage-deflate, when negotiated.
    pub deflate: Option<PerMessageDeflate>,
    /// Bytes read past the head.
    pub leftover: Vec<u8>,
}

/// Answers the opening handshake on `stream`: selects the first offered subprotocol `pick`
/// accepts, and permessage-deflate under `policy` when the client offers it. Returns `Ok(None)`
/// when the client left before a whole request; a refused request is answered (400, 426, 431)
/// and returned as an error.
pub fn accept(
    mut stream: TcpStream,
    pick: impl Fn(&str) -> bool,
    policy: Option<DeflatePolicy>,
) -> io::Result<Option<Upgraded>> {
    stream.set_nodelay(true)?;
    let mut server = ServerHandshake::new(HeadConfig::default());
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut slots = [Header::EMPTY; MAX_HEADERS];
        match server.parse(&buf, &mut slots) {
            Ok(Status::Partial) => {}
            Ok(Status::Complete(req)) => {
                let chosen = req.subprotocols().find(|p| pick(p));
                let deflate = policy.and_then(|p| req.negotiate_deflate(&p));
                let ext = deflate.map(|p| p.response());
                let opts = AcceptOptions::new()
                    .subprotocol(chosen)
                    .extensions(ext.as_deref());
                let accept = req.accept(&opts).map_err(io::Error::other)?;
                let mut out = Vec::new();
                accept.encode_to_vec(&mut out);
                stream.write_all(&out)?;
                return Ok(Some(Upgraded {
                    subprotocol: chosen.map(String::from),
                    leftover: buf[req.head_len()..].to_vec(),
                    stream,
                    deflate,
                }));
            }
            Err(e) => {
                if let Some(resp) = e.response() {
                    stream.write_all(resp)?;
                }
                return Err(io::Error::other(format!("handshake refused: {e}")));
            }
        }
    }
}

/// Connects to `hostport` and asks for `target` with the caller's 16 random bytes, the offered
/// subprotocols and permessage-deflate offer; returns once the server switched protocols (a
/// non-101 answer is an error carrying its status).
pub fn connect(
    hostport: &str,
    target: &str,
    nonce: [u8; 16],
    protocols: &[&str],
    offer: Option<&DeflateOffer>,
) -> io::Result<Upgraded> {
    let mut stream = TcpStream::connect(hostport)?;
    stream.set_nodelay(true)?;
    let ext = offer.map(|o| o.header_value());
    let opts = ClientOptions::new(hostport, target, nonce)
        .subprotocols(protocols)
        .extensions(ext.as_deref());
    let mut hs = ClientHandshake::new(opts).map_err(io::Error::other)?;
    let mut req = Vec::new();
    hs.encode_to_vec(&mut req);
    stream.write_all(&req)?;
    let mut head = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::other("connection closed during the handshake"));
        }
        head.extend_from_slice(&chunk[..n]);
        let mut slots = [Header::EMPTY; MAX_HEADERS];
        match hs
            .parse_response(&head, &mut slots)
            .map_err(io::Error::other)?
        {
            Status::Partial => {}
            Status::Complete(ServerResponse::Accepted(a)) => {
                let deflate = match offer {
                    Some(o) => a.deflate(o).map_err(io::Error::other)?,
                    None => None,
                };
                return Ok(Upgraded {
                    subprotocol: a.subprotocol().map(String::from),
                    leftover: head[a.head_len()..].to_vec(),
                    stream,
                    deflate,
                });
            }
            Status::Complete(ServerResponse::NotUpgraded(r)) => {
                let status = r.status();
                return Err(io::Error::other(format!("server answered HTTP {status}")));
            }
        }
    }
}

/// Runs `conn` on `stream` until the WebSocket is over: feeds `leftover` then every read, writes
/// every transmit, runs the timers, and hands each whole message to `on_message(kind, data,
/// reply)`; returning `Some(kind)` sends `reply` (cleared before each call) as a message of that
/// kind. Closes TCP the way RFC 6455 asks (after our last frame, waiting briefly for the peer's
/// FIN so that unread data does not turn the close into a reset). A reset from the peer ends
/// the connection like EOF (the machine reports 1006 unless the close handshake was done).
/// Works for both roles: a client `Connection` masks with its own key source.
pub fn run<K: MaskKeySource>(
    mut stream: TcpStream,
    mut conn: Connection<K>,
    mut leftover: Vec<u8>,
    mut on_message: impl FnMut(MessageKind, &[u8], &mut Vec<u8>) -> Option<MessageKind>,
) -> io::Result<()> {
    let start = Instant::now();
    let mut reply = Vec::new();
    let mut on =
        |conn: &mut Connection<K>, s: &mut TcpStream| drain(conn, s, &mut on_message, &mut reply);
    feed(
        &mut conn,
        &mut stream,
        start.elapsed(),
        &mut leftover,
        &mut on,
    )?;
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        if conn.should_close_tcp() {
            return linger_close(stream);
        }
        let timeout = conn.poll_timeout().map(|d| {
            d.saturating_sub(start.elapsed())
                .max(Duration::from_millis(1))
        });
        stream.set_read_timeout(timeout)?;
        match stream.read(&mut buf) {
            Ok(0) => {
                conn.handle_eof(start.elapsed());
                return on(&mut conn, &mut stream);
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                conn.handle_eof(start.elapsed());
                // Nothing can be written any more; the events still reach the application.
                let _ = on(&mut conn, &mut stream);
                return Ok(());
            }
            Ok(n) => feed(
                &mut conn,
                &mut stream,
                start.elapsed(),
                &mut buf[..n],
                &mut on,
            )?,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                conn.handle_timeout(start.elapsed());
                on(&mut conn, &mut stream)?;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// What another thread asks of a connection run by [`run_with`], through a [`Sender`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// Send a text message.
    Text(String),
    /// Send a binary message.
    Binary(Vec<u8>),
    /// Start the closing handshake with this code and reason.
    Close(CloseCode, String),
}

/// What the run loop of [`run_with`] waits for: a command, or what its reader thread read.
enum Input {
    Command(Command),
    Read(Vec<u8>),
    End(io::Result<()>),
}

/// Hands [`Command`]s to a connection run by [`run_with`], from any thread.
#[derive(Debug, Clone)]
pub struct Sender(mpsc::SyncSender<Input>);

impl Sender {
    /// Queues `command`, acted on at once (no polling interval); waits while the inbox is
    /// full; a `BrokenPipe` error once the run is over.
    pub fn send(&self, command: Command) -> io::Result<()> {
        self.0
            .send(Input::Command(command))
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))
    }
}

/// The receiving end of a [`Sender`], consumed by [`run_with`].
#[derive(Debug)]
pub struct Inbox {
    tx: mpsc::SyncSender<Input>,
    rx: mpsc::Receiver<Input>,
}

/// Reads and commands [`run_with`] holds before the reader thread (and a [`Sender`]) waits:
/// at most this many reads of up to 64 KiB are buffered while the loop is busy (for example
/// blocked writing to a peer that does not read).
const INBOX: usize = 64;

/// A command channel for [`run_with`]. [`Sender::send`] waits while the connection is that far
/// behind.
pub fn channel() -> (Sender, Inbox) {
    let (tx, rx) = mpsc::sync_channel(INBOX);
    (Sender(tx.clone()), Inbox { tx, rx })
}

/// [`run`], plus [`Command`]s from other threads (an interactive client, an application that
/// pushes). A reader thread owns a clone of the stream and hands each read (one copy) to the
/// loop, which waits for reads, commands and the machine's timer at once. A command refused
/// by the machine (sent while closing) is dropped.
pub fn run_with<K: MaskKeySource>(
    stream: TcpStream,
    mut conn: Connection<K>,
    mut leftover: Vec<u8>,
    inbox: Inbox,
    mut on_message: impl FnMut(MessageKind, &[u8], &mut Vec<u8>) -> Option<MessageKind>,
) -> io::Result<()> {
    let start = Instant::now();
    let mut reader = stream.try_clone()?;
    let reads = inbox.tx;
    let thread = std::thread::spawn(move || {
        let mut buf = vec![0u8; READ_CHUNK];
        let end = loop {
            match reader.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    if reads.send(Input::Read(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        let _ = reads.send(Input::End(end));
    });
    let mut stream = stream;
    let mut reply = Vec::new();
    let mut on =
        |conn: &mut Connection<K>, s: &mut TcpStream| drain(conn, s, &mut on_message, &mut reply);
    feed(
        &mut conn,
        &mut stream,
        start.elapsed(),
        &mut leftover,
        &mut on,
    )?;
    let result = loop {
        if conn.should_close_tcp() {
            // Our last frame is out: FIN, then give the peer's FIN a moment (see `run`).
            let _ = stream.shutdown(Shutdown::Write);
            let deadline = Instant::now() + Duration::from_secs(2);
            while let Ok(i) = inbox
                .rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                if matches!(i, Input::End(_)) {
                    break;
                }
            }
            break Ok(());
        }
        let input = match conn.poll_timeout() {
            Some(d) => inbox.rx.recv_timeout(d.saturating_sub(start.elapsed())),
            None => inbox
                .rx
                .recv()
                .map_err(|_| mpsc::RecvTimeoutError::Disconnected),
        };
        let now = start.elapsed();
        match input {
            Ok(Input::Read(mut b)) => feed(&mut conn, &mut stream, now, &mut b, &mut on)?,
            Ok(Input::Command(c)) => {
                let _ = match c {
                    Command::Text(t) => conn.send_text(&t),
                    Command::Binary(b) => conn.send_binary(&b),
                    Command::Close(code, reason) => conn.close(code, &reason),
                };
                on(&mut conn, &mut stream)?;
            }
            Ok(Input::End(r)) => {
                conn.handle_eof(now);
                // After a reset nothing can be written; the events still reach the application.
                let flushed = on(&mut conn, &mut stream);
                break match r {
                    Err(e) if e.kind() != io::ErrorKind::ConnectionReset => Err(e),
                    Err(_) => Ok(()), // a reset ends it like EOF
                    Ok(()) => flushed,
                };
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                conn.handle_timeout(now);
                on(&mut conn, &mut stream)?;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break Ok(()),
        }
    };
    let _ = stream.shutdown(Shutdown::Both); // ends the reader thread's read...
    drop(inbox.rx); // ...or its wait on a full inbox
    let _ = thread.join();
    result
}

/// Feeds one read, draining outputs after every step; a peer error ends the input (its Close
/// frame is among the transmits).
fn feed<K: MaskKeySource>(
    conn: &mut Connection<K>,
    stream: &mut TcpStream,
    now: Duration,
    bytes: &mut [u8],
    on: &mut impl FnMut(&mut Connection<K>, &mut TcpStream) -> io::Result<()>,
) -> io::Result<()> {
    let mut pos = 0;
    while pos < bytes.len() {
        let r = conn.handle_read(now, &mut bytes[pos..]);
        on(conn, stream)?;
        match r {
            Ok(n) => pos += n,
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

/// Writes pending output and hands messages to the application until both are drained.
fn drain<K: MaskKeySource>(
    conn: &mut Connection<K>,
    stream: &mut TcpStream,
    on_message: &mut impl FnMut(MessageKind, &[u8], &mut Vec<u8>) -> Option<MessageKind>,
    reply: &mut Vec<u8>,
) -> io::Result<()> {
    loop {
        while let Some(bytes) = conn.poll_transmit() {
            stream.write_all(bytes)?;
        }
        reply.clear();
        let send = match conn.poll_event() {
            None => return Ok(()),
            Some(Event::Text(t)) => on_message(MessageKind::Text, t.as_bytes(), reply),
            Some(Event::Binary(b)) => on_message(MessageKind::Binary, b, reply),
            Some(_) => None,
        };
        if let Some(kind) = send {
            // Refused only once we are closing: then the reply is simply not sent.
            let _ = conn.send_frame(kind, true, reply);
        }
    }
}

fn linger_close(mut stream: TcpStream) -> io::Result<()> {
    let _ = stream.shutdown(Shutdown::Write);
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut sink = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    Ok(())
}
