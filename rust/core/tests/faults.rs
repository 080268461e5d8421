//! Network faults between the SDK and the server, injected by a proxy on real sockets: a cut
//! connection, a blackhole (half-open connection), a server that is down.

mod support;

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use support::*;
use tim_core::{LoginStatus, SdkConfig, SdkEvent};
use tim_testkit::FaultProxy;

#[tokio::test]
async fn a_cut_connection_reconnects_as_the_same_instance() {
    let server = start_server().await;
    let proxy = FaultProxy::start(server.local_addr()).await;
    let (manager, mut events) = manager(&proxy.url_ws());
    manager.login("alice", &ticket("alice")).await.unwrap();
    events.until(|e| *e == SdkEvent::ConnectSuccess).await;

    proxy.cut().await;
    assert_eq!(events.next().await, SdkEvent::Connecting);
    assert_eq!(
        events.until(|e| *e == SdkEvent::ConnectSuccess).await,
        SdkEvent::ConnectSuccess
    );
    assert_eq!(status(&manager), LoginStatus::LoggedIn);
    assert_eq!(
        online_users(&server, "alice").await,
        1,
        "the reconnect replaced its own session"
    );
    assert_eq!(
        server.metrics().kicks.load(Relaxed),
        0,
        "no one kicked by a reconnect"
    );
    assert_eq!(server.metrics().logins(0), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn a_half_open_connection_is_found_by_the_heartbeat_and_replaced() {
    let server = start_server().await;
    let proxy = FaultProxy::start(server.local_addr()).await;
    let config = SdkConfig {
        heartbeat_interval: Duration::from_millis(200),
        connect_timeout: Duration::from_millis(500),
        ..sdk_config(&proxy.url_ws())
    };
    let (manager, mut events) = manager_with(config);
    manager.login("alice", &ticket("alice")).await.unwrap();
    events.until(|e| *e == SdkEvent::ConnectSuccess).await;

    proxy.stall(); // the peer stops answering; the socket stays open
    assert_eq!(events.next().await, SdkEvent::Connecting, "silence noticed");
    // While the blackhole lasts, attempts time out and are retried.
    assert!(matches!(
        events.next().await,
        SdkEvent::ConnectFailed { code: 9510, .. }
    ));
    assert_eq!(status(&manager), LoginStatus::LoggedIn);
    proxy.resume();
    proxy.cut().await; // what the stalled connections eventually get: a reset
    events.until(|e| *e == SdkEvent::ConnectSuccess).await;
    assert_eq!(online_users(&server, "alice").await, 1);
    assert_eq!(server.metrics().kicks.load(Relaxed), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn while_the_server_is_down_attempts_fail_and_back_off_until_it_returns() {
    let server = start_server().await;
    let proxy = FaultProxy::start(server.local_addr()).await;
    let (manager, mut events) = manager(&proxy.url_ws());
    manager.login("alice", &ticket("alice")).await.unwrap();

    proxy.refuse(true);
    proxy.cut().await;
    for _ in 0..3 {
        let failure = events
            .until(|e| matches!(e, SdkEvent::ConnectFailed { .. }))
            .await;
        let SdkEvent::ConnectFailed { code, .. } = failure else {
            unreachable!()
        };
        assert!([9508, 9514].contains(&code), "a network code, not {code}");
    }
    assert_eq!(status(&manager), LoginStatus::LoggedIn);
    proxy.refuse(false);
    events.until(|e| *e == SdkEvent::ConnectSuccess).await;
    assert_eq!(online_users(&server, "alice").await, 1);
    server.shutdown().await;
}
