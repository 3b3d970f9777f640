//! Deltas: what happened to an object, as the DeltaFIFO queues it.

use std::sync::Arc;

/// The kind of change a [`Delta`] records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeltaType {
    /// A watch ADDED event.
    Added,
    /// A watch MODIFIED event.
    Updated,
    /// A watch DELETED event, or an object a relist no longer has.
    Deleted,
}

/// One change to one object.
#[derive(Debug)]
pub struct Delta<K> {
    /// What happened.
    pub kind: DeltaType,
    /// The object after the change (for deletions, its last known state).
    pub object: DeltaObject<K>,
}

impl<K> Clone for Delta<K> {
    fn clone(&self) -> Self {
        Self { kind: self.kind, object: self.object.clone() }
    }
}

/// The object of a delta: the object itself, or for a deletion the informer did not see, a
/// tombstone holding its last known state.
#[derive(Debug)]
pub enum DeltaObject<K> {
    /// The object.
    Object(Arc<K>),
    /// `DeletedFinalStateUnknown`: the object was deleted while the watch was down; this is
    /// the last state the cache had, which may be stale.
    Tombstone(Tombstone<K>),
}

impl<K> Clone for DeltaObject<K> {
    fn clone(&self) -> Self {
        match self {
            DeltaObject::Object(object) => DeltaObject::Object(object.clone()),
            DeltaObject::Tombstone(tombstone) => DeltaObject::Tombstone(tombstone.clone()),
        }
    }
}

impl<K> DeltaObject<K> {
    /// The object, or the tombstone's last known state.
    pub fn object(&self) -> &Arc<K> {
        match self {
            DeltaObject::Object(object) => object,
            DeltaObject::Tombstone(tombstone) => &tombstone.last_known,
        }
    }
}

/// A deletion the informer did not see as it happened (client-go's
/// `DeletedFinalStateUnknown`).
#[derive(Debug)]
pub struct Tombstone<K> {
    /// The object's key.
    pub key: String,
    /// The last state the cache had.
    pub last_known: Arc<K>,
}

impl<K> Clone for Tombstone<K> {
    fn clone(&self) -> Self {
        Self { key: self.key.clone(), last_known: self.last_known.clone() }
    }
}
