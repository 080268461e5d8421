//! Benchmark of the REST API: calls per second and latency of `openim/query_online_status` with
//! 500 accounts a call, or of the writes (`account_import` of a new account, `kick`), against
//! one node (keeping nothing, or with `--durable` its database in a temporary folder), or two
//! nodes sharing a Redis that the benchmark starts (Debian's `redis-server`), with the calls
//! spread over both.
//!
//!   cargo run --release -p tim-server --example rest_bench -- [--nodes 1|2] [--secs 10] [--callers 8]
//!       [--command query|import|kick] [--durable]
//!
//! 500 accounts are imported, half of them logged in (spread over the nodes), then `callers`
//! HTTP/1.1 keep-alive connections call in a loop for `secs` seconds. A durable write is
//! answered once it is on disk, so its latency is the database's group commit.

mod support;

use std::time::{Duration, Instant};
use support::{arg, connect, post, value};
use tim_protocol::Platform;
use tim_server::{AppConfig, ClusterConfig, RedisTarget, RunningServer, Server, ServerConfig};
use tim_testkit::RedisServer;
use tim_testkit::client::{Connection, login_request};
use tim_testkit::tickets::{APP, KEY, ticket};

const ACCOUNTS: usize = 500;

/// The command measured, and the body of its `n`th call by caller `c`.
#[derive(Clone, Copy)]
enum Measured {
    Query,
    Import,
    Kick,
}

impl Measured {
    fn path(self) -> &'static str {
        match self {
            Measured::Query => "openim/query_online_status",
            Measured::Import => "im_open_login_svc/account_import",
            Measured::Kick => "im_open_login_svc/kick",
        }
    }

    fn body(self, users: &[String], c: usize, n: usize) -> String {
        match self {
            Measured::Query => {
                serde_json::json!({ "To_Account": users, "IsNeedDetail": 1 }).to_string()
            }
            Measured::Import => serde_json::json!({ "UserID": format!("new-{c}-{n}") }).to_string(),
            Measured::Kick => {
                serde_json::json!({ "UserID": users[(c * 7919 + n) % users.len()] }).to_string()
            }
        }
    }
}

async fn node(
    cluster: Option<(&RedisServer, &str)>,
    data_dir: Option<std::path::PathBuf>,
) -> RunningServer {
    let mut config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    let mut app = AppConfig {
        keys: vec![KEY.to_owned()],
        ..AppConfig::default()
    };
    // The benchmark measures the commands, not the limiter.
    for measured in [Measured::Query, Measured::Import, Measured::Kick] {
        app.rest.rate_limits.insert(measured.path(), 1_000_000);
    }
    config.apps.insert(APP, app);
    config.data_dir = data_dir;
    config.cluster = cluster.map(|(redis, id)| ClusterConfig {
        redis: RedisTarget::Single(redis.url()),
        node_id: id.to_owned(),
        lease: Duration::from_secs(10),
        redis_ephemeral: true,
    });
    Server::bind(config).await.expect("bind").spawn()
}

#[tokio::main]
async fn main() {
    let (nodes, secs, callers) = (arg("--nodes", 1), arg("--secs", 10), arg("--callers", 8));
    let measured = match value("--command").as_deref().unwrap_or("query") {
        "query" => Measured::Query,
        "import" => Measured::Import,
        "kick" => Measured::Kick,
        other => panic!("--command is query, import or kick, not {other}"),
    };
    let durable = std::env::args().any(|a| a == "--durable");
    assert!(!durable || nodes == 1, "--durable is for one node");
    let data_dir = durable
        .then(|| std::env::temp_dir().join(format!("tim-rest-bench-{}", std::process::id())));
    let redis = if nodes > 1 {
        Some(RedisServer::start().await)
    } else {
        None
    };
    let mut servers = vec![];
    for i in 0..nodes {
        let id = format!("n{i}");
        let cluster = redis.as_ref().map(|r| (r, id.as_str()));
        servers.push(node(cluster, data_dir.clone()).await);
    }
    let users: Vec<String> = (0..ACCOUNTS).map(|i| format!("user-{i}")).collect();
    let mut admin = connect(&servers[0]).await;
    for chunk in users.chunks(100) {
        let body = serde_json::json!({ "Accounts": chunk }).to_string();
        post(&mut admin, "im_open_login_svc/multiaccount_import", &body).await;
    }
    let mut sessions = vec![];
    for (i, user) in users.iter().enumerate().step_by(2) {
        let server = &servers[i / 2 % servers.len()];
        let mut request = login_request(APP, user, &ticket(user), "bench");
        request.platform = Platform::Android;
        let outcome = Connection::login(&server.url(), &request).await.unwrap();
        assert_eq!(outcome.result.code, 0);
        sessions.push(outcome.connection);
    }
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = vec![];
    let users = std::sync::Arc::new(users);
    for c in 0..callers as usize {
        let mut sender = connect(&servers[c % servers.len()]).await;
        let users = users.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = vec![];
            while Instant::now() < deadline {
                let body = measured.body(&users, c, latencies.len());
                let started = Instant::now();
                let answer = post(&mut sender, measured.path(), &body).await;
                latencies.push(started.elapsed());
                assert_eq!(answer["ErrorCode"], 0, "{answer}");
                if let Measured::Query = measured {
                    assert_eq!(answer["QueryResult"].as_array().unwrap().len(), ACCOUNTS);
                }
            }
            latencies
        }));
    }
    let mut latencies = vec![];
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    let kept = if durable { ", durable" } else { "" };
    println!(
        "{} on {nodes} node(s){kept}, callers {callers}, {secs} s: {} calls, {:.0} calls/s, p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        measured.path(),
        latencies.len(),
        latencies.len() as f64 / secs as f64,
        at(0.5),
        at(0.99),
        at(1.0)
    );
    drop(sessions);
    for server in servers {
        server.shutdown().await;
    }
    if let Some(dir) = data_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
}
