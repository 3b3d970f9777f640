//! The harness's one error type: every failure names the process, file, URL or HTTP status it
//! is about, so a failed end-to-end test says what broke without a debugger.

use std::error::Error as StdError;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong while starting, driving or stopping a control plane.
///
/// `Debug` prints the same text as `Display`, so `.expect("...")` in a test shows the log tails
/// with real line breaks.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A control-plane binary is missing and could not be built.
    #[error("control-plane binary `{name}` is missing from {dir}: {reason}")]
    BinaryMissing {
        /// `etcd`, `kube-apiserver` or `fakekubelet`.
        name: &'static str,
        /// The directory it was looked for in.
        dir: PathBuf,
        /// Why it is missing, and what was tried.
        reason: String,
    },

    /// `tests/control-plane/build.sh` failed.
    #[error("building the control-plane binaries with {script} failed ({status}):\n{output}")]
    Build {
        /// The build script.
        script: PathBuf,
        /// Its exit status, or why it could not run.
        status: String,
        /// The last lines of its output.
        output: String,
    },

    /// A file-system operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done, e.g. "writing".
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// A process could not be started.
    #[error("spawning {process} ({binary}) failed: {source}")]
    Spawn {
        /// `etcd`, `kube-apiserver` or another program.
        process: &'static str,
        /// The executable.
        binary: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// A process exited while the harness needed it running.
    #[error("{process} exited ({status}); last lines of {log}:\n{tail}")]
    Exited {
        /// `etcd` or `kube-apiserver`.
        process: &'static str,
        /// Its exit status.
        status: String,
        /// Its log file.
        log: PathBuf,
        /// The last lines of that log.
        tail: String,
    },

    /// A process did not become ready in time.
    #[error("{process} was not ready after {timeout:?} (polling {url}; last: {last_error})\n{logs}")]
    NotReady {
        /// `etcd` or `kube-apiserver`.
        process: &'static str,
        /// The readiness URL that was polled.
        url: String,
        /// How long the harness waited.
        timeout: Duration,
        /// The last failed probe.
        last_error: String,
        /// The tail of every process's log.
        logs: String,
    },

    /// A process is not running (stopped with `stop_etcd`, or it died).
    #[error("{process} is not running")]
    NotRunning {
        /// `etcd` or `kube-apiserver`.
        process: &'static str,
    },

    /// Certificate or key generation failed.
    #[error("generating certificates: {0}")]
    Certificate(#[from] rcgen::Error),

    /// The TLS client configuration could not be built from the PEM data.
    #[error("building the TLS client configuration: {0}")]
    Tls(String),

    /// An HTTP request could not be sent or its response not read.
    #[error("{method} {url} failed: {}", chain(.source))]
    Request {
        /// The HTTP method.
        method: String,
        /// The full URL.
        url: String,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// The server answered with a non-success HTTP status.
    #[error("{method} {url} returned HTTP {status}: {body}")]
    Status {
        /// The HTTP method.
        method: String,
        /// The full URL.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The response body (a `Status` object for kube-apiserver errors).
        body: String,
    },

    /// A response body was not the JSON the harness expected.
    #[error("decoding the response of {url}: {source}")]
    Decode {
        /// The full URL.
        url: String,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },

    /// A response was well-formed but did not contain what the harness needed.
    #[error("unexpected response from {url}: {message}")]
    Unexpected {
        /// The full URL.
        url: String,
        /// What was wrong.
        message: String,
    },

    /// A manifest file could not be used.
    #[error("{path}: {message}")]
    Manifest {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },

    /// A wait ran out of time.
    #[error("timed out after {timeout:?} waiting for {what}")]
    Timeout {
        /// What was being waited for.
        what: String,
        /// How long the harness waited.
        timeout: Duration,
    },

    /// An argument was not acceptable.
    #[error("invalid {what}: {message}")]
    Invalid {
        /// Which argument.
        what: &'static str,
        /// Why.
        message: String,
    },

    /// A request of the kubegen client failed.
    #[error(transparent)]
    Client(#[from] kubegen_runtime::Error),

    /// The kubegen client's configuration could not be loaded.
    #[error(transparent)]
    ClientConfig(#[from] kubegen_runtime::config::ConfigError),

    /// The shared control plane of this test binary failed to start (on first use; every later
    /// caller gets the same message).
    #[error("the shared control plane of this test binary failed to start: {0}")]
    SharedStartFailed(String),

    /// The thread that spawns the control plane's processes is gone.
    #[error("the control-plane supervisor thread is gone")]
    SupervisorGone,

    /// A process did not exit within its grace after SIGTERM and was killed.
    #[error("{process} did not exit within {grace:?} of SIGTERM and was killed")]
    NotGraceful {
        /// The process.
        process: &'static str,
        /// The grace it had.
        grace: std::time::Duration,
    },
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl Error {
    /// The HTTP status code, when this error is a non-success response.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether a process exited because its port was taken, so that starting again on other
    /// ports may succeed.
    pub(crate) fn is_port_collision(&self) -> bool {
        matches!(self, Error::Exited { tail, .. } if tail.contains("address already in use"))
    }

    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }
}

/// An error and its sources, joined with ": " (reqwest's own message names only the URL).
pub(crate) fn chain(error: &dyn StdError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let next = inner.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = inner.source();
    }
    text
}
