//! More hostile input: floods of failed logins, replayed tickets, slow and idle connections, and
//! malformed logins that arrive before any session exists. Each must be refused with its code or
//! cut off in time, without disturbing anyone else.

mod support;

use std::time::Duration;
use support::*;
use tim_protocol::{ClientFrame, Platform, ServerFrame};
use tim_testkit::client::{Message, connect, login_request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

/// A short login timeout, so that tests of slow clients finish quickly.
const LOGIN_TIMEOUT: Duration = Duration::from_millis(300);

fn quick_config() -> tim_server::ServerConfig {
    let mut config = config();
    config.login_timeout = LOGIN_TIMEOUT;
    config
}

/// Logs `user` in, and insists the session answers a ping.
async fn still_serving(server: &tim_server::RunningServer, user: &str) {
    let mut client = online(server, &request(user, "i1", Platform::Android)).await;
    ping_pong(&mut client, 1).await;
}

/// The WebSocket upgrade request head of a header login.
fn upgrade_head(server: &tim_server::RunningServer, extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut head = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
        server.local_addr()
    )
    .into_bytes();
    for (name, value) in extra {
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head
}

/// Sends an upgrade request with `extra` headers on a new connection; what the server answers
/// before it closes.
async fn upgrade_answer(server: &tim_server::RunningServer, extra: &[(&str, &[u8])]) -> String {
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream
        .write_all(&upgrade_head(server, extra))
        .await
        .unwrap();
    read_until_closed(&mut stream).await
}

/// Reads until the server closes, within [`WAIT`]; what it sent, lossily as text.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(WAIT, stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection in time");
    // A reset is a close too; what came before it still counts.
    drop(read);
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_failed_logins_locks_only_its_target_and_the_server_keeps_serving() {
    const FLOOD: usize = 200;
    let config = config();
    let max_failures = config.lockout.max_failures as usize;
    let server = std::sync::Arc::new(start(config).await);
    let forged = login_request(
        APP,
        "alice",
        &ticket_for(APP, "guessed-key", "alice", now(), 600),
        "i1",
    );
    let mut flood = JoinSet::new();
    for _ in 0..FLOOD {
        let (server, forged) = (server.clone(), forged.clone());
        flood.spawn(async move { login_code(&server, &forged).await });
    }
    // Bob logs in and is served while the flood is under way.
    let mut bob = online(&server, &request("bob", "b1", Platform::Android)).await;
    ping_pong(&mut bob, 1).await;

    let codes = flood.join_all().await;
    let refused = |code| codes.iter().filter(|&&c| c == code).count();
    assert_eq!(
        refused(70009) + refused(70050),
        FLOOD,
        "every forged login is refused as forged or locked: {codes:?}"
    );
    // Concurrent attempts may each pass the lock check before the first of them is counted,
    // but never more than a handful.
    assert!(
        (max_failures..max_failures + 8).contains(&refused(70009)),
        "{} forged logins were verified before the lock",
        refused(70009)
    );
    assert_eq!(server.metrics().logins(70050), refused(70050) as u64);
    // The right ticket waits out the lock too; bob's session and new accounts are unaffected.
    assert_eq!(
        login_code(&server, &request("alice", "i1", Platform::Android)).await,
        70050
    );
    ping_pong(&mut bob, 2).await;
    still_serving(&server, "carol").await;
    assert_eq!(sessions(&server, "bob").await.len(), 1);
    drop(bob);
    std::sync::Arc::into_inner(server)
        .expect("every flood task is done")
        .shutdown()
        .await;
}

#[tokio::test]
async fn a_ticket_replayed_after_it_expired_gets_70001_and_never_locks() {
    let mut config = config();
    config.lockout.max_failures = 3;
    let server = start(config).await;
    let short = login_request(APP, "alice", &ticket_for(APP, KEY, "alice", now(), 1), "i1");
    let mut alice = online(&server, &short).await;
    assert_eq!(
        alice.recv_within(Duration::from_secs(5)).await.unwrap(),
        ServerFrame::UserSigExpired
    );
    // The same ticket, replayed after the server said it expired: more often than the lockout
    // allows failures, and it is still an honest 70001, not a lock.
    for _ in 0..5 {
        assert_eq!(login_code(&server, &short).await, 70001);
    }
    assert_eq!(
        login_code(&server, &request("alice", "i1", Platform::Android)).await,
        0,
        "a fresh ticket logs in: replays of an expired one do not lock the account"
    );
    assert_eq!(server.metrics().logins(70001), 5);
    server.shutdown().await;
}

#[tokio::test]
async fn a_slow_loris_upgrade_is_cut_after_the_login_timeout() {
    let server = start(quick_config()).await;
    let pairs = request("alice", "i1", Platform::Android).to_headers();
    let headers: Vec<(&str, &[u8])> = pairs.iter().map(|(k, v)| (*k, v.as_bytes())).collect();
    let head = upgrade_head(&server, &headers);
    // One byte every 50 ms: each byte comes well within the timeout, the whole head (hundreds of
    // bytes) long after it.
    let pace = Duration::from_millis(50);
    assert!(pace * head.len() as u32 > LOGIN_TIMEOUT * 10);
    // Taken before connecting: the server's timer can only start after this.
    let started = tokio::time::Instant::now();
    let stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let sender = tokio::spawn(async move {
        for byte in head {
            if writer.write_all(&[byte]).await.is_err() {
                return false;
            }
            tokio::time::sleep(pace).await;
        }
        true
    });
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(WAIT, reader.read_to_end(&mut answer))
        .await
        .expect("the server hangs up on a slow-loris upgrade");
    let cut_after = started.elapsed();
    let answer = String::from_utf8_lossy(&answer);
    assert!(!answer.contains(" 101 "), "never upgraded: {answer}");
    assert!(
        cut_after >= LOGIN_TIMEOUT,
        "cut {cut_after:?} after connecting"
    );
    // The cut came while the head was still coming (the sender's writes failed), not once the
    // whole head was in: it was the login timeout that ended the connection.
    let head_sent = tokio::time::timeout(WAIT, sender)
        .await
        .expect("the sender's writes fail once the server has hung up")
        .unwrap();
    assert!(!head_sent, "the whole head was sent before the cut");
    assert_eq!(server.metrics().logins(0), 0);
    still_serving(&server, "bob").await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_that_never_speak_block_no_login_and_are_dropped() {
    const IDLE: usize = 200;
    let server = start(quick_config()).await;
    let mut idle = Vec::with_capacity(IDLE);
    for _ in 0..IDLE {
        idle.push(TcpStream::connect(server.local_addr()).await.unwrap());
    }
    // Logins while every idle connection is still open.
    still_serving(&server, "alice").await;
    still_serving(&server, "bob").await;
    // And the server lets go of each idle connection once the login timeout has passed.
    for stream in &mut idle {
        let answer = read_until_closed(stream).await;
        assert!(!answer.contains(" 101 "), "{answer}");
    }
    still_serving(&server, "carol").await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_login_header_that_is_not_utf8_gets_70402_after_the_upgrade() {
    let server = start(config()).await;
    let pairs = request("alice", "i1", Platform::Android).to_headers();
    let headers: Vec<(&str, &[u8])> = pairs
        .iter()
        .map(|(k, v)| match *k {
            tim_protocol::login::headers::USER_ID => (*k, &b"al\xffice"[..]),
            _ => (*k, v.as_bytes()),
        })
        .collect();
    let answer = upgrade_answer(&server, &headers).await;
    assert!(answer.starts_with("HTTP/1.1 101"), "{answer}");
    assert!(answer.contains(r#""code":70402"#), "{answer}");
    assert!(answer.contains("is not UTF-8"), "{answer}");
    assert!(sessions(&server, "alice").await.is_empty());
    still_serving(&server, "alice").await;
    server.shutdown().await;
}

#[tokio::test]
async fn too_many_request_headers_get_431() {
    let server = start(config()).await;
    let names: Vec<String> = (0..200).map(|i| format!("x-pad-{i}")).collect();
    let headers: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"1"[..])).collect();
    let answer = upgrade_answer(&server, &headers).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    still_serving(&server, "alice").await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_binary_or_oversized_first_frame_is_refused_before_any_session() {
    let server = start(config()).await;
    let mut binary = connect(&server.url(), None).await.unwrap();
    binary
        .send_raw(Message::Binary(vec![0xde, 0xad].into()))
        .await
        .unwrap();
    let ServerFrame::LoginResult(result) = next(&mut binary).await else {
        panic!("expected a login result")
    };
    assert_eq!(result.code, 70402, "{}", result.desc);
    assert_eq!(binary.closed().await, 1000);

    let mut oversized = connect(&server.url(), None).await.unwrap();
    let mut login = request("alice", "i1", Platform::Web);
    login.user_sig = "x".repeat(64 * 1024);
    oversized.send(&ClientFrame::Login(login)).await.unwrap();
    let code = tokio::time::timeout(WAIT, oversized.closed())
        .await
        .unwrap();
    // The server drops the connection at once, without a close frame (no 1009 "too big").
    assert_eq!(code, 1006, "dropped without a close frame");
    assert!(sessions(&server, "alice").await.is_empty());
    still_serving(&server, "alice").await;
    server.shutdown().await;
}
