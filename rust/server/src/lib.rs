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

mod account;
mod auth;
pub mod callbacks;
mod clock;
pub mod cluster;
pub mod config;
mod connection;
pub mod database;
mod figures_batch;
mod http;
pub mod hub;
pub mod lockout;
pub mod metrics;
pub mod policy;
mod refused;
pub mod registry;
pub mod rest;
mod state;
pub mod stats;
mod tls;

pub use account::AccountKey;
pub use cluster::{Cluster, ClusterConfig, RedisTarget};
pub use config::{AppConfig, Cli, ServerConfig};
pub use metrics::Metrics;
pub use policy::{DevicePolicy, PlatformPolicy};
pub use refused::Refused;
pub use registry::{MemoryRegistry, SessionRegistry};
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

/// What a single node's database held at start, for the server to begin from.
struct Stored {
    database: database::Database,
    days: Vec<(database::StoredDay, Vec<String>)>,
    accounts: std::collections::HashMap<u64, u64>,
}

/// How often the daily figures are written to a single node's database, or sent to a cluster's
/// Redis: at most this much of them is lost on a crash.
const FIGURES_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Writes the daily figures' changes to the database, or sends them to the cluster's Redis.
async fn store_figures(shared: &Shared) {
    if let Some(database) = &shared.database {
        database.write_behind(shared.stats.changes(clock::unix_millis()));
    }
    shared.stats.flush().await;
}

/// Stores the daily figures every [`FIGURES_EVERY`] until the node shuts down.
async fn keep_figures(shared: Arc<Shared>) {
    let mut every = tokio::time::interval(FIGURES_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => store_figures(&shared).await,
            () = shared.shutdown.cancelled() => break,
        }
    }
}

/// A server bound to its address, not yet accepting.
pub struct Server {
    shared: Arc<Shared>,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    admin_listener: Option<TcpListener>,
}

impl Server {
    /// Binds the configured addresses. With a cluster configured, first joins it: connects to
    /// its Redis, checks that Redis keeps what it is given ([`Refused`] otherwise, see
    /// [`Cluster::join`]) and takes this node's lease (an unreachable Redis fails the bind).
    /// Otherwise, with a data folder, opens the database there and starts from what it holds (a
    /// folder in use or a database it cannot use fails with a [`Refused`]).
    pub async fn bind(config: ServerConfig) -> std::io::Result<Server> {
        let Some(cluster_config) = &config.cluster else {
            let Some(dir) = config.data_dir.clone() else {
                info!("ephemeral: accounts, kicks and figures are kept in memory only");
                let registry = Arc::new(MemoryRegistry::new(config.lockout));
                return Server::bind_with(config, registry, None, None);
            };
            let opened = tokio::task::spawn_blocking(move || database::Database::open(&dir))
                .await
                .map_err(std::io::Error::other)?;
            let (database, mut snapshot) = opened?;
            let registry = MemoryRegistry::durable(config.lockout, database.clone(), &mut snapshot);
            let accounts = registry.accounts_per_app();
            info!(
                data = %database.dir().display(),
                accounts = accounts.values().sum::<u64>(),
                schema = database::current_version(),
                migrated_from = snapshot.migrated_from,
                "keeping accounts, kicks and figures in the data folder"
            );
            let stored = Stored {
                database,
                days: snapshot.days,
                accounts,
            };
            return Server::bind_with(config, Arc::new(registry), None, Some(stored));
        };
        let cluster = Cluster::join(cluster_config, config.lockout).await?;
        cluster.start().await.map_err(std::io::Error::other)?;
        Server::bind_with(config, cluster.clone(), Some(cluster), None)
    }

    /// Binds the configured address, with sessions kept in `registry` (which must not be a
    /// cluster's: [`Server::bind`] joins those). Nothing is written to a data folder.
    pub fn bind_with_registry(
        config: ServerConfig,
        registry: Arc<dyn SessionRegistry>,
    ) -> std::io::Result<Server> {
        Server::bind_with(config, registry, None, None)
    }

    fn bind_with(
        config: ServerConfig,
        registry: Arc<dyn SessionRegistry>,
        cluster: Option<Arc<Cluster>>,
        stored: Option<Stored>,
    ) -> std::io::Result<Server> {
        let listener = listen(config.listen)?;
        let metrics_listener = config.metrics_listen.map(listen).transpose()?;
        let admin_listener = config.admin_listen.map(listen).transpose()?;
        let mut shared = Shared::new(config, registry, cluster);
        if let Some(stored) = stored {
            shared.stats.restore(stored.days, &stored.accounts);
            shared.database = Some(stored.database);
        }
        Ok(Server {
            shared: Arc::new(shared),
            listener,
            metrics_listener,
            admin_listener,
        })
    }

    /// Where `/metrics` and `/healthz` are served when they have a listener of their own.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .map(|l| l.local_addr().expect("a bound listener has an address"))
    }

    /// Where the REST API is served: its own listener's address (`--admin-listen`), or the main
    /// one.
    pub fn rest_addr(&self) -> SocketAddr {
        self.admin_listener.as_ref().map_or_else(
            || self.local_addr(),
            |l| l.local_addr().expect("a bound listener has an address"),
        )
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

    /// Serves until `signal` completes, then (in a cluster) takes this node's sessions out of
    /// the store, tells every client the server is going away and waits (up to the configured
    /// grace period) for their connections to close.
    pub async fn run_until(self, signal: impl Future<Output = ()>) {
        let shared = self.shared.clone();
        let separate_metrics = self.metrics_listener.is_some();
        let main = http::router(shared.clone(), !separate_metrics);
        let accepting = tokio::spawn(http::accept_loop(shared.clone(), self.listener, main));
        let metrics = self.metrics_listener.map(|listener| {
            let router = http::observability_router(shared.clone());
            tokio::spawn(http::accept_loop(shared.clone(), listener, router))
        });
        let admin = self.admin_listener.map(|listener| {
            let router = http::admin_router(shared.clone());
            tokio::spawn(http::accept_loop(shared.clone(), listener, router))
        });
        let upkeep = shared
            .cluster
            .clone()
            .map(|cluster| tokio::spawn(cluster::maintain(cluster, shared.for_cluster())));
        let kept = shared.database.is_some() || shared.cluster.is_some();
        let figures = kept.then(|| tokio::spawn(keep_figures(shared.clone())));
        signal.await;
        info!("shutting down");
        // The cluster first: once it has left, no login is admitted here and nothing admitted
        // here is online in Redis, so the clients told to go are admitted elsewhere at once.
        if let Some(cluster) = &shared.cluster {
            cluster.leave().await;
        }
        shared.shutdown.cancel();
        let _ = accepting.await;
        for listening in [metrics, admin].into_iter().flatten() {
            let _ = listening.await;
        }
        for task in [upkeep, figures].into_iter().flatten() {
            let _ = task.await;
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
        // The last figures, then the folder's lock, so that a new server may open it.
        store_figures(&shared).await;
        if let Some(database) = &shared.database
            && let Err(e) = database.close().await
        {
            tracing::error!(error = %e, "cannot write the last figures");
        }
    }

    /// Serves in the background; the handle shuts the server down.
    pub fn spawn(self) -> RunningServer {
        let shared = self.shared.clone();
        let local_addr = self.local_addr();
        let metrics_addr = self.metrics_addr();
        let rest_addr = self.rest_addr();
        let stop = tokio_util::sync::CancellationToken::new();
        let stopped = stop.clone();
        let task = tokio::spawn(self.run_until(async move { stopped.cancelled().await }));
        RunningServer {
            shared,
            local_addr,
            metrics_addr,
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
    metrics_addr: Option<SocketAddr>,
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
        let scheme = if self.shared.config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.rest_addr)
    }

    /// The server's counters.
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// What happened to state-change callbacks so far.
    pub fn callback_counts(&self) -> &callbacks::CallbackCounts {
        &self.shared.callbacks.counts
    }

    /// Where `/metrics` and `/healthz` are served, when not on [`RunningServer::local_addr`].
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The server's session registry.
    pub fn registry(&self) -> &Arc<dyn SessionRegistry> {
        &self.shared.registry
    }

    /// This node's membership of its cluster, if it is in one.
    pub fn cluster(&self) -> Option<&Arc<Cluster>> {
        self.shared.cluster.as_ref()
    }

    /// How many sessions are connected to this node.
    pub fn sessions_held(&self) -> usize {
        self.shared.hub.len()
    }

    /// Stops at once, as a crashed node would: no session leaves the store, and no client hears
    /// that the node is going away (the connections simply drop). For tests of what the other
    /// nodes do about a dead one.
    pub fn abort(self) {
        self.task.abort();
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
