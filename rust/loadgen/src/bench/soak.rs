//! Load and soak with the real SDK: N `tim_core::TimManager`s in this process loop at random
//! through login, logout, account switch and reconnect against the server under test. A reconnect
//! is a `cut` of the client's own [`FaultProxy`] (the server cannot be asked to drop one
//! connection, a proxy can), after which the SDK reconnects by itself; a proxy costs three more
//! file descriptors per client, so when the open file limit cannot fit one for every client, only
//! the first `proxied` clients have one and the others only log in, out and switch. Then the loops stop, every client settles, and what the clients believe is
//! compared with what the server counts.
//!
//! Phases: every account logs in once and out (accounts stay registered, so the memory baseline is
//! read after this); every client logs in (the ramp: N sessions held at once); the churn for the duration;
//! the stop (each loop finishes its call in flight, awaited); the settle check (every client
//! logged in or logged out, and connected if logged in; the server's `tim_sessions_online` equal
//! to the logged-in clients); everyone logs out and un-initialises (the server must then report 0
//! sessions and 0 connections); the server's memory against its baseline.

use super::online::{OnlineSessions, Pair};
use super::server::Target;
use super::{Percentiles, count, cpu_time, merge};
use rand::Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tim_core::{LogLevel, LoginStatus, SdkConfig, SdkEvent, TimManager};
use tim_testkit::FaultProxy;
use tim_usersig::Claims;
use tokio::sync::{Semaphore, watch};

/// How to run the soak.
#[derive(Debug, Clone)]
pub struct SoakOptions {
    /// SDK clients (managers) run at once.
    pub clients: usize,
    /// How many of them (the first ones) connect through their own proxy, and so also reconnect.
    pub proxied: usize,
    /// How long the clients loop through random actions.
    pub duration: Duration,
    /// Each client pauses a random time up to this between two actions.
    pub pause: Duration,
    /// Logins in flight at once during the ramp, and logouts during the teardown.
    pub ramp_concurrency: usize,
    /// Pause before the final memory reading, for the server to return what it frees.
    pub settle: Duration,
    /// How long the server's `/metrics` may take to agree with the clients (it is read every
    /// 100 ms until it does).
    pub agree_within: Duration,
    /// Fail the run if the server keeps more than this over its baseline after everyone left.
    pub max_rss_retained_kib: Option<u64>,
    /// Fail the run if the server's RSS after everyone left is more than this many percent over
    /// its baseline.
    pub max_rss_over_baseline_pct: Option<f64>,
}

/// A client's call that ran into this is counted as a timeout: the core bounds every call by its
/// connect and request timeouts (10 s each), so this is only reached if the core hangs.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a client may take to reconnect after its proxy cut its connection.
const RECONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// The pause between two readings of `/metrics` while waiting for the server to agree.
const METRIC_POLL_PAUSE: Duration = Duration::from_millis(100);
/// How often the server's sessions and memory are sampled during the churn.
const SAMPLE_EVERY: Duration = Duration::from_millis(500);

/// The server's resident memory in KiB.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct SoakRss {
    /// After start, before any client logged in.
    pub baseline: u64,
    /// The highest reading (after the ramp and during the churn).
    pub peak: u64,
    /// After every client logged out and un-initialised, and the settle pause.
    pub after: u64,
    /// `after - baseline`.
    pub retained: i64,
    /// `retained / (peak - baseline)`: 0 is back to the baseline, 1 is nothing given back.
    pub retained_fraction: f64,
    /// `after / baseline - 1`, in percent.
    pub over_baseline_pct: f64,
}

/// The `(UserID, instance)` pairs the clients believe online against the server's.
#[derive(Debug, Default, serde::Serialize)]
pub struct Identities {
    /// Pairs the logged-in clients hold.
    pub clients: usize,
    /// Pairs the server reported at the last reading.
    pub server: usize,
    /// Readings until they matched (or the last one).
    pub polls: usize,
    /// Pairs only the clients have (the first 10).
    pub only_clients: Vec<Pair>,
    /// Pairs only the server has (the first 10).
    pub only_server: Vec<Pair>,
    /// Why the last reading failed, if it did (the pairs are then the last good reading's).
    pub error: Option<String>,
}

/// What the final check found.
#[derive(Debug, Default, serde::Serialize)]
pub struct Consistency {
    /// Clients reporting status 1 once settled.
    pub clients_logged_in: u64,
    /// Clients reporting status 3 once settled.
    pub clients_logged_out: u64,
    /// Clients still logging in (status 2), or logged in without a connection, after waiting.
    pub clients_unsettled: u64,
    /// The server's `tim_sessions_online` at the first reading after settling.
    pub server_sessions_first: Option<u64>,
    /// ... and once it matched (or at the last reading).
    pub server_sessions: Option<u64>,
    /// `/metrics` readings until it matched.
    pub polls_to_match: usize,
    /// `tim_sessions_online` after everyone logged out and un-initialised.
    pub sessions_after_logout: Option<u64>,
    /// `tim_connections_open` after everyone logged out and un-initialised.
    pub connections_after_logout: Option<u64>,
    /// The settled clients' sessions against the server's, when the soak was given where to read
    /// them (the in-process registry, or `--redis`).
    pub identities: Option<Identities>,
    /// The server's sessions of the soak's users after everyone logged out (the same source).
    pub identities_after_logout: Option<Identities>,
    /// Kicks and expiries the clients saw (no two clients share a user, so none is expected).
    pub unexpected_events: u64,
    /// Whether every check passed.
    pub ok: bool,
    /// What failed.
    pub failures: Vec<String>,
}

/// What the soak measured.
#[derive(Debug, serde::Serialize)]
pub struct SoakReport {
    /// Clients run.
    pub clients: usize,
    /// Clients behind a proxy (the ones that also reconnect).
    pub proxied: usize,
    /// Clients logged in after the ramp.
    pub ramp_logged_in: usize,
    /// Seconds the ramp took.
    pub ramp_seconds: f64,
    /// The server's `tim_sessions_online` after the ramp.
    pub ramp_server_sessions: Option<u64>,
    /// Seconds of churn.
    pub seconds: f64,
    /// Successful logins (first logins and switches) per second of churn.
    pub logins_per_sec: f64,
    /// Actions completed during the churn, by kind.
    pub actions: BTreeMap<String, u64>,
    /// Login latency (a login or a switch, as `login()` returns) during the churn.
    pub login_latency_ms: Percentiles,
    /// From the cut to `onConnectSuccess`.
    pub reconnect_latency_ms: Percentiles,
    /// The server's CPU use during the churn, in cores (when started here).
    pub server_cpu_cores: Option<f64>,
    /// This process's CPU use during the churn (the SDK clients and their proxies), in cores.
    pub loadgen_cpu_cores: Option<f64>,
    /// The most sessions the server reported at once.
    pub peak_server_sessions: Option<u64>,
    /// Failed calls, by action and code.
    pub errors: BTreeMap<String, u64>,
    /// The server's memory (when the server was started here).
    pub rss_kib: Option<SoakRss>,
    /// The final check.
    pub consistency: Consistency,
}

/// What a client's listener has seen.
#[derive(Debug, Clone, Copy)]
pub(super) struct Seen {
    /// `onConnectSuccess` events.
    pub(super) successes: u64,
    /// When the last `onConnectSuccess` arrived.
    pub(super) last_success: Instant,
    /// Whether the last connection event was `onConnectSuccess`.
    pub(super) connected: bool,
    /// Kicks and expiries.
    pub(super) unexpected: u64,
}

impl Default for Seen {
    fn default() -> Self {
        Seen {
            successes: 0,
            last_success: Instant::now(),
            connected: false,
            unexpected: 0,
        }
    }
}

/// One SDK instance and the proxy its connections go through, if it has one.
pub(super) struct Client {
    pub(super) manager: TimManager,
    proxy: Option<FaultProxy>,
    pub(super) seen: watch::Sender<Seen>,
    /// Two users of its own, `(user, ticket)`, between which it switches.
    pub(super) users: [(String, String); 2],
    /// Its instance id (`soak-N`), which the server's sessions name.
    pub(super) instance: String,
}

/// What one client's loop did.
#[derive(Default)]
struct Tally {
    actions: BTreeMap<String, u64>,
    errors: BTreeMap<String, u64>,
    login_us: Vec<u32>,
    reconnect_us: Vec<u32>,
}

pub(super) fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

impl Client {
    pub(super) async fn start(
        target: &Target,
        i: usize,
        proxied: bool,
        now: u64,
    ) -> Result<Client, String> {
        let proxy = match proxied {
            true => Some(FaultProxy::start(target.addr).await),
            false => None,
        };
        let manager = TimManager::new();
        let instance = format!("soak-{i}");
        let config = SdkConfig {
            instance_id: Some(instance.clone()),
            server_url: proxy
                .as_ref()
                .map_or_else(|| target.url.clone(), FaultProxy::url_ws),
            reconnect_min: Duration::from_millis(50),
            reconnect_max: Duration::from_secs(2),
            ..SdkConfig::default()
        };
        manager
            .init_sdk(target.app, LogLevel::Error, config)
            .map_err(|e| format!("initSDK: {e}"))?;
        let seen = watch::Sender::new(Seen::default());
        let events = seen.clone();
        manager.add_listener(Arc::new(move |event: &SdkEvent| {
            events.send_modify(|s| match event {
                SdkEvent::Connecting | SdkEvent::ConnectFailed { .. } => s.connected = false,
                SdkEvent::ConnectSuccess => {
                    s.connected = true;
                    s.successes += 1;
                    s.last_success = Instant::now();
                }
                SdkEvent::KickedOffline | SdkEvent::UserSigExpired => {
                    s.connected = false;
                    s.unexpected += 1;
                }
            })
        }));
        let user = |side: &str| {
            let user = format!("soak-{i}-{side}");
            let ticket =
                tim_usersig::sign(&target.key, &Claims::new(target.app, &user, now, 86_400));
            (user, ticket)
        };
        Ok(Client {
            manager,
            proxy,
            seen,
            users: [user("a"), user("b")],
            instance,
        })
    }

    fn status(&self) -> LoginStatus {
        self.manager
            .get_login_status()
            .unwrap_or(LoginStatus::LoggedOut)
    }

    /// Logs in as user `side` (a switch when another user is logged in); the latency on success.
    pub(super) async fn login(&self, side: usize) -> Result<Duration, String> {
        let (user, ticket) = &self.users[side];
        let started = Instant::now();
        match tokio::time::timeout(CALL_TIMEOUT, self.manager.login(user, ticket)).await {
            Ok(Ok(())) => Ok(started.elapsed()),
            Ok(Err(e)) => Err(e.code.to_string()),
            Err(_) => Err("timeout".to_owned()),
        }
    }

    pub(super) async fn logout(&self) -> Result<(), String> {
        match tokio::time::timeout(CALL_TIMEOUT, self.manager.logout()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.code.to_string()),
            Err(_) => Err("timeout".to_owned()),
        }
    }

    /// Waits until the last connection event is `onConnectSuccess`: every event of the calls
    /// that returned has been delivered, and the client holds a connection.
    pub(super) async fn connected(&self) -> Result<u64, String> {
        let mut seen = self.seen.subscribe();
        match tokio::time::timeout(RECONNECT_TIMEOUT, seen.wait_for(|s| s.connected)).await {
            Ok(Ok(s)) => Ok(s.successes),
            _ => Err("not connected".to_owned()),
        }
    }

    /// Cuts the client's connection at its proxy and waits for the SDK to reconnect by itself.
    async fn reconnect(&self, proxy: &FaultProxy) -> Result<Duration, String> {
        let before = self.connected().await?;
        let started = Instant::now();
        proxy.cut().await;
        let mut seen = self.seen.subscribe();
        let back = seen.wait_for(|s| s.connected && s.successes > before);
        match tokio::time::timeout(RECONNECT_TIMEOUT, back).await {
            Ok(Ok(_)) => Ok(started.elapsed()),
            _ => Err("timeout".to_owned()),
        }
    }

    /// Random actions until `until` or `stop`; each call is awaited, so when this returns the
    /// client has nothing in flight.
    async fn churn(&self, until: Instant, stop: &AtomicBool, pause: Duration) -> Tally {
        let mut tally = Tally::default();
        let mut side = 0;
        while Instant::now() < until && !stop.load(Relaxed) {
            let choice = rand::rng().random_range(0..if self.proxy.is_some() { 3 } else { 2 });
            let (action, outcome) = if self.status() != LoginStatus::LoggedIn {
                side = rand::rng().random_range(0..2);
                ("login", self.login(side).await.map(Some))
            } else {
                match choice {
                    0 => ("logout", self.logout().await.map(|()| None)),
                    1 => {
                        side = 1 - side;
                        ("switch", self.login(side).await.map(Some))
                    }
                    _ => match &self.proxy {
                        Some(proxy) => ("reconnect", self.reconnect(proxy).await.map(Some)),
                        None => unreachable!("only proxied clients reconnect"),
                    },
                }
            };
            match outcome {
                Ok(latency) => {
                    count(&mut tally.actions, action.to_owned());
                    match (action, latency) {
                        ("reconnect", Some(d)) => tally.reconnect_us.push(micros(d)),
                        (_, Some(d)) => tally.login_us.push(micros(d)),
                        _ => {}
                    }
                }
                Err(code) => count(&mut tally.errors, format!("{action}: {code}")),
            }
            if !pause.is_zero() {
                let wait = rand::rng().random_range(Duration::ZERO..=pause);
                tokio::time::sleep(wait).await;
            }
        }
        tally
    }
}

/// Runs `f` for every client with at most `concurrency` at once, and collects the results in
/// client order.
pub(super) async fn for_each<T, F, Fut>(clients: &[Arc<Client>], concurrency: usize, f: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(Arc<Client>) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(concurrency));
    let tasks: Vec<_> = clients
        .iter()
        .map(|client| {
            let (permits, job) = (permits.clone(), f(client.clone()));
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await;
                job.await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        match task.await {
            Ok(value) => out.push(value),
            Err(e) => panic!("a soak task failed: {e}"),
        }
    }
    out
}

/// Reads `/metrics` until `done` holds for the value of `name`, at most `within / 100 ms` times.
/// Returns the first and last readings and how many it took.
async fn poll_metric(
    target: &Target,
    name: &str,
    within: Duration,
    done: impl Fn(u64) -> bool,
) -> (Option<u64>, Option<u64>, usize) {
    let polls = (within.as_millis() / METRIC_POLL_PAUSE.as_millis()).max(1) as usize;
    let mut first = None;
    let mut last = None;
    for poll in 1..=polls {
        last = target.metric(name).await.map(|v| v as u64);
        first = first.or(last);
        if last.is_some_and(&done) {
            return (first, last, poll);
        }
        tokio::time::sleep(METRIC_POLL_PAUSE).await;
    }
    (first, last, polls)
}

/// Runs the soak against `target`; with `online`, the end state compares sessions one by one.
pub async fn run(
    target: &Target,
    options: &SoakOptions,
    online: Option<&dyn OnlineSessions>,
) -> Result<SoakReport, String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut clients = Vec::with_capacity(options.clients);
    for i in 0..options.clients {
        let proxied = i < options.proxied;
        clients.push(Arc::new(Client::start(target, i, proxied, now).await?));
    }
    let mut errors = BTreeMap::new();

    // Every account logs in once, then out, before the baseline: an account's record stays for
    // good, by design, so what must come back after the run is what the sessions took.
    let registration = for_each(&clients, options.ramp_concurrency, |c| async move {
        c.login(0).await?;
        c.login(1).await?;
        c.logout().await
    })
    .await;
    for outcome in registration {
        if let Err(code) = outcome {
            count(&mut errors, format!("registration: {code}"));
        }
    }
    poll_metric(target, "tim_sessions_online", options.agree_within, |n| {
        n == 0
    })
    .await;
    let baseline = target.rss_kib();
    let mut peak_rss = baseline;

    // The ramp: everyone logged in at once.
    let ramp_started = Instant::now();
    let ramp = for_each(&clients, options.ramp_concurrency, |c| async move {
        c.login(0).await
    })
    .await;
    let ramp_seconds = ramp_started.elapsed().as_secs_f64();
    for outcome in &ramp {
        if let Err(code) = outcome {
            count(&mut errors, format!("ramp login: {code}"));
        }
    }
    let ramp_logged_in = ramp.iter().filter(|r| r.is_ok()).count();
    let (_, ramp_server_sessions, _) =
        poll_metric(target, "tim_sessions_online", options.agree_within, |n| {
            n == ramp_logged_in as u64
        })
        .await;
    let mut peak_sessions = ramp_server_sessions;
    peak_rss = peak_rss.max(target.rss_kib());

    // The churn.
    let stop = Arc::new(AtomicBool::new(false));
    let churn_started = Instant::now();
    let cpu_0 = (target.cpu_time(), cpu_time("self"));
    let until = churn_started + options.duration;
    let loops: Vec<_> = clients
        .iter()
        .map(|client| {
            let (client, stop, pause) = (client.clone(), stop.clone(), options.pause);
            tokio::spawn(async move { client.churn(until, &stop, pause).await })
        })
        .collect();
    while Instant::now() < until {
        tokio::time::sleep(SAMPLE_EVERY.min(until.saturating_duration_since(Instant::now()))).await;
        let sessions = target.metric("tim_sessions_online").await.map(|n| n as u64);
        peak_sessions = peak_sessions.max(sessions);
        peak_rss = peak_rss.max(target.rss_kib());
    }
    stop.store(true, Relaxed);
    let cpu_1 = (target.cpu_time(), cpu_time("self"));
    let busy = churn_started.elapsed().as_secs_f64();
    let cores = |a: Option<Duration>, b: Option<Duration>| {
        Some(b?.saturating_sub(a?).as_secs_f64() / busy.max(f64::EPSILON))
    };
    let mut tally = Tally::default();
    for task in loops {
        let t = task
            .await
            .map_err(|e| format!("a client loop failed: {e}"))?;
        merge(&mut tally.actions, t.actions);
        merge(&mut tally.errors, t.errors);
        tally.login_us.extend(t.login_us);
        tally.reconnect_us.extend(t.reconnect_us);
    }
    let seconds = churn_started.elapsed().as_secs_f64();
    merge(&mut errors, tally.errors);

    let mut consistency = settle_check(target, &clients, options).await;
    if let Some(online) = online {
        let believed = believed_online(&clients);
        let identities = compare_identities(target, &clients, options, online, &believed).await;
        if let Some(e) = &identities.error {
            consistency
                .failures
                .push(format!("the server's sessions could not be read: {e}"));
        } else if !identities.only_clients.is_empty() || !identities.only_server.is_empty() {
            consistency.failures.push(format!(
                "the clients hold {} sessions, the server {}; only the clients': {:?}; only the server's: {:?}",
                identities.clients, identities.server, identities.only_clients, identities.only_server
            ));
        }
        consistency.identities = Some(identities);
    }
    teardown(target, &clients, options, &mut consistency).await;
    if let Some(online) = online {
        let left = compare_identities(target, &clients, options, online, &BTreeSet::new()).await;
        if let Some(e) = &left.error {
            consistency.failures.push(format!(
                "the server's sessions could not be read after everyone left: {e}"
            ));
        } else if left.server > 0 {
            consistency.failures.push(format!(
                "after everyone left the server holds {} sessions of the soak's users: {:?}",
                left.server, left.only_server
            ));
        }
        consistency.identities_after_logout = Some(left);
    }
    drop(clients);
    tokio::time::sleep(options.settle).await;

    let rss_kib = match (baseline, peak_rss, target.rss_kib()) {
        (Some(baseline), Some(peak), Some(after)) => {
            let retained = after as i64 - baseline as i64;
            let grown = (peak as i64 - baseline as i64).max(1);
            Some(SoakRss {
                baseline,
                peak,
                after,
                retained,
                retained_fraction: retained as f64 / grown as f64,
                over_baseline_pct: (after as f64 / baseline.max(1) as f64 - 1.0) * 100.0,
            })
        }
        _ => None,
    };
    if let (Some(max), Some(rss)) = (options.max_rss_retained_kib, &rss_kib)
        && rss.retained > max as i64
    {
        consistency.failures.push(format!(
            "the server kept {} KiB over its baseline (allowed {max})",
            rss.retained
        ));
    }
    if let (Some(max), Some(rss)) = (options.max_rss_over_baseline_pct, &rss_kib)
        && rss.over_baseline_pct > max
    {
        consistency.failures.push(format!(
            "the server's RSS did not fall back: {} KiB after everyone left, {:.0} % over its baseline of {} KiB (allowed {max} %)",
            rss.after, rss.over_baseline_pct, rss.baseline
        ));
    }
    consistency.ok = consistency.failures.is_empty();
    let logins = tally.login_us.len();
    Ok(SoakReport {
        clients: options.clients,
        proxied: options.proxied.min(options.clients),
        ramp_logged_in,
        ramp_seconds,
        ramp_server_sessions,
        seconds,
        logins_per_sec: logins as f64 / seconds.max(f64::EPSILON),
        actions: tally.actions,
        login_latency_ms: Percentiles::of(tally.login_us),
        reconnect_latency_ms: Percentiles::of(tally.reconnect_us),
        server_cpu_cores: cores(cpu_0.0, cpu_1.0),
        loadgen_cpu_cores: cores(cpu_0.1, cpu_1.1),
        peak_server_sessions: peak_sessions,
        errors,
        rss_kib,
        consistency,
    })
}

/// With every loop stopped: waits until each logged-in client holds its connection, then compares
/// the logged-in clients with the server's count.
async fn settle_check(
    target: &Target,
    clients: &[Arc<Client>],
    options: &SoakOptions,
) -> Consistency {
    let mut c = Consistency::default();
    let settled = for_each(clients, clients.len().max(1), |client| async move {
        match client.status() {
            LoginStatus::LoggedIn => client.connected().await.map(|_| true).map_err(|_| ()),
            LoginStatus::LoggedOut => Ok(false),
            LoginStatus::LoggingIn => Err(()),
        }
    })
    .await;
    for state in settled {
        match state {
            Ok(true) => c.clients_logged_in += 1,
            Ok(false) => c.clients_logged_out += 1,
            Err(()) => c.clients_unsettled += 1,
        }
    }
    if c.clients_unsettled > 0 {
        c.failures.push(format!(
            "{} clients did not settle (logging in, or logged in without a connection)",
            c.clients_unsettled
        ));
    }
    let expected = c.clients_logged_in;
    let (first, last, polls) =
        poll_metric(target, "tim_sessions_online", options.agree_within, |n| {
            n == expected
        })
        .await;
    (c.server_sessions_first, c.server_sessions, c.polls_to_match) = (first, last, polls);
    if last != Some(expected) {
        c.failures.push(format!(
            "{expected} clients are logged in, the server counts {last:?} sessions"
        ));
    }
    c
}

/// What the settled clients believe online: `(user, instance)` of every logged-in client.
fn believed_online(clients: &[Arc<Client>]) -> BTreeSet<Pair> {
    clients
        .iter()
        .filter(|client| client.status() == LoginStatus::LoggedIn)
        .filter_map(|client| {
            Some((
                client.manager.get_login_user().ok()?,
                client.instance.clone(),
            ))
        })
        .collect()
}

/// Reads the server's sessions from `online` until they are `believed` (at most `agree_within`:
/// a server in another process, or a shared store, may lag the clients by a moment).
async fn compare_identities(
    target: &Target,
    clients: &[Arc<Client>],
    options: &SoakOptions,
    online: &dyn OnlineSessions,
    believed: &BTreeSet<Pair>,
) -> Identities {
    let users: Vec<String> = clients
        .iter()
        .flat_map(|client| client.users.iter().map(|(user, _)| user.clone()))
        .collect();
    let polls = (options.agree_within.as_millis() / METRIC_POLL_PAUSE.as_millis()).max(1) as usize;
    let mut server = BTreeSet::new();
    let mut error = None;
    let mut poll = 0;
    while poll < polls {
        poll += 1;
        match online.online(target.app, &users).await {
            Ok(read) => (server, error) = (read, None),
            Err(e) => error = Some(e),
        }
        if error.is_none() && server == *believed {
            break;
        }
        tokio::time::sleep(METRIC_POLL_PAUSE).await;
    }
    let first_10 =
        |a: &BTreeSet<Pair>, b: &BTreeSet<Pair>| a.difference(b).take(10).cloned().collect();
    Identities {
        clients: believed.len(),
        server: server.len(),
        polls: poll,
        only_clients: first_10(believed, &server),
        only_server: first_10(&server, believed),
        error,
    }
}

/// Everyone logs out and un-initialises; the server must then hold no session and no connection.
async fn teardown(
    target: &Target,
    clients: &[Arc<Client>],
    options: &SoakOptions,
    c: &mut Consistency,
) {
    let outcomes = for_each(clients, options.ramp_concurrency, |client| async move {
        let logout = client.logout().await;
        let uninit = tokio::time::timeout(CALL_TIMEOUT, client.manager.un_init_sdk()).await;
        (logout, uninit, client.seen.borrow().unexpected)
    })
    .await;
    let mut failed = BTreeMap::new();
    for (logout, uninit, unexpected) in outcomes {
        c.unexpected_events += unexpected;
        if let Err(code) = logout {
            count(&mut failed, format!("logout: {code}"));
        }
        match uninit {
            Ok(Ok(())) => {}
            Ok(Err(e)) => count(&mut failed, format!("unInitSDK: {}", e.code)),
            Err(_) => count(&mut failed, "unInitSDK: timeout".to_owned()),
        }
    }
    if !failed.is_empty() {
        c.failures
            .push(format!("teardown calls failed: {failed:?}"));
    }
    if c.unexpected_events > 0 {
        c.failures.push(format!(
            "{} kicks or expiries (no two clients share a user)",
            c.unexpected_events
        ));
    }
    let (_, sessions, _) = poll_metric(target, "tim_sessions_online", options.agree_within, |n| {
        n == 0
    })
    .await;
    let (_, connections, _) =
        poll_metric(target, "tim_connections_open", options.agree_within, |n| {
            n == 0
        })
        .await;
    (c.sessions_after_logout, c.connections_after_logout) = (sessions, connections);
    if sessions != Some(0) || connections != Some(0) {
        c.failures.push(format!(
            "after everyone left the server reports {sessions:?} sessions and {connections:?} connections"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::online::RedisSessions;
    use futures_util::future::{BoxFuture, FutureExt};
    use tim_testkit::RedisServer;
    use tim_testkit::tickets::APP;

    /// An in-process server's registry as the soak's source of sessions: it lists the sessions
    /// of the accounts it is asked for.
    struct RegistrySessions(Arc<dyn tim_server::SessionRegistry>);

    impl OnlineSessions for RegistrySessions {
        fn online<'a>(
            &'a self,
            app: u64,
            users: &'a [String],
        ) -> BoxFuture<'a, Result<BTreeSet<Pair>, String>> {
            async move {
                let mut online = BTreeSet::new();
                for user in users {
                    let account = tim_server::AccountKey {
                        sdk_app_id: app,
                        user_id: user.clone(),
                    };
                    let sessions = self.0.sessions(&account).await.map_err(|e| e.to_string())?;
                    online.extend(sessions.into_iter().map(|s| (user.clone(), s.instance_id)));
                }
                Ok(online)
            }
            .boxed()
        }
    }

    async fn in_process_server(redis: Option<&RedisServer>) -> (tim_server::RunningServer, Target) {
        super::super::server::in_process(redis.map(|redis| (redis, "soak"))).await
    }

    fn options(clients: usize, proxied: usize, duration: Duration) -> SoakOptions {
        SoakOptions {
            clients,
            proxied,
            duration,
            pause: Duration::from_millis(50),
            ramp_concurrency: 16,
            settle: Duration::ZERO,
            agree_within: Duration::from_secs(5),
            max_rss_retained_kib: None,
            max_rss_over_baseline_pct: None,
        }
    }

    /// The short soak: 50 real SDK clients (40 behind a proxy) for 3 s against an in-process
    /// server; the final check must pass.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn short_soak_is_consistent() {
        let (server, target) = in_process_server(None).await;
        let sessions = RegistrySessions(server.registry().clone());
        let report = run(
            &target,
            &options(50, 40, Duration::from_secs(3)),
            Some(&sessions),
        )
        .await
        .unwrap();
        assert!(report.consistency.ok, "{report:#?}");
        let identities = report.consistency.identities.as_ref().unwrap();
        assert_eq!(
            identities.clients as u64, report.consistency.clients_logged_in,
            "{report:#?}"
        );
        assert_eq!(identities.server, identities.clients, "{report:#?}");
        assert_eq!(report.ramp_logged_in, 50, "{report:#?}");
        assert_eq!(report.ramp_server_sessions, Some(50), "{report:#?}");
        for action in ["login", "logout", "switch", "reconnect"] {
            assert!(
                report.actions.get(action).is_some_and(|n| *n > 0),
                "no {action} in {report:#?}"
            );
        }
        assert!(report.errors.is_empty(), "{report:#?}");
        server.shutdown().await;
    }

    /// The end state read from Redis, as for a cluster: a node on a real Redis holds exactly the
    /// clients' sessions, user and instance, and none once they left.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_node_on_redis_holds_the_clients_sessions_one_by_one() {
        let redis = RedisServer::start().await;
        let (server, target) = in_process_server(Some(&redis)).await;
        let sessions = RedisSessions::connect(&redis.url()).await.unwrap();
        let report = run(
            &target,
            &options(20, 10, Duration::from_secs(2)),
            Some(&sessions),
        )
        .await
        .unwrap();
        assert!(report.consistency.ok, "{report:#?}");
        let identities = report.consistency.identities.as_ref().unwrap();
        assert!(identities.clients > 0, "{report:#?}");
        assert_eq!(identities.server, identities.clients, "{report:#?}");
        let left = report.consistency.identities_after_logout.as_ref().unwrap();
        assert_eq!(left.server, 0, "{report:#?}");
        server.shutdown().await;
    }

    /// The check is not vacuous: a session no client holds (a raw client's, of a soak user on
    /// another platform and instance) makes the server's count and its sessions disagree with
    /// the clients, during the run and after everyone left, and the pair is named.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_session_no_client_holds_fails_the_check() {
        let (server, target) = in_process_server(None).await;
        let user = "soak-0-a";
        let ticket = tim_testkit::tickets::ticket(user);
        let request = tim_testkit::client::login_request(APP, user, &ticket, "raw");
        let _stranger = tim_testkit::client::connect(&target.url, Some(&request))
            .await
            .unwrap();
        let mut options = options(5, 5, Duration::from_millis(500));
        options.agree_within = Duration::from_millis(500);
        let sessions = RegistrySessions(server.registry().clone());
        let report = run(&target, &options, Some(&sessions)).await.unwrap();
        let c = &report.consistency;
        assert!(!c.ok, "{report:#?}");
        assert_eq!(
            c.server_sessions,
            Some(c.clients_logged_in + 1),
            "{report:#?}"
        );
        assert_eq!(c.sessions_after_logout, Some(1), "{report:#?}");
        let raw = vec![(user.to_owned(), "raw".to_owned())];
        let identities = c.identities.as_ref().unwrap();
        assert_eq!(identities.only_server, raw, "{report:#?}");
        assert!(identities.only_clients.is_empty(), "{report:#?}");
        assert_eq!(c.identities_after_logout.as_ref().unwrap().only_server, raw);
        assert_eq!(c.failures.len(), 4, "{report:#?}");
        server.shutdown().await;
    }
}
