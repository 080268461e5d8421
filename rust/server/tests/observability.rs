//! `/metrics` and `/healthz`: on the main listener by default, on their own with
//! `--metrics-listen` (and then not on the main one).

mod support;

use support::*;

#[tokio::test]
async fn metrics_are_on_the_main_listener_by_default() {
    let server = start(config()).await;
    assert_eq!(server.metrics_addr(), None);
    let (status, body) = http_get(server.local_addr(), "/metrics").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("tim_sessions_online 0"), "{body}");
    assert_eq!(http_get(server.local_addr(), "/healthz").await.1, "ok\n");
    server.shutdown().await;
}

#[tokio::test]
async fn a_metrics_listener_of_their_own_keeps_them_off_the_main_port() {
    let mut config = config();
    config.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    let server = start(config).await;
    let metrics = server.metrics_addr().expect("a listener of its own");
    assert_ne!(metrics, server.local_addr());
    let _alice = online(
        &server,
        &request("alice", "i1", tim_protocol::Platform::Android),
    )
    .await;
    let (status, body) = http_get(metrics, "/metrics").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("tim_sessions_online 1"), "{body}");
    assert_eq!(http_get(metrics, "/healthz").await.1, "ok\n");
    for path in ["/metrics", "/healthz"] {
        let (status, _) = http_get(server.local_addr(), path).await;
        assert_eq!(status, "HTTP/1.1 404 Not Found", "{path} on the main port");
    }
    server.shutdown().await;
}
