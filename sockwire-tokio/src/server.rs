//! Serving a sans-IO server machine (a [`socketio::server::Server`] or an
//! [`engineio::Endpoint`]) on a tokio `TcpListener`: the adapter accepts, reads, writes and arms
//! one timer; every protocol decision is the machine's.
//!
//! One task owns the machine and is the only one that touches it (no lock): connection tasks
//! hand it what they read. It writes each [`Transmit`] straight to its socket when that
//! connection has nothing queued and the socket takes it whole (a broadcast to a room costs one
//! `write` per member, no task wake-up); what the socket does not take goes to the connection's
//! writer task, in order. A connection whose writer falls [`MAX_QUEUED_WRITES`] transmits behind
//! (a client that does not read) is closed rather than buffered without bound.
//!
//! [`socketio::server::Server`]: sockwire::socketio::server::Server
//! [`engineio::Endpoint`]: sockwire::engineio::Endpoint

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sockwire::cluster::Command;
use sockwire::engineio::Endpoint;
use sockwire::engineio::endpoint::Transmit;
use sockwire::socketio::server::{App, Server};
use tokio::net::TcpListener;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// Transmits a connection's writer may have queued before the connection is closed as too slow.
pub const MAX_QUEUED_WRITES: usize = 256;
/// Size of one read.
const READ_CHUNK: usize = 8 * 1024;

/// A sans-IO server driven by connection ids: what [`serve`] needs of it.
pub trait Machine: Send + 'static {
    /// A connection was accepted.
    fn handle_accept(&mut self, now: Duration, conn: u64);
    /// Bytes were read from a connection.
    fn handle_read(&mut self, now: Duration, conn: u64, bytes: &[u8]);
    /// A connection's read side ended.
    fn handle_eof(&mut self, now: Duration, conn: u64);
    /// The deadline passed.
    fn handle_timeout(&mut self, now: Duration);
    /// The next bytes to write.
    fn poll_transmit(&mut self) -> Option<Transmit>;
    /// The next deadline.
    fn poll_timeout(&self) -> Option<Duration>;
    /// A message from the cluster bus (see `serve_cluster`, feature `redis`); ignored by
    /// default.
    fn handle_bus(&mut self, now: Duration, channel: &str, payload: &[u8]) {
        let _ = (now, channel, payload);
    }
    /// The answer to a [`Command::NumSub`]; ignored by default.
    fn handle_bus_count(&mut self, now: Duration, channel: &str, count: u64) {
        let _ = (now, channel, count);
    }
    /// The next command for the cluster bus; none by default.
    fn poll_bus(&mut self) -> Option<Command> {
        None
    }
}

impl Machine for Endpoint {
    fn handle_accept(&mut self, now: Duration, conn: u64) {
        Endpoint::handle_accept(self, now, conn);
    }
    fn handle_read(&mut self, now: Duration, conn: u64, bytes: &[u8]) {
        Endpoint::handle_read(self, now, conn, bytes);
    }
    fn handle_eof(&mut self, now: Duration, conn: u64) {
        Endpoint::handle_eof(self, now, conn);
    }
    fn handle_timeout(&mut self, now: Duration) {
        Endpoint::handle_timeout(self, now);
    }
    fn poll_transmit(&mut self) -> Option<Transmit> {
        Endpoint::poll_transmit(self)
    }
    fn poll_timeout(&self) -> Option<Duration> {
        Endpoint::poll_timeout(self)
    }
}

impl<A: App + Send + 'static> Machine for Server<A> {
    fn handle_accept(&mut self, now: Duration, conn: u64) {
        Server::handle_accept(self, now, conn);
    }
    fn handle_read(&mut self, now: Duration, conn: u64, bytes: &[u8]) {
        Server::handle_read(self, now, conn, bytes);
    }
    fn handle_eof(&mut self, now: Duration, conn: u64) {
        Server::handle_eof(self, now, conn);
    }
    fn handle_timeout(&mut self, now: Duration) {
        Server::handle_timeout(self, now);
    }
    fn poll_transmit(&mut self) -> Option<Transmit> {
        Server::poll_transmit(self)
    }
    fn poll_timeout(&self) -> Option<Duration> {
        Server::poll_timeout(self)
    }
    fn handle_bus(&mut self, now: Duration, channel: &str, payload: &[u8]) {
        // A malformed message from the bus is dropped; nothing else to do with it.
        let _ = Server::handle_cluster_message(self, now, channel, payload);
    }
    fn poll_bus(&mut self) -> Option<Command> {
        Server::poll_cluster_transmit(self)
    }
    fn handle_bus_count(&mut self, now: Duration, channel: &str, count: u64) {
        Server::handle_cluster_numsub(self, now, channel, count);
    }
}

/// The machine's task's side of a connection's writing.
pub(crate) struct Writer {
    wr: Arc<OwnedWriteHalf>,
    /// Transmits handed to the writer task and not yet written out (the machine's task writes
    /// directly only while this is 0, so the bytes stay in order).
    queued: Arc<AtomicUsize>,
    tx: mpsc::Sender<Transmit>,
}

/// What connection tasks (and the bus) tell the machine's task.
pub(crate) enum Input {
    Accepted(u64, Writer),
    Read(u64, Vec<u8>),
    Eof(u64),
    /// A message from the cluster bus: channel and payload.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    Bus(String, Vec<u8>),
    /// A `PUBSUB NUMSUB` answer: channel and subscriber count.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    BusCount(String, u64),
}

/// Serves `machine` on `listener` until accepting fails. Spawns tasks (call it inside a tokio
/// runtime); returns only on an accept error.
pub async fn serve<M: Machine>(listener: TcpListener, machine: M) -> io::Result<()> {
    let (tx, rx) = mpsc::channel::<Input>(1024);
    serve_inner(listener, machine, tx, rx, None).await
}

/// [`serve`] with the machine's bus commands going to `bus` and bus messages arriving on `tx`.
pub(crate) async fn serve_inner<M: Machine>(
    listener: TcpListener,
    machine: M,
    tx: mpsc::Sender<Input>,
    rx: mpsc::Receiver<Input>,
    bus: Option<mpsc::Sender<Command>>,
) -> io::Result<()> {
    tokio::spawn(drive(machine, rx, bus));
    let mut next: u64 = 0;
    loop {
        let (tcp, _) = listener.accept().await?;
        let _ = tcp.set_nodelay(true);
        next += 1;
        let conn = next;
        let (rd, wr) = tcp.into_split();
        let wr = Arc::new(wr);
        let queued = Arc::new(AtomicUsize::new(0));
        let (wtx, wrx) = mpsc::channel(MAX_QUEUED_WRITES);
        // The writer's end (the machine closed the connection, a write failed, or it fell too
        // far behind) stops the reader too.
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        tokio::spawn(write_loop(wr.clone(), queued.clone(), wrx, stop_tx));
        let w = Writer {
            wr,
            queued,
            tx: wtx,
        };
        // Accepted before the first read can reach the machine.
        if tx.send(Input::Accepted(conn, w)).await.is_err() {
            return Ok(()); // the machine's task ended
        }
        tokio::spawn(read_loop(conn, rd, tx.clone(), stop_rx));
    }
}

/// The machine's task: inputs in, transmits out to the writers, one timer.
async fn drive<M: Machine>(
    mut m: M,
    mut rx: mpsc::Receiver<Input>,
    bus: Option<mpsc::Sender<Command>>,
) {
    let start = Instant::now();
    let mut writers: HashMap<u64, Writer> = HashMap::new();
    loop {
        while let Some(c) = m.poll_bus() {
            if let Some(b) = &bus {
                // A full queue (Redis away or slower than us) drops the command: local
                // delivery never waits for the bus.
                let _ = b.try_send(c);
            }
        }
        while let Some(t) = m.poll_transmit() {
            let conn = t.conn;
            if let Some(w) = writers.get(&conn) {
                // Dropping the writer ends its task once its queue is written: the socket
                // closes and the reader stops (the machine hears the EOF).
                if !write(w, t) {
                    writers.remove(&conn);
                }
            }
        }
        let deadline = m.poll_timeout().map(|d| start + d);
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            input = rx.recv() => {
                let now = start.elapsed();
                match input {
                    Some(Input::Accepted(conn, w)) => {
                        writers.insert(conn, w);
                        m.handle_accept(now, conn);
                    }
                    Some(Input::Read(conn, bytes)) => m.handle_read(now, conn, &bytes),
                    Some(Input::Eof(conn)) => {
                        m.handle_eof(now, conn);
                        writers.remove(&conn);
                    }
                    Some(Input::Bus(channel, payload)) => m.handle_bus(now, &channel, &payload),
                    Some(Input::BusCount(channel, n)) => m.handle_bus_count(now, &channel, n),
                    None => return,
                }
            }
            () = sleep => m.handle_timeout(start.elapsed()),
        }
    }
}

/// Writes `t` out: straight to the socket when nothing is queued before it, else (or for what
/// the socket did not take) through the writer task. False when the connection is done: closed
/// by the machine, failed, or too far behind (a client that does not read).
fn write(w: &Writer, mut t: Transmit) -> bool {
    if w.queued.load(Ordering::SeqCst) == 0 {
        let mut at = 0;
        while at < t.data.len() {
            match w.wr.try_write(&t.data[at..]) {
                Ok(n) => at += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => return false,
            }
        }
        if at == t.data.len() {
            return !t.close;
        }
        t.data.drain(..at);
    }
    w.queued.fetch_add(1, Ordering::SeqCst);
    let close = t.close;
    w.tx.try_send(t).is_ok() && !close
}

async fn read_loop(
    conn: u64,
    rd: OwnedReadHalf,
    tx: mpsc::Sender<Input>,
    mut stop: oneshot::Receiver<()>,
) {
    loop {
        // An idle connection waits for readiness with no buffer at all; the chunk is allocated
        // for the read and handed to the machine's task as is.
        tokio::select! {
            r = rd.readable() => if r.is_err() { break },
            _ = &mut stop => break,
        }
        let mut buf = Vec::with_capacity(READ_CHUNK);
        match rd.try_read_buf(&mut buf) {
            Ok(0) => break,
            Ok(_) => {
                if tx.send(Input::Read(conn, buf)).await.is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => break,
        }
    }
    let _ = tx.send(Input::Eof(conn)).await;
}

async fn write_loop(
    wr: Arc<OwnedWriteHalf>,
    queued: Arc<AtomicUsize>,
    mut rx: mpsc::Receiver<Transmit>,
    _stop: oneshot::Sender<()>,
) {
    // Dropping the last handle of the write half (this task's, once the machine's task has
    // dropped its own) shuts the socket's write side down.
    'out: while let Some(t) = rx.recv().await {
        let mut at = 0;
        while at < t.data.len() {
            if wr.writable().await.is_err() {
                break 'out;
            }
            match wr.try_write(&t.data[at..]) {
                Ok(n) => at += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => break 'out,
            }
        }
        queued.fetch_sub(1, Ordering::SeqCst);
        if t.close {
            break;
        }
    }
}
