//! `socketio::client::Client` against our own `socketio::server::Server`, both sans-IO machines
//! on one fake clock, wired by connection number: long-polling only, WebSocket only, and
//! polling → WebSocket upgrade; emit, acks both ways, binary, server drop and reconnection,
//! heartbeat over minutes of fake time.

use core::time::Duration;

use sockwire::engineio::http::Transport;
use sockwire::socketio::client::{Client, ClientOptions, Event, Transmit, Transports};
use sockwire::socketio::server::{App, Ctx, Event as SrvEvent, Server, ServerOptions};
use sockwire::socketio::{ClientEvent, DisconnectReason, Value};

/// Echoes `echo` back as `echoed`, answers acks with the arguments, and on `ask` asks the
/// client a question with an ack.
#[derive(Default)]
struct Echo {
    answers: Vec<String>,
}

impl App for Echo {
    fn on_connect(&mut self, ctx: &mut Ctx<'_>) {
        ctx.emit("welcome", &[Value::Str(ctx.nsp().to_owned().as_str())])
            .unwrap();
    }

    fn on_event(&mut self, ctx: &mut Ctx<'_>, mut event: SrvEvent<'_>) {
        let args: Vec<_> = event.args().collect();
        match event.name() {
            "echo" => ctx.emit("echoed", &args).unwrap(),
            "ask" => {
                ctx.emit_with_ack("question", &[Value::Json("42")], Duration::from_secs(5))
                    .unwrap();
            }
            "bye" => ctx.disconnect().unwrap(),
            _ => {}
        }
        if let Some(a) = event.take_ack() {
            ctx.ack(a, &args).unwrap();
        }
    }

    fn on_ack(
        &mut self,
        _ctx: &mut Ctx<'_>,
        _id: u64,
        answer: Option<&sockwire::socketio::OwnedPacket>,
    ) {
        if let Some(p) = answer {
            self.answers
                .extend(p.packet().args().map(|a| a.to_string()));
        }
    }
}

struct Net {
    now: Duration,
    client: Client,
    server: Server<Echo>,
    events: Vec<Event>,
    /// Server connections cut by the test: their bytes are dropped.
    cut: Vec<u64>,
    bytes_up: usize,
}

fn entropy() -> impl FnMut() -> [u8; 16] + Clone + Send + 'static {
    let mut n = 0u8;
    move || {
        n = n.wrapping_add(1);
        [n; 16]
    }
}

impl Net {
    fn new(transports: Transports) -> Self {
        let mut k = 0u8;
        let server = Server::new(Echo::default(), ServerOptions::default(), move || {
            k = k.wrapping_add(1);
            [k; 15]
        });
        let opts = ClientOptions::new("localhost")
            .transports(transports)
            .seed(7);
        let client = Client::new(Duration::ZERO, opts, entropy());
        Net {
            now: Duration::ZERO,
            client,
            server,
            events: Vec::new(),
            cut: Vec::new(),
            bytes_up: 0,
        }
    }

    /// Moves bytes until both sides are quiet.
    fn settle(&mut self) {
        let now = self.now;
        for _ in 0..10_000 {
            let mut moved = false;
            while let Some(t) = self.client.poll_transmit() {
                moved = true;
                match t {
                    Transmit::Connect { conn } => self.server.handle_accept(now, conn),
                    Transmit::Write { conn, data } => {
                        self.bytes_up += data.len();
                        if !self.cut.contains(&conn) {
                            self.server.handle_read(now, conn, &data);
                        }
                    }
                    Transmit::Close { conn } => self.server.handle_eof(now, conn),
                    _ => unreachable!(),
                }
            }
            while let Some(t) = self.server.poll_transmit() {
                moved = true;
                if self.cut.contains(&t.conn) {
                    continue;
                }
                if !t.data.is_empty() {
                    self.client.handle_read(now, t.conn, &t.data);
                }
                if t.close {
                    self.client.handle_eof(now, t.conn);
                }
            }
            while let Some(e) = self.client.poll_event() {
                moved = true;
                self.events.push(e);
            }
            if !moved {
                return;
            }
        }
        panic!("no quiescence");
    }

    /// Advances the fake clock to the next deadline (at most `until`), settling after each.
    fn run_until(&mut self, until: Duration) {
        self.settle();
        loop {
            let next = [self.client.poll_timeout(), self.server.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t <= until => {
                    self.now = self.now.max(t);
                    self.client.handle_timeout(self.now);
                    self.server.handle_timeout(self.now);
                    self.settle();
                }
                _ => break,
            }
        }
        self.now = until;
        self.client.handle_timeout(until);
        self.server.handle_timeout(until);
        self.settle();
    }

    fn take(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}

fn socket_events(evs: &[Event]) -> Vec<&ClientEvent> {
    evs.iter()
        .filter_map(|e| match e {
            Event::Socket(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn event_names(evs: &[Event]) -> Vec<String> {
    socket_events(evs)
        .into_iter()
        .filter_map(|e| match e {
            ClientEvent::Event { packet, .. } => {
                let p = packet.packet();
                let args: Vec<&str> = p.args().collect();
                Some(format!("{}{:?}", p.event_name().unwrap_or_default(), args))
            }
            _ => None,
        })
        .collect()
}

fn connect_and_chat(transports: Transports) -> Net {
    let mut net = Net::new(transports);
    net.client.connect("/", None).unwrap();
    net.client
        .connect("/admin", Some(r#"{"token":"t"}"#))
        .unwrap();
    net.run_until(Duration::from_millis(10));
    let evs = net.take();
    assert!(matches!(evs[0], Event::Open { .. }), "{evs:?}");
    let connects = socket_events(&evs)
        .iter()
        .filter(|e| matches!(e, ClientEvent::Connect { .. }))
        .count();
    assert_eq!(connects, 2, "{evs:?}");
    assert_eq!(
        event_names(&evs),
        [r#"welcome["\"/\""]"#, r#"welcome["\"/admin\""]"#]
    );
    assert!(net.client.is_connected("/") && net.client.is_connected("/admin"));

    // Emit, ack from the server, binary echo.
    net.client
        .emit(
            "/",
            "echo",
            &[Value::Str("hi"), Value::Json("{\"a\":[1,2]}")],
        )
        .unwrap();
    let id = net
        .client
        .emit_with_ack(
            "/admin",
            "sum",
            &[Value::Json("3")],
            Some(Duration::from_secs(2)),
        )
        .unwrap();
    net.client
        .emit("/", "echo", &[Value::Binary(&[0, 1, 2, 255])])
        .unwrap();
    net.run_until(net.now + Duration::from_millis(10));
    let evs = net.take();
    let names = event_names(&evs);
    assert_eq!(names[0], r#"echoed["\"hi\"", "{\"a\":[1,2]}"]"#);
    assert_eq!(names[1], r#"echoed["{\"_placeholder\":true,\"num\":0}"]"#);
    let bin = socket_events(&evs)
        .into_iter()
        .filter_map(|e| match e {
            ClientEvent::Event { packet, .. } => packet.attachments().first().cloned(),
            _ => None,
        })
        .next();
    assert_eq!(bin.as_deref(), Some(&[0u8, 1, 2, 255][..]));
    let ack = socket_events(&evs).into_iter().find_map(|e| match e {
        ClientEvent::Ack { packet } => Some((
            packet.packet().id(),
            packet.packet().args().map(String::from).collect::<Vec<_>>(),
        )),
        _ => None,
    });
    assert_eq!(ack, Some((Some(id), vec!["3".to_string()])));

    // The server asks, the client answers.
    net.client.emit("/", "ask", &[]).unwrap();
    net.run_until(net.now + Duration::from_millis(10));
    let evs = net.take();
    let handle = evs
        .into_iter()
        .find_map(|e| match e {
            Event::Socket(ClientEvent::Event { ack, .. }) => ack,
            _ => None,
        })
        .expect("question with ack");
    net.client.ack(handle, &[Value::Str("yes")]).unwrap();
    net.run_until(net.now + Duration::from_millis(10));
    assert_eq!(net.server.app().answers, ["\"yes\""]);
    net
}

#[test]
fn polling_only() {
    let mut net = connect_and_chat(Transports::Polling);
    assert_eq!(net.client.transport(), Some(Transport::Polling));
    // Ten minutes of heartbeats over held GETs: nothing breaks, no reconnection.
    net.run_until(net.now + Duration::from_secs(600));
    let evs = net.take();
    assert!(evs.is_empty(), "{evs:?}");
    assert!(net.client.is_connected("/"));
}

#[test]
fn websocket_only() {
    let mut net = connect_and_chat(Transports::WebSocket);
    assert_eq!(net.client.transport(), Some(Transport::WebSocket));
    net.run_until(net.now + Duration::from_secs(600));
    assert!(net.take().is_empty());
    assert!(net.client.is_connected("/admin"));
}

#[test]
fn upgrade() {
    let mut net = Net::new(Transports::PollingThenUpgrade);
    net.client.connect("/", None).unwrap();
    net.run_until(Duration::from_millis(10));
    let evs = net.take();
    assert!(evs.contains(&Event::Upgraded), "{evs:?}");
    assert_eq!(net.client.transport(), Some(Transport::WebSocket));
    // The chat works on after the upgrade, and the heartbeat too.
    net.client
        .emit("/", "echo", &[Value::Str("after")])
        .unwrap();
    net.run_until(net.now + Duration::from_secs(300));
    let evs = net.take();
    assert_eq!(event_names(&evs), [r#"echoed["\"after\""]"#]);
    assert!(net.client.is_connected("/"));
    let _ = connect_and_chat(Transports::PollingThenUpgrade);
}

#[test]
fn server_kick_and_client_close() {
    let mut net = Net::new(Transports::WebSocket);
    net.client.connect("/", None).unwrap();
    net.client.connect("/b", None).unwrap();
    net.run_until(Duration::from_millis(10));
    net.take();
    net.client.emit("/b", "bye", &[]).unwrap();
    net.run_until(net.now + Duration::from_millis(10));
    let evs = net.take();
    assert!(evs.iter().any(|e| matches!(e, Event::Socket(ClientEvent::Disconnect { nsp, reason: DisconnectReason::IoServerDisconnect, .. }) if nsp == "/b")), "{evs:?}");
    assert!(net.client.is_connected("/"));
    net.client.close();
    net.run_until(net.now + Duration::from_secs(60));
    let evs = net.take();
    assert_eq!(evs.last(), Some(&Event::Closed), "{evs:?}");
    assert!(net.client.is_closed());
    assert_eq!(net.client.poll_timeout(), None);
}

#[test]
fn reconnects_after_the_connection_is_cut() {
    for transports in [
        Transports::WebSocket,
        Transports::Polling,
        Transports::PollingThenUpgrade,
    ] {
        let mut net = Net::new(transports);
        net.client.connect("/", None).unwrap();
        net.run_until(Duration::from_millis(10));
        net.take();
        // The network silently drops every current connection: the heartbeat notices.
        net.cut = (1..=10).collect();
        net.run_until(net.now + Duration::from_secs(46));
        let evs = net.take();
        assert!(
            evs.contains(&Event::TransportClosed {
                reason: DisconnectReason::PingTimeout,
                error: None,
            }),
            "{transports:?}: {evs:?}"
        );
        assert!(
            evs.iter()
                .any(|e| matches!(e, Event::Reconnecting { attempt: 1, .. }))
        );
        net.cut.clear();
        net.run_until(net.now + Duration::from_secs(30));
        let evs = net.take();
        assert!(
            evs.iter().any(|e| matches!(e, Event::Open { .. })),
            "{evs:?}"
        );
        assert!(net.client.is_connected("/"), "{transports:?}: {evs:?}");
        net.client.emit("/", "echo", &[Value::Json("1")]).unwrap();
        net.run_until(net.now + Duration::from_millis(10));
        assert_eq!(event_names(&net.take()), ["echoed[\"1\"]"]);
    }
}

/// A burst larger than the server's maxPayload goes out in several POSTs, in order, and every
/// echo comes back in order (long-polling on both directions).
#[test]
fn a_burst_over_polling_is_batched_and_ordered() {
    let mut net = Net::new(Transports::Polling);
    net.client.connect("/", None).unwrap();
    net.run_until(Duration::from_millis(10));
    net.take();
    let big = "x".repeat(1000);
    let before = net.bytes_up;
    for i in 0..1500 {
        let n = i.to_string();
        net.client
            .emit("/", "echo", &[Value::Json(&n), Value::Str(&big)])
            .unwrap();
    }
    net.run_until(net.now + Duration::from_millis(100));
    let names = event_names(&net.take());
    assert_eq!(names.len(), 1500);
    for (i, n) in names.iter().enumerate() {
        assert!(n.starts_with(&format!("echoed[\"{i}\", ")), "{i}: {n:.40}");
    }
    assert!(
        net.bytes_up - before > 1_500_000,
        "more than one maxPayload went up"
    );
}
