//! The whole sans-IO Socket.IO server broadcasting one event to 10,000 WebSocket sessions:
//! from the sender's frame in `handle_read` to every recipient's bytes out of
//! `poll_transmit`, each acknowledged with `handle_written` as the tokio adapter does when a
//! write completes at once (write pacing on). Per recipient, this is all the work the core
//! adds to the one `send` a host makes.
//!
//! Baseline in the same run: a fresh `Vec` copy of the frame per recipient (the least a host
//! handing out owned buffers does).
use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sockwire::socketio::server::{App, Ctx, Event, Server, ServerOptions};

const N: u64 = 10_000;
const MSG: &str =
    r#"{"user":"ada lovelace","msg":"the analytical engine weaves algebraic patterns (1843)"}"#;

/// `go` broadcasts `msg` to everyone in the namespace.
struct Go;
impl App for Go {
    fn on_event(&mut self, ctx: &mut Ctx<'_>, event: Event<'_>) {
        if event.name() == "go" {
            let _ = ctx
                .everyone()
                .emit("msg", &[sockwire::socketio::Value::Json(MSG)]);
        }
    }
}

/// A masked client text frame (mask key 0).
fn frame(text: &str) -> Vec<u8> {
    assert!(text.len() < 126);
    let mut f = vec![0x81, 0x80 | text.len() as u8, 0, 0, 0, 0];
    f.extend_from_slice(text.as_bytes());
    f
}

fn drain(io: &mut Server<Go>) -> usize {
    let mut bytes = 0;
    while let Some(t) = io.poll_transmit() {
        bytes += black_box(&t.data).len();
        io.handle_written(Duration::ZERO, t.conn);
    }
    bytes
}

fn server() -> Server<Go> {
    let mut n = 0u128;
    let mut opts = ServerOptions::default();
    opts.endpoint = opts.endpoint.max_connections(20_000).max_sessions(20_000);
    opts.hub.max_sessions = 20_000;
    let mut io = Server::new(Go, opts, move || {
        n += 1;
        let b = n.to_le_bytes();
        let mut id = [0u8; 15];
        id.copy_from_slice(&b[..15]);
        id
    });
    io.enable_write_pacing();
    let t = Duration::ZERO;
    for conn in 1..=N {
        io.handle_accept(t, conn);
        io.handle_read(
            t,
            conn,
            b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n\
              Upgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        );
        drain(&mut io);
        io.handle_read(t, conn, &frame("40"));
        drain(&mut io);
    }
    io
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("server_broadcast");
    g.throughput(Throughput::Elements(N));
    g.warm_up_time(Duration::from_secs(1));
    let mut io = server();
    let go = frame("42[\"go\"]");
    let one = {
        io.handle_read(Duration::ZERO, 1, &go);
        let t = io.poll_transmit().unwrap();
        io.handle_written(Duration::ZERO, t.conn);
        let rest = drain(&mut io);
        assert_eq!(
            rest,
            t.data.len() * (N as usize - 1),
            "every session has it"
        );
        t.data
    };
    g.bench_function("ws_10000", |b| {
        b.iter(|| {
            io.handle_read(Duration::ZERO, 1, &go);
            drain(&mut io)
        })
    });
    g.bench_function("baseline_copy_per_recipient_10000", |b| {
        b.iter_batched_ref(
            || Vec::with_capacity(N as usize),
            |out: &mut Vec<Vec<u8>>| {
                for _ in 0..N {
                    out.push(black_box(&one[..]).to_vec());
                }
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
