//! What the C server API costs per Socket.IO event, against the Rust `Server` it wraps, in the
//! same run: one event with a 16-byte string argument arrives in a WebSocket frame
//! (`42["m","0123456789abcdef"]`), the application reads it and emits it back to its sender,
//! and the reply's bytes are taken. Rust: an `App` answering inside `on_event`. C ABI:
//! `sw_sio_server_handle_read`, `sw_sio_server_poll_event`, `sw_sio_server_emit` with the
//! event's JSON arguments, `sw_sio_server_poll_transmit` (exported functions, not inlined).
//! The rows run in alternating rounds so outside load hits both alike; the report gives each
//! row's median ns per event and the median of the per-round ratios C / Rust.
//!
//! `cargo bench -p sockwire-capi --bench sio_overhead` (`ROUNDS=N`, default 2,000 rounds).

use std::hint::black_box;
use std::mem::MaybeUninit;
use std::time::{Duration, Instant};

use sockwire_capi::core_crate::socketio::server::{App, Ctx, Event, Server, ServerOptions};
use sockwire_capi::server::{
    SwSioServer, SwSioServerEvent, sw_sio_server_emit, sw_sio_server_free,
    sw_sio_server_handle_accept, sw_sio_server_handle_read, sw_sio_server_new,
    sw_sio_server_poll_event, sw_sio_server_poll_transmit,
};

const PER_ROUND: u32 = 1_000;
const UPGRADE: &[u8] = b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n\
Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\n\r\n";

/// A masked client text frame carrying `text` (under 126 bytes).
fn frame(text: &[u8]) -> Vec<u8> {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let mut f = vec![0x81, 0x80 | text.len() as u8];
    f.extend_from_slice(&key);
    f.extend(text.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    f
}

struct Echo;
impl App for Echo {
    fn on_event(&mut self, ctx: &mut Ctx<'_>, event: Event<'_>) {
        let args: Vec<_> = event.args().collect();
        let _ = ctx.emit(event.name(), &args);
    }
}

fn ids() -> impl FnMut() -> [u8; 15] + Clone + Send + 'static {
    let mut n = 0u8;
    move || {
        n = n.wrapping_add(1);
        [n; 15]
    }
}

unsafe extern "C" fn c_ids(user: *mut core::ffi::c_void, out: *mut u8, len: usize) {
    // SAFETY: `user` is the bench's counter and `out` has `len` writable bytes (the contract).
    unsafe {
        let n = &mut *user.cast::<u8>();
        *n = n.wrapping_add(1);
        core::ptr::write_bytes(out, *n, len);
    }
}

/// Nanoseconds per event over one round of `f`.
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

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let connect = frame(b"40");
    let wire = frame(b"42[\"m\",\"0123456789abcdef\"]");
    let now = Duration::ZERO;

    // Rust: a WebSocket session with a socket on "/".
    let mut io = Server::new(Echo, ServerOptions::default(), ids());
    io.handle_accept(now, 1);
    io.handle_read(now, 1, UPGRADE);
    io.handle_read(now, 1, &connect);
    while io.poll_transmit().is_some() {}
    let mut rust = || {
        io.handle_read(black_box(now), 1, black_box(&wire));
        let mut n = 0;
        while let Some(t) = io.poll_transmit() {
            n += t.data.len();
        }
        assert!(n > 0);
        black_box(n);
    };

    let mut seed = 0u8;
    // SAFETY: the handle is used by this thread only and freed at the end; `seed` outlives it.
    unsafe {
        let h: *mut SwSioServer =
            sw_sio_server_new(std::ptr::null(), Some(c_ids), (&raw mut seed).cast());
        sw_sio_server_handle_accept(h, 0, 1);
        sw_sio_server_handle_read(h, 0, 1, UPGRADE.as_ptr(), UPGRADE.len());
        sw_sio_server_handle_read(h, 0, 1, connect.as_ptr(), connect.len());
        let mut ev = MaybeUninit::<SwSioServerEvent>::uninit();
        while sw_sio_server_poll_event(h, ev.as_mut_ptr()) == 1 {}
        let null = std::ptr::null_mut();
        while sw_sio_server_poll_transmit(h, null, null.cast(), null.cast(), null.cast()) == 1 {}
        let mut c = || {
            sw_sio_server_handle_read(h, black_box(0), 1, wire.as_ptr(), wire.len());
            while sw_sio_server_poll_event(h, ev.as_mut_ptr()) == 1 {
                let e = ev.assume_init_ref();
                let r =
                    sw_sio_server_emit(h, 0, e.socket, e.name, e.json, e.json_len, 0, null.cast());
                assert_eq!(r, 0);
            }
            let (mut p, mut len, mut n) = (std::ptr::null(), 0usize, 0usize);
            while sw_sio_server_poll_transmit(h, null.cast(), &mut p, &mut len, null.cast()) == 1 {
                n += len;
            }
            assert!(n > 0);
            black_box(n);
        };

        for _ in 0..20 {
            round(&mut rust);
            round(&mut c);
        }
        let (mut a, mut b, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            let (x, y) = (round(&mut rust), round(&mut c));
            a.push(x);
            b.push(y);
            ratio.push(y / x);
        }
        sw_sio_server_free(h);
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                let l = s.lines().find(|l| l.starts_with("model name"))?;
                Some(l.split(':').nth(1)?.trim().to_string())
            })
            .unwrap_or_default();
        println!("CPU: {cpu}; {rounds} alternating rounds of {PER_ROUND} events");
        println!(
            "rust Server (App emits back)          median {:7.1} ns/event",
            median(&mut a)
        );
        println!(
            "C ABI read+poll_event+emit+transmit   median {:7.1} ns/event",
            median(&mut b)
        );
        println!(
            "ratio C / Rust (median of per-round)  {:.2}x",
            median(&mut ratio)
        );
    }
}
