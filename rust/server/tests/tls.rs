//! `wss://`: logins over TLS with a certificate made at test time, and what arrives on a TLS port
//! that is not a TLS client: plain `ws://`, silence, a client that does not trust the certificate.

mod support;

use rustls::pki_types::ServerName;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;
use tim_protocol::Platform;
use tim_server::{RunningServer, ServerConfig, TlsConfig};
use tim_testkit::TestPki;
use tim_testkit::client::Connection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What the tests need of a test PKI.
trait Pki {
    fn server_config(&self) -> ServerConfig;
    fn client(
        &self,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> Arc<rustls::ClientConfig>;
}

impl Pki for TestPki {
    fn server_config(&self) -> ServerConfig {
        let mut config = config();
        config.tls =
            Some(TlsConfig::from_pem(self.cert_pem.as_bytes(), self.key_pem.as_bytes()).unwrap());
        config
    }

    /// A client that trusts this CA only, speaking the given TLS versions.
    fn client(
        &self,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca_der().to_vec().into()).unwrap();
        client_config(roots, versions)
    }
}

fn client_config(
    roots: rustls::RootCertStore,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

const BOTH: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

async fn login_over_tls(url: &str, tls: Arc<rustls::ClientConfig>, user: &str) -> Connection {
    let request = request(user, "i1", Platform::Android);
    let outcome = tokio::time::timeout(WAIT, Connection::login_with_tls(url, &request, tls))
        .await
        .expect("login answered in time")
        .expect("login answered");
    assert_eq!(outcome.result.code, 0, "{}", outcome.result.desc);
    outcome.connection
}

async fn still_serving(server: &RunningServer, pki: &TestPki, user: &str) {
    let mut client = login_over_tls(&server.url(), pki.client(BOTH), user).await;
    ping_pong(&mut client, 1).await;
}

#[tokio::test]
async fn logs_in_over_wss_with_tls_1_2_and_1_3() {
    let pki = TestPki::new();
    let server = start(pki.server_config()).await;
    let url = server.url();
    assert!(url.starts_with("wss://127.0.0.1:"), "{url}");
    let by_name = url.replace("127.0.0.1", "localhost");
    for (version, url, user) in [
        (&rustls::version::TLS13, &url, "alice"),
        (&rustls::version::TLS12, &by_name, "bob"),
    ] {
        let mut client = login_over_tls(url, pki.client(&[version]), user).await;
        ping_pong(&mut client, 7).await;
    }
    server.shutdown().await;
}

#[tokio::test]
async fn the_handshake_offers_http_1_1_and_serves_health_checks() {
    let pki = TestPki::new();
    let server = start(pki.server_config()).await;
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let connector = tokio_rustls::TlsConnector::from(pki.client(&[version]));
        let tcp = TcpStream::connect(server.local_addr()).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let mut tls = connector.connect(name, tcp).await.unwrap();
        let (_, session) = tls.get_ref();
        assert_eq!(session.alpn_protocol(), Some(&b"http/1.1"[..]));
        assert_eq!(session.protocol_version(), Some(version.version));
        tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(WAIT, tls.read_to_end(&mut answer))
            .await
            .unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok\n"),
            "{answer}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn plain_ws_and_untrusting_clients_fail_cleanly_and_others_are_served() {
    let pki = TestPki::new();
    let server = start(pki.server_config()).await;
    let plain_url = format!("ws://{}", server.local_addr());
    let plain = tokio::time::timeout(
        WAIT,
        Connection::login(&plain_url, &request("mallory", "i1", Platform::Android)),
    )
    .await
    .expect("a plain client is answered at once");
    assert!(
        plain.is_err(),
        "a plain ws:// login cannot succeed on a TLS port"
    );

    let stranger = TestPki::new();
    let untrusting = tokio::time::timeout(
        WAIT,
        Connection::login_with_tls(
            &server.url(),
            &request("mallory", "i2", Platform::Android),
            stranger.client(BOTH),
        ),
    )
    .await
    .expect("a client that does not trust the certificate gives up at once");
    assert!(
        untrusting.is_err(),
        "the certificate is not trusted by another CA's clients"
    );

    still_serving(&server, &pki, "alice").await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_silent_client_holds_no_one_up_and_is_dropped_after_the_login_timeout() {
    let pki = TestPki::new();
    let mut config = pki.server_config();
    // Longer than WAIT: a handshake that blocked the accept loop would fail the login below.
    config.login_timeout = 3 * WAIT;
    let server = start(config).await;
    let _silent = TcpStream::connect(server.local_addr()).await.unwrap();
    let mut half_hello = TcpStream::connect(server.local_addr()).await.unwrap();
    half_hello
        .write_all(b"\x16\x03\x01\x02\x00\x01")
        .await
        .unwrap();
    still_serving(&server, &pki, "alice").await;
    server.shutdown().await;

    let mut config = pki.server_config();
    config.login_timeout = Duration::from_millis(300);
    let server = start(config).await;
    let started = Instant::now();
    let mut silent = TcpStream::connect(server.local_addr()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(WAIT, silent.read_to_end(&mut answer))
        .await
        .expect("the server hangs up on a client that never starts its handshake");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(answer.is_empty(), "nothing is sent to a silent client");
    still_serving(&server, &pki, "alice").await;
    server.shutdown().await;
}

/// A folder of PEM files for the `tim-server` command, removed when dropped.
struct PemFiles(std::path::PathBuf);

impl PemFiles {
    fn new(pki: &TestPki, name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("tim-tls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cert.pem"), &pki.cert_pem).unwrap();
        std::fs::write(dir.join("key.pem"), &pki.key_pem).unwrap();
        std::fs::write(
            dir.join("garbage.pem"),
            "-----BEGIN CERTIFICATE-----\nnot base64\n",
        )
        .unwrap();
        PemFiles(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for PemFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn the_command_prints_a_wss_url_and_serves_it() {
    let pki = TestPki::new();
    let files = PemFiles::new(&pki, "command");
    let app_flag = format!("{APP}:{KEY}");
    let (cert, key) = (files.path("cert.pem"), files.path("key.pem"));
    let server = spawn(&[
        "--listen",
        "127.0.0.1:0",
        "--app",
        &app_flag,
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
    ])
    .await;
    assert!(
        server.url().starts_with("wss://127.0.0.1:"),
        "{}",
        server.url()
    );
    login_over_tls(server.url(), pki.client(BOTH), "alice").await;
}

#[test]
fn bad_tls_flags_or_files_exit_2_at_startup() {
    let pki = TestPki::new();
    let files = PemFiles::new(&pki, "bad");
    let app_flag = format!("{APP}:{KEY}");
    let (cert, key) = (files.path("cert.pem"), files.path("key.pem"));
    let (garbage, missing) = (files.path("garbage.pem"), files.path("missing.pem"));
    let cases: [(&[&str], &str); 4] = [
        (
            &["--tls-cert", &cert],
            "--tls-cert and --tls-key go together",
        ),
        (&["--tls-cert", &missing, "--tls-key", &key], "missing.pem"),
        (
            &["--tls-cert", &garbage, "--tls-key", &key],
            "TLS certificate",
        ),
        (&["--tls-cert", &cert, "--tls-key", &cert], "TLS key"),
    ];
    for (tls_args, expected) in cases {
        let output = Command::new(env!("CARGO_BIN_EXE_tim-server"))
            .args(["--listen", "127.0.0.1:0", "--app", &app_flag])
            .args(tls_args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{tls_args:?}: {stderr}");
        assert!(stderr.contains(expected), "{tls_args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "no listening line: {tls_args:?}");
    }
}
