#![no_main]
//! Frame header decoding never panics; a decoded header re-encodes to bytes that decode to
//! the same header; `decode_frame` agrees with `decode_header`; close payloads never panic and
//! round-trip when valid.
//!
//! The first byte picks the configuration (role, allowed RSV bits, strict/lenient lengths,
//! a small or unlimited payload cap); the rest is the wire.
use libfuzzer_sys::fuzz_target;
use sockwire::Role;
use sockwire::frame::{
    DecodeConfig, Decoded, DecodedFrame, FrameError, HeaderDecoder, decode_close_payload,
    decode_frame, decode_header, encode_close_payload,
};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, wire)) = data.split_first() else {
        return;
    };
    let role = if sel & 1 != 0 {
        Role::Server
    } else {
        Role::Client
    };
    let cfg = DecodeConfig::new(role)
        .allowed_rsv((sel >> 1) & 0b111)
        .reject_non_minimal(sel & 0x10 == 0)
        .max_payload(if sel & 0x20 != 0 { u64::MAX } else { 1000 });

    let decoded = decode_header(wire, &cfg);
    match decoded.clone() {
        Ok(Decoded::Header { header, header_len }) => {
            assert!((2..=14).contains(&header_len) && header_len <= wire.len());
            assert!(header.payload_len <= cfg.max_payload);
            assert!(header.payload_len < 1 << 63);
            assert_eq!(header.rsv & !cfg.allowed_rsv, 0);
            assert_eq!(header.mask.is_some(), role == Role::Server);
            if header.opcode.is_control() {
                assert!(header.fin && header.payload_len <= 125);
            }
            let bytes = header
                .header_bytes()
                .expect("a decoded header is encodable");
            assert_eq!(bytes.len(), header.encoded_len());
            let mut out = [0u8; 14];
            assert_eq!(header.encode(&mut out), Ok(bytes.len()));
            assert_eq!(&out[..bytes.len()], &bytes[..]);
            assert_eq!(
                decode_header(&bytes, &cfg),
                Ok(Decoded::Header {
                    header,
                    header_len: bytes.len()
                })
            );
            if cfg.reject_non_minimal {
                assert_eq!(&bytes[..], &wire[..header_len]);
            }
        }
        Ok(Decoded::Partial { needed }) => {
            assert!(needed >= 1 && needed <= 14);
            assert!(wire.len() + needed <= 14);
        }
        Err(e) => {
            assert!(
                e.close_code().is_some(),
                "decode errors carry a close code: {e:?}"
            );
            assert!(!matches!(
                e,
                FrameError::InsufficientSize { .. } | FrameError::Unencodable
            ));
        }
    }

    // decode_frame agrees with decode_header and never reads past the input.
    let mut buf = wire.to_vec();
    match (decode_frame(&mut buf, &cfg), decoded) {
        (
            Ok(DecodedFrame::Frame {
                header,
                payload,
                frame_len,
            }),
            Ok(Decoded::Header {
                header: h,
                header_len,
            }),
        ) => {
            assert_eq!(header, h);
            assert_eq!(frame_len as u64, header_len as u64 + h.payload_len);
            assert_eq!(payload.len() as u64, h.payload_len);
            assert!(frame_len <= wire.len());
            if header.opcode == sockwire::frame::OpCode::Close {
                if let Ok(Some((code, reason))) = decode_close_payload(payload) {
                    let mut out = [0u8; 125];
                    let n = encode_close_payload(code, reason, &mut out).unwrap();
                    assert_eq!(&out[..n], &payload[..]);
                }
            }
        }
        (Ok(DecodedFrame::Partial { .. }), Ok(Decoded::Header { header, header_len })) => {
            assert!(header.payload_len > (wire.len() - header_len) as u64);
        }
        (Ok(DecodedFrame::Partial { needed }), Ok(Decoded::Partial { needed: n2 })) => {
            assert_eq!(needed, n2);
        }
        (Err(e), Err(e2)) => assert_eq!(e, e2),
        (a, b) => panic!("decode_frame {a:?} vs decode_header {b:?}"),
    }

    // decode_frames drains the same frames as repeated decode_frame calls.
    let dec = HeaderDecoder::new(cfg);
    let mut one = wire.to_vec();
    let mut expected = Vec::new();
    let mut pos = 0;
    let expected_end = loop {
        match dec.decode_frame(&mut one[pos..]) {
            Ok(DecodedFrame::Frame {
                header,
                payload,
                frame_len,
            }) => {
                expected.push((header, payload.to_vec()));
                pos += frame_len;
            }
            Ok(DecodedFrame::Partial { .. }) => break Ok(pos),
            Err(e) => break Err(e),
        }
    };
    let mut all = wire.to_vec();
    let mut seen = Vec::new();
    let got_end = dec.decode_frames(&mut all, |h, p| seen.push((*h, p.to_vec())));
    assert_eq!(got_end, expected_end);
    assert_eq!(seen, expected);
    // Only payloads change, exactly as with decode_frame (the short-payload window writes the
    // bytes before a payload back unchanged).
    assert_eq!(all, one);

    // Close payload decoding on the raw bytes too.
    if let Ok(Some((code, reason))) = decode_close_payload(wire) {
        assert!(code.is_valid_received());
        assert_eq!(reason.len() + 2, wire.len());
    }
});
