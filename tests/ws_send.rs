//! The sending side: whole messages, streamed fragments, the zero-copy vectored path, masking
//! by role, and every misuse error (which changes nothing). Runs without `alloc` too (the
//! buffered sends are checked only with it).

use sockwire::Role;
use sockwire::frame::{CloseCode, DecodeConfig, Decoded, OpCode, decode_header};
use sockwire::mask::apply_mask;
use sockwire::ws::{
    Connection, ConnectionConfig, Event, Message, MessageKind, ProtocolError, ReceiveMode,
};

fn stream() -> ConnectionConfig {
    ConnectionConfig::default().receive_mode(ReceiveMode::Stream)
}

/// Decodes one frame sent by `sender` from `head` + `payload` and returns (fin, opcode, payload).
fn decode(sender: Role, head: &[u8], payload: &[u8]) -> (bool, OpCode, [u8; 32], usize) {
    let receiver = if sender == Role::Client {
        Role::Server
    } else {
        Role::Client
    };
    let Ok(Decoded::Header { header, header_len }) =
        decode_header(head, &DecodeConfig::new(receiver))
    else {
        panic!("bad header");
    };
    assert_eq!(header_len, head.len());
    assert_eq!(header.payload_len as usize, payload.len());
    let mut p = [0u8; 32];
    p[..payload.len()].copy_from_slice(payload);
    if let Some(k) = header.mask {
        apply_mask(&mut p[..payload.len()], k, 0);
    }
    (header.fin, header.opcode, p, payload.len())
}

#[test]
fn vectored_server_frames_leave_the_payload_alone() {
    let mut s = Connection::server(stream());
    let mut payload = *b"hello";
    let head = s
        .send_frame_vectored(MessageKind::Text, true, &mut payload)
        .unwrap();
    assert_eq!(head.as_slice(), &[0x81, 0x05]);
    assert_eq!(&payload, b"hello");
}

#[test]
fn vectored_client_frames_are_masked_in_place() {
    let mut c = Connection::client(stream(), || [1, 2, 3, 4]);
    let mut payload = *b"hello";
    let head = c
        .send_frame_vectored(MessageKind::Binary, true, &mut payload)
        .unwrap();
    assert_eq!(head.as_slice(), &[0x82, 0x85, 1, 2, 3, 4]);
    let (fin, op, p, n) = decode(Role::Client, &head, &payload);
    assert!(fin);
    assert_eq!(op, OpCode::Binary);
    assert_eq!(&p[..n], b"hello");
}

#[test]
fn vectored_fragments_use_continuations_and_check_the_kind() {
    let mut s = Connection::server(stream());
    let h1 = s
        .send_frame_vectored(MessageKind::Text, false, &mut [b'a'])
        .unwrap();
    assert_eq!(h1.as_slice(), &[0x01, 0x01]);
    assert_eq!(
        s.send_frame_vectored(MessageKind::Binary, true, &mut [b'b']),
        Err(ProtocolError::FragmentMismatch)
    );
    // Control frames may go in between.
    s.ping(b"p").unwrap();
    assert_eq!(s.poll_transmit(), Some(&[0x89, 0x01, b'p'][..]));
    let h2 = s
        .send_frame_vectored(MessageKind::Text, true, &mut [b'b'])
        .unwrap();
    assert_eq!(h2.as_slice(), &[0x80, 0x01]);
    // A new message starts fresh.
    let h3 = s
        .send_frame_vectored(MessageKind::Binary, true, &mut [])
        .unwrap();
    assert_eq!(h3.as_slice(), &[0x82, 0x00]);
}

#[test]
fn vectored_send_waits_for_pending_output() {
    let mut s = Connection::server(stream());
    s.ping(b"").unwrap();
    assert_eq!(
        s.send_frame_vectored(MessageKind::Text, true, &mut []),
        Err(ProtocolError::TransmitPending)
    );
    let _ = s.poll_transmit();
    assert!(
        s.send_frame_vectored(MessageKind::Text, true, &mut [])
            .is_ok()
    );
}

#[test]
fn nothing_after_close_and_misuse_changes_nothing() {
    let mut s = Connection::server(stream());
    assert_eq!(s.ping(&[0; 126]), Err(ProtocolError::ControlTooLong));
    assert_eq!(
        s.close(CloseCode::ABNORMAL, ""),
        Err(ProtocolError::UnsendableCloseCode(1006))
    );
    assert!(s.is_open());
    assert_eq!(s.poll_transmit(), None);
    s.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(
        s.send_frame_vectored(MessageKind::Text, true, &mut []),
        Err(ProtocolError::AfterClose)
    );
    assert_eq!(s.ping(b""), Err(ProtocolError::AfterClose));
    assert_eq!(s.poll_transmit(), Some(&[0x88, 0x02, 0x03, 0xE8][..]));
    assert_eq!(s.poll_transmit(), None);
}

#[test]
fn event_pending_is_reported_and_nothing_is_lost() {
    let mut s = Connection::server(stream());
    // Two masked one-byte binary frames.
    let mut wire = [0x82, 0x81, 0, 0, 0, 0, b'x', 0x82, 0x81, 0, 0, 0, 0, b'y'];
    let n = s
        .handle_read(core::time::Duration::ZERO, &mut wire)
        .unwrap();
    assert_eq!(n, 7);
    assert_eq!(
        s.handle_read(core::time::Duration::ZERO, &mut wire[n..]),
        Err(ProtocolError::EventPending)
    );
    assert_eq!(
        s.poll_event(),
        Some(Event::Chunk {
            kind: MessageKind::Binary,
            data: 6..7,
            fin: true
        })
    );
    let m = s
        .handle_read(core::time::Duration::ZERO, &mut wire[n..])
        .unwrap();
    assert_eq!(m, 7);
    assert_eq!(
        s.poll_event(),
        Some(Event::Chunk {
            kind: MessageKind::Binary,
            data: 6..7,
            fin: true
        })
    );
    assert_eq!(wire[n + 6], b'y');
}

#[cfg(feature = "alloc")]
#[test]
fn buffered_sends_queue_in_order_with_control_frames_after() {
    let mut s = Connection::server(ConnectionConfig::default());
    s.send_text("a").unwrap();
    s.send_frame(MessageKind::Binary, false, b"b").unwrap();
    assert_eq!(s.send_text("x"), Err(ProtocolError::FragmentMismatch));
    s.send_frame(MessageKind::Binary, true, b"c").unwrap();
    s.ping(b"p").unwrap();
    s.close(CloseCode::GOING_AWAY, "").unwrap();
    assert_eq!(
        s.poll_transmit(),
        Some(
            &[
                0x81, 1, b'a', 0x02, 1, b'b', 0x80, 1, b'c', 0x89, 1, b'p', 0x88, 2, 0x03, 0xE9
            ][..]
        )
    );
}

#[cfg(feature = "alloc")]
#[test]
fn client_buffered_sends_are_masked_with_fresh_keys() {
    let mut k = 0u8;
    let mut c = Connection::client(ConnectionConfig::default(), move || {
        k += 1;
        [k, k, k, k]
    });
    c.send_binary(&[0; 3]).unwrap();
    c.send_binary(&[0; 3]).unwrap();
    assert_eq!(
        c.poll_transmit(),
        Some(
            &[
                0x82, 0x83, 1, 1, 1, 1, 1, 1, 1, 0x82, 0x83, 2, 2, 2, 2, 2, 2, 2
            ][..]
        )
    );
}

#[test]
fn unmasked_vectored_frames_borrow_the_payload_and_are_for_servers_only() {
    let mut s = Connection::server(stream());
    let payload = [7u8; 200];
    let head = s
        .send_frame_vectored_unmasked(MessageKind::Binary, true, &payload)
        .unwrap();
    assert_eq!(head.as_slice(), &[0x82, 126, 0x00, 200]);
    // Fragments and the checks of the masked path apply alike.
    let h1 = s
        .send_frame_vectored_unmasked(MessageKind::Text, false, b"a")
        .unwrap();
    assert_eq!(h1.as_slice(), &[0x01, 0x01]);
    assert_eq!(
        s.send_frame_vectored_unmasked(MessageKind::Binary, true, b"b"),
        Err(ProtocolError::FragmentMismatch)
    );
    s.ping(b"").unwrap();
    assert_eq!(
        s.send_frame_vectored_unmasked(MessageKind::Text, true, b"b"),
        Err(ProtocolError::TransmitPending)
    );
    let _ = s.poll_transmit();
    let h2 = s
        .send_frame_vectored_unmasked(MessageKind::Text, true, b"b")
        .unwrap();
    assert_eq!(h2.as_slice(), &[0x80, 0x01]);
    // A client must mask: refused, and its state is unchanged.
    let mut c = Connection::client(stream(), || [1, 2, 3, 4]);
    let err = c.send_frame_vectored_unmasked(MessageKind::Text, true, b"x");
    assert_eq!(err, Err(ProtocolError::Unsupported));
    assert!(err.unwrap_err().is_misuse());
    let h = c
        .send_frame_vectored(MessageKind::Text, true, &mut [b'x'])
        .unwrap();
    assert_eq!(h.as_slice(), &[0x81, 0x81, 1, 2, 3, 4]);
}

/// A masked client frame (key 0x11223344) of any length.
#[cfg(feature = "alloc")]
fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
    let key = [0x11, 0x22, 0x33, 0x44];
    let mut f = vec![first];
    match payload.len() {
        n @ 0..=125 => f.push(0x80 | n as u8),
        n => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    f.extend_from_slice(&key);
    let at = f.len();
    f.extend_from_slice(payload);
    apply_mask(&mut f[at..], key, 0);
    f
}

#[cfg(feature = "alloc")]
#[test]
fn take_message_hands_out_whole_messages_and_leaves_other_events() {
    let mut s = Connection::server(ConnectionConfig::default());
    let big = "é".repeat(5000); // 10,000 bytes, two-byte code points
    let mut wire = masked(0x81, big.as_bytes());
    wire.extend(masked(0x89, b"hi")); // a Ping
    wire.extend(masked(0x02, b"ab")); // binary, fragmented: "ab" + "cd"
    wire.extend(masked(0x80, b"cd"));
    wire.extend(masked(0x81, b"small"));
    let mut at = 0;
    let mut got = Vec::new();
    while at < wire.len() {
        at += s
            .handle_read(std::time::Duration::ZERO, &mut wire[at..])
            .unwrap();
        loop {
            if let Some(m) = s.take_message() {
                got.push(format!("{:?} {}", m.kind(), m.as_bytes().len()));
                match m {
                    Message::Text(t) => assert!(t == big || t == "small", "{t}"),
                    Message::Binary(b) => assert_eq!(b, b"abcd"),
                }
                // Taken: the event is gone.
                assert!(s.take_message().is_none());
                continue;
            }
            match s.poll_event() {
                Some(Event::Ping(p)) => got.push(format!("ping {}", p.len())),
                Some(other) => panic!("{other:?}"),
                None => break,
            }
        }
    }
    assert_eq!(got, ["Text 10000", "ping 2", "Binary 4", "Text 5"]);
    // The Pong went out; borrowing with `poll_event` still works after a take.
    assert_eq!(s.poll_transmit(), Some(&[0x8a, 0x02, b'h', b'i'][..]));
    let mut again = masked(0x82, &[9; 300]);
    s.handle_read(std::time::Duration::ZERO, &mut again)
        .unwrap();
    assert!(matches!(s.poll_event(), Some(Event::Binary(b)) if b == [9; 300]));
}

/// Frames encoded once for many connections come back as the transmit itself when nothing
/// waits, and queue behind what does otherwise, with the checks of `send_encoded`.
#[cfg(feature = "alloc")]
#[test]
fn encoded_frames_are_the_transmit_when_nothing_waits() {
    let frames = [0x81, 0x02, b'h', b'i', 0x82, 0x01, 7];
    let mut s = Connection::server(stream());
    assert_eq!(s.send_encoded_owned(&frames), Ok(Some(frames.to_vec())));
    assert_eq!(s.poll_transmit(), None, "nothing was queued");
    // A ping waits: the frames queue behind it, exactly as `send_encoded` queues them.
    s.ping(b"p").unwrap();
    assert_eq!(s.send_encoded_owned(&frames), Ok(None));
    let mut queued = s.poll_transmit().unwrap().to_vec();
    let mut same = Connection::server(stream());
    same.ping(b"p").unwrap();
    same.send_encoded(&frames).unwrap();
    assert_eq!(queued, same.poll_transmit().unwrap());
    // Bytes left in the output buffer: queued behind them too.
    s.send_binary(b"x").unwrap();
    assert_eq!(s.send_encoded_owned(&frames), Ok(None));
    queued = s.poll_transmit().unwrap().to_vec();
    assert_eq!(queued, [&[0x82, 0x01, b'x'][..], &frames[..]].concat());
    // Inside a fragmented message, and after a close: refused, nothing queued.
    s.send_frame(MessageKind::Text, false, b"a").unwrap();
    let _ = s.poll_transmit();
    assert_eq!(
        s.send_encoded_owned(&frames),
        Err(ProtocolError::FragmentMismatch)
    );
    s.send_frame(MessageKind::Text, true, b"b").unwrap();
    s.close(CloseCode::NORMAL, "").unwrap();
    let _ = s.poll_transmit();
    assert_eq!(
        s.send_encoded_owned(&frames),
        Err(ProtocolError::AfterClose)
    );
    assert_eq!(s.poll_transmit(), None);
}
