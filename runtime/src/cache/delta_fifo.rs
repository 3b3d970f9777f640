//! DeltaFIFO: the queue between the reflector and the informer's store.
//!
//! The reflector adds deltas (Added, Updated, Deleted from watch events; Sync from resyncs);
//! the informer pops them and applies them to the store before notifying handlers. Deltas are
//! queued per object key and keys are popped in the order they were first queued, so one pop
//! hands over everything that happened to one object since it was last popped.
//!
//! # Bounded per key
//!
//! While the consumer is slow, a churning object must not grow memory without end. Runs of
//! updates (Updated, Replaced, Sync) collapse into their newest, two consecutive deletions
//! merge (keeping the one that is not a tombstone), and a key with more than
//! [`MAX_DELTAS_PER_KEY`] deltas keeps only its newest. The informer turns each delta into
//! add, update or delete by looking at the store, so the newest delta alone still ends at the
//! object's current state: handlers miss intermediate states, never the final one (the
//! contract of client-go's informers, which are level-based).
//!
//! # Relists are atomic
//!
//! `replace` (after a list) does not queue per-key deltas. It closes the current segment of the
//! queue and records the listed objects as one batch; the consumer pops the batch only after
//! every key queued before it, diffs it against the store (objects missing from the list
//! become deletions with `DeletedFinalStateUnknown` tombstones), swaps the store's content in
//! one step, and only then notifies handlers. No handler sees a half-replaced cache. Deltas
//! that arrive after the relist go to a new segment behind the batch, so they are never
//! applied before it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use super::delta::{Delta, DeltaObject, DeltaType};
use super::key::object_key;
use super::store::Store;
use crate::resource::Object;

/// The most deltas one key keeps while it waits to be popped.
pub const MAX_DELTAS_PER_KEY: usize = 8;

/// What the consumer pops.
#[derive(Debug)]
pub enum Popped<K> {
    /// Everything queued for one object, oldest first.
    Deltas {
        /// The object's key.
        key: String,
        /// Its deltas.
        deltas: Vec<Delta<K>>,
    },
    /// A relist: the complete set of objects at a resourceVersion.
    Replace(ReplaceBatch<K>),
}

/// The objects a list returned.
#[derive(Debug)]
pub struct ReplaceBatch<K> {
    /// The objects, in list order.
    pub objects: Vec<Arc<K>>,
    /// The list's resourceVersion.
    pub resource_version: String,
}

/// A stretch of the queue: keys in order with their deltas, then, once closed by a relist,
/// that relist's batch.
struct Segment<K> {
    order: VecDeque<String>,
    deltas: HashMap<String, Vec<Delta<K>>>,
    replace: Option<ReplaceBatch<K>>,
}

impl<K> Segment<K> {
    fn new() -> Self {
        Self { order: VecDeque::new(), deltas: HashMap::new(), replace: None }
    }
}

struct State<K> {
    segments: VecDeque<Segment<K>>,
    /// For each queued key, in how many segments it waits.
    queued: HashMap<String, usize>,
    closed: bool,
    /// A relist batch has been popped: the consumer has seen the whole initial state.
    populated: bool,
}

/// A queue of deltas per object key. See the module documentation.
pub struct DeltaFifo<K> {
    state: Mutex<State<K>>,
    ready: Notify,
}

impl<K> std::fmt::Debug for DeltaFifo<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeltaFifo").field("queued_keys", &self.lock().queued.len()).finish()
    }
}

impl<K> Default for DeltaFifo<K> {
    fn default() -> Self {
        Self {
            state: Mutex::new(State {
                segments: VecDeque::new(),
                queued: HashMap::new(),
                closed: false,
                populated: false,
            }),
            ready: Notify::new(),
        }
    }
}

impl<K> DeltaFifo<K> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State<K>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the consumer has popped the first relist.
    pub fn has_synced(&self) -> bool {
        self.lock().populated
    }

    /// The number of keys waiting (a key waiting on both sides of a relist counts twice).
    pub fn len(&self) -> usize {
        self.lock().queued.values().sum()
    }

    /// Whether nothing is waiting (relist batches included).
    pub fn is_empty(&self) -> bool {
        let state = self.lock();
        state.segments.iter().all(|segment| segment.order.is_empty() && segment.replace.is_none())
    }

    /// Ends the queue: `pop` returns `None` once it is empty.
    pub fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_waiters();
    }

    /// Runs `action` while no delta is being processed: the consumer processes each pop under
    /// the same lock, so `action` sees the store between two deltas, never in the middle of
    /// one (client-go's `blockDeltas`).
    pub fn paused<R>(&self, action: impl FnOnce() -> R) -> R {
        let _state = self.lock();
        action()
    }

    /// Pops the next key's deltas or relist batch and runs `process` on it under the queue's
    /// lock, waiting while the queue is empty; `None` once the queue is closed and empty.
    pub async fn pop<R>(&self, process: impl FnOnce(Popped<K>) -> R) -> Option<R> {
        let mut process = Some(process);
        loop {
            let notified = self.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = self.lock();
                if let Some(popped) = state.take_next()
                    && let Some(process) = process.take()
                {
                    return Some(process(popped));
                }
                if state.closed {
                    return None;
                }
            }
            notified.await;
        }
    }
}

impl<K: Object> DeltaFifo<K> {
    /// Queues an ADDED event's object.
    pub fn add(&self, object: Arc<K>) {
        self.queue(DeltaType::Added, DeltaObject::Object(object));
    }

    /// Queues a MODIFIED event's object.
    pub fn update(&self, object: Arc<K>) {
        self.queue(DeltaType::Updated, DeltaObject::Object(object));
    }

    /// Queues a DELETED event's object.
    pub fn delete(&self, object: Arc<K>) {
        self.queue(DeltaType::Deleted, DeltaObject::Object(object));
    }

    fn queue(&self, kind: DeltaType, object: DeltaObject<K>) {
        let key = object_key(object.object().as_ref());
        self.lock().push(key, Delta { kind, object });
        self.ready.notify_one();
    }

    /// Queues a relist: the complete set of objects at `resource_version`.
    pub fn replace(&self, objects: Vec<Arc<K>>, resource_version: String) {
        let mut state = self.lock();
        let open = state.open_segment();
        open.replace = Some(ReplaceBatch { objects, resource_version });
        drop(state);
        self.ready.notify_one();
    }

    /// Queues a Sync delta, with the cached object, for every object of `store` that is not
    /// waiting already (a waiting key will reach handlers anyway, and a Sync with the cached
    /// object would resurrect a state older than the queued one).
    pub fn resync(&self, store: &Store<K>) {
        let mut state = self.lock();
        let mut added = false;
        for object in store.list() {
            let key = object_key(object.as_ref());
            if state.queued.contains_key(&key) {
                continue;
            }
            state.push(key, Delta { kind: DeltaType::Sync, object: DeltaObject::Object(object) });
            added = true;
        }
        drop(state);
        if added {
            self.ready.notify_one();
        }
    }
}

impl<K> State<K> {
    /// The segment new deltas go to: the last one, unless a relist closed it.
    fn open_segment(&mut self) -> &mut Segment<K> {
        if self.segments.back().is_none_or(|segment| segment.replace.is_some()) {
            self.segments.push_back(Segment::new());
        }
        let Some(segment) = self.segments.back_mut() else { unreachable!("a segment was just ensured") };
        segment
    }

    fn push(&mut self, key: String, delta: Delta<K>) {
        let segment = self.open_segment();
        match segment.deltas.get_mut(&key) {
            Some(deltas) => {
                deltas.push(delta);
                compress(deltas);
            }
            None => {
                segment.order.push_back(key.clone());
                segment.deltas.insert(key.clone(), vec![delta]);
                *self.queued.entry(key).or_default() += 1;
            }
        }
    }

    fn take_next(&mut self) -> Option<Popped<K>> {
        loop {
            let segment = self.segments.front_mut()?;
            if let Some(key) = segment.order.pop_front() {
                let deltas = segment.deltas.remove(&key).unwrap_or_default();
                if let Some(count) = self.queued.get_mut(&key) {
                    *count -= 1;
                    if *count == 0 {
                        self.queued.remove(&key);
                    }
                }
                return Some(Popped::Deltas { key, deltas });
            }
            let batch = segment.replace.take();
            self.segments.pop_front();
            if let Some(batch) = batch {
                self.populated = true;
                return Some(Popped::Replace(batch));
            }
        }
    }
}

fn is_update_like(kind: DeltaType) -> bool {
    matches!(kind, DeltaType::Updated | DeltaType::Replaced | DeltaType::Sync)
}

/// Keeps a key's deltas bounded; see the module documentation.
fn compress<K>(deltas: &mut Vec<Delta<K>>) {
    if let [.., older, newer] = deltas.as_slice() {
        if is_update_like(older.kind) && is_update_like(newer.kind) {
            let newest = deltas.remove(deltas.len() - 1);
            let last = deltas.len() - 1;
            deltas[last] = newest;
        } else if older.kind == DeltaType::Deleted && newer.kind == DeltaType::Deleted {
            let newest = deltas.remove(deltas.len() - 1);
            if matches!(newest.object, DeltaObject::Object(_)) {
                let last = deltas.len() - 1;
                deltas[last] = newest;
            }
        }
    }
    if deltas.len() > MAX_DELTAS_PER_KEY {
        let newest = deltas.drain(..).next_back();
        deltas.extend(newest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::index::default_indexers;
    use crate::cache::testing::{Thing, thing};

    fn popped_kinds(popped: Popped<Thing>) -> (String, Vec<(DeltaType, String)>) {
        match popped {
            Popped::Deltas { key, deltas } => {
                let kinds = deltas.into_iter().map(|delta| (delta.kind, delta.object.object().value.clone())).collect();
                (key, kinds)
            }
            Popped::Replace(batch) => (format!("replace@{}", batch.resource_version), Vec::new()),
        }
    }

    async fn pop(fifo: &DeltaFifo<Thing>) -> (String, Vec<(DeltaType, String)>) {
        fifo.pop(popped_kinds).await.expect("an item")
    }

    #[tokio::test]
    async fn keys_pop_in_first_queued_order_with_their_deltas() {
        let fifo = DeltaFifo::new();
        fifo.add(Arc::new(thing("ns", "a", 1, "a1")));
        fifo.add(Arc::new(thing("ns", "b", 2, "b1")));
        fifo.delete(Arc::new(thing("ns", "a", 3, "a1")));
        assert_eq!(fifo.len(), 2);
        assert_eq!(
            pop(&fifo).await,
            ("ns/a".into(), vec![(DeltaType::Added, "a1".into()), (DeltaType::Deleted, "a1".into())])
        );
        assert_eq!(pop(&fifo).await, ("ns/b".into(), vec![(DeltaType::Added, "b1".into())]));
        assert!(fifo.is_empty());
    }

    #[tokio::test]
    async fn updates_collapse_and_deletes_merge() {
        let fifo = DeltaFifo::new();
        fifo.add(Arc::new(thing("ns", "a", 1, "v1")));
        for (version, value) in [(2, "v2"), (3, "v3"), (4, "v4")] {
            fifo.update(Arc::new(thing("ns", "a", version, value)));
        }
        fifo.delete(Arc::new(thing("ns", "a", 5, "v4")));
        fifo.delete(Arc::new(thing("ns", "a", 6, "gone")));
        assert_eq!(
            pop(&fifo).await,
            (
                "ns/a".into(),
                vec![
                    (DeltaType::Added, "v1".into()),
                    (DeltaType::Updated, "v4".into()),
                    (DeltaType::Deleted, "gone".into())
                ]
            )
        );
    }

    #[tokio::test]
    async fn a_churning_key_stays_bounded() {
        let fifo = DeltaFifo::new();
        for round in 0..100u64 {
            fifo.add(Arc::new(thing("ns", "churn", round * 2, &format!("v{round}"))));
            fifo.delete(Arc::new(thing("ns", "churn", round * 2 + 1, &format!("v{round}"))));
        }
        let (key, deltas) = pop(&fifo).await;
        assert_eq!(key, "ns/churn");
        assert!(deltas.len() <= MAX_DELTAS_PER_KEY, "{} deltas", deltas.len());
        assert_eq!(deltas.last(), Some(&(DeltaType::Deleted, "v99".into())), "the newest delta survives");
    }

    #[tokio::test]
    async fn a_relist_is_one_batch_behind_earlier_keys_and_ahead_of_later_ones() {
        let fifo = DeltaFifo::new();
        fifo.add(Arc::new(thing("ns", "a", 1, "a1")));
        fifo.replace(vec![Arc::new(thing("ns", "a", 1, "a1")), Arc::new(thing("ns", "b", 2, "b1"))], "2".into());
        fifo.update(Arc::new(thing("ns", "a", 3, "a3")));
        assert_eq!(pop(&fifo).await.0, "ns/a", "queued before the relist");
        let batch = fifo.pop(|popped| match popped {
            Popped::Replace(batch) => batch,
            Popped::Deltas { key, .. } => panic!("expected the relist, got {key}"),
        });
        let batch = batch.await.expect("batch");
        assert_eq!(batch.resource_version, "2");
        assert_eq!(batch.objects.len(), 2);
        assert!(fifo.has_synced());
        assert_eq!(pop(&fifo).await, ("ns/a".into(), vec![(DeltaType::Updated, "a3".into())]), "after the relist");
    }

    #[tokio::test]
    async fn resync_queues_cached_objects_that_are_not_waiting() {
        let fifo = DeltaFifo::new();
        let store = Store::new(default_indexers::<Thing>());
        store.insert("ns/a".into(), Arc::new(thing("ns", "a", 1, "cached-a")));
        store.insert("ns/b".into(), Arc::new(thing("ns", "b", 1, "cached-b")));
        fifo.update(Arc::new(thing("ns", "b", 2, "queued-b")));
        fifo.resync(&store);
        let mut popped = vec![pop(&fifo).await, pop(&fifo).await];
        popped.sort();
        assert_eq!(
            popped,
            [
                ("ns/a".into(), vec![(DeltaType::Sync, "cached-a".into())]),
                ("ns/b".into(), vec![(DeltaType::Updated, "queued-b".into())]),
            ],
            "b is waiting with a newer state; resyncing it would resurrect the cached one"
        );
    }

    #[tokio::test]
    async fn pop_waits_for_an_item_and_ends_when_closed() {
        let fifo = Arc::new(DeltaFifo::<Thing>::new());
        let waiter = {
            let fifo = fifo.clone();
            tokio::spawn(async move { fifo.pop(popped_kinds).await })
        };
        tokio::task::yield_now().await;
        fifo.add(Arc::new(thing("", "node", 1, "n")));
        assert_eq!(waiter.await.expect("joins").map(|(key, _)| key), Some("node".into()));
        fifo.close();
        assert!(fifo.pop(popped_kinds).await.is_none());
    }
}
