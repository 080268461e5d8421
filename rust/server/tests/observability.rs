//! `/metrics` and `/healthz`: on the main listener by default (`/metrics` for loopback clients
//! only there), on their own with `--metrics-listen` (and then not on the main one).

mod support;

use std::net::{IpAddr, SocketAddr};
use support::*;

/// An address of this machine that is not loopback (the one its default route leaves from), or
/// `None` when it has none. Connecting a UDP socket sends nothing.
fn non_loopback_address() -> Option<IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("10.255.255.255:1").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// Starts a server listening on every interface (`listen`) and, if `metrics_listen`, with
/// `/metrics` on a listener of its own, also on every interface.
async fn start_on_every_interface(metrics_listen: bool) -> tim_server::RunningServer {
    let mut config = config();
    config.listen = "0.0.0.0:0".parse().unwrap();
    if metrics_listen {
        config.metrics_listen = Some("0.0.0.0:0".parse().unwrap());
    }
    start(config).await
}

fn at(ip: IpAddr, port: u16) -> SocketAddr {
    SocketAddr::new(ip, port)
}

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

#[tokio::test]
async fn metrics_on_the_main_port_answer_loopback_clients_only() {
    let server = start_on_every_interface(false).await;
    let port = server.local_addr().port();
    let loopback = at([127, 0, 0, 1].into(), port);
    let (status, body) = http_get(loopback, "/metrics").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("tim_sessions_online 0"), "{body}");
    assert_eq!(http_get(loopback, "/healthz").await.1, "ok\n");
    let Some(ip) = non_loopback_address() else {
        println!("skipped the non-loopback client: this machine has no non-loopback address");
        server.shutdown().await;
        return;
    };
    let (status, body) = http_get(at(ip, port), "/metrics").await;
    assert_eq!(status, "HTTP/1.1 403 Forbidden", "from {ip}: {body}");
    assert!(body.contains("--metrics-listen"), "{body}");
    assert!(!body.contains("tim_"), "no figure leaks: {body}");
    let (status, body) = http_get(at(ip, port), "/healthz").await;
    assert_eq!(
        (status.as_str(), body.as_str()),
        ("HTTP/1.1 200 OK", "ok\n")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_metrics_listener_answers_whoever_reaches_it() {
    let server = start_on_every_interface(true).await;
    let port = server.metrics_addr().unwrap().port();
    let Some(ip) = non_loopback_address() else {
        println!("skipped: this machine has no non-loopback address");
        server.shutdown().await;
        return;
    };
    let (status, body) = http_get(at(ip, port), "/metrics").await;
    assert_eq!(status, "HTTP/1.1 200 OK", "from {ip}: {body}");
    assert!(body.contains("tim_sessions_online 0"), "{body}");
    assert_eq!(http_get(at(ip, port), "/healthz").await.1, "ok\n");
    server.shutdown().await;
}
