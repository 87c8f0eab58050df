//! The per-message work both overhead benchmarks time, written once: receive one masked 16-byte
//! text frame and read its event, then send one 16-byte text message and take its bytes, through
//! the Rust `ws::Connection` or through the exported C functions.
//!
//! Every function is `#[inline(always)]` so each benchmark's loop holds the same code it did when
//! the bodies were written inline; inputs go through `black_box`, as a real caller's are unknown
//! to the compiler (the C rows' arguments are opaque the same way).

use std::hint::black_box;
use std::mem::MaybeUninit;
use std::time::Duration;

use sockwire_capi::core_crate::ws::{Connection, Event};
use sockwire_capi::ws::{
    SW_EV_TEXT, SwWs, SwWsEvent, sw_ws_poll_event, sw_ws_poll_transmit, sw_ws_recv,
    sw_ws_recv_event, sw_ws_send_text,
};

pub const PAYLOAD: &[u8; 16] = b"0123456789abcdef";
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// One masked client text frame carrying `PAYLOAD`.
pub fn frame() -> [u8; 22] {
    let mut f = [0u8; 22];
    f[0] = 0x81;
    f[1] = 0x80 | 16;
    f[2..6].copy_from_slice(&KEY);
    for (i, b) in PAYLOAD.iter().enumerate() {
        f[6 + i] = b ^ KEY[i % 4];
    }
    f
}

/// One message in and one out through the Rust API.
#[inline(always)]
pub fn rust_message(conn: &mut Connection, wire: &[u8; 22]) {
    let mut buf = *wire;
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
}

/// One message in and one out through `sw_ws_recv` + `sw_ws_poll_event`.
///
/// # Safety
/// `h` is a live handle from `sw_ws_new_server` used by this thread only.
#[inline(always)]
pub unsafe fn c_poll_message(h: *mut SwWs, wire: &[u8; 22]) {
    let mut buf = *wire;
    let mut used = 0usize;
    let mut ev = MaybeUninit::<SwWsEvent>::uninit();
    let mut got = 0;
    // SAFETY: `h` is live (the caller's contract); every other pointer is to a local that
    // outlives the call, with the length passed beside it.
    unsafe {
        sw_ws_recv(h, 0, buf.as_mut_ptr(), buf.len(), &mut used);
        if sw_ws_poll_event(h, ev.as_mut_ptr()) == 1 && ev.assume_init().kind == SW_EV_TEXT {
            got = ev.assume_init().len;
        }
        c_reply(h);
    }
    black_box((used, got));
}

/// One message in and one out through `sw_ws_recv_event` (receive and event in one call).
///
/// # Safety
/// `h` is a live handle from `sw_ws_new_server` used by this thread only.
#[inline(always)]
pub unsafe fn c_fast_message(h: *mut SwWs, wire: &[u8; 22]) {
    let mut buf = *wire;
    let mut used = 0usize;
    let mut ev = MaybeUninit::<SwWsEvent>::uninit();
    let mut got = 0;
    // SAFETY: as in `c_poll_message`.
    unsafe {
        let r = sw_ws_recv_event(
            h,
            0,
            buf.as_mut_ptr(),
            buf.len(),
            &mut used,
            ev.as_mut_ptr(),
        );
        if r == 1 && ev.assume_init().kind == SW_EV_TEXT {
            got = ev.assume_init().len;
        }
        c_reply(h);
    }
    black_box((used, got));
}

/// Sends `PAYLOAD` as text and takes the frame's bytes.
///
/// # Safety
/// `h` is a live handle used by this thread only.
#[inline(always)]
unsafe fn c_reply(h: *mut SwWs) {
    let (mut p, mut n) = (std::ptr::null(), 0usize);
    // SAFETY: `h` is live; `PAYLOAD` is 16 readable bytes; `p` and `n` are locals.
    unsafe {
        sw_ws_send_text(h, black_box(PAYLOAD.as_ptr()), 16);
        sw_ws_poll_transmit(h, 0, &mut p, &mut n);
    }
    black_box(n);
}
