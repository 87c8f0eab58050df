//! Benchmark placeholder for the `mask` layer; filled in by its issue.
use criterion::{Criterion, criterion_group, criterion_main};

fn placeholder(c: &mut Criterion) {
    c.bench_function("mask/placeholder", |b| {
        b.iter(|| core::hint::black_box(1u8))
    });
}

criterion_group!(benches, placeholder);
criterion_main!(benches);
