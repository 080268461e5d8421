//! RedisServer and RedisCluster start real redis-servers, and their faults do what the cluster
//! tests of tim-server rely on.

use std::time::Duration;
use tim_testkit::redis_client::{self as redis, AsyncCommands, Value};
use tim_testkit::{FaultProxy, RedisCluster, RedisServer};

/// Long enough for anything that should happen; a test that hits it has failed.
const WAIT: Duration = Duration::from_secs(10);
/// How long something that must not happen is given to happen anyway.
const QUIET: Duration = Duration::from_millis(300);

#[tokio::test]
async fn a_redis_starts_empty_answers_and_dies_of_sigkill() {
    let mut server = RedisServer::start().await;
    assert!(
        server.url().starts_with("redis://127.0.0.1:"),
        "{}",
        server.url()
    );
    assert_eq!(server.query::<u64>(&redis::cmd("DBSIZE")).await, 0);
    let mut connection = server.connection().await;
    let () = connection.set("tim:s:{1:alice}", "x").await.unwrap();
    let value: String = connection.get("tim:s:{1:alice}").await.unwrap();
    assert_eq!(value, "x");
    assert!(server.info_memory().await.contains("# Memory"));
    assert!(server.used_memory().await > 0);
    // No persistence: nothing to reload after a restart.
    let save: Vec<String> = server
        .query(redis::cmd("CONFIG").arg("GET").arg("save"))
        .await;
    assert_eq!(save, ["save", ""]);

    server.kill();
    let answer: Result<String, _> = redis::cmd("PING").query_async(&mut connection).await;
    assert!(answer.is_err(), "a killed redis answered {answer:?}");
    let client = server.client();
    assert!(client.get_multiplexed_async_connection().await.is_err());
}

#[tokio::test]
async fn dropping_a_redis_closes_its_port() {
    let server = RedisServer::start().await;
    let addr = server.addr();
    drop(server);
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn a_stopped_redis_answers_once_continued() {
    let server = RedisServer::start().await;
    let mut connection = server.connection().await;
    server.stop();
    let command = redis::cmd("PING");
    let mut ping = std::pin::pin!(command.query_async::<String>(&mut connection));
    // The quiet period is the point: a stopped redis must not answer.
    assert!(
        tokio::time::timeout(QUIET, &mut ping).await.is_err(),
        "a stopped redis answered"
    );
    server.cont();
    let pong = tokio::time::timeout(WAIT, ping).await.unwrap().unwrap();
    assert_eq!(pong, "PONG");
}

#[tokio::test]
async fn a_restarted_redis_is_empty_and_a_proxy_keeps_its_address() {
    let mut server = RedisServer::start().await;
    let proxy = FaultProxy::start(server.addr()).await;
    let through_proxy = redis::Client::open(format!("redis://{}", proxy.addr())).unwrap();
    let mut before = through_proxy
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let () = before.set("tim:nodes", "n1").await.unwrap();

    let old_port = server.addr().port();
    let kept = server.restart_empty().await;
    assert_eq!(kept, server.addr().port() == old_port);
    proxy.set_upstream(server.addr());

    let mut after = through_proxy
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let value: Option<String> = after.get("tim:nodes").await.unwrap();
    assert_eq!(value, None, "the restarted redis still had a key");
    assert_eq!(server.query::<u64>(&redis::cmd("DBSIZE")).await, 0);
}

#[tokio::test]
async fn the_cluster_reaches_ok_and_a_hash_tagged_pair_lands_in_one_slot() {
    let cluster = RedisCluster::start().await;
    assert_eq!(cluster.seed_urls().len(), 3);
    for node in cluster.nodes() {
        let info: String = node.query(redis::cmd("CLUSTER").arg("INFO")).await;
        assert!(info.contains("cluster_state:ok"), "{info}");
        assert!(info.contains("cluster_slots_assigned:16384"), "{info}");
        assert!(info.contains("cluster_size:3"), "{info}");
    }

    let (account, sessions) = ("tim:s:{1400000000:alice}", "tim:x:{1400000000:alice}");
    let node = cluster.node_for(account).await;
    let mset = redis::cmd("MSET")
        .arg(account)
        .arg("a")
        .arg(sessions)
        .arg("b")
        .clone();
    let mut connection = node.connection().await;
    let set: Result<(), _> = mset.query_async(&mut connection).await;
    assert!(set.is_ok(), "a hash-tagged pair spans slots: {set:?}");

    // The same keys without the tags hash to two slots: every node refuses them together.
    let untagged = redis::cmd("MSET")
        .arg("tim:s:1400000000:alice")
        .arg("a")
        .arg("tim:x:1400000000:alice")
        .arg("b")
        .clone();
    for node in cluster.nodes() {
        let mut connection = node.connection().await;
        let refused: Result<Value, _> = untagged.query_async(&mut connection).await;
        let error = refused.expect_err("keys of two slots were set together");
        assert_eq!(
            error.kind(),
            redis::ErrorKind::Server(redis::ServerErrorKind::CrossSlot),
            "{error}"
        );
    }
}
