//! A controller's update filters against a real API server: with `generation_changed`, a
//! status write (through the status subresource, which leaves `metadata.generation` alone)
//! and a label change bring no reconcile, a spec change does; a controller without a filter,
//! beside it on the same cache, sees every one of those writes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kubegen_api::SharedInformerFactory;
use kubegen_api::apps_v1::{Deployment, DeploymentSpec};
use kubegen_api::core_v1::{Container, PodSpec, PodTemplateSpec};
use kubegen_api::meta_v1::LabelSelector;
use kubegen_runtime::cache::FactoryOptions;
use kubegen_runtime::client::params::{Patch, PatchParams, PostParams};
use kubegen_runtime::controller::predicates::generation_changed;
use kubegen_runtime::controller::{Action, Controller};
use kubegen_runtime::{Api, ObjectMeta, Str, StringMap};
use kubegen_tests::{ControlPlane, wait_until};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// The generations each reconcile saw, in order.
type Seen = Arc<Mutex<Vec<i64>>>;

fn deployment(name: &str) -> Deployment {
    let labels = StringMap::from([("app", Str::from(name))]);
    Deployment {
        metadata: ObjectMeta { name: Some(name.into()), ..ObjectMeta::default() },
        spec: Some(DeploymentSpec {
            replicas: Some(1),
            selector: LabelSelector { match_labels: Some(labels.clone()), ..LabelSelector::default() },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(labels), ..ObjectMeta::default() }),
                spec: Some(PodSpec {
                    containers: vec![Container {
                        name: "web".into(),
                        image: Some("registry.example.com/web:1.0".into()),
                        ..Container::default()
                    }],
                    ..PodSpec::default()
                }),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

#[tokio::test]
async fn generation_changed_lets_spec_changes_through_and_not_status_writes() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace("controller-filters").await.expect("namespace");
    let client = cp.kube_client().expect("client");
    let factory = SharedInformerFactory::with_options(
        client.clone(),
        FactoryOptions { namespace: Some(ns.clone()), ..FactoryOptions::default() },
    );
    let deployments = factory.apps_v1().deployments();
    let (filtered, unfiltered): (Seen, Seen) = (Seen::default(), Seen::default());
    let stop = CancellationToken::new();
    let run = |controller: Controller<Deployment>, seen: Seen| {
        let stop = stop.clone();
        tokio::spawn(async move {
            controller
                .run(
                    |deployment: Arc<Deployment>, seen: Seen| async move {
                        seen.lock().expect("lock").push(deployment.metadata.generation.unwrap_or_default());
                        Ok::<_, std::convert::Infallible>(Action::await_change())
                    },
                    seen,
                    stop.cancelled_owned(),
                )
                .await
        })
    };
    let with_filter = run(Controller::new(deployments.clone()).filter_updates(generation_changed), filtered.clone());
    let without = run(Controller::new(deployments.clone()), unfiltered.clone());

    let api: Api<Deployment> = Api::namespaced(client, &ns);
    api.create(&PostParams::default(), &deployment("web")).await.expect("create");
    let count = |seen: &Seen| seen.lock().expect("lock").len();
    wait_until("the first reconciles", || count(&filtered) == 1 && count(&unfiltered) == 1).await;

    // A status write, then a label change: the spec, and so the generation, stay.
    let status = json!({"status": {"observedGeneration": 1, "replicas": 1}});
    api.patch_status("web", &PatchParams::default(), &Patch::Merge(status)).await.expect("patch status");
    wait_until("the unfiltered controller sees the status write", || count(&unfiltered) == 2).await;
    let labels = json!({"metadata": {"labels": {"tier": "front"}}});
    api.patch("web", &PatchParams::default(), &Patch::Merge(labels)).await.expect("patch labels");
    wait_until("the unfiltered controller sees the label change", || count(&unfiltered) == 3).await;
    // Both controllers' handlers took each change before either reconciled it; a reconcile the
    // filter let through would have run by now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(*filtered.lock().expect("lock"), [1], "neither write reached the filtered controller");

    // A spec change moves the generation.
    let spec = json!({"spec": {"replicas": 3}});
    api.patch("web", &PatchParams::default(), &Patch::Merge(spec)).await.expect("patch spec");
    wait_until("the filtered controller sees the spec change", || count(&filtered) == 2).await;
    assert_eq!(*filtered.lock().expect("lock"), [1, 2]);

    stop.cancel();
    with_filter.await.expect("joins").expect("synced");
    without.await.expect("joins").expect("synced");
    // Both controllers shared one cache.
    let generations: HashMap<String, i64> = deployments
        .store()
        .list()
        .iter()
        .map(|cached| (cached.metadata.name().to_owned(), cached.metadata.generation.unwrap_or_default()))
        .collect();
    assert_eq!(generations, HashMap::from([("web".to_owned(), 2)]));
    factory.shutdown().await;
}
