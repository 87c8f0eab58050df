//! The commands of a C server's application: emit, broadcast, ack, join, leave, disconnect,
//! per-socket data. Each takes the `now_ns` of the caller's clock, runs between inputs, and
//! queues its bytes for `sw_sio_server_poll_transmit`.

use core::ffi::{c_char, c_int};
use core::time::Duration;

use sockwire_core::hub::SocketId;

use super::{SwSioServer, app, fail, hub_fail, parse_args, target, with};
use crate::*;

/// Borrows an optional C string ("" for NULL is not implied: NULL is `None`).
///
/// # Safety
///
/// As [`cstr`].
unsafe fn opt_cstr<'a>(p: *const c_char) -> Result<Option<&'a str>, c_int> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded caller contract.
        unsafe { cstr(p).map(Some) }
    }
}

/// Borrows JSON text of `len` bytes as UTF-8.
///
/// # Safety
///
/// As [`bytes`].
unsafe fn json<'a>(p: *const c_char, len: usize) -> Result<&'a str, c_int> {
    // SAFETY: forwarded caller contract.
    let b = unsafe { bytes(p.cast(), len)? };
    core::str::from_utf8(b).map_err(|_| SW_ERR_INVALID)
}

fn socket(h: &mut SwSioServer, handle: u64) -> Result<SocketId, c_int> {
    match h.io.app().sockets.get(&handle) {
        Some(s) => Ok(*s),
        None => Err(fail(h, SW_ERR_CLOSED, "no such socket (disconnected?)")),
    }
}

macro_rules! tri {
    ($h:ident, $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(code) => return fail($h, code, sw_strerror_text(code)),
        }
    };
}

fn sw_strerror_text(code: c_int) -> &'static str {
    // SAFETY: `sw_strerror` returns a static NUL-terminated ASCII string.
    unsafe { core::ffi::CStr::from_ptr(sw_strerror(code)) }
        .to_str()
        .unwrap_or("")
}

/// Emits `name` with `args` (a JSON array, validated; NULL/0 = no arguments) to one socket.
/// With `timeout_ns` > 0 the client is asked to answer: `*ack_id` (may be NULL) receives the
/// id, and `SW_SIO_ACK` or `SW_SIO_ACK_TIMEOUT` follows. `SW_ERR_CLOSED` for a gone socket,
/// `SW_ERR_INVALID` for a bad name or JSON.
///
/// # Safety
///
/// `s` live; `name` a C string; `args` readable for `args_len`; `ack_id` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_emit(
    s: *mut SwSioServer,
    now_ns: u64,
    socket_h: u64,
    name: *const c_char,
    args: *const c_char,
    args_len: usize,
    timeout_ns: u64,
    ack_id: *mut u64,
) -> c_int {
    // SAFETY: forwarded caller contracts.
    unsafe {
        with(s, |h| {
            let name = tri!(h, cstr(name));
            let text = tri!(h, json(args, args_len));
            let values = match parse_args(text) {
                Ok(v) => v,
                Err(e) => return fail(h, SW_ERR_INVALID, e),
            };
            let sock = tri!(h, socket(h, socket_h));
            let r = h.io.with_socket(ns(now_ns), sock, |ctx| {
                if timeout_ns == 0 {
                    ctx.emit(name, &values).map(|()| None)
                } else {
                    ctx.emit_with_ack(name, &values, Duration::from_nanos(timeout_ns))
                        .map(Some)
                }
            });
            match r {
                None => fail(h, SW_ERR_CLOSED, "no such socket (disconnected?)"),
                Some(Err(e)) => fail(h, SW_ERR_INVALID, e),
                Some(Ok(id)) => {
                    put(ack_id, id.unwrap_or(0));
                    SW_OK
                }
            }
        })
    }
}

/// Emits to every socket of namespace `nsp` (NULL = "/"), only those in `room` when it is not
/// NULL, except socket `except` when it is not 0 (the sender: `socket.broadcast` /
/// `socket.to(room)`). Returns the number of recipients (≥ 0) or an error code.
///
/// # Safety
///
/// `s` live; `nsp`, `room` NULL or C strings; `name` a C string; `args` readable for `args_len`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_broadcast(
    s: *mut SwSioServer,
    now_ns: u64,
    nsp: *const c_char,
    room: *const c_char,
    except: u64,
    name: *const c_char,
    args: *const c_char,
    args_len: usize,
) -> c_int {
    // SAFETY: forwarded caller contracts.
    unsafe {
        with(s, |h| {
            let nsp = tri!(h, opt_cstr(nsp)).unwrap_or("/");
            let room = tri!(h, opt_cstr(room));
            let name = tri!(h, cstr(name));
            let text = tri!(h, json(args, args_len));
            let values = match parse_args(text) {
                Ok(v) => v,
                Err(e) => return fail(h, SW_ERR_INVALID, e),
            };
            let except: Vec<SocketId> = if except == 0 {
                Vec::new()
            } else {
                vec![tri!(h, socket(h, except))]
            };
            let rooms: Vec<&str> = room.into_iter().collect();
            let r = h.io.with_hub(ns(now_ns), |hub| {
                hub.broadcast(&target(nsp, &rooms, &except), name, &values)
            });
            match r {
                Ok(n) => c_int::try_from(n).unwrap_or(c_int::MAX),
                Err(e) => hub_fail(h, &e),
            }
        })
    }
}

/// Answers the event that `socket` sent with `ack_id` (an `SW_SIO_EVENT` with `has_ack`),
/// once. `SW_ERR_INVALID` when no such ack waits (already answered, or dropped).
///
/// # Safety
///
/// `s` live; `args` readable for `args_len`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_ack(
    s: *mut SwSioServer,
    now_ns: u64,
    socket_h: u64,
    ack_id: u64,
    args: *const c_char,
    args_len: usize,
) -> c_int {
    // SAFETY: forwarded caller contracts.
    unsafe {
        with(s, |h| {
            let text = tri!(h, json(args, args_len));
            let values = match parse_args(text) {
                Ok(v) => v,
                Err(e) => return fail(h, SW_ERR_INVALID, e),
            };
            let sock = tri!(h, socket(h, socket_h));
            let Some(handle) = h.io.app().acks.remove(&(socket_h, ack_id)) else {
                return fail(h, SW_ERR_INVALID, "no such ack is awaited");
            };
            match h
                .io
                .with_socket(ns(now_ns), sock, |ctx| ctx.ack(handle, &values))
            {
                None => fail(h, SW_ERR_CLOSED, "no such socket (disconnected?)"),
                Some(Err(e)) => fail(h, SW_ERR_INVALID, e),
                Some(Ok(())) => SW_OK,
            }
        })
    }
}

/// Joins (`join` ≠ 0) or leaves `room`: 1 when it changed, 0 when it already was so.
///
/// # Safety
///
/// `s` live; `room` a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_room(
    s: *mut SwSioServer,
    now_ns: u64,
    socket_h: u64,
    room: *const c_char,
    join: c_int,
) -> c_int {
    // SAFETY: forwarded caller contracts.
    unsafe {
        with(s, |h| {
            let room = tri!(h, cstr(room));
            let sock = tri!(h, socket(h, socket_h));
            let r = h.io.with_hub(ns(now_ns), |hub| {
                if join != 0 {
                    hub.join(sock, room)
                } else {
                    hub.leave(sock, room)
                }
            });
            match r {
                Ok(changed) => c_int::from(changed),
                Err(e) => hub_fail(h, &e),
            }
        })
    }
}

/// Disconnects a socket from its namespace (the client gets DISCONNECT; `SW_SIO_DISCONNECT`
/// follows).
///
/// # Safety
///
/// `s` live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_disconnect(
    s: *mut SwSioServer,
    now_ns: u64,
    socket_h: u64,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with(s, |h| {
            let sock = tri!(h, socket(h, socket_h));
            match h.io.with_socket(ns(now_ns), sock, |ctx| ctx.disconnect()) {
                None => fail(h, SW_ERR_CLOSED, "no such socket (disconnected?)"),
                Some(Err(e)) => fail(h, SW_ERR_INVALID, e),
                Some(Ok(())) => SW_OK,
            }
        })
    }
}

/// Stores `len` bytes under `key` for a socket (replacing any value; capped by the hub's
/// key count and key length).
///
/// # Safety
///
/// `s` live; `key` a C string; `data` readable for `len`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_set(
    s: *mut SwSioServer,
    socket_h: u64,
    key: *const c_char,
    data: *const u8,
    len: usize,
) -> c_int {
    // SAFETY: forwarded caller contracts.
    unsafe {
        with(s, |h| {
            let key = tri!(h, cstr(key));
            let value = tri!(h, bytes(data, len)).to_vec();
            let sock = tri!(h, socket(h, socket_h));
            match h.io.hub().set_data(sock, key, value) {
                Ok(_) => SW_OK,
                Err(e) => hub_fail(h, &e),
            }
        })
    }
}

/// The bytes stored under `key`: 1 with `*data`/`*len` (borrowed until the next call on the
/// handle), 0 when there are none. While a socket's `SW_SIO_DISCONNECT` is the current event,
/// its data as it left is still readable.
///
/// # Safety
///
/// `s` live; `key` a C string; `data` and `len` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_get(
    s: *mut SwSioServer,
    socket_h: u64,
    key: *const c_char,
    data: *mut *const u8,
    len: *mut usize,
) -> c_int {
    if data.is_null() || len.is_null() {
        return SW_ERR_NULL;
    }
    // SAFETY: forwarded caller contracts.
    unsafe {
        with(s, |h| {
            let key = tri!(h, cstr(key));
            // A socket whose DISCONNECT is the current event: its data as it left.
            if let Some(q) =
                h.ev.as_ref()
                    .filter(|q| q.socket == socket_h && q.kind == app::KIND_DISCONNECT)
            {
                return match q.data.iter().find(|(k, _)| k == key) {
                    Some((_, v)) => {
                        put(data, v.as_ptr());
                        put(len, v.len());
                        1
                    }
                    None => 0,
                };
            }
            let sock = tri!(h, socket(h, socket_h));
            match h.io.hub().data::<Vec<u8>>(sock, key) {
                Some(v) => {
                    put(data, v.as_ptr());
                    put(len, v.len());
                    1
                }
                None => 0,
            }
        })
    }
}
