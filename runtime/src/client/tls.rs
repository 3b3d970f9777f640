//! TLS for the client: rustls with the ring provider, set up from a [`Config`].
//!
//! The server's certificate is checked against the configured CA (or the system's roots),
//! for the configured `tls-server-name` when there is one (useful when the URL is an IP
//! address the certificate does not name), or not at all with `insecure-skip-tls-verify`.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::Error;
use crate::config::Config;

/// A rustls configuration for `config`, with `identity` (certificate and key, PEM) as the
/// client certificate if given.
pub fn client_config(config: &Config, identity: Option<(&[u8], &[u8])>) -> Result<ClientConfig, Error> {
    if config.accept_invalid_certificates && config.root_certificates.is_some() {
        return Err(Error::Tls(INSECURE_WITH_CA.to_owned()));
    }
    // rustls 0.23.48 deprecates the ring provider for its lack of post-quantum key exchange
    // and points to aws-lc-rs, whose C build is what kubegen keeps out of a user's build; the
    // API server offers classical groups, and ring's are the ones it negotiates.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| Error::Tls(error.to_string()))?;
    let verifier: Arc<dyn ServerCertVerifier> = if config.accept_invalid_certificates {
        Arc::new(AcceptAnyCertificate { provider: provider.clone() })
    } else {
        let roots = Arc::new(root_store(config.root_certificates.as_deref())?);
        let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|error| Error::Tls(format!("certificate verifier: {error}")))?;
        match &config.tls_server_name {
            Some(name) => {
                let name = ServerName::try_from(name.clone())
                    .map_err(|error| Error::Tls(format!("tls-server-name {name:?}: {error}")))?;
                Arc::new(FixedServerName { inner: webpki, name })
            }
            None => webpki,
        }
    };
    let builder = builder.dangerous().with_custom_certificate_verifier(verifier);
    let mut tls = match identity {
        Some((certificate_pem, key_pem)) => {
            let chain = CertificateDer::pem_slice_iter(certificate_pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|error| Error::Tls(format!("client certificate: {error}")))?;
            if chain.is_empty() {
                return Err(Error::Tls("client certificate: no certificate in the PEM data".into()));
            }
            let key =
                PrivateKeyDer::from_pem_slice(key_pem).map_err(|error| Error::Tls(format!("client key: {error}")))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|error| Error::Tls(format!("client certificate and key: {error}")))?
        }
        None => builder.with_no_client_auth(),
    };
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tls)
}

/// kubectl's refusal of a CA beside `insecure-skip-tls-verify`: the CA would be ignored,
/// which is never what the author of such a configuration meant.
pub(crate) const INSECURE_WITH_CA: &str =
    "insecure-skip-tls-verify cannot be combined with a certificate authority: the CA would be ignored";

/// Logs, once per server, that its certificate is not verified.
pub fn warn_insecure_once(server: &str) {
    static WARNED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut warned = WARNED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !warned.iter().any(|seen| seen == server) {
        warned.push(server.to_owned());
        tracing::warn!(
            "insecure-skip-tls-verify: the certificate of {server} is not verified; anyone between this client and \
             the server can read and change its requests"
        );
    }
}

fn root_store(pem: Option<&[u8]>) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    match pem {
        Some(pem) => {
            for certificate in CertificateDer::pem_slice_iter(pem) {
                let certificate = certificate.map_err(|error| Error::Tls(format!("certificate authority: {error}")))?;
                roots.add(certificate).map_err(|error| Error::Tls(format!("certificate authority: {error}")))?;
            }
            if roots.is_empty() {
                return Err(Error::Tls("certificate authority: no certificate in the PEM data".into()));
            }
        }
        None => {
            let native = rustls_native_certs::load_native_certs();
            for error in &native.errors {
                tracing::debug!("loading system root certificates: {error}");
            }
            roots.add_parsable_certificates(native.certs);
        }
    }
    Ok(roots)
}

/// Verifies the server's certificate for a fixed name instead of the URL's host.
#[derive(Debug)]
struct FixedServerName {
    inner: Arc<WebPkiServerVerifier>,
    name: ServerName<'static>,
}

impl ServerCertVerifier for FixedServerName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner.verify_server_cert(end_entity, intermediates, &self.name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, certificate, signature)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, certificate, signature)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `insecure-skip-tls-verify`: any certificate is accepted, but the handshake's signatures
/// are still checked, so the connection is at least to the holder of that certificate's key.
#[derive(Debug)]
struct AcceptAnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            certificate,
            signature,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            certificate,
            signature,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
