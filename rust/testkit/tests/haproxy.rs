//! Haproxy balances real connections over real backends, and takes a killed one out.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;
use tim_testkit::Haproxy;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Long enough for anything that should happen; a test that hits it has failed.
const WAIT: Duration = Duration::from_secs(10);

/// A backend that writes its name to each connection and holds it open; aborting the task
/// closes its port and every connection it holds, as when the node is killed.
async fn named_backend(name: &'static str) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.write_all(name.as_bytes()).await;
            held.push(stream);
        }
    });
    (addr, task)
}

/// Connects through the balancer and reads which backend answered.
async fn served_by(balancer: &Haproxy) -> (String, TcpStream) {
    let mut stream = TcpStream::connect(balancer.addr()).await.unwrap();
    let mut name = [0; 1];
    tokio::time::timeout(WAIT, stream.read_exact(&mut name))
        .await
        .expect("a backend answered in time")
        .expect("a backend answered");
    (String::from_utf8_lossy(&name).into_owned(), stream)
}

#[tokio::test]
async fn haproxy_balances_and_stops_using_a_killed_backend() {
    let (a, _a_task) = named_backend("a").await;
    let (b, b_task) = named_backend("b").await;
    let balancer = Haproxy::start(&[a, b]).await;
    assert!(balancer.url_ws().starts_with("ws://127.0.0.1:"));

    // leastconn: with connections held, they spread over both backends.
    let mut held = Vec::new();
    let mut seen = BTreeSet::new();
    for _ in 0..4 {
        let (name, stream) = served_by(&balancer).await;
        seen.insert(name);
        held.push(stream);
    }
    assert_eq!(seen, BTreeSet::from(["a".to_owned(), "b".to_owned()]));

    b_task.abort();
    let _ = b_task.await;
    // Before the health checks mark b down, redispatch sends a refused connection to a; after,
    // nothing is sent to b at all: every new connection reaches a either way.
    for _ in 0..6 {
        assert_eq!(served_by(&balancer).await.0, "a");
    }
    let down = balancer
        .wait_for_log("Server tim_nodes/node2 is DOWN", WAIT)
        .await
        .unwrap();
    assert!(down.contains("node2"), "{down}");
    for _ in 0..6 {
        assert_eq!(served_by(&balancer).await.0, "a");
    }
}

#[test]
fn the_example_config_is_the_helpers_and_haproxy_accepts_it() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/examples/haproxy.cfg"
    );
    let example = std::fs::read_to_string(path).unwrap();
    let backends = ["10.0.0.11:7311", "10.0.0.12:7311", "10.0.0.13:7311"].map(str::to_owned);
    assert_eq!(
        example,
        tim_testkit::haproxy::config(":443", &backends),
        "docs/examples/haproxy.cfg is not what tim_testkit::haproxy::config writes"
    );
    let check = std::process::Command::new("haproxy")
        .args(["-c", "-f", path])
        .output()
        .expect("haproxy is installed");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}
