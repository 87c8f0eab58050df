//! The C ABI overhead ratio, measured robustly on a shared machine: the Rust `ws::Connection`
//! path and the two C ABI paths of `overhead.rs` run in alternating rounds (A, B, C, A, B, C,
//! ...), so load from other processes hits every row alike. Each round times 2,000 messages (short, so neighbouring rounds see the same load);
//! the report gives, per row, the median and the fastest round in ns per message, and the
//! median over rounds of the per-round ratio C / Rust (the figure quoted against the 1.2x goal).
//!
//! `cargo bench -p sockwire-capi --bench overhead_ab` (`ROUNDS=N` to change the 3,000 rounds).

use std::hint::black_box;
use std::mem::MaybeUninit;
use std::time::{Duration, Instant};

use sockwire_capi::core_crate::ws::{Connection, ConnectionConfig, Event};
use sockwire_capi::ws::{
    SW_EV_TEXT, SwWsEvent, sw_ws_free, sw_ws_new_server, sw_ws_poll_event, sw_ws_poll_transmit,
    sw_ws_recv, sw_ws_recv_event, sw_ws_send_text,
};

const PAYLOAD: &[u8; 16] = b"0123456789abcdef";
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
const PER_ROUND: u32 = 2_000;

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

/// Nanoseconds per message over one round of `f`.
fn round(mut f: impl FnMut()) -> f64 {
    let t = Instant::now();
    for _ in 0..PER_ROUND {
        f();
    }
    t.elapsed().as_nanos() as f64 / f64::from(PER_ROUND)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn cpu() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and then nothing is timed.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let wire = frame();

    let mut conn = Connection::server(ConnectionConfig::default());
    let mut rust = || {
        let mut buf = wire;
        // Inputs through `black_box`, as a real caller's are unknown to the compiler (a read of
        // unknown length at an unknown time); the C rows' arguments are opaque the same way.
        let n = conn
            .handle_read(black_box(Duration::ZERO), black_box(&mut buf[..]))
            .unwrap();
        let mut got = 0;
        if let Some(Event::Text(t)) = conn.poll_event() {
            got = t.len();
        }
        conn.send_text(black_box("0123456789abcdef")).unwrap();
        let out = conn.poll_transmit().map_or(0, <[u8]>::len);
        black_box((n, got, out));
    };

    // SAFETY: the handles are used by this thread only and freed at the end;
    // every pointer passed points to live, correctly sized memory during each call.
    unsafe {
        let h1 = sw_ws_new_server(std::ptr::null());
        let h2 = sw_ws_new_server(std::ptr::null());
        let mut c_poll = || {
            let mut buf = wire;
            let mut used = 0usize;
            sw_ws_recv(h1, 0, buf.as_mut_ptr(), buf.len(), &mut used);
            let mut ev = MaybeUninit::<SwWsEvent>::uninit();
            let mut got = 0;
            if sw_ws_poll_event(h1, ev.as_mut_ptr()) == 1 && ev.assume_init().kind == SW_EV_TEXT {
                got = ev.assume_init().len;
            }
            sw_ws_send_text(h1, black_box(PAYLOAD.as_ptr()), 16);
            let (mut p, mut n) = (std::ptr::null(), 0usize);
            sw_ws_poll_transmit(h1, 0, &mut p, &mut n);
            black_box((used, got, n));
        };
        let mut c_fast = || {
            let mut buf = wire;
            let mut used = 0usize;
            let mut ev = MaybeUninit::<SwWsEvent>::uninit();
            let mut got = 0;
            let r = sw_ws_recv_event(
                h2,
                0,
                buf.as_mut_ptr(),
                buf.len(),
                &mut used,
                ev.as_mut_ptr(),
            );
            if r == 1 && ev.assume_init().kind == SW_EV_TEXT {
                got = ev.assume_init().len;
            }
            sw_ws_send_text(h2, black_box(PAYLOAD.as_ptr()), 16);
            let (mut p, mut n) = (std::ptr::null(), 0usize);
            sw_ws_poll_transmit(h2, 0, &mut p, &mut n);
            black_box((used, got, n));
        };

        // Warm up every path, then alternate.
        for _ in 0..20 {
            round(&mut rust);
            round(&mut c_poll);
            round(&mut c_fast);
        }
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        let (mut rb, mut rc) = (Vec::new(), Vec::new());
        // `ONLY=rust|poll|fast` runs one row alone (for profilers); no report then.
        if let Ok(only) = std::env::var("ONLY") {
            for _ in 0..rounds {
                match only.as_str() {
                    "rust" => round(&mut rust),
                    "poll" => round(&mut c_poll),
                    _ => round(&mut c_fast),
                };
            }
            sw_ws_free(h1);
            sw_ws_free(h2);
            return;
        }
        for _ in 0..rounds {
            let x = round(&mut rust);
            let y = round(&mut c_poll);
            let z = round(&mut c_fast);
            a.push(x);
            b.push(y);
            c.push(z);
            rb.push(y / x);
            rc.push(z / x);
        }
        sw_ws_free(h1);
        sw_ws_free(h2);

        let fastest = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
        println!("CPU: {}", cpu());
        println!(
            "16 B message (recv + event + send + transmit), {rounds} alternating rounds of {PER_ROUND}"
        );
        println!("row                              median ns  fastest ns  median ratio");
        println!(
            "rust ws::Connection              {:9.2}  {:10.2}  1.00",
            median(&mut a.clone()),
            fastest(&a)
        );
        println!(
            "C ABI sw_ws_recv + poll_event    {:9.2}  {:10.2}  {:.3}",
            median(&mut b.clone()),
            fastest(&b),
            median(&mut rb)
        );
        println!(
            "C ABI sw_ws_recv_event           {:9.2}  {:10.2}  {:.3}",
            median(&mut c.clone()),
            fastest(&c),
            median(&mut rc)
        );
    }
}
