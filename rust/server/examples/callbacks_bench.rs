//! Benchmark of state-change callbacks: how many events a node delivers per second to an
//! endpoint, over how many connections, and the process's peak memory meanwhile.
//!
//!   cargo run --release -p tim-server --example callbacks_bench -- [--https] [--rtt-ms 0]
//!       [--secs 10] [--callers 4] [--users 2000]
//!
//! One node (keeping nothing) posts its callbacks to an HTTP/1.1 endpoint in the same process
//! (`--https`: TLS with a certificate of a test CA that the node is given as `ca_file`).
//! `--rtt-ms` makes the endpoint wait that long after accepting a connection and again before
//! each answer, as a round trip to a distant endpoint would. `callers` keep-alive REST
//! connections call `kick` for `users` imported accounts in turn for `secs` seconds; each call is
//! one `Logout` event. Events are made faster than they can be delivered, so the queue fills and
//! the excess is dropped: what is delivered in the window is the delivery rate.

mod support;

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};
use support::{arg, connect, post};
use tim_server::callbacks::CallbackConfig;
use tim_server::{AppConfig, Server, ServerConfig};
use tim_testkit::TestPki;
use tim_testkit::tickets::{APP, KEY};
use tokio::net::TcpListener;

/// What the endpoint saw.
#[derive(Default)]
struct Seen {
    connections: AtomicU64,
    events: AtomicU64,
}

/// Serves callbacks on 127.0.0.1:0 until the process ends; answers every one with 200.
async fn endpoint(tls: Option<tokio_rustls::TlsAcceptor>, rtt: Duration, seen: Arc<Seen>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            seen.connections.fetch_add(1, Relaxed);
            let (tls, seen) = (tls.clone(), seen.clone());
            tokio::spawn(async move {
                tokio::time::sleep(rtt).await;
                let service =
                    hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                        let seen = seen.clone();
                        async move {
                            let _ = request.into_body().collect().await;
                            tokio::time::sleep(rtt).await;
                            seen.events.fetch_add(1, Relaxed);
                            let ok = Bytes::from_static(br#"{"ActionStatus":"OK","ErrorCode":0}"#);
                            Ok::<_, hyper::Error>(Response::new(Full::new(ok)))
                        }
                    });
                let http = hyper::server::conn::http1::Builder::new();
                let _ = match tls {
                    Some(tls) => match tls.accept(tcp).await {
                        Ok(stream) => http.serve_connection(TokioIo::new(stream), service).await,
                        Err(_) => return,
                    },
                    None => http.serve_connection(TokioIo::new(tcp), service).await,
                };
            });
        }
    });
    port
}

/// Resident memory of this process now and at its peak, in MiB (Linux).
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = |field: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (kib("VmRSS:") / 1024.0, kib("VmHWM:") / 1024.0)
}

#[tokio::main]
async fn main() {
    let https = std::env::args().any(|a| a == "--https");
    let rtt = Duration::from_millis(arg("--rtt-ms", 0));
    let (secs, callers, users) = (arg("--secs", 10), arg("--callers", 4), arg("--users", 2000));
    let seen = Arc::new(Seen::default());
    let pki = TestPki::new();
    let ca_file =
        std::env::temp_dir().join(format!("tim-callbacks-bench-{}.pem", std::process::id()));
    std::fs::write(&ca_file, pki.ca_pem()).unwrap();
    let port = endpoint(
        https.then(|| tokio_rustls::TlsAcceptor::from(pki.tls_server_config())),
        rtt,
        seen.clone(),
    )
    .await;
    let scheme = if https { "https" } else { "http" };

    let mut app = AppConfig {
        keys: vec![KEY.to_owned()],
        ..AppConfig::default()
    };
    // The benchmark measures the callbacks, not the limiter.
    app.rest
        .rate_limits
        .insert("im_open_login_svc/kick", 1_000_000);
    app.callback = Some(CallbackConfig {
        url: format!("{scheme}://127.0.0.1:{port}/im/callback"),
        token: Some("bench-token".to_owned()),
        ca_file: https.then(|| ca_file.clone()),
    });
    let mut config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    config.apps.insert(APP, app);
    let server = Server::bind(config).await.expect("bind").spawn();

    let users: Arc<Vec<String>> = Arc::new((0..users).map(|i| format!("user-{i}")).collect());
    let mut admin = connect(&server).await;
    for chunk in users.chunks(100) {
        let body = serde_json::json!({ "Accounts": chunk }).to_string();
        post(&mut admin, "im_open_login_svc/multiaccount_import", &body).await;
    }
    let (rss_before, _) = memory_mib();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let mut tasks = vec![];
    for c in 0..callers as usize {
        let mut sender = connect(&server).await;
        let users = users.clone();
        tasks.push(tokio::spawn(async move {
            let mut calls = 0;
            while Instant::now() < deadline {
                let user = &users[(c + calls * callers as usize) % users.len()];
                let body = serde_json::json!({ "UserID": user }).to_string();
                let answer = post(&mut sender, "im_open_login_svc/kick", &body).await;
                assert_eq!(answer["ErrorCode"], 0, "{answer}");
                calls += 1;
            }
            calls as u64
        }));
    }
    let mut events = 0;
    for task in tasks {
        events += task.await.unwrap();
    }
    let window = started.elapsed().as_secs_f64();
    let delivered = seen.events.load(Relaxed);
    let (_, peak) = memory_mib();
    let counts = server.callback_counts();
    println!(
        "{scheme}, rtt {rtt:?}, {secs} s: {events} events made ({:.0}/s), {delivered} delivered ({:.0}/s) over {} connections, {} dropped, {} failed; RSS {rss_before:.1} MiB before, peak {peak:.1} MiB",
        events as f64 / window,
        delivered as f64 / window,
        seen.connections.load(Relaxed),
        counts.dropped.load(Relaxed),
        counts.failed.load(Relaxed),
    );
    server.abort();
    let _ = std::fs::remove_file(ca_file);
}
