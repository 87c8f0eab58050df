//! What the hub knows about an Engine.IO session from its handshake request ([`SessionInfo`]),
//! and the query-string decoder that fills it.

use alloc::string::String;
use alloc::vec::Vec;
use core::net::SocketAddr;
use core::time::Duration;

/// What the caller knows about an Engine.IO session from its handshake request; exposed to the
/// application as the reference server's `socket.handshake`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionInfo {
    /// Request headers as received (names as sent; compare case-insensitively).
    pub headers: Vec<(String, String)>,
    /// The decoded query string parameters.
    pub query: Vec<(String, String)>,
    /// The request target (path and query) of the handshake request.
    pub url: String,
    /// The peer's address, when the transport has one.
    pub address: Option<SocketAddr>,
    /// When the session was opened, on the caller's clock.
    pub issued: Duration,
    /// Whether the connection is over TLS.
    pub secure: bool,
}

impl SessionInfo {
    /// The facts of a parsed handshake request, opened at `issued`: the headers as sent, the
    /// target, and the query string decoded with [`decode_query`]. `address` and `secure` are
    /// the caller's to fill in (the bytes do not say).
    #[must_use]
    pub fn from_request(req: &crate::http::Request<'_, '_>, issued: Duration) -> Self {
        SessionInfo {
            headers: req
                .headers()
                .iter()
                .map(|h| {
                    (
                        String::from(h.name()),
                        String::from_utf8_lossy(h.value()).into_owned(),
                    )
                })
                .collect(),
            query: decode_query(req.query().unwrap_or("")),
            url: String::from(req.target()),
            address: None,
            issued,
            secure: false,
        }
    }

    /// The first header named `name` (ASCII case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first query parameter named `name`.
    #[must_use]
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Decodes a query string as `application/x-www-form-urlencoded` (what the reference server's
/// `socket.handshake.query` holds): pairs split at `&` (empty ones skipped) and at the first `=`
/// (a key without `=` has the empty value), `+` is a space, `%XX` escapes are decoded, a
/// malformed escape is kept as written, invalid UTF-8 is replaced by U+FFFD. Linear in the input,
/// which bounds the output.
#[must_use]
pub fn decode_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| char::from(c).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                if let (Some(h), Some(l)) = (
                    b.get(i + 1).and_then(|&c| hex(c)),
                    b.get(i + 2).and_then(|&c| hex(c)),
                ) {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
