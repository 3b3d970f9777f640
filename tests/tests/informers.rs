//! Informers against the real API server: sync and churn converge; so do restarts of the API
//! server, an etcd compaction and a network partition during churn, with deletions made while
//! disconnected reaching handlers as tombstones and nothing invented; a slow handler delays no
//! other; a late handler receives the whole cache; a list the user may not make, or of a
//! resource the server does not have, fails `wait_for_cache_sync` with the server's error.

use std::collections::{BTreeMap, BTreeSet};

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use kubegen_api::SharedInformerFactory;
use kubegen_api::core_v1::ConfigMap;
use kubegen_runtime::cache::{
    DeletedObject, EventHandler, FactoryOptions, Paging, ReflectorOptions, SharedIndexInformer,
};
use kubegen_runtime::client::params::{DeleteParams, ListParams, PostParams};
use kubegen_runtime::config::Config;
use kubegen_runtime::{Api, Client, ObjectMeta, StringMap};
use kubegen_tests::ControlPlane;
use kubegen_tests::proxy::PartitionProxy;

/// Writes go through this many concurrent requests.
const CONCURRENCY: usize = 16;

fn configmap(name: &str, value: &str) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta { name: Some(name.into()), ..ObjectMeta::default() },
        data: Some(StringMap::from([("value", value.into())])),
        ..ConfigMap::default()
    }
}

fn value_of(configmap: &ConfigMap) -> String {
    configmap.data.as_ref().and_then(|data| data.get("value")).map(|value| value.to_string()).unwrap_or_default()
}

/// What one handler believes, and everything it was told.
#[derive(Clone, Default)]
struct Ledger {
    state: Arc<Mutex<LedgerState>>,
    delay: Duration,
}

#[derive(Default)]
struct LedgerState {
    /// name -> value, as the handler's notifications leave it.
    view: BTreeMap<String, String>,
    /// Every (name, value) the handler was told about.
    told: BTreeSet<(String, String)>,
    tombstones: BTreeSet<String>,
}

impl Ledger {
    fn record(&self, change: impl FnOnce(&mut LedgerState)) {
        std::thread::sleep(self.delay);
        change(&mut self.state.lock().expect("ledger"));
    }

    fn view(&self) -> BTreeMap<String, String> {
        self.state.lock().expect("ledger").view.clone()
    }
}

impl EventHandler<ConfigMap> for Ledger {
    fn on_add(&self, object: &Arc<ConfigMap>, _initial: bool) {
        self.record(|state| {
            let (name, value) = (object.metadata.name().to_owned(), value_of(object));
            state.told.insert((name.clone(), value.clone()));
            state.view.insert(name, value);
        });
    }

    fn on_update(&self, _old: &Arc<ConfigMap>, new: &Arc<ConfigMap>) {
        self.record(|state| {
            let (name, value) = (new.metadata.name().to_owned(), value_of(new));
            state.told.insert((name.clone(), value.clone()));
            state.view.insert(name, value);
        });
    }

    fn on_delete(&self, object: &DeletedObject<ConfigMap>) {
        self.record(|state| {
            let name = object.object().metadata.name().to_owned();
            if object.is_tombstone() {
                state.tombstones.insert(name.clone());
            }
            state.view.remove(&name);
        });
    }
}

/// Every value written to each name, to check that handlers were told nothing else.
#[derive(Default)]
struct Written(Mutex<BTreeMap<String, BTreeSet<String>>>);

impl Written {
    fn note(&self, name: &str, value: &str) {
        self.0.lock().expect("written").entry(name.to_owned()).or_default().insert(value.to_owned());
    }

    fn contains(&self, name: &str, value: &str) -> bool {
        self.0.lock().expect("written").get(name).is_some_and(|values| values.contains(value))
    }
}

async fn create_many(api: &Api<ConfigMap>, names: Vec<String>, written: &Written) {
    futures::stream::iter(names)
        .map(|name| async move {
            written.note(&name, "v0");
            api.create(&PostParams::default(), &configmap(&name, "v0")).await.expect("create");
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<()>()
        .await;
}

/// Waits until the API server's watch cache holds `count` ConfigMaps. An informer's first
/// list is at resourceVersion 0, served from that cache, which can be a few milliseconds
/// behind the last create; the test asserting what the cache held at sync waits for it first.
async fn until_the_watch_cache_has(api: &Api<ConfigMap>, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let from_the_cache = ListParams { resource_version: Some("0".to_owned()), ..ListParams::default() };
    while api.list(&from_the_cache).await.expect("list").items.len() < count {
        assert!(Instant::now() < deadline, "the watch cache never held {count} ConfigMaps");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `count` random creates, updates and deletes over names `cm-0000`..`cm-<range>`.
async fn churn(api: &Api<ConfigMap>, count: usize, range: usize, seed: u64, written: &Written) {
    let rng = Mutex::new(fastrand::Rng::with_seed(seed));
    let operations: Vec<(usize, u32)> = (0..count)
        .map(|_| {
            let mut rng = rng.lock().expect("rng");
            (rng.usize(0..range), rng.u32(0..3))
        })
        .collect();
    futures::stream::iter(operations.into_iter().enumerate())
        .map(|(step, (index, operation))| async move {
            let name = format!("cm-{index:04}");
            let value = format!("v{}", step + 1);
            match operation {
                0 => {
                    written.note(&name, &value);
                    let _ = api.create(&PostParams::default(), &configmap(&name, &value)).await;
                }
                1 => {
                    written.note(&name, &value);
                    let patch = serde_json::json!({"data": {"value": value}});
                    let _ = api
                        .patch(
                            &name,
                            &kubegen_runtime::client::params::PatchParams::default(),
                            &kubegen_runtime::client::params::Patch::Merge(patch),
                        )
                        .await;
                }
                _ => {
                    let _ = api.delete(&name, &DeleteParams::default()).await;
                }
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<()>()
        .await;
}

/// The server's state: name -> (resourceVersion, value).
async fn server_state(api: &Api<ConfigMap>) -> BTreeMap<String, (String, String)> {
    let list = api.list(&ListParams::default()).await.expect("list");
    list.items
        .iter()
        .map(|cm| {
            (cm.metadata.name().to_owned(), (cm.metadata.resource_version().unwrap_or("").to_owned(), value_of(cm)))
        })
        .collect()
}

fn cache_state(informer: &SharedIndexInformer<ConfigMap>) -> BTreeMap<String, (String, String)> {
    informer
        .store()
        .list()
        .iter()
        .map(|cm| {
            (cm.metadata.name().to_owned(), (cm.metadata.resource_version().unwrap_or("").to_owned(), value_of(cm)))
        })
        .collect()
}

/// Waits until the cache and every ledger match the server; panics with the differences.
async fn assert_converges(api: &Api<ConfigMap>, informer: &SharedIndexInformer<ConfigMap>, ledgers: &[&Ledger]) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let server = server_state(api).await;
        let cache = cache_state(informer);
        let expected: BTreeMap<String, String> = server.iter().map(|(n, (_, v))| (n.clone(), v.clone())).collect();
        let ledgers_agree = ledgers.iter().all(|ledger| ledger.view() == expected);
        if cache == server && ledgers_agree {
            return;
        }
        if Instant::now() > deadline {
            let missing: Vec<_> = server.keys().filter(|name| !cache.contains_key(*name)).take(5).collect();
            let extra: Vec<_> = cache.keys().filter(|name| !server.contains_key(*name)).take(5).collect();
            let stale: Vec<_> =
                server.iter().filter(|(name, state)| cache.get(*name).is_some_and(|c| c != *state)).take(5).collect();
            panic!(
                "no convergence: server {} objects, cache {}; missing {missing:?}, extra {extra:?}, stale {stale:?}; ledgers agree: {ledgers_agree}",
                server.len(),
                cache.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn assert_nothing_invented(ledger: &Ledger, written: &Written) {
    let state = ledger.state.lock().expect("ledger");
    for (name, value) in &state.told {
        assert!(written.contains(name, value), "the handler was told {name}={value}, which was never written");
    }
}

#[tokio::test]
async fn sync_then_churn_converges() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace("informer-churn").await.expect("namespace");
    let client = cp.kube_client().expect("client");
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    let written = Written::default();
    create_many(&api, (0..1000).map(|i| format!("cm-{i:04}")).collect(), &written).await;
    until_the_watch_cache_has(&api, 1000).await;

    let (factory, informer) = config_maps_in(client, &ns, ReflectorOptions::default());
    let (first, second) = (Ledger::default(), Ledger::default());
    let registrations = [informer.add_event_handler(first.clone()), informer.add_event_handler(second.clone())];
    factory.start();
    factory.wait_for_cache_sync().await.expect("syncs");
    assert_eq!(informer.store().len(), 1000);
    assert_eq!(cache_state(&informer), server_state(&api).await, "synced at one resourceVersion");

    churn(&api, 2000, 1200, 7, &written).await;
    assert_converges(&api, &informer, &[&first, &second]).await;
    assert_nothing_invented(&first, &written);
    assert!(registrations.iter().all(|registration| registration.has_synced()));
    assert!(same_informer(&factory, &informer), "one informer per type");
    factory.shutdown().await;
}

/// Pipelined pages (several asked for at once, each as soon as the previous page's continue
/// token arrives) fill the cache exactly as one list does, at the first sync and at the relist
/// after a restart and a compaction.
#[tokio::test]
async fn pipelined_pages_sync_and_relist_to_the_servers_state() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::start().expect("private control plane");
    let ns = cp.fresh_namespace("informer-pages").await.expect("namespace");
    let client = cp.kube_client().expect("client");
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    let written = Written::default();
    create_many(&api, (0..500).map(|i| format!("cm-{i:04}")).collect(), &written).await;

    let reflector =
        ReflectorOptions { paging: Paging::Pipelined { page_size: 37, in_flight: 4 }, ..ReflectorOptions::default() };
    let (factory, informer) = config_maps_in(client, &ns, reflector);
    let ledger = Ledger::default();
    informer.add_event_handler(ledger.clone());
    factory.start();
    factory.wait_for_cache_sync().await.expect("syncs");
    assert_eq!(informer.store().len(), 500, "14 pages of 37");
    assert_eq!(cache_state(&informer), server_state(&api).await, "a consistent read: the newest state");

    churn(&api, 300, 600, 21, &written).await;
    cp.restart_apiserver().await.expect("graceful restart");
    cp.compact_etcd().await.expect("compact");
    churn(&api, 300, 600, 22, &written).await;
    assert_converges(&api, &informer, &[&ledger]).await;
    let stats = informer.stats();
    assert!(stats.lists >= 2, "no relist: {stats:?}");
    assert_nothing_invented(&ledger, &written);
    factory.shutdown().await;
}

/// The default paging asks the server's release and, on this 1.35 server, lists in pipelined
/// pages: a consistent read of the newest state.
#[tokio::test]
async fn default_paging_pipelines_on_servers_from_1_34() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::start().expect("private control plane");
    let ns = cp.fresh_namespace("informer-auto-paging").await.expect("namespace");
    let client = cp.kube_client().expect("client");
    let version = client.server_version().await.expect("GET /version");
    assert!(version.at_least(1, 34), "the harness runs 1.34 or newer: {version:?}");
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    let written = Written::default();
    create_many(&api, (0..50).map(|i| format!("cm-{i:02}")).collect(), &written).await;

    let (factory, informer) = config_maps_in(client, &ns, ReflectorOptions::default());
    factory.start();
    factory.wait_for_cache_sync().await.expect("syncs");
    let stats = informer.stats();
    assert_eq!((stats.lists, stats.pipelined_lists), (1, 1), "{stats:?}");
    assert_eq!(cache_state(&informer), server_state(&api).await, "a consistent read: the newest state");
    factory.shutdown().await;
}

/// A factory for ConfigMaps in `ns` through `client`, with `reflector`, and its (not yet
/// started) ConfigMap informer.
fn config_maps_in(
    client: Client,
    ns: &str,
    reflector: ReflectorOptions,
) -> (SharedInformerFactory, SharedIndexInformer<ConfigMap>) {
    let factory = SharedInformerFactory::with_options(
        client,
        FactoryOptions { namespace: Some(ns.to_owned()), reflector, ..FactoryOptions::default() },
    );
    let informer = factory.core_v1().config_maps();
    (factory, informer)
}

fn same_informer(factory: &SharedInformerFactory, informer: &SharedIndexInformer<ConfigMap>) -> bool {
    Arc::ptr_eq(factory.core_v1().config_maps().store(), informer.store())
}

#[tokio::test]
async fn converges_through_restarts_compaction_and_a_partition() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::start().expect("private control plane");
    let ns = cp.fresh_namespace("informer-faults").await.expect("namespace");
    let admin = cp.kube_client().expect("client");
    let api: Api<ConfigMap> = Api::namespaced(admin.clone(), &ns);
    let written = Written::default();
    create_many(&api, (0..300).map(|i| format!("cm-{i:04}")).collect(), &written).await;

    // The informer reaches the server through a proxy the test can cut.
    let proxy = PartitionProxy::start(server_address(&cp)).await.expect("proxy");
    let mut config = cp.kube_config().expect("config");
    config.connect_through(proxy.address());
    let reflector = ReflectorOptions {
        backoff: kubegen_runtime::cache::backoff::BackoffSettings { max: Duration::from_secs(4), ..Default::default() },
        ..ReflectorOptions::default()
    };
    let (factory, informer) = config_maps_in(Client::new(config).expect("client"), &ns, reflector);
    let ledger = Ledger::default();
    informer.add_event_handler(ledger.clone());
    // A handler that also gets the cache replayed every second, through relists and 410s:
    // a resync must never bring back a deleted object or an older state.
    let resyncing = Ledger::default();
    informer.add_event_handler_with_resync(resyncing.clone(), Duration::from_secs(1));
    factory.start();
    factory.wait_for_cache_sync().await.expect("syncs");

    // Churn; stop the API server gracefully (it closes the watches) and start it again; churn;
    // compact etcd; churn; kill it (connections reset) and start it again; churn.
    churn(&api, 300, 400, 11, &written).await;
    cp.restart_apiserver().await.expect("graceful restart");
    churn(&api, 300, 400, 12, &written).await;
    cp.compact_etcd().await.expect("compact");
    churn(&api, 300, 400, 13, &written).await;
    cp.kill_and_restart_apiserver().await.expect("killed and restarted");
    churn(&api, 200, 400, 14, &written).await;
    assert_converges(&api, &informer, &[&ledger, &resyncing]).await;
    // The fresh watch cache of a restarted server does not have the informer's last
    // resourceVersion: the watch gets a 410, and the informer relists.
    let stats = informer.stats();
    assert!(stats.expired >= 1, "no 410 observed: {stats:?}");
    assert!(stats.lists >= 2, "no relist: {stats:?}");

    // Partition the informer, delete objects it cannot see go, make its resourceVersion
    // unavailable (a restart starts a fresh watch cache; compaction removes the history), heal.
    proxy.cut();
    let mut doomed: Vec<String> = server_state(&api).await.keys().take(25).cloned().collect();
    doomed.sort();
    for name in &doomed {
        api.delete(name, &DeleteParams::default()).await.expect("delete while partitioned");
    }
    cp.restart_apiserver().await.expect("restart");
    cp.compact_etcd().await.expect("compact");
    proxy.heal();
    assert_converges(&api, &informer, &[&ledger, &resyncing]).await;
    let tombstones = ledger.state.lock().expect("ledger").tombstones.clone();
    for name in &doomed {
        assert!(tombstones.contains(name), "{name} was deleted while partitioned and must arrive as a tombstone");
    }
    assert_nothing_invented(&ledger, &written);
    assert_nothing_invented(&resyncing, &written);
    factory.shutdown().await;
}

fn server_address(cp: &ControlPlane) -> std::net::SocketAddr {
    cp.server_url().trim_start_matches("https://").parse().expect("address")
}

fn version_of(text: &str) -> u64 {
    text.parse().unwrap_or(0)
}

/// The informer-faults issue: during churn, every connection of the informers' clients is
/// stalled for 90 s without being closed (no FIN, no RST: what a NAT or a load balancer in
/// between does to a flow). With default settings (HTTP/2 pings every 30 s, 15 s to answer)
/// the informer resumes within 60 s; over HTTP/1.1, the watch idle bound does the same;
/// with pings and the idle bound off, the informer shows the stall, which proves the test
/// can fail. After the stall all three converge to a fresh list.
#[tokio::test]
async fn a_silently_dead_connection_is_noticed_and_the_informers_resume() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace("informer-stall").await.expect("namespace");
    let admin = cp.kube_client().expect("client");
    let api: Api<ConfigMap> = Api::namespaced(admin, &ns);
    let written = Arc::new(Written::default());
    create_many(&api, (0..200).map(|i| format!("cm-{i:04}")).collect(), &written).await;
    let proxy = PartitionProxy::start(server_address(cp)).await.expect("proxy");

    let informer_with = |configure: &dyn Fn(&mut Config, &mut ReflectorOptions)| {
        let mut config = cp.kube_config().expect("config");
        config.connect_through(proxy.address());
        let mut reflector = ReflectorOptions::default();
        configure(&mut config, &mut reflector);
        let (factory, informer) = config_maps_in(Client::new(config).expect("client"), &ns, reflector);
        let ledger = Ledger::default();
        informer.add_event_handler(ledger.clone());
        factory.start();
        (factory, informer, ledger)
    };
    let defaults = informer_with(&|_, _| {});
    let http1 = informer_with(&|config, reflector| {
        config.http1_only = true;
        reflector.watch_idle_timeout = Some(Duration::from_secs(20));
    });
    let blind = informer_with(&|config, reflector| {
        config.keep_alive = None;
        reflector.watch_idle_timeout = None;
    });
    for (factory, _, _) in [&defaults, &http1, &blind] {
        factory.wait_for_cache_sync().await.expect("syncs");
    }

    // Churn through the admin client (not through the proxy) for the whole test.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churning = {
        let (api, written, stop) = (api.clone(), written.clone(), stop.clone());
        tokio::spawn(async move {
            for round in 0u64.. {
                if stop.load(std::sync::atomic::Ordering::Acquire) {
                    return;
                }
                churn(&api, 4, 200, 1000 + round, &written).await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    // Everything written up to here is known to all three before the stall.
    let before = api.create(&PostParams::default(), &configmap("before-stall", "x")).await.expect("create");
    written.note("before-stall", "x");
    let before = version_of(before.metadata.resource_version().expect("rv"));
    for (_, informer, _) in [&defaults, &http1, &blind] {
        let deadline = Instant::now() + Duration::from_secs(30);
        while version_of(&informer.last_sync_resource_version()) < before {
            assert!(Instant::now() < deadline, "{} did not catch up before the stall", informer.name());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let stalled_at = Instant::now();
    proxy.stall();
    let stall_version = version_of(
        &api.list(&ListParams::default()).await.expect("list").metadata.resource_version.clone().unwrap_or_default(),
    );

    let recovered =
        |informer: &SharedIndexInformer<ConfigMap>| version_of(&informer.last_sync_resource_version()) > stall_version;
    let mut recovery: [Option<Duration>; 2] = [None, None];
    while stalled_at.elapsed() < Duration::from_secs(80) {
        for (slot, (_, informer, _)) in recovery.iter_mut().zip([&defaults, &http1]) {
            if slot.is_none() && recovered(informer) {
                *slot = Some(stalled_at.elapsed());
                tracing::info!("{} resumed {:.1?} after the stall began", informer.name(), stalled_at.elapsed());
            }
        }
        assert!(!recovered(&blind.1), "without pings or an idle bound nothing can notice the stall");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "resumed after a silent stall: HTTP/2 with default pings {:?}, HTTP/1.1 with a 20 s idle bound {:?}",
        recovery[0], recovery[1]
    );
    let [Some(http2), Some(http1_recovery)] = recovery else { panic!("did not resume within 80 s: {recovery:?}") };
    assert!(http2 < Duration::from_secs(60), "default settings resumed after {http2:?}");
    assert!(http1_recovery < Duration::from_secs(60), "HTTP/1.1 resumed after {http1_recovery:?}");
    tokio::time::sleep(Duration::from_secs(90).saturating_sub(stalled_at.elapsed())).await;
    proxy.heal();
    stop.store(true, std::sync::atomic::Ordering::Release);
    churning.await.expect("churn");
    for (factory, informer, ledger) in [&defaults, &http1, &blind] {
        assert_converges(&api, informer, &[ledger]).await;
        assert_nothing_invented(ledger, &written);
        factory.shutdown().await;
    }
}

#[tokio::test]
async fn a_slow_handler_does_not_delay_another() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace("informer-slow").await.expect("namespace");
    let client = cp.kube_client().expect("client");
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    let (factory, informer) = config_maps_in(client, &ns, ReflectorOptions::default());
    let slow = Ledger { delay: Duration::from_millis(100), ..Ledger::default() };
    let fast = Ledger::default();
    let slow_registration = informer.add_event_handler(slow.clone());
    informer.add_event_handler(fast.clone());
    factory.start();
    factory.wait_for_cache_sync().await.expect("syncs");

    let written = Written::default();
    let started = Instant::now();
    create_many(&api, (0..50).map(|i| format!("cm-{i:04}")).collect(), &written).await;
    let created = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(20);
    while fast.view().len() < 50 {
        assert!(Instant::now() < deadline, "the fast handler saw {} of 50", fast.view().len());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let fast_done = started.elapsed();
    let slow_seen = slow.view().len();
    // Held back by the slow handler, the fast one would finish with it, 5 s after the first
    // event; half of that is the bound (1 s was thin for watch delivery on a loaded machine
    // whose two cores the API server and other tests share).
    assert!(
        fast_done < created + Duration::from_millis(2500),
        "the fast handler lagged: all created in {created:?}, all seen in {fast_done:?}"
    );
    assert!(slow_seen < 50, "the slow handler needs 5 s for 50 events, but had seen {slow_seen} after {fast_done:?}");
    assert!(slow_registration.backlog() > 0);
    factory.shutdown().await;
}

#[tokio::test]
async fn a_late_handler_receives_the_whole_cache() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace("informer-late").await.expect("namespace");
    let client = cp.kube_client().expect("client");
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    let written = Written::default();
    create_many(&api, (0..100).map(|i| format!("cm-{i:04}")).collect(), &written).await;
    // Streaming lists (sendInitialEvents) this time.
    let (factory, informer) =
        config_maps_in(client, &ns, ReflectorOptions { streaming_list: true, ..ReflectorOptions::default() });
    factory.start();
    factory.wait_for_cache_sync().await.expect("syncs");
    let late = Ledger::default();
    let registration = informer.add_event_handler(late.clone());
    let deadline = Instant::now() + Duration::from_secs(20);
    while !registration.has_synced() {
        assert!(Instant::now() < deadline, "the late handler did not sync");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let expected: BTreeMap<String, String> = server_state(&api).await.into_iter().map(|(n, (_, v))| (n, v)).collect();
    assert_eq!(late.view(), expected);
    api.delete("cm-0000", &DeleteParams::default()).await.expect("delete");
    assert_converges(&api, &informer, &[&late]).await;
    // Listers read the same cache.
    let lister = informer.lister();
    assert!(lister.namespace(&ns).get("cm-0001").is_some());
    assert!(lister.namespace(&ns).get("cm-0000").is_none());
    factory.shutdown().await;
}

#[tokio::test]
async fn sync_errors_name_the_resource_and_the_server_answer() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");

    // A user without rights: 403.
    let nobody = cp.create_user("informer-nobody", &[]).expect("user");
    let factory = SharedInformerFactory::new(nobody.kube_client().expect("client"), Duration::ZERO);
    factory.core_v1().config_maps();
    factory.start();
    let error = factory.wait_for_cache_sync_timeout(Duration::from_secs(30)).await.expect_err("forbidden");
    assert_eq!(error.code(), Some(403), "{error}");
    let message = error.to_string();
    assert!(message.contains("v1/configmaps"), "{message}");
    assert!(message.contains("cannot list resource \"configmaps\""), "{message}");
    factory.shutdown().await;

    // A resource the server does not have (its CRD is not installed here): 404.
    let factory = kubegen_test_crds::SharedInformerFactory::new(cp.kube_client().expect("client"), Duration::ZERO);
    factory.cert_manager_io_v1().issuers();
    factory.start();
    let error = factory.wait_for_cache_sync_timeout(Duration::from_secs(30)).await.expect_err("not found");
    assert_eq!(error.code(), Some(404), "{error}");
    assert!(error.to_string().contains("cert-manager.io/v1/issuers"), "{error}");
    factory.shutdown().await;
}
