//! A server whose session store is unreachable answers logins 70169 (its internal timeout): an
//! explicit `login` returns that code, while a reconnect takes it for the server's own trouble
//! and retries after its backoff, as after a connection failure, staying logged in. Real parts:
//! a cluster node of `tim-server` on a real Redis, reached through a fault proxy that makes the
//! store unreachable without stopping it.

mod support;

use std::time::Duration;
use support::*;
use tim_core::{LoginStatus, SdkEvent};
use tim_server::{ClusterConfig, RedisTarget};
use tim_testkit::{FaultProxy, RedisServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_outage_answers_70169_to_a_login_and_a_reconnect_retries_it() {
    let redis = RedisServer::start().await;
    let store = FaultProxy::start(redis.addr()).await;
    let mut config = server_config();
    config.cluster = Some(ClusterConfig {
        redis: RedisTarget::Single(format!("redis://{}", store.addr())),
        node_id: "sdk-test".to_owned(),
        lease: Duration::from_secs(10),
        redis_ephemeral: true,
    });
    let server = start_server_with(config).await;
    let network = FaultProxy::start(server.local_addr()).await;
    let (alice, mut events) = manager(&network.url_ws());
    alice.login("alice", &ticket("alice")).await.unwrap();
    events.until(|e| *e == SdkEvent::ConnectSuccess).await;

    store.refuse(true);
    store.cut().await;
    let (bob, _bob_events) = manager(&network.url_ws());
    let refused = in_time(bob.login("bob", &ticket("bob"))).await.unwrap_err();
    assert_eq!(refused.code, 70169, "{}", refused.desc);

    network.cut().await; // alice reconnects while the store is out
    events
        .until(|e| matches!(e, SdkEvent::ConnectFailed { code: 70169, .. }))
        .await;
    assert_eq!(status(&alice), LoginStatus::LoggedIn, "still logged in");

    store.refuse(false);
    alice.network_changed();
    events.until(|e| *e == SdkEvent::ConnectSuccess).await;
    assert_eq!(status(&alice), LoginStatus::LoggedIn);
    server.shutdown().await;
}
