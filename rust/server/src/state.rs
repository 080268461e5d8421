//! What every connection of one node shares.

use crate::callbacks::{Callbacks, Event};
use crate::cluster::{Cluster, Local};
use crate::config::ServerConfig;
use crate::database::Database;
use crate::hub::{Ending, Hub};
use crate::metrics::Metrics;
use crate::policy::SessionInfo;
use crate::registry::SessionRegistry;
use crate::stats::DailyStats;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The state behind one running node.
pub struct Shared {
    /// Apps, policies, limits.
    pub config: ServerConfig,
    /// Who is online, which accounts exist, which are locked.
    pub registry: Arc<dyn SessionRegistry>,
    /// The other nodes, when this one is part of a cluster.
    pub cluster: Option<Arc<Cluster>>,
    /// The sessions connected to this node.
    pub hub: Arc<Hub>,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// Cancelled when the node shuts down.
    pub shutdown: CancellationToken,
    /// Every connection task, so that shutdown can wait for them.
    pub tasks: TaskTracker,
    /// Daily figures for `getappinfo`.
    pub stats: DailyStats,
    /// The state-change callback queue.
    pub callbacks: Callbacks,
    /// Where a single node keeps what must outlive it; `None` keeps nothing (and in a cluster,
    /// whose Redis keeps it).
    pub database: Option<Database>,
}

impl Shared {
    /// New state for a node with this configuration.
    pub fn new(
        config: ServerConfig,
        registry: Arc<dyn SessionRegistry>,
        cluster: Option<Arc<Cluster>>,
    ) -> Self {
        let online = Arc::default();
        Shared {
            stats: DailyStats::new(config.day_offset, cluster.clone(), Arc::clone(&online)),
            config,
            registry,
            cluster,
            hub: Arc::new(Hub::new(online)),
            metrics: Metrics::default(),
            shutdown: CancellationToken::new(),
            tasks: TaskTracker::new(),
            callbacks: Callbacks::default(),
            database: None,
        }
    }

    /// Queues `event` for its app's callback endpoint, if the app has one; never waits.
    pub fn state_change(&self, event: Event) {
        if let Some(callback) = self
            .config
            .apps
            .get(&event.account.sdk_app_id)
            .and_then(|app| app.callback.as_ref())
        {
            self.callbacks.post(callback, event);
        }
    }

    /// What the cluster's upkeep needs of this node: its hub, the apps' policies, its shutdown.
    pub fn for_cluster(&self) -> Local {
        Local {
            hub: Arc::clone(&self.hub),
            policies: (self.config.apps.iter())
                .map(|(&id, app)| (id, app.policy))
                .collect(),
            shutdown: self.shutdown.clone(),
        }
    }

    /// Ends a session that the registry has already taken offline, wherever it is connected:
    /// here through the hub, on another node through the cluster's kick channel. Never waits for
    /// the session's connection.
    pub fn end(&self, session: &SessionInfo, ending: Ending) {
        if self.registry.is_local(&session.node) {
            self.hub.end(&session.session_id, ending);
        } else if let Some(cluster) = &self.cluster {
            cluster.send_ending(session, ending);
        }
    }
}
