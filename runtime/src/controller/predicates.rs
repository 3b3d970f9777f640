//! Which changes of a primary are worth a reconcile, for
//! [`Controller::filter_updates`](super::Controller::filter_updates): without a filter every
//! update is one, including those the controller made itself by writing the object's status.
//! With `generation_changed`, a status write (which leaves `metadata.generation` alone on
//! resources with a status subresource) does not bring the object back. Neither does a
//! change of metadata alone (labels, finalizers): add the filters for what the reconcile
//! reads (filters are or'ed).

use crate::resource::Object;

/// The spec changed (`metadata.generation` moved), or the object started being deleted. An
/// object without a generation (a resource the server does not version, such as a ConfigMap)
/// always counts as changed.
pub fn generation_changed<K: Object>(old: &K, new: &K) -> bool {
    let (old, new) = (old.metadata(), new.metadata());
    match (old.generation, new.generation) {
        (Some(before), Some(after)) => {
            before != after || old.deletion_timestamp.is_some() != new.deletion_timestamp.is_some()
        }
        _ => true,
    }
}

/// The labels changed.
pub fn labels_changed<K: Object>(old: &K, new: &K) -> bool {
    old.metadata().labels != new.metadata().labels
}

/// The annotations changed.
pub fn annotations_changed<K: Object>(old: &K, new: &K) -> bool {
    old.metadata().annotations != new.metadata().annotations
}

/// The finalizers changed (one was added or removed).
pub fn finalizers_changed<K: Object>(old: &K, new: &K) -> bool {
    old.metadata().finalizers != new.metadata().finalizers
}
