//! [`EventRecorder`]: records events without ever blocking the caller. Records go into a
//! bounded queue; one task per recorder aggregates them into series, filters spam and writes
//! Events through the typed client. When the queue is full a record is dropped and counted
//! (client-go's broadcaster drops too, with a log line): a controller must not slow down
//! because the API server is slow to take its events.

use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, MissedTickBehavior};

use super::object::{event_name, event_object, namespace_of, series_patch};
use super::reference::EventRecord;
use super::series::{SERIES_WINDOW, Series, SeriesCache, SeriesKey};
use super::spam_filter::{SPAM_BURST, SPAM_REFILL, SpamFilter};
use crate::client::params::{Patch, PatchParams, PostParams};
use crate::client::{Api, Client};
use crate::resource::{NamespaceScoped, Resource, verbs};
use crate::types::MicroTime;

/// Who records, and the recorder's bounds.
#[derive(Clone, Debug)]
pub struct EventRecorderConfig {
    /// The controller's name, for example `example.com/configset-controller`
    /// (`reportingController`).
    pub reporting_controller: String,
    /// This replica, for example its Pod's name (`reportingInstance`).
    pub reporting_instance: String,
    /// Records waiting to be written, at most (default 1,000); more are dropped.
    pub queue_capacity: usize,
    /// A series not observed for this long is finished (default 6 minutes, client-go's).
    pub series_window: Duration,
    /// How often grown series counts are written (default 10 s).
    pub series_flush: Duration,
    /// New Events per object at once (default 25), then one per `spam_refill` (default 5 min).
    pub spam_burst: u32,
    /// See `spam_burst`.
    pub spam_refill: Duration,
    /// Open series and spam buckets remembered, at most each (default 4,096).
    pub cache_capacity: usize,
}

impl EventRecorderConfig {
    /// A recorder for `reporting_controller`, replica `reporting_instance`, with client-go's
    /// bounds.
    pub fn new(reporting_controller: impl Into<String>, reporting_instance: impl Into<String>) -> Self {
        Self {
            reporting_controller: reporting_controller.into(),
            reporting_instance: reporting_instance.into(),
            queue_capacity: 1000,
            series_window: SERIES_WINDOW,
            series_flush: Duration::from_secs(10),
            spam_burst: SPAM_BURST,
            spam_refill: SPAM_REFILL,
            cache_capacity: 4096,
        }
    }

    /// The same with a queue of `capacity` records.
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = capacity.max(1);
        self
    }

    /// The same writing grown series counts every `period`.
    pub fn series_flush(mut self, period: Duration) -> Self {
        self.series_flush = period.max(Duration::from_millis(1));
        self
    }
}

/// What a recorder did, since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecorderStats {
    /// Records published.
    pub published: u64,
    /// Records dropped because the queue was full (or the recorder's task had ended).
    pub dropped: u64,
    /// Records refused by the spam filter.
    pub filtered: u64,
    /// Events created.
    pub created: u64,
    /// Series counts written.
    pub series_updates: u64,
    /// Writes the API server refused or that did not reach it.
    pub failed: u64,
}

#[derive(Debug, Default)]
struct Counters {
    published: AtomicU64,
    dropped: AtomicU64,
    filtered: AtomicU64,
    created: AtomicU64,
    series_updates: AtomicU64,
    failed: AtomicU64,
    warned_drop: AtomicBool,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Records events about objects as `events.k8s.io/v1` Events of type `E` (the generated
/// crate's `events_v1::Event`). Cheap to clone; clones share the queue. The writing task ends
/// once every clone is dropped, after writing what was queued.
pub struct EventRecorder<E> {
    queue: mpsc::Sender<EventRecord>,
    flushes: mpsc::UnboundedSender<oneshot::Sender<()>>,
    counters: Arc<Counters>,
    _event: PhantomData<fn() -> E>,
}

impl<E> Clone for EventRecorder<E> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
            flushes: self.flushes.clone(),
            counters: self.counters.clone(),
            _event: PhantomData,
        }
    }
}

impl<E> std::fmt::Debug for EventRecorder<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventRecorder").field("stats", &self.stats()).finish()
    }
}

impl<E> EventRecorder<E>
where
    E: Resource<Scope = NamespaceScoped> + verbs::Create + verbs::Patch,
{
    /// A recorder writing with `client`. Its task runs on the current tokio runtime (this
    /// must be called from within one).
    pub fn new(client: Client, config: EventRecorderConfig) -> Self {
        let (queue, records) = mpsc::channel(config.queue_capacity.max(1));
        let (flushes, flush_requests) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        let writer = Writer::<E> {
            series: SeriesCache::new(config.series_window, config.cache_capacity),
            spam: SpamFilter::new(config.spam_burst, config.spam_refill, config.cache_capacity),
            client,
            config,
            counters: counters.clone(),
            last_stamp: 0,
            _event: PhantomData,
        };
        tokio::spawn(writer.run(records, flush_requests));
        Self { queue, flushes, counters, _event: PhantomData }
    }
}

impl<E> EventRecorder<E> {
    /// Queues `record` and returns at once: true if queued, false if dropped because the
    /// queue was full (counted in [`RecorderStats::dropped`]).
    pub fn publish(&self, record: EventRecord) -> bool {
        bump(&self.counters.published);
        match self.queue.try_send(record) {
            Ok(()) => true,
            Err(error) => {
                bump(&self.counters.dropped);
                let record = match &error {
                    mpsc::error::TrySendError::Full(record) | mpsc::error::TrySendError::Closed(record) => record,
                };
                if !self.counters.warned_drop.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        reason = %record.reason,
                        object = %record.regarding.name,
                        "event recorder queue full: dropping events (counted in the recorder's stats)"
                    );
                }
                false
            }
        }
    }

    /// Records waiting in the queue, not yet taken by the writing task (a gauge for metrics:
    /// a queue that stays full drops what is published).
    pub fn queued(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    /// Waits until every record published before this call was handled and every grown
    /// series count was written (or failed).
    pub async fn flush(&self) {
        let (done, flushed) = oneshot::channel();
        if self.flushes.send(done).is_ok() {
            let _ = flushed.await;
        }
    }

    /// What this recorder did so far.
    pub fn stats(&self) -> RecorderStats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let c = &self.counters;
        RecorderStats {
            published: load(&c.published),
            dropped: load(&c.dropped),
            filtered: load(&c.filtered),
            created: load(&c.created),
            series_updates: load(&c.series_updates),
            failed: load(&c.failed),
        }
    }
}

/// The task behind a recorder.
struct Writer<E> {
    client: Client,
    config: EventRecorderConfig,
    series: SeriesCache,
    spam: SpamFilter,
    counters: Arc<Counters>,
    /// The last name stamp used, so that names stay unique within a nanosecond.
    last_stamp: u128,
    _event: PhantomData<fn() -> E>,
}

impl<E> Writer<E>
where
    E: Resource<Scope = NamespaceScoped> + verbs::Create + verbs::Patch,
{
    async fn run(
        mut self,
        mut records: mpsc::Receiver<EventRecord>,
        mut flush_requests: mpsc::UnboundedReceiver<oneshot::Sender<()>>,
    ) {
        let mut tick = tokio::time::interval(self.config.series_flush);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                record = records.recv() => match record {
                    Some(record) => self.record(record).await,
                    None => break,
                },
                Some(done) = flush_requests.recv() => {
                    while let Ok(record) = records.try_recv() {
                        self.record(record).await;
                    }
                    self.write_series().await;
                    let _ = done.send(());
                }
                _ = tick.tick() => {
                    self.write_series().await;
                    for finished in self.series.finish_stale(Instant::now()) {
                        self.write_one(None, &finished).await;
                    }
                }
            }
        }
        self.write_series().await;
    }

    fn api(&self, namespace: &str) -> Api<E> {
        Api::namespaced(self.client.clone(), namespace)
    }

    fn stamp(&mut self) -> u128 {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|since| since.as_nanos()).unwrap_or_default();
        self.last_stamp = now.max(self.last_stamp + 1);
        self.last_stamp
    }

    async fn record(&mut self, record: EventRecord) {
        let key = SeriesKey::of(&record);
        let now = Instant::now();
        if self.series.repeat(&key, now) {
            return;
        }
        if !self.spam.allow(&record.regarding, now) {
            bump(&self.counters.filtered);
            tracing::debug!(reason = %record.reason, object = %record.regarding.name, "event filtered as spam");
            return;
        }
        let name = event_name(&record.regarding.name, self.stamp());
        let namespace = namespace_of(&record).to_owned();
        let config = &self.config;
        let object =
            event_object(&record, &name, &config.reporting_controller, &config.reporting_instance, &MicroTime::now());
        let event: E = match serde_json::from_value(object) {
            Ok(event) => event,
            Err(error) => {
                bump(&self.counters.failed);
                tracing::warn!(%error, "the Event type does not take an events.k8s.io/v1 Event");
                return;
            }
        };
        match self.api(&namespace).create(&PostParams::default(), &event).await {
            Ok(_) => {
                bump(&self.counters.created);
                if let Some(evicted) = self.series.open(key, &namespace, &name, now) {
                    self.write_one(None, &evicted).await;
                }
            }
            Err(error) => {
                bump(&self.counters.failed);
                tracing::warn!(reason = %record.reason, object = %record.regarding.name, %error, "could not create an Event");
            }
        }
    }

    async fn write_series(&mut self) {
        for (key, series) in self.series.dirty() {
            self.write_one(Some(&key), &series).await;
        }
    }

    /// Writes `series`'s count. An Event that is gone (Events expire after an hour) ends its
    /// series: the next record makes a new one. Other failures are retried at the next flush.
    async fn write_one(&mut self, key: Option<&SeriesKey>, series: &Series) {
        let patch = Patch::Merge(series_patch(series.count, &series.last_observed_time));
        match self.api(&series.namespace).patch(&series.name, &PatchParams::default(), &patch).await {
            Ok(_) => {
                bump(&self.counters.series_updates);
                if let Some(key) = key {
                    self.series.written(key, series.count);
                }
            }
            Err(error) => {
                bump(&self.counters.failed);
                tracing::warn!(event = %series.name, %error, "could not write an Event's series");
                if let Some(key) = key.filter(|_| error.code().is_some_and(|code| (400..500).contains(&code))) {
                    self.series.forget(key);
                }
            }
        }
    }
}
