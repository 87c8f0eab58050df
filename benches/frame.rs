//! Frame codec speed: decoding masked client frames (header + in-place unmask) and encoding
//! server frames, with `memcpy` of the same bytes as the baseline of the same run.
//!
//! Goals (issue 3): <= 4 ns per 16 B frame decoded, >= 12 GB/s at 125 B, encoding at least as
//! fast as the best peer (3.9 ns per 16 B frame). One iteration = a whole buffer of frames;
//! divide the time by the frame count (10,000, or 256 for 64 KiB) for the per-frame figure.
//!
//! Run: `cargo bench --bench frame -- --warm-up-time 1 --measurement-time 3`
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sockwire::Role;
use sockwire::frame::{DecodeConfig, DecodedFrame, FrameHeader, HeaderDecoder, OpCode};
use sockwire::mask::apply_mask;

const CASES: [(&str, usize, usize); 3] = [
    ("16B", 16, 10_000),
    ("125B", 125, 10_000),
    ("64KiB", 64 * 1024, 256),
];

/// `count` masked text frames of `len` ASCII bytes, a different key per frame.
fn client_wire(len: usize, count: usize) -> Vec<u8> {
    let mut wire = Vec::with_capacity(count * (len + 14));
    for i in 0..count {
        let key = (i as u32).wrapping_mul(0x9E37_79B9).to_le_bytes();
        let h = FrameHeader::new(OpCode::Text, len as u64).with_mask(Some(key));
        wire.extend_from_slice(&h.header_bytes().unwrap());
        let start = wire.len();
        wire.extend((0..len).map(|j| b'a' + ((i + j) % 26) as u8));
        apply_mask(&mut wire[start..], key, 0);
    }
    wire
}

fn bench_decode(c: &mut Criterion) {
    let dec = HeaderDecoder::new(DecodeConfig::new(Role::Server));
    for (name, len, count) in CASES {
        let mut wire = client_wire(len, count);
        let mut g = c.benchmark_group(format!("frame/decode/{name}x{count}"));
        g.throughput(Throughput::Bytes(wire.len() as u64));
        let src = wire.clone();
        let mut dst = vec![0u8; wire.len()];
        g.bench_function("memcpy", |b| {
            b.iter(|| {
                dst.copy_from_slice(black_box(&src));
                black_box(dst.as_ptr());
            })
        });
        // Each pass unmasks in place, so passes alternate between masked and clear payloads:
        // the work is the same (masking is its own inverse).
        g.bench_function("decode_frame", |b| {
            b.iter(|| {
                let buf = black_box(&mut wire[..]);
                let mut pos = 0;
                let mut acc = 0u64;
                while let Ok(DecodedFrame::Frame {
                    payload, frame_len, ..
                }) = dec.decode_frame(&mut buf[pos..])
                {
                    acc = acc.wrapping_add(u64::from(payload[0]));
                    pos += frame_len;
                }
                black_box((pos, acc))
            })
        });
        // The drain loop a server runs on each read: every complete frame, unmasked in place.
        g.bench_function("decode_frames", |b| {
            b.iter(|| {
                let buf = black_box(&mut wire[..]);
                let mut acc = 0u64;
                let used = dec
                    .decode_frames(buf, |_, payload| {
                        acc = acc.wrapping_add(u64::from(payload[0]));
                    })
                    .unwrap_or(0);
                black_box((used, acc))
            })
        });
        g.finish();
    }
}

fn bench_encode(c: &mut Criterion) {
    for (name, len, count) in CASES {
        let payload: Vec<u8> = (0..len).map(|j| b'a' + (j % 26) as u8).collect();
        let wire_len = count * (FrameHeader::new(OpCode::Text, len as u64).encoded_len() + len);
        let mut out = vec![0u8; wire_len];
        let mut g = c.benchmark_group(format!("frame/encode/{name}x{count}"));
        g.throughput(Throughput::Bytes(wire_len as u64));
        let expected = {
            let mut v = Vec::new();
            for _ in 0..count {
                FrameHeader::new(OpCode::Text, len as u64)
                    .encode_to_vec(&mut v)
                    .unwrap();
                v.extend_from_slice(&payload);
            }
            v
        };
        assert_eq!(expected.len(), wire_len);
        g.bench_function("memcpy", |b| {
            b.iter(|| {
                out.copy_from_slice(black_box(&expected));
                black_box(out.as_ptr());
            })
        });
        g.bench_function("encode+payload", |b| {
            b.iter(|| {
                let p = black_box(&payload[..]);
                let mut pos = 0;
                for _ in 0..count {
                    let h = FrameHeader::new(OpCode::Text, p.len() as u64);
                    pos += h.encode(&mut out[pos..]).unwrap();
                    out[pos..pos + p.len()].copy_from_slice(p);
                    pos += p.len();
                }
                black_box(pos)
            })
        });
        assert_eq!(out, expected);
        g.bench_function("header_bytes", |b| {
            // Vectored writes: only the header is produced, the payload goes out as is.
            b.iter(|| {
                let mut acc = 0usize;
                for _ in 0..count {
                    let n = black_box(len as u64);
                    let h = FrameHeader::new(OpCode::Text, n).header_bytes().unwrap();
                    acc += usize::from(h[0]) + h.len();
                }
                black_box(acc)
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench_decode, bench_encode);
criterion_main!(benches);
