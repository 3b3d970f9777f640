//! [`ReconcileMetrics`]: what a [`Controller`](super::Controller)'s reconciles measure (how
//! each ended, how long it took, how many run at once), as controller-runtime's
//! `controller_runtime_reconcile_*` metrics do; set with
//! [`Controller::reconcile_metrics`](super::Controller::reconcile_metrics).

use std::time::Duration;

use super::workqueue::NoMetrics;

/// How one reconcile ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReconcileResult {
    /// It succeeded and waits for the next change.
    Success,
    /// It succeeded and asked to run again after a while ([`Action::requeue`](super::Action::requeue)).
    Requeue,
    /// It returned an error (the key is retried with backoff).
    Error,
    /// It panicked (the key is retried with backoff).
    Panic,
}

impl ReconcileResult {
    /// The result as a metric label: `success`, `requeue`, `error` or `panic`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReconcileResult::Success => "success",
            ReconcileResult::Requeue => "requeue",
            ReconcileResult::Error => "error",
            ReconcileResult::Panic => "panic",
        }
    }
}

/// Receives a controller's measurements. Every method has an empty default.
///
/// Each reconcile (of a present object, or of a deleted one as gone) is one
/// [`started`](Self::started) and then one [`reconciled`](Self::reconciled), so the workers
/// busy at any moment are the difference (a gauge raised by one and lowered by the other; a
/// count reported from several workers could arrive out of order).
pub trait ReconcileMetrics: Send + Sync {
    /// A reconcile started.
    fn started(&self) {}

    /// A reconcile ended with `result` after `took`.
    fn reconciled(&self, result: ReconcileResult, took: Duration) {
        let _ = (result, took);
    }
}

impl ReconcileMetrics for NoMetrics {}
