//! `tim-server` as a cluster, side by side with the memory registry, in one run on one machine:
//!
//! - **logins/s** with a new connection each, for the memory registry, one node on Redis and two
//!   nodes on the same Redis (each worker keeps to one node and its own users, so the two nodes
//!   never contend for an account), with the server's and Redis' CPU per login and the Redis
//!   commands per login (`INFO commandstats`);
//! - **Redis memory per online session**: `used_memory` before N distinct users log in, with all
//!   of them online, and after they left (what their accounts keep);
//! - **cross-node kick latency**: a client of node A online as user U, then a login of U (another
//!   instance, same platform) on node B; the time from sending B's login until A's client reads
//!   its `kicked_offline` frame.
//!
//! Redis is a `tim_testkit::RedisServer` started here (it needs `redis-server` on the `PATH`).

use super::idle::{login_all, wait_for_sessions};
use super::server::{Target, TargetOptions};
use super::{Percentiles, connect, count, cpu_time, error_kind, machine_busy, merge};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tim_protocol::{LoginRequest, ServerFrame};
use tim_testkit::RedisServer;
use tim_testkit::client::{Connection, login_request};
use tim_usersig::Claims;

/// How to run the cluster measurements.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// How long each logins run is measured.
    pub duration: Duration,
    /// How long each logins run loads the servers before measuring.
    pub warmup: Duration,
    /// Logins in flight at once.
    pub concurrency: usize,
    /// Distinct users the logins cycle through.
    pub users: usize,
    /// Sessions held open for the Redis memory reading.
    pub sessions: usize,
    /// Cross-node kicks timed.
    pub kicks: usize,
}

/// One setup's logins run.
#[derive(Debug, serde::Serialize)]
pub struct LoginsRow {
    /// `memory registry`, `1 node + Redis` or `2 nodes + Redis`.
    pub setup: String,
    /// Seconds measured.
    pub seconds: f64,
    /// Successful logins completed within the window.
    pub ok: u64,
    /// `ok` per second.
    pub logins_per_sec: f64,
    /// From connect to login result.
    pub latency_ms: Percentiles,
    /// Failures within the window, by code or stage.
    pub errors: BTreeMap<String, u64>,
    /// CPU of every server process per successful login, in microseconds (when started here).
    pub server_cpu_us_per_login: Option<f64>,
    /// Redis' CPU (`used_cpu_sys + used_cpu_user`) per successful login, in microseconds.
    pub redis_cpu_us_per_login: Option<f64>,
    /// Redis commands per successful login, by command (`INFO commandstats`), the login's own
    /// and its session's removal when the connection closes.
    pub redis_calls_per_login: BTreeMap<String, f64>,
    /// Load generator CPU during the window, in cores.
    pub loadgen_cpu_cores: f64,
    /// The whole machine's busy CPU during the window, in cores.
    pub machine_busy_cores: Option<f64>,
}

/// Redis' memory around N sessions of N distinct users.
#[derive(Debug, serde::Serialize)]
pub struct RedisMemory {
    /// Sessions that were online at once.
    pub sessions: usize,
    /// Logins that failed while opening them.
    pub errors: BTreeMap<String, u64>,
    /// `used_memory` before the users' first login, in bytes.
    pub before: u64,
    /// With every session online.
    pub online: u64,
    /// After every session closed: what the accounts keep.
    pub after_close: u64,
    /// `(online - before) / sessions`: an online session and its account.
    pub bytes_per_online_session: f64,
    /// `(online - after_close) / sessions`: the session alone.
    pub bytes_per_session: f64,
    /// `(after_close - before) / sessions`: the account alone, which stays.
    pub bytes_per_account: f64,
}

/// Cross-node kicks, each timed from sending the login on node B until the kicked client of
/// node A reads its `kicked_offline` frame.
#[derive(Debug, serde::Serialize)]
pub struct KickLatency {
    /// Kicks attempted.
    pub kicks: usize,
    /// `kicked_offline` frames received by the clients of node A.
    pub received: usize,
    /// Failures, by stage.
    pub errors: BTreeMap<String, u64>,
    /// Login on B → push on A.
    pub latency_ms: Percentiles,
}

/// Everything one run measured.
#[derive(Debug, serde::Serialize)]
pub struct ClusterReport {
    /// Logins workers.
    pub concurrency: usize,
    /// The three setups' logins runs, in order.
    pub logins: Vec<LoginsRow>,
    /// Redis memory per online session.
    pub redis_memory: RedisMemory,
    /// Cross-node kick latency.
    pub kick_latency: KickLatency,
}

/// Per-login timeout: a login slower than this counts as an error.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long node A's client waits for its kick.
const KICK_TIMEOUT: Duration = Duration::from_secs(5);
/// Server arguments of every setup: idle sessions outlive the memory reading.
const SERVER_ARGS: [&str; 2] = ["--heartbeat-timeout", "3600"];

/// Starts Redis and the servers of each setup in turn, and measures.
pub async fn run(
    target: &TargetOptions,
    options: &ClusterOptions,
) -> Result<ClusterReport, String> {
    let redis = RedisServer::start().await;
    let url = redis.url();
    let node = |id: &'static str| async {
        let mut args = SERVER_ARGS.to_vec();
        // The benchmark's own Redis keeps nothing on disk.
        args.extend(["--redis", &url, "--redis-ephemeral", "--node-id", id]);
        Target::start(target, &args).await
    };

    let mut logins = Vec::new();
    let memory = Target::start(target, &SERVER_ARGS).await?;
    let row = measure_logins("memory registry", &[&memory], None, options).await;
    memory.stop().await;
    logins.push(row?);

    let a = node("a").await?;
    let row = measure_logins("1 node + Redis", &[&a], Some(&redis), options).await;
    let redis_memory = match row {
        Ok(row) => {
            logins.push(row);
            redis_memory(&a, &redis, options.sessions, options.concurrency).await
        }
        Err(e) => Err(e),
    };
    a.stop().await;
    let redis_memory = redis_memory?;

    let (a, b) = (node("a").await?, node("b").await?);
    let row = measure_logins("2 nodes + Redis", &[&a, &b], Some(&redis), options).await;
    let kicks = match row {
        Ok(row) => {
            logins.push(row);
            kick_latency(&a, &b, options.kicks).await
        }
        Err(e) => Err(e),
    };
    a.stop().await;
    b.stop().await;
    Ok(ClusterReport {
        concurrency: options.concurrency,
        logins,
        redis_memory,
        kick_latency: kicks?,
    })
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `user` logging in as `instance`, with a fresh ticket.
fn request(target: &Target, user: &str, instance: &str) -> LoginRequest {
    let claims = Claims::new(target.app, user, now_unix(), 86_400);
    login_request(
        target.app,
        user,
        &tim_usersig::sign(&target.key, &claims),
        instance,
    )
}

/// Redis' CPU time and command counts, from `INFO cpu` and `INFO commandstats`.
#[derive(Debug, Default, PartialEq)]
struct RedisStats {
    cpu: Duration,
    calls: BTreeMap<String, u64>,
}

impl RedisStats {
    async fn read(redis: &RedisServer) -> RedisStats {
        let cpu: String = redis.query(redis::cmd("INFO").arg("cpu")).await;
        let commands: String = redis.query(redis::cmd("INFO").arg("commandstats")).await;
        RedisStats::parse(&format!("{cpu}\n{commands}"))
    }

    /// `used_cpu_sys:1.5` and `used_cpu_user:2.25` lines, and `cmdstat_NAME:calls=N,...` ones.
    fn parse(info: &str) -> RedisStats {
        let mut stats = RedisStats::default();
        for line in info.lines().map(str::trim) {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if name == "used_cpu_sys" || name == "used_cpu_user" {
                stats.cpu += Duration::from_secs_f64(value.parse().unwrap_or(0.0));
            } else if let Some(command) = name.strip_prefix("cmdstat_") {
                let calls = value
                    .split(',')
                    .find_map(|field| field.strip_prefix("calls="))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                stats.calls.insert(command.to_owned(), calls);
            }
        }
        stats
    }

    /// Commands per login between `self` and the later `after`, without the `INFO` readings.
    fn calls_per_login(&self, after: &RedisStats, logins: u64) -> BTreeMap<String, f64> {
        after
            .calls
            .iter()
            .filter(|(command, _)| *command != "info")
            .map(|(command, n)| {
                let before = self.calls.get(command).copied().unwrap_or(0);
                (command.clone(), (n - before) as f64 / logins.max(1) as f64)
            })
            .filter(|(_, per)| *per > 0.0)
            .collect()
    }
}

/// Logins with a new connection each against `targets`: worker `w` logs in to node
/// `w % targets.len()` as its own users (`SETUP-u` for every `u` with `u % concurrency == w`).
pub async fn measure_logins(
    setup: &str,
    targets: &[&Target],
    redis: Option<&RedisServer>,
    options: &ClusterOptions,
) -> Result<LoginsRow, String> {
    let prefix = setup.split(' ').next().unwrap_or(setup);
    let users = options.users.max(options.concurrency);
    let requests: Vec<LoginRequest> = (0..users)
        .map(|u| request(targets[0], &format!("{prefix}-{u}"), "bench"))
        .collect();
    let requests = Arc::new(requests);
    let start = Instant::now();
    let window = (
        start + options.warmup,
        start + options.warmup + options.duration,
    );
    let workers: Vec<_> = (0..options.concurrency)
        .map(|w| {
            let node = targets[w % targets.len()];
            let (url, addr) = (node.url.clone(), node.addr);
            let (requests, step) = (requests.clone(), options.concurrency);
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = BTreeMap::new();
                for request in requests.iter().skip(w).step_by(step).cycle() {
                    let started = Instant::now();
                    if started >= window.1 {
                        break;
                    }
                    let login = async {
                        let stream = connect(addr, None)
                            .await
                            .map_err(|e| error_kind("connect", &e.into()))?;
                        let outcome = Connection::login_on(stream, &url, request)
                            .await
                            .map_err(|e| error_kind("login", &e))?;
                        let answered = Instant::now();
                        outcome.connection.close().await;
                        Ok::<_, String>((outcome.result.code, answered))
                    };
                    let outcome = tokio::time::timeout(LOGIN_TIMEOUT, login).await;
                    let done = Instant::now();
                    if done < window.0 || done > window.1 {
                        continue;
                    }
                    match outcome {
                        Ok(Ok((0, answered))) => latencies.push(
                            u32::try_from(answered.duration_since(started).as_micros())
                                .unwrap_or(u32::MAX),
                        ),
                        Ok(Ok((code, _))) => count(&mut errors, code.to_string()),
                        Ok(Err(kind)) => count(&mut errors, kind),
                        Err(_) => count(&mut errors, "timeout".to_owned()),
                    }
                }
                (latencies, errors)
            })
        })
        .collect();

    let servers_cpu = || -> Option<Duration> { targets.iter().map(|t| t.cpu_time()).sum() };
    tokio::time::sleep_until(window.0.into()).await;
    let redis_0 = match redis {
        Some(redis) => Some(RedisStats::read(redis).await),
        None => None,
    };
    let (server_0, loadgen_0, machine_0, wall_0) = (
        servers_cpu(),
        cpu_time("self"),
        machine_busy(),
        Instant::now(),
    );
    tokio::time::sleep_until(window.1.into()).await;
    let (server_1, loadgen_1, machine_1) = (servers_cpu(), cpu_time("self"), machine_busy());
    let wall = wall_0.elapsed().as_secs_f64();
    let redis_1 = match redis {
        Some(redis) => Some(RedisStats::read(redis).await),
        None => None,
    };

    let mut latencies = Vec::new();
    let mut errors = BTreeMap::new();
    for worker in workers {
        let (l, e) = worker.await.map_err(|e| format!("a worker failed: {e}"))?;
        latencies.extend(l);
        merge(&mut errors, e);
    }
    let ok = latencies.len() as u64;
    let per_login = |a: Option<Duration>, b: Option<Duration>| {
        Some((b? - a?).as_secs_f64() * 1e6 / ok as f64).filter(|_| ok > 0)
    };
    let cores = |a: Option<Duration>, b: Option<Duration>| Some((b? - a?).as_secs_f64() / wall);
    let seconds = options.duration.as_secs_f64();
    Ok(LoginsRow {
        setup: setup.to_owned(),
        seconds,
        ok,
        logins_per_sec: ok as f64 / seconds,
        latency_ms: Percentiles::of(latencies),
        errors,
        server_cpu_us_per_login: per_login(server_0, server_1),
        redis_cpu_us_per_login: match (&redis_0, &redis_1) {
            (Some(a), Some(b)) => per_login(Some(a.cpu), Some(b.cpu)),
            _ => None,
        },
        redis_calls_per_login: match (&redis_0, &redis_1) {
            (Some(a), Some(b)) => a.calls_per_login(b, ok),
            _ => BTreeMap::new(),
        },
        loadgen_cpu_cores: cores(loadgen_0, loadgen_1).unwrap_or(0.0),
        machine_busy_cores: cores(machine_0, machine_1),
    })
}

/// `used_memory` before `sessions` distinct users log in to `node`, with all of them online,
/// and after they all left.
pub async fn redis_memory(
    node: &Target,
    redis: &RedisServer,
    sessions: usize,
    concurrency: usize,
) -> Result<RedisMemory, String> {
    let requests: Vec<LoginRequest> = (0..sessions)
        .map(|u| request(node, &format!("mem-{u}"), "bench"))
        .collect();
    let before = redis.used_memory().await;
    let (open, errors) = login_all(node, Arc::new(requests), concurrency, true).await;
    let opened = open.len();
    if opened == 0 {
        return Err(format!("no session could be opened: {errors:?}"));
    }
    // Every login was answered after its admission applied in Redis.
    let online = redis.used_memory().await;
    for connection in open {
        connection.close().await;
    }
    wait_for_sessions(node, 0).await;
    let after_close = redis.used_memory().await;
    let per = |from: u64, to: u64| (to as f64 - from as f64) / opened as f64;
    Ok(RedisMemory {
        sessions: opened,
        errors,
        before,
        online,
        after_close,
        bytes_per_online_session: per(before, online),
        bytes_per_session: per(after_close, online),
        bytes_per_account: per(before, after_close),
    })
}

/// `kicks` cross-node kicks, one at a time, each of its own user: `kick-K` online on `a` as
/// instance 1, then logging in on `b` as instance 2 (same platform), which ends the first.
pub async fn kick_latency(a: &Target, b: &Target, kicks: usize) -> Result<KickLatency, String> {
    let mut latencies = Vec::with_capacity(kicks);
    let mut errors = BTreeMap::new();
    for k in 0..kicks {
        let user = format!("kick-{k}");
        let (first, second) = (request(a, &user, "1"), request(b, &user, "2"));
        match kick_once(a, b, &first, &second).await {
            Ok(latency) => latencies.push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX)),
            Err(kind) => count(&mut errors, kind),
        }
    }
    if latencies.is_empty() && kicks > 0 {
        return Err(format!("no kick arrived: {errors:?}"));
    }
    Ok(KickLatency {
        kicks,
        received: latencies.len(),
        errors,
        latency_ms: Percentiles::of(latencies),
    })
}

/// One kick: the time from sending `second`'s login on `b` until `first`'s client on `a` reads
/// `kicked_offline`. The wait for the push and B's login run at once, so neither delays the other.
async fn kick_once(
    a: &Target,
    b: &Target,
    first: &LoginRequest,
    second: &LoginRequest,
) -> Result<Duration, String> {
    let login = async |target: &Target, request: &LoginRequest| {
        let stream = connect(target.addr, None)
            .await
            .map_err(|e| error_kind("connect", &e.into()))?;
        let outcome = tokio::time::timeout(
            LOGIN_TIMEOUT,
            Connection::login_on(stream, &target.url, request),
        )
        .await
        .map_err(|_| "login: timeout".to_owned())?
        .map_err(|e| error_kind("login", &e))?;
        match outcome.result.code {
            0 => Ok(outcome.connection),
            code => Err(code.to_string()),
        }
    };
    let mut kicked = login(a, first).await?;
    let sent = Instant::now();
    let push = async {
        match kicked.recv_within(KICK_TIMEOUT).await {
            Ok(ServerFrame::KickedOffline { .. }) => Ok(sent.elapsed()),
            Ok(other) => Err(format!("push: {other:?}")),
            Err(_) => Err("push: none".to_owned()),
        }
    };
    let (latency, kicker) = tokio::join!(push, login(b, second));
    kicker?.close().await;
    latency
}

/// The report as a table, or as JSON.
pub fn print(report: &ClusterReport, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
        return;
    }
    let opt = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.1}"));
    println!(
        "logins, a new connection each ({} workers)",
        report.concurrency
    );
    println!(
        "  {:<18} {:>9} {:>8} {:>8} {:>14} {:>13}  redis calls/login",
        "setup", "logins/s", "p50 ms", "p99 ms", "server µs/login", "redis µs/login"
    );
    for row in &report.logins {
        let calls: Vec<String> = row
            .redis_calls_per_login
            .iter()
            .map(|(command, n)| format!("{command} {n:.2}"))
            .collect();
        println!(
            "  {:<18} {:>9.0} {:>8.2} {:>8.2} {:>14} {:>13}  {}",
            row.setup,
            row.logins_per_sec,
            row.latency_ms.p50,
            row.latency_ms.p99,
            opt(row.server_cpu_us_per_login),
            opt(row.redis_cpu_us_per_login),
            calls.join(", ")
        );
        if !row.errors.is_empty() {
            println!("  {:<18} errors {:?}", "", row.errors);
        }
    }
    let m = &report.redis_memory;
    println!(
        "redis memory ({} sessions of distinct users): before {} B, online {} B, after close {} B",
        m.sessions, m.before, m.online, m.after_close
    );
    println!(
        "  per online session {:.0} B (session {:.0} B + account {:.0} B)",
        m.bytes_per_online_session, m.bytes_per_session, m.bytes_per_account
    );
    let k = &report.kick_latency;
    println!(
        "cross-node kick ({} of {} received): p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        k.received, k.kicks, k.latency_ms.p50, k.latency_ms.p99, k.latency_ms.max
    );
    if !k.errors.is_empty() {
        println!("  errors {:?}", k.errors);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_info_gives_cpu_and_calls() {
        let before = RedisStats::parse(
            "# CPU\r\nused_cpu_sys:1.50\r\nused_cpu_user:0.25\r\nused_cpu_sys_children:9.0\r\n",
        );
        assert_eq!(before.cpu, Duration::from_millis(1750));
        let after = RedisStats::parse(
            "# Commandstats\r\ncmdstat_evalsha:calls=30,usec=90,usec_per_call=3.00\r\n\
             cmdstat_info:calls=8,usec=1\r\ncmdstat_sadd:calls=10,usec=5\r\n",
        );
        let per = before.calls_per_login(&after, 10);
        assert_eq!(
            per,
            BTreeMap::from([("evalsha".into(), 3.0), ("sadd".into(), 1.0)])
        );
    }

    /// A cluster node of this process on `redis`, named `id`, and a target attached to it.
    async fn node(redis: &RedisServer, id: &str) -> (tim_server::RunningServer, Target) {
        super::super::server::in_process(Some((redis, id))).await
    }

    /// The three pieces against two in-process nodes on a real Redis: logins spread over both
    /// with Redis' commands counted, the memory of sessions that were all online, and every
    /// cross-node kick received.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_nodes_on_redis_log_in_hold_sessions_and_kick_across() {
        let redis = RedisServer::start().await;
        let (server_a, a) = node(&redis, "a").await;
        let (server_b, b) = node(&redis, "b").await;
        let options = ClusterOptions {
            duration: Duration::from_millis(500),
            warmup: Duration::from_millis(100),
            concurrency: 4,
            users: 40,
            sessions: 200,
            kicks: 50,
        };

        let row = measure_logins("2 nodes + Redis", &[&a, &b], Some(&redis), &options)
            .await
            .unwrap();
        assert!(row.ok > 0, "{row:#?}");
        assert!(row.errors.is_empty(), "{row:#?}");
        assert!(row.redis_cpu_us_per_login.is_some(), "{row:#?}");
        // Attached to in-process nodes: no process of theirs to read.
        assert_eq!(row.server_cpu_us_per_login, None);
        // Every login runs the admission script at least once.
        let scripts = row.redis_calls_per_login.get("evalsha").copied();
        assert!(scripts.is_some_and(|n| n >= 1.0), "{row:#?}");
        assert!(!row.redis_calls_per_login.contains_key("info"), "{row:#?}");

        let memory = redis_memory(&a, &redis, options.sessions, options.concurrency)
            .await
            .unwrap();
        assert_eq!(memory.sessions, 200, "{memory:#?}");
        assert!(memory.errors.is_empty(), "{memory:#?}");
        assert!(memory.online > memory.before, "{memory:#?}");
        assert!(memory.bytes_per_online_session > 0.0, "{memory:#?}");

        let kicks = kick_latency(&a, &b, options.kicks).await.unwrap();
        assert_eq!(kicks.received, 50, "{kicks:#?}");
        assert!(kicks.errors.is_empty(), "{kicks:#?}");
        assert!(kicks.latency_ms.max >= kicks.latency_ms.p50, "{kicks:#?}");
        // B counts a kick once its XADD is answered, which may come after A has delivered it:
        // the count is awaited, not read once.
        let counted = async {
            loop {
                let sent = b.metric("tim_cross_node_kicks_sent_total").await;
                if sent.is_some_and(|n| n >= 50.0) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), counted)
            .await
            .expect("B counts the 50 kicks it sent to A");
        server_a.shutdown().await;
        server_b.shutdown().await;
    }
}
