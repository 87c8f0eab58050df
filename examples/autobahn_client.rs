//! `autobahn_client`: drives the Autobahn TestSuite's fuzzing server with a sockwire client.
//!
//! ```text
//! cargo run --release --example autobahn_client -- --url ws://127.0.0.1:9001 --agent sockwire
//! ```
//!
//! Speaks Autobahn's client protocol, one WebSocket connection per step: `/getCaseCount` (one
//! text message with the number of cases), then `/runCase?case=N&agent=A` for every case
//! (echoing every message until the server closes), then `/updateReports?agent=A`.
//!
//! Each connection is the sans-IO run loop: the handshake from `sockwire::handshake`, then a
//! client `sockwire::ws::Connection` whose masking keys come from the standard library's
//! randomly keyed SipHash (a keyed PRF over a counter; seeded from OS randomness).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use sockwire::deflate::DeflateOffer;
use sockwire::ws::{Connection, ConnectionConfig, Event, MessageKind};

use sockwire_std::ws::{self as ws_connect, Upgraded};

fn main() {
    let mut url = String::from("ws://127.0.0.1:9001");
    let mut agent = String::from("sockwire");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--url" => url = args.next().unwrap_or_else(|| usage()),
            "--agent" => agent = args.next().unwrap_or_else(|| usage()),
            _ => usage(),
        }
    }
    let Some(hostport) = url
        .strip_prefix("ws://")
        .map(|s| s.trim_end_matches('/').to_owned())
    else {
        eprintln!("autobahn_client: only ws:// URLs are supported");
        std::process::exit(2);
    };
    let mut rng = Entropy::new();

    let count = match session(&hostport, "/getCaseCount", &mut rng, false) {
        Ok(msgs) => msgs
            .first()
            .and_then(|m| std::str::from_utf8(m).ok())
            .and_then(|s| s.trim().parse::<u32>().ok())
            .unwrap_or_else(|| {
                eprintln!("autobahn_client: no case count received");
                std::process::exit(1)
            }),
        Err(e) => {
            eprintln!("autobahn_client: getCaseCount: {e}");
            std::process::exit(1);
        }
    };
    eprintln!("autobahn_client: {count} cases");
    for case in 1..=count {
        let target = format!("/runCase?case={case}&agent={agent}");
        if let Err(e) = session(&hostport, &target, &mut rng, true) {
            eprintln!("autobahn_client: case {case}: {e}");
        }
    }
    let target = format!("/updateReports?agent={agent}");
    if let Err(e) = session(&hostport, &target, &mut rng, false) {
        eprintln!("autobahn_client: updateReports: {e}");
        std::process::exit(1);
    }
    eprintln!("autobahn_client: done");
}

fn usage() -> ! {
    eprintln!("usage: autobahn_client --url ws://HOST:PORT --agent NAME");
    std::process::exit(2);
}

/// Random bytes from std's randomly keyed SipHash over a counter.
struct Entropy {
    state: RandomState,
    counter: u64,
}

impl Entropy {
    fn new() -> Self {
        Entropy {
            state: RandomState::new(),
            counter: 0,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.counter += 1;
        let mut h = self.state.build_hasher();
        h.write_u64(self.counter);
        h.finish()
    }

    fn nonce(&mut self) -> [u8; 16] {
        let mut n = [0u8; 16];
        n[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        n[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        n
    }

    fn key_source(&mut self) -> impl FnMut() -> [u8; 4] + use<> {
        let mut e = Entropy {
            state: RandomState::new(),
            counter: self.next_u64(),
        };
        move || {
            let v = e.next_u64();
            [v as u8, (v >> 8) as u8, (v >> 16) as u8, (v >> 24) as u8]
        }
    }
}

fn config() -> ConnectionConfig {
    ConnectionConfig::default()
        .max_frame_size(64 << 20)
        .max_message_size(64 << 20)
        .max_fragments(1_000_000)
}

/// One WebSocket connection to `target`: returns the messages received; echoes them if `echo`.
fn session(
    hostport: &str,
    target: &str,
    rng: &mut Entropy,
    echo: bool,
) -> io::Result<Vec<Vec<u8>>> {
    // permessage-deflate is offered when there is a codec (the `deflate` feature).
    let offer = cfg!(feature = "deflate").then(DeflateOffer::default);
    let Upgraded {
        mut stream,
        mut leftover,
        deflate,
        ..
    } = ws_connect::connect(hostport, target, rng.nonce(), &[], offer.as_ref())?;

    let start = Instant::now();
    let mut conn = Connection::client(config().permessage_deflate(deflate), rng.key_source());
    let mut received = Vec::new();
    let mut buf = vec![0u8; 256 << 10];
    let mut scratch = Vec::new();
    let mut io = Io {
        stream: &mut stream,
        received: &mut received,
        scratch: &mut scratch,
        echo,
    };
    io.feed(&mut conn, start.elapsed(), &mut leftover)?;
    loop {
        if conn.should_close_tcp() {
            break;
        }
        let timeout = conn.poll_timeout().map(|d| {
            d.saturating_sub(start.elapsed())
                .max(Duration::from_millis(1))
        });
        io.stream.set_read_timeout(timeout)?;
        match io.stream.read(&mut buf) {
            Ok(0) => {
                conn.handle_eof(start.elapsed());
                io.drain(&mut conn)?;
                break;
            }
            Ok(n) => io.feed(&mut conn, start.elapsed(), &mut buf[..n])?,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                conn.handle_timeout(start.elapsed());
                io.drain(&mut conn)?;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => {
                // A reset (typically right after the server's Close) ends it like EOF.
                conn.handle_eof(start.elapsed());
                break;
            }
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
    Ok(received)
}

struct Io<'a> {
    stream: &'a mut TcpStream,
    received: &'a mut Vec<Vec<u8>>,
    scratch: &'a mut Vec<u8>,
    echo: bool,
}

impl Io<'_> {
    fn feed<K: sockwire::ws::MaskKeySource>(
        &mut self,
        conn: &mut Connection<K>,
        now: Duration,
        bytes: &mut [u8],
    ) -> io::Result<()> {
        let mut pos = 0;
        while pos < bytes.len() {
            match conn.handle_read(now, &mut bytes[pos..]) {
                Ok(n) => pos += n,
                Err(_) => {
                    self.drain(conn)?;
                    return Ok(());
                }
            }
            self.drain(conn)?;
        }
        Ok(())
    }

    fn drain<K: sockwire::ws::MaskKeySource>(
        &mut self,
        conn: &mut Connection<K>,
    ) -> io::Result<()> {
        loop {
            while let Some(bytes) = conn.poll_transmit() {
                self.stream.write_all(bytes)?;
            }
            let kind = match conn.poll_event() {
                None => return Ok(()),
                Some(Event::Text(t)) => {
                    self.scratch.clear();
                    self.scratch.extend_from_slice(t.as_bytes());
                    MessageKind::Text
                }
                Some(Event::Binary(b)) => {
                    self.scratch.clear();
                    self.scratch.extend_from_slice(b);
                    MessageKind::Binary
                }
                Some(_) => continue,
            };
            if self.echo {
                let _ = conn.send_frame(kind, true, self.scratch);
            } else if self.received.len() < 16 {
                self.received.push(self.scratch.clone());
            }
        }
    }
}
