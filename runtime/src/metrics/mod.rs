//! Metrics of the client, informers and workqueues, through small traits the runtime calls
//! (push, for what happens: requests, queue operations) or reads (pull, for what is: an
//! informer's counters, store size and backlog), so that any metrics library fits:
//!
//! - [`ClientMetrics`]: every request attempt (verb, status code, latency) and every wait for
//!   the client's rate limiter; set with [`Client::with_metrics`](crate::Client::with_metrics);
//! - [`QueueMetrics`]: a workqueue's adds, depth, queue and work durations, retries; set with
//!   `Controller::queue_metrics` or `WorkQueue::with_parts`;
//! - [`InformerMetrics`]: a snapshot of an informer, read when metrics are scraped;
//! - [`ReconcileMetrics`]: a controller's reconciles (result, duration) and busy workers; set
//!   with `Controller::reconcile_metrics`.
//!
//! With the `prometheus` feature, `prometheus::KubegenMetrics` implements all four on a
//! `prometheus-client` registry.

use std::time::Duration;

use crate::cache::{InformerStats, SharedIndexInformer};
pub use crate::controller::{QueueMetrics, ReconcileMetrics, ReconcileResult};

#[cfg(feature = "prometheus")]
pub mod prometheus;

/// Receives the client's measurements. Every method has an empty default.
pub trait ClientMetrics: Send + Sync {
    /// A request attempt ended: its HTTP method, the response's status code (`None` when no
    /// response came: a connection or timeout error), and how long until the response's
    /// headers (a watch's or a streamed list's body is not included).
    fn request(&self, verb: &str, code: Option<u16>, latency: Duration) {
        let _ = (verb, code, latency);
    }

    /// A request waited this long for the client-side rate limiter.
    fn rate_limiter_wait(&self, waited: Duration) {
        let _ = waited;
    }
}

/// What an informer is now, for a scrape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InformerSnapshot {
    /// The reflector's counters: lists, relists after 410, failures, watches, events.
    pub stats: InformerStats,
    /// Objects in the store.
    pub store_size: usize,
    /// Notifications waiting for handlers and subscribers.
    pub handler_backlog: usize,
}

/// An informer whose state can be read for metrics.
pub trait InformerMetrics: Send + Sync {
    /// The informer's name (its resource, for example `pods.v1.`), a metric label.
    fn informer_name(&self) -> String;
    /// Its state now.
    fn snapshot(&self) -> InformerSnapshot;
}

impl<K: crate::Object> InformerMetrics for SharedIndexInformer<K> {
    fn informer_name(&self) -> String {
        self.name().to_owned()
    }

    fn snapshot(&self) -> InformerSnapshot {
        InformerSnapshot {
            stats: self.stats(),
            store_size: self.store().len(),
            handler_backlog: self.handler_backlog(),
        }
    }
}
