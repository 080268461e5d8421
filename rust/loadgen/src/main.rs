//! `tim-loadgen`: measures `tim-server` on loopback.
//!
//! - `tim-loadgen logins` opens a new TCP connection and WebSocket upgrade (login in the headers)
//!   for every login, from many concurrent workers, closes each connection once the login result
//!   arrives, and reports logins per second, latency percentiles and errors by code.
//! - `tim-loadgen idle` holds N logged-in idle sessions and reports the server's resident memory
//!   per session.
//! - `tim-loadgen soak` runs N real SDK clients (`tim_core::TimManager`s, each behind its own
//!   fault proxy, as many as the open file limit allows) that log in, log out, switch accounts
//!   and reconnect at random, then checks that the clients and the server agree on who is
//!   online, and that everything is released after.
//! - `tim-loadgen cluster` starts a Redis and measures, side by side, the memory registry, one node
//!   and two nodes on it: logins per second, server and Redis CPU per login, Redis memory per
//!   online session, and the latency of a kick from one node to another.
//!
//! - `tim-loadgen chaos` runs a cluster (Redis, three nodes, HAProxy) under a fault schedule that
//!   its seed decides, with real SDK clients competing for their users' places, and checks the
//!   device limits, the store against the clients, kicks and acknowledged writes.
//!
//! It starts the server binary itself (`--server-bin`, default `target/release/tim-server`) on
//! `127.0.0.1:0`, or attaches to a running one with `--url` (then memory cannot be measured). It
//! only ever connects to loopback addresses, and every run is bounded in time and count.

mod bench;

use bench::chaos::ChaosOptions;
use bench::cluster::ClusterOptions;
use bench::failover::FailoverOptions;
use bench::idle::{IdleOptions, IdleReport};
use bench::logins::{LoginsOptions, LoginsReport};
use bench::online::{OnlineSessions, RedisSessions};
use bench::server::{Target, TargetOptions};
use bench::soak::{SoakOptions, SoakReport};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Measures tim-server on loopback: logins per second, and memory per idle session.
#[derive(Debug, Parser)]
#[command(name = "tim-loadgen", version, about)]
struct Cli {
    #[command(flatten)]
    target: TargetArgs,
    /// Print one JSON object instead of a table.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct TargetArgs {
    /// The server binary to start (on 127.0.0.1:0).
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        default_value = "target/release/tim-server"
    )]
    server_bin: PathBuf,
    /// Attach to a server already running at this ws:// URL on a loopback address instead of
    /// starting one (memory is then not measured). Give its --app and --key too.
    #[arg(long, global = true, value_name = "URL")]
    url: Option<String>,
    /// The SDKAppID the tickets are signed for.
    #[arg(long, global = true, default_value_t = 1_400_000_000)]
    app: u64,
    /// The app's secret key the tickets are signed with.
    #[arg(
        long,
        global = true,
        default_value = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
    )]
    key: String,
    /// Let the started server's log lines through to stderr (they are discarded otherwise).
    #[arg(long, global = true)]
    server_log: bool,
    /// Start the server keeping its state in this folder (`--data DIR`) instead of `--ephemeral`:
    /// what durability costs.
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Logins per second: a new connection for every login, closed once it is answered.
    Logins {
        /// Seconds measured (after the warm-up).
        #[arg(long, value_name = "SECS", default_value_t = 10.0)]
        duration: f64,
        /// Seconds of load before measuring starts.
        #[arg(long, value_name = "SECS", default_value_t = 1.0)]
        warmup: f64,
        /// Logins in flight at once.
        #[arg(long, value_name = "N", default_value_t = 64)]
        concurrency: usize,
        /// Distinct users that the logins cycle through (user-0 .. user-N-1).
        #[arg(long, value_name = "N", default_value_t = 10_000)]
        users: usize,
        /// Every login is user-0, each worker its own instance, so that each login kicks the
        /// account's previous session: logins of one contended account.
        #[arg(long, conflicts_with = "fresh_users")]
        same_user: bool,
        /// Every login is a user never seen before (its first login registers the account),
        /// its ticket signed by the worker just before.
        #[arg(long)]
        fresh_users: bool,
        /// Spread client source addresses over 127.0.0.1 .. 127.0.0.N (1: let the kernel pick).
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=254))]
        sources: u8,
        /// Tokio worker threads of the load generator (it shares the machine with the server).
        #[arg(long, value_name = "N", default_value_t = 2)]
        threads: usize,
    },
    /// Memory per idle logged-in session.
    Idle {
        /// Sessions held open at once.
        #[arg(long, value_name = "N", default_value_t = 10_000)]
        sessions: usize,
        /// Logins in flight at once while opening them.
        #[arg(long, value_name = "N", default_value_t = 64)]
        concurrency: usize,
        /// Seconds to let the server settle before each memory reading.
        #[arg(long, value_name = "SECS", default_value_t = 2.0)]
        settle: f64,
    },
    /// Real SDK clients logging in, out, switching and reconnecting at random; then a
    /// consistency check between the clients and the server. Exits 1 if they disagree.
    Soak {
        /// SDK clients (each its own manager and engine task).
        #[arg(long, value_name = "N", default_value_t = 1000)]
        clients: usize,
        /// Clients behind their own fault proxy, which also reconnect (3 more file descriptors
        /// each). Default: all of them, or as many as the hard open file limit fits.
        #[arg(long, value_name = "N")]
        proxied: Option<usize>,
        /// Seconds the clients loop through random actions.
        #[arg(long, value_name = "SECS", default_value_t = 30.0)]
        duration: f64,
        /// Longest random pause of a client between two actions, in milliseconds.
        #[arg(long, value_name = "MS", default_value_t = 200)]
        pause_ms: u64,
        /// Logins in flight at once while every client logs in first (and logouts at the end).
        #[arg(long, value_name = "N", default_value_t = 128)]
        ramp_concurrency: usize,
        /// Seconds to let the server settle before the final memory reading.
        #[arg(long, value_name = "SECS", default_value_t = 2.0)]
        settle: f64,
        /// Also fail if the server's RSS stays more than this many KiB over its baseline.
        #[arg(long, value_name = "KIB")]
        max_rss_retained_kib: Option<u64>,
        /// Fail if the server's RSS after everyone left is more than this many percent over its
        /// baseline (when the server is started here; 0 turns the check off).
        #[arg(long, value_name = "PCT", default_value_t = 20.0)]
        max_rss_over_baseline_pct: f64,
        /// The Redis that the server's nodes share (`redis://HOST:PORT`; a Redis Cluster node
        /// stands for its cluster): the end state then compares the clients' sessions, user and
        /// instance, with the ones it holds.
        #[arg(long, value_name = "URL")]
        redis: Option<String>,
        /// Tokio worker threads of the load generator's own runtime (the SDK has its own two).
        #[arg(long, value_name = "N", default_value_t = 2)]
        threads: usize,
    },
    /// The cluster side by side with the memory registry: logins/s and CPU per login of the
    /// memory registry, 1 node and 2 nodes on a Redis started here, Redis memory per online
    /// session, and cross-node kick latency.
    Cluster {
        /// Seconds each logins run is measured (after the warm-up).
        #[arg(long, value_name = "SECS", default_value_t = 10.0)]
        duration: f64,
        /// Seconds of load before each logins run is measured.
        #[arg(long, value_name = "SECS", default_value_t = 1.0)]
        warmup: f64,
        /// Logins in flight at once.
        #[arg(long, value_name = "N", default_value_t = 64)]
        concurrency: usize,
        /// Distinct users that the logins cycle through.
        #[arg(long, value_name = "N", default_value_t = 10_000)]
        users: usize,
        /// Sessions of distinct users online at once for the Redis memory reading.
        #[arg(long, value_name = "N", default_value_t = 10_000)]
        sessions: usize,
        /// Cross-node kicks timed, one at a time.
        #[arg(long, value_name = "N", default_value_t = 3000)]
        kicks: usize,
        /// Tokio worker threads of the load generator.
        #[arg(long, value_name = "N", default_value_t = 2)]
        threads: usize,
    },
    /// A node lost under load: a Redis, several nodes behind HAProxy, real SDK clients through
    /// the balancer; one node is SIGKILLed and its clients must come back through the others,
    /// each once, with no kick, and Redis must then hold exactly the clients' sessions. Exits 1
    /// otherwise. Starts everything itself (redis-server, haproxy and --server-bin).
    Failover {
        /// SDK clients.
        #[arg(long, value_name = "N", default_value_t = 1000)]
        clients: usize,
        /// Nodes behind the balancer; the first dies.
        #[arg(long, value_name = "N", default_value_t = 3)]
        nodes: usize,
        /// The nodes' --node-lease.
        #[arg(long, value_name = "SECS", default_value_t = 2.0)]
        lease: f64,
        /// Logins in flight at once while everyone logs in (and out at the end).
        #[arg(long, value_name = "N", default_value_t = 128)]
        ramp_concurrency: usize,
    },
    /// A seeded fault schedule against a cluster: Redis (append-only, fsync always), nodes
    /// behind HAProxy each with its own link to Redis, real SDK clients logging in, out and
    /// switching; nodes killed, stopped, shut down and restarted, Redis stalled and restarted,
    /// links cut, blackholed and delayed, REST kicks and imports. Checks the device limits at
    /// every sample and at quiescence, the store against the clients, kicks and what was
    /// acknowledged; a failure prints the seed and the history that shows it, and exits 1.
    Chaos {
        /// Decides the fault schedule (the same seed, the same schedule).
        #[arg(long, value_name = "N", default_value_t = 1)]
        seed: u64,
        /// Seconds of churn and faults (quiescence and the checks follow).
        #[arg(long, value_name = "SECS", default_value_t = 120.0)]
        duration: f64,
        /// SDK clients, four per user (two Android phones, an iPhone, a browser).
        #[arg(long, value_name = "N", default_value_t = 300)]
        clients: usize,
        /// Nodes behind the balancer.
        #[arg(long, value_name = "N", default_value_t = 3)]
        nodes: usize,
        /// The nodes' --node-lease.
        #[arg(long, value_name = "SECS", default_value_t = 3.0)]
        lease: f64,
        /// Each client thinks a random time up to this between two actions.
        #[arg(long, value_name = "MS", default_value_t = 1500)]
        pause_ms: u64,
    },
}

/// Upper bounds that keep a mistyped flag from turning into an unbounded run.
const MAX_DURATION_SECS: f64 = 600.0;
const MAX_CONCURRENCY: usize = 10_000;
const MAX_SESSIONS: usize = 200_000;
const MAX_USERS: usize = 1_000_000;
const MAX_CLIENTS: usize = 50_000;
/// File descriptors kept for everything but the clients' sockets (the runtime, `/metrics`).
const FD_RESERVE: u64 = 512;

fn seconds(name: &str, secs: f64, max: f64) -> Result<Duration, String> {
    if !(0.0..=max).contains(&secs) {
        return Err(format!("{name} must be between 0 and {max} seconds"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn between(name: &str, n: usize, max: usize) -> Result<usize, String> {
    if n == 0 || n > max {
        return Err(format!("{name} must be between 1 and {max}"));
    }
    Ok(n)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tim-loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let threads = match &cli.command {
        Command::Logins { threads, .. } => between("--threads", *threads, 64)?,
        Command::Soak { threads, .. } => between("--threads", *threads, 64)?,
        Command::Cluster { threads, .. } => between("--threads", *threads, 64)?,
        Command::Idle { .. } => 1,
        Command::Failover { .. } | Command::Chaos { .. } => 2,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the tokio runtime: {e}"))?;
    let target_options = TargetOptions {
        server_bin: cli.target.server_bin,
        url: cli.target.url,
        app: cli.target.app,
        key: cli.target.key,
        server_log: cli.target.server_log,
        data: cli.target.data,
    };
    match cli.command {
        Command::Logins {
            duration,
            warmup,
            concurrency,
            users,
            same_user,
            fresh_users,
            sources,
            threads,
        } => {
            let options = LoginsOptions {
                fresh_users,
                duration: seconds("--duration", duration, MAX_DURATION_SECS)?,
                warmup: seconds("--warmup", warmup, MAX_DURATION_SECS)?,
                concurrency: between("--concurrency", concurrency, MAX_CONCURRENCY)?,
                users: between("--users", users, MAX_USERS)?,
                same_user,
                sources,
                threads,
            };
            bench::raise_fd_limit(options.concurrency as u64 + 256)?;
            let report = measure(&runtime, &target_options, &[], async |target| {
                bench::logins::run(target, &options).await
            })?;
            print_logins(&report, cli.json);
        }
        Command::Idle {
            sessions,
            concurrency,
            settle,
        } => {
            let options = IdleOptions {
                sessions: between("--sessions", sessions, MAX_SESSIONS)?,
                concurrency: between("--concurrency", concurrency, MAX_CONCURRENCY)?,
                settle: seconds("--settle", settle, 60.0)?,
            };
            bench::raise_fd_limit(options.sessions as u64 + 256)?;
            // Idle sessions must outlive the whole measurement.
            let report = measure(
                &runtime,
                &target_options,
                &["--heartbeat-timeout", "3600"],
                async |target| bench::idle::run(target, &options).await,
            )?;
            print_idle(&report, cli.json);
        }
        Command::Soak {
            clients,
            proxied,
            duration,
            pause_ms,
            ramp_concurrency,
            settle,
            max_rss_retained_kib,
            max_rss_over_baseline_pct,
            redis,
            threads: _,
        } => {
            let clients = between("--clients", clients, MAX_CLIENTS)?;
            // Here: each client's socket, and for a proxied one its proxy's listener and sockets.
            let proxied = match proxied {
                Some(n) => n.min(clients),
                None => bench::fd_hard_limit()?
                    .saturating_sub(FD_RESERVE + clients as u64)
                    .checked_div(3)
                    .map_or(0, |n| clients.min(usize::try_from(n).unwrap_or(usize::MAX))),
            };
            let options = SoakOptions {
                clients,
                proxied,
                duration: seconds("--duration", duration, MAX_DURATION_SECS)?,
                pause: Duration::from_millis(pause_ms.min(60_000)),
                ramp_concurrency: between("--ramp-concurrency", ramp_concurrency, MAX_CONCURRENCY)?,
                settle: seconds("--settle", settle, 60.0)?,
                agree_within: Duration::from_secs(15),
                max_rss_retained_kib,
                max_rss_over_baseline_pct: (max_rss_over_baseline_pct > 0.0)
                    .then_some(max_rss_over_baseline_pct),
            };
            bench::raise_fd_limit(clients as u64 + 3 * proxied as u64 + FD_RESERVE)?;
            let report = measure(&runtime, &target_options, &[], async |target| {
                let sessions = match &redis {
                    Some(url) => Some(RedisSessions::connect(url).await?),
                    None => None,
                };
                let online = sessions.as_ref().map(|s| s as &dyn OnlineSessions);
                bench::soak::run(target, &options, online).await
            })?;
            print_soak(&report, cli.json);
            if !report.consistency.ok {
                return Err(format!(
                    "inconsistent: {}",
                    report.consistency.failures.join("; ")
                ));
            }
        }
        Command::Cluster {
            duration,
            warmup,
            concurrency,
            users,
            sessions,
            kicks,
            threads: _,
        } => {
            let options = ClusterOptions {
                duration: seconds("--duration", duration, MAX_DURATION_SECS)?,
                warmup: seconds("--warmup", warmup, MAX_DURATION_SECS)?,
                concurrency: between("--concurrency", concurrency, MAX_CONCURRENCY)?,
                users: between("--users", users, MAX_USERS)?,
                sessions: between("--sessions", sessions, MAX_SESSIONS)?,
                kicks: between("--kicks", kicks, MAX_SESSIONS)?,
            };
            bench::raise_fd_limit((options.sessions + options.concurrency) as u64 + 256)?;
            let report = runtime.block_on(bench::cluster::run(&target_options, &options))?;
            bench::cluster::print(&report, cli.json);
        }
        Command::Failover {
            clients,
            nodes,
            lease,
            ramp_concurrency,
        } => {
            let options = FailoverOptions {
                clients: between("--clients", clients, MAX_CLIENTS)?,
                nodes: between("--nodes", nodes, 16)?,
                lease: seconds("--lease", lease, MAX_DURATION_SECS)?,
                ramp_concurrency: between("--ramp-concurrency", ramp_concurrency, MAX_CONCURRENCY)?,
            };
            // Each client's socket, and haproxy's two per client in its own process.
            bench::raise_fd_limit(options.clients as u64 + FD_RESERVE)?;
            let report = runtime.block_on(bench::failover::run(&target_options, &options))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
            if !report.ok {
                return Err(format!("failover: {}", report.failures.join("; ")));
            }
        }
        Command::Chaos {
            seed,
            duration,
            clients,
            nodes,
            lease,
            pause_ms,
        } => {
            let options = ChaosOptions {
                seed,
                duration: seconds("--duration", duration, MAX_DURATION_SECS * 6.0)?,
                clients: between("--clients", clients, MAX_CLIENTS)?,
                nodes: between("--nodes", nodes, 16)?.max(2),
                lease: seconds("--lease", lease, MAX_DURATION_SECS)?.max(Duration::from_secs(1)),
                pause: Duration::from_millis(pause_ms.min(60_000)),
            };
            bench::raise_fd_limit(options.clients as u64 * 2 + FD_RESERVE)?;
            let report = runtime.block_on(bench::chaos::run(&target_options, &options))?;
            if cli.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            } else {
                bench::chaos::print(&report, &options);
            }
            if !report.failures.is_empty() {
                return Err(format!(
                    "chaos: seed {} failed {} checks",
                    seed,
                    report.failures.len()
                ));
            }
        }
    }
    Ok(())
}

/// Starts the server (or attaches to it), runs `measure` against it, and stops it.
fn measure<R>(
    runtime: &tokio::runtime::Runtime,
    options: &TargetOptions,
    extra: &[&str],
    measure: impl AsyncFnOnce(&Target) -> Result<R, String>,
) -> Result<R, String> {
    runtime.block_on(async {
        let target = Target::start(options, extra).await?;
        let report = measure(&target).await;
        target.stop().await;
        report
    })
}

fn print_errors(errors: &std::collections::BTreeMap<String, u64>) {
    if errors.is_empty() {
        println!("  errors           none");
    } else {
        let list: Vec<String> = errors.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        println!("  errors           {}", list.join(", "));
    }
}

fn print_soak(r: &SoakReport, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(r).unwrap_or_default());
        return;
    }
    let c = &r.consistency;
    let some = |n: Option<u64>| n.map_or("-".to_owned(), |n| n.to_string());
    println!(
        "soak ({} SDK clients, {} behind a proxy, {:.1} s of churn)",
        r.clients, r.proxied, r.seconds
    );
    println!(
        "  ramp             {} logged in in {:.2} s, server online {}",
        r.ramp_logged_in,
        r.ramp_seconds,
        some(r.ramp_server_sessions)
    );
    println!("  logins/s         {:>10.0}", r.logins_per_sec);
    let actions: Vec<String> = r.actions.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!("  actions          {}", actions.join(", "));
    let l = &r.login_latency_ms;
    println!(
        "  login ms         p50 {:.2}  p99 {:.2}  max {:.2}",
        l.p50, l.p99, l.max
    );
    let l = &r.reconnect_latency_ms;
    println!(
        "  reconnect ms     p50 {:.2}  p99 {:.2}  max {:.2}",
        l.p50, l.p99, l.max
    );
    println!("  peak online      {}", some(r.peak_server_sessions));
    let cores = |c: Option<f64>| c.map_or("-".to_owned(), |c| format!("{c:.2}"));
    println!(
        "  CPU cores        server {}  loadgen {}",
        cores(r.server_cpu_cores),
        cores(r.loadgen_cpu_cores)
    );
    print_errors(&r.errors);
    match &r.rss_kib {
        Some(m) => println!(
            "  server RSS KiB   baseline {}  peak {}  after {} ({:+} KiB, {:+.0}% of the baseline, {:.0}% of the growth kept)",
            m.baseline,
            m.peak,
            m.after,
            m.retained,
            m.over_baseline_pct,
            m.retained_fraction * 100.0
        ),
        None => println!("  memory           not measured (attached to --url)"),
    }
    println!(
        "  settled          {} logged in, {} logged out, {} unsettled; server online {} (first reading {})",
        c.clients_logged_in,
        c.clients_logged_out,
        c.clients_unsettled,
        some(c.server_sessions),
        some(c.server_sessions_first)
    );
    println!(
        "  after logout     {} sessions, {} connections",
        some(c.sessions_after_logout),
        some(c.connections_after_logout)
    );
    if let Some(i) = &c.identities {
        println!(
            "  sessions         clients {}, server {} (user and instance; {} readings)",
            i.clients, i.server, i.polls
        );
    }
    if c.ok {
        println!("  consistency      ok");
    } else {
        println!("  consistency      FAILED: {}", c.failures.join("; "));
    }
}

fn print_logins(r: &LoginsReport, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(r).unwrap_or_default());
        return;
    }
    println!(
        "logins ({} workers, {}, {:.1} s measured)",
        r.concurrency, r.mode, r.seconds
    );
    println!("  logins/s         {:>10.0}", r.logins_per_sec);
    println!("  logins ok        {:>10}", r.ok);
    println!(
        "  latency ms       p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        r.latency_ms.p50, r.latency_ms.p90, r.latency_ms.p99, r.latency_ms.max
    );
    print_errors(&r.errors);
    if let Some(cpu) = r.server_cpu_cores {
        println!("  server CPU       {cpu:.2} cores");
    }
    if let Some(us) = r.server_cpu_us_per_login {
        println!("  server CPU/login {us:.1} µs");
    }
    println!("  loadgen CPU      {:.2} cores", r.loadgen_cpu_cores);
    if let Some(busy) = r.machine_busy_cores {
        println!("  machine busy     {busy:.2} cores");
        let other = busy - r.loadgen_cpu_cores - r.server_cpu_cores.unwrap_or(0.0);
        if r.server_cpu_cores.is_some() && other > 0.25 {
            println!(
                "  warning: {other:.2} cores went to other processes; rerun on a quiet machine"
            );
        }
    }
    if let Some(kicks) = r.server_kicks {
        println!("  server kicks     {kicks}");
    }
}

fn print_idle(r: &IdleReport, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(r).unwrap_or_default());
        return;
    }
    println!(
        "idle sessions ({} opened in {:.2} s)",
        r.sessions, r.open_seconds
    );
    print_errors(&r.errors);
    if let Some(online) = r.server_sessions_online {
        println!("  server online    {online} sessions");
    }
    match (&r.rss_kib, r.kib_per_session) {
        (Some(rss), Some(per)) => {
            println!(
                "  server RSS KiB   baseline {}  open {}",
                rss.baseline, rss.open
            );
            println!("  KiB per session  {per:.2}");
            println!(
                "  after close      {} KiB ({:+.0}% of the baseline)",
                rss.closed, rss.closed_over_baseline_pct
            );
            println!(
                "  open again       {} KiB ({} other sessions)",
                rss.reopened, r.sessions
            );
        }
        _ => println!("  memory           not measured (attached to --url)"),
    }
}
