//! The packet vocabulary: the seven [`PacketType`]s, the reserved event names and the decoder's
//! caps ([`DecodeConfig`]).

use crate::json::fast as json;

/// The seven Socket.IO v5 packet types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// `0`: connect to a namespace (client → server, with an optional auth object), or its
    /// acceptance (server → client, with `{"sid":...}`).
    Connect,
    /// `1`: leave a namespace (either side); never carries a payload.
    Disconnect,
    /// `2`: an event, `[name, ...args]`, optionally asking for an acknowledgement.
    Event,
    /// `3`: the acknowledgement of an event, `[...args]`, with the event's id.
    Ack,
    /// `4`: the server refused a namespace connection (a string or an object payload).
    ConnectError,
    /// `5`: an event with binary attachments.
    BinaryEvent,
    /// `6`: an acknowledgement with binary attachments.
    BinaryAck,
}

impl PacketType {
    /// The type for the wire digit `0`–`6`.
    pub const fn from_digit(d: u8) -> Option<Self> {
        Some(match d {
            b'0' => PacketType::Connect,
            b'1' => PacketType::Disconnect,
            b'2' => PacketType::Event,
            b'3' => PacketType::Ack,
            b'4' => PacketType::ConnectError,
            b'5' => PacketType::BinaryEvent,
            b'6' => PacketType::BinaryAck,
            _ => return None,
        })
    }

    /// The wire digit (`b'0'`–`b'6'`).
    pub const fn digit(self) -> u8 {
        match self {
            PacketType::Connect => b'0',
            PacketType::Disconnect => b'1',
            PacketType::Event => b'2',
            PacketType::Ack => b'3',
            PacketType::ConnectError => b'4',
            PacketType::BinaryEvent => b'5',
            PacketType::BinaryAck => b'6',
        }
    }

    /// `true` for [`BinaryEvent`](Self::BinaryEvent) and [`BinaryAck`](Self::BinaryAck).
    pub const fn is_binary(self) -> bool {
        matches!(self, PacketType::BinaryEvent | PacketType::BinaryAck)
    }

    /// `true` for [`Event`](Self::Event) and [`BinaryEvent`](Self::BinaryEvent).
    pub const fn is_event(self) -> bool {
        matches!(self, PacketType::Event | PacketType::BinaryEvent)
    }

    /// `true` for [`Ack`](Self::Ack) and [`BinaryAck`](Self::BinaryAck).
    pub const fn is_ack(self) -> bool {
        matches!(self, PacketType::Ack | PacketType::BinaryAck)
    }
}

/// Event names an application may not emit and a peer may not send (they name lifecycle events
/// of the reference implementation).
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// `true` if `name` is one of [`RESERVED_EVENTS`].
pub fn is_reserved_event(name: &str) -> bool {
    RESERVED_EVENTS.contains(&name)
}

/// [`is_reserved_event`] on the inside of a raw JSON string token.
pub(super) fn is_reserved_raw(raw: &[u8]) -> bool {
    match raw {
        b"connect" | b"connect_error" | b"disconnect" | b"disconnecting" | b"newListener"
        | b"removeListener" => true,
        _ if crate::json::has_backslash(raw) => {
            RESERVED_EVENTS.iter().any(|r| json::raw_eq(raw, r))
        }
        _ => false,
    }
}

/// Limits applied when decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeConfig {
    /// Most binary attachments one packet may announce (default 10, as the reference server).
    pub max_attachments: usize,
    /// Deepest JSON nesting accepted in a payload (default 128).
    pub max_depth: usize,
    /// Largest packet accepted: the text plus all its attachments, in bytes (default 1 000 000,
    /// the Engine.IO `maxPayload` default).
    pub max_packet_bytes: usize,
}

impl Default for DecodeConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl DecodeConfig {
    /// The defaults: 10 attachments, depth 128, 1 000 000 bytes.
    pub const fn new() -> Self {
        DecodeConfig {
            max_attachments: 10,
            max_depth: 128,
            max_packet_bytes: 1_000_000,
        }
    }

    /// Sets [`max_attachments`](Self::max_attachments).
    pub const fn with_max_attachments(mut self, n: usize) -> Self {
        self.max_attachments = n;
        self
    }

    /// Sets [`max_depth`](Self::max_depth).
    pub const fn with_max_depth(mut self, n: usize) -> Self {
        self.max_depth = n;
        self
    }

    /// Sets [`max_packet_bytes`](Self::max_packet_bytes).
    pub const fn with_max_packet_bytes(mut self, n: usize) -> Self {
        self.max_packet_bytes = n;
        self
    }
}
