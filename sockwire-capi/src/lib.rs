//! The C ABI of sockwire: a push-style, sans-IO WebSocket for any host that can call C.
//!
//! The header `include/sockwire.h` is the contract, with the ownership and lifetime of every
//! pointer; this crate implements it over the Rust API and adds nothing of its own to the
//! protocol. Every function:
//!
//! * checks its pointers (a required NULL is [`SW_ERR_NULL`]) and lengths (over `isize::MAX`
//!   is [`SW_ERR_INVALID`]) before reading anything;
//! * runs inside `catch_unwind`, so a bug can never unwind into C: it returns [`SW_ERR_PANIC`]
//!   and the handle refuses every later call with the same code (the core is written not to
//!   panic; this is the belt to that brace);
//! * keeps all state in the handle it is given: no globals, no thread-locals, so handles are
//!   thread-compatible (one thread at a time per handle, any number of handles in parallel).
//!
//! Modules: [`ws`] (the connection), [`hs`] (the opening handshake, both roles, and
//! `sw_accept_key`), [`sio`] (the Socket.IO packet codec), [`server`] (a whole Socket.IO
//! server driven through the [`Machine`](sockwire_core::machine::Machine) contract).

use core::ffi::{c_char, c_int};
use core::panic::AssertUnwindSafe;
use std::ffi::CString;

pub mod hs;
pub mod server;
pub mod sio;
pub mod ws;

/// Success.
pub const SW_OK: c_int = 0;
/// More input is needed (a handshake head is incomplete).
pub const SW_PARTIAL: c_int = 1;
/// A required pointer argument was NULL.
pub const SW_ERR_NULL: c_int = -1;
/// The peer violated the protocol; the reply (a Close frame) is queued for transmit.
pub const SW_ERR_PROTOCOL: c_int = -2;
/// An event is still pending: drain `sw_ws_poll_event` before feeding more bytes.
pub const SW_ERR_EVENT_PENDING: c_int = -3;
/// The connection is closing or closed: the command was refused.
pub const SW_ERR_CLOSED: c_int = -4;
/// The handshake was refused; a ready HTTP response may have been written.
pub const SW_ERR_HANDSHAKE: c_int = -5;
/// The caller's output buffer is too small; `*out_len` holds the size needed.
pub const SW_ERR_BUFFER: c_int = -6;
/// An argument is invalid (bad UTF-8 text, oversized control payload, bad close code, length
/// over `isize::MAX`, malformed packet or JSON).
pub const SW_ERR_INVALID: c_int = -7;
/// An internal bug was caught at the boundary; the handle is unusable.
pub const SW_ERR_PANIC: c_int = -8;

/// A static description of a status code (never NULL; valid for the life of the program).
#[unsafe(no_mangle)]
pub extern "C" fn sw_strerror(code: c_int) -> *const c_char {
    let s: &'static [u8] = match code {
        SW_OK => b"ok\0",
        SW_PARTIAL => b"more input needed\0",
        SW_ERR_NULL => b"a required pointer was NULL\0",
        SW_ERR_PROTOCOL => b"protocol error (a Close frame is queued)\0",
        SW_ERR_EVENT_PENDING => b"an event is pending: drain sw_ws_poll_event first\0",
        SW_ERR_CLOSED => b"the connection is closing or closed\0",
        SW_ERR_HANDSHAKE => b"handshake refused\0",
        SW_ERR_BUFFER => b"output buffer too small\0",
        SW_ERR_INVALID => b"invalid argument\0",
        SW_ERR_PANIC => b"internal error (the handle is unusable)\0",
        _ => b"unknown status\0",
    };
    s.as_ptr().cast()
}

/// Runs `f`, turning a panic into [`SW_ERR_PANIC`].
pub(crate) fn guard(f: impl FnOnce() -> c_int) -> c_int {
    std::panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or(SW_ERR_PANIC)
}

/// Borrows `len` bytes at `p` (NULL allowed when `len` is 0).
///
/// # Safety
///
/// Unless NULL, `p` must point to `len` readable bytes that stay valid and unchanged for `'a`.
pub(crate) unsafe fn bytes<'a>(p: *const u8, len: usize) -> Result<&'a [u8], c_int> {
    if len > isize::MAX as usize {
        return Err(SW_ERR_INVALID);
    }
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(SW_ERR_NULL);
    }
    // SAFETY: non-null, `len` bytes readable for `'a` (the caller's contract), len ≤ isize::MAX.
    Ok(unsafe { core::slice::from_raw_parts(p, len) })
}

/// Borrows `len` writable bytes at `p` (NULL allowed when `len` is 0).
///
/// # Safety
///
/// Unless NULL, `p` must point to `len` writable bytes, not aliased elsewhere for `'a`.
pub(crate) unsafe fn bytes_mut<'a>(p: *mut u8, len: usize) -> Result<&'a mut [u8], c_int> {
    if len > isize::MAX as usize {
        return Err(SW_ERR_INVALID);
    }
    if len == 0 {
        return Ok(&mut []);
    }
    if p.is_null() {
        return Err(SW_ERR_NULL);
    }
    // SAFETY: non-null, `len` writable and unaliased bytes for `'a` (the caller's contract).
    Ok(unsafe { core::slice::from_raw_parts_mut(p, len) })
}

/// Borrows a NUL-terminated string as UTF-8.
///
/// # Safety
///
/// Unless NULL, `p` must point to a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn cstr<'a>(p: *const c_char) -> Result<&'a str, c_int> {
    if p.is_null() {
        return Err(SW_ERR_NULL);
    }
    // SAFETY: non-null and NUL-terminated (the caller's contract).
    let s = unsafe { core::ffi::CStr::from_ptr(p) };
    s.to_str().map_err(|_| SW_ERR_INVALID)
}

/// A string field of a handle as a C string: `""` when the handle is NULL. The pointer stays
/// valid until the field next changes (the next call on the handle) or the handle is freed.
///
/// # Safety
///
/// Unless NULL, `h` must point to a live handle.
pub(crate) unsafe fn field_str<T>(
    h: *const T,
    field: impl FnOnce(&T) -> &CString,
) -> *const c_char {
    if h.is_null() {
        return c"".as_ptr();
    }
    // SAFETY: non-null and live (the caller's contract).
    field(unsafe { &*h }).as_ptr()
}

/// Writes `v` through `p` if it is not NULL.
///
/// # Safety
///
/// Unless NULL, `p` must be valid for a write of `T`.
pub(crate) unsafe fn put<T>(p: *mut T, v: T) {
    if !p.is_null() {
        // SAFETY: non-null and writable (the caller's contract).
        unsafe { p.write(v) }
    }
}

/// An error message kept in a handle for `*_last_error` (NUL-terminated, no interior NUL).
pub(crate) fn message(text: impl core::fmt::Display) -> CString {
    let s = text.to_string().replace('\0', " ");
    CString::new(s).unwrap_or_default()
}

/// Nanoseconds since the caller's epoch as the core's time type.
pub(crate) fn ns(now_ns: u64) -> core::time::Duration {
    core::time::Duration::from_nanos(now_ns)
}

/// The core crate, for the Rust benchmark and fuzz target that compare against it.
#[doc(hidden)]
pub use sockwire_core as core_crate;

/// `sizeof` of each public struct as laid out here (1 `sw_ws_config`, 2 `sw_ws_event`,
/// 3 `sw_head_config`, 4 `sw_sio_packet`, 5 `sw_sio_server_config`, 6 `sw_sio_server_event`), so the C tests can check the header against it.
#[unsafe(no_mangle)]
pub extern "C" fn sw_abi_struct_size(which: c_int) -> usize {
    match which {
        1 => size_of::<ws::SwWsConfig>(),
        2 => size_of::<ws::SwWsEvent>(),
        3 => size_of::<hs::SwHeadConfig>(),
        4 => size_of::<sio::SwSioPacket>(),
        5 => size_of::<server::SwSioServerConfig>(),
        6 => size_of::<server::SwSioServerEvent>(),
        _ => 0,
    }
}
