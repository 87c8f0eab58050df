//! The handshake data of the `open` packet:
//! `{"sid":"…","upgrades":[…],"pingInterval":N,"pingTimeout":N,"maxPayload":N}`.
//!
//! Written with the keys in exactly that order (the reference server's order); read strictly
//! (RFC 8259 syntax, every key required once, integers only), ignoring unknown members.

use core::time::Duration;

use super::EngineIoError;
use crate::json;

/// The handshake data a server sends in its `open` packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenPacket<'b> {
    /// The session id. Must not be empty.
    pub sid: &'b str,
    /// Whether `"websocket"` is offered in `upgrades` (`["websocket"]` on a polling session,
    /// `[]` on a WebSocket session). Other transport names are ignored when reading.
    pub upgrade_websocket: bool,
    /// How often the server pings.
    pub ping_interval: Duration,
    /// How long the server waits for a pong.
    pub ping_timeout: Duration,
    /// The largest long-polling body the server accepts, in bytes.
    pub max_payload: u64,
}

impl<'b> OpenPacket<'b> {
    /// Appends the JSON document (without the `0` type digit) to `out`.
    pub fn write_json(&self, out: &mut alloc::vec::Vec<u8>) {
        use alloc::string::ToString as _;
        out.extend_from_slice(b"{\"sid\":");
        json::push_str(out, self.sid);
        out.extend_from_slice(if self.upgrade_websocket {
            b",\"upgrades\":[\"websocket\"]".as_slice()
        } else {
            b",\"upgrades\":[]".as_slice()
        });
        out.extend_from_slice(b",\"pingInterval\":");
        out.extend_from_slice(millis(self.ping_interval).to_string().as_bytes());
        out.extend_from_slice(b",\"pingTimeout\":");
        out.extend_from_slice(millis(self.ping_timeout).to_string().as_bytes());
        out.extend_from_slice(b",\"maxPayload\":");
        out.extend_from_slice(self.max_payload.to_string().as_bytes());
        out.push(b'}');
    }

    /// The whole `open` packet text, `0{…}`.
    pub fn to_packet_string(&self) -> alloc::string::String {
        let mut v = alloc::vec::Vec::with_capacity(128);
        v.push(b'0');
        self.write_json(&mut v);
        // Only ASCII and the (valid UTF-8) escaped sid were written.
        alloc::string::String::from_utf8(v).unwrap_or_default()
    }

    /// Reads the handshake JSON (the text after the `0`).
    ///
    /// Errors: [`EngineIoError::InvalidHandshake`] for malformed JSON, a missing, duplicated or
    /// mistyped member, an empty or escaped sid (sids are plain strings), or a number that is not
    /// a non-negative integer of at most 2^53.
    pub fn parse(json: &'b str) -> Result<Self, EngineIoError> {
        let bad = EngineIoError::InvalidHandshake;
        let mut sid = None;
        let mut upgrades = None;
        let mut ping_interval = None;
        let mut ping_timeout = None;
        let mut max_payload = None;
        for member in json::object_members(json).map_err(|_| bad.clone())? {
            let (key, value) = member.map_err(|_| bad.clone())?;
            let slot_num = |slot: &mut Option<u64>| -> Result<(), EngineIoError> {
                if slot.is_some() {
                    return Err(EngineIoError::InvalidHandshake);
                }
                let n = json::parse_u64(value).ok_or(EngineIoError::InvalidHandshake)?;
                if n > (1 << 53) {
                    return Err(EngineIoError::InvalidHandshake);
                }
                *slot = Some(n);
                Ok(())
            };
            if json::string_eq(key, "sid") {
                if sid.is_some() {
                    return Err(bad);
                }
                let s = json::str_borrowed(value).ok_or(bad.clone())?;
                if s.is_empty() {
                    return Err(bad);
                }
                sid = Some(s);
            } else if json::string_eq(key, "upgrades") {
                if upgrades.is_some() {
                    return Err(bad);
                }
                let mut ws = false;
                for item in json::array_items(value).map_err(|_| bad.clone())? {
                    let item = item.map_err(|_| bad.clone())?;
                    if !item.starts_with('"') {
                        return Err(bad);
                    }
                    ws |= json::string_eq(item, "websocket");
                }
                upgrades = Some(ws);
            } else if json::string_eq(key, "pingInterval") {
                slot_num(&mut ping_interval)?;
            } else if json::string_eq(key, "pingTimeout") {
                slot_num(&mut ping_timeout)?;
            } else if json::string_eq(key, "maxPayload") {
                slot_num(&mut max_payload)?;
            }
        }
        match (sid, upgrades, ping_interval, ping_timeout, max_payload) {
            (Some(sid), Some(upgrade_websocket), Some(pi), Some(pt), Some(mp)) => Ok(OpenPacket {
                sid,
                upgrade_websocket,
                ping_interval: Duration::from_millis(pi),
                ping_timeout: Duration::from_millis(pt),
                max_payload: mp,
            }),
            _ => Err(bad),
        }
    }
}

/// Whole milliseconds of a duration, saturating.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
