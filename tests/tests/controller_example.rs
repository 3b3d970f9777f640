//! The example controller (`examples/configset`) against a real API server: a ConfigSet's
//! ConfigMaps are created, scaled up and down, updated, recreated when deleted by hand, and
//! converge again after an API server restart and an etcd compaction; deleting the ConfigSet
//! runs its cleanup. The server's audit log counts every create of a ConfigMap: each one was
//! created once per lifetime, and the controller never tried to create one that existed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use configset_api::example_kubegen_dev_v1::{ConfigSet, ConfigSetSpec};
use kubegen_api::coordination_v1::Lease;
use kubegen_api::core_v1::ConfigMap;
use kubegen_api::events_v1::Event;
use kubegen_runtime::cache::SharedInformerFactory;
use kubegen_runtime::client::params::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kubegen_runtime::leader_election::{LeaderElectionConfig, LeaderElector};
use kubegen_runtime::{Api, Client, ObjectMeta, Str, StringMap};
use kubegen_tests::ControlPlane;
use tokio::runtime::Runtime;

const AUDIT_POLICY: &str = r#"apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  resources: [{group: "", resources: ["configmaps"]}]
  verbs: ["create"]
- level: None
"#;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A private control plane that writes an audit log of ConfigMap creates.
fn audited_plane(dir: &Path) -> (ControlPlane, PathBuf) {
    let policy = dir.join("audit-policy.yaml");
    std::fs::write(&policy, AUDIT_POLICY).expect("policy");
    let log = dir.join("audit.log");
    let cp = ControlPlane::builder()
        .apiserver_arg(format!("--audit-policy-file={}", policy.display()))
        .apiserver_arg(format!("--audit-log-path={}", log.display()))
        .start()
        .expect("control plane");
    (cp, log)
}

/// Creates of ConfigMaps in `namespace` the audit log recorded: name -> response codes.
fn audited_creates(log: &Path, namespace: &str) -> BTreeMap<String, Vec<u64>> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut creates: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for line in text.lines() {
        let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let reference = &event["objectRef"];
        if event["verb"] == "create"
            && event["stage"] == "ResponseComplete"
            && reference["resource"] == "configmaps"
            && reference["namespace"] == namespace
        {
            let name = reference["name"].as_str().unwrap_or_default().to_owned();
            creates.entry(name).or_default().push(event["responseStatus"]["code"].as_u64().unwrap_or(0));
        }
    }
    creates
}

fn config_set(name: &str, replicas: i32, value: &str) -> ConfigSet {
    ConfigSet {
        metadata: ObjectMeta { name: Some(name.into()), ..ObjectMeta::default() },
        spec: Some(ConfigSetSpec { replicas, data: Some(StringMap::from([("value", Str::from(value))])) }),
        ..ConfigSet::default()
    }
}

/// Waits until the set's ConfigMaps are exactly `names`, each holding `value`, and its status
/// says so for its current generation.
async fn converged(sets: &Api<ConfigSet>, config_maps: &Api<ConfigMap>, set: &str, names: &[&str], value: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let children = config_maps
            .list(&ListParams::default().labels(&format!("{}={set}", configset_controller::SET_LABEL)))
            .await
            .expect("list");
        let found: BTreeMap<String, String> = children
            .items
            .iter()
            .map(|child| {
                let data = child.data.as_ref().and_then(|data| data.get("value")).map(Str::to_string);
                (child.metadata.name().to_owned(), data.unwrap_or_default())
            })
            .collect();
        let wanted: BTreeMap<String, String> =
            names.iter().map(|name| ((*name).to_owned(), value.to_owned())).collect();
        let parent = sets.get(set).await.expect("get the set");
        let status_current = parent.status.as_ref().is_some_and(|status| {
            status.ready_replicas == Some(names.len() as i32)
                && status.observed_generation == parent.metadata.generation
        });
        if found == wanted && status_current {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{set} did not converge to {wanted:?}: {found:?}, status {:?}",
            parent.status
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the controller told, through Events on the set, that it created `names`.
async fn created_events(client: &Client, namespace: &str, set: &str, names: &[&str]) {
    let events: Api<Event> = Api::namespaced(client.clone(), namespace);
    let wanted: BTreeSet<String> = names.iter().map(|name| (*name).to_owned()).collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let told: BTreeSet<String> = events
            .list(&ListParams::default())
            .await
            .expect("list events")
            .items
            .into_iter()
            .filter(|event| {
                event.reason.as_deref() == Some("Created")
                    && event.reporting_controller.as_deref() == Some(configset_controller::REPORTING_CONTROLLER)
                    && event.regarding.as_ref().and_then(|about| about.name.as_deref()) == Some(set)
            })
            .filter_map(|event| event.related.and_then(|related| related.name).map(|name| name.to_string()))
            .collect();
        if wanted.is_subset(&told) {
            return;
        }
        assert!(Instant::now() < deadline, "Created events for {wanted:?}: only {told:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn scale(sets: &Api<ConfigSet>, set: &str, replicas: i32) {
    let patch = serde_json::json!({"spec": {"replicas": replicas}});
    sets.patch(set, &PatchParams::default(), &Patch::Merge(patch)).await.expect("scale");
}

#[tokio::test]
async fn the_example_controller_keeps_config_sets_through_faults() {
    kubegen_tests::init_tracing();
    let dir = tempfile::tempdir().expect("tempdir");
    let (cp, audit_log) = audited_plane(dir.path());
    cp.install_crds(&[workspace().join("examples/configset/crd.yaml")]).await.expect("CRD");
    let ns = cp.fresh_namespace("configset").await.expect("namespace");
    let client = cp.kube_client().expect("client");
    let sets: Api<ConfigSet> = Api::namespaced(client.clone(), &ns);
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);

    let stop = Arc::new(tokio::sync::Notify::new());
    let controller = {
        let stop = stop.clone();
        let factory = SharedInformerFactory::namespaced(client.clone(), &ns, Duration::ZERO);
        tokio::spawn(configset_controller::run(client.clone(), factory, 4, async move { stop.notified().await }))
    };

    // Create, with the finalizer added by the controller.
    sets.create(&PostParams::default(), &config_set("web", 3, "v1")).await.expect("create");
    converged(&sets, &config_maps, "web", &["web-0", "web-1", "web-2"], "v1").await;
    created_events(&client, &ns, "web", &["web-0", "web-1", "web-2"]).await;
    let web = sets.get("web").await.expect("get");
    assert!(web.metadata.finalizers.iter().flatten().any(|f| f == configset_controller::FINALIZER));
    let owner = &web.metadata.uid;
    let child = config_maps.get("web-0").await.expect("child");
    let reference = child.metadata.owner_references.iter().flatten().next().expect("an owner");
    assert_eq!((&reference.uid, reference.controller), (owner.as_ref().expect("uid"), Some(true)));

    // Scale up, scale down, change the data.
    scale(&sets, "web", 5).await;
    converged(&sets, &config_maps, "web", &["web-0", "web-1", "web-2", "web-3", "web-4"], "v1").await;
    scale(&sets, "web", 2).await;
    converged(&sets, &config_maps, "web", &["web-0", "web-1"], "v1").await;
    let patch = serde_json::json!({"spec": {"data": {"value": "v2"}}});
    sets.patch("web", &PatchParams::default(), &Patch::Merge(patch)).await.expect("new data");
    converged(&sets, &config_maps, "web", &["web-0", "web-1"], "v2").await;

    // A child deleted by hand comes back.
    config_maps.delete("web-1", &DeleteParams::default()).await.expect("delete a child");
    converged(&sets, &config_maps, "web", &["web-0", "web-1"], "v2").await;

    // A change, then a graceful API server restart and an etcd compaction: the controller's
    // informers relist (a 410 from the fresh watch cache) and the children converge.
    scale(&sets, "web", 4).await;
    cp.restart_apiserver().await.expect("restart");
    cp.compact_etcd().await.expect("compact");
    converged(&sets, &config_maps, "web", &["web-0", "web-1", "web-2", "web-3"], "v2").await;

    // Deleting the set runs the cleanup: its ConfigMaps go, then the set.
    sets.delete("web", &DeleteParams::default()).await.expect("delete the set");
    let deadline = Instant::now() + Duration::from_secs(60);
    while sets.get_opt("web").await.expect("get").is_some() {
        assert!(Instant::now() < deadline, "the set is still there: its finalizer stayed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let children = ListParams::default().labels(&format!("{}=web", configset_controller::SET_LABEL));
    let left = config_maps.list(&children).await.expect("list");
    assert!(left.items.is_empty(), "the cleanup deleted every child");

    stop.notify_one();
    controller.await.expect("joins").expect("synced");

    // Every ConfigMap was created once per lifetime: web-1 twice (deleted by hand), web-2 and
    // web-3 twice (scaled away and back); and no create ever found the name taken.
    let creates = audited_creates(&audit_log, &ns);
    let successes: BTreeMap<&str, usize> = creates
        .iter()
        .map(|(name, codes)| (name.as_str(), codes.iter().filter(|code| **code == 201).count()))
        .collect();
    assert_eq!(
        successes,
        BTreeMap::from([("web-0", 1), ("web-1", 2), ("web-2", 2), ("web-3", 2), ("web-4", 1)]),
        "creates per ConfigMap: {creates:?}"
    );
    let duplicates: Vec<_> = creates.iter().filter(|(_, codes)| codes.iter().any(|code| *code != 201)).collect();
    assert!(duplicates.is_empty(), "creates that did not succeed: {duplicates:?}");
}

/// One replica of the example controller with leader election, on a runtime of its own, so
/// that shutting the runtime down ends it the way a crash would: its tasks and connections
/// are gone, and its Lease is not released.
fn replica(cp: &ControlPlane, namespace: &str, identity: &str) -> Runtime {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(identity)
        .enable_all()
        .build()
        .expect("runtime");
    let client = cp.kube_client().expect("client");
    let election = LeaderElectionConfig::new(namespace, "configset-controller", identity).timings(
        Duration::from_secs(3),
        Duration::from_secs(2),
        Duration::from_millis(500),
    );
    let namespace = namespace.to_owned();
    runtime.spawn(async move {
        let elector = LeaderElector::<Lease>::new(client.clone(), election).expect("elector");
        let factory = SharedInformerFactory::namespaced(client.clone(), &namespace, Duration::ZERO);
        configset_controller::run_replica(client, factory, 2, elector, std::future::pending()).await;
    });
    runtime
}

/// The identity holding the replicas' Lease, once one does.
async fn leader(client: &Client, namespace: &str) -> String {
    let leases: Api<Lease> = Api::namespaced(client.clone(), namespace);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let holder = leases.get_opt("configset-controller").await.expect("get the lease");
        let holder = holder.and_then(|lease| lease.spec.and_then(|spec| spec.holder_identity));
        if let Some(holder) = holder.filter(|holder| !holder.is_empty()) {
            return holder.to_string();
        }
        assert!(Instant::now() < deadline, "no replica took the lease");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn two_replicas_hand_over_when_the_leader_dies_and_lose_no_reconcile() {
    kubegen_tests::init_tracing();
    let dir = tempfile::tempdir().expect("tempdir");
    let (cp, audit_log) = audited_plane(dir.path());
    cp.install_crds(&[workspace().join("examples/configset/crd.yaml")]).await.expect("CRD");
    let ns = cp.fresh_namespace("configset-ha").await.expect("namespace");
    let client = cp.kube_client().expect("client");
    let sets: Api<ConfigSet> = Api::namespaced(client.clone(), &ns);
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);

    let mut replicas = BTreeMap::from([
        ("replica-a".to_owned(), replica(&cp, &ns, "replica-a")),
        ("replica-b".to_owned(), replica(&cp, &ns, "replica-b")),
    ]);
    sets.create(&PostParams::default(), &config_set("web", 3, "v1")).await.expect("create");
    converged(&sets, &config_maps, "web", &["web-0", "web-1", "web-2"], "v1").await;

    // The leader dies without releasing the lease; what changes meanwhile waits for the other
    // replica, which takes over once the lease expires.
    let first = leader(&client, &ns).await;
    replicas.remove(&first).expect("the leader is a replica").shutdown_background();
    scale(&sets, "web", 5).await;
    let patch = serde_json::json!({"spec": {"data": {"value": "v2"}}});
    sets.patch("web", &PatchParams::default(), &Patch::Merge(patch)).await.expect("new data");
    config_maps.delete("web-0", &DeleteParams::default()).await.expect("delete a child");
    converged(&sets, &config_maps, "web", &["web-0", "web-1", "web-2", "web-3", "web-4"], "v2").await;
    let second = leader(&client, &ns).await;
    assert_ne!(first, second, "the surviving replica leads");

    for (_, runtime) in replicas {
        runtime.shutdown_background();
    }
    // Each ConfigMap was created once per lifetime (web-0 twice: deleted by hand), and no
    // create found its name taken: the new leader trusted neither a stale cache nor guesses.
    let creates = audited_creates(&audit_log, &ns);
    let successes: BTreeMap<&str, usize> = creates
        .iter()
        .map(|(name, codes)| (name.as_str(), codes.iter().filter(|code| **code == 201).count()))
        .collect();
    assert_eq!(
        successes,
        BTreeMap::from([("web-0", 2), ("web-1", 1), ("web-2", 1), ("web-3", 1), ("web-4", 1)]),
        "creates per ConfigMap: {creates:?}"
    );
    let duplicates: Vec<_> = creates.iter().filter(|(_, codes)| codes.iter().any(|code| *code != 201)).collect();
    assert!(duplicates.is_empty(), "creates that did not succeed: {duplicates:?}");
}
