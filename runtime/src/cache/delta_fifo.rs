//! DeltaFIFO: the queue between the reflector and the informer's store.
//!
//! The reflector adds deltas (Added, Updated, Deleted from watch events), relist batches and
//! progress marks; the resync timer adds resync marks. The informer pops items one at a time
//! and applies them to the store before notifying handlers. Deltas are queued per object key
//! and keys are popped in the order they were first queued, so one pop hands over everything
//! that happened to one object since it was last popped.
//!
//! The queue's lock covers the queue only: popping takes an item out and releases the lock,
//! and the consumer applies it (a relist's diff against 50,000 cached objects, the store swap,
//! the fan-out to handlers) without it. The reflector's `add` never waits for that work.
//!
//! # Bounded per key
//!
//! While the consumer is slow, a churning object must not grow memory without end. Runs of
//! updates collapse into their newest, two consecutive deletions merge (keeping the one that is
//! not a tombstone), and a key with more than [`MAX_DELTAS_PER_KEY`] deltas keeps only its
//! newest. The informer turns each delta into add, update or delete by looking at the store,
//! so the newest delta alone still ends at the object's current state: handlers miss
//! intermediate states, never the final one (the contract of client-go's informers, which are
//! level-based).
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
//!
//! # Progress
//!
//! Every event's resourceVersion, and every bookmark's, follows its delta into the queue as a
//! progress mark at the tail (consecutive marks collapse into the newest). A mark is popped
//! only after every key queued before it, so when the consumer reaches a mark, every event at
//! or below its resourceVersion has been delivered: the informer's last synced resourceVersion
//! comes from marks and relist batches only, never runs ahead of its handlers and never goes
//! back.
//!
//! # Resyncs replay the store, not the past
//!
//! A resync is one mark, not a Sync delta per object holding the object as it was cached when
//! the timer fired. When the consumer reaches it, it replays the store's objects as they are
//! then, skips keys that still have deltas queued (those reach handlers anyway, newer), and
//! sends the replay only to the handlers whose resync period was due. A relist that is
//! waiting in the queue when the timer fires is applied before the mark, so a resync can never
//! bring back an object the relist removed, nor an older version of one it changed.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use super::delta::{Delta, DeltaObject, DeltaType};
use super::key::object_key;
use crate::resource::Object;

/// The most deltas one key keeps while it waits to be popped.
pub const MAX_DELTAS_PER_KEY: usize = 8;

/// The handlers (by listener id) a resync round is for.
pub type ResyncRound = Arc<HashSet<u64>>;

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
    /// Every event up to this resourceVersion has been popped.
    Progress(String),
    /// Replay the store to the handlers of this round.
    Resync(ResyncRound),
}

/// The objects a list returned.
#[derive(Debug)]
pub struct ReplaceBatch<K> {
    /// The objects, in list order.
    pub objects: Vec<Arc<K>>,
    /// The list's resourceVersion.
    pub resource_version: String,
}

/// One place in a segment's order.
#[derive(Debug)]
enum Entry {
    Key(String),
    Progress(String),
    Resync(ResyncRound),
}

/// A stretch of the queue: keys and marks in order, then, once closed by a relist, that
/// relist's batch.
struct Segment<K> {
    order: VecDeque<Entry>,
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
            state: Mutex::new(State { segments: VecDeque::new(), queued: HashMap::new(), closed: false }),
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

    /// The number of keys waiting (a key waiting on both sides of a relist counts twice).
    pub fn len(&self) -> usize {
        self.lock().queued.values().sum()
    }

    /// Whether nothing is waiting (relist batches and marks included).
    pub fn is_empty(&self) -> bool {
        let state = self.lock();
        state.segments.iter().all(|segment| segment.order.is_empty() && segment.replace.is_none())
    }

    /// Whether `key` has deltas waiting.
    pub fn is_queued(&self, key: &str) -> bool {
        self.lock().queued.contains_key(key)
    }

    /// Ends the queue: `pop` returns `None` once it is empty.
    pub fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_waiters();
    }

    /// Pops the next item, waiting while the queue is empty; `None` once the queue is closed
    /// and empty. The lock is held only to take the item out.
    pub async fn pop(&self) -> Option<Popped<K>> {
        loop {
            let notified = self.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = self.lock();
                if let Some(popped) = state.take_next() {
                    return Some(popped);
                }
                if state.closed {
                    return None;
                }
            }
            notified.await;
        }
    }

    /// Queues a progress mark: every event up to `resource_version` has been queued (a
    /// bookmark's resourceVersion).
    pub fn progress(&self, resource_version: String) {
        if resource_version.is_empty() {
            return;
        }
        self.lock().open_segment().mark_progress(resource_version);
        self.ready.notify_one();
    }

    /// Queues a resync mark for the handlers of `round`.
    pub fn resync(&self, round: ResyncRound) {
        self.lock().open_segment().order.push_back(Entry::Resync(round));
        self.ready.notify_one();
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
        let version = object.object().metadata().resource_version().map(str::to_owned);
        {
            let mut state = self.lock();
            state.push(key, Delta { kind, object });
            if let Some(version) = version {
                state.open_segment().mark_progress(version);
            }
        }
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
}

impl<K> Segment<K> {
    /// Appends a progress mark, or moves the one at the tail forward.
    fn mark_progress(&mut self, resource_version: String) {
        match self.order.back_mut() {
            Some(Entry::Progress(last)) => *last = resource_version,
            _ => self.order.push_back(Entry::Progress(resource_version)),
        }
    }
}

impl<K> State<K> {
    /// The segment new items go to: the last one, unless a relist closed it.
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
                segment.order.push_back(Entry::Key(key.clone()));
                segment.deltas.insert(key.clone(), vec![delta]);
                *self.queued.entry(key).or_default() += 1;
            }
        }
    }

    fn take_next(&mut self) -> Option<Popped<K>> {
        loop {
            let segment = self.segments.front_mut()?;
            match segment.order.pop_front() {
                Some(Entry::Key(key)) => {
                    let deltas = segment.deltas.remove(&key).unwrap_or_default();
                    if let Some(count) = self.queued.get_mut(&key) {
                        *count -= 1;
                        if *count == 0 {
                            self.queued.remove(&key);
                        }
                    }
                    return Some(Popped::Deltas { key, deltas });
                }
                Some(Entry::Progress(version)) => return Some(Popped::Progress(version)),
                Some(Entry::Resync(round)) => return Some(Popped::Resync(round)),
                None => {}
            }
            let batch = segment.replace.take();
            let open_and_empty = batch.is_none() && self.segments.len() == 1;
            if open_and_empty {
                return None;
            }
            self.segments.pop_front();
            if let Some(batch) = batch {
                return Some(Popped::Replace(batch));
            }
        }
    }
}

/// Keeps a key's deltas bounded; see the module documentation.
fn compress<K>(deltas: &mut Vec<Delta<K>>) {
    if let [.., older, newer] = deltas.as_slice() {
        if older.kind == DeltaType::Updated && newer.kind == DeltaType::Updated {
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
    use crate::cache::testing::{Thing, thing};

    fn describe(popped: Popped<Thing>) -> (String, Vec<(DeltaType, String)>) {
        match popped {
            Popped::Deltas { key, deltas } => {
                let kinds = deltas.into_iter().map(|delta| (delta.kind, delta.object.object().value.clone())).collect();
                (key, kinds)
            }
            Popped::Replace(batch) => (format!("replace@{}", batch.resource_version), Vec::new()),
            Popped::Progress(version) => (format!("progress@{version}"), Vec::new()),
            Popped::Resync(round) => (format!("resync{:?}", round.iter().collect::<Vec<_>>()), Vec::new()),
        }
    }

    /// Pops the next item that is not a progress mark.
    async fn pop(fifo: &DeltaFifo<Thing>) -> (String, Vec<(DeltaType, String)>) {
        loop {
            let popped = describe(fifo.pop().await.expect("an item"));
            if !popped.0.starts_with("progress@") {
                return popped;
            }
        }
    }

    /// Pops everything queued, marks included.
    async fn drain(fifo: &DeltaFifo<Thing>) -> Vec<String> {
        let mut seen = Vec::new();
        while !fifo.is_empty() {
            let (what, deltas) = describe(fifo.pop().await.expect("an item"));
            let values: Vec<String> = deltas.into_iter().map(|(_, value)| value).collect();
            seen.push(if values.is_empty() { what } else { format!("{what}:{}", values.join(",")) });
        }
        seen
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
        assert_eq!(drain(&fifo).await, ["progress@3"]);
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
        assert_eq!(drain(&fifo).await, ["progress@199"], "one mark for the whole run");
    }

    #[tokio::test]
    async fn a_relist_is_one_batch_behind_earlier_keys_and_ahead_of_later_ones() {
        let fifo = DeltaFifo::new();
        fifo.add(Arc::new(thing("ns", "a", 1, "a1")));
        fifo.replace(vec![Arc::new(thing("ns", "a", 1, "a1")), Arc::new(thing("ns", "b", 2, "b1"))], "2".into());
        fifo.update(Arc::new(thing("ns", "a", 3, "a3")));
        assert_eq!(drain(&fifo).await, ["ns/a:a1", "progress@1", "replace@2", "ns/a:a3", "progress@3"]);
    }

    #[tokio::test]
    async fn progress_marks_follow_every_key_queued_before_them() {
        let fifo = DeltaFifo::new();
        fifo.add(Arc::new(thing("ns", "a", 10, "a1")));
        fifo.add(Arc::new(thing("ns", "b", 11, "b1")));
        // a's newer delta joins a's entry, ahead of b; the mark for 12 stays behind b.
        fifo.update(Arc::new(thing("ns", "a", 12, "a2")));
        fifo.progress("13".into());
        assert_eq!(drain(&fifo).await, ["ns/a:a1,a2", "progress@10", "ns/b:b1", "progress@13"]);
    }

    #[tokio::test]
    async fn a_resync_is_one_mark_in_queue_order() {
        let fifo = DeltaFifo::new();
        fifo.add(Arc::new(thing("ns", "a", 1, "a1")));
        fifo.replace(vec![Arc::new(thing("ns", "b", 2, "b1"))], "2".into());
        fifo.resync(Arc::new(HashSet::from([7])));
        assert!(fifo.is_queued("ns/a"));
        assert_eq!(drain(&fifo).await, ["ns/a:a1", "progress@1", "replace@2", "resync[7]"]);
        assert!(!fifo.is_queued("ns/a"));
    }

    #[tokio::test]
    async fn pop_waits_for_an_item_and_ends_when_closed() {
        let fifo = Arc::new(DeltaFifo::<Thing>::new());
        let waiter = {
            let fifo = fifo.clone();
            tokio::spawn(async move { fifo.pop().await.map(describe) })
        };
        tokio::task::yield_now().await;
        fifo.add(Arc::new(thing("", "node", 1, "n")));
        assert_eq!(waiter.await.expect("joins").map(|(key, _)| key), Some("node".into()));
        fifo.close();
        assert_eq!(fifo.pop().await.map(describe).map(|(what, _)| what), Some("progress@1".into()));
        assert!(fifo.pop().await.is_none());
    }
}
