//! Several nodes on one real Redis behave as one server: policies over the union of their
//! sessions, kicks that reach the node holding the session, reconnects that move between nodes,
//! lockouts that count on every node, and a node that leaves taking its sessions with it.

mod support;

use futures_util::future::join_all;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use support::*;
use tim_protocol::{KickReason, Platform, ServerFrame};
use tim_server::{ClusterConfig, DevicePolicy, PlatformPolicy, RedisTarget, RunningServer};

/// A node of a cluster on `redis`, with `policy` for the test app.
async fn node(redis: &RedisTarget, name: &str, policy: DevicePolicy) -> RunningServer {
    let mut config = config();
    config.apps.get_mut(&APP).unwrap().policy = policy;
    config.cluster = Some(ClusterConfig {
        redis: redis.clone(),
        node_id: name.to_owned(),
        lease: Duration::from_secs(10),
    });
    start(config).await
}

async fn nodes(redis: &RedisTarget, policy: DevicePolicy) -> Vec<RunningServer> {
    join_all(["a", "b", "c"].map(|name| node(redis, name, policy))).await
}

async fn expect_kick(connection: &mut tim_loadgen::Connection, reason: KickReason, by: Platform) {
    assert_eq!(
        next(connection).await,
        ServerFrame::KickedOffline {
            reason,
            by_platform: by
        }
    );
    assert_eq!(connection.closed().await, 1008);
}

fn instances(list: &[tim_server::policy::SessionInfo]) -> Vec<&str> {
    list.iter().map(|s| s.instance_id.as_str()).collect()
}

#[tokio::test]
async fn a_login_on_one_node_kicks_the_session_another_node_holds() {
    let redis = RedisServer::start().await;
    let [a, b, c] = <[_; 3]>::try_from(nodes(&redis.target(), DevicePolicy::default()).await)
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
    let sent = c.cluster().unwrap().stats.kicks_sent.load(Relaxed);
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
    for allowed in [1u8, 3] {
        let policy = DevicePolicy {
            platforms: PlatformPolicy::AllPlatforms,
            native_instances: allowed,
            web_instances: 1,
        };
        let cluster = nodes(&redis.target(), policy).await;
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
    let a = node(&redis.target(), "a", DevicePolicy::default()).await;
    let b = node(&redis.target(), "b", DevicePolicy::default()).await;
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
    let cluster = nodes(&redis.target(), DevicePolicy::default()).await;
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
    let a = node(&redis.target(), "a", DevicePolicy::default()).await;
    let b = node(&redis.target(), "b", DevicePolicy::default()).await;
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

/// A Redis of this test's own on a free loopback port, killed when dropped.
struct RedisServer {
    child: std::process::Child,
    port: u16,
}

impl RedisServer {
    async fn start() -> RedisServer {
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

    fn target(&self) -> RedisTarget {
        RedisTarget::Single(format!("redis://127.0.0.1:{}", self.port))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
