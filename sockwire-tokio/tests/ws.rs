//! The adapter over an in-memory duplex stream, against byte-exact RFC 6455 frames.
use std::time::Duration;

use sockwire::frame::CloseCode;
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

/// Sends a masked Close 1000 (mask key 0) and checks the server's Close 1000 reply, byte-exact.
async fn close_1000<P: AsyncReadExt + AsyncWriteExt + Unpin>(peer: &mut P) {
    peer.write_all(&[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8])
        .await
        .unwrap();
    let mut close = [0u8; 4];
    peer.read_exact(&mut close).await.unwrap();
    assert_eq!(close, [0x88, 0x02, 0x03, 0xe8]);
}

fn echo_server(io: DuplexStream, config: ConnectionConfig) -> tokio::task::JoinHandle<Option<u16>> {
    tokio::spawn(async move {
        let mut ws = accept(io, config).await.unwrap();
        while let Some(msg) = ws.recv().await.unwrap() {
            ws.send(&msg).await.unwrap();
        }
        ws.inspect(|c| c.peer_close_code()).await.map(u16::from)
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
    close_1000(&mut peer).await;
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

/// Reads one unmasked server frame with a 7-bit length: (first byte, payload).
async fn read_frame(peer: &mut DuplexStream) -> (u8, Vec<u8>) {
    let mut h = [0u8; 2];
    peer.read_exact(&mut h).await.unwrap();
    assert_eq!(h[1] & 0x80, 0, "server frames are not masked");
    let mut p = vec![0u8; usize::from(h[1] & 0x7f)];
    peer.read_exact(&mut p).await.unwrap();
    (h[0], p)
}

#[tokio::test]
async fn connect_and_accept_talk_to_each_other() {
    use sockwire::handshake::ClientOptions;
    use sockwire_tokio::{Message, connect};
    let (a, b) = tokio::io::duplex(4096);
    let server = echo_server(b, ConnectionConfig::default());
    let mut n = 0u8;
    let keys = move || {
        n = n.wrapping_add(1);
        [n, 0x5a, 0xa5, n]
    };
    let opts = ClientOptions::new("example.com", "/chat", *b"0123456789abcdef");
    let mut ws = connect(a, opts, ConnectionConfig::default(), keys)
        .await
        .unwrap();
    for m in [
        Message::Text("héllo".into()),
        Message::Binary(vec![0, 1, 2, 255]),
        Message::Text("x".repeat(70_000)),
    ] {
        ws.send(&m).await.unwrap();
        assert_eq!(ws.recv().await.unwrap(), Some(m));
    }
    ws.close(CloseCode::NORMAL, "bye").await.unwrap();
    assert_eq!(ws.recv().await.unwrap(), None);
    assert_eq!(
        ws.inspect(|c| c.peer_close_code()).await,
        Some(CloseCode::NORMAL)
    );
    assert_eq!(server.await.unwrap(), Some(1000));
}

#[tokio::test]
async fn connect_reports_a_refusal() {
    use sockwire::handshake::ClientOptions;
    use sockwire_tokio::connect;
    let (a, mut b) = tokio::io::duplex(4096);
    let peer = tokio::spawn(async move {
        read_head(&mut b).await;
        b.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            .await
            .unwrap();
        b
    });
    let opts = ClientOptions::new("h", "/", [7; 16]);
    let Err(err) = connect(a, opts, ConnectionConfig::default(), || [1, 2, 3, 4]).await else {
        panic!("a 403 was taken for an upgrade");
    };
    assert!(err.to_string().contains("403"), "{err}");
    drop(peer.await.unwrap());
}

#[tokio::test]
async fn the_writer_half_sends_while_the_reader_half_waits() {
    use sockwire_tokio::Message;
    let (mut peer, io) = tokio::io::duplex(4096);
    let server = tokio::spawn(async move {
        let ws = accept(io, ConnectionConfig::default()).await.unwrap();
        let (mut reader, writer) = ws.split();
        let pusher = tokio::spawn(async move {
            for i in 0..3 {
                writer
                    .send(&Message::Text(format!("push {i}")))
                    .await
                    .unwrap();
            }
            writer
        });
        // The reader is blocked in `recv` (the peer sends nothing) while the pushes go out.
        let got = reader.recv().await.unwrap();
        (got, pusher.await.unwrap())
    });
    peer.write_all(REQUEST).await.unwrap();
    read_head(&mut peer).await;
    for i in 0..3 {
        let (b0, p) = read_frame(&mut peer).await;
        assert_eq!(b0, 0x81);
        assert_eq!(p, format!("push {i}").as_bytes());
    }
    // The peer's Close ends the reader; its reply goes out from the reader's side.
    close_1000(&mut peer).await;
    let (got, _writer) = server.await.unwrap();
    assert_eq!(got, None);
}

/// The socket `try_send` fills: whole, or its writer half.
enum Sender {
    Whole(Box<sockwire_tokio::WebSocket<DuplexStream>>),
    /// (The reader half is dropped: the writer keeps the stream.)
    Half(sockwire_tokio::WsWriter<DuplexStream>),
}

impl Sender {
    fn try_send(
        &mut self,
        m: &sockwire_tokio::Message,
    ) -> Result<(), sockwire_tokio::TrySendError> {
        match self {
            Sender::Whole(ws) => ws.try_send(m),
            Sender::Half(w) => w.try_send(m),
        }
    }
}

/// `try_send` on a 256-byte pipe the peer does not read yet is `Full` once the pipe and the
/// cap (1,000 bytes) are full, and `flush` then delivers everything, in order.
async fn try_send_is_bounded_and_flush_delivers_in_order(split: bool) {
    use sockwire_tokio::{Message, TrySendError};
    let (mut peer, io) = tokio::io::duplex(256);
    let server = tokio::spawn(async move {
        let mut ws = accept(io, ConnectionConfig::default()).await.unwrap();
        let mut tx = if split {
            let (_, w) = ws.split();
            w.set_max_pending(1000);
            Sender::Half(w)
        } else {
            ws.set_max_pending(1000);
            Sender::Whole(Box::new(ws))
        };
        let mut queued = 0;
        loop {
            match tx.try_send(&Message::Binary(vec![queued as u8; 100])) {
                Ok(()) => queued += 1,
                Err(TrySendError::Full) => break,
                Err(e) => panic!("{e}"),
            }
            assert!(queued < 100, "never full");
        }
        // Full means: what the pipe took (256 B) plus at most 1000 B queued.
        assert!((2..=12).contains(&queued), "{queued}");
        assert!(matches!(
            tx.try_send(&Message::Binary(vec![0; 2000])),
            Err(TrySendError::Full)
        ));
        match &mut tx {
            Sender::Whole(ws) => ws.flush().await.unwrap(),
            Sender::Half(w) => w.flush().await.unwrap(),
        }
        (queued, tx)
    });
    peer.write_all(REQUEST).await.unwrap();
    read_head(&mut peer).await;
    let mut got = Vec::new();
    // Read until the server has flushed everything it queued.
    let mut handle = Some(server);
    let mut total = None;
    while total.is_none_or(|t| got.len() < t) {
        let (b0, p) = read_frame(&mut peer).await;
        assert_eq!((b0, p.len()), (0x82, 100));
        got.push(p[0]);
        if total.is_none() && handle.as_ref().is_some_and(|h| h.is_finished()) {
            total = Some(handle.take().unwrap().await.unwrap().0);
        }
    }
    let n = total.unwrap();
    assert_eq!(got, (0..n).map(|i| i as u8).collect::<Vec<_>>());
}

#[tokio::test]
async fn writer_half_try_send_is_bounded_and_flush_delivers_in_order() {
    try_send_is_bounded_and_flush_delivers_in_order(true).await;
}

#[tokio::test]
async fn whole_socket_try_send_is_bounded_and_flush_delivers_in_order() {
    try_send_is_bounded_and_flush_delivers_in_order(false).await;
}

/// `recv` dropped at every await (a `select!` with a short timer, as a real event loop does)
/// loses no byte and no message: 200 messages sent slowly in uneven pieces all arrive intact.
#[tokio::test]
async fn recv_is_cancel_safe() {
    use sockwire_tokio::Message;
    let (mut peer, io) = tokio::io::duplex(4096);
    let server = tokio::spawn(async move {
        let mut ws = accept(io, ConnectionConfig::default()).await.unwrap();
        let mut got = Vec::new();
        while got.len() < 200 {
            match tokio::time::timeout(Duration::from_micros(50), ws.recv()).await {
                Ok(Ok(Some(Message::Text(t)))) => got.push(t),
                Ok(other) => panic!("{other:?}"),
                Err(_) => {} // dropped mid-way: try again
            }
        }
        got
    });
    peer.write_all(REQUEST).await.unwrap();
    read_head(&mut peer).await;
    let mut wire = Vec::new();
    for i in 0..200 {
        let text = format!("message {i} {}", "x".repeat(i % 50));
        let key = [i as u8, 3, 5, 7];
        wire.push(0x81);
        wire.push(0x80 | text.len() as u8);
        wire.extend_from_slice(&key);
        wire.extend(text.bytes().enumerate().map(|(j, b)| b ^ key[j % 4]));
    }
    for (k, piece) in wire.chunks(37).enumerate() {
        peer.write_all(piece).await.unwrap();
        if k % 3 == 0 {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }
    let got = server.await.unwrap();
    for (i, t) in got.iter().enumerate() {
        assert_eq!(t, &format!("message {i} {}", "x".repeat(i % 50)));
    }
}

/// A masked client frame with mask key 0 (payload as is) and any length.
fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![first];
    match payload.len() {
        n @ 0..=125 => f.push(0x80 | n as u8),
        n @ 126..=65535 => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(0x80 | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(&[0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

/// Reads one unmasked server frame of any length: (first byte, payload).
async fn read_any_frame(peer: &mut DuplexStream) -> (u8, Vec<u8>) {
    let mut h = [0u8; 2];
    peer.read_exact(&mut h).await.unwrap();
    let len = match h[1] & 0x7f {
        126 => usize::from(peer.read_u16().await.unwrap()),
        127 => usize::try_from(peer.read_u64().await.unwrap()).unwrap(),
        n => usize::from(n),
    };
    let mut p = vec![0u8; len];
    peer.read_exact(&mut p).await.unwrap();
    (h[0], p)
}

/// Large messages switch the reader to bulk reads (straight into a 32 KiB chunk), small ones
/// back to the lean 128-byte wait; every message comes back whole and in order, whatever the
/// sizes of the writes that carry them (every split of a frame into two writes at a few points,
/// and several frames in one write).
#[tokio::test]
async fn bulk_and_small_reads_echo_every_message_in_order() {
    let (mut peer, io) = tokio::io::duplex(1 << 20);
    let server = echo_server(io, ConnectionConfig::default());
    peer.write_all(REQUEST).await.unwrap();
    read_head(&mut peer).await;
    let sizes = [16_384usize, 20, 100_000, 128, 127, 40_000, 0, 32 * 1024, 5];
    let msgs: Vec<Vec<u8>> = sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| (0..n).map(|j| (i * 31 + j) as u8).collect())
        .collect();
    for round in 0..3 {
        for m in &msgs {
            let f = client_frame(0x82, m);
            match round {
                // One write per frame.
                0 => peer.write_all(&f).await.unwrap(),
                // Split in two at a point that moves with the frame's size.
                1 => {
                    let cut = (f.len() * 7 / 11).max(1).min(f.len());
                    peer.write_all(&f[..cut]).await.unwrap();
                    tokio::task::yield_now().await;
                    peer.write_all(&f[cut..]).await.unwrap();
                }
                // Byte by byte through the header, then the rest.
                _ => {
                    let h = f.len().min(14);
                    for b in &f[..h] {
                        peer.write_all(&[*b]).await.unwrap();
                        tokio::task::yield_now().await;
                    }
                    peer.write_all(&f[h..]).await.unwrap();
                }
            }
            let (op, p) = read_any_frame(&mut peer).await;
            assert_eq!(op, 0x82);
            assert_eq!(&p, m, "round {round}, {} bytes", m.len());
        }
    }
    // All of them in one write.
    let all: Vec<u8> = msgs.iter().flat_map(|m| client_frame(0x82, m)).collect();
    peer.write_all(&all).await.unwrap();
    for m in &msgs {
        let (op, p) = read_any_frame(&mut peer).await;
        assert_eq!((op, &p), (0x82, m));
    }
    close_1000(&mut peer).await;
    assert_eq!(server.await.unwrap(), Some(1000));
}

/// Over real TCP (whose writes are vectored), large messages go out as one vectored write of
/// header + message: byte-exact frames (16- and 64-bit lengths), text and binary, and in order
/// with a Pong the server owed before them.
#[tokio::test]
async fn large_messages_go_out_vectored_byte_exact_and_in_order_over_tcp() {
    use tokio::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = accept(tcp, ConnectionConfig::default()).await.unwrap();
        while let Some(msg) = ws.recv().await.unwrap() {
            ws.send(&msg).await.unwrap();
        }
    });
    let mut peer = TcpStream::connect(addr).await.unwrap();
    peer.write_all(REQUEST).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(peer.read_u8().await.unwrap());
    }
    let text: String = (0..16_384)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let bin: Vec<u8> = (0..70_000u32).map(|i| (i * 7) as u8).collect();
    // A Ping and the text in one write: the Pong must come first.
    let mut wire = client_frame(0x89, b"p");
    wire.extend(client_frame(0x81, text.as_bytes()));
    wire.extend(client_frame(0x82, &bin));
    peer.write_all(&wire).await.unwrap();
    let mut expect = vec![0x8a, 0x01, b'p', 0x81, 126, 0x40, 0x00];
    expect.extend_from_slice(text.as_bytes());
    expect.extend_from_slice(&[0x82, 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70]);
    expect.extend_from_slice(&bin);
    let mut got = vec![0u8; expect.len()];
    peer.read_exact(&mut got).await.unwrap();
    assert!(got == expect, "frames differ");
    close_1000(&mut peer).await;
    server.await.unwrap();
}

/// Splitting a socket that has already read more than it handed out loses nothing: the
/// reader half gets the rest.
#[tokio::test]
async fn split_keeps_what_the_whole_socket_had_read() {
    use sockwire_tokio::Message;
    let (mut peer, io) = tokio::io::duplex(4096);
    let server = tokio::spawn(async move {
        let mut ws = accept(io, ConnectionConfig::default()).await.unwrap();
        let first = ws.recv().await.unwrap();
        let (mut reader, writer) = ws.split();
        let second = reader.recv().await.unwrap();
        writer.send(&Message::Text("bye".into())).await.unwrap();
        (first, second)
    });
    // The head and both frames in one write: the second is read with the first.
    let mut wire = REQUEST.to_vec();
    wire.extend(client_frame(0x81, b"one"));
    wire.extend(client_frame(0x81, b"two"));
    peer.write_all(&wire).await.unwrap();
    read_head(&mut peer).await;
    let (first, second) = server.await.unwrap();
    assert_eq!(first, Some(Message::Text("one".into())));
    assert_eq!(second, Some(Message::Text("two".into())));
    assert_eq!(read_frame(&mut peer).await, (0x81, b"bye".to_vec()));
}

/// A large message the stream takes only part of at once: the rest is queued and follows,
/// byte-exact, before anything sent after it.
#[tokio::test]
async fn a_partly_written_large_message_is_finished_before_the_next() {
    let (mut peer, io) = tokio::io::duplex(512);
    let server = echo_server(io, ConnectionConfig::default());
    peer.write_all(REQUEST).await.unwrap();
    read_head(&mut peer).await;
    let msgs: Vec<Vec<u8>> = (0..3u8).map(|i| vec![i + 1; 10_000]).collect();
    let all: Vec<u8> = msgs.iter().flat_map(|m| client_frame(0x82, m)).collect();
    // Written while the echoes are read (the 512-byte pipes fill both ways).
    let (mut rd, mut wr) = tokio::io::split(peer);
    let writer = tokio::spawn(async move {
        wr.write_all(&all).await.unwrap();
        wr
    });
    let mut got = Vec::new();
    for _ in &msgs {
        let mut h = [0u8; 4];
        rd.read_exact(&mut h).await.unwrap();
        assert_eq!(h, [0x82, 126, 0x27, 0x10]);
        let mut p = vec![0u8; 10_000];
        rd.read_exact(&mut p).await.unwrap();
        got.push(p);
    }
    assert_eq!(got, msgs);
    let mut peer = rd.unsplit(writer.await.unwrap());
    close_1000(&mut peer).await;
    assert_eq!(server.await.unwrap(), Some(1000));
}
