//! Plain HTTP access to the control plane, until the project's typed client exists.
//!
//! Clients are built per call ([`crate::ControlPlane::http`]) and never stored in the control
//! plane: each `#[tokio::test]` has its own runtime, and a reqwest client whose runtime is gone
//! fails. What is stored is the `rustls::ClientConfig` (ring provider, the plane's CA as the only
//! root, the user's client certificate), which belongs to no runtime.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;

use crate::Error;
use crate::watch::WatchStream;

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a plain (non-watch) request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A TLS client configuration that trusts `ca_pem` only and authenticates with the client
/// certificate `cert_pem` and its key `key_pem`.
pub(crate) fn tls_config(ca_pem: &str, cert_pem: &str, key_pem: &str) -> Result<rustls::ClientConfig, Error> {
    let tls = |what: &str, e: &dyn std::fmt::Display| Error::Tls(format!("{what}: {e}"));
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        let cert = cert.map_err(|e| tls("parsing the CA certificate", &e))?;
        roots.add(cert).map_err(|e| tls("adding the CA certificate", &e))?;
    }
    let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls("parsing the client certificate", &e))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| tls("parsing the client key", &e))?;
    // Deprecated from rustls 0.23.48 (no post-quantum groups); ring as the runtime uses it.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls("choosing protocol versions", &e))?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|e| tls("using the client certificate", &e))?;
    // reqwest leaves ALPN to a preconfigured config; offer HTTP/2 as client-go does.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// A reqwest client with `tls` (also used for etcd's plain-HTTP gateway: with the
/// `rustls-no-provider` feature, a client without a preconfigured TLS config panics).
pub(crate) fn client(tls: &rustls::ClientConfig) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls.clone())
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
        .map_err(|e| Error::Tls(format!("building the HTTP client: {e}")))
}

/// The `Content-Type` of a PATCH request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// `application/merge-patch+json` (RFC 7386).
    Merge,
    /// `application/json-patch+json` (RFC 6902).
    Json,
    /// `application/strategic-merge-patch+json` (built-in types only).
    StrategicMerge,
    /// `application/apply-patch+yaml`: server-side apply; the path needs `fieldManager=...`.
    Apply,
}

impl PatchType {
    /// The media type sent as `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            PatchType::Merge => "application/merge-patch+json",
            PatchType::Json => "application/json-patch+json",
            PatchType::StrategicMerge => "application/strategic-merge-patch+json",
            PatchType::Apply => "application/apply-patch+yaml",
        }
    }
}

/// A reqwest client bound to one API server and one user, with JSON helpers.
///
/// Paths are absolute API paths with an optional query string, e.g.
/// `/api/v1/namespaces/default/configmaps?limit=2`; build queries with [`query`]. Every helper
/// turns a non-2xx response into [`Error::Status`] with the method, URL, status and body.
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    server: String,
}

impl Http {
    pub(crate) fn new(tls: &rustls::ClientConfig, server: &str) -> Result<Self, Error> {
        Ok(Http { client: client(tls)?, server: server.trim_end_matches('/').to_string() })
    }

    /// The underlying reqwest client (TLS with the user's certificate, no base URL).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// `https://127.0.0.1:<port>`.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The full URL of an API path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server)
    }

    /// `GET path` and decode the JSON response.
    pub async fn get(&self, path: &str) -> Result<Value, Error> {
        self.send(Method::GET, path, None).await
    }

    /// `GET path` with `accept` as the `Accept` header, and decode the JSON response (for
    /// aggregated discovery, which answers `application/json;g=apidiscovery.k8s.io;...`).
    pub async fn get_as(&self, path: &str, accept: &str) -> Result<Value, Error> {
        self.request_json(Method::GET, path, accept, None).await
    }

    /// `GET path` and return the body as text (for `/readyz`, `/version`, ...).
    pub async fn get_text(&self, path: &str) -> Result<String, Error> {
        let url = self.url(path);
        let response = self
            .client
            .get(&url)
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await
            .map_err(|source| request_error(&Method::GET, &url, source))?;
        read_text(&Method::GET, &url, response).await
    }

    /// `POST path` with a JSON body (create).
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, Error> {
        self.send(Method::POST, path, Some(("application/json", body))).await
    }

    /// `PUT path` with a JSON body (update / replace).
    pub async fn put(&self, path: &str, body: &Value) -> Result<Value, Error> {
        self.send(Method::PUT, path, Some(("application/json", body))).await
    }

    /// `PATCH path` with `body` serialised as JSON (valid YAML too, for [`PatchType::Apply`]).
    pub async fn patch(&self, path: &str, patch: PatchType, body: &Value) -> Result<Value, Error> {
        self.send(Method::PATCH, path, Some((patch.content_type(), body))).await
    }

    /// `DELETE path`; returns the deleted object or a `Status`.
    pub async fn delete(&self, path: &str) -> Result<Value, Error> {
        self.send(Method::DELETE, path, None).await
    }

    /// Starts a watch: `GET path` with `watch=true` added to its query. A non-2xx answer (for
    /// example 410 Gone for an expired `resourceVersion`) is an [`Error::Status`].
    pub async fn watch(&self, path: &str) -> Result<WatchStream, Error> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let url = self.url(&format!("{path}{separator}watch=true"));
        let response =
            self.client.get(&url).send().await.map_err(|source| request_error(&Method::GET, &url, source))?;
        if response.status().is_success() {
            Ok(WatchStream::new(url, response))
        } else {
            // `read_text` turns a failed response into `Error::Status` with its body.
            let body = read_text(&Method::GET, &url, response).await?;
            Err(Error::Unexpected { url, message: format!("a failed watch response read as success: {body}") })
        }
    }

    /// Sends a request with an optional `(content type, JSON body)` and decodes the JSON answer.
    pub async fn send(&self, method: Method, path: &str, body: Option<(&str, &Value)>) -> Result<Value, Error> {
        self.request_json(method, path, "application/json", body).await
    }

    async fn request_json(
        &self,
        method: Method,
        path: &str,
        accept: &str,
        body: Option<(&str, &Value)>,
    ) -> Result<Value, Error> {
        let url = self.url(path);
        let mut request =
            self.client.request(method.clone(), &url).timeout(REQUEST_TIMEOUT).header(reqwest::header::ACCEPT, accept);
        if let Some((content_type, body)) = body {
            let bytes = serde_json::to_vec(body).map_err(|source| Error::Decode { url: url.clone(), source })?;
            request = request.header(reqwest::header::CONTENT_TYPE, content_type).body(bytes);
        }
        let response = request.send().await.map_err(|source| request_error(&method, &url, source))?;
        let text = read_text(&method, &url, response).await?;
        serde_json::from_str(&text).map_err(|source| Error::Decode { url, source })
    }
}

/// The body of a successful response, or [`Error::Status`] with the body of a failed one.
async fn read_text(method: &Method, url: &str, response: reqwest::Response) -> Result<String, Error> {
    let status = response.status();
    let text = response.text().await.map_err(|source| request_error(method, url, source))?;
    if status.is_success() {
        Ok(text)
    } else {
        Err(Error::Status { method: method.to_string(), url: url.to_string(), status: status.as_u16(), body: text })
    }
}

pub(crate) fn request_error(method: &Method, url: &str, source: reqwest::Error) -> Error {
    Error::Request { method: method.to_string(), url: url.to_string(), source }
}

/// `path?k1=v1&k2=v2` with keys and values percent-encoded (RFC 3986 unreserved characters are
/// kept). Appends with `&` when `path` already has a query.
pub fn query(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = path.to_string();
    let mut separator = if path.contains('?') { '&' } else { '?' };
    for (key, value) in pairs {
        out.push(separator);
        separator = '&';
        encode_into(&mut out, key);
        out.push('=');
        encode_into(&mut out, value);
    }
    out
}

fn encode_into(out: &mut String, text: &str) {
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_encodes_keys_and_values() {
        assert_eq!(
            query("/api/v1/pods", &[("labelSelector", "app=web,tier in (a b)")]),
            "/api/v1/pods?labelSelector=app%3Dweb%2Ctier%20in%20%28a%20b%29"
        );
        assert_eq!(query("/x?a=1", &[("b", "2"), ("c", "~.-_")]), "/x?a=1&b=2&c=~.-_");
        assert_eq!(query("/x", &[]), "/x");
    }
}
