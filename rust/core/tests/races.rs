//! Calls that race with a login that has not finished, and waits that must end: the login is
//! held up by a server that accepts TCP and then says nothing.

mod support;

use std::time::Duration;
use support::*;
use tim_core::{LoginStatus, SdkConfig};
use tokio::net::TcpListener;

/// Accepts connections and never answers: every login to it hangs until a timeout.
async fn silent_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    url
}

/// Waits for the login to be under way: the status is published before `onConnecting`.
async fn logging_in(manager: &tim_core::TimManager, events: &mut Events) {
    assert_eq!(events.next().await, tim_core::SdkEvent::Connecting);
    assert_eq!(status(manager), LoginStatus::LoggingIn);
}

#[tokio::test]
async fn logout_during_a_login_answers_6023_and_calls_needing_a_session_answer_6014() {
    let (manager, mut events) = manager(&silent_server().await);
    let login = tokio::spawn({
        let manager = manager.clone();
        async move { manager.login("alice", &ticket("alice")).await }
    });
    logging_in(&manager, &mut events).await;
    assert_eq!(manager.get_server_time().unwrap_err().code, 6014);
    assert_eq!(
        manager.get_login_user().unwrap(),
        "",
        "no user until logged in"
    );
    manager.logout().await.unwrap();
    assert_eq!(login.await.unwrap().unwrap_err().code, 6023);
    assert_eq!(status(&manager), LoginStatus::LoggedOut);
}

#[tokio::test]
async fn un_init_during_a_login_answers_7009() {
    let (manager, mut events) = manager(&silent_server().await);
    let login = tokio::spawn({
        let manager = manager.clone();
        async move { manager.login("alice", &ticket("alice")).await }
    });
    logging_in(&manager, &mut events).await;
    manager.un_init_sdk().await.unwrap();
    assert_eq!(login.await.unwrap().unwrap_err().code, 7009);
}

#[tokio::test]
async fn a_login_as_another_user_supersedes_the_one_under_way() {
    let (manager, mut events) = manager(&silent_server().await);
    let alice = tokio::spawn({
        let manager = manager.clone();
        async move { manager.login("alice", &ticket("alice")).await }
    });
    logging_in(&manager, &mut events).await;
    let bob = tokio::spawn({
        let manager = manager.clone();
        async move { manager.login("bob", &ticket("bob")).await }
    });
    let superseded = alice.await.unwrap().unwrap_err();
    assert_eq!(superseded.code, 6023);
    assert!(superseded.desc.contains("bob"), "{}", superseded.desc);
    manager.logout().await.unwrap();
    assert_eq!(bob.await.unwrap().unwrap_err().code, 6023);
}

#[tokio::test]
async fn connecting_is_bounded_by_the_connect_timeout() {
    let config = SdkConfig {
        connect_timeout: Duration::from_millis(200),
        ..sdk_config(&silent_server().await)
    };
    let (manager, mut events) = manager_with(config);
    let err = manager.login("alice", &ticket("alice")).await.unwrap_err();
    assert_eq!(err.code, 9510);
    assert_eq!(events.next().await, tim_core::SdkEvent::Connecting);
    assert!(matches!(
        events.next().await,
        tim_core::SdkEvent::ConnectFailed { code: 9510, .. }
    ));
    assert_eq!(status(&manager), LoginStatus::LoggedOut);
}

#[tokio::test]
async fn a_login_answer_that_never_comes_is_bounded_by_the_request_timeout() {
    // Completes the WebSocket upgrade, then says nothing.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            if let Ok(socket) = tokio_tungstenite::accept_async(stream).await {
                held.push(socket);
            }
        }
    });
    let config = SdkConfig {
        request_timeout: Duration::from_millis(200),
        ..sdk_config(&url)
    };
    let (manager, _events) = manager_with(config);
    assert_eq!(
        manager
            .login("alice", &ticket("alice"))
            .await
            .unwrap_err()
            .code,
        6012
    );
}

/// A logout whose server does not answer runs in a task of its own: the engine serves the next
/// call meanwhile, and the logout answers once the server does (or after the request timeout).
#[tokio::test]
async fn a_stalled_logout_does_not_stall_the_engine() {
    let server = start_server().await;
    let proxy = tim_testkit::FaultProxy::start(server.local_addr()).await;
    // A request timeout past WAIT: an engine that waited for the logout would fail this test.
    let (manager, mut events) = manager_with(SdkConfig {
        request_timeout: Duration::from_secs(60),
        ..sdk_config(&proxy.url_ws())
    });
    manager.login("alice", &ticket("alice")).await.unwrap();
    events
        .until(|e| *e == tim_core::SdkEvent::ConnectSuccess)
        .await;

    proxy.stall();
    let logout = tokio::spawn({
        let manager = manager.clone();
        async move { manager.logout().await }
    });
    let login = tokio::spawn({
        let manager = manager.clone();
        async move { manager.login("bob", &ticket("bob")).await }
    });
    // The engine took bob's login while alice's logout waits for the stalled server.
    assert_eq!(events.next().await, tim_core::SdkEvent::Connecting);
    assert_eq!(status(&manager), LoginStatus::LoggingIn);
    assert!(!logout.is_finished(), "the logout waits for the server");

    proxy.resume();
    in_time(logout).await.unwrap().unwrap();
    in_time(login).await.unwrap().unwrap();
    assert_eq!(online_users(&server, "alice").await, 0);
    assert_eq!(online_users(&server, "bob").await, 1);
    server.shutdown().await;
}
