//! The hold and broadcast phases of `load sio` read by plain `epoll` threads instead of one
//! tokio task per client, so that the generator costs little per received message and the
//! figure measures the server, not the generator.
//!
//! Once every client is in the room (set up by the tokio code of `sio`), the sockets are taken
//! out of tokio's reactor and split over `LOAD_THREADS` reader threads (default 1: `sio.sh`
//! gives the generator one CPU of two). Each thread owns one level-triggered epoll set and
//! waits for up to 1,024 ready sockets per `epoll_wait`; a ready socket gets one `read` into
//! the thread's 64 KiB buffer, and the frames in it are parsed in place (only a frame split
//! over two reads is copied into that client's leftover buffer). Pings are answered from the
//! reader thread (`2` → `3`, WebSocket Ping → Pong). The main thread writes each round's `go`
//! on the control client (whose reads, pings included, belong to reader 0) and waits until the
//! readers have counted N `msg` events; the reader that counts the last one stamps the time.
//!
//! Per round the generator's own CPU time (`getrusage(RUSAGE_SELF)`, user + system) over the
//! round's wall time is printed as its busy share: near 100 % of its threads would mean it, not
//! the server, sets the pace.
use std::io::{self, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::frame;

/// The longest server frame accepted.
const MAX_FRAME: usize = 1 << 20;
/// Ready sockets taken per `epoll_wait`.
const EVENTS: usize = 1024;
/// How long a reader sleeps after a batch of fewer than [`EVENTS`] sockets
/// (`LOAD_BATCH_US`, at most 10 ms; 0 = wait in `epoll_wait` at once).
const DEFAULT_BATCH_US: u64 = 500;

/// What the reader threads share with the main thread.
struct Shared {
    /// `msg` events counted, all clients and rounds together.
    got: AtomicUsize,
    /// Clients whose connection ended or failed.
    closed: AtomicUsize,
    /// The control client's connection ended.
    control_closed: AtomicBool,
    /// When the `msg` that completed the latest multiple of N was read.
    last: Mutex<Option<Instant>>,
    stop: AtomicBool,
    main: thread::Thread,
    n: usize,
}

/// One client: its socket, the tail of a frame split over reads, its pings answered.
struct Client {
    s: TcpStream,
    rest: Vec<u8>,
    pings: u32,
    id: usize,
    dead: bool,
}

/// CPU time (user + system) of the whole process so far.
pub fn cpu_time() -> Duration {
    // getrusage only writes the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// What one complete frame asks of its reader.
enum Seen {
    Msg,
    Other,
    Pong(Vec<u8>),
    Answer3,
    Closed,
}

/// Parses the complete frames at the start of `b`: what each one is, and the bytes consumed.
fn parse(b: &[u8], out: &mut Vec<Seen>) -> io::Result<usize> {
    let mut at = 0;
    loop {
        let f = &b[at..];
        if f.len() < 2 {
            return Ok(at);
        }
        let (len, head) = match f[1] & 0x7f {
            126 if f.len() >= 4 => (usize::from(u16::from_be_bytes([f[2], f[3]])), 4),
            127 if f.len() >= 10 => {
                let l = u64::from_be_bytes(f[2..10].try_into().unwrap());
                (usize::try_from(l).unwrap_or(usize::MAX), 10)
            }
            126 | 127 => return Ok(at),
            l => (usize::from(l), 2),
        };
        if len > MAX_FRAME {
            return Err(io::Error::other("frame too long"));
        }
        if f.len() < head + len {
            return Ok(at);
        }
        let p = &f[head..head + len];
        out.push(match f[0] & 0x0f {
            0x8 => Seen::Closed,
            0x9 => Seen::Pong(p.to_vec()),
            _ if p.starts_with(b"42[\"msg\"") => Seen::Msg,
            _ if p == b"2" => Seen::Answer3,
            _ => Seen::Other,
        });
        at += head + len;
    }
}

/// One reader thread: its clients (the control client last when `control` is set).
fn reader(
    mut clients: Vec<Client>,
    control: Option<TcpStream>,
    sh: Arc<Shared>,
    pings: Arc<Vec<AtomicU32>>,
) {
    let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    assert!(ep >= 0, "epoll_create1: {}", io::Error::last_os_error());
    let ctl_key = clients.len();
    let add = |fd: i32, key: usize| {
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: key as u64,
        };
        let r = unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, fd, &mut ev) };
        assert!(r == 0, "epoll_ctl: {}", io::Error::last_os_error());
    };
    for (k, c) in clients.iter().enumerate() {
        add(c.s.as_raw_fd(), k);
    }
    let mut ctl = control.map(|s| Client {
        s,
        rest: Vec::new(),
        pings: 0,
        id: usize::MAX,
        dead: false,
    });
    if let Some(c) = &ctl {
        add(c.s.as_raw_fd(), ctl_key);
    }
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; EVENTS];
    let mut buf = vec![0u8; 64 * 1024];
    let mut seen = Vec::new();
    // Bytes already read by the tokio phase come first.
    for c in clients.iter_mut() {
        if !c.rest.is_empty() {
            let tail = std::mem::take(&mut c.rest);
            handle(c, &tail, &mut seen, &sh);
        }
    }
    let batch = std::env::var("LOAD_BATCH_US")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(DEFAULT_BATCH_US)
        .min(10_000);
    while !sh.stop.load(Ordering::Relaxed) {
        let n = unsafe { libc::epoll_wait(ep, events.as_mut_ptr(), EVENTS as i32, 50) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            panic!("epoll_wait: {e}");
        }
        for ev in &events[..n as usize] {
            let key = ev.u64 as usize;
            let c = if key == ctl_key {
                match ctl.as_mut() {
                    Some(c) => c,
                    None => continue,
                }
            } else {
                &mut clients[key]
            };
            if c.dead {
                continue;
            }
            let r = unsafe { libc::read(c.s.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            let got = match r {
                0 => {
                    end(c, &sh, ep, "end of stream");
                    continue;
                }
                r if r < 0 => {
                    let e = io::Error::last_os_error();
                    if e.kind() != io::ErrorKind::WouldBlock {
                        end(c, &sh, ep, &e.to_string());
                    }
                    continue;
                }
                r => r as usize,
            };
            if c.rest.is_empty() {
                handle(c, &buf[..got], &mut seen, &sh);
            } else {
                let mut all = std::mem::take(&mut c.rest);
                all.extend_from_slice(&buf[..got]);
                handle(c, &all, &mut seen, &sh);
            }
        }
        // Let the next batch gather: a reader that is not waiting in epoll_wait costs the
        // sender no wake-up per message.
        if batch > 0 && (n as usize) < EVENTS {
            thread::sleep(Duration::from_micros(batch));
        }
    }
    for c in &clients {
        pings[c.id].store(c.pings, Ordering::Relaxed);
    }
    unsafe { libc::close(ep) };
}

/// Marks `c` ended (the run fails) and takes it out of the epoll set.
fn end(c: &mut Client, sh: &Shared, ep: i32, why: &str) {
    c.dead = true;
    unsafe {
        libc::epoll_ctl(
            ep,
            libc::EPOLL_CTL_DEL,
            c.s.as_raw_fd(),
            std::ptr::null_mut(),
        )
    };
    if c.id == usize::MAX {
        sh.control_closed.store(true, Ordering::SeqCst);
    } else {
        eprintln!("client {} closed: {why}", c.id);
        sh.closed.fetch_add(1, Ordering::SeqCst);
    }
    sh.main.unpark();
}

/// The frames of `bytes` for client `c`; an incomplete tail is kept for the next read.
fn handle(c: &mut Client, bytes: &[u8], seen: &mut Vec<Seen>, sh: &Shared) {
    seen.clear();
    let used = match parse(bytes, seen) {
        Ok(used) => used,
        Err(e) => {
            eprintln!("client {}: {e}", c.id);
            c.dead = true;
            sh.closed.fetch_add(1, Ordering::SeqCst);
            sh.main.unpark();
            return;
        }
    };
    c.rest.extend_from_slice(&bytes[used..]);
    for s in seen.drain(..) {
        let w = match s {
            Seen::Msg if c.id != usize::MAX => {
                if (sh.got.fetch_add(1, Ordering::SeqCst) + 1).is_multiple_of(sh.n) {
                    *sh.last.lock().unwrap() = Some(Instant::now());
                    sh.main.unpark();
                }
                Ok(())
            }
            Seen::Msg | Seen::Other => Ok(()),
            Seen::Answer3 => {
                c.pings += 1;
                (&c.s).write_all(&frame(0x1, b"3"))
            }
            Seen::Pong(p) => (&c.s).write_all(&frame(0xA, &p)),
            Seen::Closed => Err(io::Error::other("closed by the server")),
        };
        if let Err(e) = w {
            eprintln!("client {}: {e}", c.id);
            c.dead = true;
            if c.id == usize::MAX {
                sh.control_closed.store(true, Ordering::SeqCst);
            } else {
                sh.closed.fetch_add(1, Ordering::SeqCst);
            }
            sh.main.unpark();
            return;
        }
    }
}

/// What the broadcast phase measured.
pub struct Rounds {
    /// Time from the `go` write to the last client's `msg`, per round (ms).
    pub times: Vec<f64>,
    /// The generator's CPU time over that time, per round (1.0 = one core busy throughout).
    pub busy: Vec<f64>,
    /// Pings answered per client over the whole run (tokio phase excluded).
    pub pings: Vec<u32>,
}

/// Runs the hold and the rounds over the sockets of the N clients (with the bytes each has
/// read past its last parsed frame) and the control client's.
pub fn run(
    conns: Vec<(TcpStream, Vec<u8>)>,
    control: TcpStream,
    hold: u64,
    rounds: usize,
    fail: fn(String) -> !,
) -> Rounds {
    let n = conns.len();
    let threads: usize = std::env::var("LOAD_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1)
        .clamp(1, 16);
    let sh = Arc::new(Shared {
        got: AtomicUsize::new(0),
        closed: AtomicUsize::new(0),
        control_closed: AtomicBool::new(false),
        last: Mutex::new(None),
        stop: AtomicBool::new(false),
        main: thread::current(),
        n,
    });
    let pings: Arc<Vec<AtomicU32>> = Arc::new((0..n).map(|_| AtomicU32::new(0)).collect());
    let mut parts: Vec<Vec<Client>> = (0..threads).map(|_| Vec::new()).collect();
    for (id, (s, rest)) in conns.into_iter().enumerate() {
        parts[id % threads].push(Client {
            s,
            rest,
            pings: 0,
            id,
            dead: false,
        });
    }
    let go = control.try_clone().expect("dup the control socket");
    let mut control = Some(control);
    let handles: Vec<_> = parts
        .into_iter()
        .map(|p| {
            let (sh, pings, ctl) = (sh.clone(), pings.clone(), control.take());
            thread::spawn(move || reader(p, ctl, sh, pings))
        })
        .collect();
    let wait_until = |until: Instant, done: &dyn Fn() -> bool| -> bool {
        while !done() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            thread::park_timeout(left);
        }
        true
    };
    let broken =
        || sh.closed.load(Ordering::SeqCst) > 0 || sh.control_closed.load(Ordering::SeqCst);
    // The hold: only a failure ends it early.
    wait_until(Instant::now() + Duration::from_secs(hold), &broken);
    if broken() {
        fail(format!(
            "dropped during the hold: {} clients (control client ended: {})",
            sh.closed.load(Ordering::SeqCst),
            sh.control_closed.load(Ordering::SeqCst)
        ));
    }
    let (mut times, mut busy) = (Vec::new(), Vec::new());
    for r in 0..rounds {
        *sh.last.lock().unwrap() = None;
        let cpu0 = cpu_time();
        let sent = Instant::now();
        if (&go)
            .write_all(&frame(0x1, format!("42[\"go\",\"bench\",{r}]").as_bytes()))
            .is_err()
        {
            fail("the control client ended".into());
        }
        let want = n * (r + 1);
        let done = || sh.got.load(Ordering::SeqCst) >= want || broken();
        if !wait_until(sent + Duration::from_secs(30), &done) || broken() {
            fail(format!(
                "round {r}: {} of {n} clients had the broadcast after 30 s ({} closed)",
                sh.got.load(Ordering::SeqCst) - n * r,
                sh.closed.load(Ordering::SeqCst)
            ));
        }
        let cpu = cpu_time() - cpu0;
        let last = sh
            .last
            .lock()
            .unwrap()
            .expect("the last arrival is stamped");
        let wall = last.duration_since(sent);
        times.push(wall.as_secs_f64() * 1e3);
        busy.push(cpu.as_secs_f64() / wall.as_secs_f64());
        thread::sleep(Duration::from_millis(200));
    }
    sh.stop.store(true, Ordering::SeqCst);
    for h in handles {
        h.join().expect("reader thread");
    }
    let pings = pings.iter().map(|p| p.load(Ordering::Relaxed)).collect();
    Rounds { times, busy, pings }
}
