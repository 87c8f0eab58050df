//! What the C ABI costs per 16-byte message, against the Rust `ws::Connection` it wraps, in the
//! same run: receive one masked 16-byte text frame and read its event, then send one 16-byte
//! text message and take its bytes. The C path goes through the exported `extern "C"`
//! functions (not inlined into the caller, as from C) with their pointer checks, panic guard
//! and event conversion. The quoted figure is the ratio of the two rows (goal: at most 1.2x).

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sockwire_capi::core_crate::ws::{Connection, ConnectionConfig};
use sockwire_capi::ws::{sw_ws_free, sw_ws_new_server};

mod common;
use common::{c_fast_message, c_poll_message, frame, rust_message};

fn bench(c: &mut Criterion) {
    let wire = frame();
    let mut g = c.benchmark_group("capi/16B message (recv + event + send + transmit)");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(3));

    let mut conn = Connection::server(ConnectionConfig::default());
    g.bench_function("rust ws::Connection", |b| {
        b.iter(|| rust_message(&mut conn, &wire))
    });

    // SAFETY: each handle is used by this thread only and freed right after its row.
    unsafe {
        let h = sw_ws_new_server(std::ptr::null());
        g.bench_function("C ABI sw_ws_recv + poll_event", |b| {
            b.iter(|| c_poll_message(h, &wire))
        });
        sw_ws_free(h);

        // The read-loop fast path: `sw_ws_recv_event` feeds and returns the event in one call.
        let h = sw_ws_new_server(std::ptr::null());
        g.bench_function("C ABI sw_ws_recv_event", |b| {
            b.iter(|| c_fast_message(h, &wire))
        });
        sw_ws_free(h);
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
