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
//! `sockwire_std::ws::run_with` drives the sans-IO `Connection`; standard input is read on its
//! own thread and handed to it as commands.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, BufRead, Write};

use sockwire::frame::CloseCode;
use sockwire::ws::{Connection, ConnectionConfig, MessageKind};

use sockwire_std::ws::{self, Command, Upgraded};

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
        stream,
        subprotocol,
        leftover,
        deflate,
        ..
    } = ws::connect(hostport, target, nonce, &offered, offer.as_ref())?;
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
    let conn = Connection::client(
        ConnectionConfig::default().permessage_deflate(deflate),
        keys,
    );

    // Standard input on its own thread: every line a text message, the end a Close 1000.
    let (commands, inbox) = ws::channel();
    std::thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if commands.send(Command::Text(line)).is_err() {
                return;
            }
        }
        let _ = commands.send(Command::Close(CloseCode::NORMAL, String::new()));
    });
    let mut out = io::stdout();
    ws::run_with(stream, conn, leftover, inbox, |kind, data, _| {
        let _ = match kind {
            MessageKind::Text => writeln!(out, "{}", String::from_utf8_lossy(data)),
            _ => writeln!(out, "{}", hex(data)),
        };
        None
    })?;
    eprintln!("client: connection closed");
    Ok(())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
