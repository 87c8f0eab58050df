//! Receiving through a server `Connection`: 10,000 masked 16 B text messages (header decode,
//! unmask in place, incremental UTF-8, events drained) and 256 masked 64 KiB binary messages,
//! in both receive modes, with `copy_from_slice` of the same wire bytes as the baseline. The
//! 64 KiB case is measured twice: one message from a cache-resident buffer (the fair ratio
//! against an in-cache memcpy) and 256 messages streamed through 16 MiB (memory bound; there
//! the in-place unmask touches half the memory a copy does).
//!
//! `cargo bench --bench connection -- --warm-up-time 1 --measurement-time 3`
use core::time::Duration;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sockwire::frame::{FrameHeader, OpCode};
use sockwire::mask::apply_mask;
use sockwire::utf8::Utf8Validator;
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

/// The incremental UTF-8 validator against `core::str::from_utf8` on 1 MiB (whole, and fed
/// in 125 B pieces the way small frames arrive).
fn bench_utf8(c: &mut Criterion) {
    let ascii: Vec<u8> = (0..1 << 20).map(|i| b'a' + (i % 26) as u8).collect();
    let mixed: Vec<u8> = "héllo wörld κόσμε €𝄞 ascii text and more text "
        .repeat((1 << 20) / 50)
        .into_bytes();
    for (name, data) in [("ascii", &ascii), ("mixed", &mixed)] {
        let mut g = c.benchmark_group(format!("utf8/1MiB_{name}"));
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function("core_str_from_utf8", |b| {
            b.iter(|| core::str::from_utf8(black_box(data)).is_ok())
        });
        g.bench_function("validator_whole", |b| {
            b.iter(|| {
                let mut v = Utf8Validator::new();
                v.feed(black_box(data)).is_ok() && v.finish().is_ok()
            })
        });
        g.bench_function("validator_125B_pieces", |b| {
            b.iter(|| {
                let mut v = Utf8Validator::new();
                black_box(data).chunks(125).all(|c| v.feed(c).is_ok()) && v.finish().is_ok()
            })
        });
        g.finish();
    }
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

    // One 64 KiB message from a cache-resident buffer, against a cache-resident 64 KiB memcpy.
    let one = wire(1, 64 << 10, OpCode::Binary);
    let mut g = c.benchmark_group("connection/recv_64KiB_in_cache");
    g.throughput(Throughput::Bytes(one.len() as u64));
    g.bench_function("memcpy_baseline", |b| {
        let mut dst = vec![0u8; one.len()];
        b.iter(|| {
            dst.copy_from_slice(black_box(&one));
            black_box(&dst);
        })
    });
    for (name, mode) in modes {
        g.bench_function(name, |b| {
            let cfg = ConnectionConfig::default().receive_mode(mode);
            let mut buf = one.clone();
            let mut conn = Connection::server(cfg);
            b.iter(|| black_box(receive(&mut conn, &mut buf)))
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

/// Process CPU time (user + system) in seconds, from `/proc/self/stat` (10 ms ticks).
fn process_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit(')').next()?.to_owned();
            let f: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = f.get(11)?.parse().ok()?;
            let stime: f64 = f.get(12)?.parse().ok()?;
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(0.0)
}

/// On a shared machine wall time also counts the time other processes held the CPU. This
/// prints CPU time per 16 B message (and per 64 KiB message, with the memcpy baseline) over
/// runs long enough for the 10 ms tick to be under 2 % of the total.
fn cpu_report() {
    // Only under `cargo bench` (not the quick `cargo test --benches` pass), and only when no
    // filter is given or the filter asks for it (`cargo bench --bench connection -- cpu`).
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let numeric_opt = |a: &str| a.parse::<f64>().is_ok();
    let filters: Vec<&&String> = filters.iter().filter(|a| !numeric_opt(a)).collect();
    if !args.iter().any(|a| a == "--bench") || filters.iter().any(|f| !f.contains("cpu")) {
        return;
    }
    let small = wire(10_000, 16, OpCode::Text);
    let one = wire(1, 64 << 10, OpCode::Binary);
    let per = |f: &mut dyn FnMut()| {
        let t0 = process_cpu_seconds();
        let w0 = std::time::Instant::now();
        let mut n = 0u64;
        while w0.elapsed() < Duration::from_secs(3) || process_cpu_seconds() - t0 < 0.5 {
            f();
            n += 1;
        }
        (process_cpu_seconds() - t0) * 1e9 / n as f64
    };
    let mut dst = vec![0u8; small.len()];
    let memcpy_small = per(&mut || {
        dst.copy_from_slice(black_box(&small));
        black_box(&dst);
    }) / 10_000.0;
    println!("cpu time: memcpy of the wire bytes of one 16 B message: {memcpy_small:.2} ns");
    for (name, mode) in [
        ("stream", ReceiveMode::Stream),
        ("messages", ReceiveMode::Messages),
    ] {
        let cfg = ConnectionConfig::default().receive_mode(mode);
        let mut buf = small.clone();
        let ns = per(&mut || {
            let mut conn = Connection::server(cfg);
            black_box(receive(&mut conn, &mut buf));
        }) / 10_000.0;
        println!("cpu time: receive one masked 16 B text message ({name}): {ns:.2} ns");
    }
    let mut dst = vec![0u8; one.len()];
    let memcpy_big = per(&mut || {
        dst.copy_from_slice(black_box(&one));
        black_box(&dst);
    });
    println!("cpu time: memcpy of one 64 KiB message's wire bytes (in cache): {memcpy_big:.0} ns");
    for (name, mode) in [
        ("stream", ReceiveMode::Stream),
        ("messages", ReceiveMode::Messages),
    ] {
        let cfg = ConnectionConfig::default().receive_mode(mode);
        let mut buf = one.clone();
        let mut conn = Connection::server(cfg);
        let ns = per(&mut || {
            black_box(receive(&mut conn, &mut buf));
        });
        println!(
            "cpu time: receive one masked 64 KiB message ({name}, in cache): {ns:.0} ns = {:.2}x memcpy",
            memcpy_big / ns
        );
    }
}

criterion_group!(benches, bench, bench_utf8);
criterion_main!(benches, cpu_report);
