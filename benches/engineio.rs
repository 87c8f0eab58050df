//! Engine.IO long-polling payloads: encode and decode of a 16-packet body (15 text messages of
//! ~60 bytes and one 256-byte binary message as base64), reported per packet, beside baselines
//! measured in the same run: a memcpy of the body, and a naive decoder (split on `\x1e`,
//! `from_utf8` per record, base64 into a fresh `Vec`).
use std::hint::black_box;

use base64::Engine as _;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sockwire::engineio::packet::{Packet, PacketData};
use sockwire::engineio::payload::{decode_payload, encode_payload, encode_payload_to_vec};

fn packets(bin: &[u8]) -> Vec<Packet<'_>> {
    let mut v: Vec<Packet<'_>> = (0..15)
        .map(|i| {
            Packet::message(
                [
                    "hello there, this is a chat message of about sixty bytes ok",
                    "{\"user\":\"alice\",\"text\":\"another message\",\"ts\":1732550000}",
                ][i % 2],
            )
        })
        .collect();
    v.insert(7, Packet::binary(bin));
    v
}

fn fold(acc: u64, t: u8, data: &[u8]) -> u64 {
    let mut a = acc.wrapping_add(u64::from(t)).wrapping_mul(31);
    a = a.wrapping_add(data.len() as u64);
    if let (Some(f), Some(l)) = (data.first(), data.last()) {
        a = a.wrapping_add(u64::from(*f) << 8 | u64::from(*l));
    }
    a
}

fn bench(c: &mut Criterion) {
    let bin: Vec<u8> = (0..256u32).map(|i| (i * 7 + 3) as u8).collect();
    let ps = packets(&bin);
    let mut body = Vec::new();
    encode_payload_to_vec(&ps, &mut body).unwrap();
    let body_str = std::str::from_utf8(&body).unwrap().to_string();

    let mut g = c.benchmark_group("engineio/payload-16");
    g.throughput(Throughput::Elements(16));

    g.bench_function("baseline/memcpy body", |b| {
        let mut out = vec![0u8; body.len()];
        b.iter(|| {
            out.copy_from_slice(black_box(&body));
            black_box(&out);
        })
    });

    g.bench_function(
        "baseline/naive decode (split, from_utf8, base64 to Vec)",
        |b| {
            b.iter(|| {
                let mut acc = 0;
                for rec in black_box(&body).split(|&c| c == 0x1e) {
                    let s = std::str::from_utf8(rec).unwrap();
                    if let Some(b64) = s.strip_prefix('b') {
                        let mut v = vec![0u8; b64.len() / 4 * 3 + 3];
                        let n = base64::engine::general_purpose::STANDARD
                            .decode_slice(b64, &mut v)
                            .unwrap();
                        v.truncate(n);
                        acc = fold(acc, b'b', &v);
                    } else {
                        acc = fold(acc, s.as_bytes()[0], &s.as_bytes()[1..]);
                    }
                }
                black_box(acc)
            })
        },
    );

    g.bench_function("decode (borrowed, base64 into a reused buffer)", |b| {
        let mut scratch = Vec::new();
        b.iter(|| {
            let text = std::str::from_utf8(black_box(&body)).unwrap();
            let mut acc = 0;
            for p in decode_payload(text) {
                let p = p.unwrap();
                match p.data() {
                    PacketData::Text(t) => acc = fold(acc, p.packet_type().as_byte(), t.as_bytes()),
                    _ => {
                        scratch.resize(p.binary_len(), 0);
                        let n = p.decode_binary_into(&mut scratch).unwrap();
                        acc = fold(acc, b'b', &scratch[..n]);
                    }
                }
            }
            black_box(acc)
        })
    });

    g.bench_function("decode (borrowed, base64 validated only)", |b| {
        b.iter(|| {
            let mut acc = 0;
            for p in decode_payload(black_box(&body_str)) {
                let p = p.unwrap();
                acc = fold(
                    acc,
                    p.packet_type().as_byte(),
                    p.as_text().unwrap_or("").as_bytes(),
                );
            }
            black_box(acc)
        })
    });

    g.bench_function("encode (into a caller buffer)", |b| {
        let mut out = vec![0u8; body.len()];
        b.iter(|| black_box(encode_payload(black_box(&ps), &mut out).unwrap()))
    });

    g.bench_function("encode (append to a reused Vec)", |b| {
        let mut out = Vec::with_capacity(body.len());
        b.iter(|| {
            out.clear();
            black_box(encode_payload_to_vec(black_box(&ps), &mut out).unwrap())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
