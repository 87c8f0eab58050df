//! Cluster broadcast fan-out: `sio_fanout ADDR1,ADDR2 N B`.
//!
//! Opens N Socket.IO clients (Engine.IO v4 over WebSocket, namespace `/`) spread evenly over
//! the servers, then client 0 asks its server B times to broadcast `fan` to everyone
//! (`42["bcast","fan","",""]`, the event of `sio_cluster` and of the Node peer in
//! `tests/interop/cluster/run.mjs`): every client of every server must receive B `fan` events.
//! Prints the time from the first request until the first delivery (any client, and a client
//! of another server: through Redis), until the first broadcast reached all N clients, and
//! until all N·B deliveries arrived (deliveries/s). Bounded: N ≤ 20,000, B ≤ 1,000; every wait
//! has a timeout (60 s).
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One masked client frame (mask key 0: the payload is sent as is).
fn frame(payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x81, 0x80 | payload.len() as u8, 0, 0, 0, 0];
    f.extend_from_slice(payload);
    f
}

/// Reads one complete server frame's payload (text or binary), skipping nothing.
async fn read_frame(s: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<Vec<u8>> {
    loop {
        if buf.len() >= 2 {
            let len7 = usize::from(buf[1] & 0x7f);
            let (hdr, len) = match len7 {
                126 if buf.len() >= 4 => (4, usize::from(u16::from_be_bytes([buf[2], buf[3]]))),
                127 if buf.len() >= 10 => (
                    10,
                    u64::from_be_bytes(buf[2..10].try_into().unwrap()) as usize,
                ),
                126 | 127 => (usize::MAX, 0),
                n => (2, n),
            };
            if hdr != usize::MAX && len <= 1 << 20 && buf.len() >= hdr + len {
                let payload = buf[hdr..hdr + len].to_vec();
                buf.drain(..hdr + len);
                return Ok(payload);
            }
            if len > 1 << 20 {
                return Err(std::io::Error::other("frame too large"));
            }
        }
        let mut chunk = [0u8; 4096];
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn connect(addr: &str) -> std::io::Result<(TcpStream, Vec<u8>)> {
    let mut s = TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    let req = format!(
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await?;
    let mut buf = Vec::new();
    let mut b = [0u8; 1024];
    let end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = s.read(&mut b).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&b[..n]);
    };
    if !buf.starts_with(b"HTTP/1.1 101") {
        return Err(std::io::Error::other("not upgraded"));
    }
    buf.drain(..end);
    let open = read_frame(&mut s, &mut buf).await?; // 0{"sid":...}
    if open.first() != Some(&b'0') {
        return Err(std::io::Error::other("no Engine.IO open"));
    }
    s.write_all(&frame(b"40")).await?;
    loop {
        let p = read_frame(&mut s, &mut buf).await?;
        if p.starts_with(b"40") {
            return Ok((s, buf));
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() != 3 {
        eprintln!("usage: sio_fanout ADDR1,ADDR2 N B");
        std::process::exit(2);
    }
    let addrs: Vec<&str> = a[0].split(',').collect();
    let (n, b): (usize, u64) = (a[1].parse().unwrap(), a[2].parse().unwrap());
    assert!(
        n <= 20_000 && b <= 1_000 && !addrs.is_empty(),
        "bounded: N <= 20000, B <= 1000"
    );
    let mut conns = Vec::with_capacity(n);
    for i in 0..n {
        let addr = addrs[i % addrs.len()];
        match tokio::time::timeout(Duration::from_secs(10), connect(addr)).await {
            Ok(Ok(c)) => conns.push(c),
            other => {
                eprintln!("client {i} failed: {other:?}");
                std::process::exit(1);
            }
        }
    }
    // Let the last CONNECTs settle on every node before measuring.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = Arc::new(AtomicU64::new(0));
    let first_done = Arc::new(AtomicU64::new(0));
    let (mut s0, buf0) = conns.remove(0);
    let mut tasks = Vec::new();
    // When the first `fan` arrived at any client, and at a client of another server.
    let first_any: Arc<OnceLock<Instant>> = Arc::new(OnceLock::new());
    let first_remote: Arc<OnceLock<Instant>> = Arc::new(OnceLock::new());
    let spawn_reader = |mut s: TcpStream,
                        mut buf: Vec<u8>,
                        got: Arc<AtomicU64>,
                        first: Arc<AtomicU64>,
                        seen: [Option<Arc<OnceLock<Instant>>>; 2]| {
        tokio::spawn(async move {
            let mut mine = 0u64;
            while mine < b {
                let Ok(p) = read_frame(&mut s, &mut buf).await else {
                    return s;
                };
                if p.starts_with(b"42[\"fan\"") {
                    mine += 1;
                    got.fetch_add(1, Ordering::Relaxed);
                    if mine == 1 {
                        let now = Instant::now();
                        for o in seen.iter().flatten() {
                            let _ = o.set(now);
                        }
                        first.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            s
        })
    };
    for (i, (s, buf)) in conns.into_iter().enumerate() {
        // conns[i] is client i + 1 (client 0 was taken out), on server (i + 1) % servers.
        let remote = (i + 1) % addrs.len() != 0;
        let seen = [
            Some(first_any.clone()),
            remote.then(|| first_remote.clone()),
        ];
        tasks.push(spawn_reader(s, buf, got.clone(), first_done.clone(), seen));
    }
    let t0 = Instant::now();
    let mut cmds = Vec::new();
    for _ in 0..b {
        cmds.extend_from_slice(&frame(br#"42["bcast","fan","",""]"#));
    }
    s0.write_all(&cmds).await.expect("send");
    tasks.push(spawn_reader(
        s0,
        buf0,
        got.clone(),
        first_done.clone(),
        [Some(first_any.clone()), None],
    ));
    let total = n as u64 * b;
    let deadline = t0 + Duration::from_secs(60);
    let mut first_at = None;
    while got.load(Ordering::Relaxed) < total && Instant::now() < deadline {
        if first_at.is_none() && first_done.load(Ordering::Relaxed) == n as u64 {
            first_at = Some(t0.elapsed());
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    let all = t0.elapsed();
    let first_at = first_at.unwrap_or(all);
    let delivered = got.load(Ordering::Relaxed);
    let since = |o: &OnceLock<Instant>| o.get().map_or(f64::NAN, |t| (*t - t0).as_secs_f64() * 1e3);
    println!(
        "clients {n} over {} servers, {b} broadcasts: first delivery {:.2} ms (other server {:.2} ms); \
         first broadcast reached all in {:.1} ms; \
         {delivered}/{total} deliveries in {:.1} ms = {:.0} deliveries/s",
        addrs.len(),
        since(&first_any),
        since(&first_remote),
        first_at.as_secs_f64() * 1e3,
        all.as_secs_f64() * 1e3,
        delivered as f64 / all.as_secs_f64()
    );
    if delivered != total {
        std::process::exit(1);
    }
    for t in tasks {
        t.abort();
    }
}
