//! ServerProcess against stand-in commands (a shell that prints a listening line, or dies): the
//! URL, the logs, the signals, and a clear failure. tim-server's own tests start the real one.

use std::process::Command;
use std::time::Duration;
use tim_testkit::ServerProcess;

const WAIT: Duration = Duration::from_secs(10);

fn shell(script: &str) -> Command {
    let mut command = Command::new("sh");
    command.args(["-c", script]);
    command
}

/// The process state letter in `/proc/PID/stat` (`T` when stopped).
fn state(pid: u32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    stat[stat.rfind(')').unwrap() + 2..].chars().next().unwrap()
}

#[tokio::test]
async fn a_server_that_exits_before_listening_fails_with_its_stderr() {
    let started = ServerProcess::start(
        shell("echo 'tim-server: no app configured' >&2; exit 2"),
        false,
    )
    .await;
    let error = started.err().expect("no listening line, no server");
    assert!(
        error.contains("exited before its listening line"),
        "{error}"
    );
    assert!(error.contains("no app configured"), "{error}");
}

#[tokio::test]
async fn the_listening_line_gives_the_url_and_signals_reach_the_process() {
    // `exec`: the shell becomes the long-running stand-in, so signals reach it directly.
    let script = "echo 'listening on ws://127.0.0.1:9'; echo 'a log line' >&2; exec sleep 600";
    let mut server = ServerProcess::start(shell(script), false).await.unwrap();
    assert_eq!(server.url(), "ws://127.0.0.1:9");
    assert_eq!(server.addr().port(), 9);
    server.wait_for_stderr("a log line", WAIT).await.unwrap();
    assert_eq!(server.stderr(), ["a log line"]);

    let pid = server.pid().unwrap();
    server.stop();
    assert_eq!(
        state(pid),
        'T',
        "SIGSTOP has stopped it when stop() returns"
    );
    server.cont();
    assert_ne!(state(pid), 'T');
    server.terminate();
    let status = server.wait(WAIT).await.unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(15), "{status:?}");
    assert_eq!(server.pid(), None, "an exited process has no id to signal");
}

#[tokio::test]
async fn kill_and_drop_end_the_process() {
    let script = "echo 'listening on ws://127.0.0.1:9'; exec sleep 600";
    let mut server = ServerProcess::start(shell(script), false).await.unwrap();
    let pid = server.pid().unwrap();
    server.kill();
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());

    let server = ServerProcess::start(shell(script), false).await.unwrap();
    let pid = server.pid().unwrap();
    drop(server);
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}
