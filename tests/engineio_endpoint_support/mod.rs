//! Shared helpers of the `engineio_endpoint_*` tests: an endpoint with counting entropy, the
//! exact bytes of the responses and frames the protocol prescribes, readable transmits.
#![allow(dead_code, unused_imports)]

pub use std::time::Duration;

pub use sockwire::engineio::endpoint::{Endpoint, EndpointConfig, Event, Transmit};
pub use sockwire::engineio::http::Cors;
pub use sockwire::engineio::server::{CloseReason, ServerConfig, sid_from_entropy};
pub use sockwire::engineio::{EngineIoError, Message};

pub const SID1: &str = "AQEBAQEBAQEBAQEBAQEB";
pub const SID2: &str = "AgICAgICAgICAgICAgIC";
pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
pub const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn endpoint(cfg: EndpointConfig) -> Endpoint {
    let mut n = 0u8;
    Endpoint::new(cfg, move || {
        n += 1;
        [n; 15]
    })
}

pub fn small() -> EndpointConfig {
    EndpointConfig::default().server(
        ServerConfig::default()
            .ping_interval(ms(300))
            .ping_timeout(ms(200)),
    )
}

/// A transmit in readable form (bytes escaped, so comparisons stay exact).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tx(pub u64, pub String, pub bool);

pub fn transmits(ep: &mut Endpoint) -> Vec<Tx> {
    std::iter::from_fn(|| ep.poll_transmit())
        .map(|t: Transmit| Tx(t.conn, t.data.escape_ascii().to_string(), t.close))
        .collect()
}

pub fn raw_transmits(ep: &mut Endpoint) -> Vec<Transmit> {
    std::iter::from_fn(|| ep.poll_transmit()).collect()
}

pub fn events(ep: &mut Endpoint) -> Vec<Event> {
    std::iter::from_fn(|| ep.poll_event()).collect()
}

pub fn t(conn: u64, data: &[u8], close: bool) -> Tx {
    Tx(conn, data.escape_ascii().to_string(), close)
}

/// A `200` long-polling payload response, as the reference writes it (keep-alive).
pub fn payload(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: {}\r\n\
         Connection: keep-alive\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

pub const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\
Connection: keep-alive\r\n\r\nok";

/// A reference error response `{"code":N,"message":"…"}`.
pub fn error(status: &str, code: u8, message: &str, keep: bool) -> Vec<u8> {
    let body = format!("{{\"code\":{code},\"message\":\"{message}\"}}");
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: {}\r\n\r\n{body}",
        body.len(),
        if keep { "keep-alive" } else { "close" }
    )
    .into_bytes()
}

pub fn open_packet(sid: &str, upgrades: &str, interval: u64, timeout: u64) -> String {
    format!(
        "0{{\"sid\":\"{sid}\",\"upgrades\":[{upgrades}],\"pingInterval\":{interval},\
         \"pingTimeout\":{timeout},\"maxPayload\":1000000}}"
    )
}

pub fn get(query: &str) -> Vec<u8> {
    format!("GET /engine.io/?EIO=4&transport=polling{query} HTTP/1.1\r\nHost: x\r\n\r\n")
        .into_bytes()
}

pub fn post(sid: &str, body: &str) -> Vec<u8> {
    format!(
        "POST /engine.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\n\
         Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

pub fn ws_upgrade(query: &str) -> Vec<u8> {
    format!(
        "GET /engine.io/?EIO=4&transport=websocket{query} HTTP/1.1\r\nHost: x\r\n\
         Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    )
    .into_bytes()
}

pub fn resp_101() -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {ACCEPT}\r\n\r\n"
    )
    .into_bytes()
}

/// A masked client frame (payload under 126 bytes).
pub fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let key = [0x11, 0x22, 0x33, 0x44];
    let mut f = vec![0x80 | opcode, 0x80 | payload.len() as u8];
    f.extend_from_slice(&key);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    f
}

/// An unmasked server text frame (payload under 126 bytes).
pub fn server_text(text: &str) -> Vec<u8> {
    let mut f = vec![0x81, text.len() as u8];
    f.extend_from_slice(text.as_bytes());
    f
}

/// Opens a polling session on connection 1 and drains the handshake.
pub fn handshake(ep: &mut Endpoint) {
    ep.handle_accept(ms(0), 1);
    ep.handle_read(ms(0), 1, &get(""));
    assert_eq!(transmits(ep).len(), 1);
    assert_eq!(events(ep).len(), 1);
}
