//! Options for starting a control plane: extra flags, start timeout, binary directory.

use std::path::PathBuf;
use std::time::Duration;

use crate::{ControlPlane, Error};

/// Environment variable overriding the default start timeout, in seconds.
pub const TIMEOUT_ENV: &str = "KUBEGEN_CONTROL_PLANE_TIMEOUT";

/// The default start timeout: contended CI runners have needed 30–35 s (reference §3.5).
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(90);

/// Builds a private [`ControlPlane`] with non-default options.
///
/// ```no_run
/// # fn main() -> Result<(), kubegen_tests::Error> {
/// let cp = kubegen_tests::ControlPlane::builder()
///     // No watch cache for ConfigMaps: a watch from a compacted resourceVersion gets 410.
///     .apiserver_arg("--watch-cache-sizes=configmaps#0")
///     .start()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ControlPlaneBuilder {
    pub(crate) apiserver_args: Vec<String>,
    pub(crate) etcd_args: Vec<String>,
    pub(crate) start_timeout: Duration,
    pub(crate) bin_dir: Option<PathBuf>,
}

impl Default for ControlPlaneBuilder {
    fn default() -> Self {
        let start_timeout = std::env::var(TIMEOUT_ENV)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map_or(DEFAULT_START_TIMEOUT, Duration::from_secs);
        ControlPlaneBuilder { apiserver_args: Vec::new(), etcd_args: Vec::new(), start_timeout, bin_dir: None }
    }
}

impl ControlPlaneBuilder {
    /// A builder with the defaults of [`ControlPlane::start`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a kube-apiserver flag, e.g. `--watch-cache-sizes=configmaps#0`. Added flags come
    /// after the defaults; kube-apiserver keeps the last value of a repeated flag.
    pub fn apiserver_arg(mut self, arg: impl Into<String>) -> Self {
        self.apiserver_args.push(arg.into());
        self
    }

    /// Adds several kube-apiserver flags.
    pub fn apiserver_args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.apiserver_args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Adds an etcd flag (after the defaults).
    pub fn etcd_arg(mut self, arg: impl Into<String>) -> Self {
        self.etcd_args.push(arg.into());
        self
    }

    /// How long start-up (and every later wait for readiness) may take. Default: 90 s, or
    /// `$KUBEGEN_CONTROL_PLANE_TIMEOUT` seconds.
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Takes `etcd` and `kube-apiserver` from `dir` instead of `$KUBEGEN_CONTROL_PLANE_BIN` or
    /// the cache.
    pub fn bin_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.bin_dir = Some(dir.into());
        self
    }

    /// Starts the control plane and waits until it is ready. Blocks the calling thread; works
    /// inside a tokio runtime too.
    pub fn start(self) -> Result<ControlPlane, Error> {
        ControlPlane::launch(self)
    }
}
