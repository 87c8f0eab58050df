//! Serving a sans-IO server machine (a [`socketio::server::Server`] or an
//! [`engineio::Endpoint`]) on a tokio `TcpListener`: the adapter accepts, reads, writes and arms
//! one timer; every protocol decision is the machine's.
//!
//! One task owns the machine and is the only one that touches it (no lock): connection tasks
//! hand it what they read, and it hands each connection's writer task the bytes of
//! [`Transmit`]s. A connection whose writer falls [`MAX_QUEUED_WRITES`] transmits behind (a
//! client that does not read) is closed rather than buffered without bound.
//!
//! [`socketio::server::Server`]: sockwire::socketio::server::Server
//! [`engineio::Endpoint`]: sockwire::engineio::Endpoint

use std::collections::HashMap;
use std::io;
use std::time::Duration;

use sockwire::cluster::Command;
use sockwire::engineio::Endpoint;
use sockwire::engineio::endpoint::Transmit;
use sockwire::socketio::server::{App, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
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

/// What connection tasks (and the bus) tell the machine's task.
pub(crate) enum Input {
    Accepted(u64, mpsc::Sender<Transmit>),
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
        let (wtx, wrx) = mpsc::channel(MAX_QUEUED_WRITES);
        // The writer's end (the machine closed the connection, a write failed, or it fell too
        // far behind) stops the reader too.
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        tokio::spawn(write_loop(wr, wrx, stop_tx));
        // Accepted before the first read can reach the machine.
        if tx.send(Input::Accepted(conn, wtx)).await.is_err() {
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
    let mut writers: HashMap<u64, mpsc::Sender<Transmit>> = HashMap::new();
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
            let close = t.close;
            if let Some(w) = writers.get(&conn) {
                // A writer this far behind has a client that does not read: drop it (its
                // socket closes; the machine hears the EOF from the reader).
                if w.try_send(t).is_err() || close {
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

async fn read_loop(
    conn: u64,
    mut rd: OwnedReadHalf,
    tx: mpsc::Sender<Input>,
    mut stop: oneshot::Receiver<()>,
) {
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        tokio::select! {
            r = rd.read(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(Input::Read(conn, buf[..n].to_vec())).await.is_err() {
                        return;
                    }
                }
            },
            _ = &mut stop => break,
        }
    }
    let _ = tx.send(Input::Eof(conn)).await;
}

async fn write_loop(
    mut wr: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Transmit>,
    _stop: oneshot::Sender<()>,
) {
    while let Some(t) = rx.recv().await {
        if !t.data.is_empty() && wr.write_all(&t.data).await.is_err() {
            break;
        }
        if t.close {
            break;
        }
    }
    let _ = wr.shutdown().await;
}
