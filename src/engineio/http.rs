//! HTTP for Engine.IO: what a request to the Engine.IO path asks for, and the responses.
//!
//! This module is pure: it takes the pieces of an already parsed request head (method, target,
//! headers — from [`crate::http`] or any other parser) and returns an
//! [`EngineRequest`] or a [`Reject`] that writes the reference error reply. Checks, in the
//! reference server's order:
//!
//! 1. `transport` must be `polling` or `websocket` → else code 0 "Transport unknown";
//! 2. an `Origin` header with characters invalid in a header value → code 3 "Bad request";
//! 3. without `sid`, only `GET` opens a session → else code 2 "Bad handshake method"; a
//!    `transport=websocket` handshake must be a WebSocket upgrade → else code 3;
//! 4. `EIO` must be `4` → else code 5 "Unsupported protocol version" (the reference checks this
//!    at the handshake only; we check every request — v4 clients always send it);
//! 5. `Transfer-Encoding` on a request is refused with 411 Length Required (Engine.IO clients
//!    always send `Content-Length`; not accepting chunked bodies keeps the body cap exact);
//! 6. a `Content-Length` above the body cap (maxPayload) → a bare 413.
//!
//! Duplicate reserved query keys (`EIO`, `transport`, `sid`) are rejected with code 3. Session
//! lookups (code 1 "Session ID unknown", transport mismatch) belong to [`super::server::Registry`].

use core::fmt;

/// The reference's error codes, sent as `{"code":N,"message":"…"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 0: "Transport unknown".
    TransportUnknown,
    /// 1: "Session ID unknown".
    SessionIdUnknown,
    /// 2: "Bad handshake method".
    BadHandshakeMethod,
    /// 3: "Bad request".
    BadRequest,
    /// 4: "Forbidden" (HTTP 403).
    Forbidden,
    /// 5: "Unsupported protocol version".
    UnsupportedProtocolVersion,
}

impl ErrorCode {
    /// The numeric code.
    pub const fn code(self) -> u8 {
        match self {
            ErrorCode::TransportUnknown => 0,
            ErrorCode::SessionIdUnknown => 1,
            ErrorCode::BadHandshakeMethod => 2,
            ErrorCode::BadRequest => 3,
            ErrorCode::Forbidden => 4,
            ErrorCode::UnsupportedProtocolVersion => 5,
        }
    }

    /// The reference message.
    pub const fn message(self) -> &'static str {
        match self {
            ErrorCode::TransportUnknown => "Transport unknown",
            ErrorCode::SessionIdUnknown => "Session ID unknown",
            ErrorCode::BadHandshakeMethod => "Bad handshake method",
            ErrorCode::BadRequest => "Bad request",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::UnsupportedProtocolVersion => "Unsupported protocol version",
        }
    }

    /// The HTTP status: 403 for [`ErrorCode::Forbidden`], 400 otherwise.
    pub const fn status(self) -> u16 {
        match self {
            ErrorCode::Forbidden => 403,
            _ => 400,
        }
    }

    /// The JSON body, e.g. `{"code":1,"message":"Session ID unknown"}`.
    pub fn body(self) -> alloc::string::String {
        alloc::format!(
            "{{\"code\":{},\"message\":\"{}\"}}",
            self.code(),
            self.message()
        )
    }
}

/// A rejected request, carrying the reply to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reject {
    /// A reference error: 400 (403 for code 4) with the JSON body.
    Code(ErrorCode),
    /// 413 Payload Too Large, no body (a POST over the body cap).
    PayloadTooLarge,
    /// 411 Length Required, no body (a chunked or otherwise transfer-encoded request body).
    LengthRequired,
}

impl Reject {
    /// The HTTP status code.
    pub const fn status(&self) -> u16 {
        match self {
            Reject::Code(c) => c.status(),
            Reject::PayloadTooLarge => 413,
            Reject::LengthRequired => 411,
        }
    }

    /// Appends the whole HTTP response (head and body) to `out`.
    pub fn write_response(&self, opts: &ResponseOptions<'_>, out: &mut alloc::vec::Vec<u8>) {
        match self {
            Reject::Code(c) => write_response(
                c.status(),
                Some("application/json"),
                c.body().as_bytes(),
                opts,
                out,
            ),
            _ => write_response(self.status(), None, b"", opts, out),
        }
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reject::Code(c) => write!(f, "{} ({}, code {})", c.message(), c.status(), c.code()),
            Reject::PayloadTooLarge => f.write_str("payload too large (413)"),
            Reject::LengthRequired => f.write_str("transfer-encoded body refused (411)"),
        }
    }
}

/// The request method, as far as Engine.IO cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`: handshake, long-poll, or WebSocket upgrade.
    Get,
    /// `POST`: long-polling data from the client.
    Post,
    /// `OPTIONS`: a CORS preflight.
    Options,
    /// Anything else.
    Other,
}

impl Method {
    /// Classifies a method token (case-sensitive, as RFC 9110 says).
    pub fn from_token(m: &str) -> Method {
        match m {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }
}

/// The two transports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// HTTP long-polling.
    Polling,
    /// WebSocket.
    WebSocket,
}

impl Transport {
    /// The query-string name.
    pub const fn name(self) -> &'static str {
        match self {
            Transport::Polling => "polling",
            Transport::WebSocket => "websocket",
        }
    }
}

/// The reserved query parameters of an Engine.IO request (raw, not percent-decoded: valid values
/// never need encoding).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Query<'b> {
    /// `EIO`, the protocol version.
    pub eio: Option<&'b str>,
    /// `transport`.
    pub transport: Option<&'b str>,
    /// `sid`.
    pub sid: Option<&'b str>,
    /// `t`, the client's cache buster (ignored).
    pub t: Option<&'b str>,
    /// Whether a reserved key appeared twice.
    pub duplicate: bool,
}

/// Splits a request target into the path and the parsed query.
pub fn split_target(target: &str) -> (&str, Query<'_>) {
    let (path, qs) = match target.find('?') {
        Some(i) => (&target[..i], &target[i + 1..]),
        None => (target, ""),
    };
    let qs = qs.split('#').next().unwrap_or("");
    let mut q = Query::default();
    for pair in qs.split('&') {
        let (k, v) = match pair.find('=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, ""),
        };
        let slot = match k {
            "EIO" => &mut q.eio,
            "transport" => &mut q.transport,
            "sid" => &mut q.sid,
            "t" => &mut q.t,
            _ => continue,
        };
        if slot.is_some() && k != "t" {
            q.duplicate = true;
        }
        *slot = Some(v);
    }
    (path, q)
}

/// CORS settings for long-polling responses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cors {
    /// The `Access-Control-Allow-Origin` value; `None` reflects the request's `Origin` (or `*`
    /// when it has none).
    pub allow_origin: Option<alloc::string::String>,
    /// Send `Access-Control-Allow-Credentials: true`.
    pub allow_credentials: bool,
}

/// Limits and options for request classification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Body cap for POSTs (the session's maxPayload); above it → 413. Default 1 000 000.
    pub max_body: usize,
    /// CORS headers on long-polling responses (and preflights answered); `None` sends none.
    pub cors: Option<Cors>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_body: 1_000_000,
            cors: None,
        }
    }
}

/// What an accepted request to the Engine.IO path asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineRequest<'b> {
    /// The method.
    pub method: Method,
    /// The path (before `?`).
    pub path: &'b str,
    /// The transport asked for.
    pub transport: Transport,
    /// The session id, when the request belongs to a session.
    pub sid: Option<&'b str>,
    /// The body length to read after the head (0 without `Content-Length`).
    pub content_length: usize,
    /// Whether the connection stays open after the response.
    pub keep_alive: bool,
    /// The `Origin` header.
    pub origin: Option<&'b str>,
    /// Whether this is a WebSocket upgrade request (`Upgrade: websocket`).
    pub websocket_upgrade: bool,
    /// For a preflight, the `Access-Control-Request-Headers` value.
    pub request_headers: Option<&'b str>,
}

impl<'b> EngineRequest<'b> {
    /// Whether this request opens a new session.
    pub fn is_handshake(&self) -> bool {
        self.sid.is_none()
    }

    /// Whether this is a CORS preflight (answer it with [`write_preflight`]).
    pub fn is_preflight(&self) -> bool {
        self.method == Method::Options
    }

    /// Response options matching this request (keep-alive, CORS with the request origin).
    pub fn response_options<'c>(&self, cfg: &'c HttpConfig) -> ResponseOptions<'c>
    where
        'b: 'c,
    {
        ResponseOptions {
            keep_alive: self.keep_alive,
            cors: cfg.cors.as_ref(),
            origin: self.origin,
        }
    }
}

fn ascii_eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn header_has_token(value: &str, token: &str) -> bool {
    value.split(',').any(|t| ascii_eq(t.trim(), token))
}

/// Classifies a parsed request head (see the module docs for the checks and their order).
///
/// `http11` is whether the version is HTTP/1.1 (keep-alive default); `headers` yields
/// `(name, value)` pairs in order. Header values that are not UTF-8 are treated as absent, except
/// `Origin`, which is then rejected (code 3).
pub fn classify<'b, I>(
    method: &'b str,
    target: &'b str,
    http11: bool,
    headers: I,
    cfg: &HttpConfig,
) -> Result<EngineRequest<'b>, Reject>
where
    I: IntoIterator<Item = (&'b str, &'b [u8])>,
{
    let (path, q) = split_target(target);
    let method = Method::from_token(method);

    let mut content_length: Option<usize> = None;
    let mut bad_length = false;
    let mut transfer_encoding = false;
    let mut keep_alive = http11;
    let mut origin = None;
    let mut bad_origin = false;
    let mut upgrade = false;
    let mut request_headers = None;
    for (name, value) in headers {
        let text = core::str::from_utf8(value).ok();
        if ascii_eq(name, "content-length") {
            let v = text.map(str::trim).unwrap_or("");
            let n = if !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit()) {
                v.parse::<usize>().ok()
            } else {
                None
            };
            match (n, content_length) {
                (Some(n), None) => content_length = Some(n),
                (Some(n), Some(prev)) if n == prev => {}
                // Unparsable (or overflowing), or two different lengths: request smuggling bait.
                _ => bad_length = true,
            }
        } else if ascii_eq(name, "transfer-encoding") {
            transfer_encoding = true;
        } else if ascii_eq(name, "connection") {
            if let Some(v) = text {
                if header_has_token(v, "close") {
                    keep_alive = false;
                } else if header_has_token(v, "keep-alive") {
                    keep_alive = true;
                }
            }
        } else if ascii_eq(name, "origin") {
            // The reference refuses origins with characters invalid in a header value.
            match text {
                Some(v) if v.bytes().all(|c| c == b'\t' || (0x20..0x7f).contains(&c)) => {
                    origin = Some(v)
                }
                _ => bad_origin = true,
            }
        } else if ascii_eq(name, "upgrade") {
            upgrade = text.is_some_and(|v| header_has_token(v, "websocket"));
        } else if ascii_eq(name, "access-control-request-headers") {
            request_headers = text;
        }
    }

    let transport = match q.transport {
        Some("polling") => Transport::Polling,
        Some("websocket") => Transport::WebSocket,
        _ => return Err(Reject::Code(ErrorCode::TransportUnknown)),
    };
    if bad_origin || q.duplicate {
        return Err(Reject::Code(ErrorCode::BadRequest));
    }
    let sid = q.sid;
    if sid.is_none() && method != Method::Options {
        if method != Method::Get {
            return Err(Reject::Code(ErrorCode::BadHandshakeMethod));
        }
        if transport == Transport::WebSocket && !upgrade {
            return Err(Reject::Code(ErrorCode::BadRequest));
        }
    }
    if q.eio != Some("4") {
        return Err(Reject::Code(ErrorCode::UnsupportedProtocolVersion));
    }
    if transfer_encoding {
        return Err(Reject::LengthRequired);
    }
    if bad_length {
        return Err(Reject::Code(ErrorCode::BadRequest));
    }
    let content_length = content_length.unwrap_or(0);
    if content_length > cfg.max_body {
        return Err(Reject::PayloadTooLarge);
    }
    if sid.is_some() && !matches!(method, Method::Get | Method::Post | Method::Options) {
        return Err(Reject::Code(ErrorCode::BadRequest));
    }
    Ok(EngineRequest {
        method,
        path,
        transport,
        sid,
        content_length,
        keep_alive,
        origin,
        websocket_upgrade: upgrade,
        request_headers,
    })
}

/// Options for writing a response.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResponseOptions<'a> {
    /// Keep the connection open (`Connection: keep-alive`) or not (`Connection: close`).
    pub keep_alive: bool,
    /// CORS headers to add.
    pub cors: Option<&'a Cors>,
    /// The request's `Origin`, reflected when [`Cors::allow_origin`] is `None`.
    pub origin: Option<&'a str>,
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        411 => "Length Required",
        413 => "Payload Too Large",
        _ => "Unknown",
    }
}

/// Appends a complete HTTP/1.1 response to `out`: status line, `Content-Type` (when given),
/// `Content-Length`, `Connection`, CORS headers when configured, then the body.
pub fn write_response(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    opts: &ResponseOptions<'_>,
    out: &mut alloc::vec::Vec<u8>,
) {
    use core::fmt::Write as _;
    let mut head = alloc::string::String::with_capacity(160);
    let _ = write!(head, "HTTP/1.1 {} {}\r\n", status, reason(status));
    if let Some(ct) = content_type {
        let _ = write!(head, "Content-Type: {ct}\r\n");
    }
    let _ = write!(head, "Content-Length: {}\r\n", body.len());
    head.push_str(if opts.keep_alive {
        "Connection: keep-alive\r\n"
    } else {
        "Connection: close\r\n"
    });
    write_cors(opts, &mut head);
    head.push_str("\r\n");
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(body);
}

fn write_cors(opts: &ResponseOptions<'_>, head: &mut alloc::string::String) {
    use core::fmt::Write as _;
    if let Some(cors) = opts.cors {
        let origin = cors.allow_origin.as_deref().or(opts.origin).unwrap_or("*");
        let _ = write!(head, "Access-Control-Allow-Origin: {origin}\r\n");
        if cors.allow_origin.is_none() {
            head.push_str("Vary: Origin\r\n");
        }
        if cors.allow_credentials {
            head.push_str("Access-Control-Allow-Credentials: true\r\n");
        }
    }
}

/// Appends a `200` long-polling payload response (`text/plain; charset=UTF-8`).
pub fn write_payload_response(
    payload: &[u8],
    opts: &ResponseOptions<'_>,
    out: &mut alloc::vec::Vec<u8>,
) {
    write_response(200, Some("text/plain; charset=UTF-8"), payload, opts, out);
}

/// Appends the `200 ok` response to a long-polling POST.
pub fn write_ok_response(opts: &ResponseOptions<'_>, out: &mut alloc::vec::Vec<u8>) {
    write_response(200, Some("text/html"), b"ok", opts, out);
}

/// Appends the answer to a CORS preflight: `204` with the allowed methods and headers (when CORS
/// is configured), or the reference's error when it is not (code 2 without `sid`, 3 with one).
pub fn write_preflight(req: &EngineRequest<'_>, cfg: &HttpConfig, out: &mut alloc::vec::Vec<u8>) {
    let opts = req.response_options(cfg);
    if cfg.cors.is_none() {
        let code = if req.sid.is_none() {
            ErrorCode::BadHandshakeMethod
        } else {
            ErrorCode::BadRequest
        };
        Reject::Code(code).write_response(&opts, out);
        return;
    }
    use core::fmt::Write as _;
    let mut head = alloc::string::String::from("HTTP/1.1 204 No Content\r\n");
    write_cors(&opts, &mut head);
    head.push_str("Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n");
    let allow = req.request_headers.unwrap_or("content-type");
    if allow
        .bytes()
        .all(|c| c == b'\t' || (0x20..0x7f).contains(&c))
    {
        let _ = write!(head, "Access-Control-Allow-Headers: {allow}\r\n");
    }
    head.push_str("Content-Length: 0\r\n");
    head.push_str(if opts.keep_alive {
        "Connection: keep-alive\r\n\r\n"
    } else {
        "Connection: close\r\n\r\n"
    });
    out.extend_from_slice(head.as_bytes());
}

/// [`classify`] for a head parsed by [`crate::http`].
pub fn classify_request<'b>(
    req: &crate::http::Request<'_, 'b>,
    cfg: &HttpConfig,
) -> Result<EngineRequest<'b>, Reject> {
    classify(
        req.method(),
        req.target(),
        req.version_minor() >= 1,
        req.headers().iter().map(|h| (h.name(), h.value())),
        cfg,
    )
}
