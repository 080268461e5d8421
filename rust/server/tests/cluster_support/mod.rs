//! Cluster test support: nodes on a shared Redis, and waiting for the cluster to settle.
#![allow(dead_code)] // each test file uses a different part of this module

use crate::support::*;
use futures_util::future::join_all;
use std::future::Future;
use std::time::Duration;
use tim_server::{ClusterConfig, DevicePolicy, RedisTarget, RunningServer};
pub use tim_testkit::RedisServer;

/// The configuration of a node named `name` of a cluster on `redis`, with `policy` for the test
/// app and a lease of `lease`.
pub fn node_config(
    redis: &RedisTarget,
    name: &str,
    policy: DevicePolicy,
    lease: Duration,
) -> tim_server::ServerConfig {
    let mut config = config();
    config.apps.get_mut(&APP).unwrap().policy = policy;
    config.cluster = Some(ClusterConfig {
        redis: redis.clone(),
        node_id: name.to_owned(),
        lease,
        redis_ephemeral: true,
    });
    config
}

/// A node of a cluster on `redis`, with `policy` for the test app.
pub async fn node(redis: &RedisTarget, name: &str, policy: DevicePolicy) -> RunningServer {
    start(node_config(redis, name, policy, Duration::from_secs(10))).await
}

pub async fn nodes(redis: &RedisTarget, policy: DevicePolicy) -> Vec<RunningServer> {
    join_all(["a", "b", "c"].map(|name| node(redis, name, policy))).await
}

pub fn instances(list: &[tim_server::policy::SessionInfo]) -> Vec<&str> {
    list.iter().map(|s| s.instance_id.as_str()).collect()
}

/// Awaits `condition` becoming true, checking every 20 ms, for at most `within`: for state that
/// another node or the store changes with no event this side can await.
pub async fn eventually<F, Fut>(within: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within {within:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A node named `name` that reaches Redis through `proxy`, with the default policy and `lease`.
pub async fn node_behind(
    proxy: &tim_testkit::FaultProxy,
    name: &str,
    lease: Duration,
) -> RunningServer {
    let redis = RedisTarget::Single(format!("redis://{}", proxy.addr()));
    start(node_config(&redis, name, DevicePolicy::default(), lease)).await
}

/// The registry target of a test's Redis.
pub fn target(redis: &RedisServer) -> RedisTarget {
    RedisTarget::Single(redis.url())
}
