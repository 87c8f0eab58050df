//! sockwire glue for the shared peer benchmark (`../shared/tools/peer-bench`): sockwire beside
//! tungstenite, fastwebsockets, soketto, yawc, websocket-sans-io and embedded-websocket, in one
//! process, interleaved, with memcpy as the baseline.
//!
//! How to run (from the repository root; the harness copies this file over its `src/ours.rs`):
//!
//! ```sh
//! ../shared/tools/peer-bench/run.sh mask parse encode      # the frame-layer rows
//! ../shared/tools/peer-bench/run.sh --md                   # everything, markdown tables
//! ```
//!
//! It builds under `target/peer-bench` of the crate (`OURS_PATH`, default: this checkout). Hooks
//! still returning `None` have no `ours` row.
//!
//! Adapter for OUR crate: the single place to wire it into every workload.
//! Compiled only with `--features ours`. Each hook returns `None` until filled
//! in; a `Some(closure)` adds an "ours" row to that workload's table (closures,
//! not fn pointers, so calls can inline exactly like the peers' do).
//!
//! The dependency is available as `ours::...` (package `ours` = ./ours-stub by
//! default; point it at the real crate with `OURS_PATH=... ./bench-ours.sh`,
//! see README). Example once the crate exists:
//!
//! ```ignore
//! pub fn mask_fn() -> Option<impl Fn(&mut [u8], [u8; 4])> {
//!     Some(|buf: &mut [u8], m: [u8; 4]| ours::mask::apply_mask(buf, m))
//! }
//! ```
#![allow(dead_code)]

/// Workload 1: XOR `mask` into `buf` in place (phase 0 at buf[0]).
pub fn mask_fn() -> Option<impl Fn(&mut [u8], [u8; 4]) + Clone + 'static> {
    Some(|buf: &mut [u8], key: [u8; 4]| ours::mask::apply_mask(buf, key, 0))
}

/// Workload 2: called by `w_parse::drive` with the read buffer (masked client
/// text frames; the last one may be incomplete; the adapter may mutate it).
/// Decode every *complete* frame at the start, unmask (and validate UTF-8 if
/// that is part of our decode path), fold each payload into `acc` with
/// `*acc = crate::data::fold_frame(*acc, payload)`, and return the number of
/// bytes consumed (the driver moves the rest to the front and reads more).
/// A streaming decoder that keeps partial-frame state may consume everything.
pub fn parse_fn() -> Option<impl FnMut(&mut [u8], &mut u64) -> usize + 'static> {
    use ours::frame::{DecodeConfig, HeaderDecoder};
    use ours::ws::{Connection, ConnectionConfig, Event, ReceiveMode};
    // Default: the frame layer. A server receiving client frames (default caps: 16 MiB per
    // frame, strict lengths): `decode_frames` drains every complete frame, unmasking in place.
    // With `SOCKWIRE_PEER_PARSE=connection`: the whole receive path of a server `ws::Connection`
    // in stream mode (frame checks, unmasking, incremental UTF-8 of every text frame, events
    // drained), the work tungstenite's `WebSocket::read` row does. It keeps partial frames
    // itself, so it consumes the whole buffer.
    let through_connection = std::env::var("SOCKWIRE_PEER_PARSE").as_deref() == Ok("connection");
    let dec = HeaderDecoder::new(DecodeConfig::new(ours::Role::Server));
    let mut conn = Connection::server(ConnectionConfig::new().receive_mode(ReceiveMode::Stream));
    // The message being received: bytes so far, first byte, last byte.
    let (mut len, mut first, mut last) = (0usize, 0u8, 0u8);
    Some(move |buf: &mut [u8], acc: &mut u64| {
        if !through_connection {
            // Folded into a local and stored once per read: the closure's captured `acc` could
            // alias `buf` as far as the compiler knows, so folding through it would reload and
            // store it around every frame's unmasking stores.
            let mut a = *acc;
            let r = dec.decode_frames(buf, |_, payload| a = crate::data::fold_frame(a, payload));
            *acc = a;
            return match r {
                Ok(consumed) => consumed,
                Err(e) => panic!("sockwire rejected a valid frame: {e}"),
            };
        }
        let mut pos = 0;
        while pos < buf.len() {
            let base = pos;
            pos += conn
                .handle_read(core::time::Duration::ZERO, &mut buf[base..])
                .expect("sockwire rejected a valid frame");
            while let Some(event) = conn.poll_event() {
                if let Event::Chunk { data, fin, .. } = event {
                    let chunk = &buf[base + data.start..base + data.end];
                    if let (Some(&f), Some(&l)) = (chunk.first(), chunk.last()) {
                        if len == 0 {
                            first = f;
                        }
                        last = l;
                        len += chunk.len();
                    }
                    if fin {
                        // Same fold as a whole payload with this length, first and last byte.
                        let h = [first, last];
                        let stand_in: &[u8] = match len {
                            0 => &[],
                            1 => &h[..1],
                            _ => &h,
                        };
                        *acc = crate::data::fold_frame(*acc, stand_in)
                            .wrapping_sub(stand_in.len() as u64)
                            .wrapping_add(len as u64);
                        len = 0;
                    }
                }
            }
        }
        buf.len()
    })
}

/// Workload 5: append one unmasked server text frame (FIN, opcode 1) carrying `payload` to `out`.
pub fn encode_fn() -> Option<impl FnMut(&mut Vec<u8>, &[u8]) + 'static> {
    use ours::frame::{FrameHeader, OpCode};
    Some(|out: &mut Vec<u8>, payload: &[u8]| {
        // Header and payload appended together (a small frame as one exact-size block).
        FrameHeader::new(OpCode::Text, payload.len() as u64)
            .encode_frame_to_vec(payload, out)
            .unwrap();
    })
}

/// Workload 3a: Sec-WebSocket-Key -> Sec-WebSocket-Accept (28 base64 bytes).
pub fn accept_fn() -> Option<impl Fn(&[u8]) -> [u8; 28] + 'static> {
    Some(|key: &[u8]| ours::handshake::accept_key(key))
}

/// Workload 3b: raw HTTP upgrade request -> parse + validate + append the full
/// `101 Switching Protocols` response (with Sec-WebSocket-Accept) to `out`.
pub fn handshake_fn() -> Option<impl FnMut(&[u8], &mut Vec<u8>) + 'static> {
    use ours::handshake::http::{HeadConfig, Header, Status};
    use ours::handshake::{AcceptOptions, parse_request};
    // Server side, default caps (8 KiB head, 64 headers): parse + strict RFC 6455 §4.2.1
    // validation + Sec-WebSocket-Accept + the 101 appended to `out`.
    Some(|request: &[u8], out: &mut Vec<u8>| {
        // 16 slots, as the harness's own httparse reference uses (the request has 8 lines).
        let mut slots = [Header::EMPTY; 16];
        match parse_request(request, &mut slots, &HeadConfig::new()) {
            Ok(Status::Complete(req)) => {
                let accept = req
                    .accept(&AcceptOptions::new())
                    .expect("no options to refuse");
                accept.encode_to_vec(out);
            }
            other => panic!("sockwire rejected a valid upgrade request: {other:?}"),
        }
    })
}

/// Workload 4: is `data` valid UTF-8? (whole buffer; add a second hook if the
/// incremental validator should be measured separately)
pub fn utf8_fn() -> Option<impl Fn(&[u8]) -> bool + 'static> {
    // The incremental validator the connection runs on text frames, fed the whole buffer.
    Some(|data: &[u8]| ours::utf8::validate(data).is_ok())
}

/// Workload 6a `sio/decode-event`: `packet` is one Socket.IO v5 packet string
/// (the text after the Engine.IO `4`), here `2["chat-post",{..}]` or
/// `2/chat,17["chat-post",{..}]`. Decode it the way a server receiving it
/// would: packet type, namespace ("/" when absent), ack id, event name, and the
/// JSON validated; decode the first argument into `crate::w_sio::Chat` (from
/// ours's raw-args slice with serde_json, or ours's own typed decode) and
/// return `crate::w_sio::fold_event(type /*2*/, ns, ack, event, &chat)`.
pub fn sio_decode_event_fn() -> Option<impl FnMut(&str) -> u64 + 'static> {
    // ours: `socketio::packet::decode` (strict validation of the whole payload; the first
    // argument's members are recorded on the way, with which strings hold escapes), then the
    // typed `Chat` read from them with `Packet::first_arg_fields` (no serde, no rescan: keys and
    // strings without escapes are borrowed as they are, escaped ones unescaped).
    let cfg = ours::socketio::DecodeConfig::new();
    Some(move |packet: &str| {
        use ours::socketio::packet::decode;
        let p = decode(packet, &cfg).expect("valid packet");
        let event = p.event_name().expect("an event");
        let mut chat = crate::w_sio::Chat { msg: "".into(), ts: 0, user: "".into() };
        // The first argument's members were recorded while validating (flat object).
        for f in p.first_arg_fields() {
            match &*f.key() {
                "msg" => chat.msg = f.value_str().expect("a string"),
                "user" => chat.user = f.value_str().expect("a string"),
                "ts" => chat.ts = ours::json::parse_u64(f.raw_value()).expect("a u64"),
                _ => {}
            }
        }
        crate::w_sio::fold_event(2, p.nsp(), p.id(), &event, &chat)
    })
}

/// Workload 6b `sio/encode-event`: append the EVENT packet string for
/// (`ns`, `ack`, `event`, args) to `out`, byte-exact as socket.io writes it
/// (`2[/ns,][ack]["event",<args>]`; checked against the expected strings). The
/// one argument is given both typed (`&Chat`, serde::Serialize) and as its
/// raw JSON text (`args_json`, same bytes): use whichever ours's API takes and
/// say which when quoting the row (the refs show both: typed ~4x the raw copy).
pub fn sio_encode_event_fn() -> Option<impl FnMut(&mut Vec<u8>, &str, Option<u64>, &str, &crate::w_sio::Chat<'_>, &str) + 'static> {
    // ours: `socketio::packet::encode_event` from the raw args JSON as given. By default
    // (`SOCKWIRE_PEER_SIO_ENCODE` unset) as `Value::JsonUnchecked`: the application vouches for
    // its JSON, as socketioxide's row trusts serde's output. With `SOCKWIRE_PEER_SIO_ENCODE=json`
    // as `Value::Json`, *validated* (strict one-pass check, compact flat objects copied as is).
    // It appends to a reused `String`, copied to `out`.
    let validated = std::env::var("SOCKWIRE_PEER_SIO_ENCODE").as_deref() == Ok("json");
    let mut text = String::with_capacity(256);
    Some(
        move |out: &mut Vec<u8>, ns: &str, ack: Option<u64>, event: &str, _chat: &crate::w_sio::Chat<'_>, args_json: &str| {
            text.clear();
            let mut atts = Vec::new(); // stays empty (no binary): never allocates
            let arg = if validated {
                ours::socketio::Value::Json(args_json)
            } else {
                ours::socketio::Value::JsonUnchecked(args_json)
            };
            ours::socketio::packet::encode_event(&mut text, &mut atts, ns, ack, event, &[arg])
                .expect("encodes");
            out.extend_from_slice(text.as_bytes());
        },
    )
}

/// Workload 6c `sio/decode-binary`: `header` is the BINARY_EVENT text
/// `51-["upload",{"_placeholder":true,"num":0}]` (a WebSocket text frame),
/// `attachment` the 1 KiB that follows in its own binary frame (the slice is
/// only valid for this call: copy it if ours keeps it). Feed both, take the
/// completed event with the placeholder replaced by the attachment and return
/// `crate::w_sio::fold_binary_event(5, ns, ack, event, attachment_count, bin_arg)`.
pub fn sio_decode_binary_fn() -> Option<impl FnMut(&str, &[u8]) -> u64 + 'static> {
    // ours: `socketio::Decoder` (header validated with its placeholders checked and kept in the
    // decoder's reused buffer), completed by `feed_binary_ref`: the last attachment is borrowed
    // from the frame for the packet's lifetime (earlier ones would be copied), placeholder
    // resolved with `BinaryPacket::binary`. (`feed_binary` would copy it into an `OwnedPacket`.)
    let mut d = ours::socketio::Decoder::new(ours::socketio::DecodeConfig::new());
    Some(move |header: &str, attachment: &[u8]| {
        assert!(d.feed_text(header).expect("valid header").is_none());
        let p = d.feed_binary_ref(attachment).expect("valid").expect("complete");
        let view = p.packet();
        let bin = p.binary(view.args().next().expect("one argument")).expect("a placeholder");
        crate::w_sio::fold_binary_event(5, view.nsp(), view.id(), &view.event_name().expect("an event"), view.attachments(), bin)
    })
}

/// Workload 6d `eio/decode-payload`: `body` is an Engine.IO v4 long-polling
/// request body (16 packets joined by 0x1e: `4<text>` messages and one
/// `b<base64>`). Decode every packet (text must be valid UTF-8, base64
/// decoded) and return the fold over packets, in order, of
/// `acc = crate::w_sio::fold_eio(acc, type_byte /*b'4' or b'b'*/, data)`,
/// starting from 0, where data is the text after the type byte or the decoded bytes.
pub fn eio_decode_payload_fn() -> Option<impl FnMut(&[u8]) -> u64 + 'static> {
    // One reused scratch buffer for decoded base64: the payload iterator itself borrows and
    // never allocates.
    let mut scratch: Vec<u8> = Vec::new();
    Some(move |body: &[u8]| {
        let Ok(text) = core::str::from_utf8(body) else {
            return 0;
        };
        let mut acc = 0u64;
        for p in ours::engineio::decode_payload(text) {
            let Ok(p) = p else { break };
            match p.data() {
                ours::engineio::PacketData::Text(t) => {
                    acc = crate::w_sio::fold_eio(acc, p.packet_type().as_byte(), t.as_bytes());
                }
                _ => {
                    scratch.resize(p.binary_len(), 0);
                    let n = p.decode_binary_into(&mut scratch).unwrap_or(0);
                    acc = crate::w_sio::fold_eio(acc, b'b', &scratch[..n]);
                }
            }
        }
        acc
    })
}
