//! `SharedInformerFactory`: one informer per resource type, however often it is asked for.
//!
//! Generated crates wrap it with typed accessors (`factory.core_v1().pods()`); this is the
//! generic part: memoization by type, namespace scoping, selector tweaks, start, waiting for
//! sync with errors that name the resource, and shutdown.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::BoxFuture;

use super::listwatch::{ApiListerWatcher, TweakListParams};
use super::reflector::ReflectorOptions;
use super::shared_informer::{InformerOptions, SharedIndexInformer, SyncError};
use crate::client::params::ListParams;
use crate::client::{Api, Client, ResourcePath};
use crate::dynamic::{ApiResource, DynamicObject, PartialObjectMetadata};
use crate::resource::{Object, Resource, verbs};

/// What the factory does with every informer it holds, whatever its type.
trait Control: Send + Sync {
    fn start(&self);
    fn wait(&self) -> BoxFuture<'static, Result<(), SyncError>>;
    fn shutdown(&self) -> BoxFuture<'static, ()>;
}

struct Entry {
    informer: Arc<dyn Any + Send + Sync>,
    control: Arc<dyn Control>,
    started: std::sync::atomic::AtomicBool,
}

impl<K: Object> Control for SharedIndexInformer<K> {
    fn start(&self) {
        SharedIndexInformer::start(self);
    }

    fn wait(&self) -> BoxFuture<'static, Result<(), SyncError>> {
        let informer = self.clone();
        Box::pin(async move { informer.wait_for_sync().await })
    }

    fn shutdown(&self) -> BoxFuture<'static, ()> {
        let informer = self.clone();
        Box::pin(async move { informer.shutdown().await })
    }
}

/// Settings of a factory.
#[derive(Clone)]
pub struct FactoryOptions {
    /// Resync period of handlers added without their own (zero: none).
    pub default_resync: Duration,
    /// Watch only this namespace (for namespaced resources).
    pub namespace: Option<String>,
    /// Changes the selectors of every list and watch.
    pub tweak: Option<TweakListParams>,
    /// How reflectors list and watch (page size, streaming lists, backoff).
    pub reflector: ReflectorOptions,
    /// Drop `metadata.managedFields` before caching (often half of an object's metadata).
    pub strip_managed_fields: bool,
    /// Each reflector on a thread of its own ([`InformerOptions::reflector_thread`]; default
    /// off).
    pub reflector_thread: bool,
}

impl Default for FactoryOptions {
    fn default() -> Self {
        Self {
            default_resync: Duration::ZERO,
            namespace: None,
            tweak: None,
            reflector: ReflectorOptions::default(),
            strip_managed_fields: false,
            reflector_thread: false,
        }
    }
}

/// Which informer an entry is: one per generated type, one per dynamic resource, one per
/// metadata-only resource.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum InformerKey {
    Typed(TypeId),
    Dynamic { group: String, version: String, plural: String },
    Metadata { group: String, version: String, plural: String },
}

struct Inner {
    client: Client,
    options: FactoryOptions,
    informers: Mutex<HashMap<InformerKey, Arc<Entry>>>,
}

/// A factory of shared informers. Cheap to clone; clones share the informers.
#[derive(Clone)]
pub struct SharedInformerFactory {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SharedInformerFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedInformerFactory")
            .field("namespace", &self.inner.options.namespace)
            .finish_non_exhaustive()
    }
}

impl SharedInformerFactory {
    /// A factory on `client` whose handlers resync every `default_resync` (zero: never).
    pub fn new(client: Client, default_resync: Duration) -> Self {
        Self::with_options(client, FactoryOptions { default_resync, ..FactoryOptions::default() })
    }

    /// A factory with `options`.
    pub fn with_options(client: Client, options: FactoryOptions) -> Self {
        Self { inner: Arc::new(Inner { client, options, informers: Mutex::new(HashMap::new()) }) }
    }

    /// A factory watching only `namespace`.
    pub fn namespaced(client: Client, namespace: &str, default_resync: Duration) -> Self {
        Self::with_options(
            client,
            FactoryOptions { default_resync, namespace: Some(namespace.to_owned()), ..FactoryOptions::default() },
        )
    }

    /// The client informers list and watch with.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The informer of `K`, made on first request and shared afterwards.
    pub fn informer<K>(&self) -> SharedIndexInformer<K>
    where
        K: Resource + verbs::List + verbs::Watch,
    {
        self.memoized(InformerKey::Typed(TypeId::of::<K>()), || ResourcePath::of::<K>(None))
    }

    /// The informer of a resource found by discovery, of dynamic objects, made on first
    /// request and shared afterwards.
    pub fn dynamic_informer(&self, resource: &ApiResource) -> SharedIndexInformer<DynamicObject> {
        let key = InformerKey::Dynamic {
            group: resource.group.clone(),
            version: resource.version.clone(),
            plural: resource.plural.clone(),
        };
        self.memoized(key, || resource.path(None))
    }

    /// The informer of the metadata of a resource's objects (found by discovery, or
    /// [`ApiResource::of`] a generated type), made on first request and shared afterwards:
    /// it lists and watches [`PartialObjectMetadata`], protobuf when the client allows it
    /// (custom resources too), so its store holds metadata only, as client-go's
    /// `metadatainformer` does.
    pub fn metadata_informer(&self, resource: &ApiResource) -> SharedIndexInformer<PartialObjectMetadata> {
        let key = InformerKey::Metadata {
            group: resource.group.clone(),
            version: resource.version.clone(),
            plural: resource.plural.clone(),
        };
        self.memoized(key, || resource.path(None))
    }

    fn memoized<K>(&self, key: InformerKey, path: impl FnOnce() -> ResourcePath) -> SharedIndexInformer<K>
    where
        K: Object + verbs::List + verbs::Watch,
    {
        let mut informers = self.inner.informers.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = informers.get(&key)
            && let Some(informer) = entry.informer.downcast_ref::<SharedIndexInformer<K>>()
        {
            return informer.clone();
        }
        let informer = self.make::<K>(path());
        let entry = Entry {
            informer: Arc::new(informer.clone()),
            control: Arc::new(informer.clone()),
            started: std::sync::atomic::AtomicBool::new(false),
        };
        informers.insert(key, Arc::new(entry));
        informer
    }

    fn make<K>(&self, mut path: ResourcePath) -> SharedIndexInformer<K>
    where
        K: Object + verbs::List + verbs::Watch,
    {
        let options = &self.inner.options;
        if path.namespaced {
            path.namespace = options.namespace.clone();
        }
        let api: Api<K> = Api::from_path(self.inner.client.clone(), path);
        let lister_watcher = Arc::new(ApiListerWatcher::new(api, options.tweak.clone()));
        let transform: Option<super::reflector::Transform<K>> = options.strip_managed_fields.then(|| {
            Arc::new(|mut object: K| {
                object.metadata_mut().managed_fields = None;
                object
            }) as super::reflector::Transform<K>
        });
        SharedIndexInformer::new(
            lister_watcher,
            InformerOptions {
                reflector: options.reflector.clone(),
                transform,
                indexers: Default::default(),
                default_resync: options.default_resync,
                reflector_thread: options.reflector_thread,
                ..InformerOptions::default()
            },
        )
    }

    fn entries(&self) -> Vec<Arc<Entry>> {
        self.inner.informers.lock().unwrap_or_else(PoisonError::into_inner).values().cloned().collect()
    }

    /// Starts every informer asked for so far that is not running yet (on the current tokio
    /// runtime). Call again after asking for more informers.
    pub fn start(&self) {
        for entry in self.entries() {
            if !entry.started.swap(true, std::sync::atomic::Ordering::AcqRel) {
                entry.control.start();
            }
        }
    }

    /// Waits until every started informer has synced. The first informer that fails with
    /// an error a retry will not fix (a 403, a 404 for a CRD that does not exist, ...) ends
    /// the wait with that error, which names the resource.
    pub async fn wait_for_cache_sync(&self) -> Result<(), SyncError> {
        let waits: Vec<_> = self
            .entries()
            .into_iter()
            .filter(|entry| entry.started.load(std::sync::atomic::Ordering::Acquire))
            .map(|entry| entry.control.wait())
            .collect();
        futures::future::try_join_all(waits).await.map(|_| ())
    }

    /// [`wait_for_cache_sync`](Self::wait_for_cache_sync), giving up after `timeout`.
    pub async fn wait_for_cache_sync_timeout(&self, timeout: Duration) -> Result<(), SyncError> {
        match tokio::time::timeout(timeout, self.wait_for_cache_sync()).await {
            Ok(result) => result,
            Err(_) => {
                Err(SyncError::Timeout { resource: "the factory's informers".to_owned(), timeout, last_error: None })
            }
        }
    }

    /// Stops every informer and waits for their tasks and handler threads to end.
    pub async fn shutdown(&self) {
        let stops: Vec<_> = self.entries().into_iter().map(|entry| entry.control.shutdown()).collect();
        futures::future::join_all(stops).await;
    }

    /// The list parameters the factory's tweak gives (selectors), for callers that list
    /// directly with the same view.
    pub fn list_params(&self) -> ListParams {
        let mut params = ListParams::default();
        if let Some(tweak) = &self.inner.options.tweak {
            tweak(&mut params);
        }
        params
    }
}
