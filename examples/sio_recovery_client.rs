//! `sio_recovery_client`: sockwire's Socket.IO client machine recovering its connection state
//! against a Node `socket.io` server with `connectionStateRecovery` on (the one
//! `tests/interop/sio-extras/run.mjs node-server PORT` starts; tests/ci/47-socketio-extras.sh
//! runs both).
//!
//! ```text
//! cargo run --example sio_recovery_client -- 127.0.0.1:3000
//! ```
//!
//! Engine.IO long-polling over blocking `std::net` HTTP/1.1 requests (one thread per request,
//! results handed back over a channel), one [`ClientSession`] per Engine.IO session and one
//! [`ClientSocket`] across both sessions:
//!
//! 1. connect to `/`; the server answers `{"sid","pid"}` and emits `state` (not recovered);
//! 2. emit `ping-all`; the server broadcasts `hello` with an offset;
//! 3. close the Engine.IO session (a "transport close" for the server, which then emits
//!    `missed1` to all, `missed2` with binary to `room1`, and `not-for-you` to another room);
//! 4. open a new session: the machine sends `{"pid","offset"}`, receives the missed events
//!    (before the CONNECT reply, as Node sends them) and `state` with `recovered: true`, the
//!    same id, its room and data.
//!
//! Exits 0 and prints `recovered ok` when every check passed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use sockwire::engineio::Message as EioMessage;
use sockwire::engineio::client::{
    ClientConfig, ClientEvent as EioEvent, ClientRequest, ClientSession,
};
use sockwire::engineio::http::Transport;
use sockwire::socketio::{
    ClientConfig as SioConfig, ClientEvent, ClientSocket, DisconnectReason, Message,
};

enum Done {
    Get(Option<Vec<u8>>),
    Post(bool),
}

/// One blocking HTTP/1.1 request with `Connection: close`; the body of a 200, or `None`.
fn http(host: &str, method: &str, target: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut s = TcpStream::connect(host).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).ok()?;
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&resp[..split]).ok()?;
    if !head.starts_with("HTTP/1.1 200") {
        return None;
    }
    let body = resp[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Some(dechunk(&body));
    }
    Some(body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&b[..eol])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 || eol + 2 + size > b.len() {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[(eol + 4 + size).min(b.len())..];
    }
    out
}

/// Drives one Engine.IO session and the Socket.IO machine until `until` says stop (or
/// `deadline`). `until` sees every Socket.IO event and may issue commands on the machine.
fn run(
    host: &str,
    sio: &mut ClientSocket,
    t0: Instant,
    deadline: Duration,
    mut until: impl FnMut(&mut ClientSocket, ClientEvent) -> bool,
) -> Result<ClientSession, String> {
    let mut eio = ClientSession::new(ClientConfig {
        transport: Transport::Polling,
        upgrade: false,
        ..ClientConfig::default()
    });
    let (tx, rx) = mpsc::channel::<Done>();
    let start = t0.elapsed();
    let mut open = false;
    loop {
        let now = t0.elapsed();
        if now - start > deadline {
            return Err("timed out".into());
        }
        while let Some(req) = eio.poll_transmit() {
            let target = format!("/socket.io/?{}", eio.query(Transport::Polling));
            let (host, tx) = (host.to_string(), tx.clone());
            match req {
                ClientRequest::Get => {
                    thread::spawn(move || {
                        let _ = tx.send(Done::Get(http(&host, "GET", &target, b"")));
                    });
                }
                ClientRequest::Post(body) => {
                    thread::spawn(move || {
                        let _ = tx.send(Done::Post(http(&host, "POST", &target, &body).is_some()));
                    });
                }
                _ => return Err("unexpected WebSocket request".into()),
            }
        }
        while let Some(ev) = eio.poll_event() {
            match ev {
                EioEvent::Open { .. } => {
                    if open {
                        continue;
                    }
                    open = true;
                    sio.handle_transport_open(now);
                }
                EioEvent::Message(EioMessage::Text(t)) => {
                    sio.handle_text_owned(now, t).map_err(|e| e.to_string())?;
                }
                EioEvent::Message(EioMessage::Binary(b)) => {
                    sio.handle_binary_owned(now, b).map_err(|e| e.to_string())?;
                }
                EioEvent::Closed { reason, error } => {
                    return Err(format!("Engine.IO session closed: {reason:?} {error:?}"));
                }
                _ => {}
            }
        }
        while let Some(ev) = sio.poll_event() {
            if until(sio, ev) {
                return Ok(eio);
            }
        }
        let mut sent = false;
        if open {
            while let Some(m) = sio.poll_transmit() {
                sent = true;
                let r = match &m {
                    Message::Text(t) => eio.send_text(t),
                    Message::SharedText(t) => eio.send_text(t),
                    _ => eio.send_binary(m.as_binary().unwrap_or_default()),
                };
                r.map_err(|e| e.to_string())?;
            }
        }
        if sent {
            continue; // hand the new POST out first
        }
        let wait = eio
            .poll_timeout()
            .map_or(Duration::from_millis(50), |t| {
                t.saturating_sub(t0.elapsed())
            })
            .min(Duration::from_millis(50));
        match rx.recv_timeout(wait) {
            Ok(Done::Get(Some(body))) => eio.handle_poll_response(t0.elapsed(), &body),
            Ok(Done::Get(None)) => eio.handle_http_error(t0.elapsed()),
            Ok(Done::Post(ok)) => eio.handle_post_response(t0.elapsed(), ok),
            Err(_) => eio.handle_timeout(t0.elapsed()),
        }
    }
}

fn event_name(ev: &ClientEvent) -> Option<String> {
    match ev {
        ClientEvent::Event { packet, .. } => packet.packet().event_name().map(|n| n.into_owned()),
        _ => None,
    }
}

fn check(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("check failed: {what}"))
    }
}

fn main() {
    let host = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    match scenario(&host) {
        Ok(()) => println!("recovered ok"),
        Err(e) => {
            eprintln!("sio_recovery_client: {e}");
            std::process::exit(1);
        }
    }
}

fn scenario(host: &str) -> Result<(), String> {
    let t0 = Instant::now();
    let mut sio = ClientSocket::new(SioConfig::default());
    // The machine starts "open"; say it is not until the Engine.IO handshake completes.
    sio.handle_transport_close(t0.elapsed(), DisconnectReason::TransportClose, None);
    sio.connect("/", Some("{\"token\":\"t\"}"))
        .map_err(|e| e.to_string())?;

    // 1-2. Connect, get `state`, ask for a broadcast, get `hello` with its offset.
    let mut first_state = None;
    let mut sid = String::new();
    let mut eio = run(host, &mut sio, t0, Duration::from_secs(10), |sio, ev| {
        if let ClientEvent::Connect { sid: s, .. } = &ev {
            sid = s.clone();
        }
        match event_name(&ev).as_deref() {
            Some("state") => {
                if let ClientEvent::Event { packet, .. } = &ev {
                    first_state = packet.packet().args().next().map(String::from);
                }
                let _ = sio.emit("/", "ping-all", &[]);
                false
            }
            Some("hello") => true,
            _ => false,
        }
    })?;
    let pid = sio.pid("/").map(String::from);
    let offset = sio.last_offset("/").map(String::from);
    println!("connected: sid {sid}, pid {pid:?}, offset {offset:?}, state {first_state:?}");
    check(pid.is_some(), "the CONNECT reply carries a pid")?;
    check(offset.is_some(), "the broadcast carries an offset")?;
    check(
        first_state
            .as_deref()
            .is_some_and(|s| s.contains("\"recovered\":false")),
        "first connection not recovered",
    )?;
    check(
        !sio.is_recovered("/"),
        "client: first connection not recovered",
    )?;

    // 3. Close the Engine.IO session; the server emits while we are away.
    eio.close();
    while let Some(req) = eio.poll_transmit() {
        if let ClientRequest::Post(body) = req {
            let target = format!("/socket.io/?{}", eio.query(Transport::Polling));
            http(host, "POST", &target, &body);
        }
    }
    sio.handle_transport_close(t0.elapsed(), DisconnectReason::TransportClose, None);
    while sio.poll_event().is_some() {}
    thread::sleep(Duration::from_millis(600));

    // 4. Reconnect: pid + offset, missed events, `state` recovered.
    let mut seen: Vec<String> = Vec::new();
    let mut second_state = None;
    let mut new_sid = String::new();
    let mut bin = Vec::new();
    let _eio = run(host, &mut sio, t0, Duration::from_secs(10), |_, ev| {
        if let ClientEvent::Connect { sid: s, .. } = &ev {
            new_sid = s.clone();
        }
        let name = event_name(&ev);
        if let (Some(n), ClientEvent::Event { packet, .. }) = (&name, &ev) {
            seen.push(n.clone());
            if n == "missed2" {
                bin = packet.attachments().concat();
            }
            if n == "state" {
                second_state = packet.packet().args().next().map(String::from);
                return true;
            }
        }
        false
    })?;
    println!("reconnected: sid {new_sid}, events {seen:?}, state {second_state:?}");
    check(new_sid == sid, "same sid after recovery")?;
    check(sio.is_recovered("/"), "client: recovered")?;
    check(
        seen == ["missed1", "missed2", "state"],
        "missed events, in order, room-filtered",
    )?;
    check(bin == [1, 2, 3], "binary of the missed event")?;
    let st = second_state.unwrap_or_default();
    check(st.contains("\"recovered\":true"), "server: recovered")?;
    check(st.contains("\"room1\""), "server: room restored")?;
    check(st.contains("\"foo\":\"bar\""), "server: data restored")?;
    check(sio.last_offset("/") != offset.as_deref(), "offset moved on")?;
    Ok(())
}
