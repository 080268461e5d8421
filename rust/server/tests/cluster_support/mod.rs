//! Cluster test support: nodes on a shared Redis, and waiting for the cluster to settle.
#![allow(dead_code)] // each test file uses a different part of this module

use crate::support::*;
use futures_util::future::join_all;
use std::future::Future;
use std::time::Duration;
use tim_protocol::{KickReason, Platform, ServerFrame};
use tim_server::{ClusterConfig, DevicePolicy, RedisTarget, RunningServer};

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

pub async fn expect_kick(
    connection: &mut tim_loadgen::Connection,
    reason: KickReason,
    by: Platform,
) {
    assert_eq!(
        next(connection).await,
        ServerFrame::KickedOffline {
            reason,
            by_platform: by
        }
    );
    assert_eq!(connection.closed().await, 1008);
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

/// A Redis of this test's own on a free loopback port, killed when dropped.
pub struct RedisServer {
    child: std::process::Child,
    port: u16,
}

impl RedisServer {
    pub async fn start() -> RedisServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server");
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        RedisServer { child, port }
    }

    pub fn target(&self) -> RedisTarget {
        RedisTarget::Single(format!("redis://127.0.0.1:{}", self.port))
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
