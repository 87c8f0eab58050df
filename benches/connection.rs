//! Receiving through a server `Connection`: 10,000 masked 16 B text messages (header decode,
//! unmask in place, incremental UTF-8, events drained) and 256 masked 64 KiB binary messages,
//! in both receive modes, with `copy_from_slice` of the same wire bytes as the baseline.
//!
//! `cargo bench --bench connection -- --warm-up-time 1 --measurement-time 3`
use core::time::Duration;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sockwire::frame::{FrameHeader, OpCode};
use sockwire::mask::apply_mask;
use sockwire::ws::{Connection, ConnectionConfig, Event, ReceiveMode};

fn wire(count: usize, len: usize, op: OpCode) -> Vec<u8> {
    let mut w = Vec::with_capacity(count * (len + 14));
    for i in 0..count {
        // Key bytes and payload below 0x80: masked and unmasked payloads are both ASCII, so the
        // same buffer can be received again and again (unmasking twice is the identity) with no
        // copy in the measured loop.
        let key = [0x37, 0x7a, 0x21, (i as u8) & 0x7f];
        let h = FrameHeader::new(op, len as u64).with_mask(Some(key));
        w.extend_from_slice(&h.header_bytes().unwrap());
        let start = w.len();
        w.extend((0..len).map(|j| b'a' + (j % 26) as u8));
        apply_mask(&mut w[start..], key, 0);
    }
    w
}

/// Feeds everything, drains every event; returns the payload bytes seen.
fn receive(conn: &mut Connection, buf: &mut [u8]) -> usize {
    let now = Duration::ZERO;
    let mut pos = 0;
    let mut seen = 0;
    while pos < buf.len() {
        let n = conn.handle_read(now, &mut buf[pos..]).unwrap();
        pos += n;
        while let Some(ev) = conn.poll_event() {
            seen += match ev {
                Event::Text(t) => t.len(),
                Event::Binary(b) => b.len(),
                Event::Chunk { data, .. } => data.len(),
                _ => 0,
            };
        }
    }
    seen
}

fn bench(c: &mut Criterion) {
    let modes = [
        ("stream", ReceiveMode::Stream),
        ("messages", ReceiveMode::Messages),
    ];

    let small = wire(10_000, 16, OpCode::Text);
    let mut g = c.benchmark_group("connection/recv_16B_x10000");
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("memcpy_baseline", |b| {
        let mut dst = vec![0u8; small.len()];
        b.iter(|| {
            dst.copy_from_slice(black_box(&small));
            black_box(&dst);
        })
    });
    for (name, mode) in modes {
        g.bench_function(name, |b| {
            let cfg = ConnectionConfig::default().receive_mode(mode);
            let mut buf = small.clone();
            b.iter(|| {
                let mut conn = Connection::server(cfg);
                black_box(receive(&mut conn, &mut buf))
            })
        });
    }
    g.finish();

    let big = wire(256, 64 << 10, OpCode::Binary);
    let mut g = c.benchmark_group("connection/recv_64KiB_x256");
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.sample_size(20);
    g.bench_function("memcpy_baseline", |b| {
        let mut dst = vec![0u8; big.len()];
        b.iter(|| {
            dst.copy_from_slice(black_box(&big));
            black_box(&dst);
        })
    });
    for (name, mode) in modes {
        g.bench_function(name, |b| {
            let cfg = ConnectionConfig::default().receive_mode(mode);
            let mut buf = big.clone();
            b.iter(|| {
                let mut conn = Connection::server(cfg);
                black_box(receive(&mut conn, &mut buf))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
