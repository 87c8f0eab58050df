//! The load generator.
//!
//! * `load idle ADDR N SECS` opens N WebSocket connections to ADDR (the opening handshake on
//!   each, then nothing), holds them SECS seconds answering the server's Pings, then checks that
//!   every one still echoes a message. Bounded: N ≤ 60,000, SECS ≤ 600.
//! * `load echo ADDR CONNS SIZE SECS`: CONNS connections each send a SIZE-byte text message and
//!   wait for its echo, in a loop, for SECS seconds; prints messages/s and p50/p99 round trip.
//!   Bounded: CONNS ≤ 10,000, SIZE ≤ 65,535, SECS ≤ 120.
//! * `load sio ADDR N HOLD ROUNDS`: N Socket.IO clients over the WebSocket transport
//!   (`/socket.io/?EIO=4&transport=websocket`, CONNECT to `/`, `join` the room `bench` with an
//!   ack), held HOLD seconds answering the server's pings, then ROUNDS broadcasts: a control
//!   client (not in the room) emits `go` and the time until the last of the N has `msg` is
//!   measured (module `sio`; the hold and the rounds are read by epoll threads, module
//!   `sio_epoll`, which also prints the generator's CPU share per round). Bounded: N ≤ 60,000,
//!   HOLD ≤ 600, ROUNDS ≤ 100. Environment: `LOAD_THREADS` (reader threads, default 1),
//!   `LOAD_BATCH_US` (a reader's pause between batches, default 500), `LOAD_SIO_READER=tokio`
//!   (the former reader: one tokio task per client).
//!
//! Every wait has a timeout. One line of figures per run.
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

mod sio;
mod sio_epoll;

/// One masked client frame (mask key 0: the payload is sent as is); payload ≤ 65,535 bytes.
fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x80 | opcode];
    match payload.len() {
        n @ 0..=125 => f.push(0x80 | n as u8),
        n => {
            f.push(0x80 | 126);
            f.extend_from_slice(&u16::try_from(n).expect("payload > 65535").to_be_bytes());
        }
    }
    f.extend_from_slice(&[0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

async fn open(addr: &str) -> std::io::Result<TcpStream> {
    let mut s = TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    s.write_all(REQUEST).await?;
    let mut head = Vec::new();
    let mut b = [0u8; 512];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut b).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&b[..n]);
    }
    if !head.starts_with(b"HTTP/1.1 101") {
        return Err(std::io::Error::other("not upgraded"));
    }
    Ok(s)
}

/// Holds `s` until `until`, answering Pings; then sends "ok?" and waits for the echo. The
/// Pings answered, or `None` when the connection failed.
async fn hold(mut s: TcpStream, until: Instant) -> Option<u32> {
    let mut buf = vec![0u8; 256];
    let mut pings = 0;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Err(_) => break,
            Ok(Ok(0)) | Ok(Err(_)) => return None,
            Ok(Ok(n)) => {
                // Pings (0x89, short): answer each with a Pong carrying its payload.
                let mut at = 0;
                while at + 2 <= n {
                    let len = usize::from(buf[at + 1] & 0x7f);
                    if buf[at] == 0x89 && at + 2 + len <= n {
                        let p = buf[at + 2..at + 2 + len].to_vec();
                        if s.write_all(&frame(0xA, &p)).await.is_err() {
                            return None;
                        }
                        pings += 1;
                    }
                    at += 2 + len;
                }
            }
        }
    }
    if s.write_all(&frame(0x1, b"ok?")).await.is_err() {
        return None;
    }
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !got.windows(3).any(|w| w == b"ok?") {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&buf[..n]),
            _ => return None,
        }
    }
    Some(pings)
}

/// One connection of `echo` mode: sends a SIZE-byte text message, waits for its echo, repeats
/// until `until`; returns the round trips completed and their latencies (µs).
async fn echo_loop(mut s: TcpStream, size: usize, until: Instant) -> (u64, Vec<u32>) {
    let msg = frame(0x1, &vec![b'x'; size]);
    // The unmasked echo: a 2-byte header (4 from 126 bytes on) and the payload.
    let want = if size < 126 { 2 } else { 4 } + size;
    let mut buf = vec![0u8; 64 * 1024];
    let (mut n, mut lat) = (0u64, Vec::new());
    while Instant::now() < until {
        let t = Instant::now();
        if s.write_all(&msg).await.is_err() {
            break;
        }
        let mut got = 0;
        while got < want {
            match tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf)).await {
                Ok(Ok(k)) if k > 0 => got += k,
                _ => return (n, lat),
            }
        }
        n += 1;
        if lat.len() < 200_000 {
            lat.push(t.elapsed().as_micros() as u32);
        }
    }
    (n, lat)
}

async fn echo_mode(addr: &str, conns: usize, size: usize, secs: u64) {
    assert!(conns <= 10_000 && size <= 65_535 && secs <= 120, "bounded");
    let mut streams = Vec::new();
    for _ in 0..conns {
        streams.push(open(addr).await.expect("connect"));
    }
    let until = Instant::now() + Duration::from_secs(secs);
    let t0 = Instant::now();
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|s| tokio::spawn(echo_loop(s, size, until)))
        .collect();
    let (mut total, mut lat) = (0u64, Vec::new());
    for t in tasks {
        let (n, l) = t.await.unwrap();
        total += n;
        lat.extend(l);
    }
    let el = t0.elapsed().as_secs_f64();
    lat.sort_unstable();
    let p = |q: f64| {
        lat.get(((lat.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0)
    };
    println!(
        "echo {conns} conns x {size} B for {secs} s: {total} round trips, {:.0} msgs/s, p50 {} us, p99 {} us",
        total as f64 / el,
        p(0.5),
        p(0.99)
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() == 5 && a[0] == "echo" {
        let (n, size, secs) = (
            a[2].parse().unwrap(),
            a[3].parse().unwrap(),
            a[4].parse().unwrap(),
        );
        return echo_mode(&a[1], n, size, secs).await;
    }
    if a.len() == 5 && a[0] == "sio" {
        let (n, hold, rounds) = (
            a[2].parse().unwrap(),
            a[3].parse().unwrap(),
            a[4].parse().unwrap(),
        );
        return sio::run(&a[1], n, hold, rounds).await;
    }
    if a.len() != 4 || a[0] != "idle" {
        eprintln!(
            "usage: load idle ADDR N SECS | load echo ADDR CONNS SIZE SECS | load sio ADDR N HOLD ROUNDS"
        );
        std::process::exit(2);
    }
    let (addr, n, secs): (String, usize, u64) =
        (a[1].clone(), a[2].parse().unwrap(), a[3].parse().unwrap());
    assert!(
        n <= 60_000 && secs <= 600,
        "bounded: N <= 60000, SECS <= 600"
    );
    let t0 = Instant::now();
    let mut conns = Vec::with_capacity(n);
    for i in 0..n {
        match tokio::time::timeout(Duration::from_secs(10), open(&addr)).await {
            Ok(Ok(s)) => conns.push(s),
            other => {
                eprintln!("connection {i} failed: {other:?}");
                std::process::exit(1);
            }
        }
    }
    let opened = t0.elapsed();
    println!(
        "opened {n} in {:.1} s; holding {secs} s",
        opened.as_secs_f64()
    );
    // Tell the measuring script that every connection is up (it samples the server's RSS now).
    let _ = std::fs::write(
        std::env::var("LOAD_READY").unwrap_or("/dev/null".into()),
        b"ready",
    );
    let until = Instant::now() + Duration::from_secs(secs);
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|s| tokio::spawn(hold(s, until)))
        .collect();
    let (mut alive, mut pmin, mut pmax) = (0, u32::MAX, 0);
    for t in tasks {
        if let Some(p) = t.await.ok().flatten() {
            alive += 1;
            (pmin, pmax) = (pmin.min(p), pmax.max(p));
        }
    }
    println!(
        "alive after {secs} s: {alive}/{n}, dropped {}; Pings answered per connection {pmin}..{pmax}",
        n - alive
    );
    if alive != n {
        std::process::exit(1);
    }
}
