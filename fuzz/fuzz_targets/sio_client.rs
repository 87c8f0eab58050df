#![no_main]
//! The Socket.IO client composition (`socketio::client::Client`) fed arbitrary server bytes,
//! EOFs, timeouts and commands never panics, never writes on a connection it did not open, and
//! once closed for good stays closed with no deadline. Input: the first byte picks the
//! transports; the rest is split on 0xff into steps whose first byte is the action (low two
//! bits: read, eof, timeout, command) and the connection (the rest).
use core::time::Duration;
use libfuzzer_sys::fuzz_target;
use sockwire::socketio::Value;
use sockwire::socketio::client::{Client, ClientOptions, Event, Transmit, Transports};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let transports = match mode % 3 {
        0 => Transports::PollingThenUpgrade,
        1 => Transports::Polling,
        _ => Transports::WebSocket,
    };
    let mut n = 0u8;
    let entropy = move || {
        n = n.wrapping_add(1);
        [n; 16]
    };
    let opts = ClientOptions::new("h")
        .transports(transports)
        .seed(u64::from(mode))
        .reconnection_attempts(3)
        .max_http_body(1 << 16);
    let mut now = Duration::ZERO;
    let mut c = Client::new(now, opts, entropy);
    let _ = c.connect("/", None);
    let mut opened: Vec<u64> = Vec::new();
    let mut closed = false;
    for step in rest.split(|&b| b == 0xff) {
        let Some((&op, bytes)) = step.split_first() else {
            continue;
        };
        let conn = opened
            .get(usize::from(op >> 2) % opened.len().max(1))
            .copied()
            .unwrap_or(1);
        match op & 3 {
            0 => c.handle_read(now, conn, bytes),
            1 => c.handle_eof(now, conn),
            2 => {
                now += Duration::from_millis(u64::from(bytes.first().copied().unwrap_or(0)) * 500);
                c.handle_timeout(now);
            }
            _ => {
                let _ = match bytes.first().copied().unwrap_or(0) % 5 {
                    0 => c.emit("/", "e", &[Value::Binary(bytes)]),
                    1 => c
                        .emit_with_ack("/", "a", &[], Some(Duration::from_secs(1)))
                        .map(|_| ()),
                    2 => c.connect("/x", Some("{}")),
                    3 => c.disconnect("/"),
                    _ => {
                        c.close();
                        Ok(())
                    }
                };
            }
        }
        while let Some(t) = c.poll_transmit() {
            match t {
                Transmit::Connect { conn } => {
                    assert!(
                        !opened.contains(&conn),
                        "connection numbers are never reused"
                    );
                    opened.push(conn);
                }
                Transmit::Write { conn, .. } | Transmit::Close { conn } => {
                    assert!(opened.contains(&conn), "only opened connections are used");
                }
                _ => {}
            }
        }
        while let Some(e) = c.poll_event() {
            if e == Event::Closed {
                assert!(!closed, "Closed is reported once");
                closed = true;
            }
        }
        if c.is_closed() {
            assert_eq!(c.poll_timeout(), None);
        }
    }
});
