//! `wss://`: the SDK logs in over TLS to a server whose certificate a test CA signed, trusted
//! through `extra_ca_pem`; without that trust the handshake fails with a network code.

mod support;

use support::*;
use tim_core::{LoginStatus, SdkConfig, SdkEvent};
use tim_server::TlsConfig;
use tim_testkit::TestPki;

async fn tls_server(pki: &TestPki) -> tim_server::RunningServer {
    let mut config = server_config();
    config.tls =
        Some(TlsConfig::from_pem(pki.cert_pem.as_bytes(), pki.key_pem.as_bytes()).unwrap());
    start_server_with(config).await
}

#[tokio::test]
async fn a_login_over_wss_with_the_apps_own_ca() {
    let pki = TestPki::new();
    let server = tls_server(&pki).await;
    assert!(server.url().starts_with("wss://"));
    let config = SdkConfig {
        extra_ca_pem: Some(pki.ca_pem()),
        ..sdk_config(&server.url())
    };
    let (manager, mut events) = manager_with(config);
    manager.login("alice", &ticket("alice")).await.unwrap();
    assert_eq!(status(&manager), LoginStatus::LoggedIn);
    events.until(|e| *e == SdkEvent::ConnectSuccess).await;
    assert_eq!(online_users(&server, "alice").await, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn an_untrusted_certificate_fails_the_login_with_9508() {
    let pki = TestPki::new();
    let server = tls_server(&pki).await;
    let (manager, _events) = manager(&server.url());
    let err = manager.login("alice", &ticket("alice")).await.unwrap_err();
    assert_eq!(err.code, 9508);
    assert!(err.desc.contains("TLS"), "{}", err.desc);
    assert_eq!(online_users(&server, "alice").await, 0);
    server.shutdown().await;
}
