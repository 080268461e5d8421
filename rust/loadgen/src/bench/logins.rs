//! Logins per second: every login opens a new TCP connection, upgrades it to a WebSocket with the
//! login in the headers, waits for the login result, sends a close frame and resets the
//! connection.

use super::server::Target;
use super::{Percentiles, connect, count, cpu_time, error_kind, machine_busy, merge};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tim_protocol::LoginRequest;
use tim_testkit::client::{Connection, login_request};
use tim_usersig::Claims;

/// How to run the logins measurement.
#[derive(Debug, Clone)]
pub struct LoginsOptions {
    /// How long to measure.
    pub duration: Duration,
    /// How long to load the server before measuring.
    pub warmup: Duration,
    /// Logins in flight at once.
    pub concurrency: usize,
    /// Distinct users to cycle through.
    pub users: usize,
    /// Whether every login is the same user.
    pub same_user: bool,
    /// Whether every login is a new user (signed by the worker).
    pub fresh_users: bool,
    /// Source addresses 127.0.0.1 ..= 127.0.0.`sources`.
    pub sources: u8,
    /// Tokio worker threads of the load generator.
    pub threads: usize,
}

/// What the logins measurement found.
#[derive(Debug, serde::Serialize)]
pub struct LoginsReport {
    /// `distinct users`, `same user` or `new users`.
    pub mode: String,
    /// Workers.
    pub concurrency: usize,
    /// Tokio worker threads of the load generator.
    pub loadgen_threads: usize,
    /// Seconds measured.
    pub seconds: f64,
    /// Successful logins completed within the measured window.
    pub ok: u64,
    /// `ok` per second.
    pub logins_per_sec: f64,
    /// Latency of successful logins, from connect to login result.
    pub latency_ms: Percentiles,
    /// Failures within the measured window: login result codes, or the stage that failed.
    pub errors: BTreeMap<String, u64>,
    /// Server CPU used during the window, in cores (when the server was started here).
    pub server_cpu_cores: Option<f64>,
    /// Server CPU time per successful login, in microseconds.
    pub server_cpu_us_per_login: Option<f64>,
    /// Load generator CPU used during the window, in cores.
    pub loadgen_cpu_cores: f64,
    /// The whole machine's busy CPU during the window, in cores (out of `nproc`); beyond the
    /// server and the load generator it holds interrupt time and any other process.
    pub machine_busy_cores: Option<f64>,
    /// Sessions the server kicked (over the whole run, warm-up included).
    pub server_kicks: Option<u64>,
}

/// The login requests, signed before the clock starts (but for new users).
struct Plan {
    url: String,
    addr: std::net::SocketAddr,
    requests: Vec<LoginRequest>,
    same_user: bool,
    /// New users' logins: their names' prefix (new in every run) and the app's key.
    fresh: Option<(String, String)>,
    sources: u8,
    next: AtomicU64,
    measure_from: Instant,
    measure_until: Instant,
}

/// What one worker saw within the measured window.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    errors: BTreeMap<String, u64>,
}

/// Per-login timeout: a login slower than this counts as an error.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(10);

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Runs the measurement against `target`.
pub async fn run(target: &Target, options: &LoginsOptions) -> Result<LoginsReport, String> {
    let now = now_unix();
    let requests: Vec<LoginRequest> = if options.same_user {
        let ticket =
            tim_usersig::sign(&target.key, &Claims::new(target.app, "user-0", now, 86_400));
        (0..options.concurrency)
            .map(|w| login_request(target.app, "user-0", &ticket, &format!("w{w}")))
            .collect()
    } else {
        (0..options.users)
            .map(|u| {
                let user = format!("user-{u}");
                let ticket =
                    tim_usersig::sign(&target.key, &Claims::new(target.app, &user, now, 86_400));
                login_request(target.app, &user, &ticket, "bench")
            })
            .collect()
    };
    // One login first: a wrong key or app fails here, with its code, instead of as a run of errors.
    let stream = connect(target.addr, None)
        .await
        .map_err(|e| format!("cannot connect to {}: {e}", target.url))?;
    let first = Connection::login_on(stream, &target.url, &requests[0])
        .await
        .map_err(|e| format!("login at {}: {e}", target.url))?;
    if first.result.code != 0 {
        return Err(format!(
            "the server refused the first login: {} {} (do --app and --key match the server?)",
            first.result.code, first.result.desc
        ));
    }
    first.connection.close().await;

    let start = Instant::now();
    let plan = Arc::new(Plan {
        url: target.url.clone(),
        addr: target.addr,
        requests,
        same_user: options.same_user,
        fresh: options.fresh_users.then(|| {
            let run = format!("new-{:08x}-", rand::random::<u32>());
            (run, target.key.clone())
        }),
        sources: options.sources,
        next: AtomicU64::new(1),
        measure_from: start + options.warmup,
        measure_until: start + options.warmup + options.duration,
    });
    let workers: Vec<_> = (0..options.concurrency)
        .map(|w| tokio::spawn(worker(plan.clone(), w)))
        .collect();
    tokio::time::sleep_until(plan.measure_from.into()).await;
    let server_cpu_0 = target.cpu_time();
    let loadgen_cpu_0 = cpu_time("self");
    let machine_0 = machine_busy();
    let wall_0 = Instant::now();
    tokio::time::sleep_until(plan.measure_until.into()).await;
    let server_cpu_1 = target.cpu_time();
    let loadgen_cpu_1 = cpu_time("self");
    let machine_1 = machine_busy();
    let wall = wall_0.elapsed().as_secs_f64();

    let mut tally = Tally::default();
    for worker in workers {
        let t = worker.await.map_err(|e| format!("a worker failed: {e}"))?;
        tally.latencies_us.extend(t.latencies_us);
        merge(&mut tally.errors, t.errors);
    }
    let seconds = options.duration.as_secs_f64();
    let ok = tally.latencies_us.len() as u64;
    let cores = |a: Option<Duration>, b: Option<Duration>| Some((b? - a?).as_secs_f64() / wall);
    let server_cpu_cores = cores(server_cpu_0, server_cpu_1);
    Ok(LoginsReport {
        mode: if options.same_user {
            "same user"
        } else if options.fresh_users {
            "new users"
        } else {
            "distinct users"
        }
        .to_owned(),
        concurrency: options.concurrency,
        loadgen_threads: options.threads,
        seconds,
        ok,
        logins_per_sec: ok as f64 / seconds,
        latency_ms: Percentiles::of(tally.latencies_us),
        errors: tally.errors,
        server_cpu_cores,
        server_cpu_us_per_login: server_cpu_cores
            .filter(|_| ok > 0)
            .map(|c| c * wall * 1e6 / ok as f64),
        loadgen_cpu_cores: cores(loadgen_cpu_0, loadgen_cpu_1).unwrap_or(0.0),
        machine_busy_cores: cores(machine_0, machine_1),
        server_kicks: target.metric("tim_kicks_total").await.map(|k| k as u64),
    })
}

/// Logs in again and again until the window closes; counts what completes inside it.
async fn worker(plan: Arc<Plan>, w: usize) -> Tally {
    let mut tally = Tally::default();
    loop {
        let started = Instant::now();
        if started >= plan.measure_until {
            return tally;
        }
        let n = plan.next.fetch_add(1, Relaxed);
        let fresh;
        let request = if let Some((prefix, key)) = &plan.fresh {
            let template = &plan.requests[0];
            let user = format!("{prefix}{n}");
            let claims = Claims::new(template.sdk_app_id, &user, now_unix(), 86_400);
            fresh = login_request(
                template.sdk_app_id,
                &user,
                &tim_usersig::sign(key, &claims),
                "bench",
            );
            &fresh
        } else if plan.same_user {
            &plan.requests[w]
        } else {
            &plan.requests[(n % plan.requests.len() as u64) as usize]
        };
        let source = (plan.sources > 1)
            .then(|| Ipv4Addr::new(127, 0, 0, 1 + (n % u64::from(plan.sources)) as u8));
        let outcome = tokio::time::timeout(LOGIN_TIMEOUT, login_once(&plan, source, request)).await;
        let done = Instant::now();
        if done < plan.measure_from || done > plan.measure_until {
            continue;
        }
        match outcome {
            Ok(Ok((0, answered))) => {
                let us = answered.duration_since(started).as_micros();
                tally
                    .latencies_us
                    .push(u32::try_from(us).unwrap_or(u32::MAX));
            }
            Ok(Ok((code, _))) => count(&mut tally.errors, code.to_string()),
            Ok(Err(kind)) => count(&mut tally.errors, kind),
            Err(_) => count(&mut tally.errors, "timeout".to_owned()),
        }
    }
}

/// One login on a new connection: its result code and when it arrived, or the stage that failed.
/// The close frame and reset that follow are not part of the latency.
async fn login_once(
    plan: &Plan,
    source: Option<Ipv4Addr>,
    request: &LoginRequest,
) -> Result<(u32, Instant), String> {
    let stream = connect(plan.addr, source)
        .await
        .map_err(|e| error_kind("connect", &e.into()))?;
    let outcome = Connection::login_on(stream, &plan.url, request)
        .await
        .map_err(|e| error_kind("login", &e))?;
    let answered = Instant::now();
    // A close frame, then a reset (zero linger): the server ends the session at once.
    outcome.connection.close().await;
    Ok((outcome.result.code, answered))
}
