//! Informers: a cache of the server's objects kept current by list and watch, with handlers
//! notified of every change. One concept per file, as client-go's `tools/cache`:
//!
//! - [`reflector`]: lists, then watches, into the [`DeltaFifo`]; resourceVersions, bookmarks,
//!   410 relists, streaming lists, backoff.
//! - [`delta_fifo`]: deltas per object key, popped in order; relists as one atomic batch.
//! - [`store`] and [`index`]: the cache, keyed `namespace/name`, with secondary indexes.
//! - [`shared_informer`]: one reflector and cache shared by many handlers; resync, transform,
//!   late handlers, async handlers, subscriptions.
//! - [`processor`], [`listener`], [`handler_pool`], [`subscription`] and [`handler`]: one
//!   queue per handler (or subscriber), synchronous handlers on a small shared pool of
//!   threads, async ones on tasks, so none waits for another.
//! - [`watcher`](mod@watcher): list and watch as a stream of events, without a cache (and
//!   [`watcher::reflect`] to keep a store from one).
//! - [`lister`] and [`selector`]: typed reads of the cache, by namespace, label or index.
//! - [`factory`]: one informer per type, started and synced together.
//! - [`listwatch`], [`key`], [`delta`], [`backoff`]: the pieces they share; `pinned` runs
//!   an informer's reflector on a thread of its own when asked (one malloc arena for its
//!   objects).

pub mod backoff;
pub mod delta;
pub mod delta_fifo;
pub mod factory;
pub mod handler;
pub mod handler_pool;
pub mod index;
pub mod key;
pub mod listener;
pub mod lister;
pub mod listwatch;
mod pages;
mod pinned;
pub mod processor;
pub mod reflector;
pub mod selector;
pub mod shared_informer;
pub mod stats;
pub mod store;
pub mod subscription;
#[cfg(test)]
pub(crate) mod testing;
pub mod watcher;

pub use delta::{Delta, DeltaObject, DeltaType, Tombstone};
pub use delta_fifo::DeltaFifo;
pub use factory::{FactoryOptions, SharedInformerFactory};
pub use handler::{DeletedObject, EventHandler, HandlerFns, Notification};
pub use index::{IndexFn, Indexers, NAMESPACE_INDEX, index_fn};
pub use key::object_key;
pub use lister::{Lister, NamespaceLister};
pub use listwatch::{ApiListerWatcher, ListerWatcher, TweakListParams};
pub use reflector::{Paging, Reflector, ReflectorOptions, ReflectorSink, Transform};
pub use selector::LabelSelector;
pub use shared_informer::{HandlerRegistration, InformerOptions, SharedIndexInformer, SyncError, SyncState};
pub use stats::InformerStats;
pub use store::{IndexError, Store};
pub use subscription::Subscription;
pub use watcher::{WatcherConfig, WatcherEvent, watcher};
