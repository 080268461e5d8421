//! Test support: a server on `127.0.0.1:0`, tickets, and logins through the raw client.
#![allow(dead_code, unused_imports)] // each test file uses a different part of this module

use std::process::Command;
use tim_protocol::{ClientFrame, KickReason, LoginRequest, Platform, ServerFrame};
use tim_server::{AppConfig, DevicePolicy, RunningServer, Server, ServerConfig};
use tim_testkit::ServerProcess;
use tim_testkit::client::{Connection, LoginOutcome, login_request};

pub use tim_testkit::tickets::{APP, KEY, WAIT, now, ticket, ticket_for};

pub mod rest;

pub fn config() -> ServerConfig {
    let mut config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    config.apps.insert(
        APP,
        AppConfig {
            keys: vec![KEY.to_owned()],
            ..AppConfig::default()
        },
    );
    config
}

pub async fn start(config: ServerConfig) -> RunningServer {
    Server::bind(config)
        .await
        .expect("bind 127.0.0.1:0")
        .spawn()
}

pub fn request(user: &str, instance: &str, platform: Platform) -> LoginRequest {
    let mut request = login_request(APP, user, &ticket(user), instance);
    request.platform = platform;
    request
}

pub async fn login(server: &RunningServer, request: &LoginRequest) -> LoginOutcome {
    tokio::time::timeout(WAIT, Connection::login(&server.url(), request))
        .await
        .expect("login answered in time")
        .expect("login answered")
}

/// Logs in and insists it succeeded.
pub async fn online(server: &RunningServer, request: &LoginRequest) -> Connection {
    let outcome = login(server, request).await;
    assert_eq!(outcome.result.code, 0, "{}", outcome.result.desc);
    outcome.connection
}

/// The code a login gets, and checks the server closes the connection after a refusal.
pub async fn login_code(server: &RunningServer, request: &LoginRequest) -> u32 {
    let mut outcome = login(server, request).await;
    if outcome.result.code != 0 {
        assert!(outcome.result.session_id.is_empty());
        let code = tokio::time::timeout(WAIT, outcome.connection.closed())
            .await
            .unwrap();
        assert_eq!(code, 1000, "a refused login is closed normally");
    }
    outcome.result.code
}

pub async fn next(connection: &mut Connection) -> ServerFrame {
    connection
        .recv_within(WAIT)
        .await
        .expect("a frame from the server")
}

pub async fn sessions(server: &RunningServer, user: &str) -> Vec<tim_server::policy::SessionInfo> {
    let account = tim_server::AccountKey {
        sdk_app_id: APP,
        user_id: user.to_owned(),
    };
    server.registry().sessions(&account).await.unwrap()
}

/// Sends a ping and insists on its pong.
pub async fn ping_pong(connection: &mut Connection, seq: u64) {
    connection.send(&ClientFrame::Ping { seq }).await.unwrap();
    match next(connection).await {
        ServerFrame::Pong { seq: answered, .. } => assert_eq!(answered, seq),
        other => panic!("expected pong {seq}, got {other:?}"),
    }
}

/// Starts the `tim-server` command with debug logs and reads its listening line. It keeps
/// nothing (`--ephemeral`) unless `args` name its `--data` folder.
pub async fn spawn(args: &[&str]) -> ServerProcess {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tim-server"));
    command.args(args).env("RUST_LOG", "debug");
    if !args.contains(&"--data") {
        command.arg("--ephemeral");
    }
    ServerProcess::start(command, false)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The status line and body of a plain HTTP GET of `path` (for `/metrics` and `/healthz`).
pub async fn http_get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (
        head.lines().next().unwrap_or_default().to_owned(),
        body.to_owned(),
    )
}

/// Insists the next frame is a kick for `reason` by a login on `by`, then the close (1008).
pub async fn expect_kick(
    connection: &mut tim_testkit::client::Connection,
    reason: KickReason,
    by: Platform,
) {
    assert_eq!(
        next(connection).await,
        ServerFrame::KickedOffline {
            reason,
            by_platform: Some(by)
        }
    );
    assert_eq!(connection.closed().await, 1008);
}
