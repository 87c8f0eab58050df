//! The whole sans-IO Socket.IO server receiving events over one WebSocket session: a read of
//! 16 masked client frames, each an event `42["m","x…"]` of 64 B / 4 KiB / 16 KiB, from
//! `handle_read` to the application's `on_event` (which reads the argument). Per message, this
//! is all the work the core adds to the host's `recv`.
//!
//! Baseline in the same run: copying the read's bytes once into a reused buffer (the least any
//! receiver does).
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sockwire::socketio::server::{App, Ctx, Event, Server, ServerOptions};

/// Frames per read.
const BATCH: usize = 16;

/// Counts the bytes of each event's first argument.
struct Sink(usize);
impl App for Sink {
    fn on_event(&mut self, _ctx: &mut Ctx<'_>, event: Event<'_>) {
        self.0 += event.arg(0).map_or(0, str::len);
    }
}

/// A client text frame masked with a non-zero key.
fn frame(text: &str) -> Vec<u8> {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let n = text.len();
    let mut f = vec![0x81];
    if n < 126 {
        f.push(0x80 | n as u8);
    } else {
        f.push(0x80 | 126);
        f.extend_from_slice(&u16::try_from(n).unwrap().to_be_bytes());
    }
    f.extend_from_slice(&key);
    f.extend(text.bytes().enumerate().map(|(i, b)| b ^ key[i & 3]));
    f
}

fn server() -> Server<Sink> {
    let mut n = 0u8;
    let mut io = Server::new(Sink(0), ServerOptions::default(), move || {
        n += 1;
        [n; 15]
    });
    let t = Duration::ZERO;
    io.handle_accept(t, 1);
    io.handle_read(
        t,
        1,
        b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n\
          Upgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    io.handle_read(t, 1, &frame("40"));
    while io.poll_transmit().is_some() {}
    io
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("server_receive");
    g.warm_up_time(Duration::from_secs(1));
    for size in [64usize, 4096, 16_384] {
        let text = format!("42[\"m\",\"{}\"]", "x".repeat(size - 10));
        let read: Vec<u8> = (0..BATCH).flat_map(|_| frame(&text)).collect();
        g.throughput(Throughput::Elements(BATCH as u64));
        let mut io = server();
        let before = io.app().0;
        io.handle_read(Duration::ZERO, 1, &read);
        assert_eq!(
            io.app().0 - before,
            BATCH * (size - 8),
            "every event reached the app"
        );
        g.bench_function(format!("ws_{size}B_x{BATCH}"), |b| {
            b.iter(|| {
                io.handle_read(Duration::ZERO, 1, black_box(&read));
                while io.poll_transmit().is_some() {}
            })
        });
        let mut out = Vec::with_capacity(read.len());
        g.bench_function(format!("baseline_copy_{size}B_x{BATCH}"), |b| {
            b.iter(|| {
                out.clear();
                out.extend_from_slice(black_box(&read));
                black_box(&out);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
