//! Reusable std plumbing for Engine.IO servers in the examples: an accept loop, HTTP routing,
//! long-polling (with held GETs), WebSocket (sockwire's handshake + `ws::Connection`), and timers, around
//! sockwire's sans-IO [`Registry`] / [`ServerSession`].
//!
//! # Interface (for `sio_server`, `chat` and anything else built on it)
//!
//! Include it with `#[path = "support/eio_server.rs"] mod eio_server;`, then:
//!
//! ```ignore
//! let server = eio_server::Server::new()
//!     .engine("/engine.io/", ServerConfig::default(), MyHandler::default())  // any number of endpoints
//!     .page("/", "text/html; charset=utf-8", include_bytes!("chat/index.html").to_vec())
//!     .cors(None);                                                             // optional
//! server.serve("127.0.0.1:3000")?;            // blocks; or `server.spawn(addr)?` → bound address
//! ```
//!
//! Each endpoint has its own [`Registry`] and one handler implementing [`EngineHandler`]. The
//! handler sees Engine.IO *messages* per session id — exactly what a Socket.IO server socket
//! machine consumes — and talks back through the [`Ctx`] it is handed:
//!
//! ```ignore
//! impl EngineHandler for MyHandler {
//!     fn on_open(&mut self, sid: &str, ctx: &mut Ctx<'_>) {}                    // a session opened
//!     fn on_message(&mut self, sid: &str, msg: Message, ctx: &mut Ctx<'_>) {   // text or binary
//!         let _ = ctx.send(sid, &msg);                                          // echo
//!     }
//!     fn on_close(&mut self, sid: &str, reason: CloseReason, ctx: &mut Ctx<'_>) {}  // exactly once
//!     fn on_tick(&mut self, ctx: &mut Ctx<'_>) {}          // every tick (~10 ms): own timers
//! }
//! ```
//!
//! [`Ctx`] methods: `now()` (the endpoint's clock, a `Duration` since it started), `send(sid, &Message)`,
//! `send_text(sid, &str)`, `send_binary(sid, &[u8])`, `close(sid)`, `sids()` (open sessions),
//! `is_open(sid)`. Anything sent to any session from any callback is delivered (held GET, queue,
//! or WebSocket) as soon as the callback returns. Callbacks run under the endpoint's lock, on
//! whichever thread received the input: keep them short and never block in them.
//!
//! Paths: an endpoint path such as `/engine.io/` matches that path with or without the trailing
//! slash. Pages are exact paths. Everything else is a 404.
//!
//! Threads: one per TCP connection (bounded by [`MAX_CONNECTIONS`]), one timer thread per
//! endpoint. A held GET waits on the endpoint's condition variable; a WebSocket connection thread
//! alternates between a short blocking read and its outgoing queue. Session ids come from a
//! non-cryptographic generator seeded by std's `RandomState` (fine for examples; use a CSPRNG in
//! production).
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use sockwire::engineio::Message;
use sockwire::engineio::http::{
    Cors, EngineRequest, HttpConfig, Method, Reject, ResponseOptions, Transport, classify_request,
    write_ok_response, write_payload_response, write_preflight,
};
use sockwire::engineio::server::{
    CloseReason, GetOutcome, Registry, ServerConfig, ServerEvent, Transmit,
};
use sockwire::frame::CloseCode;
use sockwire::handshake::http::{HeadConfig, HeadParser, Header, Status};
use sockwire::handshake::{AcceptOptions, UpgradeRequest};
use sockwire::ws::{Connection, ConnectionConfig, Event as WsEvent};

/// Most TCP connections served at once (further ones are refused with 503).
pub const MAX_CONNECTIONS: usize = 1024;
/// Timer resolution.
const TICK: Duration = Duration::from_millis(10);
/// Most sessions per endpoint.
const MAX_SESSIONS: usize = 10_000;
/// How long a read may stall inside an HTTP request before the connection is dropped.
const REQUEST_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest WebSocket message accepted (Engine.IO's maxPayload plus slack).
const MAX_WS_MESSAGE: usize = 1_100_000;

/// What an endpoint's application does with its sessions (see the module docs).
pub trait EngineHandler: Send + 'static {
    /// A session opened.
    fn on_open(&mut self, _sid: &str, _ctx: &mut Ctx<'_>) {}
    /// A message arrived on a session.
    fn on_message(&mut self, sid: &str, msg: Message, ctx: &mut Ctx<'_>);
    /// A session ended (exactly once per session).
    fn on_close(&mut self, _sid: &str, _reason: CloseReason, _ctx: &mut Ctx<'_>) {}
    /// Called every tick (about 10 ms) for the handler's own timers.
    fn on_tick(&mut self, _ctx: &mut Ctx<'_>) {}
}

/// The handler's view of its endpoint during a callback.
pub struct Ctx<'a> {
    reg: &'a mut Registry,
    now: Duration,
    touched: &'a mut Vec<String>,
    handshake: Option<&'a Handshake>,
}

/// What the request that opened a session said, for [`EngineHandler::on_open`]: the facts a
/// server keeps about a connection (`socket.handshake` in the reference server).
#[derive(Debug, Clone, Default)]
pub struct Handshake {
    /// The request target (path and query).
    pub target: String,
    /// The request headers, in order (names as sent).
    pub headers: Vec<(String, String)>,
    /// The query parameters, percent-decoded (`+` is a space).
    pub query: Vec<(String, String)>,
    /// The peer's address.
    pub address: Option<SocketAddr>,
}

impl Handshake {
    /// The hub's view of these facts, opened at `now`.
    pub fn session_info(&self, now: Duration) -> sockwire::hub::SessionInfo {
        sockwire::hub::SessionInfo {
            headers: self.headers.clone(),
            query: self.query.clone(),
            url: self.target.clone(),
            address: self.address,
            issued: now,
            secure: false,
        }
    }

    fn of(req: &sockwire::handshake::http::Request<'_, '_>, stream: &TcpStream) -> Self {
        let headers = req
            .headers()
            .iter()
            .map(|h| {
                (
                    h.name().to_string(),
                    h.value_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let query = sockwire::hub::decode_query(req.query().unwrap_or_default());
        Handshake {
            target: req.target().to_string(),
            headers,
            query,
            address: stream.peer_addr().ok(),
        }
    }
}

impl Ctx<'_> {
    /// The handshake of the session being opened (inside [`EngineHandler::on_open`] only).
    pub fn handshake(&self) -> Option<&Handshake> {
        self.handshake
    }

    /// The endpoint's clock.
    pub fn now(&self) -> Duration {
        self.now
    }

    /// Sends a message to a session.
    pub fn send(
        &mut self,
        sid: &str,
        msg: &Message,
    ) -> Result<(), sockwire::engineio::EngineIoError> {
        let s = self
            .reg
            .get_mut(sid)
            .ok_or(sockwire::engineio::EngineIoError::Closed)?;
        s.send(msg)?;
        self.touched.push(sid.to_string());
        Ok(())
    }

    /// Sends a text message to a session.
    pub fn send_text(
        &mut self,
        sid: &str,
        text: &str,
    ) -> Result<(), sockwire::engineio::EngineIoError> {
        let s = self
            .reg
            .get_mut(sid)
            .ok_or(sockwire::engineio::EngineIoError::Closed)?;
        s.send_text(text)?;
        self.touched.push(sid.to_string());
        Ok(())
    }

    /// Sends a binary message to a session.
    pub fn send_binary(
        &mut self,
        sid: &str,
        data: &[u8],
    ) -> Result<(), sockwire::engineio::EngineIoError> {
        let s = self
            .reg
            .get_mut(sid)
            .ok_or(sockwire::engineio::EngineIoError::Closed)?;
        s.send_binary(data)?;
        self.touched.push(sid.to_string());
        Ok(())
    }

    /// Closes a session (its `on_close` follows with [`CloseReason::ForcedClose`]).
    pub fn close(&mut self, sid: &str) {
        let now = self.now;
        if let Some(s) = self.reg.get_mut(sid) {
            s.close(now);
            self.touched.push(sid.to_string());
        }
    }

    /// The ids of the open sessions.
    pub fn sids(&mut self) -> Vec<String> {
        self.reg
            .iter_mut()
            .filter(|(_, s)| !s.is_closing_or_closed())
            .map(|(k, _)| k.to_string())
            .collect()
    }

    /// Whether a session is open.
    pub fn is_open(&mut self, sid: &str) -> bool {
        self.reg
            .get_mut(sid)
            .is_some_and(|s| !s.is_closing_or_closed())
    }
}

/// Commands for a WebSocket connection thread.
enum WsCmd {
    Text(String),
    Binary(Vec<u8>),
    Close,
}

struct EpState {
    reg: Registry,
    handler: Box<dyn EngineHandler>,
    /// Answers for held GETs, by sid: a payload, or an error response.
    polls: HashMap<String, Result<Vec<u8>, Reject>>,
    /// When each answer in `polls` was stored (unclaimed ones are dropped after a while).
    poll_times: HashMap<String, Duration>,
    /// The WebSocket of each session (id of the connection, its command queue).
    ws: HashMap<String, (u64, mpsc::Sender<WsCmd>)>,
    rng: u64,
    next_conn: u64,
}

struct Endpoint {
    path: String,
    state: Mutex<EpState>,
    cond: Condvar,
    start: Instant,
    http: HttpConfig,
}

impl Endpoint {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn lock(&self) -> MutexGuard<'_, EpState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn matches(&self, path: &str) -> bool {
        path == self.path || path == self.path.trim_end_matches('/')
    }
}

impl EpState {
    fn entropy(&mut self) -> [u8; 15] {
        let mut out = [0u8; 15];
        for chunk in out.chunks_mut(8) {
            // splitmix64
            self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.rng;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
        out
    }

    /// Delivers what `sid` has to transmit and runs the handler on its events, then does the
    /// same for every session the handler touched.
    fn drain(&mut self, now: Duration, sid: &str, cond: &Condvar) {
        let mut pending = vec![sid.to_string()];
        let mut rounds = 0;
        while let Some(sid) = pending.pop() {
            rounds += 1;
            if rounds > 100_000 {
                break;
            }
            let EpState {
                reg,
                handler,
                polls,
                poll_times,
                ws,
                ..
            } = self;
            let Some(s) = reg.get_mut(&sid) else { continue };
            let mut events = vec![];
            while let Some(t) = s.poll_transmit() {
                match t {
                    Transmit::PollResponse(body) => {
                        polls.insert(sid.clone(), Ok(body));
                        poll_times.insert(sid.clone(), now);
                        cond.notify_all();
                    }
                    Transmit::PollReject(r) => {
                        polls.insert(sid.clone(), Err(r));
                        poll_times.insert(sid.clone(), now);
                        cond.notify_all();
                    }
                    Transmit::WsText(t) => send_ws(ws, &sid, WsCmd::Text(t)),
                    Transmit::WsBinary(b) => send_ws(ws, &sid, WsCmd::Binary(b)),
                    Transmit::WsClose => {
                        send_ws(ws, &sid, WsCmd::Close);
                        ws.remove(&sid);
                    }
                }
            }
            while let Some(e) = s.poll_event() {
                events.push(e);
            }
            let closed = s.is_closed();
            let mut touched = vec![];
            for e in events {
                let mut ctx = Ctx {
                    handshake: None,
                    reg,
                    now,
                    touched: &mut touched,
                };
                match e {
                    ServerEvent::Message(m) => handler.on_message(&sid, m, &mut ctx),
                    ServerEvent::Closed(r) => handler.on_close(&sid, r, &mut ctx),
                    ServerEvent::Upgraded => {}
                    _ => {}
                }
            }
            if closed {
                if let Some(s) = reg.get_mut(&sid) {
                    // Anything the handler queued for it is dropped with it.
                    while s.poll_transmit().is_some() {}
                    while s.poll_event().is_some() {}
                }
                reg.remove_closed();
            }
            touched.sort();
            touched.dedup();
            pending.extend(touched);
        }
    }

    fn tick(&mut self, now: Duration, cond: &Condvar) {
        // Answers nobody claimed (the held GET's thread is gone) do not stay forever.
        let EpState {
            polls, poll_times, ..
        } = self;
        poll_times.retain(|sid, t| {
            let keep = now.saturating_sub(*t) < Duration::from_secs(5) && polls.contains_key(sid);
            if !keep {
                polls.remove(sid);
            }
            keep
        });
        let due: Vec<String> = self
            .reg
            .iter_mut()
            .filter(|(_, s)| s.poll_timeout().is_some_and(|d| d <= now))
            .map(|(k, _)| k.to_string())
            .collect();
        for sid in due {
            if let Some(s) = self.reg.get_mut(&sid) {
                s.handle_timeout(now);
            }
            self.drain(now, &sid, cond);
        }
        let mut touched = vec![];
        {
            let EpState { reg, handler, .. } = self;
            let mut ctx = Ctx {
                handshake: None,
                reg,
                now,
                touched: &mut touched,
            };
            handler.on_tick(&mut ctx);
        }
        touched.sort();
        touched.dedup();
        for sid in touched {
            self.drain(now, &sid, cond);
        }
    }
}

fn send_ws(ws: &HashMap<String, (u64, mpsc::Sender<WsCmd>)>, sid: &str, cmd: WsCmd) {
    if let Some((_, tx)) = ws.get(sid) {
        let _ = tx.send(cmd);
    }
}

/// A static page.
struct Page {
    path: String,
    content_type: &'static str,
    body: Vec<u8>,
}

/// The server: endpoints, pages, options.
pub struct Server {
    endpoints: Vec<Arc<Endpoint>>,
    pages: Vec<Page>,
    cors: Option<Cors>,
}

impl Default for Server {
    fn default() -> Self {
        Self::new()
    }
}

impl Server {
    /// No endpoints, no pages, no CORS.
    pub fn new() -> Self {
        Server {
            endpoints: vec![],
            pages: vec![],
            cors: None,
        }
    }

    /// Adds an Engine.IO endpoint at `path` (e.g. `/engine.io/`).
    pub fn engine(mut self, path: &str, cfg: ServerConfig, handler: impl EngineHandler) -> Self {
        use std::hash::{BuildHasher, Hasher};
        let seed = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let http = HttpConfig {
            max_body: cfg.max_payload,
            cors: None,
        };
        self.endpoints.push(Arc::new(Endpoint {
            path: path.to_string(),
            state: Mutex::new(EpState {
                reg: Registry::new(cfg, MAX_SESSIONS),
                handler: Box::new(handler),
                polls: HashMap::new(),
                poll_times: HashMap::new(),
                ws: HashMap::new(),
                rng: seed,
                next_conn: 0,
            }),
            cond: Condvar::new(),
            start: Instant::now(),
            http,
        }));
        self
    }

    /// Serves `body` with `content_type` at exactly `path`.
    pub fn page(mut self, path: &str, content_type: &'static str, body: Vec<u8>) -> Self {
        self.pages.push(Page {
            path: path.to_string(),
            content_type,
            body,
        });
        self
    }

    /// CORS headers for long-polling responses (applies to endpoints added before and after).
    pub fn cors(mut self, cors: Option<Cors>) -> Self {
        self.cors = cors;
        self
    }

    /// Binds `addr` and serves on a background thread; returns the bound address.
    pub fn spawn(self, addr: impl ToSocketAddrs) -> io::Result<SocketAddr> {
        let listener = TcpListener::bind(addr)?;
        let local = listener.local_addr()?;
        thread::spawn(move || self.run(listener));
        Ok(local)
    }

    /// Binds `addr` and serves forever.
    pub fn serve(self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let listener = TcpListener::bind(addr)?;
        self.run(listener);
        Ok(())
    }

    fn run(mut self, listener: TcpListener) {
        // Endpoints were created before `cors` may have been set: rebuild their HTTP config.
        let cors = self.cors.clone();
        for ep in &mut self.endpoints {
            if let Some(e) = Arc::get_mut(ep) {
                e.http.cors = cors.clone();
            }
        }
        for ep in &self.endpoints {
            let ep = Arc::clone(ep);
            thread::spawn(move || {
                loop {
                    thread::sleep(TICK);
                    let now = ep.now();
                    ep.lock().tick(now, &ep.cond);
                }
            });
        }
        let shared = Arc::new(self);
        let live = Arc::new(AtomicUsize::new(0));
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            if live.load(Ordering::Relaxed) >= MAX_CONNECTIONS {
                let _ = stream.write_all(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                continue;
            }
            live.fetch_add(1, Ordering::Relaxed);
            let shared = Arc::clone(&shared);
            let live = Arc::clone(&live);
            thread::spawn(move || {
                let _ = shared.connection(stream);
                live.fetch_sub(1, Ordering::Relaxed);
            });
        }
    }

    /// Serves one TCP connection: HTTP requests until close, or one WebSocket.
    fn connection(&self, mut stream: TcpStream) -> io::Result<()> {
        let _ = stream.set_nodelay(true);
        stream.set_read_timeout(Some(REQUEST_READ_TIMEOUT))?;
        let mut buf: Vec<u8> = Vec::with_capacity(4096);
        loop {
            // Read one head (bytes after it stay in `buf`).
            let head_cfg = HeadConfig::default();
            let mut parser = HeadParser::new(head_cfg);
            let mut chunk = [0u8; 4096];
            let head_len;
            loop {
                let mut slots = [Header::EMPTY; 64];
                match parser.parse_request(&buf, &mut slots) {
                    Ok(Status::Complete(req)) => {
                        head_len = req.head_len();
                        break;
                    }
                    Ok(Status::Partial) => {}
                    Err(e) => {
                        stream.write_all(e.response())?;
                        return Ok(());
                    }
                }
                let n = stream.read(&mut chunk)?;
                if n == 0 {
                    return Ok(());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let head: Vec<u8> = buf.drain(..head_len).collect();
            let mut slots = [Header::EMPTY; 64];
            let Ok(Status::Complete(req)) =
                sockwire::handshake::http::parse_request(&head, &mut slots, &head_cfg)
            else {
                return Ok(());
            };
            let path = req.path();
            if let Some(ep) = self.endpoints.iter().find(|e| e.matches(path)) {
                let keep = match classify_request(&req, &ep.http) {
                    Err(r) => {
                        let mut out = vec![];
                        let keep = r.status() != 413 && r.status() != 411;
                        let opts = ResponseOptions {
                            keep_alive: keep,
                            cors: ep.http.cors.as_ref(),
                            origin: None,
                        };
                        r.write_response(&opts, &mut out);
                        stream.write_all(&out)?;
                        keep
                    }
                    Ok(er) => {
                        if er.websocket_upgrade && er.transport == Transport::WebSocket {
                            return websocket(ep, &req, &er, stream, buf);
                        }
                        let handshake = Handshake::of(&req, &stream);
                        polling(ep, &er, &handshake, &mut stream, &mut buf)?
                    }
                };
                if !keep {
                    return Ok(());
                }
                continue;
            }
            let keep = req.version_minor() >= 1 && !req.has_token("connection", "close");
            let opts = ResponseOptions {
                keep_alive: keep,
                cors: None,
                origin: None,
            };
            let mut out = vec![];
            match self.pages.iter().find(|p| p.path == path) {
                Some(p) if req.method() == "GET" || req.method() == "HEAD" => {
                    sockwire::engineio::http::write_response(
                        200,
                        Some(p.content_type),
                        &p.body,
                        &opts,
                        &mut out,
                    );
                    if req.method() == "HEAD" {
                        let body_at = out.len() - p.body.len();
                        out.truncate(body_at);
                    }
                }
                _ => sockwire::engineio::http::write_response(
                    404,
                    Some("text/plain"),
                    b"not found",
                    &opts,
                    &mut out,
                ),
            }
            stream.write_all(&out)?;
            // A body on a request to a page or a 404 is not read: close instead.
            if !keep || req.content_length().ok().flatten().unwrap_or(0) > 0 {
                return Ok(());
            }
        }
    }
}

/// Serves one long-polling request (or preflight); returns whether to keep the connection.
fn polling(
    ep: &Endpoint,
    er: &EngineRequest<'_>,
    handshake: &Handshake,
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> io::Result<bool> {
    let opts = er.response_options(&ep.http);
    let mut out = vec![];
    if er.is_preflight() {
        write_preflight(er, &ep.http, &mut out);
        stream.write_all(&out)?;
        return Ok(er.keep_alive);
    }
    match er.method {
        Method::Get => {
            let now = ep.now();
            let mut st = ep.lock();
            let sid = match er.sid {
                Some(sid) => sid.to_string(),
                None => {
                    let entropy = st.entropy();
                    match st.reg.open(now, Transport::Polling, &entropy) {
                        Ok(s) => {
                            let sid = s.sid().to_string();
                            let EpState { reg, handler, .. } = &mut *st;
                            let mut touched = vec![];
                            handler.on_open(
                                &sid,
                                &mut Ctx {
                                    handshake: Some(handshake),
                                    reg,
                                    now,
                                    touched: &mut touched,
                                },
                            );
                            for t in touched {
                                st.drain(now, &t, &ep.cond);
                            }
                            sid
                        }
                        Err(r) => {
                            r.write_response(&opts, &mut out);
                            drop(st);
                            stream.write_all(&out)?;
                            return Ok(er.keep_alive);
                        }
                    }
                }
            };
            let res = st
                .reg
                .handle_request(now, &sid, Transport::Polling)
                .map_err(sockwire::engineio::EngineIoError::from)
                .and_then(|s| s.handle_get(now));
            st.drain(now, &sid, &ep.cond);
            match res {
                Ok(GetOutcome::Respond(body)) => {
                    drop(st);
                    write_payload_response(&body, &opts, &mut out);
                }
                Ok(GetOutcome::Parked) => {
                    st.polls.remove(&sid);
                    // Wait for the answer; check now and then that the client is still there.
                    let body = loop {
                        if let Some(b) = st.polls.remove(&sid) {
                            break Some(b);
                        }
                        let (g, _) = ep
                            .cond
                            .wait_timeout(st, Duration::from_millis(50))
                            .unwrap_or_else(|e| e.into_inner());
                        st = g;
                        if let Some(b) = st.polls.remove(&sid) {
                            break Some(b);
                        }
                        if peer_gone(stream) {
                            let now = ep.now();
                            if let Some(s) = st.reg.get_mut(&sid) {
                                s.handle_get_aborted(now);
                            }
                            st.drain(now, &sid, &ep.cond);
                            st.polls.remove(&sid);
                            break None;
                        }
                        if st.reg.get_mut(&sid).is_none() {
                            break Some(Ok(b"6".to_vec()));
                        }
                    };
                    drop(st);
                    match body {
                        Some(Ok(b)) => write_payload_response(&b, &opts, &mut out),
                        Some(Err(r)) => r.write_response(&opts, &mut out),
                        None => return Ok(false),
                    }
                }
                Err(e) => {
                    drop(st);
                    reject_of(&e).write_response(&opts, &mut out);
                }
            }
            stream.write_all(&out)?;
            Ok(er.keep_alive)
        }
        Method::Post => {
            let Some(sid) = er.sid else {
                unreachable_reject(&opts, &mut out);
                stream.write_all(&out)?;
                return Ok(false);
            };
            let now = ep.now();
            {
                let mut st = ep.lock();
                let res = st
                    .reg
                    .handle_request(now, sid, Transport::Polling)
                    .map_err(sockwire::engineio::EngineIoError::from)
                    .and_then(|s| s.begin_post(now));
                st.drain(now, sid, &ep.cond);
                if let Err(e) = res {
                    drop(st);
                    reject_of(&e).write_response(&opts, &mut out);
                    stream.write_all(&out)?;
                    // The body was not read: the connection cannot be reused.
                    return Ok(er.content_length == 0 && er.keep_alive);
                }
            }
            // Read the body (already capped by classify at maxPayload).
            let mut chunk = [0u8; 8192];
            while buf.len() < er.content_length {
                let n = stream.read(&mut chunk)?;
                if n == 0 {
                    return Ok(false);
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body: Vec<u8> = buf.drain(..er.content_length).collect();
            let now = ep.now();
            let mut st = ep.lock();
            let res = match st.reg.get_mut(sid) {
                Some(s) => s.handle_post(now, &body),
                None => Err(Reject::Code(sockwire::engineio::ErrorCode::SessionIdUnknown).into()),
            };
            st.drain(now, sid, &ep.cond);
            drop(st);
            match res {
                Ok(()) => write_ok_response(&opts, &mut out),
                Err(e) => reject_of(&e).write_response(&opts, &mut out),
            }
            stream.write_all(&out)?;
            Ok(er.keep_alive)
        }
        _ => {
            unreachable_reject(&opts, &mut out);
            stream.write_all(&out)?;
            Ok(er.keep_alive)
        }
    }
}

fn unreachable_reject(opts: &ResponseOptions<'_>, out: &mut Vec<u8>) {
    Reject::Code(sockwire::engineio::ErrorCode::BadRequest).write_response(opts, out);
}

fn reject_of(e: &sockwire::engineio::EngineIoError) -> Reject {
    match e {
        sockwire::engineio::EngineIoError::Rejected(r) => *r,
        _ => Reject::Code(sockwire::engineio::ErrorCode::BadRequest),
    }
}

/// Whether the peer closed its side (checked without consuming data).
fn peer_gone(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return true;
    }
    let mut b = [0u8; 1];
    let gone = match stream.peek(&mut b) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != io::ErrorKind::WouldBlock,
    };
    let _ = stream.set_nonblocking(false);
    gone
}

/// Accepts a WebSocket for the endpoint and runs it until it ends.
fn websocket(
    ep: &Endpoint,
    req: &sockwire::handshake::http::Request<'_, '_>,
    er: &EngineRequest<'_>,
    mut stream: TcpStream,
    leftover: Vec<u8>,
) -> io::Result<()> {
    let handshake = Handshake::of(req, &stream);
    let upgrade = match UpgradeRequest::validate(*req) {
        Ok(u) => u,
        Err(e) => {
            if let Some(r) = e.response() {
                stream.write_all(r)?;
            }
            return Ok(());
        }
    };
    // The endpoint's `perMessageDeflate`, negotiated only where a codec exists.
    let policy = ep.lock().reg.config().per_message_deflate;
    let pmd = policy
        .filter(|_| sockwire::deflate::BUILTIN_CODEC)
        .and_then(|p| upgrade.negotiate_deflate(&p));
    let ext = pmd.map(|p| p.response());
    let mut accept = vec![];
    match upgrade.accept(&AcceptOptions::new().extensions(ext.as_deref())) {
        Ok(a) => {
            a.encode_to_vec(&mut accept);
        }
        Err(_) => return Ok(()),
    }
    let now = ep.now();
    let (tx, rx) = mpsc::channel();
    let conn_id;
    let sid;
    {
        let mut st = ep.lock();
        st.next_conn += 1;
        conn_id = st.next_conn;
        let opened = match er.sid {
            None => {
                let entropy = st.entropy();
                match st.reg.open(now, Transport::WebSocket, &entropy) {
                    Ok(s) => Ok((s.sid().to_string(), true)),
                    Err(r) => Err(r),
                }
            }
            Some(id) => match st.reg.handle_request(now, id, Transport::WebSocket) {
                Err(r) => Err(r),
                Ok(s) => {
                    if s.handle_ws_open(now).is_err() {
                        // Already upgraded or upgrading: like the reference, accept the
                        // WebSocket and close it at once.
                        drop(st);
                        stream.write_all(&accept)?;
                        let mut conn = Connection::server(ConnectionConfig::new());
                        let _ = conn.close(CloseCode::NORMAL, "");
                        if let Some(out) = conn.poll_transmit() {
                            stream.write_all(out)?;
                        }
                        let _ = stream.shutdown(std::net::Shutdown::Write);
                        return Ok(());
                    }
                    Ok((id.to_string(), false))
                }
            },
        };
        match opened {
            Err(r) => {
                drop(st);
                let mut out = vec![];
                r.write_response(
                    &ResponseOptions {
                        keep_alive: false,
                        cors: None,
                        origin: None,
                    },
                    &mut out,
                );
                stream.write_all(&out)?;
                return Ok(());
            }
            Ok((id, new)) => {
                sid = id;
                // Write the 101 before anything the session sends.
                stream.write_all(&accept)?;
                st.ws.insert(sid.clone(), (conn_id, tx));
                if new {
                    let EpState { reg, handler, .. } = &mut *st;
                    let mut touched = vec![];
                    handler.on_open(
                        &sid,
                        &mut Ctx {
                            handshake: Some(&handshake),
                            reg,
                            now,
                            touched: &mut touched,
                        },
                    );
                    for t in touched {
                        st.drain(now, &t, &ep.cond);
                    }
                }
                st.drain(now, &sid, &ep.cond);
            }
        }
    }
    let res = ws_loop(ep, &sid, &mut stream, rx, leftover, pmd);
    let now = ep.now();
    let mut st = ep.lock();
    if st.ws.get(&sid).is_some_and(|(id, _)| *id == conn_id) {
        st.ws.remove(&sid);
        if let Some(s) = st.reg.get_mut(&sid) {
            s.handle_ws_closed(now);
        }
        st.drain(now, &sid, &ep.cond);
    }
    drop(st);
    let _ = stream.shutdown(std::net::Shutdown::Both);
    res
}

fn ws_loop(
    ep: &Endpoint,
    sid: &str,
    stream: &mut TcpStream,
    rx: mpsc::Receiver<WsCmd>,
    leftover: Vec<u8>,
    pmd: Option<sockwire::deflate::PerMessageDeflate>,
) -> io::Result<()> {
    stream.set_read_timeout(Some(TICK))?;
    let mut conn = Connection::server(
        ConnectionConfig::new()
            .max_message_size(MAX_WS_MESSAGE as u64)
            .max_frame_size(MAX_WS_MESSAGE as u64)
            .permessage_deflate(pmd),
    );
    let mut inbuf = leftover;
    let mut chunk = vec![0u8; 16384];
    let mut eof = false;
    loop {
        let now = ep.now();
        // Outgoing: what the session sent since the last round.
        loop {
            match rx.try_recv() {
                Ok(WsCmd::Text(t)) => {
                    let _ = conn.send_text(&t);
                }
                Ok(WsCmd::Binary(b)) => {
                    let _ = conn.send_binary(&b);
                }
                Ok(WsCmd::Close) | Err(mpsc::TryRecvError::Disconnected) => {
                    let _ = conn.close(CloseCode::NORMAL, "");
                    break;
                }
                Err(mpsc::TryRecvError::Empty) => break,
            }
        }
        conn.handle_timeout(now);
        if let Some(out) = conn.poll_transmit() {
            stream.write_all(out)?;
        }
        if conn.should_close_tcp() || eof {
            return Ok(());
        }
        // Incoming.
        match stream.read(&mut chunk) {
            Ok(0) => {
                conn.handle_eof(now);
                eof = true;
            }
            Ok(n) => inbuf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e),
        }
        let mut inputs = vec![];
        let mut pos = 0;
        while pos < inbuf.len() {
            let used = conn
                .handle_read(now, &mut inbuf[pos..])
                .unwrap_or(inbuf.len() - pos);
            pos += used;
            let mut any = false;
            while let Some(ev) = conn.poll_event() {
                any = true;
                match ev {
                    WsEvent::Text(t) => inputs.push(Ok(t.to_string())),
                    WsEvent::Binary(b) => inputs.push(Err(b.to_vec())),
                    _ => {}
                }
            }
            if used == 0 && !any {
                break;
            }
        }
        inbuf.drain(..pos);
        while conn.poll_event().is_some() {}
        if inputs.is_empty() {
            continue;
        }
        let mut st = ep.lock();
        for i in inputs {
            let Some(s) = st.reg.get_mut(sid) else {
                return Ok(());
            };
            let _ = match i {
                Ok(t) => s.handle_ws_text(now, &t),
                Err(b) => s.handle_ws_binary(now, &b),
            };
            st.drain(now, sid, &ep.cond);
        }
    }
}
