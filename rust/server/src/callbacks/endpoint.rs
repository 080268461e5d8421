//! An app's callback endpoint: its configuration, where its URL points, the TLS its certificate
//! is checked with, and a pool of keep-alive HTTP/1.1 connections to it.
//!
//! Tencent posts callbacks over long-lived connections; a new TCP (and TLS) connection per event
//! costs one or two round trips more and caps a node at a few dozen events a second to a distant
//! endpoint. The pool holds only idle connections, at most one per request that was in flight at
//! once (so at most [`super::LANES`]); the one used last is reused first, so a light load keeps
//! one warm connection and the others close when the endpoint times them out.

use axum::body::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::Request;
use hyper::client::conn::http1::SendRequest;
use hyper::http::uri::{Scheme, Uri};
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use serde::Deserialize;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_util::task::AbortOnDropHandle;

/// The most of an answer's body that is read (Tencent ignores what it says); a longer one is
/// cut short and its connection closed, so an endpoint cannot make the server buffer without end.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

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
    host: String,
    port: u16,
    authority: String,
    path_and_query: String,
}

/// The URL's parts, and whether it is `https://`.
fn target(url: &str) -> Result<(Target, bool), String> {
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
    let target = Target {
        host: authority.host().trim_matches(['[', ']']).to_owned(),
        port: authority.port_u16().unwrap_or(if tls { 443 } else { 80 }),
        authority: authority.as_str().to_owned(),
        path_and_query: uri
            .path_and_query()
            .map_or("/".to_owned(), |p| p.as_str().to_owned()),
    };
    Ok((target, tls))
}

/// One keep-alive connection: the handle requests go through, and the task that drives the
/// socket, ended when the connection is dropped (an endpoint that never answers a timed-out
/// request would otherwise keep it open forever).
struct Connection {
    sender: SendRequest<Full<Bytes>>,
    _driver: AbortOnDropHandle<()>,
}

/// A callback endpoint and its idle connections.
pub(super) struct Endpoint {
    pub(super) config: CallbackConfig,
    target: Target,
    /// `Some` for `https://`: the Web PKI roots and `ca_file`, ALPN `http/1.1`; one per endpoint,
    /// so that its TLS sessions resume when a connection is replaced.
    tls: Option<tokio_rustls::TlsConnector>,
    /// Idle connections, the one used last at the end.
    idle: Mutex<Vec<Connection>>,
}

impl Endpoint {
    pub(super) fn new(config: CallbackConfig) -> Result<Self, String> {
        let (target, https) = target(&config.url)?;
        let tls = if https {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let mut tls = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("ring supports the default TLS versions")
                .with_root_certificates(config.roots()?)
                .with_no_client_auth();
            tls.alpn_protocols = vec![b"http/1.1".to_vec()];
            Some(tokio_rustls::TlsConnector::from(Arc::new(tls)))
        } else {
            None
        };
        Ok(Endpoint {
            config,
            target,
            tls,
            idle: Mutex::default(),
        })
    }

    /// Posts `body` with `query` appended to the URL, on an idle connection or a new one; `Ok`
    /// for a 2xx answer. The connection goes back to the pool once its answer has been read.
    pub(super) async fn post(&self, query: &str, body: Bytes) -> Result<(), String> {
        let separator = if self.target.path_and_query.contains('?') {
            '&'
        } else {
            '?'
        };
        let request = Request::post(format!("{}{separator}{query}", self.target.path_and_query))
            .header(hyper::header::HOST, &self.target.authority)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(body))
            .map_err(|e| e.to_string())?;
        let mut connection = match self.ready_idle().await {
            Some(connection) => connection,
            None => self.connect().await?,
        };
        let response = connection
            .sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        if Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .is_ok()
        {
            self.idle.lock().unwrap().push(connection);
        }
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("HTTP {status}"))
        }
    }

    /// The idle connection used last that is still open, ready for a request.
    async fn ready_idle(&self) -> Option<Connection> {
        loop {
            let mut connection = self.idle.lock().unwrap().pop()?;
            if connection.sender.ready().await.is_ok() {
                return Some(connection);
            }
        }
    }

    async fn connect(&self) -> Result<Connection, String> {
        let tcp = TcpStream::connect((self.target.host.as_str(), self.target.port))
            .await
            .map_err(|e| e.to_string())?;
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            Some(tls) => {
                let name =
                    ServerName::try_from(self.target.host.clone()).map_err(|e| e.to_string())?;
                let stream = tls.connect(name, tcp).await.map_err(|e| e.to_string())?;
                handshake(stream).await
            }
            None => handshake(tcp).await,
        }
    }
}

async fn handshake<S>(io: S) -> Result<Connection, String>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (sender, driver) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| e.to_string())?;
    let driver = tokio::spawn(async move {
        let _ = driver.await;
    });
    Ok(Connection {
        sender,
        _driver: AbortOnDropHandle::new(driver),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> CallbackConfig {
        CallbackConfig {
            url: url.into(),
            token: None,
            ca_file: None,
        }
    }

    #[test]
    fn urls_must_be_http_or_https_with_a_host() {
        let ok = |url: &str| config(url).validate();
        assert!(ok("http://127.0.0.1:8080/im?x=1").is_ok());
        assert!(ok("https://example.com").is_ok());
        assert!(ok("ftp://example.com/").is_err());
        assert!(ok("/relative").is_err());
        assert!(ok("not a url").is_err());
        let (t, tls) = target("https://[::1]/cb").unwrap();
        assert!(tls);
        assert_eq!(
            (t.host.as_str(), t.port, t.path_and_query.as_str()),
            ("::1", 443, "/cb")
        );
    }

    #[test]
    fn a_ca_file_must_hold_certificates() {
        let dir = std::env::temp_dir().join(format!("tim-callback-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        let with = |path: PathBuf| CallbackConfig {
            ca_file: Some(path),
            ..config("https://example.com/")
        };
        let err = with(empty).validate().unwrap_err();
        assert!(err.contains("no PEM certificate"), "{err}");
        let err = with(dir.join("missing.pem")).validate().unwrap_err();
        assert!(err.contains("missing.pem"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
