//! Token lists and extension grammar: correct on tricky input and linear on pathological input
//! (every iterator only moves forward over its slice; the work counter of the head parser and
//! the item counts below bound the work).
use sockwire::handshake::http::{
    Extensions, HeadConfig, Header, ListIter, Status, validate_extensions,
};
use sockwire::handshake::{HandshakeError, parse_request};

fn head_with(line: &str) -> Vec<u8> {
    format!(
        "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{line}\r\n\r\n"
    )
    .into_bytes()
}

fn server(line: &str) -> Result<usize, HandshakeError> {
    let input = head_with(line);
    let mut slots = [Header::EMPTY; 16];
    match parse_request(&input, &mut slots, &HeadConfig::default())? {
        Status::Complete(r) => Ok(r.subprotocols().count() + r.extensions().count()),
        Status::Partial => panic!("partial"),
    }
}

#[test]
fn extension_grammar() {
    let ok = [
        "permessage-deflate",
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate;client_max_window_bits=15;server_no_context_takeover",
        "permessage-deflate; client_max_window_bits=\"15\"",
        "a; b=\"c\\d\", e",
        "a , , b",
        "a\t;\tb = c",
    ];
    for v in ok {
        assert!(
            validate_extensions(&[Header::new(b"e", v.as_bytes())], "e").is_ok(),
            "{v}"
        );
    }
    let bad = [
        "a;",
        ";a",
        "a; =b",
        "a; b=",
        "a; b=\"\"",
        "a; b=\"c d\"",
        "a; b=\"c,d\"",
        "a; b=\"unterminated",
        "a; b=\"c\\\"",
        "a b",
        "a; b c",
        "\"a\"",
        "a=b",
    ];
    for v in bad {
        assert!(
            validate_extensions(&[Header::new(b"e", v.as_bytes())], "e").is_err(),
            "{v}"
        );
    }
    // Parameters, with quoted values unescaped.
    let h = [Header::new(b"e", b"x; a; b=1; c=\"2\\3\"")];
    let e = Extensions::new(&h, "e").next().unwrap().unwrap();
    let p: Vec<_> = e.params().collect();
    assert_eq!(p.len(), 3);
    assert_eq!((p[0].name(), p[0].raw_value()), ("a", None));
    assert_eq!(
        (p[1].name(), p[1].raw_value(), p[1].is_quoted()),
        ("b", Some("1"), false)
    );
    assert_eq!(
        (p[2].name(), p[2].raw_value(), p[2].is_quoted()),
        ("c", Some("2\\3"), true)
    );
    assert_eq!(p[2].value_bytes().unwrap().collect::<Vec<u8>>(), b"23");
}

/// Lists that would make a naive quadratic splitter (re-scanning from the start for each
/// element) or a backtracking grammar slow, each filling most of the 8 KiB head.
#[test]
fn pathological_lists_near_the_head_cap() {
    let n = 7000;
    // Thousands of empty elements.
    assert_eq!(
        server(&format!("Sec-WebSocket-Protocol: a{}", ",".repeat(n))),
        Ok(1)
    );
    // Thousands of one-byte tokens.
    let many = vec!["a"; n / 2].join(",");
    assert_eq!(
        server(&format!("Sec-WebSocket-Protocol: {many}")),
        Ok(n / 2)
    );
    // Thousands of parameters on one extension.
    let params = "; a".repeat(n / 3);
    assert_eq!(
        server(&format!("Sec-WebSocket-Extensions: x{params}")),
        Ok(1)
    );
    // A long run of escaped quotes inside one quoted string.
    let quoted = "\\a".repeat(n / 2);
    assert_eq!(
        server(&format!("Sec-WebSocket-Extensions: x; p=\"{quoted}\"")),
        Ok(1)
    );
    // ...and unterminated: rejected after one pass.
    assert_eq!(
        server(&format!("Sec-WebSocket-Extensions: x; p=\"{quoted}")),
        Err(HandshakeError::Extensions)
    );
    // Alternating separators and whitespace.
    let ws = ", \t".repeat(n / 3);
    assert_eq!(server(&format!("Sec-WebSocket-Extensions: x{ws}y")), Ok(2));
    // Invalid at the very end of a long list.
    let mut bad = vec!["a"; n / 2].join(",");
    bad.push_str(",(");
    assert_eq!(
        server(&format!("Sec-WebSocket-Protocol: {bad}")),
        Err(HandshakeError::Subprotocols)
    );
}

#[test]
fn list_iteration_is_single_pass() {
    // Each element is yielded exactly once, in order, across repeated headers.
    let v1 = "a,b,,c".to_string();
    let v2 = " , d ,e".to_string();
    let h = [
        Header::new(b"P", v1.as_bytes()),
        Header::new(b"X", b"z"),
        Header::new(b"p", v2.as_bytes()),
    ];
    let got: Vec<&[u8]> = ListIter::new(&h, "p").collect();
    assert_eq!(got, [&b"a"[..], b"b", b"c", b"d", b"e"]);
    // The number of steps is bounded by the input: after exhaustion, nothing more.
    let mut it = ListIter::new(&h, "p");
    for _ in 0..5 {
        assert!(it.next().is_some());
    }
    assert!(it.next().is_none());
    assert!(it.next().is_none());
}

#[test]
fn token_list_validator_agrees_with_the_list_iterator() {
    use sockwire::handshake::http::{is_token, is_token_list};
    let samples = [
        "", "a", "a,b", " a , b ", ",,a,,", "a b", "a,b c", "a\t,\tb", "a;b", "\"a\"", "a,,", " ",
        ",", "a , b c", "a\u{e9}", "x-y.z_1~", "a,\tb\t", "a\x01",
    ];
    for s in samples {
        let naive = ListIter::value(s.as_bytes()).all(is_token)
            && s.bytes()
                .all(|b| b == b',' || b == b' ' || b == b'\t' || b.is_ascii_graphic());
        assert_eq!(is_token_list(s.as_bytes()), naive, "{s:?}");
    }
}
