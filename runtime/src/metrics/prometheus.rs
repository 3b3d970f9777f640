//! The runtime's metrics on a `prometheus-client` registry (feature `prometheus`), named
//! after client-go's where there is one (`rest_client_*`, `workqueue_*`), under the prefix
//! `kubegen_`:
//!
//! | metric | labels | from |
//! |---|---|---|
//! | `rest_client_requests_total` | verb, code (`<error>` without a response) | client |
//! | `rest_client_request_duration_seconds` | verb | client |
//! | `rest_client_rate_limiter_duration_seconds` | | client |
//! | `workqueue_adds_total`, `workqueue_retries_total` | name | workqueue |
//! | `workqueue_depth` | name | workqueue |
//! | `workqueue_queue_duration_seconds`, `workqueue_work_duration_seconds` | name | workqueue |
//! | `informer_lists_total`, `informer_relists_total`, `informer_failures_total`, `informer_watches_total`, `informer_watch_events_total` | informer | informer, read at scrape |
//! | `informer_store_objects`, `informer_handler_backlog` | informer | informer, read at scrape |
//! | `controller_reconciles_total` | controller, result (`success`, `requeue`, `error`, `panic`) | controller |
//! | `controller_reconcile_duration_seconds` | controller | controller |
//! | `controller_active_workers` | controller | controller |
//!
//! A `/metrics` handler encodes the registry with `prometheus_client::encoding::text::encode`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::{ClientMetrics, InformerMetrics, QueueMetrics};
use crate::controller::{ReconcileMetrics, ReconcileResult};

type Labels = Vec<(&'static str, String)>;
type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;

/// Latency buckets from 1 ms to about 65 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

fn histogram_family() -> HistogramFamily {
    Family::new_with_constructor(latency_histogram as fn() -> Histogram)
}

/// The runtime's metrics, registered on a registry. Cheap to clone.
#[derive(Clone, Debug)]
pub struct KubegenMetrics {
    requests: Family<Labels, Counter>,
    request_duration: HistogramFamily,
    rate_limiter_wait: Histogram,
    queue_adds: Family<Labels, Counter>,
    queue_retries: Family<Labels, Counter>,
    queue_depth: Family<Labels, Gauge>,
    queue_duration: HistogramFamily,
    work_duration: HistogramFamily,
    reconciles: Family<Labels, Counter>,
    reconcile_duration: HistogramFamily,
    active_workers: Family<Labels, Gauge>,
    informers: Arc<Informers>,
}

impl KubegenMetrics {
    /// Registers every metric on `registry`, under the prefix `kubegen`.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            requests: Family::default(),
            request_duration: histogram_family(),
            rate_limiter_wait: latency_histogram(),
            queue_adds: Family::default(),
            queue_retries: Family::default(),
            queue_depth: Family::default(),
            queue_duration: histogram_family(),
            work_duration: histogram_family(),
            reconciles: Family::default(),
            reconcile_duration: histogram_family(),
            active_workers: Family::default(),
            informers: Arc::default(),
        };
        let registry = registry.sub_registry_with_prefix("kubegen");
        registry.register("rest_client_requests", "Request attempts by verb and status code", metrics.requests.clone());
        registry.register(
            "rest_client_request_duration_seconds",
            "Request latency until the response headers, by verb",
            metrics.request_duration.clone(),
        );
        registry.register(
            "rest_client_rate_limiter_duration_seconds",
            "Time requests waited for the client-side rate limiter",
            metrics.rate_limiter_wait.clone(),
        );
        registry.register("workqueue_adds", "Items added to a workqueue", metrics.queue_adds.clone());
        registry.register("workqueue_retries", "Rate-limited re-adds of a workqueue", metrics.queue_retries.clone());
        registry.register("workqueue_depth", "Items waiting in a workqueue", metrics.queue_depth.clone());
        registry.register(
            "workqueue_queue_duration_seconds",
            "Time items waited in a workqueue before being taken",
            metrics.queue_duration.clone(),
        );
        registry.register(
            "workqueue_work_duration_seconds",
            "Time items of a workqueue were processed",
            metrics.work_duration.clone(),
        );
        registry.register("controller_reconciles", "Reconciles by result", metrics.reconciles.clone());
        registry.register(
            "controller_reconcile_duration_seconds",
            "Time reconciles took",
            metrics.reconcile_duration.clone(),
        );
        registry.register("controller_active_workers", "Workers in a reconcile", metrics.active_workers.clone());
        registry.register_collector(Box::new(metrics.informers.clone()));
        metrics
    }

    /// The client's metrics: pass to [`Client::with_metrics`](crate::Client::with_metrics).
    pub fn client(&self) -> Arc<dyn ClientMetrics> {
        Arc::new(self.clone())
    }

    /// The metrics of the workqueue called `name`: pass to `Controller::queue_metrics`.
    pub fn workqueue(&self, name: &str) -> Arc<dyn QueueMetrics> {
        Arc::new(QueueRecorder { labels: vec![("name", name.to_owned())], metrics: self.clone() })
    }

    /// The metrics of the controller called `name`: pass to `Controller::reconcile_metrics`.
    pub fn controller(&self, name: &str) -> Arc<dyn ReconcileMetrics> {
        Arc::new(ReconcileRecorder { name: name.to_owned(), metrics: self.clone() })
    }

    /// Reports `informer`'s state at every scrape, labelled with its name.
    pub fn watch_informer(&self, informer: impl InformerMetrics + 'static) {
        self.informers.list.lock().unwrap_or_else(PoisonError::into_inner).push(Box::new(informer));
    }
}

impl ClientMetrics for KubegenMetrics {
    fn request(&self, verb: &str, code: Option<u16>, latency: Duration) {
        let code = code.map_or_else(|| "<error>".to_owned(), |code| code.to_string());
        self.requests.get_or_create(&vec![("verb", verb.to_owned()), ("code", code)]).inc();
        self.request_duration.get_or_create(&vec![("verb", verb.to_owned())]).observe(latency.as_secs_f64());
    }

    fn rate_limiter_wait(&self, waited: Duration) {
        self.rate_limiter_wait.observe(waited.as_secs_f64());
    }
}

/// One workqueue's metrics.
struct QueueRecorder {
    labels: Labels,
    metrics: KubegenMetrics,
}

impl QueueMetrics for QueueRecorder {
    fn added(&self) {
        self.metrics.queue_adds.get_or_create(&self.labels).inc();
    }

    fn depth(&self, depth: usize) {
        self.metrics.queue_depth.get_or_create(&self.labels).set(i64::try_from(depth).unwrap_or(i64::MAX));
    }

    fn queued_for(&self, waited: Duration) {
        self.metrics.queue_duration.get_or_create(&self.labels).observe(waited.as_secs_f64());
    }

    fn worked_for(&self, took: Duration) {
        self.metrics.work_duration.get_or_create(&self.labels).observe(took.as_secs_f64());
    }

    fn retried(&self) {
        self.metrics.queue_retries.get_or_create(&self.labels).inc();
    }
}

/// One controller's metrics.
struct ReconcileRecorder {
    name: String,
    metrics: KubegenMetrics,
}

impl ReconcileMetrics for ReconcileRecorder {
    fn started(&self) {
        self.metrics.active_workers.get_or_create(&vec![("controller", self.name.clone())]).inc();
    }

    fn reconciled(&self, result: ReconcileResult, took: Duration) {
        let labels = vec![("controller", self.name.clone())];
        self.metrics.active_workers.get_or_create(&labels).dec();
        self.metrics.reconcile_duration.get_or_create(&labels).observe(took.as_secs_f64());
        let labels = vec![("controller", self.name.clone()), ("result", result.as_str().to_owned())];
        self.metrics.reconciles.get_or_create(&labels).inc();
    }
}

/// The informers read at every scrape.
#[derive(Default)]
struct Informers {
    list: Mutex<Vec<Box<dyn InformerMetrics>>>,
}

impl std::fmt::Debug for Informers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.list.lock().unwrap_or_else(PoisonError::into_inner).len();
        f.debug_struct("Informers").field("count", &count).finish()
    }
}

/// One value per informer of one metric.
fn encode_each(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    metric_type: MetricType,
    values: &[(Labels, u64)],
) -> Result<(), std::fmt::Error> {
    let mut metric = encoder.encode_descriptor(name, help, None, metric_type)?;
    for (labels, value) in values {
        let family = metric.encode_family(labels)?;
        match metric_type {
            MetricType::Counter => ConstCounter::new(*value).encode(family)?,
            _ => ConstGauge::new(i64::try_from(*value).unwrap_or(i64::MAX)).encode(family)?,
        }
    }
    Ok(())
}

impl Collector for Informers {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let snapshots: Vec<(Labels, super::InformerSnapshot)> = self
            .list
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|informer| (vec![("informer", informer.informer_name())], informer.snapshot()))
            .collect();
        type Read = fn(&super::InformerSnapshot) -> u64;
        let metrics: [(&str, &str, MetricType, Read); 7] = [
            ("informer_lists", "Lists completed", MetricType::Counter, |s| s.stats.lists),
            ("informer_relists", "Relists after the resourceVersion expired (410)", MetricType::Counter, |s| {
                s.stats.expired
            }),
            ("informer_failures", "List and watch requests that failed", MetricType::Counter, |s| s.stats.failures),
            ("informer_watches", "Watches opened", MetricType::Counter, |s| s.stats.watches),
            ("informer_watch_events", "Watch events received", MetricType::Counter, |s| s.stats.watch_events),
            ("informer_store_objects", "Objects in the informer's store", MetricType::Gauge, |s| s.store_size as u64),
            ("informer_handler_backlog", "Notifications waiting for handlers", MetricType::Gauge, |s| {
                s.handler_backlog as u64
            }),
        ];
        for (name, help, metric_type, read) in metrics {
            let values: Vec<(Labels, u64)> =
                snapshots.iter().map(|(labels, snapshot)| (labels.clone(), read(snapshot))).collect();
            encode_each(&mut encoder, name, help, metric_type, &values)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::text::encode;

    #[test]
    fn client_queue_and_controller_metrics_appear_in_the_text_format() {
        let mut registry = Registry::default();
        let metrics = KubegenMetrics::register(&mut registry);
        metrics.client().request("GET", Some(200), Duration::from_millis(3));
        metrics.client().request("GET", None, Duration::from_millis(3));
        metrics.client().rate_limiter_wait(Duration::from_millis(1));
        let queue = metrics.workqueue("sets");
        queue.added();
        queue.depth(4);
        queue.retried();
        let controller = metrics.controller("configsets");
        for _ in 0..4 {
            controller.started();
        }
        controller.reconciled(ReconcileResult::Requeue, Duration::from_millis(2));
        controller.reconciled(ReconcileResult::Error, Duration::from_millis(2));
        controller.reconciled(ReconcileResult::Error, Duration::from_millis(2));
        let mut text = String::new();
        encode(&mut text, &registry).expect("encodes");
        for line in [
            r#"kubegen_rest_client_requests_total{verb="GET",code="200"} 1"#,
            r#"kubegen_rest_client_requests_total{verb="GET",code="<error>"} 1"#,
            r#"kubegen_rest_client_request_duration_seconds_count{verb="GET"} 2"#,
            "kubegen_rest_client_rate_limiter_duration_seconds_count 1",
            r#"kubegen_workqueue_adds_total{name="sets"} 1"#,
            r#"kubegen_workqueue_depth{name="sets"} 4"#,
            r#"kubegen_workqueue_retries_total{name="sets"} 1"#,
            r#"kubegen_controller_reconciles_total{controller="configsets",result="requeue"} 1"#,
            r#"kubegen_controller_reconciles_total{controller="configsets",result="error"} 2"#,
            r#"kubegen_controller_reconcile_duration_seconds_count{controller="configsets"} 3"#,
            r#"kubegen_controller_active_workers{controller="configsets"} 1"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing from\n{text}");
        }
    }
}
