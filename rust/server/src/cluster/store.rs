//! The connection to the cluster's Redis: one server or a Redis Cluster, behind one type, every
//! call bounded in time and counted.

use super::RedisTarget;
use crate::account::RegistryError;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, FromRedisValue, Pipeline, RedisFuture, ScriptInvocation, Value};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::{Duration, Instant};

/// A multiplexed connection that reconnects by itself, to one Redis or a Redis Cluster.
#[derive(Clone)]
pub enum Connection {
    /// One Redis server.
    Single(ConnectionManager),
    /// A Redis Cluster; commands go to the master of their key's slot.
    Cluster(ClusterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Single(c) => c.req_packed_command(cmd),
            Connection::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Connection::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Connection::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Single(c) => c.get_db(),
            Connection::Cluster(c) => c.get_db(),
        }
    }
}

impl Connection {
    /// Connects to `target`, each request answered within `response_timeout`. Fails when the
    /// store cannot be reached now; once connected, the connection reconnects by itself.
    pub async fn open(
        target: &RedisTarget,
        response_timeout: Duration,
    ) -> Result<Connection, RegistryError> {
        let connect_timeout = response_timeout.max(Duration::from_secs(1));
        let failed = |e: redis::RedisError| RegistryError(format!("cannot reach Redis: {e}"));
        match target {
            RedisTarget::Single(url) => {
                let client = redis::Client::open(url.as_str()).map_err(failed)?;
                let config = ConnectionManagerConfig::new()
                    .set_response_timeout(Some(response_timeout))
                    .set_connection_timeout(Some(connect_timeout))
                    .set_number_of_retries(2)
                    .set_max_delay(Duration::from_millis(500));
                let manager = ConnectionManager::new_with_config(client, config)
                    .await
                    .map_err(failed)?;
                Ok(Connection::Single(manager))
            }
            RedisTarget::Cluster(seeds) => {
                let client = ClusterClient::builder(seeds.iter().map(String::as_str))
                    .connection_timeout(connect_timeout)
                    .response_timeout(response_timeout)
                    .retries(2)
                    .build()
                    .map_err(failed)?;
                let connection = client.get_async_connection().await.map_err(failed)?;
                Ok(Connection::Cluster(connection))
            }
        }
    }
}

/// Latency buckets of `tim_store_latency_seconds`, in seconds.
pub const LATENCY_BUCKETS: [f64; 8] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.25, 1.0];

/// What the store's calls cost and how often they failed.
#[derive(Debug, Default)]
pub struct StoreStats {
    /// Calls answered.
    pub calls: AtomicU64,
    /// Calls that failed or timed out.
    pub errors: AtomicU64,
    /// Sum of the answered calls' round trips, in microseconds.
    pub latency_micros: AtomicU64,
    /// Answered calls per latency bucket (cumulative counts are made when rendering).
    pub latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    /// Whether the last call was answered: what `/healthz` reports.
    pub reachable: AtomicBool,
}

impl StoreStats {
    fn answered(&self, took: Duration) {
        self.calls.fetch_add(1, Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.latency_micros.fetch_add(micros, Relaxed);
        let secs = took.as_secs_f64();
        if let Some(i) = LATENCY_BUCKETS.iter().position(|&b| secs <= b) {
            self.latency_buckets[i].fetch_add(1, Relaxed);
        }
        self.reachable.store(true, Relaxed);
    }

    fn failed(&self) {
        self.errors.fetch_add(1, Relaxed);
        self.reachable.store(false, Relaxed);
    }
}

/// The store as the registry uses it: every call bounded by `timeout`, so that a stalled Redis
/// costs a login a 70169 rather than a hang.
#[derive(Clone)]
pub struct Store {
    connection: Connection,
    timeout: Duration,
    stats: std::sync::Arc<StoreStats>,
}

impl Store {
    /// A store over `connection`.
    pub fn new(
        connection: Connection,
        timeout: Duration,
        stats: std::sync::Arc<StoreStats>,
    ) -> Self {
        Store {
            connection,
            timeout,
            stats,
        }
    }

    /// Runs a command.
    pub async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T, RegistryError> {
        let mut connection = self.connection.clone();
        self.bounded(async move { cmd.query_async(&mut connection).await })
            .await
    }

    /// Runs a pipeline of commands in one round trip (on Redis Cluster, keys of one slot).
    pub async fn pipeline<T: FromRedisValue>(&self, pipe: &Pipeline) -> Result<T, RegistryError> {
        let mut connection = self.connection.clone();
        self.bounded(async move { pipe.query_async(&mut connection).await })
            .await
    }

    /// Runs a script (EVALSHA, loading it on NOSCRIPT).
    pub async fn invoke<T: FromRedisValue>(
        &self,
        script: &ScriptInvocation<'_>,
    ) -> Result<T, RegistryError> {
        let mut connection = self.connection.clone();
        self.bounded(async move { script.invoke_async(&mut connection).await })
            .await
    }

    async fn bounded<T>(
        &self,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, RegistryError> {
        let started = Instant::now();
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(value)) => {
                self.stats.answered(started.elapsed());
                Ok(value)
            }
            Ok(Err(e)) => {
                self.stats.failed();
                Err(RegistryError(format!("Redis: {e}")))
            }
            Err(_) => {
                self.stats.failed();
                Err(RegistryError(format!(
                    "Redis did not answer within {} ms",
                    self.timeout.as_millis()
                )))
            }
        }
    }
}
