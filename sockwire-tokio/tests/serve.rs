//! `serve` over real loopback TCP: a Socket.IO server machine reached by raw HTTP long-polling
//! and by a WebSocket on the same listener.
use std::time::Duration;

use sockwire::socketio::server::{App, Ctx, Event, Server, ServerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Echoes every event to everyone in the namespace.
struct Echo;
impl App for Echo {
    fn on_event(&mut self, ctx: &mut Ctx<'_>, ev: Event<'_>) {
        let args: Vec<_> = ev.args().collect();
        let _ = ctx.everyone().emit(ev.name(), &args);
    }
}

/// Sends `req` and reads one response with a `Content-Length` body; returns the body.
async fn exchange(tcp: &mut TcpStream, req: &str) -> String {
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    loop {
        let mut chunk = [0u8; 4096];
        let n = tcp.read(&mut chunk).await.unwrap();
        assert!(n > 0, "closed early");
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some(at) = text.find("\r\n\r\n") {
            let len: usize = text[..at]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(|v| v.parse().unwrap())
                })
                .unwrap();
            if buf.len() >= at + 4 + len {
                return text[at + 4..at + 4 + len].to_string();
            }
        }
    }
}

#[tokio::test]
async fn polling_and_websocket_clients_on_one_listener() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut n = 0u8;
    let ids = move || {
        n = n.wrapping_add(1);
        [n; 15]
    };
    tokio::spawn(sockwire_tokio::serve(
        listener,
        Server::new(Echo, ServerOptions::default(), ids),
    ));

    let mut get = TcpStream::connect(addr).await.unwrap();
    let open = exchange(
        &mut get,
        "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .await;
    assert!(open.starts_with("0{\"sid\":\""), "{open}");
    let sid = &open[9..29];
    let mut post = TcpStream::connect(addr).await.unwrap();
    let p = |body: &str| {
        format!(
            "POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let g =
        format!("GET /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(exchange(&mut post, &p("40")).await, "ok");
    assert!(exchange(&mut get, &g).await.starts_with("40{\"sid\":\""));

    // A WebSocket client joins the namespace too.
    let mut ws = TcpStream::connect(addr).await.unwrap();
    ws.write_all(
        b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\
          Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await
    .unwrap();
    let key = [9u8, 8, 7, 6];
    let mut frame = vec![0x81, 0x82];
    frame.extend_from_slice(&key);
    frame.extend(b"40".iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    ws.write_all(&frame).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    // The polling client's event reaches both, byte-exact.
    assert_eq!(exchange(&mut post, &p("42[\"hi\",1]")).await, "ok");
    assert_eq!(exchange(&mut get, &g).await, "42[\"hi\",1]");
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("42[\"hi\",1]") {
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), ws.read(&mut chunk))
            .await
            .expect("the broadcast reaches the WebSocket client")
            .unwrap();
        assert!(n > 0);
        seen.extend_from_slice(&chunk[..n]);
    }
}
