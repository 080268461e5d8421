//! A `login` for the user already online, with a new ticket: the server's session moves onto it,
//! so the first ticket's expiry no longer logs the user out; a ticket the server refuses answers
//! its code and leaves the session on the one it had.

mod support;

use std::time::Duration;
use support::*;
use tim_core::{LoginStatus, SdkEvent};
use tim_usersig::Claims;

/// Waits out a ticket: until the server's expiry of `claims` (at the start of the second after
/// its last) is a second past. The clock itself is what is awaited.
async fn outlive(claims: &Claims) {
    while now() <= claims.expires_at() + 1 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_renewed_ticket_keeps_the_user_online_past_the_first_ones_expiry() {
    let server = start_server().await;
    let (manager, mut events) = manager(&server.url());
    let first = Claims::new(APP, "alice", now(), 3);
    let first_ticket = tim_usersig::sign(KEY, &first);
    in_time(manager.login("alice", &first_ticket))
        .await
        .unwrap();
    in_time(manager.login("alice", &ticket("alice")))
        .await
        .unwrap();

    outlive(&first).await;
    assert_eq!(status(&manager), LoginStatus::LoggedIn);
    assert_eq!(online_users(&server, "alice").await, 1);
    let seen = events.drain();
    assert!(!seen.contains(&SdkEvent::UserSigExpired), "{seen:?}");
    assert_eq!(server.metrics().logins(0), 1, "renewed on the open session");
    server.shutdown().await;
}

#[tokio::test]
async fn a_refused_ticket_answers_its_code_and_the_session_keeps_the_old_one() {
    let (server, proxy) = start_behind_proxy().await;
    let (manager, mut events) = manager(&proxy.url_ws());
    in_time(manager.login("alice", &ticket("alice")))
        .await
        .unwrap();
    let wrong_key = ticket_with_key("alice", KEY2);
    let refused = in_time(manager.login("alice", &wrong_key))
        .await
        .unwrap_err();
    assert_eq!(refused.code, 70009, "{refused}");
    let other_user = ticket("bob");
    let refused = in_time(manager.login("alice", &other_user))
        .await
        .unwrap_err();
    assert_eq!(refused.code, 70013, "{refused}");
    assert_eq!(status(&manager), LoginStatus::LoggedIn);

    // A reconnect presents the ticket the session lives on, not the refused ones.
    events.drain();
    proxy.cut().await;
    events.until(|e| *e == SdkEvent::ConnectSuccess).await;
    assert_eq!(status(&manager), LoginStatus::LoggedIn);
    assert_eq!(online_users(&server, "alice").await, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn a_ticket_refused_on_the_open_session_still_expires_with_the_first() {
    let server = start_server().await;
    let (manager, mut events) = manager(&server.url());
    in_time(manager.login("alice", &ticket_expiring("alice", 2)))
        .await
        .unwrap();
    let refused = in_time(manager.login("alice", &ticket_with_key("alice", KEY2)))
        .await
        .unwrap_err();
    assert_eq!(refused.code, 70009);
    events.until(|e| *e == SdkEvent::UserSigExpired).await;
    assert_eq!(status(&manager), LoginStatus::LoggedOut);
    server.shutdown().await;
}
