#![no_main]
//! Hostile compressed messages through a server `Connection` with permessage-deflate: byte 0
//! picks the negotiated parameters and whether the rest is sent raw (arbitrary frames: bad RSV
//! bits, RSV1 on control or continuation frames, truncation) or wrapped as masked frames of a
//! compressed message (arbitrary DEFLATE data, split into fragments at the given points:
//! bombs, truncated and corrupt streams). Checks: nothing panics; no message exceeds the
//! 64 KiB cap (a bomb is stopped with 1009); every Close sent carries a sendable code (our
//! failures 1002/1007/1008/1009, or the peer's own code echoed).
use core::time::Duration;

use libfuzzer_sys::fuzz_target;
use sockwire::deflate::PerMessageDeflate;
use sockwire::frame::{FrameHeader, OpCode, RSV1};
use sockwire::ws::{Connection, ConnectionConfig, Event};

const CAP: u64 = 64 << 10;

fuzz_target!(|data: &[u8]| {
    let Some((&b0, rest)) = data.split_first() else {
        return;
    };
    let pmd = PerMessageDeflate {
        server_no_context_takeover: b0 & 1 != 0,
        client_no_context_takeover: b0 & 2 != 0,
        server_max_window_bits: Some(8 + (b0 >> 5)),
        client_max_window_bits: Some(8 + ((b0 >> 2) & 7)),
    };
    let cfg = ConnectionConfig::default()
        .max_message_size(CAP)
        .permessage_deflate(Some(pmd))
        .compression_threshold(0);
    let mut conn = Connection::server(cfg);
    let mut wire = Vec::new();
    if b0 & 0x80 != 0 {
        wire.extend_from_slice(rest);
    } else {
        // Fragments: a length byte then that many bytes, repeated; RSV1 on the first.
        let mut r = rest;
        let mut first = true;
        while let Some((&n, tail)) = r.split_first() {
            let n = usize::from(n).min(tail.len());
            let (payload, tail) = tail.split_at(n);
            r = tail;
            let op = if first {
                OpCode::Binary
            } else {
                OpCode::Continuation
            };
            let h = FrameHeader::new(op, n as u64)
                .with_fin(r.is_empty())
                .with_rsv(if first { RSV1 } else { 0 })
                .with_mask(Some([1, 2, 3, 4]));
            wire.extend_from_slice(&h.header_bytes().unwrap());
            let mut p = payload.to_vec();
            sockwire::mask::apply_mask(&mut p, [1, 2, 3, 4], 0);
            wire.extend_from_slice(&p);
            first = false;
        }
    }
    let mut pos = 0;
    let mut guard = 0;
    while pos < wire.len() {
        guard += 1;
        assert!(guard < 1_000_000);
        let r = conn.handle_read(Duration::ZERO, &mut wire[pos..]);
        while let Some(out) = conn.poll_transmit() {
            if let Some(&op) = out.first() {
                if op & 0x0f == 0x8 && out.len() >= 4 {
                    let code = u16::from_be_bytes([out[2], out[3]]);
                    // Our own failures close with 1002, 1007, 1008 or 1009; a Close the peer
                    // sent is echoed with its (valid) code. Never 1005/1006/1015 or an
                    // unassigned code.
                    assert!(
                        matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999),
                        "{code}"
                    );
                }
            }
        }
        while let Some(ev) = conn.poll_event() {
            match ev {
                Event::Text(t) => assert!(t.len() as u64 <= CAP),
                Event::Binary(b) => assert!(b.len() as u64 <= CAP),
                _ => {}
            }
        }
        match r {
            Ok(n) => pos += n,
            Err(_) => break,
        }
        // A message may be answered by echoing it compressed.
        if conn.is_open() && pos % 3 == 0 {
            let _ = conn.send_binary(&wire[..pos.min(300)].to_vec());
        }
    }
});
