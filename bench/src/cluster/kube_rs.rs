//! kube-rs's side of the cluster workloads: kube-runtime's `reflector` over a `watcher` (the
//! default configuration: paged initial list of 500, then a watch), and `Api<ConfigMap>` GET
//! and LIST.

use anyhow::Context as _;
use futures::TryStreamExt as _;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::ListParams;
use kube::runtime::{WatchStreamExt as _, reflector, watcher};
use kube::{Api, Client, Config};

use super::probe::{Probe, REVISION_KEY};
use super::protocol::Outcome;
use super::requests::{self, PAGE, RequestFigures, RequestParams};

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
