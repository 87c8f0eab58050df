//! A thin std host for Engine.IO servers in the examples: threads and sockets around sockwire's
//! sans-IO [`Endpoint`], which makes every protocol decision (HTTP parsing and routing,
//! long-polling with held GETs, WebSocket upgrades, heartbeats, caps, pages and 404s).
//!
//! # Interface (for `sio_server`, `chat` and anything else built on it)
//!
//! Include it with `#[path = "support/eio_server.rs"] mod eio_server;`, then:
//!
//! ```ignore
//! let server = eio_server::Server::new()
//!     .engine("/engine.io/", ServerConfig::default(), MyHandler::default())  // any number of paths
//!     .page("/", "text/html; charset=utf-8", include_bytes!("chat/index.html").to_vec())
//!     .cors(None);                                                             // optional
//! server.serve("127.0.0.1:3000")?;            // blocks; or `server.spawn(addr)?` → bound address
//! ```
//!
//! Each path has its own handler implementing [`EngineHandler`] (the sessions of all paths share
//! the first path's [`ServerConfig`]). The handler sees Engine.IO *messages* per session id —
//! exactly what a Socket.IO server socket machine consumes — and talks back through the [`Ctx`]
//! it is handed:
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
//! `is_open(sid)`, `handshake()` (in `on_open`). Callbacks run under the server's lock, on
//! whichever thread received the input: keep them short and never block in them.
//!
//! Threads: per TCP connection a reader (feeds the endpoint) and a writer (drains a channel of
//! the endpoint's transmits), and one timer thread that sleeps until the endpoint's deadline or
//! the next handler tick. Session ids come from a non-cryptographic generator seeded by std's
//! `RandomState` (fine for examples; use a CSPRNG in production).
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use sockwire::engineio::Message;
use sockwire::engineio::endpoint::{Endpoint, EndpointConfig, Event};
use sockwire::engineio::http::Cors;
use sockwire::engineio::server::{CloseReason, ServerConfig};

/// Most TCP connections served at once (further ones are refused with 503).
pub const MAX_CONNECTIONS: usize = 1024;
/// Handler tick period.
const TICK: Duration = Duration::from_millis(10);

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
}

/// The handler's view of the server during a callback.
pub struct Ctx<'a> {
    ep: &'a mut Endpoint,
    now: Duration,
    handshake: Option<&'a Handshake>,
}

impl Ctx<'_> {
    /// The handshake of the session being opened (inside [`EngineHandler::on_open`] only).
    pub fn handshake(&self) -> Option<&Handshake> {
        self.handshake
    }

    /// The server's clock.
    pub fn now(&self) -> Duration {
        self.now
    }

    /// Sends a message to a session.
    pub fn send(
        &mut self,
        sid: &str,
        msg: &Message,
    ) -> Result<(), sockwire::engineio::EngineIoError> {
        self.ep.send(sid, msg)
    }

    /// Sends a text message to a session.
    pub fn send_text(
        &mut self,
        sid: &str,
        text: &str,
    ) -> Result<(), sockwire::engineio::EngineIoError> {
        self.ep.send_text(sid, text)
    }

    /// Sends a binary message to a session.
    pub fn send_binary(
        &mut self,
        sid: &str,
        data: &[u8],
    ) -> Result<(), sockwire::engineio::EngineIoError> {
        self.ep.send_binary(sid, data)
    }

    /// Closes a session (its `on_close` follows with [`CloseReason::ForcedClose`]).
    pub fn close(&mut self, sid: &str) {
        self.ep.close(sid);
    }

    /// The ids of the open sessions (of every path).
    pub fn sids(&mut self) -> Vec<String> {
        self.ep.sids().map(String::from).collect()
    }

    /// Whether a session is open.
    pub fn is_open(&mut self, sid: &str) -> bool {
        self.ep.is_open(sid)
    }
}

/// What a connection's writer thread is told.
enum Out {
    Data(Vec<u8>),
    Close,
}

/// Everything behind the lock.
struct Core {
    ep: Endpoint,
    /// One handler per path, in the order of `paths`.
    handlers: Vec<Box<dyn EngineHandler>>,
    paths: Vec<String>,
    /// Which handler a session belongs to.
    owner: HashMap<String, usize>,
    writers: HashMap<u64, mpsc::Sender<Out>>,
    addrs: HashMap<u64, SocketAddr>,
}

impl Core {
    /// Moves the endpoint's output to the writers and its events to the handlers, until both
    /// are drained (a handler's sends produce more output).
    fn pump(&mut self, now: Duration) {
        loop {
            let mut any = false;
            while let Some(t) = self.ep.poll_transmit() {
                any = true;
                if let Some(w) = self.writers.get(&t.conn) {
                    if !t.data.is_empty() {
                        let _ = w.send(Out::Data(t.data));
                    }
                    if t.close {
                        let _ = w.send(Out::Close);
                        self.writers.remove(&t.conn);
                        self.addrs.remove(&t.conn);
                    }
                }
            }
            while let Some(e) = self.ep.poll_event() {
                any = true;
                self.dispatch(now, e);
            }
            if !any {
                return;
            }
        }
    }

    fn dispatch(&mut self, now: Duration, e: Event) {
        let Core {
            ep,
            handlers,
            paths,
            owner,
            addrs,
            ..
        } = self;
        match e {
            Event::Opened { sid, conn, request } => {
                let Some(i) = paths.iter().position(|p| *p == request.path) else {
                    return;
                };
                owner.insert(sid.clone(), i);
                let query = request
                    .target
                    .split_once('?')
                    .map(|(_, q)| sockwire::hub::decode_query(q))
                    .unwrap_or_default();
                let handshake = Handshake {
                    target: request.target,
                    headers: request.headers,
                    query,
                    address: addrs.get(&conn).copied(),
                };
                let mut ctx = Ctx {
                    ep,
                    now,
                    handshake: Some(&handshake),
                };
                handlers[i].on_open(&sid, &mut ctx);
            }
            Event::Message { sid, message } => {
                if let Some(&i) = owner.get(&sid) {
                    let mut ctx = Ctx {
                        ep,
                        now,
                        handshake: None,
                    };
                    handlers[i].on_message(&sid, message, &mut ctx);
                }
            }
            Event::Closed { sid, reason } => {
                if let Some(i) = owner.remove(&sid) {
                    let mut ctx = Ctx {
                        ep,
                        now,
                        handshake: None,
                    };
                    handlers[i].on_close(&sid, reason, &mut ctx);
                }
            }
            _ => {}
        }
    }

    fn tick(&mut self, now: Duration) {
        self.ep.handle_timeout(now);
        self.pump(now);
        let Core { ep, handlers, .. } = self;
        for h in handlers.iter_mut() {
            let mut ctx = Ctx {
                ep,
                now,
                handshake: None,
            };
            h.on_tick(&mut ctx);
        }
        self.pump(now);
    }
}

struct Shared {
    core: Mutex<Core>,
    start: Instant,
}

impl Shared {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn lock(&self) -> MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The server: Engine.IO paths with their handlers, pages, options.
pub struct Server {
    engines: Vec<(String, ServerConfig, Box<dyn EngineHandler>)>,
    pages: Vec<(String, &'static str, Vec<u8>)>,
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
            engines: vec![],
            pages: vec![],
            cors: None,
        }
    }

    /// Adds an Engine.IO endpoint at `path` (e.g. `/engine.io/`). The first one's `cfg`
    /// applies to the sessions of every path.
    pub fn engine(mut self, path: &str, cfg: ServerConfig, handler: impl EngineHandler) -> Self {
        self.engines
            .push((path.to_string(), cfg, Box::new(handler)));
        self
    }

    /// Serves `body` with `content_type` at exactly `path`.
    pub fn page(mut self, path: &str, content_type: &'static str, body: Vec<u8>) -> Self {
        self.pages.push((path.to_string(), content_type, body));
        self
    }

    /// CORS headers for long-polling responses.
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

    fn run(self, listener: TcpListener) {
        let mut cfg = EndpointConfig::default()
            .cors(self.cors)
            .max_connections(MAX_CONNECTIONS);
        cfg.paths = self.engines.iter().map(|(p, _, _)| p.clone()).collect();
        if let Some((_, server, _)) = self.engines.first() {
            cfg = cfg.server(server.clone());
        }
        for (path, content_type, body) in self.pages {
            cfg = cfg.page(&path, content_type, body);
        }
        let paths = cfg.paths.clone();
        let shared = Arc::new(Shared {
            core: Mutex::new(Core {
                ep: Endpoint::new(cfg, entropy_source()),
                handlers: self.engines.into_iter().map(|(_, _, h)| h).collect(),
                paths,
                owner: HashMap::new(),
                writers: HashMap::new(),
                addrs: HashMap::new(),
            }),
            start: Instant::now(),
        });
        {
            let shared = Arc::clone(&shared);
            thread::spawn(move || timers(&shared));
        }
        let mut next_id = 0u64;
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            next_id += 1;
            accept(&shared, next_id, stream);
        }
    }
}

/// Session-id entropy: splitmix64 seeded by std's `RandomState` (not a CSPRNG).
fn entropy_source() -> impl FnMut() -> [u8; 15] + Send + 'static {
    use std::hash::{BuildHasher, Hasher};
    let mut state = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    move || {
        let mut out = [0u8; 15];
        for chunk in out.chunks_mut(8) {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
        out
    }
}

/// Runs the endpoint's deadline and the handlers' tick.
fn timers(shared: &Shared) {
    let mut next_tick = TICK;
    loop {
        let now = shared.now();
        let deadline = shared.lock().ep.poll_timeout();
        let wake = deadline.map_or(next_tick, |d| d.min(next_tick));
        if wake > now {
            thread::sleep(wake - now);
        }
        let now = shared.now();
        let mut core = shared.lock();
        if now >= next_tick {
            next_tick = now + TICK;
            core.tick(now);
        } else {
            core.ep.handle_timeout(now);
            core.pump(now);
        }
    }
}

/// Registers a connection with the endpoint and starts its writer and reader threads.
fn accept(shared: &Arc<Shared>, id: u64, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let (Ok(reader), Ok(mut writer)) = (stream.try_clone(), stream.try_clone()) else {
        return;
    };
    let (tx, rx) = mpsc::channel::<Out>();
    thread::spawn(move || {
        for out in rx {
            match out {
                Out::Data(d) => {
                    if writer.write_all(&d).is_err() {
                        break;
                    }
                }
                Out::Close => break,
            }
        }
        // Also wakes the reader.
        let _ = writer.shutdown(Shutdown::Both);
    });
    let now = shared.now();
    {
        let mut core = shared.lock();
        core.writers.insert(id, tx);
        if let Ok(addr) = stream.peer_addr() {
            core.addrs.insert(id, addr);
        }
        core.ep.handle_accept(now, id);
        core.pump(now);
        if !core.writers.contains_key(&id) {
            return; // refused (503)
        }
    }
    let shared = Arc::clone(shared);
    thread::spawn(move || read_loop(&shared, id, reader));
}

/// Feeds what the connection reads to the endpoint until EOF.
fn read_loop(shared: &Shared, id: u64, mut stream: TcpStream) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut buf).unwrap_or(0);
        let now = shared.now();
        let mut core = shared.lock();
        if n == 0 {
            core.ep.handle_eof(now, id);
            core.pump(now);
            return;
        }
        core.ep.handle_read(now, id, &buf[..n]);
        core.pump(now);
    }
}
