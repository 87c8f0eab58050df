//! Shared helpers for the `ws_*` tests: drive a `Connection` over chunks of input and record
//! what it did in an owned, comparable form.
#![allow(dead_code)]

use core::time::Duration;

use sockwire::Role;
use sockwire::frame::{CloseCode, FrameHeader, OpCode};
use sockwire::mask::apply_mask;
use sockwire::ws::{
    Connection, ConnectionConfig, Event, MaskKeySource, MessageKind, ProtocolError, ReceiveMode,
};

/// An owned event (stream chunks are reassembled into whole messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    CloseReceived(Option<u16>, String),
    Closed(u16, bool),
    Error(ProtocolError),
}

/// What a connection did for some input.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Transcript {
    pub events: Vec<Ev>,
    pub out: Vec<u8>,
}

/// Deterministic mask keys.
pub fn keys() -> impl FnMut() -> [u8; 4] {
    let mut n: u32 = 0x1234_5678;
    move || {
        n = n.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        n.to_le_bytes()
    }
}

pub type Client = Connection<Box<dyn FnMut() -> [u8; 4]>>;

pub fn client(cfg: ConnectionConfig) -> Client {
    Connection::client(cfg, Box::new(keys()) as Box<dyn FnMut() -> [u8; 4]>)
}

pub fn server(cfg: ConnectionConfig) -> Connection {
    Connection::server(cfg)
}

pub fn stream_cfg() -> ConnectionConfig {
    ConnectionConfig::default().receive_mode(ReceiveMode::Stream)
}

/// Reassembly state for stream mode.
#[derive(Default)]
pub struct Driver {
    pub t: Transcript,
    partial: Vec<u8>,
    partial_kind: Option<MessageKind>,
}

impl Driver {
    pub fn drain<K: MaskKeySource>(&mut self, c: &mut Connection<K>, buf: &[u8]) {
        while let Some(b) = c.poll_transmit() {
            self.t.out.extend_from_slice(b);
        }
        while let Some(e) = c.poll_event() {
            let ev = match e {
                Event::Text(s) => Ev::Text(s.to_owned()),
                Event::Binary(b) => Ev::Binary(b.to_vec()),
                Event::Chunk { kind, data, fin } => {
                    if let Some(k) = self.partial_kind {
                        assert_eq!(k, kind, "chunk kind changed inside a message");
                    }
                    self.partial_kind = Some(kind);
                    self.partial.extend_from_slice(&buf[data]);
                    if !fin {
                        continue;
                    }
                    let bytes = std::mem::take(&mut self.partial);
                    self.partial_kind = None;
                    match kind {
                        MessageKind::Text => Ev::Text(String::from_utf8(bytes).expect("validated")),
                        MessageKind::Binary => Ev::Binary(bytes),
                    }
                }
                Event::Ping(p) => Ev::Ping(p.to_vec()),
                Event::Pong(p) => Ev::Pong(p.to_vec()),
                Event::CloseReceived { code, reason } => {
                    Ev::CloseReceived(code.map(|c| c.0), reason.to_owned())
                }
                Event::Closed { code, clean, error } => {
                    // The terminal event carries the error that failed the connection (what
                    // `handle_read` returned), and its close code is the one that was sent.
                    assert_eq!(error, c.error().cloned().map(sockwire::Error::Protocol));
                    if let Some(sockwire::Error::Protocol(e)) = &error {
                        assert!(!clean);
                        if let Some(sent) = e.close_code() {
                            assert_eq!(code, sent, "{e:?}");
                        }
                    }
                    Ev::Closed(code.0, clean)
                }
                _ => panic!("unknown event"),
            };
            self.t.events.push(ev);
        }
    }

    /// Feeds one read's worth of bytes.
    pub fn read<K: MaskKeySource>(&mut self, c: &mut Connection<K>, now: Duration, bytes: &[u8]) {
        let mut buf = bytes.to_vec();
        let mut pos = 0;
        let mut guard = 0;
        loop {
            guard += 1;
            assert!(guard < 100_000, "handle_read made no progress");
            match c.handle_read(now, &mut buf[pos..]) {
                Ok(n) => {
                    let base = pos;
                    pos += n;
                    // Chunk ranges are relative to the slice we passed.
                    self.drain(c, &buf[base..]);
                    if pos >= buf.len() {
                        break;
                    }
                    assert!(n > 0 || c.is_closed(), "zero progress without an event");
                }
                Err(e) => {
                    assert!(!e.is_misuse(), "misuse error {e:?}");
                    self.t.events.push(Ev::Error(e));
                    self.drain(c, &[]);
                    break;
                }
            }
        }
    }
}

/// Feeds `chunks` to `c` and returns the transcript.
pub fn run<K: MaskKeySource>(c: &mut Connection<K>, chunks: &[&[u8]]) -> Transcript {
    let mut d = Driver::default();
    for ch in chunks {
        d.read(c, Duration::ZERO, ch);
    }
    d.t
}

/// Encodes one frame as `sender` would put it on the wire (client frames masked).
pub fn frame(sender: Role, fin: bool, op: OpCode, payload: &[u8]) -> Vec<u8> {
    frame_rsv(sender, fin, 0, op, payload)
}

pub fn frame_rsv(sender: Role, fin: bool, rsv: u8, op: OpCode, payload: &[u8]) -> Vec<u8> {
    let mask = match sender {
        Role::Client => Some([0x37, 0xfa, 0x21, 0x3d]),
        Role::Server => None,
    };
    let h = FrameHeader::new(op, payload.len() as u64)
        .with_fin(fin)
        .with_rsv(rsv)
        .with_mask(mask);
    let mut out = h.header_bytes().unwrap().as_slice().to_vec();
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(k) = mask {
        apply_mask(&mut out[start..], k, 0);
    }
    out
}

/// A client frame (masked), for feeding a server.
pub fn cf(fin: bool, op: OpCode, payload: &[u8]) -> Vec<u8> {
    frame(Role::Client, fin, op, payload)
}

/// A server frame (unmasked), for feeding a client.
pub fn sf(fin: bool, op: OpCode, payload: &[u8]) -> Vec<u8> {
    frame(Role::Server, fin, op, payload)
}

pub fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason.as_bytes());
    p
}

/// Decodes a sequence of frames written by `sender` (unmasking them) into (fin, opcode, payload).
pub fn parse_frames(sender: Role, mut bytes: &[u8]) -> Vec<(bool, OpCode, Vec<u8>)> {
    use sockwire::frame::{DecodeConfig, Decoded, decode_header};
    let receiver = match sender {
        Role::Client => Role::Server,
        Role::Server => Role::Client,
    };
    let cfg = DecodeConfig::new(receiver).max_payload(u64::MAX >> 1);
    let mut v = Vec::new();
    while !bytes.is_empty() {
        let Decoded::Header { header, header_len } =
            decode_header(bytes, &cfg).expect("valid output")
        else {
            panic!("truncated output");
        };
        let end = header_len + header.payload_len as usize;
        let mut p = bytes[header_len..end].to_vec();
        if let Some(k) = header.mask {
            apply_mask(&mut p, k, 0);
        }
        v.push((header.fin, header.opcode, p));
        bytes = &bytes[end..];
    }
    v
}

pub fn close_code(c: u16) -> CloseCode {
    CloseCode(c)
}
