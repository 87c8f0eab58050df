//! Broadcast of one ~100 B event to 10 000 sockets: time per recipient and allocations per
//! broadcast (counted by a wrapping global allocator).
//!
//! Baseline in the same run: copying the encoded packet into a fresh `Vec` per recipient (what a
//! hub without encode-once would do at the very least).
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sockwire::hub::{Hub, SessionInfo, Target};
use sockwire::socketio::Value;

struct Counting;
static ALLOCS: AtomicU64 = AtomicU64::new(0);

#[allow(unsafe_code)]
// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract holds as it does for `System`; the counter is a relaxed atomic.
// (The bench's own allocator wrapper: counts, then defers to the system allocator.)
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const N: usize = 10_000;
const MSG: &str =
    r#"{"user":"ada lovelace","msg":"the analytical engine weaves algebraic patterns (1843)"}"#;

fn hub() -> Hub {
    let mut hub = Hub::default();
    for i in 0..N {
        let s = hub.add_session(SessionInfo::default()).unwrap();
        hub.add_socket(s, "/", &format!("sock{i:06}"), None)
            .unwrap();
    }
    hub
}

/// One broadcast plus draining every transmit (what a server does), returning bytes "sent".
fn broadcast_and_drain(hub: &mut Hub, target: &Target<'_>) -> usize {
    hub.broadcast(target, "chat-post", &[Value::Json(MSG)])
        .unwrap();
    let mut bytes = 0;
    while let Some(t) = hub.poll_transmit() {
        bytes += black_box(t.packet.ws_frames()).len();
    }
    bytes
}

fn report_allocations() {
    let mut hub = hub();
    let everyone = Target::namespace("/");
    // Warm up the outbox and scratch buffers.
    broadcast_and_drain(&mut hub, &everyone);
    broadcast_and_drain(&mut hub, &everyone);
    let before = ALLOCS.load(Ordering::Relaxed);
    let rounds = 100;
    for _ in 0..rounds {
        broadcast_and_drain(&mut hub, &everyone);
    }
    let per = (ALLOCS.load(Ordering::Relaxed) - before) as f64 / rounds as f64;
    let mut one = hub
        .broadcast(&everyone, "chat-post", &[Value::Json(MSG)])
        .unwrap();
    let size = hub.poll_transmit().unwrap().packet.text().len();
    while hub.poll_transmit().is_some() {
        one -= 1;
    }
    let _ = one;
    eprintln!(
        "broadcast to {N} sockets: {per:.1} allocations per broadcast (packet text {size} B)"
    );
}

fn bench(c: &mut Criterion) {
    report_allocations();
    let mut g = c.benchmark_group("broadcast");
    g.throughput(Throughput::Elements(N as u64));
    g.warm_up_time(Duration::from_secs(1));
    let mut h = hub();
    let everyone = Target::namespace("/");
    g.bench_function("encode_once_10000", |b| {
        b.iter(|| broadcast_and_drain(&mut h, &everyone))
    });
    g.bench_function("encode_once_poll_broadcast_10000", |b| {
        b.iter(|| {
            h.broadcast(&everyone, "chat-post", &[Value::Json(MSG)])
                .unwrap();
            let mut n = 0;
            while let Some(batch) = h.poll_broadcast() {
                let frames = black_box(batch.packet.ws_frames());
                for r in &batch.recipients {
                    n += usize::from(black_box(r.session) == r.session && !frames.is_empty());
                }
                h.recycle(batch);
            }
            n
        })
    });
    let all_but_one = [h.sockets("/").next().unwrap()];
    let others = Target::namespace("/").except_sockets(&all_but_one);
    g.bench_function("all_but_sender_10000", |b| {
        b.iter(|| broadcast_and_drain(&mut h, &others))
    });
    // Baseline: copy the encoded bytes once per recipient.
    h.broadcast(&everyone, "chat-post", &[Value::Json(MSG)])
        .unwrap();
    let packet = std::sync::Arc::clone(h.poll_transmit().unwrap().packet);
    while h.poll_transmit().is_some() {}
    g.bench_function("baseline_copy_per_recipient_10000", |b| {
        b.iter_batched_ref(
            || Vec::with_capacity(N),
            |out: &mut Vec<Vec<u8>>| {
                for _ in 0..N {
                    out.push(black_box(packet.ws_frames()).to_vec());
                }
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
