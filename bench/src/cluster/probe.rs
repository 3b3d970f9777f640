//! [`Probe`]: what a library's informer measurement reports to, inside the child process.
//!
//! The library code builds its client and informer from [`InformerParams`], calls
//! [`Probe::on_update`] from its update handler, [`Probe::synced`] once its cache is synced,
//! and waits on [`Probe::all_updates_seen`]. The probe times the sync from its creation, and
//! tells the orchestrator through the [`protocol`](super::protocol) lines.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use tokio::sync::Notify;

use super::protocol::Message;
use super::rss::rss_mb;

/// The data key the orchestrator's updates set.
pub const REVISION_KEY: &str = "bench-rev";

/// What an informer measurement works on.
#[derive(Clone, Debug, clap::Args)]
pub struct InformerParams {
    /// The kubeconfig of the control plane.
    #[arg(long)]
    pub kubeconfig: PathBuf,
    /// The namespace of the ConfigMaps.
    #[arg(long)]
    pub namespace: String,
    /// ConfigMaps the synced cache must hold.
    #[arg(long)]
    pub expect: usize,
    /// Updates to wait for after the sync.
    #[arg(long)]
    pub updates: usize,
    /// Prefix of the `bench-rev` values this round's updates write.
    #[arg(long)]
    pub token: String,
}

/// Shared between the handler and the measuring task; cheap to clone.
#[derive(Clone)]
pub struct Probe {
    inner: Arc<Inner>,
}

struct Inner {
    params: InformerParams,
    started: Instant,
    seen: AtomicUsize,
    all_seen: Notify,
}

impl Probe {
    /// A probe whose clock starts now.
    pub fn new(params: InformerParams) -> Self {
        Probe {
            inner: Arc::new(Inner {
                params,
                started: Instant::now(),
                seen: AtomicUsize::new(0),
                all_seen: Notify::new(),
            }),
        }
    }

    /// The measurement's parameters.
    pub fn params(&self) -> &InformerParams {
        &self.inner.params
    }

    /// Call from the update handler with the updated ConfigMap's `bench-rev` value.
    pub fn on_update(&self, revision: Option<&str>) {
        if revision.is_some_and(|revision| revision.starts_with(&self.inner.params.token)) {
            let seen = self.inner.seen.fetch_add(1, Ordering::Relaxed) + 1;
            if seen == self.inner.params.updates {
                self.inner.all_seen.notify_one();
            }
        }
    }

    /// Call once the cache is synced, with the number of objects it holds; tells the
    /// orchestrator to start the updates.
    pub fn synced(&self, cached: usize) -> anyhow::Result<()> {
        let sync_seconds = self.inner.started.elapsed().as_secs_f64();
        if cached != self.inner.params.expect {
            anyhow::bail!("the synced cache holds {cached} ConfigMaps; expected {}", self.inner.params.expect);
        }
        let (rss, _) = rss_mb()?;
        Message { cached: Some(cached), sync_seconds: Some(sync_seconds), rss_mb: Some(rss), ..Message::new("synced") }
            .send()
    }

    /// Resolves once the handler has seen every update, and reports it (`done`) at once, so
    /// that no library's teardown counts in the delivery time.
    pub async fn all_updates_seen(&self) -> anyhow::Result<()> {
        if self.inner.seen.load(Ordering::Relaxed) < self.inner.params.updates {
            self.inner.all_seen.notified().await;
        }
        self.done()
    }

    /// Reports the end of the measurement with the process's peak RSS.
    fn done(&self) -> anyhow::Result<()> {
        let (_, peak) = rss_mb()?;
        let seen = self.inner.seen.load(Ordering::Relaxed);
        Message { peak_rss_mb: Some(peak), updates_seen: Some(seen), ..Message::new("done") }.send()
    }
}
