//! The REST API across nodes sharing one Redis: a kick reaches sessions on every node and
//! invalidates tickets cluster-wide across a restart, a delete and a re-import; online status
//! reads the same from every node, and a SIGKILLed node's users read Offline once its lease runs
//! out; each node counts its own sessions online for `getappinfo`, whatever ends them.

mod cluster_support;
mod support;

use cluster_support::{RedisServer, eventually, node, node_config, target};
use serde_json::Value;
use std::time::Duration;
use support::rest::{call, code};
use support::*;
use tim_protocol::{ClientFrame, KickReason, Platform, ServerFrame};
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

/// Today's figure `name` as `getappinfo` (asked of `node`) gives it.
async fn figure(node: &RunningServer, name: &str) -> u64 {
    let answer = call(node, "openconfigsvr/getappinfo", "{}").await;
    answer["Result"][0][name]
        .as_str()
        .map_or(0, |v| v.parse().unwrap())
}

/// Waits until `getappinfo` says `logins` logins today, then until it says `max_online`, never
/// more. The figures are written beside the logins, so they are awaited, not assumed.
async fn expect_figures(node: &RunningServer, logins: u64, max_online: u64) {
    eventually(WAIT, "every login is counted", || async {
        figure(node, "LoginTimes").await == logins
    })
    .await;
    // A peak may be written a moment after its login.
    eventually(WAIT, "the peak is counted", || async {
        let seen = figure(node, "MaxOnlineNum").await;
        assert!(seen <= max_online, "MaxOnlineNum {seen}, not {max_online}");
        seen == max_online
    })
    .await;
}

#[tokio::test]
async fn each_node_counts_its_own_sessions_online_whatever_ends_them() {
    let redis = RedisServer::start().await;
    let policy = DevicePolicy::default();
    let a = node(&target(&redis), "a", policy).await;
    let b = node(&target(&redis), "b", policy).await;
    let admin_kick = ServerFrame::KickedOffline {
        reason: KickReason::Admin,
        by_platform: None,
    };
    for _ in 0..3 {
        // Kicked by the app's server through the other node.
        let mut alice = online(&b, &request("alice", "phone", Platform::Android)).await;
        let kick = call(&a, "im_open_login_svc/kick", r#"{"UserID":"alice"}"#).await;
        assert_eq!(code(&kick), 0, "{kick}");
        assert_eq!(next(&mut alice).await, admin_kick);
        // Displaced by a login on the other node, which then logs out.
        let mut phone = online(&b, &request("bob", "phone", Platform::Android)).await;
        let mut other = online(&a, &request("bob", "other", Platform::Android)).await;
        expect_kick(&mut phone, KickReason::DeviceLimit, Platform::Android).await;
        other.send(&ClientFrame::Logout { seq: 1 }).await.unwrap();
        assert!(matches!(
            next(&mut other).await,
            ServerFrame::LogoutResult { code: 0, .. }
        ));
    }
    // Never more than one session on each node at once: each node's peak is one.
    expect_figures(&a, 9, 2).await;
    // Both nodes are back at none: two sessions on b make its peak two.
    let _carol = online(&b, &request("carol", "phone", Platform::Android)).await;
    let _dave = online(&b, &request("dave", "phone", Platform::Android)).await;
    expect_figures(&b, 11, 3).await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn a_node_shutting_down_sends_the_figures_it_counted() {
    let redis = RedisServer::start().await;
    let policy = DevicePolicy::default();
    let a = node(&target(&redis), "a", policy).await;
    let b = node(&target(&redis), "b", policy).await;
    let _alice = online(&a, &request("alice", "phone", Platform::Android)).await;
    a.shutdown().await;
    // Read at once: the figures were sent before the shutdown was done.
    for (name, value) in [
        ("LoginTimes", 1),
        ("ActiveUserNum", 1),
        ("RegistUserNumOneDay", 1),
        ("MaxOnlineNum", 1),
    ] {
        assert_eq!(figure(&b, name).await, value, "{name}");
    }
    b.shutdown().await;
}
