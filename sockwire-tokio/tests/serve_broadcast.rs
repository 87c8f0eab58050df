//! Broadcasts through `serve` to a room with a member that does not read: the others get
//! every message, in order, while it reads nothing; what is held for it is capped (the
//! Engine.IO endpoint's `MAX_HELD_BYTES` behind the one write in flight), so it gets fewer
//! messages than were sent and then its connection closed, not an ever-growing queue.
use std::time::Duration;

use sockwire::engineio::endpoint::pacing::MAX_HELD_BYTES;
use sockwire::socketio::packet::Value::JsonUnchecked;
use sockwire::socketio::server::{App, Ctx, Event, Server, ServerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// Messages per burst (4 MiB: under the cap, so a reader that keeps up between bursts is never
/// cut off), bursts (24 MiB in all: over the cap plus what the sockets buffer), and the
/// payload of each message (a JSON string of `SIZE` bytes).
const COUNT: usize = 128;
const BURSTS: usize = 6;
const SIZE: usize = 32 * 1024;
/// Readers that keep up.
const FAST: usize = 3;

/// `join` (room): joins, acks; `go` (room, from): emits `msg` [i, "xxx…"] to the room for i in
/// from..from + COUNT.
struct Burst;
impl App for Burst {
    fn on_event(&mut self, ctx: &mut Ctx<'_>, mut ev: Event<'_>) {
        let room = ev.str_arg(0).unwrap_or_default().into_owned();
        match ev.name() {
            "join" => {
                let _ = ctx.join(&room);
                if let Some(ack) = ev.take_ack() {
                    let _ = ctx.ack(ack, &[JsonUnchecked("\"ok\"")]);
                }
            }
            "go" => {
                let big = format!("\"{}\"", "x".repeat(SIZE));
                let from: usize = ev.arg(1).and_then(|a| a.parse().ok()).unwrap_or(0);
                for i in from..from + COUNT {
                    let i = i.to_string();
                    let _ = ctx
                        .to(&room)
                        .emit("msg", &[JsonUnchecked(&i), JsonUnchecked(&big)]);
                }
            }
            _ => {}
        }
    }
}

/// One masked client text frame (mask key 0).
fn frame(text: &str) -> Vec<u8> {
    let mut f = vec![0x81];
    match text.len() {
        n @ 0..=125 => f.push(0x80 | n as u8),
        n => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    f.extend_from_slice(&[0; 4]);
    f.extend_from_slice(text.as_bytes());
    f
}

/// A Socket.IO client on the WebSocket transport, reading whole server frames.
struct Client {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    /// Connects (with a small receive buffer when `small`), upgrades, CONNECTs to `/`, joins
    /// the room `r` and waits for the ack.
    async fn join(addr: std::net::SocketAddr, small: bool) -> Client {
        let sock = TcpSocket::new_v4().unwrap();
        if small {
            sock.set_recv_buffer_size(4096).unwrap();
        }
        let mut s = sock.connect(addr).await.unwrap();
        s.write_all(
            b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n\
              Upgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .await
        .unwrap();
        let mut c = Client { s, buf: Vec::new() };
        while !c.buf.windows(4).any(|w| w == b"\r\n\r\n") {
            assert!(c.fill().await > 0, "closed during the upgrade");
        }
        let at = c.buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        assert!(c.buf.starts_with(b"HTTP/1.1 101"));
        c.buf.drain(..at + 4);
        assert!(c.next().await.unwrap().starts_with("0{"));
        c.s.write_all(&frame("40")).await.unwrap();
        assert!(c.next().await.unwrap().starts_with("40"));
        c.s.write_all(&frame("420[\"join\",\"r\"]")).await.unwrap();
        assert_eq!(c.next().await.unwrap(), "430[\"ok\"]");
        c
    }

    async fn fill(&mut self) -> usize {
        let mut chunk = vec![0u8; 64 * 1024];
        let n = self.s.read(&mut chunk).await.unwrap_or(0);
        self.buf.extend_from_slice(&chunk[..n]);
        n
    }

    /// The next text frame's payload; `None` at the end of the stream (or a Close frame).
    async fn next(&mut self) -> Option<String> {
        loop {
            let b = &self.buf;
            if b.len() >= 2 {
                let (len, head) = match b[1] & 0x7f {
                    126 if b.len() >= 4 => (usize::from(u16::from_be_bytes([b[2], b[3]])), 4),
                    126 => (usize::MAX, 0),
                    127 => panic!("no frame here is that long"),
                    l => (usize::from(l), 2),
                };
                if head > 0 && b.len() >= head + len {
                    let op = b[0] & 0x0f;
                    let p = String::from_utf8(b[head..head + len].to_vec()).unwrap();
                    self.buf.drain(..head + len);
                    if op == 0x8 {
                        return None;
                    }
                    return Some(p);
                }
            }
            if self.fill().await == 0 {
                return None;
            }
        }
    }

    /// Reads `msg` events until the end of the stream or `want` of them: their indexes.
    async fn msgs(&mut self, want: usize) -> Vec<usize> {
        let mut got = Vec::new();
        while got.len() < want {
            let Some(p) = self.next().await else { break };
            if let Some(rest) = p.strip_prefix("42[\"msg\",") {
                let i: usize = rest.split(',').next().unwrap().parse().unwrap();
                assert_eq!(rest.len(), i.to_string().len() + 1 + SIZE + 2 + 1, "whole");
                got.push(i);
            }
        }
        got
    }
}

#[tokio::test]
async fn a_member_that_does_not_read_neither_blocks_the_others_nor_queues_without_bound() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut n = 0u8;
    let ids = move || {
        n = n.wrapping_add(1);
        [n; 15]
    };
    tokio::spawn(sockwire_tokio::serve(
        listener,
        Server::new(Burst, ServerOptions::default(), ids),
    ));
    let mut fast = Vec::new();
    for _ in 0..FAST {
        fast.push(Client::join(addr, false).await);
    }
    let mut slow = Client::join(addr, true).await;
    let mut control = Client::join(addr, false).await;
    // Every reader gets each burst whole and in order while `slow` reads nothing.
    for b in 0..BURSTS {
        let from = b * COUNT;
        let go = format!("42[\"go\",\"r\",{from}]");
        control.s.write_all(&frame(&go)).await.unwrap();
        for c in &mut fast {
            let got = tokio::time::timeout(Duration::from_secs(60), c.msgs(COUNT))
                .await
                .expect("a reader that keeps up is not held back");
            assert_eq!(got, (from..from + COUNT).collect::<Vec<_>>());
        }
    }

    // Then `slow` reads what was kept for it: a prefix of the burst, bounded by the cap on
    // held bytes (plus what the sockets buffer), and then the end of its connection.
    let all = BURSTS * COUNT;
    let got = tokio::time::timeout(Duration::from_secs(60), slow.msgs(all))
        .await
        .expect("the slow member's connection ends");
    eprintln!(
        "the member that did not read got {} of {all} messages",
        got.len()
    );
    assert!(
        got.len() < all,
        "all {all} kept for a member that did not read"
    );
    assert_eq!(
        got,
        (0..got.len()).collect::<Vec<_>>(),
        "a prefix, in order"
    );
    assert!(
        got.len() * SIZE <= MAX_HELD_BYTES + 16 * 1024 * 1024,
        "{} messages kept",
        got.len()
    );
    assert_eq!(slow.next().await, None, "closed after what was kept");
}
