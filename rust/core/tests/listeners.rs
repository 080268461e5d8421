//! Listeners cannot hurt the core: a blocked listener delays only later events, a panicking one
//! is skipped, and events arrive in order to every listener.

mod support;

use std::sync::{Arc, Mutex, mpsc as std_mpsc};
use support::*;
use tim_core::{LoginStatus, SdkEvent};

#[tokio::test]
async fn a_blocked_listener_never_blocks_the_core() {
    let server = start_server().await;
    let (manager, mut events) = manager(&server.url());
    let (release, blocked) = std_mpsc::channel::<()>();
    let blocked = Mutex::new(blocked);
    manager.add_listener(Arc::new(move |_: &SdkEvent| {
        let _ = blocked.lock().unwrap().recv();
    }));
    // The listener blocks on the first event; the core logs in, out and in again regardless.
    manager.login("alice", &ticket("alice")).await.unwrap();
    manager.logout().await.unwrap();
    manager.login("bob", &ticket("bob")).await.unwrap();
    assert_eq!(status(&manager), LoginStatus::LoggedIn);
    // Once released, the events of every listener come in order.
    drop(release);
    let seen: Vec<SdkEvent> = vec![
        events.next().await,
        events.next().await,
        events.next().await,
        events.next().await,
    ];
    assert_eq!(
        seen,
        [
            SdkEvent::Connecting,
            SdkEvent::ConnectSuccess,
            SdkEvent::Connecting,
            SdkEvent::ConnectSuccess
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
