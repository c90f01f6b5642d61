//! `tls_cert`, `tls_key` and `tls_client_ca` of an `[inet_http_server]`
//! (additions): the PEM files read into a rustls server config (TLS 1.2
//! and 1.3, the ring provider). The config reader builds it once to
//! report bad files as config errors; the server builds it again at each
//! start and reload, so new connections use the files as they are then.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The PEM files of a server that speaks TLS.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TlsFiles {
    /// `tls_cert`: the server's certificate chain, leaf first.
    pub cert: PathBuf,
    /// `tls_key`: its private key.
    pub key: PathBuf,
    /// `tls_client_ca`: clients must show a certificate signed by one of
    /// these (mutual TLS).
    pub client_ca: Option<PathBuf>,
}

/// Why a server's TLS files cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {reason}", .file.display())]
#[non_exhaustive]
pub struct TlsFileError {
    /// The key that names the file (`tls_cert`, `tls_key`, `tls_client_ca`).
    pub key: &'static str,
    /// The file.
    pub file: PathBuf,
    /// What is wrong with it.
    pub reason: String,
}

impl TlsFiles {
    /// The certificate and key, without client certificates.
    pub fn new(cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> TlsFiles {
        TlsFiles { cert: cert.into(), key: key.into(), client_ca: None }
    }

    /// Reads the files into a server config (TLS 1.2+, ALPN http/1.1).
    ///
    /// ```
    /// use supervisor_core::config::TlsFiles;
    /// let err = TlsFiles::new("/no/such/cert.pem", "/no/such/key.pem").server_config().unwrap_err();
    /// assert_eq!(err.key, "tls_cert");
    /// assert!(err.to_string().starts_with("/no/such/cert.pem: "), "{err}");
    /// ```
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsFileError> {
        let certs = certificates("tls_cert", &self.cert)?;
        let key = PrivateKeyDer::from_pem_file(&self.key).map_err(|e| fail("tls_key", &self.key, pem_reason(&e)))?;
        // ring, as the ready checks use (no cmake or assembler to build
        // aws-lc-rs); it lacks only post-quantum key exchange.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| fail("tls_cert", &self.cert, e.to_string()))?;
        let builder = match &self.client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in certificates("tls_client_ca", ca)? {
                    roots.add(cert).map_err(|e| fail("tls_client_ca", ca, e.to_string()))?;
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .map_err(|e| fail("tls_client_ca", ca, e.to_string()))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder.with_single_cert(certs, key).map_err(|e| {
            fail("tls_key", &self.key, format!("cannot be used with the certificate {}: {e}", self.cert.display()))
        })?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

fn fail(key: &'static str, file: &Path, reason: String) -> TlsFileError {
    TlsFileError { key, file: file.to_path_buf(), reason }
}

/// Every certificate in a PEM file; at least one.
fn certificates(key: &'static str, file: &Path) -> Result<Vec<CertificateDer<'static>>, TlsFileError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(file)
        .map_err(|e| fail(key, file, pem_reason(&e)))?
        .collect::<Result<_, _>>()
        .map_err(|e| fail(key, file, pem_reason(&e)))?;
    if certs.is_empty() {
        return Err(fail(key, file, "no certificate (BEGIN CERTIFICATE) in it".to_owned()));
    }
    Ok(certs)
}

fn pem_reason(e: &rustls::pki_types::pem::Error) -> String {
    use rustls::pki_types::pem::Error;
    match e {
        Error::Io(io) => crate::pytext::strerror(io),
        Error::NoItemsFound => "no private key (BEGIN PRIVATE KEY) in it".to_owned(),
        other => format!("not a valid PEM file: {other}"),
    }
}
