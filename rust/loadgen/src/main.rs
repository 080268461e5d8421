//! `tim-loadgen`: measures `tim-server` on loopback.
//!
//! - `tim-loadgen logins` opens a new TCP connection and WebSocket upgrade (login in the headers)
//!   for every login, from many concurrent workers, closes each connection once the login result
//!   arrives, and reports logins per second, latency percentiles and errors by code.
//! - `tim-loadgen idle` holds N logged-in idle sessions and reports the server's resident memory
//!   per session.
//!
//! It starts the server binary itself (`--server-bin`, default `target/release/tim-server`) on
//! `127.0.0.1:0`, or attaches to a running one with `--url` (then memory cannot be measured). It
//! only ever connects to loopback addresses, and every run is bounded in time and count.

mod bench;

use bench::idle::{IdleOptions, IdleReport};
use bench::logins::{LoginsOptions, LoginsReport};
use bench::server::{Target, TargetOptions};
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
        #[arg(long)]
        same_user: bool,
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
}

/// Upper bounds that keep a mistyped flag from turning into an unbounded run.
const MAX_DURATION_SECS: f64 = 600.0;
const MAX_CONCURRENCY: usize = 10_000;
const MAX_SESSIONS: usize = 200_000;
const MAX_USERS: usize = 1_000_000;

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
        Command::Idle { .. } => 1,
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
    };
    match cli.command {
        Command::Logins {
            duration,
            warmup,
            concurrency,
            users,
            same_user,
            sources,
            threads,
        } => {
            let options = LoginsOptions {
                duration: seconds("--duration", duration, MAX_DURATION_SECS)?,
                warmup: seconds("--warmup", warmup, MAX_DURATION_SECS)?,
                concurrency: between("--concurrency", concurrency, MAX_CONCURRENCY)?,
                users: between("--users", users, MAX_USERS)?,
                same_user,
                sources,
                threads,
            };
            bench::raise_fd_limit(options.concurrency as u64 + 256)?;
            let report = runtime.block_on(async {
                let target = Target::start(&target_options, &[]).await?;
                let report = bench::logins::run(&target, &options).await;
                target.stop().await;
                report
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
            let report = runtime.block_on(async {
                // Idle sessions must outlive the whole measurement.
                let target =
                    Target::start(&target_options, &["--heartbeat-timeout", "3600"]).await?;
                let report = bench::idle::run(&target, &options).await;
                target.stop().await;
                report
            })?;
            print_idle(&report, cli.json);
        }
    }
    Ok(())
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
    if r.errors.is_empty() {
        println!("  errors           none");
    } else {
        let list: Vec<String> = r.errors.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        println!("  errors           {}", list.join(", "));
    }
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
    if r.errors.is_empty() {
        println!("  errors           none");
    } else {
        let list: Vec<String> = r.errors.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        println!("  errors           {}", list.join(", "));
    }
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
            println!("  after close      {} KiB", rss.closed);
            println!(
                "  open again       {} KiB ({} other sessions)",
                rss.reopened, r.sessions
            );
        }
        _ => println!("  memory           not measured (attached to --url)"),
    }
}
