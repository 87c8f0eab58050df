//! The `/hub` namespace driven in process: the example's [`Server`] on a fake clock, standard
//! client socket machines over real WebSocket bytes, no IO.

use std::time::Duration;

use sockwire::hub::{AckOutcome, Hub, HubEvent};
use sockwire::socketio::server::{App, Ctx, Event, Server, ServerOptions};
use sockwire::socketio::{ClientConfig, ClientEvent, ClientSocket, Parser, Value};

use super::{hub_ns, server};

const NOW: Duration = Duration::from_secs(1);

/// A masked client frame (FIN, `opcode`) carrying `data`.
fn frame(opcode: u8, data: &[u8]) -> Vec<u8> {
    let key = [7u8, 1, 9, 4];
    let mut f = vec![0x80 | opcode];
    match data.len() {
        n if n < 126 => f.push(0x80 | n as u8),
        n => {
            f.push(0x80 | 126);
            f.extend_from_slice(&u16::try_from(n).unwrap().to_be_bytes());
        }
    }
    f.extend_from_slice(&key);
    f.extend(data.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    f
}

/// Splits the server's unmasked frames off `buf`: (opcode, payload).
fn frames(buf: &mut Vec<u8>) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    loop {
        if buf.len() < 2 {
            return out;
        }
        let (len, at) = match buf[1] & 0x7f {
            126 if buf.len() >= 4 => (usize::from(u16::from_be_bytes([buf[2], buf[3]])), 4),
            126 => return out,
            127 => panic!("no 64-bit lengths in these tests"),
            n => (usize::from(n), 2),
        };
        if buf.len() < at + len {
            return out;
        }
        out.push((buf[0] & 0x0f, buf[at..at + len].to_vec()));
        buf.drain(..at + len);
    }
}

struct Client {
    conn: u64,
    socket: ClientSocket,
    inbox: Vec<u8>,
    log: Vec<(String, Vec<String>)>,
}

struct Net<A: App> {
    io: Server<A>,
    nsp: &'static str,
    clients: Vec<Client>,
}

impl<A: App> Net<A> {
    fn join(&mut self) -> usize {
        let i = self.clients.len();
        let conn = i as u64 + 1;
        self.io.handle_accept(NOW, conn);
        self.io.handle_read(
            NOW,
            conn,
            b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\
              Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
              Sec-WebSocket-Version: 13\r\n\r\n",
        );
        let mut socket = ClientSocket::new(ClientConfig::default());
        socket.connect(self.nsp, None).unwrap();
        self.clients.push(Client {
            conn,
            socket,
            inbox: Vec::new(),
            log: Vec::new(),
        });
        self.pump();
        i
    }

    /// Moves bytes both ways until quiet; records events per client.
    fn pump(&mut self) {
        loop {
            let mut moved = false;
            while let Some(t) = self.io.poll_transmit() {
                moved = true;
                let c = self.clients.iter_mut().find(|c| c.conn == t.conn).unwrap();
                c.inbox.extend_from_slice(&t.data);
                if c.inbox.starts_with(b"HTTP/1.1 101") {
                    let end = c.inbox.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
                    c.inbox.drain(..end + 4);
                }
            }
            for c in &mut self.clients {
                let nsp = self.nsp;
                for (op, data) in frames(&mut c.inbox) {
                    match (op, data.first()) {
                        (1, Some(b'4')) => {
                            c.socket
                                .handle_text(NOW, std::str::from_utf8(&data[1..]).unwrap())
                                .unwrap();
                        }
                        (2, _) => c.socket.handle_binary(NOW, &data).unwrap(),
                        _ => {} // the Engine.IO open packet
                    }
                }
                while let Some(m) = c.socket.poll_transmit() {
                    moved = true;
                    let bytes = match m.as_text() {
                        Some(t) => frame(1, format!("4{t}").as_bytes()),
                        None => frame(2, m.as_binary().unwrap()),
                    };
                    self.io.handle_read(NOW, c.conn, &bytes);
                }
                while let Some(e) = c.socket.poll_event() {
                    moved = true;
                    match e {
                        ClientEvent::Event { packet, ack } => {
                            let p = packet.packet();
                            let mut args: Vec<String> = p.args().map(String::from).collect();
                            for (i, a) in packet.attachments().iter().enumerate() {
                                args.push(format!("att{i}={a:?}"));
                            }
                            let name = p.event_name().unwrap().into_owned();
                            // Clients answer "poll" with their sid and its bytes (BINARY_ACK).
                            if let (Some(h), "poll") = (ack, name.as_str()) {
                                let me = c.socket.sid(nsp).unwrap_or_default().to_string();
                                c.socket
                                    .ack(h, &[Value::Str(&me), Value::Binary(me.as_bytes())])
                                    .unwrap();
                            }
                            c.log.push((name, args));
                        }
                        ClientEvent::Ack { packet } => c.log.push((
                            format!("ack{}", packet.packet().id().unwrap()),
                            packet.packet().args().map(String::from).collect(),
                        )),
                        ClientEvent::Connect { .. } => c.log.push(("connect".into(), vec![])),
                        _ => {}
                    }
                }
            }
            if !moved {
                return;
            }
        }
    }

    fn emit(&mut self, i: usize, ev: &str, args: &[Value<'_>]) {
        self.clients[i].socket.emit(self.nsp, ev, args).unwrap();
        self.pump();
    }

    fn emit_ack(&mut self, i: usize, ev: &str, args: &[Value<'_>]) -> u64 {
        let id = self.clients[i]
            .socket
            .emit_with_ack(NOW, self.nsp, ev, args, None)
            .unwrap();
        self.pump();
        id
    }

    fn take(&mut self, i: usize) -> Vec<(String, Vec<String>)> {
        std::mem::take(&mut self.clients[i].log)
    }
}

fn names(log: &[(String, Vec<String>)]) -> Vec<&str> {
    log.iter().map(|(n, _)| n.as_str()).collect()
}

fn acked(id: u64, v: &str) -> Vec<(String, Vec<String>)> {
    vec![(format!("ack{id}"), vec![v.to_string()])]
}

#[test]
fn hub_namespace() {
    let mut n = Net {
        io: server(Parser::Json, None),
        nsp: hub_ns::NSP,
        clients: Vec::new(),
    };
    let (a, b, c) = (n.join(), n.join(), n.join());
    for i in [a, b, c] {
        assert_eq!(names(&n.take(i)), ["connect"]);
    }
    let id = n.emit_ack(a, "join", &[Value::Str("r")]);
    assert_eq!(n.take(a), acked(id, "true"));
    n.emit_ack(b, "join", &[Value::Str("r")]);
    n.emit_ack(b, "join", &[Value::Str("x")]);
    n.take(b);

    n.emit(a, "others", &[Value::Str("ev"), Value::Json("1")]);
    assert!(n.take(a).is_empty());
    assert_eq!(n.take(b), [("ev".into(), vec!["1".into()])]);
    assert_eq!(n.take(c), [("ev".into(), vec!["1".into()])]);

    n.emit(a, "all", &[Value::Str("ev2")]);
    for i in [a, b, c] {
        assert_eq!(names(&n.take(i)), ["ev2"]);
    }

    n.emit(
        a,
        "to",
        &[Value::Str("r"), Value::Str("ev3"), Value::Str("s")],
    );
    assert!(n.take(a).is_empty() && n.take(c).is_empty());
    assert_eq!(n.take(b), [("ev3".into(), vec![r#""s""#.into()])]);

    n.emit(
        c,
        "to-except",
        &[Value::Str("r"), Value::Str("x"), Value::Str("ev4")],
    );
    assert_eq!(names(&n.take(a)), ["ev4"]);
    assert!(n.take(b).is_empty() && n.take(c).is_empty());

    // Binary, nested, forwarded as binary.
    let inner = [Value::Binary(b"\x00\x01")];
    let nested = [("n", Value::Array(&inner))];
    n.emit(
        a,
        "others",
        &[
            Value::Str("bin"),
            Value::Binary(b"top"),
            Value::Object(&nested),
        ],
    );
    let got = n.take(b);
    assert_eq!(got[0].0, "bin");
    assert_eq!(got[0].1[0], r#"{"_placeholder":true,"num":0}"#);
    assert_eq!(got[0].1[1], r#"{"n":[{"_placeholder":true,"num":1}]}"#);
    assert_eq!(got[0].1[2], "att0=[116, 111, 112]");
    assert_eq!(got[0].1[3], "att1=[0, 1]");
    assert_eq!(n.take(c), got);

    // Session data, per socket, binary kept.
    let v = [("v", Value::Binary(b"zz"))];
    let id = n.emit_ack(a, "set", &[Value::Str("k"), Value::Object(&v)]);
    assert_eq!(n.take(a), acked(id, "true"));
    let id = n.emit_ack(a, "get", &[Value::Str("k")]);
    let got = n.take(a);
    assert_eq!(got[0].0, format!("ack{id}"));
    assert_eq!(got[0].1[0], r#"{"v":{"_placeholder":true,"num":0}}"#);
    let id = n.emit_ack(b, "get", &[Value::Str("k")]);
    assert_eq!(n.take(b), acked(id, "null"));
    n.emit_ack(a, "set", &[Value::Str("k"), Value::Json("[1,\"x\"]")]);
    n.take(a);
    let id = n.emit_ack(a, "get", &[Value::Str("k")]);
    assert_eq!(n.take(a), acked(id, r#"[1,"x"]"#));

    // Malformed requests ack false.
    let id = n.emit_ack(a, "join", &[Value::Json("1")]);
    assert_eq!(n.take(a), acked(id, "false"));
    let id = n.emit_ack(a, "others", &[Value::Str("disconnect")]);
    assert_eq!(n.take(a), acked(id, "false"));

    // b's connection drops: the others hear who left.
    let sid_b = n.clients[b].socket.sid(hub_ns::NSP).unwrap().to_string();
    n.io.handle_eof(NOW, n.clients[b].conn);
    n.pump();
    for i in [a, c] {
        assert_eq!(n.take(i), [("left".into(), vec![format!("{sid_b:?}")])]);
    }
    assert_eq!(n.io.hub().room_size(hub_ns::NSP, "r"), 1);
}

/// Broadcasts "poll" with an ack to everyone on "ask"; records completions.
#[derive(Default)]
struct Asker {
    done: Vec<HubEvent>,
}

impl App for Asker {
    fn on_event(&mut self, ctx: &mut Ctx<'_>, event: Event<'_>) {
        if event.name() == "ask" {
            let t = Duration::from_secs(5);
            ctx.everyone()
                .emit_with_ack("poll", &[Value::Str("?")], t)
                .unwrap();
        }
    }
    fn on_hub_event(&mut self, _hub: &mut Hub, event: HubEvent) {
        self.done.push(event);
    }
}

#[test]
fn broadcast_acks_travel_past_the_socket_machines() {
    let io = Server::new(
        Asker::default(),
        ServerOptions::default(),
        sockwire_std::entropy(),
    );
    let mut n = Net {
        io,
        nsp: "/",
        clients: Vec::new(),
    };
    let (a, b) = (n.join(), n.join());
    n.emit(a, "ask", &[]);
    let mut want: Vec<String> = [a, b]
        .iter()
        .map(|&i| n.clients[i].socket.sid("/").unwrap().to_string())
        .map(|s| format!("[{s:?},{{\"_placeholder\":true,\"num\":0}}] {s}"))
        .collect();
    want.sort();
    let [
        HubEvent::AckComplete {
            outcomes,
            timed_out: false,
            ..
        },
    ] = n.io.app().done.as_slice()
    else {
        panic!("{:?}", n.io.app().done);
    };
    let mut got: Vec<String> = outcomes
        .iter()
        .map(|(_, o)| match o {
            AckOutcome::Answered { args, attachments } => {
                format!("{args} {}", String::from_utf8_lossy(&attachments[0]))
            }
            o => format!("{o:?}"),
        })
        .collect();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(n.io.hub().pending_acks(), 0);
}
