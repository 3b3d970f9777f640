//! [`ControlPlane`]: one etcd and one kube-apiserver on loopback, their certificates, their
//! temporary directory, and the operations tests perform on them (CRDs, namespaces, users,
//! restarts, etcd outages, compaction).
//!
//! Lifecycle: [`ControlPlane::start`] (or a [`ControlPlaneBuilder`]) makes the certificates,
//! starts etcd and then kube-apiserver on free ports (new ports when one was taken meanwhile),
//! waits until both are ready, and writes a kubeconfig. Dropping the value kills both processes
//! and removes the directory. [`ControlPlane::shared`] is one instance per test binary that is
//! never dropped; its processes die with the test process (see `supervisor`), and its directory is
//! swept by the next run (see `workdir`).
//!
//! Nothing tied to a tokio runtime is stored here; async methods build their HTTP client per call.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::apiserver::{self, ApiServerConfig};
use crate::builder::ControlPlaneBuilder;
use crate::etcd::{self, EtcdConfig};
use crate::http::{self, Http};
use crate::pki::Pki;
use crate::process::{self, ChildProcess, TAIL_LINES};
use crate::user::{self, User};
use crate::wait::{self, WaitFailure};
use crate::{Error, binaries, crds, kubeconfig, ports, workdir};

/// How many times a process is started again when its port was taken.
const PORT_ATTEMPTS: u32 = 5;
/// How long kube-apiserver may take to exit after SIGTERM before it gets SIGKILL. With
/// `--shutdown-watch-termination-grace-period=2s` it exits in a few seconds (measured: 3-4 s
/// with watches open).
const APISERVER_STOP_GRACE: Duration = Duration::from_secs(20);
/// The same for etcd, which waits for kube-apiserver's open gRPC streams to end when stopped
/// gracefully (measured: 7 s); after this, it is killed: an outage either way.
const ETCD_STOP_GRACE: Duration = Duration::from_secs(2);

const ETCD: &str = "etcd";
const KUBE_APISERVER: &str = "kube-apiserver";

/// A real etcd + kube-apiserver on loopback, with an admin kubeconfig.
pub struct ControlPlane {
    etcd: Mutex<Option<ChildProcess>>,
    apiserver: Mutex<Option<ChildProcess>>,
    etcd_config: EtcdConfig,
    apiserver_config: ApiServerConfig,
    pki: Pki,
    /// Admin TLS configuration (not a client: clients belong to a runtime).
    tls: rustls::ClientConfig,
    server_url: String,
    kubeconfig: PathBuf,
    start_timeout: Duration,
    started_in: Duration,
    /// Last: removed after the processes are gone.
    dir: TempDir,
}

static SHARED: OnceLock<Result<ControlPlane, String>> = OnceLock::new();

impl ControlPlane {
    /// Starts a private control plane with the default flags and waits until it is ready.
    /// It stops when dropped. Blocks the calling thread (also inside a tokio runtime).
    pub fn start() -> Result<Self, Error> {
        ControlPlaneBuilder::new().start()
    }

    /// A builder for a private control plane with extra flags or another timeout.
    pub fn builder() -> ControlPlaneBuilder {
        ControlPlaneBuilder::new()
    }

    /// The control plane shared by all tests of this test binary, started on first use.
    /// Isolate tests with [`fresh_namespace`](Self::fresh_namespace); do not restart or stop
    /// parts of it (use a private [`start`](Self::start) for fault tests). If the first start
    /// fails, every call returns that failure.
    pub fn shared() -> Result<&'static ControlPlane, Error> {
        match SHARED.get_or_init(|| ControlPlane::start().map_err(|e| e.to_string())) {
            Ok(plane) => Ok(plane),
            Err(message) => Err(Error::SharedStartFailed(message.clone())),
        }
    }

    pub(crate) fn launch(options: ControlPlaneBuilder) -> Result<Self, Error> {
        // May build the binaries first (minutes); the start timeout counts from afterwards.
        let binaries = binaries::locate(options.bin_dir.as_deref())?;
        let started = Instant::now();
        let dir = workdir::create()?;
        let root = dir.path().to_path_buf();
        let pki = Pki::generate()?;
        let files = pki.write(&root.join("pki"))?;
        let tls = http::tls_config(&pki.ca_pem, &pki.admin.cert_pem, &pki.admin.key_pem)?;

        let etcd_dir = root.join(ETCD);
        std::fs::create_dir_all(&etcd_dir).map_err(|e| Error::io("creating", &etcd_dir, e))?;
        let mut etcd_config = EtcdConfig {
            binary: binaries.etcd,
            data_dir: etcd_dir.join("data"),
            log: etcd_dir.join("etcd.log"),
            client_port: 0,
            peer_port: 0,
            extra_args: options.etcd_args,
        };
        let mut apiserver_config = ApiServerConfig::new(
            binaries.kube_apiserver,
            String::new(),
            &files,
            root.join(KUBE_APISERVER),
            options.apiserver_args,
        );
        let timeout = options.start_timeout;
        let deadline = started + timeout;
        let launched =
            wait::block_on(|| launch_processes(&tls, &mut etcd_config, &mut apiserver_config, deadline, timeout));
        let (etcd, apiserver) = match launched {
            Ok(processes) => processes,
            Err(e) => {
                // Keep the logs the error points to; the next plane's sweep removes them once
                // this process has exited.
                let kept = dir.keep();
                tracing::error!(dir = %kept.display(), "start failed; keeping the directory");
                return Err(e);
            }
        };

        let server_url = apiserver_config.url();
        let kubeconfig = root.join("kubeconfig");
        kubeconfig::write(&kubeconfig, &server_url, &pki.ca_pem, "admin", &pki.admin.cert_pem, &pki.admin.key_pem)?;
        let started_in = started.elapsed();
        tracing::info!(
            server = %server_url,
            etcd = %etcd_config.url(),
            dir = %root.display(),
            ?started_in,
            "control plane ready"
        );
        Ok(ControlPlane {
            etcd: Mutex::new(Some(etcd)),
            apiserver: Mutex::new(Some(apiserver)),
            etcd_config,
            apiserver_config,
            pki,
            tls,
            server_url,
            kubeconfig,
            start_timeout: timeout,
            started_in,
            dir,
        })
    }

    /// `https://127.0.0.1:<port>`.
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// The admin kubeconfig (user `admin` in `system:masters`, inline certificates).
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// The CA certificate (PEM) that signed the serving and all client certificates.
    pub fn ca_pem(&self) -> &str {
        &self.pki.ca_pem
    }

    /// The admin client certificate (PEM; CN `admin`, O `system:masters`).
    pub fn admin_cert_pem(&self) -> &str {
        &self.pki.admin.cert_pem
    }

    /// The admin client key (PEM, PKCS#8).
    pub fn admin_key_pem(&self) -> &str {
        &self.pki.admin.key_pem
    }

    /// `http://127.0.0.1:<port>` of etcd (plain HTTP, includes the `/v3/...` JSON gateway).
    pub fn etcd_url(&self) -> String {
        self.etcd_config.url()
    }

    /// The control plane's temporary directory (certificates, data, logs, kubeconfigs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The certificates (for fake kubelets, `kubelet.rs`).
    pub(crate) fn pki(&self) -> &Pki {
        &self.pki
    }

    /// The kube-apiserver executable (fake kubelets are found beside it).
    pub(crate) fn apiserver_binary(&self) -> &Path {
        &self.apiserver_config.binary
    }

    /// How long a start or a readiness wait may take.
    pub(crate) fn start_timeout(&self) -> Duration {
        self.start_timeout
    }

    /// How long [`start`](Self::start) took until ready (after finding the binaries).
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// The pid of the running etcd, if it runs.
    pub fn etcd_pid(&self) -> Option<u32> {
        lock(&self.etcd).as_ref().map(ChildProcess::pid)
    }

    /// The pid of the running kube-apiserver, if it runs.
    pub fn apiserver_pid(&self) -> Option<u32> {
        lock(&self.apiserver).as_ref().map(ChildProcess::pid)
    }

    /// etcd's log file (stdout and stderr).
    pub fn etcd_log(&self) -> &Path {
        &self.etcd_config.log
    }

    /// kube-apiserver's log file (stdout and stderr).
    pub fn apiserver_log(&self) -> &Path {
        &self.apiserver_config.log
    }

    /// The last lines of both logs, for test failure messages.
    pub fn log_tails(&self) -> String {
        log_tails(&[&self.etcd_config.log, &self.apiserver_config.log])
    }

    /// A new reqwest client with the admin certificate. Build one per test (runtime).
    pub fn client(&self) -> Result<reqwest::Client, Error> {
        http::client(&self.tls)
    }

    /// A new admin [`Http`] client with JSON helpers. Build one per test (runtime).
    pub fn http(&self) -> Result<Http, Error> {
        Http::new(&self.tls, &self.server_url)
    }

    /// Waits until kube-apiserver is ready again (`/readyz` and namespace `default`), within the
    /// start timeout.
    pub async fn wait_ready(&self) -> Result<(), Error> {
        self.wait_apiserver(Instant::now() + self.start_timeout).await
    }

    /// Applies the CustomResourceDefinitions in `paths` (YAML or JSON, several documents per
    /// file allowed) and waits until each is established and served. Returns the CRD names.
    pub async fn install_crds<P: AsRef<Path>>(&self, paths: &[P]) -> Result<Vec<String>, Error> {
        let mut all = Vec::new();
        for path in paths {
            all.extend(crds::load(path.as_ref())?);
        }
        crds::install(&self.http()?, &all, self.start_timeout).await
    }

    /// Creates a namespace named `<prefix>-<random suffix>` (server-generated, so unique) and
    /// returns its name.
    pub async fn fresh_namespace(&self, prefix: &str) -> Result<String, Error> {
        let http = self.http()?;
        let body = json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": { "generateName": format!("{prefix}-") },
        });
        let created = http.post("/api/v1/namespaces", &body).await?;
        created.pointer("/metadata/name").and_then(Value::as_str).map(str::to_string).ok_or_else(|| Error::Unexpected {
            url: http.url("/api/v1/namespaces"),
            message: format!("the created namespace has no name: {created}"),
        })
    }

    /// Mints a client certificate for `name` in `groups` (at most two) and writes a kubeconfig
    /// for it. The user has no RBAC permissions until a test grants some.
    pub fn create_user(&self, name: &str, groups: &[&str]) -> Result<User, Error> {
        let pair = self.pki.client_cert(name, groups)?;
        let path = self.dir.path().join("users").join(user::kubeconfig_file_name(name));
        kubeconfig::write(&path, &self.server_url, &self.pki.ca_pem, name, &pair.cert_pem, &pair.key_pem)?;
        User::new(name, groups, path, &self.server_url, &self.pki.ca_pem, pair.cert_pem, pair.key_pem)
    }

    /// Stops kube-apiserver gracefully (SIGTERM: it stops accepting requests, closes open
    /// watches, and exits), starts it again on the same port with the same etcd and
    /// certificates, and waits until it is ready. Its watch cache starts empty: a watch from a
    /// resourceVersion older than the restart gets 410 Gone (v1.35: HTTP 200, then an `ERROR`
    /// event whose Status has code 410), though etcd still has that revision. Fails if the
    /// server did not exit within 20 s of SIGTERM (it is then killed).
    ///
    /// Between the stop and the start the harness writes a key of its own to etcd, as a real
    /// cluster's leases and controllers would: the new watch cache then starts past every
    /// resourceVersion a client saw. Without a write, a client whose last resourceVersion is
    /// the store's revision could resume its watch there, and whether it got the 410 would
    /// depend on the server's own writes racing its start-up.
    pub async fn restart_apiserver(&self) -> Result<(), Error> {
        let old = lock(&self.apiserver).take();
        if let Some(old) = old
            && !old.stop(APISERVER_STOP_GRACE).await
        {
            self.start_apiserver().await?;
            return Err(Error::NotGraceful { process: KUBE_APISERVER, grace: APISERVER_STOP_GRACE });
        }
        self.start_apiserver_on_a_newer_revision().await
    }

    /// Kills kube-apiserver (SIGKILL: a crash; clients see their connections reset), starts it
    /// again on the same port, and waits until it is ready; etcd's revision moves in between,
    /// as in [`restart_apiserver`](Self::restart_apiserver).
    pub async fn kill_and_restart_apiserver(&self) -> Result<(), Error> {
        let old = lock(&self.apiserver).take();
        if let Some(old) = old {
            old.kill();
        }
        self.start_apiserver_on_a_newer_revision().await
    }

    /// Writes the harness's key to etcd, then starts kube-apiserver (even when the write
    /// failed, whose error then comes back after the start).
    async fn start_apiserver_on_a_newer_revision(&self) -> Result<(), Error> {
        let bumped = async { etcd::bump_revision(&self.client()?, &self.etcd_config.url()).await }.await;
        self.start_apiserver().await?;
        bumped
    }

    async fn start_apiserver(&self) -> Result<(), Error> {
        let deadline = Instant::now() + self.start_timeout;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let child = self.apiserver_config.spawn()?;
            *lock(&self.apiserver) = Some(child);
            match self.wait_apiserver(deadline).await {
                Err(e) if e.is_port_collision() && attempt < PORT_ATTEMPTS => {
                    tracing::warn!(port = self.apiserver_config.port, "port taken; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                result => return result,
            }
        }
    }

    /// Stops etcd (SIGTERM, SIGKILL after 2 s). kube-apiserver keeps running; requests that
    /// need storage hang or fail until [`start_etcd`](Self::start_etcd). Does nothing if etcd is
    /// already stopped.
    pub async fn stop_etcd(&self) -> Result<(), Error> {
        let old = lock(&self.etcd).take();
        if let Some(old) = old {
            let _ = old.stop(ETCD_STOP_GRACE).await;
        }
        Ok(())
    }

    /// Starts etcd again with the same data and ports, waits until it is healthy and, if
    /// kube-apiserver runs, until that is ready again. Does nothing if etcd already runs.
    pub async fn start_etcd(&self) -> Result<(), Error> {
        if lock(&self.etcd).is_some() {
            return Ok(());
        }
        let deadline = Instant::now() + self.start_timeout;
        let client = self.client()?;
        let url = self.etcd_config.url();
        for attempt in 1.. {
            let child = self.etcd_config.spawn()?;
            *lock(&self.etcd) = Some(child);
            let waited = wait::until_ready(
                deadline,
                || check_alive(&self.etcd, ETCD),
                async || etcd::probe(&client, &url).await,
            )
            .await;
            match waited {
                Ok(()) => break,
                Err(WaitFailure::Died(e)) if e.is_port_collision() && attempt < PORT_ATTEMPTS => {
                    tracing::warn!(url, "etcd port taken; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(WaitFailure::Died(e)) => return Err(e),
                Err(WaitFailure::TimedOut(last)) => {
                    return Err(self.not_ready(ETCD, format!("{url}/health"), last));
                }
            }
        }
        if lock(&self.apiserver).is_some() {
            self.wait_apiserver(deadline).await?;
        }
        Ok(())
    }

    /// Compacts etcd's history up to its current revision (physically) and returns that
    /// revision. Afterwards, a watch or list from an older resourceVersion that kube-apiserver
    /// does not serve from its watch cache gets 410 Gone; start the plane with
    /// `--watch-cache-sizes=<resource>#0` to make that deterministic for a resource.
    pub async fn compact_etcd(&self) -> Result<i64, Error> {
        let client = self.client()?;
        let url = self.etcd_config.url();
        let revision = etcd::current_revision(&client, &url).await?;
        etcd::compact(&client, &url, revision).await?;
        tracing::debug!(revision, "compacted etcd");
        Ok(revision)
    }

    async fn wait_apiserver(&self, deadline: Instant) -> Result<(), Error> {
        let client = self.client()?;
        let url = self.server_url.clone();
        let waited = wait::until_ready(
            deadline,
            || check_alive(&self.apiserver, KUBE_APISERVER),
            async || apiserver::probe(&client, &url).await,
        )
        .await;
        match waited {
            Ok(()) => Ok(()),
            Err(WaitFailure::Died(e)) => Err(e),
            Err(WaitFailure::TimedOut(last)) => Err(self.not_ready(KUBE_APISERVER, format!("{url}/readyz"), last)),
        }
    }

    fn not_ready(&self, process: &'static str, url: String, last_error: String) -> Error {
        Error::NotReady { process, url, timeout: self.start_timeout, last_error, logs: self.log_tails() }
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        // kube-apiserver first, so it does not log a storm of etcd errors; both are SIGKILLed
        // and reaped by `ChildProcess::drop`.
        drop(lock(&self.apiserver).take());
        drop(lock(&self.etcd).take());
        tracing::debug!(dir = %self.dir.path().display(), "control plane stopped");
    }
}

impl std::fmt::Debug for ControlPlane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlPlane")
            .field("server_url", &self.server_url)
            .field("etcd_url", &self.etcd_config.url())
            .field("dir", &self.dir.path())
            .field("etcd_pid", &self.etcd_pid())
            .field("apiserver_pid", &self.apiserver_pid())
            .finish_non_exhaustive()
    }
}

/// Starts etcd, then kube-apiserver, each on fresh ports until one is free, and waits for both.
async fn launch_processes(
    tls: &rustls::ClientConfig,
    etcd_config: &mut EtcdConfig,
    apiserver_config: &mut ApiServerConfig,
    deadline: Instant,
    timeout: Duration,
) -> Result<(ChildProcess, ChildProcess), Error> {
    let client = http::client(tls)?;
    let logs = |etcd: &EtcdConfig, apiserver: &ApiServerConfig| log_tails(&[&etcd.log, &apiserver.log]);

    let mut attempt = 0;
    let mut etcd = loop {
        attempt += 1;
        etcd_config.client_port = ports::free_port()?;
        etcd_config.peer_port = ports::free_port()?;
        match std::fs::remove_dir_all(&etcd_config.data_dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::io("removing", &etcd_config.data_dir, e));
            }
            _ => {}
        }
        let mut child = etcd_config.spawn()?;
        let url = etcd_config.url();
        let waited =
            wait::until_ready(deadline, || child.check_alive(), async || etcd::probe(&client, &url).await).await;
        match waited {
            Ok(()) => break child,
            Err(WaitFailure::Died(e)) if e.is_port_collision() && attempt < PORT_ATTEMPTS => {
                tracing::warn!(url, "etcd port taken; retrying on other ports");
            }
            Err(WaitFailure::Died(e)) => return Err(e),
            Err(WaitFailure::TimedOut(last_error)) => {
                return Err(Error::NotReady {
                    process: ETCD,
                    url: format!("{url}/health"),
                    timeout,
                    last_error,
                    logs: logs(etcd_config, apiserver_config),
                });
            }
        }
    };
    tracing::debug!(url = %etcd_config.url(), "etcd ready");

    apiserver_config.etcd_url = etcd_config.url();
    attempt = 0;
    let apiserver = loop {
        attempt += 1;
        apiserver_config.port = ports::free_port()?;
        let mut child = apiserver_config.spawn()?;
        let url = apiserver_config.url();
        let waited = wait::until_ready(
            deadline,
            || {
                etcd.check_alive()?;
                child.check_alive()
            },
            async || apiserver::probe(&client, &url).await,
        )
        .await;
        match waited {
            Ok(()) => break child,
            Err(WaitFailure::Died(e)) if e.is_port_collision() && attempt < PORT_ATTEMPTS => {
                tracing::warn!(url, "kube-apiserver port taken; retrying on another port");
            }
            Err(WaitFailure::Died(e)) => return Err(e),
            Err(WaitFailure::TimedOut(last_error)) => {
                return Err(Error::NotReady {
                    process: KUBE_APISERVER,
                    url: format!("{url}/readyz"),
                    timeout,
                    last_error,
                    logs: logs(etcd_config, apiserver_config),
                });
            }
        }
    };
    Ok((etcd, apiserver))
}

fn check_alive(slot: &Mutex<Option<ChildProcess>>, process: &'static str) -> Result<(), Error> {
    match lock(slot).as_mut() {
        Some(child) => child.check_alive(),
        None => Err(Error::NotRunning { process }),
    }
}

fn log_tails(logs: &[&Path]) -> String {
    logs.iter()
        .map(|log| format!("--- last lines of {} ---\n{}", log.display(), process::tail(log, TAIL_LINES)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
