//! Every rejection the header alone decides, with the close code it carries, and that it is
//! reported from the fewest bytes that prove it (before any payload arrives).
use sockwire::Role;
use sockwire::frame::{
    CloseCode, DecodeConfig, Decoded, FrameError, RSV1, RSV2, RSV3, decode_header,
};

fn server() -> DecodeConfig {
    DecodeConfig::new(Role::Server)
}
fn client() -> DecodeConfig {
    DecodeConfig::new(Role::Client)
}

fn err(buf: &[u8], cfg: &DecodeConfig) -> FrameError {
    match decode_header(buf, cfg) {
        Err(e) => e,
        Ok(d) => panic!("expected an error for {buf:02x?}, got {d:?}"),
    }
}

#[test]
fn reserved_opcodes_rejected_with_1002() {
    for op in (3u8..=7).chain(0xB..=0xF) {
        let e = err(&[0x80 | op, 0x00], &client());
        assert_eq!(e, FrameError::ReservedOpcode(op));
        assert_eq!(e.close_code(), Some(CloseCode::PROTOCOL_ERROR));
        let e = err(&[0x80 | op, 0x80], &server());
        assert_eq!(e, FrameError::ReservedOpcode(op));
    }
}

#[test]
fn rsv_bits_rejected_unless_allowed() {
    for rsv in 1u8..=7 {
        let b0 = 0x81 | (rsv << 4);
        let e = err(&[b0, 0x00], &client());
        assert_eq!(e, FrameError::ReservedBits(rsv));
        assert_eq!(e.close_code(), Some(CloseCode::PROTOCOL_ERROR));
        // Allowed when negotiated.
        let cfg = client().allowed_rsv(rsv);
        match decode_header(&[b0, 0x00], &cfg).unwrap() {
            Decoded::Header { header, .. } => assert_eq!(header.rsv, rsv),
            d => panic!("{d:?}"),
        }
    }
    // RSV1 allowed, RSV2 still rejected.
    let cfg = client().allowed_rsv(RSV1);
    assert_eq!(
        err(&[0x81 | (RSV2 << 4), 0], &cfg),
        FrameError::ReservedBits(RSV2)
    );
    assert_eq!(
        err(&[0x81 | ((RSV1 | RSV3) << 4), 0], &cfg),
        FrameError::ReservedBits(RSV1 | RSV3)
    );
}

#[test]
fn fragmented_control_frames_rejected() {
    for op in [0x8u8, 0x9, 0xA] {
        let e = err(&[op, 0x00], &client());
        assert_eq!(e, FrameError::FragmentedControl);
        assert_eq!(e.close_code(), Some(CloseCode::PROTOCOL_ERROR));
    }
}

#[test]
fn control_frames_over_125_rejected_from_two_bytes() {
    for op in [0x88u8, 0x89, 0x8A] {
        // 126 and 127 length codes: rejected before the extended length arrives.
        assert_eq!(err(&[op, 126], &client()), FrameError::ControlTooLong);
        assert_eq!(err(&[op, 127], &client()), FrameError::ControlTooLong);
        assert_eq!(
            err(&[op, 0x80 | 126], &server()),
            FrameError::ControlTooLong
        );
        // 125 is fine.
        assert!(matches!(
            decode_header(&[op, 125], &client()),
            Ok(Decoded::Header { .. })
        ));
    }
    assert_eq!(
        FrameError::ControlTooLong.close_code(),
        Some(CloseCode::PROTOCOL_ERROR)
    );
}

#[test]
fn masking_by_role() {
    // A server receiving an unmasked frame.
    let e = err(&[0x81, 0x05], &server());
    assert_eq!(e, FrameError::UnmaskedFrame);
    assert_eq!(e.close_code(), Some(CloseCode::PROTOCOL_ERROR));
    // A client receiving a masked frame.
    let e = err(&[0x81, 0x85], &client());
    assert_eq!(e, FrameError::MaskedFrame);
    assert_eq!(e.close_code(), Some(CloseCode::PROTOCOL_ERROR));
}

#[test]
fn top_bit_length_rejected() {
    for top in [0x80u8, 0xFF] {
        let mut wire = [0x82, 127, top, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            err(&wire, &client().max_payload(u64::MAX)),
            FrameError::LengthTopBit
        );
        wire[1] |= 0x80;
        assert_eq!(
            err(&wire, &server().max_payload(u64::MAX)),
            FrameError::LengthTopBit
        );
    }
    assert_eq!(
        FrameError::LengthTopBit.close_code(),
        Some(CloseCode::PROTOCOL_ERROR)
    );
}

#[test]
fn too_big_rejected_with_1009_from_the_header() {
    let cfg = client().max_payload(1000);
    assert!(matches!(
        decode_header(&[0x82, 126, 0x03, 0xE8], &cfg),
        Ok(Decoded::Header { .. })
    ));
    let e = err(&[0x82, 126, 0x03, 0xE9], &cfg);
    assert_eq!(
        e,
        FrameError::TooBig {
            len: 1001,
            max: 1000
        }
    );
    assert_eq!(e.close_code(), Some(CloseCode::TOO_BIG));
    // 7-bit lengths are capped too.
    let e = err(&[0x82, 100], &client().max_payload(99));
    assert_eq!(e, FrameError::TooBig { len: 100, max: 99 });
    // Decided before the mask key arrives.
    let e = err(&[0x82, 0x80 | 127, 0, 0, 0, 1, 0, 0, 0, 0], &server());
    assert_eq!(
        e,
        FrameError::TooBig {
            len: 1 << 32,
            max: sockwire::frame::DEFAULT_MAX_PAYLOAD
        }
    );
}

#[test]
fn non_minimal_lengths_strict_by_default_lenient_when_configured() {
    let cases: [&[u8]; 4] = [
        &[0x82, 126, 0, 0],                         // 0 in 16 bits
        &[0x82, 126, 0, 125],                       // 125 in 16 bits
        &[0x82, 127, 0, 0, 0, 0, 0, 0, 0, 5],       // 5 in 64 bits
        &[0x82, 127, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF], // 65535 in 64 bits
    ];
    let expected = [0u64, 125, 5, 65535];
    for (wire, len) in cases.iter().zip(expected) {
        let e = err(wire, &client());
        assert_eq!(e, FrameError::NonMinimalLength);
        assert_eq!(e.close_code(), Some(CloseCode::PROTOCOL_ERROR));
        let lenient = client().reject_non_minimal(false);
        match decode_header(wire, &lenient).unwrap() {
            Decoded::Header { header, header_len } => {
                assert_eq!(header.payload_len, len);
                assert_eq!(header_len, wire.len());
            }
            d => panic!("{d:?}"),
        }
    }
    // The smallest minimal values in each form are accepted.
    assert!(matches!(
        decode_header(&[0x82, 126, 0, 126], &client()),
        Ok(Decoded::Header { .. })
    ));
    let wire = [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0];
    assert!(matches!(
        decode_header(&wire, &client()),
        Ok(Decoded::Header { .. })
    ));
}

#[test]
fn errors_need_only_the_bytes_that_prove_them() {
    // An unmasked frame at a server declaring 1 TiB: the first two bytes suffice for the mask
    // check, no extended length or payload needed.
    assert_eq!(err(&[0x82, 127], &server()), FrameError::UnmaskedFrame);
    // Reserved opcode with an incomplete header.
    assert_eq!(err(&[0x83, 0xFF], &server()), FrameError::ReservedOpcode(3));
}

#[test]
fn error_display_is_informative() {
    let e = FrameError::TooBig { len: 10, max: 5 };
    assert_eq!(
        e.to_string(),
        "frame payload of 10 bytes exceeds the limit of 5"
    );
    assert_eq!(
        FrameError::ReservedOpcode(0xB).to_string(),
        "reserved opcode 0xb"
    );
    let wrapped: sockwire::Error = e.into();
    assert!(wrapped.to_string().starts_with("frame: "));
}

/// Straightforward reference for the checks the first two bytes decide, in the documented
/// order: RSV, opcode, control FIN, control length, mask bit.
fn reference_first_two(b0: u8, b1: u8, cfg: &DecodeConfig) -> Option<FrameError> {
    let rsv = (b0 >> 4) & 7;
    if rsv & !cfg.allowed_rsv != 0 {
        return Some(FrameError::ReservedBits(rsv));
    }
    let op = b0 & 0x0F;
    if !matches!(op, 0 | 1 | 2 | 8 | 9 | 10) {
        return Some(FrameError::ReservedOpcode(op));
    }
    if op >= 8 && b0 & 0x80 == 0 {
        return Some(FrameError::FragmentedControl);
    }
    if op >= 8 && b1 & 0x7F > 125 {
        return Some(FrameError::ControlTooLong);
    }
    let masked = b1 & 0x80 != 0;
    match cfg.role {
        Role::Server if !masked => Some(FrameError::UnmaskedFrame),
        Role::Client if masked => Some(FrameError::MaskedFrame),
        _ => None,
    }
}

#[test]
fn every_first_two_bytes_against_a_reference() {
    for role in [Role::Server, Role::Client] {
        for allowed in 0u8..=(RSV1 | RSV2 | RSV3) {
            let cfg = DecodeConfig::new(role).allowed_rsv(allowed);
            for b0 in 0..=255u8 {
                for b1 in 0..=255u8 {
                    let got = decode_header(&[b0, b1], &cfg);
                    match reference_first_two(b0, b1, &cfg) {
                        Some(e) => assert_eq!(got, Err(e), "{b0:#04x} {b1:#04x}"),
                        None => assert!(
                            matches!(
                                got,
                                Ok(Decoded::Partial { .. }) | Ok(Decoded::Header { .. })
                            ),
                            "{b0:#04x} {b1:#04x}: {got:?}"
                        ),
                    }
                }
            }
        }
    }
}
