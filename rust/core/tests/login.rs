//! The login API against a real `tim-server`: codes, status, joins, switches, logout and
//! unInitSDK racing with a login.

mod support;

use std::sync::atomic::Ordering::Relaxed;
use support::*;
use tim_core::{LogLevel, LoginStatus, SdkConfig, SdkEvent, TimManager, code};

#[tokio::test]
async fn every_call_before_init_answers_6013() {
    let manager = TimManager::new();
    assert_eq!(
        manager
            .login("alice", &ticket("alice"))
            .await
            .unwrap_err()
            .code,
        6013
    );
    assert_eq!(manager.logout().await.unwrap_err().code, 6013);
    assert_eq!(manager.get_login_status().unwrap_err().code, 6013);
    assert_eq!(manager.get_login_user().unwrap_err().code, 6013);
    assert_eq!(manager.get_server_time().unwrap_err().code, 6013);
    assert!(manager.un_init_sdk().await.is_ok());
    assert!(!TimManager::get_version().is_empty());
}

#[tokio::test]
async fn init_checks_its_arguments() {
    let manager = TimManager::new();
    let err = manager
        .init_sdk(0, LogLevel::Info, SdkConfig::default())
        .unwrap_err();
    assert_eq!(err.code, 6017);
    let config = SdkConfig {
        server_url: "http://example".into(),
        ..SdkConfig::default()
    };
    assert_eq!(
        manager
            .init_sdk(APP, LogLevel::Info, config)
            .unwrap_err()
            .code,
        6017
    );
    manager
        .init_sdk(APP, LogLevel::Info, SdkConfig::default())
        .unwrap();
    manager
        .init_sdk(APP, LogLevel::Info, SdkConfig::default())
        .unwrap();
    let err = manager
        .init_sdk(APP + 1, LogLevel::Info, SdkConfig::default())
        .unwrap_err();
    assert_eq!(err.code, 90101);
    manager.un_init_sdk().await.unwrap();
    manager
        .init_sdk(APP + 1, LogLevel::Info, SdkConfig::default())
        .unwrap();
    manager.un_init_sdk().await.unwrap();
}

#[tokio::test]
async fn a_login_succeeds_and_reports_user_status_and_server_time() {
    let server = start_server().await;
    let (manager, mut events) = manager(&server.url());
    assert_eq!(status(&manager), LoginStatus::LoggedOut);
    assert_eq!(manager.get_server_time().unwrap_err().code, 6014);
    manager.login("alice", &ticket("alice")).await.unwrap();
    assert_eq!(status(&manager), LoginStatus::LoggedIn);
    assert_eq!(manager.get_login_user().unwrap(), "alice");
    let server_time = manager.get_server_time().unwrap();
    assert!(
        server_time.abs_diff(now()) <= 2,
        "{server_time} vs {}",
        now()
    );
    assert_eq!(events.next().await, SdkEvent::Connecting);
    assert_eq!(events.next().await, SdkEvent::ConnectSuccess);
    assert_eq!(online_users(&server, "alice").await, 1);
    manager.logout().await.unwrap();
    assert_eq!(status(&manager), LoginStatus::LoggedOut);
    assert_eq!(manager.get_login_user().unwrap(), "");
    assert_eq!(
        online_users(&server, "alice").await,
        0,
        "logged out on the server"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_bad_user_id_answers_7003_without_touching_the_network() {
    // Nothing listens there: a network attempt would answer 9508.
    let (manager, _events) = manager(&closed_port_url());
    for user in ["", "al ice", &"x".repeat(33), "bjørn"] {
        let err = manager.login(user, "ticket").await.unwrap_err();
        assert_eq!(err.code, code::INVALID_IDENTIFIER, "{user:?}");
    }
    assert_eq!(
        manager.login("alice", "ticket").await.unwrap_err().code,
        9508
    );
}

#[tokio::test]
async fn server_codes_pass_through_unchanged() {
    let server = start_server().await;
    let (manager, _events) = manager(&server.url());
    let forged = tim_usersig::sign(
        "guessed",
        &tim_usersig::Claims::new(APP, "alice", now(), 600),
    );
    assert_eq!(
        manager.login("alice", &forged).await.unwrap_err().code,
        70009
    );
    assert_eq!(
        manager
            .login("alice", &ticket("bob"))
            .await
            .unwrap_err()
            .code,
        70013
    );
    assert_eq!(manager.login("alice", "").await.unwrap_err().code, 70002);
    let expired = tim_usersig::sign(
        KEY,
        &tim_usersig::Claims::new(APP, "alice", now() - 100, 10),
    );
    let err = manager.login("alice", &expired).await.unwrap_err();
    assert_eq!(err.code, 70001);
    assert!(err.is_user_sig_expired());
    assert_eq!(status(&manager), LoginStatus::LoggedOut);
    server.shutdown().await;
}

#[tokio::test]
async fn concurrent_logins_of_one_user_join_a_single_network_login() {
    let server = start_server().await;
    let (manager, _events) = manager(&server.url());
    let alice = ticket("alice");
    let (a, b, c) = tokio::join!(
        manager.login("alice", &alice),
        manager.login("alice", &alice),
        manager.login("alice", &alice)
    );
    assert_eq!((a, b, c), (Ok(()), Ok(()), Ok(())));
    assert_eq!(
        server.metrics().logins(0),
        1,
        "one login reached the server"
    );
    // Logged in already: succeeds at once, still one login on the server.
    manager.login("alice", &alice).await.unwrap();
    assert_eq!(server.metrics().logins(0), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn logging_in_as_another_user_switches_accounts() {
    let server = start_server().await;
    let (manager, _events) = manager(&server.url());
    manager.login("alice", &ticket("alice")).await.unwrap();
    manager.login("bob", &ticket("bob")).await.unwrap();
    assert_eq!(manager.get_login_user().unwrap(), "bob");
    assert_eq!(
        online_users(&server, "alice").await,
        0,
        "alice was logged out on the server"
    );
    assert_eq!(online_users(&server, "bob").await, 1);
    assert_eq!(server.metrics().kicks.load(Relaxed), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn a_second_device_kicks_the_first() {
    let server = start_server().await;
    let (phone1, mut events1) = manager(&server.url());
    let (phone2, _events2) = manager(&server.url());
    phone1.login("alice", &ticket("alice")).await.unwrap();
    phone2.login("alice", &ticket("alice")).await.unwrap();
    assert_eq!(
        events1.until(|e| *e == SdkEvent::KickedOffline).await,
        SdkEvent::KickedOffline
    );
    assert_eq!(status(&phone1), LoginStatus::LoggedOut);
    assert_eq!(status(&phone2), LoginStatus::LoggedIn);
    assert_eq!(online_users(&server, "alice").await, 1);
    // No reconnect follows a kick.
    phone2.logout().await.unwrap();
    assert_eq!(online_users(&server, "alice").await, 0);
    assert!(
        events1.drain().iter().all(|e| *e != SdkEvent::Connecting),
        "phone1 stayed offline"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn un_init_logs_out_and_later_calls_answer_6013() {
    let server = start_server().await;
    let (manager, _events) = manager(&server.url());
    manager.login("alice", &ticket("alice")).await.unwrap();
    manager.un_init_sdk().await.unwrap();
    assert_eq!(online_users(&server, "alice").await, 0);
    assert_eq!(manager.get_login_status().unwrap_err().code, 6013);
    assert_eq!(
        manager
            .login("alice", &ticket("alice"))
            .await
            .unwrap_err()
            .code,
        6013
    );
    server.shutdown().await;
}

/// A login that joins one under way brings a newer ticket: when the server refuses the first
/// ticket, the attempt is made again with the newer one, and every caller gets its result.
#[tokio::test]
async fn a_joining_login_with_a_newer_ticket_is_tried_when_the_first_is_refused() {
    let server = start_server().await;
    let proxy = tim_testkit::FaultProxy::start(server.local_addr()).await;
    proxy.set_delay(std::time::Duration::from_millis(100)); // the first attempt is still out
    let (manager, mut events) = manager(&proxy.url_ws());
    let stale = tokio::spawn({
        let manager = manager.clone();
        // Signed with a key the server does not have: refused with 70009.
        async move {
            manager
                .login("alice", &ticket_with_key("alice", KEY2))
                .await
        }
    });
    assert_eq!(events.next().await, SdkEvent::Connecting);
    in_time(manager.login("alice", &ticket("alice")))
        .await
        .unwrap();
    in_time(stale).await.unwrap().unwrap();
    assert_eq!(status(&manager), LoginStatus::LoggedIn);
    assert_eq!(
        server.metrics().logins(70009),
        1,
        "the stale ticket was refused once"
    );
    assert_eq!(online_users(&server, "alice").await, 1);
    server.shutdown().await;
}
