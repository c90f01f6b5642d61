//! https for the blocking client: rustls over a `TcpStream`, the server's
//! certificate checked against the system's roots or a CA file.

use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

use super::ClientError;

/// What a server's certificate is checked against: the certificates of
/// `ca`, or the system's roots.
pub(super) fn client_config(ca: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, ClientError> {
    let mut roots = rustls::RootCertStore::empty();
    match ca {
        Some(ca) => {
            let bad = |why: String| ClientError::Tls(format!("cannot use tls_ca {}: {why}", ca.display()));
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(ca)
                .map_err(|e| bad(e.to_string()))?
                .collect::<Result<_, _>>()
                .map_err(|e| bad(e.to_string()))?;
            if certs.is_empty() {
                return Err(bad("no certificate in it".to_owned()));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| bad(e.to_string()))?;
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
    }
    // ring, as the daemon's https server and ready checks use.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| ClientError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Connects TLS over `tcp` to `host` and completes the handshake, so a
/// certificate that is not trusted is reported as such, not as a failed
/// write.
pub(super) fn handshake(
    mut tcp: TcpStream,
    host: &str,
    config: Arc<rustls::ClientConfig>,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>, ClientError> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| ClientError::Tls(format!("{host:?} is not a host name to check a certificate against")))?;
    let mut conn = rustls::ClientConnection::new(config, name).map_err(|e| ClientError::Tls(e.to_string()))?;
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut tcp) {
            let reason = match e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                Some(rustls::Error::InvalidCertificate(why)) => {
                    format!("the server's certificate is not trusted ({why}); give its CA with tls_ca")
                }
                Some(other) => format!("TLS handshake with {host} failed: {other}"),
                None => format!("TLS handshake with {host} failed: {e}"),
            };
            return Err(ClientError::Tls(reason));
        }
    }
    Ok(rustls::StreamOwned::new(conn, tcp))
}
