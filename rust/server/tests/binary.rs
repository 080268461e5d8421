//! The `tim-server` command as scripts use it: the listening line, SIGTERM, exit code 2 for a start
//! it refuses, and logs that never carry a ticket or a key.

mod support;

use std::process::Command;
use support::*;
use tim_protocol::ServerFrame;
use tim_testkit::client::{Connection, login_request};

#[tokio::test]
async fn sigterm_shuts_down_gracefully_and_logs_hold_no_secrets() {
    let app_flag = format!("{APP}:{KEY}");
    let mut server = spawn(&["--listen", "127.0.0.1:0", "--app", &app_flag]).await;
    let url = server.url().to_owned();
    assert!(url.starts_with("ws://127.0.0.1:"), "{url}");

    let good = ticket("alice");
    let outcome = Connection::login(&url, &login_request(APP, "alice", &good, "i1"))
        .await
        .unwrap();
    assert_eq!(outcome.result.code, 0);
    let mut alice = outcome.connection;
    let forged = ticket_for(APP, "guessed-key", "bob", now(), 600);
    let refused = Connection::login(&url, &login_request(APP, "bob", &forged, "i2"))
        .await
        .unwrap();
    assert_eq!(refused.result.code, 70009);

    server.terminate();
    assert!(matches!(
        next(&mut alice).await,
        ServerFrame::GoingAway { .. }
    ));
    assert!(
        server.wait(WAIT).await.unwrap().success(),
        "exit 0 after SIGTERM"
    );

    let logs = server.stderr().join("\n");
    assert!(
        logs.contains("login refused"),
        "debug logs were written:\n{logs}"
    );
    for secret in [good.as_str(), forged.as_str(), KEY] {
        assert!(!logs.contains(secret), "a secret reached the logs:\n{logs}");
    }
}

#[test]
fn bad_flags_exit_2_with_a_reason() {
    let output = Command::new(env!("CARGO_BIN_EXE_tim-server"))
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no app configured"));
}

#[tokio::test]
async fn a_redis_that_keeps_nothing_on_disk_exits_2_unless_redis_ephemeral() {
    let redis = tim_testkit::RedisServer::start().await; // --appendonly no --save ""
    let (url, app) = (redis.url(), format!("{APP}:{KEY}"));
    let args = ["--listen", "127.0.0.1:0", "--redis", &url, "--app", &app];
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tim-server"));
    command.args(args).kill_on_drop(true);
    let output = tokio::time::timeout(WAIT, command.output())
        .await
        .expect("tim-server exits (a refusal) rather than serve")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--redis-ephemeral"), "{stderr}");
    assert!(output.stdout.is_empty(), "no listening line");

    let mut ephemeral = args.to_vec();
    ephemeral.push("--redis-ephemeral");
    let server = spawn(&ephemeral).await;
    // The logs are read on a thread of their own: the listening line on stdout does not say
    // that an earlier line of stderr has been read yet, so the line is awaited.
    server
        .wait_for_stderr("will not survive a Redis restart", WAIT)
        .await
        .unwrap_or_else(|e| panic!("the opt-in is logged: {e}"));
}
