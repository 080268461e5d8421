//! `tim-server`: the access server that SDK instances log in to.
//!
//! It accepts the UserSig tickets that Tencent's signing libraries make, keeps one session per
//! logged-in app instance, and applies the app's multi-device policy: a login beyond the limit
//! kicks the oldest instance. See `docs/protocol.md` for the wire protocol.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use tim_server::{AppConfig, Server, ServerConfig};
//! let mut config = ServerConfig { listen: "127.0.0.1:0".parse().unwrap(), ..Default::default() };
//! config.apps.insert(1_400_000_000, AppConfig { keys: vec!["secret".into()], ..Default::default() });
//! let server = Server::bind(config).await?.spawn();
//! println!("listening on {}", server.url());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

pub mod accounts;
mod auth;
pub mod callbacks;
pub mod config;
mod connection;
mod http;
pub mod hub;
pub mod lockout;
pub mod metrics;
pub mod policy;
pub mod registry;
pub mod rest;
mod state;
pub mod stats;
mod tls;

pub use config::{AppConfig, Cli, ServerConfig};
pub use metrics::Metrics;
pub use policy::{DevicePolicy, PlatformPolicy};
pub use registry::{AccountKey, MemoryRegistry, SessionRegistry};
pub use tls::TlsConfig;

use state::Shared;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpSocket};
use tokio::task::JoinHandle;
use tracing::info;

/// Connections the kernel queues before they are accepted. The default (128) drops SYNs when
/// many clients connect at once (all of them reconnecting after a restart), and each dropped SYN
/// costs its client a retransmit timeout of a second or more.
const LISTEN_BACKLOG: u32 = 4096;

fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // A restarted server gets its port back while old connections linger in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// A server bound to its address, not yet accepting.
pub struct Server {
    shared: Arc<Shared>,
    listener: TcpListener,
    admin_listener: Option<TcpListener>,
}

impl Server {
    /// Binds the configured address, with sessions kept in memory.
    pub async fn bind(config: ServerConfig) -> std::io::Result<Server> {
        Server::bind_with_registry(config, Arc::new(MemoryRegistry::default())).await
    }

    /// Binds the configured address, with sessions kept in `registry`.
    pub async fn bind_with_registry(
        config: ServerConfig,
        registry: Arc<dyn SessionRegistry>,
    ) -> std::io::Result<Server> {
        let listener = listen(config.listen)?;
        let admin_listener = config.admin_listen.map(listen).transpose()?;
        Ok(Server {
            shared: Arc::new(Shared::new(config, registry)),
            listener,
            admin_listener,
        })
    }

    /// The address actually bound (the port is chosen here when the configuration says 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The WebSocket URL clients connect to: `wss://` when the server has a certificate.
    pub fn url(&self) -> String {
        url(&self.shared, self.local_addr())
    }

    /// The base URL of the REST API (`http://` or `https://`, without `/v4`).
    pub fn rest_url(&self) -> String {
        rest_url(&self.shared, self.rest_addr())
    }

    fn rest_addr(&self) -> SocketAddr {
        self.admin_listener
            .as_ref()
            .map_or_else(|| self.local_addr(), |l| l.local_addr().expect("bound"))
    }

    /// Serves until `signal` completes, then tells every client the server is going away and
    /// waits (up to the configured grace period) for their connections to close.
    pub async fn run_until(self, signal: impl Future<Output = ()>) {
        let shared = self.shared.clone();
        let accepting = tokio::spawn(http::accept_loop(
            shared.clone(),
            self.listener,
            http::Serves::Main,
        ));
        let admin = self
            .admin_listener
            .map(|l| tokio::spawn(http::accept_loop(shared.clone(), l, http::Serves::Admin)));
        signal.await;
        info!("shutting down");
        shared.shutdown.cancel();
        let _ = accepting.await;
        if let Some(admin) = admin {
            let _ = admin.await;
        }
        shared.tasks.close();
        if tokio::time::timeout(shared.config.shutdown_grace, shared.tasks.wait())
            .await
            .is_err()
        {
            info!(
                open = shared.tasks.len(),
                "grace period over; dropping the remaining connections"
            );
        }
    }

    /// Serves in the background; the handle shuts the server down.
    pub fn spawn(self) -> RunningServer {
        let shared = self.shared.clone();
        let local_addr = self.local_addr();
        let rest_addr = self.rest_addr();
        let stop = tokio_util::sync::CancellationToken::new();
        let stopped = stop.clone();
        let task = tokio::spawn(self.run_until(async move { stopped.cancelled().await }));
        RunningServer {
            shared,
            local_addr,
            rest_addr,
            stop,
            task,
        }
    }
}

/// A server serving in the background.
pub struct RunningServer {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    rest_addr: SocketAddr,
    stop: tokio_util::sync::CancellationToken,
    task: JoinHandle<()>,
}

impl RunningServer {
    /// The address clients connect to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The WebSocket URL clients connect to: `wss://` when the server has a certificate.
    pub fn url(&self) -> String {
        url(&self.shared, self.local_addr)
    }

    /// The base URL of the REST API (`http://` or `https://`, without `/v4`).
    pub fn rest_url(&self) -> String {
        rest_url(&self.shared, self.rest_addr)
    }

    /// The server's counters.
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// What happened to state-change callbacks so far.
    pub fn callback_counts(&self) -> &callbacks::CallbackCounts {
        &self.shared.callbacks.counts
    }

    /// The server's session registry.
    pub fn registry(&self) -> &Arc<dyn SessionRegistry> {
        &self.shared.registry
    }

    /// Shuts down gracefully and waits until it is done.
    pub async fn shutdown(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

fn url(shared: &Shared, addr: SocketAddr) -> String {
    let scheme = if shared.config.tls.is_some() {
        "wss"
    } else {
        "ws"
    };
    format!("{scheme}://{addr}")
}

fn rest_url(shared: &Shared, addr: SocketAddr) -> String {
    let scheme = if shared.config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{addr}")
}
