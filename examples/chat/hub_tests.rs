//! The `/hub` namespace driven in process: a [`host::Host`](super::host::Host) and standard
//! client socket machines, no IO. Included by `sio_server` under `cfg(test)`.
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
                                EngineIoMessage::Text(t) => c.handle_text(NOW, &t[1..]).unwrap(),
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
