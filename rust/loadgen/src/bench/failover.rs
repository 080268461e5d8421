//! A node lost under load: N real SDK clients log in through a TCP balancer (HAProxy) in front of
//! several `tim-server` nodes sharing a Redis; one node is SIGKILLed; the clients it held must
//! come back through the balancer to the other nodes by themselves, each exactly once, with no
//! kick and no expiry, and afterwards the sessions in Redis must be exactly the clients'
//! `(user, instance)` pairs. Then everyone logs out and Redis must hold none of them.
//!
//! Everything runs here: a `redis-server`, the nodes (the `tim-server` binary), `haproxy`.

use super::Percentiles;
use super::online::{OnlineSessions, Pair, RedisSessions};
use super::server::{Target, TargetOptions};
use super::soak::{Client, for_each, micros};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tim_testkit::{Haproxy, RedisServer};

/// How to run it.
#[derive(Debug, Clone)]
pub struct FailoverOptions {
    /// SDK clients.
    pub clients: usize,
    /// Nodes behind the balancer (at least 2: one dies).
    pub nodes: usize,
    /// The nodes' `--node-lease`.
    pub lease: Duration,
    /// Logins in flight at once while everyone logs in (and out at the end).
    pub ramp_concurrency: usize,
}

/// How long the clients of the killed node may take to come back, and Redis to agree.
const BACK_WITHIN: Duration = Duration::from_secs(60);
/// Pause between two looks at the clients or the store while waiting for them.
const POLL: Duration = Duration::from_millis(20);

/// What the run found.
#[derive(Debug, Default, serde::Serialize)]
pub struct FailoverReport {
    /// Clients run.
    pub clients: usize,
    /// Clients logged in before the kill.
    pub logged_in: usize,
    /// Sessions each node held before the kill (the killed one first).
    pub held_before: Vec<u64>,
    /// Clients that lost their connection with the killed node.
    pub disconnected: usize,
    /// Of those, clients connected again after exactly one `onConnectSuccess`.
    pub back_once: usize,
    /// Clients with more than one `onConnectSuccess` after the kill (a duplicate session).
    pub back_twice: usize,
    /// From the kill until each disconnected client's `onConnectSuccess`, in ms.
    pub back_after_ms: Percentiles,
    /// Kicks and expiries the clients saw (none expected).
    pub unexpected_events: u64,
    /// Sessions the surviving nodes report (`tim_sessions_online`, summed) once all are back.
    pub survivors_sessions: Option<u64>,
    /// Sessions the surviving nodes kicked (`tim_kicks_total`, summed).
    pub survivors_kicks: Option<u64>,
    /// Pairs only the clients have, or only Redis has, once all are back (the first 10 each).
    pub only_clients: Vec<Pair>,
    /// See `only_clients`.
    pub only_redis: Vec<Pair>,
    /// Pairs Redis still holds after everyone logged out.
    pub redis_after_logout: usize,
    /// Whether every check passed.
    pub ok: bool,
    /// What failed.
    pub failures: Vec<String>,
}

/// Runs it: `server` says which `tim-server` binary and app.
pub async fn run(
    server: &TargetOptions,
    options: &FailoverOptions,
) -> Result<FailoverReport, String> {
    if options.nodes < 2 {
        return Err("--nodes must be at least 2: one of them dies".to_owned());
    }
    let redis = RedisServer::start().await;
    let lease = options.lease.as_secs_f64().to_string();
    let mut nodes = Vec::with_capacity(options.nodes);
    for i in 0..options.nodes {
        let node_id = format!("node-{i}");
        let args = [
            "--redis",
            &redis.url(),
            // The test's own Redis keeps nothing on disk.
            "--redis-ephemeral",
            "--node-id",
            &node_id,
            "--node-lease",
            &lease,
        ];
        nodes.push(
            Target::start(
                &TargetOptions {
                    url: None,
                    ..server.clone()
                },
                &args,
            )
            .await?,
        );
    }
    let balancer = Haproxy::start(&nodes.iter().map(|n| n.addr).collect::<Vec<_>>()).await;
    let target = Target::start(
        &TargetOptions {
            url: Some(balancer.url_ws()),
            ..server.clone()
        },
        &[],
    )
    .await?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut clients = Vec::with_capacity(options.clients);
    for i in 0..options.clients {
        clients.push(Arc::new(Client::start(&target, i, false, now).await?));
    }
    let mut report = FailoverReport {
        clients: options.clients,
        ..FailoverReport::default()
    };
    let logins = for_each(&clients, options.ramp_concurrency, |c| async move {
        c.login(0).await
    })
    .await;
    report.logged_in = logins.iter().filter(|r| r.is_ok()).count();
    if report.logged_in != options.clients {
        report.failures.push(format!(
            "{} of {} clients logged in",
            report.logged_in, options.clients
        ));
    }
    for client in &clients {
        client.connected().await?;
    }
    for node in &nodes {
        report
            .held_before
            .push(node.metric("tim_sessions_online").await.unwrap_or(0.0) as u64);
    }

    // The kill: no goodbye, the sockets simply close.
    let before: Vec<u64> = clients.iter().map(|c| c.seen.borrow().successes).collect();
    let killed_at = Instant::now();
    nodes.remove(0).stop().await;
    let held = report.held_before[0] as usize;
    let lost = |clients: &[Arc<Client>]| {
        clients
            .iter()
            .zip(&before)
            .filter(|(c, before)| {
                let seen = c.seen.borrow();
                !seen.connected || seen.successes > **before
            })
            .count()
    };
    while lost(&clients) < held && killed_at.elapsed() < BACK_WITHIN {
        tokio::time::sleep(POLL).await;
    }
    let mut back_after = vec![];
    for (client, before) in clients.iter().zip(&before) {
        let mut seen = client.seen.subscribe();
        let back = seen.wait_for(|s| s.connected);
        let Ok(Ok(seen)) = tokio::time::timeout(BACK_WITHIN, back).await else {
            report
                .failures
                .push(format!("{} did not come back", client.instance));
            continue;
        };
        report.unexpected_events += seen.unexpected;
        match seen.successes - before {
            0 => {}
            1 => {
                report.disconnected += 1;
                report.back_once += 1;
                back_after.push(micros(
                    seen.last_success.saturating_duration_since(killed_at),
                ));
            }
            _ => {
                report.disconnected += 1;
                report.back_twice += 1;
            }
        }
    }
    report.back_after_ms = Percentiles::of(back_after);

    // The end state: the survivors hold every client once, and Redis says exactly who.
    let pairs: BTreeSet<Pair> = clients
        .iter()
        .map(|c| (c.users[0].0.clone(), c.instance.clone()))
        .collect();
    let users: Vec<String> = clients.iter().map(|c| c.users[0].0.clone()).collect();
    let sessions = RedisSessions::connect(&redis.url()).await?;
    let deadline = Instant::now() + BACK_WITHIN;
    let in_redis = loop {
        let in_redis = sessions.online(server.app, &users).await?;
        if in_redis == pairs || Instant::now() > deadline {
            break in_redis;
        }
        tokio::time::sleep(POLL).await;
    };
    report.only_clients = pairs.difference(&in_redis).take(10).cloned().collect();
    report.only_redis = in_redis.difference(&pairs).take(10).cloned().collect();
    let mut survivors_sessions = 0;
    let mut survivors_kicks = 0;
    for node in &nodes {
        survivors_sessions += node.metric("tim_sessions_online").await.unwrap_or(0.0) as u64;
        survivors_kicks += node.metric("tim_kicks_total").await.unwrap_or(0.0) as u64;
    }
    report.survivors_sessions = Some(survivors_sessions);
    report.survivors_kicks = Some(survivors_kicks);

    for_each(&clients, options.ramp_concurrency, |c| async move {
        c.logout().await
    })
    .await;
    report.redis_after_logout = sessions.online(server.app, &users).await?.len();

    let failures = &mut report.failures;
    if report.disconnected != held {
        failures.push(format!(
            "the killed node held {held} sessions but {} clients lost their connection",
            report.disconnected
        ));
    }
    if report.back_twice > 0 {
        failures.push(format!(
            "{} clients came back more than once",
            report.back_twice
        ));
    }
    if report.unexpected_events > 0 {
        failures.push(format!("{} kicks or expiries", report.unexpected_events));
    }
    if survivors_kicks > 0 {
        failures.push(format!(
            "the surviving nodes kicked {survivors_kicks} sessions"
        ));
    }
    if survivors_sessions != options.clients as u64 {
        failures.push(format!(
            "the surviving nodes hold {survivors_sessions} sessions for {} clients",
            options.clients
        ));
    }
    if !report.only_clients.is_empty() || !report.only_redis.is_empty() {
        failures.push("the sessions in Redis are not the clients'".to_owned());
    }
    if report.redis_after_logout > 0 {
        failures.push(format!(
            "Redis holds {} sessions after everyone logged out",
            report.redis_after_logout
        ));
    }
    report.ok = report.failures.is_empty();
    for client in &clients {
        let _ = client.manager.un_init_sdk().await;
    }
    for node in nodes {
        node.stop().await;
    }
    Ok(report)
}
