//! The blocking client side of the opening handshake, shared by the client examples: connect,
//! send the request built by `ClientHandshake`, read until the response head is complete and
//! verified. Not an example of its own (it is included with `#[path]`).

use std::io::{self, Read, Write};
use std::net::TcpStream;

use sockwire::deflate::{DeflateOffer, PerMessageDeflate};
use sockwire::handshake::http::{Header, Status};
use sockwire::handshake::{ClientHandshake, ClientOptions, ServerResponse};

/// An upgraded connection: the stream, the subprotocol the server chose, and the bytes that
/// followed the response head in the same read (they belong to the frame layer).
#[allow(dead_code)] // each example that includes this module reads the fields it needs
pub struct Upgraded {
    pub stream: TcpStream,
    pub subprotocol: Option<String>,
    pub leftover: Vec<u8>,
    pub deflate: Option<PerMessageDeflate>,
}

/// Connects to `hostport`, asks for `target` with the caller's 16 random bytes and the
/// offered subprotocols, and returns once the server switched protocols. A non-101 answer is an
/// error carrying its status.
pub fn connect(
    hostport: &str,
    target: &str,
    nonce: [u8; 16],
    protocols: &[&str],
    offer: Option<&DeflateOffer>,
) -> io::Result<Upgraded> {
    let mut stream = TcpStream::connect(hostport)?;
    stream.set_nodelay(true)?;
    let ext = offer.map(|o| o.header_value());
    let mut hs = ClientHandshake::new(
        ClientOptions::new(hostport, target, nonce)
            .subprotocols(protocols)
            .extensions(ext.as_deref()),
    )
    .map_err(io::Error::other)?;
    let mut req = Vec::new();
    hs.encode_to_vec(&mut req);
    stream.write_all(&req)?;
    let mut head = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::other("connection closed during the handshake"));
        }
        head.extend_from_slice(&chunk[..n]);
        let mut slots = [Header::EMPTY; 64];
        match hs
            .parse_response(&head, &mut slots)
            .map_err(io::Error::other)?
        {
            Status::Partial => {}
            Status::Complete(ServerResponse::Accepted(a)) => {
                let subprotocol = a.subprotocol().map(String::from);
                let leftover = head[a.head_len()..].to_vec();
                let deflate = match offer {
                    Some(o) => a.deflate(o).map_err(io::Error::other)?,
                    None => None,
                };
                return Ok(Upgraded {
                    stream,
                    subprotocol,
                    leftover,
                    deflate,
                });
            }
            Status::Complete(ServerResponse::NotUpgraded(r)) => {
                return Err(io::Error::other(format!(
                    "server answered HTTP {}",
                    r.status()
                )));
            }
        }
    }
}
