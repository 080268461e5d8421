//! Login latency in round trips, reconnect time, and the memory of a logged-in manager.
//!
//! `cargo bench -p tim-core --bench login` (after `cargo build --release -p tim-server`; set
//! `TIM_SERVER_BIN` to use another server binary). Latency goes through `tim-testkit`'s proxy,
//! which delays every chunk by a fixed time each way; the proxy delays data, not TCP's SYN, so the
//! TCP handshake's round trip is not in the latency figures, and the report says so.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tim_core::{LogLevel, SdkConfig, SdkEvent, TimManager};
use tim_testkit::tickets::{APP, KEY, ticket};
use tim_testkit::{FaultProxy, ServerProcess, TestPki};
use tokio::sync::mpsc;

const ONE_WAY: Duration = Duration::from_millis(20);

async fn start_server(listen: &str) -> ServerProcess {
    start_server_with(listen, &[]).await
}

/// A TLS server with the test PKI's certificate (written to a temporary folder).
async fn start_tls_server(pki: &TestPki) -> ServerProcess {
    let dir = std::env::temp_dir().join(format!("tim-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, &pki.cert_pem).unwrap();
    std::fs::write(&key, &pki.key_pem).unwrap();
    let args = [
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ];
    let server = start_server_with("127.0.0.1:0", &args).await;
    let _ = std::fs::remove_dir_all(&dir);
    server
}

async fn start_server_with(listen: &str, extra: &[&str]) -> ServerProcess {
    let bin = std::env::var("TIM_SERVER_BIN").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/release/tim-server"
        )
        .to_owned()
    });
    let mut command = Command::new(&bin);
    command
        .args([
            "--listen",
            listen,
            "--app",
            &format!("{APP}:{KEY}"),
            "--ephemeral",
        ])
        .args(extra)
        .env("RUST_LOG", "warn");
    ServerProcess::start(command, false)
        .await
        .unwrap_or_else(|e| panic!("{e}; run `cargo build --release -p tim-server`"))
}

fn manager(url: &str) -> (TimManager, mpsc::UnboundedReceiver<SdkEvent>) {
    manager_with(SdkConfig {
        server_url: url.to_owned(),
        ..SdkConfig::default()
    })
}

fn manager_with(config: SdkConfig) -> (TimManager, mpsc::UnboundedReceiver<SdkEvent>) {
    let manager = TimManager::new();
    let (tx, rx) = mpsc::unbounded_channel();
    manager.add_listener(Arc::new(move |e: &SdkEvent| {
        let _ = tx.send(e.clone());
    }));
    manager.init_sdk(APP, LogLevel::None, config).unwrap();
    (manager, rx)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Median login latency through a proxy adding `ONE_WAY` each way, in round trips.
async fn round_trips(server: &ServerProcess, scheme: &str, extra_ca_pem: Option<String>) {
    let proxy = FaultProxy::start(server.addr()).await;
    proxy.set_delay(ONE_WAY);
    let rtt = ONE_WAY * 2;
    let url = format!("{scheme}://{}", proxy.addr());
    let (manager, _events) = manager_with(SdkConfig {
        server_url: url,
        extra_ca_pem,
        ..SdkConfig::default()
    });
    let alice = ticket("alice");
    let mut samples = Vec::new();
    for _ in 0..15 {
        let started = Instant::now();
        manager.login("alice", &alice).await.unwrap();
        samples.push(started.elapsed());
        manager.logout().await.unwrap();
    }
    let login = median(samples);
    println!(
        "login over {scheme}:// through a {rtt:?} round-trip link: median {login:.1?} = {:.2} round trips after TCP connect \
         (+1 for TCP's handshake, which the proxy does not delay)",
        login.as_secs_f64() / rtt.as_secs_f64()
    );
    manager.un_init_sdk().await.unwrap();
}

async fn wait_for(
    events: &mut mpsc::UnboundedReceiver<SdkEvent>,
    wanted: impl Fn(&SdkEvent) -> bool,
) {
    while !wanted(&events.recv().await.expect("events")) {}
}

async fn reconnect_time() {
    let failed = |e: &SdkEvent| matches!(e, SdkEvent::ConnectFailed { .. });
    let server = start_server("127.0.0.1:0").await;
    let proxy = FaultProxy::start(server.addr()).await;
    let (manager, mut events) = manager(&proxy.url_ws());
    manager.login("alice", &ticket("alice")).await.unwrap();

    let mut after_cut = Vec::new();
    for _ in 0..10 {
        let cut = Instant::now();
        proxy.cut().await;
        wait_for(&mut events, |e| *e == SdkEvent::ConnectSuccess).await;
        after_cut.push(cut.elapsed());
    }
    println!(
        "reconnect after a cut connection (server up): median {:.1?}",
        median(after_cut)
    );

    // The server is killed, then a new one starts behind the proxy's address, as clients keep a
    // server's name across a restart (rebinding the old port could race with the OS handing it
    // out meanwhile).
    drop(server);
    wait_for(&mut events, failed).await;
    let server = start_server("127.0.0.1:0").await;
    proxy.set_upstream(server.addr());
    let back = Instant::now();
    wait_for(&mut events, |e| *e == SdkEvent::ConnectSuccess).await;
    println!(
        "reconnect after a server restart, by backoff alone (1 s first step, jitter): {:.0?} after the server was back",
        back.elapsed()
    );

    drop(server);
    wait_for(&mut events, failed).await;
    let server = start_server("127.0.0.1:0").await;
    proxy.set_upstream(server.addr());
    let back = Instant::now();
    manager.network_changed();
    wait_for(&mut events, |e| *e == SdkEvent::ConnectSuccess).await;
    println!(
        "reconnect after a server restart, with the host's network-changed hint: {:.1?}",
        back.elapsed()
    );
    drop(server);
    manager.un_init_sdk().await.unwrap();
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

async fn memory_per_manager(server: &ServerProcess) {
    const N: usize = 500;
    // Warm up the runtime, TLS-free transport and allocator before the baseline.
    let (warm, _e) = manager(server.url());
    warm.login("warm", &ticket("warm")).await.unwrap();
    let before = rss_kib();
    let mut managers = Vec::with_capacity(N);
    for i in 0..N {
        let user = format!("user{i}");
        let (manager, events) = manager(server.url());
        manager.login(&user, &ticket(&user)).await.unwrap();
        managers.push((manager, events));
    }
    let after = rss_kib();
    println!(
        "memory of a logged-in manager: {:.1} KiB ({N} managers, RSS {before} -> {after} KiB)",
        (after - before) as f64 / N as f64
    );
    for (manager, _) in &managers {
        manager.un_init_sdk().await.unwrap();
    }
}

#[tokio::main]
async fn main() {
    let server = start_server("127.0.0.1:0").await;
    round_trips(&server, "ws", None).await;
    memory_per_manager(&server).await;
    drop(server);
    let pki = TestPki::new();
    let server = start_tls_server(&pki).await;
    round_trips(&server, "wss", Some(pki.ca_pem())).await;
    drop(server);
    reconnect_time().await;
}
