//! The C ABI overhead ratio, measured robustly on a shared machine: the Rust `ws::Connection`
//! path and the two C ABI paths of `overhead.rs` run in alternating rounds (A, B, C, A, B, C,
//! ...), so load from other processes hits every row alike. Each round times 2,000 messages (short, so neighbouring rounds see the same load);
//! the report gives, per row, the median and the fastest round in ns per message, and the
//! median over rounds of the per-round ratio C / Rust (the figure quoted against the 1.2x goal).
//!
//! `cargo bench -p sockwire-capi --bench overhead_ab` (`ROUNDS=N` to change the 3,000 rounds).

use std::time::Instant;

use sockwire_capi::core_crate::ws::{Connection, ConnectionConfig};
use sockwire_capi::ws::{sw_ws_free, sw_ws_new_server};

mod common;
use common::{c_fast_message, c_poll_message, frame, rust_message};

const PER_ROUND: u32 = 2_000;

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
    let mut rust = || rust_message(&mut conn, &wire);

    // SAFETY: the handles are used by this thread only and freed at the end.
    unsafe {
        let h1 = sw_ws_new_server(std::ptr::null());
        let h2 = sw_ws_new_server(std::ptr::null());
        let mut c_poll = || c_poll_message(h1, &wire);
        let mut c_fast = || c_fast_message(h2, &wire);

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
