//! Several nodes on one real Redis behave as one server: policies over the union of their
//! sessions, kicks that reach the node holding the session, reconnects that move between nodes,
//! lockouts that count on every node, and a node that leaves taking its sessions with it.

mod cluster_support;
mod support;

use cluster_support::*;
use futures_util::future::join_all;
use std::sync::atomic::Ordering::Relaxed;
use support::*;
use tim_protocol::{KickReason, Platform, ServerFrame};
use tim_server::{DevicePolicy, PlatformPolicy, RedisTarget, RunningServer};
use tim_testkit::RedisCluster;

#[tokio::test]
async fn a_login_on_one_node_kicks_the_session_another_node_holds() {
    let redis = RedisServer::start().await;
    kick_reaches_the_holding_node(&target(&redis)).await;
}

#[tokio::test]
async fn on_a_redis_cluster_a_kick_reaches_the_holding_node() {
    let redis = RedisCluster::start().await;
    kick_reaches_the_holding_node(&RedisTarget::Cluster(redis.seed_urls())).await;
}

async fn kick_reaches_the_holding_node(redis: &RedisTarget) {
    let [a, b, c] = <[_; 3]>::try_from(nodes(redis, DevicePolicy::default()).await)
        .unwrap_or_else(|_| unreachable!());
    let mut phone1 = online(&a, &request("alice", "phone1", Platform::Android)).await;
    let _web = online(&b, &request("alice", "browser", Platform::Web)).await;
    let _phone2 = online(&c, &request("alice", "phone2", Platform::Android)).await;
    expect_kick(&mut phone1, KickReason::DeviceLimit, Platform::Android).await;
    for node in [&a, &b, &c] {
        assert_eq!(
            instances(&sessions(node, "alice").await),
            ["browser", "phone2"],
            "every node sees the union"
        );
    }
    assert_eq!(c.metrics().kicks.load(Relaxed), 1);
    // c counts the kick once its XADD is answered, which may come after a has delivered it.
    let kicks_sent = || c.cluster().unwrap().stats.kicks_sent.load(Relaxed);
    eventually(WAIT, "c counts the kick it sent", || async {
        kicks_sent() > 0
    })
    .await;
    let sent = kicks_sent();
    let received = a.cluster().unwrap().stats.kicks_received.load(Relaxed);
    assert_eq!((sent, received), (1, 1));
    assert_eq!(
        b.cluster().unwrap().stats.kicks_received.load(Relaxed),
        0,
        "no broadcast"
    );
    for node in [a, b, c] {
        node.shutdown().await;
    }
}

#[tokio::test]
async fn fifty_concurrent_logins_over_three_nodes_leave_exactly_the_allowed_instances() {
    let redis = RedisServer::start().await;
    fifty_concurrent_logins(&target(&redis)).await;
}

#[tokio::test]
async fn on_a_redis_cluster_fifty_concurrent_logins_leave_exactly_the_allowed_instances() {
    let redis = RedisCluster::start().await;
    fifty_concurrent_logins(&RedisTarget::Cluster(redis.seed_urls())).await;
}

async fn fifty_concurrent_logins(redis: &RedisTarget) {
    for allowed in [1u8, 3] {
        let policy = DevicePolicy {
            platforms: PlatformPolicy::AllPlatforms,
            native_instances: allowed,
            web_instances: 1,
        };
        let cluster = nodes(redis, policy).await;
        let user = format!("racer{allowed}");
        let logins = (0..50).map(|i| {
            let node = &cluster[i % 3];
            let instance = format!("i{i}");
            let request = request(&user, &instance, Platform::IPhone);
            async move { (instance, online(node, &request).await) }
        });
        let connections = join_all(logins).await;
        let online_now = sessions(&cluster[1], &user).await;
        assert_eq!(online_now.len(), usize::from(allowed));
        // Every other connection hears its kick, wherever it is connected; the survivors are
        // still served.
        let mut survivors = vec![];
        for (instance, mut connection) in connections {
            if instances(&online_now).contains(&instance.as_str()) {
                ping_pong(&mut connection, 1).await;
                survivors.push(connection);
            } else {
                expect_kick(&mut connection, KickReason::DeviceLimit, Platform::IPhone).await;
            }
        }
        let held: usize = cluster.iter().map(RunningServer::sessions_held).sum();
        assert_eq!(
            held,
            usize::from(allowed),
            "the nodes hold what Redis holds"
        );
        for node in cluster {
            node.shutdown().await;
        }
    }
}

#[tokio::test]
async fn a_reconnect_through_another_node_replaces_its_own_session_and_kicks_no_one() {
    let redis = RedisServer::start().await;
    let a = node(&target(&redis), "a", DevicePolicy::default()).await;
    let b = node(&target(&redis), "b", DevicePolicy::default()).await;
    let mut old = online(&a, &request("alice", "phone", Platform::Android)).await;
    let mut again = request("alice", "phone", Platform::Android);
    again.reconnect = true;
    let _new = online(&b, &again).await;
    assert_eq!(old.closed().await, 4001, "replaced quietly");
    assert_eq!(instances(&sessions(&a, "alice").await), ["phone"]);
    assert_eq!(
        a.metrics().kicks.load(Relaxed) + b.metrics().kicks.load(Relaxed),
        0
    );

    // A device that comes back after another took its place anywhere gets 6208.
    let _other = online(&a, &request("alice", "tablet", Platform::Android)).await;
    let mut back = request("alice", "phone", Platform::Android);
    back.reconnect = true;
    assert_eq!(login_code(&b, &back).await, 6208);
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn failed_logins_on_any_mix_of_nodes_lock_the_account_everywhere() {
    let redis = RedisServer::start().await;
    let cluster = nodes(&target(&redis), DevicePolicy::default()).await;
    let mut forged = request("alice", "i1", Platform::Android);
    forged.user_sig = ticket_for(APP, "not the key", "alice", now(), 3600);
    for i in 0..10 {
        assert_eq!(login_code(&cluster[i % 3], &forged).await, 70009);
    }
    for node in &cluster {
        assert_eq!(
            login_code(node, &request("alice", "i1", Platform::Android)).await,
            70050
        );
    }
    assert_eq!(
        login_code(&cluster[1], &request("bob", "i1", Platform::Android)).await,
        0
    );
    for node in cluster {
        node.shutdown().await;
    }
}

#[tokio::test]
async fn a_node_shutting_down_takes_its_sessions_out_of_the_cluster_at_once() {
    let redis = RedisServer::start().await;
    let a = node(&target(&redis), "a", DevicePolicy::default()).await;
    let b = node(&target(&redis), "b", DevicePolicy::default()).await;
    let mut leaving = online(&a, &request("alice", "phone", Platform::Android)).await;
    let _staying = online(&b, &request("alice", "browser", Platform::Web)).await;
    a.shutdown().await;
    assert!(matches!(
        next(&mut leaving).await,
        ServerFrame::GoingAway { .. }
    ));
    assert_eq!(instances(&sessions(&b, "alice").await), ["browser"]);
    // The client comes back through another node as a reconnect: admitted, no one kicked.
    let mut back = request("alice", "phone", Platform::Android);
    back.reconnect = true;
    let _back = online(&b, &back).await;
    assert_eq!(b.metrics().kicks.load(Relaxed), 0);
    b.shutdown().await;
}

#[tokio::test]
async fn every_policy_applies_to_the_sessions_of_every_node() {
    let redis = RedisServer::start().await;
    every_policy(&target(&redis)).await;
}

#[tokio::test]
async fn on_a_redis_cluster_every_policy_applies_to_the_sessions_of_every_node() {
    let redis = RedisCluster::start().await;
    every_policy(&RedisTarget::Cluster(redis.seed_urls())).await;
}

async fn every_policy(redis: &RedisTarget) {
    let policy = |platforms, native_instances, web_instances| DevicePolicy {
        platforms,
        native_instances,
        web_instances,
    };

    let [a, b, c] =
        <[_; 3]>::try_from(nodes(redis, policy(PlatformPolicy::OnePlatform, 1, 1)).await)
            .unwrap_or_else(|_| unreachable!());
    let mut phone = online(&a, &request("one", "phone", Platform::IPhone)).await;
    let mut mac = online(&b, &request("one", "mac", Platform::Mac)).await;
    expect_kick(&mut phone, KickReason::PlatformConflict, Platform::Mac).await;
    let _web = online(&c, &request("one", "browser", Platform::Web)).await;
    expect_kick(&mut mac, KickReason::PlatformConflict, Platform::Web).await;
    assert_eq!(instances(&sessions(&a, "one").await), ["browser"]);
    for node in [a, b, c] {
        node.shutdown().await;
    }

    let plus_web = policy(PlatformPolicy::MobileOrDesktopPlusWeb, 1, 2);
    let [a, b, c] =
        <[_; 3]>::try_from(nodes(redis, plus_web).await).unwrap_or_else(|_| unreachable!());
    let mut android = online(&a, &request("mix", "android", Platform::Android)).await;
    let mut web1 = online(&b, &request("mix", "web1", Platform::Web)).await;
    let _web2 = online(&c, &request("mix", "web2", Platform::Web)).await;
    let _windows = online(&c, &request("mix", "pc", Platform::Windows)).await;
    expect_kick(
        &mut android,
        KickReason::PlatformConflict,
        Platform::Windows,
    )
    .await;
    let _web3 = online(&a, &request("mix", "web3", Platform::Web)).await;
    expect_kick(&mut web1, KickReason::DeviceLimit, Platform::Web).await;
    assert_eq!(
        instances(&sessions(&b, "mix").await),
        ["web2", "pc", "web3"]
    );
    for node in [a, b, c] {
        node.shutdown().await;
    }

    let three = policy(PlatformPolicy::AllPlatforms, 3, 1);
    let [a, b, c] =
        <[_; 3]>::try_from(nodes(redis, three).await).unwrap_or_else(|_| unreachable!());
    let mut first = online(&a, &request("all", "p1", Platform::Android)).await;
    let _p2 = online(&b, &request("all", "p2", Platform::Android)).await;
    let _p3 = online(&c, &request("all", "p3", Platform::Android)).await;
    let _ipad = online(&a, &request("all", "ipad", Platform::IPad)).await;
    let _p4 = online(&b, &request("all", "p4", Platform::Android)).await;
    expect_kick(&mut first, KickReason::DeviceLimit, Platform::Android).await;
    assert_eq!(
        instances(&sessions(&c, "all").await),
        ["p2", "p3", "ipad", "p4"]
    );
    for node in [a, b, c] {
        node.shutdown().await;
    }
}
