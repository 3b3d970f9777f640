//! The processor: fans an informer's notifications out to its listeners.
//!
//! Distributing only appends to each listener's queue (see [`listener`](super::listener)), so
//! the informer never waits for a handler, and a slow handler's backlog is its own queue's
//! memory. Resyncs go only to the listeners whose period was due when the round was made.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use super::delta_fifo::ResyncRound;
use super::handler::{EventHandler, Notification};
use super::listener::{AsyncHandlerFn, AsyncListener, InlineListener, Listener, ListenerCore, SyncListener};
use super::subscription::SubscriberListener;

/// The shortest resync period a handler can ask for (client-go's `minimumResyncPeriod`).
pub const MINIMUM_RESYNC_PERIOD: Duration = Duration::from_secs(1);

/// The listeners of one informer.
pub struct Processor<K> {
    name: String,
    listeners: RwLock<Vec<Arc<dyn Listener<K>>>>,
    next_id: AtomicU64,
}

impl<K> std::fmt::Debug for Processor<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Processor").field("name", &self.name).finish_non_exhaustive()
    }
}

impl<K: Send + Sync + 'static> Processor<K> {
    /// A processor without listeners; `name` names the informer in logs.
    pub fn new(name: &str) -> Self {
        Self { name: name.to_owned(), listeners: RwLock::new(Vec::new()), next_id: AtomicU64::new(1) }
    }

    fn read(&self) -> RwLockReadGuard<'_, Vec<Arc<dyn Listener<K>>>> {
        self.listeners.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Vec<Arc<dyn Listener<K>>>> {
        self.listeners.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn core(&self, resync_period: Option<Duration>) -> ListenerCore {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let period = resync_period.filter(|period| !period.is_zero()).map(|period| period.max(MINIMUM_RESYNC_PERIOD));
        ListenerCore::new(id, period)
    }

    fn register(&self, listener: Arc<dyn Listener<K>>, initial: Vec<Notification<K>>) -> Arc<dyn Listener<K>> {
        for notification in initial {
            listener.push(notification);
        }
        self.write().push(listener.clone());
        listener
    }

    /// Adds a synchronous handler, fed first with `initial` notifications.
    pub fn add(
        &self,
        handler: Arc<dyn EventHandler<K>>,
        resync_period: Option<Duration>,
        initial: Vec<Notification<K>>,
    ) -> Arc<dyn Listener<K>> {
        let listener = SyncListener::new(self.core(resync_period), &self.name, handler);
        self.register(listener, initial)
    }

    /// Adds a handler called as each notification is distributed (it must not block), fed
    /// first with `initial` notifications.
    pub(crate) fn add_inline(
        &self,
        handler: Arc<dyn EventHandler<K>>,
        resync_period: Option<Duration>,
        initial: Vec<Notification<K>>,
    ) -> Arc<dyn Listener<K>> {
        let listener = InlineListener::new(self.core(resync_period), &self.name, handler);
        self.register(listener, initial)
    }

    /// Adds an async handler, run on `runtime`, fed first with `initial` notifications.
    pub fn add_async(
        &self,
        handler: AsyncHandlerFn<K>,
        resync_period: Option<Duration>,
        initial: Vec<Notification<K>>,
        runtime: &tokio::runtime::Handle,
    ) -> Arc<dyn Listener<K>> {
        let listener = AsyncListener::start(self.core(resync_period), &self.name, handler, runtime);
        self.register(listener, initial)
    }

    /// Adds a subscriber's buffer (capped at `capacity` if given), fed first with `initial`.
    pub(crate) fn add_subscriber(
        &self,
        capacity: Option<usize>,
        initial: Vec<Notification<K>>,
    ) -> Arc<SubscriberListener<K>> {
        let listener = SubscriberListener::new(self.core(None), capacity);
        self.register(listener.clone(), initial);
        listener
    }

    /// Removes and closes a listener; true if it was there.
    pub fn remove(&self, id: u64) -> bool {
        let removed = {
            let mut listeners = self.write();
            let position = listeners.iter().position(|listener| listener.core().id() == id);
            position.map(|position| listeners.remove(position))
        };
        match removed {
            Some(listener) => {
                listener.close();
                true
            }
            None => false,
        }
    }

    /// Hands a change to every listener, or a resync to the listeners of `round`.
    pub fn distribute(&self, notification: &Notification<K>, round: Option<&ResyncRound>) {
        let listeners = self.read();
        for listener in listeners.iter() {
            if round.is_none_or(|round| round.contains(&listener.core().id())) {
                listener.push(notification.clone());
            }
        }
    }

    /// The listeners whose resync period has elapsed at `now` (their next one is scheduled),
    /// or `None` if there are none.
    pub fn due_for_resync(&self, now: Instant) -> Option<ResyncRound> {
        let due: HashSet<u64> = self
            .read()
            .iter()
            .filter(|listener| listener.core().take_resync_if_due(now))
            .map(|listener| listener.core().id())
            .collect();
        (!due.is_empty()).then(|| Arc::new(due))
    }

    /// The shortest resync period of any listener.
    pub fn shortest_resync_period(&self) -> Option<Duration> {
        self.read().iter().filter_map(|listener| listener.core().resync_period()).min()
    }

    /// Notifications waiting for every listener, summed.
    pub fn backlog(&self) -> usize {
        self.read().iter().map(|listener| listener.backlog()).sum()
    }

    /// The number of listeners.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether there is no listener.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Closes every listener, then waits until none is handling a notification, at most
    /// `grace`; true if all finished. A handler still running after that keeps its thread or
    /// task until it returns; nothing waits for it.
    pub async fn stop(&self, grace: Duration) -> bool {
        let listeners: Vec<_> = self.write().drain(..).collect();
        for listener in &listeners {
            listener.close();
        }
        let deadline = Instant::now() + grace;
        loop {
            let busy = listeners.iter().filter(|listener| listener.backlog() > 0).count();
            if busy == 0 {
                return true;
            }
            if Instant::now() >= deadline {
                tracing::warn!(informer = %self.name, "{busy} handler(s) still running {grace:?} after shutdown; not waiting for them");
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
