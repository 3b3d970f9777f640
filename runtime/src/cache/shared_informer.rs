//! `SharedIndexInformer`: one reflector and one cache shared by any number of handlers.
//!
//! Three kinds of tasks run once started: the reflector (list and watch into the
//! [`DeltaFifo`]), the consumer (pops deltas, applies them to the [`Store`], hands
//! notifications to the [`Processor`]) and, with resync periods, a resync timer. Each handler
//! has its own thread and queue (see [`processor`](super::processor)).
//!
//! The consumer applies a popped key's deltas to the store and distributes the notifications
//! while holding the FIFO's lock. Adding a handler takes the same lock, snapshots the store
//! and queues it to the new handler as initial adds: a late handler sees exactly the cache at
//! that moment, then every change after it, with nothing missed or doubled.
//!
//! Contract (as client-go's): the cache converges to the server's state; each object's
//! notifications arrive in order, but intermediate states may be skipped (a churning object
//! reaches handlers as its newest state), and there is no order across objects. An update
//! whose old and new resourceVersions are equal is a resync and goes only to handlers that
//! asked for resyncs and are due.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::delta::{Delta, DeltaObject, DeltaType, Tombstone};
use super::delta_fifo::{DeltaFifo, Popped, ReplaceBatch};
use super::handler::{DeletedObject, EventHandler, Notification};
use super::index::{Indexers, default_indexers};
use super::key::object_key;
use super::lister::Lister;
use super::listwatch::ListerWatcher;
use super::processor::{Listener, Processor};
use super::reflector::{Reflector, ReflectorEvent, ReflectorOptions, Transform};
use super::store::{IndexError, Store};
use crate::client::Error;
use crate::resource::Object;

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

/// A handler's registration: its sync state, and the key to remove it.
#[derive(Clone)]
pub struct HandlerRegistration<K> {
    listener: Arc<Listener<K>>,
    informer_synced: Arc<AtomicBool>,
}

impl<K: Send + Sync + 'static> HandlerRegistration<K> {
    /// Whether the informer has synced and this handler has handled its initial list.
    pub fn has_synced(&self) -> bool {
        self.informer_synced.load(Ordering::Acquire) && self.listener.initial_list_handled()
    }

    /// Notifications waiting for this handler.
    pub fn backlog(&self) -> usize {
        self.listener.backlog()
    }
}

/// Options of an informer.
#[derive(Clone, Default)]
pub struct InformerOptions<K> {
    /// How the reflector lists and watches.
    pub reflector: ReflectorOptions,
    /// Applied to every object before it is cached.
    pub transform: Option<Transform<K>>,
    /// Indexes besides the namespace index.
    pub indexers: Indexers<K>,
    /// Resync period of handlers added without their own (zero: none).
    pub default_resync: Duration,
}

/// Called with each list or watch error.
pub type WatchErrorHandler = Arc<dyn Fn(&Error) + Send + Sync>;

struct Inner<K> {
    name: String,
    lister_watcher: Arc<dyn ListerWatcher<K>>,
    store: Arc<Store<K>>,
    fifo: Arc<DeltaFifo<K>>,
    processor: Processor<K>,
    options: Mutex<InformerOptions<K>>,
    watch_error_handler: Mutex<Option<WatchErrorHandler>>,
    synced: Arc<AtomicBool>,
    sync_state: watch::Sender<SyncState>,
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

impl<K: Object> SharedIndexInformer<K> {
    /// An informer of what `lister_watcher` lists, not started.
    pub fn new(lister_watcher: Arc<dyn ListerWatcher<K>>, options: InformerOptions<K>) -> Self {
        let name = lister_watcher.describe();
        let mut indexers = default_indexers::<K>();
        indexers.extend(options.indexers.clone());
        let (sync_state, _) = watch::channel(SyncState::Pending);
        Self {
            inner: Arc::new(Inner {
                processor: Processor::new(&name),
                name,
                lister_watcher,
                store: Arc::new(Store::new(indexers)),
                fifo: Arc::new(DeltaFifo::new()),
                options: Mutex::new(options),
                watch_error_handler: Mutex::new(None),
                synced: Arc::new(AtomicBool::new(false)),
                sync_state,
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

    /// Sets the transform applied to every object before it is cached. Only before start:
    /// objects already cached would not have it applied.
    pub fn set_transform(&self, transform: impl Fn(K) -> K + Send + Sync + 'static) -> Result<(), Error> {
        if self.inner.started.load(Ordering::Acquire) {
            return Err(Error::InvalidRequest(format!("the informer of {} has started", self.inner.name)));
        }
        self.lock_options().transform = Some(Arc::new(transform));
        Ok(())
    }

    /// Sets a function called with every list and watch error (they are also logged).
    pub fn set_watch_error_handler(&self, handler: impl Fn(&Error) + Send + Sync + 'static) {
        *self.inner.watch_error_handler.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(handler));
    }

    fn lock_options(&self) -> std::sync::MutexGuard<'_, InformerOptions<K>> {
        self.inner.options.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a handler with the informer's default resync period. Added after the informer
    /// started, the handler first receives every cached object as an initial add.
    pub fn add_event_handler(&self, handler: impl EventHandler<K>) -> HandlerRegistration<K> {
        let period = self.lock_options().default_resync;
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
        let listener = self.inner.fifo.paused(|| {
            let initial: Vec<Notification<K>> = if self.inner.synced.load(Ordering::Acquire) {
                self.inner.store.list().into_iter().map(|object| Notification::Add { object, initial: true }).collect()
            } else {
                // Not synced: the first list will reach this handler as initial adds.
                Vec::new()
            };
            self.inner.processor.add(handler, Some(resync), initial)
        });
        HandlerRegistration { listener, informer_synced: self.inner.synced.clone() }
    }

    /// Removes a handler; its thread stops and its queued notifications are dropped.
    pub fn remove_event_handler(&self, registration: &HandlerRegistration<K>) -> bool {
        self.inner.processor.remove(registration.listener.id())
    }

    /// Whether the cache holds the whole first list.
    pub fn has_synced(&self) -> bool {
        self.inner.synced.load(Ordering::Acquire)
    }

    /// The resourceVersion the cache has reached.
    pub fn last_sync_resource_version(&self) -> String {
        self.inner.store.resource_version()
    }

    /// The current sync state.
    pub fn sync_state(&self) -> SyncState {
        self.inner.sync_state.borrow().clone()
    }

    /// Whether the informer was shut down.
    pub fn is_stopped(&self) -> bool {
        self.inner.shutdown.is_cancelled()
    }

    /// Starts the reflector, the consumer and the resync timer on the current tokio runtime.
    /// Starting twice does nothing.
    pub fn start(&self) {
        if self.inner.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let options = self.lock_options().clone();
        let mut tasks = self.inner.tasks.lock().unwrap_or_else(PoisonError::into_inner);

        let inner = self.inner.clone();
        let observer = Arc::new(move |event: ReflectorEvent<'_>| inner.observe(event));
        let reflector = Reflector::new(
            self.inner.lister_watcher.clone(),
            self.inner.fifo.clone(),
            self.inner.store.clone(),
            options.reflector.clone(),
        )
        .with_transform(options.transform.clone())
        .with_observer(observer);
        tasks.push(tokio::spawn(reflector.run(self.inner.shutdown.clone())));

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

    /// Stops every task and handler thread and waits for them to end.
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        self.inner.fifo.close();
        let tasks: Vec<JoinHandle<()>> =
            self.inner.tasks.lock().unwrap_or_else(PoisonError::into_inner).drain(..).collect();
        for task in tasks {
            let _ = task.await;
        }
        let inner = self.inner.clone();
        let _ = tokio::task::spawn_blocking(move || inner.processor.stop()).await;
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
        if let ReflectorEvent::Failed { error, before_first_list } = event {
            if let Some(handler) = self.watch_error_handler.lock().unwrap_or_else(PoisonError::into_inner).clone() {
                handler(error);
            }
            if before_first_list && !self.synced.load(Ordering::Acquire) {
                let error = Arc::new(clone_error(error));
                self.sync_state.send_replace(SyncState::Failing(error));
            }
        }
    }

    /// Pops the FIFO until it is closed.
    async fn consume(&self) {
        while let Some(()) = self.fifo.pop(|popped| self.process(popped)).await {}
    }

    fn process(&self, popped: Popped<K>) {
        match popped {
            Popped::Deltas { key, deltas } => {
                for delta in deltas {
                    self.apply(&key, delta);
                }
            }
            Popped::Replace(batch) => self.replace(batch),
        }
    }

    fn apply(&self, key: &str, delta: Delta<K>) {
        match delta.kind {
            DeltaType::Added | DeltaType::Updated | DeltaType::Replaced | DeltaType::Sync => {
                let object = delta.object.object().clone();
                match self.store.insert(key.to_owned(), object.clone()) {
                    Some(old) => {
                        let sync = delta.kind == DeltaType::Sync || same_version(old.as_ref(), object.as_ref());
                        self.processor.distribute(&Notification::Update { old, new: object }, sync);
                    }
                    None => self.processor.distribute(&Notification::Add { object, initial: false }, false),
                }
            }
            DeltaType::Deleted => {
                // A deletion of an object the cache does not have is news to nobody.
                if self.store.remove(key).is_some() {
                    let deleted = match delta.object {
                        DeltaObject::Object(object) => DeletedObject::Object(object),
                        DeltaObject::Tombstone(tombstone) => DeletedObject::Tombstone(tombstone),
                    };
                    self.processor.distribute(&Notification::Delete(deleted), false);
                }
            }
        }
    }

    /// A relist: diff against the cache, swap the cache's content, then notify (deletions
    /// first, as client-go's atomic FIFO does).
    fn replace(&self, batch: ReplaceBatch<K>) {
        let initial = !self.synced.load(Ordering::Acquire);
        let mut items: HashMap<String, Arc<K>> = HashMap::with_capacity(batch.objects.len());
        let mut notifications = Vec::with_capacity(batch.objects.len());
        for object in batch.objects {
            let key = object_key(object.as_ref());
            match self.store.get(&key) {
                Some(old) => {
                    let sync = same_version(old.as_ref(), object.as_ref());
                    notifications.push((Notification::Update { old, new: object.clone() }, sync));
                }
                None => notifications.push((Notification::Add { object: object.clone(), initial }, false)),
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
        for deletion in &deletions {
            self.processor.distribute(deletion, false);
        }
        for (notification, sync) in &notifications {
            self.processor.distribute(notification, *sync);
        }
        if initial {
            self.synced.store(true, Ordering::Release);
            self.sync_state.send_replace(SyncState::Synced);
            tracing::debug!("{}: synced {} objects", self.name, self.store.len());
        }
    }

    /// Every `resync check period`, queues a Sync of the cache for handlers that are due.
    async fn resync_timer(&self) {
        let check = self.options.lock().unwrap_or_else(PoisonError::into_inner).default_resync;
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
            if self.synced.load(Ordering::Acquire) && self.processor.should_resync(Instant::now()) {
                self.fifo.resync(&self.store);
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

/// A copy of an error for the sync state (client errors hold a `reqwest::Error`, which is
/// not `Clone`): server errors keep their `Status`, others their message.
fn clone_error(error: &Error) -> Error {
    match error.api() {
        Some(api) => Error::Api(Box::new(crate::client::ApiError {
            method: api.method.clone(),
            url: api.url.clone(),
            code: api.code,
            status: api.status.clone(),
        })),
        None => Error::InvalidRequest(error.to_string()),
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
        assert!(fast_done < Duration::from_millis(500), "the fast handler took {fast_done:?}");
        assert!(slow.seen().len() < 10, "the slow one is still working: {}", slow.seen().len());
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
}
