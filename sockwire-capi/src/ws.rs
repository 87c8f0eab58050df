//! `sw_ws_*`: one WebSocket connection (RFC 6455 §5–7) after the opening handshake.

use core::ffi::{c_char, c_int, c_void};
use std::ffi::CString;

use sockwire_core::frame::CloseCode;
use sockwire_core::ws::{
    Connection, ConnectionConfig, Event, MaskKeySource, MessageKind, ReceiveMode,
};

use crate::*;

/// Fills `len` bytes at `out` with unpredictable bytes (client mask keys).
pub type SwRandomFn = Option<unsafe extern "C" fn(user: *mut c_void, out: *mut u8, len: usize)>;

/// Limits and timers of a connection (`sw_ws_config` in C). Initialise with
/// [`sw_ws_config_init`], then change fields.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwWsConfig {
    /// Largest frame payload accepted (bytes).
    pub max_frame_size: u64,
    /// Largest message accepted (bytes), checked from each frame header before its payload.
    pub max_message_size: u64,
    /// Most frames one message may span.
    pub max_fragments: u32,
    /// 0: whole messages (`SW_EV_TEXT` / `SW_EV_BINARY`); 1: chunks as they arrive.
    pub receive_mode: u8,
    /// 1: answer Pings automatically (default); 0: the application answers.
    pub auto_pong: u8,
    /// Interval of keepalive Pings in nanoseconds; 0 disables keepalive (default).
    pub keepalive_ns: u64,
    /// How long to wait for a Pong after a keepalive Ping (ns).
    pub pong_timeout_ns: u64,
    /// How long to wait for the peer's Close (server) or EOF (client) after ours (ns).
    pub close_timeout_ns: u64,
}

const DEFAULT_CONFIG: SwWsConfig = SwWsConfig {
    max_frame_size: 16 << 20,
    max_message_size: 16 << 20,
    max_fragments: 16384,
    receive_mode: 0,
    auto_pong: 1,
    keepalive_ns: 0,
    pong_timeout_ns: 20_000_000_000,
    close_timeout_ns: 5_000_000_000,
};

impl SwWsConfig {
    /// The core's configuration for these values.
    pub fn to_core(&self) -> ConnectionConfig {
        ConnectionConfig::new()
            .max_frame_size(self.max_frame_size)
            .max_message_size(self.max_message_size)
            .max_fragments(self.max_fragments)
            .receive_mode(if self.receive_mode == 1 {
                ReceiveMode::Stream
            } else {
                ReceiveMode::Messages
            })
            .auto_pong(self.auto_pong != 0)
            .keepalive((self.keepalive_ns != 0).then(|| ns(self.keepalive_ns)))
            .pong_timeout(ns(self.pong_timeout_ns))
            .close_timeout(ns(self.close_timeout_ns))
    }
}

/// Writes the defaults (those of the Rust `ConnectionConfig::default()`) into `*cfg`.
///
/// # Safety
///
/// `cfg` must be NULL or valid for a write of `sw_ws_config`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_ws_config_init(cfg: *mut SwWsConfig) -> c_int {
    if cfg.is_null() {
        return SW_ERR_NULL;
    }
    // SAFETY: non-null and writable (the caller's contract).
    unsafe { put(cfg, DEFAULT_CONFIG) };
    SW_OK
}

/// Client mask keys from the caller's random function.
#[derive(Debug)]
pub struct Keys {
    f: SwRandomFn,
    user: *mut c_void,
}

impl MaskKeySource for Keys {
    fn next_key(&mut self) -> [u8; 4] {
        let mut k = [0u8; 4];
        if let Some(f) = self.f {
            // SAFETY: the function and its user pointer were given together by the caller,
            // who promised they are valid for the life of the handle; 4 writable bytes.
            unsafe { f(self.user, k.as_mut_ptr(), 4) };
        }
        k
    }
}

/// A WebSocket connection (`sw_ws` in C).
#[derive(Debug)]
pub struct SwWs {
    conn: Connection<Keys>,
    /// The rest of a transmit chunk longer than the caller's cap, handed out first.
    tx: Vec<u8>,
    tx_at: usize,
    /// The buffer of the latest `sw_ws_recv` (stream-mode chunks point into it).
    last_buf: *const u8,
    err: CString,
    poisoned: bool,
}

fn new_conn(cfg: *const SwWsConfig, server: bool, f: SwRandomFn, user: *mut c_void) -> *mut SwWs {
    let cfg = if cfg.is_null() {
        DEFAULT_CONFIG
    } else {
        // SAFETY: non-null and readable (the caller's contract).
        unsafe { *cfg }
    };
    let keys = Keys { f, user };
    let conn = if server {
        Connection::new(sockwire_core::Role::Server, cfg.to_core(), keys)
    } else {
        Connection::client(cfg.to_core(), keys)
    };
    Box::into_raw(Box::new(SwWs {
        conn,
        tx: Vec::new(),
        tx_at: 0,
        last_buf: core::ptr::null(),
        err: CString::default(),
        poisoned: false,
    }))
}

/// A server connection (never masks). `cfg` may be NULL (defaults). Free with `sw_ws_free`.
///
/// # Safety
///
/// `cfg` must be NULL or point to a valid `sw_ws_config`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_ws_new_server(cfg: *const SwWsConfig) -> *mut SwWs {
    std::panic::catch_unwind(|| new_conn(cfg, true, None, core::ptr::null_mut()))
        .unwrap_or(core::ptr::null_mut())
}

/// A client connection; `random` provides its mask keys (required) and is called with `user`.
///
/// # Safety
///
/// `cfg` must be NULL or valid; `random` and `user` must stay valid until `sw_ws_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_ws_new_client(
    cfg: *const SwWsConfig,
    random: SwRandomFn,
    user: *mut c_void,
) -> *mut SwWs {
    if random.is_none() {
        return core::ptr::null_mut();
    }
    std::panic::catch_unwind(AssertUnwindSafe(|| new_conn(cfg, false, random, user)))
        .unwrap_or(core::ptr::null_mut())
}

/// Frees a connection (NULL is ignored). Every pointer it handed out becomes invalid.
///
/// # Safety
///
/// `c` must be NULL or a handle from `sw_ws_new_*` not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_ws_free(c: *mut SwWs) {
    if !c.is_null() {
        // SAFETY: a live handle from `Box::into_raw` (the caller's contract).
        drop(unsafe { Box::from_raw(c) });
    }
}

/// Runs `f` on a live handle.
///
/// # Safety
///
/// `c` must be NULL or a live handle, used by one thread at a time.
unsafe fn with(c: *mut SwWs, f: impl FnOnce(&mut SwWs) -> c_int) -> c_int {
    if c.is_null() {
        return SW_ERR_NULL;
    }
    // SAFETY: a live handle, not used concurrently (the caller's contract).
    let h = unsafe { &mut *c };
    if h.poisoned {
        return SW_ERR_PANIC;
    }
    let r = guard(|| f(h));
    if r == SW_ERR_PANIC {
        // SAFETY: as above; the closure that panicked no longer borrows the handle.
        unsafe { (*c).poisoned = true };
    }
    r
}

fn fail(h: &mut SwWs, code: c_int, e: impl core::fmt::Display) -> c_int {
    h.err = message(e);
    code
}

/// Feeds bytes read from the peer. `buf` is unmasked in place; `*consumed` is how many bytes
/// were used (the connection stops after each event: drain events, then call again with the
/// rest). Returns `SW_OK`, `SW_ERR_PROTOCOL` (a Close frame is queued; `sw_ws_last_error` says
/// why) or `SW_ERR_EVENT_PENDING`.
///
/// # Safety
///
/// `c` live; `buf` NULL with `len` 0, or `len` writable bytes; `consumed` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_ws_recv(
    c: *mut SwWs,
    now_ns: u64,
    buf: *mut u8,
    len: usize,
    consumed: *mut usize,
) -> c_int {
    // SAFETY: forwarded caller contracts.
    unsafe {
        put(consumed, 0);
        with(c, |h| recv(h, now_ns, buf, len, consumed))
    }
}

/// The body of `sw_ws_recv` on a live handle.
///
/// # Safety
///
/// `buf` NULL with `len` 0, or `len` writable bytes; `consumed` NULL or writable.
#[inline(always)]
unsafe fn recv(h: &mut SwWs, now_ns: u64, buf: *mut u8, len: usize, consumed: *mut usize) -> c_int {
    // SAFETY: forwarded caller contracts.
    let data = match unsafe { bytes_mut(buf, len) } {
        Ok(d) => d,
        Err(e) => return e,
    };
    h.last_buf = data.as_ptr();
    match h.conn.handle_read(ns(now_ns), data) {
        Ok(n) => {
            // SAFETY: NULL or writable (the caller's contract).
            unsafe { put(consumed, n) };
            SW_OK
        }
        Err(sockwire_core::ws::ProtocolError::EventPending) => {
            fail(h, SW_ERR_EVENT_PENDING, "an event is pending")
        }
        Err(e) => fail(h, SW_ERR_PROTOCOL, e),
    }
}

/// Event kinds of `sw_ws_event.kind`.
pub const SW_EV_TEXT: i32 = 1;
/// A complete binary message.
pub const SW_EV_BINARY: i32 = 2;
/// A piece of a text message (stream mode); `fin` ends it.
pub const SW_EV_TEXT_CHUNK: i32 = 3;
/// A piece of a binary message (stream mode).
pub const SW_EV_BINARY_CHUNK: i32 = 4;
/// A Ping arrived (answered already when `auto_pong`).
pub const SW_EV_PING: i32 = 5;
/// A Pong arrived.
pub const SW_EV_PONG: i32 = 6;
/// The peer's Close arrived (`code`, reason in `data`).
pub const SW_EV_CLOSE_RECEIVED: i32 = 7;
/// The connection is over (`code`, `clean`); always the last event.
pub const SW_EV_CLOSED: i32 = 8;

/// One event (`sw_ws_event` in C). `data` stays valid until the next call on the handle.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SwWsEvent {
    /// `SW_EV_*`.
    pub kind: i32,
    /// Chunks: 1 if this chunk ends the message.
    pub fin: i32,
    /// Close events: the code, or -1 when the peer's Close had none.
    pub code: i32,
    /// `SW_EV_CLOSED`: 1 if both Close frames were exchanged.
    pub clean: i32,
    /// The payload, reason or chunk (may be NULL when `len` is 0).
    pub data: *const u8,
    /// Its length.
    pub len: usize,
}

const NO_EVENT: SwWsEvent = SwWsEvent {
    kind: 0,
    fin: 0,
    code: -1,
    clean: 0,
    data: core::ptr::null(),
    len: 0,
};

/// The next event of `h` in C form, if any. Chunk events point into `h.last_buf`.
///
/// Inlined into both callers: as a call it returned the event through the stack, and the
/// caller's 16-byte copy of it to `*ev` stalled on store forwarding (72% of that function's
/// samples; `benches/overhead_ab.rs`).
#[inline(always)]
fn next_event(h: &mut SwWs) -> Option<SwWsEvent> {
    let last = h.last_buf;
    let e = h.conn.poll_event()?;
    let mut out = NO_EVENT;
    let (data, len) = match e {
        Event::Text(t) => {
            out.kind = SW_EV_TEXT;
            (t.as_ptr(), t.len())
        }
        Event::Binary(b) => {
            out.kind = SW_EV_BINARY;
            (b.as_ptr(), b.len())
        }
        Event::Chunk { kind, data, fin } => {
            out.kind = if kind == MessageKind::Text {
                SW_EV_TEXT_CHUNK
            } else {
                SW_EV_BINARY_CHUNK
            };
            out.fin = i32::from(fin);
            (last.wrapping_add(data.start), data.len())
        }
        Event::Ping(p) => {
            out.kind = SW_EV_PING;
            (p.as_ptr(), p.len())
        }
        Event::Pong(p) => {
            out.kind = SW_EV_PONG;
            (p.as_ptr(), p.len())
        }
        Event::CloseReceived { code, reason } => {
            out.kind = SW_EV_CLOSE_RECEIVED;
            out.code = code.map_or(-1, |c| i32::from(c.0));
            (reason.as_ptr(), reason.len())
        }
        Event::Closed { code, clean, error } => {
            out.kind = SW_EV_CLOSED;
            out.code = i32::from(code.0);
            out.clean = i32::from(clean);
            match error {
                // The peer error that failed the connection: in the event and in
                // `sw_ws_last_error` (a pong timeout is reported nowhere else).
                Some(e) => {
                    h.err = message(e);
                    let b = h.err.as_bytes();
                    (b.as_ptr(), b.len())
                }
                None => (core::ptr::null(), 0),
            }
        }
        _ => return None,
    };
    out.data = data;
    out.len = len;
    Some(out)
}

/// The next event, if any: returns 1 and fills `*ev`, or 0 when there is none.
///
/// # Safety
///
/// `c` live; `ev` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_ws_poll_event(c: *mut SwWs, ev: *mut SwWsEvent) -> c_int {
    if ev.is_null() {
        return SW_ERR_NULL;
    }
    // SAFETY: forwarded caller contracts; `last_buf` is the caller's latest recv buffer, which
    // it keeps until the chunk event is consumed (documented).
    unsafe {
        with(c, |h| match next_event(h) {
            Some(e) => {
                put(ev, e);
                1
            }
            None => 0,
        })
    }
}

/// `sw_ws_recv` followed by `sw_ws_poll_event` in one call (the fast path for a read loop):
/// feeds bytes and, when they complete an event, returns 1 with it in `*ev`; 0 when they did
/// not. Further events (if any) are read with `sw_ws_poll_event` as usual. Errors as
/// `sw_ws_recv`.
///
/// # Safety
///
/// As `sw_ws_recv`; `ev` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_ws_recv_event(
    c: *mut SwWs,
    now_ns: u64,
    buf: *mut u8,
    len: usize,
    consumed: *mut usize,
    ev: *mut SwWsEvent,
) -> c_int {
    if ev.is_null() {
        return SW_ERR_NULL;
    }
    // SAFETY: forwarded caller contracts.
    unsafe {
        put(consumed, 0);
        with(c, |h| match recv(h, now_ns, buf, len, consumed) {
            SW_OK => match next_event(h) {
                Some(e) => {
                    put(ev, e);
                    1
                }
                None => 0,
            },
            e => e,
        })
    }
}

/// The next bytes to write, at most `max` of them (0: no cap): returns 1 with `*ptr`/`*len`
/// set, or 0 when nothing is waiting. The bytes stay valid until the next call on the handle.
/// A partial write is the caller's to finish (keep the unwritten tail, as with `write(2)`).
///
/// # Safety
///
/// `c` live; `ptr` and `len` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_ws_poll_transmit(
    c: *mut SwWs,
    max: usize,
    ptr: *mut *const u8,
    len: *mut usize,
) -> c_int {
    if ptr.is_null() || len.is_null() {
        return SW_ERR_NULL;
    }
    let max = if max == 0 { usize::MAX } else { max };
    // SAFETY: forwarded caller contracts.
    unsafe {
        with(c, |h| {
            if !h.tx.is_empty() {
                if h.tx_at < h.tx.len() {
                    let n = (h.tx.len() - h.tx_at).min(max);
                    put(ptr, h.tx.as_ptr().wrapping_add(h.tx_at));
                    put(len, n);
                    h.tx_at += n;
                    return 1;
                }
                h.tx.clear();
                h.tx_at = 0;
            }
            let Some(bytes) = h.conn.poll_transmit() else {
                return 0;
            };
            let n = bytes.len().min(max);
            if n < bytes.len() {
                h.tx.extend_from_slice(&bytes[n..]);
            }
            put(ptr, bytes.as_ptr());
            put(len, n);
            1
        })
    }
}

/// When `sw_ws_handle_timeout` must next be called: returns 1 with `*deadline_ns` (same epoch
/// as `now_ns`), or 0 when no timer is armed.
///
/// # Safety
///
/// `c` live; `deadline_ns` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_ws_poll_timeout(c: *mut SwWs, deadline_ns: *mut u64) -> c_int {
    if deadline_ns.is_null() {
        return SW_ERR_NULL;
    }
    // SAFETY: forwarded caller contracts.
    unsafe {
        with(c, |h| match h.conn.poll_timeout() {
            Some(d) => {
                put(deadline_ns, u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
                1
            }
            None => 0,
        })
    }
}

/// Advances the timers (keepalive Ping, pong deadline, close timeout) to `now_ns`.
///
/// # Safety
///
/// `c` live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_ws_handle_timeout(c: *mut SwWs, now_ns: u64) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with(c, |h| {
            h.conn.handle_timeout(ns(now_ns));
            SW_OK
        })
    }
}

/// The peer closed its side of TCP (a read returned 0).
///
/// # Safety
///
/// `c` live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_ws_handle_eof(c: *mut SwWs, now_ns: u64) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with(c, |h| {
            h.conn.handle_eof(ns(now_ns));
            SW_OK
        })
    }
}

/// 1 when the caller should close the TCP connection (after draining transmit), else 0.
///
/// # Safety
///
/// `c` live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_ws_should_close(c: *mut SwWs) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        with(c, |h| {
            c_int::from(h.tx_at >= h.tx.len() && h.conn.should_close_tcp())
        })
    }
}

fn command(h: &mut SwWs, r: Result<(), sockwire_core::ws::ProtocolError>) -> c_int {
    use sockwire_core::ws::ProtocolError as P;
    match r {
        Ok(()) => SW_OK,
        Err(e @ (P::AfterClose | P::Closed)) => fail(h, SW_ERR_CLOSED, e),
        Err(e) => fail(h, SW_ERR_INVALID, e),
    }
}

/// `b` as text. Short all-ASCII messages (the common case of chat and RPC traffic) skip the
/// general validator, whose setup costs more than the check for them (5 ns of a 47 ns
/// round trip at 16 B, measured by `benches/overhead.rs`).
#[inline]
fn text(b: &[u8]) -> Result<&str, core::str::Utf8Error> {
    if b.is_ascii() {
        // SAFETY: every byte is below 0x80, and a string of ASCII bytes is valid UTF-8.
        Ok(unsafe { core::str::from_utf8_unchecked(b) })
    } else {
        core::str::from_utf8(b)
    }
}

/// Queues a text message (`data` must be UTF-8, else `SW_ERR_INVALID`).
///
/// # Safety
///
/// `c` live; `data` NULL with `len` 0 or `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_ws_send_text(c: *mut SwWs, data: *const u8, len: usize) -> c_int {
    // SAFETY: forwarded caller contracts.
    unsafe {
        with(c, |h| match bytes(data, len) {
            Err(e) => e,
            Ok(b) => match text(b) {
                Ok(t) => {
                    let r = h.conn.send_text(t);
                    command(h, r)
                }
                Err(e) => fail(h, SW_ERR_INVALID, e),
            },
        })
    }
}

/// Queues a binary message.
///
/// # Safety
///
/// `c` live; `data` NULL with `len` 0 or `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_ws_send_binary(c: *mut SwWs, data: *const u8, len: usize) -> c_int {
    // SAFETY: forwarded caller contracts.
    unsafe {
        with(c, |h| match bytes(data, len) {
            Err(e) => e,
            Ok(b) => {
                let r = h.conn.send_binary(b);
                command(h, r)
            }
        })
    }
}

/// Queues a Ping (payload at most 125 bytes).
///
/// # Safety
///
/// `c` live; `data` NULL with `len` 0 or `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_ws_send_ping(c: *mut SwWs, data: *const u8, len: usize) -> c_int {
    // SAFETY: forwarded caller contracts.
    unsafe {
        with(c, |h| match bytes(data, len) {
            Err(e) => e,
            Ok(b) => {
                let r = h.conn.ping(b);
                command(h, r)
            }
        })
    }
}

/// Starts the closing handshake with `code` (1000–1003, 1007–1014, 3000–4999) and a UTF-8
/// `reason` of at most 123 bytes.
///
/// # Safety
///
/// `c` live; `reason` NULL with `len` 0 or `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_ws_send_close(
    c: *mut SwWs,
    code: u16,
    reason: *const u8,
    len: usize,
) -> c_int {
    // SAFETY: forwarded caller contracts.
    unsafe {
        with(c, |h| match bytes(reason, len) {
            Err(e) => e,
            Ok(b) => match core::str::from_utf8(b) {
                Ok(t) => {
                    let r = h.conn.close(CloseCode(code), t);
                    command(h, r)
                }
                Err(e) => fail(h, SW_ERR_INVALID, e),
            },
        })
    }
}

/// The message of the handle's latest error (never NULL; "" when none). Valid until the next
/// call on the handle.
///
/// # Safety
///
/// `c` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_ws_last_error(c: *const SwWs) -> *const c_char {
    // SAFETY: `c` is NULL or live (this function's contract).
    unsafe { field_str(c, |h| &h.err) }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The ASCII shortcut of `text` (its one `unsafe`) agrees with the standard library's
        /// validation on arbitrary bytes, ASCII-heavy bytes and real strings.
        #[test]
        fn text_matches_std(
            raw in proptest::collection::vec(any::<u8>(), 0..64),
            ascii in proptest::collection::vec(0u8..0x80, 0..64),
            s in ".{0,24}",
        ) {
            for b in [&raw[..], &ascii[..], s.as_bytes()] {
                prop_assert_eq!(super::text(b).ok(), core::str::from_utf8(b).ok());
            }
        }
    }
}
