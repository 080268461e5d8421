//! [`Haproxy`]: Debian's `haproxy` as a TCP balancer in front of several `tim-server` nodes, with
//! the configuration operators start from (`docs/examples/haproxy.cfg` is [`config`]'s output).

use crate::daemon::{Daemon, Stream};
use crate::scratch::{ScratchDir, free_port};
use std::fmt::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;
use std::time::Duration;

/// How long haproxy gets to accept connections.
const WAIT: Duration = Duration::from_secs(15);
/// Starts tried before giving up on finding a free port.
const ATTEMPTS: usize = 10;
/// How often the frontend is tried while haproxy starts: it announces nothing when it listens.
const START_POLL: Duration = Duration::from_millis(20);

/// The configuration of a TCP balancer listening on `bind` (`127.0.0.1:PORT`, `:443`) in front of
/// `backends` (`HOST:PORT` each).
///
/// TCP mode: TLS, when used, stays end to end between the SDK and the node (`--tls-cert` on every
/// node), and the login travels in the WebSocket upgrade, which no balancer needs to read.
/// `leastconn`, because sessions are long-lived: round-robin would leave a node that restarted
/// empty while the others keep theirs. A node whose port stops answering is out after 2 failed
/// checks 200 ms apart (0.4 s) and back after 1 good one; a connection that cannot reach its node
/// is retried on another (`retries`, `option redispatch`). The client and server timeouts are
/// idle times and must exceed the SDK's heartbeat interval, or idle sessions are cut.
pub fn config(bind: &str, backends: &[String]) -> String {
    let mut config = String::from(
        "\
# tim-server nodes behind HAProxy, as a TCP balancer (tim_testkit::haproxy::config writes this).
# Run: haproxy -f haproxy.cfg. Each session holds two descriptors here; HAProxy sizes maxconn
# from the open file limit, so raise it (ulimit -n, LimitNOFILE=) for the sessions you expect.
global
    log stderr format short local0 warning

defaults
    mode tcp
    timeout connect 2s
    # Idle timeouts: longer than the SDK's heartbeat interval.
    timeout client 2m
    timeout server 2m
    retries 2
    option redispatch

frontend tim
",
    );
    let _ = writeln!(config, "    bind {bind}");
    config.push_str(
        "    default_backend tim_nodes

backend tim_nodes
    balance leastconn
    default-server check inter 200ms fall 2 rise 1
",
    );
    for (i, backend) in backends.iter().enumerate() {
        let _ = writeln!(config, "    server node{} {backend}", i + 1);
    }
    config
}

/// A running `haproxy` balancing TCP connections on a free loopback port over some backends,
/// with [`config`]'s configuration. SIGKILLed when dropped.
///
/// ```no_run
/// # async fn run(a: std::net::SocketAddr, b: std::net::SocketAddr) {
/// let balancer = tim_testkit::Haproxy::start(&[a, b]).await;
/// let url = balancer.url_ws(); // the SDK's server URL
/// # }
/// ```
pub struct Haproxy {
    daemon: Daemon,
    addr: SocketAddr,
    _dir: ScratchDir,
}

impl Haproxy {
    /// Starts haproxy in front of `backends` and waits until it accepts connections. Panics if
    /// it cannot (is `haproxy` installed? `scripts/test.sh` installs it).
    pub async fn start(backends: &[SocketAddr]) -> Haproxy {
        Haproxy::try_start(backends)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn try_start(backends: &[SocketAddr]) -> Result<Haproxy, String> {
        let dir = ScratchDir::new("haproxy")?;
        let file = dir.path().join("haproxy.cfg");
        let backends: Vec<String> = backends.iter().map(SocketAddr::to_string).collect();
        for _ in 0..ATTEMPTS {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
            std::fs::write(&file, config(&addr.to_string(), &backends))
                .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            let mut command = Command::new("haproxy");
            // -db: in the foreground, logging to stderr.
            command.arg("-db").arg("-f").arg(&file);
            let daemon = Daemon::start("haproxy", command, false)
                .map_err(|e| format!("{e} (install it: apt-get install haproxy)"))?;
            match accepting(&daemon, addr).await {
                Ok(()) => {
                    return Ok(Haproxy {
                        daemon,
                        addr,
                        _dir: dir,
                    });
                }
                Err(e) if e.contains("cannot bind socket") => continue,
                Err(e) => return Err(e),
            }
        }
        Err(format!("haproxy found no free port in {ATTEMPTS} tries"))
    }

    /// Its frontend's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `ws://` and [`addr`](Haproxy::addr): the URL the SDK is given.
    pub fn url_ws(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// What haproxy logged so far (its alerts and warnings: a backend going down says so).
    pub fn log(&self) -> Vec<String> {
        self.daemon.lines(Stream::Stderr)
    }

    /// Waits up to `timeout` for a log line containing `text` (logged before or after this call),
    /// such as `"Server tim_nodes/node2 is DOWN"`, and returns it.
    pub async fn wait_for_log(&self, text: &str, timeout: Duration) -> Result<String, String> {
        self.daemon
            .wait_for_text(Stream::Stderr, text, timeout)
            .await
    }
}

/// Waits until haproxy accepts on `addr`, or fails with its log if it exits first.
async fn accepting(daemon: &Daemon, addr: SocketAddr) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        if daemon.output_closed() {
            return Err(format!("haproxy exited at start{}", daemon.quote()));
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!(
                "haproxy did not accept on {addr} within {WAIT:?}{}",
                daemon.quote()
            ));
        }
        tokio::time::sleep(START_POLL).await;
    }
}
