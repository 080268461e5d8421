//! What arrives on the port that is not a well-behaved client: junk, oversized heads, plain HTTP.
//! Each must be refused without disturbing anyone else.

mod support;

use support::*;
use tim_protocol::{ClientFrame, Platform, ServerFrame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends raw bytes and returns everything the server answers before it closes.
async fn raw_exchange(server: &tim_server::RunningServer, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut answer))
        .await
        .expect("server answers and closes");
    String::from_utf8_lossy(&answer).into_owned()
}

async fn still_serving(server: &tim_server::RunningServer, user: &str) {
    let mut client = online(server, &request(user, "i1", Platform::Android)).await;
    client.send(&ClientFrame::Ping { seq: 1 }).await.unwrap();
    assert!(matches!(
        next(&mut client).await,
        ServerFrame::Pong { seq: 1, .. }
    ));
}

#[tokio::test]
async fn junk_bytes_get_400_and_others_are_served() {
    let server = start(config()).await;
    let answer = raw_exchange(&server, b"\x16\x03\x01\x02\x00garbage\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    still_serving(&server, "alice").await;
    server.shutdown().await;
}

#[tokio::test]
async fn an_oversized_request_head_gets_431() {
    let server = start(config()).await;
    let head = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let answer = raw_exchange(&server, head.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    still_serving(&server, "alice").await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_plain_http_request_to_the_websocket_endpoint_is_refused() {
    let server = start(config()).await;
    let answer = raw_exchange(
        &server,
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    let answer = raw_exchange(
        &server,
        b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_slow_request_head_is_cut_off() {
    let mut config = config();
    config.login_timeout = std::time::Duration::from_millis(300);
    let server = start(config).await;
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut answer))
        .await
        .expect("the server hangs up on a slow head")
        .unwrap();
    still_serving(&server, "alice").await;
    server.shutdown().await;
}

#[tokio::test]
async fn metrics_and_health_are_served_over_http() {
    let server = start(config()).await;
    let _alice = online(&server, &request("alice", "i1", Platform::Android)).await;
    let answer = raw_exchange(
        &server,
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\ntim_sessions_online 1\n"), "{answer}");
    assert!(
        answer.contains("tim_logins_total{code=\"0\"} 1\n"),
        "{answer}"
    );
    let answer = raw_exchange(
        &server,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok\n"),
        "{answer}"
    );
    server.shutdown().await;
}
