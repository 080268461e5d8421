//! Memory per idle session: the server's resident memory before and while N logged-in sessions
//! sit idle, after they close, and with N other sessions open again.
//!
//! The baseline is a server that knows the N accounts (each logged in and out once, a few at a
//! time) and holds no session: an account's record stays for good, by design, so what must come
//! back when the sessions close is everything above that.

use super::server::Target;
use super::{connect, count, error_kind, merge};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tim_protocol::LoginRequest;
use tim_testkit::client::{Connection, login_request};
use tim_usersig::Claims;

/// How to run the idle measurement.
#[derive(Debug, Clone)]
pub struct IdleOptions {
    /// Sessions to hold.
    pub sessions: usize,
    /// Logins in flight while opening them.
    pub concurrency: usize,
    /// Pause before each memory reading.
    pub settle: Duration,
}

/// The server's resident memory at the three readings, in KiB.
#[derive(Debug, serde::Serialize)]
pub struct Rss {
    /// After start and the accounts' first logins, with no session open.
    pub baseline: u64,
    /// With every session open.
    pub open: u64,
    /// After every session closed.
    pub closed: u64,
    /// With as many sessions open again: close to `open` if closing freed everything for reuse.
    pub reopened: u64,
    /// `closed / baseline - 1`, in percent: what closing the sessions did not give back.
    pub closed_over_baseline_pct: f64,
}

/// What the idle measurement found.
#[derive(Debug, serde::Serialize)]
pub struct IdleReport {
    /// Sessions open at once.
    pub sessions: usize,
    /// Seconds it took to open them.
    pub open_seconds: f64,
    /// Logins that failed, by code or stage (a round stops at its first failure).
    pub errors: BTreeMap<String, u64>,
    /// The server's memory (when the server was started here).
    pub rss_kib: Option<Rss>,
    /// `(open - baseline) / sessions`.
    pub kib_per_session: Option<f64>,
    /// Sessions the server reported online with every session open.
    pub server_sessions_online: Option<u64>,
}

/// Other users logged in for the second round.
const SECOND_ROUND_OFFSET: usize = 1_000_000;
/// Per-login timeout.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the measurement against `target`.
pub async fn run(target: &Target, options: &IdleOptions) -> Result<IdleReport, String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let request = |u: usize| {
        let user = format!("idle-{u}");
        let ticket = tim_usersig::sign(&target.key, &Claims::new(target.app, &user, now, 86_400));
        login_request(target.app, &user, &ticket, "bench")
    };
    let requests = Arc::new((0..options.sessions).map(request).collect::<Vec<_>>());

    // Every account logs in once, and out at once: the accounts exist, no session is held.
    let (_, errors) = login_all(target, requests.clone(), options.concurrency, false).await;
    if !errors.is_empty() {
        return Err(format!("the accounts' first logins failed: {errors:?}"));
    }
    wait_for_sessions(target, 0).await;
    tokio::time::sleep(options.settle).await;
    let baseline = target.rss_kib();

    let started = Instant::now();
    let (open, mut errors) = login_all(target, requests, options.concurrency, true).await;
    let open_seconds = started.elapsed().as_secs_f64();
    tokio::time::sleep(options.settle).await;
    let rss_open = target.rss_kib();
    let online = target.metric("tim_sessions_online").await.map(|n| n as u64);
    let opened = open.len();

    for connection in open {
        connection.close().await;
    }
    wait_for_sessions(target, 0).await;
    tokio::time::sleep(options.settle).await;
    let closed = target.rss_kib();

    // A second round shows whether the memory kept after closing is reused or leaked.
    let again: Vec<LoginRequest> = (0..opened)
        .map(|u| request(SECOND_ROUND_OFFSET + u))
        .collect();
    let (open, more_errors) = login_all(target, Arc::new(again), options.concurrency, true).await;
    merge(&mut errors, more_errors);
    tokio::time::sleep(options.settle).await;
    let reopened = target.rss_kib();
    for connection in open {
        connection.close().await;
    }
    wait_for_sessions(target, 0).await;

    let rss_kib = match (baseline, rss_open, closed, reopened) {
        (Some(baseline), Some(open), Some(closed), Some(reopened)) => Some(Rss {
            baseline,
            open,
            closed,
            reopened,
            closed_over_baseline_pct: (closed as f64 / baseline.max(1) as f64 - 1.0) * 100.0,
        }),
        _ => None,
    };
    let kib_per_session = rss_kib
        .as_ref()
        .filter(|_| opened > 0)
        .map(|r| (r.open as f64 - r.baseline as f64) / opened as f64);
    Ok(IdleReport {
        sessions: opened,
        open_seconds,
        errors,
        rss_kib,
        kib_per_session,
        server_sessions_online: online,
    })
}

/// Waits (up to 30 s) until the server reports `n` sessions online, if it reports at all.
pub async fn wait_for_sessions(target: &Target, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        match target.metric("tim_sessions_online").await {
            Some(online) if online as u64 != n => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            _ => return,
        }
    }
}

/// Logs every request in, and keeps the connections open if `hold` (else closes each one once
/// logged in). Stops at the first failure.
pub async fn login_all(
    target: &Target,
    requests: Arc<Vec<LoginRequest>>,
    concurrency: usize,
    hold: bool,
) -> (Vec<Connection>, BTreeMap<String, u64>) {
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..concurrency.min(requests.len()))
        .map(|_| {
            let (requests, next) = (requests.clone(), next.clone());
            let (url, addr) = (target.url.clone(), target.addr);
            tokio::spawn(async move {
                let mut open = Vec::new();
                let mut errors = BTreeMap::new();
                loop {
                    let i = next.fetch_add(1, Relaxed);
                    let Some(request) = requests.get(i) else {
                        break;
                    };
                    let login = async {
                        let stream = connect(addr, None)
                            .await
                            .map_err(|e| error_kind("connect", &e.into()))?;
                        Connection::login_on(stream, &url, request)
                            .await
                            .map_err(|e| error_kind("login", &e))
                    };
                    match tokio::time::timeout(LOGIN_TIMEOUT, login).await {
                        Ok(Ok(outcome)) if outcome.result.code == 0 => match hold {
                            true => open.push(outcome.connection),
                            false => outcome.connection.close().await,
                        },
                        Ok(Ok(outcome)) => count(&mut errors, outcome.result.code.to_string()),
                        Ok(Err(kind)) => count(&mut errors, kind),
                        Err(_) => count(&mut errors, "timeout".to_owned()),
                    }
                    if !errors.is_empty() {
                        // Make the other workers stop too.
                        next.store(usize::MAX / 2, Relaxed);
                        break;
                    }
                }
                (open, errors)
            })
        })
        .collect();
    let mut open = Vec::with_capacity(requests.len());
    let mut errors = BTreeMap::new();
    for worker in workers {
        match worker.await {
            Ok((o, e)) => {
                open.extend(o);
                merge(&mut errors, e);
            }
            Err(e) => count(&mut errors, format!("worker: {e}")),
        }
    }
    (open, errors)
}
