//! The floor of a broadcast on this machine: no server at all, just one `send` of the same
//! SIZE-byte buffer to each of N loopback TCP sockets (TCP_NODELAY, as every server sets it),
//! timed until a reader has every byte, the way `load sio` times a server's broadcast. The
//! sender runs on CPU 0 and the reader on CPU 1 (as `sio.sh` pins the server and the
//! generator); the reader polls its epoll set without blocking and naps 0.5 ms when it finds
//! nothing, as `load sio`'s readers do. Whatever a Socket.IO server does per recipient comes on
//! top of this.
//!
//!   send_floor [N] [ROUNDS] [SIZE]   (default 10000 7 60)
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

fn pin(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t is valid; CPU_SET and sched_setaffinity only touch it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().expect("a number"));
    let n = args.next().unwrap_or(10_000);
    let rounds = args.next().unwrap_or(7);
    let size = args.next().unwrap_or(60);
    pin(0);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut clients = Vec::with_capacity(n);
    let mut servers = Vec::with_capacity(n);
    for _ in 0..n {
        clients.push(TcpStream::connect(addr).unwrap());
        let (s, _) = listener.accept().unwrap();
        s.set_nodelay(true).unwrap();
        servers.push(s);
    }
    for c in &clients {
        c.set_nonblocking(true).unwrap();
    }
    let received = Arc::new(AtomicUsize::new(0));
    let done_at = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let go = Arc::new(Barrier::new(2));
    let reader = {
        let (received, done_at, go) = (received.clone(), done_at.clone(), go.clone());
        std::thread::spawn(move || {
            pin(1);
            // SAFETY: plain epoll calls on descriptors owned by `clients` for the whole loop.
            let ep = unsafe { libc::epoll_create1(0) };
            for (i, c) in clients.iter().enumerate() {
                let mut ev = libc::epoll_event {
                    events: libc::EPOLLIN as u32,
                    u64: i as u64,
                };
                unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, c.as_raw_fd(), &mut ev) };
            }
            let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
            let mut buf = [0u8; 4096];
            for _ in 0..rounds {
                go.wait();
                let want = n * size;
                let mut got = 0;
                while got < want {
                    let k = unsafe { libc::epoll_wait(ep, events.as_mut_ptr(), 1024, 0) };
                    if k <= 0 {
                        std::thread::sleep(Duration::from_micros(500));
                        continue;
                    }
                    for ev in &events[..k as usize] {
                        let mut c = &clients[ev.u64 as usize];
                        while let Ok(m) = c.read(&mut buf) {
                            if m == 0 {
                                break;
                            }
                            got += m;
                        }
                    }
                }
                done_at.store(start.elapsed().as_nanos() as u64, Ordering::SeqCst);
                received.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let frame = vec![b'x'; size];
    let mut times = Vec::new();
    for r in 0..rounds {
        std::thread::sleep(Duration::from_millis(200));
        go.wait();
        let t0 = start.elapsed().as_nanos() as u64;
        for s in &mut servers {
            s.write_all(&frame).unwrap();
        }
        let sent = start.elapsed().as_nanos() as u64;
        while received.load(Ordering::SeqCst) <= r {
            std::thread::sleep(Duration::from_micros(100));
        }
        let t = done_at.load(Ordering::SeqCst) - t0;
        times.push(t as f64 / 1e6);
        eprintln!(
            "round {r}: sends done in {:.1} ms, last byte read at {:.1} ms",
            (sent - t0) as f64 / 1e6,
            t as f64 / 1e6
        );
    }
    reader.join().unwrap();
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "send floor: {n} sockets x {size} B, one send each: median {:.1} ms over {rounds} rounds {times:.1?}",
        sorted[sorted.len() / 2]
    );
}
