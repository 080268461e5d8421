//! The fault proxy against a tiny echo server: each fault does what tests of the client will rely
//! on it to do. Timing assertions are lower bounds only; a slow machine never fails them.

use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tim_testkit::FaultProxy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Long enough for anything that should happen; a test that hits it has failed.
const WAIT: Duration = Duration::from_secs(10);
/// How long something that must not happen is given to happen anyway.
const QUIET: Duration = Duration::from_millis(200);

/// An echo server on `127.0.0.1:0`, serving until the test's runtime ends.
async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut read, mut write) = stream.split();
                let _ = tokio::io::copy(&mut read, &mut write).await;
            });
        }
    });
    addr
}

/// Sends `bytes` and reads them back, within [`WAIT`].
async fn echo(stream: &mut TcpStream, bytes: &[u8]) -> Vec<u8> {
    stream.write_all(bytes).await.unwrap();
    let mut answer = vec![0; bytes.len()];
    tokio::time::timeout(WAIT, stream.read_exact(&mut answer))
        .await
        .expect("the echo comes back")
        .unwrap();
    answer
}

/// Opens a connection through `proxy` to `upstream`, a listener the test holds, and sends one
/// byte across: the client's and the server's ends of one proxied connection.
async fn connected(proxy: &FaultProxy, upstream: &TcpListener) -> (TcpStream, TcpStream) {
    let mut client = TcpStream::connect(proxy.addr()).await.unwrap();
    let (mut server_side, _) = tokio::time::timeout(WAIT, upstream.accept())
        .await
        .expect("the proxy connects upstream")
        .unwrap();
    client.write_all(b"x").await.unwrap();
    let mut byte = [0];
    server_side.read_exact(&mut byte).await.unwrap();
    assert_eq!(&byte, b"x");
    (client, server_side)
}

/// Reads until the connection ends; true when it ended (EOF or reset) within [`WAIT`].
async fn ends(stream: &mut TcpStream) -> bool {
    let mut sink = Vec::new();
    let read = tokio::time::timeout(WAIT, stream.read_to_end(&mut sink)).await;
    read.is_ok()
}

#[tokio::test]
async fn forwards_both_ways_and_counts_connections() {
    let proxy = FaultProxy::start(echo_server().await).await;
    assert!(proxy.url_ws().starts_with("ws://127.0.0.1:"));
    let mut a = TcpStream::connect(proxy.addr()).await.unwrap();
    let mut b = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_eq!(echo(&mut a, b"hello").await, b"hello");
    assert_eq!(echo(&mut b, b"world").await, b"world");
    assert_eq!((proxy.connections(), proxy.accepted()), (2, 2));
    drop(a);
    tokio::time::timeout(WAIT, proxy.wait_for_connections(1))
        .await
        .expect("a closed connection leaves the count");
    assert_eq!(proxy.accepted(), 2);
}

#[tokio::test]
async fn a_delay_costs_a_round_trip_twice_the_delay_and_keeps_order() {
    let proxy = FaultProxy::start(echo_server().await).await;
    let mut client = TcpStream::connect(proxy.addr()).await.unwrap();
    echo(&mut client, b"warm").await;
    let delay = Duration::from_millis(100);
    proxy.set_delay(delay);
    let started = Instant::now();
    echo(&mut client, b"ping").await;
    let round_trip = started.elapsed();
    assert!(round_trip >= 2 * delay, "round trip {round_trip:?}");

    // Many chunks, each delayed, arrive whole and in order: reading goes on during the delay.
    let bytes: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let (mut read, mut write) = client.into_split();
    let sent = bytes.clone();
    let writer = tokio::spawn(async move { write.write_all(&sent).await.map(|()| write) });
    let mut answer = vec![0; bytes.len()];
    tokio::time::timeout(WAIT, read.read_exact(&mut answer))
        .await
        .expect("a megabyte through a delayed link in time")
        .unwrap();
    assert!(answer == bytes, "the bytes came back changed or reordered");
    writer.await.unwrap().unwrap();

    proxy.set_delay(Duration::ZERO);
    let mut fresh = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_eq!(echo(&mut fresh, b"fast").await, b"fast");
}

#[tokio::test]
async fn cut_ends_both_sides_and_new_connections_still_work() {
    let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = FaultProxy::start(upstream.local_addr().unwrap()).await;
    let (mut client, mut server_side) = connected(&proxy, &upstream).await;

    proxy.cut().await;
    assert_eq!(
        proxy.connections(),
        0,
        "cut returns once connections are closed"
    );
    assert!(ends(&mut client).await, "the client's read ends");
    assert!(ends(&mut server_side).await, "the server's read ends");

    let _again = connected(&proxy, &upstream).await;
    assert_eq!((proxy.connections(), proxy.accepted()), (1, 2));
}

#[tokio::test]
async fn a_stall_holds_bytes_until_resume_and_keeps_sockets_open() {
    let proxy = FaultProxy::start(echo_server().await).await;
    let mut client = TcpStream::connect(proxy.addr()).await.unwrap();
    echo(&mut client, b"before").await;

    proxy.stall();
    client.write_all(b"during").await.unwrap();
    let mut answer = [0; 6];
    let read = tokio::time::timeout(QUIET, client.read_exact(&mut answer)).await;
    assert!(read.is_err(), "nothing gets through a stall");
    assert_eq!(proxy.connections(), 1, "the connection stays open");

    proxy.resume();
    tokio::time::timeout(WAIT, client.read_exact(&mut answer))
        .await
        .expect("held bytes arrive after resume")
        .unwrap();
    assert_eq!(&answer, b"during");
}

#[tokio::test]
async fn a_connection_opened_during_a_stall_reaches_upstream_only_after_resume() {
    let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = FaultProxy::start(upstream.local_addr().unwrap()).await;
    proxy.stall();
    let _client = TcpStream::connect(proxy.addr()).await.unwrap();
    let accepted = tokio::time::timeout(QUIET, upstream.accept()).await;
    assert!(accepted.is_err(), "no connection crosses a blackhole");
    proxy.resume();
    tokio::time::timeout(WAIT, upstream.accept())
        .await
        .expect("the connection goes through after resume")
        .unwrap();
}

#[tokio::test]
async fn refuse_resets_new_connections_and_spares_open_ones() {
    let proxy = FaultProxy::start(echo_server().await).await;
    let mut open = TcpStream::connect(proxy.addr()).await.unwrap();
    echo(&mut open, b"a").await;

    proxy.refuse(true);
    // The kernel may complete the handshake before the proxy resets it; either way the client
    // learns at once that nothing is served.
    if let Ok(mut refused) = TcpStream::connect(proxy.addr()).await {
        let _ = refused.write_all(b"hello?").await;
        let mut buf = [0; 8];
        let read = tokio::time::timeout(WAIT, refused.read(&mut buf))
            .await
            .expect("a refused connection ends at once");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }
    assert_eq!(proxy.accepted(), 2, "refused attempts are counted");
    assert_eq!(
        echo(&mut open, b"b").await,
        b"b",
        "open connections live on"
    );

    proxy.refuse(false);
    let mut back = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_eq!(echo(&mut back, b"c").await, b"c");
}

#[tokio::test]
async fn dropping_the_proxy_ends_its_connections_and_tasks() {
    let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let runtime = tokio::runtime::Handle::current();
    let tasks_before = runtime.metrics().num_alive_tasks();
    let proxy = FaultProxy::start(upstream.local_addr().unwrap()).await;
    let (mut client, mut server_side) = connected(&proxy, &upstream).await;
    assert!(runtime.metrics().num_alive_tasks() > tasks_before);

    drop(proxy);
    assert!(ends(&mut client).await, "the client's read ends");
    assert!(ends(&mut server_side).await, "the server's read ends");
    // Every task has been told to stop; give them their turn to finish.
    tokio::time::timeout(WAIT, async {
        while runtime.metrics().num_alive_tasks() > tasks_before {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("no task of the proxy outlives it");
}
