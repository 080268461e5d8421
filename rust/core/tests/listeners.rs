//! Listeners cannot hurt the core: a blocked listener delays only later events, a panicking one
//! is skipped, and events arrive in order to every listener.

mod support;

use std::sync::{Arc, Mutex, mpsc as std_mpsc};
use support::*;
use tim_core::{LoginStatus, SdkEvent};

#[tokio::test]
async fn a_blocked_listener_never_blocks_the_engine_and_answers_wait_behind_its_events() {
    let server = start_server().await;
    let (manager, mut events) = manager(&server.url());
    let (release, blocked) = std_mpsc::channel::<()>();
    let blocked = Mutex::new(blocked);
    manager.add_listener(Arc::new(move |_: &SdkEvent| {
        let _ = blocked.lock().unwrap().recv();
    }));
    // The listener blocks on the first event; the engine logs in regardless.
    let login = tokio::spawn({
        let manager = manager.clone();
        async move { manager.login("alice", &ticket("alice")).await }
    });
    eventually("the engine logged in", || async {
        status(&manager) == LoginStatus::LoggedIn
    })
    .await;
    assert_eq!(online_users(&server, "alice").await, 1);
    // The answer is queued behind the events the login emitted, which the listener holds up.
    assert!(!login.is_finished(), "the answer waits for its events");
    drop(release);
    assert_eq!(events.next().await, SdkEvent::Connecting);
    assert_eq!(events.next().await, SdkEvent::ConnectSuccess);
    in_time(login).await.unwrap().unwrap();
    server.shutdown().await;
}

#[tokio::test]
async fn a_login_answers_after_the_listeners_heard_its_events() {
    let server = start_server().await;
    let manager = Arc::new(tim_core::TimManager::new());
    let heard = Arc::new(Mutex::new(Vec::new()));
    manager.add_listener(Arc::new({
        let heard = heard.clone();
        move |event: &SdkEvent| {
            // A slow host: the answer must still come after this event.
            std::thread::sleep(std::time::Duration::from_millis(20));
            heard.lock().unwrap().push(event.name());
        }
    }));
    manager
        .init_sdk(APP, tim_core::LogLevel::None, sdk_config(&server.url()))
        .unwrap();
    manager.login("alice", &ticket("alice")).await.unwrap();
    heard.lock().unwrap().push("login answered");
    manager.logout().await.unwrap();
    manager.login("bob", &ticket("bob")).await.unwrap();
    heard.lock().unwrap().push("login answered");
    assert_eq!(
        *heard.lock().unwrap(),
        [
            "onConnecting",
            "onConnectSuccess",
            "login answered",
            "onConnecting",
            "onConnectSuccess",
            "login answered"
        ]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_panicking_listener_is_skipped_and_others_still_hear() {
    let server = start_server().await;
    let manager = tim_core::TimManager::new();
    let calls = Arc::new(Mutex::new(0));
    let counted = calls.clone();
    // Added first, so it has run by the time the recording listener hears an event.
    let id = manager.add_listener(Arc::new(move |_: &SdkEvent| {
        *counted.lock().unwrap() += 1;
        panic!("a listener bug");
    }));
    let mut events = Events::attach(&manager);
    manager
        .init_sdk(APP, tim_core::LogLevel::None, sdk_config(&server.url()))
        .unwrap();
    manager.login("alice", &ticket("alice")).await.unwrap();
    assert_eq!(events.next().await, SdkEvent::Connecting);
    assert_eq!(events.next().await, SdkEvent::ConnectSuccess);
    assert_eq!(
        *calls.lock().unwrap(),
        2,
        "called for each event despite panicking"
    );
    assert!(manager.remove_listener(id));
    assert!(!manager.remove_listener(id));
    manager.logout().await.unwrap();
    manager.login("alice", &ticket("alice")).await.unwrap();
    events.until(|e| *e == SdkEvent::ConnectSuccess).await;
    assert_eq!(
        *calls.lock().unwrap(),
        2,
        "a removed listener hears nothing"
    );
    server.shutdown().await;
}
