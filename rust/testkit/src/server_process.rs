//! [`ServerProcess`]: the `tim-server` command started the way scripts start it, on the URL its
//! listening line gives.

use crate::daemon::{Daemon, Stream};
use rustix::process::Signal;
use std::ffi::OsStr;
use std::net::SocketAddr;
use std::process::{Command, ExitStatus};
use std::time::Duration;

/// How long a server gets to print its listening line.
const START_TIMEOUT: Duration = Duration::from_secs(15);
/// What the listening line starts with (`listening on ws://127.0.0.1:PORT`).
const LISTENING: &str = "listening on ";

/// A running `tim-server` process. Started with `--listen 127.0.0.1:0`, it is reached at
/// [`url`](ServerProcess::url), which the listening line says. SIGKILLed when dropped.
///
/// ```no_run
/// # async fn run() {
/// use tim_testkit::ServerProcess;
/// let bin = "target/debug/tim-server"; // env!("CARGO_BIN_EXE_tim-server") in the server's tests
/// let server = ServerProcess::spawn(bin, &["--listen", "127.0.0.1:0", "--app", "1400000000:key"]).await;
/// println!("{}", server.url()); // ws://127.0.0.1:PORT
/// server.terminate(); // SIGTERM: a graceful shutdown
/// # }
/// ```
pub struct ServerProcess {
    daemon: Daemon,
    url: String,
    addr: SocketAddr,
}

impl ServerProcess {
    /// Starts `binary` with `args` and waits for its listening line. Panics if it cannot start,
    /// exits first or says nothing within 15 s, quoting what it wrote to stderr (a test cannot go
    /// on without its server).
    pub async fn spawn(binary: impl AsRef<OsStr>, args: &[&str]) -> ServerProcess {
        let mut command = Command::new(binary);
        command.args(args);
        ServerProcess::start(command, false)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts `command` (a `tim-server` with its arguments and environment) and waits for its
    /// listening line; with `echo_stderr`, its logs are also copied to this process's stderr.
    pub async fn start(command: Command, echo_stderr: bool) -> Result<ServerProcess, String> {
        let daemon = Daemon::start("tim-server", command, echo_stderr)?;
        let line = daemon
            .wait_for_line(
                Stream::Stdout,
                "its listening line",
                START_TIMEOUT,
                |line| line.starts_with(LISTENING),
            )
            .await?;
        let url = line[LISTENING.len()..].trim().to_owned();
        let addr = url
            .split_once("://")
            .and_then(|(_, rest)| rest.split('/').next()?.parse().ok())
            .ok_or_else(|| format!("tim-server listens on {url:?}: no IP address and port"))?;
        Ok(ServerProcess { daemon, url, addr })
    }

    /// The URL the listening line gave (`ws://` or `wss://`, an IP address and a port).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The process id, until the process has been waited for.
    pub fn pid(&self) -> Option<u32> {
        self.daemon.pid()
    }

    /// SIGKILL: the server dies at once, with its sessions, as in a crash. Returns once it is gone.
    pub fn kill(&mut self) {
        self.daemon.kill();
    }

    /// SIGTERM: the server starts its graceful shutdown; [`wait`](ServerProcess::wait) for it.
    pub fn terminate(&self) {
        self.signal(Signal::TERM);
    }

    /// SIGSTOP: the process freezes (a hung node: its sockets stay open, nothing answers).
    pub fn stop(&self) {
        self.signal(Signal::STOP);
    }

    /// SIGCONT: a stopped process goes on.
    pub fn cont(&self) {
        self.signal(Signal::CONT);
    }

    /// Waits up to `timeout` for the process to exit, and gives its status.
    pub async fn wait(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        self.daemon.wait(timeout).await
    }

    /// What the server wrote to stderr so far (its logs; the last 10,000 lines).
    pub fn stderr(&self) -> Vec<String> {
        self.daemon.lines(Stream::Stderr)
    }

    /// Waits up to `timeout` for a stderr line containing `text` (written before or after this
    /// call), and returns it.
    pub async fn wait_for_stderr(&self, text: &str, timeout: Duration) -> Result<String, String> {
        self.daemon
            .wait_for_text(Stream::Stderr, text, timeout)
            .await
    }

    fn signal(&self, signal: Signal) {
        self.daemon.signal(signal).unwrap_or_else(|e| panic!("{e}"));
    }
}
