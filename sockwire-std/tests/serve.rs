//! `serve` over real loopback sockets: a Socket.IO server machine answers long-polling and
//! WebSocket clients, and a connection the machine closes is closed.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use sockwire::engineio::Endpoint;
use sockwire::engineio::endpoint::EndpointConfig;
use sockwire::socketio::server::{App, Ctx, Event, Server, ServerOptions};

struct Echo;
impl App for Echo {
    fn on_event(&mut self, ctx: &mut Ctx<'_>, event: Event<'_>) {
        let args: Vec<_> = event.args().collect();
        let _ = ctx.emit(event.name(), &args);
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Reads one HTTP response (head and `Content-Length` body); returns the body.
fn response(s: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut byte).unwrap(), 1, "EOF inside a head");
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf).unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().unwrap())
        })
        .unwrap();
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).unwrap();
    let body = String::from_utf8(body).unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}{body}");
    body
}

fn request(addr: SocketAddr, method: &str, target: &str, body: &str) -> String {
    let mut s = connect(addr);
    write!(
        s,
        "{method} {target} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    response(&mut s)
}

#[test]
fn socketio_over_polling() {
    let io = Server::new(Echo, ServerOptions::default(), sockwire_std::entropy());
    let addr = sockwire_std::spawn("127.0.0.1:0", io).unwrap();
    let open = request(addr, "GET", "/socket.io/?EIO=4&transport=polling", "");
    assert!(open.starts_with("0{\"sid\":\""), "{open}");
    let sid = &open[9..open[9..].find('"').unwrap() + 9];
    let q = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
    assert_eq!(request(addr, "POST", &q, "40"), "ok");
    let connected = request(addr, "GET", &q, "");
    assert!(connected.starts_with("40{\"sid\":\""), "{connected}");
    assert_eq!(request(addr, "POST", &q, "42[\"hi\",1]"), "ok");
    assert_eq!(request(addr, "GET", &q, ""), "42[\"hi\",1]");
}

#[test]
fn engineio_over_websocket_and_keepalive_from_the_machine() {
    let cfg = EndpointConfig::default().server(
        sockwire::engineio::server::ServerConfig::default()
            .ping_interval(Duration::from_millis(50))
            .ping_timeout(Duration::from_millis(5_000)),
    );
    let ep = Endpoint::new(cfg, sockwire_std::entropy());
    let addr = sockwire_std::spawn("127.0.0.1:0", ep).unwrap();
    let mut s = connect(addr);
    s.write_all(
        b"GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\
          Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
          Sec-WebSocket-Version: 13\r\n\r\n",
    )
    .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    // The 101, the open packet, then a ping the host's timer sent (no client input since).
    while !got.windows(3).any(|w| w == [0x81, 0x01, b'2']) {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed early: {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 101"), "{text}");
    assert!(text.contains("0{\"sid\":"), "{text}");
}

#[test]
fn an_unknown_path_is_answered_404() {
    let ep = Endpoint::new(EndpointConfig::default(), sockwire_std::entropy());
    let addr = sockwire_std::spawn("127.0.0.1:0", ep).unwrap();
    let mut s = connect(addr);
    s.write_all(b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut all = [0u8; 12];
    s.read_exact(&mut all).unwrap();
    assert_eq!(&all, b"HTTP/1.1 404");
}

#[test]
fn entropy_never_repeats_across_clones() {
    let mut a = sockwire_std::entropy();
    let mut b = a.clone();
    let ids: std::collections::HashSet<[u8; 15]> = (0..1000).flat_map(|_| [a(), b()]).collect();
    assert_eq!(ids.len(), 2000);
}

#[test]
fn blocking_websocket_echo_with_a_subprotocol() {
    use sockwire::ws::{Connection, ConnectionConfig};
    use sockwire_std::ws;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let up = ws::accept(s, |p| p == "chat", None).unwrap().unwrap();
        assert_eq!(up.subprotocol.as_deref(), Some("chat"));
        let conn = Connection::server(ConnectionConfig::default());
        ws::run(up.stream, conn, up.leftover, |kind, data, reply| {
            reply.extend_from_slice(data);
            Some(kind)
        })
    });
    let hostport = addr.to_string();
    let up = ws::connect(&hostport, "/", [7; 16], &["other", "chat"], None).unwrap();
    assert_eq!(up.subprotocol.as_deref(), Some("chat"));
    let mut s = up.stream;
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // A masked text frame "hello", then a masked Close 1000.
    let key = [1u8, 2, 3, 4];
    let mut f = vec![0x81, 0x85];
    f.extend_from_slice(&key);
    f.extend(b"hello".iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    f.extend_from_slice(&[0x88, 0x82]);
    f.extend_from_slice(&key);
    f.extend([0x03 ^ 1, 0xe8 ^ 2]);
    s.write_all(&f).unwrap();
    let mut got = up.leftover;
    let mut buf = [0u8; 64];
    while got.len() < 11 {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed early: {got:?}");
        got.extend_from_slice(&buf[..n]);
    }
    // The echo, byte-exact, then the Close reply with the same code.
    assert_eq!(&got[..11], b"\x81\x05hello\x88\x02\x03\xe8");
}

/// `ws::run` drives a client (masking) connection too, and a reset from the peer ends the run
/// like EOF instead of an error: the server sends "hi", waits for the echo and drops the socket
/// with the echo unread, which makes the kernel answer with RST.
#[test]
fn blocking_websocket_client_run_ends_cleanly_on_a_reset() {
    use sockwire::ws::{Connection, ConnectionConfig};
    use sockwire_std::ws;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let mut up = ws::accept(s, |_| false, None).unwrap().unwrap();
        up.stream.write_all(b"\x81\x02hi").unwrap();
        let mut b = [0u8; 1];
        up.stream.peek(&mut b).unwrap(); // the echo is here: leave it unread
        drop(up.stream);
    });
    let up = ws::connect(&addr.to_string(), "/", [7; 16], &[], None).unwrap();
    let mut n = 0u32;
    let conn = Connection::client(ConnectionConfig::default(), move || {
        n += 1;
        n.to_le_bytes()
    });
    let mut got = Vec::new();
    let r = ws::run(up.stream, conn, up.leftover, |kind, data, reply| {
        got.push(data.to_vec());
        reply.extend_from_slice(data);
        Some(kind)
    });
    server.join().unwrap();
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(got, [b"hi".to_vec()]);
}

/// `ws::run_with`: commands from another thread are sent at once, the echoes come back, and the
/// Close command ends the run cleanly after the server's answer.
#[test]
fn blocking_websocket_client_takes_commands_from_another_thread() {
    use sockwire::frame::CloseCode;
    use sockwire::ws::{Connection, ConnectionConfig, MessageKind};
    use sockwire_std::ws::{self, Command};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let up = ws::accept(s, |_| false, None).unwrap().unwrap();
        let conn = Connection::server(ConnectionConfig::default());
        ws::run(up.stream, conn, up.leftover, |kind, data, reply| {
            reply.extend_from_slice(data);
            Some(kind)
        })
    });
    let up = ws::connect(&addr.to_string(), "/", [7; 16], &[], None).unwrap();
    let conn = Connection::client(ConnectionConfig::default(), || [9, 8, 7, 6]);
    let (commands, inbox) = ws::channel();
    let pusher = std::thread::spawn(move || {
        commands.send(Command::Text("one".into())).unwrap();
        commands.send(Command::Binary(vec![0, 255])).unwrap();
        commands
            .send(Command::Close(CloseCode::NORMAL, "bye".into()))
            .unwrap();
        commands
    });
    let mut got = Vec::new();
    let r = ws::run_with(up.stream, conn, up.leftover, inbox, |kind, data, _| {
        got.push((kind, data.to_vec()));
        None
    });
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(
        got,
        [
            (MessageKind::Text, b"one".to_vec()),
            (MessageKind::Binary, vec![0, 255])
        ]
    );
    // The run is over: a later command is refused.
    let commands = pusher.join().unwrap();
    assert!(commands.send(Command::Text("late".into())).is_err());
}
