//! Packet codec behaviour beyond the reference vectors: the decided quirks, caps, the
//! placeholder CVE classes, every-prefix decoding, and encoder details.
#![cfg(feature = "std")]

mod socketio_support;

use sockwire::json::{JsonError, JsonErrorKind};
use sockwire::socketio::{
    DecodeConfig, Decoder, OwnedPacket, PacketType, SocketIoError, Value, packet,
};

fn dec(s: &str) -> Result<packet::Packet<'_>, SocketIoError> {
    packet::decode(s, &DecodeConfig::new())
}

/// Feeds a text header then attachments; returns the complete packet or the first error.
fn dec_seq(text: &str, atts: &[&[u8]]) -> Result<OwnedPacket, SocketIoError> {
    let mut d = Decoder::new(DecodeConfig::new());
    let mut owned = None;
    if let Some(p) = d.feed_text(text)? {
        assert!(atts.is_empty());
        return Ok(d_owned(p));
    }
    for a in atts {
        owned = d.feed_binary(a)?;
    }
    owned.ok_or(SocketIoError::Closed)
}

fn d_owned(p: packet::Packet<'_>) -> OwnedPacket {
    let mut d = Decoder::new(DecodeConfig::new());
    d.feed_text_owned(p.as_str().to_string()).unwrap().unwrap()
}

#[test]
fn quirks_decided() {
    assert_eq!(dec(""), Err(SocketIoError::Empty));
    // Errors say what is wrong and where (byte offsets in the packet text).
    let payload = |at, what| SocketIoError::InvalidPayload { at, what };
    assert_eq!(
        dec("2 [\"x\"]").unwrap_err(),
        payload(1, "whitespace before the payload")
    );
    assert_eq!(
        dec("2").unwrap_err(),
        payload(1, "an EVENT payload must be an array")
    );
    assert_eq!(
        dec("31").unwrap_err(),
        payload(2, "an ACK payload must be an array")
    );
    assert_eq!(
        dec("3").unwrap_err(),
        payload(1, "an ACK payload must be an array")
    );
    assert_eq!(
        dec("1{}").unwrap_err(),
        payload(1, "a DISCONNECT packet has no payload")
    );
    assert_eq!(
        dec("0[1]").unwrap_err(),
        payload(1, "a CONNECT payload must be a JSON object")
    );
    assert_eq!(
        dec("2[]").unwrap_err(),
        payload(1, "an EVENT needs an event name (the array is empty)")
    );
    assert_eq!(
        dec("2/a,[{}]").unwrap_err(),
        payload(5, "the event name must be a string or a number")
    );
    assert_eq!(
        dec("2 [\"x\"]").unwrap_err().to_string(),
        "invalid payload at byte 1: whitespace before the payload"
    );
    // Namespace without its comma at the end of the input is accepted.
    let p = dec("0/admin").unwrap();
    assert_eq!(
        (p.kind(), p.nsp(), p.data()),
        (PacketType::Connect, "/admin", None)
    );
    assert_eq!(dec("1/admin").unwrap().nsp(), "/admin");
    // Trailing whitespace is fine (JSON.parse allows it), leading is not.
    assert_eq!(dec("2[\"x\"] \n").unwrap().data(), Some("[\"x\"]"));
}

#[test]
fn ack_ids() {
    assert_eq!(
        dec("218446744073709551615[\"x\"]").unwrap().id(),
        Some(u64::MAX)
    );
    assert_eq!(
        dec("218446744073709551616[\"x\"]").unwrap_err(),
        SocketIoError::InvalidAckId
    );
    assert_eq!(
        dec("2999999999999999999999999[\"x\"]").unwrap_err(),
        SocketIoError::InvalidAckId
    );
    assert_eq!(dec("2/a,0[\"x\"]").unwrap().id(), Some(0));
    assert_eq!(dec("3/a,7[]").unwrap().id(), Some(7));
    // Non-digits where the id would be: not an id, and not JSON either.
    let json_at = |offset, kind| SocketIoError::InvalidJson(JsonError { offset, kind });
    assert_eq!(
        dec("2+1[\"x\"]").unwrap_err(),
        json_at(1, JsonErrorKind::UnexpectedByte(b'+'))
    );
    assert_eq!(
        dec("2١[\"x\"]").unwrap_err(),
        json_at(1, JsonErrorKind::UnexpectedByte(0xd9))
    );
}

#[test]
fn per_type_validation() {
    for ok in [
        "0",
        "0{}",
        "0/a,{\"token\":1}",
        "1",
        "1/a,",
        "2[\"a\"]",
        "2[1]",
        "2[-1.5e3,{}]",
        "3[]",
        "312[1,2]",
        "4\"no\"",
        "4{\"message\":\"x\",\"data\":[1]}",
        "4",
        "2[\"Connect\"]",
        // Like the reference, an id is parsed whatever the type (the machines ignore it).
        "01",
        "1/a,1",
        "41",
    ] {
        assert!(dec(ok).is_ok(), "{ok}");
    }
    for bad in [
        "0[]", "0\"x\"", "1{}", "1[]", "2{}", "2[]", "2[null]", "2[true]", "2[[]]", "2[{}]", "3{}",
        "3\"x\"", "4[]", "4null", "7", "9", "a", "/",
    ] {
        assert!(dec(bad).is_err(), "{bad}");
    }
    // Reserved names are compared after unescaping.
    for name in sockwire::socketio::packet::RESERVED_EVENTS {
        assert_eq!(
            dec(&format!("2[\"{name}\"]")).unwrap_err(),
            SocketIoError::InvalidPayload {
                at: 2,
                what: "reserved event name"
            }
        );
    }
    for reserved in ["2[\"connec\\u0074\"]", "2[\"disconnect\",1]"] {
        assert_eq!(
            dec(reserved).unwrap_err(),
            SocketIoError::InvalidPayload {
                at: 2,
                what: "reserved event name"
            }
        );
    }
    let p = dec("2[\"a\\nb\",1]").unwrap();
    assert_eq!(p.event_name().unwrap(), "a\nb");
    assert_eq!(p.event_name_raw().unwrap(), "\"a\\nb\"");
    assert_eq!(dec("2[7,\"x\"]").unwrap().event_name().unwrap(), "7");
}

#[test]
fn strict_json() {
    for bad in [
        "2[\"x\",]",
        "2[\"x\" 1]",
        "2[\"x\",01]",
        "2[\"x\",1.]",
        "2[\"x\",.5]",
        "2[\"x\",NaN]",
        "2[\"x\",'a']",
        "2[\"x\",\"\t\"]",
        "2[\"x\",\"\\x\"]",
        "2[\"x\",\"\\u12\"]",
        "2[\"x\",{a:1}]",
        "2[\"x\"]]",
        "2[\"x\"",
        "2[\"x\"]x",
    ] {
        // Where the strict scanner stops, like `json::validate` on the payload alone.
        let want = sockwire::json::validate(&bad[1..]).unwrap_err();
        match dec(bad).unwrap_err() {
            SocketIoError::InvalidJson(e) => {
                assert_eq!((e.offset, e.kind), (want.offset + 1, want.kind), "{bad}")
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
    let p = dec("2[ \"x\" , { \"a\" : [ 1 , 2 ] } , true ]").unwrap();
    assert_eq!(
        p.args().collect::<Vec<_>>(),
        ["{ \"a\" : [ 1 , 2 ] }", "true"]
    );
}

#[test]
fn depth_cap() {
    let deep = format!("2[\"x\",{}{}]", "[".repeat(127), "]".repeat(127));
    assert!(dec(&deep).is_ok());
    let deeper = format!("2[\"x\",{}{}]", "[".repeat(128), "]".repeat(128));
    assert_eq!(dec(&deeper).unwrap_err(), SocketIoError::JsonTooDeep);
    // Far deeper input is refused without exhausting the stack.
    let huge = format!("2[\"x\",{}", "[".repeat(200_000));
    assert_eq!(dec(&huge).unwrap_err(), SocketIoError::JsonTooDeep);
    let cfg = DecodeConfig::new().with_max_depth(2);
    assert!(packet::decode("2[\"x\",[]]", &cfg).is_ok());
    assert_eq!(
        packet::decode("2[\"x\",[[]]]", &cfg).unwrap_err(),
        SocketIoError::JsonTooDeep
    );
}

#[test]
fn attachment_count_syntax() {
    for bad in [
        "5",
        "5-",
        "51",
        "5a-",
        "5 1-",
        "5+1-",
        "5-1-",
        "5١-[\"x\"]",
        "50-[\"x\"]",
        "500-[\"x\"]",
        "6-[]",
    ] {
        assert_eq!(
            dec(bad).unwrap_err(),
            SocketIoError::IllegalAttachments,
            "{bad}"
        );
    }
    assert_eq!(
        dec("511-[\"x\"]").unwrap_err(),
        SocketIoError::TooManyAttachments { max: 10 }
    );
    assert_eq!(
        dec("5999999999999999999999999999-[\"x\"]").unwrap_err(),
        SocketIoError::TooManyAttachments { max: 10 }
    );
    assert_eq!(dec("510-[\"x\"]").unwrap().attachments(), 10);
    assert_eq!(dec("501-[\"x\"]").unwrap().attachments(), 1);
    // A huge allowed count is never preallocated: the decoder waits, holding only what came.
    let cfg = DecodeConfig::new().with_max_attachments(usize::MAX);
    let mut d = Decoder::new(cfg);
    assert!(
        d.feed_text("518446744073709551615-[\"x\"]")
            .unwrap()
            .is_none()
    );
    for _ in 0..100 {
        assert!(d.feed_binary(b"a").unwrap().is_none());
    }
    assert!(d.is_pending());
}

#[test]
fn placeholder_cves() {
    let one: &[&[u8]] = &[b"world"];
    for bad in [
        r#"51-["hello",{"_placeholder":true,"num":"splice"}]"#,
        r#"51-["hello",{"_placeholder":true,"num":1}]"#,
        r#"51-["hello",{"_placeholder":true,"num":-1}]"#,
        r#"51-["hello",{"_placeholder":true,"num":0.0}]"#,
        r#"51-["hello",{"_placeholder":true,"num":0.5}]"#,
        r#"51-["hello",{"_placeholder":true,"num":1e0}]"#,
        r#"51-["hello",{"_placeholder":true,"num":null}]"#,
        r#"51-["hello",{"_placeholder":true,"num":[0]}]"#,
        r#"51-["hello",{"_placeholder":true,"num":{"toString":0}}]"#,
        r#"51-["hello",{"_placeholder":true,"num":4294967296}]"#,
        r#"51-["hello",{"_placeholder":true}]"#,
        r#"51-["hello",{"_placeholder":true,"num":0,"num":0}]"#,
        r#"51-["hello",{"_placeholder":true,"_placeholder":true,"num":0}]"#,
        r#"51-["hello",{"_placeholde\u0072":true,"num":3}]"#,
        r#"51-["hello",{"a":[{"_placeholder":true,"num":1}]}]"#,
        r#"61-1[{"_placeholder":true,"num":9}]"#,
    ] {
        assert_eq!(
            dec(bad).unwrap_err(),
            SocketIoError::InvalidPlaceholder,
            "{bad}"
        );
    }
    assert_eq!(
        dec(r#"51-["hello",{"_placeholder":true,"num":00}]"#).unwrap_err(),
        SocketIoError::InvalidJson(JsonError {
            offset: 40,
            kind: JsonErrorKind::InvalidNumber
        })
    );
    // Either key order, extra keys ignored, nested anywhere.
    for ok in [
        r#"51-["hello",{"num":0,"_placeholder":true}]"#,
        r#"51-["hello",{ "_placeholder" : true , "num" : 0 , "x":1}]"#,
        r#"51-["hello",{"a":{"b":[{"_placeholder":true,"num":0}]}}]"#,
    ] {
        let p = dec_seq(ok, one).unwrap();
        let j = socketio_support::owned_to_j(&p);
        assert!(j.to_json().contains("776f726c64"), "{ok}: {}", j.to_json());
    }
    // `_placeholder` not `true`: plain data; and in a non-binary packet placeholders are data.
    let p = dec_seq(r#"51-["x",{"_placeholder":"true","num":7}]"#, one).unwrap();
    assert_eq!(p.binary(p.packet().args().next().unwrap()), None);
    let p = dec(r#"2["x",{"_placeholder":true,"num":7}]"#).unwrap();
    assert_eq!(p.args().next(), Some(r#"{"_placeholder":true,"num":7}"#));
}

#[test]
fn reassembly_errors_and_caps() {
    let mut d = Decoder::new(DecodeConfig::new());
    assert_eq!(
        d.feed_binary(b"x").unwrap_err(),
        SocketIoError::UnexpectedBinary
    );
    assert!(
        d.feed_text(r#"52-["x",{"_placeholder":true,"num":0}]"#)
            .unwrap()
            .is_none()
    );
    assert!(d.feed_binary(b"a").unwrap().is_none());
    assert_eq!(
        d.feed_text("2[\"y\"]").unwrap_err(),
        SocketIoError::UnexpectedText
    );
    assert!(!d.is_pending());
    assert_eq!(
        d.feed_text_owned("2[\"y\"]".into())
            .unwrap()
            .unwrap()
            .text(),
        "2[\"y\"]"
    );

    let cfg = DecodeConfig::new().with_max_packet_bytes(64);
    assert_eq!(
        packet::decode(&format!("2[\"{}\"]", "a".repeat(61)), &cfg).unwrap_err(),
        SocketIoError::TooLarge { limit: 64 }
    );
    let mut d = Decoder::new(cfg);
    let head = r#"52-["x",{"_placeholder":true,"num":0}]"#; // 38 bytes
    assert!(d.feed_text(head).unwrap().is_none());
    assert!(d.feed_binary(&[0; 20]).unwrap().is_none());
    assert_eq!(
        d.feed_binary(&[0; 7]).unwrap_err(),
        SocketIoError::TooLarge { limit: 64 }
    );
    assert!(!d.is_pending());
    // Exactly at the cap is fine.
    assert!(d.feed_text(head).unwrap().is_none());
    assert!(d.feed_binary(&[0; 20]).unwrap().is_none());
    let p = d.feed_binary_owned(vec![1; 6]).unwrap().unwrap();
    assert_eq!(p.attachments(), [vec![0; 20], vec![1; 6]]);
}

/// Every prefix of every valid packet decodes (to something) or errors, never panics, and a
/// prefix that decodes re-encodes to itself.
#[test]
fn every_prefix() {
    let samples = [
        r#"2/chat,123["message",{"a":"b\n","c":[1,2.5e-3,true,null]}]"#,
        r#"0/admin,{"token":"\u00e9"}"#,
        r#"4/x,{"message":"Invalid namespace"}"#,
        r#"3/a,77["x",[],{}]"#,
        r#"52-/deep,99["a",{"b":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":1}]"#,
    ];
    for s in samples {
        for cut in 0..=s.len() {
            if !s.is_char_boundary(cut) {
                continue;
            }
            let _ = dec(&s[..cut]);
        }
    }
}

/// Feeding a binary packet's messages with other work in between (a second decoder, polls)
/// gives the same packet as feeding them back to back.
#[test]
fn attachments_across_calls() {
    let head = r#"53-["m",{"_placeholder":true,"num":2},{"_placeholder":true,"num":0},{"x":{"_placeholder":true,"num":1}}]"#;
    let atts: [&[u8]; 3] = [b"", &[0xff; 3], b"zz"];
    let whole = dec_seq(head, &atts).unwrap();
    let mut d = Decoder::new(DecodeConfig::new());
    assert!(d.feed_text(head).unwrap().is_none());
    assert!(d.feed_binary_owned(atts[0].to_vec()).unwrap().is_none());
    assert!(d.is_pending());
    assert!(d.feed_binary(atts[1]).unwrap().is_none());
    let p = d.feed_binary(atts[2]).unwrap().unwrap();
    assert_eq!(p, whole);
    let args: Vec<_> = p.packet().args().collect();
    assert_eq!(p.binary(args[0]), Some(&b"zz"[..]));
    assert_eq!(p.binary(args[1]), Some(&b""[..]));
    assert_eq!(p.binary(args[2]), None);
}

#[test]
fn encoder_details() {
    let mut out = String::new();
    let mut atts = Vec::new();
    // `/` never written, other namespaces always with the comma, escaping like JSON.stringify.
    packet::encode_event(
        &mut out,
        &mut atts,
        "/",
        None,
        "a\"b",
        &[Value::Str("\u{1}\u{7f}\u{2028}é\\")],
    )
    .unwrap();
    assert_eq!(out, "2[\"a\\\"b\",\"\\u0001\u{7f}\u{2028}é\\\\\"]");
    out.clear();
    packet::encode_event(&mut out, &mut atts, "/n", Some(0), "e", &[]).unwrap();
    assert_eq!(out, "2/n,0[\"e\"]");
    out.clear();
    packet::encode_connect(&mut out, "/n", None).unwrap();
    assert_eq!(out, "0/n,");
    out.clear();
    packet::encode_disconnect(&mut out, "/").unwrap();
    assert_eq!(out, "1");
    out.clear();
    packet::encode_connect_error(&mut out, "/random", "Invalid namespace", None).unwrap();
    assert_eq!(out, r#"4/random,{"message":"Invalid namespace"}"#);
    out.clear();
    packet::encode_connect_error(&mut out, "/", "no", Some(r#"{ "why" : 1 }"#)).unwrap();
    assert_eq!(out, r#"4{"message":"no","data":{"why":1}}"#);
    out.clear();
    // Raw JSON is validated and minified (strings untouched).
    packet::encode_ack(
        &mut out,
        &mut atts,
        "/",
        5,
        &[Value::Json(" { \"a b\" : [ 1 , \"x y\" ] } \n")],
    )
    .unwrap();
    assert_eq!(out, r#"35[{"a b":[1,"x y"]}]"#);
    // Errors append nothing.
    out.clear();
    out.push_str("keep");
    assert_eq!(
        packet::encode_event(
            &mut out,
            &mut atts,
            "/",
            None,
            "e",
            &[Value::Binary(b"x"), Value::Json("[1,]")]
        ),
        Err(SocketIoError::InvalidJson(JsonError {
            offset: 3,
            kind: JsonErrorKind::UnexpectedByte(b']')
        }))
    );
    assert_eq!(
        packet::encode_event(&mut out, &mut atts, "/", None, "connect", &[]),
        Err(SocketIoError::ReservedEvent)
    );
    assert_eq!(
        packet::encode_event(&mut out, &mut atts, "nsp", None, "e", &[]),
        Err(SocketIoError::InvalidNamespace)
    );
    assert_eq!(
        packet::encode_event(&mut out, &mut atts, "/a,b", None, "e", &[]),
        Err(SocketIoError::InvalidNamespace)
    );
    assert_eq!(
        packet::encode_connect(&mut out, "/", Some("[1]")),
        Err(SocketIoError::InvalidPayload {
            at: 0,
            what: "the CONNECT auth must be a JSON object"
        })
    );
    assert_eq!(out, "keep");
    assert!(atts.is_empty());
    // Binary anywhere, numbered depth-first; emit with ack and binary is type 5.
    out.clear();
    let (a, b, c) = (vec![1u8], vec![2u8], vec![3u8]);
    let tree = [
        Value::Object(&[
            ("k", Value::Array(&[Value::Binary(&a), Value::Json("1")])),
            ("l", Value::Binary(&b)),
        ]),
        Value::Binary(&c),
    ];
    let kind = packet::encode_event(&mut out, &mut atts, "/", Some(3), "e", &tree).unwrap();
    assert_eq!(kind, PacketType::BinaryEvent);
    assert_eq!(
        out,
        r#"53-3["e",{"k":[{"_placeholder":true,"num":0},1],"l":{"_placeholder":true,"num":1}},{"_placeholder":true,"num":2}]"#
    );
    assert_eq!(atts, [&a[..], &b[..], &c[..]]);
}

/// Re-emitting a received binary packet's arguments renumbers placeholders depth-first and
/// reorders the attachments to match.
#[test]
fn forward_renumbers() {
    let p = dec_seq(
        r#"52-["m",{"_placeholder":true,"num":1},{"z":[{"_placeholder":true,"num":0}],"n":1}]"#,
        &[b"A", b"B"],
    )
    .unwrap();
    let vals = p.arg_values();
    assert_eq!(vals[0], Value::Binary(b"B"));
    let mut out = String::new();
    let mut atts = Vec::new();
    packet::encode_event(&mut out, &mut atts, "/", None, "m-back", &vals).unwrap();
    assert_eq!(
        out,
        r#"52-["m-back",{"_placeholder":true,"num":0},{"z":[{"_placeholder":true,"num":1}],"n":1}]"#
    );
    assert_eq!(atts, [&b"B"[..], &b"A"[..]]);
    // A forwarded value whose placeholder points past its attachments is refused.
    let bad = [Value::WithAttachments(
        r#"[{"_placeholder":true,"num":3}]"#,
        p.attachments(),
    )];
    assert_eq!(
        packet::encode_event(&mut out, &mut atts, "/", None, "m", &bad),
        Err(SocketIoError::InvalidPlaceholder)
    );
}
