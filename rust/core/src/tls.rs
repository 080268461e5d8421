//! TLS for `wss://`: rustls with the `ring` provider (it cross-compiles for Android and iOS), the
//! Mozilla root store built in (the same roots on every platform, updated with the SDK), plus the
//! app's own CA for self-hosted servers.

use crate::error::{TimError, code};
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::sync::Arc;

/// The client TLS configuration for a manager; `extra_ca_pem` holds PEM certificates to trust
/// besides the built-in roots.
pub fn client_config(extra_ca_pem: Option<&str>) -> Result<Arc<ClientConfig>, TimError> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = extra_ca_pem {
        let invalid = |desc: String| TimError::new(code::INVALID_PARAMETERS, desc);
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| invalid(format!("extraCaPem is not PEM: {e}")))?;
        if certs.is_empty() {
            return Err(invalid("extraCaPem holds no certificate".to_owned()));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| invalid(format!("extraCaPem: {e}")))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TimError::new(code::INVALID_PARAMETERS, format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_extra_ca_is_refused_with_6017() {
        assert!(client_config(None).is_ok());
        let err = client_config(Some("not a certificate")).unwrap_err();
        assert_eq!(err.code, 6017);
        assert!(err.desc.contains("no certificate"), "{}", err.desc);
        let err = client_config(Some(
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ))
        .unwrap_err();
        assert_eq!(err.code, 6017);
    }
}
