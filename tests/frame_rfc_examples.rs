//! RFC 6455 §5.7 examples, byte-exact in both directions.
use sockwire::Role;
use sockwire::frame::{
    DecodeConfig, Decoded, DecodedFrame, FrameHeader, OpCode, decode_frame, decode_header,
};
use sockwire::mask::apply_mask;

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn header(buf: &[u8], role: Role) -> (FrameHeader, usize) {
    let cfg = DecodeConfig::new(role);
    match decode_header(buf, &cfg).unwrap() {
        Decoded::Header { header, header_len } => (header, header_len),
        other => panic!("expected a header, got {other:?}"),
    }
}

fn encoded(h: &FrameHeader) -> Vec<u8> {
    let mut out = [0u8; 14];
    let n = h.encode(&mut out).unwrap();
    assert_eq!(n, h.encoded_len());
    assert_eq!(&out[..n], h.header_bytes().unwrap().as_slice());
    out[..n].to_vec()
}

#[test]
fn unmasked_text_hello() {
    let wire = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let (h, n) = header(&wire, Role::Client);
    assert_eq!(h, FrameHeader::new(OpCode::Text, 5));
    assert_eq!(n, 2);
    assert_eq!(&wire[n..], b"Hello");
    assert_eq!(encoded(&h), wire[..2]);
}

#[test]
fn masked_text_hello() {
    let wire = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let (h, n) = header(&wire, Role::Server);
    assert_eq!(h, FrameHeader::new(OpCode::Text, 5).with_mask(Some(KEY)));
    assert_eq!(n, 6);
    assert_eq!(encoded(&h), wire[..6]);
    let mut payload = wire[n..].to_vec();
    apply_mask(&mut payload, KEY, 0);
    assert_eq!(payload, b"Hello");
    // And the other way: masking "Hello" gives the wire bytes.
    let mut hello = *b"Hello";
    apply_mask(&mut hello, KEY, 0);
    assert_eq!(hello, wire[6..]);
    // decode_frame unmasks in place.
    let mut buf = wire;
    match decode_frame(&mut buf, &DecodeConfig::new(Role::Server)).unwrap() {
        DecodedFrame::Frame {
            header,
            payload,
            frame_len,
        } => {
            assert_eq!(header, h);
            assert_eq!(payload, b"Hello");
            assert_eq!(frame_len, 11);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn fragmented_unmasked_text() {
    let first = [0x01, 0x03, 0x48, 0x65, 0x6c];
    let second = [0x80, 0x02, 0x6c, 0x6f];
    let (h1, n1) = header(&first, Role::Client);
    assert_eq!(h1, FrameHeader::new(OpCode::Text, 3).with_fin(false));
    assert_eq!(&first[n1..], b"Hel");
    let (h2, n2) = header(&second, Role::Client);
    assert_eq!(h2, FrameHeader::new(OpCode::Continuation, 2));
    assert_eq!(&second[n2..], b"lo");
    assert_eq!(encoded(&h1), first[..2]);
    assert_eq!(encoded(&h2), second[..2]);
}

#[test]
fn unmasked_ping_and_masked_pong() {
    let ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let (h, n) = header(&ping, Role::Client);
    assert_eq!(h, FrameHeader::new(OpCode::Ping, 5));
    assert_eq!(&ping[n..], b"Hello");
    assert_eq!(encoded(&h), ping[..2]);

    let pong = [
        0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let (h, n) = header(&pong, Role::Server);
    assert_eq!(h, FrameHeader::new(OpCode::Pong, 5).with_mask(Some(KEY)));
    assert_eq!(encoded(&h), pong[..n]);
}

#[test]
fn binary_256_bytes_16_bit_length() {
    let wire = [0x82, 0x7E, 0x01, 0x00];
    let (h, n) = header(&wire, Role::Client);
    assert_eq!(h, FrameHeader::new(OpCode::Binary, 256));
    assert_eq!(n, 4);
    assert_eq!(encoded(&h), wire);
}

#[test]
fn binary_65536_bytes_64_bit_length() {
    let wire = [0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00];
    let (h, n) = header(&wire, Role::Client);
    assert_eq!(h, FrameHeader::new(OpCode::Binary, 65536));
    assert_eq!(n, 10);
    assert_eq!(encoded(&h), wire);
}
