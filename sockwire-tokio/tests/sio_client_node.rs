//! `SioClient` against the reference Node server (`tests/interop/sio_client/server.mjs`, socket.io
//! 4.8), started by `tests/ci/49-sio-client-node.sh`, which runs this with `--ignored` and the
//! server's address in `SIO_NODE_ADDR`. Without that variable the tests fail (never a silent
//! pass). The same scenario runs on long-polling only, WebSocket only, and polling then upgrade.
use std::time::Duration;

use sockwire::socketio::Value;
use sockwire::socketio::client::Transports;
use sockwire_tokio::{SioClient, SioClientConfig, SioEvent};

fn entropy() -> impl FnMut() -> [u8; 16] + Send + 'static {
    let mut n = 7u8;
    move || {
        n = n.wrapping_add(13);
        [n; 16]
    }
}

/// The next event; `Upgraded` is noted in `UPGRADED` and skipped.
async fn next(c: &mut SioClient) -> SioEvent {
    loop {
        let e = tokio::time::timeout(Duration::from_secs(10), c.next_event())
            .await
            .expect("an event in time")
            .expect("the client is alive");
        if matches!(e, SioEvent::Upgraded) {
            UPGRADED.store(true, std::sync::atomic::Ordering::Relaxed);
            continue;
        }
        return e;
    }
}

static UPGRADED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The next `Event` named `want`, skipping others (the server's pings and questions).
async fn event(c: &mut SioClient, want: &str) -> (Vec<String>, Vec<Vec<u8>>) {
    loop {
        match next(c).await {
            SioEvent::Event {
                name,
                args,
                attachments,
                ..
            } if name == want => {
                return (args, attachments);
            }
            SioEvent::Event {
                name, ack: Some(a), ..
            } if name == "hello?" => {
                c.ack(a, &[Value::Str("fine")]).await.unwrap();
            }
            _ => {}
        }
    }
}

#[tokio::test]
#[ignore = "needs the Node server of tests/ci/49-sio-client-node.sh"]
async fn polling_only_against_the_reference_server() {
    scenario(Transports::Polling).await;
}

#[tokio::test]
#[ignore = "needs the Node server of tests/ci/49-sio-client-node.sh"]
async fn websocket_only_against_the_reference_server() {
    scenario(Transports::WebSocket).await;
}

#[tokio::test]
#[ignore = "needs the Node server of tests/ci/49-sio-client-node.sh"]
async fn upgrade_against_the_reference_server() {
    UPGRADED.store(false, std::sync::atomic::Ordering::Relaxed);
    scenario(Transports::PollingThenUpgrade).await;
    assert!(
        UPGRADED.load(std::sync::atomic::Ordering::Relaxed),
        "upgraded to websocket"
    );
}

async fn scenario(transports: Transports) {
    let addr =
        std::env::var("SIO_NODE_ADDR").expect("SIO_NODE_ADDR (run tests/ci/49-sio-client-node.sh)");
    let mut cfg = SioClientConfig::default();
    cfg.transports = transports;
    cfg.reconnection_delay = Duration::from_millis(100);
    let mut c = SioClient::connect(&addr, "/", None, cfg, entropy())
        .await
        .unwrap();
    let SioEvent::Connect { sid } = next(&mut c).await else {
        panic!("connect first")
    };
    assert_eq!(sid.len(), 20);
    // The server's emit with ack, answered by us, reported back.
    let (args, _) = event(&mut c, "answered").await;
    assert_eq!(args, ["\"fine\""]);
    // Events with binary, both ways.
    c.emit(
        "echo",
        &[
            Value::Str("x"),
            Value::Binary(&[0, 1, 2, 255]),
            Value::Json("{\"n\":[1,2]}"),
        ],
    )
    .await
    .unwrap();
    let (args, att) = event(&mut c, "echoed").await;
    assert_eq!(args[0], "\"x\"");
    assert_eq!(args[2], "{\"n\":[1,2]}");
    assert_eq!(att, [vec![0u8, 1, 2, 255]]);
    // Our emit with ack.
    let id = c
        .emit_with_ack("ask", &[Value::Json("42")], Duration::from_secs(5))
        .await
        .unwrap();
    loop {
        if let SioEvent::Ack { id: got, args } = next(&mut c).await {
            assert_eq!((got, args), (id, vec!["42".to_string()]));
            break;
        }
    }
    // The server drops the connection: we reconnect and join again.
    c.emit("drop-me", &[]).await.unwrap();
    let mut saw = Vec::new();
    loop {
        match next(&mut c).await {
            SioEvent::Connect { sid: again } => {
                assert_ne!(again, sid);
                break;
            }
            e => saw.push(format!("{e:?}")),
        }
    }
    assert!(saw.iter().any(|e| e.starts_with("Disconnect")), "{saw:?}");
    assert!(saw.iter().any(|e| e.starts_with("Reconnecting")), "{saw:?}");
    c.emit("echo", &[Value::Str("again")]).await.unwrap();
    assert_eq!(event(&mut c, "echoed").await.0, ["\"again\""]);
    // Heartbeats, answered by the driver while nobody awaits `next_event`: still connected
    // after several ping intervals (1 s + 1 s timeout), with no reconnection.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let quiet = tokio::time::sleep(Duration::from_millis(2500));
    tokio::pin!(quiet);
    loop {
        tokio::select! {
            e = next(&mut c) => assert!(!matches!(e, SioEvent::Disconnect { .. } | SioEvent::Reconnecting { .. }), "{e:?}"),
            () = &mut quiet => break,
        }
    }
    c.emit("echo", &[Value::Json("1")]).await.unwrap();
    assert_eq!(event(&mut c, "echoed").await.0, ["1"]);
    c.disconnect().await.unwrap();
}
