//! Faults that come together: a node back while another node sweeps what it left, a node dead for
//! hours with its sessions still in Redis, logins that race a node's shutdown, and an admission
//! whose index entry was lost. After each, the device limits hold, every session a node holds is
//! in Redis under a live node, and nothing else is.

mod cluster_support;
mod support;

use cluster_support::*;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use support::*;
use tim_protocol::{KickReason, Platform};
use tim_server::{DevicePolicy, RedisTarget};
use tim_testkit::client::{Connection, login_request};
use tim_testkit::{FaultProxy, RedisCluster};

/// A short lease, so that a node stopped past it is seen dead within a test's patience.
const LEASE: Duration = Duration::from_secs(3);

fn hash(user: &str) -> String {
    format!("tim:s:{{{APP}:{user}}}")
}

/// Redis' clock in Unix ms, which the leases are written against.
async fn redis_now_ms(redis: &RedisServer) -> u64 {
    let (secs, micros): (u64, u64) = redis.query(&redis::cmd("TIME")).await;
    secs * 1000 + micros / 1000
}

/// Whether the lease of node `token` is no longer held.
async fn lease_ran_out(redis: &RedisServer, token: &str) -> bool {
    let score: Option<f64> = redis
        .query(redis::cmd("ZSCORE").arg("tim:nodes").arg(token))
        .await;
    let now = redis_now_ms(redis).await as f64;
    score.is_none_or(|expiry| expiry < now)
}

#[tokio::test]
async fn a_node_back_after_its_lease_ran_out_keeps_its_sessions_from_the_sweep_of_its_old_self() {
    let redis = RedisServer::start().await;
    let proxy = FaultProxy::start(redis.addr()).await;
    let a = node_behind(&proxy, "a", LEASE).await;
    let b = start(node_config(
        &target(&redis),
        "b",
        DevicePolicy::default(),
        LEASE,
    ))
    .await;
    let mut phone = online(&a, &request("alice", "phone", Platform::Android)).await;
    let before = a.cluster().unwrap().token();

    // Cut off past its lease (as a stopped process or a partition would be), then back.
    proxy.stall();
    eventually(LEASE * 3, "a's lease runs out", || {
        lease_ran_out(&redis, &before)
    })
    .await;
    proxy.resume();
    eventually(WAIT, "a admits what it holds again", || async {
        a.cluster().unwrap().stats.reregistrations.load(Relaxed) >= 1
    })
    .await;
    // A sweep of a as it was before, under way since b saw it dead, takes every session under
    // that token; a's session must not be one of them.
    let evict = redis::Script::new(include_str!("../src/cluster/lua/evict_node.lua"));
    let _: i64 = evict
        .key(hash("alice"))
        .arg(&before)
        .invoke_async(&mut redis.connection().await)
        .await
        .unwrap();

    // Alice's second Android phone, elsewhere: the first is kicked, as with no fault at all.
    let _tablet = online(&b, &request("alice", "tablet", Platform::Android)).await;
    expect_kick(&mut phone, KickReason::DeviceLimit, Platform::Android).await;
    assert_eq!(instances(&sessions(&b, "alice").await), ["tablet"]);
    assert_ne!(a.cluster().unwrap().token(), before, "a new incarnation");
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn a_node_dead_for_hours_is_still_swept_and_its_sessions_never_count() {
    let redis = RedisServer::start().await;
    // What a node left when it died three hours ago with no other node up: its lease, a
    // session, its index and its stream.
    let ghost = "gone#0badf00d";
    let session = "00000000000000aa";
    let died = redis_now_ms(&redis).await - 3 * 3600 * 1000;
    let _: i64 = redis
        .query(redis::cmd("ZADD").arg("tim:nodes").arg(died).arg(ghost))
        .await;
    let _: i64 = redis
        .query(
            redis::cmd("HSET")
                .arg(hash("alice"))
                .arg("#")
                .arg(1)
                .arg("r")
                .arg(died)
                .arg(session)
                .arg(format!("1 {ghost} Android phone")),
        )
        .await;
    let _: i64 = redis
        .query(
            redis::cmd("SADD")
                .arg(format!("tim:n:{ghost}"))
                .arg(format!("{session}/{APP}:alice")),
        )
        .await;
    let _: String = redis
        .query(
            redis::cmd("XADD")
                .arg(format!("tim:k:{ghost}"))
                .arg("*")
                .arg("s")
                .arg(session)
                .arg("e")
                .arg("{}"),
        )
        .await;

    let a = start(node_config(
        &target(&redis),
        "a",
        DevicePolicy::default(),
        LEASE,
    ))
    .await;
    assert!(
        sessions(&a, "alice").await.is_empty(),
        "a dead node's session counts for nothing"
    );
    eventually(
        WAIT,
        "the dead node is swept: its session, index and stream go",
        || async {
            let field: bool = redis
                .query(redis::cmd("HEXISTS").arg(hash("alice")).arg(session))
                .await;
            let left: i64 = redis
                .query(
                    redis::cmd("EXISTS")
                        .arg(format!("tim:n:{ghost}"))
                        .arg(format!("tim:k:{ghost}")),
                )
                .await;
            !field && left == 0
        },
    )
    .await;
    // Another phone of alice's coming back (a reconnect) finds room.
    let mut back = request("alice", "phone2", Platform::Android);
    back.reconnect = true;
    let _back = online(&a, &back).await;
    a.shutdown().await;
}

#[tokio::test]
async fn logins_that_race_a_node_s_shutdown_leave_nothing_of_it_in_redis() {
    let redis = RedisServer::start().await;
    let proxy = FaultProxy::start(redis.addr()).await;
    let a = node_behind(&proxy, "a", Duration::from_secs(10)).await;
    let (url, token) = (a.url(), a.cluster().unwrap().token());
    let users: Vec<String> = (0..20).map(|i| format!("u{i}")).collect();
    // Every call to Redis takes a while, so that logins keep arriving while the node leaves.
    proxy.set_delay(Duration::from_millis(100));
    let stopping = tokio::spawn(a.shutdown());
    let logins = users.iter().map(|user| {
        let request = login_request(APP, user, &ticket(user), "phone");
        let url = url.clone();
        async move { Connection::login(&url, &request).await.ok() }
    });
    let answered = futures_util::future::join_all(logins).await;
    tokio::time::timeout(WAIT, stopping)
        .await
        .expect("shut down in time")
        .unwrap();
    proxy.set_delay(Duration::ZERO);
    eprintln!(
        "{} of {} logins answered during the shutdown",
        answered.iter().flatten().count(),
        users.len()
    );

    let index: i64 = redis
        .query(redis::cmd("EXISTS").arg(format!("tim:n:{token}")))
        .await;
    assert_eq!(index, 0, "the node's index is gone");
    for user in &users {
        let fields: Vec<(String, String)> =
            redis.query(redis::cmd("HGETALL").arg(hash(user))).await;
        let left: Vec<_> = fields.iter().filter(|(_, v)| v.contains(&token)).collect();
        assert!(
            left.is_empty(),
            "{user} is still online on the node that left: {left:?}"
        );
    }
}

#[tokio::test]
async fn on_a_redis_cluster_a_login_whose_index_entry_failed_leaves_nothing_and_strands_no_one() {
    let cluster = RedisCluster::start().await;
    let redis = RedisTarget::Cluster(cluster.seed_urls());
    let a = node(&redis, "a", DevicePolicy::default()).await;
    let b = node(&redis, "b", DevicePolicy::default()).await;
    let index = format!("tim:n:{}", a.cluster().unwrap().token());
    let index_master = cluster.node_for(&index).await.addr();
    // A user whose sessions live on another master than a's index.
    let mut user = String::new();
    for i in 0.. {
        user = format!("user{i}");
        if cluster.node_for(&hash(&user)).await.addr() != index_master {
            break;
        }
    }
    let mut phone = online(&b, &request(&user, "phone", Platform::Android)).await;

    let stopped = cluster.node_for(&index).await;
    stopped.stop();
    // The admission applies (it took the phone's place) but the index entry cannot be written:
    // the login is refused.
    assert_eq!(
        login_code(&a, &request(&user, "tablet", Platform::Android)).await,
        70169
    );
    stopped.cont();

    // The phone it displaced is told, and the refused login's session leaves Redis.
    expect_kick(&mut phone, KickReason::DeviceLimit, Platform::Android).await;
    eventually(WAIT, "the refused login leaves no session", || async {
        sessions(&b, &user).await.is_empty()
    })
    .await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn a_login_on_a_node_whose_lease_just_ran_out_waits_for_its_new_incarnation() {
    let redis = RedisServer::start().await;
    // A long lease: the node's own renewal does not come during the test.
    let lease = Duration::from_secs(30);
    let a = start(node_config(
        &target(&redis),
        "a",
        DevicePolicy::default(),
        lease,
    ))
    .await;
    let mut phone = online(&a, &request("alice", "phone", Platform::Android)).await;
    let before = a.cluster().unwrap().token();
    // The lease runs out under the node, as a renewal late past it leaves it.
    let _: i64 = redis
        .query(redis::cmd("ZADD").arg("tim:nodes").arg(0).arg(&before))
        .await;

    // A login then is admitted (under the node's new token), not refused.
    let _tablet = online(&a, &request("bob", "tablet", Platform::Android)).await;
    assert_ne!(a.cluster().unwrap().token(), before);
    eventually(
        WAIT,
        "alice's phone is online again under the new token",
        || async { instances(&sessions(&a, "alice").await) == ["phone"] },
    )
    .await;
    ping_pong(&mut phone, 1).await;
    a.shutdown().await;
}
