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
