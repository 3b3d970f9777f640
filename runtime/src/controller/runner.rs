//! [`Controller`]: informers in, reconciles out.
//!
//! A controller watches a primary resource through its informer, and optionally children it
//! [`owns`](Controller::owns) (mapped to their owner through the ownerReference marked
//! `controller: true`) and anything else it [`watches`](Controller::watches) with a mapping
//! function. Every change puts the affected primary's [`ObjectRef`] into a [`WorkQueue`]
//! (straight from the informer's distribution of the change: enqueuing never waits, so it
//! takes no handler thread and costs no wake-up but the worker's); streams from outside the
//! cluster can ask for one key or every key too ([`Controller::reconcile_on`],
//! [`Controller::reconcile_all_on`]);
//! N workers take keys and reconcile the primary object **as the cache holds it now**
//! (level-based: many changes between two reconciles are one reconcile; a deleted object is
//! reconciled once more, as gone). The queue guarantees that one key is never reconciled by
//! two workers at once.
//!
//! After a reconcile, [`Action::requeue`] brings the key back after a while and
//! [`Action::await_change`] waits for the next change; a failed reconcile is retried with
//! per-key exponential backoff (the queue's rate limiter: 5 ms doubling to 1000 s, under a
//! 10 qps bucket), reset by the next success. The informers are those of a shared factory, so
//! several controllers (and anything else) share caches and watches.
//!
//! [`Controller::run`] waits for the caches to sync, runs the workers until `shutdown`
//! resolves, then stops taking keys and waits for the reconciles in flight to finish.

use std::collections::HashMap;
use std::fmt::Display;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{FutureExt, Stream, StreamExt};
use tokio_util::sync::CancellationToken;

use super::action::Action;
use super::object_ref::{ObjectRef, controller_owner_of};
use super::rate_limiter::{RateLimiter, default_rate_limiter};
use super::reconcile_metrics::{ReconcileMetrics, ReconcileResult};
use super::workqueue::{NoMetrics, QueueMetrics, WorkQueue};
use crate::cache::{HandlerFns, SharedIndexInformer, SyncError};
use crate::resource::{Object, Resource};

/// What a controller does with each object. [`Controller::run`] takes a closure instead for
/// the common case; implement this for deletions and your own retry policy.
pub trait Reconciler<K>: Send + Sync + 'static {
    /// Why a reconcile failed.
    type Error: Display + Send + 'static;

    /// Makes the world match `object`, the cache's current state of it.
    fn reconcile(&self, object: Arc<K>) -> impl Future<Output = Result<Action, Self::Error>> + Send;

    /// The object was deleted; `last_known` is its last state. Called once per deletion. By
    /// default nothing happens (use a finalizer for cleanup that must not be missed).
    fn deleted(&self, last_known: Arc<K>) -> impl Future<Output = Result<Action, Self::Error>> + Send {
        let _ = last_known;
        async { Ok(Action::await_change()) }
    }

    /// When to retry after `error` (the `retries`th failure in a row), or `None` for the
    /// queue's backoff (the default).
    fn retry_after(&self, object: &ObjectRef, error: &Self::Error, retries: u32) -> Option<Duration> {
        let _ = (object, error, retries);
        None
    }
}

/// A [`Reconciler`] made of a closure and a context.
struct FnReconciler<F, Ctx> {
    reconcile: F,
    context: Arc<Ctx>,
}

impl<K, F, Fut, E, Ctx> Reconciler<K> for FnReconciler<F, Ctx>
where
    K: Send + Sync + 'static,
    F: Fn(Arc<K>, Arc<Ctx>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Action, E>> + Send,
    E: Display + Send + 'static,
    Ctx: Send + Sync + 'static,
{
    type Error = E;

    fn reconcile(&self, object: Arc<K>) -> impl Future<Output = Result<Action, E>> + Send {
        (self.reconcile)(object, self.context.clone())
    }
}

/// Unregisters a handler.
type Disconnect = Box<dyn FnOnce() + Send>;

/// Waits for an informer's first list, at most the given time if any.
type Wait = Box<dyn Fn(Option<Duration>) -> BoxFuture<'static, Result<(), SyncError>> + Send + Sync>;

/// Registers the handler that feeds the queue (once per run, or per term of leadership).
type Connect = Box<dyn Fn(WorkQueue<ObjectRef>) -> Disconnect + Send + Sync>;

/// Makes the rate limiter of a run's queue.
type LimiterFactory = Arc<dyn Fn() -> Box<dyn RateLimiter<ObjectRef>> + Send + Sync>;

/// Gone primaries by key, with their last state.
type GoneObjects<K> = Arc<Mutex<HashMap<ObjectRef, Arc<K>>>>;

/// Says whether an update of a primary (old, new) is worth a reconcile.
type UpdateFilter<K> = Arc<dyn Fn(&K, &K) -> bool + Send + Sync>;

/// What an external trigger asks for.
enum Request {
    /// Reconcile this primary.
    One(ObjectRef),
    /// Reconcile every cached primary.
    All,
}

/// An external stream of requests ([`Controller::reconcile_on`],
/// [`Controller::reconcile_all_on`]). Each run (each term of leadership) polls it while it
/// lasts and leaves the rest to the next, so what the stream holds between terms is not lost.
type Trigger = Arc<tokio::sync::Mutex<BoxStream<'static, Request>>>;

/// A [`Reconciler`] from a reconcile closure and its context (what [`Controller::run`] uses),
/// for [`Controller::run_reconciler`] and [`Controller::run_with_leader_election`].
pub fn reconciler_fn<K, F, Fut, E, Ctx>(reconcile: F, context: Arc<Ctx>) -> impl Reconciler<K>
where
    K: Send + Sync + 'static,
    F: Fn(Arc<K>, Arc<Ctx>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Action, E>> + Send,
    E: Display + Send + 'static,
    Ctx: Send + Sync + 'static,
{
    FnReconciler { reconcile, context }
}

/// Waits until `informer` synced, at most `timeout` if given.
fn wait_for<K: Object>(
    informer: SharedIndexInformer<K>,
    timeout: Option<Duration>,
) -> BoxFuture<'static, Result<(), SyncError>> {
    Box::pin(async move {
        match timeout {
            Some(timeout) => informer.wait_for_sync_timeout(timeout).await,
            None => informer.wait_for_sync().await,
        }
    })
}

/// An informer the controller watches, type-erased.
struct Source {
    name: String,
    start: Box<dyn Fn() + Send + Sync>,
    wait: Wait,
    connect: Connect,
}

fn source<C: Object>(
    informer: SharedIndexInformer<C>,
    map: impl Fn(&C) -> Vec<ObjectRef> + Send + Sync + 'static,
) -> Source {
    let (starting, waiting) = (informer.clone(), informer.clone());
    Source {
        name: informer.name().to_owned(),
        start: Box::new(move || starting.start()),
        wait: Box::new(move |timeout| wait_for(waiting.clone(), timeout)),
        connect: {
            let map = Arc::new(map);
            Box::new(move |queue| {
                let (on_add, on_update, on_delete) = (map.clone(), map.clone(), map.clone());
                let (add_queue, update_queue, delete_queue) = (queue.clone(), queue.clone(), queue);
                let enqueue = |queue: &WorkQueue<ObjectRef>, keys: Vec<ObjectRef>| {
                    for key in keys {
                        queue.add(key);
                    }
                };
                let registration = informer.add_inline_event_handler(
                    HandlerFns::new()
                        .on_add(move |object: &Arc<C>, _| enqueue(&add_queue, on_add(object)))
                        .on_update(move |old: &Arc<C>, new: &Arc<C>| {
                            enqueue(&update_queue, on_update(old));
                            enqueue(&update_queue, on_update(new));
                        })
                        .on_delete(move |deleted| enqueue(&delete_queue, on_delete(deleted.object()))),
                );
                let informer = informer.clone();
                Box::new(move || {
                    informer.remove_event_handler(&registration);
                })
            })
        },
    }
}

/// A controller of `K` objects. See the module documentation.
pub struct Controller<K: Resource> {
    primary: SharedIndexInformer<K>,
    sources: Vec<Source>,
    workers: usize,
    rate_limiter: Option<LimiterFactory>,
    metrics: Arc<dyn QueueMetrics>,
    reconcile_metrics: Arc<dyn ReconcileMetrics>,
    resync: Duration,
    sync_timeout: Option<Duration>,
    triggers: Vec<Trigger>,
    update_filters: Vec<UpdateFilter<K>>,
}

impl<K: Resource> std::fmt::Debug for Controller<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller")
            .field("primary", &self.primary.name())
            .field("sources", &self.sources.iter().map(|source| source.name.as_str()).collect::<Vec<_>>())
            .field("workers", &self.workers)
            .finish_non_exhaustive()
    }
}

impl<K: Resource> Controller<K> {
    /// A controller of the objects `primary` caches, with one worker.
    pub fn new(primary: SharedIndexInformer<K>) -> Self {
        Self {
            primary,
            sources: Vec::new(),
            workers: 1,
            rate_limiter: None,
            metrics: Arc::new(NoMetrics),
            reconcile_metrics: Arc::new(NoMetrics),
            resync: Duration::ZERO,
            sync_timeout: None,
            triggers: Vec::new(),
            update_filters: Vec::new(),
        }
    }

    /// Also reconciles the owner of every `C` object that `children` caches: the owner
    /// reference marked `controller: true` whose kind is `K`.
    pub fn owns<C: Object>(mut self, children: SharedIndexInformer<C>) -> Self {
        self.sources.push(source(children, |child: &C| controller_owner_of::<K, C>(child).into_iter().collect()));
        self
    }

    /// Also reconciles the primaries that `map` names for every change of an object `other`
    /// caches. `map` is called by the informer as it hands out each change (no queue, no
    /// thread in between, as kube-runtime calls its mappers while polling the watch), so it
    /// must be quick and must not block (a slow `map` delays that informer's cache) nor add or
    /// remove informer handlers (it runs under the informer's lock that they take); reading
    /// caches and their indexes is fine.
    pub fn watches<C: Object>(
        mut self,
        other: SharedIndexInformer<C>,
        map: impl Fn(&C) -> Vec<ObjectRef> + Send + Sync + 'static,
    ) -> Self {
        self.sources.push(source(other, map));
        self
    }

    /// Also reconciles the primary each item of `requests` names: triggers from outside the
    /// cluster (a webhook, a poll of an external system). A key the cache does not hold is
    /// skipped, as a deleted one is. Items are taken while the controller runs (while it
    /// leads, under leader election); until then they wait in the stream.
    pub fn reconcile_on(mut self, requests: impl Stream<Item = ObjectRef> + Send + 'static) -> Self {
        self.triggers.push(Arc::new(tokio::sync::Mutex::new(requests.map(Request::One).boxed())));
        self
    }

    /// Also reconciles every cached primary at each item of `signals` (a reloaded
    /// configuration that every object depends on). Taken as [`reconcile_on`](Self::reconcile_on)'s
    /// are; each key is queued once however often it is signalled before a worker takes it.
    pub fn reconcile_all_on(mut self, signals: impl Stream<Item = ()> + Send + 'static) -> Self {
        self.triggers.push(Arc::new(tokio::sync::Mutex::new(signals.map(|()| Request::All).boxed())));
        self
    }

    /// Reconciles an update of a primary only when `changed(old, new)` says it matters (with
    /// several filters, when any does); see [`predicates`](super::predicates), for example
    /// `.filter_updates(generation_changed)` to ignore the controller's own status writes.
    /// Additions, deletions, resyncs, owned and watched objects and triggers are not
    /// filtered. Called as [`watches`](Self::watches)' mapping is: it must be quick.
    ///
    /// With the [`finalizer`](super::finalizer()) helper, which adds its finalizer and then waits
    /// for that update, let finalizer changes through too:
    /// `.filter_updates(generation_changed).filter_updates(finalizers_changed)`.
    pub fn filter_updates(mut self, changed: impl Fn(&K, &K) -> bool + Send + Sync + 'static) -> Self {
        self.update_filters.push(Arc::new(changed));
        self
    }

    /// Runs `workers` reconciles at once (at least one); one key is never reconciled by two.
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Waits between retries of a failing key as the limiters `make` makes say (default:
    /// client-go's). A limiter is made for each run (each term of leadership).
    pub fn rate_limiter(mut self, make: impl Fn() -> Box<dyn RateLimiter<ObjectRef>> + Send + Sync + 'static) -> Self {
        self.rate_limiter = Some(Arc::new(make));
        self
    }

    /// Sends the workqueue's measurements to `metrics`.
    pub fn queue_metrics(mut self, metrics: Arc<dyn QueueMetrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Sends each reconcile's start, result and duration to `metrics`.
    pub fn reconcile_metrics(mut self, metrics: Arc<dyn ReconcileMetrics>) -> Self {
        self.reconcile_metrics = metrics;
        self
    }

    /// Gives up when the caches have not synced within `timeout` (controller-runtime's
    /// `CacheSyncTimeout`): the run returns [`SyncError::Timeout`] naming the informer and its
    /// last error, rather than waiting for as long as the server keeps failing. Without it the
    /// run waits until the caches sync (errors a retry cannot fix, 401, 403, 404 and 405, end
    /// the wait either way).
    pub fn sync_timeout(mut self, timeout: Duration) -> Self {
        self.sync_timeout = Some(timeout);
        self
    }

    /// Reconciles every cached primary every `period` too (zero: never).
    pub fn resync(mut self, period: Duration) -> Self {
        self.resync = period;
        self
    }

    /// Runs `reconcile` with `context` until `shutdown` resolves. See the module documentation.
    pub async fn run<Ctx, E, F, Fut>(
        self,
        reconcile: F,
        context: Arc<Ctx>,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), SyncError>
    where
        Ctx: Send + Sync + 'static,
        E: Display + Send + 'static,
        F: Fn(Arc<K>, Arc<Ctx>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Action, E>> + Send,
    {
        self.run_reconciler(FnReconciler { reconcile, context }, shutdown).await
    }

    /// Runs `reconciler` until `shutdown` resolves.
    pub async fn run_reconciler<R: Reconciler<K>>(
        self,
        reconciler: R,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), SyncError> {
        let stop = CancellationToken::new();
        let stopper = stop.clone();
        let watcher = async move {
            shutdown.await;
            stopper.cancel();
        };
        let (result, ()) = futures::future::join(self.run_until(Arc::new(reconciler), stop.clone()), watcher).await;
        result
    }

    /// Runs the workers only while `elector` leads: the candidate competes for its Lease until
    /// `shutdown` resolves; each time it leads, the controller runs (every cached object is
    /// reconciled as the term starts) until leadership ends. Informers keep their caches
    /// between terms.
    pub async fn run_with_leader_election<L, R>(
        self,
        elector: crate::leader_election::LeaderElector<L>,
        reconciler: R,
        shutdown: impl Future<Output = ()> + Send,
    ) where
        L: Resource<Scope = crate::resource::NamespaceScoped>
            + crate::resource::verbs::Get
            + crate::resource::verbs::Create
            + crate::resource::verbs::Update,
        R: Reconciler<K>,
    {
        let this = Arc::new(self);
        let reconciler = Arc::new(reconciler);
        let cancel = CancellationToken::new();
        let canceller = cancel.clone();
        let watcher = async move {
            shutdown.await;
            canceller.cancel();
        };
        let name = this.primary.name().to_owned();
        let work = move |term: CancellationToken| {
            let (this, reconciler) = (this.clone(), reconciler.clone());
            async move {
                if let Err(error) = this.run_until(reconciler, term).await {
                    tracing::error!("the controller of {} did not sync: {error}", this.primary.name());
                }
            }
        };
        let on_event = move |event| tracing::debug!(controller = %name, ?event, "leader election");
        futures::future::join(elector.run(work, on_event, cancel), watcher).await;
    }

    /// Runs `reconciler` until `stop` is cancelled (one run, or one term of leadership).
    pub async fn run_until<R: Reconciler<K>>(
        &self,
        reconciler: Arc<R>,
        stop: CancellationToken,
    ) -> Result<(), SyncError> {
        let limiter = match &self.rate_limiter {
            Some(make) => make(),
            None => Box::new(default_rate_limiter()),
        };
        let queue = WorkQueue::with_parts(limiter, self.metrics.clone());
        let gone: GoneObjects<K> = Arc::new(Mutex::new(HashMap::new()));
        let mut disconnects = Vec::new();
        let primary = primary_source(self.primary.clone(), gone.clone(), self.resync, self.update_filters.clone());
        let mut waits = Vec::new();
        for source in std::iter::once(&primary).chain(&self.sources) {
            let wait = (source.wait)(self.sync_timeout);
            (source.start)();
            disconnects.push((source.connect)(queue.clone()));
            waits.push(wait);
        }
        let synced = tokio::select! {
            synced = futures::future::try_join_all(waits) => synced.map(drop),
            () = stop.cancelled() => Ok(()),
        };
        if let Err(error) = synced {
            for disconnect in disconnects {
                disconnect();
            }
            return Err(error);
        }
        tracing::info!(controller = %self.primary.name(), workers = self.workers, "caches synced; reconciling");
        let triggers: Vec<_> = self
            .triggers
            .iter()
            .map(|trigger| tokio::spawn(forward(trigger.clone(), queue.clone(), self.primary.clone(), stop.clone())))
            .collect();
        let workers: Vec<_> = (0..self.workers)
            .map(|_| {
                let worker = Worker {
                    primary: self.primary.clone(),
                    queue: queue.clone(),
                    gone: gone.clone(),
                    reconciler: reconciler.clone(),
                    stop: stop.clone(),
                    metrics: self.reconcile_metrics.clone(),
                };
                tokio::spawn(worker.run())
            })
            .collect();
        stop.cancelled().await;
        for disconnect in disconnects {
            disconnect();
        }
        // Workers finish the reconcile they are in and take no more keys.
        for task in workers.into_iter().chain(triggers) {
            let _ = task.await;
        }
        queue.shut_down();
        Ok(())
    }
}

/// The primary informer as a source: every change enqueues the object itself; a deletion
/// also remembers the last state, for the reconcile of the gone object.
fn primary_source<K: Resource>(
    informer: SharedIndexInformer<K>,
    gone: GoneObjects<K>,
    resync: Duration,
    filters: Vec<UpdateFilter<K>>,
) -> Source {
    let (starting, waiting) = (informer.clone(), informer.clone());
    Source {
        name: informer.name().to_owned(),
        start: Box::new(move || starting.start()),
        wait: Box::new(move |timeout| wait_for(waiting.clone(), timeout)),
        connect: Box::new(move |queue| {
            let (add_queue, update_queue, delete_queue) = (queue.clone(), queue.clone(), queue);
            let (gone, filters) = (gone.clone(), filters.clone());
            let handler = HandlerFns::new()
                .on_add(move |object: &Arc<K>, _| add_queue.add(ObjectRef::from_object(object.as_ref())))
                .on_update(move |old: &Arc<K>, new: &Arc<K>| {
                    // A resync replays the cached object as both old and new: never filtered.
                    let resync = Arc::ptr_eq(old, new);
                    if resync || filters.is_empty() || filters.iter().any(|changed| changed(old, new)) {
                        update_queue.add(ObjectRef::from_object(new.as_ref()));
                    }
                })
                .on_delete(move |deleted| {
                    let key = ObjectRef::from_object(deleted.object().as_ref());
                    gone.lock().unwrap_or_else(PoisonError::into_inner).insert(key.clone(), deleted.object().clone());
                    delete_queue.add(key);
                });
            let registration = informer.add_inline_event_handler_with_resync(handler, resync);
            let informer = informer.clone();
            Box::new(move || {
                informer.remove_event_handler(&registration);
            })
        }),
    }
}

/// Queues what `trigger` asks for until `stop` is cancelled or the stream ends.
async fn forward<K: Resource>(
    trigger: Trigger,
    queue: WorkQueue<ObjectRef>,
    primary: SharedIndexInformer<K>,
    stop: CancellationToken,
) {
    let mut requests = tokio::select! {
        () = stop.cancelled() => return,
        requests = trigger.lock() => requests,
    };
    loop {
        let request = tokio::select! {
            biased;
            () = stop.cancelled() => return,
            request = requests.next() => request,
        };
        match request {
            Some(Request::One(key)) => queue.add(key),
            Some(Request::All) => {
                for object in primary.store().list() {
                    queue.add(ObjectRef::from_object(object.as_ref()));
                }
            }
            None => return,
        }
    }
}

struct Worker<K, R> {
    primary: SharedIndexInformer<K>,
    queue: WorkQueue<ObjectRef>,
    gone: GoneObjects<K>,
    reconciler: Arc<R>,
    stop: CancellationToken,
    metrics: Arc<dyn ReconcileMetrics>,
}

impl<K: Resource, R: Reconciler<K>> Worker<K, R> {
    /// Runs `reconcile`, timed and reported with its result.
    async fn measured<E>(
        &self,
        reconcile: impl Future<Output = Result<Action, E>>,
    ) -> std::thread::Result<Result<Action, E>> {
        let started = Instant::now();
        self.metrics.started();
        let outcome = AssertUnwindSafe(reconcile).catch_unwind().await;
        let result = match &outcome {
            Ok(Ok(action)) if action.requeue_after().is_some() => ReconcileResult::Requeue,
            Ok(Ok(_)) => ReconcileResult::Success,
            Ok(Err(_)) => ReconcileResult::Error,
            Err(_) => ReconcileResult::Panic,
        };
        self.metrics.reconciled(result, started.elapsed());
        outcome
    }

    async fn run(self) {
        loop {
            let key = tokio::select! {
                biased;
                () = self.stop.cancelled() => return,
                key = self.queue.get() => match key {
                    Some(key) => key,
                    None => return,
                },
            };
            self.process(&key).await;
            self.queue.done(&key);
        }
    }

    async fn process(&self, key: &ObjectRef) {
        let cached = self.primary.store().get(&key.cache_key());
        let outcome = match cached {
            Some(object) => self.measured(self.reconciler.reconcile(object)).await,
            None => {
                let last_known = self.gone.lock().unwrap_or_else(PoisonError::into_inner).remove(key);
                match last_known {
                    Some(last_known) => self.measured(self.reconciler.deleted(last_known)).await,
                    // Deleted and already reconciled as gone (or never seen): nothing to do.
                    None => {
                        self.queue.forget(key);
                        return;
                    }
                }
            }
        };
        match outcome {
            Ok(Ok(action)) => {
                self.queue.forget(key);
                if let Some(after) = action.requeue_after() {
                    self.queue.add_after(key.clone(), after);
                }
            }
            Ok(Err(error)) => {
                let retries = self.queue.num_requeues(key);
                tracing::warn!(object = %key, retries, "reconcile failed: {error}");
                match self.reconciler.retry_after(key, &error, retries) {
                    Some(after) => self.queue.add_after(key.clone(), after),
                    None => self.queue.add_rate_limited(key.clone()),
                }
            }
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|text| (*text).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(object = %key, "reconcile panicked: {message}");
                self.queue.add_rate_limited(key.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    use super::*;
    use crate::cache::InformerOptions;
    use crate::cache::testing::{End, Scripted, Thing, list, thing};
    use crate::controller::rate_limiter::ItemExponential;
    use crate::watch::WatchEvent;

    fn informer(script: &Scripted) -> SharedIndexInformer<Thing> {
        SharedIndexInformer::new(Arc::new(script.clone()), InformerOptions::default())
    }

    async fn eventually(what: &str, condition: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !condition() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Records every reconcile: (name, value, when), and the largest number of concurrent
    /// reconciles of one key.
    #[derive(Default)]
    struct Log {
        calls: Mutex<Vec<(String, String, Instant)>>,
        running: Mutex<HashSet<String>>,
        overlaps: AtomicUsize,
    }

    impl Log {
        fn calls(&self) -> Vec<(String, String, Instant)> {
            self.calls.lock().expect("lock").clone()
        }

        fn count(&self, name: &str) -> usize {
            self.calls().iter().filter(|(called, _, _)| called == name).count()
        }

        async fn reconcile(&self, object: &Thing, hold: Duration) {
            let name = object.metadata.name().to_owned();
            if !self.running.lock().expect("lock").insert(name.clone()) {
                self.overlaps.fetch_add(1, Ordering::AcqRel);
            }
            self.calls.lock().expect("lock").push((name.clone(), object.value.clone(), Instant::now()));
            tokio::time::sleep(hold).await;
            self.running.lock().expect("lock").remove(&name);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_key_is_never_reconciled_twice_at_once_and_the_newest_state_wins() {
        let script = Scripted::default();
        script.list(Ok(list(10, (0..4).map(|i| thing("ns", &format!("t{i}"), i + 1, "v0")).collect(), None)));
        let mut changes = Vec::new();
        for round in 1..=30u64 {
            for i in 0..4u64 {
                changes.push(WatchEvent::Modified(thing(
                    "ns",
                    &format!("t{i}"),
                    10 + round * 4 + i,
                    &format!("v{round}"),
                )));
            }
        }
        script.watch(changes, End::Hang);
        let log = Arc::new(Log::default());
        let stop = CancellationToken::new();
        let running = {
            let (log, stop) = (log.clone(), stop.clone());
            tokio::spawn(async move {
                Controller::new(informer(&script))
                    .workers(4)
                    .run(
                        |object: Arc<Thing>, log: Arc<Log>| async move {
                            log.reconcile(&object, Duration::from_millis(20)).await;
                            Ok::<_, std::convert::Infallible>(Action::await_change())
                        },
                        log,
                        stop.cancelled_owned(),
                    )
                    .await
            })
        };
        eventually("the newest states", || {
            let calls = log.calls();
            (0..4).all(|i| calls.iter().any(|(name, value, _)| *name == format!("t{i}") && value == "v30"))
        })
        .await;
        stop.cancel();
        running.await.expect("joins").expect("synced");
        assert_eq!(log.overlaps.load(Ordering::Acquire), 0, "a key was reconciled twice at once");
        assert!(log.calls().len() < 4 * 31, "changes that waited together were one reconcile: {}", log.calls().len());
    }

    struct Flaky {
        log: Log,
        failures: AtomicUsize,
    }

    impl Reconciler<Thing> for Flaky {
        type Error = String;

        async fn reconcile(&self, object: Arc<Thing>) -> Result<Action, String> {
            self.log.reconcile(&object, Duration::ZERO).await;
            if self.failures.fetch_add(1, Ordering::AcqRel) < 3 {
                return Err("not yet".into());
            }
            Ok(Action::requeue(Duration::from_millis(300)))
        }

        async fn deleted(&self, last_known: Arc<Thing>) -> Result<Action, String> {
            self.log.calls.lock().expect("lock").push((
                format!("gone {}", last_known.metadata.name()),
                last_known.value.clone(),
                Instant::now(),
            ));
            Ok(Action::await_change())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failures_back_off_per_key_and_successes_requeue() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![thing("ns", "a", 5, "a0")], None)));
        let reconciler = Arc::new(Flaky { log: Log::default(), failures: AtomicUsize::new(0) });
        let reconciler_for_run = reconciler.clone();
        let stop = CancellationToken::new();
        let controller = Controller::new(informer(&script))
            .rate_limiter(|| Box::new(ItemExponential::new(Duration::from_millis(100), Duration::from_secs(10))));
        struct Shared(Arc<Flaky>);
        impl Reconciler<Thing> for Shared {
            type Error = String;
            async fn reconcile(&self, object: Arc<Thing>) -> Result<Action, String> {
                self.0.reconcile(object).await
            }
            async fn deleted(&self, last_known: Arc<Thing>) -> Result<Action, String> {
                self.0.deleted(last_known).await
            }
        }
        let running = {
            let stop = stop.clone();
            tokio::spawn(async move { controller.run_until(Arc::new(Shared(reconciler_for_run)), stop).await })
        };
        // Three failures (backoff 100, 200, 400 ms), a success, then requeues every 300 ms.
        eventually("a success and two requeues", || reconciler.log.count("a") >= 6).await;
        let times: Vec<Instant> = reconciler.log.calls().iter().map(|(_, _, at)| *at).collect();
        let gaps: Vec<u128> = times.windows(2).map(|pair| (pair[1] - pair[0]).as_millis()).collect();
        // Lower bounds only: a busy machine may make any wait longer, never shorter.
        for (gap, at_least) in gaps.iter().zip([100, 200, 400, 300, 300]) {
            assert!(*gap >= at_least, "gaps {gaps:?}");
        }
        assert!(gaps[2] > gaps[0], "the backoff grew: {gaps:?}");
        stop.cancel();
        running.await.expect("joins").expect("synced");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_deleted_object_is_reconciled_once_as_gone() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![thing("ns", "a", 5, "a0"), thing("ns", "b", 6, "b0")], None)));
        script.watch(vec![WatchEvent::Deleted(thing("ns", "b", 11, "b-final"))], End::Hang);
        let reconciler = Arc::new(Flaky { log: Log::default(), failures: AtomicUsize::new(100) });
        struct Shared(Arc<Flaky>);
        impl Reconciler<Thing> for Shared {
            type Error = String;
            async fn reconcile(&self, object: Arc<Thing>) -> Result<Action, String> {
                self.0.log.reconcile(&object, Duration::ZERO).await;
                Ok(Action::await_change())
            }
            async fn deleted(&self, last_known: Arc<Thing>) -> Result<Action, String> {
                self.0.deleted(last_known).await
            }
        }
        let stop = CancellationToken::new();
        let running = tokio::spawn({
            let (reconciler, stop) = (reconciler.clone(), stop.clone());
            async move { Controller::new(informer(&script)).run_until(Arc::new(Shared(reconciler)), stop).await }
        });
        eventually("the deletion", || reconciler.log.count("gone b") == 1).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(reconciler.log.count("gone b"), 1);
        let gone = reconciler.log.calls().into_iter().find(|(name, _, _)| name == "gone b").expect("gone");
        assert_eq!(gone.1, "b-final", "with its last state");
        assert_eq!(reconciler.log.count("a"), 1);
        stop.cancel();
        running.await.expect("joins").expect("synced");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shutdown_waits_for_reconciles_in_flight() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![thing("ns", "a", 5, "a0")], None)));
        let finished = Arc::new(AtomicUsize::new(0));
        let started = Arc::new(AtomicUsize::new(0));
        let stop = CancellationToken::new();
        let running = {
            let (finished, started, stop) = (finished.clone(), started.clone(), stop.clone());
            tokio::spawn(async move {
                Controller::new(informer(&script))
                    .run(
                        move |_: Arc<Thing>, finished: Arc<AtomicUsize>| {
                            let started = started.clone();
                            async move {
                                started.fetch_add(1, Ordering::AcqRel);
                                tokio::time::sleep(Duration::from_millis(300)).await;
                                finished.fetch_add(1, Ordering::AcqRel);
                                Ok::<_, std::convert::Infallible>(Action::await_change())
                            }
                        },
                        finished,
                        stop.cancelled_owned(),
                    )
                    .await
            })
        };
        eventually("a reconcile in flight", || started.load(Ordering::Acquire) == 1).await;
        stop.cancel();
        running.await.expect("joins").expect("synced");
        assert_eq!(finished.load(Ordering::Acquire), 1, "the reconcile in flight finished before run returned");
    }

    /// A reconciler that logs and never fails.
    struct Logging(Arc<Log>);

    impl Reconciler<Thing> for Logging {
        type Error = String;
        async fn reconcile(&self, object: Arc<Thing>) -> Result<Action, String> {
            self.0.reconcile(&object, Duration::ZERO).await;
            Ok(Action::await_change())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn external_triggers_reconcile_one_key_or_every_key_across_runs() {
        let script = Scripted::default();
        script.list(Ok(list(10, (0..3).map(|i| thing("ns", &format!("t{i}"), i + 1, "v0")).collect(), None)));
        script.watch(Vec::new(), End::Hang);
        let (request, requests) = futures::channel::mpsc::unbounded::<ObjectRef>();
        let taken = Arc::new(AtomicUsize::new(0));
        let requests = requests.inspect({
            let taken = taken.clone();
            move |_| {
                taken.fetch_add(1, Ordering::AcqRel);
            }
        });
        let (signal, signals) = futures::channel::mpsc::unbounded::<()>();
        let controller =
            Arc::new(Controller::new(informer(&script)).workers(2).reconcile_on(requests).reconcile_all_on(signals));
        let log = Arc::new(Log::default());
        let run = |stop: CancellationToken| {
            let (controller, log) = (controller.clone(), log.clone());
            tokio::spawn(async move { controller.run_until(Arc::new(Logging(log)), stop).await })
        };
        let total = |log: &Log| (0..3).map(|i| log.count(&format!("t{i}"))).sum::<usize>();

        let stop = CancellationToken::new();
        let running = run(stop.clone());
        eventually("the initial reconciles", || total(&log) == 3).await;
        request.unbounded_send(ObjectRef::new(Some("ns"), "t1")).expect("open");
        // A key the cache does not hold is skipped.
        request.unbounded_send(ObjectRef::new(Some("ns"), "absent")).expect("open");
        eventually("t1 again", || log.count("t1") == 2).await;
        signal.unbounded_send(()).expect("open");
        eventually("every key again", || total(&log) == 7).await;
        assert_eq!((log.count("t0"), log.count("t1"), log.count("t2")), (2, 3, 2));
        stop.cancel();
        running.await.expect("joins").expect("synced");

        // Sent between runs (as between terms of leadership): left in the stream, taken by the
        // next run (whose start reconciles every cached key anyway, so t2's request may fold
        // into that reconcile).
        request.unbounded_send(ObjectRef::new(Some("ns"), "t2")).expect("open");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(taken.load(Ordering::Acquire), 2, "a stopped run takes nothing");
        let stop = CancellationToken::new();
        let running = run(stop.clone());
        eventually("the next run's reconciles", || total(&log) >= 10 && taken.load(Ordering::Acquire) == 3).await;
        request.unbounded_send(ObjectRef::new(Some("ns"), "t0")).expect("open");
        eventually("t0 in the next run", || log.count("t0") == 4).await;
        assert_eq!(log.count("absent"), 0);
        stop.cancel();
        running.await.expect("joins").expect("synced");
    }

    #[derive(Default)]
    struct Recorded {
        results: Mutex<Vec<ReconcileResult>>,
        started: AtomicUsize,
    }

    impl ReconcileMetrics for Recorded {
        fn reconciled(&self, result: ReconcileResult, _took: Duration) {
            self.results.lock().expect("lock").push(result);
        }
        fn started(&self) {
            self.started.fetch_add(1, Ordering::AcqRel);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reconcile_metrics_see_each_start_and_each_result() {
        let script = Scripted::default();
        let names = ["fine", "again", "fails", "panics"];
        script.list(Ok(list(
            10,
            names.iter().enumerate().map(|(i, n)| thing("ns", n, i as u64 + 1, "")).collect(),
            None,
        )));
        script.watch(Vec::new(), End::Hang);
        let recorded = Arc::new(Recorded::default());
        let stop = CancellationToken::new();
        let running = tokio::spawn({
            let (recorded, stop) = (recorded.clone(), stop.clone());
            async move {
                Controller::new(informer(&script))
                    .workers(2)
                    .reconcile_metrics(recorded)
                    // Retries come after a minute: one reconcile of each key in this test.
                    .rate_limiter(|| Box::new(ItemExponential::new(Duration::from_secs(60), Duration::from_secs(60))))
                    .run(
                        |object: Arc<Thing>, _: Arc<()>| async move {
                            match object.metadata.name() {
                                "again" => Ok(Action::requeue(Duration::from_secs(60))),
                                "fails" => Err("no".to_owned()),
                                "panics" => panic!("the reconcile panics"),
                                _ => Ok(Action::await_change()),
                            }
                        },
                        Arc::new(()),
                        stop.cancelled_owned(),
                    )
                    .await
            }
        });
        eventually("four reconciles", || recorded.results.lock().expect("lock").len() == 4).await;
        stop.cancel();
        running.await.expect("joins").expect("synced");
        let mut results = recorded.results.lock().expect("lock").clone();
        results.sort_by_key(|result| result.as_str());
        use ReconcileResult::*;
        assert_eq!(results, [Error, Panic, Requeue, Success]);
        assert_eq!(recorded.started.load(Ordering::Acquire), 4, "each reconcile started once");
    }

    #[derive(Default)]
    struct CountedAdds(AtomicUsize);

    impl QueueMetrics for CountedAdds {
        fn added(&self) {
            self.0.fetch_add(1, Ordering::AcqRel);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn filtered_updates_queue_nothing() {
        let with_generation = |version: u64, generation: i64, value: &str| {
            let mut object = thing("ns", "a", version, value);
            object.metadata.generation = Some(generation);
            object
        };
        let script = Scripted::default();
        script.list(Ok(list(10, vec![with_generation(5, 1, "a0"), thing("ns", "b", 6, "b0")], None)));
        script.watch(
            vec![
                // A status write: the generation stays.
                WatchEvent::Modified(with_generation(11, 1, "a-status")),
                // No generation: always a change.
                WatchEvent::Modified(thing("ns", "b", 12, "b1")),
                // A spec change.
                WatchEvent::Modified(with_generation(13, 2, "a-spec")),
            ],
            End::Hang,
        );
        let adds = Arc::new(CountedAdds::default());
        let log = Arc::new(Log::default());
        let stop = CancellationToken::new();
        let running = tokio::spawn({
            let (adds, log, stop) = (adds.clone(), log.clone(), stop.clone());
            async move {
                Controller::new(informer(&script))
                    .queue_metrics(adds)
                    .filter_updates(super::super::predicates::generation_changed)
                    .run_until(Arc::new(Logging(log)), stop)
                    .await
            }
        });
        let saw = |value: &str| log.calls().iter().any(|(_, seen, _)| seen == value);
        eventually("the spec change and b's change", || saw("a-spec") && saw("b1")).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        // a and b listed, b1 and a-spec: the status write queued nothing.
        assert_eq!(adds.0.load(Ordering::Acquire), 4);
        stop.cancel();
        running.await.expect("joins").expect("synced");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn resyncs_pass_any_update_filter() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![thing("ns", "a", 5, "a0")], None)));
        script.watch(Vec::new(), End::Hang);
        let adds = Arc::new(CountedAdds::default());
        let stop = CancellationToken::new();
        let running = tokio::spawn({
            let (adds, stop) = (adds.clone(), stop.clone());
            async move {
                Controller::new(informer(&script))
                    .queue_metrics(adds)
                    .filter_updates(|_, _| false)
                    .resync(Duration::from_secs(1))
                    .run_until(Arc::new(Logging(Arc::default())), stop)
                    .await
            }
        });
        // The list's add, then a resync's replay of the unchanged object.
        eventually("a resync", || adds.0.load(Ordering::Acquire) >= 2).await;
        stop.cancel();
        running.await.expect("joins").expect("synced");
    }

    #[test]
    fn predicates_compare_generations_labels_annotations_and_finalizers() {
        use super::super::predicates::*;
        let base = thing("ns", "a", 1, "");
        let mut generation_1 = base.clone();
        generation_1.metadata.generation = Some(1);
        let mut generation_2 = generation_1.clone();
        generation_2.metadata.generation = Some(2);
        assert!(!generation_changed(&generation_1, &generation_1));
        assert!(generation_changed(&generation_1, &generation_2));
        assert!(generation_changed(&base, &base), "no generation: always a change");
        let mut deleting = generation_1.clone();
        deleting.metadata.deletion_timestamp = Some(crate::types::Time::default());
        assert!(generation_changed(&generation_1, &deleting), "the deletion started");
        let mut labelled = base.clone();
        labelled.metadata.labels =
            Some([(crate::types::Str::from("app"), crate::types::Str::from("web"))].into_iter().collect());
        assert!(labels_changed(&base, &labelled) && !labels_changed(&labelled, &labelled));
        assert!(!annotations_changed(&base, &labelled));
        let mut finalized = base.clone();
        finalized.metadata.finalizers = Some(vec!["example.com/cleanup".into()]);
        assert!(finalizers_changed(&base, &finalized) && !finalizers_changed(&finalized, &finalized));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn caches_that_do_not_sync_in_the_sync_timeout_end_the_run_with_the_last_error() {
        // No list is scripted: every list fails with a 503, which the reflector retries.
        let script = Scripted::default();
        let log = Arc::new(Log::default());
        let started = Instant::now();
        let result = Controller::new(informer(&script))
            .sync_timeout(Duration::from_millis(300))
            .run_until(Arc::new(Logging(log.clone())), CancellationToken::new())
            .await;
        let Err(SyncError::Timeout { resource, timeout, last_error }) = result else {
            panic!("a timeout, not {result:?}");
        };
        assert_eq!((resource.as_str(), timeout), ("things", Duration::from_millis(300)));
        assert_eq!(last_error.and_then(|error| error.code()), Some(503));
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(log.calls().is_empty());
    }
}
