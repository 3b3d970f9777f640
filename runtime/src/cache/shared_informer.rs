//! `SharedIndexInformer`: one reflector and one cache shared by any number of handlers.
//!
//! Three kinds of tasks run once started: the reflector (list and watch into the
//! [`DeltaFifo`]), the consumer (pops items, applies them to the [`Store`], hands
//! notifications to the [`Processor`]) and, with resync periods, a resync timer; with
//! [`InformerOptions::reflector_thread`] the reflector is polled on a thread of its own (see
//! `pinned`). Handlers run on the process's handler threads (synchronous ones) or on tokio
//! tasks (async ones), each with its own queue; subscribers poll a stream with its own buffer
//! (see [`listener`](super::listener)).
//!
//! The consumer pops an item (the FIFO's lock is held only to take it out), then applies it
//! and distributes the notifications under the informer's own processing lock. Adding a
//! handler or a subscriber takes the same lock, snapshots the store and queues it to the new
//! listener as initial adds: a late handler sees exactly the cache at that moment, then every
//! change after it, with nothing missed or doubled. The reflector never waits for either lock.
//!
//! Contract (as client-go's): the cache converges to the server's state; each object's
//! notifications arrive in order, but intermediate states may be skipped (a churning object
//! reaches handlers as its newest state), and there is no order across objects. A relist
//! notifies only what changed. Resyncs replay the cache as it is when the resync is reached in
//! the queue, to the handlers that asked for resyncs and are due (see
//! [`delta_fifo`](super::delta_fifo)). [`last_sync_resource_version`] only moves forward and
//! is never ahead of what the handlers were given.
//!
//! [`last_sync_resource_version`]: SharedIndexInformer::last_sync_resource_version

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::delta::{Delta, DeltaObject, DeltaType, Tombstone};
use super::delta_fifo::{DeltaFifo, Popped, ReplaceBatch, ResyncRound};
use super::handler::{DeletedObject, EventHandler, Notification};
use super::index::{Indexers, default_indexers};
use super::key::object_key;
use super::listener::{AsyncHandlerFn, Listener};
use super::lister::Lister;
use super::listwatch::ListerWatcher;
use super::pinned::spawn_pinned;
use super::processor::Processor;
use super::reflector::{Reflector, ReflectorEvent, ReflectorOptions, Transform};
use super::stats::{InformerStats, StatCounters};
use super::store::{IndexError, Store};
use super::subscription::Subscription;
use crate::client::Error;
use crate::resource::Object;

/// The name of the threads reflectors run on (15 bytes: Linux's limit for a thread name).
const REFLECTOR_THREAD: &str = "kubegen-reflect";

/// Where an informer's initial sync stands.
#[derive(Clone, Debug)]
pub enum SyncState {
    /// Not started, or the first list has not arrived.
    Pending,
    /// The first list failed with this error; the reflector keeps retrying.
    Failing(Arc<Error>),
    /// The cache holds the whole first list.
    Synced,
    /// The informer was shut down before it synced.
    Stopped,
}

/// Why an informer did not sync.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Listing failed with an error that retrying will not fix (401, 403, 404, 405).
    #[error("listing {resource} failed: {source}")]
    Failed {
        /// What was listed.
        resource: String,
        /// The error.
        #[source]
        source: Arc<Error>,
    },
    /// The wait timed out; `last_error` is the last failure, if any.
    #[error("{resource} did not sync in {timeout:?}{}", last_error.as_ref().map(|error| format!(" (last error: {error})")).unwrap_or_default())]
    Timeout {
        /// What was listed.
        resource: String,
        /// The time waited.
        timeout: Duration,
        /// The last error.
        last_error: Option<Arc<Error>>,
    },
    /// The informer was shut down.
    #[error("the informer of {resource} was shut down before it synced")]
    Stopped {
        /// What was listed.
        resource: String,
    },
}

impl SyncError {
    /// Whether the error is `Failed` with this HTTP status.
    pub fn code(&self) -> Option<u16> {
        match self {
            SyncError::Failed { source, .. } => source.code(),
            _ => None,
        }
    }
}

/// A handler's registration: its sync state, its backlog, and the key to remove it.
pub struct HandlerRegistration<K> {
    listener: Arc<dyn Listener<K>>,
    informer_synced: Arc<AtomicBool>,
}

impl<K> Clone for HandlerRegistration<K> {
    fn clone(&self) -> Self {
        Self { listener: self.listener.clone(), informer_synced: self.informer_synced.clone() }
    }
}

impl<K> std::fmt::Debug for HandlerRegistration<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandlerRegistration").field("id", &self.listener.core().id()).finish_non_exhaustive()
    }
}

impl<K: Send + Sync + 'static> HandlerRegistration<K> {
    /// Whether the informer has synced and this handler has handled its initial list.
    pub fn has_synced(&self) -> bool {
        self.informer_synced.load(Ordering::Acquire) && self.listener.core().initial_list_handled()
    }

    /// Notifications waiting for this handler, plus the one it is handling: zero means the
    /// handler has handled everything it was given.
    pub fn backlog(&self) -> usize {
        self.listener.backlog()
    }
}

/// Options of an informer.
#[derive(Clone)]
pub struct InformerOptions<K> {
    /// How the reflector lists and watches.
    pub reflector: ReflectorOptions,
    /// Applied to every object before it is cached.
    pub transform: Option<Transform<K>>,
    /// Indexes besides the namespace index.
    pub indexers: Indexers<K>,
    /// Resync period of handlers added without their own (zero: none).
    pub default_resync: Duration,
    /// How long shutdown waits for handlers that are in the middle of a notification.
    pub shutdown_grace: Duration,
    /// On a multi-threaded runtime, poll the reflector (which decodes every object) on a
    /// thread of its own rather than as a task on the runtime's workers (default: off).
    ///
    /// With glibc's per-thread malloc arenas, a reflector task that moves between workers can
    /// decode the replacements of a churning cache in another arena than the one the old
    /// versions were freed into, and the cache grows; on its own thread it allocates in one
    /// arena. The price is two more thread wake-ups per watch event (the thread is woken by
    /// the connection's task and wakes the consumer task in turn). Off by default since the
    /// trade stopped paying: bench/'s controller workload (10,000 ConfigMaps, 40,000 updates)
    /// peaks at 38.2-38.4 MB without the thread against 39.5-39.7 MB with it, and spends
    /// 54 µs of CPU per watch event without it against 77 µs with it (1.0 against 2.5 context
    /// switches). Turn it on if a busy runtime makes an informer's memory grow under churn.
    pub reflector_thread: bool,
}

impl<K> Default for InformerOptions<K> {
    fn default() -> Self {
        Self {
            reflector: ReflectorOptions::default(),
            transform: None,
            indexers: Indexers::default(),
            default_resync: Duration::ZERO,
            shutdown_grace: Duration::from_secs(5),
            reflector_thread: false,
        }
    }
}

/// Called with each list or watch error.
pub type WatchErrorHandler = Arc<dyn Fn(&Error) + Send + Sync>;

struct Inner<K> {
    name: String,
    lister_watcher: Arc<dyn ListerWatcher<K>>,
    store: Arc<Store<K>>,
    fifo: Arc<DeltaFifo<K>>,
    processor: Arc<Processor<K>>,
    /// Held while a popped item is applied and distributed, and while a listener is added.
    processing: Mutex<()>,
    options: Mutex<InformerOptions<K>>,
    watch_error_handler: Mutex<Option<WatchErrorHandler>>,
    synced: Arc<AtomicBool>,
    sync_state: watch::Sender<SyncState>,
    stats: StatCounters,
    started: AtomicBool,
    shutdown: CancellationToken,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

/// A shared informer with an indexed cache. Cheap to clone; clones are the same informer.
pub struct SharedIndexInformer<K> {
    inner: Arc<Inner<K>>,
}

impl<K> Clone for SharedIndexInformer<K> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone() }
    }
}

impl<K> std::fmt::Debug for SharedIndexInformer<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedIndexInformer").field("name", &self.inner.name).finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<K: Object> SharedIndexInformer<K> {
    /// An informer of what `lister_watcher` lists, not started.
    pub fn new(lister_watcher: Arc<dyn ListerWatcher<K>>, options: InformerOptions<K>) -> Self {
        let name = lister_watcher.describe();
        let mut indexers = default_indexers::<K>();
        indexers.extend(options.indexers.clone());
        let (sync_state, _) = watch::channel(SyncState::Pending);
        Self {
            inner: Arc::new(Inner {
                processor: Arc::new(Processor::new(&name)),
                name,
                lister_watcher,
                store: Arc::new(Store::new(indexers)),
                fifo: Arc::new(DeltaFifo::new()),
                processing: Mutex::new(()),
                options: Mutex::new(options),
                watch_error_handler: Mutex::new(None),
                synced: Arc::new(AtomicBool::new(false)),
                sync_state,
                stats: StatCounters::default(),
                started: AtomicBool::new(false),
                shutdown: CancellationToken::new(),
                tasks: Mutex::new(Vec::new()),
            }),
        }
    }

    /// What the informer lists, for logs and errors.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The cache.
    pub fn store(&self) -> &Arc<Store<K>> {
        &self.inner.store
    }

    /// A lister over the cache.
    pub fn lister(&self) -> Lister<K> {
        Lister::new(self.inner.store.clone())
    }

    /// Adds indexes; allowed at any time, filled from what is cached.
    pub fn add_indexers(&self, indexers: Indexers<K>) -> Result<(), IndexError> {
        self.inner.store.add_indexers(indexers)
    }

    fn before_start(&self, what: &str) -> Result<(), Error> {
        if self.inner.started.load(Ordering::Acquire) {
            return Err(Error::InvalidRequest(format!("the informer of {} has started: {what}", self.inner.name)));
        }
        Ok(())
    }

    /// Sets the transform applied to every object before it is cached. Only before start:
    /// objects already cached would not have it applied.
    pub fn set_transform(&self, transform: impl Fn(K) -> K + Send + Sync + 'static) -> Result<(), Error> {
        self.before_start("a transform must be set before")?;
        lock(&self.inner.options).transform = Some(Arc::new(transform));
        Ok(())
    }

    /// Sets how this informer's reflector lists and watches (page size, streaming lists,
    /// watch timeouts, backoff). Only before start.
    pub fn set_reflector_options(&self, options: ReflectorOptions) -> Result<(), Error> {
        self.before_start("reflector options must be set before")?;
        lock(&self.inner.options).reflector = options;
        Ok(())
    }

    /// Sets a function called with every list and watch error (they are also logged).
    pub fn set_watch_error_handler(&self, handler: impl Fn(&Error) + Send + Sync + 'static) {
        *lock(&self.inner.watch_error_handler) = Some(Arc::new(handler));
    }

    /// Adds a listener with `add`, given the processor and the cache as initial adds if the
    /// informer has synced (before, the first list will reach the new listener as initial
    /// adds). Both happen under the processing lock, so that no notification is distributed
    /// between the cache's copy and the listener's registration: it sees each change once.
    fn add_listener<T>(&self, add: impl FnOnce(&Processor<K>, Vec<Notification<K>>) -> T) -> T {
        let _processing = lock(&self.inner.processing);
        let initial = if self.inner.synced.load(Ordering::Acquire) {
            self.inner.store.list().into_iter().map(|object| Notification::Add { object, initial: true }).collect()
        } else {
            Vec::new()
        };
        add(&self.inner.processor, initial)
    }

    fn registration(&self, listener: Arc<dyn Listener<K>>) -> HandlerRegistration<K> {
        HandlerRegistration { listener, informer_synced: self.inner.synced.clone() }
    }

    /// Adds a handler with the informer's default resync period. Added after the informer
    /// synced, the handler first receives every cached object as an initial add.
    pub fn add_event_handler(&self, handler: impl EventHandler<K>) -> HandlerRegistration<K> {
        let period = lock(&self.inner.options).default_resync;
        self.add_event_handler_with_resync(handler, period)
    }

    /// Adds a handler that also receives every cached object as an update (old = new) each
    /// `resync` (zero: never; at least one second). A resync replays the cache; it does not
    /// contact the server.
    pub fn add_event_handler_with_resync(
        &self,
        handler: impl EventHandler<K>,
        resync: Duration,
    ) -> HandlerRegistration<K> {
        let handler: Arc<dyn EventHandler<K>> = Arc::new(handler);
        self.registration(self.add_listener(|processor, initial| processor.add(handler, Some(resync), initial)))
    }

    /// Adds a handler that the informer calls itself as it distributes each notification,
    /// with no queue and no thread's wake-up in between: for handlers that only hand work on
    /// (a controller's enqueue and the mappings of its `owns` and `watches`). It must not
    /// block: it delays the cache's updates and every other handler.
    pub(crate) fn add_inline_event_handler(&self, handler: impl EventHandler<K>) -> HandlerRegistration<K> {
        let period = lock(&self.inner.options).default_resync;
        self.add_inline_event_handler_with_resync(handler, period)
    }

    /// [`add_inline_event_handler`](Self::add_inline_event_handler) with a resync period.
    pub(crate) fn add_inline_event_handler_with_resync(
        &self,
        handler: impl EventHandler<K>,
        resync: Duration,
    ) -> HandlerRegistration<K> {
        let handler: Arc<dyn EventHandler<K>> = Arc::new(handler);
        self.registration(self.add_listener(|processor, initial| processor.add_inline(handler, Some(resync), initial)))
    }

    /// Adds an async handler: `handler` is called with each notification and its future is
    /// awaited before the next one, on a task of the current tokio runtime. A panic in the
    /// future is caught and logged. Errors only when called outside a tokio runtime.
    pub fn add_async_event_handler<F, Fut>(&self, handler: F) -> Result<HandlerRegistration<K>, Error>
    where
        F: Fn(Notification<K>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let period = lock(&self.inner.options).default_resync;
        self.add_async_event_handler_with_resync(handler, period)
    }

    /// [`add_async_event_handler`](Self::add_async_event_handler) with a resync period.
    pub fn add_async_event_handler_with_resync<F, Fut>(
        &self,
        handler: F,
        resync: Duration,
    ) -> Result<HandlerRegistration<K>, Error>
    where
        F: Fn(Notification<K>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::InvalidRequest(format!(
                "an async handler of {} must be added inside a tokio runtime",
                self.inner.name
            ))
        })?;
        let handler: AsyncHandlerFn<K> = Arc::new(move |notification| Box::pin(handler(notification)));
        let listener =
            self.add_listener(|processor, initial| processor.add_async(handler, Some(resync), initial, &runtime));
        Ok(self.registration(listener))
    }

    /// The informer's notifications as a stream with a buffer of its own, unbounded. After
    /// the informer synced, the stream starts with the cache as initial adds.
    pub fn subscribe(&self) -> Subscription<K> {
        self.subscribe_with_capacity(None)
    }

    /// [`subscribe`](Self::subscribe) with a capped buffer: when `capacity` notifications are
    /// waiting and another comes, the subscription ends (see [`Subscription::overflowed`]).
    pub fn subscribe_with_capacity(&self, capacity: Option<usize>) -> Subscription<K> {
        let listener = self.add_listener(|processor, initial| processor.add_subscriber(capacity, initial));
        Subscription::new(listener, Arc::downgrade(&self.inner.processor))
    }

    /// Removes a handler: its queued notifications are dropped; one it is handling finishes.
    pub fn remove_event_handler(&self, registration: &HandlerRegistration<K>) -> bool {
        self.inner.processor.remove(registration.listener.core().id())
    }

    /// Whether the cache holds the whole first list.
    pub fn has_synced(&self) -> bool {
        self.inner.synced.load(Ordering::Acquire)
    }

    /// The resourceVersion the cache has reached: every change up to it is in the cache and
    /// was handed to the handlers. It only moves forward.
    pub fn last_sync_resource_version(&self) -> String {
        self.inner.store.resource_version()
    }

    /// What the reflector has done so far: lists, 410s, failures, watches, events.
    pub fn stats(&self) -> InformerStats {
        self.inner.stats.snapshot()
    }

    /// Notifications waiting for handlers and subscribers, summed (each listener's backlog
    /// counts the notification it is handling).
    pub fn handler_backlog(&self) -> usize {
        self.inner.processor.backlog()
    }

    /// The current sync state.
    pub fn sync_state(&self) -> SyncState {
        self.inner.sync_state.borrow().clone()
    }

    /// Whether the informer was shut down.
    pub fn is_stopped(&self) -> bool {
        self.inner.shutdown.is_cancelled()
    }

    /// Starts the reflector, the consumer and the resync timer on the current tokio runtime
    /// (with [`InformerOptions::reflector_thread`] on a multi-threaded runtime, the reflector
    /// is polled on a thread of its own). Starting twice does nothing.
    pub fn start(&self) {
        if self.inner.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let options = lock(&self.inner.options).clone();
        let mut tasks = lock(&self.inner.tasks);

        let inner = self.inner.clone();
        let observer = Arc::new(move |event: ReflectorEvent<'_>| inner.observe(event));
        let reflector =
            Reflector::new(self.inner.lister_watcher.clone(), self.inner.fifo.clone(), options.reflector.clone())
                .with_transform(options.transform.clone())
                .with_observer(observer);
        // On a thread of its own if asked, so that the objects it decodes come from one malloc
        // arena (see `pinned`); as a task by default, which the connection's task wakes on the
        // same worker (bench/'s controller workload: 1.0 context switch per watch event rather
        // than 2.5).
        let run = reflector.run(self.inner.shutdown.clone());
        tasks.push(if options.reflector_thread { spawn_pinned(REFLECTOR_THREAD, run) } else { tokio::spawn(run) });

        let inner = self.inner.clone();
        tasks.push(tokio::spawn(async move { inner.consume().await }));

        let inner = self.inner.clone();
        tasks.push(tokio::spawn(async move { inner.resync_timer().await }));
    }

    /// Waits until the cache holds the whole first list. Errors that retrying will not fix
    /// (401, 403, 404, 405) end the wait with that error, naming the resource; other errors
    /// are retried with backoff while the wait goes on.
    pub async fn wait_for_sync(&self) -> Result<(), SyncError> {
        let mut state = self.inner.sync_state.subscribe();
        loop {
            let current = state.borrow_and_update().clone();
            match current {
                SyncState::Synced => return Ok(()),
                SyncState::Stopped => return Err(SyncError::Stopped { resource: self.inner.name.clone() }),
                SyncState::Failing(error) if is_permanent(&error) => {
                    return Err(SyncError::Failed { resource: self.inner.name.clone(), source: error });
                }
                SyncState::Pending | SyncState::Failing(_) => {}
            }
            if state.changed().await.is_err() {
                return Err(SyncError::Stopped { resource: self.inner.name.clone() });
            }
        }
    }

    /// [`wait_for_sync`](Self::wait_for_sync), giving up after `timeout`.
    pub async fn wait_for_sync_timeout(&self, timeout: Duration) -> Result<(), SyncError> {
        match tokio::time::timeout(timeout, self.wait_for_sync()).await {
            Ok(result) => result,
            Err(_) => Err(SyncError::Timeout {
                resource: self.inner.name.clone(),
                timeout,
                last_error: match self.sync_state() {
                    SyncState::Failing(error) => Some(error),
                    _ => None,
                },
            }),
        }
    }

    /// Stops the reflector, the consumer and the timer, and every handler: queued
    /// notifications are dropped, and handlers in the middle of one get the informer's
    /// shutdown grace (5 s by default) to finish. Returns within about that grace even when a
    /// handler blocks.
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        self.inner.fifo.close();
        let tasks: Vec<JoinHandle<()>> = lock(&self.inner.tasks).drain(..).collect();
        for task in tasks {
            let _ = task.await;
        }
        let grace = lock(&self.inner.options).shutdown_grace;
        self.inner.processor.stop(grace).await;
        self.inner.sync_state.send_if_modified(|state| match state {
            SyncState::Synced => false,
            _ => {
                *state = SyncState::Stopped;
                true
            }
        });
    }
}

/// Errors a retry will not fix: the initial sync reports them instead of waiting.
fn is_permanent(error: &Error) -> bool {
    matches!(error.code(), Some(401 | 403 | 404 | 405))
}

impl<K: Object> Inner<K> {
    fn observe(&self, event: ReflectorEvent<'_>) {
        self.stats.record(&event);
        if let ReflectorEvent::Failed { error, before_first_list } = event {
            if let Some(handler) = lock(&self.watch_error_handler).clone() {
                handler(error);
            }
            if before_first_list && !self.synced.load(Ordering::Acquire) {
                let error = Arc::new(error.summary());
                self.sync_state.send_replace(SyncState::Failing(error));
            }
        }
    }

    /// Pops the FIFO until it is closed, applying each item outside the FIFO's lock.
    async fn consume(&self) {
        while let Some(popped) = self.fifo.pop().await {
            let _processing = lock(&self.processing);
            self.process(popped);
        }
    }

    fn process(&self, popped: Popped<K>) {
        match popped {
            Popped::Deltas { key, deltas } => {
                for delta in deltas {
                    self.apply(&key, delta);
                }
            }
            Popped::Replace(batch) => self.replace(batch),
            Popped::Progress(version) => self.store.advance_resource_version(&version),
            Popped::Resync(round) => self.resync(&round),
        }
    }

    fn apply(&self, key: &str, delta: Delta<K>) {
        match delta.kind {
            DeltaType::Added | DeltaType::Updated => {
                let object = delta.object.object().clone();
                match self.store.insert(key.to_owned(), object.clone()) {
                    Some(old) => self.processor.distribute(&Notification::Update { old, new: object }, None),
                    None => self.processor.distribute(&Notification::Add { object, initial: false }, None),
                }
            }
            DeltaType::Deleted => {
                // A deletion of an object the cache does not have is news to nobody.
                if self.store.remove(key).is_some() {
                    let deleted = match delta.object {
                        DeltaObject::Object(object) => DeletedObject::Object(object),
                        DeltaObject::Tombstone(tombstone) => DeletedObject::Tombstone(tombstone),
                    };
                    self.processor.distribute(&Notification::Delete(deleted), None);
                }
            }
        }
    }

    /// A relist: diff against the cache, swap the cache's content, then notify (deletions
    /// first, as client-go's atomic FIFO does). Objects the relist found unchanged are news to
    /// nobody.
    fn replace(&self, batch: ReplaceBatch<K>) {
        let initial = !self.synced.load(Ordering::Acquire);
        let mut items: HashMap<String, Arc<K>> = HashMap::with_capacity(batch.objects.len());
        let mut notifications = Vec::with_capacity(if initial { batch.objects.len() } else { 0 });
        for object in batch.objects {
            let key = object_key(object.as_ref());
            match self.store.get(&key) {
                Some(old) if same_version(old.as_ref(), object.as_ref()) => {}
                Some(old) => notifications.push(Notification::Update { old, new: object.clone() }),
                None => notifications.push(Notification::Add { object: object.clone(), initial }),
            }
            items.insert(key, object);
        }
        let mut deletions = Vec::new();
        for old in self.store.list() {
            let key = object_key(old.as_ref());
            if !items.contains_key(&key) {
                let tombstone = Tombstone { key, last_known: old };
                deletions.push(Notification::Delete(DeletedObject::Tombstone(tombstone)));
            }
        }
        self.store.replace(items, &batch.resource_version);
        for notification in deletions.iter().chain(&notifications) {
            self.processor.distribute(notification, None);
        }
        if initial {
            self.synced.store(true, Ordering::Release);
            self.sync_state.send_replace(SyncState::Synced);
            tracing::debug!("{}: synced {} objects", self.name, self.store.len());
        }
    }

    /// Replays the cache as it is now to the handlers of `round`, except objects with deltas
    /// still queued (those reach every handler anyway, newer).
    fn resync(&self, round: &ResyncRound) {
        for object in self.store.list() {
            if self.fifo.is_queued(&object_key(object.as_ref())) {
                continue;
            }
            self.processor.distribute(&Notification::Update { old: object.clone(), new: object }, Some(round));
        }
    }

    /// Every `resync check period`, queues a resync for the handlers that are due.
    async fn resync_timer(&self) {
        let check = lock(&self.options).default_resync;
        loop {
            let period = match (self.processor.shortest_resync_period(), check) {
                (Some(period), _) => period,
                (None, check) if !check.is_zero() => check,
                _ => Duration::from_secs(1),
            };
            tokio::select! {
                () = self.shutdown.cancelled() => return,
                () = tokio::time::sleep(period) => {}
            }
            if self.synced.load(Ordering::Acquire)
                && let Some(round) = self.processor.due_for_resync(Instant::now())
            {
                self.fifo.resync(round);
            }
        }
    }
}

fn same_version<K: Object>(old: &K, new: &K) -> bool {
    match (old.metadata().resource_version(), new.metadata().resource_version()) {
        (Some(old), Some(new)) => old == new,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::cache::handler::HandlerFns;
    use crate::cache::testing::{End, Scripted, Thing, api_error, expired_event, list, thing};
    use crate::watch::WatchEvent;

    /// A handler that records what it sees as `add a`, `update a v1->v2`, `delete b (tombstone)`.
    #[derive(Clone, Default)]
    struct Recorder {
        seen: Arc<Mutex<Vec<String>>>,
        delay: Duration,
    }

    impl Recorder {
        fn seen(&self) -> Vec<String> {
            self.seen.lock().expect("lock").clone()
        }

        async fn wait_for(&self, count: usize) -> Vec<String> {
            for _ in 0..500 {
                if self.seen().len() >= count {
                    return self.seen();
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("expected {count} notifications, got {:?}", self.seen());
        }
    }

    impl EventHandler<Thing> for Recorder {
        fn on_add(&self, object: &Arc<Thing>, initial: bool) {
            std::thread::sleep(self.delay);
            let initial = if initial { " (initial)" } else { "" };
            self.seen.lock().expect("lock").push(format!("add {}{initial}", object.metadata.name()));
        }

        fn on_update(&self, old: &Arc<Thing>, new: &Arc<Thing>) {
            std::thread::sleep(self.delay);
            self.seen.lock().expect("lock").push(format!(
                "update {} {}->{}",
                new.metadata.name(),
                old.value,
                new.value
            ));
        }

        fn on_delete(&self, object: &DeletedObject<Thing>) {
            std::thread::sleep(self.delay);
            let tombstone = if object.is_tombstone() { " (tombstone)" } else { "" };
            self.seen.lock().expect("lock").push(format!("delete {}{tombstone}", object.object().metadata.name()));
        }
    }

    fn informer(script: &Scripted) -> SharedIndexInformer<Thing> {
        SharedIndexInformer::new(Arc::new(script.clone()), InformerOptions::default())
    }

    #[tokio::test]
    async fn handlers_see_changes_and_relists_reach_them_as_one_diff() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![thing("ns", "a", 5, "a0"), thing("ns", "b", 6, "b0")], None)));
        script.watch(
            vec![
                WatchEvent::Modified(thing("ns", "a", 11, "a1")),
                WatchEvent::Added(thing("ns", "c", 12, "c0")),
                expired_event(),
            ],
            End::Hang,
        );
        // While the watch was down: b was deleted, a changed, c is unchanged.
        script.list(Ok(list(20, vec![thing("ns", "a", 15, "a2"), thing("ns", "c", 12, "c0")], None)));
        let informer = informer(&script);
        let recorder = Recorder::default();
        let registration = informer.add_event_handler(recorder.clone());
        informer.start();
        informer.wait_for_sync().await.expect("syncs");
        let seen = recorder.wait_for(6).await;
        assert_eq!(
            seen,
            [
                "add a (initial)",
                "add b (initial)",
                "update a a0->a1",
                "add c",
                "delete b (tombstone)",
                "update a a1->a2",
            ],
            "c is unchanged by the relist, so no handler hears about it"
        );
        assert!(registration.has_synced());
        let names: Vec<String> = informer.store().keys();
        assert_eq!(names.len(), 2);
        assert_eq!(informer.last_sync_resource_version(), "20");
        informer.shutdown().await;
    }

    #[tokio::test]
    async fn a_slow_handler_does_not_delay_another() {
        let script = Scripted::default();
        let things: Vec<Thing> = (0..20).map(|i| thing("ns", &format!("t{i:02}"), i, "")).collect();
        script.list(Ok(list(100, things, None)));
        let informer = informer(&script);
        let slow = Recorder { delay: Duration::from_millis(100), ..Recorder::default() };
        let fast = Recorder::default();
        informer.add_event_handler(slow.clone());
        let fast_registration = informer.add_event_handler(fast.clone());
        let started = std::time::Instant::now();
        informer.start();
        fast.wait_for(20).await;
        let fast_done = started.elapsed();
        // The slow handler needs 2 s for its 20 events; held back by it, the fast one would
        // finish with it. Half that is the bound: the handler pool is shared with the other
        // tests of this binary, some of which block its threads on purpose.
        assert!(fast_done < Duration::from_secs(1), "the fast handler took {fast_done:?}");
        assert!(slow.seen().len() < 20, "the slow one is still working: {}", slow.seen().len());
        assert!(fast_registration.has_synced());
        slow.wait_for(20).await;
        informer.shutdown().await;
    }

    #[tokio::test]
    async fn a_late_handler_receives_the_cache_then_changes() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![thing("ns", "a", 5, "a0"), thing("", "cluster-thing", 6, "x")], None)));
        let informer = informer(&script);
        informer.start();
        informer.wait_for_sync().await.expect("syncs");
        let late = Recorder::default();
        let registration = informer.add_event_handler(late.clone());
        let mut seen = late.wait_for(2).await;
        seen.sort();
        assert_eq!(seen, ["add a (initial)", "add cluster-thing (initial)"]);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(registration.has_synced());
        assert!(informer.remove_event_handler(&registration));
        assert!(!informer.remove_event_handler(&registration));
        informer.shutdown().await;
    }

    #[tokio::test]
    async fn resyncs_replay_the_cache_to_handlers_that_asked_for_them() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![thing("ns", "a", 5, "a0")], None)));
        let informer = informer(&script);
        let resyncing = Recorder::default();
        let quiet = Recorder::default();
        informer.add_event_handler_with_resync(resyncing.clone(), Duration::from_secs(1));
        informer.add_event_handler(quiet.clone());
        informer.start();
        let seen = resyncing.wait_for(3).await;
        assert_eq!(seen[..3], ["add a (initial)", "update a a0->a0", "update a a0->a0"]);
        assert_eq!(quiet.seen(), ["add a (initial)"]);
        informer.shutdown().await;
    }

    #[tokio::test]
    async fn transforms_and_indexes_shape_the_cache() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![thing("ns", "a", 5, "red"), thing("ns", "b", 6, "blue")], None)));
        let informer = informer(&script);
        informer
            .set_transform(|mut thing: Thing| {
                thing.value = thing.value.to_uppercase();
                thing
            })
            .expect("before start");
        informer
            .add_indexers(Indexers::from([(
                "value".to_owned(),
                crate::cache::index::index_fn(|thing: &Thing| vec![thing.value.clone()]),
            )]))
            .expect("indexes");
        informer.start();
        informer.wait_for_sync().await.expect("syncs");
        assert!(informer.set_transform(|thing| thing).is_err(), "too late");
        let red = informer.lister().by_index("value", "RED").expect("index");
        assert_eq!(red.len(), 1);
        assert_eq!(informer.lister().namespace("ns").get("b").map(|b| b.value.clone()).as_deref(), Some("BLUE"));
        informer.shutdown().await;
    }

    #[tokio::test]
    async fn a_forbidden_list_ends_the_wait_for_sync_with_the_error() {
        let script = Scripted::default();
        script.list(Err(api_error(403, "Forbidden")));
        let informer = informer(&script);
        let errors = Arc::new(Mutex::new(Vec::new()));
        let recorded = errors.clone();
        informer.set_watch_error_handler(move |error| recorded.lock().expect("lock").push(error.to_string()));
        informer.start();
        let error = informer.wait_for_sync_timeout(Duration::from_secs(10)).await.expect_err("forbidden");
        assert_eq!(error.code(), Some(403));
        assert!(error.to_string().contains("listing things failed"), "{error}");
        assert_eq!(errors.lock().expect("lock").len(), 1);
        informer.shutdown().await;
        assert!(informer.is_stopped());
    }

    #[tokio::test]
    async fn closures_are_handlers() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![thing("ns", "a", 5, "a0")], None)));
        let informer = informer(&script);
        let added = Arc::new(Mutex::new(Vec::new()));
        let sink = added.clone();
        informer.add_event_handler(
            HandlerFns::new().on_add(move |thing: &Arc<Thing>, _| sink.lock().expect("lock").push(thing.value.clone())),
        );
        informer.start();
        informer.wait_for_sync().await.expect("syncs");
        for _ in 0..100 {
            if !added.lock().expect("lock").is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(*added.lock().expect("lock"), ["a0"]);
        informer.shutdown().await;
    }

    /// Waits (real time) until `condition` holds, at most 20 s.
    async fn eventually(what: &str, condition: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !condition() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// One run of the resync race of the informer-faults issue: a resync timer firing while a
    /// relist waits in the queue behind slow work. Returns the wrong keys: cached keys or
    /// versions that differ from the relist, and objects the relist deleted that a handler was
    /// told about again afterwards.
    async fn resync_race_run() -> Vec<String> {
        let script = Scripted::default();
        let initial: Vec<Thing> = (0..20).map(|i| thing("ns", &format!("k{i:02}"), i + 1, "v1")).collect();
        script.list(Ok(list(100, initial, None)));
        let mut changes: Vec<WatchEvent<Thing>> =
            (0..20).map(|i| WatchEvent::Modified(thing("ns", &format!("k{i:02}"), 101 + i, "v2"))).collect();
        changes.push(expired_event());
        script.watch(changes, End::Hang);
        // The relist: k00..k03 are gone, the others changed again.
        let relisted: Vec<Thing> = (4..20).map(|i| thing("ns", &format!("k{i:02}"), 150 + i, "v3")).collect();
        script.list(Ok(list(200, relisted, None)));
        let informer = SharedIndexInformer::new(
            Arc::new(script.clone()),
            InformerOptions {
                indexers: Indexers::from([(
                    "slow".to_owned(),
                    crate::cache::index::index_fn(|thing: &Thing| {
                        std::thread::sleep(Duration::from_millis(25));
                        vec![thing.value.clone()]
                    }),
                )]),
                ..InformerOptions::default()
            },
        );
        let resyncing = Recorder::default();
        let plain = Recorder::default();
        informer.add_event_handler_with_resync(resyncing.clone(), Duration::from_secs(1));
        informer.add_event_handler(plain.clone());
        informer.start();
        // The relist is applied; let two more resync rounds (16 objects each) run after it,
        // waited for rather than slept for: a hundred runs share two cores.
        eventually("the relist", || informer.last_sync_resource_version() == "200").await;
        let resyncs = || resyncing.seen().iter().filter(|line| line.ends_with("v3->v3")).count();
        let before = resyncs();
        eventually("two resync rounds after the relist", || resyncs() >= before + 32).await;
        informer.shutdown().await;

        let mut wrong = Vec::new();
        let mut keys = informer.store().keys();
        keys.sort();
        let expected: Vec<String> = (4..20).map(|i| format!("ns/k{i:02}")).collect();
        if keys != expected {
            wrong.push(format!("keys {keys:?}"));
        }
        for object in informer.store().list() {
            let version: u64 = object.metadata.resource_version().and_then(|v| v.parse().ok()).unwrap_or(0);
            if object.value != "v3" || version < 150 {
                wrong.push(format!("{} at {version} = {}", object.metadata.name(), object.value));
            }
        }
        for recorder in [&resyncing, &plain] {
            let seen = recorder.seen();
            for gone in ["k00", "k01", "k02", "k03"] {
                let deleted_at = seen.iter().position(|line| line.starts_with(&format!("delete {gone}")));
                let told_again = deleted_at.is_some_and(|at| {
                    seen[at..].iter().any(|line| line.contains(&format!(" {gone}")) && !line.starts_with("delete"))
                });
                if deleted_at.is_none() || told_again {
                    wrong.push(format!("{gone}: {seen:?}"));
                }
            }
        }
        if plain.seen().iter().any(|line| line.starts_with("update") && line.ends_with("v3->v3")) {
            wrong.push("a resync reached a handler without a resync period".into());
        }
        if !resyncing.seen().iter().any(|line| line.ends_with("v3->v3")) {
            wrong.push("no resync reached the handler that asked for them".into());
        }
        wrong
    }

    /// The informer-faults issue's resync race, 100 times (in parallel: each run waits on
    /// timers, and a run's slow index blocks one runtime thread of its own).
    #[test]
    fn a_resync_during_a_pending_relist_neither_resurrects_nor_reverts() {
        let runs: Vec<Vec<String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..100)
                .map(|_| {
                    scope.spawn(|| {
                        let runtime = tokio::runtime::Builder::new_multi_thread()
                            .worker_threads(2)
                            .enable_all()
                            .build()
                            .expect("runtime");
                        runtime.block_on(resync_race_run())
                    })
                })
                .collect();
            handles.into_iter().map(|handle| handle.join().expect("joins")).collect()
        });
        let failed: Vec<&Vec<String>> = runs.iter().filter(|wrong| !wrong.is_empty()).collect();
        assert!(failed.is_empty(), "{} of 100 runs had wrong keys; first: {:?}", failed.len(), failed.first());
    }

    #[tokio::test]
    async fn last_sync_resource_version_never_goes_back_nor_runs_ahead_of_the_cache() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![], None)));
        let mut events = Vec::new();
        for i in 0..60u64 {
            events.push(WatchEvent::Added(thing("ns", &format!("k{}", i % 20), 11 + i, &format!("v{}", 11 + i))));
            if i % 10 == 9 {
                events.push(crate::cache::testing::bookmark(11 + i, false));
            }
        }
        script.watch(events, End::Hang);
        let informer = SharedIndexInformer::new(
            Arc::new(script.clone()),
            InformerOptions {
                indexers: Indexers::from([(
                    "slow".to_owned(),
                    crate::cache::index::index_fn(|thing: &Thing| {
                        std::thread::sleep(Duration::from_millis(2));
                        vec![thing.value.clone()]
                    }),
                )]),
                ..InformerOptions::default()
            },
        );
        informer.start();
        let mut last = 0u64;
        loop {
            let version: u64 = informer.last_sync_resource_version().parse().unwrap_or(0);
            assert!(version >= last, "went back from {last} to {version}");
            last = version;
            // Every event up to `version` must be in the cache already.
            for i in 0..60u64.min(version.saturating_sub(10)) {
                let key = format!("ns/k{}", i % 20);
                let cached: u64 = informer
                    .store()
                    .get(&key)
                    .and_then(|thing| thing.metadata.resource_version().and_then(|v| v.parse().ok()))
                    .unwrap_or(0);
                assert!(cached >= 11 + i, "at {version}, {key} is at {cached}, older than event {}", 11 + i);
            }
            if version == 70 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        informer.shutdown().await;
    }

    #[tokio::test]
    async fn subscriptions_stream_the_cache_then_changes_and_capped_ones_end_when_full() {
        use futures::StreamExt;
        let script = Scripted::default();
        script.list(Ok(list(10, vec![thing("ns", "a", 5, "a0")], None)));
        script.watch(vec![WatchEvent::Modified(thing("ns", "a", 11, "a1"))], End::Hang);
        let informer = informer(&script);
        let mut early = informer.subscribe();
        informer.start();
        informer.wait_for_sync().await.expect("syncs");
        let describe = |notification: Notification<Thing>| match notification {
            Notification::Add { object, initial } => format!("add {} {initial}", object.value),
            Notification::Update { old, new } => format!("update {}->{}", old.value, new.value),
            Notification::Delete(deleted) => format!("delete {}", deleted.object().value),
        };
        let first: Vec<String> = (&mut early).take(2).map(describe).collect().await;
        assert_eq!(first, ["add a0 true", "update a0->a1"]);
        assert_eq!(early.backlog(), 0);
        assert!(early.initial_list_handled());

        eventually("the update", || informer.store().get("ns/a").is_some_and(|a| a.value == "a1")).await;
        let late = informer.subscribe();
        let first: Vec<String> = late.take(1).map(describe).collect().await;
        assert_eq!(first, ["add a1 true"], "a late subscriber starts from the cache");

        // A capped subscription that nobody polls ends instead of growing.
        let capped = informer.subscribe_with_capacity(Some(1));
        assert_eq!(capped.backlog(), 1);
        informer.inner.processor.distribute(
            &Notification::Update {
                old: Arc::new(thing("ns", "a", 11, "a1")),
                new: Arc::new(thing("ns", "a", 11, "a1")),
            },
            None,
        );
        assert!(capped.overflowed());
        assert_eq!(capped.collect::<Vec<_>>().await.len(), 0, "an overflowed subscription ends");
        let listeners = informer.inner.processor.len();
        drop(early);
        assert_eq!(informer.inner.processor.len(), listeners - 1, "dropping a subscription unregisters it");
        informer.shutdown().await;
    }

    #[tokio::test]
    async fn async_handlers_run_in_order_and_a_panic_is_contained() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![thing("ns", "a", 5, "a0"), thing("ns", "b", 6, "b0")], None)));
        script.watch(vec![WatchEvent::Modified(thing("ns", "a", 11, "a1"))], End::Hang);
        let informer = informer(&script);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let registration = informer
            .add_async_event_handler(move |notification: Notification<Thing>| {
                let sink = sink.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    let value = notification.object().value.clone();
                    if value == "b0" {
                        panic!("the handler fails on b0");
                    }
                    sink.lock().expect("lock").push(value);
                }
            })
            .expect("in a runtime");
        informer.start();
        eventually("three notifications", || registration.backlog() == 0 && seen.lock().expect("lock").len() == 2)
            .await;
        let mut seen = seen.lock().expect("lock").clone();
        seen.sort();
        assert_eq!(seen, ["a0", "a1"], "b0 panicked; the handler went on");
        assert!(registration.has_synced());
        informer.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn inline_handlers_run_on_the_consumer_in_order_and_a_panic_is_contained() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![thing("ns", "a", 5, "a0"), thing("ns", "b", 6, "b0")], None)));
        script.watch(
            vec![WatchEvent::Modified(thing("ns", "a", 11, "a1")), WatchEvent::Added(thing("ns", "c", 12, "c0"))],
            End::Hang,
        );
        let informer = informer(&script);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (on_add, on_update) = (seen.clone(), seen.clone());
        let record = |sink: &Mutex<Vec<(String, Option<String>)>>, thing: &Thing| {
            if thing.value == "b0" {
                panic!("the handler fails on b0");
            }
            let thread = std::thread::current().name().map(str::to_owned);
            sink.lock().expect("lock").push((thing.value.clone(), thread));
        };
        let registration = informer.add_inline_event_handler(
            HandlerFns::new()
                .on_add(move |thing: &Arc<Thing>, _| record(&on_add, thing))
                .on_update(move |_, new: &Arc<Thing>| record(&on_update, new)),
        );
        informer.start();
        eventually("three notifications", || seen.lock().expect("lock").len() == 3).await;
        let seen = seen.lock().expect("lock").clone();
        let values: Vec<&str> = seen.iter().map(|(value, _)| value.as_str()).collect();
        let position = |value: &str| values.iter().position(|seen| *seen == value);
        assert!(position("a0") < position("a1") && position("c0").is_some(), "{values:?}");
        assert_eq!(values.len(), 3, "b0 panicked and the handler went on: {values:?}");
        // Called by the consumer itself (a runtime worker), not a handler pool thread.
        assert!(seen.iter().all(|(_, thread)| thread.as_deref() != Some(REFLECTOR_THREAD)), "{seen:?}");
        assert!(
            seen.iter().all(|(_, thread)| !thread.as_deref().unwrap_or("").starts_with("kubegen-handler")),
            "{seen:?}"
        );
        assert_eq!(registration.backlog(), 0);
        assert!(registration.has_synced());
        assert!(informer.remove_event_handler(&registration));
        informer.shutdown().await;
    }

    #[tokio::test]
    async fn a_blocked_handler_stalls_no_other_and_shutdown_still_returns() {
        let script = Scripted::default();
        let things: Vec<Thing> = (0..10).map(|i| thing("ns", &format!("t{i}"), i + 1, "")).collect();
        script.list(Ok(list(100, things, None)));
        let informer = SharedIndexInformer::new(
            Arc::new(script.clone()),
            InformerOptions { shutdown_grace: Duration::from_millis(300), ..InformerOptions::default() },
        );
        let (_release, blocked) = std::sync::mpsc::channel::<()>();
        let blocked = Mutex::new(blocked);
        informer.add_event_handler(HandlerFns::new().on_add(move |_: &Arc<Thing>, _| {
            let _ = blocked.lock().expect("lock").recv_timeout(Duration::from_secs(30));
        }));
        informer.add_event_handler(HandlerFns::new().on_add(|_: &Arc<Thing>, _| panic!("always fails")));
        let healthy = Recorder::default();
        let registration = informer.add_event_handler(healthy.clone());
        informer.start();
        healthy.wait_for(10).await;
        assert!(registration.has_synced());
        let started = Instant::now();
        informer.shutdown().await;
        assert!(started.elapsed() < Duration::from_secs(2), "shutdown took {:?}", started.elapsed());
    }

    /// The threads the transform (which the reflector runs on each decoded object) ran on.
    async fn reflector_threads(reflector_thread: bool) -> Vec<Option<String>> {
        let script = Scripted::default();
        let things: Vec<Thing> = (0..20).map(|i| thing("ns", &format!("t{i}"), i + 1, "")).collect();
        script.list(Ok(list(100, things, None)));
        let threads = Arc::new(Mutex::new(Vec::new()));
        let seen = threads.clone();
        let transform: Transform<Thing> = Arc::new(move |thing: Thing| {
            seen.lock().expect("lock").push(std::thread::current().name().map(str::to_owned));
            thing
        });
        let informer = SharedIndexInformer::new(
            Arc::new(script.clone()),
            InformerOptions { transform: Some(transform), reflector_thread, ..InformerOptions::default() },
        );
        let recorder = Recorder::default();
        informer.add_event_handler(recorder.clone());
        informer.start();
        recorder.wait_for(20).await;
        informer.shutdown().await;
        let threads = threads.lock().expect("lock").clone();
        assert_eq!(threads.len(), 20);
        threads
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_a_multi_threaded_runtime_the_reflector_decodes_on_a_thread_of_its_own() {
        let pinned = reflector_threads(true).await;
        assert!(pinned.iter().all(|name| name.as_deref() == Some(REFLECTOR_THREAD)), "{pinned:?}");
        let unpinned = reflector_threads(false).await;
        assert!(unpinned.iter().all(|name| name.as_deref() != Some(REFLECTOR_THREAD)), "{unpinned:?}");
    }
}
