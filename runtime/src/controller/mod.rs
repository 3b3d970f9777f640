//! What controllers are made of, on top of the informers:
//!
//! - [`workqueue`] and [`rate_limiter`]: client-go's workqueue (deduplication, never the same
//!   item twice at once, delays, rate-limited retries, shutdown with drain) and its rate
//!   limiters;
//! - [`runner`]: the [`Controller`]: a primary informer, owned children and watched objects
//!   mapped to keys, N workers reconciling the cache's current object, backoff on errors,
//!   graceful shutdown; [`reconcile_metrics`]: what its reconciles measure;
//! - [`finalizer`](mod@finalizer): cleanup before deletion, with finalizers added and removed safely;
//! - [`object_ref`]: [`ObjectRef`] and owner-reference helpers; [`action`]: [`Action`];
//! - [`predicates`]: which updates of a primary are worth a reconcile.

pub mod action;
pub mod finalizer;
pub mod object_ref;
pub mod predicates;
pub mod rate_limiter;
pub mod reconcile_metrics;
pub mod runner;
pub mod workqueue;

pub use action::Action;
pub use finalizer::{FinalizerError, FinalizerEvent, finalizer};
pub use object_ref::{ObjectRef, controller_owner_of, controller_owner_ref, owner_references_of};
pub use rate_limiter::{ItemExponential, MaxOf, RateLimiter, TokenBucket, default_rate_limiter};
pub use reconcile_metrics::{ReconcileMetrics, ReconcileResult};
pub use runner::{Controller, Reconciler, reconciler_fn};
pub use workqueue::{NoMetrics, QueueMetrics, WorkQueue};
