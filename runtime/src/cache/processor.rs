//! The processor: fans an informer's notifications out to its handlers.
//!
//! Each handler gets a listener: an unbounded queue and a thread that calls the handler, one
//! notification at a time. Distributing only appends to queues, so the informer never waits
//! for a handler; a slow handler's backlog is its own queue's memory and delays nobody else
//! (client-go's `processorListener`, with a thread where Go has goroutines).

use std::collections::{HashSet, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::handler::{EventHandler, Notification};

/// The shortest resync period a handler can ask for (client-go's `minimumResyncPeriod`).
pub const MINIMUM_RESYNC_PERIOD: Duration = Duration::from_secs(1);

/// One handler's queue and thread.
pub struct Listener<K> {
    id: u64,
    queue: Mutex<Queue<K>>,
    wake: Condvar,
    resync_period: Option<Duration>,
    next_resync: Mutex<Instant>,
    /// Initial-list notifications queued but not yet handled.
    pending_initial: AtomicUsize,
    thread: Mutex<Option<JoinHandle<()>>>,
}

struct Queue<K> {
    items: VecDeque<Notification<K>>,
    closed: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<K: Send + Sync + 'static> Listener<K> {
    /// A listener calling `handler` on a thread named `name`.
    fn start(id: u64, name: &str, handler: Arc<dyn EventHandler<K>>, resync_period: Option<Duration>) -> Arc<Self> {
        let listener = Arc::new(Listener {
            id,
            queue: Mutex::new(Queue { items: VecDeque::new(), closed: false }),
            wake: Condvar::new(),
            resync_period,
            next_resync: Mutex::new(Instant::now() + resync_period.unwrap_or_default()),
            pending_initial: AtomicUsize::new(0),
            thread: Mutex::new(None),
        });
        let runner = listener.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("handler-{name}-{id}"))
            .spawn(move || runner.run(handler.as_ref()));
        match spawned {
            Ok(thread) => *lock(&listener.thread) = Some(thread),
            Err(error) => tracing::error!("cannot start the thread of handler {id} of {name}: {error}"),
        }
        listener
    }

    fn run(&self, handler: &dyn EventHandler<K>) {
        loop {
            let notification = {
                let mut queue = lock(&self.queue);
                loop {
                    if queue.closed {
                        return;
                    }
                    if let Some(notification) = queue.items.pop_front() {
                        break notification;
                    }
                    queue = self.wake.wait(queue).unwrap_or_else(PoisonError::into_inner);
                }
            };
            let delivered = std::panic::catch_unwind(AssertUnwindSafe(|| notification.deliver(handler)));
            if let Err(panic) = delivered {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|text| (*text).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(handler = self.id, "an event handler panicked: {message}");
            }
            if matches!(notification, Notification::Add { initial: true, .. }) {
                self.pending_initial.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }

    /// Appends a notification; never waits.
    pub fn push(&self, notification: Notification<K>) {
        if matches!(notification, Notification::Add { initial: true, .. }) {
            self.pending_initial.fetch_add(1, Ordering::AcqRel);
        }
        lock(&self.queue).items.push_back(notification);
        self.wake.notify_one();
    }

    /// Stops the thread after the notification it is handling; what is queued is dropped.
    fn close(&self) {
        lock(&self.queue).closed = true;
        self.wake.notify_all();
    }

    fn join(&self) {
        if let Some(thread) = lock(&self.thread).take()
            && thread.thread().id() != std::thread::current().id()
        {
            let _ = thread.join();
        }
    }

    /// Notifications waiting for the handler.
    pub fn backlog(&self) -> usize {
        lock(&self.queue).items.len()
    }

    /// Whether every initial-list notification has been handled.
    pub fn initial_list_handled(&self) -> bool {
        self.pending_initial.load(Ordering::Acquire) == 0
    }

    /// The listener's id.
    pub fn id(&self) -> u64 {
        self.id
    }
}

/// The listeners of one informer.
pub struct Processor<K> {
    name: String,
    listeners: RwLock<Vec<Arc<Listener<K>>>>,
    next_id: AtomicU64,
    /// Listeners due for resync in the current round: only they get Sync updates.
    resyncing: Mutex<HashSet<u64>>,
}

impl<K: Send + Sync + 'static> Processor<K> {
    /// A processor without listeners; `name` names the handler threads.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.replace('/', "-"),
            listeners: RwLock::new(Vec::new()),
            next_id: AtomicU64::new(1),
            resyncing: Mutex::new(HashSet::new()),
        }
    }

    /// Starts a listener for `handler`, fed first with `initial` notifications, and adds it.
    pub fn add(
        &self,
        handler: Arc<dyn EventHandler<K>>,
        resync_period: Option<Duration>,
        initial: Vec<Notification<K>>,
    ) -> Arc<Listener<K>> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let resync_period = resync_period.filter(|period| !period.is_zero()).map(|p| p.max(MINIMUM_RESYNC_PERIOD));
        let listener = Listener::start(id, &self.name, handler, resync_period);
        for notification in initial {
            listener.push(notification);
        }
        self.listeners.write().unwrap_or_else(PoisonError::into_inner).push(listener.clone());
        listener
    }

    /// Removes and stops a listener; true if it was there.
    pub fn remove(&self, id: u64) -> bool {
        let removed = {
            let mut listeners = self.listeners.write().unwrap_or_else(PoisonError::into_inner);
            let position = listeners.iter().position(|listener| listener.id == id);
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

    /// Hands a notification to every listener (for a sync, only to those due for resync).
    pub fn distribute(&self, notification: &Notification<K>, sync: bool) {
        let listeners = self.listeners.read().unwrap_or_else(PoisonError::into_inner);
        if sync {
            let resyncing = lock(&self.resyncing);
            for listener in listeners.iter().filter(|listener| resyncing.contains(&listener.id)) {
                listener.push(notification.clone());
            }
        } else {
            for listener in listeners.iter() {
                listener.push(notification.clone());
            }
        }
    }

    /// Marks the listeners whose resync period has elapsed at `now` as due; true if any is.
    pub fn should_resync(&self, now: Instant) -> bool {
        let listeners = self.listeners.read().unwrap_or_else(PoisonError::into_inner);
        let mut resyncing = lock(&self.resyncing);
        resyncing.clear();
        for listener in listeners.iter() {
            let Some(period) = listener.resync_period else { continue };
            let mut next = lock(&listener.next_resync);
            if now >= *next {
                resyncing.insert(listener.id);
                *next = now + period;
            }
        }
        !resyncing.is_empty()
    }

    /// The shortest resync period of any listener.
    pub fn shortest_resync_period(&self) -> Option<Duration> {
        let listeners = self.listeners.read().unwrap_or_else(PoisonError::into_inner);
        listeners.iter().filter_map(|listener| listener.resync_period).min()
    }

    /// The number of listeners.
    pub fn len(&self) -> usize {
        self.listeners.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether there is no listener.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stops every listener and waits for their threads.
    pub fn stop(&self) {
        let listeners: Vec<_> = self.listeners.write().unwrap_or_else(PoisonError::into_inner).drain(..).collect();
        for listener in &listeners {
            listener.close();
        }
        for listener in &listeners {
            listener.join();
        }
    }
}
