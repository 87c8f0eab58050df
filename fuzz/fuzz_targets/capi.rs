//! The C ABI driven through its Rust signatures: every `sw_ws_*` call in an order the input
//! picks (first byte: server or client), with hostile lengths (0 with NULL, over isize::MAX,
//! the transmit cap at 1..=255), NULL outputs, and the handshake and Socket.IO entry points on
//! the same bytes. Nothing may panic (a caught panic is SW_ERR_PANIC: reported as a crash),
//! read out of bounds (ASan) or leak.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sockwire_capi::hs::*;
use sockwire_capi::sio::*;
use sockwire_capi::ws::*;
use sockwire_capi::*;
use std::ptr::{null, null_mut};

unsafe extern "C" fn rnd(user: *mut core::ffi::c_void, out: *mut u8, len: usize) {
    // SAFETY: `user` is the &mut u32 counter passed below; `out` has `len` bytes.
    unsafe {
        let n = &mut *(user as *mut u32);
        for i in 0..len {
            *n = n.wrapping_mul(1_103_515_245).wrapping_add(12345);
            *out.add(i) = (*n >> 16) as u8;
        }
    }
}

fn ok(code: i32) {
    assert_ne!(code, SW_ERR_PANIC, "a panic reached the boundary");
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let mut seed = u32::from(first);
    // SAFETY: every pointer passed points to live memory of at least the length given, or is
    // NULL with length 0 (or is a deliberately hostile length the library must refuse first).
    unsafe {
        let c = if first & 1 == 0 {
            sw_ws_new_server(null())
        } else {
            sw_ws_new_client(null(), Some(rnd), (&mut seed as *mut u32).cast())
        };
        let mut buf = rest.to_vec();
        let mut at = 0usize;
        let mut now = 0u64;
        let mut script = rest.iter().rev().copied();
        let mut ev = std::mem::MaybeUninit::<SwWsEvent>::uninit();
        for _ in 0..512 {
            let Some(op) = script.next() else { break };
            match op % 12 {
                0 | 1 | 2 => {
                    let take = (usize::from(op) * 7).min(buf.len() - at);
                    let mut used = 0;
                    ok(sw_ws_recv(
                        c,
                        now,
                        buf.as_mut_ptr().add(at),
                        take,
                        &mut used,
                    ));
                    assert!(used <= take);
                    at += used;
                }
                3 if op & 0x80 != 0 => {
                    // The combined call: the same bytes, the first event returned at once.
                    let take = (usize::from(op & 0x7f) * 3).min(buf.len() - at);
                    let mut used = 0;
                    let r = sw_ws_recv_event(
                        c,
                        now,
                        buf.as_mut_ptr().add(at),
                        take,
                        &mut used,
                        ev.as_mut_ptr(),
                    );
                    ok(r);
                    assert!(used <= take);
                    if r == 1 {
                        let e = ev.assume_init();
                        if e.len > 0 {
                            std::hint::black_box(std::slice::from_raw_parts(e.data, e.len));
                        }
                    }
                    at += used;
                }
                3 => {
                    while sw_ws_poll_event(c, ev.as_mut_ptr()) == 1 {
                        let e = ev.assume_init();
                        if e.len > 0 {
                            // The event's bytes must be readable.
                            std::hint::black_box(std::slice::from_raw_parts(e.data, e.len));
                        }
                    }
                }
                4 => {
                    let (mut p, mut n) = (null(), 0usize);
                    let cap = usize::from(op >> 4) + 1;
                    while sw_ws_poll_transmit(c, cap, &mut p, &mut n) == 1 {
                        assert!(n <= cap);
                        std::hint::black_box(std::slice::from_raw_parts(p, n));
                    }
                }
                5 => {
                    now += u64::from(op) * 10_000_000;
                    ok(sw_ws_handle_timeout(c, now));
                }
                6 => ok(sw_ws_send_text(
                    c,
                    rest.as_ptr(),
                    rest.len().min(usize::from(op)),
                )),
                7 => ok(sw_ws_send_binary(
                    c,
                    rest.as_ptr(),
                    rest.len().min(usize::from(op)),
                )),
                8 => ok(sw_ws_send_ping(
                    c,
                    rest.as_ptr(),
                    rest.len().min(usize::from(op)),
                )),
                9 => ok(sw_ws_send_close(
                    c,
                    u16::from(op) * 37,
                    rest.as_ptr(),
                    rest.len().min(3),
                )),
                10 => {
                    // Hostile lengths and NULLs are refused before anything is read.
                    assert_eq!(sw_ws_recv(c, now, null_mut(), 5, null_mut()), SW_ERR_NULL);
                    assert_eq!(
                        sw_ws_send_binary(c, rest.as_ptr(), usize::MAX),
                        SW_ERR_INVALID
                    );
                    assert_eq!(sw_ws_poll_event(c, null_mut()), SW_ERR_NULL);
                    let mut d = 0;
                    ok(sw_ws_poll_timeout(c, &mut d));
                    ok(sw_ws_should_close(c));
                }
                _ => ok(sw_ws_handle_eof(c, now)),
            }
        }
        std::hint::black_box(core::ffi::CStr::from_ptr(sw_ws_last_error(c)));
        sw_ws_free(c);

        // The handshake and the Socket.IO codec on the same bytes.
        let hs = sw_hs_server_new(null());
        let mut out = [0u8; 256];
        let (mut out_len, mut head_len) = (0, 0);
        ok(sw_hs_server_parse(
            hs,
            rest.as_ptr(),
            rest.len(),
            null(),
            0,
            out.as_mut_ptr(),
            out.len(),
            &mut out_len,
            &mut head_len,
        ));
        assert!(out_len <= out.len() || head_len == 0);
        sw_hs_server_free(hs);
        let nonce = [7u8; 16];
        let cl = sw_hs_client_new(
            c"h".as_ptr(),
            c"/".as_ptr(),
            nonce.as_ptr(),
            null(),
            0,
            null(),
        );
        ok(sw_hs_client_parse(
            cl,
            rest.as_ptr(),
            rest.len(),
            &mut head_len,
        ));
        sw_hs_client_free(cl);
        let d = sw_sio_decoder_new(0, 0, 0);
        let mut p = std::mem::MaybeUninit::<SwSioPacket>::uninit();
        ok(sw_sio_decoder_feed_text(
            d,
            rest.as_ptr().cast(),
            rest.len(),
            p.as_mut_ptr(),
        ));
        ok(sw_sio_decoder_feed_binary(
            d,
            rest.as_ptr(),
            rest.len(),
            p.as_mut_ptr(),
        ));
        sw_sio_decoder_free(d);
        let mut enc = [0i8; 64];
        let mut n = 0;
        ok(sw_sio_encode_event(
            null(),
            0,
            1,
            3,
            c"e".as_ptr(),
            1,
            rest.as_ptr().cast(),
            rest.len(),
            enc.as_mut_ptr().cast(),
            enc.len(),
            &mut n,
        ));
    }
});
