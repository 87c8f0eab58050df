//! The Socket.IO v5 packet codec: `<type>[<attachments>-][<nsp>,][<ack id>][<JSON>]`.
//!
//! Decoding borrows from the input and allocates nothing; the payload stays raw JSON (validated
//! strictly) and events expose their name and an iterator over raw argument slices. Encoding
//! appends `JSON.stringify`-identical text to a caller's `String` and collects the binary
//! attachments (as borrowed slices) in a caller's `Vec`.
//!
//! Binary attachments and their reassembly across Engine.IO messages are handled by
//! [`Decoder`](super::Decoder); this module only decodes one text packet and, for a binary header,
//! checks its placeholders against the announced attachment count.

mod decode;
mod encode;
mod types;
mod view;

pub use decode::decode;
pub use encode::{
    Value, encode_ack, encode_connect, encode_connect_error, encode_disconnect, encode_event,
    encode_value,
};
pub use types::{DecodeConfig, PacketType, RESERVED_EVENTS, is_reserved_event};
pub(crate) use view::Meta;
pub use view::{Args, Field, FirstArgFields, FirstArgMembers, Members, Packet, members, unquote};
