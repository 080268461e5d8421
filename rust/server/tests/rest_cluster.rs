//! The REST API across nodes sharing one Redis: a kick reaches sessions on every node and
//! invalidates tickets cluster-wide across a restart, a delete and a re-import; online status
//! reads the same from every node, and a SIGKILLed node's users read Offline once its lease runs
//! out.

mod cluster_support;
mod support;

use cluster_support::{RedisServer, eventually, node, node_config, target};
use serde_json::Value;
use std::time::Duration;
use support::rest::{call, code};
use support::*;
use tim_protocol::{KickReason, Platform, ServerFrame};
use tim_server::{DevicePolicy, RunningServer};
use tim_testkit::client::Connection;

/// The lease of the node that is killed and of the one that reads its users' status. A live
/// node counts as dead once a renewal comes more than two thirds of its lease after the last
/// one, so the lease leaves a loaded machine room: a 1 s lease let a live node's user read
/// Offline before the kill.
const LEASE: Duration = Duration::from_secs(3);

async fn status(node: &RunningServer, user: &str) -> Value {
    let body = format!(r#"{{"To_Account":["{user}"],"IsNeedDetail":1}}"#);
    let answer = call(node, "openim/query_online_status", &body).await;
    assert_eq!(code(&answer), 0, "{answer}");
    answer["QueryResult"][0].clone()
}

#[tokio::test]
async fn a_kick_on_one_node_ends_sessions_on_every_node_and_survives_a_restart() {
    let redis = RedisServer::start().await;
    let policy = DevicePolicy::default();
    let a = node(&target(&redis), "a", policy).await;
    let b = node(&target(&redis), "b", policy).await;
    let mut old = request("alice", "phone", Platform::Android);
    old.user_sig = ticket_for(APP, KEY, "alice", now() - 10, 86_400);
    let mut phone = online(&b, &old).await;
    let mut web = online(&a, &request("alice", "tab", Platform::Web)).await;
    for node in [&a, &b] {
        let alice = status(node, "alice").await;
        assert_eq!(alice["Status"], "Online");
        assert_eq!(alice["Detail"].as_array().unwrap().len(), 2, "{alice}");
    }

    let kick = call(&a, "im_open_login_svc/kick", r#"{"UserID":"alice"}"#).await;
    assert_eq!(code(&kick), 0, "{kick}");
    let kicked = ServerFrame::KickedOffline {
        reason: KickReason::Admin,
        by_platform: None,
    };
    assert_eq!(
        next(&mut phone).await,
        kicked,
        "the session on the other node"
    );
    assert_eq!(next(&mut web).await, kicked);
    for node in [&a, &b] {
        assert_eq!(status(node, "alice").await["Status"], "Offline");
        assert_eq!(login_code(node, &old).await, 70052);
    }

    // A restarted node still refuses the old ticket, and takes a new one.
    b.shutdown().await;
    let b = node(&target(&redis), "b", policy).await;
    assert_eq!(login_code(&b, &old).await, 70052);
    let _phone = online(&b, &request("alice", "phone", Platform::Android)).await;
    assert_eq!(status(&a, "alice").await["Status"], "Online");
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn a_sigkilled_nodes_users_read_offline_within_its_lease() {
    let redis = RedisServer::start().await;
    let policy = DevicePolicy::default();
    let a = start(node_config(&target(&redis), "a", policy, LEASE)).await;
    let (key, lease) = (format!("{APP}:{KEY}"), LEASE.as_secs_f64().to_string());
    let mut b = spawn(&[
        "--listen",
        "127.0.0.1:0",
        "--app",
        &key,
        "--redis",
        &redis.url(),
        "--redis-ephemeral",
        "--node-id",
        "b",
        "--node-lease",
        &lease,
    ])
    .await;
    let bob_login = request("bob", "pc", Platform::Mac);
    let bob = tokio::time::timeout(WAIT, Connection::login(b.url(), &bob_login))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bob.result.code, 0, "{}", bob.result.desc);
    let mut carol = online(&a, &request("carol", "pc", Platform::Mac)).await;
    assert_eq!(status(&a, "bob").await["Status"], "Online");
    b.kill();
    eventually(
        WAIT,
        "bob reads Offline once b's lease has run out",
        || async { status(&a, "bob").await["Status"] == "Offline" },
    )
    .await;
    assert_eq!(status(&a, "carol").await["Status"], "Online");
    ping_pong(&mut carol, 1).await;
    a.shutdown().await;
}

#[tokio::test]
async fn getappinfo_counts_a_user_logging_in_on_three_nodes_once() {
    let redis = RedisServer::start().await;
    let policy = DevicePolicy::default();
    let nodes = [
        node(&target(&redis), "a", policy).await,
        node(&target(&redis), "b", policy).await,
        node(&target(&redis), "c", policy).await,
    ];
    for i in 0..5 {
        let phone = online(&nodes[i % 3], &request("alice", "phone", Platform::Android)).await;
        phone.close().await;
    }
    let _bob = online(&nodes[1], &request("bob", "phone", Platform::Android)).await;
    // The figures are written beside the logins, not before their answers: wait for them.
    let today = |answer: &Value| answer["Result"][0].clone();
    eventually(WAIT, "every login is counted", || async {
        let answer = call(&nodes[2], "openconfigsvr/getappinfo", "{}").await;
        today(&answer)["LoginTimes"] == "6"
    })
    .await;
    for node in &nodes {
        let day = today(&call(node, "openconfigsvr/getappinfo", "{}").await);
        assert_eq!(day["ActiveUserNum"], "2", "alice counts once: {day}");
        assert_eq!(day["LoginUserNum"], "2", "{day}");
        assert_eq!(day["LoginTimes"], "6", "{day}");
        assert_eq!(day["RegistUserNumOneDay"], "2", "{day}");
        assert_eq!(day["RegistUserNumTotal"], "2", "{day}");
    }
    for node in nodes {
        node.shutdown().await;
    }
}

#[tokio::test]
async fn a_kicks_invalidation_outlives_delete_import_and_a_restart() {
    let redis = RedisServer::start().await;
    let policy = DevicePolicy::default();
    let a = node(&target(&redis), "a", policy).await;
    let mut old = request("alice", "phone", Platform::Android);
    old.user_sig = ticket_for(APP, KEY, "alice", now() - 10, 86_400);
    let phone = online(&a, &old).await;
    let kick = call(&a, "im_open_login_svc/kick", r#"{"UserID":"alice"}"#).await;
    assert_eq!(code(&kick), 0, "{kick}");
    drop(phone);
    assert_eq!(login_code(&a, &old).await, 70052, "after the kick");

    // The documented order, kick then delete: the deleted account's old ticket must not log in
    // (and re-create the account).
    let delete = r#"{"DeleteItem":[{"UserID":"alice"}]}"#;
    let deleted = call(&a, "im_open_login_svc/account_delete", delete).await;
    assert_eq!(deleted["ResultItem"][0]["ResultCode"], 0, "{deleted}");
    assert_eq!(login_code(&a, &old).await, 70052, "after the delete");
    let check = r#"{"CheckItem":[{"UserID":"alice"}]}"#;
    let checked = call(&a, "im_open_login_svc/account_check", check).await;
    assert_eq!(
        checked["ResultItem"][0]["AccountStatus"], "NotImported",
        "{checked}"
    );
    let mut fields: Vec<String> = redis
        .query(redis::cmd("HKEYS").arg(format!("tim:s:{{{APP}:alice}}")))
        .await;
    fields.sort();
    assert_eq!(
        fields,
        ["#", "x"],
        "the registration went, the invalidation stayed"
    );

    let import = call(
        &a,
        "im_open_login_svc/account_import",
        r#"{"UserID":"alice"}"#,
    )
    .await;
    assert_eq!(code(&import), 0, "{import}");
    assert_eq!(login_code(&a, &old).await, 70052, "after the import");

    a.shutdown().await;
    let a = node(&target(&redis), "a", policy).await;
    assert_eq!(login_code(&a, &old).await, 70052, "after a restart");
    // A ticket signed from the kick's second on logs in.
    let _phone = online(&a, &request("alice", "phone", Platform::Android)).await;

    // A deleted account's hash holds only bookkeeping (`#`, `x`): a new ticket's login is
    // admitted on the first round, and registers the account again.
    let bob = online(&a, &request("bob", "phone", Platform::Android)).await;
    let kick = call(&a, "im_open_login_svc/kick", r#"{"UserID":"bob"}"#).await;
    assert_eq!(code(&kick), 0, "{kick}");
    drop(bob);
    let delete = r#"{"DeleteItem":[{"UserID":"bob"}]}"#;
    let deleted = call(&a, "im_open_login_svc/account_delete", delete).await;
    assert_eq!(deleted["ResultItem"][0]["ResultCode"], 0, "{deleted}");
    let _tablet = online(&a, &request("bob", "tablet", Platform::Android)).await;
    let check = r#"{"CheckItem":[{"UserID":"bob"}]}"#;
    let checked = call(&a, "im_open_login_svc/account_check", check).await;
    assert_eq!(
        checked["ResultItem"][0]["AccountStatus"], "Imported",
        "{checked}"
    );
    a.shutdown().await;
}

#[tokio::test]
async fn a_deleted_account_leaves_nothing_in_redis_unless_a_kick_must_outlive_it() {
    let redis = RedisServer::start().await;
    let a = node(&target(&redis), "a", DevicePolicy::default()).await;
    let key = |user: &str| format!("tim:s:{{{APP}:{user}}}");
    for user in ["carol", "dave"] {
        let imported = call(
            &a,
            "im_open_login_svc/account_import",
            &format!(r#"{{"UserID":"{user}"}}"#),
        )
        .await;
        assert_eq!(code(&imported), 0, "{imported}");
        let phone = online(&a, &request(user, "phone", Platform::Android)).await;
        phone.close().await;
        eventually(WAIT, "the session ends", || async {
            sessions(&a, user).await.is_empty()
        })
        .await;
    }
    let kick = call(&a, "im_open_login_svc/kick", r#"{"UserID":"dave"}"#).await;
    assert_eq!(code(&kick), 0, "{kick}");
    let deleted = call(
        &a,
        "im_open_login_svc/account_delete",
        r#"{"DeleteItem":[{"UserID":"carol"},{"UserID":"dave"}]}"#,
    )
    .await;
    assert_eq!(code(&deleted), 0, "{deleted}");
    let carol: i64 = redis.query(redis::cmd("EXISTS").arg(key("carol"))).await;
    assert_eq!(carol, 0, "nothing of carol is left");
    let dave: Vec<String> = redis.query(redis::cmd("HKEYS").arg(key("dave"))).await;
    assert!(
        dave.contains(&"x".to_owned()),
        "dave's kick outlives the delete: {dave:?}"
    );
    assert!(!dave.contains(&"r".to_owned()), "{dave:?}");
    a.shutdown().await;
}
