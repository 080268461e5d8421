//! The HTTP side: the WebSocket endpoint, `/metrics` and `/healthz`, and the accept loop that
//! bounds what a connection may cost before it logs in.

use crate::connection;
use crate::state::Shared;
use axum::Router;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tim_protocol::LoginRequest;
use tim_protocol::limits::{MAX_FRAME_BYTES, MAX_REQUEST_HEAD_BYTES};
use tokio::net::TcpListener;
use tracing::{debug, warn};

/// A session's socket reads in chunks of this size; frames are small, and idle sessions should
/// cost little memory.
const READ_BUFFER_BYTES: usize = 4 * 1024;

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(tim_protocol::WS_PATH, get(upgrade))
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(shared)
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
    (
        [("content-type", "text/plain; version=0.0.4")],
        shared.metrics.render(),
    )
        .into_response()
}

/// Accepts connections until shutdown; requests in flight then finish.
pub async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    let service = TowerToHyperService::new(router(shared.clone()));
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
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(shared.config.login_timeout)
            .max_buf_size(MAX_REQUEST_HEAD_BYTES)
            .serve_connection(TokioIo::new(stream), service.clone())
            .with_upgrades();
        let shutdown = shared.shutdown.clone();
        shared.tasks.spawn(async move {
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = shutdown.cancelled() => {
                    // Finish the request in flight, accept no other; upgraded connections have
                    // left hyper already and hear of the shutdown themselves.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = result {
                debug!(%peer, error = %e, "HTTP connection ended with an error");
            }
        });
    }
}
