//! Every prefix of a valid header is Partial with the right count; length boundaries; overflow.
use sockwire::Role;
use sockwire::frame::{
    DecodeConfig, Decoded, DecodedFrame, FrameError, FrameHeader, HeaderDecoder, OpCode,
    decode_frame, decode_header,
};

const BOUNDARIES: [u64; 10] = [
    0,
    1,
    125,
    126,
    127,
    65535,
    65536,
    1 << 32,
    (1 << 63) - 2,
    (1 << 63) - 1,
];

fn headers() -> Vec<FrameHeader> {
    let mut v = Vec::new();
    for len in BOUNDARIES {
        for mask in [None, Some([1, 2, 3, 4])] {
            for op in [OpCode::Text, OpCode::Binary, OpCode::Continuation] {
                v.push(FrameHeader::new(op, len).with_mask(mask));
                v.push(FrameHeader::new(op, len).with_mask(mask).with_fin(false));
            }
        }
    }
    for len in [0u64, 1, 124, 125] {
        for mask in [None, Some([0xFF; 4])] {
            for op in [OpCode::Close, OpCode::Ping, OpCode::Pong] {
                v.push(FrameHeader::new(op, len).with_mask(mask));
            }
        }
    }
    v
}

fn cfg_for(h: &FrameHeader) -> DecodeConfig {
    let role = if h.mask.is_some() {
        Role::Server
    } else {
        Role::Client
    };
    DecodeConfig::new(role).max_payload(u64::MAX)
}

#[test]
fn encoded_len_matches_the_length_forms() {
    for len in BOUNDARIES {
        let ext = match len {
            0..=125 => 0,
            126..=65535 => 2,
            _ => 8,
        };
        assert_eq!(FrameHeader::new(OpCode::Binary, len).encoded_len(), 2 + ext);
        let masked = FrameHeader::new(OpCode::Binary, len).with_mask(Some([0; 4]));
        assert_eq!(masked.encoded_len(), 6 + ext);
    }
}

#[test]
fn boundaries_round_trip_and_every_prefix_is_partial() {
    for h in headers() {
        let bytes = h.header_bytes().unwrap();
        let wire = bytes.as_slice();
        assert_eq!(wire.len(), h.encoded_len());
        let cfg = cfg_for(&h);
        assert_eq!(
            decode_header(wire, &cfg).unwrap(),
            Decoded::Header {
                header: h,
                header_len: wire.len()
            },
            "{h:?}"
        );
        // Trailing bytes are not looked at.
        let mut longer = wire.to_vec();
        longer.extend_from_slice(&[0xFF; 20]);
        assert_eq!(
            decode_header(&longer, &cfg).unwrap(),
            Decoded::Header {
                header: h,
                header_len: wire.len()
            }
        );
        for cut in 0..wire.len() {
            let d = decode_header(&wire[..cut], &cfg).unwrap();
            let Decoded::Partial { needed } = d else {
                panic!("prefix {cut} of {h:?}: {d:?}")
            };
            assert!(needed >= 1);
            if cut >= 2 {
                assert_eq!(
                    cut + needed,
                    wire.len(),
                    "exact once the length form is known"
                );
            } else {
                assert_eq!(needed, 2 - cut);
            }
        }
    }
}

#[test]
fn lengths_at_the_top_of_the_range() {
    let cfg = DecodeConfig::new(Role::Client).max_payload(u64::MAX);
    let max = (1u64 << 63) - 1;
    let mut wire = vec![0x82, 127];
    wire.extend_from_slice(&max.to_be_bytes());
    match decode_header(&wire, &cfg).unwrap() {
        Decoded::Header { header, .. } => assert_eq!(header.payload_len, max),
        d => panic!("{d:?}"),
    }
    wire[2] = 0x80;
    assert_eq!(decode_header(&wire, &cfg), Err(FrameError::LengthTopBit));
    // The encoder refuses what the wire cannot carry.
    let h = FrameHeader::new(OpCode::Binary, 1 << 63);
    assert_eq!(h.header_bytes(), Err(FrameError::Unencodable));
    assert_eq!(h.encode(&mut [0u8; 14]), Err(FrameError::Unencodable));
    assert_eq!(
        FrameHeader::new(OpCode::Binary, 0)
            .with_rsv(8)
            .encode(&mut [0; 14]),
        Err(FrameError::Unencodable)
    );
    assert_eq!(FrameError::Unencodable.close_code(), None);
}

#[test]
fn encode_into_a_short_buffer_leaves_it_untouched() {
    for h in headers() {
        let n = h.encoded_len();
        for size in 0..n {
            let mut out = vec![0xAAu8; size];
            assert_eq!(
                h.encode(&mut out),
                Err(FrameError::InsufficientSize { required: n })
            );
            assert!(out.iter().all(|&b| b == 0xAA));
        }
        let mut out = vec![0xAAu8; n + 3];
        assert_eq!(h.encode(&mut out), Ok(n));
        assert_eq!(&out[n..], &[0xAA; 3]);
    }
    assert_eq!(
        FrameError::InsufficientSize { required: 2 }.close_code(),
        None
    );
}

#[cfg(feature = "alloc")]
#[test]
fn encode_to_vec_appends() {
    let mut out = vec![9u8];
    let h = FrameHeader::new(OpCode::Binary, 300).with_mask(Some([5, 6, 7, 8]));
    assert_eq!(h.encode_to_vec(&mut out), Ok(8));
    assert_eq!(out, [9, 0x82, 0xFE, 0x01, 0x2C, 5, 6, 7, 8]);
}

#[test]
fn decode_frame_waits_for_the_payload_without_overflow() {
    let cfg = DecodeConfig::new(Role::Client).max_payload(u64::MAX);
    // Declares 2^63-1 bytes with 3 present: Partial with a saturated count, no overflow.
    let mut wire = vec![0x82, 127];
    wire.extend_from_slice(&((1u64 << 63) - 1).to_be_bytes());
    wire.extend_from_slice(b"abc");
    match decode_frame(&mut wire, &cfg).unwrap() {
        DecodedFrame::Partial { needed } => {
            let expect = ((1u64 << 63) - 1 - 3).min(usize::MAX as u64) as usize;
            assert_eq!(needed, expect);
        }
        d => panic!("{d:?}"),
    }
    // 2^32 declared, nothing present.
    let mut wire = vec![0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0];
    assert!(matches!(
        decode_frame(&mut wire, &cfg),
        Ok(DecodedFrame::Partial { .. })
    ));
}

#[test]
fn decode_frame_every_prefix_then_consecutive_frames() {
    let dec = HeaderDecoder::new(DecodeConfig::new(Role::Server));
    let key = [0x11, 0x22, 0x33, 0x44];
    let mut wire = Vec::new();
    let payloads: [&[u8]; 3] = [b"first frame", &[7u8; 300], b""];
    for p in payloads {
        let h = FrameHeader::new(OpCode::Binary, p.len() as u64).with_mask(Some(key));
        wire.extend_from_slice(&h.header_bytes().unwrap());
        let mut masked = p.to_vec();
        sockwire::mask::apply_mask(&mut masked, key, 0);
        wire.extend_from_slice(&masked);
    }
    // Every prefix of the first frame is Partial, with an exact count once the header is in.
    let first_len = 6 + payloads[0].len();
    for cut in 0..first_len {
        let mut buf = wire[..cut].to_vec();
        match dec.decode_frame(&mut buf).unwrap() {
            DecodedFrame::Partial { needed } => {
                if cut >= 6 {
                    assert_eq!(cut + needed, first_len);
                }
            }
            d => panic!("{cut}: {d:?}"),
        }
    }
    let mut buf = wire.clone();
    let mut pos = 0;
    for p in payloads {
        match dec.decode_frame(&mut buf[pos..]).unwrap() {
            DecodedFrame::Frame {
                header,
                payload,
                frame_len,
            } => {
                assert_eq!(payload, p);
                assert_eq!(header.payload_len, p.len() as u64);
                pos += frame_len;
            }
            d => panic!("{d:?}"),
        }
    }
    assert_eq!(pos, wire.len());
    assert_eq!(
        dec.decode_frame(&mut buf[pos..]),
        Ok(DecodedFrame::Partial { needed: 2 })
    );
}
