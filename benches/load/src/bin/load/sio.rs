//! `load sio ADDR N HOLD ROUNDS`: Socket.IO clients over the WebSocket transport.
//!
//! Each of the N clients opens `/socket.io/?EIO=4&transport=websocket`, reads the Engine.IO
//! open packet, CONNECTs to `/`, emits `join` with the room `bench` and waits for the ack; then
//! it answers every ping (`2` → `3`) and counts every `msg` event. A control client (CONNECTed,
//! not in the room) emits `go` ("bench", round) once per round; the figure is the time from
//! that write until the last of the N clients has read its `msg`. Every wait has a timeout; a
//! client that closes or misses a round makes the run fail.
use std::io;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Notify, Semaphore, mpsc};

use super::{frame, sio_epoll};

/// Clients opening at once.
const OPENING: usize = 64;
/// The longest a server frame the clients accept.
const MAX_FRAME: usize = 1 << 20;

/// One client's socket and the bytes read but not yet parsed.
#[derive(Debug)]
struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: &str) -> io::Result<Conn> {
        let mut s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        let req = format!(
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {addr}\r\n\
             Upgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await?;
        let mut c = Conn { s, buf: Vec::new() };
        loop {
            if let Some(i) = c.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                if !c.buf.starts_with(b"HTTP/1.1 101") {
                    return Err(io::Error::other("not upgraded"));
                }
                c.buf.drain(..i + 4); // what follows the head is the first frame
                return Ok(c);
            }
            if c.buf.len() > 8192 {
                return Err(io::Error::other("response head too long"));
            }
            c.fill().await?;
        }
    }

    /// Reads once more (cancel-safe: the bytes land in `buf` only once read).
    async fn fill(&mut self) -> io::Result<()> {
        let mut tmp = [0u8; 4096];
        let n = self.s.read(&mut tmp).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(())
    }

    /// The next whole frame in `buf` (opcode, payload): server frames are unmasked.
    fn parse(&mut self) -> io::Result<Option<(u8, Vec<u8>)>> {
        let b = &self.buf;
        if b.len() < 2 {
            return Ok(None);
        }
        let (len, head) = match b[1] & 0x7f {
            126 if b.len() >= 4 => (usize::from(u16::from_be_bytes([b[2], b[3]])), 4),
            127 if b.len() >= 10 => {
                let l = u64::from_be_bytes(b[2..10].try_into().unwrap());
                (usize::try_from(l).unwrap_or(usize::MAX), 10)
            }
            126 | 127 => return Ok(None),
            l => (usize::from(l), 2),
        };
        if len > MAX_FRAME {
            return Err(io::Error::other("frame too long"));
        }
        if b.len() < head + len {
            return Ok(None);
        }
        let f = (b[0] & 0x0f, b[head..head + len].to_vec());
        self.buf.drain(..head + len);
        Ok(Some(f))
    }

    async fn next(&mut self) -> io::Result<(u8, Vec<u8>)> {
        loop {
            if let Some(f) = self.parse()? {
                if f.0 == 0x8 {
                    return Err(io::Error::other("closed by the server"));
                }
                return Ok(f);
            }
            self.fill().await?;
        }
    }

    async fn send(&mut self, text: &str) -> io::Result<()> {
        self.s.write_all(&frame(0x1, text.as_bytes())).await
    }

    /// Answers a ping; true when `f` was one.
    async fn pong(&mut self, f: &(u8, Vec<u8>)) -> io::Result<bool> {
        if f.1 == b"2" {
            self.send("3").await?;
            return Ok(true);
        }
        if f.0 == 0x9 {
            self.s.write_all(&frame(0xA, &f.1)).await?;
        }
        Ok(false)
    }

    /// Waits (answering pings) for a text frame starting with `prefix`.
    async fn expect(&mut self, prefix: &[u8]) -> io::Result<Vec<u8>> {
        loop {
            let f = tokio::time::timeout(Duration::from_secs(30), self.next())
                .await
                .map_err(|_| io::Error::other("no answer in 30 s"))??;
            if f.1.starts_with(prefix) {
                return Ok(f.1);
            }
            if f.1.starts_with(b"44") {
                return Err(io::Error::other(String::from_utf8_lossy(&f.1).into_owned()));
            }
            self.pong(&f).await?;
        }
    }

    /// Engine.IO open, Socket.IO CONNECT to `/`.
    async fn handshake(&mut self) -> io::Result<()> {
        self.expect(b"0{").await?;
        self.send("40").await?;
        self.expect(b"40").await.map(drop)
    }
}

/// What the clients share with the measuring task.
struct Shared {
    n: usize,
    ready: AtomicUsize,
    failed: AtomicUsize,
    closed: AtomicUsize,
    /// `msg` events read, all clients and rounds together.
    got: AtomicUsize,
    /// When the last client of the latest complete round read its `msg`.
    last: Mutex<Option<Instant>>,
    /// Pings answered, per client.
    pings: Vec<AtomicU32>,
    wake: Notify,
}

/// One client: opens, CONNECTs and joins; then, with `keep`, hands its connection back (the
/// epoll readers take it over), else reads it here until it ends.
async fn client(
    addr: String,
    i: usize,
    sh: Arc<Shared>,
    gate: Arc<Semaphore>,
    keep: bool,
) -> Option<Conn> {
    let permit = gate.acquire_owned().await.unwrap();
    let opened = async {
        let mut c = Conn::open(&addr).await?;
        c.handshake().await?;
        c.send("420[\"join\",\"bench\"]").await?;
        c.expect(b"430").await?;
        io::Result::Ok(c)
    };
    let mut c = match tokio::time::timeout(Duration::from_secs(60), opened).await {
        Ok(Ok(c)) => c,
        other => {
            eprintln!("client {i} failed to open: {other:?}");
            sh.failed.fetch_add(1, Ordering::SeqCst);
            sh.wake.notify_one();
            return None;
        }
    };
    drop(permit);
    sh.ready.fetch_add(1, Ordering::SeqCst);
    sh.wake.notify_one();
    if keep {
        return Some(c);
    }
    let r: io::Result<()> = async {
        loop {
            let f = c.next().await?;
            if f.1.starts_with(b"42[\"msg\"") {
                if (sh.got.fetch_add(1, Ordering::SeqCst) + 1).is_multiple_of(sh.n) {
                    *sh.last.lock().unwrap() = Some(Instant::now());
                    sh.wake.notify_one();
                }
            } else if c.pong(&f).await? {
                sh.pings[i].fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    .await;
    eprintln!("client {i} closed: {r:?}");
    sh.closed.fetch_add(1, Ordering::SeqCst);
    sh.wake.notify_one();
    None
}

/// The control client: CONNECTed, not in the room; writes what it is sent, answers pings.
async fn control(addr: String, mut rx: mpsc::Receiver<String>) -> io::Result<()> {
    let mut c = Conn::open(&addr).await?;
    c.handshake().await?;
    loop {
        tokio::select! {
            f = c.next() => { c.pong(&f?).await?; }
            m = rx.recv() => match m {
                Some(m) => c.send(&m).await?,
                None => return Ok(()),
            },
        }
    }
}

/// Waits until `done` holds, up to `secs` seconds.
async fn wait_for(sh: &Shared, secs: u64, done: impl Fn(&Shared) -> bool) -> bool {
    let until = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !done(sh) {
        if tokio::time::timeout_at(until, sh.wake.notified())
            .await
            .is_err()
        {
            return done(sh);
        }
    }
    true
}

fn fail(msg: String) -> ! {
    println!("{msg}");
    std::process::exit(1)
}

pub async fn run(addr: &str, n: usize, hold: u64, rounds: usize) {
    assert!(
        (1..=60_000).contains(&n) && hold <= 600 && rounds <= 100,
        "bounded"
    );
    let sh = Arc::new(Shared {
        n,
        ready: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        closed: AtomicUsize::new(0),
        got: AtomicUsize::new(0),
        last: Mutex::new(None),
        pings: (0..n).map(|_| AtomicU32::new(0)).collect(),
        wake: Notify::new(),
    });
    let t0 = Instant::now();
    // The readers of the hold and the rounds: epoll threads (default), or the tokio task of
    // each client (`LOAD_SIO_READER=tokio`, the reader of the generator until commit bfa7abe).
    let epoll = std::env::var("LOAD_SIO_READER").as_deref() != Ok("tokio");
    let gate = Arc::new(Semaphore::new(OPENING));
    let clients: Vec<_> = (0..n)
        .map(|i| tokio::spawn(client(addr.to_string(), i, sh.clone(), gate.clone(), epoll)))
        .collect();
    let (ctl, rx) = mpsc::channel::<String>(4);
    let mut ctl_conn = None;
    let ctl_task = if epoll {
        match Conn::open(addr).await {
            Ok(mut c) => match c.handshake().await {
                Ok(()) => ctl_conn = Some(c),
                Err(e) => fail(format!("the control client failed: {e}")),
            },
            Err(e) => fail(format!("the control client failed: {e}")),
        }
        tokio::spawn(async {
            let _rx = rx;
            std::future::pending::<io::Result<()>>().await
        })
    } else {
        tokio::spawn(control(addr.to_string(), rx))
    };
    let all = |s: &Shared| s.ready.load(Ordering::SeqCst) + s.failed.load(Ordering::SeqCst) == n;
    if !wait_for(&sh, 300, all).await || sh.failed.load(Ordering::SeqCst) > 0 {
        fail(format!(
            "opened {}/{n} clients in {:.1} s ({} failed)",
            sh.ready.load(Ordering::SeqCst),
            t0.elapsed().as_secs_f64(),
            sh.failed.load(Ordering::SeqCst)
        ));
    }
    println!(
        "{n} Socket.IO clients connected and in the room in {:.1} s; holding {hold} s",
        t0.elapsed().as_secs_f64()
    );
    // Tell the measuring script that every client is in (it samples the server's RSS now).
    let _ = std::fs::write(
        std::env::var("LOAD_READY").unwrap_or("/dev/null".into()),
        b"ready",
    );
    if epoll {
        let mut conns = Vec::with_capacity(n);
        for c in clients {
            let c = c.await.unwrap().expect("every client is in");
            conns.push((c.s.into_std().expect("into_std"), c.buf));
        }
        let ctl = ctl_conn.expect("the control client");
        let ctl = ctl.s.into_std().expect("into_std");
        let r = sio_epoll::run(conns, ctl, hold, rounds, fail);
        let (pmin, pmax) = (r.pings.iter().min().unwrap(), r.pings.iter().max().unwrap());
        println!(
            "after {hold} s: {n} of {n} open, 0 closed; pings answered per client {pmin}..{pmax}"
        );
        report(n, &r.times, &r.busy, "epoll reader threads");
        std::process::exit(0)
    }
    tokio::time::sleep(Duration::from_secs(hold)).await;
    let closed = sh.closed.load(Ordering::SeqCst);
    let pings: Vec<u32> = sh.pings.iter().map(|p| p.load(Ordering::Relaxed)).collect();
    let (pmin, pmax) = (pings.iter().min().unwrap(), pings.iter().max().unwrap());
    println!(
        "after {hold} s: {} of {n} open, {closed} closed; pings answered per client {pmin}..{pmax}",
        n - closed
    );
    if closed > 0 || ctl_task.is_finished() {
        fail(format!(
            "dropped: {closed} clients (control client ended: {})",
            ctl_task.is_finished()
        ));
    }
    let (mut times, mut busy) = (Vec::new(), Vec::new());
    for r in 0..rounds {
        *sh.last.lock().unwrap() = None;
        let cpu0 = sio_epoll::cpu_time();
        let sent = Instant::now();
        if ctl.send(format!("42[\"go\",\"bench\",{r}]")).await.is_err() {
            fail("the control client ended".into());
        }
        let want = n * (r + 1);
        if !wait_for(&sh, 30, |s| s.got.load(Ordering::SeqCst) >= want).await {
            fail(format!(
                "round {r}: {} of {n} clients had the broadcast after 30 s",
                sh.got.load(Ordering::SeqCst) - n * r
            ));
        }
        let last = sh
            .last
            .lock()
            .unwrap()
            .expect("the last arrival is recorded");
        let cpu = sio_epoll::cpu_time() - cpu0;
        let wall = last.duration_since(sent);
        times.push(wall.as_secs_f64() * 1e3);
        busy.push(cpu.as_secs_f64() / wall.as_secs_f64());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    report(n, &times, &busy, "one tokio task per client");
    std::process::exit(0)
}

/// The median of `v` (the upper one of an even count).
fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s.get(s.len() / 2).copied().unwrap_or(0.0)
}

/// The figures line: times per round, and the generator's CPU share.
fn report(n: usize, times: &[f64], busy: &[f64], reader: &str) {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let list: Vec<String> = times.iter().map(|t| format!("{t:.1}")).collect();
    println!(
        "broadcast to {n}: median {:.1} ms, min {:.1} ms, max {:.1} ms over {} rounds [{}]; none dropped",
        median(times),
        sorted.first().copied().unwrap_or(0.0),
        sorted.last().copied().unwrap_or(0.0),
        times.len(),
        list.join(" ")
    );
    let b: Vec<String> = busy.iter().map(|b| format!("{:.0}", b * 100.0)).collect();
    println!(
        "generator ({reader}): CPU time / round time median {:.0} % [{}]",
        median(busy) * 100.0,
        b.join(" ")
    );
}
