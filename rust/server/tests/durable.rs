//! A single node keeps what it is given: the `tim-server` command, started with nothing but its
//! app, SIGKILLed and started again in the same folder, still has its accounts, its kicks and its
//! day's figures; and its data folder serves one process at a time.

mod support;

use serde_json::Value;
use std::path::Path;
use std::process::Command;
use support::rest::{code, http, query};
use support::*;
use tim_testkit::client::{Connection, login_request};
use tim_testkit::{ScratchDir, ServerProcess};

fn command(cwd: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tim-server"));
    command
        .current_dir(cwd)
        .args(["--listen", "127.0.0.1:0", "--app", &format!("{APP}:{KEY}")])
        .args(extra)
        .env("RUST_LOG", "info");
    command
}

/// `tim-server` with no flag but its app (and a free port), in `cwd`.
async fn start_in(cwd: &Path) -> ServerProcess {
    ServerProcess::start(command(cwd, &[]), false)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A REST call as the administrator; the JSON answer.
async fn rest(server: &ServerProcess, path: &str, body: &str) -> Value {
    let head = format!(
        "POST /v4/{path}?{} HTTP/1.1",
        query(APP, "administrator", &ticket("administrator"))
    );
    let answer = http(server.addr(), &head, body.as_bytes()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

async fn login_code(server: &ServerProcess, user: &str, user_sig: &str) -> u32 {
    let request = login_request(APP, user, user_sig, "i1");
    Connection::login(server.url(), &request)
        .await
        .unwrap()
        .result
        .code
}

async fn account_status(server: &ServerProcess, user: &str) -> String {
    let answer = rest(
        server,
        "im_open_login_svc/account_check",
        &format!(r#"{{"CheckItem":[{{"UserID":"{user}"}}]}}"#),
    )
    .await;
    answer["ResultItem"][0]["AccountStatus"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn today(server: &ServerProcess) -> Value {
    let answer = rest(server, "openconfigsvr/getappinfo", "{}").await;
    assert_eq!(code(&answer), 0, "{answer}");
    answer["Result"][0].clone()
}

/// Waits until the database in `dir` holds today's figures as `getappinfo` answered them (its
/// `LoginTimes` and `RegistUserNumOneDay`): the figures are written a second apart, and this is
/// how a test knows that the last of them were.
async fn figures_written(dir: &Path, figures: &Value) {
    let number = |field: &str| figures[field].as_str().and_then(|n| n.parse::<i64>().ok());
    let wanted = (number("LoginTimes"), number("RegistUserNumOneDay"));
    let db = dir.join("tim.db");
    let written = async {
        loop {
            let stored = rusqlite::Connection::open(&db).ok().and_then(|c| {
                c.query_row(
                    "SELECT logins, registered FROM days ORDER BY day DESC LIMIT 1",
                    [],
                    |row| Ok((Some(row.get::<_, i64>(0)?), Some(row.get::<_, i64>(1)?))),
                )
                .ok()
            });
            if stored == Some(wanted) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(WAIT, written)
        .await
        .unwrap_or_else(|_| panic!("the figures {wanted:?} reach the database"));
}

#[tokio::test]
async fn a_sigkilled_server_keeps_accounts_kicks_and_figures() {
    let cwd = ScratchDir::new("durable-kill").unwrap();
    let mut server = start_in(cwd.path()).await;
    let logs = server
        .wait_for_stderr("tim-data", WAIT)
        .await
        .expect("the log says where the data lives");
    assert!(logs.contains("keeping accounts"), "{logs}");
    let before_kick = ticket_for(APP, KEY, "alice", now() - 10, 3600);

    let import = r#"{"UserID":"carol"}"#;
    let answer = rest(&server, "im_open_login_svc/account_import", import).await;
    assert_eq!(code(&answer), 0, "{answer}");
    assert_eq!(login_code(&server, "alice", &before_kick).await, 0);
    assert_eq!(login_code(&server, "bob", &ticket("bob")).await, 0);
    let kick = rest(&server, "im_open_login_svc/kick", r#"{"UserID":"alice"}"#).await;
    assert_eq!(code(&kick), 0, "{kick}");
    assert_eq!(login_code(&server, "alice", &before_kick).await, 70052);
    // Deleting and importing the account again undoes nothing of the kick.
    let delete = r#"{"DeleteItem":[{"UserID":"alice"}]}"#;
    let answer = rest(&server, "im_open_login_svc/account_delete", delete).await;
    assert_eq!(answer["ResultItem"][0]["ResultCode"], 0, "{answer}");
    assert_eq!(login_code(&server, "alice", &before_kick).await, 70052);
    let answer = rest(
        &server,
        "im_open_login_svc/account_import",
        r#"{"UserID":"alice"}"#,
    )
    .await;
    assert_eq!(code(&answer), 0, "{answer}");
    assert_eq!(login_code(&server, "alice", &before_kick).await, 70052);
    let figures = today(&server).await;
    figures_written(&cwd.path().join("tim-data"), &figures).await;

    server.kill();
    let _ = server.wait(WAIT).await;
    let server = start_in(cwd.path()).await;
    for user in ["alice", "bob", "carol"] {
        assert_eq!(account_status(&server, user).await, "Imported", "{user}");
    }
    assert_eq!(account_status(&server, "dave").await, "NotImported");
    assert_eq!(
        login_code(&server, "alice", &before_kick).await,
        70052,
        "the kick outlives the restart"
    );
    let after = today(&server).await;
    for field in ["ActiveUserNum", "LoginTimes", "RegistUserNumOneDay", "Date"] {
        assert_eq!(after[field], figures[field], "{field}: {after}");
    }
    assert_eq!(after["ActiveUserNum"], "2", "{after}");
    assert_eq!(after["RegistUserNumTotal"], "3", "{after}");
    assert_eq!(login_code(&server, "alice", &ticket("alice")).await, 0);
}

#[tokio::test]
async fn a_data_folder_serves_one_process_at_a_time() {
    let cwd = ScratchDir::new("durable-twice").unwrap();
    let first = start_in(cwd.path()).await;
    let output = command(cwd.path(), &[]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("in use by another tim-server"),
        "a clear reason: {stderr}"
    );
    let pid = first.pid().unwrap();
    assert!(stderr.contains(&format!("pid {pid}")), "{stderr}");
    // Another folder is another server.
    let other = cwd.path().join("other");
    let second = ServerProcess::start(
        command(cwd.path(), &["--data", other.to_str().unwrap()]),
        false,
    )
    .await
    .unwrap();
    assert_ne!(first.addr(), second.addr());
}

#[test]
fn a_damaged_or_newer_database_stops_the_server_with_code_2() {
    let cwd = ScratchDir::new("durable-damaged").unwrap();
    let data = cwd.path().join("tim-data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("tim.db"), vec![0x42; 4096]).unwrap();
    let output = command(cwd.path(), &[]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("not a readable SQLite database"),
        "{stderr}"
    );

    std::fs::remove_file(data.join("tim.db")).unwrap();
    let newer = rusqlite::Connection::open(data.join("tim.db")).unwrap();
    newer
        .pragma_update(None, "application_id", 0x5449_4d73)
        .unwrap();
    newer.pragma_update(None, "user_version", 999).unwrap();
    drop(newer);
    let output = command(cwd.path(), &[]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("schema version 999"), "{stderr}");
}

#[tokio::test]
async fn a_backup_taken_while_serving_starts_a_server_with_the_same_accounts() {
    let cwd = ScratchDir::new("durable-backup").unwrap();
    let server = start_in(cwd.path()).await;
    let import = r#"{"Accounts":["u1","u2","u3"]}"#;
    let answer = rest(&server, "im_open_login_svc/multiaccount_import", import).await;
    assert_eq!(code(&answer), 0, "{answer}");
    // The command docs/server.md gives, run while the server writes.
    let restored = cwd.path().join("restored");
    std::fs::create_dir_all(&restored).unwrap();
    let backup = restored.join("tim.db");
    rusqlite::Connection::open(cwd.path().join("tim-data/tim.db"))
        .unwrap()
        .execute("VACUUM INTO ?1", [backup.to_str().unwrap()])
        .unwrap();
    let copy = ServerProcess::start(
        command(cwd.path(), &["--data", restored.to_str().unwrap()]),
        false,
    )
    .await
    .unwrap();
    for user in ["u1", "u2", "u3"] {
        assert_eq!(account_status(&copy, user).await, "Imported", "{user}");
    }
    drop(server);
}

#[tokio::test]
async fn an_ephemeral_server_keeps_nothing() {
    let cwd = ScratchDir::new("durable-ephemeral").unwrap();
    let mut server = ServerProcess::start(command(cwd.path(), &["--ephemeral"]), false)
        .await
        .unwrap();
    let answer = rest(
        &server,
        "im_open_login_svc/account_import",
        r#"{"UserID":"carol"}"#,
    )
    .await;
    assert_eq!(code(&answer), 0, "{answer}");
    server.kill();
    let _ = server.wait(WAIT).await;
    assert!(
        !cwd.path().join("tim-data").exists(),
        "nothing was written to the working directory"
    );
    let server = ServerProcess::start(command(cwd.path(), &["--ephemeral"]), false)
        .await
        .unwrap();
    assert_eq!(account_status(&server, "carol").await, "NotImported");
}
