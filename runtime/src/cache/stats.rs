//! What an informer's reflector has done so far: lists, 410s, failures, watches and the
//! events they brought. Read with `SharedIndexInformer::stats`; the metrics of the informer
//! come from the same counters.

use std::sync::atomic::{AtomicU64, Ordering};

use super::reflector::ReflectorEvent;

/// A snapshot of an informer's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InformerStats {
    /// Lists that completed (the first one and every relist).
    pub lists: u64,
    /// Of those, lists whose pages were pipelined (`Paging`).
    pub pipelined_lists: u64,
    /// Times the last resourceVersion was gone (410 Gone or Expired) and a relist followed.
    pub expired: u64,
    /// List or watch requests that failed (each followed by a backoff).
    pub failures: u64,
    /// Watches opened.
    pub watches: u64,
    /// Watch events received, bookmarks included.
    pub watch_events: u64,
}

/// The counters behind [`InformerStats`].
#[derive(Debug, Default)]
pub(crate) struct StatCounters {
    lists: AtomicU64,
    pipelined_lists: AtomicU64,
    expired: AtomicU64,
    failures: AtomicU64,
    watches: AtomicU64,
    watch_events: AtomicU64,
}

impl StatCounters {
    /// Counts what a reflector reports.
    pub(crate) fn record(&self, event: &ReflectorEvent<'_>) {
        let (counter, by) = match event {
            ReflectorEvent::Listed { pipelined, .. } => {
                if *pipelined {
                    self.pipelined_lists.fetch_add(1, Ordering::Relaxed);
                }
                (&self.lists, 1)
            }
            ReflectorEvent::Expired { .. } => (&self.expired, 1),
            ReflectorEvent::Failed { .. } => (&self.failures, 1),
            ReflectorEvent::WatchStarted { .. } => (&self.watches, 1),
            ReflectorEvent::WatchEnded { events } => (&self.watch_events, *events as u64),
            ReflectorEvent::Progressed { .. } => return,
        };
        counter.fetch_add(by, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> InformerStats {
        InformerStats {
            lists: self.lists.load(Ordering::Relaxed),
            pipelined_lists: self.pipelined_lists.load(Ordering::Relaxed),
            expired: self.expired.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            watches: self.watches.load(Ordering::Relaxed),
            watch_events: self.watch_events.load(Ordering::Relaxed),
        }
    }
}
