//! [`RedisServer`] and [`RedisCluster`]: Debian's `redis-server` on free loopback ports, with no
//! persistence unless a test asks for it, for the tests of a cluster of `tim-server` nodes
//! sharing a Redis.

use crate::daemon::{Daemon, Stream};
use crate::scratch::{ScratchDir, free_port};
use rustix::process::Signal;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;
use std::time::Duration;

/// How long a redis-server gets to say it is ready, and a command to answer.
const WAIT: Duration = Duration::from_secs(15);
/// Starts tried before giving up on finding a free port.
const ATTEMPTS: usize = 10;
/// What redis-server prints once it serves.
const READY: &str = "Ready to accept connections";
/// What it prints before exiting when its port (or its cluster bus port) is taken.
const CLASH: &str = "Address already in use";
/// A cluster node also listens on its port + 10000 (the cluster bus).
const BUS_OFFSET: u16 = 10_000;
/// What redis-server persists in its `--dir`: the append-only file (a folder from Redis 7 on, a
/// file before) and the RDB snapshot.
const PERSISTED: [&str; 3] = ["appendonlydir", "appendonly.aof", "dump.rdb"];

/// A `redis-server` on `127.0.0.1`, started empty and without persistence (`--save ""
/// --appendonly no`, unless [`start_with_args`](RedisServer::start_with_args) says otherwise) in a
/// folder of its own, SIGKILLed when dropped.
///
/// The faults a node of a cluster meets: [`kill`](RedisServer::kill) (a crash),
/// [`stop`](RedisServer::stop) / [`cont`](RedisServer::cont) (a hang: connections stay open,
/// nothing answers), [`restart_empty`](RedisServer::restart_empty) (a restart that lost every key),
/// [`restart`](RedisServer::restart) (a crash and a restart that reloads what it persisted).
///
/// ```no_run
/// # async fn run() {
/// let redis = tim_testkit::RedisServer::start().await;
/// let url = redis.url(); // redis://127.0.0.1:PORT, for `tim-server --redis`
/// let keys: Vec<String> = redis.query(redis::cmd("KEYS").arg("*")).await;
/// # }
/// ```
pub struct RedisServer {
    daemon: Daemon,
    port: u16,
    /// Arguments beyond the ones every start gets (a cluster node's, a test's).
    extra: Vec<String>,
    /// Its working folder (a cluster node's `nodes.conf`).
    dir: ScratchDir,
}

impl RedisServer {
    /// Starts an empty redis-server on a free loopback port and waits until it answers PING.
    /// Panics if it cannot (is `redis-server` installed? `scripts/test.sh` installs it).
    pub async fn start() -> RedisServer {
        RedisServer::start_with(Vec::new())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts an empty redis-server with `args` after the default ones, which they override:
    /// `["--appendonly", "yes", "--appendfsync", "always"]` for one that keeps every write it
    /// acknowledged, `["--rename-command", "CONFIG", ""]` for one that forbids `CONFIG`. Panics if
    /// it cannot start (a bad argument makes redis-server exit, quoted in the panic).
    pub async fn start_with_args(args: &[&str]) -> RedisServer {
        RedisServer::start_with(args.iter().map(|&a| a.to_owned()).collect())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn start_with(extra: Vec<String>) -> Result<RedisServer, String> {
        let dir = ScratchDir::new("redis")?;
        let (daemon, port) = launch(None, &dir, &extra).await?;
        Ok(RedisServer {
            daemon,
            port,
            extra,
            dir,
        })
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr())
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// A client of this server, for connections of the test's own.
    pub fn client(&self) -> redis::Client {
        redis::Client::open(self.url()).expect("a redis:// URL is valid")
    }

    /// A new connection. Panics if the server does not answer within 15 s.
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        let client = self.client();
        match tokio::time::timeout(WAIT, client.get_multiplexed_async_connection()).await {
            Ok(Ok(connection)) => connection,
            Ok(Err(e)) => panic!("cannot connect to redis at {}: {e}", self.url()),
            Err(_) => panic!("redis at {} did not answer within {WAIT:?}", self.url()),
        }
    }

    /// Runs `command` on a new connection and converts its answer, for a test's assertions:
    /// `redis.query::<Vec<String>>(redis::cmd("KEYS").arg("*"))`. Panics on an error or after 15 s.
    pub async fn query<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> T {
        let mut connection = self.connection().await;
        match tokio::time::timeout(WAIT, command.query_async(&mut connection)).await {
            Ok(Ok(value)) => value,
            Ok(Err(e)) => panic!("redis at {} answered an error: {e}", self.url()),
            Err(_) => panic!("redis at {} did not answer within {WAIT:?}", self.url()),
        }
    }

    /// `INFO memory`, as Redis prints it.
    pub async fn info_memory(&self) -> String {
        self.query(redis::cmd("INFO").arg("memory")).await
    }

    /// `used_memory` from `INFO memory`: the bytes Redis' allocator holds for data and buffers.
    pub async fn used_memory(&self) -> u64 {
        let info = self.info_memory().await;
        info.lines()
            .find_map(|line| line.strip_prefix("used_memory:"))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or_else(|| panic!("no used_memory in INFO memory:\n{info}"))
    }

    /// SIGKILL: Redis dies with every key; clients' connections are reset. Returns once the
    /// process is gone.
    pub fn kill(&mut self) {
        self.daemon.kill();
    }

    /// SIGSTOP: Redis freezes. Connections stay open and commands get no answer, as when Redis
    /// hangs or the network between node and Redis blackholes.
    pub fn stop(&self) {
        self.signal(Signal::STOP);
    }

    /// SIGCONT: a stopped Redis goes on, and answers what waited.
    pub fn cont(&self) {
        self.signal(Signal::CONT);
    }

    /// Kills this Redis (if it still runs) and starts a new, empty one, waiting until it answers:
    /// whatever it persisted (AOF, RDB) is removed first. It asks for the same port and returns
    /// whether it got it: it does unless another socket took the port meanwhile, which the OS can
    /// do (the port came from its ephemeral range), so a test that needs its nodes to keep one
    /// Redis address gives them a [`FaultProxy`](crate::FaultProxy)'s address and, after the
    /// restart, calls `proxy.set_upstream(redis.addr())`.
    pub async fn restart_empty(&mut self) -> bool {
        self.daemon.kill();
        for persisted in PERSISTED {
            let path = self.dir.path().join(persisted);
            let _ = std::fs::remove_dir_all(&path);
            let _ = std::fs::remove_file(&path);
        }
        self.relaunch().await
    }

    /// SIGKILLs this Redis (if it still runs), as a crash would, and starts it again with the
    /// same arguments, folder and port (see [`restart_empty`](RedisServer::restart_empty) on
    /// the port), waiting until it has loaded what it persisted and answers. Returns whether it
    /// got its port back.
    pub async fn restart(&mut self) -> bool {
        self.daemon.kill();
        self.relaunch().await
    }

    async fn relaunch(&mut self) -> bool {
        let (daemon, port) = launch(Some(self.port), &self.dir, &self.extra)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let kept = port == self.port;
        (self.daemon, self.port) = (daemon, port);
        kept
    }

    /// What redis-server printed so far (its log).
    pub fn log(&self) -> Vec<String> {
        self.daemon.lines(Stream::Stdout)
    }

    fn signal(&self, signal: Signal) {
        self.daemon.signal(signal).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// A port for a redis-server: free, and for a cluster node also free 10000 above.
fn redis_port(cluster: bool) -> Result<u16, String> {
    for _ in 0..ATTEMPTS {
        let port = free_port()?;
        if !cluster {
            return Ok(port);
        }
        let bus_free = port
            .checked_add(BUS_OFFSET)
            .is_some_and(|bus| std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, bus)).is_ok());
        if bus_free {
            return Ok(port);
        }
    }
    Err("no free port pair for a redis cluster node".to_owned())
}

/// Starts redis-server on `port` if given (else a free one), retrying on a fresh port when the
/// port turns out to be taken, and waits until it is ready and answers PING.
async fn launch(
    port: Option<u16>,
    dir: &ScratchDir,
    extra: &[String],
) -> Result<(Daemon, u16), String> {
    let cluster = extra.iter().any(|arg| arg == "--cluster-enabled");
    let mut wanted = port;
    for _ in 0..ATTEMPTS {
        let port = match wanted.take() {
            Some(port) => port,
            None => redis_port(cluster)?,
        };
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--logfile", "", "--daemonize", "no"])
            .arg("--dir")
            .arg(dir.path())
            .args(extra);
        let daemon = Daemon::start("redis-server", command, false)
            .map_err(|e| format!("{e} (install it: apt-get install redis-server)"))?;
        let ready = daemon
            .wait_for_line(Stream::Stdout, "it was ready", WAIT, |l| l.contains(READY))
            .await;
        match ready {
            Ok(_) => {
                ping(port).await?;
                return Ok((daemon, port));
            }
            Err(_)
                if daemon
                    .lines(Stream::Stdout)
                    .iter()
                    .any(|l| l.contains(CLASH)) =>
            {
                continue;
            }
            Err(e) => return Err(e),
        }
    }
    Err(format!(
        "redis-server found no free port in {ATTEMPTS} tries"
    ))
}

async fn ping(port: u16) -> Result<(), String> {
    let url = format!("redis://127.0.0.1:{port}");
    let pinging = async {
        let client = redis::Client::open(url.as_str())?;
        let mut connection = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
    };
    match tokio::time::timeout(WAIT, pinging).await {
        Ok(Ok(pong)) if pong == "PONG" => Ok(()),
        Ok(Ok(other)) => Err(format!("{url} answered PING with {other:?}")),
        Ok(Err(e)) => Err(format!("{url} did not answer PING: {e}")),
        Err(_) => Err(format!("{url} did not answer PING within {WAIT:?}")),
    }
}

/// A Redis Cluster of three masters on loopback (no replicas), created with `redis-cli --cluster
/// create` and ready (`cluster_state:ok` on every node) when [`start`](RedisCluster::start)
/// returns. Every node is SIGKILLed when dropped.
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

/// Masters in a [`RedisCluster`].
const MASTERS: usize = 3;
/// How often `CLUSTER INFO` is read while the nodes agree on the slots: Redis announces no
/// event for it, so this is the one wait in these helpers that polls.
const CLUSTER_POLL: Duration = Duration::from_millis(50);

impl RedisCluster {
    /// Starts three cluster-enabled redis-servers, joins them into one cluster holding all 16384
    /// slots, and waits until every node reports `cluster_state:ok`. Panics if it cannot.
    pub async fn start() -> RedisCluster {
        RedisCluster::try_start()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn try_start() -> Result<RedisCluster, String> {
        let extra: Vec<String> = [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            "5000",
        ]
        .map(str::to_owned)
        .into();
        let mut nodes = Vec::with_capacity(MASTERS);
        for _ in 0..MASTERS {
            nodes.push(RedisServer::start_with(extra.clone()).await?);
        }
        let mut create = tokio::process::Command::new("redis-cli");
        create
            .arg("--cluster")
            .arg("create")
            .args(nodes.iter().map(|node| node.addr().to_string()))
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .kill_on_drop(true);
        let created = tokio::time::timeout(WAIT, create.output())
            .await
            .map_err(|_| format!("redis-cli --cluster create took over {WAIT:?}"))?
            .map_err(|e| format!("cannot run redis-cli ({e}): apt-get install redis-tools"))?;
        if !created.status.success() {
            return Err(format!(
                "redis-cli --cluster create failed: {}{}",
                String::from_utf8_lossy(&created.stdout),
                String::from_utf8_lossy(&created.stderr)
            ));
        }
        let cluster = RedisCluster { nodes };
        let deadline = tokio::time::Instant::now() + WAIT;
        for node in &cluster.nodes {
            loop {
                let info: String = node.query(redis::cmd("CLUSTER").arg("INFO")).await;
                if info.lines().any(|line| line.trim() == "cluster_state:ok") {
                    break;
                }
                if tokio::time::Instant::now() > deadline {
                    return Err(format!(
                        "{} never reached cluster_state:ok:\n{info}",
                        node.url()
                    ));
                }
                tokio::time::sleep(CLUSTER_POLL).await;
            }
        }
        Ok(cluster)
    }

    /// The nodes' URLs (`redis://127.0.0.1:PORT`): the seeds a cluster client is given.
    pub fn seed_urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    /// The nodes, each a master of about a third of the slots.
    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }

    /// The node serving `key`'s slot (by `CLUSTER KEYSLOT` and `CLUSTER SLOTS`).
    pub async fn node_for(&self, key: &str) -> &RedisServer {
        let first = &self.nodes[0];
        let slot: i64 = first
            .query(redis::cmd("CLUSTER").arg("KEYSLOT").arg(key))
            .await;
        // Each entry: start slot, end slot, then the master as [ip, port, id, ...], replicas.
        let ranges: Vec<Vec<redis::Value>> = first.query(redis::cmd("CLUSTER").arg("SLOTS")).await;
        let int = |value: &redis::Value| match value {
            redis::Value::Int(n) => Some(*n),
            _ => None,
        };
        let port = ranges
            .iter()
            .find_map(|range| {
                let (start, end) = (int(range.first()?)?, int(range.get(1)?)?);
                let redis::Value::Array(master) = range.get(2)? else {
                    return None;
                };
                (start..=end).contains(&slot).then(|| int(master.get(1)?))?
            })
            .unwrap_or_else(|| panic!("no node serves slot {slot}"));
        self.nodes
            .iter()
            .find(|node| i64::from(node.port) == port)
            .unwrap_or_else(|| panic!("slot {slot} is served by port {port}, not one of ours"))
    }
}
