//! `wss://`: the server's certificate and key, loaded once at startup into a rustls configuration.
//!
//! rustls runs on the `ring` provider (never aws-lc: the same TLS stack must cross-compile for
//! Android and iOS), speaks TLS 1.2 and 1.3, and offers ALPN `http/1.1`, the only protocol served.

use rustls::crypto::ring;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A loaded certificate chain and private key, ready to accept TLS connections.
///
/// Loading happens when the configuration is built, so that a missing file, bad PEM or a key that
/// does not match the certificate stops the server at startup, never at its first connection.
#[derive(Clone)]
pub struct TlsConfig {
    source: String,
    rustls: Arc<rustls::ServerConfig>,
}

impl TlsConfig {
    /// Loads a PEM certificate chain (leaf first) and a PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, String> {
        TlsConfig::new(
            format!("{} + {}", cert.display(), key.display()),
            Pem {
                name: format!("TLS certificate {}", cert.display()),
                read: CertificateDer::pem_file_iter(cert).and_then(Iterator::collect),
            },
            Pem {
                name: format!("TLS key {}", key.display()),
                read: PrivateKeyDer::from_pem_file(key),
            },
        )
    }

    /// Like [`TlsConfig::from_pem_files`], from PEM text in memory (tests, embedded certificates).
    pub fn from_pem(cert: &[u8], key: &[u8]) -> Result<Self, String> {
        TlsConfig::new(
            "PEM in memory".to_owned(),
            Pem {
                name: "TLS certificate".to_owned(),
                read: CertificateDer::pem_slice_iter(cert).collect(),
            },
            Pem {
                name: "TLS key".to_owned(),
                read: PrivateKeyDer::from_pem_slice(key),
            },
        )
    }

    fn new(
        source: String,
        certs: Pem<Vec<CertificateDer<'static>>>,
        key: Pem<PrivateKeyDer<'static>>,
    ) -> Result<Self, String> {
        let (cert_name, key_name) = (certs.name.clone(), key.name.clone());
        let (certs, key) = (certs.value("certificate")?, key.value("private key")?);
        if certs.is_empty() {
            return Err(none_found(&cert_name, "certificate"));
        }
        let mut config =
            rustls::ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
                .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
                .and_then(|builder| builder.with_no_client_auth().with_single_cert(certs, key))
                .map_err(|e| match e {
                    rustls::Error::InconsistentKeys(_) => {
                        format!("{key_name}: not the key of the certificate ({source})")
                    }
                    e => format!("TLS {source}: {e}"),
                })?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsConfig {
            source,
            rustls: Arc::new(config),
        })
    }

    /// The acceptor that runs each connection's handshake.
    pub(crate) fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.rustls.clone())
    }
}

/// Where the certificate came from; never the key's content.
impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// Two configurations are equal when they are the same loaded configuration.
impl PartialEq for TlsConfig {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.rustls, &other.rustls)
    }
}

impl Eq for TlsConfig {}

/// What reading one PEM input gave, and how to name that input in an error.
struct Pem<T> {
    name: String,
    read: Result<T, pem::Error>,
}

impl<T> Pem<T> {
    fn value(self, expected: &str) -> Result<T, String> {
        self.read.map_err(|e| match e {
            pem::Error::NoItemsFound => none_found(&self.name, expected),
            e => format!("{}: {e}", self.name),
        })
    }
}

fn none_found(name: &str, expected: &str) -> String {
    format!("{name}: no PEM {expected} found")
}

/// A certificate and key path given as a pair: both or neither. `names` says how the user wrote
/// them (flags or TOML keys), for the error message.
pub(crate) fn pem_pair(
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    names: (&str, &str),
) -> Result<Option<(PathBuf, PathBuf)>, String> {
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(Some((cert, key))),
        (None, None) => Ok(None),
        _ => Err(format!(
            "{} and {} go together: give both or neither",
            names.0, names.1
        )),
    }
}
