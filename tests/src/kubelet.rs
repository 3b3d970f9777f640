//! [`Kubelet`]: a fake node for a control plane, so that a Pod's exec, attach, port-forward and
//! logs have somewhere to go.
//!
//! kube-apiserver forwards those requests to the kubelet of the Pod's node, over HTTPS, at the
//! node's `InternalIP` and `status.daemonEndpoints.kubeletEndpoint.Port`, presenting its
//! `--kubelet-client-certificate` and checking the kubelet's certificate against the harness CA
//! (flags in `apiserver`). The fake kubelet (`tests/control-plane/kube-apiserver/fakekubelet`,
//! built by `build.sh` beside kube-apiserver) answers with the kubelet's own streaming handlers
//! from `k8s.io/kubelet` and a scripted container runtime; its package doc lists the commands
//! (`echo`, `cat`, `exit N`, `tty-resizes`, `crash`, `log`, `restart`...).
//!
//! [`ControlPlane::start_kubelet`] starts one on a free loopback port, waits until it listens
//! and registers a Node for it (a generated name); Pods created with
//! [`Kubelet::create_pod`] are bound to that Node (no scheduler needed). Dropping the value
//! kills the process; the Node object stays (harmless: no controller watches it).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::Http;
use crate::pki::KUBELET_CLIENT_CN;
use crate::process::{ChildProcess, TAIL_LINES};
use crate::wait::{self, WaitFailure};
use crate::{ControlPlane, Error, binaries, process};

const FAKE_KUBELET: &str = "fakekubelet";

/// Numbers the kubelet directories of this process.
static NEXT: AtomicU32 = AtomicU32::new(0);

/// A running fake kubelet and the Node it serves.
pub struct Kubelet {
    node: String,
    port: u16,
    echo_port: u16,
    log: PathBuf,
    process: Mutex<Option<ChildProcess>>,
}

/// What the fake kubelet writes to its `--ready-file` once it listens.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Ready {
    port: u16,
    echo_port: u16,
}

impl ControlPlane {
    /// Starts a fake kubelet, waits until it listens, and registers a Node for it (named
    /// `fake-node-<suffix>`, address `127.0.0.1`, its port as the kubelet endpoint).
    pub async fn start_kubelet(&self) -> Result<Kubelet, Error> {
        let binary = binaries::locate_kubelet(self.apiserver_binary())?;
        let dir = self.dir().join("kubelets").join(NEXT.fetch_add(1, Ordering::Relaxed).to_string());
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
        let serving = self.pki().kubelet_serving_cert("fake-kubelet")?;
        let files =
            [("serving.crt", &serving.cert_pem), ("serving.key", &serving.key_pem), ("ca.crt", &self.pki().ca_pem)];
        for (name, pem) in files {
            let path = dir.join(name);
            std::fs::write(&path, pem).map_err(|e| Error::io("writing", &path, e))?;
        }
        let ready_file = dir.join("ready.json");
        let log = dir.join("fakekubelet.log");
        let path = |name: &str| dir.join(name).display().to_string();
        let args = vec![
            "--listen=127.0.0.1:0".to_owned(),
            format!("--tls-cert-file={}", path("serving.crt")),
            format!("--tls-private-key-file={}", path("serving.key")),
            format!("--client-ca-file={}", path("ca.crt")),
            format!("--client-cn={KUBELET_CLIENT_CN}"),
            format!("--ready-file={}", ready_file.display()),
        ];
        let mut child = ChildProcess::spawn(FAKE_KUBELET, &binary, &args, &log)?;
        let deadline = Instant::now() + self.start_timeout();
        let waited = wait::until_ready(
            deadline,
            || child.check_alive(),
            async || if ready_file.is_file() { Ok(()) } else { Err("no ready file yet".to_owned()) },
        )
        .await;
        match waited {
            Ok(()) => {}
            Err(WaitFailure::Died(e)) => return Err(e),
            Err(WaitFailure::TimedOut(last_error)) => {
                return Err(Error::NotReady {
                    process: FAKE_KUBELET,
                    url: ready_file.display().to_string(),
                    timeout: self.start_timeout(),
                    last_error,
                    logs: process::tail(&log, TAIL_LINES),
                });
            }
        }
        let text = std::fs::read(&ready_file).map_err(|e| Error::io("reading", &ready_file, e))?;
        let ready: Ready = serde_json::from_slice(&text)
            .map_err(|source| Error::Decode { url: ready_file.display().to_string(), source })?;
        let node = register_node(&self.http()?, ready.port).await?;
        tracing::info!(node, port = ready.port, log = %log.display(), "fake kubelet ready");
        Ok(Kubelet { node, port: ready.port, echo_port: ready.echo_port, log, process: Mutex::new(Some(child)) })
    }
}

impl Kubelet {
    /// The name of the Node this kubelet serves.
    pub fn node_name(&self) -> &str {
        &self.node
    }

    /// The kubelet's HTTPS port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the TCP echo server beside the kubelet on 127.0.0.1: a port-forward to this
    /// port of any Pod on this node reaches it.
    pub fn echo_port(&self) -> u16 {
        self.echo_port
    }

    /// The kubelet's log file.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The last lines of the kubelet's log, for failure messages.
    pub fn log_tail(&self) -> String {
        process::tail(&self.log, TAIL_LINES)
    }

    /// A Pod manifest bound to this node, with one container per name in `containers` (the
    /// scripted runtime keeps a log per container).
    pub fn pod_manifest(&self, name: &str, containers: &[&str]) -> Value {
        let containers: Vec<Value> =
            containers.iter().map(|container| json!({ "name": container, "image": "fake.invalid/none" })).collect();
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": { "name": name },
            "spec": { "nodeName": self.node, "containers": containers },
        })
    }

    /// Creates [`pod_manifest`](Self::pod_manifest)`(name, containers)` in `namespace`.
    pub async fn create_pod(
        &self,
        http: &Http,
        namespace: &str,
        name: &str,
        containers: &[&str],
    ) -> Result<Value, Error> {
        http.post(&format!("/api/v1/namespaces/{namespace}/pods"), &self.pod_manifest(name, containers)).await
    }

    /// Kills the kubelet at once (SIGKILL): its connections drop mid-stream, as a node that
    /// dies. Later requests to its Pods fail to connect.
    pub fn kill(&self) {
        drop(self.lock().take());
    }

    /// Freezes the kubelet (SIGSTOP): its connections stay open but nothing answers, as a
    /// node that hangs.
    pub fn pause(&self) -> Result<(), Error> {
        self.signal(libc::SIGSTOP, "pausing")
    }

    /// Lets a paused kubelet go on (SIGCONT).
    pub fn resume(&self) -> Result<(), Error> {
        self.signal(libc::SIGCONT, "resuming")
    }

    fn signal(&self, signal: libc::c_int, action: &'static str) -> Result<(), Error> {
        match self.lock().as_ref() {
            Some(child) => child.signal(signal).map_err(|e| Error::io(action, child.log(), e)),
            None => Err(Error::NotRunning { process: FAKE_KUBELET }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<ChildProcess>> {
        self.process.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Kubelet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kubelet")
            .field("node", &self.node)
            .field("port", &self.port)
            .field("echo_port", &self.echo_port)
            .finish_non_exhaustive()
    }
}

/// Creates a Node named `fake-node-<suffix>` whose kubelet is at 127.0.0.1:`port`; returns
/// its name. Nodes may be created with their status set (the node strategy keeps it).
async fn register_node(http: &Http, port: u16) -> Result<String, Error> {
    let node = json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": { "generateName": "fake-node-", "labels": { "kubegen.dev/fake-kubelet": "true" } },
        "status": {
            "addresses": [{ "type": "InternalIP", "address": "127.0.0.1" }],
            "daemonEndpoints": { "kubeletEndpoint": { "Port": port } },
            "conditions": [{ "type": "Ready", "status": "True", "reason": "KubeletReady", "message": "fake kubelet" }],
        },
    });
    let created = http.post("/api/v1/nodes", &node).await?;
    created.pointer("/metadata/name").and_then(Value::as_str).map(str::to_owned).ok_or_else(|| Error::Unexpected {
        url: http.url("/api/v1/nodes"),
        message: format!("the created Node has no name: {created}"),
    })
}
