//! `handshake_check`: verify WebSocket opening-handshake vectors and recorded exchanges.
//!
//! ```text
//! cargo run --example handshake_check -- KEY [ACCEPT]
//! cargo run --example handshake_check -- --request FILE [--response FILE]
//! ```
//!
//! With a key, prints the `Sec-WebSocket-Accept` it must produce (RFC 6455 §4.2.2) and, given an
//! accept value, whether it matches and where it differs. With a recorded request (and
//! optionally the response to it), runs every server-side and client-side check of RFC 6455 §4
//! through `sockwire::handshake::{audit_request, audit_response}` and prints each verdict with
//! its section. Exit status 0 only when everything holds (a key that is not base64 of 16 bytes is a failed
//! check, whatever the accept value), 1 when a check fails, 2 on usage or
//! I/O errors.
//!
//! Files hold the raw bytes of the exchange. A file without any CR is taken to be a
//! hand-written head with LF line endings and converted to CRLF (a note says so).
use std::process::ExitCode;

use sockwire::handshake::http::{HeadConfig, HeadParser, Header, Status};
use sockwire::handshake::{Verdict, accept_key, audit_request, audit_response, is_valid_key};

fn usage() -> ExitCode {
    eprintln!(
        "usage: handshake_check KEY [ACCEPT]\n       handshake_check --request FILE [--response FILE]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, req] if flag == "--request" => exchange(req, None),
        [flag, req, flag2, resp] if flag == "--request" && flag2 == "--response" => {
            exchange(req, Some(resp))
        }
        [key] if !key.starts_with("--") => key_mode(key, None),
        [key, accept] if !key.starts_with("--") => key_mode(key, Some(accept)),
        _ => usage(),
    }
}

/// The outcome of key mode, decided before anything is printed: exit 0 only when every check
/// holds (the key is valid and, when an accept value is given, it matches).
#[derive(Debug, PartialEq, Eq)]
struct KeyVerdict {
    key_valid: bool,
    accept_matches: Option<bool>,
}

impl KeyVerdict {
    fn new(key: &str, given: Option<&str>) -> Self {
        let expected = accept_key(key.as_bytes());
        KeyVerdict {
            key_valid: is_valid_key(key.as_bytes()),
            accept_matches: given.map(|g| g.as_bytes() == expected),
        }
    }

    fn all_hold(&self) -> bool {
        self.key_valid && self.accept_matches != Some(false)
    }
}

fn key_mode(key: &str, given: Option<&str>) -> ExitCode {
    let verdict = KeyVerdict::new(key, given);
    let expected = accept_key(key.as_bytes());
    let expected = std::str::from_utf8(&expected).unwrap_or_default();
    println!("Sec-WebSocket-Key:    {key}");
    if !verdict.key_valid {
        println!(
            "  FAIL: this key is not the base64 encoding of exactly 16 bytes; a strict server \
             rejects it with 400 (RFC 6455 §4.1 item 7)"
        );
    }
    println!("Sec-WebSocket-Accept: {expected}");
    match given {
        None => {}
        Some(given) if verdict.accept_matches == Some(true) => {
            println!("given accept:         {given}  MATCHES");
        }
        Some(given) => print_mismatch(expected, given),
    }
    if verdict.all_hold() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn print_mismatch(expected: &str, given: &str) {
    println!("given accept:         {given}  DOES NOT MATCH");
    let (e, g) = (expected.as_bytes(), given.as_bytes());
    if e.len() != g.len() {
        println!("  length differs: expected {}, given {}", e.len(), g.len());
    }
    let marks: String = (0..e.len().max(g.len()))
        .map(|i| if e.get(i) == g.get(i) { ' ' } else { '^' })
        .collect();
    println!("                      {marks}");
    for i in 0..e.len().max(g.len()) {
        let show = |b: Option<&u8>| match b {
            Some(&b) => format!("{:?}", b as char),
            None => "(none)".into(),
        };
        if e.get(i) != g.get(i) {
            println!(
                "  position {i}: expected {} but given {}",
                show(e.get(i)),
                show(g.get(i))
            );
        }
    }
}

fn read(path: &str) -> Result<Vec<u8>, ExitCode> {
    match std::fs::read(path) {
        Ok(mut bytes) => {
            if !bytes.contains(&b'\r') && bytes.contains(&b'\n') {
                println!("note: {path} has no CR; treating its LF line endings as CRLF");
                bytes = bytes
                    .iter()
                    .flat_map(|&b| {
                        if b == b'\n' {
                            vec![b'\r', b'\n']
                        } else {
                            vec![b]
                        }
                    })
                    .collect();
            }
            Ok(bytes)
        }
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            Err(ExitCode::from(2))
        }
    }
}

fn print(verdicts: &[Verdict], server_side: bool) -> bool {
    let mut all = true;
    for v in verdicts {
        match v.result {
            Ok(()) => println!("  PASS  §{:<24} {}", v.section, v.rule),
            Err(e) => {
                all = false;
                let reply = match e.status() {
                    Some(s) if server_side => format!(" (a server answers {s})"),
                    _ => String::new(),
                };
                println!(
                    "  FAIL  §{:<24} {}\n        -> {e}{reply}",
                    v.section, v.rule
                );
            }
        }
    }
    all
}

fn exchange(req_path: &str, resp_path: Option<&String>) -> ExitCode {
    let req_bytes = match read(req_path) {
        Ok(b) => b,
        Err(c) => return c,
    };
    let resp_bytes = match resp_path.map(|p| read(p)).transpose() {
        Ok(b) => b,
        Err(c) => return c,
    };
    let mut ok = true;

    println!("request: {req_path}");
    let mut slots = vec![Header::EMPTY; 256];
    let mut parser = HeadParser::new(HeadConfig::default().max_headers(256));
    let req = match parser.parse_request(&req_bytes, &mut slots) {
        Ok(Status::Complete(r)) => {
            println!(
                "  PASS  §{:<24} HTTP/1.1 request head is well-formed",
                "4.1 (1), RFC 7230 3"
            );
            r
        }
        Ok(Status::Partial) => {
            println!(
                "  FAIL  §{:<24} request head is incomplete (no empty line)",
                "4.1, RFC 7230 3"
            );
            return ExitCode::from(1);
        }
        Err(e) => {
            println!(
                "  FAIL  §{:<24} HTTP/1.1 request head is well-formed\n        -> {e} (a server answers {})",
                "4.1 (1), RFC 7230 3",
                e.status()
            );
            return ExitCode::from(1);
        }
    };
    ok &= print(&audit_request(&req), true);
    if let Some(key) = req.header("sec-websocket-key") {
        let accept = accept_key(key);
        println!(
            "  info  Sec-WebSocket-Accept for this key: {}",
            String::from_utf8_lossy(&accept)
        );
    }
    if req.head_len() < req_bytes.len() {
        println!(
            "  info  {} byte(s) after the head belong to the frame layer",
            req_bytes.len() - req.head_len()
        );
    }

    if let (Some(resp_bytes), Some(path)) = (resp_bytes.as_ref(), resp_path) {
        println!("response: {path}");
        let mut slots = vec![Header::EMPTY; 256];
        let mut parser = HeadParser::new(HeadConfig::default().max_headers(256));
        match parser.parse_response(resp_bytes, &mut slots) {
            Ok(Status::Complete(resp)) => {
                println!(
                    "  PASS  §{:<24} HTTP/1.1 response head is well-formed",
                    "4.1, RFC 7230 3"
                );
                ok &= print(&audit_response(&resp, &req), false);
                if resp.head_len() < resp_bytes.len() {
                    println!(
                        "  info  {} byte(s) after the head belong to the frame layer",
                        resp_bytes.len() - resp.head_len()
                    );
                }
            }
            Ok(Status::Partial) => {
                ok = false;
                println!(
                    "  FAIL  §{:<24} response head is incomplete (no empty line)",
                    "4.1, RFC 7230 3"
                );
            }
            Err(e) => {
                ok = false;
                println!(
                    "  FAIL  §{:<24} HTTP/1.1 response head is well-formed\n        -> {e}",
                    "4.1, RFC 7230 3"
                );
            }
        }
    }
    println!(
        "{}",
        if ok {
            "all checks hold"
        } else {
            "some checks FAILED"
        }
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

#[cfg(test)]
mod tests {
    use super::KeyVerdict;

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
    const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    #[test]
    fn exit_zero_only_when_every_check_holds() {
        assert!(KeyVerdict::new(KEY, None).all_hold());
        assert!(KeyVerdict::new(KEY, Some(ACCEPT)).all_hold());
        assert!(!KeyVerdict::new(KEY, Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo")).all_hold());
        // An invalid key fails even when the given accept is the one computed from it.
        let bad = "not a key!";
        let computed = sockwire::handshake::accept_key(bad.as_bytes());
        let computed = std::str::from_utf8(&computed).unwrap();
        let v = KeyVerdict::new(bad, Some(computed));
        assert_eq!(
            v,
            KeyVerdict {
                key_valid: false,
                accept_matches: Some(true)
            }
        );
        assert!(!v.all_hold());
        assert!(!KeyVerdict::new(bad, None).all_hold());
        // 15 and 17 bytes of base64 are not keys either.
        assert!(!KeyVerdict::new("AAAAAAAAAAAAAAAAAAAA", None).all_hold());
        assert!(!KeyVerdict::new("AAAAAAAAAAAAAAAAAAAAAAA=", None).all_hold());
    }
}
