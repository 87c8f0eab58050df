//! `chat`: the lecture's chat demo. One HTML page (CSS and JS inline, no CDN, no build step) and
//! the Socket.IO endpoint on the same origin.
//!
//! ```text
//! cargo run --release --example chat [-- --addr 127.0.0.1:8080]
//! ```
//!
//! The page speaks Socket.IO v5 through a small client written on the browser's WebSocket; any
//! standard Socket.IO client can join too. The chat logic lives in `chat/app.rs` (on the hub),
//! the Socket.IO host in `chat/host.rs`.

#[path = "chat/app.rs"]
mod app;
#[path = "support/eio_server.rs"]
mod eio_server;
#[path = "chat/host.rs"]
mod host;
// The `/hub` namespace lives in `sio_server`; the tests below drive it through the same host.
#[cfg(test)]
#[path = "chat/hub_ns.rs"]
mod hub_ns;

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use eio_server::{Ctx, EngineHandler, Server};
use host::{App, Host, Output};
use sockwire::engineio::Message;
use sockwire::engineio::server::{CloseReason, ServerConfig};
use sockwire::hub::{EngineIoMessage, SessionInfo};
use sockwire::socketio;

/// The page, served at `/`.
const INDEX: &str = include_str!("chat/index.html");

/// Socket.IO ids from a non-cryptographic generator seeded by std's `RandomState` (fine for a
/// demo; use a CSPRNG in production).
fn entropy() -> Box<dyn FnMut() -> [u8; 15] + Send> {
    let mut state = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    Box::new(move || {
        let mut out = [0u8; 15];
        for chunk in out.chunks_mut(8) {
            // splitmix64
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
        out
    })
}

/// Bridges the Engine.IO endpoint (std plumbing) and the Socket.IO [`Host`].
pub struct SocketIoEndpoint<A: App> {
    host: Host<A>,
}

impl<A: App> SocketIoEndpoint<A> {
    /// An endpoint running `app`.
    pub fn new(app: A) -> Self {
        SocketIoEndpoint {
            host: Host::new(app, socketio::ServerConfig::default(), entropy()),
        }
    }

    /// Writes what the host has for the sessions.
    fn flush(&mut self, ctx: &mut Ctx<'_>) {
        while let Some((sid, out)) = self.host.poll_output() {
            match out {
                Output::Message(m) => {
                    if let Some(t) = m.as_text() {
                        let _ = ctx.send_text(&sid, t);
                    } else if let Some(b) = m.as_binary() {
                        let _ = ctx.send_binary(&sid, b);
                    }
                }
                // One shared packet: every recipient reads the same bytes.
                Output::Shared(p) => {
                    for m in p.engineio_messages() {
                        let _ = match m {
                            EngineIoMessage::Text(t) => ctx.send_text(&sid, &t[1..]),
                            EngineIoMessage::Binary(b) => ctx.send_binary(&sid, b),
                        };
                    }
                }
                Output::Close => ctx.close(&sid),
            }
        }
    }
}

impl<A: App + Send + 'static> EngineHandler for SocketIoEndpoint<A> {
    fn on_open(&mut self, sid: &str, ctx: &mut Ctx<'_>) {
        let info = match ctx.handshake() {
            Some(h) => h.session_info(ctx.now()),
            None => SessionInfo {
                issued: ctx.now(),
                ..SessionInfo::default()
            },
        };
        self.host.open(sid, info, ctx.now());
        self.flush(ctx);
    }

    fn on_message(&mut self, sid: &str, msg: Message, ctx: &mut Ctx<'_>) {
        match msg {
            Message::Text(t) => self.host.text(sid, ctx.now(), &t),
            Message::Binary(b) => self.host.binary(sid, ctx.now(), &b),
        }
        self.flush(ctx);
    }

    fn on_close(&mut self, sid: &str, reason: CloseReason, ctx: &mut Ctx<'_>) {
        self.host.closed(sid, ctx.now(), reason.into());
        self.flush(ctx);
    }

    fn on_tick(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        if self.host.poll_timeout().is_some_and(|t| t <= now) {
            self.host.timeout(now);
            self.flush(ctx);
        }
    }
}

fn main() {
    let mut addr = String::from("127.0.0.1:8080");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--addr", Some(v)) => addr = v,
            _ => {
                eprintln!("usage: chat [--addr HOST:PORT]   (default 127.0.0.1:8080)");
                std::process::exit(2);
            }
        }
    }
    let eio = ServerConfig::default()
        .ping_interval(Duration::from_secs(25))
        .ping_timeout(Duration::from_secs(20))
        .max_payload(1_000_000)
        // Every browser offers permessage-deflate; the lean policy (no context takeover) keeps
        // no compressor state between messages.
        .per_message_deflate(Some(sockwire::deflate::DeflatePolicy::default()));
    let server = Server::new()
        .engine("/socket.io/", eio, SocketIoEndpoint::new(app::Chat))
        .page("/", "text/html; charset=utf-8", INDEX.as_bytes().to_vec());
    eprintln!("chat: open http://{addr}/ in two browser windows");
    if let Err(e) = server.serve(&addr) {
        eprintln!("chat: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    //! The chat driven in process: a [`host::Host`] and standard client socket machines, no IO.
    use super::app::Chat;
    use super::host::{App, Ctx, Host, Output};
    use super::hub_ns;
    use sockwire::hub::{AckOutcome, Hub, HubEvent, Target};
    use sockwire::hub::{EngineIoMessage, SessionInfo};
    use sockwire::socketio::{AckHandle, OwnedPacket};
    use sockwire::socketio::{
        ClientConfig, ClientEvent, ClientSocket, DisconnectReason, ServerConfig, Value,
    };
    use std::time::Duration;

    struct Net<A: App> {
        host: Host<A>,
        nsp: &'static str,
        clients: Vec<(String, ClientSocket, Vec<(String, Vec<String>)>)>,
    }

    const NOW: Duration = Duration::from_secs(1);

    impl Net<Chat> {
        fn new() -> Self {
            Net::with(Chat, "/")
        }
    }

    impl<A: App> Net<A> {
        fn with(app: A, nsp: &'static str) -> Self {
            let mut n = 0u8;
            let entropy = Box::new(move || {
                n += 1;
                [n; 15]
            });
            Net {
                host: Host::new(app, ServerConfig::default(), entropy),
                nsp,
                clients: Vec::new(),
            }
        }
        fn join(&mut self) -> usize {
            let i = self.clients.len();
            let sid = format!("eio{i}");
            self.host.open(&sid, SessionInfo::default(), NOW);
            let mut c = ClientSocket::new(ClientConfig::default());
            c.connect(self.nsp, None).unwrap();
            self.clients.push((sid, c, Vec::new()));
            self.pump();
            i
        }
        /// Moves messages both ways until quiet; records events per client.
        fn pump(&mut self) {
            loop {
                let mut moved = false;
                for (sid, c, _) in &mut self.clients {
                    while let Some(m) = c.poll_transmit() {
                        moved = true;
                        match m.as_text() {
                            Some(t) => self.host.text(sid, NOW, t),
                            None => self.host.binary(sid, NOW, m.as_binary().unwrap()),
                        }
                    }
                }
                while let Some((sid, out)) = self.host.poll_output() {
                    moved = true;
                    let Some((_, c, _)) = self.clients.iter_mut().find(|x| x.0 == sid) else {
                        continue;
                    };
                    match out {
                        Output::Message(m) => match m.as_text() {
                            Some(t) => c.handle_text(NOW, t).unwrap(),
                            None => c.handle_binary(NOW, m.as_binary().unwrap()).unwrap(),
                        },
                        Output::Shared(p) => {
                            for m in p.engineio_messages() {
                                match m {
                                    EngineIoMessage::Text(t) => {
                                        c.handle_text(NOW, &t[1..]).unwrap()
                                    }
                                    EngineIoMessage::Binary(b) => c.handle_binary(NOW, b).unwrap(),
                                }
                            }
                        }
                        Output::Close => {}
                    }
                }
                for (_, c, log) in &mut self.clients {
                    while let Some(e) = c.poll_event() {
                        moved = true;
                        match e {
                            ClientEvent::Event { packet, ack } => {
                                let p = packet.packet();
                                let mut args: Vec<String> = p.args().map(String::from).collect();
                                for (i, a) in packet.attachments().iter().enumerate() {
                                    args.push(format!("att{i}={a:?}"));
                                }
                                let name = p.event_name().unwrap().into_owned();
                                // Clients answer "poll" with their own sid and its bytes
                                // (a BINARY_ACK).
                                if let (Some(h), "poll") = (ack, name.as_str()) {
                                    let me = c.sid(self.nsp).unwrap_or_default().to_string();
                                    c.ack(h, &[Value::Str(&me), Value::Binary(me.as_bytes())])
                                        .unwrap();
                                }
                                log.push((name, args));
                            }
                            ClientEvent::Ack { packet } => {
                                log.push((
                                    format!("ack{}", packet.packet().id().unwrap()),
                                    packet.packet().args().map(String::from).collect(),
                                ));
                            }
                            ClientEvent::Connect { .. } => log.push(("connect".into(), vec![])),
                            _ => {}
                        }
                    }
                }
                if !moved {
                    return;
                }
            }
        }
        fn emit_ack(&mut self, i: usize, ev: &str, args: &[Value<'_>]) -> u64 {
            let id = self.clients[i]
                .1
                .emit_with_ack(NOW, self.nsp, ev, args, None)
                .unwrap();
            self.pump();
            id
        }
        fn take(&mut self, i: usize) -> Vec<(String, Vec<String>)> {
            std::mem::take(&mut self.clients[i].2)
        }
    }

    #[test]
    fn lecture_chat_flow() {
        let mut n = Net::new();
        let a = n.join();
        assert_eq!(
            n.take(a),
            [
                ("connect".into(), vec![]),
                ("users".into(), vec!["[]".into()])
            ]
        );
        let id = n.emit_ack(a, "set user", &[Value::Str("alice")]);
        let log = n.take(a);
        assert!(
            log.contains(&(format!("ack{id}"), vec!["true".into()])),
            "{log:?}"
        );
        assert!(
            log.contains(&("users".into(), vec![r#"["alice"]"#.into()])),
            "{log:?}"
        );
        let id = n.emit_ack(a, "get user", &[]);
        assert_eq!(n.take(a), [(format!("ack{id}"), vec![r#""alice""#.into()])]);

        let b = n.join();
        assert_eq!(n.take(b)[1], ("users".into(), vec![r#"["alice"]"#.into()]));
        n.emit_ack(b, "set user", &[Value::Str("Bob")]);
        let log = n.take(a);
        assert_eq!(
            log[0],
            ("user connected".into(), vec![r#"{"user":"Bob"}"#.into()])
        );
        assert_eq!(log[1], ("users".into(), vec![r#"["alice","Bob"]"#.into()]));
        n.take(b);
        // get user is per socket.
        let id = n.emit_ack(b, "get user", &[]);
        assert_eq!(n.take(b), [(format!("ack{id}"), vec![r#""Bob""#.into()])]);

        n.clients[a]
            .1
            .emit(
                "/",
                "chat-post-send",
                &[Value::Object(&[("msg", Value::Str("hi \"bob\""))])],
            )
            .unwrap();
        n.pump();
        assert_eq!(
            n.take(a),
            [("chat-post-rcd".into(), vec![r#"{"status":"ok"}"#.into()])]
        );
        assert_eq!(
            n.take(b),
            [(
                "chat-post".into(),
                vec![r#"{"user":"alice","msg":"hi \"bob\""}"#.into()]
            )]
        );

        // Bob leaves: alice hears it and gets the new list.
        let sid = n.clients[b].0.clone();
        n.host.closed(&sid, NOW, DisconnectReason::TransportClose);
        n.pump();
        assert_eq!(
            n.take(a),
            [
                ("user disconnected".into(), vec![r#"{"user":"Bob"}"#.into()]),
                ("users".into(), vec![r#"["alice"]"#.into()])
            ]
        );
        assert_eq!(n.host.hub.socket_count("/"), 1);
    }

    #[test]
    fn bad_input_is_refused_politely() {
        let mut n = Net::new();
        let a = n.join();
        n.take(a);
        let id = n.emit_ack(a, "set user", &[Value::Str("   ")]);
        assert_eq!(n.take(a), [(format!("ack{id}"), vec!["false".into()])]);
        let id = n.emit_ack(a, "set user", &[Value::Json("42")]);
        assert_eq!(n.take(a), [(format!("ack{id}"), vec!["false".into()])]);
        let id = n.emit_ack(a, "get user", &[]);
        assert_eq!(n.take(a), [(format!("ack{id}"), vec!["null".into()])]);
        // A post without a name goes out as anonymous; a post without msg is ignored.
        let b = n.join();
        n.take(b);
        n.clients[a]
            .1
            .emit("/", "chat-post-send", &[Value::Json("{}")])
            .unwrap();
        n.pump();
        assert!(n.take(b).is_empty());
        let long = "x".repeat(5000);
        n.clients[a]
            .1
            .emit(
                "/",
                "chat-post-send",
                &[Value::Object(&[("msg", Value::Str(&long))])],
            )
            .unwrap();
        n.pump();
        let got = n.take(b);
        assert_eq!(got[0].0, "chat-post");
        assert!(got[0].1[0].starts_with(r#"{"user":"anonymous","msg":"xxx"#));
        assert_eq!(
            got[0].1[0].len(),
            r#"{"user":"anonymous","msg":""}"#.len() + 2000
        );
    }

    struct HubApp;
    impl App for HubApp {
        fn accept(&mut self, nsp: &str, _auth: Option<&str>) -> Result<(), String> {
            if nsp == hub_ns::NSP {
                Ok(())
            } else {
                Err("Invalid namespace".into())
            }
        }
        fn on_event(&mut self, ctx: &mut Ctx<'_>, packet: OwnedPacket, ack: Option<AckHandle>) {
            hub_ns::on_event(ctx, packet, ack);
        }
        fn on_disconnect(&mut self, ctx: &mut Ctx<'_>, reason: DisconnectReason) {
            hub_ns::on_disconnect(ctx, reason);
        }
    }

    fn names(log: &[(String, Vec<String>)]) -> Vec<&str> {
        log.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn hub_namespace() {
        let mut n = Net::with(HubApp, "/hub");
        let (a, b, c) = (n.join(), n.join(), n.join());
        for i in [a, b, c] {
            assert_eq!(names(&n.take(i)), ["connect"]);
        }
        let id = n.emit_ack(a, "join", &[Value::Str("r")]);
        assert_eq!(n.take(a), [(format!("ack{id}"), vec!["true".into()])]);
        n.emit_ack(b, "join", &[Value::Str("r")]);
        n.emit_ack(b, "join", &[Value::Str("x")]);
        n.take(b);

        n.clients[a]
            .1
            .emit("/hub", "others", &[Value::Str("ev"), Value::Json("1")])
            .unwrap();
        n.pump();
        assert!(n.take(a).is_empty());
        assert_eq!(n.take(b), [("ev".into(), vec!["1".into()])]);
        assert_eq!(n.take(c), [("ev".into(), vec!["1".into()])]);

        n.clients[a]
            .1
            .emit("/hub", "all", &[Value::Str("ev2")])
            .unwrap();
        n.pump();
        for i in [a, b, c] {
            assert_eq!(names(&n.take(i)), ["ev2"]);
        }

        n.clients[a]
            .1
            .emit(
                "/hub",
                "to",
                &[Value::Str("r"), Value::Str("ev3"), Value::Str("s")],
            )
            .unwrap();
        n.pump();
        assert!(n.take(a).is_empty() && n.take(c).is_empty());
        assert_eq!(n.take(b), [("ev3".into(), vec![r#""s""#.into()])]);

        n.clients[c]
            .1
            .emit(
                "/hub",
                "to-except",
                &[Value::Str("r"), Value::Str("x"), Value::Str("ev4")],
            )
            .unwrap();
        n.pump();
        assert_eq!(names(&n.take(a)), ["ev4"]);
        assert!(n.take(b).is_empty() && n.take(c).is_empty());

        // Binary, nested, forwarded as binary.
        let inner = [Value::Binary(b"\x00\x01")];
        n.clients[a]
            .1
            .emit(
                "/hub",
                "others",
                &[
                    Value::Str("bin"),
                    Value::Binary(b"top"),
                    Value::Object(&[("n", Value::Array(&inner))]),
                ],
            )
            .unwrap();
        n.pump();
        let got = n.take(b);
        assert_eq!(got[0].0, "bin");
        assert_eq!(got[0].1[0], r#"{"_placeholder":true,"num":0}"#);
        assert_eq!(got[0].1[1], r#"{"n":[{"_placeholder":true,"num":1}]}"#);
        assert_eq!(got[0].1[2], "att0=[116, 111, 112]");
        assert_eq!(got[0].1[3], "att1=[0, 1]");
        assert_eq!(n.take(c), got);

        // Session data, per socket, binary kept.
        let id = n.emit_ack(
            a,
            "set",
            &[
                Value::Str("k"),
                Value::Object(&[("v", Value::Binary(b"zz"))]),
            ],
        );
        assert_eq!(n.take(a), [(format!("ack{id}"), vec!["true".into()])]);
        let id = n.emit_ack(a, "get", &[Value::Str("k")]);
        let got = n.take(a);
        assert_eq!(got[0].0, format!("ack{id}"));
        assert_eq!(got[0].1[0], r#"{"v":{"_placeholder":true,"num":0}}"#);
        let id = n.emit_ack(b, "get", &[Value::Str("k")]);
        assert_eq!(n.take(b), [(format!("ack{id}"), vec!["null".into()])]);
        let id = n.emit_ack(a, "set", &[Value::Str("k"), Value::Json("[1,\"x\"]")]);
        n.take(a);
        let _ = id;
        let id = n.emit_ack(a, "get", &[Value::Str("k")]);
        assert_eq!(n.take(a), [(format!("ack{id}"), vec![r#"[1,"x"]"#.into()])]);

        // Malformed requests ack false.
        let id = n.emit_ack(a, "join", &[Value::Json("1")]);
        assert_eq!(n.take(a), [(format!("ack{id}"), vec!["false".into()])]);
        let id = n.emit_ack(a, "others", &[Value::Str("disconnect")]);
        assert_eq!(n.take(a), [(format!("ack{id}"), vec!["false".into()])]);

        // Leave and disconnect.
        let sid_b = n.clients[b].1.sid("/hub").unwrap().to_string();
        let eio_b = n.clients[b].0.clone();
        n.host.closed(&eio_b, NOW, DisconnectReason::TransportClose);
        n.pump();
        for i in [a, c] {
            assert_eq!(n.take(i), [("left".into(), vec![format!("{sid_b:?}")])]);
        }
        assert_eq!(n.host.hub.room_size("/hub", "r"), 1);
    }

    /// Broadcasts "poll" with an ack to everyone on "ask"; reports completions.
    #[derive(Default)]
    struct Poller {
        done: Vec<HubEvent>,
    }
    impl App for Poller {
        fn on_event(&mut self, ctx: &mut Ctx<'_>, packet: OwnedPacket, _ack: Option<AckHandle>) {
            if packet.packet().event_name().as_deref() == Some("ask") {
                let everyone = Target::namespace("/");
                let _ = ctx.hub.broadcast_with_ack(
                    &everyone,
                    "poll",
                    &[Value::Str("?")],
                    ctx.now,
                    Duration::from_secs(5),
                );
            }
        }
        fn on_hub_event(&mut self, _hub: &mut Hub, event: HubEvent) {
            self.done.push(event);
        }
    }

    #[test]
    fn broadcast_acks_travel_past_the_socket_machines() {
        let mut n = Net::with(Poller::default(), "/");
        let (a, b) = (n.join(), n.join());
        n.clients[a].1.emit("/", "ask", &[]).unwrap();
        n.pump();
        let sids: Vec<String> = [a, b]
            .iter()
            .map(|&i| n.clients[i].1.sid("/").unwrap().to_string())
            .collect();
        match n.host.app.done.as_slice() {
            [
                HubEvent::AckComplete {
                    outcomes,
                    timed_out: false,
                    ..
                },
            ] => {
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
                let mut want: Vec<String> = sids
                    .iter()
                    .map(|s| format!("[{s:?},{{\"_placeholder\":true,\"num\":0}}] {s}"))
                    .collect();
                want.sort();
                assert_eq!(got, want);
            }
            e => panic!("{e:?}"),
        }
        // The socket machines never saw those acks (their own ack table is untouched).
        assert_eq!(n.host.hub.pending_acks(), 0);
    }
}
