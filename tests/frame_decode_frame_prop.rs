//! Property: `decode_frame` (fast path and general path) agrees with `decode_header` followed
//! by a naive unmask of the payload, for arbitrary bytes, configurations and truncations.
#![cfg(feature = "std")]
use proptest::prelude::*;
use sockwire::Role;
use sockwire::frame::{
    DecodeConfig, Decoded, DecodedFrame, FrameHeader, OpCode, decode_frame, decode_header,
};
use sockwire::mask::apply_mask_naive;

fn config() -> impl Strategy<Value = DecodeConfig> {
    (
        any::<bool>(),
        0u8..8,
        any::<bool>(),
        prop_oneof![Just(u64::MAX), 0u64..300],
    )
        .prop_map(|(server, rsv, strict, max)| {
            let role = if server { Role::Server } else { Role::Client };
            DecodeConfig::new(role)
                .allowed_rsv(rsv)
                .reject_non_minimal(strict)
                .max_payload(max)
        })
}

fn check(wire: &[u8], cfg: &DecodeConfig) -> Result<(), TestCaseError> {
    let mut buf = wire.to_vec();
    let got = decode_frame(&mut buf, cfg);
    match decode_header(wire, cfg) {
        Err(e) => prop_assert_eq!(got, Err(e)),
        Ok(Decoded::Partial { needed }) => {
            prop_assert_eq!(got, Ok(DecodedFrame::Partial { needed }))
        }
        Ok(Decoded::Header { header, header_len }) => {
            let available = (wire.len() - header_len) as u64;
            if header.payload_len > available {
                let needed = usize::try_from(header.payload_len - available).unwrap_or(usize::MAX);
                prop_assert_eq!(got, Ok(DecodedFrame::Partial { needed }));
            } else {
                let end = header_len + header.payload_len as usize;
                let mut expect = wire[header_len..end].to_vec();
                if let Some(key) = header.mask {
                    apply_mask_naive(&mut expect, key, 0);
                }
                prop_assert_eq!(
                    got,
                    Ok(DecodedFrame::Frame {
                        header,
                        payload: &mut expect[..],
                        frame_len: end
                    })
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_bytes(wire in proptest::collection::vec(any::<u8>(), 0..200), cfg in config()) {
        check(&wire, &cfg)?;
    }

    #[test]
    fn valid_frames_and_their_prefixes(
        op in prop_oneof![Just(OpCode::Text), Just(OpCode::Binary), Just(OpCode::Ping), Just(OpCode::Continuation)],
        len in prop_oneof![0usize..130, 65530usize..65540],
        key in any::<Option<[u8; 4]>>(),
        cut in any::<prop::sample::Index>(),
        cfg in config(),
    ) {
        let len = if op.is_control() { len % 126 } else { len };
        let h = FrameHeader::new(op, len as u64).with_mask(key);
        let mut wire = h.header_bytes().unwrap().to_vec();
        wire.extend((0..len).map(|i| i as u8));
        wire.extend_from_slice(b"next");
        check(&wire, &cfg)?;
        let cut = cut.index(wire.len() + 1);
        check(&wire[..cut], &cfg)?;
    }
}

/// Frames seen by repeated `decode_frame` calls: (header, payload) list, bytes consumed, error.
type Seen = (
    Vec<(FrameHeader, Vec<u8>)>,
    usize,
    Option<sockwire::frame::FrameError>,
);

fn by_decode_frame(wire: &[u8], cfg: &DecodeConfig) -> Seen {
    let dec = sockwire::frame::HeaderDecoder::new(*cfg);
    let mut buf = wire.to_vec();
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        match dec.decode_frame(&mut buf[pos..]) {
            Ok(DecodedFrame::Frame {
                header,
                payload,
                frame_len,
            }) => {
                out.push((header, payload.to_vec()));
                pos += frame_len;
            }
            Ok(DecodedFrame::Partial { .. }) => return (out, pos, None),
            Err(e) => return (out, pos, Some(e)),
        }
    }
}

fn by_decode_frames(wire: &[u8], cfg: &DecodeConfig) -> Seen {
    let dec = sockwire::frame::HeaderDecoder::new(*cfg);
    let mut buf = wire.to_vec();
    let mut out = Vec::new();
    let r = dec.decode_frames(&mut buf, |h, p| out.push((*h, p.to_vec())));
    match r {
        Ok(consumed) => (out, consumed, None),
        Err(e) => {
            let consumed = out
                .iter()
                .map(|(h, _)| h.encoded_len() + h.payload_len as usize)
                .sum();
            (out, consumed, Some(e))
        }
    }
}

proptest! {
    #[test]
    fn decode_frames_matches_repeated_decode_frame(
        frames in proptest::collection::vec(
            (prop_oneof![Just(OpCode::Text), Just(OpCode::Binary), Just(OpCode::Pong)],
             prop_oneof![0usize..130, 200usize..300], any::<[u8; 4]>()),
            0..6),
        tail in proptest::collection::vec(any::<u8>(), 0..12),
        server in any::<bool>(),
        cfg_extra in config(),
    ) {
        let role = if server { Role::Server } else { Role::Client };
        let cfg = cfg_extra.reject_non_minimal(true);
        let cfg = DecodeConfig { role, ..cfg };
        let mut wire = Vec::new();
        for (op, len, key) in frames {
            let len = if op.is_control() { len % 126 } else { len };
            let mask = if server { Some(key) } else { None };
            let h = FrameHeader::new(op, len as u64).with_mask(mask);
            wire.extend_from_slice(&h.header_bytes().unwrap());
            wire.extend((0..len).map(|i| (i * 7) as u8));
        }
        wire.extend_from_slice(&tail);
        prop_assert_eq!(by_decode_frames(&wire, &cfg), by_decode_frame(&wire, &cfg));
    }
}
