//! tokio adapter for [`sockwire`]: it moves bytes between an `AsyncRead + AsyncWrite` stream
//! and the sans-IO [`Connection`], and arms one timer from [`Connection::poll_timeout`]. Every
//! protocol decision (pongs, close replies, keepalive pings, close timeouts, the handshake) is
//! the core's.
//!
//! * [`accept`] (server) and [`connect`] (client) run the opening handshake and return a
//!   [`WebSocket`]; [`WebSocket::split`] gives a [`WsReader`] and a [`WsWriter`] that can live in
//!   different tasks (one receives while the other sends).
//! * **Backpressure**: [`WsWriter::send`] returns once the message is written to the stream (it
//!   waits while the peer does not read). [`WsWriter::try_send`] never waits: it queues the
//!   message if the bytes not yet written stay within a cap ([`WsWriter::set_max_pending`],
//!   default [`DEFAULT_MAX_PENDING`]), writes what the
//!   stream takes at once, and says [`TrySendError::Full`] otherwise; the rest goes out with the
//!   next `send`, `flush` or `recv`.
//! * **Timers** (keepalive, pong and close timeouts) run while [`WsReader::recv`] is awaited:
//!   keep one task receiving, as with every WebSocket library.
//!
//! * [`tower`] (feature `tower`): a [`serve`] machine as a tower `Layer` mounted at its path
//!   inside an existing hyper or axum app, every other request passed to the app.
//! * [`serve`] runs a whole sans-IO server machine (a Socket.IO
//!   [`Server`](sockwire::socketio::server::Server) or an Engine.IO
//!   [`Endpoint`](sockwire::engineio::Endpoint): HTTP long-polling, WebSocket and upgrade on one
//!   listener) on a `TcpListener`.
//! * [`SioClient`]: a Socket.IO client (long-polling, WebSocket, upgrade) with acks and
//!   reconnection: the core's [`socketio::client::Client`](sockwire::socketio::client::Client)
//!   driven by one task that owns its connections and its timer.
//!
//! Lean by design: no read buffer is held while a connection is idle (it is allocated for a
//! read and released once every byte of it has been fed), and a connection spawns no task (the
//! Socket.IO client spawns its driver and one small task per TCP connection).

#[cfg(feature = "redis")]
pub mod redis;
mod server;
mod sio_client;
#[cfg(feature = "tower")]
pub mod tower;

#[cfg(feature = "redis")]
pub use redis::serve_cluster;
pub use server::{MAX_QUEUED_WRITES, Machine, WRITE_STALL_TIMEOUT, serve};
pub use sio_client::{SioClient, SioClientConfig, SioEvent};

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use sockwire::frame::CloseCode;
use sockwire::handshake::http::{HeadConfig, Header, Status};
use sockwire::handshake::{
    AcceptOptions, ClientHandshake, ClientOptions, ServerHandshake, ServerResponse,
};
use sockwire::ws::{Connection, ConnectionConfig, Event, MaskKeySource, NoMaskKeys};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::{Mutex, Notify};
use tokio::time::Instant;

/// Size of one read once data is flowing (allocated for the read, released when fed): a
/// 16 KiB message takes two reads (the small one, then one chunk), not four.
const READ_CHUNK: usize = 32 * 1024;
/// Size of the read an idle connection waits in (inline, no allocation).
const SMALL_READ: usize = 128;
/// Cap on the opening handshake's head (request or response).
const MAX_HEAD: usize = 16 * 1024;

/// Default of [`WsWriter::set_max_pending`]: 64 KiB.
pub const DEFAULT_MAX_PENDING: usize = 64 * 1024;

/// A whole message received or to send.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
}

/// Why [`WsWriter::try_send`] did not queue a message.
#[derive(Debug)]
#[non_exhaustive]
pub enum TrySendError {
    /// Queuing it would exceed the writer's cap on bytes not yet written
    /// ([`WsWriter::set_max_pending`]), or another call is writing right now:
    /// wait with [`WsWriter::send`] or [`WsWriter::flush`], or drop the message.
    Full,
    /// The connection refused it (closing or closed) or the stream failed.
    Io(io::Error),
}

impl std::fmt::Display for TrySendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrySendError::Full => f.write_str("outgoing queue full"),
            TrySendError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for TrySendError {}

/// What both halves share: the connection, the write half and the bytes not yet written.
struct Inner<S, K: MaskKeySource> {
    conn: Connection<K>,
    wr: WriteHalf<S>,
    /// Bytes taken from the connection by `try_send` that the stream has not accepted yet.
    pending: Vec<u8>,
}

struct Shared<S, K: MaskKeySource> {
    inner: Mutex<Inner<S, K>>,
    /// Woken after every command, so a reader waiting in `recv` re-reads the deadline.
    wake: Notify,
    start: Instant,
    max_pending: AtomicUsize,
}

impl<S, K: MaskKeySource> Shared<S, K> {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }
}

impl<S, K: MaskKeySource> std::fmt::Debug for Shared<S, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("max_pending", &self.max_pending)
            .finish_non_exhaustive()
    }
}

/// A WebSocket over `S`, driven by a sockwire [`Connection`]: the two halves together.
#[derive(Debug)]
pub struct WebSocket<S, K: MaskKeySource = NoMaskKeys> {
    reader: WsReader<S, K>,
    writer: WsWriter<S, K>,
}

/// The receiving half: reads the stream, feeds the connection, runs its timers.
#[derive(Debug)]
pub struct WsReader<S, K: MaskKeySource = NoMaskKeys> {
    io: ReadHalf<S>,
    shared: Arc<Shared<S, K>>,
    /// Bytes read but not yet fed; empty (no allocation) while idle.
    rbuf: Vec<u8>,
    eof: bool,
    /// Data is flowing in bulk (the last wait filled the small read): the next wait reads
    /// straight into a [`READ_CHUNK`] in `rbuf` (one read per large message, not two), which is
    /// kept between messages until a wait reads little or a timer fires.
    bulk: bool,
    /// A message received whose `recv` was dropped while flushing the replies it caused: handed
    /// out by the next `recv` (so `recv` is cancel-safe).
    ready: Option<Message>,
}

/// The sending half: queues messages and writes them out.
#[derive(Debug)]
pub struct WsWriter<S, K: MaskKeySource = NoMaskKeys> {
    shared: Arc<Shared<S, K>>,
}

impl<S, K: MaskKeySource> Clone for WsWriter<S, K> {
    fn clone(&self) -> Self {
        WsWriter {
            shared: Arc::clone(&self.shared),
        }
    }
}

/// Reads the opening handshake from `io`, answers it and returns the server WebSocket.
/// A refused handshake is answered with the core's error response and reported as an error.
pub async fn accept<S>(io: S, config: ConnectionConfig) -> io::Result<WebSocket<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // The handshake's state (parser, head buffer, write futures: ~600 bytes) lives on the heap
    // for the handshake only, not in every connection's task for its whole life: a spawned
    // future is as large as its largest await point, and tokio rounds each task up to 128 bytes.
    Box::pin(accept_inner(io, config)).await
}

async fn accept_inner<S>(mut io: S, config: ConnectionConfig) -> io::Result<WebSocket<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut server = ServerHandshake::new(HeadConfig::default());
    let mut buf = Vec::with_capacity(1024);
    loop {
        read_more(&mut io, &mut buf).await?;
        // On the heap: kept in the future, 128 slots would size every connection's task.
        let mut slots = vec![Header::EMPTY; 128];
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
                let conn = Connection::server(config);
                return Ok(WebSocket::from_upgraded(io, conn, rest));
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

/// Sends the opening handshake for `options` over `io` (a connected stream; TLS, if any, is
/// the caller's), verifies the server's answer and returns the client WebSocket. `keys`
/// supplies the frame masking keys (RFC 6455 §5.3 asks for an unpredictable source); the
/// handshake nonce is `options.nonce`. A non-101 answer is an error carrying its status.
pub async fn connect<S, K>(
    io: S,
    options: ClientOptions<'_>,
    config: ConnectionConfig,
    keys: K,
) -> io::Result<WebSocket<S, K>>
where
    S: AsyncRead + AsyncWrite + Unpin,
    K: MaskKeySource,
{
    // On the heap for the handshake only (see `accept`).
    Box::pin(connect_inner(io, options, config, keys)).await
}

async fn connect_inner<S, K>(
    mut io: S,
    options: ClientOptions<'_>,
    config: ConnectionConfig,
    keys: K,
) -> io::Result<WebSocket<S, K>>
where
    S: AsyncRead + AsyncWrite + Unpin,
    K: MaskKeySource,
{
    let mut hs = ClientHandshake::new(options).map_err(io::Error::other)?;
    let mut req = Vec::new();
    hs.encode_to_vec(&mut req);
    io.write_all(&req).await?;
    let mut buf = Vec::with_capacity(1024);
    loop {
        read_more(&mut io, &mut buf).await?;
        // On the heap: kept in the future, 128 slots would size every connection's task.
        let mut slots = vec![Header::EMPTY; 128];
        match hs
            .parse_response(&buf, &mut slots)
            .map_err(io::Error::other)?
        {
            Status::Partial => continue,
            Status::Complete(ServerResponse::Accepted(a)) => {
                let rest = buf[a.head_len()..].to_vec();
                let conn = Connection::client(config, keys);
                return Ok(WebSocket::from_upgraded(io, conn, rest));
            }
            Status::Complete(ServerResponse::NotUpgraded(r)) => {
                return Err(io::Error::other(format!(
                    "the server answered {} instead of 101",
                    r.status()
                )));
            }
        }
    }
}

/// Appends one read to `buf` (a handshake head), failing past [`MAX_HEAD`] or at EOF.
async fn read_more<S: AsyncRead + Unpin>(io: &mut S, buf: &mut Vec<u8>) -> io::Result<()> {
    if buf.len() >= MAX_HEAD {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "handshake head too large",
        ));
    }
    let old = buf.len();
    buf.resize(old + 1024, 0);
    let n = io.read(&mut buf[old..]).await?;
    buf.truncate(old + n);
    if n == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

impl<S: AsyncRead + AsyncWrite, K: MaskKeySource> WebSocket<S, K> {
    /// Wraps a stream whose opening handshake is done; `rest` are the bytes read after it.
    pub fn from_upgraded(io: S, conn: Connection<K>, rest: Vec<u8>) -> Self {
        let (rd, wr) = tokio::io::split(io);
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                conn,
                wr,
                pending: Vec::new(),
            }),
            wake: Notify::new(),
            start: Instant::now(),
            max_pending: AtomicUsize::new(DEFAULT_MAX_PENDING),
        });
        WebSocket {
            reader: WsReader {
                io: rd,
                shared: Arc::clone(&shared),
                rbuf: rest,
                eof: false,
                bulk: false,
                ready: None,
            },
            writer: WsWriter { shared },
        }
    }

    /// The two halves, for a receiving task and any number of sending ones.
    pub fn split(self) -> (WsReader<S, K>, WsWriter<S, K>) {
        (self.reader, self.writer)
    }

    /// See [`WsReader::recv`].
    pub async fn recv(&mut self) -> io::Result<Option<Message>> {
        self.reader.recv().await
    }

    /// See [`WsWriter::send`].
    pub async fn send(&mut self, msg: &Message) -> io::Result<()> {
        self.writer.send(msg).await
    }

    /// See [`WsWriter::try_send`].
    pub fn try_send(&mut self, msg: &Message) -> Result<(), TrySendError> {
        self.writer.try_send(msg)
    }

    /// See [`WsWriter::close`].
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> io::Result<()> {
        self.writer.close(code, reason).await
    }

    /// See [`WsWriter::inspect`].
    pub async fn inspect<R>(&self, f: impl FnOnce(&Connection<K>) -> R) -> R {
        self.writer.inspect(f).await
    }
}

/// Writes the queued bytes, then everything the connection has to send, and flushes.
///
/// Cancel-safe: the connection's output is first moved behind the queued bytes, and each write
/// removes only what the stream took, so a flush dropped at any await (a `select!` that chose
/// another branch) loses nothing; the next one carries on.
async fn flush<S: AsyncWrite, K: MaskKeySource>(inner: &mut Inner<S, K>) -> io::Result<()> {
    take_output(inner)?;
    let mut at = 0;
    while at < inner.pending.len() {
        let n = match inner.wr.write(&inner.pending[at..]).await {
            Ok(0) => Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => Ok(n),
            Err(e) => Err(e),
        };
        match n {
            Ok(n) => at += n,
            Err(e) => {
                inner.pending.drain(..at);
                return Err(e);
            }
        }
        // Record progress before the next await point.
        inner.pending.drain(..at);
        at = 0;
    }
    inner.pending = Vec::new(); // nothing held while idle
    inner.wr.flush().await
}

/// Takes the connection's output. With nothing queued before it, it is written straight from
/// the connection's buffer, without waiting, and only what the stream did not take is copied
/// to `pending` (the common case copies nothing and allocates nothing); otherwise it is
/// appended to `pending` to keep the order. No await: nothing handed out can be lost.
fn take_output<S: AsyncWrite, K: MaskKeySource>(inner: &mut Inner<S, K>) -> io::Result<()> {
    let Inner { conn, wr, pending } = inner;
    while let Some(bytes) = conn.poll_transmit() {
        if !pending.is_empty() {
            pending.extend_from_slice(bytes);
            continue;
        }
        let mut cx = Context::from_waker(Waker::noop());
        let mut at = 0;
        while at < bytes.len() {
            match Pin::new(&mut *wr).poll_write(&mut cx, &bytes[at..]) {
                Poll::Ready(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
                Poll::Ready(Ok(n)) => at += n,
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => break,
            }
        }
        pending.extend_from_slice(&bytes[at..]);
    }
    Ok(())
}

/// Moves the connection's output behind the queued bytes and writes what the stream takes
/// without waiting.
fn write_now<S: AsyncWrite, K: MaskKeySource>(inner: &mut Inner<S, K>) -> io::Result<()> {
    take_output(inner)?;
    let mut cx = Context::from_waker(Waker::noop());
    let mut at = 0;
    while at < inner.pending.len() {
        match Pin::new(&mut inner.wr).poll_write(&mut cx, &inner.pending[at..]) {
            Poll::Ready(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
            Poll::Ready(Ok(n)) => at += n,
            Poll::Ready(Err(e)) => return Err(e),
            Poll::Pending => break,
        }
    }
    inner.pending.drain(..at);
    if inner.pending.is_empty() {
        inner.pending = Vec::new(); // nothing held while idle
    }
    Ok(())
}

/// Reads at least [`READ_CHUNK`] bytes' worth of room straight into `rbuf`'s spare capacity
/// (no zeroing, no second copy) with tokio's `read_buf`, which is cancel safe: a pending read
/// leaves nothing behind.
fn poll_read_spare<R: AsyncRead>(
    io: &mut ReadHalf<R>,
    rbuf: &mut Vec<u8>,
    cx: &mut Context<'_>,
) -> Poll<io::Result<usize>> {
    rbuf.reserve(READ_CHUNK);
    std::pin::pin!(io.read_buf(rbuf)).poll(cx)
}

impl<S: AsyncRead + AsyncWrite, K: MaskKeySource> WsReader<S, K> {
    /// Appends to `rbuf` what the stream has ready right now (up to [`READ_CHUNK`] bytes),
    /// without waiting.
    fn read_more_now(&mut self) -> io::Result<()> {
        let mut cx = Context::from_waker(Waker::noop());
        match poll_read_spare(&mut self.io, &mut self.rbuf, &mut cx) {
            Poll::Ready(Ok(0)) => {
                self.eof = true;
                Ok(())
            }
            Poll::Ready(Ok(_)) | Poll::Pending => Ok(()),
            Poll::Ready(Err(e)) => Err(e),
        }
    }

    /// Waits for the next message. `Ok(None)` once the connection is over (closing handshake
    /// done, protocol error answered with its Close, EOF or timeout); [`WsWriter::inspect`]
    /// with [`Connection::peer_close_code`] and [`Connection::error`] says how.
    ///
    /// Cancel-safe: dropped before it returns (in a `select!`), it loses no message and no
    /// reply; the next call carries on.
    pub async fn recv(&mut self) -> io::Result<Option<Message>> {
        let shared = Arc::clone(&self.shared);
        if self.ready.is_some() {
            flush(&mut *shared.inner.lock().await).await?;
            return Ok(self.ready.take());
        }
        loop {
            // Feed what is buffered, one event at a time.
            while !self.rbuf.is_empty() {
                let mut inner = shared.inner.lock().await;
                let fed = inner.conn.handle_read(shared.now(), &mut self.rbuf);
                let mut msg = None;
                while let Some(ev) = inner.conn.poll_event() {
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
                    Err(_) => self.rbuf.clear(),
                }
                if self.rbuf.is_empty() && !self.bulk {
                    self.rbuf = Vec::new(); // release: nothing held while idle
                }
                self.ready = msg;
                flush(&mut inner).await?;
                if self.ready.is_some() {
                    return Ok(self.ready.take());
                }
            }
            let deadline = {
                let mut inner = shared.inner.lock().await;
                if self.eof && !inner.conn.is_closed() {
                    // (Idempotent: after EOF the connection is terminal.)
                    inner.conn.handle_eof(shared.now());
                }
                flush(&mut inner).await?;
                if inner.conn.should_close_tcp() || inner.conn.is_closed() || self.eof {
                    let _ = inner.wr.shutdown().await;
                    return Ok(None);
                }
                inner.conn.poll_timeout().map(|at| shared.start + at)
            };
            // An idle connection waits with a small buffer only (no 8 KiB allocation per idle
            // connection); when that fills, what else is already there is read at once into a
            // full chunk. Only bytes actually read ever reach `rbuf`, so a `recv` dropped while
            // waiting here leaves nothing behind.
            let mut small = [0u8; SMALL_READ];
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            let bulk = self.bulk && self.rbuf.is_empty();
            let (io, rbuf) = (&mut self.io, &mut self.rbuf);
            // No stored read future (a poll function): the task stays as small as before.
            let read = std::future::poll_fn(|cx| {
                if bulk {
                    poll_read_spare(io, rbuf, cx)
                } else {
                    let mut rb = tokio::io::ReadBuf::new(&mut small);
                    Pin::new(&mut *io)
                        .poll_read(cx, &mut rb)
                        .map_ok(|()| rb.filled().len())
                }
            });
            tokio::select! {
                read = read => match read {
                    Ok(0) => self.eof = true, // told to the connection under the lock above
                    Ok(n) if bulk => {
                        if n <= SMALL_READ {
                            self.bulk = false; // little data: back to the lean wait
                        } else if n == READ_CHUNK {
                            self.read_more_now()?;
                        }
                    }
                    Ok(n) => {
                        self.rbuf.extend_from_slice(&small[..n]);
                        if n == SMALL_READ {
                            self.bulk = true;
                            self.read_more_now()?;
                        }
                    }
                    Err(e) => return Err(e),
                },
                () = sleep => {
                    // A timer means a pause: drop the bulk read buffer if nothing is in it.
                    self.bulk = false;
                    if self.rbuf.is_empty() {
                        self.rbuf = Vec::new();
                    }
                    shared.inner.lock().await.conn.handle_timeout(shared.now());
                }
                () = shared.wake.notified() => {
                    // A command changed the connection (a Close, a new deadline): look again.
                }
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite, K: MaskKeySource> WsWriter<S, K> {
    /// Sends a message and writes it out: returns once the stream took every byte (waits while
    /// the peer does not read: backpressure). Dropped while waiting, the message still goes
    /// out with the next write (it was queued at the first poll).
    pub async fn send(&self, msg: &Message) -> io::Result<()> {
        let mut inner = self.shared.inner.lock().await;
        let r = match msg {
            Message::Text(t) => inner.conn.send_text(t),
            Message::Binary(b) => inner.conn.send_binary(b),
        };
        r.map_err(io::Error::other)?;
        let r = flush(&mut inner).await;
        self.shared.wake.notify_one();
        r
    }

    /// Queues a message without waiting; see [`TrySendError`] and [`set_max_pending`](Self::set_max_pending).
    pub fn try_send(&self, msg: &Message) -> Result<(), TrySendError> {
        let Ok(mut inner) = self.shared.inner.try_lock() else {
            return Err(TrySendError::Full);
        };
        let len = match msg {
            Message::Text(t) => t.len(),
            Message::Binary(b) => b.len(),
        };
        if inner.pending.len() + len > self.shared.max_pending.load(Ordering::Relaxed) {
            return Err(TrySendError::Full);
        }
        let r = match msg {
            Message::Text(t) => inner.conn.send_text(t),
            Message::Binary(b) => inner.conn.send_binary(b),
        };
        r.map_err(|e| TrySendError::Io(io::Error::other(e)))?;
        let r = write_now(&mut inner).map_err(TrySendError::Io);
        self.shared.wake.notify_one();
        r
    }

    /// Sets the most bytes [`try_send`](Self::try_send) may leave queued, not yet taken by the
    /// stream (default [`DEFAULT_MAX_PENDING`]); a message larger than this is refused by
    /// `try_send` (use [`send`](Self::send)). Shared by every clone of the writer.
    pub fn set_max_pending(&self, bytes: usize) {
        self.shared.max_pending.store(bytes, Ordering::Relaxed);
    }

    /// Writes everything queued (by `try_send`, or replies the connection owes).
    pub async fn flush(&self) -> io::Result<()> {
        let mut inner = self.shared.inner.lock().await;
        flush(&mut inner).await
    }

    /// Starts the closing handshake; keep calling [`WsReader::recv`] until `None` to finish it
    /// (the core's close timeout ends it if the peer never answers).
    pub async fn close(&self, code: CloseCode, reason: &str) -> io::Result<()> {
        let mut inner = self.shared.inner.lock().await;
        inner.conn.close(code, reason).map_err(io::Error::other)?;
        let r = flush(&mut inner).await;
        self.shared.wake.notify_one();
        r
    }

    /// Runs `f` on the sans-IO connection (state, close codes, error).
    pub async fn inspect<R>(&self, f: impl FnOnce(&Connection<K>) -> R) -> R {
        f(&self.shared.inner.lock().await.conn)
    }
}
