//! std host for [`sockwire`]'s server machines: it accepts, reads, writes and sleeps until the
//! machine's deadline; every protocol decision (HTTP routing, long-polling, WebSocket upgrade,
//! heartbeats, Socket.IO) is the machine's.
//!
//! [`serve`] runs any [`Machine`] (a Socket.IO [`Server`](sockwire::socketio::server::Server),
//! an Engine.IO [`Endpoint`](sockwire::engineio::Endpoint)) on a [`TcpListener`] with plain
//! threads: one thread owns the machine and is the only one that touches it (no lock); each
//! connection has a reader thread that hands it what it reads and a writer thread that writes
//! the machine's [`Transmit`]s. A connection whose writer falls [`MAX_QUEUED_WRITES`] transmits
//! behind (a client that does not read) is closed rather than buffered without bound. Writes
//! are paced ([`Machine::enable_write_pacing`]): each completed write is reported, so the
//! machine keeps one write in flight per connection, as the reference server does.
//!
//! [`ws`] is the blocking WebSocket of one connection: [`ws::accept`], [`ws::connect`] and the
//! run loop [`ws::run`].
//!
//! ```no_run
//! use sockwire::socketio::server::{App, Ctx, Event, Server, ServerOptions};
//!
//! struct Echo;
//! impl App for Echo {
//!     fn on_event(&mut self, ctx: &mut Ctx<'_>, event: Event<'_>) {
//!         let args: Vec<_> = event.args().collect();
//!         let _ = ctx.emit(event.name(), &args);
//!     }
//! }
//!
//! let listener = std::net::TcpListener::bind("127.0.0.1:3000")?;
//! let io = Server::new(Echo, ServerOptions::default(), sockwire_std::entropy());
//! sockwire_std::serve(listener, io)?;
//! # Ok::<(), std::io::Error>(())
//! ```
#![deny(missing_docs)]
#![warn(unreachable_pub, missing_debug_implementations)]

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::thread;
use std::time::Instant;

pub use sockwire::machine::{Machine, Transmit};

pub mod ws;

/// Transmits a connection's writer may have queued before the connection is closed as too slow.
pub const MAX_QUEUED_WRITES: usize = 256;
/// Size of one read.
const READ_CHUNK: usize = 16 * 1024;
/// Inputs queued for the machine's thread before readers wait (backpressure on reading).
const MAX_QUEUED_INPUTS: usize = 1024;

/// What connection threads tell the machine's thread.
enum Input {
    Accepted(u64, SyncSender<Transmit>),
    Read(u64, Vec<u8>),
    Eof(u64),
    /// A transmit of the connection was written.
    Written(u64),
}

/// Serves `machine` on `listener` until accepting fails: spawns the machine's thread and two
/// threads per connection, and returns only on an accept error.
pub fn serve<M: Machine + Send + 'static>(listener: TcpListener, machine: M) -> io::Result<()> {
    let (tx, rx) = mpsc::sync_channel::<Input>(MAX_QUEUED_INPUTS);
    thread::spawn(move || drive(machine, &rx));
    let mut next: u64 = 0;
    loop {
        let (tcp, _) = listener.accept()?;
        let _ = tcp.set_nodelay(true);
        next += 1;
        let conn = next;
        let (Ok(rd), Ok(wr)) = (tcp.try_clone(), tcp.try_clone()) else {
            continue;
        };
        let (wtx, wrx) = mpsc::sync_channel(MAX_QUEUED_WRITES);
        let wtx_done = tx.clone();
        thread::spawn(move || write_loop(conn, wr, &wrx, &wtx_done));
        // Accepted before the first read can reach the machine.
        if tx.send(Input::Accepted(conn, wtx)).is_err() {
            return Ok(()); // the machine's thread ended
        }
        let tx = tx.clone();
        thread::spawn(move || read_loop(conn, rd, &tx));
    }
}

/// Binds `addr`, serves `machine` on a background thread and returns the bound address (port 0
/// picks a free one): for tests and examples that run a client next to the server.
pub fn spawn<M: Machine + Send + 'static>(
    addr: impl std::net::ToSocketAddrs,
    machine: M,
) -> io::Result<std::net::SocketAddr> {
    let listener = TcpListener::bind(addr)?;
    let local = listener.local_addr()?;
    thread::spawn(move || serve(listener, machine));
    Ok(local)
}

/// The machine's thread: inputs in, transmits out to the writers, one deadline.
fn drive<M: Machine>(mut m: M, rx: &mpsc::Receiver<Input>) {
    let start = Instant::now();
    m.enable_write_pacing();
    let mut writers: HashMap<u64, SyncSender<Transmit>> = HashMap::new();
    loop {
        while let Some(t) = m.poll_transmit() {
            let (conn, close) = (t.conn, t.close);
            if let Some(w) = writers.get(&conn) {
                // A writer this far behind has a client that does not read: drop it (its
                // socket closes; the machine hears the EOF from the reader).
                let full = matches!(
                    w.try_send(t),
                    Err(TrySendError::Full(_) | TrySendError::Disconnected(_))
                );
                if full || close {
                    writers.remove(&conn);
                }
            }
        }
        let input = match m.poll_timeout() {
            Some(d) => rx.recv_timeout(d.saturating_sub(start.elapsed())),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        let now = start.elapsed();
        match input {
            Ok(Input::Accepted(conn, w)) => {
                writers.insert(conn, w);
                m.handle_accept(now, conn);
            }
            Ok(Input::Read(conn, bytes)) => m.handle_read(now, conn, &bytes),
            Ok(Input::Eof(conn)) => {
                writers.remove(&conn);
                m.handle_eof(now, conn);
            }
            Ok(Input::Written(conn)) => m.handle_written(now, conn),
            Err(RecvTimeoutError::Timeout) => m.handle_timeout(now),
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

fn read_loop(conn: u64, mut rd: TcpStream, tx: &SyncSender<Input>) {
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        match rd.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if tx.send(Input::Read(conn, buf[..n].to_vec())).is_err() {
                    return;
                }
            }
        }
    }
    let _ = tx.send(Input::Eof(conn));
}

fn write_loop(
    conn: u64,
    mut wr: TcpStream,
    rx: &mpsc::Receiver<Transmit>,
    done: &SyncSender<Input>,
) {
    // Ends when the machine closes the connection, drops its writer, or a write fails.
    while let Ok(t) = rx.recv() {
        if !t.data.is_empty() && wr.write_all(&t.data).is_err() {
            break;
        }
        // The machine keeps one write in flight per connection: tell it this one is done.
        if t.close || done.send(Input::Written(conn)).is_err() {
            break;
        }
    }
    // Also wakes the reader, whose EOF tells the machine.
    let _ = wr.shutdown(Shutdown::Both);
}

/// Ids for the machines' `entropy` argument: 15 bytes per call, hashed by a fresh std
/// `RandomState` (SipHash keyed from the OS once per thread, then advanced per call), so the
/// closure and its clones never repeat each other. Unpredictable enough for examples and tests; a
/// server facing the Internet should pass a CSPRNG instead.
pub fn entropy() -> impl FnMut() -> [u8; 15] + Clone + Send + 'static {
    use std::hash::BuildHasher;
    || {
        let s = std::collections::hash_map::RandomState::new();
        let (a, b) = (s.hash_one(1u8), s.hash_one(2u8));
        let mut out = [0u8; 15];
        out[..8].copy_from_slice(&a.to_le_bytes());
        out[8..].copy_from_slice(&b.to_le_bytes()[..7]);
        out
    }
}
