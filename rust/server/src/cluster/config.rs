//! How a node joins a cluster: the cluster's own settings, which `crate::config` fills from the
//! flags and the TOML file.

use std::time::Duration;

/// Where a cluster keeps its shared state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisTarget {
    /// One Redis server (`redis://` or `rediss://` with TLS).
    Single(String),
    /// A Redis Cluster, by seed URLs (any of its masters; the rest are discovered).
    Cluster(Vec<String>),
}

/// How this node joins a cluster of nodes that share one Redis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// The shared store.
    pub redis: RedisTarget,
    /// This node's name in the cluster: letters, digits, `.`, `_` and `-`, at most 64 bytes. A
    /// restarted node may keep its name; it never inherits the sessions of its previous run.
    pub node_id: String,
    /// How long a node's sessions outlive it when it stops renewing its lease (crashed, or cut
    /// off from Redis).
    pub lease: Duration,
    /// Join even when Redis keeps nothing on disk (`--redis-ephemeral`): for tests and demos.
    /// Otherwise a Redis with neither AOF nor snapshots is refused, since it holds the accounts
    /// and the kicks' invalidations.
    pub redis_ephemeral: bool,
}

/// The default node lease.
pub const DEFAULT_NODE_LEASE: Duration = Duration::from_secs(10);

/// Shortest node lease accepted: the lease is renewed three times per period, and a store round
/// trip must fit comfortably in a renewal.
pub const MIN_NODE_LEASE: Duration = Duration::from_secs(1);
