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
//! The loop is the sans-IO run loop of `sockwire::ws`: read → `handle_read` → write everything
//! `poll_transmit` returns → handle every `poll_event` → honour `poll_timeout` and
//! `should_close_tcp`.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use sockwire::deflate::{DeflatePolicy, PerMessageDeflate};
use sockwire::handshake::http::{HeadConfig, Header, Status};
use sockwire::handshake::{AcceptOptions, ServerHandshake};
use sockwire::ws::{Connection, ConnectionConfig, Event, MessageKind};

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

/// The negotiated permessage-deflate and the bytes that followed the request head.
type Upgraded = (Option<PerMessageDeflate>, Vec<u8>);

/// Reads and answers the opening handshake; returns the bytes that followed the request head.
fn handshake(stream: &mut TcpStream) -> io::Result<Option<Upgraded>> {
    let mut server = ServerHandshake::new(HeadConfig::default());
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut slots = [Header::EMPTY; 64];
        match server.parse(&buf, &mut slots) {
            Ok(Status::Partial) => continue,
            Ok(Status::Complete(req)) => {
                let chosen = req.subprotocols().find(|p| *p == "chat");
                // Compression only with a codec (the `deflate` feature).
                let policy = POLICY
                    .get_or_init(|| Some(DeflatePolicy::context_takeover(15)))
                    .filter(|_| cfg!(feature = "deflate"));
                let pmd = policy.and_then(|p| req.negotiate_deflate(&p));
                let ext = pmd.map(|p| p.response());
                let accept = req
                    .accept(
                        &AcceptOptions::new()
                            .subprotocol(chosen)
                            .extensions(ext.as_deref()),
                    )
                    .map_err(io::Error::other)?;
                let mut out = Vec::new();
                accept.encode_to_vec(&mut out);
                stream.write_all(&out)?;
                return Ok(Some((pmd, buf[req.head_len()..].to_vec())));
            }
            Err(e) => {
                if let Some(resp) = e.response() {
                    stream.write_all(resp)?;
                }
                return Err(io::Error::other(format!("handshake refused: {e}")));
            }
        }
    }
}

fn serve(mut stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let Some((pmd, mut leftover)) = handshake(&mut stream)? else {
        return Ok(());
    };
    let start = Instant::now();
    let mut conn = Connection::server(config().permessage_deflate(pmd));
    let mut scratch: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 256 << 10];
    // Bytes that came with the handshake belong to the connection.
    feed(
        &mut conn,
        &mut stream,
        start.elapsed(),
        &mut leftover,
        &mut scratch,
    )?;
    loop {
        if conn.should_close_tcp() {
            return linger_close(stream);
        }
        let timeout = conn.poll_timeout().map(|d| {
            d.saturating_sub(start.elapsed())
                .max(Duration::from_millis(1))
        });
        stream.set_read_timeout(timeout)?;
        match stream.read(&mut buf) {
            Ok(0) => {
                conn.handle_eof(start.elapsed());
                drain(&mut conn, &mut stream, &mut scratch)?;
                return Ok(());
            }
            Ok(n) => feed(
                &mut conn,
                &mut stream,
                start.elapsed(),
                &mut buf[..n],
                &mut scratch,
            )?,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                conn.handle_timeout(start.elapsed());
                drain(&mut conn, &mut stream, &mut scratch)?;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Feeds one read to the connection, draining outputs after every step.
fn feed(
    conn: &mut Connection,
    stream: &mut TcpStream,
    now: Duration,
    bytes: &mut [u8],
    scratch: &mut Vec<u8>,
) -> io::Result<()> {
    let mut pos = 0;
    while pos < bytes.len() {
        match conn.handle_read(now, &mut bytes[pos..]) {
            Ok(n) => pos += n,
            Err(e) => {
                // The Close frame with the error's code is in poll_transmit.
                eprintln!("echo_server: closing: {e}");
                drain(conn, stream, scratch)?;
                return Ok(());
            }
        }
        drain(conn, stream, scratch)?;
    }
    Ok(())
}

/// Writes pending output and handles events (echoing messages).
fn drain(conn: &mut Connection, stream: &mut TcpStream, scratch: &mut Vec<u8>) -> io::Result<()> {
    loop {
        while let Some(bytes) = conn.poll_transmit() {
            stream.write_all(bytes)?;
        }
        let mut echo = None;
        match conn.poll_event() {
            None => return Ok(()),
            Some(Event::Text(t)) => {
                scratch.clear();
                scratch.extend_from_slice(t.as_bytes());
                echo = Some(MessageKind::Text);
            }
            Some(Event::Binary(b)) => {
                scratch.clear();
                scratch.extend_from_slice(b);
                echo = Some(MessageKind::Binary);
            }
            Some(_) => {}
        }
        if let Some(kind) = echo {
            // Refused only once we are closing: then the message is simply not echoed.
            let _ = conn.send_frame(kind, true, scratch);
        }
    }
}

/// Closes TCP after a finished (or failed) WebSocket: stop sending, let the peer see our last
/// frames, wait briefly for its FIN so that unread data does not turn our close into a reset.
fn linger_close(mut stream: TcpStream) -> io::Result<()> {
    let _ = stream.shutdown(Shutdown::Write);
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut sink = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    Ok(())
}
