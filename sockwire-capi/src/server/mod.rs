//! `sw_sio_server_*`: a whole Socket.IO v5 server (Engine.IO polling, WebSocket, upgrade,
//! heartbeat, namespaces, rooms, acks) for a C host that only moves bytes. It drives
//! [`Server`] through the [`Machine`] contract: the host accepts, reads, reports EOF, written
//! transmits and timeouts with its clock and connection ids, writes what
//! `sw_sio_server_poll_transmit` gives, and arms one timer at `sw_sio_server_poll_timeout`.
//! The application is C: it polls the events [`app::CApp`] queues and answers with commands
//! (emit, broadcast, ack, join, leave, disconnect, per-socket data) between inputs.

use core::ffi::{c_char, c_int};
use core::time::Duration;
use std::ffi::CString;

use sockwire_core::engineio::endpoint::Transmit;
use sockwire_core::hub::{HubError, Target};
use sockwire_core::machine::Machine;
use sockwire_core::socketio::Value;
use sockwire_core::socketio::server::{Server, ServerOptions};

use crate::ws::SwRandomFn;
use crate::*;

pub mod app;
use app::{CApp, Queued};

/// Settings of a server (`sw_sio_server_config` in C); 0 keeps each default.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct SwSioServerConfig {
    /// Engine.IO heartbeat interval (default 25 s).
    pub ping_interval_ns: u64,
    /// Wait for the client's pong (default 20 s).
    pub ping_timeout_ns: u64,
    /// Most open TCP connections (default: the endpoint's).
    pub max_connections: u64,
    /// Most queued application events (default 4096).
    pub max_events: u64,
    /// Most client acks awaiting `sw_sio_server_ack` (default 4096).
    pub max_pending_acks: u64,
    /// 1: the host reports each written transmit with `sw_sio_server_handle_written`, and the
    /// server keeps one write in flight per connection.
    pub write_pacing: u32,
}

/// An application event (`sw_sio_server_event` in C); pointers borrowed until the next call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SwSioServerEvent {
    /// `SW_SIO_CONNECT` .. `SW_SIO_DISCONNECT`.
    pub kind: i32,
    /// 1 when `ack_id` is set (an event the client wants answered, or an ack's id).
    pub has_ack: i32,
    /// The socket handle the commands take (never reused).
    pub socket: u64,
    /// The ack id.
    pub ack_id: u64,
    /// The namespace.
    pub nsp: *const c_char,
    /// The socket id (`socket.id`).
    pub sid: *const c_char,
    /// The event name (events) or the disconnect reason; "" otherwise.
    pub name: *const c_char,
    /// JSON text: the handshake auth (connect; "" when none) or the arguments array.
    pub json: *const c_char,
    /// Length of `json`.
    pub json_len: usize,
    /// Binary attachments (`sw_sio_server_event_attachment`).
    pub attachments: usize,
}

/// A server handle (`sw_sio_server` in C).
pub struct SwSioServer {
    io: Server<CApp>,
    tx: Option<Transmit>,
    ev: Option<Queued>,
    err: CString,
    poisoned: bool,
}

fn config(cfg: &SwSioServerConfig) -> ServerOptions {
    let mut o = ServerOptions::default();
    if cfg.ping_interval_ns != 0 {
        o.endpoint.server.ping_interval = Duration::from_nanos(cfg.ping_interval_ns);
    }
    if cfg.ping_timeout_ns != 0 {
        o.endpoint.server.ping_timeout = Duration::from_nanos(cfg.ping_timeout_ns);
    }
    if cfg.max_connections != 0 {
        o.endpoint.max_connections = usize::try_from(cfg.max_connections).unwrap_or(usize::MAX);
    }
    o
}

fn cap(v: u64, default: usize) -> usize {
    if v == 0 {
        default
    } else {
        usize::try_from(v).unwrap_or(usize::MAX)
    }
}

/// Writes the defaults (all 0) into `*cfg`.
///
/// # Safety
///
/// `cfg` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_config_init(cfg: *mut SwSioServerConfig) -> c_int {
    if cfg.is_null() {
        return SW_ERR_NULL;
    }
    // SAFETY: non-null and writable (the caller's contract).
    unsafe { put(cfg, SwSioServerConfig::default()) };
    SW_OK
}

/// A server; `cfg` may be NULL. `random` (required) fills ids; it and `user` must stay valid
/// until `sw_sio_server_free`, and it must draw from the OS or a CSPRNG.
///
/// # Safety
///
/// `cfg` NULL or readable; `random` callable with `user` from any thread the handle is used on.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_new(
    cfg: *const SwSioServerConfig,
    random: SwRandomFn,
    user: *mut core::ffi::c_void,
) -> *mut SwSioServer {
    let Some(random) = random else {
        return core::ptr::null_mut();
    };
    let cfg = if cfg.is_null() {
        SwSioServerConfig::default()
    } else {
        // SAFETY: non-null and readable (the caller's contract).
        unsafe { *cfg }
    };
    let user = user as usize;
    let entropy = move || {
        let mut b = [0u8; 15];
        // SAFETY: the caller's callback contract; `b` is 15 writable bytes.
        unsafe { random(user as *mut core::ffi::c_void, b.as_mut_ptr(), b.len()) };
        b
    };
    std::panic::catch_unwind(|| {
        let app = CApp::new(cap(cfg.max_events, 4096), cap(cfg.max_pending_acks, 4096));
        let mut io = Server::new(app, config(&cfg), entropy);
        if cfg.write_pacing != 0 {
            Machine::enable_write_pacing(&mut io);
        }
        Box::into_raw(Box::new(SwSioServer {
            io,
            tx: None,
            ev: None,
            err: CString::default(),
            poisoned: false,
        }))
    })
    .unwrap_or(core::ptr::null_mut())
}

/// Frees a server (NULL is ignored).
///
/// # Safety
///
/// `s` NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_free(s: *mut SwSioServer) {
    if !s.is_null() {
        // SAFETY: a live handle from `Box::into_raw`.
        let b = unsafe { Box::from_raw(s) };
        let _ = std::panic::catch_unwind(AssertUnwindSafe(move || drop(b)));
    }
}

/// Runs `f` on a live, unpoisoned handle; a panic poisons it.
///
/// # Safety
///
/// `s` NULL or a live handle, used by one thread at a time.
unsafe fn with(s: *mut SwSioServer, f: impl FnOnce(&mut SwSioServer) -> c_int) -> c_int {
    if s.is_null() {
        return SW_ERR_NULL;
    }
    // SAFETY: non-null and live (the caller's contract).
    let h = unsafe { &mut *s };
    if h.poisoned {
        return SW_ERR_PANIC;
    }
    let r = guard(|| f(&mut *h));
    if r == SW_ERR_PANIC {
        h.poisoned = true;
    }
    r
}

/// Connection `conn` was accepted (ids are the host's, never reused while open).
///
/// # Safety
///
/// `s` a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_handle_accept(
    s: *mut SwSioServer,
    now_ns: u64,
    conn: u64,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with(s, |h| {
            Machine::handle_accept(&mut h.io, ns(now_ns), conn);
            SW_OK
        })
    }
}

/// Connection `conn`'s read side ended (a read returned 0 or failed).
///
/// # Safety
///
/// `s` a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_handle_eof(
    s: *mut SwSioServer,
    now_ns: u64,
    conn: u64,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with(s, |h| {
            Machine::handle_eof(&mut h.io, ns(now_ns), conn);
            SW_OK
        })
    }
}

/// The last transmit of `conn` is written (only with `write_pacing`).
///
/// # Safety
///
/// `s` a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_handle_written(
    s: *mut SwSioServer,
    now_ns: u64,
    conn: u64,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with(s, |h| {
            Machine::handle_written(&mut h.io, ns(now_ns), conn);
            SW_OK
        })
    }
}

/// Bytes read from connection `conn`.
///
/// # Safety
///
/// `s` a live handle; `data` readable for `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_handle_read(
    s: *mut SwSioServer,
    now_ns: u64,
    conn: u64,
    data: *const u8,
    len: usize,
) -> c_int {
    // SAFETY: forwarded caller contracts.
    unsafe {
        with(s, |h| match bytes(data, len) {
            Ok(b) => {
                Machine::handle_read(&mut h.io, ns(now_ns), conn, b);
                SW_OK
            }
            Err(e) => e,
        })
    }
}

/// The deadline of `sw_sio_server_poll_timeout` passed.
///
/// # Safety
///
/// `s` a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_handle_timeout(s: *mut SwSioServer, now_ns: u64) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with(s, |h| {
            Machine::handle_timeout(&mut h.io, ns(now_ns));
            SW_OK
        })
    }
}

/// The next bytes to write: 1 with `*conn`, `*data`/`*len` (borrowed until the next call on
/// the handle) and `*close` (close the connection after writing them), or 0.
///
/// # Safety
///
/// `s` live; the out pointers writable (each may be NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_poll_transmit(
    s: *mut SwSioServer,
    conn: *mut u64,
    data: *mut *const u8,
    len: *mut usize,
    close: *mut c_int,
) -> c_int {
    // SAFETY: forwarded caller contracts.
    unsafe {
        with(s, |h| {
            h.tx = Machine::poll_transmit(&mut h.io);
            let Some(t) = &h.tx else { return 0 };
            put(conn, t.conn);
            put(data, t.data.as_ptr());
            put(len, t.data.len());
            put(close, c_int::from(t.close));
            1
        })
    }
}

/// 1 with `*deadline_ns` when `sw_sio_server_handle_timeout` must be called next, 0 if never.
///
/// # Safety
///
/// `s` live; `deadline_ns` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_poll_timeout(
    s: *mut SwSioServer,
    deadline_ns: *mut u64,
) -> c_int {
    if deadline_ns.is_null() {
        return SW_ERR_NULL;
    }
    // SAFETY: forwarded caller contracts.
    unsafe {
        with(s, |h| match Machine::poll_timeout(&h.io) {
            Some(d) => {
                put(deadline_ns, u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
                1
            }
            None => 0,
        })
    }
}

/// The next application event: 1 with `*out` filled (borrowed until the next call), or 0.
///
/// # Safety
///
/// `s` live; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_poll_event(
    s: *mut SwSioServer,
    out: *mut SwSioServerEvent,
) -> c_int {
    if out.is_null() {
        return SW_ERR_NULL;
    }
    // SAFETY: forwarded caller contracts.
    unsafe {
        with(s, |h| {
            let next = h.io.app().events.pop_front();
            if let Some(old) = core::mem::replace(&mut h.ev, next) {
                h.io.app().recycle(old);
            }
            let Some(q) = &h.ev else { return 0 };
            put(
                out,
                SwSioServerEvent {
                    kind: q.kind,
                    has_ack: c_int::from(q.ack_id.is_some()),
                    socket: q.socket,
                    ack_id: q.ack_id.unwrap_or(0),
                    nsp: q.nsp.as_ptr().cast(),
                    sid: q.sid.as_ptr().cast(),
                    name: q.name.as_ptr().cast(),
                    json: q.json.as_ptr().cast(),
                    json_len: q.json.len() - 1,
                    attachments: q.attachments.len(),
                },
            );
            1
        })
    }
}

/// Attachment `i` of the event last returned by `sw_sio_server_poll_event` (borrowed like
/// it): `SW_OK`, or `SW_ERR_INVALID` when there is no such attachment.
///
/// # Safety
///
/// `s` live; `data` and `len` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_event_attachment(
    s: *mut SwSioServer,
    i: usize,
    data: *mut *const u8,
    len: *mut usize,
) -> c_int {
    if data.is_null() || len.is_null() {
        return SW_ERR_NULL;
    }
    // SAFETY: forwarded caller contracts.
    unsafe {
        with(s, |h| {
            match h.ev.as_ref().and_then(|q| q.attachments.get(i)) {
                Some(a) => {
                    put(data, a.as_ptr());
                    put(len, a.len());
                    SW_OK
                }
                None => SW_ERR_INVALID,
            }
        })
    }
}

/// How many events (and client acks) the overflow policy dropped, and how many connections it
/// refused, since the handle was made.
///
/// # Safety
///
/// `s` live; the out pointers writable (each may be NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_stats(
    s: *mut SwSioServer,
    dropped: *mut u64,
    refused: *mut u64,
) -> c_int {
    // SAFETY: forwarded caller contracts.
    unsafe {
        with(s, |h| {
            put(dropped, h.io.app().dropped);
            put(refused, h.io.app().refused);
            SW_OK
        })
    }
}

/// The latest error message of a server (never NULL; "" for a NULL handle).
///
/// # Safety
///
/// `s` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_server_last_error(s: *const SwSioServer) -> *const c_char {
    // SAFETY: forwarded caller contract.
    unsafe { field_str(s, |h| &h.err) }
}

mod commands;
pub use commands::*;

/// Fails with a message kept for `sw_sio_server_last_error`.
pub(crate) fn fail(h: &mut SwSioServer, code: c_int, text: impl core::fmt::Display) -> c_int {
    h.err = message(text);
    code
}

/// A hub error as a status code.
pub(crate) fn hub_fail(h: &mut SwSioServer, e: &HubError) -> c_int {
    let code = match e {
        HubError::UnknownSocket => SW_ERR_CLOSED,
        _ => SW_ERR_INVALID,
    };
    fail(h, code, e)
}

/// Arguments split from a JSON array: up to 8 on the stack, more on the heap.
pub(crate) struct Args<'a> {
    stack: [Value<'a>; 8],
    n: usize,
    heap: Vec<Value<'a>>,
}

impl<'a> core::ops::Deref for Args<'a> {
    type Target = [Value<'a>];
    fn deref(&self) -> &[Value<'a>] {
        if self.heap.is_empty() {
            &self.stack[..self.n]
        } else {
            &self.heap
        }
    }
}

/// Splits a JSON array of arguments into values (each element validated); "" is `[]`.
pub(crate) fn parse_args(text: &str) -> Result<Args<'_>, String> {
    let text = if text.is_empty() { "[]" } else { text };
    let items = sockwire_core::json::array_items(text).map_err(|e| e.to_string())?;
    let mut out = Args {
        stack: [Value::JsonUnchecked(""); 8],
        n: 0,
        heap: Vec::new(),
    };
    for item in items {
        let v = Value::JsonUnchecked(item.map_err(|e| e.to_string())?);
        if out.n < out.stack.len() {
            out.stack[out.n] = v;
            out.n += 1;
        } else {
            if out.heap.is_empty() {
                out.heap.extend_from_slice(&out.stack);
            }
            out.heap.push(v);
        }
    }
    Ok(out)
}

/// The target of a broadcast: a namespace, maybe one room, maybe minus one socket.
pub(crate) fn target<'a>(
    nsp: &'a str,
    room: &'a [&'a str],
    except: &'a [sockwire_core::hub::SocketId],
) -> Target<'a> {
    Target::namespace(nsp).rooms(room).except_sockets(except)
}
