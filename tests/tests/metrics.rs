//! The runtime's metrics in Prometheus text format (feature `prometheus`), scraped over HTTP
//! from a test endpoint while a client, an informer, a workqueue and a controller work against
//! a real API server: requests by verb and code, the informer's lists and store size, the
//! queue's adds, the reconciles by result.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kubegen_api::SharedInformerFactory;
use kubegen_api::core_v1::ConfigMap;
use kubegen_runtime::cache::FactoryOptions;
use kubegen_runtime::client::params::PostParams;
use kubegen_runtime::controller::{Action, Controller, WorkQueue, default_rate_limiter};
use kubegen_runtime::metrics::prometheus::KubegenMetrics;
use kubegen_runtime::{Api, Client, ObjectMeta};
use kubegen_tests::ControlPlane;
use prometheus_client::registry::Registry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves `registry` at `/metrics` on a local port, as a controller's metrics endpoint would;
/// returns the address.
async fn serve(registry: Registry) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut connection, _)) = listener.accept().await {
            let mut request = [0u8; 1024];
            let _ = connection.read(&mut request).await;
            let mut body = String::new();
            prometheus_client::encoding::text::encode(&mut body, &registry).expect("encodes");
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = connection.write_all(head.as_bytes()).await;
            let _ = connection.write_all(body.as_bytes()).await;
        }
    });
    address.to_string()
}

/// A scrape, as Prometheus does it: `GET /metrics`, the body of the answer.
async fn scrape(address: &str) -> String {
    let mut connection = tokio::net::TcpStream::connect(address).await.expect("connect");
    let request = format!("GET /metrics HTTP/1.1\r\nhost: {address}\r\naccept: text/plain\r\n\r\n");
    connection.write_all(request.as_bytes()).await.expect("request");
    let mut answer = String::new();
    connection.read_to_string(&mut answer).await.expect("answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body.to_owned()
}

/// The value of the sample `name{labels}` (labels as printed), if scraped.
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn client_informer_workqueue_and_controller_metrics_are_scraped_in_prometheus_text_format() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("control plane");
    let ns = cp.fresh_namespace("metrics").await.expect("namespace");
    let mut registry = Registry::default();
    let metrics = KubegenMetrics::register(&mut registry);
    let config = cp.kube_config().expect("config");
    let client = Client::with_metrics(config, metrics.client()).expect("client");

    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    for name in ["a", "b", "c"] {
        let object = ConfigMap {
            metadata: ObjectMeta { name: Some(name.into()), ..ObjectMeta::default() },
            ..ConfigMap::default()
        };
        config_maps.create(&PostParams::default(), &object).await.expect("create");
    }
    assert!(config_maps.get_opt("missing").await.expect("get").is_none());

    let factory = SharedInformerFactory::with_options(
        client.clone(),
        FactoryOptions { namespace: Some(ns.clone()), ..FactoryOptions::default() },
    );
    let informer = factory.core_v1().config_maps();
    metrics.watch_informer(informer.clone());
    factory.start();
    factory.wait_for_cache_sync().await.expect("syncs");

    let queue = WorkQueue::with_parts(Box::new(default_rate_limiter()), metrics.workqueue("configsets"));
    for key in ["a", "b", "c", "a"] {
        queue.add(key.to_owned());
    }
    let taken = queue.get().await.expect("an item");
    queue.done(&taken);

    // A controller on the same cache: "b" asks to be requeued (in an hour), the others are done.
    let reconciled = Arc::new(AtomicUsize::new(0));
    let all_reconciled = {
        let reconciled = reconciled.clone();
        async move {
            while reconciled.load(Ordering::Acquire) < 3 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    Controller::new(informer.clone())
        .reconcile_metrics(metrics.controller("configmaps"))
        .run(
            |config_map: Arc<ConfigMap>, reconciled: Arc<AtomicUsize>| async move {
                reconciled.fetch_add(1, Ordering::AcqRel);
                Ok::<_, std::convert::Infallible>(match config_map.metadata.name() {
                    "b" => Action::requeue(Duration::from_secs(3600)),
                    _ => Action::await_change(),
                })
            },
            reconciled,
            all_reconciled,
        )
        .await
        .expect("synced");

    let scrape = scrape(&serve(registry).await).await;
    let expect = |series: &str, value: f64| {
        assert_eq!(sample(&scrape, series), Some(value), "{series} in\n{scrape}");
    };
    expect(r#"kubegen_rest_client_requests_total{verb="POST",code="201"}"#, 3.0);
    expect(r#"kubegen_rest_client_requests_total{verb="GET",code="404"}"#, 1.0);
    // The informer's name, escaped as the text format does.
    let informer_label = format!(r#"{{informer="{}"}}"#, informer.name().replace('"', r#"\""#));
    expect(&format!("kubegen_informer_store_objects{informer_label}"), 3.0);
    expect(&format!("kubegen_informer_lists_total{informer_label}"), 1.0);
    expect(&format!("kubegen_informer_handler_backlog{informer_label}"), 0.0);
    expect(r#"kubegen_workqueue_adds_total{name="configsets"}"#, 4.0);
    expect(r#"kubegen_workqueue_depth{name="configsets"}"#, 2.0);
    expect(r#"kubegen_workqueue_work_duration_seconds_count{name="configsets"}"#, 1.0);
    expect(r#"kubegen_controller_reconciles_total{controller="configmaps",result="success"}"#, 2.0);
    expect(r#"kubegen_controller_reconciles_total{controller="configmaps",result="requeue"}"#, 1.0);
    expect(r#"kubegen_controller_reconcile_duration_seconds_count{controller="configmaps"}"#, 3.0);
    expect(r#"kubegen_controller_active_workers{controller="configmaps"}"#, 0.0);
    let latency = sample(&scrape, r#"kubegen_rest_client_request_duration_seconds_count{verb="GET"}"#);
    assert!(latency.is_some_and(|count| count >= 2.0), "list and get latencies: {latency:?}");
    factory.shutdown().await;
}
