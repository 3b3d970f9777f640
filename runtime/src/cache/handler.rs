//! Event handlers: what an informer tells its users.
//!
//! A handler implements [`EventHandler`] (or is made of closures with [`HandlerFns`]). Its
//! methods are called on the process's handler threads, one notification at a time, in the
//! order the informer saw them; a slow handler delays only itself (see
//! [`handler_pool`](super::handler_pool)). Async code registers an async handler or
//! subscribes to a stream instead (`SharedIndexInformer::add_async_event_handler`,
//! `subscribe`). Handlers receive shared references to the cached objects: they must not
//! change them (clone first).

use std::sync::Arc;

use super::delta::Tombstone;

/// A deleted object as a handler receives it.
#[derive(Debug)]
pub enum DeletedObject<K> {
    /// The object's last state, from a DELETED watch event.
    Object(Arc<K>),
    /// The object was deleted while the informer was not watching (it is missing from a
    /// relist); this is the last state the cache had, which may be stale.
    Tombstone(Tombstone<K>),
}

impl<K> Clone for DeletedObject<K> {
    fn clone(&self) -> Self {
        match self {
            DeletedObject::Object(object) => DeletedObject::Object(object.clone()),
            DeletedObject::Tombstone(tombstone) => DeletedObject::Tombstone(tombstone.clone()),
        }
    }
}

impl<K> DeletedObject<K> {
    /// The deleted object, or the tombstone's last known state.
    pub fn object(&self) -> &Arc<K> {
        match self {
            DeletedObject::Object(object) => object,
            DeletedObject::Tombstone(tombstone) => &tombstone.last_known,
        }
    }

    /// Whether the deletion was only inferred from a relist.
    pub fn is_tombstone(&self) -> bool {
        matches!(self, DeletedObject::Tombstone(_))
    }
}

/// Receives an informer's notifications.
///
/// Every method has an empty default, so a handler implements only what it needs.
pub trait EventHandler<K>: Send + Sync + 'static {
    /// An object appeared. `is_initial_list` is true for objects of the informer's first list
    /// (or, for a handler added late, of the cache when it was added).
    fn on_add(&self, object: &Arc<K>, is_initial_list: bool) {
        let _ = (object, is_initial_list);
    }

    /// An object changed, or (with a resync period) is replayed unchanged: then `old` and
    /// `new` are the same object.
    fn on_update(&self, old: &Arc<K>, new: &Arc<K>) {
        let _ = (old, new);
    }

    /// An object was deleted.
    fn on_delete(&self, object: &DeletedObject<K>) {
        let _ = object;
    }
}

type AddFn<K> = Box<dyn Fn(&Arc<K>, bool) + Send + Sync>;
type UpdateFn<K> = Box<dyn Fn(&Arc<K>, &Arc<K>) + Send + Sync>;
type DeleteFn<K> = Box<dyn Fn(&DeletedObject<K>) + Send + Sync>;

/// A handler made of closures.
///
/// ```
/// # use kubegen_runtime::cache::HandlerFns;
/// # use kubegen_runtime::ObjectMeta;
/// # #[derive(Clone, serde::Serialize, serde::Deserialize)] struct Pod { metadata: ObjectMeta }
/// let handler = HandlerFns::<Pod>::new()
///     .on_add(|pod, _initial| println!("added {}", pod.metadata.name()))
///     .on_delete(|deleted| println!("deleted {}", deleted.object().metadata.name()));
/// ```
pub struct HandlerFns<K> {
    add: Option<AddFn<K>>,
    update: Option<UpdateFn<K>>,
    delete: Option<DeleteFn<K>>,
}

impl<K> Default for HandlerFns<K> {
    fn default() -> Self {
        Self { add: None, update: None, delete: None }
    }
}

impl<K> HandlerFns<K> {
    /// A handler that does nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Calls `function` for additions.
    pub fn on_add(mut self, function: impl Fn(&Arc<K>, bool) + Send + Sync + 'static) -> Self {
        self.add = Some(Box::new(function));
        self
    }

    /// Calls `function` for updates.
    pub fn on_update(mut self, function: impl Fn(&Arc<K>, &Arc<K>) + Send + Sync + 'static) -> Self {
        self.update = Some(Box::new(function));
        self
    }

    /// Calls `function` for deletions.
    pub fn on_delete(mut self, function: impl Fn(&DeletedObject<K>) + Send + Sync + 'static) -> Self {
        self.delete = Some(Box::new(function));
        self
    }
}

impl<K: Send + Sync + 'static> EventHandler<K> for HandlerFns<K> {
    fn on_add(&self, object: &Arc<K>, is_initial_list: bool) {
        if let Some(add) = &self.add {
            add(object, is_initial_list);
        }
    }

    fn on_update(&self, old: &Arc<K>, new: &Arc<K>) {
        if let Some(update) = &self.update {
            update(old, new);
        }
    }

    fn on_delete(&self, object: &DeletedObject<K>) {
        if let Some(delete) = &self.delete {
            delete(object);
        }
    }
}

/// One notification for a handler.
#[derive(Debug)]
pub enum Notification<K> {
    /// `on_add`.
    Add {
        /// The object.
        object: Arc<K>,
        /// Part of the initial list.
        initial: bool,
    },
    /// `on_update`.
    Update {
        /// The cached object before.
        old: Arc<K>,
        /// The object now.
        new: Arc<K>,
    },
    /// `on_delete`.
    Delete(DeletedObject<K>),
}

impl<K> Clone for Notification<K> {
    fn clone(&self) -> Self {
        match self {
            Notification::Add { object, initial } => Notification::Add { object: object.clone(), initial: *initial },
            Notification::Update { old, new } => Notification::Update { old: old.clone(), new: new.clone() },
            Notification::Delete(deleted) => Notification::Delete(deleted.clone()),
        }
    }
}

impl<K> Notification<K> {
    /// Whether this is an add of the informer's first list (or of the cache, for a handler
    /// added late).
    pub fn is_initial(&self) -> bool {
        matches!(self, Notification::Add { initial: true, .. })
    }

    /// The object the notification is about (for a deletion, its last known state).
    pub fn object(&self) -> &Arc<K> {
        match self {
            Notification::Add { object, .. } => object,
            Notification::Update { new, .. } => new,
            Notification::Delete(deleted) => deleted.object(),
        }
    }
}

impl<K: 'static> Notification<K> {
    /// Delivers the notification to `handler`.
    pub fn deliver(&self, handler: &dyn EventHandler<K>) {
        match self {
            Notification::Add { object, initial } => handler.on_add(object, *initial),
            Notification::Update { old, new } => handler.on_update(old, new),
            Notification::Delete(deleted) => handler.on_delete(deleted),
        }
    }
}
