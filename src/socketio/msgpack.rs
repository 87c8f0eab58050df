//! Socket.IO packets in the `socket.io-msgpack-parser` form: one binary Engine.IO message per
//! packet, holding a map of `type`, `nsp`, `data` and `id` (types 0–4 only; binary arguments
//! travel inside the map, so there are no attachment packets).
//!
//! [`decode_packet`] applies the reference decoder's checks: `type` 0–4, `nsp` a string,
//! CONNECT data absent or an object, DISCONNECT no data, CONNECT_ERROR a string or an object,
//! EVENT / ACK data an array, `id` absent or an integer. As in JavaScript, unknown keys are
//! ignored, a later duplicate key wins, and `undefined` (`d4 00 00`) counts as absent.
//!
//! The encoders return the whole message, so a broadcast encodes once and writes the same
//! bytes to every session as a binary Engine.IO message.

use super::PacketType;
use crate::msgpack::{Limits, Value, encode};
use alloc::vec::Vec;
use core::fmt;

/// One decoded msgpack Socket.IO packet, borrowing from the message.
#[derive(Clone, Debug, PartialEq)]
pub struct MsgpackPacket<'a> {
    /// The packet type (never a binary type).
    pub kind: PacketType,
    /// The namespace.
    pub nsp: &'a str,
    /// The payload, if present.
    pub data: Option<Value<'a>>,
    /// The acknowledgement id.
    pub id: Option<u64>,
}

/// Why a msgpack Socket.IO packet was refused: what, and (for malformed msgpack) where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PacketError {
    /// The bytes are not one well-formed, bounded msgpack value.
    Msgpack(crate::msgpack::DecodeError),
    /// The value is not a map.
    NotAMap,
    /// `type` is missing or not an integer 0–4.
    BadType,
    /// `nsp` is missing or not a string.
    BadNamespace,
    /// `data` does not fit the packet type.
    BadData(PacketType),
    /// `id` is not a non-negative integer.
    BadId,
}

impl fmt::Display for PacketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PacketError::Msgpack(e) => write!(f, "socket.io msgpack packet: {e}"),
            PacketError::NotAMap => f.write_str("socket.io msgpack packet: not a map"),
            PacketError::BadType => f.write_str("socket.io msgpack packet: `type` not 0-4"),
            PacketError::BadNamespace => {
                f.write_str("socket.io msgpack packet: `nsp` not a string")
            }
            PacketError::BadData(t) => {
                write!(
                    f,
                    "socket.io msgpack packet: `data` does not fit a {t:?} packet"
                )
            }
            PacketError::BadId => f.write_str("socket.io msgpack packet: `id` not an integer"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for PacketError {}

fn is_object(v: &Value<'_>) -> bool {
    // `typeof x === "object"`: null, maps, arrays, Buffers, typed arrays, dates.
    matches!(
        v,
        Value::Nil | Value::Map(_) | Value::Array(_) | Value::Bin(_)
    ) || matches!(v, Value::Ext(..) if !v.is_undefined())
}

fn integer(v: &Value<'_>) -> Option<u64> {
    match *v {
        Value::UInt(u) => Some(u),
        // Whole numbers in the exactly representable range (`f as u64` truncates, so a round
        // trip tells whole from fractional without `f64::fract`, which needs `std`).
        Value::F64(f) if (0.0..=9_007_199_254_740_991.0).contains(&f) && (f as u64) as f64 == f => {
            Some(f as u64)
        }
        Value::F32(f) if (0.0..=16_777_216.0).contains(&f) && (f as u64) as f32 == f => {
            Some(f as u64)
        }
        _ => None,
    }
}

/// Decodes one binary Engine.IO message as a msgpack Socket.IO packet.
pub fn decode_packet<'a>(msg: &'a [u8], limits: &Limits) -> Result<MsgpackPacket<'a>, PacketError> {
    let Value::Map(pairs) = crate::msgpack::decode(msg, limits).map_err(PacketError::Msgpack)?
    else {
        return Err(PacketError::NotAMap);
    };
    let (mut ty, mut nsp, mut data, mut id) = (None, None, None, None);
    for (k, v) in pairs {
        let slot = match k {
            Value::Str("type") => &mut ty,
            Value::Str("nsp") => &mut nsp,
            Value::Str("data") => &mut data,
            Value::Str("id") => &mut id,
            _ => continue,
        };
        *slot = if v.is_undefined() { None } else { Some(v) };
    }
    let kind = match ty.as_ref().and_then(integer) {
        Some(0) => PacketType::Connect,
        Some(1) => PacketType::Disconnect,
        Some(2) => PacketType::Event,
        Some(3) => PacketType::Ack,
        Some(4) => PacketType::ConnectError,
        _ => return Err(PacketError::BadType),
    };
    let Some(Value::Str(nsp)) = nsp else {
        return Err(PacketError::BadNamespace);
    };
    let id = match id {
        None => None,
        Some(v) => Some(integer(&v).ok_or(PacketError::BadId)?),
    };
    let ok = match (kind, &data) {
        (PacketType::Connect, None) => true,
        (PacketType::Connect, Some(d)) => is_object(d),
        (PacketType::Disconnect, d) => d.is_none(),
        (PacketType::ConnectError, Some(Value::Str(_))) => true,
        (PacketType::ConnectError, Some(d)) => is_object(d),
        (PacketType::Event | PacketType::Ack, Some(Value::Array(_))) => true,
        _ => false,
    };
    if !ok {
        return Err(PacketError::BadData(kind));
    }
    Ok(MsgpackPacket {
        kind,
        nsp,
        data,
        id,
    })
}

/// Encodes a packet as one binary Engine.IO message, keys in the order the Node server
/// writes them (`type`, `data`, `id`, `nsp`); absent `data` / `id` are left out.
/// Binary packet types are refused (`None`): this parser has none.
pub fn encode_packet(
    kind: PacketType,
    nsp: &str,
    data: Option<&Value<'_>>,
    id: Option<u64>,
) -> Option<Vec<u8>> {
    let t = match kind {
        PacketType::Connect => 0,
        PacketType::Disconnect => 1,
        PacketType::Event => 2,
        PacketType::Ack => 3,
        PacketType::ConnectError => 4,
        _ => return None,
    };
    let n = 2 + usize::from(data.is_some()) + usize::from(id.is_some());
    let mut out = Vec::new();
    out.push(0x80 | n as u8);
    encode(&Value::Str("type"), &mut out);
    out.push(t);
    if let Some(d) = data {
        encode(&Value::Str("data"), &mut out);
        encode(d, &mut out);
    }
    if let Some(id) = id {
        encode(&Value::Str("id"), &mut out);
        encode(&Value::UInt(id), &mut out);
    }
    encode(&Value::Str("nsp"), &mut out);
    encode(&Value::Str(nsp), &mut out);
    Some(out)
}

/// Encodes an EVENT `[event, ...args]` once, for a broadcast: the returned bytes are the whole
/// binary Engine.IO message to write to every session.
pub fn encode_event(nsp: &str, event: &str, args: &[Value<'_>], id: Option<u64>) -> Vec<u8> {
    let mut all = Vec::with_capacity(args.len() + 1);
    all.push(Value::Str(event));
    all.extend(args.iter().cloned());
    encode_packet(PacketType::Event, nsp, Some(&Value::Array(all)), id).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msgpack::decode;
    use alloc::vec;

    fn enc(v: &Value<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        encode(v, &mut out);
        out
    }

    fn lim() -> Limits {
        Limits::default()
    }

    #[test]
    fn readme_example_byte_exact() {
        // socket.io-msgpack-parser README: socket.emit('hello', 'you').
        let readme = [
            0x83, 0xa4, 0x74, 0x79, 0x70, 0x65, 0x02, 0xa3, 0x6e, 0x73, 0x70, 0xa1, 0x2f, 0xa4,
            0x64, 0x61, 0x74, 0x61, 0x92, 0xa5, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0xa3, 0x79, 0x6f,
            0x75,
        ];
        let p = decode_packet(&readme, &lim()).unwrap();
        assert_eq!((p.kind, p.nsp, p.id), (PacketType::Event, "/", None));
        assert_eq!(
            p.data,
            Some(Value::Array(vec![Value::Str("hello"), Value::Str("you")]))
        );
        // The map in the README's key order re-encodes byte-exact.
        let v = decode(&readme, &lim()).unwrap();
        assert_eq!(enc(&v), readme);
    }

    #[test]
    fn event_with_binary_round_trips_byte_exact() {
        let args = [Value::Bin(&[1, 2, 3]), Value::UInt(42)];
        let bytes = encode_event("/chat", "hello", &args, Some(7));
        let mut want = vec![0x84, 0xa4];
        want.extend_from_slice(b"type");
        want.push(2);
        want.extend_from_slice(&[0xa4, b'd', b'a', b't', b'a', 0x93, 0xa5]);
        want.extend_from_slice(b"hello");
        want.extend_from_slice(&[0xc4, 3, 1, 2, 3, 42, 0xa2, b'i', b'd', 7, 0xa3]);
        want.extend_from_slice(b"nsp");
        want.push(0xa5);
        want.extend_from_slice(b"/chat");
        assert_eq!(bytes, want);
        let p = decode_packet(&bytes, &lim()).unwrap();
        assert_eq!(p.kind, PacketType::Event);
        assert_eq!(p.nsp, "/chat");
        assert_eq!(p.id, Some(7));
        let d = p.data.clone().unwrap();
        assert_eq!(encode_packet(p.kind, p.nsp, Some(&d), p.id).unwrap(), bytes);
    }

    fn pkt(pairs: Vec<(Value<'static>, Value<'static>)>) -> Vec<u8> {
        let mut out = Vec::new();
        encode(&Value::Map(pairs), &mut out);
        out
    }

    #[test]
    fn reference_checks() {
        let t = |n| (Value::Str("type"), Value::UInt(n));
        let nsp = (Value::Str("nsp"), Value::Str("/"));
        let data = |v| (Value::Str("data"), v);
        let ok = |b: Vec<u8>| decode_packet(&b, &lim()).map(|p| p.kind);
        assert_eq!(ok(pkt(vec![t(0), nsp.clone()])), Ok(PacketType::Connect));
        assert_eq!(
            ok(pkt(vec![t(0), nsp.clone(), data(Value::Map(vec![]))])),
            Ok(PacketType::Connect)
        );
        assert_eq!(
            ok(pkt(vec![t(0), nsp.clone(), data(Value::Str("x"))])),
            Err(PacketError::BadData(PacketType::Connect))
        );
        assert_eq!(ok(pkt(vec![t(1), nsp.clone()])), Ok(PacketType::Disconnect));
        assert_eq!(
            ok(pkt(vec![t(1), nsp.clone(), data(Value::Undefined)])),
            Ok(PacketType::Disconnect)
        );
        assert_eq!(
            ok(pkt(vec![t(1), nsp.clone(), data(Value::Nil)])),
            Err(PacketError::BadData(PacketType::Disconnect))
        );
        assert_eq!(
            ok(pkt(vec![t(2), nsp.clone(), data(Value::Array(vec![]))])),
            Ok(PacketType::Event)
        );
        assert_eq!(
            ok(pkt(vec![t(2), nsp.clone(), data(Value::Map(vec![]))])),
            Err(PacketError::BadData(PacketType::Event))
        );
        assert_eq!(
            ok(pkt(vec![t(3), nsp.clone()])),
            Err(PacketError::BadData(PacketType::Ack))
        );
        assert_eq!(
            ok(pkt(vec![t(4), nsp.clone(), data(Value::Str("no"))])),
            Ok(PacketType::ConnectError)
        );
        assert_eq!(
            ok(pkt(vec![t(4), nsp.clone(), data(Value::UInt(1))])),
            Err(PacketError::BadData(PacketType::ConnectError))
        );
        assert_eq!(
            ok(pkt(vec![t(5), nsp.clone(), data(Value::Array(vec![]))])),
            Err(PacketError::BadType)
        );
        assert_eq!(
            ok(pkt(vec![t(2), data(Value::Array(vec![]))])),
            Err(PacketError::BadNamespace)
        );
        assert_eq!(
            ok(pkt(vec![
                t(2),
                (Value::Str("nsp"), Value::UInt(1)),
                data(Value::Array(vec![]))
            ])),
            Err(PacketError::BadNamespace)
        );
        let id = |v| (Value::Str("id"), v);
        assert_eq!(
            ok(pkt(vec![
                t(2),
                nsp.clone(),
                data(Value::Array(vec![])),
                id(Value::Str("1"))
            ])),
            Err(PacketError::BadId)
        );
        assert_eq!(
            ok(pkt(vec![
                t(2),
                nsp.clone(),
                data(Value::Array(vec![])),
                id(Value::F64(1.5))
            ])),
            Err(PacketError::BadId)
        );
        assert_eq!(
            ok(pkt(vec![
                t(2),
                nsp.clone(),
                data(Value::Array(vec![])),
                id(Value::F64(3.0))
            ])),
            Ok(PacketType::Event)
        );
        // Unknown keys (the client's `options`) are ignored.
        let opts = (
            Value::Str("options"),
            Value::Map(vec![(Value::Str("compress"), Value::Bool(true))]),
        );
        assert_eq!(
            ok(pkt(vec![
                t(2),
                data(Value::Array(vec![])),
                opts,
                nsp.clone()
            ])),
            Ok(PacketType::Event)
        );
        assert_eq!(
            decode_packet(&[0x92, 1, 2], &lim()),
            Err(PacketError::NotAMap)
        );
        assert!(matches!(
            decode_packet(&[0x81], &lim()),
            Err(PacketError::Msgpack(_))
        ));
        assert_eq!(
            encode_packet(PacketType::BinaryEvent, "/", None, None),
            None
        );
    }
}
