//! What a measuring child process tells the orchestrator: one JSON object per line on its
//! stdout. The Go side (`go/protocol.go`) writes the same lines.
//!
//! Informer children: `synced` once the cache holds every object (the orchestrator then
//! starts the updates), then `done` once the handler has seen every update. Request
//! children: `requests`. Either kind may answer `pending` instead: the library has no such
//! feature yet. Controller children: `reconciled` once every object was reconciled, then `done`
//! once every object was reconciled again at its updated version.

use serde::{Deserialize, Serialize};

/// One line of a child's stdout.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// `synced`, `reconciled`, `done`, `requests`, `streams` or `pending`.
    pub event: String,
    /// `synced`: objects in the cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached: Option<usize>,
    /// `synced`: seconds from process start (before the client is built) to a synced cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_seconds: Option<f64>,
    /// `reconciled`: seconds from process start (before the client is built) until every
    /// object was reconciled once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconcile_seconds: Option<f64>,
    /// `reconciled`, `done` (controllers): reconciles run so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconciles: Option<usize>,
    /// `reconciled`, `done` (controllers): CPU seconds (user + system) of the process so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_seconds: Option<f64>,
    /// `reconciled`, `done` (controllers): context switches of the process's threads so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_switches: Option<u64>,
    /// `synced`, `reconciled`: resident set size then, MB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_mb: Option<f64>,
    /// `done`: peak resident set size of the process (VmHWM), MB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_mb: Option<f64>,
    /// `done`: updates the handler saw (controllers: objects reconciled at their update).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updates_seen: Option<usize>,
    /// `requests`: GETs of one ConfigMap per second, sequential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gets_per_second: Option<f64>,
    /// `requests`: LISTs of 500 ConfigMaps per second, sequential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lists_per_second: Option<f64>,
    /// `streams`: port-forward throughput through an echo, MB/s each way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_mb_per_second: Option<f64>,
    /// `streams`: median of a whole `exec echo`, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec_ms: Option<f64>,
    /// `streams`: median stdin-to-stdout round trip through `cat`, µs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub echo_us: Option<f64>,
    /// `pending`: why; otherwise anything the report should say about the figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Message {
    /// A message of kind `event` with no figures.
    pub fn new(event: &str) -> Self {
        Message { event: event.to_owned(), ..Message::default() }
    }

    /// Writes the message as one line on stdout and flushes it.
    pub fn send(&self) -> anyhow::Result<()> {
        use std::io::Write as _;
        let line = serde_json::to_string(self)?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{line}")?;
        stdout.flush()?;
        Ok(())
    }
}

/// The result of a library's measurement function.
pub enum Outcome<T> {
    /// Measured.
    Measured(T),
    /// The library cannot do this yet; the reason goes into the report as "pending". (No
    /// library returns it today; it is the slot's way to report a missing feature.)
    #[allow(dead_code)]
    Pending(&'static str),
}
