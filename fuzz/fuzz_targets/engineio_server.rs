#![no_main]
//! The Engine.IO server registry and sessions driven by arbitrary HTTP requests, WebSocket
//! messages, commands and times (and, for an odd first byte, the client session driven by
//! arbitrary responses). Checks: no panic; at most one close event per session; a poll response
//! only answers a held GET; deadlines never lie in the past after `handle_timeout`.
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use sockwire::engineio::client::{ClientConfig, ClientSession};
use sockwire::engineio::http::{HttpConfig, Transport, classify_request};
use sockwire::engineio::server::{
    CloseReason, GetOutcome, Registry, ServerConfig, ServerEvent, Transmit,
};
use sockwire::handshake::http::{HeadConfig, Header, Status, parse_request};

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

fn server(mut inp: Input<'_>) {
    let cfg = ServerConfig::default()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .upgrade_timeout(Duration::from_millis(500))
        .max_payload(512)
        .max_packets_per_poll(4)
        .max_queued_packets(64);
    let mut reg = Registry::new(cfg, 4);
    let mut now = Duration::ZERO;
    let mut sids: Vec<String> = Vec::new();
    let mut parked: Vec<bool> = Vec::new();
    let mut closes: Vec<u32> = Vec::new();
    let mut entropy = 0u8;
    while let Some(op) = inp.byte() {
        let which = usize::from(inp.byte().unwrap_or(0));
        let idx = if sids.is_empty() {
            None
        } else {
            Some(which % sids.len())
        };
        match op % 12 {
            0 => {
                now += Duration::from_millis(u64::from(inp.byte().unwrap_or(0)) * 5);
                reg.handle_timeout(now);
                if let Some(d) = reg.poll_timeout() {
                    assert!(d > now, "deadline {d:?} not after {now:?}");
                }
            }
            1 | 2 => {
                let t = if op % 12 == 1 {
                    Transport::Polling
                } else {
                    Transport::WebSocket
                };
                entropy = entropy.wrapping_add(1);
                if let Ok(s) = reg.open(now, t, &[entropy; 15]) {
                    sids.push(s.sid().to_string());
                    parked.push(false);
                    closes.push(0);
                }
            }
            3 => {
                if let Some(i) = idx {
                    if let Ok(s) = reg.handle_request(now, &sids[i], Transport::Polling) {
                        match s.handle_get(now) {
                            Ok(GetOutcome::Parked) => parked[i] = true,
                            Ok(GetOutcome::Respond(b)) => assert!(!b.is_empty()),
                            Err(_) => {}
                        }
                    }
                }
            }
            4 => {
                let body = inp.bytes();
                if let Some(i) = idx {
                    if let Some(s) = reg.get_mut(&sids[i]) {
                        let _ = s.begin_post(now);
                        let _ = s.handle_post(now, body);
                    }
                }
            }
            5 => {
                if let Some(i) = idx {
                    if let Ok(s) = reg.handle_request(now, &sids[i], Transport::WebSocket) {
                        let _ = s.handle_ws_open(now);
                    }
                }
            }
            6 => {
                let b = inp.bytes();
                if let (Some(i), Ok(t)) = (idx, core::str::from_utf8(b)) {
                    if let Some(s) = reg.get_mut(&sids[i]) {
                        let _ = s.handle_ws_text(now, t);
                    }
                }
            }
            7 => {
                let b = inp.bytes();
                if let Some(i) = idx {
                    if let Some(s) = reg.get_mut(&sids[i]) {
                        let _ = s.handle_ws_binary(now, b);
                    }
                }
            }
            8 => {
                if let Some(i) = idx {
                    if let Some(s) = reg.get_mut(&sids[i]) {
                        match which % 3 {
                            0 => s.handle_ws_closed(now, None),
                            1 => {
                                s.handle_get_aborted(now);
                                parked[i] = false;
                            }
                            _ => s.close(now),
                        }
                    }
                }
            }
            9 => {
                let b = inp.bytes();
                if let Some(i) = idx {
                    if let Some(s) = reg.get_mut(&sids[i]) {
                        let _ = match core::str::from_utf8(b) {
                            Ok(t) => s.send_text(t),
                            Err(_) => s.send_binary(b),
                        };
                    }
                }
            }
            10 => {
                let head = inp.bytes();
                let mut slots = [Header::EMPTY; 16];
                if let Ok(Status::Complete(req)) =
                    parse_request(head, &mut slots, &HeadConfig::default())
                {
                    let _ = classify_request(&req, &HttpConfig::default());
                }
            }
            _ => {
                reg.remove_closed();
            }
        }
        // Drain every session.
        for (i, sid) in sids.iter().enumerate() {
            if let Some(s) = reg.get_mut(sid) {
                while let Some(t) = s.poll_transmit() {
                    if matches!(t, Transmit::PollResponse(_) | Transmit::PollReject(_)) {
                        assert!(parked[i], "poll response without a held GET");
                        parked[i] = false;
                    }
                }
                while let Some(e) = s.poll_event() {
                    if let ServerEvent::Closed { reason, error } = e {
                        // The error is there exactly when a peer or transport failure ended it.
                        let failed = matches!(
                            reason,
                            CloseReason::ParseError | CloseReason::TransportError
                        );
                        assert_eq!(error.is_some(), failed, "{reason:?} {error:?}");
                        closes[i] += 1;
                        assert_eq!(closes[i], 1, "two close events");
                    }
                }
                assert_eq!(parked[i], s.has_parked_get());
            }
        }
    }
}

fn client(mut inp: Input<'_>) {
    let transport = if inp.byte().unwrap_or(0) & 1 == 0 {
        Transport::Polling
    } else {
        Transport::WebSocket
    };
    let mut c = ClientSession::new(ClientConfig {
        transport,
        ..ClientConfig::default()
    });
    let mut now = Duration::ZERO;
    let mut closes = 0;
    while let Some(op) = inp.byte() {
        match op % 8 {
            0 => {
                now += Duration::from_millis(u64::from(inp.byte().unwrap_or(0)) * 5);
                c.handle_timeout(now);
            }
            1 => c.handle_poll_response(now, inp.bytes()),
            2 => c.handle_post_response(now, op & 0x80 != 0),
            3 => {
                if let Ok(t) = core::str::from_utf8(inp.bytes()) {
                    c.handle_ws_text(now, t);
                }
            }
            4 => c.handle_ws_binary(now, inp.bytes()),
            5 => c.handle_ws_open(now),
            6 => {
                if let Ok(t) = core::str::from_utf8(inp.bytes()) {
                    let _ = c.send_text(t);
                }
            }
            _ => c.close(),
        }
        while c.poll_transmit().is_some() {}
        while let Some(e) = c.poll_event() {
            if let sockwire::engineio::client::ClientEvent::Closed { reason, error } = e {
                let failed = matches!(
                    reason,
                    CloseReason::ParseError | CloseReason::TransportError
                );
                assert_eq!(error.is_some(), failed, "{reason:?} {error:?}");
                closes += 1;
                assert_eq!(closes, 1);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input(data);
    match inp.byte() {
        Some(b) if b & 1 == 1 => client(inp),
        Some(_) => server(inp),
        None => {}
    }
});
