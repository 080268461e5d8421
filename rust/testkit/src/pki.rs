//! [`TestPki`]: a certificate authority made for one test, and a server certificate it signed,
//! so TLS is tested end to end without any certificate checked into the repository.

/// A CA and a server certificate for `localhost` and `127.0.0.1`, all in PEM and DER.
pub struct TestPki {
    ca: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
    /// The server's certificate (PEM).
    pub cert_pem: String,
    /// The server's private key (PEM).
    pub key_pem: String,
}

impl Default for TestPki {
    fn default() -> Self {
        TestPki::new()
    }
}

impl TestPki {
    /// A fresh CA and server certificate.
    pub fn new() -> Self {
        let mut ca_params = rcgen::CertificateParams::new(Vec::new()).expect("CA parameters");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");
        let key = rcgen::KeyPair::generate().expect("server key");
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let cert = rcgen::CertificateParams::new(names)
            .expect("server certificate parameters")
            .signed_by(&key, &ca)
            .expect("server certificate");
        TestPki {
            ca,
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// The CA's certificate (PEM), for a client's trust store.
    pub fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// The CA's certificate (DER), for a client's trust store.
    pub fn ca_der(&self) -> &[u8] {
        self.ca.der()
    }

    /// A TLS server configuration with the server certificate, for an endpoint a test runs
    /// itself (a callback receiver, say).
    #[cfg(feature = "tls")]
    pub fn tls_server_config(&self) -> std::sync::Arc<rustls::ServerConfig> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certs = CertificateDer::pem_slice_iter(self.cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("the server certificate");
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).expect("the server key");
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("a server configuration");
        std::sync::Arc::new(config)
    }
}
