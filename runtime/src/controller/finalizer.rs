//! A finalizer helper: run the user's cleanup before an object goes away.
//!
//! [`finalizer`] wraps a reconcile. An object without the finalizer gets it first (and is
//! reconciled again when that change arrives); an object with it is reconciled as
//! [`FinalizerEvent::Apply`]; an object being deleted (`deletionTimestamp` set) that still has
//! it is reconciled as [`FinalizerEvent::Cleanup`], and once that succeeds the finalizer is
//! removed, which lets the API server delete the object.
//!
//! The finalizer is added and removed with JSON patches that first `test` the object's
//! `resourceVersion`, so a concurrent change (another controller's finalizer, a status update)
//! is never overwritten: the patch fails, the object is read again and the step is retried on
//! what is there now (up to [`MAX_ATTEMPTS`] times), never lost.

use std::future::Future;
use std::sync::Arc;

use serde_json::json;

use super::action::Action;
use crate::client::params::{Patch, PatchParams};
use crate::client::{Api, Error};
use crate::resource::{Resource, verbs};

/// How often a finalizer change is tried again after a conflict.
pub const MAX_ATTEMPTS: u32 = 5;

/// Which reconcile the object needs.
#[derive(Debug)]
pub enum FinalizerEvent<K> {
    /// The object exists and is not being deleted: make the world match it.
    Apply(Arc<K>),
    /// The object is being deleted: clean up what it owns outside the API server's care.
    Cleanup(Arc<K>),
}

/// Why a finalized reconcile failed.
#[derive(Debug, thiserror::Error)]
pub enum FinalizerError<E: std::error::Error + 'static> {
    /// The reconcile of a live object failed.
    #[error("reconcile failed: {0}")]
    ApplyFailed(#[source] E),
    /// The cleanup failed; the finalizer stays, and the cleanup runs again on the next try.
    #[error("cleanup failed: {0}")]
    CleanupFailed(#[source] E),
    /// Adding the finalizer failed.
    #[error("adding finalizer {name:?} failed: {source}")]
    AddFinalizer {
        /// The finalizer.
        name: String,
        /// The error.
        #[source]
        source: Error,
    },
    /// Removing the finalizer failed (the cleanup succeeded).
    #[error("removing finalizer {name:?} failed: {source}")]
    RemoveFinalizer {
        /// The finalizer.
        name: String,
        /// The error.
        #[source]
        source: Error,
    },
    /// The object has no name, or no resourceVersion to patch against.
    #[error("the object has no {0}; was it read from the server?")]
    Unnamed(&'static str),
}

/// Runs `reconcile` for `object` under finalizer `name`. See the module documentation.
pub async fn finalizer<K, E, F, Fut>(
    api: &Api<K>,
    name: &str,
    object: Arc<K>,
    reconcile: F,
) -> Result<Action, FinalizerError<E>>
where
    K: Resource + verbs::Patch + verbs::Get,
    E: std::error::Error + 'static,
    F: FnOnce(FinalizerEvent<K>) -> Fut,
    Fut: Future<Output = Result<Action, E>>,
{
    let has = |object: &K| object.metadata().finalizers.iter().flatten().any(|finalizer| finalizer == name);
    let deleting = object.metadata().deletion_timestamp.is_some();
    match (deleting, has(&object)) {
        (false, true) => reconcile(FinalizerEvent::Apply(object)).await.map_err(FinalizerError::ApplyFailed),
        (true, true) => {
            let action =
                reconcile(FinalizerEvent::Cleanup(object.clone())).await.map_err(FinalizerError::CleanupFailed)?;
            change_finalizers(api, &object, name, Change::Remove)
                .await
                .map_err(|source| FinalizerError::RemoveFinalizer { name: name.to_owned(), source })?;
            Ok(action)
        }
        (false, false) => {
            change_finalizers(api, &object, name, Change::Add)
                .await
                .map_err(|source| FinalizerError::AddFinalizer { name: name.to_owned(), source })?;
            // The change comes back as an update, which reconciles the object with it.
            Ok(Action::await_change())
        }
        (true, false) => Ok(Action::await_change()),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Change {
    Add,
    Remove,
}

/// Adds or removes finalizer `name`, retrying on conflicts with the object as it is then.
async fn change_finalizers<K>(api: &Api<K>, object: &K, name: &str, change: Change) -> Result<(), Error>
where
    K: Resource + verbs::Patch + verbs::Get,
{
    let object_name = object.metadata().name().to_owned();
    let mut current = object.clone();
    for attempt in 1..=MAX_ATTEMPTS {
        let finalizers: Vec<String> =
            current.metadata().finalizers.iter().flatten().map(|finalizer| finalizer.to_string()).collect();
        let present = finalizers.iter().any(|finalizer| finalizer == name);
        let wanted: Vec<String> = match change {
            Change::Add if present => return Ok(()),
            Change::Remove if !present => return Ok(()),
            Change::Add => finalizers.iter().cloned().chain([name.to_owned()]).collect(),
            Change::Remove => finalizers.iter().filter(|finalizer| *finalizer != name).cloned().collect(),
        };
        let Some(version) = current.metadata().resource_version() else {
            return Err(Error::InvalidRequest(format!("{object_name} has no resourceVersion to patch against")));
        };
        let operations = json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": version},
            {"op": if current.metadata().finalizers.is_some() { "replace" } else { "add" }, "path": "/metadata/finalizers", "value": wanted},
        ]);
        match api.patch(&object_name, &PatchParams::default(), &Patch::<()>::Json(operations)).await {
            Ok(_) => return Ok(()),
            Err(error) if is_stale(&error) && attempt < MAX_ATTEMPTS => {
                tracing::debug!(object = %object_name, attempt, "finalizer patch conflicted ({error}); reading the object again");
                match api.get_opt(&object_name).await? {
                    Some(fresh) => current = fresh,
                    // Gone: nothing left to add to or remove from.
                    None => return Ok(()),
                }
            }
            Err(error) if error.is_not_found() => return Ok(()),
            Err(error) => return Err(error),
        }
    }
    Err(Error::InvalidRequest(format!(
        "{object_name}: finalizer {name:?} still conflicting after {MAX_ATTEMPTS} attempts"
    )))
}

/// A patch that failed because the object changed: a conflict, or the JSON patch's `test` of
/// the resourceVersion failing (the API server answers 422 for that).
fn is_stale(error: &Error) -> bool {
    error.is_conflict()
        || (error.code() == Some(422)
            && error
                .api()
                .and_then(|api| api.status.message.as_deref())
                .is_some_and(|message| message.contains("test")))
}
