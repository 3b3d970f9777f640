//! Exec credential plugins (`client.authentication.k8s.io`), as kubectl runs them.
//!
//! The plugin is a program that prints an `ExecCredential` with a bearer token or a client
//! certificate and, optionally, when it expires. The credential is cached until shortly
//! before it expires (or for the client's lifetime if it does not say), and thrown away when
//! the server answers 401, so the next request runs the plugin again.
//!
//! A plugin is untrusted in the ways that matter for the client: it may hang (it is killed
//! after a timeout, so that it cannot hold every request of the client), print without end
//! (standard output is read up to [`MAX_EXEC_OUTPUT`]), or need the user: as kubectl does,
//! its standard error goes to this process's standard error as it is written (sign-in prompts
//! reach the user), and with `interactiveMode: IfAvailable` or `Always` and a terminal on
//! standard input, the plugin gets that terminal. `Always` without a terminal is an error
//! that says so.

use std::io::{IsTerminal, Write};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;
use tokio::sync::Mutex;

use super::kubeconfig::{Cluster, ExecConfig};

/// How long before its expiry a credential is replaced.
const EXPIRY_MARGIN: Duration = Duration::from_secs(10);

/// How long a plugin may run without a terminal before it is killed: long enough for a slow
/// identity provider, short enough that a hung plugin does not hold every request for long.
pub const DEFAULT_EXEC_TIMEOUT: Duration = Duration::from_secs(60);

/// How long an interactive plugin may run: the user may have to sign in in a browser.
pub const INTERACTIVE_EXEC_TIMEOUT: Duration = Duration::from_secs(300);

/// The most a plugin may print on standard output (an `ExecCredential` is a few KB).
pub const MAX_EXEC_OUTPUT: usize = 1 << 20;

/// How much of a failed plugin's standard error its error keeps.
const STDERR_TAIL: usize = 2000;

/// Receives what a plugin writes on standard error, as it writes it.
pub type StderrSink = Arc<dyn Fn(&[u8]) + Send + Sync>;

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
    /// The program did not finish in time and was killed.
    #[error("exec plugin {command:?} did not finish within {timeout:?} and was killed")]
    Timeout {
        /// The program.
        command: String,
        /// The time it had.
        timeout: Duration,
    },
    /// The program printed more than `MAX_EXEC_OUTPUT` (1 MiB) bytes and was killed.
    #[error("exec plugin {command:?} printed more than {limit} bytes and was killed")]
    TooMuchOutput {
        /// The program.
        command: String,
        /// The limit.
        limit: usize,
    },
    /// `interactiveMode: Always`, but standard input is not a terminal.
    #[error(
        "exec plugin {command:?} needs a terminal (interactiveMode: Always), but standard input is not one; \
         run the program from a terminal, or use a plugin configuration that does not prompt"
    )]
    NeedsTerminal {
        /// The program.
        command: String,
    },
    /// `interactiveMode` has a value the client does not know.
    #[error("exec plugin {command:?}: interactiveMode {mode:?} is not one of Never, IfAvailable, Always")]
    InteractiveMode {
        /// The program.
        command: String,
        /// The value.
        mode: String,
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
    timeout: Option<Duration>,
    stderr: StderrSink,
    /// Whether standard input is a terminal; `None`: ask the operating system.
    terminal: Option<bool>,
}

impl std::fmt::Debug for ExecProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecProvider")
            .field("command", &self.config.command)
            .field("env", &self.config.env)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl ExecProvider {
    /// A provider for `config`, for requests to `cluster`.
    pub fn new(config: ExecConfig, cluster: Cluster) -> Self {
        Self {
            config,
            cluster,
            cached: Arc::new(Mutex::new(None)),
            timeout: None,
            stderr: Arc::new(|chunk| {
                let _ = std::io::stderr().write_all(chunk);
            }),
            terminal: None,
        }
    }

    /// Kills the plugin after `timeout` instead of `DEFAULT_EXEC_TIMEOUT` (or
    /// `INTERACTIVE_EXEC_TIMEOUT` when it has a terminal).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sends what the plugin writes on standard error to `sink` instead of this process's
    /// standard error (a GUI may show it in a window).
    pub fn with_stderr(mut self, sink: impl Fn(&[u8]) + Send + Sync + 'static) -> Self {
        self.stderr = Arc::new(sink);
        self
    }

    /// Decides whether standard input counts as a terminal, instead of asking the operating
    /// system (for programs that manage the terminal themselves, and for tests).
    pub fn with_terminal(mut self, terminal: bool) -> Self {
        self.terminal = Some(terminal);
        self
    }

    /// Whether the plugin gets the terminal, from `interactiveMode` and standard input.
    fn interactive(&self) -> Result<bool, ExecError> {
        let terminal = self.terminal.unwrap_or_else(|| std::io::stdin().is_terminal());
        match self.config.interactive_mode.as_deref().unwrap_or_default() {
            "Never" => Ok(false),
            "IfAvailable" | "" => Ok(terminal),
            "Always" if terminal => Ok(true),
            "Always" => Err(ExecError::NeedsTerminal { command: self.config.command.clone() }),
            mode => Err(ExecError::InteractiveMode { command: self.config.command.clone(), mode: mode.to_owned() }),
        }
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
        let interactive = self.interactive()?;
        let info = ExecInfo {
            api_version,
            kind: "ExecCredential",
            spec: ExecInfoSpec {
                interactive,
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
            .stdin(if interactive { Stdio::inherit() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for variable in &self.config.env {
            command.env(&variable.name, &variable.value);
        }
        let timeout = self.timeout.unwrap_or(if interactive { INTERACTIVE_EXEC_TIMEOUT } else { DEFAULT_EXEC_TIMEOUT });
        tracing::debug!(command = %self.config.command, interactive, ?timeout, "running exec credential plugin");
        let mut child = command.spawn().map_err(|source| ExecError::Spawn {
            command: self.config.command.clone(),
            source,
            hint: self.config.install_hint.as_ref().map(|hint| format!("\n{hint}")).unwrap_or_default(),
        })?;
        let stdout = child.stdout.take();
        let stderr = child.stderr.take().map(|stderr| tokio::spawn(pass_stderr_through(stderr, self.stderr.clone())));
        let outcome = tokio::time::timeout(timeout, async {
            let mut output = Vec::new();
            if let Some(stdout) = stdout {
                // One byte more than allowed tells an over-long output from one at the limit.
                let _ = stdout.take(MAX_EXEC_OUTPUT as u64 + 1).read_to_end(&mut output).await;
            }
            if output.len() > MAX_EXEC_OUTPUT {
                return Err(ExecError::TooMuchOutput { command: self.config.command.clone(), limit: MAX_EXEC_OUTPUT });
            }
            let status = child.wait().await.map_err(|source| ExecError::Spawn {
                command: self.config.command.clone(),
                source,
                hint: String::new(),
            })?;
            let tail = match stderr {
                Some(task) => task.await.unwrap_or_default(),
                None => String::new(),
            };
            Ok((status, output, tail))
        })
        .await;
        let (status, output, stderr_tail) = match outcome {
            Ok(Ok(finished)) => finished,
            Ok(Err(error)) => {
                let _ = child.start_kill();
                return Err(error);
            }
            Err(_) => {
                let _ = child.start_kill();
                return Err(ExecError::Timeout { command: self.config.command.clone(), timeout });
            }
        };
        if !status.success() {
            return Err(ExecError::Failed { command: self.config.command.clone(), status, stderr: stderr_tail });
        }
        parse_credential(&output).map_err(|message| ExecError::Output { command: self.config.command.clone(), message })
    }
}

/// Copies a plugin's standard error to `sink` as it arrives, and returns its last
/// [`STDERR_TAIL`] bytes (as text) for an error message.
async fn pass_stderr_through(mut stderr: tokio::process::ChildStderr, sink: StderrSink) -> String {
    let mut tail: Vec<u8> = Vec::new();
    let mut buffer = [0u8; 4096];
    while let Ok(read) = stderr.read(&mut buffer).await {
        if read == 0 {
            break;
        }
        sink(&buffer[..read]);
        tail.extend_from_slice(&buffer[..read]);
        if tail.len() > STDERR_TAIL {
            tail.drain(..tail.len() - STDERR_TAIL);
        }
    }
    String::from_utf8_lossy(&tail).trim().to_owned()
}

fn expires_soon(credential: &ExecCredential) -> bool {
    credential.expiration.is_some_and(|expiration| {
        let margin = jiff::SignedDuration::try_from(EXPIRY_MARGIN).unwrap_or_default();
        jiff::Timestamp::now() + margin >= expiration
    })
}

/// Parses a plugin's output.
fn parse_credential(stdout: &[u8]) -> Result<ExecCredential, String> {
    // serde's messages quote the values they reject, and here those may be the credential:
    // the error says where and what kind of problem, never the text.
    let document: CredentialDocument = serde_json::from_slice(stdout).map_err(|error| {
        format!(
            "not an ExecCredential document ({:?} error at line {}, column {})",
            error.classify(),
            error.line(),
            error.column()
        )
    })?;
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

    fn plugin(dir: &tempfile::TempDir, body: &str) -> ExecConfig {
        let script = dir.path().join("plugin.sh");
        std::fs::write(&script, format!("#!/bin/sh\n{body}\n")).expect("writes plugin");
        ExecConfig { command: "/bin/sh".into(), args: vec![script.display().to_string()], ..ExecConfig::default() }
    }

    const CREDENTIAL: &str = r#"printf '{"kind":"ExecCredential","status":{"token":"t"}}'"#;

    #[tokio::test]
    async fn a_hung_plugin_is_killed_after_its_timeout() {
        let dir = tempfile::tempdir().expect("tempdir");
        let provider = ExecProvider::new(plugin(&dir, "sleep 30"), Cluster::default())
            .with_timeout(Duration::from_millis(300))
            .with_terminal(false);
        let started = std::time::Instant::now();
        let error = provider.credential().await.expect_err("times out");
        assert!(matches!(error, ExecError::Timeout { .. }), "{error}");
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        assert!(error.to_string().contains("did not finish within 300ms"), "{error}");
    }

    #[tokio::test]
    async fn stderr_reaches_the_user_as_it_is_written_and_ends_up_in_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = seen.clone();
        let provider = ExecProvider::new(
            plugin(&dir, &format!("echo 'open https://login.example/device and enter ABCD' >&2\n{CREDENTIAL}")),
            Cluster::default(),
        )
        .with_stderr(move |chunk| sink.lock().expect("lock").extend_from_slice(chunk))
        .with_terminal(false);
        assert_eq!(provider.credential().await.expect("runs").token.as_deref(), Some("t"));
        assert_eq!(
            String::from_utf8_lossy(&seen.lock().expect("lock")),
            "open https://login.example/device and enter ABCD\n"
        );

        let failing = ExecProvider::new(plugin(&dir, "echo 'no session: run login' >&2; exit 3"), Cluster::default())
            .with_stderr(|_| {})
            .with_terminal(false);
        let error = failing.credential().await.expect_err("fails").to_string();
        assert!(error.contains("no session: run login") && error.contains("exit status: 3"), "{error}");
    }

    #[tokio::test]
    async fn interactive_mode_decides_who_gets_the_terminal() {
        let dir = tempfile::tempdir().expect("tempdir");
        // The plugin reports what KUBERNETES_EXEC_INFO told it through the token.
        let report = r#"case "$KUBERNETES_EXEC_INFO" in *'"interactive":true'*) t=yes;; *) t=no;; esac
printf '{"kind":"ExecCredential","status":{"token":"%s"}}' $t"#;
        let with_mode = |mode: Option<&str>, terminal: bool| {
            let mut config = plugin(&dir, report);
            config.interactive_mode = mode.map(str::to_owned);
            ExecProvider::new(config, Cluster::default()).with_terminal(terminal).with_stderr(|_| {})
        };
        for (mode, terminal, expected) in [
            (None, true, Some("yes")),
            (None, false, Some("no")),
            (Some("IfAvailable"), true, Some("yes")),
            (Some("Never"), true, Some("no")),
            (Some("Always"), true, Some("yes")),
            (Some("Always"), false, None),
        ] {
            let result = with_mode(mode, terminal).credential().await;
            match expected {
                Some(token) => assert_eq!(result.expect("runs").token.as_deref(), Some(token), "{mode:?} {terminal}"),
                None => {
                    let error = result.expect_err("needs a terminal");
                    assert!(matches!(error, ExecError::NeedsTerminal { .. }), "{error}");
                    assert!(error.to_string().contains("standard input is not one"), "{error}");
                }
            }
        }
        let error = with_mode(Some("Sometimes"), true).credential().await.expect_err("unknown mode");
        assert!(error.to_string().contains("\"Sometimes\""), "{error}");
    }

    #[tokio::test]
    async fn output_is_bounded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let provider = ExecProvider::new(plugin(&dir, "yes '{\"kind\":\"ExecCredential\"}'"), Cluster::default())
            .with_terminal(false)
            .with_stderr(|_| {});
        let error = provider.credential().await.expect_err("too much");
        assert!(matches!(error, ExecError::TooMuchOutput { limit: MAX_EXEC_OUTPUT, .. }), "{error}");
    }

    #[test]
    fn malformed_output_is_described_without_quoting_it() {
        let error = parse_credential(br#"{"kind":"ExecCredential","status":"s3cr3t-token"}"#).expect_err("bad status");
        assert!(!error.contains("s3cr3t"), "{error}");
        assert!(error.contains("line 1"), "{error}");
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
