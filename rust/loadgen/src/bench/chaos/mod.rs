//! `tim-loadgen chaos`: a seeded fault schedule against a cluster, checked.
//!
//! The world ([`world`]): one Redis (append-only file, fsync on every write), three nodes behind
//! HAProxy, each with its own link to Redis that can fail alone. A few hundred real SDK clients
//! ([`clients`]) log in and out and switch accounts with random think times, several of them
//! competing for one user's place on one platform. The faults come from a schedule that the seed
//! alone decides ([`schedule`]): nodes SIGKILLed and restarted (under their `--node-id` or a new
//! one), SIGSTOPped past their lease, shut down (SIGTERM); Redis stalled, or killed and restarted
//! on its file; one node's link to Redis blackholed, cut or delayed; REST kicks and imports.
//! Everything is written down ([`history`]), and the checks ([`checks`]) run on the history: at
//! every sample (every 500 ms) and at quiescence (faults over, every node up, three leases
//! waited). A failure prints the seed and the part of the history that shows it.

pub mod checks;
pub mod clients;
pub mod history;
pub mod rest;
pub mod schedule;
pub mod world;

use super::online::{OnlineSessions, RedisSessions};
use super::server::TargetOptions;
use checks::Failure;
use clients::{Device, user_name};
use history::{History, Recorder, What};
use rest::Admin;
use schedule::{Action, Shape, Step};
use std::collections::BTreeSet;
use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Duration;
use world::World;

/// How to run it.
#[derive(Debug, Clone)]
pub struct ChaosOptions {
    /// Decides the schedule.
    pub seed: u64,
    /// How long the clients churn and the faults run.
    pub duration: Duration,
    /// SDK clients (four per user).
    pub clients: usize,
    /// Nodes behind the balancer.
    pub nodes: usize,
    /// The nodes' `--node-lease`.
    pub lease: Duration,
    /// Each client thinks a random time up to this between two actions.
    pub pause: Duration,
}

/// How often the clients' beliefs are sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(500);
/// Leases waited at quiescence before the end state is read.
const QUIESCENT_LEASES: u32 = 3;
/// How long a logged-in client may take to hold a connection again at quiescence.
const SETTLE_WITHIN: Duration = Duration::from_secs(30);
/// Pause between two readings of Redis while it converges to the clients' state.
const STORE_POLL: Duration = Duration::from_millis(200);
/// Lines of history printed per failure (the last ones of its window).
const SHOWN_LINES: usize = 80;

/// What a run found.
#[derive(Debug, Default, serde::Serialize)]
pub struct ChaosReport {
    pub seed: u64,
    pub clients: usize,
    /// Steps of the schedule applied.
    pub steps: usize,
    /// Client calls that succeeded, and that failed.
    pub calls_ok: usize,
    pub calls_failed: usize,
    /// `onKickedOffline` the clients heard.
    pub kicked: usize,
    /// REST kicks and imports acknowledged.
    pub kicks_acknowledged: usize,
    pub imports_acknowledged: usize,
    /// Samples taken.
    pub samples: usize,
    /// Clients online at quiescence.
    pub online_at_end: usize,
    /// Each failure, with the history that shows it.
    pub failures: Vec<String>,
}

/// Runs a seed: the world, the clients, the schedule, the checks.
pub async fn run(server: &TargetOptions, options: &ChaosOptions) -> Result<ChaosReport, String> {
    let users = options.clients.div_ceil(clients::DEVICES.len()).max(2);
    let shape = Shape {
        duration: options.duration,
        nodes: options.nodes,
        lease: options.lease,
        users,
    };
    let steps = schedule::generate(options.seed, &shape);
    let mut world = World::start(server, options.nodes, options.lease).await?;
    let url = world.balancer.url_ws();
    let admin = Arc::new(Admin::new(world.balancer.addr(), server.app, &server.key));
    let recorder = Recorder::new();
    let mut devices = Vec::with_capacity(options.clients);
    for i in 0..options.clients {
        let device = Device::start(i, users, &url, server.app, &server.key, &recorder)?;
        devices.push(Arc::new(device));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let churn: Vec<_> = devices
        .iter()
        .map(|d| {
            let (d, stop, pause) = (d.clone(), stop.clone(), options.pause);
            tokio::spawn(async move { d.churn(&stop, pause).await })
        })
        .collect();
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (devices, recorder, sampling) = (devices.clone(), recorder.clone(), sampling.clone());
        tokio::spawn(async move {
            let mut every = tokio::time::interval(SAMPLE_EVERY);
            while sampling.load(Relaxed) {
                every.tick().await;
                recorder.sample(devices.iter().filter_map(|d| d.online()).collect());
            }
        })
    };

    let rest_calls = drive(&mut world, &steps, &recorder, &admin).await?;
    tokio::time::sleep_until((recorder.start() + options.duration).into()).await;
    for call in rest_calls {
        let _ = call.await;
    }
    stop.store(true, Relaxed);
    for task in churn {
        let _ = task.await;
    }
    if !world.all_up() {
        return Err("a node is still down after the schedule".to_owned());
    }

    // Quiescence: faults over, every node up; the cluster gets a few leases to settle.
    tokio::time::sleep(options.lease * QUIESCENT_LEASES).await;
    for device in &devices {
        device.settle(SETTLE_WITHIN).await;
    }
    let believed: Vec<_> = devices.iter().filter_map(|d| d.online()).collect();
    recorder.sample(believed.clone());
    sampling.store(false, Relaxed);
    let _ = sampler.await;
    let pairs: BTreeSet<(String, String)> = believed
        .iter()
        .map(|o| (o.user.clone(), o.instance.clone()))
        .collect();
    let sessions = RedisSessions::connect(&world.redis_url()).await?;
    let deadline = tokio::time::Instant::now() + options.lease * 2;
    let store = loop {
        let store = sessions.online(server.app, &[]).await?;
        if store == pairs || tokio::time::Instant::now() > deadline {
            break store;
        }
        tokio::time::sleep(STORE_POLL).await;
    };
    let at_end = recorder.now();
    let endings: Vec<_> = devices.iter().map(|d| d.ending()).collect();
    check_what_was_acknowledged(&recorder, &admin, &url, server).await;

    let history = recorder.history();
    let grace = (options.lease + Duration::from_secs(1)).as_millis() as u64;
    let mut failures = checks::device_limits(&history, grace);
    failures.extend(checks::store_equals_clients(at_end, &believed, &store));
    failures.extend(checks::kicks_hold(&history, grace));
    failures.extend(checks::nothing_lost(&history));
    failures.extend(checks::told_why(&history, at_end, &endings));

    let mut report = summary(&history, options, steps.len(), believed.len());
    report.failures = failures
        .iter()
        .map(|f| explain(f, &history, grace))
        .collect();
    for device in &devices {
        device.un_init().await;
    }
    Ok(report)
}

/// Applies the schedule, each step at its time; REST calls run beside it (a kick may wait for a
/// stalled Redis) and are returned to be awaited.
async fn drive(
    world: &mut World,
    steps: &[Step],
    recorder: &Recorder,
    admin: &Arc<Admin>,
) -> Result<Vec<tokio::task::JoinHandle<()>>, String> {
    let mut rest_calls = vec![];
    for step in steps {
        tokio::time::sleep_until((recorder.start() + step.at).into()).await;
        let started = recorder.now();
        match &step.action {
            Action::Kick { user } | Action::Import { account: user } => {
                let name = match step.action {
                    Action::Kick { .. } => user_name(*user),
                    _ => format!("chaos-imp-{user}"),
                };
                let (admin, recorder, action) =
                    (admin.clone(), recorder.clone(), step.action.clone());
                rest_calls.push(tokio::spawn(async move {
                    let ok = match action {
                        Action::Kick { .. } => admin.kick(&name).await,
                        _ => admin.import(&name).await,
                    }
                    .is_ok();
                    recorder.record(What::Rest {
                        action,
                        user: name,
                        started,
                        ok,
                    });
                }));
            }
            action => {
                world.apply(action).await?;
                recorder.record(What::Fault {
                    action: action.clone(),
                    started,
                });
            }
        }
    }
    Ok(rest_calls)
}

/// After quiescence: whether each acknowledged import's account exists, and whether each
/// acknowledged kick still refuses a ticket signed the second before it.
async fn check_what_was_acknowledged(
    recorder: &Recorder,
    admin: &Admin,
    url: &str,
    server: &TargetOptions,
) {
    let history = recorder.history();
    for entry in &history.entries {
        let What::Rest {
            action,
            user,
            started,
            ok: true,
        } = &entry.what
        else {
            continue;
        };
        match action {
            Action::Import { .. } => {
                let imported = admin.imported(user).await.unwrap_or(false);
                recorder.record(What::AccountChecked {
                    user: user.clone(),
                    imported,
                });
            }
            Action::Kick { .. } => {
                let ticket_time = history.unix_secs(*started) - 1;
                let code = clients::probe(url, server.app, &server.key, user, ticket_time).await;
                recorder.record(What::KickProbe {
                    user: user.clone(),
                    ticket_time,
                    code,
                });
            }
            _ => {}
        }
    }
}

fn summary(history: &History, options: &ChaosOptions, steps: usize, online: usize) -> ChaosReport {
    let mut report = ChaosReport {
        seed: options.seed,
        clients: options.clients,
        steps,
        samples: history.samples.len(),
        online_at_end: online,
        ..ChaosReport::default()
    };
    for entry in &history.entries {
        match &entry.what {
            What::Call {
                outcome: Ok(()), ..
            } => report.calls_ok += 1,
            What::Call { .. } => report.calls_failed += 1,
            What::Event {
                event: "onKickedOffline",
                ..
            } => report.kicked += 1,
            What::Rest {
                action: Action::Kick { .. },
                ok: true,
                ..
            } => report.kicks_acknowledged += 1,
            What::Rest {
                action: Action::Import { .. },
                ok: true,
                ..
            } => report.imports_acknowledged += 1,
            _ => {}
        }
    }
    report
}

/// A failure and the shortest history that shows it: from the last call of the clients involved
/// before it (or the fault window it fell in, whichever is earlier) to the moment it was seen,
/// the faults, the REST calls about the users involved, and the calls and events of the clients
/// involved.
fn explain(failure: &Failure, history: &History, grace: u64) -> String {
    // The clients named, or when none is (a session no client holds), every client of the user.
    let by_user = failure.clients.is_empty();
    let involved = |e: &history::Entry| match &e.what {
        What::Call { client, user, .. } => {
            failure.clients.contains(client) || (by_user && failure.users.contains(user))
        }
        What::Event { client, user, .. } => {
            failure.clients.contains(client)
                || (by_user && user.as_ref().is_some_and(|u| failure.users.contains(u)))
        }
        What::Fault { .. } => true,
        What::Rest { user, .. }
        | What::AccountChecked { user, .. }
        | What::KickProbe { user, .. } => failure.users.contains(user),
    };
    let last_call = history
        .entries
        .iter()
        .filter(|e| e.at <= failure.at && !matches!(e.what, What::Fault { .. }) && involved(e))
        .filter_map(|e| match &e.what {
            What::Call { started, .. } => Some(*started),
            _ => None,
        })
        .next_back();
    let window = checks::fault_windows(history, grace)
        .into_iter()
        .filter(|(from, _)| *from <= failure.at)
        .map(|(from, _)| from)
        .next_back();
    let from = match (last_call, window) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => 0,
    }
    .saturating_sub(500);
    let lines: Vec<String> = history
        .entries
        .iter()
        .filter(|e| (from..=failure.at.saturating_add(500)).contains(&e.at) && involved(e))
        .map(ToString::to_string)
        .collect();
    let mut text = format!("[{}] {}\n", failure.check, failure.what);
    if lines.len() > SHOWN_LINES {
        let _ = writeln!(text, "  ... {} earlier entries", lines.len() - SHOWN_LINES);
    }
    for line in &lines[lines.len().saturating_sub(SHOWN_LINES)..] {
        let _ = writeln!(text, "  {line}");
    }
    text
}

/// The report as text: the figures, then every failure with its history.
pub fn print(report: &ChaosReport, options: &ChaosOptions) {
    println!(
        "chaos seed {}: {} clients, {} steps, {} calls ok, {} failed, {} kicked offline, {} kicks and {} imports acknowledged, {} samples, {} online at the end",
        report.seed,
        report.clients,
        report.steps,
        report.calls_ok,
        report.calls_failed,
        report.kicked,
        report.kicks_acknowledged,
        report.imports_acknowledged,
        report.samples,
        report.online_at_end
    );
    for failure in &report.failures {
        println!("{failure}");
    }
    if !report.failures.is_empty() {
        println!(
            "FAILED: seed {} ({} failures); run it again with `tim-loadgen chaos --seed {} --duration {}`",
            report.seed,
            report.failures.len(),
            report.seed,
            options.duration.as_secs()
        );
    }
}
