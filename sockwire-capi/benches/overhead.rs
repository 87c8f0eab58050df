//! What the C ABI costs per 16-byte message, against the Rust `ws::Connection` it wraps, in the
//! same run: receive one masked 16-byte text frame and read its event, then send one 16-byte
//! text message and take its bytes. The C path goes through the exported `extern "C"`
//! functions (not inlined into the caller, as from C) with their pointer checks, panic guard
//! and event conversion. The quoted figure is the ratio of the two rows (goal: at most 1.2x).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sockwire_capi::core_crate::ws::{Connection, ConnectionConfig, Event};
use sockwire_capi::ws::{
    SW_EV_TEXT, SwWsEvent, sw_ws_free, sw_ws_new_server, sw_ws_poll_event, sw_ws_poll_transmit,
    sw_ws_recv, sw_ws_recv_event, sw_ws_send_text,
};

const PAYLOAD: &[u8; 16] = b"0123456789abcdef";
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// One masked client text frame carrying `PAYLOAD`.
fn frame() -> [u8; 22] {
    let mut f = [0u8; 22];
    f[0] = 0x81;
    f[1] = 0x80 | 16;
    f[2..6].copy_from_slice(&KEY);
    for (i, b) in PAYLOAD.iter().enumerate() {
        f[6 + i] = b ^ KEY[i % 4];
    }
    f
}

fn bench(c: &mut Criterion) {
    let wire = frame();
    let mut g = c.benchmark_group("capi/16B message (recv + event + send + transmit)");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(3));

    let mut conn = Connection::server(ConnectionConfig::default());
    let mut buf = wire;
    g.bench_function("rust ws::Connection", |b| {
        b.iter(|| {
            buf = wire;
            let n = conn.handle_read(Duration::ZERO, &mut buf).unwrap();
            let mut got = 0;
            if let Some(Event::Text(t)) = conn.poll_event() {
                got = t.len();
            }
            conn.send_text(black_box("0123456789abcdef")).unwrap();
            let out = conn.poll_transmit().map_or(0, <[u8]>::len);
            black_box((n, got, out))
        })
    });

    // SAFETY: the handle is used by this thread only and freed below; every pointer passed
    // points to live, correctly sized memory for the duration of each call.
    unsafe {
        let h = sw_ws_new_server(std::ptr::null());
        let mut buf = wire;
        g.bench_function("C ABI sw_ws_recv + poll_event", |b| {
            b.iter(|| {
                buf = wire;
                let mut used = 0usize;
                sw_ws_recv(h, 0, buf.as_mut_ptr(), buf.len(), &mut used);
                let mut ev = std::mem::MaybeUninit::<SwWsEvent>::uninit();
                let mut got = 0;
                if sw_ws_poll_event(h, ev.as_mut_ptr()) == 1 && ev.assume_init().kind == SW_EV_TEXT
                {
                    got = ev.assume_init().len;
                }
                sw_ws_send_text(h, black_box(PAYLOAD.as_ptr()), 16);
                let (mut p, mut n) = (std::ptr::null(), 0usize);
                sw_ws_poll_transmit(h, 0, &mut p, &mut n);
                black_box((used, got, n))
            })
        });
        sw_ws_free(h);

        // The read-loop fast path: `sw_ws_recv_event` feeds and returns the event in one call.
        let h = sw_ws_new_server(std::ptr::null());
        let mut buf = wire;
        g.bench_function("C ABI sw_ws_recv_event", |b| {
            b.iter(|| {
                buf = wire;
                let mut used = 0usize;
                let mut ev = std::mem::MaybeUninit::<SwWsEvent>::uninit();
                let mut got = 0;
                if sw_ws_recv_event(
                    h,
                    0,
                    buf.as_mut_ptr(),
                    buf.len(),
                    &mut used,
                    ev.as_mut_ptr(),
                ) == 1
                    && ev.assume_init().kind == SW_EV_TEXT
                {
                    got = ev.assume_init().len;
                }
                sw_ws_send_text(h, black_box(PAYLOAD.as_ptr()), 16);
                let (mut p, mut n) = (std::ptr::null(), 0usize);
                sw_ws_poll_transmit(h, 0, &mut p, &mut n);
                black_box((used, got, n))
            })
        });
        sw_ws_free(h);
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
