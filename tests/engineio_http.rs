//! Engine.IO HTTP: request classification (reference error codes and their order, body caps,
//! chunked refusal, keep-alive, CORS), exact response bytes, and every-prefix / every-split-point
//! feeding of requests through the bounded head parser.
#![cfg(feature = "std")]

use sockwire::engineio::ErrorCode;
use sockwire::engineio::http::{
    Cors, HttpConfig, Method, Reject, ResponseOptions, Transport, classify, classify_request,
    write_ok_response, write_payload_response, write_preflight,
};
use sockwire::handshake::http::{HeadConfig, HeadParser, Header, Status};

fn code(method: &str, target: &str, headers: &[(&str, &str)]) -> Result<(), Reject> {
    let cfg = HttpConfig::default();
    classify(
        method,
        target,
        true,
        headers.iter().map(|(n, v)| (*n, v.as_bytes())),
        &cfg,
    )
    .map(|_| ())
}

const WS: &[(&str, &str)] = &[("Upgrade", "websocket"), ("Connection", "Upgrade")];

#[test]
fn reference_error_codes_in_reference_order() {
    use ErrorCode::*;
    let c = |e| Err(Reject::Code(e));
    assert_eq!(
        code("GET", "/engine.io/?EIO=4&transport=abc", &[]),
        c(TransportUnknown)
    );
    assert_eq!(code("GET", "/engine.io/?EIO=4", &[]), c(TransportUnknown));
    // Transport is checked before EIO and method.
    assert_eq!(
        code("PUT", "/engine.io/?EIO=3&transport=x", &[]),
        c(TransportUnknown)
    );
    assert_eq!(
        code("POST", "/engine.io/?EIO=4&transport=polling", &[]),
        c(BadHandshakeMethod)
    );
    assert_eq!(
        code("PUT", "/engine.io/?EIO=4&transport=polling", &[]),
        c(BadHandshakeMethod)
    );
    assert_eq!(
        code("GET", "/engine.io/?transport=polling", &[]),
        c(UnsupportedProtocolVersion)
    );
    assert_eq!(
        code("GET", "/engine.io/?EIO=3&transport=polling", &[]),
        c(UnsupportedProtocolVersion)
    );
    assert_eq!(
        code("GET", "/engine.io/?EIO=abc&transport=polling", &[]),
        c(UnsupportedProtocolVersion)
    );
    assert_eq!(
        code("GET", "/engine.io/?EIO=4&transport=websocket", &[]),
        c(BadRequest)
    );
    assert_eq!(
        code("GET", "/engine.io/?EIO=4&transport=websocket", WS),
        Ok(())
    );
    assert_eq!(
        code("GET", "/engine.io/?EIO=4&transport=polling&EIO=4", &[]),
        c(BadRequest)
    );
    assert_eq!(
        code(
            "GET",
            "/engine.io/?EIO=4&transport=polling",
            &[("Origin", "http://a\u{7f}")]
        ),
        c(BadRequest)
    );
    assert_eq!(
        code("PUT", "/engine.io/?EIO=4&transport=polling&sid=x", &[]),
        c(BadRequest)
    );
    assert_eq!(
        code("GET", "/engine.io/?EIO=4&transport=polling&t=1&t=2", &[]),
        Ok(())
    );
    assert_eq!(ErrorCode::Forbidden.status(), 403);
    assert_eq!(BadRequest.body(), r#"{"code":3,"message":"Bad request"}"#);
}

#[test]
fn bodies() {
    let t = "/engine.io/?EIO=4&transport=polling&sid=abc";
    assert_eq!(code("POST", t, &[("Content-Length", "1000000")]), Ok(()));
    assert_eq!(
        code("POST", t, &[("Content-Length", "1000001")]),
        Err(Reject::PayloadTooLarge)
    );
    assert_eq!(
        code("POST", t, &[("Content-Length", "99999999999999999999999")]),
        Err(Reject::Code(ErrorCode::BadRequest))
    );
    assert_eq!(
        code("POST", t, &[("Content-Length", "+5")]),
        Err(Reject::Code(ErrorCode::BadRequest))
    );
    assert_eq!(
        code(
            "POST",
            t,
            &[("Content-Length", "5"), ("Content-Length", "6")]
        ),
        Err(Reject::Code(ErrorCode::BadRequest))
    );
    assert_eq!(
        code(
            "POST",
            t,
            &[("Content-Length", "5"), ("Content-Length", "5")]
        ),
        Ok(())
    );
    assert_eq!(
        code("POST", t, &[("Transfer-Encoding", "chunked")]),
        Err(Reject::LengthRequired)
    );
    let mut out = vec![];
    Reject::PayloadTooLarge.write_response(&ResponseOptions::default(), &mut out);
    assert_eq!(
        out,
        b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn keep_alive_rules() {
    let cfg = HttpConfig::default();
    let t = "/engine.io/?EIO=4&transport=polling";
    let ka = |http11, h: &[(&str, &str)]| {
        classify(
            "GET",
            t,
            http11,
            h.iter().map(|(n, v)| (*n, v.as_bytes())),
            &cfg,
        )
        .unwrap()
        .keep_alive
    };
    assert!(ka(true, &[]));
    assert!(!ka(true, &[("connection", "Close")]));
    assert!(!ka(false, &[]));
    assert!(ka(false, &[("Connection", "keep-alive")]));
}

#[test]
fn responses_are_byte_exact() {
    let mut out = vec![];
    let opts = ResponseOptions {
        keep_alive: true,
        ..Default::default()
    };
    write_payload_response(b"4hello\x1e2", &opts, &mut out);
    assert_eq!(
        out,
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: 8\r\nConnection: keep-alive\r\n\r\n4hello\x1e2"
    );
    out.clear();
    write_ok_response(&opts, &mut out);
    assert!(out.ends_with(b"\r\n\r\nok"));
    out.clear();
    Reject::Code(ErrorCode::SessionIdUnknown).write_response(&opts, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 41\r\nConnection: keep-alive\r\n\r\n{\"code\":1,\"message\":\"Session ID unknown\"}"
    );
}

#[test]
fn cors_headers_and_preflight() {
    let cfg = HttpConfig {
        cors: Some(Cors {
            allow_origin: None,
            allow_credentials: true,
        }),
        ..HttpConfig::default()
    };
    let req = classify(
        "OPTIONS",
        "/engine.io/?EIO=4&transport=polling",
        true,
        [
            ("Origin", &b"http://app.example"[..]),
            ("Access-Control-Request-Headers", b"content-type"),
        ],
        &cfg,
    )
    .unwrap();
    assert_eq!(req.method, Method::Options);
    assert!(req.is_preflight());
    let mut out = vec![];
    write_preflight(&req, &cfg, &mut out);
    let s = String::from_utf8(out).unwrap();
    assert!(s.starts_with("HTTP/1.1 204 No Content\r\n"), "{s}");
    assert!(s.contains("Access-Control-Allow-Origin: http://app.example\r\n"));
    assert!(s.contains("Access-Control-Allow-Credentials: true\r\n"));
    assert!(s.contains("Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n"));
    // Regular responses carry the CORS headers too.
    let mut out = vec![];
    write_payload_response(b"6", &req.response_options(&cfg), &mut out);
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("Access-Control-Allow-Origin: http://app.example\r\n")
    );
    // Without CORS configured, a preflight gets the reference's method error.
    let plain = HttpConfig::default();
    let mut out = vec![];
    write_preflight(&req, &plain, &mut out);
    assert!(out.starts_with(b"HTTP/1.1 400 "));
}

const POST: &[u8] = b"POST /engine.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 13\r\n\r\n4hello\x1e4world";

fn classify_all(buf: &[u8]) -> Option<(usize, Transport, Option<String>, usize, Method)> {
    let mut slots = [Header::EMPTY; 16];
    match sockwire::handshake::http::parse_request(buf, &mut slots, &HeadConfig::default()).unwrap()
    {
        Status::Partial => None,
        Status::Complete(req) => {
            let er = classify_request(&req, &HttpConfig::default()).unwrap();
            Some((
                req.head_len(),
                er.transport,
                er.sid.map(str::to_string),
                er.content_length,
                er.method,
            ))
        }
    }
}

#[test]
fn every_prefix_of_the_head_is_partial() {
    let head_len = POST.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    for i in 0..head_len {
        assert_eq!(classify_all(&POST[..i]), None, "prefix {i}");
    }
    let full = classify_all(POST).unwrap();
    assert_eq!(
        full,
        (
            head_len,
            Transport::Polling,
            Some("abc".into()),
            13,
            Method::Post
        )
    );
    assert_eq!(&POST[head_len..], b"4hello\x1e4world");
    for i in head_len..=POST.len() {
        assert_eq!(classify_all(&POST[..i]), Some(full.clone()));
    }
}

#[test]
fn every_split_point_gives_the_same_request() {
    let want = classify_all(POST).unwrap();
    for split in 0..=POST.len() {
        let mut p = HeadParser::new(HeadConfig::default());
        let mut buf = Vec::new();
        let mut got = None;
        for chunk in [&POST[..split], &POST[split..]] {
            buf.extend_from_slice(chunk);
            let mut slots = [Header::EMPTY; 16];
            if let Status::Complete(req) = p.parse_request(&buf, &mut slots).unwrap() {
                let er = classify_request(&req, &HttpConfig::default()).unwrap();
                got = Some((
                    req.head_len(),
                    er.transport,
                    er.sid.map(str::to_string),
                    er.content_length,
                    er.method,
                ));
                break;
            }
        }
        assert_eq!(got, Some(want.clone()), "split {split}");
    }
}
