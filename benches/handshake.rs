//! Server-side opening handshake cost against its irreducible part, the SHA-1 digest.
//!
//! * `handshake/sha1_digest_baseline`: `sha1_smol` digest of key + GUID (what any server must
//!   compute), measured in the same run.
//! * `handshake/server_parse_validate_accept_write`: parse the RFC 6455 §1.3 request, validate
//!   it, compute `Sec-WebSocket-Accept` and write the 101 into a stack buffer.
//!
//! The figure to quote is the ratio of the two (goal: ≤ 1.25). Run with
//! `cargo bench --bench handshake -- --warm-up-time 1 --measurement-time 3`; the ratio is
//! printed at the end.
//!
//! On a loaded machine, count instructions instead: build with `cargo bench --bench handshake
//! --no-run`, then run the printed binary under callgrind with `HANDSHAKE_CALLGRIND=1000` in the
//! environment (it then only calls each function 1000 times), once with
//! `--toggle-collect='handshake::digest'` and once with `--toggle-collect='handshake::server'`;
//! the two "Collected" totals divided by 1000 are the per-call instruction counts. Valgrind
//! hides the CPU's SHA extensions, so under callgrind the portable SHA-1 runs; the wall-clock
//! runs use the SHA instructions when the CPU has them.
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use sockwire::handshake::http::{HeadConfig, Header, Status};
use sockwire::handshake::{AcceptOptions, GUID, ServerHandshake};

const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\n\
Host: server.example.com\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Origin: http://example.com\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\n\
Sec-WebSocket-Version: 13\r\n\
\r\n";

const KEY: &[u8] = b"dGhlIHNhbXBsZSBub25jZQ==";

#[inline(never)]
fn digest() -> [u8; 20] {
    let mut sha = sha1_smol::Sha1::new();
    sha.update(black_box(KEY));
    sha.update(GUID);
    sha.digest().bytes()
}

#[inline(never)]
fn server() -> usize {
    let mut slots = [Header::EMPTY; 16];
    let mut out = [0u8; 256];
    let mut hs = ServerHandshake::new(HeadConfig::new());
    match hs.parse(black_box(REQUEST), &mut slots) {
        Ok(Status::Complete(req)) => {
            let n = req
                .accept(&AcceptOptions::new())
                .and_then(|a| a.encode(&mut out))
                .unwrap_or(0);
            black_box(&out[..n]);
            n + req.head_len()
        }
        _ => 0,
    }
}

fn benches(c: &mut Criterion) {
    assert!(server() > 0);
    let mut g = c.benchmark_group("handshake");
    g.throughput(Throughput::Bytes(REQUEST.len() as u64));
    g.bench_function("sha1_digest_baseline", |b| b.iter(|| black_box(digest())));
    g.bench_function("server_parse_validate_accept_write", |b| {
        b.iter(|| black_box(server()))
    });
    g.finish();
}

/// A direct same-run measurement of both, interleaved in short alternating windows so that
/// machine load hits both alike; prints the fastest window of each and the median of the
/// per-window ratios.
fn ratio() {
    let rounds = 400;
    let iters = 2_000;
    let (mut best_d, mut best_s) = (f64::MAX, f64::MAX);
    let mut ratios = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        for _ in 0..iters {
            black_box(digest());
        }
        let d = t.elapsed().as_secs_f64() / iters as f64;
        let t = Instant::now();
        for _ in 0..iters {
            black_box(server());
        }
        let s = t.elapsed().as_secs_f64() / iters as f64;
        best_d = best_d.min(d);
        best_s = best_s.min(s);
        ratios.push(s / d);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "handshake ratio: server {:.1} ns / sha1 digest {:.1} ns = {:.3}x (fastest windows); \
         median per-window ratio {:.3}x over {rounds} interleaved windows",
        best_s * 1e9,
        best_d * 1e9,
        best_s / best_d,
        ratios[rounds / 2]
    );
}

criterion_group! {
    name = group;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = benches
}

/// Instruction-count mode for `valgrind --tool=callgrind`: with `HANDSHAKE_CALLGRIND=N` in the
/// environment the binary only runs `digest()` and `server()` N times each and exits, so
/// `--toggle-collect='handshake::digest'` / `--toggle-collect='handshake::server'` give each
/// one's instructions (divide by N). See the module docs.
fn callgrind(n: u32) {
    for _ in 0..n {
        black_box(digest());
    }
    for _ in 0..n {
        black_box(server());
    }
}

fn main() {
    if let Some(n) = std::env::var("HANDSHAKE_CALLGRIND")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        callgrind(n);
        return;
    }
    group();
    ratio();
    Criterion::default().configure_from_args().final_summary();
}
