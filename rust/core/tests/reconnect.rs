//! Staying logged in: reconnecting by itself after the server goes away or restarts, and
//! logging out when the server says the ticket expired.

mod support;

use std::time::Duration;
use support::*;
use tim_core::{LoginStatus, SdkConfig, SdkEvent};

fn failed(event: &SdkEvent) -> bool {
    matches!(event, SdkEvent::ConnectFailed { .. })
}

#[tokio::test]
async fn a_ticket_expiring_while_online_logs_out_with_on_user_sig_expired() {
    let server = start_server().await;
    let (manager, mut events) = manager(&server.url());
    manager
        .login("alice", &ticket_expiring("alice", 1))
        .await
        .unwrap();
    assert_eq!(
        events.until(|e| *e == SdkEvent::UserSigExpired).await,
        SdkEvent::UserSigExpired
    );
    assert_eq!(status(&manager), LoginStatus::LoggedOut);
    assert!(events.drain().is_empty(), "no reconnect after expiry");
    server.shutdown().await;
}

#[tokio::test]
async fn after_a_restart_the_client_comes_back_by_itself() {
    let (server, proxy) = start_behind_proxy().await;
    let (manager, mut events) = manager(&proxy.url_ws());
    manager.login("alice", &ticket("alice")).await.unwrap();
    events.until(|e| *e == SdkEvent::ConnectSuccess).await;

    server.shutdown().await; // clients hear going_away
    assert_eq!(events.next().await, SdkEvent::Connecting);
    events.until(failed).await; // the server is down
    assert_eq!(
        status(&manager),
        LoginStatus::LoggedIn,
        "still logged in while reconnecting"
    );
    assert_eq!(manager.get_login_user().unwrap(), "alice");

    let server = restart(&proxy).await;
    events.until(|e| *e == SdkEvent::ConnectSuccess).await;
    assert_eq!(status(&manager), LoginStatus::LoggedIn);
    assert_eq!(online_users(&server, "alice").await, 1);
    assert_eq!(server.metrics().logins(0), 1, "one reconnect login");
    server.shutdown().await;
}

#[tokio::test]
async fn a_ticket_that_expired_while_offline_ends_the_reconnect() {
    let (server, proxy) = start_behind_proxy().await;
    let (manager, mut events) = manager(&proxy.url_ws());
    // Valid for two more seconds at least (signed 8 s ago for 10 s, and its last second still
    // counts): the login and the server's shutdown must both come before it expires.
    let claims = tim_usersig::Claims::new(APP, "alice", now() - 8, 10);
    manager
        .login("alice", &tim_usersig::sign(KEY, &claims))
        .await
        .unwrap();
    server.shutdown().await;
    events.until(failed).await;
    // The ticket expires while the server is down: the clock itself is what is awaited.
    while !claims.is_expired(now()) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let server = restart(&proxy).await;
    events.until(|e| *e == SdkEvent::UserSigExpired).await;
    assert_eq!(status(&manager), LoginStatus::LoggedOut);
    assert_eq!(server.metrics().logins(70001), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn a_network_change_retries_at_once_instead_of_waiting_out_the_backoff() {
    let (server, proxy) = start_behind_proxy().await;
    let config = SdkConfig {
        reconnect_min: Duration::from_secs(60),
        reconnect_max: Duration::from_secs(60),
        ..sdk_config(&proxy.url_ws())
    };
    let (manager, mut events) = manager_with(config);
    manager.login("alice", &ticket("alice")).await.unwrap();
    server.shutdown().await;
    events.until(failed).await; // the next attempt is 30-60 s away
    let server = restart(&proxy).await;
    manager.network_changed();
    events.until(|e| *e == SdkEvent::ConnectSuccess).await;
    assert_eq!(online_users(&server, "alice").await, 1);
    server.shutdown().await;
}

/// The first event of a reconnect that is not an attempt or a network failure: how it ended.
async fn reconnect_outcome(events: &mut Events) -> SdkEvent {
    events
        .until(|e| {
            !matches!(
                e,
                SdkEvent::Connecting
                    | SdkEvent::ConnectFailed {
                        code: 9508 | 9514,
                        ..
                    }
            )
        })
        .await
}

/// The key that signed the first ticket is gone from the restarted server, so only the app's
/// newer ticket (signed with the new key) can reconnect.
async fn rotated_server(proxy: &tim_testkit::FaultProxy) -> tim_server::RunningServer {
    restart_with(proxy, server_config_with_keys(&[KEY2])).await
}

#[tokio::test]
async fn a_fresh_ticket_given_while_logged_in_is_the_one_the_reconnect_uses() {
    let server = start_server_with(server_config_with_keys(&[KEY, KEY2])).await;
    let proxy = tim_testkit::FaultProxy::start(server.local_addr()).await;
    let (manager, mut events) = manager(&proxy.url_ws());
    manager.login("alice", &ticket("alice")).await.unwrap();
    manager
        .login("alice", &ticket_with_key("alice", KEY2))
        .await
        .unwrap();
    events.until(|e| *e == SdkEvent::ConnectSuccess).await;

    let rotated = rotated_server(&proxy).await;
    server.shutdown().await; // going_away: the reconnect reaches the rotated server
    assert_eq!(
        reconnect_outcome(&mut events).await,
        SdkEvent::ConnectSuccess
    );
    assert_eq!(status(&manager), LoginStatus::LoggedIn);
    assert_eq!(online_users(&rotated, "alice").await, 1);
    rotated.shutdown().await;
}

#[tokio::test]
async fn a_fresh_ticket_given_while_reconnecting_is_the_one_the_next_attempt_uses() {
    let server = start_server_with(server_config_with_keys(&[KEY, KEY2])).await;
    let proxy = tim_testkit::FaultProxy::start(server.local_addr()).await;
    let (manager, mut events) = manager(&proxy.url_ws());
    manager.login("alice", &ticket("alice")).await.unwrap();
    events.until(|e| *e == SdkEvent::ConnectSuccess).await;

    proxy.refuse(true);
    server.shutdown().await;
    events.until(failed).await; // reconnecting, and failing while the server is down
    manager
        .login("alice", &ticket_with_key("alice", KEY2))
        .await
        .unwrap();
    let rotated = rotated_server(&proxy).await;
    proxy.refuse(false);
    manager.network_changed();
    assert_eq!(
        reconnect_outcome(&mut events).await,
        SdkEvent::ConnectSuccess
    );
    assert_eq!(online_users(&rotated, "alice").await, 1);
    rotated.shutdown().await;
}

/// Events from a reconnect's start to its outcome, once the outcome matches `end`.
async fn events_until(events: &mut Events, end: impl Fn(&SdkEvent) -> bool) -> Vec<SdkEvent> {
    let mut seen = Vec::new();
    loop {
        let event = events.next().await;
        let last = end(&event);
        seen.push(event);
        if last {
            return seen;
        }
    }
}

#[tokio::test]
async fn a_reconnect_refused_for_a_key_rotated_away_ends_with_on_user_sig_expired() {
    let (server, proxy) = start_behind_proxy().await;
    let (manager, mut events) = manager(&proxy.url_ws());
    in_time(manager.login("alice", &ticket("alice")))
        .await
        .unwrap();
    events.until(|e| *e == SdkEvent::ConnectSuccess).await;

    let rotated = rotated_server(&proxy).await;
    server.shutdown().await;
    let seen = events_until(&mut events, |e| *e == SdkEvent::UserSigExpired).await;
    assert!(!seen.contains(&SdkEvent::ConnectSuccess), "{seen:?}");
    assert_eq!(status(&manager), LoginStatus::LoggedOut);
    assert_eq!(rotated.metrics().logins(70009), 1);
    rotated.shutdown().await;
}

#[tokio::test]
async fn a_reconnect_refused_for_a_kick_while_offline_ends_with_on_kicked_offline() {
    let (server, proxy) = start_behind_proxy().await;
    let (manager, mut events) = manager(&proxy.url_ws());
    // Signed before the kick's second, so that the kick invalidates it.
    let signed_before = tim_testkit::tickets::ticket_for(APP, KEY, "alice", now() - 10, 86_400);
    in_time(manager.login("alice", &signed_before))
        .await
        .unwrap();
    events.until(|e| *e == SdkEvent::ConnectSuccess).await;

    proxy.refuse(true);
    proxy.cut().await;
    events.until(failed).await;
    let account = tim_server::AccountKey {
        sdk_app_id: APP,
        user_id: "alice".to_owned(),
    };
    server
        .registry()
        .end_all(&account, Some(now()))
        .await
        .unwrap();
    events.drain();
    proxy.refuse(false);
    manager.network_changed();
    let seen = events_until(&mut events, |e| *e == SdkEvent::KickedOffline).await;
    assert!(!seen.contains(&SdkEvent::ConnectSuccess), "{seen:?}");
    assert_eq!(status(&manager), LoginStatus::LoggedOut);
    assert_eq!(server.metrics().logins(70052), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn a_reconnect_refused_for_another_identity_ends_with_on_user_sig_expired() {
    let (server, proxy) = start_behind_proxy().await;
    let (manager, mut events) = manager(&proxy.url_ws());
    in_time(manager.login("alice", &ticket("alice")))
        .await
        .unwrap();
    proxy.refuse(true);
    proxy.cut().await;
    events.until(failed).await;
    // Given while reconnecting, so the next attempt presents it: a ticket of another user.
    in_time(manager.login("alice", &ticket("bob")))
        .await
        .unwrap();
    events.drain();
    proxy.refuse(false);
    manager.network_changed();
    let seen = events_until(&mut events, |e| *e == SdkEvent::UserSigExpired).await;
    assert!(!seen.contains(&SdkEvent::ConnectSuccess), "{seen:?}");
    assert_eq!(status(&manager), LoginStatus::LoggedOut);
    assert_eq!(server.metrics().logins(70013), 1);
    server.shutdown().await;
}
