//! [`Tally`]: what a library's controller measurement reports to, inside the child process.
//!
//! The library code builds its controller from [`ControllerParams`] and calls
//! [`Tally::on_reconcile`] from its reconcile function with the object it was given; then it
//! waits on [`Tally::all_reconciled`] (every object reconciled once, reported as `reconciled`)
//! and [`Tally::all_updates_reconciled`] (every object reconciled again at the version the
//! orchestrator's update wrote, reported as `done`). The reconcile does no API request: it
//! records the name and resourceVersion it saw, so the figures are the controller machinery's
//! own cost (watch, cache, queue, scheduling), not the API server's.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::sync::Notify;

use super::cpu::{context_switches, cpu_seconds};
use super::protocol::Message;
use super::rss::rss_mb;

/// What a controller measurement works on.
#[derive(Clone, Debug, clap::Args)]
pub struct ControllerParams {
    /// The kubeconfig of the control plane.
    #[arg(long)]
    pub kubeconfig: PathBuf,
    /// The namespace of the ConfigMaps.
    #[arg(long)]
    pub namespace: String,
    /// ConfigMaps to reconcile.
    #[arg(long)]
    pub expect: usize,
    /// Concurrent reconciles.
    #[arg(long)]
    pub workers: u16,
    /// Prefix of the `bench-rev` values this round's updates write.
    #[arg(long)]
    pub token: String,
}

/// Shared between the reconcile function and the measuring task; cheap to clone.
#[derive(Clone)]
pub struct Tally {
    inner: Arc<Inner>,
}

struct Inner {
    params: ControllerParams,
    started: Instant,
    /// The resourceVersion each object was last reconciled at, by name.
    seen: Mutex<HashMap<String, String>>,
    /// The objects reconciled at a version carrying this round's update.
    updated: Mutex<HashSet<String>>,
    reconciles: AtomicUsize,
    all_seen: Notify,
    all_updated: Notify,
}

impl Tally {
    /// A tally whose clock starts now.
    pub fn new(params: ControllerParams) -> Self {
        Tally {
            inner: Arc::new(Inner {
                params,
                started: Instant::now(),
                seen: Mutex::new(HashMap::new()),
                updated: Mutex::new(HashSet::new()),
                reconciles: AtomicUsize::new(0),
                all_seen: Notify::new(),
                all_updated: Notify::new(),
            }),
        }
    }

    /// The measurement's parameters.
    pub fn params(&self) -> &ControllerParams {
        &self.inner.params
    }

    /// Call from the reconcile function with the object's name, resourceVersion and
    /// `bench-rev` value.
    pub fn on_reconcile(&self, name: &str, resource_version: &str, revision: Option<&str>) {
        self.inner.reconciles.fetch_add(1, Ordering::Relaxed);
        let expect = self.inner.params.expect;
        {
            let mut seen = self.inner.seen.lock().unwrap_or_else(PoisonError::into_inner);
            match seen.get_mut(name) {
                Some(last) => {
                    last.clear();
                    last.push_str(resource_version);
                }
                None => {
                    seen.insert(name.to_owned(), resource_version.to_owned());
                    if seen.len() == expect {
                        self.inner.all_seen.notify_one();
                    }
                }
            }
        }
        if revision.is_some_and(|revision| revision.starts_with(&self.inner.params.token)) {
            let mut updated = self.inner.updated.lock().unwrap_or_else(PoisonError::into_inner);
            if updated.insert(name.to_owned()) && updated.len() == expect {
                self.inner.all_updated.notify_one();
            }
        }
    }

    /// Resolves once every object was reconciled, and reports it (`reconciled`, with the time
    /// since the tally's creation, the RSS, its peak so far and the CPU time) at once.
    pub async fn all_reconciled(&self) -> anyhow::Result<()> {
        if self.count_seen() < self.inner.params.expect {
            self.inner.all_seen.notified().await;
        }
        let seconds = self.inner.started.elapsed().as_secs_f64();
        let (rss, peak) = rss_mb()?;
        Message {
            reconcile_seconds: Some(seconds),
            rss_mb: Some(rss),
            peak_rss_mb: Some(peak),
            cpu_seconds: Some(cpu_seconds()?),
            context_switches: Some(context_switches()?),
            reconciles: Some(self.inner.reconciles.load(Ordering::Relaxed)),
            ..Message::new("reconciled")
        }
        .send()
    }

    /// Resolves once every object was reconciled at its updated version, and reports it
    /// (`done`, with the peak RSS and the CPU time) at once, so that no library's teardown counts.
    pub async fn all_updates_reconciled(&self) -> anyhow::Result<()> {
        if self.count_updated() < self.inner.params.expect {
            self.inner.all_updated.notified().await;
        }
        let (_, peak) = rss_mb()?;
        Message {
            peak_rss_mb: Some(peak),
            updates_seen: Some(self.count_updated()),
            cpu_seconds: Some(cpu_seconds()?),
            context_switches: Some(context_switches()?),
            reconciles: Some(self.inner.reconciles.load(Ordering::Relaxed)),
            ..Message::new("done")
        }
        .send()
    }

    fn count_seen(&self) -> usize {
        self.inner.seen.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    fn count_updated(&self) -> usize {
        self.inner.updated.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}
