//! kube-apiserver: its flags and its readiness probe.
//!
//! Flags (reference/real-apiserver.md §3.4): loopback only; the harness's serving certificate
//! (so it does not self-sign into `/var/run/kubernetes`); the harness's CA as `--client-ca-file`;
//! RBAC; one P-256 key for service-account tokens; `--disable-admission-plugins=ServiceAccount`
//! (no controller-manager creates default service accounts); `--endpoint-reconciler-type=none`
//! (no `kubernetes` Endpoints churn); the client certificate it presents to kubelets, the CA
//! their serving certificates must chain to, and `InternalIP` as the only node address type
//! (fake kubelets register `127.0.0.1`; see `kubelet`). Extra flags from the builder come last:
//! for a flag given twice, kube-apiserver keeps the last value, so they override the defaults.
//!
//! Ready means: `GET /readyz` is 200 *with the admin client certificate* (anonymous requests may
//! be 403 while RBAC bootstraps), then namespace `default` exists (created by the bootstrap
//! controller shortly after, as `StartTestServer` checks).

use std::path::PathBuf;

use crate::Error;
use crate::error::chain;
use crate::pki::PkiFiles;
use crate::process::ChildProcess;

/// How to run one kube-apiserver. Stays the same across `restart_apiserver`.
#[derive(Debug, Clone)]
pub(crate) struct ApiServerConfig {
    pub(crate) binary: PathBuf,
    pub(crate) port: u16,
    pub(crate) etcd_url: String,
    pub(crate) ca_cert: PathBuf,
    pub(crate) serving_cert: PathBuf,
    pub(crate) serving_key: PathBuf,
    pub(crate) service_account_key: PathBuf,
    pub(crate) service_account_public_key: PathBuf,
    pub(crate) kubelet_client_cert: PathBuf,
    pub(crate) kubelet_client_key: PathBuf,
    pub(crate) cert_dir: PathBuf,
    pub(crate) log: PathBuf,
    pub(crate) extra_args: Vec<String>,
}

impl ApiServerConfig {
    pub(crate) fn new(
        binary: PathBuf,
        etcd_url: String,
        pki: &PkiFiles,
        dir: PathBuf,
        extra_args: Vec<String>,
    ) -> Self {
        ApiServerConfig {
            binary,
            port: 0,
            etcd_url,
            ca_cert: pki.ca_cert.clone(),
            serving_cert: pki.serving_cert.clone(),
            serving_key: pki.serving_key.clone(),
            service_account_key: pki.service_account_key.clone(),
            service_account_public_key: pki.service_account_public_key.clone(),
            kubelet_client_cert: pki.kubelet_client_cert.clone(),
            kubelet_client_key: pki.kubelet_client_key.clone(),
            cert_dir: dir.join("certs"),
            log: dir.join("kube-apiserver.log"),
            extra_args,
        }
    }

    /// `https://127.0.0.1:<port>`.
    pub(crate) fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    pub(crate) fn args(&self) -> Vec<String> {
        let path = |p: &PathBuf| p.display().to_string();
        let mut args = vec![
            format!("--etcd-servers={}", self.etcd_url),
            "--bind-address=127.0.0.1".to_string(),
            "--advertise-address=127.0.0.1".to_string(),
            format!("--secure-port={}", self.port),
            format!("--cert-dir={}", path(&self.cert_dir)),
            format!("--tls-cert-file={}", path(&self.serving_cert)),
            format!("--tls-private-key-file={}", path(&self.serving_key)),
            format!("--client-ca-file={}", path(&self.ca_cert)),
            "--authorization-mode=RBAC".to_string(),
            format!("--service-account-issuer={}", self.url()),
            format!("--service-account-key-file={}", path(&self.service_account_public_key)),
            format!("--service-account-signing-key-file={}", path(&self.service_account_key)),
            "--service-cluster-ip-range=10.0.0.0/24".to_string(),
            "--disable-admission-plugins=ServiceAccount".to_string(),
            "--allow-privileged=true".to_string(),
            "--endpoint-reconciler-type=none".to_string(),
            "--profiling=false".to_string(),
            // On SIGTERM, close open watches after this grace instead of waiting for them to
            // end on their own (minutes): the server then exits in a few seconds, which lets
            // the harness stop it gracefully (`ControlPlane::restart_apiserver`).
            "--shutdown-watch-termination-grace-period=2s".to_string(),
            format!("--kubelet-client-certificate={}", path(&self.kubelet_client_cert)),
            format!("--kubelet-client-key={}", path(&self.kubelet_client_key)),
            format!("--kubelet-certificate-authority={}", path(&self.ca_cert)),
            "--kubelet-preferred-address-types=InternalIP".to_string(),
        ];
        args.extend(self.extra_args.iter().cloned());
        args
    }

    pub(crate) fn spawn(&self) -> Result<ChildProcess, Error> {
        std::fs::create_dir_all(&self.cert_dir).map_err(|e| Error::io("creating", &self.cert_dir, e))?;
        ChildProcess::spawn("kube-apiserver", &self.binary, &self.args(), &self.log)
    }
}

/// `Ok` when `/readyz` is 200 and namespace `default` exists.
pub(crate) async fn probe(client: &reqwest::Client, base: &str) -> Result<(), String> {
    let readyz = format!("{base}/readyz");
    let response = client.get(&readyz).send().await.map_err(|e| chain(&e))?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        // On failure the body lists every check; keep the failing ones.
        let failing: Vec<&str> = body.lines().filter(|l| l.starts_with("[-]")).collect();
        return Err(format!("/readyz: HTTP {status}: {}", failing.join("; ")));
    }
    let default_ns = format!("{base}/api/v1/namespaces/default");
    let response = client.get(&default_ns).send().await.map_err(|e| chain(&e))?;
    let status = response.status();
    if status.is_success() { Ok(()) } else { Err(format!("namespace default: HTTP {status}")) }
}
