use super::*;
use alloc::vec;
use proptest::prelude::*;

fn enc(v: &Value<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    encode(v, &mut out);
    out
}

#[test]
fn socketio_event_packet_bytes() {
    // { type: 2, data: ["hello", 1], nsp: "/" } as notepack writes it (insertion order).
    let bytes = [
        0x83, 0xa4, b't', b'y', b'p', b'e', 0x02, 0xa4, b'd', b'a', b't', b'a', 0x92, 0xa5, b'h',
        b'e', b'l', b'l', b'o', 0x01, 0xa3, b'n', b's', b'p', 0xa1, b'/',
    ];
    let v = decode(&bytes, &Limits::default()).unwrap();
    let want = Value::Map(vec![
        (Value::Str("type"), Value::UInt(2)),
        (
            Value::Str("data"),
            Value::Array(vec![Value::Str("hello"), Value::UInt(1)]),
        ),
        (Value::Str("nsp"), Value::Str("/")),
    ]);
    assert_eq!(v, want);
    assert_eq!(enc(&v), bytes);
}

#[test]
fn shortest_forms() {
    let cases: &[(Value<'_>, &[u8])] = &[
        (Value::Nil, &[0xc0]),
        (Value::Bool(true), &[0xc3]),
        (Value::UInt(127), &[0x7f]),
        (Value::UInt(128), &[0xcc, 0x80]),
        (Value::UInt(256), &[0xcd, 1, 0]),
        (Value::UInt(1 << 16), &[0xce, 0, 1, 0, 0]),
        (Value::UInt(1 << 32), &[0xcf, 0, 0, 0, 1, 0, 0, 0, 0]),
        (Value::Int(-1), &[0xff]),
        (Value::Int(-32), &[0xe0]),
        (Value::Int(-33), &[0xd0, 0xdf]),
        (Value::Int(-129), &[0xd1, 0xff, 0x7f]),
        (Value::F64(1.5), &[0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]),
        (Value::Bin(&[1, 2]), &[0xc4, 2, 1, 2]),
        (Value::Undefined, &[0xd4, 0, 0]),
        (Value::Ext(0, &[1, 2, 3]), &[0xc7, 3, 0, 1, 2, 3]),
        (Value::Ext(0, &[0]), &[0xc7, 1, 0, 0]),
        (
            Value::Ext(0, &[0; 8]),
            &[0xc7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ),
        (Value::Ext(5, &[1, 2]), &[0xd5, 5, 1, 2]),
        // new Date(1e12 + 1): hi = 232, lo = 3567587329.
        (
            Value::Date(1_000_000_000_001),
            &[0xd7, 0, 0, 0, 0, 0xe8, 0xd4, 0xa5, 0x10, 0x01],
        ),
    ];
    for (v, b) in cases {
        assert_eq!(enc(v), *b, "{v:?}");
        assert_eq!(decode(b, &Limits::default()).unwrap(), *v);
    }
    assert!(Value::Undefined.is_undefined());
    assert_eq!(
        Value::Ext(0, &[1, 2, 3]).ext_bytes(),
        Some(&[1u8, 2, 3][..])
    );
    assert_eq!(Value::Undefined.ext_bytes(), None);
    assert_eq!(Value::Ext(-1, &[0, 0, 0, 5]).timestamp(), Some((5, 0)));
    let s = "x".repeat(32);
    assert_eq!(&enc(&Value::Str(&s))[..2], &[0xd9, 32]);
    let a = vec![Value::Nil; 16];
    assert_eq!(&enc(&Value::Array(a))[..3], &[0xdc, 0, 16]);
}

#[test]
fn every_prefix_is_truncated_never_a_panic() {
    let bytes = enc(&Value::Map(vec![(
        Value::Str("data"),
        Value::Array(vec![
            Value::Bin(&[9; 40]),
            Value::Int(-70000),
            Value::Str("é"),
        ]),
    )]));
    for n in 0..bytes.len() {
        let e = decode(&bytes[..n], &Limits::default()).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::Truncated, "prefix {n}");
    }
    assert!(decode(&bytes, &Limits::default()).is_ok());
}

#[test]
fn caps_refuse_before_allocating() {
    // A 32-bit array count of 4 billion with no elements: refused, nothing reserved.
    let e = decode(&[0xdd, 0xff, 0xff, 0xff, 0xff], &Limits::default()).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::Truncated);
    let deep = [0x91u8; 40];
    let e = decode(&deep, &Limits::default()).unwrap_err();
    assert_eq!(
        e,
        DecodeError {
            kind: DecodeErrorKind::TooDeep,
            offset: 32
        }
    );
    let lim = Limits {
        max_values: 3,
        ..Limits::default()
    };
    assert_eq!(
        decode(&[0x94, 1, 2, 3, 4], &lim).unwrap_err().kind,
        DecodeErrorKind::TooManyValues
    );
    let lim = Limits {
        max_input: 2,
        ..Limits::default()
    };
    assert_eq!(
        decode(&[0x92, 1, 2], &lim).unwrap_err().kind,
        DecodeErrorKind::InputTooLarge
    );
    assert_eq!(
        decode(&[0xc1], &Limits::default()).unwrap_err().kind,
        DecodeErrorKind::ReservedByte
    );
    assert_eq!(
        decode(&[1, 2], &Limits::default()).unwrap_err().kind,
        DecodeErrorKind::TrailingBytes
    );
    assert_eq!(
        decode(&[0xa1, 0xff], &Limits::default()).unwrap_err().kind,
        DecodeErrorKind::InvalidUtf8
    );
}

/// Naive model: a JSON-like tree with owned payloads.
#[derive(Clone, Debug)]
enum Model {
    Nil,
    Int(i64),
    Str(alloc::string::String),
    Bin(Vec<u8>),
    Arr(Vec<Model>),
    Map(Vec<(alloc::string::String, Model)>),
}

fn view(m: &Model) -> Value<'_> {
    match m {
        Model::Nil => Value::Nil,
        Model::Int(i) if *i >= 0 => Value::UInt(*i as u64),
        Model::Int(i) => Value::Int(*i),
        Model::Str(s) => Value::Str(s),
        Model::Bin(b) => Value::Bin(b),
        Model::Arr(a) => Value::Array(a.iter().map(view).collect()),
        Model::Map(m) => Value::Map(m.iter().map(|(k, v)| (Value::Str(k), view(v))).collect()),
    }
}

fn model() -> impl Strategy<Value = Model> {
    let leaf = prop_oneof![
        Just(Model::Nil),
        any::<i64>().prop_map(Model::Int),
        ".{0,40}".prop_map(Model::Str),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(Model::Bin),
    ];
    leaf.prop_recursive(4, 64, 20, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..20).prop_map(Model::Arr),
            proptest::collection::vec((".{0,8}", inner), 0..20).prop_map(Model::Map),
        ]
    })
}

proptest! {
    #[test]
    fn round_trip_against_model(m in model()) {
        let v = view(&m);
        let bytes = enc(&v);
        prop_assert_eq!(decode(&bytes, &Limits::default()).unwrap(), v);
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(v) = decode(&b, &Limits::default()) {
            // Whatever decodes re-encodes (shortest form) to bytes that are a fixed point.
            let again = enc(&v);
            let v2 = decode(&again, &Limits::default()).unwrap();
            prop_assert_eq!(enc(&v2), again);
        }
    }
}

mod sio {
    use super::super::socketio::*;
    use super::*;
    use crate::socketio::PacketType;

    fn lim() -> Limits {
        Limits::default()
    }

    #[test]
    fn readme_example_byte_exact() {
        // socket.io-msgpack-parser README: socket.emit('hello', 'you').
        let readme = [
            0x83, 0xa4, 0x74, 0x79, 0x70, 0x65, 0x02, 0xa3, 0x6e, 0x73, 0x70, 0xa1, 0x2f, 0xa4,
            0x64, 0x61, 0x74, 0x61, 0x92, 0xa5, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0xa3, 0x79, 0x6f,
            0x75,
        ];
        let p = decode_packet(&readme, &lim()).unwrap();
        assert_eq!((p.kind, p.nsp, p.id), (PacketType::Event, "/", None));
        assert_eq!(
            p.data,
            Some(Value::Array(vec![Value::Str("hello"), Value::Str("you")]))
        );
        // The map in the README's key order re-encodes byte-exact.
        let v = super::super::decode(&readme, &lim()).unwrap();
        assert_eq!(enc(&v), readme);
    }

    #[test]
    fn event_with_binary_round_trips_byte_exact() {
        let args = [Value::Bin(&[1, 2, 3]), Value::UInt(42)];
        let bytes = encode_event("/chat", "hello", &args, Some(7));
        let mut want = vec![0x84, 0xa4];
        want.extend_from_slice(b"type");
        want.push(2);
        want.extend_from_slice(&[0xa4, b'd', b'a', b't', b'a', 0x93, 0xa5]);
        want.extend_from_slice(b"hello");
        want.extend_from_slice(&[0xc4, 3, 1, 2, 3, 42, 0xa2, b'i', b'd', 7, 0xa3]);
        want.extend_from_slice(b"nsp");
        want.push(0xa5);
        want.extend_from_slice(b"/chat");
        assert_eq!(bytes, want);
        let p = decode_packet(&bytes, &lim()).unwrap();
        assert_eq!(p.kind, PacketType::Event);
        assert_eq!(p.nsp, "/chat");
        assert_eq!(p.id, Some(7));
        let d = p.data.clone().unwrap();
        assert_eq!(encode_packet(p.kind, p.nsp, Some(&d), p.id).unwrap(), bytes);
    }

    fn pkt(pairs: Vec<(Value<'static>, Value<'static>)>) -> Vec<u8> {
        let mut out = Vec::new();
        encode(&Value::Map(pairs), &mut out);
        out
    }

    #[test]
    fn reference_checks() {
        let t = |n| (Value::Str("type"), Value::UInt(n));
        let nsp = (Value::Str("nsp"), Value::Str("/"));
        let data = |v| (Value::Str("data"), v);
        let ok = |b: Vec<u8>| decode_packet(&b, &lim()).map(|p| p.kind);
        assert_eq!(ok(pkt(vec![t(0), nsp.clone()])), Ok(PacketType::Connect));
        assert_eq!(
            ok(pkt(vec![t(0), nsp.clone(), data(Value::Map(vec![]))])),
            Ok(PacketType::Connect)
        );
        assert_eq!(
            ok(pkt(vec![t(0), nsp.clone(), data(Value::Str("x"))])),
            Err(PacketError::BadData(PacketType::Connect))
        );
        assert_eq!(ok(pkt(vec![t(1), nsp.clone()])), Ok(PacketType::Disconnect));
        assert_eq!(
            ok(pkt(vec![t(1), nsp.clone(), data(Value::Undefined)])),
            Ok(PacketType::Disconnect)
        );
        assert_eq!(
            ok(pkt(vec![t(1), nsp.clone(), data(Value::Nil)])),
            Err(PacketError::BadData(PacketType::Disconnect))
        );
        assert_eq!(
            ok(pkt(vec![t(2), nsp.clone(), data(Value::Array(vec![]))])),
            Ok(PacketType::Event)
        );
        assert_eq!(
            ok(pkt(vec![t(2), nsp.clone(), data(Value::Map(vec![]))])),
            Err(PacketError::BadData(PacketType::Event))
        );
        assert_eq!(
            ok(pkt(vec![t(3), nsp.clone()])),
            Err(PacketError::BadData(PacketType::Ack))
        );
        assert_eq!(
            ok(pkt(vec![t(4), nsp.clone(), data(Value::Str("no"))])),
            Ok(PacketType::ConnectError)
        );
        assert_eq!(
            ok(pkt(vec![t(4), nsp.clone(), data(Value::UInt(1))])),
            Err(PacketError::BadData(PacketType::ConnectError))
        );
        assert_eq!(
            ok(pkt(vec![t(5), nsp.clone(), data(Value::Array(vec![]))])),
            Err(PacketError::BadType)
        );
        assert_eq!(
            ok(pkt(vec![t(2), data(Value::Array(vec![]))])),
            Err(PacketError::BadNamespace)
        );
        assert_eq!(
            ok(pkt(vec![
                t(2),
                (Value::Str("nsp"), Value::UInt(1)),
                data(Value::Array(vec![]))
            ])),
            Err(PacketError::BadNamespace)
        );
        let id = |v| (Value::Str("id"), v);
        assert_eq!(
            ok(pkt(vec![
                t(2),
                nsp.clone(),
                data(Value::Array(vec![])),
                id(Value::Str("1"))
            ])),
            Err(PacketError::BadId)
        );
        assert_eq!(
            ok(pkt(vec![
                t(2),
                nsp.clone(),
                data(Value::Array(vec![])),
                id(Value::F64(1.5))
            ])),
            Err(PacketError::BadId)
        );
        assert_eq!(
            ok(pkt(vec![
                t(2),
                nsp.clone(),
                data(Value::Array(vec![])),
                id(Value::F64(3.0))
            ])),
            Ok(PacketType::Event)
        );
        // Unknown keys (the client's `options`) are ignored.
        let opts = (
            Value::Str("options"),
            Value::Map(vec![(Value::Str("compress"), Value::Bool(true))]),
        );
        assert_eq!(
            ok(pkt(vec![
                t(2),
                data(Value::Array(vec![])),
                opts,
                nsp.clone()
            ])),
            Ok(PacketType::Event)
        );
        assert_eq!(
            decode_packet(&[0x92, 1, 2], &lim()),
            Err(PacketError::NotAMap)
        );
        assert!(matches!(
            decode_packet(&[0x81], &lim()),
            Err(PacketError::Msgpack(_))
        ));
        assert_eq!(
            encode_packet(PacketType::BinaryEvent, "/", None, None),
            None
        );
    }
}
