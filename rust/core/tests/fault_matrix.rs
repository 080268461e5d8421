//! The fault matrix: one test per fault a phone's network or a server deploy injects, each
//! asserting that clients come back by themselves and that nothing is lost (docs/reliability.md).
//!
//! Rows tested elsewhere: a cut connection and a half-open one (`faults.rs`), a server going
//! away gracefully and restarting behind the same address, and a ticket expiring while offline
//! (`reconnect.rs`).
//!
//! Recovery times are printed (`--nocapture`), never asserted.

mod support;

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};
use support::*;
use tim_core::{LoginStatus, SdkConfig, SdkEvent, TimManager};
use tim_server::RunningServer;
use tim_testkit::FaultProxy;

/// Managers online when the server is killed; `TIM_FAULT_CLIENTS=1000` for the full figure.
fn client_count() -> usize {
    std::env::var("TIM_FAULT_CLIENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200)
}

/// Longer than two reconnect backoffs of `sdk_config`: a reconnect that was going to happen
/// has happened by then. The quiet period is the point where it is used: what these tests
/// assert is that no event follows, and no later event could prove an absence sooner.
const QUIET: Duration = Duration::from_millis(1000);

fn failed(event: &SdkEvent) -> bool {
    matches!(event, SdkEvent::ConnectFailed { .. })
}

fn connected(event: &SdkEvent) -> bool {
    *event == SdkEvent::ConnectSuccess
}

/// A server behind a fault proxy, and a manager logged in as `user` through the proxy.
async fn online_through_proxy(
    user: &str,
    config: impl FnOnce(SdkConfig) -> SdkConfig,
) -> (RunningServer, FaultProxy, Arc<TimManager>, Events) {
    let server = start_server().await;
    let proxy = FaultProxy::start(server.local_addr()).await;
    let (manager, mut events) = manager_with(config(sdk_config(&proxy.url_ws())));
    in_time(manager.login(user, &ticket(user))).await.unwrap();
    events.until(connected).await;
    (server, proxy, manager, events)
}

/// The server is down from the clients' view: open connections reset, new ones refused.
async fn kill(proxy: &FaultProxy) {
    proxy.refuse(true);
    proxy.cut().await;
}

/// Nothing more happens to `events` for a while: no reconnect, no kick.
async fn stays_quiet(events: &mut Events) {
    tokio::time::sleep(QUIET).await;
    assert_eq!(events.drain(), [], "nothing after the fault was over");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_and_restarted_server_gets_every_client_back_exactly_once() {
    let n = client_count();
    let server = start_server().await;
    let proxy = FaultProxy::start(server.local_addr()).await;
    let mut clients = Vec::with_capacity(n);
    let mut logins = tokio::task::JoinSet::new();
    for i in 0..n {
        let (manager, events) = manager(&proxy.url_ws());
        logins.spawn({
            let manager = manager.clone();
            async move {
                manager
                    .login(&format!("u{i}"), &ticket(&format!("u{i}")))
                    .await
            }
        });
        clients.push((manager, events));
    }
    while let Some(login) = in_time(logins.join_next()).await {
        login.unwrap().unwrap();
    }
    for (_, events) in &mut clients {
        events.until(connected).await;
    }
    assert_eq!(server.metrics().sessions_online.load(Relaxed), n as i64);

    // Killed: every socket resets at once and no going-away is said; then the process is gone.
    kill(&proxy).await;
    server.shutdown().await;
    for (_, events) in &mut clients {
        events.until(failed).await; // every client noticed and is retrying
    }
    let server = restart(&proxy).await;
    for (manager, events) in &mut clients {
        events.drain();
        assert_eq!(status(manager), LoginStatus::LoggedIn, "still logged in");
    }
    let back = Instant::now();
    proxy.refuse(false);
    for (_, events) in &mut clients {
        events.until(connected).await;
    }
    let recovery = back.elapsed();
    eprintln!("{n} clients back {recovery:?} after the server returned");

    stays_quiet_all(&mut clients).await;
    let metrics = server.metrics();
    assert_eq!(metrics.logins(0), n as u64, "one reconnect login each");
    assert_eq!(
        metrics.kicks.load(Relaxed),
        0,
        "no one kicked by a reconnect"
    );
    assert_eq!(metrics.sessions_online.load(Relaxed), n as i64);
    for (manager, _) in &clients {
        assert_eq!(status(manager), LoginStatus::LoggedIn);
    }
    server.shutdown().await;
}

/// Waits out [`QUIET`] once for all, then checks each client emitted nothing more (no second
/// ConnectSuccess, no kick).
async fn stays_quiet_all(clients: &mut [(Arc<TimManager>, Events)]) {
    tokio::time::sleep(QUIET).await;
    for (i, (_, events)) in clients.iter_mut().enumerate() {
        assert_eq!(events.drain(), [], "client {i} after it came back");
    }
}

#[tokio::test]
async fn under_a_50ms_delay_logins_succeed_and_heartbeats_never_misfire() {
    let server = start_server().await;
    let proxy = FaultProxy::start(server.local_addr()).await;
    proxy.set_delay(Duration::from_millis(50)); // a round trip costs 100 ms or more
    let interval = Duration::from_millis(400);
    let (manager, mut events) = manager_with(SdkConfig {
        heartbeat_interval: interval,
        ..sdk_config(&proxy.url_ws())
    });
    let started = Instant::now();
    in_time(manager.login("alice", &ticket("alice")))
        .await
        .unwrap();
    eprintln!("login over a 50 ms link: {:?}", started.elapsed());
    assert_eq!(events.next().await, SdkEvent::Connecting);
    assert_eq!(events.next().await, SdkEvent::ConnectSuccess);

    // The quiet period is the point: six heartbeats, each answered 100 ms later, must pass
    // without a reconnect; an absence has no event to await.
    tokio::time::sleep(interval * 6).await;
    assert_eq!(events.drain(), [], "no reconnect while the link is slow");
    assert_eq!(status(&manager), LoginStatus::LoggedIn);
    assert!(manager.get_server_time().is_ok(), "pongs kept the clock");
    assert_eq!(server.metrics().logins(0), 1, "no second login");
    assert_eq!(server.metrics().heartbeat_timeouts.load(Relaxed), 0);
    assert_eq!(online_users(&server, "alice").await, 1);
    server.shutdown().await;
}

/// A device coming back online never logs out the device the user moved to while it was
/// offline: A's reconnect is refused with 6208 (Tencent's "kicked by another device while
/// offline"), A logs out with `onKickedOffline`, and B stays online.
#[tokio::test]
async fn a_device_coming_back_is_kicked_by_the_device_that_logged_in_while_it_was_offline() {
    let (server, proxy, a, mut a_events) = online_through_proxy("alice", |c| c).await;
    kill(&proxy).await;
    a_events.until(failed).await;
    eventually("A's session left the server", || async {
        online_users(&server, "alice").await == 0
    })
    .await;

    // B: the same user on the same platform, straight to the server.
    let (b, mut b_events) = manager(&server.url());
    in_time(b.login("alice", &ticket("alice"))).await.unwrap();
    b_events.until(connected).await;
    assert_eq!(server.metrics().kicks.load(Relaxed), 0, "A was offline");

    proxy.refuse(false);
    assert_eq!(
        a_events.until(|e| *e == SdkEvent::KickedOffline).await,
        SdkEvent::KickedOffline
    );
    assert_eq!(status(&a), LoginStatus::LoggedOut);
    assert_eq!(status(&b), LoginStatus::LoggedIn);
    assert_eq!(server.metrics().logins(6208), 1);
    assert_eq!(server.metrics().kicks.load(Relaxed), 0);
    assert_eq!(online_users(&server, "alice").await, 1);
    stays_quiet(&mut b_events).await;
    stays_quiet(&mut a_events).await;
    server.shutdown().await;
}

#[tokio::test]
async fn logout_during_a_reconnect_in_flight_ends_it_for_good() {
    let (server, proxy, manager, mut events) = online_through_proxy("alice", |c| c).await;
    let accepted = proxy.accepted();
    proxy.stall(); // the reconnect reaches the proxy and hangs there
    proxy.cut().await;
    assert_eq!(events.next().await, SdkEvent::Connecting);
    eventually("the reconnect reached the proxy", || async {
        proxy.accepted() > accepted
    })
    .await;

    in_time(manager.logout()).await.unwrap();
    assert_eq!(status(&manager), LoginStatus::LoggedOut);
    proxy.resume(); // whatever the attempt had sent is delivered now
    eventually("no session and no connection left", || async {
        proxy.connections() == 0 && online_users(&server, "alice").await == 0
    })
    .await;
    let accepted = proxy.accepted();
    stays_quiet(&mut events).await;
    assert_eq!(proxy.accepted(), accepted, "no later reconnect");
    assert_eq!(status(&manager), LoginStatus::LoggedOut);
    eprintln!(
        "logout during a reconnect: {} successful logins on the server",
        server.metrics().logins(0)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn un_init_during_the_reconnect_backoff_stops_reconnecting() {
    let (server, proxy, manager, mut events) = online_through_proxy("alice", |c| SdkConfig {
        reconnect_min: Duration::from_millis(500),
        reconnect_max: Duration::from_millis(500),
        ..c
    })
    .await;
    kill(&proxy).await;
    events.until(failed).await; // the next attempt waits out the backoff

    in_time(manager.un_init_sdk()).await.unwrap();
    let accepted = proxy.accepted();
    proxy.refuse(false);
    stays_quiet(&mut events).await;
    assert_eq!(proxy.accepted(), accepted, "no attempt after unInitSDK");
    assert!(manager.get_login_status().is_err(), "not initialised");
    assert_eq!(online_users(&server, "alice").await, 0);
    server.shutdown().await;
}

#[tokio::test]
async fn a_login_as_bob_while_alice_reconnects_leaves_bob_alone_online() {
    let (server, proxy, manager, mut events) = online_through_proxy("alice", |c| c).await;
    proxy.stall();
    proxy.cut().await;
    assert_eq!(
        events.next().await,
        SdkEvent::Connecting,
        "alice reconnecting"
    );

    let bob = tokio::spawn({
        let manager = manager.clone();
        async move { manager.login("bob", &ticket("bob")).await }
    });
    assert_eq!(events.next().await, SdkEvent::Connecting, "bob logging in");
    assert_eq!(status(&manager), LoginStatus::LoggingIn);
    proxy.resume();
    in_time(bob).await.unwrap().unwrap();
    assert_eq!(events.next().await, SdkEvent::ConnectSuccess);
    assert_eq!(manager.get_login_user().unwrap(), "bob");

    eventually("bob alone online", || async {
        online_users(&server, "alice").await == 0 && online_users(&server, "bob").await == 1
    })
    .await;
    stays_quiet(&mut events).await;
    assert_eq!(
        online_users(&server, "alice").await,
        0,
        "alice never came back"
    );
    assert_eq!(manager.get_login_user().unwrap(), "bob");
    assert_eq!(server.metrics().kicks.load(Relaxed), 0);
    server.shutdown().await;
}

/// A small deterministic generator: the same calls on every run, without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_logins_logouts_and_switches_racing_cuts_settle_where_the_server_is() {
    let server = start_server().await;
    let proxy = Arc::new(FaultProxy::start(server.local_addr()).await);
    let (manager, _events) = manager(&proxy.url_ws());
    let mut callers = tokio::task::JoinSet::new();
    for task in 0..4u64 {
        let manager = manager.clone();
        callers.spawn(async move {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (task + 1));
            let mut codes = Vec::new();
            for _ in 0..30 {
                let result = match rng.below(3) {
                    0 => in_time(manager.login("alice", &ticket("alice"))).await,
                    1 => in_time(manager.login("bob", &ticket("bob"))).await,
                    _ => in_time(manager.logout()).await,
                };
                let code = result.map_or_else(|e| e.code, |()| 0);
                // Superseded or logged out, or a login attempt that a cut broke.
                assert!([0, 6023, 6012, 9508, 9510, 9514].contains(&code));
                codes.push(code);
                tokio::time::sleep(Duration::from_millis(rng.below(20))).await;
            }
            codes
        });
    }
    callers.spawn({
        let proxy = proxy.clone();
        async move {
            for _ in 0..10 {
                tokio::time::sleep(Duration::from_millis(60)).await;
                proxy.cut().await;
            }
            Vec::new()
        }
    });
    let mut codes = std::collections::BTreeMap::<i32, usize>::new();
    while let Some(caller) = in_time(callers.join_next()).await {
        for code in caller.unwrap() {
            *codes.entry(code).or_default() += 1;
        }
    }

    let settled = Instant::now();
    eventually("the server agrees with the status", || async {
        let alice = online_users(&server, "alice").await;
        let bob = online_users(&server, "bob").await;
        match (status(&manager), manager.get_login_user().unwrap().as_str()) {
            (LoginStatus::LoggedIn, "alice") => (alice, bob) == (1, 0),
            (LoginStatus::LoggedIn, "bob") => (alice, bob) == (0, 1),
            (LoginStatus::LoggedOut, _) => (alice, bob) == (0, 0),
            _ => false,
        }
    })
    .await;
    eprintln!(
        "random calls (code: count) {codes:?}; settled {:?} after the last call, as {:?} {:?}",
        settled.elapsed(),
        status(&manager),
        manager.get_login_user().unwrap()
    );
    assert_eq!(server.metrics().kicks.load(Relaxed), 0, "one instance");
    server.shutdown().await;
}

/// The engine runs on the core's runtime, so its timers must belong to that runtime, not to
/// whichever one (if any) the host called `initSDK` from: a timer of the caller's runtime stops
/// (and panics the engine) when that runtime shuts down, as every test's does.
#[test]
fn init_sdk_needs_no_runtime_of_the_caller() {
    let manager = TimManager::new();
    manager
        .init_sdk(
            APP,
            tim_core::LogLevel::Warn,
            sdk_config(&closed_port_url()),
        )
        .unwrap();
    assert_eq!(status(&manager), LoginStatus::LoggedOut);
}
