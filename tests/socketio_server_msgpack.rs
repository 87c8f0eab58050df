//! The composed `socketio::server::Server` with the msgpack parser, over long-polling (binary
//! Engine.IO messages travel as `b<base64>` in the payloads): CONNECT, an event answered by a
//! broadcast to everyone (the hub's encode-once packet, written as one binary message).
#![cfg(feature = "std")]

use std::time::Duration;

use sockwire::engineio::endpoint::Transmit;
use sockwire::hub::HubConfig;
use sockwire::socketio::server::{App, Ctx, Event, Server, ServerOptions};
use sockwire::socketio::{Parser, ServerConfig};

struct Shout;

impl App for Shout {
    fn on_event(&mut self, ctx: &mut Ctx<'_>, event: Event<'_>) {
        if event.name() == "shout" {
            let args: Vec<_> = event.args().collect();
            ctx.everyone().emit("shouted", &args).unwrap();
        }
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn b64(data: &[u8]) -> String {
    let mut s = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

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

fn drain(io: &mut Server<Shout>, pending: &mut Vec<Transmit>, conn: u64) -> String {
    while let Some(t) = io.poll_transmit() {
        pending.push(t);
    }
    let mut out = Vec::new();
    pending.retain(|t| {
        if t.conn == conn {
            out.extend_from_slice(&t.data);
            false
        } else {
            true
        }
    });
    let s = String::from_utf8_lossy(&out).into_owned();
    match s.find("\r\n\r\n") {
        Some(at) => s[at + 4..].to_string(),
        None => s,
    }
}

struct Poller {
    conn: u64,
    sid: String,
}

impl Poller {
    fn open(io: &mut Server<Shout>, p: &mut Vec<Transmit>, conn: u64) -> Self {
        io.handle_accept(Duration::ZERO, conn);
        io.handle_read(
            Duration::ZERO,
            conn,
            b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n",
        );
        let b = drain(io, p, conn);
        assert!(b.starts_with("0{\"sid\":\""), "{b}");
        io.handle_accept(Duration::ZERO, conn + 100);
        Poller {
            conn,
            sid: b[9..29].to_string(),
        }
    }

    /// POSTs one binary Engine.IO message.
    fn post(&self, io: &mut Server<Shout>, p: &mut Vec<Transmit>, msg: &[u8]) {
        let payload = format!("b{}", b64(msg));
        let req = format!(
            "POST /socket.io/?EIO=4&transport=polling&sid={} HTTP/1.1\r\nHost: x\r\n\
             Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n\r\n{}",
            self.sid,
            payload.len(),
            payload
        );
        io.handle_read(Duration::ZERO, self.conn + 100, req.as_bytes());
        assert_eq!(drain(io, p, self.conn + 100), "ok");
    }

    fn get(&self, io: &mut Server<Shout>, p: &mut Vec<Transmit>) -> String {
        let req = format!(
            "GET /socket.io/?EIO=4&transport=polling&sid={} HTTP/1.1\r\nHost: x\r\n\r\n",
            self.sid
        );
        io.handle_read(Duration::ZERO, self.conn, req.as_bytes());
        drain(io, p, self.conn)
    }
}

#[test]
fn composed_server_speaks_msgpack_over_polling() {
    let opts = ServerOptions::default()
        .socket(ServerConfig::default().with_parser(Parser::Msgpack))
        .hub(HubConfig::default().parser(Parser::Msgpack));
    let mut n = 0u8;
    let mut io = Server::new(Shout, opts, move || {
        n = n.wrapping_add(1);
        [n; 15]
    });
    let mut p = Vec::new();
    let a = Poller::open(&mut io, &mut p, 1);
    let b = Poller::open(&mut io, &mut p, 2);
    for c in [&a, &b] {
        c.post(&mut io, &mut p, &mp("82 a4 'type 00 a3 'nsp a1 2f"));
        let reply = c.get(&mut io, &mut p);
        // {type: 0, data: {sid: <20 chars>}, nsp: "/"}, base64 in the payload.
        assert!(reply.starts_with('b'), "{reply}");
    }
    assert_eq!(io.hub().socket_count("/"), 2);
    a.post(
        &mut io,
        &mut p,
        &mp("83 a4 'type 02 a4 'data 92 a5 'shout c4 02 01 02 a3 'nsp a1 2f"),
    );
    // {type: 2, data: ["shouted", <bin 01 02>], nsp: "/"}: one binary message for each.
    let want = format!(
        "b{}",
        b64(&mp(
            "83 a4 'type 02 a4 'data 92 a7 'shouted c4 02 01 02 a3 'nsp a1 2f"
        ))
    );
    assert_eq!(a.get(&mut io, &mut p), want);
    assert_eq!(b.get(&mut io, &mut p), want);
}
