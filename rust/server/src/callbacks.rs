//! Tencent's state-change callback (`State.StateChange`): a POST to the app's URL whenever one
//! of its users logs in, logs out, drops or is kicked by the app's server.
//!
//! Delivery never holds up the connection that caused the event: events go into a bounded queue
//! and worker tasks post them, each request bounded by [`REQUEST_TIMEOUT`] and retried after
//! [`RETRY_DELAYS`]. An event that cannot be queued (the queue is full) or delivered (every try
//! failed) is counted, never silently lost. Events of one user always go through the same worker,
//! so they arrive in the order they happened on this server.

use crate::config::ServerConfig;
use crate::registry::AccountKey;
use crate::state::unix_millis;
use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::http::uri::{Scheme, Uri};
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::hash_map::DefaultHasher;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tim_protocol::Platform;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tracing::debug;

/// Longest wait for one request's answer, connection included (Tencent's callback timeout).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// Waits before each retry of a failed request.
pub const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_millis(1000),
];
/// Workers per server; a user's events always go through the same one.
const WORKERS: usize = 4;
/// Events each worker's queue holds before new ones are dropped.
const QUEUE_PER_WORKER: usize = 1024;

/// An app's callback endpoint, as `[app.callback]` in the TOML file.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackConfig {
    /// `http://` or `https://` URL that events are posted to.
    pub url: String,
    /// With a token, each request carries `Sign` = hex SHA-256 of token + `RequestTime`.
    pub token: Option<String>,
    /// PEM CA certificates that an `https://` endpoint's certificate may chain to besides the
    /// built-in Web PKI roots (an endpoint on a private CA); relative to the TOML file.
    pub ca_file: Option<PathBuf>,
}

/// The token never reaches a log line.
impl fmt::Debug for CallbackConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackConfig")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "<token>"))
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

impl CallbackConfig {
    /// Checks that the URL is one this server can post to, and that `ca_file` holds certificates.
    pub fn validate(&self) -> Result<(), String> {
        target(&self.url)?;
        self.roots().map(|_| ())
    }

    /// The roots an `https://` endpoint's certificate is checked against.
    fn roots(&self) -> Result<rustls::RootCertStore, String> {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(path) = &self.ca_file {
            let name = format!("callback ca_file {}", path.display());
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .and_then(Iterator::collect)
                .map_err(|e| format!("{name}: {e}"))?;
            if certs.is_empty() {
                return Err(format!("{name}: no PEM certificate found"));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| format!("{name}: {e}"))?;
            }
        }
        Ok(roots)
    }
}

/// The parts of a callback URL a request needs.
struct Target {
    tls: bool,
    host: String,
    port: u16,
    authority: String,
    path_and_query: String,
}

fn target(url: &str) -> Result<Target, String> {
    let uri: Uri = url
        .parse()
        .map_err(|e| format!("callback url {url:?}: {e}"))?;
    let tls = match uri.scheme() {
        Some(s) if *s == Scheme::HTTPS => true,
        Some(s) if *s == Scheme::HTTP => false,
        _ => {
            return Err(format!(
                "callback url {url:?} must start with http:// or https://"
            ));
        }
    };
    let authority = uri
        .authority()
        .ok_or_else(|| format!("callback url {url:?} has no host"))?;
    Ok(Target {
        tls,
        host: authority.host().trim_matches(['[', ']']).to_owned(),
        port: authority.port_u16().unwrap_or(if tls { 443 } else { 80 }),
        authority: authority.as_str().to_owned(),
        path_and_query: uri
            .path_and_query()
            .map_or("/".to_owned(), |p| p.as_str().to_owned()),
    })
}

/// What happened (`Info.Action`), with why (`Info.Reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateChange {
    /// `Login` / `Register`: a login or a reconnect.
    Login,
    /// `Logout` / `Unregister`: the user logged out, or the app's server kicked them.
    Logout,
    /// `Disconnect` / `LinkClose`: the connection closed or broke.
    LinkClosed,
    /// `Disconnect` / `TimeOut`: nothing heard for the heartbeat timeout.
    TimedOut,
}

impl StateChange {
    fn action_and_reason(self) -> (&'static str, &'static str) {
        match self {
            StateChange::Login => ("Login", "Register"),
            StateChange::Logout => ("Logout", "Unregister"),
            StateChange::LinkClosed => ("Disconnect", "LinkClose"),
            StateChange::TimedOut => ("Disconnect", "TimeOut"),
        }
    }
}

/// One event to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Whose state changed.
    pub account: AccountKey,
    /// How.
    pub change: StateChange,
    /// The platform that caused it; `None` for a call of the REST API (`OptPlatform=RESTAPI`).
    pub platform: Option<Platform>,
    /// Platforms of the sessions a login kicked (`KickedDevice`).
    pub kicked: Vec<Platform>,
    /// When, in Unix milliseconds (`EventTime`).
    pub time_ms: u64,
}

impl Event {
    /// An event happening now.
    pub fn now(account: &AccountKey, change: StateChange, platform: Option<Platform>) -> Self {
        Event {
            account: account.clone(),
            change,
            platform,
            kicked: vec![],
            time_ms: unix_millis(),
        }
    }

    /// The JSON body Tencent sends.
    fn body(&self) -> Vec<u8> {
        let (action, reason) = self.change.action_and_reason();
        let mut body = json!({
            "CallbackCommand": "State.StateChange",
            "EventTime": self.time_ms,
            "Info": { "Action": action, "To_Account": self.account.user_id, "Reason": reason },
        });
        if !self.kicked.is_empty() {
            let kicked: Vec<_> = self
                .kicked
                .iter()
                .map(|&p| json!({ "Platform": device_name(p) }))
                .collect();
            body["KickedDevice"] = kicked.into();
        }
        body.to_string().into_bytes()
    }

    /// The query string Tencent appends to the app's URL.
    fn query(&self, token: Option<&str>, now_secs: u64) -> String {
        let mut query = format!(
            "SdkAppid={}&CallbackCommand=State.StateChange&contenttype=json&ClientIP=&OptPlatform={}",
            self.account.sdk_app_id,
            self.platform.map_or("RESTAPI", opt_platform_name)
        );
        if let Some(token) = token {
            query.push_str(&format!(
                "&Sign={}&RequestTime={now_secs}",
                sign(token, now_secs)
            ));
        }
        query
    }
}

/// `Sign`: the hex SHA-256 of the token followed by the request time in decimal seconds.
pub fn sign(token: &str, request_time: u64) -> String {
    let digest = Sha256::digest(format!("{token}{request_time}"));
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `OptPlatform` names; this callback spells iOS in capitals, as Tencent's does.
fn opt_platform_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Android => "Android",
        Platform::IPhone => "IOS",
        Platform::IPad => "iPad",
        Platform::Windows => "Windows",
        Platform::Mac => "Mac",
        Platform::Linux => "Unknown",
        Platform::Web => "Web",
    }
}

/// `KickedDevice` platform names.
fn device_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Android => "Android",
        Platform::IPhone => "iOS",
        Platform::IPad => "iPad",
        Platform::Windows => "Windows",
        Platform::Mac => "Mac",
        Platform::Linux => "Linux",
        Platform::Web => "Web",
    }
}

/// What happened to events, for `/metrics`.
#[derive(Debug, Default)]
pub struct CallbackCounts {
    /// Delivered (the endpoint answered 2xx).
    pub sent: AtomicU64,
    /// Requests that failed and were retried or given up.
    pub failed: AtomicU64,
    /// Events given up: every try failed, or the queue was full.
    pub dropped: AtomicU64,
}

impl CallbackCounts {
    /// Appends `tim_callbacks_total{result=...}` in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        out.push_str("# HELP tim_callbacks_total State-change callbacks: requests sent (2xx), requests failed, events dropped.\n# TYPE tim_callbacks_total counter\n");
        for (result, n) in [
            ("sent", &self.sent),
            ("failed", &self.failed),
            ("dropped", &self.dropped),
        ] {
            out.push_str(&format!(
                "tim_callbacks_total{{result=\"{result}\"}} {}\n",
                n.load(Relaxed)
            ));
        }
    }
}

struct Job {
    event: Event,
    config: CallbackConfig,
}

/// The callback queue of one server.
pub struct Callbacks {
    workers: OnceLock<Vec<mpsc::Sender<Job>>>,
    /// What happened to events so far.
    pub counts: Arc<CallbackCounts>,
}

impl Default for Callbacks {
    fn default() -> Self {
        Callbacks {
            workers: OnceLock::new(),
            counts: Arc::default(),
        }
    }
}

impl Callbacks {
    /// Queues `event` for its app's endpoint, if the app has one; never waits.
    pub fn state_change(&self, config: &ServerConfig, event: Event) {
        if let Some(callback) = config
            .apps
            .get(&event.account.sdk_app_id)
            .and_then(|app| app.callback.as_ref())
        {
            self.post(callback, event);
        }
    }

    /// Queues `event` for `config`'s endpoint; never waits. The workers start with the first
    /// event, on the caller's runtime, and stop when the server's state is dropped.
    pub fn post(&self, config: &CallbackConfig, event: Event) {
        let workers = self.workers.get_or_init(|| {
            (0..WORKERS)
                .map(|_| {
                    let (tx, rx) = mpsc::channel(QUEUE_PER_WORKER);
                    tokio::spawn(work(rx, self.counts.clone()));
                    tx
                })
                .collect()
        });
        let mut hasher = DefaultHasher::new();
        event.account.hash(&mut hasher);
        let worker = &workers[(hasher.finish() % WORKERS as u64) as usize];
        let job = Job {
            event,
            config: config.clone(),
        };
        if worker.try_send(job).is_err() {
            self.counts.dropped.fetch_add(1, Relaxed);
            debug!("callback queue full: event dropped");
        }
    }
}

async fn work(mut jobs: mpsc::Receiver<Job>, counts: Arc<CallbackCounts>) {
    while let Some(job) = jobs.recv().await {
        let body = Bytes::from(job.event.body());
        let mut delays = RETRY_DELAYS.iter();
        loop {
            let now_secs = unix_millis() / 1000;
            let query = job.event.query(job.config.token.as_deref(), now_secs);
            match tokio::time::timeout(REQUEST_TIMEOUT, deliver(&job.config, &query, body.clone()))
                .await
            {
                Ok(Ok(())) => {
                    counts.sent.fetch_add(1, Relaxed);
                    break;
                }
                outcome => {
                    counts.failed.fetch_add(1, Relaxed);
                    let error = outcome.map_or_else(|_| "timed out".to_owned(), |r| r.unwrap_err());
                    debug!(url = %job.config.url, %error, "callback failed");
                    match delays.next() {
                        Some(&delay) => tokio::time::sleep(delay).await,
                        None => {
                            counts.dropped.fetch_add(1, Relaxed);
                            break;
                        }
                    }
                }
            }
        }
    }
}

/// Posts one request on a new connection; `Ok` for a 2xx answer.
async fn deliver(config: &CallbackConfig, query: &str, body: Bytes) -> Result<(), String> {
    let target = target(&config.url)?;
    let separator = if target.path_and_query.contains('?') {
        '&'
    } else {
        '?'
    };
    let request = Request::post(format!("{}{separator}{query}", target.path_and_query))
        .header(hyper::header::HOST, &target.authority)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Full::new(body))
        .map_err(|e| e.to_string())?;
    let tcp = TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(|e| e.to_string())?;
    let _ = tcp.set_nodelay(true);
    if target.tls {
        let name = ServerName::try_from(target.host.clone()).map_err(|e| e.to_string())?;
        let tls = tls_connector(config)?
            .connect(name, tcp)
            .await
            .map_err(|e| e.to_string())?;
        exchange(tls, request).await
    } else {
        exchange(tcp, request).await
    }
}

async fn exchange<S>(io: S, request: Request<Full<Bytes>>) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| e.to_string())?;
    let connection = tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    // The answer's body is read (Tencent ignores what it says) so the connection ends cleanly.
    let _ = response.into_body().collect().await;
    connection.abort();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {status}"))
    }
}

/// TLS to a callback endpoint trusts the Web PKI roots and the endpoint's `ca_file`; one
/// connector per `ca_file`, so that its sessions resume.
fn tls_connector(config: &CallbackConfig) -> Result<tokio_rustls::TlsConnector, String> {
    static CONNECTORS: Mutex<Vec<(Option<PathBuf>, tokio_rustls::TlsConnector)>> =
        Mutex::new(Vec::new());
    let mut connectors = CONNECTORS.lock().unwrap();
    if let Some((_, connector)) = connectors.iter().find(|(ca, _)| *ca == config.ca_file) {
        return Ok(connector.clone());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(config.roots()?)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(tls));
    connectors.push((config.ca_file.clone(), connector.clone()));
    Ok(connector)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(change: StateChange) -> Event {
        Event {
            account: AccountKey {
                sdk_app_id: 1_400_000_000,
                user_id: "alice".into(),
            },
            change,
            platform: Some(Platform::IPhone),
            kicked: vec![Platform::Android, Platform::IPhone],
            time_ms: 1_700_000_000_123,
        }
    }

    #[test]
    fn bodies_and_parameters_are_tencents() {
        let login = event(StateChange::Login);
        assert_eq!(
            String::from_utf8(login.body()).unwrap(),
            r#"{"CallbackCommand":"State.StateChange","EventTime":1700000000123,"Info":{"Action":"Login","Reason":"Register","To_Account":"alice"},"KickedDevice":[{"Platform":"Android"},{"Platform":"iOS"}]}"#
        );
        assert_eq!(
            login.query(None, 0),
            "SdkAppid=1400000000&CallbackCommand=State.StateChange&contenttype=json&ClientIP=&OptPlatform=IOS"
        );
        let mut kick = event(StateChange::Logout);
        kick.platform = None;
        kick.kicked.clear();
        assert!(kick.query(Some("t"), 1).ends_with(&format!(
            "OptPlatform=RESTAPI&Sign={}&RequestTime=1",
            sign("t", 1)
        )));
        assert!(
            !String::from_utf8(kick.body())
                .unwrap()
                .contains("KickedDevice")
        );
        for (change, words) in [
            (
                StateChange::LinkClosed,
                r#""Action":"Disconnect","Reason":"LinkClose""#,
            ),
            (
                StateChange::TimedOut,
                r#""Action":"Disconnect","Reason":"TimeOut""#,
            ),
        ] {
            let body = String::from_utf8(event(change).body()).unwrap();
            assert!(body.contains(words), "{body}");
        }
    }

    #[test]
    fn sign_is_the_hex_sha256_of_token_and_time() {
        // sha256("token1700000000"), computed with `printf token1700000000 | sha256sum`.
        assert_eq!(
            sign("token", 1_700_000_000),
            "37eae3074c8d2bad93ac66b5257e151e605386c2bcc1472988fcb687e7ffa4c6"
        );
    }

    #[test]
    fn urls_must_be_http_or_https_with_a_host() {
        let ok = |url: &str| {
            CallbackConfig {
                url: url.into(),
                token: None,
                ca_file: None,
            }
            .validate()
        };
        assert!(ok("http://127.0.0.1:8080/im?x=1").is_ok());
        assert!(ok("https://example.com").is_ok());
        assert!(ok("ftp://example.com/").is_err());
        assert!(ok("/relative").is_err());
        assert!(ok("not a url").is_err());
        let t = target("https://[::1]/cb").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path_and_query.as_str()),
            ("::1", 443, "/cb")
        );
    }
}
