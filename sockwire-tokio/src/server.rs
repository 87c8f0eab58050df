//! Serving a sans-IO server machine (a [`socketio::server::Server`] or an
//! [`engineio::Endpoint`]) on a tokio `TcpListener`: the adapter accepts, reads, writes and arms
//! one timer; every protocol decision is the machine's.
//!
//! One task owns the machine and is the only one that touches it (no lock): connection tasks
//! hand it what they read, and it hands each connection's writer task the bytes of
//! [`Transmit`]s, reporting each written one (write pacing: one write in flight per
//! connection, as the reference server does). A connection whose writer falls [`MAX_QUEUED_WRITES`] transmits behind (a
//! client that does not read) is closed rather than buffered without bound.
//!
//! [`socketio::server::Server`]: sockwire::socketio::server::Server
//! [`engineio::Endpoint`]: sockwire::engineio::Endpoint

use std::collections::HashMap;
use std::io;

pub use sockwire::machine::Machine;
use sockwire::machine::Transmit;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// Transmits a connection's writer may have queued before the connection is closed as too slow.
pub const MAX_QUEUED_WRITES: usize = 256;
/// Size of one read.
const READ_CHUNK: usize = 8 * 1024;

/// What connection tasks tell the machine's task.
enum Input {
    Accepted(u64, mpsc::Sender<Transmit>),
    Read(u64, Vec<u8>),
    Eof(u64),
    /// A transmit of the connection was written (write pacing).
    Written(u64),
}

/// Serves `machine` on `listener` until accepting fails. Spawns tasks (call it inside a tokio
/// runtime); returns only on an accept error.
pub async fn serve<M: Machine + Send + 'static>(
    listener: TcpListener,
    machine: M,
) -> io::Result<()> {
    let (tx, rx) = mpsc::channel::<Input>(1024);
    tokio::spawn(drive(machine, rx));
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
        tokio::spawn(write_loop(conn, wr, wrx, stop_tx, tx.clone()));
        // Accepted before the first read can reach the machine.
        if tx.send(Input::Accepted(conn, wtx)).await.is_err() {
            return Ok(()); // the machine's task ended
        }
        tokio::spawn(read_loop(conn, rd, tx.clone(), stop_rx));
    }
}

/// The machine's task: inputs in, transmits out to the writers, one timer.
async fn drive<M: Machine + Send + 'static>(mut m: M, mut rx: mpsc::Receiver<Input>) {
    let start = Instant::now();
    m.enable_write_pacing();
    let mut writers: HashMap<u64, mpsc::Sender<Transmit>> = HashMap::new();
    loop {
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
                    Some(Input::Written(conn)) => m.handle_written(now, conn),
                    Some(Input::Eof(conn)) => {
                        m.handle_eof(now, conn);
                        writers.remove(&conn);
                    }
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
    conn: u64,
    mut wr: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Transmit>,
    _stop: oneshot::Sender<()>,
    done: mpsc::Sender<Input>,
) {
    while let Some(t) = rx.recv().await {
        if !t.data.is_empty() && wr.write_all(&t.data).await.is_err() {
            break;
        }
        // The machine keeps one write in flight per connection: tell it this one is done.
        if t.close || done.send(Input::Written(conn)).await.is_err() {
            break;
        }
    }
    let _ = wr.shutdown().await;
}
