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
//! Each connection is `sockwire_std`'s blocking host: `ws::connect` (the opening handshake),
//! then `ws::run` driving a client `sockwire::ws::Connection` whose masking keys come from the
//! standard library's randomly keyed SipHash (a keyed PRF over a counter; seeded from OS
//! randomness).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io;

use sockwire::deflate::DeflateOffer;
use sockwire::ws::{Connection, ConnectionConfig};

use sockwire_std::ws::{self, Upgraded};

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

/// One WebSocket connection to `target`, run by `sockwire_std::ws::run`: returns the first
/// messages received (at most 16); echoes every message if `echo`.
fn session(
    hostport: &str,
    target: &str,
    rng: &mut Entropy,
    echo: bool,
) -> io::Result<Vec<Vec<u8>>> {
    // permessage-deflate is offered when there is a codec (the `deflate` feature).
    let offer = cfg!(feature = "deflate").then(DeflateOffer::default);
    let Upgraded {
        stream,
        leftover,
        deflate,
        ..
    } = ws::connect(hostport, target, rng.nonce(), &[], offer.as_ref())?;
    let conn = Connection::client(config().permessage_deflate(deflate), rng.key_source());
    let mut received = Vec::new();
    ws::run(stream, conn, leftover, |kind, data, reply| {
        if echo {
            reply.extend_from_slice(data);
            return Some(kind);
        }
        if received.len() < 16 {
            received.push(data.to_vec());
        }
        None
    })?;
    Ok(received)
}
