//! [`Action`]: what a reconcile asks of the controller after it returns.

use std::time::Duration;

/// What to do with an object after a successful reconcile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Action {
    requeue_after: Option<Duration>,
}

impl Action {
    /// Reconcile the object again after `after`, even if nothing changes (to poll
    /// something outside the cluster, or to retry later without counting as a failure).
    pub fn requeue(after: Duration) -> Self {
        Self { requeue_after: Some(after) }
    }

    /// Reconcile the object again only when it (or something that maps to it) changes.
    pub fn await_change() -> Self {
        Self { requeue_after: None }
    }

    /// When to reconcile again without a change, if at all.
    pub fn requeue_after(&self) -> Option<Duration> {
        self.requeue_after
    }
}
