//! The adapter over an in-memory duplex stream, against byte-exact RFC 6455 frames.
use std::time::Duration;

use sockwire::ws::ConnectionConfig;
use sockwire_tokio::accept;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
/// RFC 6455 5.7: a masked "Hello" from the client.
const MASKED_HELLO: [u8; 11] = [
    0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
];

async fn read_head(peer: &mut DuplexStream) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        assert_eq!(peer.read(&mut b).await.unwrap(), 1);
        head.push(b[0]);
    }
    String::from_utf8(head).unwrap()
}

fn echo_server(io: DuplexStream, config: ConnectionConfig) -> tokio::task::JoinHandle<Option<u16>> {
    tokio::spawn(async move {
        let mut ws = accept(io, config).await.unwrap();
        while let Some(msg) = ws.recv().await.unwrap() {
            ws.send(&msg).await.unwrap();
        }
        ws.connection().peer_close_code().map(u16::from)
    })
}

#[tokio::test]
async fn echo_and_clean_close() {
    let (mut peer, io) = tokio::io::duplex(4096);
    let server = echo_server(io, ConnectionConfig::default());
    // Request and first frame in one write: the bytes after the head must not be lost.
    let mut first = REQUEST.to_vec();
    first.extend_from_slice(&MASKED_HELLO);
    peer.write_all(&first).await.unwrap();
    let head = read_head(&mut peer).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{head}");
    let mut echo = [0u8; 7];
    peer.read_exact(&mut echo).await.unwrap();
    assert_eq!(&echo, b"\x81\x05Hello");
    // Masked Close 1000 (mask key 0): the server replies with Close 1000 and ends.
    peer.write_all(&[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8])
        .await
        .unwrap();
    let mut close = [0u8; 4];
    peer.read_exact(&mut close).await.unwrap();
    assert_eq!(close, [0x88, 0x02, 0x03, 0xe8]);
    assert_eq!(server.await.unwrap(), Some(1000));
}

#[tokio::test]
async fn refused_handshake_gets_the_core_response() {
    let (mut peer, io) = tokio::io::duplex(4096);
    let server = tokio::spawn(accept(io, ConnectionConfig::default()));
    peer.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let head = read_head(&mut peer).await;
    assert!(head.starts_with("HTTP/1.1 4"), "{head}");
    assert!(server.await.unwrap().is_err());
}

#[tokio::test(start_paused = true)]
#[ignore = "hangs: the adapter's keepalive/timeout path on the paused clock is not yet right (known, open)"]
async fn keepalive_ping_then_timeout_on_paused_clock() {
    let (mut peer, io) = tokio::io::duplex(4096);
    let config = ConnectionConfig::default()
        .keepalive(Some(Duration::from_secs(30)))
        .pong_timeout(Duration::from_secs(10))
        .close_timeout(Duration::from_secs(5));
    let server = echo_server(io, config);
    peer.write_all(REQUEST).await.unwrap();
    read_head(&mut peer).await;
    // Idle: after the keepalive interval the core's Ping goes out (unmasked, from the server).
    let t0 = tokio::time::Instant::now();
    let mut ping = [0u8; 2];
    peer.read_exact(&mut ping).await.unwrap();
    assert_eq!(ping[0], 0x89);
    assert!(
        t0.elapsed() >= Duration::from_secs(30),
        "{:?}",
        t0.elapsed()
    );
    let mut rest = vec![0u8; usize::from(ping[1] & 0x7f)];
    peer.read_exact(&mut rest).await.unwrap();
    // No Pong: the server gives up (Close 1011-ish or TCP close) and its task ends.
    let ended = tokio::time::timeout(Duration::from_secs(60), server).await;
    assert!(ended.is_ok(), "server did not end after the pong timeout");
    assert!(
        t0.elapsed() >= Duration::from_secs(40),
        "{:?}",
        t0.elapsed()
    );
}
