//! A real controller on kubegen-generated types: a `ConfigSet` (this example's own CRD,
//! `crd.yaml`, generated into `api/` with `kubegen generate --crd`) asks for `replicas`
//! ConfigMaps that all hold `data`. The controller
//!
//! - creates the missing ConfigMaps (`<name>-<index>`, owned by the ConfigSet), updates those
//!   whose data is stale, deletes those beyond `replicas`;
//! - reports `readyReplicas` and `observedGeneration` through the status subresource;
//! - holds a finalizer, and when a ConfigSet is deleted, deletes its ConfigMaps before
//!   letting it go (a bare API server has no garbage collector to do it);
//! - remembers the ConfigMaps it created until its cache shows them ("expectations", as
//!   client-go's ReplicaSet controller does), so a reconcile that runs before the cache caught
//!   up never creates one twice.
//! - **Events**: each ConfigMap it creates is told on the ConfigSet as a `Created` Event
//!   (events.k8s.io/v1, through the runtime's recorder, which never blocks a reconcile).
//!
//! [`run`] is the whole controller; [`run_replica`] is the same with leader election, for
//! several replicas of which one reconciles; `src/main.rs` runs it against the cluster of the
//! current kubeconfig. The test suite runs it against a real API server
//! (`tests/tests/controller_example.rs`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use configset_api::example_kubegen_dev_v1::{ConfigSet, ConfigSetStatus};
use kubegen_api::coordination_v1::Lease;
use kubegen_api::core_v1::ConfigMap;
use kubegen_api::events_v1::Event;
use kubegen_runtime::cache::{LabelSelector, SharedIndexInformer, SharedInformerFactory};
use kubegen_runtime::client::params::{DeleteParams, Patch, PatchParams, PostParams};
use kubegen_runtime::controller::predicates::{finalizers_changed, generation_changed};
use kubegen_runtime::controller::{
    Action, Controller, FinalizerError, FinalizerEvent, ObjectRef, controller_owner_ref, finalizer, reconciler_fn,
};
use kubegen_runtime::events::{EventRecord, EventRecorder, EventRecorderConfig, EventReference};
use kubegen_runtime::leader_election::LeaderElector;
use kubegen_runtime::{Api, Client, ObjectMeta, Str, StringMap};

/// The finalizer this controller holds on every ConfigSet.
pub const FINALIZER: &str = "example.kubegen.dev/cleanup";

/// The label that names a ConfigMap's ConfigSet.
pub const SET_LABEL: &str = "example.kubegen.dev/configset";

/// What went wrong in a reconcile.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// A request to the API server failed.
    #[error(transparent)]
    Api(#[from] kubegen_runtime::Error),
    /// The ConfigSet has no spec.
    #[error("{0} has no spec")]
    NoSpec(ObjectRef),
}

/// ConfigMaps created but not yet seen in the cache, by ConfigSet.
#[derive(Default)]
struct Expectations(Mutex<HashMap<ObjectRef, BTreeSet<String>>>);

impl Expectations {
    /// The names still expected for `set`, after forgetting those the cache now has (or that
    /// are no longer wanted).
    fn pending(&self, set: &ObjectRef, cached: &BTreeSet<String>) -> BTreeSet<String> {
        let mut expectations = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let pending = expectations.entry(set.clone()).or_default();
        pending.retain(|name| !cached.contains(name));
        pending.clone()
    }

    fn expect(&self, set: &ObjectRef, name: String) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).entry(set.clone()).or_default().insert(name);
    }

    fn forget(&self, set: &ObjectRef, name: &str) {
        if let Some(pending) = self.0.lock().unwrap_or_else(PoisonError::into_inner).get_mut(set) {
            pending.remove(name);
        }
    }

    fn clear(&self, set: &ObjectRef) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).remove(set);
    }
}

/// The controller's name in the Events it records.
pub const REPORTING_CONTROLLER: &str = "example.kubegen.dev/configset-controller";

/// What every reconcile shares.
pub struct Context {
    client: Client,
    config_maps: SharedIndexInformer<ConfigMap>,
    expectations: Expectations,
    events: EventRecorder<Event>,
}

impl Context {
    fn new(client: Client, config_maps: SharedIndexInformer<ConfigMap>) -> Arc<Self> {
        // This replica's name: its Pod's, when it runs in one.
        let instance = std::env::var("HOSTNAME").unwrap_or_else(|_| "configset-controller".to_owned());
        let events = EventRecorder::new(client.clone(), EventRecorderConfig::new(REPORTING_CONTROLLER, instance));
        Arc::new(Self { client, config_maps, expectations: Expectations::default(), events })
    }
}

/// The ConfigMap names a set of `replicas` wants.
fn child_name(set: &str, index: i32) -> String {
    format!("{set}-{index}")
}

/// Runs the controller with `workers` workers on informers from `factory` (so that other
/// controllers can share its caches), until `shutdown` resolves.
pub async fn run(
    client: Client,
    factory: SharedInformerFactory,
    workers: usize,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), kubegen_runtime::cache::SyncError> {
    let sets = configset_api::SharedInformerFactory::from(factory.clone()).example_kubegen_dev_v1().config_sets();
    let config_maps = kubegen_api::SharedInformerFactory::from(factory).core_v1().config_maps();
    let context = Context::new(client, config_maps.clone());
    controller(sets, config_maps, workers).run(reconcile, context, shutdown).await
}

/// The controller of `sets`, owning `config_maps`: a ConfigSet is reconciled when its spec
/// changes (not at its own status writes), when it starts being deleted, when its finalizer
/// comes or goes (the finalizer helper waits for that change), and when one of its ConfigMaps
/// changes.
fn controller(
    sets: SharedIndexInformer<ConfigSet>,
    config_maps: SharedIndexInformer<ConfigMap>,
    workers: usize,
) -> Controller<ConfigSet> {
    Controller::new(sets)
        .owns(config_maps)
        .filter_updates(generation_changed)
        .filter_updates(finalizers_changed)
        .workers(workers)
}

/// Runs the controller as one of several replicas: it reconciles only while `elector` leads
/// (its Lease names the replicas' election), until `shutdown` resolves.
pub async fn run_replica(
    client: Client,
    factory: SharedInformerFactory,
    workers: usize,
    elector: LeaderElector<Lease>,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    let sets = configset_api::SharedInformerFactory::from(factory.clone()).example_kubegen_dev_v1().config_sets();
    let config_maps = kubegen_api::SharedInformerFactory::from(factory).core_v1().config_maps();
    let context = Context::new(client, config_maps.clone());
    controller(sets, config_maps, workers)
        .run_with_leader_election(elector, reconciler_fn(reconcile, context), shutdown)
        .await;
}

/// One reconcile of one ConfigSet, behind the finalizer.
pub async fn reconcile(set: Arc<ConfigSet>, context: Arc<Context>) -> Result<Action, FinalizerError<ReconcileError>> {
    let namespace = set.metadata.namespace().unwrap_or("default").to_owned();
    let api: Api<ConfigSet> = Api::namespaced(context.client.clone(), &namespace);
    finalizer(&api, FINALIZER, set, |event| async {
        match event {
            FinalizerEvent::Apply(set) => apply(&set, &context).await,
            FinalizerEvent::Cleanup(set) => cleanup(&set, &context).await,
        }
    })
    .await
}

/// The set's ConfigMaps in the cache, by name.
fn cached_children(set: &ConfigSet, context: &Context) -> BTreeMap<String, Arc<ConfigMap>> {
    let selector = LabelSelector::parse(&format!("{SET_LABEL}={}", set.metadata.name())).unwrap_or_default();
    let namespace = set.metadata.namespace().unwrap_or("default");
    context
        .config_maps
        .lister()
        .namespace(namespace)
        .list(&selector)
        .into_iter()
        .map(|config_map| (config_map.metadata.name().to_owned(), config_map))
        .collect()
}

async fn apply(set: &ConfigSet, context: &Context) -> Result<Action, ReconcileError> {
    let key = ObjectRef::from_object(set);
    let spec = set.spec.as_ref().ok_or_else(|| ReconcileError::NoSpec(key.clone()))?;
    let namespace = set.metadata.namespace().unwrap_or("default");
    let config_maps: Api<ConfigMap> = Api::namespaced(context.client.clone(), namespace);
    let data = spec.data.clone().unwrap_or_default();
    let children = cached_children(set, context);
    let pending = context.expectations.pending(&key, &children.keys().cloned().collect());
    let wanted: BTreeSet<String> =
        (0..spec.replicas.max(0)).map(|index| child_name(set.metadata.name(), index)).collect();

    let mut ready = 0;
    for name in &wanted {
        match children.get(name) {
            Some(child) if child.data.clone().unwrap_or_default() == data => ready += 1,
            Some(_) => {
                let patch = serde_json::json!({"data": data});
                config_maps.patch(name, &PatchParams::default(), &Patch::Merge(patch)).await?;
                ready += 1;
            }
            // Created by an earlier reconcile; the cache has not shown it yet.
            None if pending.contains(name) => {}
            None => {
                let child = ConfigMap {
                    metadata: ObjectMeta {
                        name: Some(name.as_str().into()),
                        labels: Some(StringMap::from([(SET_LABEL, Str::from(set.metadata.name()))])),
                        owner_references: controller_owner_ref(set).map(|owner| vec![owner]),
                        ..ObjectMeta::default()
                    },
                    data: Some(data.clone()),
                    ..ConfigMap::default()
                };
                context.expectations.expect(&key, name.clone());
                match config_maps.create(&PostParams::default(), &child).await {
                    Ok(created) => {
                        ready += 1;
                        let record = EventRecord::normal(
                            EventReference::from_resource(set),
                            "Created",
                            "Create",
                            format!("created ConfigMap {name}"),
                        );
                        context.events.publish(record.related(EventReference::from_resource(&created)));
                    }
                    // Someone (an earlier life of this controller) made it: the cache will
                    // bring it, and the next reconcile checks its data.
                    Err(error) if error.is_already_exists() => {}
                    Err(error) => {
                        context.expectations.forget(&key, name);
                        return Err(error.into());
                    }
                }
            }
        }
    }
    for name in children.keys().filter(|name| !wanted.contains(*name)) {
        match config_maps.delete(name, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(error) if error.is_not_found() => {}
            Err(error) => return Err(error.into()),
        }
    }

    let status = ConfigSetStatus { ready_replicas: Some(ready), observed_generation: set.metadata.generation };
    if set.status.as_ref() != Some(&status) {
        let sets: Api<ConfigSet> = Api::namespaced(context.client.clone(), namespace);
        let patch = serde_json::json!({"status": status});
        sets.patch_status(set.metadata.name(), &PatchParams::default(), &Patch::Merge(patch)).await?;
    }
    // Creates still on their way to the cache: look again soon even if no event comes.
    Ok(if context.expectations.pending(&key, &children.keys().cloned().collect()).is_empty() {
        Action::await_change()
    } else {
        Action::requeue(Duration::from_secs(5))
    })
}

/// The ConfigSet is being deleted: delete its ConfigMaps (listing the server, not the cache,
/// so that none is missed), then let the finalizer go.
async fn cleanup(set: &ConfigSet, context: &Context) -> Result<Action, ReconcileError> {
    let namespace = set.metadata.namespace().unwrap_or("default");
    let config_maps: Api<ConfigMap> = Api::namespaced(context.client.clone(), namespace);
    let selector = format!("{SET_LABEL}={}", set.metadata.name());
    let children = config_maps.list(&kubegen_runtime::client::params::ListParams::default().labels(&selector)).await?;
    for child in children.items {
        match config_maps.delete(child.metadata.name(), &DeleteParams::default()).await {
            Ok(_) => {}
            Err(error) if error.is_not_found() => {}
            Err(error) => return Err(error.into()),
        }
    }
    context.expectations.clear(&ObjectRef::from_object(set));
    Ok(Action::await_change())
}
