//! kube-rs's side of the cluster workloads: kube-runtime's `reflector` over a `watcher` (the
//! default configuration: paged initial list of 500, then a watch), kube-runtime's
//! `Controller` (same watcher configuration, `concurrency` reconciles at once), `Api<ConfigMap>`
//! GET and LIST, and (`ws` feature) `Api<Pod>` port-forward and exec.

use anyhow::{Context as _, bail};
use std::convert::Infallible;
use std::sync::Arc;

use futures::{StreamExt as _, TryStreamExt as _};
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{AttachParams, ListParams};
use kube::runtime::controller::{self, Action, Controller};
use kube::runtime::{WatchStreamExt as _, reflector, watcher};
use kube::{Api, Client, Config};
use tokio::io::AsyncReadExt as _;
use tokio::io::AsyncWriteExt as _;

use super::probe::{Probe, REVISION_KEY};
use super::protocol::Outcome;
use super::requests::{self, PAGE, RequestFigures, RequestParams};
use super::streams::{self, StreamFigures, StreamParams};
use super::tally::Tally;

async fn client(kubeconfig: &std::path::Path) -> anyhow::Result<Client> {
    let kubeconfig = kube::config::Kubeconfig::read_from(kubeconfig)
        .with_context(|| format!("reading kubeconfig {}", kubeconfig.display()))?;
    let config = Config::from_custom_kubeconfig(kubeconfig, &kube::config::KubeConfigOptions::default())
        .await
        .context("building the kube-rs config")?;
    Client::try_from(config).context("building the kube-rs client")
}

/// A reflector's store synced, then every update seen by the stream's consumer (the handler).
pub async fn informer(probe: &Probe) -> anyhow::Result<Outcome<()>> {
    let params = probe.params();
    let api: Api<ConfigMap> = Api::namespaced(client(&params.kubeconfig).await?, &params.namespace);
    let (store, writer) = reflector::store();
    let stream = reflector(writer, watcher(api, watcher::Config::default())).touched_objects();
    let handler_probe = probe.clone();
    let handler = tokio::spawn(stream.try_for_each(move |config_map| {
        handler_probe.on_update(config_map.data.as_ref().and_then(|data| data.get(REVISION_KEY)).map(String::as_str));
        futures::future::ready(Ok(()))
    }));
    store.wait_until_ready().await.context("the reflector's writer was dropped before the store was ready")?;
    probe.synced(store.len())?;
    probe.all_updates_seen().await?;
    handler.abort();
    Ok(Outcome::Measured(()))
}

/// kube-runtime's controller: every object reconciled once, then again after its update.
pub async fn controller(tally: &Tally) -> anyhow::Result<Outcome<()>> {
    let params = tally.params();
    let api: Api<ConfigMap> = Api::namespaced(client(&params.kubeconfig).await?, &params.namespace);
    let config = controller::Config::default().concurrency(params.workers);
    let running = tokio::spawn(
        Controller::new(api, watcher::Config::default())
            .with_config(config)
            .run(
                |config_map: Arc<ConfigMap>, tally: Arc<Tally>| async move {
                    let metadata = &config_map.metadata;
                    tally.on_reconcile(
                        metadata.name.as_deref().unwrap_or_default(),
                        metadata.resource_version.as_deref().unwrap_or_default(),
                        config_map.data.as_ref().and_then(|data| data.get(REVISION_KEY)).map(String::as_str),
                    );
                    Ok::<_, Infallible>(Action::await_change())
                },
                |_, error: &Infallible, _| match *error {},
                Arc::new(tally.clone()),
            )
            .for_each(|_| futures::future::ready(())),
    );
    tally.all_reconciled().await?;
    tally.all_updates_reconciled().await?;
    running.abort();
    Ok(Outcome::Measured(()))
}

/// GETs and LISTs of 500 with `Api<ConfigMap>`.
pub async fn requests(params: &RequestParams) -> anyhow::Result<Outcome<RequestFigures>> {
    let api: Api<ConfigMap> = Api::namespaced(client(&params.kubeconfig).await?, &params.namespace);
    let list_params = ListParams::default().limit(PAGE);
    let figures = requests::measure(
        params,
        || async {
            let list = api.list(&list_params).await.context("kube-rs LIST")?;
            Ok(list.items.into_iter().filter_map(|config_map| config_map.metadata.name).collect())
        },
        |name| {
            let api = api.clone();
            async move {
                api.get(&name).await.context("kube-rs GET")?;
                Ok(())
            }
        },
    )
    .await?;
    Ok(Outcome::Measured(figures))
}

/// Port-forward throughput, exec round trips and stdin round trips with `Api<Pod>`.
pub async fn streams(params: &StreamParams) -> anyhow::Result<Outcome<StreamFigures>> {
    let pods: Api<Pod> = Api::namespaced(client(&params.kubeconfig).await?, &params.namespace);
    let mut forwarder = pods.portforward(&params.pod, &[params.port]).await.context("kube-rs port-forward")?;
    let stream = forwarder.take_stream(params.port).context("the forwarded port's stream")?;
    let forward_mb_per_second = streams::throughput(stream, params.forward_bytes).await?;
    forwarder.abort();
    eprintln!("streams: kube-rs: port-forward {forward_mb_per_second:.0} MB/s each way");

    let exec_ms = streams::exec_round_trips(params.execs, || async {
        let mut attached =
            pods.exec(&params.pod, ["echo", "hi"], &AttachParams::default()).await.context("kube-rs exec")?;
        let mut stdout = attached.stdout().context("stdout")?;
        let mut stderr = attached.stderr().context("stderr")?;
        let status = attached.take_status().context("status")?;
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let (read_out, read_err) = tokio::join!(stdout.read_to_end(&mut out), stderr.read_to_end(&mut err));
        read_out.context("reading stdout")?;
        read_err.context("reading stderr")?;
        let status = status.await.context("no exit status")?;
        if status.status.as_deref() != Some("Success") {
            bail!("exec echo ended with {status:?}");
        }
        attached.join().await.context("kube-rs exec join")?;
        Ok(out)
    })
    .await?;
    eprintln!("streams: kube-rs: exec round trip {exec_ms:.1} ms");

    let mut attached =
        pods.exec(&params.pod, ["cat"], &AttachParams::default().stdin(true)).await.context("kube-rs exec cat")?;
    let mut stdin = attached.stdin().context("stdin")?;
    let stdout = attached.stdout().context("stdout")?;
    let status = attached.take_status().context("status")?;
    let echo_us = streams::echo_round_trips(&mut stdin, stdout, params.echoes).await?;
    stdin.shutdown().await.context("closing stdin")?;
    let status = status.await.context("cat's exit status")?;
    if status.status.as_deref() != Some("Success") {
        bail!("cat ended with {status:?}");
    }
    Ok(Outcome::Measured(StreamFigures { forward_mb_per_second, exec_ms, echo_us }))
}
