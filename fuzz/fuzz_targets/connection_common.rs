//! Shared driver of the `connection_server` / `connection_client` fuzz targets.
//!
//! Input: byte 0 picks the role (low bit, flipped by `role_bias`), the receive mode and small or
//! default budgets; the rest is a script of operations: reads of arbitrary bytes (split
//! anywhere), time passing, EOF, and every command. Checks: nothing panics; `handle_read`
//! always makes progress or reports an event; events respect the budgets; `Closed` comes once
//! and last; everything the connection transmits is a valid frame sequence for its role (masked
//! iff client, sendable close codes, nothing after our Close).

use core::time::Duration;

use sockwire::Role;
use sockwire::frame::{CloseCode, DecodeConfig, Decoded, HeaderDecoder, OpCode};
use sockwire::ws::{Connection, ConnectionConfig, Event, MessageKind, ProtocolError, ReceiveMode};

struct Checker {
    role: Role,
    decoder: HeaderDecoder,
    buf: Vec<u8>,
    close_seen: bool,
}

impl Checker {
    /// Validates our own output as the peer would decode it.
    fn check(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        loop {
            match self
                .decoder
                .decode(&self.buf)
                .expect("our output must decode")
            {
                Decoded::Partial { .. } => {
                    // Output is always whole frames.
                    assert!(self.buf.is_empty(), "partial frame in output");
                    return;
                }
                Decoded::Header { header, header_len } => {
                    let end = header_len + header.payload_len as usize;
                    assert!(self.buf.len() >= end, "truncated frame in output");
                    assert!(!self.close_seen, "frame after our Close");
                    assert_eq!(header.mask.is_some(), self.role == Role::Client);
                    if header.opcode == OpCode::Close {
                        self.close_seen = true;
                        let mut p = self.buf[header_len..end].to_vec();
                        if let Some(k) = header.mask {
                            sockwire::mask::apply_mask(&mut p, k, 0);
                        }
                        if p.len() >= 2 {
                            let code = CloseCode(u16::from_be_bytes([p[0], p[1]]));
                            assert!(code.is_sendable(), "sent unsendable close code {code:?}");
                        }
                        assert!(p.len() != 1);
                    }
                    self.buf.drain(..end);
                }
            }
        }
    }
}

pub fn run(data: &[u8], role_bias: u8) {
    let Some((&flags, mut script)) = data.split_first() else {
        return;
    };
    let role = if (flags ^ role_bias) & 1 == 0 {
        Role::Server
    } else {
        Role::Client
    };
    let mut cfg = ConnectionConfig::default();
    if flags & 2 != 0 {
        cfg = cfg.receive_mode(ReceiveMode::Stream);
    }
    let (max_msg, max_frag) = if flags & 4 != 0 {
        (64u64, 4u32)
    } else {
        (16u64 << 20, 16384)
    };
    cfg = cfg
        .max_message_size(max_msg)
        .max_frame_size(if flags & 8 != 0 { 32 } else { 16 << 20 })
        .max_fragments(max_frag)
        .auto_pong(flags & 16 == 0)
        .keepalive(if flags & 32 != 0 {
            Some(Duration::from_secs(3))
        } else {
            None
        })
        .pong_timeout(Duration::from_secs(2))
        .close_timeout(Duration::from_secs(1));
    let mut key = u32::from(flags).wrapping_mul(0x9E37_79B9);
    let keys = move || {
        key = key.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        key.to_le_bytes()
    };
    // Whole messages taken owned (`take_message`) or borrowed (`poll_event`).
    let take = flags & 64 != 0;
    let mut conn = Connection::new(role, cfg, keys);
    let receiver_of_ours = match role {
        Role::Client => Role::Server,
        Role::Server => Role::Client,
    };
    let mut checker = Checker {
        role,
        decoder: HeaderDecoder::new(DecodeConfig::new(receiver_of_ours).max_payload(u64::MAX >> 1)),
        buf: Vec::new(),
        close_seen: false,
    };
    let mut now = Duration::ZERO;
    let mut closed = false;
    let mut partial: u64 = 0;

    let drain =
        |conn: &mut Connection<_>, checker: &mut Checker, closed: &mut bool, partial: &mut u64| {
            while let Some(b) = conn.poll_transmit() {
                checker.check(b);
            }
            while take {
                let Some(m) = conn.take_message() else {
                    break;
                };
                assert!(!*closed, "message after Closed");
                assert!(m.as_bytes().len() as u64 <= max_msg);
            }
            while let Some(ev) = conn.poll_event() {
                assert!(!*closed, "event after Closed: {ev:?}");
                match ev {
                    Event::Text(t) => assert!(t.len() as u64 <= max_msg),
                    Event::Binary(b) => assert!(b.len() as u64 <= max_msg),
                    Event::Chunk { data, fin, .. } => {
                        *partial += data.len() as u64;
                        assert!(*partial <= max_msg, "streamed message over budget");
                        if fin {
                            *partial = 0;
                        }
                    }
                    Event::Ping(p) | Event::Pong(p) => assert!(p.len() <= 125),
                    Event::CloseReceived { reason, .. } => assert!(reason.len() <= 123),
                    Event::Closed { code, .. } => {
                        *closed = true;
                        let _ = code;
                    }
                    _ => {}
                }
            }
        };

    while let Some((&op, rest)) = script.split_first() {
        script = rest;
        match op % 12 {
            0..=4 => {
                // A read of up to 255 bytes (more when the op says so).
                let len = script.first().map_or(0, |&l| usize::from(l))
                    * if op % 12 == 4 { 8 } else { 1 };
                script = script.get(1..).unwrap_or(&[]);
                let n = len.min(script.len());
                let mut buf = script[..n].to_vec();
                script = &script[n..];
                let mut pos = 0;
                let mut stalls = 0;
                while pos < buf.len() {
                    match conn.handle_read(now, &mut buf[pos..]) {
                        Ok(k) => {
                            pos += k;
                            stalls = if k == 0 { stalls + 1 } else { 0 };
                            assert!(stalls < 2, "handle_read made no progress");
                        }
                        Err(e) => {
                            assert!(!e.is_misuse(), "misuse reported for peer input: {e:?}");
                            assert!(conn.error().is_some());
                            drain(&mut conn, &mut checker, &mut closed, &mut partial);
                            break;
                        }
                    }
                    drain(&mut conn, &mut checker, &mut closed, &mut partial);
                }
            }
            5 => {
                let step = script.first().copied().unwrap_or(1);
                script = script.get(1..).unwrap_or(&[]);
                now += Duration::from_millis(u64::from(step) * 50);
                conn.handle_timeout(now);
            }
            6 => conn.handle_eof(now),
            7 => {
                let b = script.first().copied().unwrap_or(0);
                if role == Role::Server && b & 1 != 0 {
                    // Frames encoded once elsewhere: the transmit itself when nothing waits.
                    script = script.get(1..).unwrap_or(&[]);
                    let frames = b"\x81\x04fuzz";
                    if let Ok(Some(owned)) = conn.send_encoded_owned(frames) {
                        assert_eq!(owned, frames);
                        checker.check(&owned);
                    }
                } else {
                    let _ = conn.send_text("fuzz text κόσμε");
                }
            }
            8 => {
                let n = script
                    .first()
                    .map_or(0, |&l| usize::from(l))
                    .min(script.len().saturating_sub(1));
                let _ = conn.send_binary(script.get(1..1 + n).unwrap_or(&[]));
                script = script.get(1 + n..).unwrap_or(&[]);
            }
            9 => {
                let b = script.first().copied().unwrap_or(0);
                script = script.get(1..).unwrap_or(&[]);
                let kind = if b & 1 == 0 {
                    MessageKind::Text
                } else {
                    MessageKind::Binary
                };
                if b & 8 != 0 {
                    let p = b"unmasked";
                    let r = conn.send_frame_vectored_unmasked(kind, b & 2 != 0, p);
                    match (role, r) {
                        (Role::Client, r) => assert_eq!(r, Err(ProtocolError::Unsupported)),
                        (Role::Server, Ok(h)) => {
                            let mut frame = h.as_slice().to_vec();
                            frame.extend_from_slice(p);
                            checker.check(&frame);
                        }
                        (Role::Server, Err(e)) => assert!(e.is_misuse(), "{e:?}"),
                    }
                } else if b & 4 != 0 {
                    let mut p = *b"vectored";
                    let _ = conn.send_frame_vectored(kind, b & 2 != 0, &mut p);
                } else {
                    let _ = conn.send_frame(kind, b & 2 != 0, b"frag");
                }
            }
            10 => {
                let b = script.first().copied().unwrap_or(0);
                script = script.get(1..).unwrap_or(&[]);
                let payload = [b; 130];
                let _ = conn.ping(&payload[..usize::from(b) % 130]);
                let _ = conn.pong(&payload[..usize::from(b / 2) % 130]);
            }
            _ => {
                let c = script
                    .get(..2)
                    .map_or(1000, |c| u16::from_be_bytes([c[0], c[1]]));
                script = script.get(2..).unwrap_or(&[]);
                let _ = conn.close(CloseCode(c), "fuzz");
            }
        }
        drain(&mut conn, &mut checker, &mut closed, &mut partial);
        let _ = conn.poll_timeout();
        let _ = conn.should_close_tcp();
    }
}
