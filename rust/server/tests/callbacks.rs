//! State-change callbacks received by an HTTP server in the test: Tencent's parameters, body and
//! `Sign`, in order per user, and counted when the endpoint is down; delivery over keep-alive
//! connections (http and https), one request of a user at a time while users interleave, and a
//! bounded queue in front of an endpoint that never answers.

mod support;

use http_body_util::BodyExt;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::rest::{Receiver, call, code};
use support::*;
use tim_protocol::{ClientFrame, Platform, ServerFrame};
use tim_server::callbacks::{CallbackConfig, Callbacks, Event, QUEUE_PER_LANE, StateChange, sign};
use tim_server::registry::AccountKey;
use tim_testkit::{FaultProxy, TestPki};
use tokio::net::TcpListener;

const TOKEN: &str = "callback-token";

fn with_callback(url: String, token: Option<&str>) -> tim_server::ServerConfig {
    let mut config = config();
    config.apps.get_mut(&APP).unwrap().callback = Some(CallbackConfig {
        url,
        token: token.map(str::to_owned),
        ca_file: None,
    });
    config
}

#[tokio::test]
async fn every_state_change_is_posted_in_order_with_its_sign() {
    let mut receiver = Receiver::start().await;
    let url = format!("http://{}/im/callback?app=1", receiver.addr);
    let server = start(with_callback(url, Some(TOKEN))).await;

    let mut phone = online(&server, &request("alice", "phone", Platform::IPhone)).await;
    let login = receiver.next().await;
    assert_eq!(login.action(), ("Login", "Register"));
    assert_eq!(login.body["CallbackCommand"], "State.StateChange");
    assert_eq!(login.body["Info"]["To_Account"], "alice");
    assert!(login.body.get("KickedDevice").is_none());
    assert!(login.body["EventTime"].as_u64().unwrap() >= (now() - 5) * 1000);
    assert_eq!(login.param("app"), Some("1"), "the URL's own query is kept");
    assert_eq!(login.param("SdkAppid"), Some(APP.to_string().as_str()));
    assert_eq!(login.param("CallbackCommand"), Some("State.StateChange"));
    assert_eq!(login.param("contenttype"), Some("json"));
    assert_eq!(login.param("OptPlatform"), Some("IOS"));
    let time: u64 = login.param("RequestTime").unwrap().parse().unwrap();
    assert!(
        time.abs_diff(now()) <= 60,
        "RequestTime is the server's clock"
    );
    assert_eq!(login.param("Sign"), Some(sign(TOKEN, time).as_str()));

    // A second iPhone kicks the first: one Login carrying the kicked device.
    let mut second = online(&server, &request("alice", "phone2", Platform::IPhone)).await;
    let kick = receiver.next().await;
    assert_eq!(kick.action(), ("Login", "Register"));
    assert_eq!(
        kick.body["KickedDevice"],
        serde_json::json!([{"Platform": "iOS"}])
    );
    assert!(matches!(
        next(&mut phone).await,
        ServerFrame::KickedOffline { .. }
    ));

    second.send(&ClientFrame::Logout { seq: 1 }).await.unwrap();
    assert!(matches!(
        next(&mut second).await,
        ServerFrame::LogoutResult { .. }
    ));
    assert_eq!(receiver.next().await.action(), ("Logout", "Unregister"));

    let web = online(&server, &request("alice", "tab", Platform::Web)).await;
    assert_eq!(receiver.next().await.action(), ("Login", "Register"));
    drop(web);
    let closed = receiver.next().await;
    assert_eq!(closed.action(), ("Disconnect", "LinkClose"));
    assert_eq!(closed.param("OptPlatform"), Some("Web"));

    let _pc = online(&server, &request("alice", "pc", Platform::Windows)).await;
    assert_eq!(receiver.next().await.action(), ("Login", "Register"));
    let kicked = call(&server, "im_open_login_svc/kick", r#"{"UserID":"alice"}"#).await;
    assert_eq!(code(&kicked), 0);
    let by_rest = receiver.next().await;
    assert_eq!(by_rest.action(), ("Logout", "Unregister"));
    assert_eq!(by_rest.param("OptPlatform"), Some("RESTAPI"));
    let counts = server.callback_counts();
    eventually("all seven counted as sent", || {
        counts.sent.load(std::sync::atomic::Ordering::Relaxed) == 7
    })
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_silent_connection_is_reported_as_a_timeout_and_a_reconnect_replaces_quietly() {
    let mut receiver = Receiver::start().await;
    let mut config = with_callback(format!("http://{}/", receiver.addr), None);
    config.heartbeat_timeout = Duration::from_millis(300);
    let server = start(config).await;
    // Waiting out the heartbeat timeout is the point: the client says nothing.
    let mut silent = online(&server, &request("bob", "phone", Platform::Android)).await;
    let login = receiver.next().await;
    assert_eq!(login.action(), ("Login", "Register"));
    assert_eq!(login.param("Sign"), None, "no token, no Sign");
    assert_eq!(receiver.next().await.action(), ("Disconnect", "TimeOut"));
    silent.closed().await;
    server.shutdown().await;

    // The same instance connecting again replaces its own link: a Login, and no Disconnect for
    // the old link. On a server with the default heartbeat timeout, so that neither of carol's
    // links can time out on a slow machine while the test awaits its callbacks.
    let server = start(with_callback(format!("http://{}/", receiver.addr), None)).await;
    let mut first = online(&server, &request("carol", "phone", Platform::Android)).await;
    assert_eq!(receiver.next().await.action(), ("Login", "Register"));
    let _again = online(&server, &request("carol", "phone", Platform::Android)).await;
    assert_eq!(first.closed().await, 4001);
    let again = receiver.next().await;
    assert_eq!(again.action(), ("Login", "Register"));
    assert!(again.body.get("KickedDevice").is_none());
    server.shutdown().await;
    // Shutting down closes carol's link: that is the next and last event.
    assert_eq!(receiver.next().await.action(), ("Disconnect", "LinkClose"));
    assert!(receiver.requests.try_recv().is_err());
}

/// Waits until `done` holds, checking every few milliseconds (a counter has nothing to await).
async fn eventually(what: &str, done: impl Fn() -> bool) {
    let waited = tokio::time::timeout(WAIT, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    waited.await.unwrap_or_else(|_| panic!("{what}"));
}

#[tokio::test]
async fn events_are_counted_when_the_endpoint_is_down_and_flow_again_when_it_is_back() {
    let mut receiver = Receiver::start().await;
    let proxy = FaultProxy::start(receiver.addr).await;
    let server = start(with_callback(format!("http://{}/", proxy.addr()), None)).await;
    let counts = server.callback_counts();
    let load = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);

    proxy.refuse(true);
    let alice = online(&server, &request("alice", "phone", Platform::Android)).await;
    eventually("the event is given up", || load(&counts.dropped) == 1).await;
    assert_eq!(load(&counts.failed), 4, "the first try and three retries");
    assert_eq!(load(&counts.sent), 0);

    proxy.refuse(false);
    drop(alice);
    assert_eq!(receiver.next().await.action(), ("Disconnect", "LinkClose"));
    eventually("the event counted as sent", || load(&counts.sent) == 1).await;
    let metrics = support::rest::http(server.local_addr(), "GET /metrics HTTP/1.1", b"").await;
    assert!(
        metrics
            .body
            .contains("tim_callbacks_total{result=\"dropped\"} 1\n"),
        "{}",
        metrics.body
    );
    assert!(
        metrics
            .body
            .contains("tim_callbacks_total{result=\"sent\"} 1\n")
    );
    server.shutdown().await;
}

/// What [`Endpoint`] saw: connections accepted, events answered 200 (user, `EventTime`) in the
/// order answered, and requests that arrived while another of the same user was in flight.
#[derive(Default)]
struct Seen {
    connections: AtomicU64,
    answered: Mutex<Vec<(String, u64)>>,
    in_flight: Mutex<HashSet<String>>,
    overlaps: AtomicU64,
    tried: Mutex<HashSet<(String, u64)>>,
}

/// A callback endpoint on 127.0.0.1:0 (TLS with `pki`'s certificate if given) that keeps
/// connections alive, holds each request a moment so that requests overlap, and answers 500 to
/// the first try of the events `fails_first` picks by `EventTime`.
struct Endpoint {
    url: String,
    seen: Arc<Seen>,
}

impl Endpoint {
    async fn start(pki: Option<&TestPki>, fails_first: fn(u64) -> bool) -> Endpoint {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let scheme = if pki.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}/cb", listener.local_addr().unwrap());
        let tls = pki.map(|pki| tokio_rustls::TlsAcceptor::from(pki.tls_server_config()));
        let seen = Arc::new(Seen::default());
        let accepting = seen.clone();
        tokio::spawn(async move {
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                accepting.connections.fetch_add(1, Relaxed);
                let (tls, seen) = (tls.clone(), accepting.clone());
                tokio::spawn(async move {
                    let service =
                        service_fn(move |request| answer(request, seen.clone(), fails_first));
                    let http = hyper::server::conn::http1::Builder::new();
                    let _ = match tls {
                        Some(tls) => {
                            let stream = tls.accept(tcp).await.unwrap();
                            http.serve_connection(TokioIo::new(stream), service).await
                        }
                        None => http.serve_connection(TokioIo::new(tcp), service).await,
                    };
                });
            }
        });
        Endpoint { url, seen }
    }

    fn config(&self, ca_file: Option<PathBuf>) -> CallbackConfig {
        CallbackConfig {
            url: self.url.clone(),
            token: Some(TOKEN.to_owned()),
            ca_file,
        }
    }

    /// Waits until `n` events have been answered 200.
    async fn answered(&self, n: usize) -> Vec<(String, u64)> {
        eventually("every event answered", || {
            self.seen.answered.lock().unwrap().len() >= n
        })
        .await;
        self.seen.answered.lock().unwrap().clone()
    }
}

async fn answer(
    request: hyper::Request<hyper::body::Incoming>,
    seen: Arc<Seen>,
    fails_first: fn(u64) -> bool,
) -> Result<hyper::Response<String>, hyper::Error> {
    let body = request.into_body().collect().await?.to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let user = body["Info"]["To_Account"].as_str().unwrap().to_owned();
    let time = body["EventTime"].as_u64().unwrap();
    if !seen.in_flight.lock().unwrap().insert(user.clone()) {
        seen.overlaps.fetch_add(1, Relaxed);
    }
    // A slow endpoint: a second request of the same user would arrive meanwhile.
    tokio::time::sleep(Duration::from_millis(2)).await;
    seen.in_flight.lock().unwrap().remove(&user);
    let first_try = seen.tried.lock().unwrap().insert((user.clone(), time));
    let mut response = hyper::Response::new(String::new());
    if first_try && fails_first(time) {
        *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
    } else {
        seen.answered.lock().unwrap().push((user, time));
        *response.body_mut() = r#"{"ActionStatus":"OK","ErrorCode":0}"#.to_owned();
    }
    Ok(response)
}

/// Event `seq` of `user`; `EventTime` carries `seq`, so the endpoint can tell the order.
fn numbered(user: &str, seq: u64) -> Event {
    let account = AccountKey {
        sdk_app_id: APP,
        user_id: user.to_owned(),
    };
    Event {
        time_ms: seq,
        ..Event::now(&account, StateChange::Login, Some(Platform::Android))
    }
}

/// `n` events for each of `users` users, posted round-robin so that users interleave.
fn post_interleaved(callbacks: &Callbacks, config: &CallbackConfig, users: usize, n: u64) {
    for seq in 0..n {
        for u in 0..users {
            callbacks.post(config, numbered(&format!("user-{u}"), seq));
        }
    }
}

fn never(_: u64) -> bool {
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_share_keep_alive_connections_over_http_and_https() {
    let pki = TestPki::new();
    let dir = tim_testkit::ScratchDir::new("callback-ca").unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, pki.ca_pem()).unwrap();
    for tls in [false, true] {
        let endpoint = Endpoint::start(tls.then_some(&pki), never).await;
        let callbacks = Callbacks::default();
        let config = endpoint.config(tls.then(|| ca_file.clone()));
        let (users, n) = (8, 40);
        post_interleaved(&callbacks, &config, users, n);
        let answered = endpoint.answered(users * n as usize).await;
        assert_eq!(answered.len(), users * n as usize);
        // At most one connection per request in flight at once: one per user here, never one
        // per event.
        let connections = endpoint.seen.connections.load(Relaxed);
        assert!(
            (1..=users as u64).contains(&connections),
            "{} events over {connections} connections (tls {tls})",
            answered.len()
        );
        eventually("all counted as sent", || {
            callbacks.counts.sent.load(Relaxed) == users as u64 * n
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_events_arrive_in_order_one_at_a_time_retries_included() {
    let fails_first = |seq: u64| seq % 10 == 3;
    let endpoint = Endpoint::start(None, fails_first).await;
    let callbacks = Callbacks::default();
    let (users, n) = (48, 20);
    post_interleaved(&callbacks, &endpoint.config(None), users, n);
    let answered = endpoint.answered(users * n as usize).await;
    for u in 0..users {
        let user = format!("user-{u}");
        let order: Vec<u64> = answered
            .iter()
            .filter(|(who, _)| *who == user)
            .map(|&(_, seq)| seq)
            .collect();
        assert_eq!(order, (0..n).collect::<Vec<_>>(), "{user}'s events");
    }
    assert_eq!(
        endpoint.seen.overlaps.load(Relaxed),
        0,
        "two requests of one user in flight at once"
    );
    let retried = users as u64 * (0..n).filter(|&seq| fails_first(seq)).count() as u64;
    assert_eq!(callbacks.counts.failed.load(Relaxed), retried);
    assert_eq!(callbacks.counts.dropped.load(Relaxed), 0);
    // Many users' events were in flight at once: they interleaved.
    assert!(answered.windows(2).any(|w| w[0].1 > w[1].1));
}

#[tokio::test]
async fn an_endpoint_that_never_answers_fills_one_lane_and_the_rest_is_dropped() {
    // Accepts connections and never reads them: the lane's first event waits for its timeout.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = CallbackConfig {
        url: format!("http://{}/", listener.local_addr().unwrap()),
        token: None,
        ca_file: None,
    };
    let (held_tx, mut held) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let _ = held_tx.send(tcp);
        }
    });
    let callbacks = Callbacks::default();
    let extra = 500;
    for seq in 0..(QUEUE_PER_LANE + extra) as u64 {
        callbacks.post(&config, numbered("alice", seq));
    }
    // The lane has taken its first event: its request is on the held connection.
    let _connection = tokio::time::timeout(WAIT, held.recv()).await.unwrap();
    let dropped = callbacks.counts.dropped.load(Relaxed);
    assert!(
        (extra as u64 - 1..=extra as u64).contains(&dropped),
        "{dropped} dropped of {} posted, {QUEUE_PER_LANE} queued",
        QUEUE_PER_LANE + extra
    );
    assert_eq!(callbacks.counts.sent.load(Relaxed), 0);
}
