//! The HTTP side: the WebSocket endpoint, the REST API, `/metrics` and `/healthz`, and the accept
//! loop that bounds what a connection may cost before it logs in.

use crate::clock::unix_millis;
use crate::state::Shared;
use crate::tls::TlsConfig;
use crate::{connection, rest};
use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tim_protocol::LoginRequest;
use tim_protocol::limits::{MAX_FRAME_BYTES, MAX_REQUEST_HEAD_BYTES};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tracing::{debug, warn};

/// The HTTP service every connection shares.
type Service = TowerToHyperService<Router>;

/// The shared service, for one connection: every request it carries learns the client's address
/// (axum's [`ConnectInfo`]), which the REST API charges failed authentications to and `/metrics`
/// on the main listener answers by.
#[derive(Clone)]
struct WithPeer {
    service: Service,
    peer: SocketAddr,
}

impl hyper::service::Service<Request<Incoming>> for WithPeer {
    type Response = <Service as hyper::service::Service<Request<Incoming>>>::Response;
    type Error = <Service as hyper::service::Service<Request<Incoming>>>::Error;
    type Future = <Service as hyper::service::Service<Request<Incoming>>>::Future;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        request.extensions_mut().insert(ConnectInfo(self.peer));
        self.service.call(request)
    }
}

/// A session's socket reads in chunks of this size; frames are small, and idle sessions should
/// cost little memory.
const READ_BUFFER_BYTES: usize = 1024;

/// The main listener's routes: the WebSocket endpoint, the REST API and `/metrics` (for loopback
/// clients only) and `/healthz` unless they have a listener of their own.
pub fn router(shared: Arc<Shared>, observability: bool) -> Router {
    let mut router = Router::new().route(tim_protocol::WS_PATH, get(upgrade));
    if shared.config.admin_listen.is_none() {
        router = router.merge(rest_routes(&shared));
    }
    let router = if observability {
        router.merge(
            Router::new()
                .route("/metrics", get(metrics_for_loopback))
                .route("/healthz", get(healthz)),
        )
    } else {
        router
    };
    router.with_state(shared)
}

/// The REST API and `/healthz` alone (`--admin-listen`).
pub fn admin_router(shared: Arc<Shared>) -> Router {
    rest_routes(&shared)
        .route("/healthz", get(healthz))
        .with_state(shared)
}

/// GET as POST: client libraries written for Tencent send some commands as GET with a body. The
/// API's own state (its rates, its failed authentications) lives beside the node's.
fn rest_routes(shared: &Arc<Shared>) -> Router<Arc<Shared>> {
    Router::new()
        .route(rest::ROUTE, get(rest::serve).post(rest::serve))
        .with_state(Arc::new(rest::Api::new(shared.clone())))
}

/// `/metrics` and `/healthz` alone (`--metrics-listen`), for whoever reaches the address.
pub fn observability_router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .with_state(shared)
}

/// Whether `/metrics` on the main listener answers a client at `peer`: only from this machine's
/// loopback, since the figures include every app's daily active users and the main listener is
/// the public port. An IPv4-mapped loopback address (a dual-stack socket's) is loopback too.
pub fn metrics_served_on_the_main_port_to(peer: IpAddr) -> bool {
    peer.to_canonical().is_loopback()
}

/// The answer to a client that may not read `/metrics` on the main listener.
const METRICS_REFUSED: &str = "/metrics on this port answers loopback clients only: scrape it from \
this machine, or serve it on an address of its own with --metrics-listen ADDR\n";

/// `/metrics` on the main listener: 403 unless the client is on loopback.
async fn metrics_for_loopback(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response {
    if !metrics_served_on_the_main_port_to(peer.ip()) {
        return (axum::http::StatusCode::FORBIDDEN, METRICS_REFUSED).into_response();
    }
    metrics(State(shared)).await
}

/// `ok`, or 503 while this node cannot reach its cluster's store (a balancer can drain it: it
/// would answer every login 70169).
async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    match &shared.cluster {
        Some(cluster) if !cluster.reachable() => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "store unreachable\n",
        )
            .into_response(),
        _ => "ok\n".into_response(),
    }
}

async fn upgrade(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let login = LoginRequest::from_headers(|name| headers.get(name).map(|v| v.as_bytes()));
    let tasks = shared.tasks.clone();
    ws.read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .max_write_buffer_size(4 * MAX_FRAME_BYTES)
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| tasks.track_future(connection::serve(shared, socket, login)))
        .into_response()
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let mut text = shared.metrics.render();
    if let Some(cluster) = &shared.cluster {
        cluster.render_metrics(&mut text);
    }
    shared.callbacks.counts.render(&mut text);
    shared.stats.render(&mut text, unix_millis());
    ([("content-type", "text/plain; version=0.0.4")], text).into_response()
}

/// Accepts connections until shutdown; requests in flight then finish. Each connection is served
/// (and, with TLS, handshaken) in its own task, so a slow client never delays the next accept.
pub async fn accept_loop(shared: Arc<Shared>, listener: TcpListener, router: Router) {
    let service = TowerToHyperService::new(router);
    let tls = shared.config.tls.as_ref().map(TlsConfig::acceptor);
    loop {
        let (stream, peer) = tokio::select! {
            () = shared.shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, most likely: back off instead of spinning.
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let service = service.clone();
        let tls = tls.clone();
        shared.tasks.clone().spawn(async move {
            let service = WithPeer { service, peer };
            let result = match tls {
                None => serve_connection(&shared, service, stream).await,
                Some(tls) => match handshake(&shared, &tls, stream).await {
                    Ok(stream) => serve_connection(&shared, service, stream).await,
                    Err(e) => Err(e),
                },
            };
            if let Err(e) = result {
                debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
}

/// The TLS handshake, bounded by the login timeout like a request head (a client that never
/// finishes it holds a socket for no longer than that) and abandoned at shutdown.
async fn handshake(
    shared: &Shared,
    tls: &TlsAcceptor,
    stream: TcpStream,
) -> Result<TlsStream<TcpStream>, Box<dyn std::error::Error + Send + Sync>> {
    tokio::select! {
        handshake = tokio::time::timeout(shared.config.login_timeout, tls.accept(stream)) => {
            Ok(handshake.map_err(|_| "TLS handshake timed out")??)
        }
        () = shared.shutdown.cancelled() => Err("shutting down during the TLS handshake".into()),
    }
}

/// Serves HTTP/1.1 (and the WebSocket upgrade) on one connection, plain or TLS.
async fn serve_connection<S>(
    shared: &Shared,
    service: WithPeer,
    stream: S,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(shared.config.login_timeout)
        .max_buf_size(MAX_REQUEST_HEAD_BYTES)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => result?,
        () = shared.shutdown.cancelled() => {
            // Finish the request in flight, accept no other; upgraded connections have left
            // hyper already and hear of the shutdown themselves.
            connection.as_mut().graceful_shutdown();
            connection.await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_on_the_main_port_are_for_loopback_clients_only() {
        let served = |ip: &str| metrics_served_on_the_main_port_to(ip.parse().unwrap());
        for ip in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            assert!(served(ip), "{ip}");
        }
        for ip in [
            "192.0.2.2",
            "10.0.0.1",
            "172.16.0.1",
            "0.0.0.0",
            "::",
            "2001:db8::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
        ] {
            assert!(!served(ip), "{ip}");
        }
    }
}
