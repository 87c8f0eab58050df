//! `sw_sio_*`: the Socket.IO v5 packet codec (decode with binary attachments, encode an event
//! from raw JSON arguments).

use core::ffi::{c_char, c_int};
use std::ffi::CString;

use sockwire_core::socketio::{DecodeConfig, Decoder, OwnedPacket, Packet, Value, packet};

use crate::*;

/// A decoded packet (`sw_sio_packet` in C). Pointers stay valid until the next call on the
/// decoder (and, for a text packet, while the text passed to it is unchanged).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SwSioPacket {
    /// 0 CONNECT, 1 DISCONNECT, 2 EVENT, 3 ACK, 4 CONNECT_ERROR, 5 BINARY_EVENT, 6 BINARY_ACK.
    pub kind: i32,
    /// The namespace ("/" when absent).
    pub nsp: *const u8,
    /// Its length.
    pub nsp_len: usize,
    /// 1 when the packet has an ack id.
    pub has_id: i32,
    /// The ack id.
    pub id: u64,
    /// The raw JSON payload (validated), or NULL when there is none.
    pub data: *const u8,
    /// Its length.
    pub data_len: usize,
    /// The event name, unescaped (events only; NULL otherwise).
    pub event: *const u8,
    /// Its length.
    pub event_len: usize,
    /// Number of binary attachments (read them with `sw_sio_decoder_attachment`).
    pub attachments: usize,
}

/// A streaming decoder (`sw_sio_decoder` in C).
#[derive(Debug)]
pub struct SwSioDecoder {
    dec: Decoder,
    /// The latest binary packet, complete with its attachments.
    owned: Option<OwnedPacket>,
    event: String,
    err: CString,
}

/// A decoder with caps (0 keeps a default: 1,000,000 bytes, 10 attachments, depth 128).
#[unsafe(no_mangle)]
pub extern "C" fn sw_sio_decoder_new(
    max_packet_bytes: usize,
    max_attachments: usize,
    max_depth: usize,
) -> *mut SwSioDecoder {
    let mut cfg = DecodeConfig::new();
    if max_packet_bytes != 0 {
        cfg.max_packet_bytes = max_packet_bytes;
    }
    if max_attachments != 0 {
        cfg.max_attachments = max_attachments;
    }
    if max_depth != 0 {
        cfg.max_depth = max_depth;
    }
    Box::into_raw(Box::new(SwSioDecoder {
        dec: Decoder::new(cfg),
        owned: None,
        event: String::new(),
        err: CString::default(),
    }))
}

/// Frees a decoder (NULL is ignored).
///
/// # Safety
///
/// `d` NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_decoder_free(d: *mut SwSioDecoder) {
    if !d.is_null() {
        // SAFETY: a live handle from `Box::into_raw`.
        drop(unsafe { Box::from_raw(d) });
    }
}

fn fill(event: &mut String, p: &Packet<'_>, attachments: usize) -> SwSioPacket {
    let nsp = p.nsp();
    let data = p.data();
    event.clear();
    let has_event = match p.event_name() {
        Some(name) => {
            event.push_str(&name);
            true
        }
        None => false,
    };
    SwSioPacket {
        kind: p.kind() as i32,
        nsp: nsp.as_ptr(),
        nsp_len: nsp.len(),
        has_id: i32::from(p.id().is_some()),
        id: p.id().unwrap_or(0),
        data: data.map_or(core::ptr::null(), str::as_ptr),
        data_len: data.map_or(0, str::len),
        event: if has_event {
            event.as_ptr()
        } else {
            core::ptr::null()
        },
        event_len: if has_event { event.len() } else { 0 },
        attachments,
    }
}

/// Decodes one text message (the Socket.IO packet, without the Engine.IO `4`). Returns 1 with
/// `*out` filled for a complete packet, 0 for a binary packet header (feed its attachments with
/// `sw_sio_decoder_feed_binary`), or `SW_ERR_INVALID` (`sw_sio_decoder_last_error` says what
/// and where; the decoder is reset).
///
/// # Safety
///
/// `d` live; `text` readable for `len`; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_decoder_feed_text(
    d: *mut SwSioDecoder,
    text: *const c_char,
    len: usize,
    out: *mut SwSioPacket,
) -> c_int {
    if d.is_null() || out.is_null() {
        return SW_ERR_NULL;
    }
    guard(|| {
        // SAFETY: forwarded caller contracts.
        unsafe {
            let d = &mut *d;
            let b = match bytes(text.cast(), len) {
                Ok(b) => b,
                Err(e) => return e,
            };
            let Ok(t) = core::str::from_utf8(b) else {
                d.err = message("the packet is not UTF-8");
                return SW_ERR_INVALID;
            };
            d.owned = None;
            match d.dec.feed_text(t) {
                Ok(Some(p)) => {
                    put(out, fill(&mut d.event, &p, 0));
                    1
                }
                Ok(None) => 0,
                Err(e) => {
                    d.err = message(e);
                    SW_ERR_INVALID
                }
            }
        }
    })
}

/// Adds one binary attachment of the pending packet. Returns 1 with `*out` filled when it was
/// the last one, 0 when more are expected, or `SW_ERR_INVALID`.
///
/// # Safety
///
/// `d` live; `data` readable for `len`; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_decoder_feed_binary(
    d: *mut SwSioDecoder,
    data: *const u8,
    len: usize,
    out: *mut SwSioPacket,
) -> c_int {
    if d.is_null() || out.is_null() {
        return SW_ERR_NULL;
    }
    guard(|| {
        // SAFETY: forwarded caller contracts.
        unsafe {
            let d = &mut *d;
            let b = match bytes(data, len) {
                Ok(b) => b,
                Err(e) => return e,
            };
            match d.dec.feed_binary(b) {
                Ok(Some(p)) => {
                    let n = p.attachments().len();
                    let owned = d.owned.insert(p);
                    put(out, fill(&mut d.event, &owned.packet(), n));
                    1
                }
                Ok(None) => 0,
                Err(e) => {
                    d.err = message(e);
                    SW_ERR_INVALID
                }
            }
        }
    })
}

/// Attachment `i` of the latest complete binary packet (its placeholder `num`).
///
/// # Safety
///
/// `d` live; `ptr`, `len` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_decoder_attachment(
    d: *const SwSioDecoder,
    i: usize,
    ptr: *mut *const u8,
    len: *mut usize,
) -> c_int {
    if d.is_null() || ptr.is_null() || len.is_null() {
        return SW_ERR_NULL;
    }
    // SAFETY: a live handle; writable outputs.
    unsafe {
        match (*d).owned.as_ref().and_then(|p| p.attachments().get(i)) {
            Some(a) => {
                put(ptr, a.as_ptr());
                put(len, a.len());
                SW_OK
            }
            None => SW_ERR_INVALID,
        }
    }
}

/// Why the latest feed failed ("" when none).
///
/// # Safety
///
/// `d` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_decoder_last_error(d: *const SwSioDecoder) -> *const c_char {
    // SAFETY: `d` is NULL or live (this function's contract).
    unsafe { field_str(d, |h| &h.err) }
}

/// Encodes an EVENT packet: namespace `nsp` ("/" or NULL for the main one), an ack id when
/// `has_id`, the event name, and `args_json`, a JSON array of the arguments (validated; may be
/// NULL or "[]" for none). Writes the packet text to `out`; `SW_ERR_BUFFER` with `*out_len` the
/// size needed when `out` is too small; `SW_ERR_INVALID` for a reserved event name or invalid
/// JSON.
///
/// # Safety
///
/// `nsp`, `event`, `args_json` NULL with length 0 or readable for their lengths; `out` writable
/// for `cap`; `out_len` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sio_encode_event(
    nsp: *const c_char,
    nsp_len: usize,
    has_id: c_int,
    id: u64,
    event: *const c_char,
    event_len: usize,
    args_json: *const c_char,
    args_len: usize,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> c_int {
    if out_len.is_null() {
        return SW_ERR_NULL;
    }
    guard(|| {
        // SAFETY: forwarded caller contracts.
        unsafe {
            put(out_len, 0);
            let parts = (
                bytes(nsp.cast(), nsp_len),
                bytes(event.cast(), event_len),
                bytes(args_json.cast(), args_len),
                bytes_mut(out.cast(), cap),
            );
            let (nsp, event, args, out) = match parts {
                (Ok(a), Ok(b), Ok(c), Ok(d)) => (a, b, c, d),
                (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => return e,
            };
            let utf8 = |b| core::str::from_utf8(b).map_err(|_| SW_ERR_INVALID);
            let (nsp, event, args) = match (utf8(nsp), utf8(event), utf8(args)) {
                (Ok(a), Ok(b), Ok(c)) => (if a.is_empty() { "/" } else { a }, b, c),
                _ => return SW_ERR_INVALID,
            };
            let mut values = Vec::new();
            if !args.trim_ascii().is_empty() {
                let Ok(items) = sockwire_core::json::array_items(args) else {
                    return SW_ERR_INVALID;
                };
                for item in items {
                    match item {
                        Ok(v) => values.push(Value::Json(v)),
                        Err(_) => return SW_ERR_INVALID,
                    }
                }
            }
            let mut text = String::new();
            let mut atts = Vec::new();
            let id = (has_id != 0).then_some(id);
            if packet::encode_event(&mut text, &mut atts, nsp, id, event, &values).is_err() {
                return SW_ERR_INVALID;
            }
            put(out_len, text.len());
            if text.len() > out.len() {
                return SW_ERR_BUFFER;
            }
            out[..text.len()].copy_from_slice(text.as_bytes());
            SW_OK
        }
    })
}
