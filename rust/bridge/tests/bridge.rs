//! The JSON surface against a real `tim-server`: every method, every bad-parameter shape, and
//! events reaching the sink.

use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tim_bridge::Bridge;
use tim_server::{AppConfig, RunningServer, Server, ServerConfig};
use tim_testkit::tickets::{APP, KEY, WAIT, ticket};
use tokio::sync::mpsc;

/// A `ws://` URL of a loopback port that nothing listens on: bound, then closed, so no test
/// assumes that some fixed port is closed.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let url = format!("ws://{}", listener.local_addr().expect("its address"));
    drop(listener);
    url
}

async fn server() -> RunningServer {
    let mut config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    };
    config.apps.insert(
        APP,
        AppConfig {
            keys: vec![KEY.into()],
            ..Default::default()
        },
    );
    Server::bind(config).await.unwrap().spawn()
}

struct Host {
    bridge: Bridge,
    events: mpsc::UnboundedReceiver<Value>,
}

impl Host {
    fn new() -> Host {
        let (tx, events) = mpsc::unbounded_channel();
        let bridge = Bridge::new(Arc::new(move |json: String| {
            let _ = tx.send(serde_json::from_str(&json).unwrap());
        }));
        Host { bridge, events }
    }

    async fn call(&self, method: &str, params: Value) -> Value {
        self.call_text(method, &params.to_string()).await
    }

    async fn call_text(&self, method: &str, params: &str) -> Value {
        serde_json::from_str(&self.bridge.call(method, params).await).unwrap()
    }

    async fn init(&self, url: &str) {
        let config = json!({ "serverUrl": url, "reconnectMinMs": 50, "reconnectMaxMs": 200 });
        let answer = self
            .call(
                "initSDK",
                json!({ "sdkAppID": APP, "logLevel": 5, "config": config }),
            )
            .await;
        assert_eq!(answer, json!({ "code": 0, "desc": "ok", "data": true }));
    }

    async fn event(&mut self) -> Value {
        tokio::time::timeout(WAIT, self.events.recv())
            .await
            .unwrap()
            .unwrap()
    }

    async fn event_named(&mut self, name: &str) -> Value {
        loop {
            let event = self.event().await;
            if event["type"] == name {
                return event;
            }
        }
    }
}

fn code(answer: &Value) -> i64 {
    answer["code"].as_i64().unwrap()
}

/// Asserts a 6017 whose description names `words`.
fn invalid(answer: &Value, words: &[&str]) {
    assert_eq!(code(answer), 6017, "{answer}");
    let desc = answer["desc"].as_str().unwrap();
    for word in words {
        assert!(desc.contains(word), "{desc:?} should mention {word:?}");
    }
}

#[tokio::test]
async fn the_whole_api_through_json() {
    let server = server().await;
    let mut host = Host::new();
    assert_eq!(code(&host.call("getLoginStatus", json!({})).await), 6013);
    host.init(&server.url()).await;
    assert_eq!(
        host.call("getLoginStatus", json!({})).await,
        json!({ "code": 0, "desc": "ok", "data": 3 })
    );
    assert_eq!(host.call("getLoginUser", json!({})).await["data"], "");
    let login = host
        .call(
            "login",
            json!({ "userID": "alice", "userSig": ticket("alice") }),
        )
        .await;
    assert_eq!(login, json!({ "code": 0, "desc": "ok" }));
    assert_eq!(
        host.event().await,
        json!({ "type": "onConnecting", "data": null })
    );
    assert_eq!(
        host.event().await,
        json!({ "type": "onConnectSuccess", "data": null })
    );
    assert_eq!(host.call("getLoginStatus", json!({})).await["data"], 1);
    assert_eq!(host.call("getLoginUser", json!({})).await["data"], "alice");
    let time = host.call("getServerTime", json!({})).await["data"]
        .as_u64()
        .unwrap();
    assert!(time > 1_700_000_000);
    assert_eq!(
        host.call("getVersion", json!(null)).await["data"],
        env!("CARGO_PKG_VERSION")
    );
    let hint = host
        .call("callExperimentalAPI", json!({ "api": "networkChanged" }))
        .await;
    assert_eq!(code(&hint), 0);

    // A second device of alice kicks this one; the event reaches the sink.
    let other = Host::new();
    other.init(&server.url()).await;
    assert_eq!(
        code(
            &other
                .call(
                    "login",
                    json!({ "userID": "alice", "userSig": ticket("alice") })
                )
                .await
        ),
        0
    );
    assert_eq!(
        host.event_named("onKickedOffline").await["data"],
        Value::Null
    );
    assert_eq!(host.call("getLoginStatus", json!({})).await["data"], 3);

    assert_eq!(code(&other.call("logout", json!({})).await), 0);
    assert_eq!(code(&other.call("unInitSDK", json!({})).await), 0);
    assert_eq!(code(&other.call("getLoginStatus", json!({})).await), 6013);
    server.shutdown().await;
}

#[tokio::test]
async fn server_codes_and_connect_failures_come_through() {
    let server = server().await;
    let mut host = Host::new();
    host.init(&server.url()).await;
    let forged = tim_usersig::sign(
        "guess",
        &tim_usersig::Claims::new(APP, "alice", 1_900_000_000, 60),
    );
    let answer = host
        .call("login", json!({ "userID": "alice", "userSig": forged }))
        .await;
    assert_eq!(code(&answer), 70009);
    assert_eq!(
        code(
            &host
                .call("login", json!({ "userID": "a b", "userSig": "x" }))
                .await
        ),
        7003
    );
    host.call("unInitSDK", json!({})).await;
    host.call(
        "initSDK",
        json!({ "sdkAppID": APP, "logLevel": 0, "config": { "serverUrl": closed_port_url() } }),
    )
    .await;
    let answer = host
        .call(
            "login",
            json!({ "userID": "alice", "userSig": ticket("alice") }),
        )
        .await;
    assert_eq!(code(&answer), 9508);
    let failed = host.event_named("onConnectFailed").await;
    assert_eq!(failed["data"]["code"], 9508);
    assert!(failed["data"]["desc"].as_str().unwrap().contains("server"));
    server.shutdown().await;
}

#[tokio::test]
async fn every_bad_parameter_shape_answers_6017_naming_it() {
    let host = Host::new();
    invalid(
        &host.call("fly", json!({})).await,
        &["unknown method", "fly", "login"],
    );
    invalid(
        &host.call_text("login", "{not json").await,
        &["login", "not valid JSON"],
    );
    invalid(
        &host.call_text("login", "[1,2]").await,
        &["must be a JSON object", "an array"],
    );
    invalid(&host.call_text("login", "\"alice\"").await, &["a string"]);

    let init = |params: Value| async move { Host::new().call("initSDK", params).await };
    invalid(
        &init(json!({ "logLevel": 3 })).await,
        &["sdkAppID", "missing"],
    );
    invalid(
        &init(json!({ "sdkAppID": "1400000000", "logLevel": 3 })).await,
        &["sdkAppID", "whole number", "a string"],
    );
    invalid(
        &init(json!({ "sdkAppID": -1, "logLevel": 3 })).await,
        &["sdkAppID", "not negative"],
    );
    invalid(
        &init(json!({ "sdkAppID": 1.5, "logLevel": 3 })).await,
        &["sdkAppID"],
    );
    invalid(
        &init(json!({ "sdkAppID": 0, "logLevel": 3 })).await,
        &["sdkAppID"],
    );
    invalid(
        &init(json!({ "sdkAppID": APP })).await,
        &["logLevel", "missing"],
    );
    invalid(
        &init(json!({ "sdkAppID": APP, "logLevel": 2 })).await,
        &["logLevel", "0, 3, 4, 5 or 6"],
    );
    invalid(
        &init(json!({ "sdkAppID": APP, "logLevel": 3, "config": "ws://x" })).await,
        &["config", "an object"],
    );
    invalid(
        &init(json!({ "sdkAppID": APP, "logLevel": 3, "config": { "serverUrl": 7 } })).await,
        &["serverUrl", "a string"],
    );
    invalid(
        &init(json!({ "sdkAppID": APP, "logLevel": 3, "config": { "serverURL": "ws://x" } })).await,
        &["unknown parameter serverURL"],
    );
    invalid(
        &init(json!({ "sdkAppID": APP, "logLevel": 3, "config": { "serverUrl": "http://x" } }))
            .await,
        &["serverUrl", "ws://"],
    );
    invalid(
        &init(json!({ "sdkAppID": APP, "logLevel": 3, "config": { "platform": "nokia" } })).await,
        &["platform"],
    );
    invalid(
        &init(json!({ "sdkAppID": APP, "logLevel": 3, "config": { "serverUrl": "ws://im.example.com" } }))
            .await,
        &["clear text", "allowCleartext"],
    );
    invalid(
        &init(json!({ "sdkAppID": APP, "logLevel": 3, "config": { "allowCleartext": "yes" } }))
            .await,
        &["allowCleartext", "a boolean"],
    );
    let allowed = init(json!({ "sdkAppID": APP, "logLevel": 3,
        "config": { "serverUrl": "ws://im.example.com", "allowCleartext": true } }));
    assert_eq!(
        code(&allowed.await),
        0,
        "allowCleartext allows ws:// to any host"
    );
    invalid(
        &init(json!({ "sdkAppID": APP, "logLevel": 3, "config": { "heartbeatIntervalMs": "5" } }))
            .await,
        &["heartbeatIntervalMs"],
    );
    invalid(
        &init(json!({ "sdkAppID": APP, "logLevel": 3, "extra": 1 })).await,
        &["unknown parameter extra"],
    );

    host.init(&closed_port_url()).await;
    invalid(
        &host.call("login", json!({ "userSig": "x" })).await,
        &["userID", "missing", "a string"],
    );
    invalid(
        &host
            .call("login", json!({ "userID": 42, "userSig": "x" }))
            .await,
        &["userID", "a number"],
    );
    invalid(
        &host
            .call("login", json!({ "userID": "alice", "userSig": null }))
            .await,
        &["userSig", "missing"],
    );
    invalid(
        &host
            .call("login", json!({ "userID": "alice", "userSig": ["x"] }))
            .await,
        &["userSig", "an array"],
    );
    invalid(
        &host.call("logout", json!({ "now": true })).await,
        &["unknown parameter now"],
    );
    invalid(
        &host.call("callExperimentalAPI", json!({})).await,
        &["api", "missing"],
    );
    invalid(
        &host
            .call("callExperimentalAPI", json!({ "api": "teleport" }))
            .await,
        &["unknown api", "teleport"],
    );
    for method in tim_bridge::METHODS {
        if !["initSDK", "login", "callExperimentalAPI"].contains(method) {
            invalid(
                &host.call(method, json!({ "surprise": 1 })).await,
                &[method, "unknown parameter surprise"],
            );
        }
    }
}

/// With no event queued ahead of it, an answer needs no thread hop: it is handed over on the
/// caller's thread before `call_with_callback` returns.
#[test]
fn with_nothing_queued_ahead_an_answer_is_handed_over_before_the_call_returns() {
    let host = Host::new();
    let answered = Arc::new(Mutex::new(None));
    host.bridge.call_with_callback("getVersion", "{}", {
        let answered = answered.clone();
        move |json| *answered.lock().unwrap() = Some((json, std::thread::current().id()))
    });
    let (json, thread) = answered
        .lock()
        .unwrap()
        .take()
        .expect("answered before returning");
    assert_eq!(thread, std::thread::current().id());
    let answer: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(answer["data"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn close_ends_calls_in_flight_and_every_event_although_callers_hold_the_bridge() {
    // Accepts the TCP connection and never answers: the login stays in flight.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", silent.local_addr().unwrap());
    let mut host = Host::new();
    host.init(&url).await;
    let bridge = Arc::new(host.bridge);
    // A call in flight holds its own reference, as each UniFFI call holds the object.
    let login = tokio::spawn({
        let bridge = bridge.clone();
        let params = json!({ "userID": "alice", "userSig": ticket("alice") }).to_string();
        async move { bridge.call("login", &params).await }
    });
    let (_accepted, _) = tokio::time::timeout(WAIT, silent.accept())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        tokio::time::timeout(WAIT, host.events.recv())
            .await
            .unwrap()
            .unwrap()["type"],
        "onConnecting"
    );

    bridge.close();
    let answer: Value =
        serde_json::from_str(&tokio::time::timeout(WAIT, login).await.unwrap().unwrap()).unwrap();
    assert_eq!(code(&answer), 7009, "{answer}");
    let later: Value = serde_json::from_str(&bridge.call("getLoginStatus", "{}").await).unwrap();
    assert_eq!(code(&later), 6013, "{later}");
    drop(bridge);
    // The sink is released with the bridge: the channel ends, with no event after the close.
    assert_eq!(
        tokio::time::timeout(WAIT, host.events.recv())
            .await
            .unwrap(),
        None
    );
}

/// A host as the JNI, N-API and Swift glue are: events and answers handed to one queue, in the
/// order the bridge hands them over. The sink holds one event type until the test releases it,
/// and queues it only then, as a host still busy handing it over.
struct OrderedHost {
    bridge: Bridge,
    queue: mpsc::UnboundedSender<String>,
    handed_over: mpsc::UnboundedReceiver<String>,
    holding: tokio::sync::oneshot::Receiver<()>,
    release: std::sync::mpsc::Sender<()>,
}

impl OrderedHost {
    fn holding(held: &'static str) -> OrderedHost {
        let (queue, handed_over) = mpsc::unbounded_channel();
        let (entered, holding) = tokio::sync::oneshot::channel();
        let (release, released) = std::sync::mpsc::channel();
        let gate = std::sync::Mutex::new((Some(entered), released));
        let events = queue.clone();
        let bridge = Bridge::new(Arc::new(move |json: String| {
            let event: Value = serde_json::from_str(&json).unwrap();
            let name = event["type"].as_str().unwrap().to_owned();
            if name == held {
                let mut gate = gate.lock().unwrap();
                if let Some(entered) = gate.0.take() {
                    let _ = entered.send(());
                    let _ = gate.1.recv();
                }
            }
            let _ = events.send(name);
        }));
        OrderedHost {
            bridge,
            queue,
            handed_over,
            holding,
            release,
        }
    }

    /// Calls `method`; its answer is queued as `method code data`.
    fn call(&self, method: &str, params: Value) {
        let queue = self.queue.clone();
        let method = method.to_owned();
        self.bridge
            .call_with_callback(&method.clone(), &params.to_string(), move |json| {
                let answer: Value = serde_json::from_str(&json).unwrap();
                let _ = queue.send(format!("{method} {} {}", answer["code"], answer["data"]));
            });
    }

    /// Waits until the sink holds its event.
    async fn held(&mut self) {
        tokio::time::timeout(WAIT, &mut self.holding)
            .await
            .unwrap()
            .unwrap();
    }

    /// The next `n` entries of the queue.
    async fn next(&mut self, n: usize) -> Vec<String> {
        let mut entries = Vec::new();
        while entries.len() < n {
            let entry = tokio::time::timeout(WAIT, self.handed_over.recv());
            entries.push(entry.await.unwrap().unwrap());
        }
        entries
    }
}

/// Logs `user` in on a second device: the server kicks the first.
async fn kick_from_another_device(url: &str, user: &str) -> Host {
    let other = Host::new();
    other.init(url).await;
    let login = other
        .call("login", json!({ "userID": user, "userSig": ticket(user) }))
        .await;
    assert_eq!(code(&login), 0, "{login}");
    other
}

#[tokio::test]
async fn answers_made_while_an_event_is_being_handed_over_come_after_it() {
    let server = server().await;
    let url = server.url();
    let mut host = OrderedHost::holding("onKickedOffline");
    host.call(
        "initSDK",
        json!({ "sdkAppID": APP, "logLevel": 5, "config": { "serverUrl": url } }),
    );
    host.call(
        "login",
        json!({ "userID": "carol", "userSig": ticket("carol") }),
    );
    assert_eq!(
        host.next(4).await,
        [
            "initSDK 0 true",
            "onConnecting",
            "onConnectSuccess",
            "login 0 null"
        ]
    );
    let _other = kick_from_another_device(&url, "carol").await;
    host.held().await;
    // The kick is on its way to the host: every answer made now, whether the engine gives it
    // or the bridge (a status read, a parameter refused), comes behind it.
    host.call("getLoginStatus", json!({}));
    host.call("getLoginUser", json!({}));
    host.call("getServerTime", json!({}));
    host.call("login", json!({ "userID": 7 }));
    host.call("logout", json!({}));
    host.release.send(()).unwrap();
    let answers = host.next(6).await;
    assert_eq!(answers[0], "onKickedOffline");
    assert_eq!(answers[1], "getLoginStatus 0 3");
    assert_eq!(answers[2], "getLoginUser 0 \"\"");
    assert!(answers[3].starts_with("getServerTime 6014"), "{answers:?}");
    assert!(answers[4].starts_with("login 6017"), "{answers:?}");
    assert!(answers[5].starts_with("logout "), "{answers:?}");
}

#[tokio::test]
async fn an_answer_comes_before_the_events_emitted_after_it() {
    let server = server().await;
    let url = server.url();
    let mut host = OrderedHost::holding("onConnectSuccess");
    host.call(
        "initSDK",
        json!({ "sdkAppID": APP, "logLevel": 5, "config": { "serverUrl": url } }),
    );
    host.call(
        "login",
        json!({ "userID": "dave", "userSig": ticket("dave") }),
    );
    host.held().await;
    // The login's answer is queued behind its onConnectSuccess; the kick comes after both.
    let _other = kick_from_another_device(&url, "dave").await;
    host.release.send(()).unwrap();
    assert_eq!(
        host.next(5).await,
        [
            "initSDK 0 true",
            "onConnecting",
            "onConnectSuccess",
            "login 0 null",
            "onKickedOffline"
        ]
    );
}
