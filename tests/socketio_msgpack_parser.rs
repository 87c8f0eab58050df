//! The msgpack parser selected on the socket machines and the hub: the README's byte vector of
//! `socket.io-msgpack-parser`, exact bytes of what our machines send, binary inside the packet,
//! a client/server pair, and the hub's encode-once-per-parser broadcast.
#![cfg(feature = "std")]

use std::time::Duration;

use sockwire::engineio::MessageRef;
use sockwire::hub::{Hub, HubConfig, SessionInfo, Target};
use sockwire::socketio::{
    ClientConfig, ClientEvent, ClientSocket, EncodedPacket, Message, Parser, ServerConfig,
    ServerEvent, ServerSocket, SocketIoError, Value,
};

const T0: Duration = Duration::ZERO;

/// `socket.emit('hello', 'you')` as the parser's README shows it encoded.
const README: &[u8] = &[
    0x83, 0xa4, 0x74, 0x79, 0x70, 0x65, 0x02, 0xa3, 0x6e, 0x73, 0x70, 0xa1, 0x2f, 0xa4, 0x64, 0x61,
    0x74, 0x61, 0x92, 0xa5, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0xa3, 0x79, 0x6f, 0x75,
];

/// The same map with the keys in the order the Node server writes them (`type`, `data`, `nsp`):
/// what our machines send for `emit("hello", "you")`.
const README_NODE_ORDER: &[u8] = &[
    0x83, 0xa4, 0x74, 0x79, 0x70, 0x65, 0x02, 0xa4, 0x64, 0x61, 0x74, 0x61, 0x92, 0xa5, 0x68, 0x65,
    0x6c, 0x6c, 0x6f, 0xa3, 0x79, 0x6f, 0x75, 0xa3, 0x6e, 0x73, 0x70, 0xa1, 0x2f,
];

fn mp(s: &str) -> Vec<u8> {
    let mut v = Vec::new();
    for p in s.split_whitespace() {
        if let Some(t) = p.strip_prefix('\'') {
            v.extend_from_slice(t.as_bytes());
        } else {
            v.push(u8::from_str_radix(p, 16).unwrap());
        }
    }
    v
}

fn server() -> ServerSocket {
    ServerSocket::new(ServerConfig::default().with_parser(Parser::Msgpack), T0)
}

fn drain(s: &mut ServerSocket) -> Vec<Message> {
    std::iter::from_fn(|| s.poll_transmit()).collect()
}

fn connected_server() -> ServerSocket {
    let mut s = server();
    // {type: 0, nsp: "/"}
    s.handle_binary(T0, &mp("82 a4 'type 00 a3 'nsp a1 2f"))
        .unwrap();
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Connect {
            nsp: "/".into(),
            auth: None
        })
    );
    s.accept_with_sid("/", "abc").unwrap();
    // {type: 0, data: {sid: "abc"}, nsp: "/"}
    assert_eq!(
        drain(&mut s),
        [Message::Binary(mp(
            "83 a4 'type 00 a4 'data 81 a3 'sid a3 'abc a3 'nsp a1 2f"
        ))]
    );
    s
}

#[test]
fn readme_vector_decodes_and_our_emit_is_byte_exact() {
    let mut s = connected_server();
    s.handle_binary(T0, README).unwrap();
    let Some(ServerEvent::Event { packet, ack: None }) = s.poll_event() else {
        panic!("no event");
    };
    let view = packet.packet();
    assert_eq!(view.event_name().as_deref(), Some("hello"));
    assert_eq!(view.args().collect::<Vec<_>>(), ["\"you\""]);
    s.emit("/", "hello", &[Value::Str("you")]).unwrap();
    assert_eq!(drain(&mut s), [Message::Binary(README_NODE_ORDER.to_vec())]);
}

#[test]
fn binary_travels_inside_the_packet() {
    let mut s = connected_server();
    s.emit(
        "/",
        "file",
        &[Value::Binary(&[1, 2, 3]), Value::Json("{\"n\":-2}")],
    )
    .unwrap();
    // {type: 2, data: ["file", <bin 01 02 03>, {n: -2}], nsp: "/"}
    let want = mp("83 a4 'type 02 a4 'data 93 a4 'file c4 03 01 02 03 81 a1 'n fe a3 'nsp a1 2f");
    assert_eq!(drain(&mut s), [Message::Binary(want.clone())]);
    // Received: a BINARY_EVENT with one attachment, as with the JSON parser.
    s.handle_binary(T0, &want).unwrap();
    let Some(ServerEvent::Event { packet, .. }) = s.poll_event() else {
        panic!("no event");
    };
    assert_eq!(
        packet.text(),
        "51-[\"file\",{\"_placeholder\":true,\"num\":0},{\"n\":-2}]"
    );
    assert_eq!(packet.attachments(), [vec![1u8, 2, 3]]);
    // An ack with id and a namespace.
    let mut s = server();
    s.handle_binary(T0, &mp("82 a4 'type 00 a3 'nsp a2 '/a"))
        .unwrap();
    let _ = s.poll_event();
    s.accept_with_sid("/a", "x").unwrap();
    let _ = drain(&mut s);
    s.handle_binary(
        T0,
        &mp("84 a4 'type 02 a4 'data 91 a1 'q a2 'id 07 a3 'nsp a2 '/a"),
    )
    .unwrap();
    let Some(ServerEvent::Event { ack: Some(h), .. }) = s.poll_event() else {
        panic!("no event");
    };
    s.ack(h, &[Value::Json("1.5")]).unwrap();
    assert_eq!(
        drain(&mut s),
        [Message::Binary(mp(
            "84 a4 'type 03 a4 'data 91 cb 3f f8 00 00 00 00 00 00 a2 'id 07 a3 'nsp a2 '/a"
        ))]
    );
}

#[test]
fn malformed_and_text_input_close_the_machine() {
    for bad in [
        "82 a4 'type 05 a3 'nsp a1 2f",                // type out of range
        "82 a4 'type 02 a3 'nsp 01",                   // nsp not a string
        "83 a4 'type 02 a4 'data a1 'x a3 'nsp a1 2f", // EVENT data not an array
        "c1",                                          // never used
        "93 01 02",                                    // truncated
    ] {
        let mut s = connected_server();
        assert!(s.handle_binary(T0, &mp(bad)).is_err(), "{bad}");
        assert!(s.is_closed());
    }
    let mut s = connected_server();
    assert_eq!(
        s.handle_text(T0, "2[\"a\"]"),
        Err(SocketIoError::UnexpectedText)
    );
}

#[test]
fn client_and_server_pair() {
    let mut s = server();
    let mut c = ClientSocket::new(ClientConfig::default().with_parser(Parser::Msgpack));
    c.connect("/", Some("{\"token\":1}")).unwrap();
    let pump_cs = |c: &mut ClientSocket, s: &mut ServerSocket| {
        while let Some(m) = c.poll_transmit() {
            assert!(m.is_binary());
            s.handle_binary(T0, m.as_binary().unwrap()).unwrap();
        }
    };
    pump_cs(&mut c, &mut s);
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Connect {
            nsp: "/".into(),
            auth: Some("{\"token\":1}".into())
        })
    );
    s.accept_with_sid("/", "sid1").unwrap();
    s.emit("/", "bin", &[Value::Binary(&[9; 300])]).unwrap();
    for m in drain(&mut s) {
        c.handle_binary(T0, m.as_binary().unwrap()).unwrap();
    }
    assert!(matches!(c.poll_event(), Some(ClientEvent::Connect { sid, .. }) if sid == "sid1"));
    let Some(ClientEvent::Event { packet, .. }) = c.poll_event() else {
        panic!("no event");
    };
    assert_eq!(packet.attachments(), [vec![9u8; 300]]);
    let id = c
        .emit_with_ack(T0, "/", "q", &[Value::Str("é\"")], None)
        .unwrap();
    pump_cs(&mut c, &mut s);
    let Some(ServerEvent::Event {
        packet,
        ack: Some(h),
    }) = s.poll_event()
    else {
        panic!("no event");
    };
    assert_eq!(packet.text(), format!("2{id}[\"q\",\"é\\\"\"]"));
    s.ack(h, &[Value::Json("[1,true,null]")]).unwrap();
    for m in drain(&mut s) {
        c.handle_binary(T0, m.as_binary().unwrap()).unwrap();
    }
    let Some(ClientEvent::Ack { packet }) = c.poll_event() else {
        panic!("no ack");
    };
    assert_eq!(
        packet.packet().args().collect::<Vec<_>>(),
        ["[1,true,null]"]
    );
}

#[test]
fn pre_encoded_packets_carry_their_parser() {
    let mut s = connected_server();
    let json = EncodedPacket::event("/", "a", &[]).unwrap();
    assert_eq!(s.send(&json), Err(SocketIoError::ParserMismatch));
    let p = EncodedPacket::event_for(Parser::Msgpack, "/", None, "hello", &[Value::Str("you")])
        .unwrap();
    assert_eq!(p.nsp(), "/");
    assert_eq!(p.msgpack(), Some(README_NODE_ORDER));
    s.send(&p).unwrap();
    assert_eq!(
        drain(&mut s),
        [Message::SharedBinary(README_NODE_ORDER.into())]
    );
}

#[test]
fn hub_encodes_once_per_parser() {
    let mut hub = Hub::new(HubConfig::default());
    let mut socks = Vec::new();
    for i in 0..4 {
        let sess = hub.add_session(SessionInfo::default()).unwrap();
        if i % 2 == 1 {
            hub.set_session_parser(sess, Parser::Msgpack).unwrap();
        }
        socks.push(hub.add_socket(sess, "/", &format!("s{i}"), None).unwrap());
    }
    let n = hub
        .broadcast(&Target::namespace("/"), "hello", &[Value::Str("you")])
        .unwrap();
    assert_eq!(n, 4);
    let mut json = Vec::new();
    let mut msgp = Vec::new();
    while let Some(t) = hub.poll_transmit() {
        let msgs: Vec<_> = t.packet.engineio_messages().collect();
        match msgs[..] {
            [MessageRef::Text(text)] => {
                assert_eq!(text, "2[\"hello\",\"you\"]");
                json.push((t.socket, std::sync::Arc::as_ptr(t.packet)));
            }
            [MessageRef::Binary(b)] => {
                assert_eq!(b, README_NODE_ORDER);
                assert_eq!(t.packet.msgpack_message(), Some(README_NODE_ORDER));
                // One binary WebSocket frame: FIN + binary, 29-byte payload.
                assert_eq!(&t.packet.ws_frames()[..2], &[0x82, 29]);
                msgp.push((t.socket, std::sync::Arc::as_ptr(t.packet)));
            }
            _ => panic!("unexpected messages {msgs:?}"),
        }
    }
    assert_eq!(
        json.iter().map(|x| x.0).collect::<Vec<_>>(),
        [socks[0], socks[2]]
    );
    assert_eq!(
        msgp.iter().map(|x| x.0).collect::<Vec<_>>(),
        [socks[1], socks[3]]
    );
    // Encoded once per parser: every recipient of a parser shares one buffer.
    assert_eq!(json[0].1, json[1].1);
    assert_eq!(msgp[0].1, msgp[1].1);
    // A broadcast with acks reaches both, with the same id.
    hub.broadcast_with_ack(
        &Target::namespace("/"),
        "q",
        &[],
        T0,
        Duration::from_secs(1),
    )
    .unwrap();
    let mut kinds = Vec::new();
    while let Some(t) = hub.poll_transmit() {
        kinds.push(t.packet.msgpack_message().is_some());
    }
    assert_eq!(kinds, [false, false, true, true]);
}

mod model {
    //! Property: what the machine sends with the msgpack parser is the naive msgpack model of
    //! the arguments (JSON values, binary at any depth), and the receiving machine reads it
    //! back as exactly the text packet the JSON parser would have produced.
    use super::*;
    use proptest::prelude::*;
    use sockwire::msgpack::{self, Limits, Value as Mp};

    #[derive(Debug, Clone)]
    pub enum T {
        Null,
        Bool(bool),
        Int(i64),
        Str(String),
        Arr(Vec<T>),
        Obj(Vec<(String, T)>),
    }

    fn tree() -> impl Strategy<Value = T> {
        let leaf = prop_oneof![
            Just(T::Null),
            any::<bool>().prop_map(T::Bool),
            (-(1i64 << 53) + 1..(1i64 << 53)).prop_map(T::Int),
            any::<i8>().prop_map(|i| T::Int(i64::from(i))),
            "\\PC{0,12}".prop_map(T::Str),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(T::Arr),
                prop::collection::btree_map("[a-z\"\\\\é]{0,5}", inner, 0..6)
                    .prop_map(|m| T::Obj(m.into_iter().collect())),
            ]
        })
    }

    fn json(t: &T, out: &mut String) {
        match t {
            T::Null => out.push_str("null"),
            T::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            T::Int(i) => out.push_str(&i.to_string()),
            T::Str(s) => sockwire::json::push_string(out, s),
            T::Arr(a) => {
                out.push('[');
                for (k, x) in a.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    json(x, out);
                }
                out.push(']');
            }
            T::Obj(m) => {
                out.push('{');
                for (k, (key, x)) in m.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    sockwire::json::push_string(out, key);
                    out.push(':');
                    json(x, out);
                }
                out.push('}');
            }
        }
    }

    fn naive(t: &T) -> Mp<'_> {
        match t {
            T::Null => Mp::Nil,
            T::Bool(b) => Mp::Bool(*b),
            T::Int(i) if *i >= 0 => Mp::UInt(*i as u64),
            T::Int(i) => Mp::Int(*i),
            T::Str(s) => Mp::Str(s),
            T::Arr(a) => Mp::Array(a.iter().map(naive).collect()),
            T::Obj(m) => Mp::Map(m.iter().map(|(k, x)| (Mp::Str(k), naive(x))).collect()),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn machine_bytes_match_the_naive_model(
            event in "[a-z]{1,8}",
            trees in prop::collection::vec(tree(), 0..4),
            bins in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..3),
            nested in any::<bool>(),
            id in prop::option::of(0u64..1 << 40),
        ) {
            let texts: Vec<String> = trees.iter().map(|t| { let mut s = String::new(); json(t, &mut s); s }).collect();
            let mut args: Vec<Value<'_>> = texts.iter().map(|t| Value::Json(t)).collect();
            let wrapped: Vec<Value<'_>> = bins.iter().map(|b| Value::Binary(b)).collect();
            if nested {
                args.push(Value::Array(&wrapped));
            } else {
                args.extend(wrapped.iter().cloned());
            }
            let mut s = connected_server();
            match id {
                Some(_) => { s.emit_with_ack(T0, "/", &event, &args, None).unwrap(); }
                None => s.emit("/", &event, &args).unwrap(),
            }
            let out = drain(&mut s);
            prop_assert_eq!(out.len(), 1);
            let bytes = out[0].as_binary().unwrap().to_vec();
            // The model: {type: 2, data: [event, ...args], (id,) nsp: "/"}.
            let mut data = vec![Mp::Str(&event)];
            data.extend(trees.iter().map(naive));
            let bin_vals: Vec<Mp<'_>> = bins.iter().map(|b| Mp::Bin(b)).collect();
            if nested { data.push(Mp::Array(bin_vals)); } else { data.extend(bin_vals); }
            let mut map = vec![(Mp::Str("type"), Mp::UInt(2)), (Mp::Str("data"), Mp::Array(data))];
            if id.is_some() { map.push((Mp::Str("id"), Mp::UInt(0))); }
            map.push((Mp::Str("nsp"), Mp::Str("/")));
            let mut want = Vec::new();
            msgpack::encode(&Mp::Map(map), &mut want);
            prop_assert_eq!(&bytes, &want);
            prop_assert!(msgpack::decode(&bytes, &Limits::default()).is_ok());
            // Read back: the same text packet as the JSON parser writes.
            let mut text = String::new();
            let mut atts = Vec::new();
            sockwire::socketio::packet::encode_event(&mut text, &mut atts, "/", id.map(|_| 0), &event, &args).unwrap();
            let mut r = connected_server();
            r.handle_binary(T0, &bytes).unwrap();
            let Some(ServerEvent::Event { packet, .. }) = r.poll_event() else { panic!("no event") };
            prop_assert_eq!(packet.text(), text.as_str());
            let atts: Vec<Vec<u8>> = atts.iter().map(|a| a.to_vec()).collect();
            prop_assert_eq!(packet.attachments(), &atts[..]);
        }
    }
}
