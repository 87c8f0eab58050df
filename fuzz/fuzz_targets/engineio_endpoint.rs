#![no_main]
//! The Engine.IO endpoint driven by arbitrary connection events: accepts, reads (arbitrary bytes
//! or pieces of valid requests and WebSocket frames, split anywhere), EOFs, timeouts, sends and
//! closes. Checks: no panic; nothing is written on a connection after it was retired until it is
//! accepted again; every session opens once and closes at most once, and nothing is reported
//! about it after its close; the deadline is never in the past after `handle_timeout`; with
//! write pacing on, at most one transmit per connection is outstanding until `handle_written`.
use std::collections::{HashMap, HashSet};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use sockwire::engineio::Message;
use sockwire::engineio::endpoint::{Endpoint, EndpointConfig, Event};
use sockwire::engineio::server::ServerConfig;

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }
    fn bytes(&mut self) -> &'a [u8] {
        let n = usize::from(self.byte().unwrap_or(0)).min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

/// A masked client frame.
fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![
        0x80 | opcode,
        0x80 | payload.len().min(125) as u8,
        1,
        2,
        3,
        4,
    ];
    let key = [1u8, 2, 3, 4];
    f.extend(
        payload[..payload.len().min(125)]
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ key[i % 4]),
    );
    f
}

fn canned(which: u8, sid: &str, body: &[u8]) -> Vec<u8> {
    let body_s = String::from_utf8_lossy(body);
    match which % 10 {
        0 => b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        1 => format!("GET /engine.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\n\r\n")
            .into_bytes(),
        2 => format!(
            "POST /engine.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body_s}",
            body_s.len()
        )
        .into_bytes(),
        3 => format!(
            "GET /engine.io/?EIO=4&transport=websocket&sid={sid} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .into_bytes(),
        4 => b"GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
            .to_vec(),
        5 => frame(1, b"2probe"),
        6 => frame(1, b"5"),
        7 => {
            let mut p = b"4".to_vec();
            p.extend_from_slice(body);
            frame(1, &p)
        }
        8 => frame(8, &[3, 232]),
        _ => b"OPTIONS /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nOrigin: o\r\n\r\n"
            .to_vec(),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input(data);
    let flags = inp.byte().unwrap_or(0);
    let deflate = flags & 1 == 1;
    let paced = flags & 2 == 2;
    let cfg = EndpointConfig::default()
        .server(
            ServerConfig::default()
                .ping_interval(Duration::from_millis(300))
                .ping_timeout(Duration::from_millis(200))
                .upgrade_timeout(Duration::from_millis(500))
                .max_payload(512)
                .per_message_deflate(deflate.then(Default::default)),
        )
        .max_connections(4)
        .max_sessions(3)
        .request_timeout(Duration::from_millis(1000))
        .cors(deflate.then(Default::default));
    let mut n = 0u8;
    let mut ep = Endpoint::new(cfg, move || {
        n = n.wrapping_add(1);
        [n; 15]
    });
    if paced {
        ep.enable_write_pacing();
    }
    let mut outstanding: HashSet<u64> = HashSet::new();
    let mut now = Duration::ZERO;
    let mut live: HashSet<u64> = HashSet::new();
    let mut sids: Vec<String> = Vec::new();
    let mut state: HashMap<String, u8> = HashMap::new(); // 1 open, 2 closed
    let mut pending: HashMap<u64, Vec<u8>> = HashMap::new();
    while let Some(op) = inp.byte() {
        let conn = u64::from(inp.byte().unwrap_or(0) % 5);
        let sid = if sids.is_empty() {
            "nope".to_string()
        } else {
            sids[usize::from(inp.byte().unwrap_or(0)) % sids.len()].clone()
        };
        match op % 10 {
            9 => {
                ep.handle_written(now, conn);
                outstanding.remove(&conn);
            }
            0 => {
                outstanding.remove(&conn);
                ep.handle_accept(now, conn);
                live.insert(conn);
                pending.remove(&conn);
            }
            1 => ep.handle_read(now, conn, inp.bytes()),
            2 | 3 => {
                // A canned input, fed in two pieces split where the input says.
                let which = inp.byte().unwrap_or(0);
                let body = inp.bytes();
                let bytes = canned(which, &sid, body);
                let at = usize::from(inp.byte().unwrap_or(0)) % (bytes.len() + 1);
                ep.handle_read(now, conn, &bytes[..at]);
                pending.insert(conn, bytes[at..].to_vec());
                if op % 10 == 3 {
                    if let Some(rest) = pending.remove(&conn) {
                        ep.handle_read(now, conn, &rest);
                    }
                }
            }
            4 => {
                // The endpoint answers with an empty closing transmit, which retires the id.
                ep.handle_eof(now, conn);
            }
            5 => {
                now += Duration::from_millis(u64::from(inp.byte().unwrap_or(0)) * 7);
                ep.handle_timeout(now);
                if let Some(d) = ep.poll_timeout() {
                    assert!(d > now, "deadline {d:?} not after {now:?}");
                }
            }
            6 => {
                let body = inp.bytes();
                let _ = ep.send(&sid, &Message::Binary(body.to_vec()));
                let _ = ep.send_text(&sid, &String::from_utf8_lossy(body));
            }
            7 => ep.close(&sid),
            _ => {
                if let Some(rest) = pending.remove(&conn) {
                    ep.handle_read(now, conn, &rest);
                }
            }
        }
        while let Some(t) = ep.poll_transmit() {
            assert!(
                live.contains(&t.conn),
                "write on retired connection {}",
                t.conn
            );
            if t.close {
                live.remove(&t.conn);
                outstanding.remove(&t.conn);
            } else if paced {
                assert!(
                    outstanding.insert(t.conn),
                    "two writes in flight on {}",
                    t.conn
                );
            }
        }
        while let Some(e) = ep.poll_event() {
            match e {
                Event::Opened { sid, .. } => {
                    assert!(state.insert(sid.clone(), 1).is_none(), "opened twice");
                    sids.push(sid);
                }
                Event::Message { sid, .. } | Event::Upgraded { sid } => {
                    assert_eq!(state.get(&sid), Some(&1), "event after close");
                }
                Event::Closed { sid, .. } => {
                    assert_eq!(state.insert(sid, 2), Some(1), "closed twice or unopened");
                }
                _ => {}
            }
        }
        assert!(ep.connections() <= 4);
        assert!(ep.sessions() <= 3);
    }
});
