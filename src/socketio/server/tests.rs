//! The composition on a fake clock: real HTTP and WebSocket bytes in, byte-exact Engine.IO /
//! Socket.IO out.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::time::Duration;

use super::*;
use crate::engineio::EngineIoError;
use crate::engineio::endpoint::EndpointConfig;
use crate::socketio::packet::Value;

/// A rooms chat: `join` (ack `true`), `say` to the room but the sender, `shout` to everyone,
/// `whoami` answers with the stored name, and `name` stores it.
#[derive(Default)]
pub(super) struct Chat {
    pub(super) log: Vec<String>,
    acks: Vec<(u64, Option<String>)>,
}

impl App for Chat {
    fn on_connect(&mut self, ctx: &mut Ctx<'_>) {
        self.log.push(format!("connect {}", ctx.nsp()));
        if ctx.recovered() {
            self.log.push(format!("recovered {}", ctx.id()));
        }
    }

    fn on_engine_message(&mut self, endpoint: &mut Endpoint, sid: &str, message: EioMessage) {
        let _ = endpoint.send(sid, &message);
    }

    fn on_event(&mut self, ctx: &mut Ctx<'_>, mut event: Event<'_>) {
        self.log.push(format!("event {}", event.name()));
        match event.name() {
            "join" => {
                let room = event.str_arg(0).unwrap_or_default().into_owned();
                ctx.join(&room).unwrap();
                if let Some(a) = event.take_ack() {
                    ctx.ack(a, &[Value::Json("true")]).unwrap();
                }
            }
            "leave" => {
                let room = event.str_arg(0).unwrap_or_default().into_owned();
                ctx.leave(&room).unwrap();
            }
            "say" => {
                let args: Vec<_> = event.args().skip(1).collect();
                let room = event.str_arg(0).unwrap_or_default().into_owned();
                ctx.to(&room).emit("said", &args).unwrap();
            }
            "shout" => {
                let args: Vec<_> = event.args().collect();
                ctx.everyone().emit("shouted", &args).unwrap();
            }
            "name" => {
                let n = event.str_arg(0).unwrap_or_default().into_owned();
                ctx.set("name", n).unwrap();
            }
            "whoami" => {
                let n = ctx.get::<String>("name").cloned().unwrap_or_default();
                let json = format!("\"{n}\"");
                if let Some(a) = event.take_ack() {
                    ctx.ack(a, &[Value::Json(&json)]).unwrap();
                }
            }
            "ping-me" => {
                ctx.emit_with_ack("question", &[], Duration::from_secs(5))
                    .unwrap();
            }
            _ => {}
        }
    }

    fn on_ack(&mut self, _ctx: &mut Ctx<'_>, id: u64, answer: Option<&OwnedPacket>) {
        self.acks.push((
            id,
            answer.map(|p| p.packet().data().unwrap_or("").to_string()),
        ));
    }

    fn on_disconnect(
        &mut self,
        ctx: &mut Ctx<'_>,
        reason: DisconnectReason,
        error: Option<&crate::Error>,
    ) {
        let mut line = format!("disconnect {} {}", ctx.nsp(), reason.as_str());
        if let Some(e) = error {
            line.push_str(&format!(" ({e})"));
        }
        self.log.push(line);
    }
}

pub(super) fn server() -> Server<Chat> {
    let mut n = 0u8;
    Server::new(Chat::default(), ServerOptions::default(), move || {
        n = n.wrapping_add(1);
        [n; 15]
    })
}

/// Everything written to `conn` since the last call (other connections' bytes are kept).
pub(super) fn drain(io: &mut Server<Chat>, pending: &mut Vec<Transmit>, conn: u64) -> Vec<u8> {
    while let Some(t) = io.poll_transmit() {
        pending.push(t);
    }
    let mut out = Vec::new();
    pending.retain(|t| {
        if t.conn == conn {
            out.extend_from_slice(&t.data);
            false
        } else {
            true
        }
    });
    out
}

fn body(resp: &[u8]) -> String {
    let s = String::from_utf8_lossy(resp).into_owned();
    let at = s.find("\r\n\r\n").expect("a whole response") + 4;
    s[at..].to_string()
}

/// A long-polling client: GETs on connection `conn`, POSTs on `conn + 100` (as browsers do: a
/// POST behind a held GET on the same connection would wait for it).
struct Poller {
    conn: u64,
    sid: String,
}

impl Poller {
    fn open(io: &mut Server<Chat>, p: &mut Vec<Transmit>, conn: u64, now: Duration) -> Self {
        io.handle_accept(now, conn);
        io.handle_read(
            now,
            conn,
            b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n",
        );
        let b = body(&drain(io, p, conn));
        assert!(b.starts_with("0{\"sid\":\""), "{b}");
        let sid = b[9..29].to_string();
        io.handle_accept(now, conn + 100);
        Poller { conn, sid }
    }

    fn post(&self, io: &mut Server<Chat>, p: &mut Vec<Transmit>, now: Duration, payload: &str) {
        let req = format!(
            "POST /socket.io/?EIO=4&transport=polling&sid={} HTTP/1.1\r\nHost: x\r\n\
             Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n\r\n{}",
            self.sid,
            payload.len(),
            payload
        );
        io.handle_read(now, self.conn + 100, req.as_bytes());
        assert_eq!(body(&drain(io, p, self.conn + 100)), "ok");
    }

    /// A GET; returns the body if answered now, `None` if it is held.
    fn get(&self, io: &mut Server<Chat>, p: &mut Vec<Transmit>, now: Duration) -> Option<String> {
        let req = format!(
            "GET /socket.io/?EIO=4&transport=polling&sid={} HTTP/1.1\r\nHost: x\r\n\r\n",
            self.sid
        );
        io.handle_read(now, self.conn, req.as_bytes());
        let out = drain(io, p, self.conn);
        (!out.is_empty()).then(|| body(&out))
    }

    /// The answer to a held GET.
    fn held(&self, io: &mut Server<Chat>, p: &mut Vec<Transmit>) -> Option<String> {
        let out = drain(io, p, self.conn);
        (!out.is_empty()).then(|| body(&out))
    }
}

/// Connects `c` to the main namespace; returns its Socket.IO id.
fn connect(io: &mut Server<Chat>, p: &mut Vec<Transmit>, c: &Poller, now: Duration) -> String {
    c.post(io, p, now, "40");
    let b = c.get(io, p, now).expect("the CONNECT reply");
    assert!(b.starts_with("40{\"sid\":\""), "{b}");
    b[9..29].to_string()
}

#[test]
fn rooms_chat_over_long_polling() {
    let mut io = server();
    let mut p = Vec::new();
    let t = Duration::ZERO;
    let a = Poller::open(&mut io, &mut p, 1, t);
    let b = Poller::open(&mut io, &mut p, 2, t);
    let c = Poller::open(&mut io, &mut p, 3, t);
    let ida = connect(&mut io, &mut p, &a, t);
    let idb = connect(&mut io, &mut p, &b, t);
    connect(&mut io, &mut p, &c, t);
    assert_ne!(ida, idb);
    assert_ne!(ida, a.sid, "Socket.IO and Engine.IO ids differ");

    // a and b join "blue" (acked), c stays out.
    a.post(&mut io, &mut p, t, "420[\"join\",\"blue\"]");
    assert_eq!(a.get(&mut io, &mut p, t).as_deref(), Some("430[true]"));
    b.post(&mut io, &mut p, t, "421[\"join\",\"blue\"]");
    assert_eq!(b.get(&mut io, &mut p, t).as_deref(), Some("431[true]"));

    // Everyone holds a GET; a says something to "blue": only b hears it, byte-exact.
    for x in [&a, &b, &c] {
        assert_eq!(x.get(&mut io, &mut p, t), None, "held");
    }
    a.post(
        &mut io,
        &mut p,
        t,
        "42[\"say\",\"blue\",{\"text\":\"hi\"},7]",
    );
    assert_eq!(
        b.held(&mut io, &mut p).as_deref(),
        Some("42[\"said\",{\"text\":\"hi\"},7]")
    );
    assert_eq!(a.held(&mut io, &mut p), None);
    assert_eq!(c.held(&mut io, &mut p), None);

    // c shouts: everyone, c included, gets it (b's GET was answered: b polls again).
    assert_eq!(b.get(&mut io, &mut p, t), None);
    c.post(&mut io, &mut p, t, "42[\"shout\",\"hey\"]");
    for x in [&a, &b, &c] {
        assert_eq!(
            x.held(&mut io, &mut p).as_deref(),
            Some("42[\"shouted\",\"hey\"]")
        );
    }

    // Per-socket data.
    a.post(&mut io, &mut p, t, "42[\"name\",\"ann\"]");
    a.post(&mut io, &mut p, t, "425[\"whoami\"]");
    assert_eq!(a.get(&mut io, &mut p, t).as_deref(), Some("435[\"ann\"]"));
    b.post(&mut io, &mut p, t, "426[\"whoami\"]");
    assert_eq!(b.get(&mut io, &mut p, t).as_deref(), Some("436[\"\"]"));

    // a leaves (DISCONNECT): its callback runs and it is out of its rooms.
    assert_eq!(io.hub().room_size("/", "blue"), 2);
    a.post(&mut io, &mut p, t, "41");
    assert_eq!(io.hub().room_size("/", "blue"), 1);
    assert!(
        io.app()
            .log
            .iter()
            .any(|l| l == "disconnect / client namespace disconnect"),
        "{:?}",
        io.app().log
    );
}

/// A masked client WebSocket frame (FIN, text) carrying `text`.
pub(super) fn ws_text(text: &str) -> Vec<u8> {
    let key = [1u8, 2, 3, 4];
    assert!(text.len() < 126);
    let mut f = vec![0x81, 0x80 | text.len() as u8];
    f.extend_from_slice(&key);
    f.extend(text.bytes().enumerate().map(|(i, b)| b ^ key[i % 4]));
    f
}

/// The text payloads of the server frames in `bytes` (after any HTTP head).
pub(super) fn ws_texts(bytes: &[u8]) -> Vec<String> {
    let mut at = match bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) if bytes.starts_with(b"HTTP/1.1") => i + 4,
        _ => 0,
    };
    let mut out = Vec::new();
    while at + 2 <= bytes.len() {
        let len = usize::from(bytes[at + 1] & 0x7f);
        assert!(len < 126);
        out.push(String::from_utf8_lossy(&bytes[at + 2..at + 2 + len]).into_owned());
        at += 2 + len;
    }
    out
}

#[test]
fn websocket_clients_and_a_polling_client_share_rooms() {
    let mut io = server();
    let mut p = Vec::new();
    let t = Duration::ZERO;
    // A WebSocket client opened directly on WebSocket.
    io.handle_accept(t, 9);
    io.handle_read(
        t,
        9,
        b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\
          Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
          Sec-WebSocket-Version: 13\r\n\r\n",
    );
    let out = drain(&mut io, &mut p, 9);
    assert!(out.starts_with(b"HTTP/1.1 101"), "the 101 comes first");
    let open = ws_texts(&out);
    assert!(open[0].starts_with("0{\"sid\":\""), "{open:?}");
    io.handle_read(t, 9, &ws_text("40"));
    let got = ws_texts(&drain(&mut io, &mut p, 9));
    assert!(got[0].starts_with("40{\"sid\":\""), "{got:?}");
    io.handle_read(t, 9, &ws_text("42[\"join\",\"blue\"]"));

    // A polling client in the same room says something: the WebSocket client gets the
    // broadcast as the frames encoded once for every recipient.
    let a = Poller::open(&mut io, &mut p, 1, t);
    connect(&mut io, &mut p, &a, t);
    a.post(&mut io, &mut p, t, "42[\"join\",\"blue\"]");
    a.post(&mut io, &mut p, t, "42[\"say\",\"blue\",1]");
    assert_eq!(ws_texts(&drain(&mut io, &mut p, 9)), ["42[\"said\",1]"]);
    // And the reverse.
    assert_eq!(a.get(&mut io, &mut p, t), None);
    io.handle_read(t, 9, &ws_text("42[\"say\",\"blue\",2]"));
    assert_eq!(a.held(&mut io, &mut p).as_deref(), Some("42[\"said\",2]"));

    // The WebSocket drops: its socket leaves with "transport close".
    io.handle_eof(t, 9);
    assert_eq!(io.hub().room_size("/", "blue"), 1);
    assert!(
        io.app()
            .log
            .iter()
            .any(|l| l == "disconnect / transport close")
    );
}

#[test]
fn server_emit_with_ack_answer_and_timeout_on_the_fake_clock() {
    let mut io = server();
    let mut p = Vec::new();
    let t0 = Duration::ZERO;
    let a = Poller::open(&mut io, &mut p, 1, t0);
    connect(&mut io, &mut p, &a, t0);
    // Asked twice: the first answered, the second left to time out.
    a.post(&mut io, &mut p, t0, "42[\"ping-me\"]");
    assert_eq!(
        a.get(&mut io, &mut p, t0).as_deref(),
        Some("420[\"question\"]")
    );
    a.post(&mut io, &mut p, t0, "430[\"yes\"]");
    assert_eq!(io.app().acks, [(0, Some("[\"yes\"]".to_string()))]);
    let t1 = Duration::from_secs(1);
    a.post(&mut io, &mut p, t1, "42[\"ping-me\"]");
    assert_eq!(
        a.get(&mut io, &mut p, t1).as_deref(),
        Some("421[\"question\"]")
    );
    // The ack deadline is the server's next one (before the heartbeat's 25 s ping).
    let due = io.poll_timeout().unwrap();
    assert_eq!(due, Duration::from_secs(6));
    io.handle_timeout(due - Duration::from_millis(1));
    assert_eq!(io.app().acks.len(), 1, "not before its time");
    io.handle_timeout(due);
    assert_eq!(io.app().acks[1], (1, None));
}

#[test]
fn a_session_that_never_connects_a_namespace_is_closed_by_the_connect_timeout() {
    let mut io = server();
    let mut p = Vec::new();
    let a = Poller::open(&mut io, &mut p, 1, Duration::ZERO);
    assert_eq!(a.get(&mut io, &mut p, Duration::ZERO), None);
    // The reference's connectTimeout is 45 s; the heartbeat pings at 25 s come first.
    let mut now = Duration::ZERO;
    let mut bodies = Vec::new();
    while let Some(at) = io.poll_timeout() {
        if at > Duration::from_secs(60) {
            break;
        }
        now = at;
        io.handle_timeout(now);
        if let Some(b) = a.held(&mut io, &mut p) {
            bodies.push((now, b.clone()));
            if b == "2" {
                a.post(&mut io, &mut p, now, "3");
                assert_eq!(a.get(&mut io, &mut p, now), None);
            }
        }
        if !io.endpoint().is_open(&a.sid) {
            break;
        }
    }
    assert_eq!(bodies[0], (Duration::from_secs(25), "2".to_string()));
    assert_eq!(now, Duration::from_secs(45));
    assert!(!io.endpoint().is_open(&a.sid));
    assert_eq!(io.hub().session_count(), 0);
}

/// Opens a WebSocket session on `conn` at `path` and connects the main namespace (the CONNECT
/// reply is returned).
pub(super) fn ws_open(
    io: &mut Server<Chat>,
    p: &mut Vec<Transmit>,
    conn: u64,
    path: &str,
) -> Vec<String> {
    io.handle_accept(Duration::ZERO, conn);
    let req = format!(
        "GET {path}?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    );
    io.handle_read(Duration::ZERO, conn, req.as_bytes());
    ws_texts(&drain(io, p, conn))
}

#[test]
fn sessions_on_another_path_are_plain_engineio() {
    let opts = ServerOptions::default();
    let opts = opts.endpoint(
        EndpointConfig::default()
            .path("/socket.io/")
            .add_path("/engine.io/"),
    );
    let mut n = 0u8;
    let mut io = Server::new(Chat::default(), opts, move || {
        n = n.wrapping_add(1);
        [n; 15]
    });
    let mut p = Vec::new();
    let open = ws_open(&mut io, &mut p, 1, "/engine.io/");
    assert!(open[0].starts_with("0{\"sid\":"), "{open:?}");
    // "40" is just a message here: echoed by the application, no Socket.IO machine involved.
    io.handle_read(Duration::ZERO, 1, &ws_text("440"));
    assert_eq!(ws_texts(&drain(&mut io, &mut p, 1)), ["440"]);
    assert_eq!(io.hub().session_count(), 0);
    io.handle_eof(Duration::ZERO, 1);
    assert!(io.app().log.is_empty(), "{:?}", io.app().log);
}

#[test]
fn connection_state_recovery_restores_id_rooms_and_missed_packets() {
    let opts = ServerOptions::default().recovery(crate::socketio::recovery::RecoveryConfig::new());
    let mut n = 0u8;
    let mut io = Server::new(Chat::default(), opts, move || {
        n = n.wrapping_add(1);
        [n; 15]
    });
    let mut p = Vec::new();
    let t = Duration::from_secs(1);
    // a on WebSocket: its CONNECT reply carries a private session id.
    ws_open(&mut io, &mut p, 9, "/socket.io/");
    io.handle_read(t, 9, &ws_text("40"));
    let reply = ws_texts(&drain(&mut io, &mut p, 9)).remove(0);
    let (ida, pid) = (reply[10..30].to_string(), reply[39..59].to_string());
    assert_eq!(reply, format!("40{{\"sid\":\"{ida}\",\"pid\":\"{pid}\"}}"));
    io.handle_read(t, 9, &ws_text("42[\"join\",\"blue\"]"));
    // b (polling) in the room; a's connection drops (recoverable: transport close).
    let b = Poller::open(&mut io, &mut p, 1, t);
    connect(&mut io, &mut p, &b, t);
    b.post(&mut io, &mut p, t, "42[\"join\",\"blue\"]");
    io.handle_eof(t, 9);
    assert_eq!(io.hub().recoverable_sessions(), 1);
    // While a is away, b says something to the room: kept for a, with an offset.
    b.post(&mut io, &mut p, t, "42[\"shout\",1]");
    // a comes back on a new session with its pid: same id, same rooms, the missed packet.
    let c = Poller::open(&mut io, &mut p, 2, t);
    c.post(&mut io, &mut p, t, &format!("40{{\"pid\":\"{pid}\"}}"));
    let got = c.get(&mut io, &mut p, t).unwrap();
    let mut parts = got.split('\x1e');
    assert_eq!(
        parts.next().unwrap(),
        format!("40{{\"sid\":\"{ida}\",\"pid\":\"{pid}\"}}")
    );
    let missed = parts.next().expect("the missed packet");
    assert!(missed.starts_with("42[\"shouted\",1,\""), "{missed}");
    assert_eq!(io.hub().room_size("/", "blue"), 2);
    assert!(
        io.app().log.contains(&format!("recovered {ida}")),
        "{:?}",
        io.app().log
    );
    // An unknown pid gets a new socket.
    let d = Poller::open(&mut io, &mut p, 3, t);
    d.post(&mut io, &mut p, t, "40{\"pid\":\"nope\"}");
    let got = d.get(&mut io, &mut p, t).unwrap();
    assert!(
        !got.contains(&ida) && got.starts_with("40{\"sid\":"),
        "{got}"
    );
}

#[test]
fn paced_writes_keep_one_transmit_in_flight_per_connection() {
    let mut io = server();
    io.enable_write_pacing();
    let t = Duration::ZERO;
    io.handle_accept(t, 9);
    io.handle_read(
        t,
        9,
        b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\
          Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
          Sec-WebSocket-Version: 13\r\n\r\n",
    );
    // The 101 alone; the open packet waits for its write.
    let first = io.poll_transmit().unwrap();
    assert!(first.data.starts_with(b"HTTP/1.1 101") && !first.data.ends_with(b"}"));
    assert_eq!(io.poll_transmit(), None);
    io.handle_written(t, 9);
    let open = io.poll_transmit().unwrap();
    assert!(ws_texts(&open.data)[0].starts_with("0{"), "{open:?}");
    io.handle_written(t, 9);
    assert_eq!(io.poll_transmit(), None, "nothing held");
    // Two events answered at once: the first answer leaves, the second waits, then both
    // later ones leave together in one transmit.
    io.handle_read(t, 9, &ws_text("40"));
    let reply = io.poll_transmit().unwrap();
    assert_eq!(ws_texts(&reply.data).len(), 1);
    io.handle_read(t, 9, &ws_text("42[\"shout\",1]"));
    io.handle_read(t, 9, &ws_text("42[\"shout\",2]"));
    assert_eq!(io.poll_transmit(), None);
    io.handle_written(t, 9);
    let rest = io.poll_transmit().unwrap();
    assert_eq!(
        ws_texts(&rest.data),
        ["42[\"shouted\",1]", "42[\"shouted\",2]"]
    );
}

#[test]
fn commands_outside_a_callback_are_delivered_at_once() {
    let mut io = server();
    let mut p = Vec::new();
    let t = Duration::ZERO;
    assert!(ws_open(&mut io, &mut p, 9, "/socket.io/")[0].starts_with("0{"));
    io.handle_read(t, 9, &ws_text("40"));
    let got = ws_texts(&drain(&mut io, &mut p, 9));
    let sid = got[0]["40{\"sid\":\"".len()..got[0].len() - 2].to_string();
    let sock = io.hub().socket_by_sid("/", &sid).unwrap();
    // As the socket (what a C host's application does after polling an event).
    let r = io.with_socket(t, sock, |ctx| {
        ctx.join("blue").unwrap();
        ctx.emit("hi", &[Value::Json("1")])
    });
    assert_eq!(r, Some(Ok(())));
    assert_eq!(ws_texts(&drain(&mut io, &mut p, 9)), ["42[\"hi\",1]"]);
    // On the hub: a room broadcast.
    let rooms = ["blue"];
    let target = crate::hub::Target::namespace("/").rooms(&rooms);
    let n = io.with_hub(t, |hub| hub.broadcast(&target, "room", &[]));
    assert_eq!(n.unwrap(), 1);
    assert_eq!(ws_texts(&drain(&mut io, &mut p, 9)), ["42[\"room\"]"]);
    // A disconnect runs `on_disconnect` and sends DISCONNECT; the socket is gone after.
    assert_eq!(
        io.with_socket(t, sock, |ctx| ctx.disconnect()),
        Some(Ok(()))
    );
    assert_eq!(ws_texts(&drain(&mut io, &mut p, 9)), ["41"]);
    assert!(
        io.app()
            .log
            .iter()
            .any(|l| l == "disconnect / server namespace disconnect")
    );
    assert!(io.with_socket(t, sock, |_| ()).is_none());
}

/// Peer errors of every layer under the server reach `on_disconnect` as its `error`: a
/// malformed Socket.IO packet, a malformed Engine.IO packet, and a WebSocket protocol error.
#[test]
fn peer_errors_of_every_layer_reach_on_disconnect_with_their_cause() {
    use crate::frame::FrameError;
    use crate::socketio::packet::{self, DecodeConfig};
    use crate::ws::ProtocolError;

    let sio = packet::decode("2abc", &DecodeConfig::new()).unwrap_err();
    let cases: [(&[u8], String); 3] = [
        (
            &ws_text("42abc"),
            format!("parse error ({})", crate::Error::from(sio)),
        ),
        (
            &ws_text("9"),
            format!(
                "transport error ({})",
                crate::Error::from(EngineIoError::UnknownPacketType { byte: b'9' })
            ),
        ),
        // An unmasked frame from a client.
        (
            b"\x81\x02ab",
            format!(
                "transport error ({})",
                crate::Error::Protocol(ProtocolError::Frame(FrameError::UnmaskedFrame))
            ),
        ),
    ];
    for (i, (bad, want)) in cases.iter().enumerate() {
        let mut io = server();
        let mut p = Vec::new();
        let conn = 20 + i as u64;
        let open = ws_open(&mut io, &mut p, conn, "/socket.io/");
        assert!(open[0].starts_with("0{"), "{open:?}");
        io.handle_read(Duration::ZERO, conn, &ws_text("40"));
        let _ = drain(&mut io, &mut p, conn);
        io.handle_read(Duration::ZERO, conn, bad);
        let _ = drain(&mut io, &mut p, conn);
        let log = &io.app().log;
        assert_eq!(log.last(), Some(&format!("disconnect / {want}")), "{log:?}");
        assert_eq!(io.hub().socket_count("/"), 0);
    }
}
