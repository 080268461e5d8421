//! Multi-device policies over real sockets: who is kicked, what they hear, and a reconnect that
//! kicks no one.

mod support;

use futures_util::future::join_all;
use std::sync::atomic::Ordering::Relaxed;
use support::*;
use tim_protocol::{KickReason, Platform, ServerFrame};
use tim_server::{DevicePolicy, PlatformPolicy, ServerConfig};

fn with_policy(platforms: PlatformPolicy, native_instances: u8, web_instances: u8) -> ServerConfig {
    let mut config = config();
    config.apps.get_mut(&APP).unwrap().policy = DevicePolicy {
        platforms,
        native_instances,
        web_instances,
    };
    config
}

fn online_platforms(list: &[tim_server::policy::SessionInfo]) -> Vec<Platform> {
    list.iter().map(|s| s.platform).collect()
}

#[tokio::test]
async fn a_second_android_login_kicks_the_first_by_default() {
    let server = start(config()).await;
    let mut first = online(&server, &request("alice", "phone1", Platform::Android)).await;
    let _web = online(&server, &request("alice", "browser", Platform::Web)).await;
    let _second = online(&server, &request("alice", "phone2", Platform::Android)).await;
    expect_kick(&mut first, KickReason::DeviceLimit, Platform::Android).await;
    let online_now = sessions(&server, "alice").await;
    assert_eq!(
        online_platforms(&online_now),
        [Platform::Web, Platform::Android]
    );
    assert_eq!(online_now[1].instance_id, "phone2");
    assert_eq!(server.metrics().kicks.load(Relaxed), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn one_platform_policy_kicks_every_other_platform() {
    let server = start(with_policy(PlatformPolicy::OnePlatform, 1, 1)).await;
    let mut phone = online(&server, &request("alice", "phone", Platform::IPhone)).await;
    let mut mac = online(&server, &request("alice", "mac", Platform::Mac)).await;
    expect_kick(&mut phone, KickReason::PlatformConflict, Platform::Mac).await;
    let _web = online(&server, &request("alice", "browser", Platform::Web)).await;
    expect_kick(&mut mac, KickReason::PlatformConflict, Platform::Web).await;
    assert_eq!(
        online_platforms(&sessions(&server, "alice").await),
        [Platform::Web]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn mobile_or_desktop_plus_web_keeps_one_native_platform_beside_the_web() {
    let server = start(with_policy(PlatformPolicy::MobileOrDesktopPlusWeb, 1, 2)).await;
    let mut android = online(&server, &request("alice", "android", Platform::Android)).await;
    let _web1 = online(&server, &request("alice", "web1", Platform::Web)).await;
    let _web2 = online(&server, &request("alice", "web2", Platform::Web)).await;
    let _windows = online(&server, &request("alice", "pc", Platform::Windows)).await;
    expect_kick(
        &mut android,
        KickReason::PlatformConflict,
        Platform::Windows,
    )
    .await;
    assert_eq!(
        online_platforms(&sessions(&server, "alice").await),
        [Platform::Web, Platform::Web, Platform::Windows]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn all_platforms_policy_with_three_instances_kicks_only_the_oldest() {
    let server = start(with_policy(PlatformPolicy::AllPlatforms, 3, 10)).await;
    let mut ipads = Vec::new();
    for i in 0..3 {
        ipads.push(
            online(
                &server,
                &request("alice", &format!("ipad{i}"), Platform::IPad),
            )
            .await,
        );
    }
    let _linux = online(&server, &request("alice", "linux", Platform::Linux)).await;
    let _ipad4 = online(&server, &request("alice", "ipad3", Platform::IPad)).await;
    expect_kick(&mut ipads[0], KickReason::DeviceLimit, Platform::IPad).await;
    let instances: Vec<_> = sessions(&server, "alice")
        .await
        .into_iter()
        .map(|s| s.instance_id)
        .collect();
    assert_eq!(instances, ["ipad1", "ipad2", "linux", "ipad3"]);
    server.shutdown().await;
}

#[tokio::test]
async fn a_reconnect_of_the_same_instance_replaces_its_session_and_kicks_no_one() {
    let server = start(config()).await;
    let mut old = online(&server, &request("alice", "phone", Platform::Android)).await;
    let _new = online(&server, &request("alice", "phone", Platform::Android)).await;
    assert_eq!(old.closed().await, 4001, "closed quietly, without a kick");
    let online_now = sessions(&server, "alice").await;
    assert_eq!(online_now.len(), 1);
    assert_eq!(server.metrics().kicks.load(Relaxed), 0);
    assert_eq!(server.metrics().sessions_online.load(Relaxed), 1);
    server.shutdown().await;
}

/// 50 logins of one account at once: exactly `limit` stay online, every other one is told.
async fn concurrent_logins_leave_exactly(limit: u8) {
    let server = start(with_policy(PlatformPolicy::AllPlatforms, limit, 1)).await;
    let logins = (0..50).map(|i| {
        let request = request("alice", &format!("phone{i}"), Platform::Android);
        let url = server.url();
        async move {
            let outcome = tim_testkit::client::Connection::login(&url, &request)
                .await
                .unwrap();
            assert_eq!(outcome.result.code, 0);
            (request.instance_id, outcome.connection)
        }
    });
    let connections = join_all(logins).await;
    let online_now: Vec<String> = sessions(&server, "alice")
        .await
        .into_iter()
        .map(|s| s.instance_id)
        .collect();
    assert_eq!(online_now.len(), usize::from(limit));
    let mut kicked = 0;
    for (instance, mut connection) in connections {
        if online_now.contains(&instance) {
            continue;
        }
        expect_kick(&mut connection, KickReason::DeviceLimit, Platform::Android).await;
        kicked += 1;
    }
    assert_eq!(kicked, 50 - usize::from(limit));
    assert_eq!(server.metrics().kicks.load(Relaxed), 50 - u64::from(limit));
    assert_eq!(
        server.metrics().sessions_online.load(Relaxed),
        i64::from(limit)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn fifty_concurrent_logins_leave_one_instance() {
    concurrent_logins_leave_exactly(1).await;
}

#[tokio::test]
async fn fifty_concurrent_logins_leave_three_instances() {
    concurrent_logins_leave_exactly(3).await;
}

#[tokio::test]
async fn a_reconnect_that_would_displace_another_device_gets_6208() {
    let server = start(config()).await;
    let _b = online(&server, &request("alice", "phone-b", Platform::Android)).await;
    let mut back = request("alice", "phone-a", Platform::Android);
    back.reconnect = true;
    assert_eq!(login_code(&server, &back).await, 6208);
    let online_now = sessions(&server, "alice").await;
    assert_eq!(online_now.len(), 1);
    assert_eq!(
        online_now[0].instance_id, "phone-b",
        "the device in use stays online"
    );
    assert_eq!(server.metrics().kicks.load(Relaxed), 0);

    // A reconnect with room for it (another platform) comes back.
    back.platform = Platform::Web;
    let mut web = online(&server, &back).await;
    web.send(&tim_protocol::ClientFrame::Ping { seq: 1 })
        .await
        .unwrap();
    assert!(matches!(
        next(&mut web).await,
        ServerFrame::Pong { seq: 1, .. }
    ));
    server.shutdown().await;
}
