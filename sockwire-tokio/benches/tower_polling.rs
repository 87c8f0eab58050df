//! What mounting costs: long-polling round trips (POST `42["e",i]`, then the GET that carries
//! the echo back) per second over loopback, one hyper client connection, everything on one
//! thread, against the same Socket.IO `Server` served three ways in the same run: raw
//! `sockwire_tokio::serve` (the baseline), axum with `SocketIoLayer`, and plain hyper with
//! `SocketIoLayer`. The rounds alternate between the three; the median round is reported.
//!
//! `cargo bench -p sockwire-tokio --features tower --bench tower_polling [-- ROUNDS TRIPS]`
use std::net::SocketAddr;
use std::time::Instant;

use axum::Router;
use axum::routing::get;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use sockwire::socketio::server::{App, Ctx, Event, Server, ServerOptions};
use sockwire_tokio::tower::SocketIoLayer;
use tokio::net::{TcpListener, TcpStream};
use tower_layer::Layer;

struct Echo;
impl App for Echo {
    fn on_event(&mut self, ctx: &mut Ctx<'_>, ev: Event<'_>) {
        let args: Vec<_> = ev.args().collect();
        let _ = ctx.emit(ev.name(), &args);
    }
}

fn server() -> Server<Echo> {
    let mut n = 0u64;
    Server::new(Echo, ServerOptions::default(), move || {
        n += 1;
        let mut id = [0u8; 15];
        id[..8].copy_from_slice(&n.to_le_bytes());
        id
    })
}

#[derive(Clone)]
struct NotFound;
impl<B> tower_service::Service<Request<B>> for NotFound {
    type Response = hyper::Response<Full<Bytes>>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;
    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn call(&mut self, _: Request<B>) -> Self::Future {
        let mut r = hyper::Response::new(Full::new(Bytes::new()));
        *r.status_mut() = StatusCode::NOT_FOUND;
        std::future::ready(Ok(r))
    }
}

async fn raw() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    tokio::spawn(sockwire_tokio::serve(l, server()));
    a
}

async fn axum_mounted() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    let app = Router::new()
        .route("/app", get(|| async { "app" }))
        .layer(SocketIoLayer::new(server()));
    tokio::spawn(async move { axum::serve(l, app).await });
    a
}

async fn hyper_mounted() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    let layer = SocketIoLayer::new(server());
    tokio::spawn(async move {
        loop {
            let (tcp, _) = l.accept().await.unwrap();
            let _ = tcp.set_nodelay(true);
            let svc = hyper_util::service::TowerToHyperService::new(layer.layer(NotFound));
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), svc)
                    .with_upgrades(),
            );
        }
    });
    a
}

type H1 = http1::SendRequest<Full<Bytes>>;

async fn call(c: &mut H1, method: &str, target: &str, body: String) -> String {
    let r = Request::builder()
        .method(method)
        .uri(target)
        .header("host", "x")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    c.ready().await.unwrap();
    let resp = c.send_request(r).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let b = resp.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(b.to_vec()).unwrap()
}

/// A connected polling session on a fresh connection.
async fn session(addr: SocketAddr) -> (H1, String) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let _ = tcp.set_nodelay(true);
    let (mut c, conn) = http1::handshake(TokioIo::new(tcp)).await.unwrap();
    tokio::spawn(conn);
    let open = call(
        &mut c,
        "GET",
        "/socket.io/?EIO=4&transport=polling",
        String::new(),
    )
    .await;
    let url = format!("/socket.io/?EIO=4&transport=polling&sid={}", &open[9..29]);
    assert_eq!(call(&mut c, "POST", &url, "40".into()).await, "ok");
    assert!(
        call(&mut c, "GET", &url, String::new())
            .await
            .starts_with("40{")
    );
    (c, url)
}

/// Round trips per second over `trips` POST + GET pairs.
async fn round(addr: SocketAddr, trips: usize) -> f64 {
    let (mut c, url) = session(addr).await;
    let t = Instant::now();
    for i in 0..trips {
        let msg = format!("42[\"e\",{i}]");
        assert_eq!(call(&mut c, "POST", &url, msg.clone()).await, "ok");
        assert_eq!(call(&mut c, "GET", &url, String::new()).await, msg);
    }
    trips as f64 / t.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let rounds: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(7);
    let trips: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let targets = [
            ("raw serve (baseline)", raw().await),
            ("axum + SocketIoLayer", axum_mounted().await),
            ("hyper + SocketIoLayer", hyper_mounted().await),
        ];
        let mut rates = vec![Vec::new(); targets.len()];
        for _ in 0..rounds {
            for (i, (_, addr)) in targets.iter().enumerate() {
                rates[i].push(round(*addr, trips).await);
            }
        }
        println!("long-polling round trips (POST + GET) per second, {rounds} rounds x {trips}, one thread:");
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let base = median(&mut rates[0].clone());
        for ((name, _), r) in targets.iter().zip(&mut rates) {
            let m = median(r);
            println!("  {name:24} {m:>9.0} /s  ({:.2}x baseline)", m / base);
        }
    });
}
