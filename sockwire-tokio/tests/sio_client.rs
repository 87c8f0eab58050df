//! `SioClient` against the crate's own `serve` + `socketio::server::Server` over loopback, on
//! each transport (long-polling only, WebSocket only, polling then upgrade): connect, events
//! both ways, acks both ways, binary, heartbeats kept by the driver while nobody awaits
//! `next_event`, the bounded event queue, and reconnection after the server restarts.
use std::time::Duration;

use sockwire::engineio::endpoint::EndpointConfig;
use sockwire::engineio::server::ServerConfig as EioServerConfig;
use sockwire::socketio::Value;
use sockwire::socketio::client::Transports;
use sockwire::socketio::server::{App, Ctx, Event, Server, ServerOptions};
use sockwire_tokio::{SioClient, SioClientConfig, SioEvent};
use tokio::net::TcpListener;

/// `echo` → `echoed` to the sender; `ask` → acked with its arguments; on connect the server
/// asks the client `hello?` with an ack.
struct Echo;
impl App for Echo {
    fn on_connect(&mut self, ctx: &mut Ctx<'_>) {
        let _ = ctx.emit_with_ack("hello?", &[Value::Json("1")], Duration::from_secs(5));
    }
    fn on_event(&mut self, ctx: &mut Ctx<'_>, mut ev: Event<'_>) {
        let args: Vec<_> = ev.args().collect();
        match ev.name() {
            "echo" => drop(ctx.emit("echoed", &args)),
            "flood" => {
                let n: u32 = match args.first() {
                    Some(Value::Json(t)) => t.parse().unwrap_or(0),
                    _ => 0,
                };
                for i in 0..n {
                    let _ = ctx.emit("n", &[Value::Json(&i.to_string())]);
                }
            }
            "ask" => {
                if let Some(a) = ev.take_ack() {
                    let _ = ctx.ack(a, &args);
                }
            }
            _ => {}
        }
    }
}

fn ids() -> impl FnMut() -> [u8; 15] + Clone + Send + 'static {
    ids_from(0)
}

fn ids_from(mut n: u8) -> impl FnMut() -> [u8; 15] + Clone + Send + 'static {
    move || {
        n = n.wrapping_add(1);
        [n; 15]
    }
}

fn entropy() -> impl FnMut() -> [u8; 16] + Send + 'static {
    let mut n = 0u8;
    move || {
        n = n.wrapping_add(1);
        [n; 16]
    }
}

async fn start(listener: TcpListener) -> tokio::task::JoinHandle<std::io::Result<()>> {
    tokio::spawn(sockwire_tokio::serve(
        listener,
        Server::new(Echo, ServerOptions::default(), ids()),
    ))
}

/// The next event but `Upgraded`.
async fn next(c: &mut SioClient) -> SioEvent {
    loop {
        let e = tokio::time::timeout(Duration::from_secs(5), c.next_event())
            .await
            .expect("an event in time")
            .expect("the client is alive");
        if !matches!(e, SioEvent::Upgraded) {
            return e;
        }
    }
}

fn config(transports: Transports) -> SioClientConfig {
    let mut cfg = SioClientConfig::default();
    cfg.transports = transports;
    cfg
}

#[tokio::test]
async fn events_acks_and_binary_over_polling() {
    events_acks_and_binary_both_ways(Transports::Polling).await;
}

#[tokio::test]
async fn events_acks_and_binary_over_websocket() {
    events_acks_and_binary_both_ways(Transports::WebSocket).await;
}

#[tokio::test]
async fn events_acks_and_binary_with_upgrade() {
    events_acks_and_binary_both_ways(Transports::PollingThenUpgrade).await;
}

async fn events_acks_and_binary_both_ways(transports: Transports) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let _server = start(listener).await;
    let mut c = SioClient::connect(&addr, "/", None, config(transports), entropy())
        .await
        .unwrap();
    let SioEvent::Connect { sid } = next(&mut c).await else {
        panic!("connect first")
    };
    assert_eq!(sid.len(), 20);
    // The server's question, answered.
    match next(&mut c).await {
        SioEvent::Event {
            name,
            args,
            ack: Some(a),
            ..
        } => {
            assert_eq!((name.as_str(), args), ("hello?", vec!["1".to_string()]));
            c.ack(a, &[Value::Str("yes")]).await.unwrap();
        }
        e => panic!("{e:?}"),
    }
    c.emit(
        "echo",
        &[Value::Json("{\"a\":[1,2]}"), Value::Binary(b"\x00\x01\xff")],
    )
    .await
    .unwrap();
    match next(&mut c).await {
        SioEvent::Event {
            name,
            args,
            attachments,
            ack: None,
        } => {
            assert_eq!(name, "echoed");
            assert_eq!(args[0], "{\"a\":[1,2]}");
            assert_eq!(attachments, [b"\x00\x01\xff".to_vec()]);
        }
        e => panic!("{e:?}"),
    }
    let id = c
        .emit_with_ack(
            "ask",
            &[Value::Str("q"), Value::Json("7")],
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    match next(&mut c).await {
        SioEvent::Ack { id: got, args } => {
            assert_eq!(got, id);
            assert_eq!(args, ["\"q\"", "7"]);
        }
        e => panic!("{e:?}"),
    }
    c.disconnect().await.unwrap();
    let rest = tokio::time::timeout(Duration::from_secs(5), async {
        let mut v = Vec::new();
        while let Some(e) = c.next_event().await {
            v.push(format!("{e:?}"));
        }
        v
    })
    .await
    .expect("the client ends after disconnect");
    assert!(
        rest.iter().all(|e| !e.starts_with("Reconnecting")),
        "{rest:?}"
    );
}

#[tokio::test]
async fn reconnects_after_the_server_restarts() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // The first server lives in its own runtime, so that dropping it ends every one of its
    // tasks and closes every socket (a crash, as the client sees it).
    let std_listener = listener.into_std().unwrap();
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let first_server = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            tokio::spawn(sockwire_tokio::serve(
                listener,
                Server::new(Echo, ServerOptions::default(), ids()),
            ));
            tokio::task::spawn_blocking(move || stopped.recv())
                .await
                .unwrap()
                .unwrap();
        });
        drop(rt);
    });
    let mut cfg = SioClientConfig::default();
    cfg.reconnection_delay = Duration::from_millis(50);
    cfg.reconnection_delay_max = Duration::from_millis(200);
    let mut c = SioClient::connect(&addr.to_string(), "/", None, cfg, entropy())
        .await
        .unwrap();
    let SioEvent::Connect { sid: first } = next(&mut c).await else {
        panic!()
    };
    // The server goes away.
    stop.send(()).unwrap();
    first_server.join().unwrap();
    let mut saw = Vec::new();
    let restarted = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let listener = TcpListener::bind(addr).await.unwrap();
        let server = Server::new(Echo, ServerOptions::default(), ids_from(100));
        drop(tokio::spawn(sockwire_tokio::serve(listener, server)));
    };
    let ((), ()) = tokio::join!(restarted, async {
        loop {
            match next(&mut c).await {
                SioEvent::Connect { sid } => {
                    assert_ne!(sid, first, "a new socket");
                    break;
                }
                e => saw.push(format!("{e:?}")),
            }
        }
    });
    assert!(saw.iter().any(|e| e.starts_with("Disconnect")), "{saw:?}");
    assert!(saw.iter().any(|e| e.starts_with("Reconnecting")), "{saw:?}");
    // Working again.
    c.emit("echo", &[Value::Str("back")]).await.unwrap();
    loop {
        if let SioEvent::Event { name, args, .. } = next(&mut c).await {
            if name == "echoed" {
                assert_eq!(args, ["\"back\""]);
                break;
            }
        }
    }
}

/// The server pings every 100 ms and gives up after 100 ms more; the application does not
/// await `next_event` for a second: the driver answers the pings meanwhile.
#[tokio::test]
async fn heartbeats_run_while_nobody_awaits_events() {
    for transports in [
        Transports::Polling,
        Transports::WebSocket,
        Transports::PollingThenUpgrade,
    ] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let eio = EioServerConfig::default()
            .ping_interval(Duration::from_millis(100))
            .ping_timeout(Duration::from_millis(100));
        let opts = ServerOptions::default()
            .endpoint(EndpointConfig::default().path("/socket.io/").server(eio));
        drop(tokio::spawn(sockwire_tokio::serve(
            listener,
            Server::new(Echo, opts, ids()),
        )));
        let mut c = SioClient::connect(&addr, "/", None, config(transports), entropy())
            .await
            .unwrap();
        let SioEvent::Connect { .. } = next(&mut c).await else {
            panic!("connect first")
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        c.emit("echo", &[Value::Str("still here")]).await.unwrap();
        loop {
            match next(&mut c).await {
                SioEvent::Event { name, args, .. } if name == "echoed" => {
                    assert_eq!(args, ["\"still here\""]);
                    break;
                }
                e @ (SioEvent::Disconnect { .. } | SioEvent::Reconnecting { .. }) => {
                    panic!("{transports:?}: {e:?}")
                }
                _ => {}
            }
        }
        c.disconnect().await.unwrap();
    }
}

/// Nobody listens: each attempt fails, the backoff (no jitter: 1 s, then 2 s) is waited out on
/// tokio's paused clock, and the client gives up after its attempts.
#[tokio::test(start_paused = true)]
async fn gives_up_after_its_attempts_on_the_paused_clock() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener); // the port is closed now
    let mut cfg = config(Transports::WebSocket);
    cfg.reconnection_attempts = 2;
    cfg.randomization_permille = 0;
    let start = tokio::time::Instant::now();
    let mut c = SioClient::connect(&addr, "/", None, cfg, entropy())
        .await
        .unwrap();
    let mut seen = Vec::new();
    while let Some(e) = c.next_event().await {
        seen.push(format!("{e:?}"));
    }
    assert_eq!(
        seen,
        ["Reconnecting { attempt: 1 }", "Reconnecting { attempt: 2 }"]
    );
    assert!(
        start.elapsed() >= Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

/// An application that does not take its events stops the client reading: the queue holds at
/// most `event_capacity` plus one read's events (the unbounded queue of old held all 5,000,
/// which fit in loopback's socket buffers), and every event still arrives, in order.
#[tokio::test]
async fn the_event_queue_is_bounded_and_loses_nothing() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let _server = start(listener).await;
    let mut cfg = config(Transports::WebSocket);
    cfg.event_capacity = 8;
    let mut c = SioClient::connect(&addr, "/", None, cfg, entropy())
        .await
        .unwrap();
    assert!(matches!(next(&mut c).await, SioEvent::Connect { .. }));
    assert!(matches!(next(&mut c).await, SioEvent::Event { .. })); // hello?
    const N: usize = 5000;
    c.emit("flood", &[Value::Json(&N.to_string())])
        .await
        .unwrap();
    // Wait until the queue is full, then give the driver time to overrun it if it would.
    for _ in 0..500 {
        if c.pending_events() >= 8 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let held = c.pending_events();
    // One read is at most 16 KiB, and the smallest event frame here (`42["n",0]` after a
    // 2-byte header) is 11 bytes.
    assert!((8..=8 + 16 * 1024 / 11).contains(&held), "{held} held");
    for i in 0..N {
        match next(&mut c).await {
            SioEvent::Event { name, args, .. } => {
                assert_eq!((name.as_str(), args), ("n", vec![i.to_string()]));
            }
            e => panic!("{e:?}"),
        }
    }
    c.disconnect().await.unwrap();
}
