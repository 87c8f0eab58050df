//! `sw_hs_*` and `sw_accept_key`: the RFC 6455 §4 opening handshake, both roles.

use core::ffi::{c_char, c_int};
use std::ffi::CString;

use sockwire_core::handshake::{
    AcceptOptions, ClientHandshake, ClientOptions, HandshakeError, ServerHandshake, verify_response,
};
use sockwire_core::http::{HeadConfig, HeadParser, Header, Status};

use crate::*;

/// Caps of the HTTP head parser (`sw_head_config` in C).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwHeadConfig {
    /// Longest head accepted, in bytes (default 8192).
    pub max_head_len: usize,
    /// Most header fields accepted (default 128).
    pub max_headers: usize,
}

/// Hard ceiling on header slots, whatever the configuration asks (memory per parse call).
const MAX_SLOTS: usize = 4096;

impl SwHeadConfig {
    fn from_ptr(cfg: *const SwHeadConfig) -> SwHeadConfig {
        if cfg.is_null() {
            let d = HeadConfig::new();
            SwHeadConfig {
                max_head_len: d.max_head_len,
                max_headers: d.max_headers,
            }
        } else {
            // SAFETY: non-null and readable (the caller's contract, stated on every entry).
            unsafe { *cfg }
        }
    }

    fn to_core(self) -> HeadConfig {
        HeadConfig::new()
            .max_head_len(self.max_head_len)
            .max_headers(self.max_headers.min(MAX_SLOTS))
    }
}

/// Writes the defaults into `*cfg`.
///
/// # Safety
///
/// `cfg` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_head_config_init(cfg: *mut SwHeadConfig) -> c_int {
    if cfg.is_null() {
        return SW_ERR_NULL;
    }
    // SAFETY: writable (the caller's contract); NULL means defaults.
    unsafe { put(cfg, SwHeadConfig::from_ptr(core::ptr::null())) };
    SW_OK
}

/// `Sec-WebSocket-Accept` for `key` (any bytes, as sent): 28 bytes written to `out`.
///
/// # Safety
///
/// `key` NULL with `len` 0 or `len` readable bytes; `out` 28 writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_accept_key(key: *const u8, len: usize, out: *mut u8) -> c_int {
    guard(|| {
        // SAFETY: forwarded caller contracts.
        let (key, out) = match unsafe { (bytes(key, len), bytes_mut(out, 28)) } {
            (Ok(k), Ok(o)) if !o.is_empty() => (k, o),
            (Err(e), _) | (_, Err(e)) => return e,
            _ => return SW_ERR_NULL,
        };
        out.copy_from_slice(&sockwire_core::handshake::accept_key(key));
        SW_OK
    })
}

/// A server handshake in progress (`sw_hs_server` in C).
#[derive(Debug)]
pub struct SwHsServer {
    hs: ServerHandshake,
    cfg: SwHeadConfig,
    protocol: CString,
    target: CString,
    err: CString,
}

/// A server handshake; `cfg` may be NULL (defaults). Free with `sw_hs_server_free`.
///
/// # Safety
///
/// `cfg` NULL or readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_hs_server_new(cfg: *const SwHeadConfig) -> *mut SwHsServer {
    let cfg = SwHeadConfig::from_ptr(cfg);
    Box::into_raw(Box::new(SwHsServer {
        hs: ServerHandshake::new(cfg.to_core()),
        cfg,
        protocol: CString::default(),
        target: CString::default(),
        err: CString::default(),
    }))
}

/// Frees a server handshake (NULL is ignored).
///
/// # Safety
///
/// `hs` NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_hs_server_free(hs: *mut SwHsServer) {
    if !hs.is_null() {
        // SAFETY: a live handle from `Box::into_raw`.
        drop(unsafe { Box::from_raw(hs) });
    }
}

/// Parses and validates the request received so far: pass the whole buffer each time (new
/// bytes appended). Returns:
/// * `SW_PARTIAL`: read more (work stays linear in the bytes received);
/// * `SW_OK`: the `101` response is in `out` (`*out_len` bytes), `*head_len` is the length of
///   the request head (bytes after it belong to `sw_ws_recv`). `protocols` lists the server's
///   subprotocols in preference order; the first the client offered is chosen
///   (`sw_hs_server_protocol`);
/// * `SW_ERR_HANDSHAKE`: refused; the ready 400/426/431 response is in `out` when it fits
///   (`*out_len`, 0 if none), `sw_hs_server_last_error` says why; write it and close;
/// * `SW_ERR_BUFFER`: `out` is too small for the 101; `*out_len` is the size needed.
///
/// # Safety
///
/// `hs` live; `buf` readable for `len`; `protocols` NULL with `n_protocols` 0 or that many
/// NUL-terminated strings; `out` writable for `out_cap`; `out_len`, `head_len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_hs_server_parse(
    hs: *mut SwHsServer,
    buf: *const u8,
    len: usize,
    protocols: *const *const c_char,
    n_protocols: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
    head_len: *mut usize,
) -> c_int {
    if hs.is_null() {
        return SW_ERR_NULL;
    }
    guard(|| {
        // SAFETY: forwarded caller contracts.
        unsafe {
            put(out_len, 0);
            put(head_len, 0);
            let h = &mut *hs;
            let (buf, out) = match (bytes(buf, len), bytes_mut(out, out_cap)) {
                (Ok(b), Ok(o)) => (b, o),
                (Err(e), _) | (_, Err(e)) => return e,
            };
            let mut supported = Vec::new();
            if n_protocols > 0 {
                if protocols.is_null() {
                    return SW_ERR_NULL;
                }
                for i in 0..n_protocols.min(256) {
                    match cstr(*protocols.add(i)) {
                        Ok(p) => supported.push(p),
                        Err(e) => return e,
                    }
                }
            }
            let mut slots = vec![Header::EMPTY; h.cfg.max_headers.clamp(1, MAX_SLOTS)];
            let req = match h.hs.parse(buf, &mut slots) {
                Ok(Status::Partial) => return SW_PARTIAL,
                Ok(Status::Complete(r)) => r,
                Err(e) => {
                    if let Some(resp) = e.response() {
                        if resp.len() <= out.len() {
                            out[..resp.len()].copy_from_slice(resp);
                            put(out_len, resp.len());
                        }
                    }
                    h.err = message(e);
                    return SW_ERR_HANDSHAKE;
                }
            };
            let chosen = supported
                .iter()
                .copied()
                .find(|p| req.offers_subprotocol(p));
            let accept = match req.accept(&AcceptOptions::new().subprotocol(chosen)) {
                Ok(a) => a,
                Err(e) => {
                    h.err = message(e);
                    return SW_ERR_INVALID;
                }
            };
            match accept.encode(out) {
                Ok(n) => put(out_len, n),
                Err(HandshakeError::InsufficientSize { required }) => {
                    put(out_len, required);
                    h.err = message("output buffer too small for the 101 response");
                    return SW_ERR_BUFFER;
                }
                Err(e) => {
                    h.err = message(e);
                    return SW_ERR_INVALID;
                }
            }
            h.protocol = message(chosen.unwrap_or(""));
            h.target = message(req.target());
            put(head_len, req.head_len());
            SW_OK
        }
    })
}

/// The subprotocol chosen by the latest successful parse ("" when none). Valid until the next
/// call on the handle.
///
/// # Safety
///
/// `hs` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_hs_server_protocol(hs: *const SwHsServer) -> *const c_char {
    // SAFETY: `hs` is NULL or live (this function's contract).
    unsafe { field_str(hs, |h| &h.protocol) }
}

/// The request target (path and query) of the latest successful parse.
///
/// # Safety
///
/// `hs` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_hs_server_target(hs: *const SwHsServer) -> *const c_char {
    // SAFETY: `hs` is NULL or live (this function's contract).
    unsafe { field_str(hs, |h| &h.target) }
}

/// Why the latest parse failed ("" when it did not).
///
/// # Safety
///
/// `hs` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_hs_server_last_error(hs: *const SwHsServer) -> *const c_char {
    // SAFETY: `hs` is NULL or live (this function's contract).
    unsafe { field_str(hs, |h| &h.err) }
}

/// A client handshake (`sw_hs_client` in C): the request it sent and what it must verify.
#[derive(Debug)]
pub struct SwHsClient {
    request: Vec<u8>,
    expected: [u8; 28],
    offered: Vec<String>,
    parser: HeadParser,
    cfg: SwHeadConfig,
    protocol: CString,
    err: CString,
}

/// Builds the Upgrade request for `host` and `target` (e.g. "/chat?x=1") with the 16-byte
/// `nonce` (unpredictable, from the caller) and optional subprotocols. NULL on a NULL or
/// invalid argument. Free with `sw_hs_client_free`.
///
/// # Safety
///
/// `host`, `target` NUL-terminated; `nonce` 16 readable bytes; `protocols` NULL with
/// `n_protocols` 0 or that many NUL-terminated strings; `cfg` NULL or readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_hs_client_new(
    host: *const c_char,
    target: *const c_char,
    nonce: *const u8,
    protocols: *const *const c_char,
    n_protocols: usize,
    cfg: *const SwHeadConfig,
) -> *mut SwHsClient {
    std::panic::catch_unwind(|| {
        // SAFETY: forwarded caller contracts.
        unsafe {
            let (Ok(host), Ok(target), Ok(nonce)) = (cstr(host), cstr(target), bytes(nonce, 16))
            else {
                return core::ptr::null_mut();
            };
            let Ok(nonce) = <[u8; 16]>::try_from(nonce) else {
                return core::ptr::null_mut();
            };
            let mut offered = Vec::new();
            if n_protocols > 0 && protocols.is_null() {
                return core::ptr::null_mut();
            }
            for i in 0..n_protocols.min(256) {
                match cstr(*protocols.add(i)) {
                    Ok(p) => offered.push(p.to_owned()),
                    Err(_) => return core::ptr::null_mut(),
                }
            }
            let refs: Vec<&str> = offered.iter().map(String::as_str).collect();
            let cfg = SwHeadConfig::from_ptr(cfg);
            let opts = ClientOptions::new(host, target, nonce).subprotocols(&refs);
            let Ok(hs) = ClientHandshake::with_config(opts, cfg.to_core()) else {
                return core::ptr::null_mut();
            };
            let mut request = Vec::new();
            hs.encode_to_vec(&mut request);
            let mut expected = [0u8; 28];
            expected.copy_from_slice(hs.expected_accept().as_bytes());
            Box::into_raw(Box::new(SwHsClient {
                request,
                expected,
                offered,
                parser: HeadParser::new(cfg.to_core()),
                cfg,
                protocol: CString::default(),
                err: CString::default(),
            }))
        }
    })
    .unwrap_or(core::ptr::null_mut())
}

/// Frees a client handshake (NULL is ignored).
///
/// # Safety
///
/// `hs` NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_hs_client_free(hs: *mut SwHsClient) {
    if !hs.is_null() {
        // SAFETY: a live handle from `Box::into_raw`.
        drop(unsafe { Box::from_raw(hs) });
    }
}

/// The request bytes to write (owned by the handle, valid until `sw_hs_client_free`).
///
/// # Safety
///
/// `hs` live; `ptr`, `len` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_hs_client_request(
    hs: *const SwHsClient,
    ptr: *mut *const u8,
    len: *mut usize,
) -> c_int {
    if hs.is_null() || ptr.is_null() || len.is_null() {
        return SW_ERR_NULL;
    }
    // SAFETY: a live handle; writable outputs.
    unsafe {
        put(ptr, (*hs).request.as_ptr());
        put(len, (*hs).request.len());
    }
    SW_OK
}

/// Parses and verifies the response received so far (whole buffer each time). `SW_PARTIAL`:
/// read more; `SW_OK`: switched, `*head_len` is the response head's length (bytes after it
/// belong to `sw_ws_recv`); `SW_ERR_HANDSHAKE`: refused (wrong accept, unoffered subprotocol
/// or extension, a status other than 101...), see `sw_hs_client_last_error`.
///
/// # Safety
///
/// `hs` live; `buf` readable for `len`; `head_len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_hs_client_parse(
    hs: *mut SwHsClient,
    buf: *const u8,
    len: usize,
    head_len: *mut usize,
) -> c_int {
    if hs.is_null() {
        return SW_ERR_NULL;
    }
    guard(|| {
        // SAFETY: forwarded caller contracts.
        unsafe {
            put(head_len, 0);
            let h = &mut *hs;
            let buf = match bytes(buf, len) {
                Ok(b) => b,
                Err(e) => return e,
            };
            let mut slots = vec![Header::EMPTY; h.cfg.max_headers.clamp(1, MAX_SLOTS)];
            let resp = match h.parser.parse_response(buf, &mut slots) {
                Ok(Status::Partial) => return SW_PARTIAL,
                Ok(Status::Complete(r)) => r,
                Err(e) => {
                    h.err = message(e);
                    return SW_ERR_HANDSHAKE;
                }
            };
            let offered = &h.offered;
            let verified = verify_response(
                resp,
                &h.expected,
                |p| offered.iter().any(|o| o.as_bytes() == p),
                |_| false,
            );
            match verified {
                Ok(a) => {
                    h.protocol = message(a.subprotocol().unwrap_or(""));
                    put(head_len, a.head_len());
                    SW_OK
                }
                Err(e) => {
                    h.err = message(e);
                    SW_ERR_HANDSHAKE
                }
            }
        }
    })
}

/// The subprotocol the server chose ("" when none).
///
/// # Safety
///
/// `hs` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_hs_client_protocol(hs: *const SwHsClient) -> *const c_char {
    // SAFETY: `hs` is NULL or live (this function's contract).
    unsafe { field_str(hs, |h| &h.protocol) }
}

/// Why the latest parse failed ("" when it did not).
///
/// # Safety
///
/// `hs` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_hs_client_last_error(hs: *const SwHsClient) -> *const c_char {
    // SAFETY: `hs` is NULL or live (this function's contract).
    unsafe { field_str(hs, |h| &h.err) }
}
