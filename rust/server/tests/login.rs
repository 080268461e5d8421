//! Logins against a real server on 127.0.0.1:0: success, and every refusal with its code.

mod support;

use std::time::Duration;
use support::*;
use tim_protocol::{ClientFrame, Platform, ServerFrame};
use tim_server::AppConfig;
use tim_testkit::client::{Connection, connect, login_request};

#[tokio::test]
async fn a_login_succeeds_registers_the_account_and_reports_the_server_time() {
    let server = start(config()).await;
    let before_ms = now() * 1000;
    let outcome = login(&server, &request("alice", "i1", Platform::Android)).await;
    assert_eq!(
        (outcome.result.code, outcome.result.desc.as_str()),
        (0, "ok")
    );
    assert_eq!(outcome.result.session_id.len(), 16);
    assert!(outcome.result.server_time_ms >= before_ms);
    assert_eq!(sessions(&server, "alice").await.len(), 1);
    assert_eq!(
        server
            .metrics()
            .accounts_registered
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    assert_eq!(server.metrics().logins(0), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn every_ticket_error_has_tencents_code() {
    let mut config = config();
    config.apps.insert(
        APP + 1,
        AppConfig {
            keys: vec!["other-key".into()],
            ..Default::default()
        },
    );
    config.apps.insert(
        APP + 2,
        AppConfig {
            keys: vec![],
            ..Default::default()
        },
    );
    let server = start(config).await;
    let with_ticket = |user: &str, ticket: String| login_request(APP, user, &ticket, "i1");

    let expired = ticket_for(APP, KEY, "u1", now() - 100, 10);
    assert_eq!(
        login_code(&server, &with_ticket("u1", expired)).await,
        70001
    );
    assert_eq!(
        login_code(&server, &with_ticket("u2", String::new())).await,
        70002
    );
    assert_eq!(
        login_code(
            &server,
            &with_ticket("u3", "eJyrVgrxCdYrSy1SslIyUqo".into())
        )
        .await,
        70003
    );
    let wrong_key = ticket_for(APP, "not-the-key", "u4", now(), 600);
    assert_eq!(
        login_code(&server, &with_ticket("u4", wrong_key)).await,
        70009
    );
    assert_eq!(
        login_code(&server, &with_ticket("u5", ticket("mallory"))).await,
        70013
    );
    let other_app = ticket_for(APP + 1, "other-key", "u6", now(), 600);
    assert_eq!(
        login_code(&server, &with_ticket("u6", other_app)).await,
        70014
    );
    let no_key = login_request(APP + 2, "u7", &ticket("u7"), "i1");
    assert_eq!(login_code(&server, &no_key).await, 70016);
    let unknown_app = login_request(APP + 3, "u8", &ticket("u8"), "i1");
    assert_eq!(login_code(&server, &unknown_app).await, 70020);

    assert_eq!(server.metrics().logins(70009), 1);
    assert_eq!(server.metrics().logins(0), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn malformed_login_requests_get_70402() {
    let server = start(config()).await;
    let mut bad_user = request("alice", "i1", Platform::Android);
    bad_user.user_id = "al ice".into();
    assert_eq!(login_code(&server, &bad_user).await, 70402);
    let mut long_user = request("alice", "i1", Platform::Android);
    long_user.user_id = "a".repeat(33);
    assert_eq!(login_code(&server, &long_user).await, 70402);
    let mut bad_version = request("alice", "i1", Platform::Android);
    bad_version.protocol = 99;
    let outcome = login(&server, &bad_version).await;
    assert_eq!(outcome.result.code, 70402);
    assert!(
        outcome.result.desc.contains("protocol version 99"),
        "{}",
        outcome.result.desc
    );
    let mut bad_instance = request("alice", "i1", Platform::Android);
    bad_instance.instance_id = "with space".into();
    assert_eq!(login_code(&server, &bad_instance).await, 70402);
    assert!(sessions(&server, "alice").await.is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn a_rotated_key_still_verifies() {
    let mut config = config();
    config
        .apps
        .get_mut(&APP)
        .unwrap()
        .keys
        .push("new-key".into());
    let server = start(config).await;
    let new = login_request(
        APP,
        "alice",
        &ticket_for(APP, "new-key", "alice", now(), 600),
        "i1",
    );
    assert_eq!(login_code(&server, &new).await, 0);
    let old = login_request(APP, "bob", &ticket("bob"), "i2");
    assert_eq!(login_code(&server, &old).await, 0);
    server.shutdown().await;
}

#[tokio::test]
async fn repeated_failures_lock_the_account_but_not_others() {
    let mut config = config();
    config.lockout.max_failures = 3;
    let server = start(config).await;
    let forged = login_request(
        APP,
        "alice",
        &ticket_for(APP, "guess", "alice", now(), 600),
        "i1",
    );
    for _ in 0..3 {
        assert_eq!(login_code(&server, &forged).await, 70009);
    }
    assert_eq!(login_code(&server, &forged).await, 70050);
    // Even the right ticket waits out the lock; other accounts are not affected.
    assert_eq!(
        login_code(&server, &request("alice", "i1", Platform::Android)).await,
        70050
    );
    assert_eq!(
        login_code(&server, &request("bob", "i2", Platform::Android)).await,
        0
    );
    // Expired tickets are an honest mistake and do not count.
    let expired = login_request(
        APP,
        "carol",
        &ticket_for(APP, KEY, "carol", now() - 100, 10),
        "i3",
    );
    for _ in 0..4 {
        assert_eq!(login_code(&server, &expired).await, 70001);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_first_frame_login_serves_clients_without_headers() {
    let server = start(config()).await;
    let mut connection = connect(&server.url(), None).await.unwrap();
    connection
        .send(&ClientFrame::Login(request("alice", "web1", Platform::Web)))
        .await
        .unwrap();
    let ServerFrame::LoginResult(result) = next(&mut connection).await else {
        panic!("expected a login result")
    };
    assert_eq!(result.code, 0, "{}", result.desc);
    assert_eq!(sessions(&server, "alice").await[0].platform, Platform::Web);

    // A first frame that is not a login is refused with 70402, then closed.
    let mut connection = connect(&server.url(), None).await.unwrap();
    connection
        .send(&ClientFrame::Ping { seq: 1 })
        .await
        .unwrap();
    let ServerFrame::LoginResult(result) = next(&mut connection).await else {
        panic!("expected a login result")
    };
    assert_eq!(result.code, 70402);
    assert_eq!(connection.closed().await, 1000);
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_that_never_logs_in_is_closed_after_the_login_timeout() {
    let mut config = config();
    config.login_timeout = Duration::from_millis(300);
    let server = start(config).await;
    let mut connection: Connection = connect(&server.url(), None).await.unwrap();
    let code = tokio::time::timeout(WAIT, connection.closed())
        .await
        .unwrap();
    assert_eq!(code, 1006, "closed without a word");
    server.shutdown().await;
}
