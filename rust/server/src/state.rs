//! What every connection of one server shares.

use crate::accounts::{AccountDirectory, MemoryAccounts};
use crate::callbacks::Callbacks;
use crate::config::ServerConfig;
use crate::hub::Hub;
use crate::lockout::Lockout;
use crate::metrics::Metrics;
use crate::registry::SessionRegistry;
use crate::rest::RateLimits;
use crate::stats::DailyStats;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The state behind one running server.
pub struct Shared {
    /// Apps, policies, limits.
    pub config: ServerConfig,
    /// Who is online.
    pub registry: Arc<dyn SessionRegistry>,
    /// The sessions connected to this server.
    pub hub: Hub,
    /// Failed-login counts.
    pub lockout: Lockout,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// Cancelled when the server shuts down.
    pub shutdown: CancellationToken,
    /// Every connection task, so that shutdown can wait for them.
    pub tasks: TaskTracker,
    /// Which accounts exist, and whose tickets a kick revoked.
    pub accounts: Arc<dyn AccountDirectory>,
    /// Daily figures for `getappinfo`.
    pub stats: DailyStats,
    /// The state-change callback queue.
    pub callbacks: Callbacks,
    /// REST call rates.
    pub rest_limits: RateLimits,
}

impl Shared {
    /// New state for a server with this configuration.
    pub fn new(config: ServerConfig, registry: Arc<dyn SessionRegistry>) -> Self {
        Shared {
            lockout: Lockout::new(config.lockout),
            stats: DailyStats::new(config.day_offset),
            config,
            registry,
            hub: Hub::default(),
            metrics: Metrics::default(),
            shutdown: CancellationToken::new(),
            tasks: TaskTracker::new(),
            accounts: Arc::new(MemoryAccounts::default()),
            callbacks: Callbacks::default(),
            rest_limits: RateLimits::default(),
        }
    }
}

/// The wall clock in Unix milliseconds (0 if the clock is before 1970).
pub fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
