//! The workqueue: what controllers put keys into and workers take keys from (client-go's
//! `util/workqueue`: the queue, the delaying queue and the rate-limiting queue in one type).
//!
//! Contract, each point with a test below:
//!
//! - **Deduplicated.** An item added while it waits is not added twice.
//! - **Never processed twice at once.** An item taken by [`get`](WorkQueue::get) is
//!   processing until [`done`](WorkQueue::done); added meanwhile, it is queued again when
//!   `done` is called, not handed to another worker.
//! - **Delays.** [`add_after`](WorkQueue::add_after) queues the item when its delay has passed
//!   (an item waiting twice keeps the earlier time); [`add_rate_limited`] waits as long as the
//!   queue's [`RateLimiter`] says, [`forget`](WorkQueue::forget) resets the item's backoff.
//! - **Shutdown.** After [`shut_down`](WorkQueue::shut_down) new items are ignored, items
//!   still queued are handed out, and `get` returns `None` once none is left;
//!   [`shut_down_with_drain`](WorkQueue::shut_down_with_drain) also waits until every item taken
//!   is done. Items waiting for their delay are dropped.
//!
//! Time is tokio's, so tests run it paused. Metrics go to a [`QueueMetrics`].
//!
//! [`add_rate_limited`]: WorkQueue::add_rate_limited

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::rate_limiter::{RateLimiter, default_rate_limiter};

/// Receives a workqueue's measurements (client-go's workqueue metrics). Every method has an
/// empty default.
pub trait QueueMetrics: Send + Sync {
    /// An item was added (deduplicated adds included).
    fn added(&self) {}
    /// The number of items waiting to be taken.
    fn depth(&self, depth: usize) {
        let _ = depth;
    }
    /// An item was taken after waiting this long in the queue.
    fn queued_for(&self, waited: Duration) {
        let _ = waited;
    }
    /// An item was done after being processed this long.
    fn worked_for(&self, took: Duration) {
        let _ = took;
    }
    /// An item was added rate-limited (a retry).
    fn retried(&self) {}
}

/// Metrics that go nowhere.
#[derive(Debug, Default)]
pub struct NoMetrics;

impl QueueMetrics for NoMetrics {}

struct State<T> {
    queue: VecDeque<T>,
    /// Queued, or to be queued again when done.
    dirty: HashSet<T>,
    processing: HashMap<T, Instant>,
    /// When each queued item was added (for the queue latency).
    added_at: HashMap<T, Instant>,
    /// Items waiting for their delay: the earliest time per item, and a heap of times.
    waiting: HashMap<T, (Instant, u64)>,
    deadlines: BinaryHeap<Reverse<(Instant, u64)>>,
    by_sequence: HashMap<u64, T>,
    next_sequence: u64,
    shutting_down: bool,
}

struct Inner<T> {
    state: Mutex<State<T>>,
    /// Woken when an item is queued, a delay changes, or the queue shuts down.
    ready: Notify,
    /// Woken when processing or the queue becomes empty.
    idle: Notify,
    limiter: Box<dyn RateLimiter<T>>,
    metrics: Arc<dyn QueueMetrics>,
}

/// A deduplicating work queue with delays and rate-limited retries. Cheap to clone; clones
/// are the same queue. See the module documentation.
pub struct WorkQueue<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Clone for WorkQueue<T> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone() }
    }
}

impl<T> std::fmt::Debug for WorkQueue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.inner.lock();
        f.debug_struct("WorkQueue")
            .field("queued", &state.queue.len())
            .field("processing", &state.processing.len())
            .field("waiting", &state.waiting.len())
            .finish()
    }
}

impl<T> Inner<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: Eq + Hash + Clone + Send + Sync + 'static> Default for WorkQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Eq + Hash + Clone + Send + Sync + 'static> WorkQueue<T> {
    /// A queue with client-go's default rate limiter and no metrics.
    pub fn new() -> Self {
        Self::with_rate_limiter(Box::new(default_rate_limiter()))
    }

    /// A queue whose retries wait as `limiter` says.
    pub fn with_rate_limiter(limiter: Box<dyn RateLimiter<T>>) -> Self {
        Self::with_parts(limiter, Arc::new(NoMetrics))
    }

    /// A queue with its rate limiter and metrics.
    pub fn with_parts(limiter: Box<dyn RateLimiter<T>>, metrics: Arc<dyn QueueMetrics>) -> Self {
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    dirty: HashSet::new(),
                    processing: HashMap::new(),
                    added_at: HashMap::new(),
                    waiting: HashMap::new(),
                    deadlines: BinaryHeap::new(),
                    by_sequence: HashMap::new(),
                    next_sequence: 0,
                    shutting_down: false,
                }),
                ready: Notify::new(),
                idle: Notify::new(),
                limiter,
                metrics,
            }),
        }
    }

    /// Queues `item` unless it is queued already (or, while it is processing, queues it again
    /// when it is done). Ignored after shutdown.
    pub fn add(&self, item: T) {
        let mut state = self.inner.lock();
        if self.queue_locked(&mut state, item) {
            drop(state);
            self.inner.ready.notify_one();
        }
    }

    /// Adds under the lock; true if the item went into the queue (a getter should wake).
    fn queue_locked(&self, state: &mut State<T>, item: T) -> bool {
        if state.shutting_down {
            return false;
        }
        self.inner.metrics.added();
        if !state.dirty.insert(item.clone()) {
            return false;
        }
        if state.processing.contains_key(&item) {
            return false;
        }
        state.added_at.insert(item.clone(), Instant::now());
        state.queue.push_back(item);
        self.inner.metrics.depth(state.queue.len());
        true
    }

    /// Queues `item` once `delay` has passed (at once for zero). An item already waiting keeps
    /// the earlier of the two times.
    pub fn add_after(&self, item: T, delay: Duration) {
        if delay.is_zero() {
            self.add(item);
            return;
        }
        let ready_at = Instant::now() + delay;
        let mut state = self.inner.lock();
        if state.shutting_down {
            return;
        }
        if state.waiting.get(&item).is_some_and(|(at, _)| *at <= ready_at) {
            return;
        }
        let sequence = state.next_sequence;
        state.next_sequence += 1;
        if let Some((_, old)) = state.waiting.insert(item.clone(), (ready_at, sequence)) {
            state.by_sequence.remove(&old);
        }
        state.by_sequence.insert(sequence, item);
        state.deadlines.push(Reverse((ready_at, sequence)));
        drop(state);
        // A getter may be sleeping until a later deadline.
        self.inner.ready.notify_waiters();
        self.inner.ready.notify_one();
    }

    /// Queues `item` after the wait its rate limiter gives (a retry after a failure).
    pub fn add_rate_limited(&self, item: T) {
        let delay = self.inner.limiter.when(&item);
        self.inner.metrics.retried();
        self.add_after(item, delay);
    }

    /// Forgets `item`'s failures: its next retry starts from the shortest wait.
    pub fn forget(&self, item: &T) {
        self.inner.limiter.forget(item);
    }

    /// How many times `item` was retried since it was last forgotten.
    pub fn num_requeues(&self, item: &T) -> u32 {
        self.inner.limiter.num_requeues(item)
    }

    /// Moves items whose delay has passed into the queue; returns the next deadline.
    fn promote_due(&self, state: &mut State<T>) -> Option<Instant> {
        let now = Instant::now();
        while let Some(Reverse((at, sequence))) = state.deadlines.peek().copied() {
            if at > now {
                return Some(at);
            }
            state.deadlines.pop();
            let Some(item) = state.by_sequence.remove(&sequence) else { continue };
            state.waiting.remove(&item);
            self.queue_locked(state, item);
        }
        None
    }

    /// Takes the next item, waiting for one; `None` once the queue is shut down and empty.
    /// The item is processing until [`done`](Self::done).
    pub async fn get(&self) -> Option<T> {
        loop {
            let woken = self.inner.ready.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let deadline = {
                let mut state = self.inner.lock();
                let deadline = if state.shutting_down { None } else { self.promote_due(&mut state) };
                if let Some(item) = state.queue.pop_front() {
                    let now = Instant::now();
                    if let Some(added) = state.added_at.remove(&item) {
                        self.inner.metrics.queued_for(now.saturating_duration_since(added));
                    }
                    state.dirty.remove(&item);
                    state.processing.insert(item.clone(), now);
                    self.inner.metrics.depth(state.queue.len());
                    let more = !state.queue.is_empty();
                    drop(state);
                    if more {
                        // Pass the wake-up on: another item is waiting for another getter.
                        self.inner.ready.notify_one();
                    }
                    return Some(item);
                }
                if state.shutting_down {
                    return None;
                }
                deadline
            };
            match deadline {
                Some(deadline) => {
                    tokio::select! {
                        () = &mut woken => {}
                        () = tokio::time::sleep_until(deadline) => {}
                    }
                }
                None => woken.await,
            }
        }
    }

    /// Marks `item` done; if it was added while processing, it is queued again.
    pub fn done(&self, item: &T) {
        let mut state = self.inner.lock();
        if let Some(started) = state.processing.remove(item) {
            self.inner.metrics.worked_for(Instant::now().saturating_duration_since(started));
        }
        let requeue = state.dirty.contains(item);
        if requeue {
            state.added_at.insert(item.clone(), Instant::now());
            state.queue.push_back(item.clone());
            self.inner.metrics.depth(state.queue.len());
        }
        let idle = state.processing.is_empty();
        drop(state);
        if requeue {
            self.inner.ready.notify_one();
        }
        if idle {
            self.inner.idle.notify_waiters();
        }
    }

    /// Items waiting to be taken.
    pub fn len(&self) -> usize {
        self.inner.lock().queue.len()
    }

    /// Whether no item waits to be taken.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Items taken and not yet done.
    pub fn processing(&self) -> usize {
        self.inner.lock().processing.len()
    }

    /// Items waiting for a delay.
    pub fn waiting(&self) -> usize {
        self.inner.lock().waiting.len()
    }

    /// How long the items being processed have been processed, summed (client-go's
    /// `unfinished_work_seconds`), and the longest of them (`longest_running_processor`).
    pub fn unfinished_work(&self) -> (Duration, Duration) {
        let state = self.inner.lock();
        let now = Instant::now();
        state
            .processing
            .values()
            .map(|started| now.saturating_duration_since(*started))
            .fold((Duration::ZERO, Duration::ZERO), |(sum, longest), running| (sum + running, longest.max(running)))
    }

    /// Stops taking new items; queued ones are still handed out; delayed ones are dropped.
    pub fn shut_down(&self) {
        let mut state = self.inner.lock();
        state.shutting_down = true;
        state.waiting.clear();
        state.deadlines.clear();
        state.by_sequence.clear();
        drop(state);
        self.inner.ready.notify_waiters();
        self.inner.idle.notify_waiters();
    }

    /// [`shut_down`](Self::shut_down), then waits until every queued item was taken and every
    /// taken item is done.
    pub async fn shut_down_with_drain(&self) {
        self.shut_down();
        loop {
            let idle = self.inner.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            {
                let state = self.inner.lock();
                if state.processing.is_empty() && state.queue.is_empty() {
                    return;
                }
            }
            idle.await;
        }
    }

    /// Whether the queue was shut down.
    pub fn is_shutting_down(&self) -> bool {
        self.inner.lock().shutting_down
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::controller::rate_limiter::ItemExponential;

    fn queue() -> WorkQueue<&'static str> {
        WorkQueue::with_rate_limiter(Box::new(ItemExponential::new(
            Duration::from_millis(5),
            Duration::from_secs(1000),
        )))
    }

    #[tokio::test(start_paused = true)]
    async fn items_are_deduplicated_while_they_wait() {
        let queue = queue();
        queue.add("a");
        queue.add("b");
        queue.add("a");
        assert_eq!(queue.len(), 2);
        assert_eq!(queue.get().await, Some("a"));
        assert_eq!(queue.get().await, Some("b"));
        assert!(queue.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn an_item_added_while_processing_waits_for_done() {
        let queue = queue();
        queue.add("a");
        let taken = queue.get().await;
        assert_eq!(taken, Some("a"));
        queue.add("a");
        queue.add("a");
        assert_eq!(queue.len(), 0, "not queued while processing");
        let other = tokio::time::timeout(Duration::from_secs(1), queue.get()).await;
        assert!(other.is_err(), "no second worker gets it");
        queue.done(&"a");
        assert_eq!(queue.len(), 1, "queued again, once");
        assert_eq!(queue.get().await, Some("a"));
        queue.done(&"a");
        assert!(queue.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn delayed_items_come_when_due_and_keep_the_earlier_time() {
        let queue = queue();
        let start = Instant::now();
        queue.add_after("late", Duration::from_secs(10));
        queue.add_after("soon", Duration::from_secs(2));
        queue.add_after("late", Duration::from_secs(5));
        queue.add_after("late", Duration::from_secs(20));
        assert_eq!(queue.waiting(), 2);
        assert_eq!(queue.get().await, Some("soon"));
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        assert_eq!(queue.get().await, Some("late"));
        assert_eq!(start.elapsed(), Duration::from_secs(5), "the earlier time won");
        queue.done(&"late");
        let nothing = tokio::time::timeout(Duration::from_secs(60), queue.get()).await;
        assert!(nothing.is_err(), "the later add of late did not queue it again");
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_getter_wakes_for_an_earlier_delay() {
        let queue = queue();
        queue.add_after("slow", Duration::from_secs(100));
        let getter = {
            let queue = queue.clone();
            tokio::spawn(async move { queue.get().await })
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        let start = Instant::now();
        queue.add_after("fast", Duration::from_secs(1));
        assert_eq!(getter.await.expect("joins"), Some("fast"));
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limited_retries_back_off_until_forgotten() {
        let queue = queue();
        let start = Instant::now();
        let mut waits = Vec::new();
        for _ in 0..4 {
            let before = Instant::now();
            queue.add_rate_limited("flaky");
            assert_eq!(queue.get().await, Some("flaky"));
            queue.done(&"flaky");
            waits.push(before.elapsed());
        }
        assert_eq!(waits, [5, 10, 20, 40].map(Duration::from_millis));
        assert_eq!(queue.num_requeues(&"flaky"), 4);
        queue.forget(&"flaky");
        assert_eq!(queue.num_requeues(&"flaky"), 0);
        queue.add_rate_limited("flaky");
        let before = Instant::now();
        assert_eq!(queue.get().await, Some("flaky"));
        assert_eq!(before.elapsed(), Duration::from_millis(5));
        assert!(start.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn after_shutdown_queued_items_are_still_handed_out_then_none() {
        let queue = queue();
        queue.add("a");
        queue.add_after("delayed", Duration::from_secs(1));
        queue.shut_down();
        queue.add("ignored");
        assert_eq!(queue.get().await, Some("a"));
        assert_eq!(queue.get().await, None, "delayed items were dropped");
        assert!(queue.is_shutting_down());
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_with_drain_waits_for_items_in_progress() {
        let queue = queue();
        for item in ["a", "b", "c"] {
            queue.add(item);
        }
        let handled = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (queue, handled) = (queue.clone(), handled.clone());
                tokio::spawn(async move {
                    while let Some(item) = queue.get().await {
                        tokio::time::sleep(Duration::from_secs(3)).await;
                        handled.fetch_add(1, Ordering::AcqRel);
                        queue.done(&item);
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(10)).await;
        queue.shut_down_with_drain().await;
        assert_eq!(handled.load(Ordering::Acquire), 3, "every queued and taken item was finished");
        assert_eq!(queue.processing(), 0);
        for worker in workers {
            worker.await.expect("workers end");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn many_workers_never_hold_the_same_item() {
        let queue: WorkQueue<u32> = WorkQueue::new();
        let held = Arc::new(Mutex::new(HashSet::new()));
        let overlaps = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..8)
            .map(|_| {
                let (queue, held, overlaps) = (queue.clone(), held.clone(), overlaps.clone());
                tokio::spawn(async move {
                    while let Some(item) = queue.get().await {
                        if !held.lock().expect("lock").insert(item) {
                            overlaps.fetch_add(1, Ordering::AcqRel);
                        }
                        tokio::time::sleep(Duration::from_millis(u64::from(item % 7))).await;
                        held.lock().expect("lock").remove(&item);
                        queue.done(&item);
                    }
                })
            })
            .collect();
        for round in 0..50 {
            for item in 0..10 {
                queue.add(item);
            }
            tokio::time::sleep(Duration::from_millis(round % 3)).await;
        }
        queue.shut_down_with_drain().await;
        for worker in workers {
            worker.await.expect("joins");
        }
        assert_eq!(overlaps.load(Ordering::Acquire), 0);
    }
}
