//! The event recorder against a real API server: 100 identical events on one object become
//! one Event whose `series.count` is 100; distinct reasons become distinct Events; with the
//! server unreachable, publishing never blocks and a full queue drops and counts, and what was
//! queued is written once the server answers again.

use std::collections::BTreeMap;
use std::time::Duration;

use kubegen_api::core_v1::ConfigMap;
use kubegen_api::events_v1::Event;
use kubegen_runtime::client::params::{ListParams, PostParams};
use kubegen_runtime::events::{EventRecord, EventRecorder, EventRecorderConfig, EventReference};
use kubegen_runtime::{Api, Client, ObjectMeta};
use kubegen_tests::ControlPlane;
use kubegen_tests::proxy::PartitionProxy;

/// A ConfigMap to record events about.
async fn subject(client: &Client, namespace: &str) -> ConfigMap {
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let object = ConfigMap {
        metadata: ObjectMeta { name: Some("subject".into()), ..ObjectMeta::default() },
        ..ConfigMap::default()
    };
    config_maps.create(&PostParams::default(), &object).await.expect("create the subject")
}

/// The Events in `namespace` by reason: their series counts (1 for an Event without a series).
async fn events_by_reason(client: &Client, namespace: &str) -> BTreeMap<String, Vec<i32>> {
    let events: Api<Event> = Api::namespaced(client.clone(), namespace);
    let mut found: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    for event in events.list(&ListParams::default()).await.expect("list events").items {
        let count = event.series.as_ref().map_or(1, |series| series.count);
        found.entry(event.reason.as_deref().unwrap_or_default().to_owned()).or_default().push(count);
    }
    found
}

fn config() -> EventRecorderConfig {
    // Series are written by `flush` in these tests, not by the timer.
    EventRecorderConfig::new("kubegen.dev/events-test", "replica-0").series_flush(Duration::from_secs(3600))
}

#[tokio::test]
async fn identical_events_become_one_series_and_distinct_reasons_distinct_events() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("control plane");
    let ns = cp.fresh_namespace("events").await.expect("namespace");
    let client = cp.kube_client().expect("client");
    let regarding = EventReference::from_resource(&subject(&client, &ns).await);
    let recorder = EventRecorder::<Event>::new(client.clone(), config());

    for _ in 0..100 {
        assert!(recorder.publish(EventRecord::normal(regarding.clone(), "Synced", "Sync", "synced the subject")));
    }
    for reason in ["Created", "Updated", "Deleted"] {
        assert!(recorder.publish(EventRecord::warning(regarding.clone(), reason, "Sync", reason)));
    }
    recorder.flush().await;

    let found = events_by_reason(&client, &ns).await;
    let expected = BTreeMap::from([
        ("Created".to_owned(), vec![1]),
        ("Deleted".to_owned(), vec![1]),
        ("Synced".to_owned(), vec![100]),
        ("Updated".to_owned(), vec![1]),
    ]);
    assert_eq!(found, expected);
    let stats = recorder.stats();
    assert_eq!((stats.published, stats.created, stats.dropped, stats.failed), (103, 4, 0, 0), "{stats:?}");

    // The Event says who reported it, about what.
    let events: Api<Event> = Api::namespaced(client.clone(), &ns);
    let list = events.list(&ListParams::default()).await.expect("list");
    let synced = list.items.iter().find(|event| event.reason.as_deref() == Some("Synced")).expect("the series");
    assert_eq!(synced.reporting_controller.as_deref(), Some("kubegen.dev/events-test"));
    assert_eq!(synced.reporting_instance.as_deref(), Some("replica-0"));
    let about = synced.regarding.as_ref().expect("regarding");
    assert_eq!((about.kind.as_deref(), about.name.as_deref()), (Some("ConfigMap"), Some("subject")));
}

#[tokio::test]
async fn a_full_queue_drops_and_counts_instead_of_blocking() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("control plane");
    let ns = cp.fresh_namespace("events-full").await.expect("namespace");
    let client = cp.kube_client().expect("client");
    let regarding = EventReference::from_resource(&subject(&client, &ns).await);

    let server = cp.server_url().trim_start_matches("https://").parse().expect("address");
    let proxy = PartitionProxy::start(server).await.expect("proxy");
    let mut through_proxy = cp.kube_config().expect("config");
    through_proxy.connect_through(proxy.address());
    let proxied = Client::new(through_proxy).expect("client");
    // One request opens the (HTTP/2) connection the recorder will share; a stall freezes it.
    Api::<ConfigMap>::namespaced(proxied.clone(), &ns).get("subject").await.expect("through the proxy");
    let recorder = EventRecorder::<Event>::new(proxied, config().queue_capacity(10));

    // The server stops answering: the first record's create hangs, the queue fills, and every
    // publish still returns at once.
    proxy.stall();
    let record = EventRecord::normal(regarding.clone(), "Synced", "Sync", "synced the subject");
    recorder.publish(record.clone());
    // Once the writing task has taken it (its create hanging), the queue is empty again.
    let started = std::time::Instant::now();
    while recorder.queued() > 0 {
        assert!(started.elapsed() < Duration::from_secs(10), "the first record was never taken");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let queued = (0..1000).filter(|_| recorder.publish(record.clone())).count();
    let stats = recorder.stats();
    assert_eq!((queued, recorder.queued()), (10, 10), "the queue holds ten");
    assert_eq!((stats.published, stats.dropped), (1001, 990), "{stats:?}");

    // The server answers again: what was taken is one Event, nothing else was lost.
    proxy.heal();
    recorder.flush().await;
    assert_eq!(events_by_reason(&client, &ns).await, BTreeMap::from([("Synced".to_owned(), vec![11])]));
}
