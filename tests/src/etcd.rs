//! etcd: its flags, its health probe, and compaction through its HTTP (grpc-gateway) API.
//!
//! Flags (reference/real-apiserver.md §2.3): client and peer URLs on loopback ports,
//! `--unsafe-no-fsync` (tests do not survive machine crashes anyway, and fsync dominates write
//! latency), `--watch-progress-notify-interval=5s` (as kubeadm sets it; the default is 10 min,
//! which stalls WatchList's initial-events-end bookmark), `--log-level=warn`.

use std::path::PathBuf;

use reqwest::Method;
use serde_json::{Value, json};

use crate::Error;
use crate::http::request_error;
use crate::process::ChildProcess;

/// `base64("\0")`: with the same `range_end`, a range over every key.
const ALL_KEYS: &str = "AA==";

/// How to run one etcd. Stays the same across `stop_etcd` / `start_etcd`.
#[derive(Debug, Clone)]
pub(crate) struct EtcdConfig {
    pub(crate) binary: PathBuf,
    pub(crate) data_dir: PathBuf,
    pub(crate) log: PathBuf,
    pub(crate) client_port: u16,
    pub(crate) peer_port: u16,
    pub(crate) extra_args: Vec<String>,
}

impl EtcdConfig {
    /// `http://127.0.0.1:<client port>`.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.client_port)
    }

    pub(crate) fn args(&self) -> Vec<String> {
        let client = self.url();
        let peer = format!("http://127.0.0.1:{}", self.peer_port);
        let mut args = vec![
            "--name=default".to_string(),
            format!("--data-dir={}", self.data_dir.display()),
            format!("--listen-client-urls={client}"),
            format!("--advertise-client-urls={client}"),
            format!("--listen-peer-urls={peer}"),
            format!("--initial-advertise-peer-urls={peer}"),
            format!("--initial-cluster=default={peer}"),
            "--unsafe-no-fsync=true".to_string(),
            "--watch-progress-notify-interval=5s".to_string(),
            "--log-level=warn".to_string(),
        ];
        args.extend(self.extra_args.iter().cloned());
        args
    }

    pub(crate) fn spawn(&self) -> Result<ChildProcess, Error> {
        ChildProcess::spawn("etcd", &self.binary, &self.args(), &self.log)
    }
}

/// `Ok` when `GET /health` says `"health":"true"`.
pub(crate) async fn probe(client: &reqwest::Client, base: &str) -> Result<(), String> {
    let url = format!("{base}/health");
    let response = client.get(&url).send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.text().await.map_err(|e| e.to_string())?;
    if status.is_success() && body.contains("\"health\":\"true\"") {
        Ok(())
    } else {
        Err(format!("HTTP {status}: {}", body.trim()))
    }
}

/// The store's current revision (`header.revision` of a count-only range over all keys).
pub(crate) async fn current_revision(client: &reqwest::Client, base: &str) -> Result<i64, Error> {
    let url = format!("{base}/v3/kv/range");
    let body = json!({ "key": ALL_KEYS, "range_end": ALL_KEYS, "count_only": true });
    let response = post(client, &url, &body).await?;
    // grpc-gateway encodes int64 as a JSON string.
    let revision = response.pointer("/header/revision");
    revision
        .and_then(|r| match r {
            Value::String(s) => s.parse().ok(),
            other => other.as_i64(),
        })
        .ok_or_else(|| Error::Unexpected { url, message: format!("no header.revision in {response}") })
}

/// `base64("/kubegen-tests/revision")`: a key outside kube-apiserver's `/registry` prefix.
const REVISION_KEY: &str = "L2t1YmVnZW4tdGVzdHMvcmV2aXNpb24=";
/// `base64("bumped")`: what the key holds does not matter, only that it is written.
const REVISION_VALUE: &str = "YnVtcGVk";

/// Writes a key of the harness's own, so that the store's revision moves past every
/// resourceVersion a client has seen.
pub(crate) async fn bump_revision(client: &reqwest::Client, base: &str) -> Result<(), Error> {
    let url = format!("{base}/v3/kv/put");
    let body = json!({ "key": REVISION_KEY, "value": REVISION_VALUE });
    post(client, &url, &body).await.map(drop)
}

/// Compacts the key-value history up to `revision`, physically (waits until the old revisions
/// are removed from the backend).
pub(crate) async fn compact(client: &reqwest::Client, base: &str, revision: i64) -> Result<(), Error> {
    let url = format!("{base}/v3/kv/compaction");
    let body = json!({ "revision": revision.to_string(), "physical": true });
    post(client, &url, &body).await.map(drop)
}

async fn post(client: &reqwest::Client, url: &str, body: &Value) -> Result<Value, Error> {
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|source| request_error(&Method::POST, url, source))?;
    let status = response.status();
    let text = response.text().await.map_err(|source| request_error(&Method::POST, url, source))?;
    if !status.is_success() {
        return Err(Error::Status {
            method: Method::POST.to_string(),
            url: url.to_string(),
            status: status.as_u16(),
            body: text,
        });
    }
    serde_json::from_str(&text).map_err(|source| Error::Decode { url: url.to_string(), source })
}
