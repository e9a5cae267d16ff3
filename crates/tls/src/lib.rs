//! TLS for Allverse's links to servers the user names: the home's MQTT broker, a live session's server.
//!
//! One rustls client configuration for all of them, trusting exactly the
//! certificate authority in a PEM file the user gives (a home hub or an
//! event's server usually has its own CA, not a public one). The file is
//! read within bounds, so a path such as `/dev/zero` or a pipe cannot
//! exhaust memory or wait forever. rustls uses the ring provider: the
//! default aws-lc-rs one needs a long C build.

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A CA file that cannot be used, with the reason in the user's terms.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("the CA file {path} cannot be used: {reason}")]
pub struct CaFileError {
    pub path: PathBuf,
    pub reason: String,
}

/// A client configuration trusting only the CA certificates in `ca_file` (PEM).
pub fn client_config(ca_file: &Path) -> Result<rustls::ClientConfig, CaFileError> {
    let error = |reason: String| CaFileError { path: ca_file.to_path_buf(), reason };
    let pem = allverse_core::read_text_file(ca_file).map_err(|e| error(e.to_string()))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|e| error(e.to_string()))?;
        roots.add(cert).map_err(|e| error(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(error("it holds no PEM certificate".into()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| error(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Writes `ca.pem`, `server.pem` and `server.key` into `dir`: a fresh CA and
/// a server certificate it signed for `localhost` and `127.0.0.1`.
#[cfg(feature = "test-certificates")]
pub fn write_test_certificates(dir: &Path) -> Result<(), String> {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let failed = |e: rcgen::Error| e.to_string();
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "Allverse test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().map_err(failed)?).map_err(failed)?;
    let mut server =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).map_err(failed)?;
    server.distinguished_name.push(DnType::CommonName, "localhost");
    let key = KeyPair::generate().map_err(failed)?;
    let cert = server.signed_by(&key, &ca).map_err(failed)?;
    let write =
        |name: &str, text: String| std::fs::write(dir.join(name), text).map_err(|e| format!("{name}: {e}"));
    write("ca.pem", ca.pem())?;
    write("server.pem", cert.pem())?;
    write("server.key", key.serialize_pem())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_certificates_is_refused_by_name() {
        let dir = std::env::temp_dir().join(format!("allverse-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let error = client_config(&empty).unwrap_err();
        assert_eq!(error.reason, "it holds no PEM certificate");
        assert!(client_config(&dir.join("missing.pem")).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
