//! `client`: a line-based WebSocket client on `std::net`.
//!
//! ```text
//! cargo run --example client -- ws://127.0.0.1:9002/ [--protocol chat]
//! ```
//!
//! Connects to a `ws://` URL, sends every line of standard input as a text message and prints
//! every message that comes back (binary ones as hex). At the end of input it closes the
//! WebSocket with 1000 and waits for the server's Close.
//!
//! Standard input is read on its own thread and handed over a channel; the socket is read with
//! a short timeout so one thread drives the sans-IO `Connection`.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sockwire::frame::CloseCode;
use sockwire::ws::{Connection, ConnectionConfig, Event, MaskKeySource};

use sockwire_std::ws::{self as ws_connect, Upgraded};

fn main() {
    let mut url = None;
    let mut protocols: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--protocol" => protocols.push(args.next().unwrap_or_else(|| usage())),
            "-h" | "--help" => usage(),
            _ if url.is_none() => url = Some(a),
            _ => usage(),
        }
    }
    let url = url.unwrap_or_else(|| usage());
    if let Err(e) = run(&url, &protocols) {
        eprintln!("client: {e}");
        std::process::exit(1);
    }
}

fn usage() -> ! {
    eprintln!("usage: client ws://HOST:PORT/PATH [--protocol NAME]...");
    std::process::exit(2);
}

/// Random 64-bit values from std's randomly keyed SipHash over a counter.
fn random_u64(state: &RandomState, counter: &mut u64) -> u64 {
    *counter += 1;
    let mut h = state.build_hasher();
    h.write_u64(*counter);
    h.finish()
}

fn run(url: &str, protocols: &[String]) -> io::Result<()> {
    let rest = url
        .strip_prefix("ws://")
        .ok_or_else(|| io::Error::other("only ws:// URLs are supported"))?;
    let (hostport, target) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let state = RandomState::new();
    let mut counter = 0;
    let mut nonce = [0u8; 16];
    nonce[..8].copy_from_slice(&random_u64(&state, &mut counter).to_le_bytes());
    nonce[8..].copy_from_slice(&random_u64(&state, &mut counter).to_le_bytes());
    let offered: Vec<&str> = protocols.iter().map(String::as_str).collect();
    // permessage-deflate is offered when there is a codec (the `deflate` feature).
    let offer = cfg!(feature = "deflate").then(sockwire::deflate::DeflateOffer::default);

    let Upgraded {
        mut stream,
        subprotocol,
        mut leftover,
        deflate,
        ..
    } = ws_connect::connect(hostport, target, nonce, &offered, offer.as_ref())?;
    match subprotocol {
        Some(p) => eprintln!("client: connected, subprotocol {p}"),
        None => eprintln!("client: connected"),
    }
    if let Some(d) = deflate {
        eprintln!("client: permessage-deflate {}", d.response().as_str());
    }

    let keys_state = RandomState::new();
    let mut key_counter = 0;
    let keys = move || {
        let v = random_u64(&keys_state, &mut key_counter);
        [v as u8, (v >> 8) as u8, (v >> 16) as u8, (v >> 24) as u8]
    };
    let mut conn = Connection::client(
        ConnectionConfig::default().permessage_deflate(deflate),
        keys,
    );

    let (tx, lines) = mpsc::channel::<Option<String>>();
    std::thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            match line {
                Ok(l) => {
                    if tx.send(Some(l)).is_err() {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = tx.send(None);
    });

    let start = Instant::now();
    let mut buf = vec![0u8; 64 << 10];
    let mut input_open = true;
    step(&mut conn, &mut stream, start.elapsed(), &mut leftover)?;
    loop {
        if conn.should_close_tcp() {
            return Ok(());
        }
        // Lines from stdin.
        while input_open {
            match lines.try_recv() {
                Ok(Some(line)) => {
                    if conn.send_text(&line).is_err() {
                        input_open = false;
                    }
                }
                Ok(None) | Err(mpsc::TryRecvError::Disconnected) => {
                    input_open = false;
                    let _ = conn.close(CloseCode::NORMAL, "");
                }
                Err(mpsc::TryRecvError::Empty) => break,
            }
            flush(&mut conn, &mut stream)?;
        }
        // The socket, with a short timeout so stdin is polled too.
        let now = start.elapsed();
        let wait = conn
            .poll_timeout()
            .map_or(Duration::from_millis(50), |d| d.saturating_sub(now))
            .clamp(Duration::from_millis(1), Duration::from_millis(50));
        stream.set_read_timeout(Some(wait))?;
        match stream.read(&mut buf) {
            Ok(0) => {
                conn.handle_eof(start.elapsed());
                flush(&mut conn, &mut stream)?;
                return Ok(());
            }
            Ok(n) => step(&mut conn, &mut stream, start.elapsed(), &mut buf[..n])?,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                conn.handle_timeout(start.elapsed());
                flush(&mut conn, &mut stream)?;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn step<K: MaskKeySource>(
    conn: &mut Connection<K>,
    stream: &mut TcpStream,
    now: Duration,
    bytes: &mut [u8],
) -> io::Result<()> {
    let mut pos = 0;
    while pos < bytes.len() {
        match conn.handle_read(now, &mut bytes[pos..]) {
            Ok(n) => pos += n,
            Err(e) => {
                eprintln!("client: {e}");
                break;
            }
        }
        flush(conn, stream)?;
    }
    flush(conn, stream)
}

/// Writes pending bytes and prints events.
fn flush<K: MaskKeySource>(conn: &mut Connection<K>, stream: &mut TcpStream) -> io::Result<()> {
    while let Some(bytes) = conn.poll_transmit() {
        stream.write_all(bytes)?;
    }
    let mut out = io::stdout().lock();
    while let Some(ev) = conn.poll_event() {
        match ev {
            Event::Text(t) => writeln!(out, "{t}")?,
            Event::Binary(b) => {
                for x in b {
                    write!(out, "{x:02x}")?;
                }
                writeln!(out)?;
            }
            Event::CloseReceived { code, reason } => {
                eprintln!("client: server closed: {code:?} {reason:?}");
            }
            Event::Closed { code, clean } => {
                eprintln!("client: connection closed ({code}, clean: {clean})");
            }
            _ => {}
        }
    }
    out.flush()
}
