//! Every Engine.IO v4 vector of the reference implementation (engine.io-parser 5.2.3 and the
//! engine.io server's HTTP errors), from the committed copy `tests/engineio_vectors.jsonl` of
//! `../shared/vectors/socketio-engineio.jsonl`. Read with `sockwire::json`, no serde.
#![cfg(feature = "std")]

use std::time::Duration;

use sockwire::engineio::http::{HttpConfig, Transport, classify};
use sockwire::engineio::packet::{Packet, PacketData, PacketType};
use sockwire::engineio::payload::{decode_payload, encode_payload, encode_payload_to_vec};
use sockwire::engineio::server::{Registry, ServerConfig};
use sockwire::json;

const VECTORS: &str = include_str!("engineio_vectors.jsonl");

fn member<'a>(obj: &'a str, key: &str) -> Option<&'a str> {
    json::object_members(obj)
        .unwrap()
        .map(Result::unwrap)
        .find(|(k, _)| json::string_eq(k, key))
        .map(|(_, v)| v)
}

fn string(raw: &str) -> String {
    json::unescape(raw).unwrap().into_owned()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// `{"$bin":"hex"}` → bytes, a JSON string → None.
fn bin(raw: &str) -> Option<Vec<u8>> {
    raw.trim_start()
        .starts_with('{')
        .then(|| hex(&string(member(raw, "$bin").unwrap())))
}

fn packet_type(name: &str) -> PacketType {
    [
        PacketType::Open,
        PacketType::Close,
        PacketType::Ping,
        PacketType::Pong,
        PacketType::Message,
        PacketType::Upgrade,
        PacketType::Noop,
    ]
    .into_iter()
    .find(|t| t.name() == name)
    .unwrap_or_else(|| panic!("unknown type {name}"))
}

/// Owned form of a vector packet: (type, text, binary).
type Owned = (PacketType, String, Option<Vec<u8>>);

fn owned_of(raw: &str) -> Owned {
    let t = packet_type(&string(member(raw, "type").unwrap()));
    match member(raw, "data") {
        None => (t, String::new(), None),
        Some(d) => match bin(d) {
            Some(b) => (t, String::new(), Some(b)),
            None => (t, string(d), None),
        },
    }
}

fn as_packet(o: &Owned) -> Packet<'_> {
    match &o.2 {
        Some(b) => Packet::binary(b),
        None => Packet::text(o.0, &o.1),
    }
}

fn lines(layer: &str) -> Vec<&'static str> {
    let v: Vec<_> = VECTORS
        .lines()
        .filter(|l| member(l, "layer").is_some_and(|raw| json::string_eq(raw, layer)))
        .collect();
    assert!(!v.is_empty(), "no vectors for {layer}");
    v
}

#[test]
fn packet_encode() {
    for l in lines("eio4-packet-encode") {
        let o = owned_of(member(l, "in").unwrap());
        let want = string(member(l, "out").unwrap());
        let p = as_packet(&o);
        let mut v = Vec::new();
        p.encode_to_vec(&mut v);
        assert_eq!(String::from_utf8(v).unwrap(), want, "{l}");
        // And it decodes back.
        assert_eq!(Packet::decode_text(&want).unwrap(), p, "{l}");
    }
}

#[test]
fn packet_encode_polling_binary_is_base64() {
    for l in lines("eio4-packet-encode-polling") {
        let o = owned_of(member(l, "in").unwrap());
        let want = string(member(l, "out").unwrap());
        let mut buf = [0u8; 64];
        let n = as_packet(&o).encode(&mut buf).unwrap();
        assert_eq!(&buf[..n], want.as_bytes(), "{l}");
    }
}

#[test]
fn packet_encode_ws_binary_is_raw() {
    for l in lines("eio4-packet-encode-ws") {
        let o = owned_of(member(l, "in").unwrap());
        let want = bin(member(l, "out").unwrap()).unwrap();
        match as_packet(&o).ws_frame() {
            sockwire::engineio::packet::WsFrame::Binary(b) => assert_eq!(&b[..], &want[..]),
            other => panic!("{other:?}"),
        }
        // A binary frame decodes to the same message.
        assert_eq!(Packet::decode_binary(&want), as_packet(&o));
    }
}

#[test]
fn payload_encode() {
    for l in lines("eio4-payload-encode") {
        let owned: Vec<Owned> = json::array_items(member(l, "in").unwrap())
            .unwrap()
            .map(|r| owned_of(r.unwrap()))
            .collect();
        let packets: Vec<Packet<'_>> = owned.iter().map(as_packet).collect();
        let want = string(member(l, "out").unwrap());
        let mut v = Vec::new();
        encode_payload_to_vec(&packets, &mut v).unwrap();
        assert_eq!(String::from_utf8(v).unwrap(), want, "{l}");
        let mut buf = vec![0u8; want.len()];
        assert_eq!(encode_payload(&packets, &mut buf).unwrap(), want.len());
        assert_eq!(buf, want.as_bytes());
    }
}

#[test]
fn payload_decode() {
    let mut errors = 0;
    for l in lines("eio4-payload-decode") {
        let input = string(member(l, "in").unwrap());
        let want: Vec<&str> = json::array_items(member(l, "out").unwrap())
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let got: Vec<_> = decode_payload(&input).collect();
        assert_eq!(got.len(), want.len(), "{l}");
        for (g, w) in got.iter().zip(&want) {
            let wtype = string(member(w, "type").unwrap());
            if wtype == "error" {
                assert_eq!(string(member(w, "data").unwrap()), "parser error");
                assert!(g.as_ref().unwrap_err().is_parse_error(), "{l}: {g:?}");
                errors += 1;
                continue;
            }
            let g = g.as_ref().unwrap_or_else(|e| panic!("{l}: {e}"));
            let o = owned_of(w);
            assert_eq!(g.packet_type(), o.0, "{l}");
            match (&o.2, g.data()) {
                (Some(b), PacketData::Base64(_)) => assert_eq!(&g.binary_to_vec(), b, "{l}"),
                (None, PacketData::Text(t)) => assert_eq!(t, o.1, "{l}"),
                other => panic!("{l}: {other:?}"),
            }
        }
    }
    assert!(errors >= 3);
}

#[test]
fn http_errors() {
    let cfg = HttpConfig::default();
    let mut reg = Registry::new(ServerConfig::default(), 16);
    for l in lines("eio-http-error") {
        let input = string(member(l, "in").unwrap());
        let out = member(l, "out").unwrap();
        let mut words = input.split(' ');
        let method = words.next().unwrap();
        let target = words.next().unwrap();
        let status = json::parse_u64(member(out, "status").unwrap()).unwrap();
        let body = string(member(out, "body").unwrap());
        let reject = match classify(method, target, true, [], &cfg) {
            Err(r) => r,
            Ok(req) => reg
                .handle_request(
                    Duration::ZERO,
                    req.sid.expect("an accepted vector request has a sid"),
                    Transport::Polling,
                )
                .map(|_| ())
                .unwrap_err(),
        };
        assert_eq!(u64::from(reject.status()), status, "{l}");
        let mut resp = Vec::new();
        reject.write_response(&Default::default(), &mut resp);
        let resp = String::from_utf8(resp).unwrap();
        assert!(resp.starts_with(&format!("HTTP/1.1 {status} ")), "{resp}");
        assert!(resp.ends_with(&format!("\r\n\r\n{body}")), "{l}\n{resp}");
        if let Some(ct) = member(out, "content-type") {
            assert!(
                resp.contains(&format!("Content-Type: {}\r\n", string(ct))),
                "{resp}"
            );
        }
    }
}
