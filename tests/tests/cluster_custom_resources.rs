//! A custom resource through the crate generated from a live cluster (`tests/cluster-crds`):
//! its typed client (status subresource included) and informer, and the dynamic client and a
//! dynamic informer, found by discovery, on the same objects.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use kubegen_cluster_crds::cert_manager_io_v1::{
    Issuer, IssuerSpec, IssuerSpecSelfSigned, IssuerStatus, IssuerStatusCondition, IssuerStatusConditionStatus,
};
use kubegen_cluster_crds::{Clientset, SharedInformerFactory};
use kubegen_runtime::cache::{FactoryOptions, HandlerFns};
use kubegen_runtime::client::params::{ListParams, Patch, PatchParams, PostParams};
use kubegen_runtime::dynamic::{Discovery, DynamicObject};
use kubegen_runtime::{Api, ObjectMeta, Time};
use kubegen_tests::{ControlPlane, wait_until};

fn crd(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../specs/crds").join(name)
}

fn issuer(name: &str) -> Issuer {
    Issuer {
        metadata: ObjectMeta { name: Some(name.into()), ..ObjectMeta::default() },
        spec: IssuerSpec { self_signed: Some(IssuerSpecSelfSigned::default()), ..IssuerSpec::default() },
        ..Issuer::default()
    }
}

#[tokio::test]
async fn typed_and_dynamic_clients_and_informers_on_the_same_custom_resources() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    cp.install_crds(&[crd("cert-manager-v1.21.1-cert-manager.io_issuers.yaml")]).await.expect("CRD");
    let ns = cp.fresh_namespace("cluster-crds").await.expect("namespace");
    let client = cp.kube_client().expect("client");
    let issuers = Clientset::new(client.clone()).cert_manager_io_v1().issuers(&ns);

    // Typed informer, then dynamic informer of the same resource, from discovery.
    let factory = SharedInformerFactory::with_options(
        client.clone(),
        FactoryOptions { namespace: Some(ns.clone()), ..FactoryOptions::default() },
    );
    let typed = factory.cert_manager_io_v1().issuers();
    let discovery = Discovery::run(&client).await.expect("discovery");
    let resource = discovery.resolve("issuers.cert-manager.io").expect("discovered").clone();
    assert_eq!((resource.kind.as_str(), resource.namespaced), ("Issuer", true));
    assert!(resource.subresources.iter().any(|sub| sub == "status"));
    let dynamic = factory.dynamic_informer(&resource);
    let dynamic_names = Arc::new(Mutex::new(BTreeSet::new()));
    let sink = dynamic_names.clone();
    dynamic.add_event_handler(HandlerFns::new().on_add(move |object: &Arc<DynamicObject>, _| {
        sink.lock().expect("names").insert(object.metadata.name().to_owned());
    }));
    factory.start();
    factory.wait_for_cache_sync().await.expect("syncs");

    // Typed create, then status through its subresource.
    for name in ["one", "two"] {
        issuers.create(&PostParams::default(), &issuer(name)).await.expect("create");
    }
    let mut one = issuers.get("one").await.expect("get");
    one.status = Some(IssuerStatus {
        conditions: Some(vec![IssuerStatusCondition {
            type_: "Ready".into(),
            status: IssuerStatusConditionStatus::True,
            last_transition_time: Some(Time::now()),
            reason: Some("IsReady".into()),
            ..IssuerStatusCondition::default()
        }]),
        ..IssuerStatus::default()
    });
    let updated = issuers.replace_status("one", &PostParams::default(), &one).await.expect("status");
    let ready = |issuer: &Issuer| {
        issuer
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c[0].status == IssuerStatusConditionStatus::True)
    };
    assert!(ready(&updated));

    // The typed informer sees both, with the status; the dynamic one sees the same objects.
    let lister = typed.lister();
    wait_until("the typed informer", || {
        lister.namespace(&ns).get("one").is_some_and(|issuer| ready(&issuer))
            && lister.namespace(&ns).get("two").is_some()
    })
    .await;
    wait_until("the dynamic informer", || dynamic_names.lock().expect("names").len() == 2).await;
    assert_eq!(*dynamic_names.lock().expect("names"), BTreeSet::from(["one".to_owned(), "two".to_owned()]));

    // The dynamic client reads and changes the typed objects, and the typed side sees it.
    let api = Api::<DynamicObject>::dynamic(client, &resource, Some(&ns));
    let listed = api.list(&ListParams::default()).await.expect("dynamic list");
    assert_eq!(listed.items.len(), 2);
    let read = api.get("one").await.expect("dynamic get");
    assert_eq!(read.kind, "Issuer");
    assert_eq!(read.data["status"]["conditions"][0]["status"], "True");
    let typed_from_dynamic: Issuer = read.try_parse().expect("parses as the typed Issuer");
    assert!(ready(&typed_from_dynamic));
    api.patch(
        "two",
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({"metadata": {"labels": {"changed": "dynamically"}}})),
    )
    .await
    .expect("dynamic patch");
    wait_until("the typed informer to see the dynamic change", || {
        lister.namespace(&ns).get("two").is_some_and(|issuer| issuer.metadata.label("changed") == Some("dynamically"))
    })
    .await;
    let created = api
        .create(
            &PostParams::default(),
            &DynamicObject::new(&resource.api_version(), "Issuer", "three")
                .with("spec", serde_json::json!({"selfSigned": {}})),
        )
        .await
        .expect("dynamic create");
    assert!(created.metadata.uid.is_some());
    wait_until("the typed informer to see the dynamic create", || lister.namespace(&ns).get("three").is_some()).await;
    assert_eq!(typed.store().len(), 3);
    factory.shutdown().await;
}
