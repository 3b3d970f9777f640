//! A spec written by another generator (`tests/fixtures/foreign/widgets-swagger.json`, in the
//! style of swag and go-swagger: no `x-kubernetes-*` extensions, Go package names such as
//! `v1.Widget` and `v1.ObjectMeta`, JSON Schema type arrays, and a group that serves only a
//! subresource, and a `v1.Toleration` that is Kubernetes' own), through the crate kubegen generated from it (`tests/foreign-api`), against a
//! real API server serving the same schemas from a CRD
//! (`tests/fixtures/foreign/widgets-crd.yaml`): every verb the spec's paths declare, the
//! status subresource, server-side apply, and an informer with its lister.

use std::path::PathBuf;

use kubegen_api::core_v1::Toleration;
use kubegen_foreign_api::widgets_example_com_v1::apply::{WidgetApply, WidgetSpecApply};
use kubegen_foreign_api::widgets_example_com_v1::{Condition, Step, Widget, WidgetSpec, WidgetSpecColor, WidgetStatus};
use kubegen_foreign_api::{Clientset, SharedInformerFactory};
use kubegen_runtime::cache::FactoryOptions;
use kubegen_runtime::client::params::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kubegen_runtime::{Api, ApiType, IntOrString, ObjectMeta, Quantity, Resource, StringMap, Time};
use kubegen_tests::{ControlPlane, wait_until};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/foreign").join(name)
}

fn widget(name: &str, color: WidgetSpecColor) -> Widget {
    Widget {
        metadata: ObjectMeta {
            name: Some(name.into()),
            labels: Some(StringMap::from([("color", color.as_str().into())])),
            ..ObjectMeta::default()
        },
        spec: Some(WidgetSpec {
            replicas: Some(2),
            port: Some(IntOrString::String("http".into())),
            size: Quantity::from("2Gi"),
            color: Some(color),
            steps: Some(vec![Step { name: "build".into(), args: Some(vec!["--fast".into()]) }]),
            // The spec's `v1.Toleration` is Kubernetes' own: kubegen-api's type.
            tolerations: Some(vec![Toleration {
                key: Some("dedicated".into()),
                operator: Some("Exists".into()),
                ..Toleration::default()
            }]),
            ..WidgetSpec::default()
        }),
        ..Widget::default()
    }
}

#[tokio::test]
async fn a_crate_from_another_generators_spec_works_against_the_api_server() {
    kubegen_tests::init_tracing();
    // What the generator inferred from paths alone.
    assert_eq!((Widget::GROUP, Widget::VERSION, Widget::KIND), ("widgets.example.com", "v1", "Widget"));
    assert_eq!((Widget::PLURAL, Widget::LIST_KIND), ("widgets", "WidgetList"));

    let cp = ControlPlane::shared().expect("shared control plane");
    cp.install_crds(&[fixture("widgets-crd.yaml")]).await.expect("CRD");
    let ns = cp.fresh_namespace("foreign").await.expect("namespace");
    let client = cp.kube_client().expect("client");
    let widgets: Api<Widget> = Clientset::new(client.clone()).widgets_example_com_v1().widgets(&ns);

    let factory = SharedInformerFactory::with_options(
        client.clone(),
        FactoryOptions { namespace: Some(ns.clone()), ..FactoryOptions::default() },
    );
    let informer = factory.widgets_example_com_v1().widgets();
    factory.start();
    factory.wait_for_cache_sync().await.expect("syncs");

    // Create and read back: type arrays (nullable integer, int-or-string, quantity) and the
    // enum round-trip through the server.
    for (name, color) in [("red", WidgetSpecColor::Red), ("green", WidgetSpecColor::Green)] {
        widgets.create(&PostParams::default(), &widget(name, color)).await.expect("create");
    }
    let red = widgets.get("red").await.expect("get");
    let spec = red.spec.as_ref().expect("spec");
    assert_eq!(spec.replicas, Some(2));
    assert_eq!(spec.port, Some(IntOrString::String("http".into())));
    assert_eq!(spec.size.0.as_str(), "2Gi");
    assert_eq!(spec.color, Some(WidgetSpecColor::Red));
    assert_eq!(spec.steps.as_ref().map(|steps| steps[0].name.as_str()), Some("build"));
    assert_eq!(spec.tolerations.as_ref().and_then(|t| t[0].key.as_deref()), Some("dedicated"));

    let listed = widgets.list(&ListParams::default().labels("color=green")).await.expect("list");
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].metadata.name.as_deref(), Some("green"));

    // Update, merge patch, the status subresource.
    let mut changed = red.clone();
    if let Some(spec) = changed.spec.as_mut() {
        spec.replicas = None;
        spec.port = Some(IntOrString::Int(8080));
    }
    let replaced = widgets.replace("red", &PostParams::default(), &changed).await.expect("replace");
    assert_eq!(replaced.spec.as_ref().and_then(|spec| spec.replicas), None);
    widgets
        .patch(
            "red",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"metadata": {"labels": {"patched": "yes"}}})),
        )
        .await
        .expect("patch");
    let mut with_status = widgets.get("red").await.expect("get");
    with_status.status = Some(WidgetStatus {
        phase: Some("Ready".into()),
        ready_replicas: Some(2),
        conditions: Some(vec![Condition {
            type_: "Available".into(),
            status: "True".into(),
            last_transition_time: Some(Time::now()),
            ..Condition::default()
        }]),
        ..WidgetStatus::default()
    });
    let updated = widgets.replace_status("red", &PostParams::default(), &with_status).await.expect("status");
    assert_eq!(updated.status.as_ref().and_then(|status| status.phase.as_deref()), Some("Ready"));

    // Server-side apply with the generated apply configuration.
    let applied = widgets
        .apply(
            &WidgetApply::new("blue", ns.as_str())
                .spec(WidgetSpecApply::default().size("1").color(WidgetSpecColor::Blue)),
            &PatchParams::apply("foreign-test"),
        )
        .await
        .expect("apply");
    assert_eq!(applied.spec.as_ref().and_then(|spec| spec.color.clone()), Some(WidgetSpecColor::Blue));

    // The informer and its lister see all of it.
    let lister = informer.lister();
    wait_until("the informer to see three widgets with red's status", || {
        lister.namespace(&ns).get("red").is_some_and(|red| red.status.is_some())
            && lister.namespace(&ns).get("green").is_some()
            && lister.namespace(&ns).get("blue").is_some()
    })
    .await;

    // Delete one, then the collection.
    widgets.delete("green", &DeleteParams::default()).await.expect("delete");
    wait_until("the informer to see green deleted", || lister.namespace(&ns).get("green").is_none()).await;
    widgets.delete_collection(&DeleteParams::default(), &ListParams::default()).await.expect("delete collection");
    wait_until("the informer to see every widget deleted", || informer.store().is_empty()).await;
    factory.shutdown().await;
}
