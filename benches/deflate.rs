//! permessage-deflate throughput: sockwire's `ZlibCodec` (per-message compress / inflate, with
//! and without context takeover) next to direct zlib-rs calls doing the same work (the
//! baseline: the codec's own overhead is the difference), on a 16 KiB chat-like JSON message.
//! Node's zlib (what `ws` uses) is measured by `benches/deflate/node_zlib.mjs`.
//!
//! ```text
//! cargo bench --features deflate --bench deflate
//! ```

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sockwire::Role;
use sockwire::deflate::{Codec, DeflatePolicy, PerMessageDeflate, ZlibCodec, ZlibOptions};
use sockwire::handshake::http::Extensions;
use zlib_rs::{Deflate, DeflateConfig, DeflateFlush, Inflate, InflateFlush};

fn message() -> Vec<u8> {
    let mut s = String::new();
    let mut i = 0u32;
    while s.len() < 16 << 10 {
        s.push_str(&format!(
            "{{\"id\":{i},\"user\":\"user{}\",\"text\":\"hello number {}\"}},",
            i % 17,
            i.wrapping_mul(2_654_435_761) % 100_000
        ));
        i += 1;
    }
    s.truncate(16 << 10);
    s.into_bytes()
}

fn pmd(policy: DeflatePolicy) -> PerMessageDeflate {
    policy
        .negotiate(Extensions::value(
            b"permessage-deflate; client_max_window_bits",
        ))
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let msg = message();
    let mut g = c.benchmark_group("deflate_16k_json");
    g.throughput(Throughput::Bytes(msg.len() as u64));
    for (name, policy) in [
        ("takeover", DeflatePolicy::context_takeover(15)),
        ("no_takeover", DeflatePolicy::default()),
    ] {
        let p = pmd(policy);
        let mut codec = ZlibCodec::new(&p, Role::Server, ZlibOptions::default());
        let mut out = Vec::new();
        g.bench_function(format!("sockwire_compress_{name}"), |b| {
            b.iter(|| {
                out.clear();
                codec.compress(&msg, &mut out).unwrap();
                out.len()
            })
        });
        let mut peer = ZlibCodec::new(&p, Role::Client, ZlibOptions::default());
        let mut z = Vec::new();
        peer.compress(&msg, &mut z).unwrap();
        let mut rx = ZlibCodec::new(&p, Role::Server, ZlibOptions::default());
        let mut inflated = Vec::new();
        g.bench_function(format!("sockwire_inflate_{name}"), |b| {
            b.iter(|| {
                inflated.clear();
                rx.decompress(&z, true, &mut inflated, 1 << 20).unwrap();
                inflated.len()
            })
        });
    }
    // Baseline: zlib-rs called directly, one stream kept and reset per message (the fastest a
    // no-context-takeover codec can be), sync flush, same level / window / memLevel.
    let cfg = DeflateConfig {
        level: 6,
        window_bits: -15,
        mem_level: 8,
        ..DeflateConfig::default()
    };
    let mut d = Deflate::new_with_config(cfg);
    let mut buf = vec![0u8; 64 << 10];
    g.bench_function("zlib_rs_compress_reset", |b| {
        b.iter(|| {
            d.reset();
            let before = d.total_out();
            d.compress(&msg, &mut buf, DeflateFlush::SyncFlush).unwrap();
            d.total_out() - before
        })
    });
    let mut z = vec![0u8; 64 << 10];
    let mut d = Deflate::new_with_config(cfg);
    d.compress(&msg, &mut z, DeflateFlush::SyncFlush).unwrap();
    let zl = d.total_out() as usize;
    let z = &z[..zl];
    let mut inf = Inflate::new(false, 15);
    g.bench_function("zlib_rs_inflate_reset", |b| {
        b.iter(|| {
            inf.reset(false);
            let before = inf.total_out();
            inf.decompress(z, &mut buf, InflateFlush::SyncFlush)
                .unwrap();
            inf.total_out() - before
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
