//! State-change callbacks received by an HTTP server in the test: Tencent's parameters, body and
//! `Sign`, in order per user, and counted when the endpoint is down.

mod support;

use std::time::Duration;
use support::rest::{Receiver, call, code};
use support::*;
use tim_protocol::{ClientFrame, Platform, ServerFrame};
use tim_server::callbacks::{CallbackConfig, sign};
use tim_testkit::FaultProxy;

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

    // The same instance connecting again replaces its own link: a Login, and no Disconnect for
    // the old link.
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
