//! Serving a sans-IO server machine (a [`socketio::server::Server`] or an
//! [`engineio::Endpoint`]) on a tokio `TcpListener`: the adapter accepts, reads, writes and arms
//! one timer; every protocol decision is the machine's.
//!
//! One task owns the machine and is the only one that touches it (no lock): connection tasks
//! hand it what they read. It writes each [`Transmit`] straight to its socket when that
//! connection has nothing queued and the socket takes it whole (a broadcast to a room costs one
//! `write` per member, no task wake-up); what the socket does not take goes to the connection's
//! writer task, in order. Every written transmit is reported to the machine
//! ([`Machine::handle_written`]: write pacing, one write in flight per connection, as the
//! reference server does). A connection whose writer falls [`MAX_QUEUED_WRITES`] transmits behind
//! (a client that does not read) is closed rather than buffered without bound, and one whose
//! socket takes no byte for [`WRITE_STALL_TIMEOUT`] (a peer that stopped reading for good) is
//! given up: its write in flight would otherwise hold back, forever, the close the machine
//! queued behind it (its held bytes over the cap, or its heartbeat timed out).
//!
//! [`socketio::server::Server`]: sockwire::socketio::server::Server
//! [`engineio::Endpoint`]: sockwire::engineio::Endpoint

use sockwire::cluster::Command;
pub use sockwire::machine::Machine;
use sockwire::machine::Transmit;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::net::TcpListener;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// Transmits a connection's writer may have queued before the connection is closed as too slow.
pub const MAX_QUEUED_WRITES: usize = 256;
/// How long a connection's writer waits for its socket to take more bytes before giving the
/// connection up (closed; the machine hears the end as from a peer that went away).
pub const WRITE_STALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// Size of one read.
const READ_CHUNK: usize = 8 * 1024;

/// The machine's task's side of a connection's writing.
pub(crate) struct Writer {
    wr: Arc<OwnedWriteHalf>,
    /// Transmits handed to the writer task and not yet written out (the machine's task writes
    /// directly only while this is 0, so the bytes stay in order).
    queued: Arc<AtomicUsize>,
    tx: mpsc::Sender<Transmit>,
}

/// Where the machine's task puts a connection's transmits: a TCP connection's [`Writer`] here,
/// a virtual connection's channel in [`crate::tower`].
pub(crate) trait Outlet: Send + 'static {
    /// Hands `t` on.
    fn put(&self, t: Transmit) -> Wrote;
}

impl Outlet for Writer {
    fn put(&self, t: Transmit) -> Wrote {
        write(self, t)
    }
}

/// What connection tasks (and the bus) tell the machine's task; `W` is where a connection's
/// transmits go.
pub(crate) enum Input<W = Writer> {
    /// A new connection and its outlet.
    Accepted(u64, W),
    Read(u64, Vec<u8>),
    Eof(u64),
    /// A transmit queued to the connection's writer task was written (write pacing).
    Written(u64),
    /// A message from the cluster bus: channel and payload.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    Bus(String, Vec<u8>),
    /// A `PUBSUB NUMSUB` answer: channel and subscriber count.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    BusCount(String, u64),
}

/// Serves `machine` on `listener` until accepting fails. Spawns tasks (call it inside a tokio
/// runtime); returns only on an accept error.
pub async fn serve<M: Machine + Send + 'static>(
    listener: TcpListener,
    machine: M,
) -> io::Result<()> {
    let (tx, rx) = mpsc::channel::<Input>(1024);
    serve_inner(listener, machine, tx, rx, None).await
}

/// [`serve`] with the machine's bus commands going to `bus` and bus messages arriving on `tx`.
pub(crate) async fn serve_inner<M: Machine + Send + 'static>(
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
        tokio::spawn(write_loop(
            conn,
            wr.clone(),
            queued.clone(),
            wrx,
            stop_tx,
            tx.clone(),
        ));
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

/// Hashes the adapter's own connection ids (a counter, never chosen by a peer): one multiply
/// instead of SipHash on every transmit's writer lookup.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(self.0 << 8 | u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The machine's task: inputs in, transmits out to the writers, one timer.
pub(crate) async fn drive<M: Machine + Send + 'static, W: Outlet>(
    mut m: M,
    mut rx: mpsc::Receiver<Input<W>>,
    bus: Option<mpsc::Sender<Command>>,
) {
    let start = Instant::now();
    m.enable_write_pacing();
    let mut writers: HashMap<u64, W, BuildHasherDefault<IdHasher>> = HashMap::default();
    loop {
        while let Some(c) = m.poll_bus() {
            if let Some(b) = &bus {
                // A full queue (Redis away or slower than us) drops the command: local
                // delivery never waits for the bus.
                let _ = b.try_send(c);
            }
        }
        let now = start.elapsed();
        while let Some(t) = m.poll_transmit() {
            let conn = t.conn;
            if let Some(w) = writers.get(&conn) {
                match w.put(t) {
                    Wrote::Now => m.handle_written(now, conn),
                    Wrote::Queued => {}
                    // Dropping the writer ends its task once its queue is written: the socket
                    // closes and the reader stops (the machine hears the EOF).
                    Wrote::Done => {
                        writers.remove(&conn);
                    }
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
                    Some(Input::Written(conn)) => m.handle_written(now, conn),
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

/// What became of a transmit handed to an [`Outlet`].
pub(crate) enum Wrote {
    /// Written whole to the socket already.
    Now,
    /// Handed to the writer task (it reports [`Input::Written`] when done).
    Queued,
    /// The connection is done: closed by the machine, failed, or too far behind.
    Done,
}

/// Writes `t` out: straight to the socket when nothing is queued before it, else (or for what
/// the socket did not take) through the writer task.
fn write(w: &Writer, mut t: Transmit) -> Wrote {
    if w.queued.load(Ordering::SeqCst) == 0 {
        let mut at = 0;
        while at < t.data.len() {
            match w.wr.try_write(&t.data[at..]) {
                Ok(n) => at += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => return Wrote::Done,
            }
        }
        if at == t.data.len() {
            return if t.close { Wrote::Done } else { Wrote::Now };
        }
        t.data.drain(..at);
    }
    w.queued.fetch_add(1, Ordering::SeqCst);
    let close = t.close;
    if w.tx.try_send(t).is_ok() && !close {
        Wrote::Queued
    } else {
        Wrote::Done
    }
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
    conn: u64,
    wr: Arc<OwnedWriteHalf>,
    queued: Arc<AtomicUsize>,
    mut rx: mpsc::Receiver<Transmit>,
    _stop: oneshot::Sender<()>,
    done: mpsc::Sender<Input>,
) {
    // Dropping the last handle of the write half (this task's, once the machine's task has
    // dropped its own) shuts the socket's write side down.
    'out: while let Some(t) = rx.recv().await {
        let mut at = 0;
        while at < t.data.len() {
            match tokio::time::timeout(WRITE_STALL_TIMEOUT, wr.writable()).await {
                Ok(Ok(())) => {}
                // Failed, or no progress for WRITE_STALL_TIMEOUT: ending this task stops the
                // reader too, and the socket closes once the machine's task drops its handle.
                _ => break 'out,
            }
            match wr.try_write(&t.data[at..]) {
                Ok(n) => at += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => break 'out,
            }
        }
        queued.fetch_sub(1, Ordering::SeqCst);
        // The machine keeps one write in flight per connection: tell it this one is done.
        if t.close || done.send(Input::Written(conn)).await.is_err() {
            break;
        }
    }
}
