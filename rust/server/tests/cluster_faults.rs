//! What a cluster does when Redis stalls, dies or comes back empty, and when a node dies: the
//! users online stay online, logins answer 70169 rather than hang, and once the store answers
//! again the sessions the nodes hold are what Redis holds. A Redis with its append-only file on
//! comes back from a SIGKILL with every account, kick and daily figure it acknowledged.

mod cluster_support;
mod support;

use cluster_support::*;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use support::rest::{call, code};
use support::*;
use tim_protocol::{KickReason, Platform};
use tim_server::{DevicePolicy, RedisTarget, RunningServer};
use tim_testkit::FaultProxy;

/// A short lease, so that the nodes notice a store's loss within a test's patience, and long
/// enough that a loaded machine's late renewal (a live node counts as dead once a renewal comes
/// more than two thirds of the lease after the last) does not make a live node look dead.
const LEASE: Duration = Duration::from_secs(3);

async fn healthz(node: &RunningServer) -> String {
    http_get(node.local_addr(), "/healthz").await.0
}

/// Whether every session the nodes hold is what Redis holds for `users`, and nothing else.
async fn consistent(nodes: &[&RunningServer], users: &[&str]) -> bool {
    let mut in_store = 0;
    for user in users {
        match nodes[0]
            .registry()
            .sessions(&tim_server::AccountKey {
                sdk_app_id: APP,
                user_id: (*user).to_owned(),
            })
            .await
        {
            Ok(list) => in_store += list.len(),
            Err(_) => return false,
        }
    }
    let held: usize = nodes.iter().map(|n| n.sessions_held()).sum();
    held == in_store
}

#[tokio::test]
async fn a_stalled_redis_answers_logins_70169_and_keeps_the_online_connected() {
    let redis = RedisServer::start().await;
    let proxy = FaultProxy::start(redis.addr()).await;
    let (a, b) = (
        node_behind(&proxy, "a", LEASE).await,
        node_behind(&proxy, "b", LEASE).await,
    );
    let mut alice = online(&a, &request("alice", "phone", Platform::Android)).await;
    let mut bob = online(&b, &request("bob", "phone", Platform::Android)).await;
    assert_eq!(healthz(&a).await, "HTTP/1.1 200 OK");

    proxy.stall();
    // Answered, never left hanging: the login's own deadline (WAIT) would fail the test first.
    let asked = std::time::Instant::now();
    assert_eq!(
        login_code(&b, &request("carol", "phone", Platform::Android)).await,
        70169
    );
    eprintln!(
        "70169 answered after {:?} of stalled Redis",
        asked.elapsed()
    );
    ping_pong(&mut alice, 1).await;
    ping_pong(&mut bob, 1).await;
    assert_eq!(healthz(&b).await, "HTTP/1.1 503 Service Unavailable");

    proxy.resume();
    let _carol = online(&a, &request("carol", "phone", Platform::Android)).await;
    let (both, users) = ([&a, &b], ["alice", "bob", "carol"]);
    eventually(WAIT, "the store and the nodes agree", || {
        consistent(&both, &users)
    })
    .await;
    assert_eq!(healthz(&b).await, "HTTP/1.1 200 OK");
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn sessions_that_end_while_redis_is_away_leave_it_when_it_is_back() {
    let redis = RedisServer::start().await;
    let proxy = FaultProxy::start(redis.addr()).await;
    let a = node_behind(&proxy, "a", LEASE).await;
    let alice = online(&a, &request("alice", "phone", Platform::Android)).await;
    proxy.stall();
    alice.close().await;
    eventually(WAIT, "the node lets the session go", || async {
        a.sessions_held() == 0
    })
    .await;
    proxy.resume();
    let (only_a, users) = ([&a], ["alice"]);
    eventually(WAIT, "Redis lets it go too", || consistent(&only_a, &users)).await;
    // ... and the node's index, which a sweep of the node would visit, no longer names alice.
    let index = format!("tim:n:{}", a.cluster().unwrap().token());
    let members: Vec<String> = redis.query(redis::cmd("SMEMBERS").arg(&index)).await;
    assert!(members.is_empty(), "{members:?}");
    a.shutdown().await;
}

#[tokio::test]
async fn redis_restarted_empty_hears_every_session_again_and_limits_hold() {
    let mut redis = RedisServer::start().await;
    // One proxy per node, so that the test decides which node reaches the new Redis first.
    let (to_a, to_b) = (
        FaultProxy::start(redis.addr()).await,
        FaultProxy::start(redis.addr()).await,
    );
    let (a, b) = (
        node_behind(&to_a, "a", LEASE).await,
        node_behind(&to_b, "b", LEASE).await,
    );
    let mut alice = online(&a, &request("alice", "phone", Platform::Android)).await;
    let mut bob = online(&a, &request("bob", "phone", Platform::Android)).await;
    let mut carol = online(&b, &request("carol", "phone", Platform::Android)).await;

    redis.kill();
    // Redis is gone: logins answer 70169 at once, the sessions online stay online.
    assert_eq!(
        login_code(&a, &request("dave", "phone", Platform::Android)).await,
        70169
    );
    ping_pong(&mut carol, 1).await;
    redis.restart_empty().await;
    let restarted = std::time::Instant::now();
    // While a still talks to the dead Redis, a login of alice on another device is admitted
    // through b, which reaches the new, empty one.
    to_b.set_upstream(redis.addr());
    to_b.cut().await;
    let alice_tablet = request("alice", "tablet", Platform::Android);
    let _tablet = eventually_online(&b, &alice_tablet).await;
    to_a.set_upstream(redis.addr());
    to_a.cut().await;

    // a admits what it holds again: bob has room, alice's phone has lost its place to the
    // tablet and is the one that ends, with its push.
    expect_kick(&mut alice, KickReason::DeviceLimit, Platform::Android).await;
    let (both, users) = ([&a, &b], ["alice", "bob", "carol"]);
    eventually(WAIT, "every held session is in the new Redis", || {
        consistent(&both, &users)
    })
    .await;
    eprintln!(
        "Redis restarted empty: every held session in it again {:?} after the restart (lease {LEASE:?})",
        restarted.elapsed()
    );
    assert_eq!(instances(&sessions(&a, "alice").await), ["tablet"]);
    ping_pong(&mut bob, 1).await;
    ping_pong(&mut carol, 1).await;
    // Counted once the store has answered the re-admission, which may come after it is seen.
    eventually(WAIT, "a counts bob's re-admission", || async {
        a.cluster().unwrap().stats.reregistrations.load(Relaxed) >= 1
    })
    .await;
    // Limits hold again across nodes: a second phone of bob on b kicks the one on a.
    let _bob2 = online(&b, &request("bob", "phone2", Platform::Android)).await;
    expect_kick(&mut bob, KickReason::DeviceLimit, Platform::Android).await;
    a.shutdown().await;
    b.shutdown().await;
}

/// Logs in, retrying while the node answers 70169 (its store connection is coming back).
async fn eventually_online(
    node: &RunningServer,
    request: &tim_protocol::LoginRequest,
) -> tim_testkit::client::Connection {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let outcome = login(node, request).await;
        match outcome.result.code {
            0 => return outcome.connection,
            70169 if tokio::time::Instant::now() < deadline => continue,
            code => panic!("login answered {code}: {}", outcome.result.desc),
        }
    }
}

#[tokio::test]
async fn a_killed_node_s_sessions_leave_within_the_lease_and_displace_no_one() {
    let redis = RedisServer::start().await;
    let url = redis.url();
    let lease = LEASE.as_secs().to_string();
    let app = format!("{APP}:{KEY}");
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--app",
        &app,
        "--redis",
        &url,
        "--redis-ephemeral",
        "--node-id",
        "doomed",
        "--node-lease",
        &lease,
    ];
    let mut doomed = spawn(&args).await;
    let users: Vec<String> = (0..200).map(|i| format!("u{i}")).collect();
    let mut held = vec![];
    for user in &users {
        let outcome = tim_testkit::client::Connection::login(
            doomed.url(),
            &tim_testkit::client::login_request(APP, user, &ticket(user), "phone"),
        )
        .await
        .unwrap();
        assert_eq!(outcome.result.code, 0);
        held.push(outcome.connection);
    }
    let survivor = start(node_config(
        &target(&redis),
        "survivor",
        DevicePolicy::default(),
        LEASE,
    ))
    .await;
    assert_eq!(sessions(&survivor, "u0").await.len(), 1);

    doomed.kill();
    let killed = std::time::Instant::now();
    eventually(
        LEASE * 3,
        "the dead node's sessions count for nothing",
        || async { sessions(&survivor, "u199").await.is_empty() },
    )
    .await;
    eprintln!(
        "a SIGKILLed node's 200 sessions stopped counting {:?} after the kill (lease {LEASE:?})",
        killed.elapsed()
    );
    for user in &users {
        let mut other = request(user, "tablet", Platform::Android);
        other.reconnect = true; // would get 6208 if the dead sessions still held the place
        let _tablet = online(&survivor, &other).await;
    }
    assert_eq!(survivor.metrics().kicks.load(Relaxed), 0);

    // The same node id again: it starts empty, inheriting none of its previous run's sessions.
    let mut again = spawn(&args).await;
    let back = tim_testkit::client::Connection::login(
        again.url(),
        &tim_testkit::client::login_request(APP, "u0", &ticket("u0"), "phone"),
    )
    .await
    .unwrap();
    assert_eq!(back.result.code, 0);
    assert_eq!(
        instances(&sessions(&survivor, "u0").await).len(),
        1,
        "the old phone is gone"
    );
    eventually(WAIT, "the dead run's leftovers are swept", || async {
        survivor.cluster().unwrap().stats.swept.load(Relaxed) > 0
    })
    .await;
    again.kill();
    survivor.shutdown().await;
}

#[tokio::test]
async fn redis_sigkilled_with_its_append_only_file_keeps_accounts_kicks_and_figures() {
    // `appendfsync always`: every write is on disk before Redis answers it, so nothing the node
    // was told is done can be lost, whatever the timing. The default, `everysec`, can lose about
    // the last second of writes (docs/server.md).
    let mut redis =
        RedisServer::start_with_args(&["--appendonly", "yes", "--appendfsync", "always"]).await;
    let proxy = FaultProxy::start(redis.addr()).await;
    let store = RedisTarget::Single(format!("redis://{}", proxy.addr()));
    let mut config = node_config(&store, "a", DevicePolicy::default(), LEASE);
    config.cluster.as_mut().unwrap().redis_ephemeral = false; // this Redis keeps what it is given
    let a = start(config).await;

    // Accounts by import and by first login; a kick's invalidation; the day's figures.
    let import = call(
        &a,
        "im_open_login_svc/account_import",
        r#"{"UserID":"bob"}"#,
    )
    .await;
    assert_eq!(code(&import), 0, "{import}");
    let imports = r#"{"Accounts":["carol","dave"]}"#;
    let import = call(&a, "im_open_login_svc/multiaccount_import", imports).await;
    assert_eq!(code(&import), 0, "{import}");
    let mut old = request("alice", "phone", Platform::Android);
    old.user_sig = ticket_for(APP, KEY, "alice", now() - 10, 86_400);
    let alice = online(&a, &old).await;
    let _erin = online(&a, &request("erin", "pc", Platform::Mac)).await;
    let kick = call(&a, "im_open_login_svc/kick", r#"{"UserID":"alice"}"#).await;
    assert_eq!(code(&kick), 0, "{kick}");
    drop(alice);
    assert_eq!(login_code(&a, &old).await, 70052);
    let figures = || async { call(&a, "openconfigsvr/getappinfo", "{}").await["Result"].clone() };
    eventually(WAIT, "every figure is written", || async {
        let today = &figures().await[0];
        [
            ("LoginTimes", "2"),
            ("ActiveUserNum", "2"),
            ("MaxOnlineNum", "2"),
            ("RegistUserNumOneDay", "5"),
            ("RegistUserNumTotal", "5"),
        ]
        .iter()
        .all(|(name, value)| today[name] == *value)
    })
    .await;
    let before = figures().await;

    redis.kill();
    let killed = std::time::Instant::now();
    redis.restart().await; // the same port and folder: it loads its append-only file
    proxy.set_upstream(redis.addr());
    proxy.cut().await;
    let users = ["alice", "bob", "carol", "dave", "erin"];
    let check = format!(
        r#"{{"CheckItem":[{}]}}"#,
        users.map(|u| format!(r#"{{"UserID":"{u}"}}"#)).join(",")
    );
    let account_check = || call(&a, "im_open_login_svc/account_check", &check);
    eventually(WAIT, "the node reaches the restarted Redis", || async {
        code(&account_check().await) == 0
    })
    .await;
    let checked = account_check().await;
    eprintln!(
        "Redis SIGKILLed and restarted with its append-only file: the node answered from it {:?} after the kill",
        killed.elapsed()
    );
    for (i, user) in users.iter().enumerate() {
        let item = &checked["ResultItem"][i];
        assert_eq!(
            (item["UserID"].as_str(), item["AccountStatus"].as_str()),
            (Some(*user), Some("Imported")),
            "{checked}"
        );
    }
    assert_eq!(login_code(&a, &old).await, 70052, "the kick outlived Redis");
    assert_eq!(figures().await, before, "the day's figures outlived Redis");
    let _alice = online(&a, &request("alice", "phone", Platform::Android)).await;
    a.shutdown().await;
}
