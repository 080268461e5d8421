//! Every call answers within the bound its documentation gives, in the worst cases: a joined
//! login retried with a newer ticket, and a server that accepts the connection but stops reading.

mod support;

use futures_util::future::join_all;
use futures_util::{SinkExt, StreamExt, poll};
use std::time::Duration;
use support::*;
use tim_core::{LoginStatus, SdkConfig};
use tim_protocol::{LoginResult, ServerFrame};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// A server that refuses its first login with 70009 two seconds after the upgrade (telling the
/// test when that upgrade arrived), and completes every later upgrade without ever answering
/// the login.
async fn refuse_late_then_say_nothing() -> (String, mpsc::UnboundedReceiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let (arrived, arrivals) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut first = true;
        let mut silent = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else {
                continue;
            };
            if !std::mem::take(&mut first) {
                silent.push(socket);
                continue;
            }
            let _ = arrived.send(());
            let refused = ServerFrame::LoginResult(LoginResult {
                code: 70009,
                desc: "refused".into(),
                server_time_ms: 0,
                session_id: String::new(),
                protocol: 2,
            });
            tokio::spawn(async move {
                // The server's own pace: the refusal comes late in the login's bound.
                tokio::time::sleep(Duration::from_secs(2)).await;
                let _ = socket.send(Message::Text(refused.encode().into())).await;
                while let Some(Ok(_)) = socket.next().await {}
            });
        }
    });
    (url, arrivals)
}

#[tokio::test]
async fn a_joined_login_retried_with_a_newer_ticket_keeps_the_first_ones_bound() {
    let (url, mut arrivals) = refuse_late_then_say_nothing().await;
    let config = SdkConfig {
        connect_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(3),
        ..sdk_config(&url)
    };
    let (manager, _events) = manager_with(config);
    let first = tokio::spawn({
        let manager = manager.clone();
        async move { manager.login("alice", &ticket("alice")).await }
    });
    in_time(arrivals.recv()).await.unwrap();
    let joined = in_time(manager.login("alice", &ticket_with_key("alice", KEY2)))
        .await
        .unwrap_err();
    // The retry was cut by the first login's deadline, not by a request timeout of its own
    // (which would have come a second later).
    assert_eq!(joined.code, 6012, "{joined}");
    assert!(joined.desc.contains("did not finish in time"), "{joined}");
    assert_eq!(in_time(first).await.unwrap().unwrap_err(), joined);
    assert_eq!(status(&manager), LoginStatus::LoggedOut);
}

#[tokio::test]
async fn a_server_that_stops_reading_holds_up_no_call() {
    let (server, proxy) = start_behind_proxy().await;
    let (manager, _events) = manager(&proxy.url_ws());
    in_time(manager.login("alice", &ticket("alice")))
        .await
        .unwrap();
    // Nothing is read any more: renewals (each a ticket frame of 8000 bytes) fill the socket
    // buffers until a write blocks, and the heartbeat queues behind them.
    proxy.stall();
    let tickets: Vec<_> = (0..2000)
        .map(|n| format!("{n:08}{}", "x".repeat(7992)))
        .collect();
    let mut renewals = join_all(tickets.iter().map(|t| manager.login("alice", t)));
    // One poll sends every call to the engine, before the logout.
    assert!(poll!(&mut renewals).is_pending());
    // Logging out answers within its bound all the same, and ends every renewal.
    in_time(manager.logout()).await.unwrap();
    assert_eq!(status(&manager), LoginStatus::LoggedOut);
    // Each renewal answered too: 6023 when the logout ended it, or 0 when its own request timeout
    // came first (the timeout and the logout's are the same length, and a slow machine lets
    // either win), as a renewal the server does not answer does.
    for answer in in_time(renewals).await {
        if let Err(e) = answer {
            assert_eq!(e.code, 6023, "{e}");
        }
    }
    proxy.cut().await;
    server.shutdown().await;
}
