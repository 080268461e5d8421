//! A logged-in session: heartbeats, logout, ticket expiry, silence, bad frames, shutdown.

mod support;

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use support::*;
use tim_protocol::{ClientFrame, Platform, ServerFrame};
use tim_testkit::client::Message;
use tim_testkit::client::login_request;

#[tokio::test]
async fn pings_get_pongs_and_logout_takes_the_session_offline() {
    let server = start(config()).await;
    let mut alice = online(&server, &request("alice", "i1", Platform::Android)).await;
    alice.send(&ClientFrame::Ping { seq: 41 }).await.unwrap();
    let ServerFrame::Pong {
        seq,
        server_time_ms,
    } = next(&mut alice).await
    else {
        panic!("expected a pong")
    };
    assert_eq!(seq, 41);
    assert!(server_time_ms / 1000 >= now() - 1);
    alice.send(&ClientFrame::Logout { seq: 42 }).await.unwrap();
    assert_eq!(
        next(&mut alice).await,
        ServerFrame::LogoutResult {
            seq: 42,
            code: 0,
            desc: "ok".into()
        }
    );
    assert_eq!(alice.closed().await, 1000);
    assert!(sessions(&server, "alice").await.is_empty());
    assert_eq!(server.metrics().sessions_online.load(Relaxed), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn a_ticket_that_expires_while_online_gets_the_push_then_a_close() {
    let server = start(config()).await;
    let short = login_request(APP, "alice", &ticket_for(APP, KEY, "alice", now(), 1), "i1");
    let mut alice = online(&server, &short).await;
    assert_eq!(
        alice.recv_within(Duration::from_secs(5)).await.unwrap(),
        ServerFrame::UserSigExpired
    );
    assert_eq!(alice.closed().await, 1008);
    assert!(sessions(&server, "alice").await.is_empty());
    assert_eq!(server.metrics().usersig_expired.load(Relaxed), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_heartbeat_timeout() {
    let mut config = config();
    config.heartbeat_timeout = Duration::from_millis(300);
    let server = start(config).await;
    let mut silent = online(&server, &request("alice", "i1", Platform::Android)).await;
    let code = tokio::time::timeout(WAIT, silent.closed()).await.unwrap();
    assert_eq!(code, 1001);
    assert!(sessions(&server, "alice").await.is_empty());
    assert_eq!(server.metrics().heartbeat_timeouts.load(Relaxed), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn malformed_frames_get_an_error_and_the_session_goes_on() {
    let server = start(config()).await;
    let mut alice = online(&server, &request("alice", "i1", Platform::Android)).await;
    for junk in ["", "{", r#"{"type":"fly"}"#, r#"{"type":"ping","seq":"x"}"#] {
        alice.send_raw(Message::Text(junk.into())).await.unwrap();
        let ServerFrame::Error { code, .. } = next(&mut alice).await else {
            panic!("expected an error for {junk:?}")
        };
        assert_eq!(code, 70402);
    }
    alice
        .send_raw(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    assert!(matches!(
        next(&mut alice).await,
        ServerFrame::Error { code: 70402, .. }
    ));
    alice
        .send(&ClientFrame::Login(request(
            "alice",
            "i1",
            Platform::Android,
        )))
        .await
        .unwrap();
    let ServerFrame::Error { desc, .. } = next(&mut alice).await else {
        panic!("expected an error for a second login")
    };
    assert!(desc.contains("already logged in"), "{desc}");
    alice.send(&ClientFrame::Ping { seq: 1 }).await.unwrap();
    assert!(matches!(
        next(&mut alice).await,
        ServerFrame::Pong { seq: 1, .. }
    ));
    assert_eq!(server.metrics().bad_frames.load(Relaxed), 6);
    server.shutdown().await;
}

#[tokio::test]
async fn an_oversized_frame_closes_that_connection_only() {
    let server = start(config()).await;
    let mut big = online(&server, &request("alice", "i1", Platform::Android)).await;
    let mut bob = online(&server, &request("bob", "i2", Platform::Android)).await;
    let huge = format!(
        r#"{{"type":"ping","seq":1,"pad":"{}"}}"#,
        "x".repeat(64 * 1024)
    );
    big.send_raw(Message::Text(huge.into())).await.unwrap();
    let code = tokio::time::timeout(WAIT, big.closed()).await.unwrap();
    assert_ne!(code, 1000, "not a normal close");
    assert!(
        sessions(&server, "alice").await.is_empty(),
        "its session went offline"
    );
    bob.send(&ClientFrame::Ping { seq: 2 }).await.unwrap();
    assert!(matches!(
        next(&mut bob).await,
        ServerFrame::Pong { seq: 2, .. }
    ));
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_tells_every_client_the_server_is_going_away() {
    let server = start(config()).await;
    let mut alice = online(&server, &request("alice", "i1", Platform::Android)).await;
    let mut bob = online(&server, &request("bob", "i2", Platform::Web)).await;
    let url = server.url();
    tokio::time::timeout(WAIT, server.shutdown())
        .await
        .expect("shutdown finishes");
    for client in [&mut alice, &mut bob] {
        let ServerFrame::GoingAway { reason } = next(client).await else {
            panic!("expected going away")
        };
        assert!(reason.contains("shutting down"));
        assert_eq!(client.closed().await, 1001);
    }
    assert!(
        tim_testkit::client::connect(&url, None).await.is_err(),
        "no longer listening"
    );
}
