//! `echo_server`: a WebSocket echo server on `std::net`, one thread per connection.
//!
//! ```text
//! cargo run --release --example echo_server -- --addr 127.0.0.1:9002
//! ```
//!
//! Every text or binary message comes back with the same type. A client offering the `chat`
//! subprotocol gets it selected. Messages of up to 64 MiB in up to 1,000,000 fragments are
//! accepted (what the Autobahn TestSuite's limits cases send), and a Close is answered with the
//! peer's code. It is also the target of the interop tests in `tests/ci/`.
//!
//! The handshake and the run loop of `sockwire::ws::Connection` on a blocking stream are
//! [`sockwire_std::ws`]; this file is the application: its options and the echo.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use sockwire::deflate::DeflatePolicy;
use sockwire::ws::{Connection, ConnectionConfig};
use sockwire_std::ws;

/// The permessage-deflate policy (`--deflate`), set once at start.
static POLICY: std::sync::OnceLock<Option<DeflatePolicy>> = std::sync::OnceLock::new();

fn main() {
    let mut addr = String::from("127.0.0.1:9002");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--addr" => addr = args.next().unwrap_or_else(|| usage()),
            "--deflate" => {
                let p = match args.next().as_deref() {
                    Some("off") => None,
                    Some("lean") => Some(DeflatePolicy::default()),
                    Some(t) if t.starts_with("takeover") => {
                        let bits = t
                            .strip_prefix("takeover:")
                            .map_or(Some(15), |b| b.parse().ok());
                        Some(DeflatePolicy::context_takeover(
                            bits.unwrap_or_else(|| usage()),
                        ))
                    }
                    _ => usage(),
                };
                let _ = POLICY.set(p);
            }
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    let listener = TcpListener::bind(&addr).unwrap_or_else(|e| {
        eprintln!("echo_server: cannot listen on {addr}: {e}");
        std::process::exit(1);
    });
    eprintln!(
        "echo_server: listening on ws://{}",
        listener.local_addr().unwrap()
    );
    for stream in listener.incoming() {
        match stream {
            Ok(s) => {
                std::thread::spawn(move || {
                    let peer = s.peer_addr().ok();
                    if let Err(e) = serve(s) {
                        eprintln!("echo_server: {peer:?}: {e}");
                    }
                });
            }
            Err(e) => eprintln!("echo_server: accept: {e}"),
        }
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: echo_server [--addr HOST:PORT] [--deflate off|lean|takeover[:BITS]]\n\
         (defaults 127.0.0.1:9002, takeover: permessage-deflate with context takeover, 15-bit\n\
         windows, when built with the `deflate` feature)"
    );
    std::process::exit(2);
}

/// The connection's configuration: generous limits for echoing large test messages.
fn config() -> ConnectionConfig {
    ConnectionConfig::default()
        .max_frame_size(64 << 20)
        .max_message_size(64 << 20)
        .max_fragments(1_000_000)
        .close_timeout(Duration::from_secs(5))
}

fn serve(stream: TcpStream) -> io::Result<()> {
    // Compression only with a codec (the `deflate` feature).
    let policy = POLICY
        .get_or_init(|| Some(DeflatePolicy::context_takeover(15)))
        .filter(|_| cfg!(feature = "deflate"));
    let Some(up) = ws::accept(stream, |p| p == "chat", policy)? else {
        return Ok(());
    };
    let conn = Connection::server(config().permessage_deflate(up.deflate));
    ws::run(up.stream, conn, up.leftover, |kind, data, reply| {
        reply.extend_from_slice(data);
        Some(kind)
    })
}
