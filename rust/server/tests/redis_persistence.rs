//! A node joins only a Redis that keeps what it is given: a Redis with neither the append-only
//! file nor snapshots is refused (a `Refused`, exit code 2) unless `--redis-ephemeral` says it is
//! a throwaway; a Redis that forbids `CONFIG` is joined with a warning; on a Redis Cluster every
//! master is asked.

mod cluster_support;
mod support;

use cluster_support::{RedisServer, node_config, target};
use std::time::Duration;
use support::*;
use tim_protocol::Platform;
use tim_server::{DevicePolicy, RedisTarget, Refused, Server, ServerConfig};
use tim_testkit::RedisCluster;

/// A node's configuration on `redis`, with or without the opt-in for a Redis that keeps nothing.
fn node_on(redis: &RedisTarget, ephemeral: bool) -> ServerConfig {
    let mut config = node_config(redis, "a", DevicePolicy::default(), Duration::from_secs(10));
    config.cluster.as_mut().unwrap().redis_ephemeral = ephemeral;
    config
}

/// The refusal a bind ends with; panics if it started, or failed otherwise.
async fn refusal(config: ServerConfig) -> Refused {
    match Server::bind(config).await {
        Ok(_) => panic!("the node joined a Redis that keeps nothing"),
        Err(e) => Refused::of(&e)
            .unwrap_or_else(|| panic!("not a refusal: {e}"))
            .clone(),
    }
}

#[tokio::test]
async fn a_redis_that_keeps_nothing_is_refused_unless_the_node_opts_in() {
    let redis = RedisServer::start().await; // --appendonly no --save ""
    let refused = refusal(node_on(&target(&redis), false)).await;
    for needed in [
        "--redis-ephemeral",
        "appendonly yes",
        &redis.addr().to_string(),
    ] {
        assert!(refused.0.contains(needed), "{needed:?} in: {refused}");
    }
    let keys: i64 = redis.query(&redis::cmd("DBSIZE")).await;
    assert_eq!(keys, 0, "refused before taking a lease");

    let node = start(node_on(&target(&redis), true)).await;
    let _alice = online(&node, &request("alice", "phone", Platform::Android)).await;
    node.shutdown().await;
}

#[tokio::test]
async fn a_redis_with_an_append_only_file_or_snapshots_is_joined_without_the_opt_in() {
    for args in [&["--appendonly", "yes"][..], &["--save", "3600 1"]] {
        let redis = RedisServer::start_with_args(args).await;
        let node = start(node_on(&target(&redis), false)).await;
        let _alice = online(&node, &request("alice", "phone", Platform::Android)).await;
        node.shutdown().await;
    }
}

#[tokio::test]
async fn a_redis_that_forbids_config_is_joined_with_a_warning() {
    // Renamed away, as managed Redis services do...
    let renamed = RedisServer::start_with_args(&["--rename-command", "CONFIG", ""]).await;
    // ... or forbidden to the node's user by an ACL (NOPERM).
    let acl = RedisServer::start().await;
    let _: String = acl
        .query(
            redis::cmd("ACL")
                .arg("SETUSER")
                .arg("tim")
                .arg("on")
                .arg(">secret")
                .arg("~*")
                .arg("&*")
                .arg("+@all")
                .arg("-config"),
        )
        .await;
    let acl_url = format!("redis://tim:secret@{}", acl.addr());
    let app = format!("{APP}:{KEY}");
    for url in [renamed.url(), acl_url] {
        let node = spawn(&["--listen", "127.0.0.1:0", "--app", &app, "--redis", &url]).await;
        // Awaited, not read once: stderr is read on a thread of its own, which may not have
        // read the warning yet when the listening line on stdout has arrived.
        node.wait_for_stderr("cannot read Redis's persistence settings", WAIT)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let logs = node.stderr().join("\n");
        assert!(
            !logs.contains("secret"),
            "the password reached the logs:\n{logs}"
        );
    }
}

#[tokio::test]
async fn on_a_redis_cluster_every_master_is_asked() {
    let redis = RedisCluster::start().await;
    let cluster = RedisTarget::Cluster(redis.seed_urls());
    let refused = refusal(node_on(&cluster, false)).await;
    for master in redis.nodes() {
        assert!(refused.0.contains(&master.addr().to_string()), "{refused}");
    }
    // Persistence on two of the three masters is not enough: the third is named alone.
    let (bare, durable) = redis.nodes().split_last().unwrap();
    for master in durable {
        let _: String = master
            .query(redis::cmd("CONFIG").arg("SET").arg("appendonly").arg("yes"))
            .await;
    }
    let refused = refusal(node_on(&cluster, false)).await;
    assert!(refused.0.contains(&bare.addr().to_string()), "{refused}");
    for master in durable {
        assert!(!refused.0.contains(&master.addr().to_string()), "{refused}");
    }
    let _: String = bare
        .query(redis::cmd("CONFIG").arg("SET").arg("appendonly").arg("yes"))
        .await;
    let node = start(node_on(&cluster, false)).await;
    let _alice = online(&node, &request("alice", "phone", Platform::Android)).await;
    node.shutdown().await;
}
