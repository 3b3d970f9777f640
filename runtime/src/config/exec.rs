//! Exec credential plugins (`client.authentication.k8s.io`), as kubectl runs them.
//!
//! The plugin is a program that prints an `ExecCredential` with a bearer token or a client
//! certificate and, optionally, when it expires. The credential is cached until shortly
//! before it expires (or for the client's lifetime if it does not say), and thrown away when
//! the server answers 401, so the next request runs the plugin again.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::kubeconfig::{Cluster, ExecConfig};

/// How long before its expiry a credential is replaced.
const EXPIRY_MARGIN: Duration = Duration::from_secs(10);

/// Why a plugin gave no credential.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The program could not be started.
    #[error("exec plugin {command:?} could not start: {source}{hint}")]
    Spawn {
        /// The program.
        command: String,
        /// The error.
        #[source]
        source: std::io::Error,
        /// The kubeconfig's install hint, if any.
        hint: String,
    },
    /// The program failed.
    #[error("exec plugin {command:?} exited with {status}: {stderr}")]
    Failed {
        /// The program.
        command: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// The end of its standard error.
        stderr: String,
    },
    /// The program's output is not a usable `ExecCredential`.
    #[error("exec plugin {command:?} printed no usable ExecCredential: {message}")]
    Output {
        /// The program.
        command: String,
        /// What is wrong.
        message: String,
    },
}

/// A credential from a plugin.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ExecCredential {
    /// A bearer token.
    pub token: Option<String>,
    /// A client certificate (PEM).
    pub client_certificate_pem: Option<Vec<u8>>,
    /// Its private key (PEM).
    pub client_key_pem: Option<Vec<u8>>,
    /// When the credential expires.
    pub expiration: Option<jiff::Timestamp>,
}

impl std::fmt::Debug for ExecCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecCredential")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("client_certificate", &self.client_certificate_pem.is_some())
            .field("expiration", &self.expiration)
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CredentialDocument {
    #[serde(default)]
    kind: String,
    status: Option<CredentialStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CredentialStatus {
    token: Option<String>,
    client_certificate_data: Option<String>,
    client_key_data: Option<String>,
    expiration_timestamp: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExecInfo<'a> {
    api_version: &'a str,
    kind: &'static str,
    spec: ExecInfoSpec<'a>,
}

#[derive(Serialize)]
struct ExecInfoSpec<'a> {
    interactive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<ExecCluster<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ExecCluster<'a> {
    server: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_server_name: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    insecure_skip_tls_verify: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate_authority_data: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    proxy_url: Option<&'a str>,
}

/// Runs a plugin and caches its credential. Clones share the cache.
#[derive(Clone)]
pub struct ExecProvider {
    config: ExecConfig,
    cluster: Cluster,
    cached: Arc<Mutex<Option<ExecCredential>>>,
}

impl std::fmt::Debug for ExecProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecProvider").field("command", &self.config.command).finish_non_exhaustive()
    }
}

impl ExecProvider {
    /// A provider for `config`, for requests to `cluster`.
    pub fn new(config: ExecConfig, cluster: Cluster) -> Self {
        Self { config, cluster, cached: Arc::new(Mutex::new(None)) }
    }

    /// The plugin's program.
    pub fn command(&self) -> &str {
        &self.config.command
    }

    /// The cached credential, or a new one if there is none or it is about to expire.
    pub async fn credential(&self) -> Result<ExecCredential, ExecError> {
        let mut cached = self.cached.lock().await;
        if let Some(credential) = cached.as_ref()
            && !expires_soon(credential)
        {
            return Ok(credential.clone());
        }
        let credential = self.run().await?;
        *cached = Some(credential.clone());
        Ok(credential)
    }

    /// Drops the cached credential (after a 401), so the next request runs the plugin again.
    pub async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }

    async fn run(&self) -> Result<ExecCredential, ExecError> {
        let api_version = if self.config.api_version.is_empty() {
            "client.authentication.k8s.io/v1"
        } else {
            &self.config.api_version
        };
        let info = ExecInfo {
            api_version,
            kind: "ExecCredential",
            spec: ExecInfoSpec {
                interactive: false,
                cluster: self.config.provide_cluster_info.then(|| ExecCluster {
                    server: &self.cluster.server,
                    tls_server_name: self.cluster.tls_server_name.as_deref(),
                    insecure_skip_tls_verify: self.cluster.insecure_skip_tls_verify,
                    certificate_authority_data: self.cluster.certificate_authority_data.as_deref(),
                    proxy_url: self.cluster.proxy_url.as_deref(),
                }),
            },
        };
        let info = serde_json::to_string(&info).unwrap_or_default();
        let mut command = tokio::process::Command::new(&self.config.command);
        command
            .args(&self.config.args)
            .env("KUBERNETES_EXEC_INFO", info)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for variable in &self.config.env {
            command.env(&variable.name, &variable.value);
        }
        tracing::debug!(command = %self.config.command, "running exec credential plugin");
        let output = command.output().await.map_err(|source| ExecError::Spawn {
            command: self.config.command.clone(),
            source,
            hint: self.config.install_hint.as_ref().map(|hint| format!("\n{hint}")).unwrap_or_default(),
        })?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let tail: String = stderr.chars().rev().take(2000).collect::<Vec<_>>().into_iter().rev().collect();
            return Err(ExecError::Failed {
                command: self.config.command.clone(),
                status: output.status,
                stderr: tail.trim().to_owned(),
            });
        }
        parse_credential(&output.stdout)
            .map_err(|message| ExecError::Output { command: self.config.command.clone(), message })
    }
}

fn expires_soon(credential: &ExecCredential) -> bool {
    credential.expiration.is_some_and(|expiration| {
        let margin = jiff::SignedDuration::try_from(EXPIRY_MARGIN).unwrap_or_default();
        jiff::Timestamp::now() + margin >= expiration
    })
}

/// Parses a plugin's output.
fn parse_credential(stdout: &[u8]) -> Result<ExecCredential, String> {
    let document: CredentialDocument = serde_json::from_slice(stdout).map_err(|error| format!("not JSON: {error}"))?;
    if document.kind != "ExecCredential" {
        return Err(format!("kind is {:?}, not ExecCredential", document.kind));
    }
    let status = document.status.ok_or("it has no status")?;
    let expiration = match status.expiration_timestamp {
        Some(text) => Some(text.parse().map_err(|error| format!("expirationTimestamp {text:?}: {error}"))?),
        None => None,
    };
    let credential = ExecCredential {
        token: status.token.filter(|token| !token.is_empty()),
        client_certificate_pem: status.client_certificate_data.map(String::into_bytes),
        client_key_pem: status.client_key_data.map(String::into_bytes),
        expiration,
    };
    match (&credential.token, &credential.client_certificate_pem, &credential.client_key_pem) {
        (Some(_), _, _) | (None, Some(_), Some(_)) => Ok(credential),
        _ => Err("status has neither a token nor a client certificate and key".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tokens_and_certificates() {
        let token = parse_credential(
            br#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"abc","expirationTimestamp":"2030-01-01T00:00:00Z"}}"#,
        )
        .expect("parses");
        assert_eq!(token.token.as_deref(), Some("abc"));
        assert!(token.expiration.is_some());
        let certificate = parse_credential(
            br#"{"kind":"ExecCredential","status":{"clientCertificateData":"CERT","clientKeyData":"KEY"}}"#,
        )
        .expect("parses");
        assert_eq!(certificate.client_certificate_pem.as_deref(), Some(&b"CERT"[..]));
        assert!(parse_credential(br#"{"kind":"ExecCredential","status":{}}"#).is_err());
        assert!(parse_credential(b"token").is_err());
    }

    #[tokio::test]
    async fn caches_until_expiry_and_after_invalidation_runs_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let counter = dir.path().join("count");
        let script = dir.path().join("plugin.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho x >> {}\nn=$(wc -l < {})\nprintf '{{\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"t%s\"}}}}' $n\n",
                counter.display(),
                counter.display()
            ),
        )
        .expect("writes plugin");
        let provider = ExecProvider::new(
            ExecConfig { command: "/bin/sh".into(), args: vec![script.display().to_string()], ..ExecConfig::default() },
            Cluster::default(),
        );
        assert_eq!(provider.credential().await.expect("runs").token.as_deref(), Some("t1"));
        assert_eq!(provider.credential().await.expect("cached").token.as_deref(), Some("t1"));
        provider.invalidate().await;
        assert_eq!(provider.credential().await.expect("runs again").token.as_deref(), Some("t2"));
    }

    #[tokio::test]
    async fn a_missing_program_names_it_and_the_hint() {
        let provider = ExecProvider::new(
            ExecConfig {
                command: "/nonexistent/kubectl-login".into(),
                install_hint: Some("install it from example.com".into()),
                ..ExecConfig::default()
            },
            Cluster::default(),
        );
        let error = provider.credential().await.expect_err("fails").to_string();
        assert!(error.contains("/nonexistent/kubectl-login"), "{error}");
        assert!(error.contains("install it from example.com"), "{error}");
    }
}
