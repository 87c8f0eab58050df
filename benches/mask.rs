//! Masking speed against `copy_from_slice` of the same bytes, measured in the same run.
//!
//! Goals (issue 3): >= 0.8x memcpy at 125 B, >= 0.9x at 1 KiB and 16 KiB aligned, >= 0.85x at
//! 1 KiB and 16 KiB starting one byte past a 64-byte boundary.
//!
//! Run: `cargo bench --bench mask -- --warm-up-time 1 --measurement-time 3`
//! and compare each `apply_mask` row with the `memcpy` row of the same group.
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sockwire::mask::{apply_mask, apply_mask_naive};

/// A buffer whose slice `[off..off + len]` starts `off` bytes past a 64-byte boundary.
struct Aligned {
    storage: Vec<u8>,
    start: usize,
}

impl Aligned {
    fn new(len: usize, off: usize) -> Self {
        let storage = vec![0x5Au8; len + 128];
        let base = (64 - storage.as_ptr() as usize % 64) % 64;
        Aligned {
            storage,
            start: base + off,
        }
    }
    fn slice(&mut self, len: usize) -> &mut [u8] {
        &mut self.storage[self.start..self.start + len]
    }
}

fn bench_mask(c: &mut Criterion) {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    for (name, len) in [
        ("16B", 16usize),
        ("125B", 125),
        ("1KiB", 1024),
        ("16KiB", 16 * 1024),
        ("1MiB", 1 << 20),
    ] {
        for off in [0usize, 1] {
            let mut g = c.benchmark_group(format!("mask/{name}/off{off}"));
            g.throughput(Throughput::Bytes(len as u64));
            let mut dst = Aligned::new(len, off);
            let src = Aligned::new(len, off);
            g.bench_function("memcpy", |b| {
                b.iter(|| {
                    let s = &src.storage[src.start..src.start + len];
                    dst.slice(len).copy_from_slice(black_box(s));
                    black_box(dst.slice(len).as_ptr());
                })
            });
            let mut buf = Aligned::new(len, off);
            g.bench_function("apply_mask", |b| {
                b.iter(|| {
                    apply_mask(black_box(buf.slice(len)), black_box(key), 0);
                })
            });
            if len <= 16 * 1024 {
                g.bench_function("naive", |b| {
                    b.iter(|| {
                        apply_mask_naive(black_box(buf.slice(len)), black_box(key), 0);
                    })
                });
            }
            g.finish();
        }
    }
}

criterion_group!(benches, bench_mask);
criterion_main!(benches);
