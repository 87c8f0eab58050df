//! [`WebSocket`]: one task owns the stream and the connection (no lock, no shared state), and
//! the pieces both it and the split halves ([`crate::split`]) are made of: the read state that
//! feeds the connection, and the writes of its output.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use sockwire::Role;
use sockwire::frame::CloseCode;
use sockwire::ws::{Connection, MaskKeySource, MessageKind, NoMaskKeys};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

use crate::split::{WsReader, WsWriter};
use crate::{DEFAULT_MAX_PENDING, Message, READ_CHUNK, SMALL_READ, TrySendError};

/// A WebSocket over `S`, driven by a sockwire [`Connection`], owned by one task: `recv` and
/// `send` take `&mut self` and work on the stream directly (no lock). [`split`](Self::split)
/// gives halves for a receiving task and any number of sending ones.
#[derive(Debug)]
pub struct WebSocket<S, K: MaskKeySource = NoMaskKeys> {
    io: S,
    conn: Connection<K>,
    /// Bytes taken from the connection that the stream has not accepted yet.
    pending: Vec<u8>,
    rd: ReadState,
    start: Instant,
    max_pending: usize,
}

/// What the receiving side keeps between reads.
#[derive(Debug)]
pub(crate) struct ReadState {
    /// Bytes read; those from `rpos` on are not fed yet. Empty (no allocation) while idle.
    rbuf: Vec<u8>,
    /// How much of `rbuf` is fed (kept as an offset, not drained: no move of what follows).
    rpos: usize,
    eof: bool,
    /// Data is flowing in bulk (the last wait filled the small read): the next wait reads
    /// straight into a [`READ_CHUNK`] in `rbuf` (one read per large message, not two), which is
    /// kept between messages until a wait reads little or a timer fires.
    bulk: bool,
    /// A message received whose `recv` was dropped while flushing the replies it caused: handed
    /// out by the next `recv` (so `recv` is cancel-safe).
    pub(crate) ready: Option<Message>,
}

impl ReadState {
    pub(crate) fn new(rest: Vec<u8>) -> Self {
        ReadState {
            rbuf: rest,
            rpos: 0,
            eof: false,
            bulk: false,
            ready: None,
        }
    }

    pub(crate) fn has_buffered(&self) -> bool {
        self.rpos < self.rbuf.len()
    }

    pub(crate) fn eof(&self) -> bool {
        self.eof
    }

    /// Feeds what is buffered to the connection up to its next event; a whole message goes to
    /// `ready` (the caller writes the replies, then hands it out).
    pub(crate) fn feed<K: MaskKeySource>(&mut self, conn: &mut Connection<K>, now: Duration) {
        let fed = conn.handle_read(now, &mut self.rbuf[self.rpos..]);
        self.take_message(conn);
        match fed {
            Ok(n) => self.rpos += n,
            Err(_) => self.rpos = self.rbuf.len(),
        }
        if self.rpos == self.rbuf.len() {
            self.rpos = 0;
            if self.bulk {
                self.rbuf.clear(); // kept for the next bulk read
            } else {
                self.rbuf = Vec::new(); // release: nothing held while idle
            }
        }
    }

    /// Feeds a small read straight from the stack buffer it landed in (the connection owns
    /// the stream alone, so it can be fed at once): no copy into `rbuf` and no allocation for
    /// the common small message; only bytes the connection did not take yet go to `rbuf`.
    /// `false`, with nothing done, when the read was not a lone small one (the caller takes the
    /// usual way).
    pub(crate) fn feed_small<K: MaskKeySource>(
        &mut self,
        conn: &mut Connection<K>,
        now: Duration,
        read: &io::Result<usize>,
        small: &mut [u8; SMALL_READ],
    ) -> bool {
        let n = match read {
            Ok(n) if (1..SMALL_READ).contains(n) && self.rbuf.is_empty() && !self.bulk => *n,
            _ => return false,
        };
        let taken = match conn.handle_read(now, &mut small[..n]) {
            Ok(taken) => taken,
            Err(_) => n, // the connection is terminal: the rest is of no use
        };
        self.take_message(conn);
        self.rbuf.extend_from_slice(&small[taken..n]);
        true
    }

    /// Takes the message the connection has, as the buffer it was assembled in (no copy),
    /// and drains the other events (the connection acts on them itself).
    fn take_message<K: MaskKeySource>(&mut self, conn: &mut Connection<K>) {
        loop {
            if let Some(m) = conn.take_message() {
                self.ready = Some(m);
            } else if conn.poll_event().is_none() {
                return;
            }
        }
    }

    /// Polls the wait for more bytes: an idle connection waits with the small inline buffer
    /// `small` (no 8 KiB allocation per idle connection), a bulk one straight into `rbuf`. Only
    /// bytes actually read reach `rbuf`, so a wait dropped here leaves nothing behind.
    pub(crate) fn poll_wait<R: AsyncRead + Unpin>(
        &mut self,
        bulk: bool,
        io: &mut R,
        small: &mut [u8; SMALL_READ],
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<usize>> {
        if bulk {
            poll_read_spare(io, &mut self.rbuf, cx)
        } else {
            let mut rb = tokio::io::ReadBuf::new(small);
            Pin::new(io)
                .poll_read(cx, &mut rb)
                .map_ok(|()| rb.filled().len())
        }
    }

    /// Whether the next wait reads straight into a chunk of `rbuf` (see `bulk`).
    pub(crate) fn waits_in_bulk(&self) -> bool {
        self.bulk && self.rbuf.is_empty()
    }

    /// Takes the result of [`poll_wait`](Self::poll_wait) in the same mode; when the read came
    /// full, what else is already there is read at once.
    pub(crate) fn after_wait<R: AsyncRead + Unpin>(
        &mut self,
        bulk: bool,
        io: &mut R,
        read: io::Result<usize>,
        small: &[u8; SMALL_READ],
    ) -> io::Result<()> {
        match read? {
            0 => self.eof = true, // told to the connection by the caller
            n if bulk => {
                // The chunk was read into `rbuf` already.
                if n <= SMALL_READ {
                    self.bulk = false; // little data: back to the lean wait
                } else if n == READ_CHUNK {
                    self.read_more_now(io)?;
                }
            }
            n => {
                self.rbuf.extend_from_slice(&small[..n]);
                if n == SMALL_READ {
                    self.bulk = true;
                    self.read_more_now(io)?;
                }
            }
        }
        Ok(())
    }

    /// A timer fired: a pause, so the bulk read buffer goes if nothing is in it.
    pub(crate) fn after_timer(&mut self) {
        self.bulk = false;
        if self.rbuf.is_empty() {
            self.rbuf = Vec::new();
        }
    }

    /// Appends to `rbuf` what the stream has ready right now (up to [`READ_CHUNK`] bytes),
    /// without waiting.
    fn read_more_now<R: AsyncRead + Unpin>(&mut self, io: &mut R) -> io::Result<()> {
        let mut cx = Context::from_waker(Waker::noop());
        match poll_read_spare(io, &mut self.rbuf, &mut cx) {
            Poll::Ready(Ok(0)) => {
                self.eof = true;
                Ok(())
            }
            Poll::Ready(Ok(_)) | Poll::Pending => Ok(()),
            Poll::Ready(Err(e)) => Err(e),
        }
    }
}

/// Reads at least [`READ_CHUNK`] bytes' worth of room straight into `rbuf`'s spare capacity
/// (no zeroing, no second copy) with tokio's `read_buf`, which is cancel safe: a pending read
/// leaves nothing behind. (A bulk `rbuf` is wholly fed before the next wait, so its spare
/// capacity never grows past one chunk.)
fn poll_read_spare<R: AsyncRead + Unpin>(
    io: &mut R,
    rbuf: &mut Vec<u8>,
    cx: &mut Context<'_>,
) -> Poll<io::Result<usize>> {
    rbuf.reserve(READ_CHUNK);
    std::pin::pin!(io.read_buf(rbuf)).poll(cx)
}

/// Writes the queued bytes, then everything the connection has to send, and flushes.
///
/// Cancel-safe: the connection's output is first moved behind the queued bytes, and each write
/// removes only what the stream took, so a flush dropped at any await (a `select!` that chose
/// another branch) loses nothing; the next one carries on.
pub(crate) async fn flush<W: AsyncWrite + Unpin, K: MaskKeySource>(
    conn: &mut Connection<K>,
    wr: &mut W,
    pending: &mut Vec<u8>,
) -> io::Result<()> {
    take_output(conn, wr, pending)?;
    while !pending.is_empty() {
        match wr.write(pending).await {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            // Record progress before the next await point.
            Ok(n) => drop(pending.drain(..n)),
            Err(e) => return Err(e),
        }
    }
    *pending = Vec::new(); // nothing held while idle
    wr.flush().await
}

/// Takes the connection's output. With nothing queued before it, it is written straight from
/// the connection's buffer, without waiting, and only what the stream did not take is copied
/// to `pending` (the common case copies nothing and allocates nothing); otherwise it is
/// appended to `pending` to keep the order. No await: nothing handed out can be lost.
fn take_output<W: AsyncWrite + Unpin, K: MaskKeySource>(
    conn: &mut Connection<K>,
    wr: &mut W,
    pending: &mut Vec<u8>,
) -> io::Result<()> {
    while let Some(bytes) = conn.poll_transmit() {
        if !pending.is_empty() {
            pending.extend_from_slice(bytes);
            continue;
        }
        let at = write_ready(wr, bytes)?;
        pending.extend_from_slice(&bytes[at..]);
    }
    Ok(())
}

/// Writes what the stream takes of `bytes` without waiting; how much it took.
fn write_ready<W: AsyncWrite + Unpin>(wr: &mut W, bytes: &[u8]) -> io::Result<usize> {
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
    Ok(at)
}

/// Moves the connection's output behind the queued bytes and writes what the stream takes
/// without waiting.
pub(crate) fn write_now<W: AsyncWrite + Unpin, K: MaskKeySource>(
    conn: &mut Connection<K>,
    wr: &mut W,
    pending: &mut Vec<u8>,
) -> io::Result<()> {
    take_output(conn, wr, pending)?;
    let at = write_ready(wr, pending)?;
    pending.drain(..at);
    if pending.is_empty() {
        *pending = Vec::new(); // nothing held while idle
    }
    Ok(())
}

/// Messages from this size on are written by a server with one vectored write of the frame
/// header and the message itself (no copy into the connection's output); smaller ones are
/// cheaper copied.
const VECTORED_MIN: usize = 2048;

/// Writes a large message of a server connection straight from `msg` (header and payload in
/// one vectored write, what the stream does not take at once copied to `pending`). `false`,
/// with nothing done, when it does not apply: a small message, a client connection (which
/// masks), compression, a stream without vectored writes, or bytes still queued before it.
pub(crate) fn send_vectored<W: AsyncWrite + Unpin, K: MaskKeySource>(
    conn: &mut Connection<K>,
    wr: &mut W,
    pending: &mut Vec<u8>,
    msg: &Message,
) -> io::Result<bool> {
    let (kind, payload) = match msg {
        Message::Text(t) => (MessageKind::Text, t.as_bytes()),
        Message::Binary(b) => (MessageKind::Binary, &b[..]),
    };
    if payload.len() < VECTORED_MIN
        || conn.role() != Role::Server
        || conn.codec().is_some()
        || !wr.is_write_vectored()
    {
        return Ok(false);
    }
    take_output(conn, wr, pending)?;
    if !pending.is_empty() {
        return Ok(false);
    }
    let header = conn
        .send_frame_vectored_unmasked(kind, true, payload)
        .map_err(io::Error::other)?;
    let header = header.as_slice();
    let total = header.len() + payload.len();
    let mut cx = Context::from_waker(Waker::noop());
    let mut at = 0;
    while at < total {
        let bufs = if at < header.len() {
            [io::IoSlice::new(&header[at..]), io::IoSlice::new(payload)]
        } else {
            [
                io::IoSlice::new(&payload[at - header.len()..]),
                io::IoSlice::new(&[]),
            ]
        };
        match Pin::new(&mut *wr).poll_write_vectored(&mut cx, &bufs) {
            Poll::Ready(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
            Poll::Ready(Ok(n)) => at += n,
            Poll::Ready(Err(e)) => return Err(e),
            Poll::Pending => break,
        }
    }
    // The rest, in order, before anything the connection sends later.
    if at < header.len() {
        pending.extend_from_slice(&header[at..]);
        pending.extend_from_slice(payload);
    } else {
        pending.extend_from_slice(&payload[at - header.len()..]);
    }
    Ok(true)
}

/// Queues `msg` on the connection.
pub(crate) fn queue<K: MaskKeySource>(conn: &mut Connection<K>, msg: &Message) -> io::Result<()> {
    match msg {
        Message::Text(t) => conn.send_text(t),
        Message::Binary(b) => conn.send_binary(b),
    }
    .map_err(io::Error::other)
}

/// The checks of `try_send` before queuing: the cap on bytes not yet written.
pub(crate) fn try_queue<K: MaskKeySource>(
    conn: &mut Connection<K>,
    pending: &[u8],
    max_pending: usize,
    msg: &Message,
) -> Result<(), TrySendError> {
    let len = match msg {
        Message::Text(t) => t.len(),
        Message::Binary(b) => b.len(),
    };
    if pending.len() + len > max_pending {
        return Err(TrySendError::Full);
    }
    queue(conn, msg).map_err(TrySendError::Io)
}

impl<S: AsyncRead + AsyncWrite + Unpin, K: MaskKeySource> WebSocket<S, K> {
    /// Wraps a stream whose opening handshake is done; `rest` are the bytes read after it.
    pub fn from_upgraded(io: S, conn: Connection<K>, rest: Vec<u8>) -> Self {
        WebSocket {
            io,
            conn,
            pending: Vec::new(),
            rd: ReadState::new(rest),
            start: Instant::now(),
            max_pending: DEFAULT_MAX_PENDING,
        }
    }

    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    async fn flush_all(&mut self) -> io::Result<()> {
        flush(&mut self.conn, &mut self.io, &mut self.pending).await
    }

    /// Waits for the next message. `Ok(None)` once the connection is over (closing handshake
    /// done, protocol error answered with its Close, EOF or timeout); [`inspect`](Self::inspect)
    /// with [`Connection::peer_close_code`] and [`Connection::error`] says how. The timers
    /// (keepalive, pong and close timeouts) run while this is awaited.
    ///
    /// Cancel-safe: dropped before it returns (in a `select!`), it loses no message and no
    /// reply; the next call carries on.
    pub async fn recv(&mut self) -> io::Result<Option<Message>> {
        if self.rd.ready.is_some() {
            self.flush_all().await?;
            return Ok(self.rd.ready.take());
        }
        loop {
            while self.rd.has_buffered() {
                let now = self.now();
                self.rd.feed(&mut self.conn, now);
                self.flush_all().await?;
                if self.rd.ready.is_some() {
                    return Ok(self.rd.ready.take());
                }
            }
            if self.rd.eof() && !self.conn.is_closed() {
                // (Idempotent: after EOF the connection is terminal.)
                let now = self.now();
                self.conn.handle_eof(now);
            }
            self.flush_all().await?;
            if self.conn.should_close_tcp() || self.conn.is_closed() || self.rd.eof() {
                let _ = self.io.shutdown().await;
                return Ok(None);
            }
            let deadline = self.conn.poll_timeout().map(|at| self.start + at);
            let mut small = [0u8; SMALL_READ];
            let bulk = self.rd.waits_in_bulk();
            let (rd, io) = (&mut self.rd, &mut self.io);
            let read = std::future::poll_fn(|cx| rd.poll_wait(bulk, io, &mut small, cx));
            // No timer armed (no keepalive, nothing closing): the read alone, no select.
            let read = match deadline {
                None => Some(read.await),
                Some(d) => tokio::select! {
                    biased;
                    r = read => Some(r),
                    () = tokio::time::sleep_until(d) => None,
                },
            };
            match read {
                Some(r) => {
                    let now = self.now();
                    if self.rd.feed_small(&mut self.conn, now, &r, &mut small) {
                        self.flush_all().await?;
                        if self.rd.ready.is_some() {
                            return Ok(self.rd.ready.take());
                        }
                    } else {
                        self.rd.after_wait(bulk, &mut self.io, r, &small)?;
                    }
                }
                None => {
                    self.rd.after_timer();
                    let now = self.now();
                    self.conn.handle_timeout(now);
                }
            }
        }
    }

    /// Sends a message and writes it out: returns once the stream took every byte (waits while
    /// the peer does not read: backpressure). Dropped while waiting, the message still goes
    /// out with the next write (it was queued at the first poll).
    pub async fn send(&mut self, msg: &Message) -> io::Result<()> {
        if !send_vectored(&mut self.conn, &mut self.io, &mut self.pending, msg)? {
            queue(&mut self.conn, msg)?;
        }
        self.flush_all().await
    }

    /// Queues a message without waiting: it is written as far as the stream takes it at once,
    /// the rest with the next `send`, `flush` or `recv`. [`TrySendError::Full`] when the bytes
    /// not yet written would exceed [`set_max_pending`](Self::set_max_pending)'s cap.
    pub fn try_send(&mut self, msg: &Message) -> Result<(), TrySendError> {
        try_queue(&mut self.conn, &self.pending, self.max_pending, msg)?;
        write_now(&mut self.conn, &mut self.io, &mut self.pending).map_err(TrySendError::Io)
    }

    /// Sets the most bytes [`try_send`](Self::try_send) may leave queued, not yet taken by the
    /// stream (default [`DEFAULT_MAX_PENDING`]); kept by [`split`](Self::split).
    pub fn set_max_pending(&mut self, bytes: usize) {
        self.max_pending = bytes;
    }

    /// Writes everything queued (by `try_send`, or replies the connection owes).
    pub async fn flush(&mut self) -> io::Result<()> {
        self.flush_all().await
    }

    /// Starts the closing handshake; keep calling [`recv`](Self::recv) until `None` to finish
    /// it (the core's close timeout ends it if the peer never answers).
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> io::Result<()> {
        self.conn.close(code, reason).map_err(io::Error::other)?;
        self.flush_all().await
    }

    /// Runs `f` on the sans-IO connection (state, close codes, error) at once; the answer
    /// comes as a ready future, to be awaited like [`WsWriter::inspect`]'s.
    pub fn inspect<R>(&self, f: impl FnOnce(&Connection<K>) -> R) -> std::future::Ready<R> {
        std::future::ready(f(&self.conn))
    }

    /// The two halves, for a receiving task and any number of sending ones (they share the
    /// connection behind a lock). Nothing buffered or queued is lost.
    pub fn split(self) -> (WsReader<S, K>, WsWriter<S, K>) {
        crate::split::split(
            self.io,
            self.conn,
            self.pending,
            self.rd,
            self.start,
            self.max_pending,
        )
    }
}
