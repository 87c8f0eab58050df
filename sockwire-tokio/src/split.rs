//! The halves of a split [`WebSocket`](crate::WebSocket): a [`WsReader`] that receives and runs
//! the timers, and [`WsWriter`]s that send from other tasks, sharing the connection behind an
//! async lock.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sockwire::frame::CloseCode;
use sockwire::ws::{Connection, MaskKeySource, NoMaskKeys};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::{Mutex, Notify};
use tokio::time::Instant;

use crate::websocket::{ReadState, flush, queue, send_vectored, try_queue, write_now};
use crate::{Message, SMALL_READ, TrySendError};

/// What both halves share: the connection, the write half and the bytes not yet written.
struct Inner<S, K: MaskKeySource> {
    conn: Connection<K>,
    wr: WriteHalf<S>,
    /// Bytes taken from the connection that the stream has not accepted yet.
    pending: Vec<u8>,
}

impl<S: AsyncWrite, K: MaskKeySource> Inner<S, K> {
    async fn flush(&mut self) -> io::Result<()> {
        flush(&mut self.conn, &mut self.wr, &mut self.pending).await
    }
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

/// The receiving half: reads the stream, feeds the connection, runs its timers.
#[derive(Debug)]
pub struct WsReader<S, K: MaskKeySource = NoMaskKeys> {
    io: ReadHalf<S>,
    shared: Arc<Shared<S, K>>,
    rd: ReadState,
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

/// Splits a whole WebSocket's parts into the two halves.
pub(crate) fn split<S: AsyncRead + AsyncWrite, K: MaskKeySource>(
    io: S,
    conn: Connection<K>,
    pending: Vec<u8>,
    rd: ReadState,
    start: Instant,
    max_pending: usize,
) -> (WsReader<S, K>, WsWriter<S, K>) {
    let (rio, wr) = tokio::io::split(io);
    let shared = Arc::new(Shared {
        inner: Mutex::new(Inner { conn, wr, pending }),
        wake: Notify::new(),
        start,
        max_pending: AtomicUsize::new(max_pending),
    });
    let reader = WsReader {
        io: rio,
        shared: Arc::clone(&shared),
        rd,
    };
    (reader, WsWriter { shared })
}

impl<S: AsyncRead + AsyncWrite, K: MaskKeySource> WsReader<S, K> {
    /// Waits for the next message. `Ok(None)` once the connection is over (closing handshake
    /// done, protocol error answered with its Close, EOF or timeout); [`WsWriter::inspect`]
    /// with [`Connection::peer_close_code`] and [`Connection::error`] says how.
    ///
    /// Cancel-safe: dropped before it returns (in a `select!`), it loses no message and no
    /// reply; the next call carries on.
    pub async fn recv(&mut self) -> io::Result<Option<Message>> {
        let shared = Arc::clone(&self.shared);
        if self.rd.ready.is_some() {
            shared.inner.lock().await.flush().await?;
            return Ok(self.rd.ready.take());
        }
        loop {
            while self.rd.has_buffered() {
                let mut inner = shared.inner.lock().await;
                self.rd.feed(&mut inner.conn, shared.now());
                inner.flush().await?;
                if self.rd.ready.is_some() {
                    return Ok(self.rd.ready.take());
                }
            }
            let deadline = {
                let mut inner = shared.inner.lock().await;
                if self.rd.eof() && !inner.conn.is_closed() {
                    // (Idempotent: after EOF the connection is terminal.)
                    inner.conn.handle_eof(shared.now());
                }
                inner.flush().await?;
                if inner.conn.should_close_tcp() || inner.conn.is_closed() || self.rd.eof() {
                    let _ = inner.wr.shutdown().await;
                    return Ok(None);
                }
                inner.conn.poll_timeout().map(|at| shared.start + at)
            };
            let mut small = [0u8; SMALL_READ];
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            let bulk = self.rd.waits_in_bulk();
            let (rd, io) = (&mut self.rd, &mut self.io);
            // No stored read future (a poll function): the task stays as small as before.
            let read = std::future::poll_fn(|cx| rd.poll_wait(bulk, io, &mut small, cx));
            tokio::select! {
                read = read => self.rd.after_wait(bulk, &mut self.io, read, &small)?,
                () = sleep => {
                    self.rd.after_timer();
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
        let Inner { conn, wr, pending } = &mut *inner;
        if !send_vectored(conn, wr, pending, msg)? {
            queue(conn, msg)?;
        }
        let r = inner.flush().await;
        self.shared.wake.notify_one();
        r
    }

    /// Queues a message without waiting; see [`TrySendError`] and [`set_max_pending`](Self::set_max_pending).
    pub fn try_send(&self, msg: &Message) -> Result<(), TrySendError> {
        let Ok(mut inner) = self.shared.inner.try_lock() else {
            return Err(TrySendError::Full);
        };
        let Inner { conn, wr, pending } = &mut *inner;
        let max = self.shared.max_pending.load(Ordering::Relaxed);
        try_queue(conn, pending, max, msg)?;
        let r = write_now(conn, wr, pending).map_err(TrySendError::Io);
        self.shared.wake.notify_one();
        r
    }

    /// Sets the most bytes [`try_send`](Self::try_send) may leave queued, not yet taken by the
    /// stream (default [`DEFAULT_MAX_PENDING`](crate::DEFAULT_MAX_PENDING)); a message larger
    /// than this is refused by `try_send` (use [`send`](Self::send)). Shared by every clone of
    /// the writer.
    pub fn set_max_pending(&self, bytes: usize) {
        self.shared.max_pending.store(bytes, Ordering::Relaxed);
    }

    /// Writes everything queued (by `try_send`, or replies the connection owes).
    pub async fn flush(&self) -> io::Result<()> {
        self.shared.inner.lock().await.flush().await
    }

    /// Starts the closing handshake; keep calling [`WsReader::recv`] until `None` to finish it
    /// (the core's close timeout ends it if the peer never answers).
    pub async fn close(&self, code: CloseCode, reason: &str) -> io::Result<()> {
        let mut inner = self.shared.inner.lock().await;
        inner.conn.close(code, reason).map_err(io::Error::other)?;
        let r = inner.flush().await;
        self.shared.wake.notify_one();
        r
    }

    /// Runs `f` on the sans-IO connection (state, close codes, error).
    pub async fn inspect<R>(&self, f: impl FnOnce(&Connection<K>) -> R) -> R {
        f(&self.shared.inner.lock().await.conn)
    }
}
