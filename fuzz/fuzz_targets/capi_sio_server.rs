//! The C ABI's Socket.IO server (`sw_sio_server_*`) driven through its Rust signatures: the
//! input is split into connections' reads, EOFs, timeouts on a moving clock, and application
//! commands on the sockets the events name, with input-chosen names, rooms, JSON arguments
//! (often invalid), hostile lengths and NULLs. Nothing may panic (a caught panic is
//! SW_ERR_PANIC: reported as a crash), read out of bounds (ASan) or leak. Seeds start with a
//! polling open and a WebSocket upgrade so the fuzzer reaches the Socket.IO layer quickly.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sockwire_capi::server::*;
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
    // The input: a script of ops separated by 0xFF bytes; each op's first byte picks it.
    let mut seed = 7u32;
    let mut cfg = SwSioServerConfig::default();
    cfg.max_events = 8;
    cfg.max_pending_acks = 4;
    // SAFETY: every pointer passed points to live memory of at least the length given, or is
    // NULL with length 0 (or is a deliberately hostile length the library must refuse first).
    unsafe {
        let s = sw_sio_server_new(&cfg, Some(rnd), (&raw mut seed).cast());
        assert!(!s.is_null());
        let mut now = 0u64;
        let mut sockets: Vec<u64> = Vec::new();
        let mut ev = std::mem::MaybeUninit::<SwSioServerEvent>::uninit();
        for op in data.split(|b| *b == 0xff).take(256) {
            let Some((&k, arg)) = op.split_first() else {
                continue;
            };
            let conn = u64::from(k >> 4);
            let sock = sockets
                .get(usize::from(k >> 4))
                .copied()
                .unwrap_or(u64::from(k));
            // A NUL-terminated copy of `arg` for the string parameters.
            let mut cs = arg.to_vec();
            cs.retain(|b| *b != 0);
            cs.push(0);
            let cs_ptr = cs.as_ptr().cast();
            match (k & 0x0f) % 12 {
                0 => ok(sw_sio_server_handle_accept(s, now, conn)),
                1..=3 => ok(sw_sio_server_handle_read(
                    s,
                    now,
                    conn,
                    arg.as_ptr(),
                    arg.len(),
                )),
                4 => ok(sw_sio_server_handle_eof(s, now, conn)),
                5 => {
                    now += u64::from(arg.first().copied().unwrap_or(1)) * 200_000_000;
                    ok(sw_sio_server_handle_timeout(s, now));
                }
                6 => ok(sw_sio_server_emit(
                    s,
                    now,
                    sock,
                    c"m".as_ptr(),
                    cs_ptr,
                    cs.len() - 1,
                    u64::from(k & 1) * 1_000_000,
                    null_mut(),
                )),
                7 => ok(sw_sio_server_broadcast(
                    s,
                    now,
                    null(),
                    if k & 16 != 0 { cs_ptr } else { null() },
                    sock,
                    c"b".as_ptr(),
                    c"[1]".as_ptr(),
                    3,
                )),
                8 => ok(sw_sio_server_room(
                    s,
                    now,
                    sock,
                    cs_ptr,
                    i32::from(k & 16 != 0),
                )),
                9 => ok(sw_sio_server_ack(
                    s,
                    now,
                    sock,
                    u64::from(k & 3),
                    cs_ptr,
                    cs.len() - 1,
                )),
                10 => {
                    ok(sw_sio_server_set(
                        s,
                        sock,
                        c"k".as_ptr(),
                        arg.as_ptr(),
                        arg.len(),
                    ));
                    let (mut p, mut n) = (null(), 0usize);
                    ok(sw_sio_server_get(s, sock, c"k".as_ptr(), &mut p, &mut n));
                }
                _ => {
                    ok(sw_sio_server_disconnect(s, now, sock));
                    ok(sw_sio_server_emit(
                        s,
                        now,
                        sock,
                        cs_ptr,
                        null(),
                        usize::MAX,
                        0,
                        null_mut(),
                    ));
                    ok(sw_sio_server_handle_written(s, now, conn));
                }
            }
            let (mut c, mut p, mut n, mut close) = (0u64, null(), 0usize, 0i32);
            while sw_sio_server_poll_transmit(s, &mut c, &mut p, &mut n, &mut close) == 1 {
                assert!(n == 0 || !p.is_null());
            }
            loop {
                let r = sw_sio_server_poll_event(s, ev.as_mut_ptr());
                ok(r);
                if r != 1 {
                    break;
                }
                let e = ev.assume_init_ref();
                if e.kind == 1 {
                    sockets.push(e.socket);
                }
                let (mut p, mut n) = (null(), 0usize);
                for i in 0..=e.attachments {
                    let r = sw_sio_server_event_attachment(s, i, &mut p, &mut n);
                    assert_eq!(r == SW_OK, i < e.attachments);
                }
            }
            let mut d = 0u64;
            ok(sw_sio_server_poll_timeout(s, &mut d));
        }
        sw_sio_server_free(s);
    }
});
