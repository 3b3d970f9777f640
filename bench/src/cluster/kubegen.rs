//! kubegen's side of the cluster workloads.
//!
//! - [`informer`]: a `SharedInformerFactory` (namespaced, no resync, default options, or the
//!   reflector's [`sequential_pages`] in the `kubegen, watch-cache list` slot) with a
//!   ConfigMap informer whose `on_update` handler reports to the [`Probe`]. The contract of
//!   the slot: build the informer from `probe.params()`, call `probe.on_update(<bench-rev>)`
//!   from the handler, `probe.synced(<objects in the store>)` after the cache sync, then await
//!   `probe.all_updates_seen()`; return `Outcome::Pending(reason)` instead to report
//!   "pending".
//! - [`controller`]: `kubegen_runtime::controller::Controller` on the factory's ConfigMap
//!   informer, `workers` reconciles at once, whose reconcile reports to the [`Tally`].
//! - [`requests`] times `kubegen_runtime::Api<ConfigMap>` GET and LIST, with the client's
//!   default rate limit turned off (as kube-rs has none and the Go side disables client-go's).
//! - [`streams`]: `Api<Pod>::portforward`, `exec` with `output`, and `exec` of `cat` with stdin,
//!   through the shared timing helpers of `streams.rs`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use kubegen_api::core_v1::{ConfigMap, Pod};
use kubegen_runtime::cache::factory::SharedInformerFactory;
use kubegen_runtime::cache::handler::HandlerFns;
use kubegen_runtime::cache::reflector::{Paging, ReflectorOptions};
use kubegen_runtime::client::AttachParams;
use kubegen_runtime::client::params::ListParams;
use kubegen_runtime::config::{Config, Kubeconfig, KubeconfigOptions};
use kubegen_runtime::controller::{Action, Controller};
use kubegen_runtime::{Api, Client};
use tokio::io::AsyncWriteExt as _;

use super::probe::{Probe, REVISION_KEY};
use super::protocol::Outcome;
use super::requests::{self, PAGE, RequestFigures, RequestParams};
use super::streams::{self, StreamFigures, StreamParams};
use super::tally::Tally;

/// The reflector options of the `kubegen, watch-cache list` slot: what the default paging
/// does on servers before 1.34, one list at resourceVersion=0 that the watch cache answers
/// whole (the default before `Paging::Auto`).
pub fn sequential_pages() -> ReflectorOptions {
    ReflectorOptions { paging: Paging::SEQUENTIAL, ..ReflectorOptions::default() }
}

/// kubegen's informer: sync time, peak RSS, updates reaching a handler; with `reflector`
/// options instead of the defaults when given.
pub async fn informer(probe: &Probe, reflector: Option<ReflectorOptions>) -> anyhow::Result<Outcome<()>> {
    let params = probe.params();
    let factory = SharedInformerFactory::namespaced(client(&params.kubeconfig)?, &params.namespace, Duration::ZERO);
    let informer = factory.informer::<ConfigMap>();
    if let Some(options) = reflector {
        informer.set_reflector_options(options).context("kubegen reflector options")?;
    }
    let handler_probe = probe.clone();
    informer.add_event_handler(HandlerFns::<ConfigMap>::new().on_update(move |_old, new| {
        handler_probe.on_update(new.data.as_ref().and_then(|data| data.get(REVISION_KEY)).map(|value| &**value));
    }));
    factory.start();
    factory.wait_for_cache_sync().await.context("kubegen informer cache sync")?;
    probe.synced(informer.store().len())?;
    probe.all_updates_seen().await?;
    factory.shutdown().await;
    Ok(Outcome::Measured(()))
}

/// kubegen's controller: every object reconciled once, then again after its update.
pub async fn controller(tally: &Tally) -> anyhow::Result<Outcome<()>> {
    let params = tally.params();
    let factory = SharedInformerFactory::namespaced(client(&params.kubeconfig)?, &params.namespace, Duration::ZERO);
    let controller = Controller::new(factory.informer::<ConfigMap>()).workers(usize::from(params.workers));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(controller.run(
        |config_map: Arc<ConfigMap>, tally: Arc<Tally>| async move {
            let metadata = &config_map.metadata;
            tally.on_reconcile(
                metadata.name.as_deref().unwrap_or_default(),
                metadata.resource_version.as_deref().unwrap_or_default(),
                config_map.data.as_ref().and_then(|data| data.get(REVISION_KEY)).map(|value| &**value),
            );
            Ok::<_, Infallible>(Action::await_change())
        },
        Arc::new(tally.clone()),
        async move {
            let _ = stopped.await;
        },
    ));
    tally.all_reconciled().await?;
    tally.all_updates_reconciled().await?;
    let _ = stop.send(());
    running.await.context("the kubegen controller task")?.context("the kubegen controller's caches")?;
    factory.shutdown().await;
    Ok(Outcome::Measured(()))
}

fn client(kubeconfig: &std::path::Path) -> anyhow::Result<Client> {
    let kubeconfig =
        Kubeconfig::read(kubeconfig).with_context(|| format!("reading kubeconfig {}", kubeconfig.display()))?;
    let mut config = Config::from_custom_kubeconfig(&kubeconfig, &KubeconfigOptions::default())
        .context("building the kubegen config")?;
    config.rate_limit = None;
    Client::new(config).context("building the kubegen client")
}

/// GETs and LISTs of 500 with `Api<ConfigMap>`.
pub async fn requests(params: &RequestParams) -> anyhow::Result<Outcome<RequestFigures>> {
    let api: Api<ConfigMap> = Api::namespaced(client(&params.kubeconfig)?, &params.namespace);
    let list_params = ListParams::default().limit(PAGE);
    let figures = requests::measure(
        params,
        || async {
            let list = api.list(&list_params).await.context("kubegen LIST")?;
            Ok(list
                .items
                .iter()
                .filter_map(|config_map| config_map.metadata.name.as_deref().map(str::to_owned))
                .collect())
        },
        |name| {
            let api = api.clone();
            async move {
                api.get(&name).await.context("kubegen GET")?;
                Ok(())
            }
        },
    )
    .await?;
    Ok(Outcome::Measured(figures))
}

/// Port-forward throughput, exec round trips and stdin round trips with `Api<Pod>`.
pub async fn streams(params: &StreamParams) -> anyhow::Result<Outcome<StreamFigures>> {
    let pods: Api<Pod> = Api::namespaced(client(&params.kubeconfig)?, &params.namespace);
    let mut forwarder = pods.portforward(&params.pod, &[params.port]).await.context("kubegen port-forward")?;
    let stream = forwarder.take_stream(params.port).context("the forwarded port's stream")?;
    let forward_mb_per_second = streams::throughput(stream, params.forward_bytes).await?;
    forwarder.abort();
    eprintln!("streams: kubegen: port-forward {forward_mb_per_second:.0} MB/s each way");

    let exec_ms = streams::exec_round_trips(params.execs, || async {
        let process = pods.exec(&params.pod, ["echo", "hi"], &AttachParams::default()).await.context("kubegen exec")?;
        let output = process.output().await.context("kubegen exec output")?;
        if !output.status.success() {
            bail!("exec echo ended with {:?}", output.status);
        }
        Ok(output.stdout)
    })
    .await?;
    eprintln!("streams: kubegen: exec round trip {exec_ms:.1} ms");

    let mut process =
        pods.exec(&params.pod, ["cat"], &AttachParams::default().stdin(true)).await.context("kubegen exec cat")?;
    let mut stdin = process.stdin().context("stdin")?;
    let stdout = process.stdout().context("stdout")?;
    let echo_us = streams::echo_round_trips(&mut stdin, stdout, params.echoes).await?;
    stdin.shutdown().await.context("closing stdin")?;
    let status = process.status().await.context("cat's exit status")?;
    if !status.success() {
        bail!("cat ended with {status:?}");
    }
    Ok(Outcome::Measured(StreamFigures { forward_mb_per_second, exec_ms, echo_us }))
}
