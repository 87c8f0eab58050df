//! Close payloads: which codes are valid, 1-byte payloads, UTF-8 reasons, the encoder's limits.
use sockwire::frame::{
    CloseCode, FrameError, decode_close_payload, encode_close_payload, truncate_close_reason,
};

fn valid(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

#[test]
fn every_code_is_classified_like_the_rfc() {
    for code in 0..=u16::MAX {
        let c = CloseCode(code);
        assert_eq!(c.is_valid_received(), valid(code), "{code}");
        assert_eq!(c.is_sendable(), valid(code), "{code}");
        let payload = code.to_be_bytes();
        let got = decode_close_payload(&payload);
        if valid(code) {
            assert_eq!(got, Ok(Some((c, ""))));
        } else {
            assert_eq!(got, Err(FrameError::InvalidCloseCode(code)));
            assert_eq!(
                FrameError::InvalidCloseCode(code).close_code(),
                Some(CloseCode::PROTOCOL_ERROR)
            );
        }
    }
    for never in [
        CloseCode::NO_STATUS,
        CloseCode::ABNORMAL,
        CloseCode::TLS_HANDSHAKE,
    ] {
        assert!(!never.is_sendable());
        assert_eq!(
            encode_close_payload(never, "", &mut [0; 2]),
            Err(FrameError::UnsendableCloseCode(never.0))
        );
    }
    for spot in [0u16, 999, 1004, 1016, 2999, 5000, u16::MAX] {
        assert!(!CloseCode(spot).is_valid_received());
    }
}

#[test]
fn empty_and_one_byte_payloads() {
    assert_eq!(decode_close_payload(&[]), Ok(None));
    for b in [0u8, 0x03, 0xFF] {
        let e = decode_close_payload(&[b]).unwrap_err();
        assert_eq!(e, FrameError::CloseTooShort);
        assert_eq!(e.close_code(), Some(CloseCode::PROTOCOL_ERROR));
    }
}

#[test]
fn reasons_must_be_utf8() {
    let mut p = vec![0x03, 0xE8];
    p.extend_from_slice("bye ✓".as_bytes());
    assert_eq!(
        decode_close_payload(&p),
        Ok(Some((CloseCode::NORMAL, "bye ✓")))
    );
    for bad in [
        &[0xFFu8][..],
        &[0xC0, 0x80],
        &[0xED, 0xA0, 0x80],
        &[0xE2, 0x9C],
    ] {
        let mut p = vec![0x03, 0xE8];
        p.extend_from_slice(bad);
        let e = decode_close_payload(&p).unwrap_err();
        assert_eq!(e, FrameError::InvalidCloseReason);
        assert_eq!(e.close_code(), Some(CloseCode::INVALID_PAYLOAD));
    }
}

#[test]
fn oversized_payload_rejected() {
    let mut p = vec![0x03, 0xE8];
    p.extend_from_slice(&[b'a'; 123]);
    assert!(decode_close_payload(&p).is_ok());
    p.push(b'a');
    assert_eq!(decode_close_payload(&p), Err(FrameError::CloseTooLong));
}

#[test]
fn encoder_writes_code_and_reason() {
    let mut out = [0u8; 125];
    let n = encode_close_payload(CloseCode::GOING_AWAY, "shutdown", &mut out).unwrap();
    assert_eq!(&out[..n], b"\x03\xE9shutdown");
    assert_eq!(
        decode_close_payload(&out[..n]),
        Ok(Some((CloseCode::GOING_AWAY, "shutdown")))
    );
    let n = encode_close_payload(CloseCode(4000), "", &mut out).unwrap();
    assert_eq!(&out[..n], &[0x0F, 0xA0]);
}

#[test]
fn encoder_limits_and_untouched_buffer() {
    let long = "x".repeat(124);
    let mut out = [0u8; 200];
    assert_eq!(
        encode_close_payload(CloseCode::NORMAL, &long, &mut out),
        Err(FrameError::CloseReasonTooLong { len: 124 })
    );
    assert_eq!(
        encode_close_payload(CloseCode::NORMAL, &long[..123], &mut out),
        Ok(125)
    );
    let mut small = [0xAAu8; 6];
    assert_eq!(
        encode_close_payload(CloseCode::NORMAL, "hello", &mut small),
        Err(FrameError::InsufficientSize { required: 7 })
    );
    assert_eq!(small, [0xAA; 6]);
    assert_eq!(
        FrameError::CloseReasonTooLong { len: 124 }.close_code(),
        None
    );
}

#[test]
fn truncation_respects_char_boundaries() {
    assert_eq!(truncate_close_reason("short"), "short");
    let s = "é".repeat(70); // 140 bytes, 2 per char
    let t = truncate_close_reason(&s);
    assert_eq!(t.len(), 122);
    let s = format!("a{}", "€".repeat(50)); // 1 + 150 bytes
    let t = truncate_close_reason(&s);
    assert_eq!(t.len(), 121);
    assert!(t.len() <= 123);
}
