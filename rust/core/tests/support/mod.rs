//! Test support: a `tim-server` on 127.0.0.1:0, tickets, managers with short timeouts, and a
//! listener whose events a test can await.
#![allow(dead_code, unused_imports)] // each test file uses a different part of this module

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tim_core::{LogLevel, LoginStatus, SdkConfig, SdkEvent, TimManager};
use tim_server::{AppConfig, RunningServer, Server, ServerConfig};
use tim_testkit::FaultProxy;
use tim_usersig::Claims;
use tokio::sync::mpsc;

pub use tim_testkit::tickets::{APP, KEY, WAIT, now, ticket};

pub fn ticket_expiring(user: &str, expire: u64) -> String {
    tim_usersig::sign(KEY, &Claims::new(APP, user, now(), expire))
}

pub fn server_config() -> ServerConfig {
    let mut config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    config.apps.insert(
        APP,
        AppConfig {
            keys: vec![KEY.to_owned()],
            ..Default::default()
        },
    );
    config
}

pub async fn start_server() -> RunningServer {
    start_server_with(server_config()).await
}

pub async fn start_server_with(config: ServerConfig) -> RunningServer {
    Server::bind(config).await.expect("bind").spawn()
}

/// A server and a proxy in front of it: clients use the proxy's address, as they use a server's
/// name, so the server can be restarted behind it ([`restart`]).
pub async fn start_behind_proxy() -> (RunningServer, FaultProxy) {
    let server = start_server().await;
    let proxy = FaultProxy::start(server.local_addr()).await;
    (server, proxy)
}

/// A new server, with none of the old one's state (a restarted process), at the address that
/// `proxy`'s clients know. Not rebinding the old port keeps tests free of a race with the
/// ephemeral ports the OS hands out meanwhile.
pub async fn restart(proxy: &FaultProxy) -> RunningServer {
    restart_with(proxy, server_config()).await
}

/// [`restart`] with another configuration (a key rotated, say).
pub async fn restart_with(proxy: &FaultProxy, config: ServerConfig) -> RunningServer {
    let server = start_server_with(config).await;
    proxy.set_upstream(server.local_addr());
    server
}

/// A second key of [`APP`], for tests that rotate keys.
pub const KEY2: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// The server configuration with `keys` as the app's keys.
pub fn server_config_with_keys(keys: &[&str]) -> ServerConfig {
    let mut config = server_config();
    if let Some(app) = config.apps.get_mut(&APP) {
        app.keys = keys.iter().map(|k| (*k).to_owned()).collect();
    }
    config
}

/// A ticket for `user` signed now with `key`, valid for a day.
pub fn ticket_with_key(user: &str, key: &str) -> String {
    tim_testkit::tickets::ticket_for(APP, key, user, now(), 86_400)
}

/// Timeouts short enough for tests, long enough for a loaded 2-core machine.
pub fn sdk_config(url: &str) -> SdkConfig {
    SdkConfig {
        server_url: url.to_owned(),
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(5),
        heartbeat_interval: Duration::from_secs(5),
        reconnect_min: Duration::from_millis(50),
        reconnect_max: Duration::from_millis(400),
        ..SdkConfig::default()
    }
}

/// A manager initialised against `url`, with a recording listener.
pub fn manager(url: &str) -> (Arc<TimManager>, Events) {
    manager_with(sdk_config(url))
}

pub fn manager_with(config: SdkConfig) -> (Arc<TimManager>, Events) {
    let manager = Arc::new(TimManager::new());
    let events = Events::attach(&manager);
    manager
        .init_sdk(APP, LogLevel::Warn, config)
        .expect("init_sdk");
    (manager, events)
}

/// The events a manager emitted, in order, for a test to await one by one.
pub struct Events(mpsc::UnboundedReceiver<SdkEvent>);

impl Events {
    pub fn attach(manager: &TimManager) -> Events {
        let (tx, rx) = mpsc::unbounded_channel();
        manager.add_listener(Arc::new(move |event: &SdkEvent| {
            let _ = tx.send(event.clone());
        }));
        Events(rx)
    }

    pub async fn next(&mut self) -> SdkEvent {
        tokio::time::timeout(WAIT, self.0.recv())
            .await
            .expect("an event in time")
            .expect("the listener is alive")
    }

    /// Skips events until one matches, and returns it.
    pub async fn until(&mut self, wanted: impl Fn(&SdkEvent) -> bool) -> SdkEvent {
        loop {
            let event = self.next().await;
            if wanted(&event) {
                return event;
            }
        }
    }

    /// Everything emitted so far, without waiting.
    pub fn drain(&mut self) -> Vec<SdkEvent> {
        std::iter::from_fn(|| self.0.try_recv().ok()).collect()
    }
}

pub fn status(manager: &TimManager) -> LoginStatus {
    manager.get_login_status().unwrap()
}

pub async fn online_users(server: &RunningServer, user: &str) -> usize {
    let account = tim_server::AccountKey {
        sdk_app_id: APP,
        user_id: user.to_owned(),
    };
    server.registry().sessions(&account).await.unwrap().len()
}

/// Polls `check` until it holds; panics naming `what` after `WAIT`.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + WAIT;
    while !check().await {
        assert!(Instant::now() < deadline, "not in time: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every call of a test must return within `WAIT`: a hang fails the test instead of the run.
pub async fn in_time<T>(call: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, call)
        .await
        .expect("the call returned in time")
}

/// A `ws://` URL of a loopback port that nothing listens on: bound, then closed, so no test
/// assumes that some fixed port is closed.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let url = format!("ws://{}", listener.local_addr().expect("its address"));
    drop(listener);
    url
}
