//! Informers: a cache of the server's objects kept current by list and watch, with handlers
//! notified of every change. One concept per file, as client-go's `tools/cache`:
//!
//! - [`reflector`]: lists, then watches, into the [`DeltaFifo`]; resourceVersions, bookmarks,
//!   410 relists, streaming lists, backoff.
//! - [`delta_fifo`]: deltas per object key, popped in order; relists as one atomic batch.
//! - [`store`] and [`index`]: the cache, keyed `namespace/name`, with secondary indexes.
//! - [`shared_informer`]: one reflector and cache shared by many handlers; resync, transform,
//!   late handlers.
//! - [`processor`] and [`handler`]: one queue and thread per handler, so none waits for another.
//! - [`lister`] and [`selector`]: typed reads of the cache, by namespace, label or index.
//! - [`factory`]: one informer per type, started and synced together.
//! - [`listwatch`], [`key`], [`delta`], [`backoff`]: the pieces they share.

pub mod backoff;
pub mod delta;
pub mod delta_fifo;
pub mod factory;
pub mod handler;
pub mod index;
pub mod key;
pub mod lister;
pub mod listwatch;
pub mod processor;
pub mod reflector;
pub mod selector;
pub mod shared_informer;
pub mod store;
#[cfg(test)]
mod testing;

pub use delta::{Delta, DeltaObject, DeltaType, Tombstone};
pub use delta_fifo::DeltaFifo;
pub use factory::{FactoryOptions, SharedInformerFactory};
pub use handler::{DeletedObject, EventHandler, HandlerFns, Notification};
pub use index::{IndexFn, Indexers, NAMESPACE_INDEX, index_fn};
pub use key::object_key;
pub use lister::{Lister, NamespaceLister};
pub use listwatch::{ApiListerWatcher, ListerWatcher, TweakListParams};
pub use reflector::{Reflector, ReflectorOptions, Transform};
pub use selector::LabelSelector;
pub use shared_informer::{HandlerRegistration, InformerOptions, SharedIndexInformer, SyncError, SyncState};
pub use store::{IndexError, Store};
