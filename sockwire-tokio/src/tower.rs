//! Mounting a Socket.IO [`Server`] (or an Engine.IO [`Endpoint`]) into an existing hyper or
//! axum app as a tower [`Layer`]: requests to the machine's paths (`/socket.io/` by default,
//! with or without the trailing slash, any query) go to the machine, every other request to
//! the app's own service. Feature `tower` (off by default).
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use sockwire::socketio::server::{App, Ctx, Event, Server, ServerOptions};
//! use sockwire_tokio::tower::SocketIoLayer;
//!
//! struct Echo;
//! impl App for Echo {
//!     fn on_event(&mut self, ctx: &mut Ctx<'_>, mut ev: Event<'_>) {
//!         if let Some(ack) = ev.take_ack() {
//!             let _ = ctx.ack(ack, &[]);
//!         }
//!     }
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! // Session ids need a CSPRNG in production; a counter keeps the example short.
//! let mut n = 0u8;
//! let server = Server::new(Echo, ServerOptions::default(), move || {
//!     n = n.wrapping_add(1);
//!     [n; 15]
//! });
//! let app = Router::new()
//!     .route("/", get(|| async { "the app's own page" }))
//!     .layer(SocketIoLayer::new(server)); // inside a tokio runtime: it spawns the machine's task
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! With axum, add the layer after the routes and the fallback (`Router::layer` wraps what the
//! router has so far, the default fallback included), or wrap the whole router:
//! `SocketIoLayer::layer(&layer, router)`. Not `Router::nest_service`: it strips the prefix
//! the machine routes on. With hyper alone, wrap the app's service in the layer and hand it to
//! hyper through `hyper_util::service::TowerToHyperService`; serve connections
//! `with_upgrades()` so that WebSockets work.
//!
//! # How a request reaches the machine
//!
//! The core's [`Endpoint`] makes every HTTP decision of Engine.IO (routing by `sid`, CORS,
//! caps, held GETs, the WebSocket handshake) from the bytes of an HTTP/1.1 connection. This
//! adapter gives each request hyper hands it a fresh *virtual connection* id, writes the request
//! back out as HTTP/1.1 (`Connection: close`, hop-by-hop headers dropped, `Host` from the
//! `:authority` of an HTTP/2 request, `Content-Length` from the body it read), feeds those bytes
//! to the machine and turns the HTTP/1.1 response the machine writes on that id back into an
//! [`http::Response`]. Why not a core entry point taking the parsed request: the core's
//! request is a view its own parser lays over the received bytes, and every decision
//! (`classify_request`, the upgrade validation, the caps) reads that view; a second entry would
//! duplicate those paths or reshape them all. Re-serializing costs one write and one parse per
//! request (`benches/tower_polling.rs`: with hyper's own HTTP work, a polling round trip through
//! the layer runs at 0.75–0.85× of raw `serve` on the same thread); in exchange the hyper path and the raw
//! [`serve`](crate::serve) path run the very same, already tested, decisions.
//!
//! * **Bodies** are read under the machine's `maxPayload` ([`ServerConfig::max_payload`]):
//!   a declared `Content-Length` over it is passed on without the body, and a body without
//!   one (HTTP/2, chunked) that grows past it is passed on as `maxPayload + 1` bytes declared:
//!   either way the core answers `413`. The adapter never holds more than `maxPayload` bytes of
//!   one request.
//! * **Held GETs**: the response future waits for the machine's answer; if hyper drops it (the
//!   client went away), the machine hears an EOF on the virtual connection, exactly as from a
//!   closed socket ("poll connection closed prematurely").
//! * **WebSocket**: when the machine answers an HTTP/1.1 Upgrade with `101`, the response goes
//!   out through hyper and [`hyper::upgrade::on`] yields the raw connection; from then on its
//!   bytes flow between that connection and the virtual one, as in [`serve`](crate::serve).
//! * **HTTP/2** long-polling works (the core sees HTTP/1.1). A WebSocket over HTTP/2 (RFC 8441
//!   extended CONNECT) is not supported: such a request gets the core's `400`, and clients fall
//!   back to polling or open the WebSocket over HTTP/1.1.
//! * **Timeouts**: a request body must arrive within the endpoint's
//!   [`request_timeout`](EndpointConfig::request_timeout) (else `408` and the connection
//!   closes); hyper's own settings bound the head.
//! * **Caps**: each request in flight is a connection of the endpoint, so
//!   [`EndpointConfig::max_connections`] bounds held GETs and WebSockets (`503` over it); a
//!   connection whose writer falls [`MAX_QUEUED_WRITES`] transmits behind is dropped.
//!
//! [`ServerConfig::max_payload`]: sockwire::engineio::server::ServerConfig::max_payload

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use http::header::{self, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Either, Full, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use sockwire::engineio::Endpoint;
use sockwire::engineio::endpoint::{EndpointConfig, Transmit};
use sockwire::http::{DEFAULT_MAX_HEADERS, HeadConfig, Header, Status, parse_response};
use sockwire::socketio::server::{App, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tower_layer::Layer;
use tower_service::Service;

use crate::{MAX_QUEUED_WRITES, Machine};

/// The error type of boxed bodies and services.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A machine that can be mounted: a [`Machine`] that tells its Engine.IO paths and caps.
pub trait Mount: Machine + Send + 'static {
    /// The machine's endpoint settings (its [`paths`](EndpointConfig::paths) are the ones the
    /// layer takes for it, its `maxPayload` caps request bodies).
    fn endpoint_config(&self) -> &EndpointConfig;
}

impl Mount for Endpoint {
    fn endpoint_config(&self) -> &EndpointConfig {
        self.config()
    }
}

impl<A: App + Send + 'static> Mount for Server<A> {
    fn endpoint_config(&self) -> &EndpointConfig {
        self.endpoint().config()
    }
}

/// The body of a [`SocketIoService`]'s responses: the machine's answer or the inner service's.
pub type SocketIoBody<B> = Either<Full<Bytes>, B>;

/// What request futures and upgraded connections tell the machine's task (the run loop of
/// [`crate::serve`], over virtual connections): a new connection is `Accepted` with the channel
/// its transmits go to, then its request bytes are `Read`.
type Input = crate::server::Input<mpsc::Sender<Transmit>>;

/// A virtual connection's transmits go to its request future (or upgraded connection) through a
/// channel. Taken counts as written: the HTTP layer (hyper) paces the real writes.
impl crate::server::Outlet for mpsc::Sender<Transmit> {
    fn put(&self, t: Transmit) -> crate::server::Wrote {
        let close = t.close;
        if self.try_send(t).is_err() || close {
            crate::server::Wrote::Done
        } else {
            crate::server::Wrote::Now
        }
    }
}

/// What every clone of the layer and its services share.
#[derive(Debug)]
struct Shared {
    tx: mpsc::Sender<Input>,
    next: AtomicU64,
    paths: Vec<String>,
    max_body: usize,
    request_timeout: std::time::Duration,
}

impl Shared {
    fn is_ours(&self, path: &str) -> bool {
        self.paths
            .iter()
            .any(|p| path == p || path == p.trim_end_matches('/'))
    }
}

/// A tower [`Layer`] that serves a sockwire machine at its paths in front of an inner service
/// (see the [module docs](self)). Cheap to clone: clones share the machine.
#[derive(Debug, Clone)]
pub struct SocketIoLayer {
    shared: Arc<Shared>,
}

impl SocketIoLayer {
    /// Spawns the task that owns `machine` (call it inside a tokio runtime) and returns the
    /// layer for it. The task ends once the layer and every service made from it are dropped.
    pub fn new<M: Mount>(machine: M) -> Self {
        let cfg = machine.endpoint_config();
        let (tx, rx) = mpsc::channel(1024);
        let shared = Arc::new(Shared {
            tx,
            next: AtomicU64::new(1),
            paths: cfg.paths.clone(),
            max_body: cfg.server.max_payload,
            request_timeout: cfg.request_timeout,
        });
        tokio::spawn(crate::server::drive(machine, rx, None));
        SocketIoLayer { shared }
    }

    /// The paths served by the machine (each with or without its trailing slash).
    pub fn paths(&self) -> &[String] {
        &self.shared.paths
    }
}

impl<S> Layer<S> for SocketIoLayer {
    type Service = SocketIoService<S>;
    fn layer(&self, inner: S) -> SocketIoService<S> {
        SocketIoService {
            inner,
            shared: Arc::clone(&self.shared),
        }
    }
}

/// The service of a [`SocketIoLayer`]: the machine's paths go to the machine, the rest to
/// `S`.
#[derive(Debug, Clone)]
pub struct SocketIoService<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> SocketIoService<S> {
    /// The wrapped service.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SocketIoService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Body + Send + 'static,
    ReqBody::Data: Send,
    ReqBody::Error: Into<BoxError>,
{
    type Response = Response<SocketIoBody<ResBody>>;
    type Error = S::Error;
    type Future =
        Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send + 'static>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        if self.shared.is_ours(req.uri().path()) {
            let shared = Arc::clone(&self.shared);
            Box::pin(async move { Ok(handle(shared, req).await.map(Either::Left)) })
        } else {
            // The service that was polled ready takes the call; its clone stays for the next.
            let clone = self.inner.clone();
            let mut inner = std::mem::replace(&mut self.inner, clone);
            Box::pin(async move { Ok(inner.call(req).await?.map(Either::Right)) })
        }
    }
}

/// Tells the machine that a virtual connection ended, when dropped.
struct EofGuard {
    conn: u64,
    tx: mpsc::Sender<Input>,
}

impl Drop for EofGuard {
    fn drop(&mut self) {
        let eof = Input::Eof(self.conn);
        if let Err(mpsc::error::TrySendError::Full(eof)) = self.tx.try_send(eof) {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                let tx = self.tx.clone();
                rt.spawn(async move {
                    let _ = tx.send(eof).await;
                });
            }
        }
    }
}

/// Headers not forwarded to the machine: connection-level (HTTP/1.1 hop-by-hop, `Expect`,
/// which hyper has answered, and the ones the adapter writes itself).
fn is_hop_by_hop(name: &HeaderName) -> bool {
    name == header::CONNECTION
        || name == header::UPGRADE
        || name == header::TRANSFER_ENCODING
        || name == header::TE
        || name == header::CONTENT_LENGTH
        || name == header::EXPECT
        || name == "keep-alive"
        || name == "proxy-connection"
}

/// Writes `parts` out as an HTTP/1.1 request head with a body of `len` bytes.
fn serialize_head(parts: &http::request::Parts, upgrade: bool, len: Option<usize>) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(parts.method.as_str().as_bytes());
    out.push(b' ');
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    let line = |out: &mut Vec<u8>, name: &[u8], value: &[u8]| {
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    };
    if !parts.headers.contains_key(header::HOST) {
        let host = parts.uri.authority().map_or("localhost", |a| a.as_str());
        line(&mut out, b"host", host.as_bytes());
    }
    for (name, value) in &parts.headers {
        if !is_hop_by_hop(name)
            || (upgrade && (name == header::CONNECTION || name == header::UPGRADE))
        {
            line(&mut out, name.as_str().as_bytes(), value.as_bytes());
        }
    }
    if !upgrade {
        line(&mut out, b"connection", b"close");
    }
    if let Some(len) = len {
        line(&mut out, b"content-length", len.to_string().as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// A response head from the machine.
struct Head {
    status: u16,
    headers: Vec<(HeaderName, HeaderValue)>,
    head_len: usize,
    content_length: Option<usize>,
}

/// Parses the machine's response head at the start of `buf` (`Err` for bytes that are not one).
fn parse_head(buf: &[u8]) -> Result<Option<Head>, ()> {
    let mut slots = [Header::EMPTY; DEFAULT_MAX_HEADERS];
    // The machine's own heads: a few fixed fields, CORS and the WebSocket accept.
    let cfg = HeadConfig::new().max_head_len(16 * 1024);
    match parse_response(buf, &mut slots, &cfg) {
        Ok(Status::Partial) => Ok(None),
        Err(_) => Err(()),
        Ok(Status::Complete(r)) => {
            let mut headers = Vec::with_capacity(r.headers().len());
            for h in r.headers() {
                let name = HeaderName::from_bytes(h.name_bytes()).map_err(|_| ())?;
                let value = HeaderValue::from_bytes(h.value()).map_err(|_| ())?;
                headers.push((name, value));
            }
            let content_length = match r.content_length() {
                Ok(n) => n.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
                Err(_) => return Err(()),
            };
            Ok(Some(Head {
                status: r.status(),
                headers,
                head_len: r.head_len(),
                content_length,
            }))
        }
    }
}

/// A bare response for what the machine could not answer.
fn bare(status: StatusCode) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    r
}

/// Reads a request's body under `max`: `Ok(body)`, or `Err(declared)` with the length to
/// declare to the machine instead (over its cap, so that it answers 413).
async fn read_body<B>(body: B, declared: Option<u64>, max: usize) -> io::Result<Result<Bytes, u64>>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    if let Some(n) = declared {
        if n > max as u64 {
            return Ok(Err(n));
        }
    }
    match Limited::new(body, max).collect().await {
        Ok(c) => Ok(Ok(c.to_bytes())),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Ok(Err(max as u64 + 1)),
        Err(e) => Err(io::Error::other(e)),
    }
}

/// Serves one request on a new virtual connection of the machine.
async fn handle<B>(shared: Arc<Shared>, mut req: Request<B>) -> Response<Full<Bytes>>
where
    B: Body + Send + 'static,
    B::Error: Into<BoxError>,
{
    let conn = shared.next.fetch_add(1, Ordering::Relaxed);
    let upgrade =
        req.version() <= http::Version::HTTP_11 && req.headers().contains_key(header::UPGRADE);
    let on_upgrade = upgrade.then(|| hyper::upgrade::on(&mut req));
    let (parts, body) = req.into_parts();
    let parts_method_is_head = parts.method == http::Method::HEAD;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let read = read_body(body, declared, shared.max_body);
    let Ok(read) = tokio::time::timeout(shared.request_timeout, read).await else {
        // The endpoint's request timeout: a raw connection is just closed; hyper wants an
        // answer, so 408 and the connection closes.
        let mut r = bare(StatusCode::REQUEST_TIMEOUT);
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return r;
    };
    let (body, len) = match read {
        Ok(Ok(b)) => {
            let len = b.len();
            let send_len = len > 0 || declared.is_some() || parts.method == http::Method::POST;
            (b, send_len.then_some(len))
        }
        Ok(Err(n)) => (Bytes::new(), Some(usize::try_from(n).unwrap_or(usize::MAX))),
        // The body broke off: the client is gone or sent garbage.
        Err(_) => return bare(StatusCode::BAD_REQUEST),
    };
    let mut bytes = serialize_head(&parts, upgrade, len);
    bytes.reserve_exact(body.len());
    bytes.extend_from_slice(&body);
    drop(body);

    let (wtx, mut wrx) = mpsc::channel(MAX_QUEUED_WRITES);
    if shared.tx.send(Input::Accepted(conn, wtx)).await.is_err()
        || shared.tx.send(Input::Read(conn, bytes)).await.is_err()
    {
        return bare(StatusCode::SERVICE_UNAVAILABLE);
    }
    let guard = EofGuard {
        conn,
        tx: shared.tx.clone(),
    };
    let mut buf = Vec::new();
    let mut closed = false;
    let head = loop {
        match parse_head(&buf) {
            Ok(Some(h)) => break h,
            Ok(None) if !closed => {}
            _ => return bare(StatusCode::INTERNAL_SERVER_ERROR),
        }
        match wrx.recv().await {
            Some(t) => {
                buf.extend_from_slice(&t.data);
                closed = t.close;
            }
            None => closed = true,
        }
    };
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::from_u16(head.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let switching = head.status == 101;
    for (name, value) in head.headers {
        let keep = if switching {
            name != header::CONTENT_LENGTH && name != header::TRANSFER_ENCODING
        } else {
            !is_hop_by_hop(&name)
        };
        if keep {
            resp.headers_mut().append(name, value);
        }
    }
    let rest = buf.split_off(head.head_len);
    if switching {
        if let Some(on_upgrade) = on_upgrade {
            tokio::spawn(bridge(on_upgrade, rest, wrx, conn, shared, guard));
            return resp;
        }
        return bare(StatusCode::INTERNAL_SERVER_ERROR);
    }
    // The body: Content-Length bytes, or everything up to the close (none for HEAD).
    let mut body = rest;
    let head_only = parts_method_is_head;
    loop {
        if head_only {
            body.clear();
            break;
        }
        match head.content_length {
            Some(n) if body.len() >= n => {
                body.truncate(n);
                break;
            }
            _ if closed => {
                if head.content_length.is_some() {
                    return bare(StatusCode::INTERNAL_SERVER_ERROR);
                }
                break;
            }
            _ => {}
        }
        match wrx.recv().await {
            Some(t) => {
                body.extend_from_slice(&t.data);
                closed = t.close;
            }
            None => closed = true,
        }
    }
    drop(guard);
    *resp.body_mut() = Full::new(Bytes::from(body));
    resp
}

/// Moves bytes between an upgraded connection and its virtual connection until either ends.
async fn bridge(
    on_upgrade: hyper::upgrade::OnUpgrade,
    rest: Vec<u8>,
    mut wrx: mpsc::Receiver<Transmit>,
    conn: u64,
    shared: Arc<Shared>,
    guard: EofGuard,
) {
    let Ok(upgraded) = on_upgrade.await else {
        return; // the guard tells the machine
    };
    let (mut rd, mut wr) = tokio::io::split(TokioIo::new(upgraded));
    let write = async {
        if !rest.is_empty() && wr.write_all(&rest).await.is_err() {
            return;
        }
        while let Some(t) = wrx.recv().await {
            if !t.data.is_empty() && wr.write_all(&t.data).await.is_err() {
                return;
            }
            if t.close {
                break;
            }
        }
        let _ = wr.shutdown().await;
    };
    let read = async {
        let mut buf = vec![0u8; 8 * 1024];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if shared
                        .tx
                        .send(Input::Read(conn, buf[..n].to_vec()))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
        }
    };
    tokio::select! {
        () = write => {}
        () = read => {}
    }
    drop(guard);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(req: Request<()>, upgrade: bool, len: Option<usize>) -> String {
        let (parts, ()) = req.into_parts();
        String::from_utf8(serialize_head(&parts, upgrade, len)).unwrap()
    }

    #[test]
    fn a_polling_post_is_written_with_its_length_and_connection_close() {
        let req = Request::post("/socket.io/?EIO=4&transport=polling&sid=abc")
            .header("host", "example.com")
            .header("connection", "keep-alive")
            .header("keep-alive", "timeout=5")
            .header("transfer-encoding", "chunked")
            .header("content-length", "99")
            .header("origin", "https://app")
            .header("expect", "100-continue")
            .body(())
            .unwrap();
        assert_eq!(
            head(req, false, Some(4)),
            "POST /socket.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\n\
             host: example.com\r\norigin: https://app\r\n\
             connection: close\r\ncontent-length: 4\r\n\r\n"
        );
    }

    #[test]
    fn an_http2_request_gets_host_from_its_authority() {
        let req = Request::get("https://example.com:8443/socket.io/?EIO=4&transport=polling")
            .version(http::Version::HTTP_2)
            .header("x-a", "1")
            .body(())
            .unwrap();
        assert_eq!(
            head(req, false, None),
            "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n\
             host: example.com:8443\r\nx-a: 1\r\nconnection: close\r\n\r\n"
        );
    }

    #[test]
    fn an_upgrade_keeps_its_connection_and_upgrade_headers() {
        let req = Request::get("/socket.io/?EIO=4&transport=websocket")
            .header("host", "x")
            .header("upgrade", "websocket")
            .header("connection", "Upgrade")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("sec-websocket-version", "13")
            .body(())
            .unwrap();
        assert_eq!(
            head(req, true, None),
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nhost: x\r\n\
             upgrade: websocket\r\nconnection: Upgrade\r\n\
             sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n"
        );
    }

    #[test]
    fn response_heads_parse_at_every_split_point() {
        let resp = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\
                     Connection: close\r\n\r\nok";
        for cut in 0..resp.len() {
            let got = parse_head(&resp[..cut]).unwrap();
            let complete = cut >= resp.len() - 2;
            assert_eq!(got.is_some(), complete, "cut at {cut}");
        }
        let h = parse_head(resp).unwrap().unwrap();
        assert_eq!(
            (h.status, h.head_len, h.content_length),
            (200, resp.len() - 2, Some(2))
        );
        assert_eq!(h.headers.len(), 3);
        assert!(parse_head(b"nonsense\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n").is_err());
    }

    #[test]
    fn only_the_mounts_are_ours() {
        let shared = Shared {
            tx: mpsc::channel(1).0,
            next: AtomicU64::new(1),
            paths: vec!["/socket.io/".into(), "/eio".into()],
            max_body: 10,
            request_timeout: std::time::Duration::from_secs(1),
        };
        for p in ["/socket.io/", "/socket.io", "/eio"] {
            assert!(shared.is_ours(p), "{p}");
        }
        for p in ["/", "/socket.io/x", "/socket.iox", "/eio/", "/SOCKET.IO/"] {
            assert!(!shared.is_ours(p), "{p}");
        }
    }
}
