//! Metadata-only access (`PartialObjectMetadata`) against the real API server, for a built-in
//! resource and a custom resource, through a client that asks for protobuf and one that asks
//! for JSON: get, list (whole and in pages), watch, patch, delete and an informer give the
//! objects' metadata, equal to what the typed client reads, and the server sends the
//! conversion in protobuf for the custom resource too (whose own type it refuses, 406).

use std::path::PathBuf;
use std::time::Duration;

use futures::StreamExt;
use kubegen_api::core_v1::ConfigMap;
use kubegen_runtime::cache::SharedInformerFactory;
use kubegen_runtime::client::params::{DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchParams};
use kubegen_runtime::client::{Answer, Request, ResourcePath};
use kubegen_runtime::dynamic::{ApiResource, METADATA_API_VERSION, METADATA_KIND, PartialObjectMetadata};
use kubegen_runtime::watch::WatchEvent;
use kubegen_runtime::{Api, Client, ObjectMeta, Resource, StringMap};
use kubegen_test_crds::cert_manager_io_v1::{Certificate, CertificateSpec, CertificateSpecIssuerRef};
use kubegen_tests::ControlPlane;

const OBJECTS: usize = 12;

fn config_map(index: usize) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(format!("cm-{index}").into()),
            labels: Some(StringMap::from([("index", index.to_string().into())])),
            annotations: Some(StringMap::from([("note", "kept".into())])),
            ..ObjectMeta::default()
        },
        // A body the metadata-only reads must not carry.
        data: Some(StringMap::from([("payload", "x".repeat(4096).into())])),
        ..ConfigMap::default()
    }
}

fn certificate(index: usize) -> Certificate {
    Certificate {
        metadata: ObjectMeta {
            name: Some(format!("cert-{index}").into()),
            labels: Some(StringMap::from([("index", index.to_string().into())])),
            ..ObjectMeta::default()
        },
        spec: Some(CertificateSpec {
            secret_name: format!("cert-{index}-tls").into(),
            issuer_ref: CertificateSpecIssuerRef { name: "issuer".into(), ..CertificateSpecIssuerRef::default() },
            ..CertificateSpec::default()
        }),
        ..Certificate::default()
    }
}

async fn installed_certificates(cp: &ControlPlane) {
    let crd = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../specs/crds/cert-manager-v1.21.1-cert-manager.io_certificates.yaml");
    cp.install_crds(&[crd]).await.expect("CRD");
}

/// What the server answers a metadata-only list of `K` with, through `client`: the response's
/// `Content-Type`.
async fn list_content_type<K: Resource>(client: &Client, ns: &str) -> String {
    let path = ResourcePath::of::<K>(Some(ns)).collection().expect("path");
    let accept = client.accept_for::<PartialObjectMetadata>(Answer::List).expect("metadata accept");
    let response = client.send(Request::new(reqwest::Method::GET, path).accept(accept)).await.expect("list");
    let content_type = response.headers().get("content-type").and_then(|value| value.to_str().ok());
    content_type.unwrap_or_default().to_owned()
}

/// Reads every object of `K` in `ns` as metadata through both clients (list whole, list in
/// pages of 5, get each) and compares with the typed list's metadata.
async fn reads_metadata_of<K: Resource + kubegen_runtime::resource::verbs::List>(cp: &ControlPlane, ns: &str) {
    let what = K::KIND;
    let typed = Api::<K>::from_path(cp.kube_client().expect("client"), ResourcePath::of::<K>(Some(ns)));
    let typed = typed.list(&ListParams::default()).await.expect("typed list");
    let mut expected: Vec<ObjectMeta> = typed.items.iter().map(|object| object.metadata().clone()).collect();
    expected.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(expected.len(), OBJECTS, "{what}: objects made");

    for (label, client) in
        [("protobuf", cp.kube_client().expect("client")), ("JSON", cp.json_client().expect("JSON client"))]
    {
        assert_eq!(client.asks_protobuf::<PartialObjectMetadata>(), label == "protobuf");
        let api = Api::<PartialObjectMetadata>::metadata_of::<K>(client.clone(), Some(ns));
        let list = api.list(&ListParams::default()).await.unwrap_or_else(|e| panic!("{what} {label}: list: {e}"));
        assert!(list.metadata.resource_version.is_some(), "{what} {label}: the list's resourceVersion");
        let mut listed: Vec<ObjectMeta> = list.items.iter().map(|item| item.metadata.clone()).collect();
        listed.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(listed, expected, "{what} {label}: listed metadata");
        for item in &list.items {
            assert_eq!((item.api_version.as_str(), item.kind.as_str()), (METADATA_API_VERSION, METADATA_KIND));
        }

        let paged: Vec<PartialObjectMetadata> = api
            .list_all(&ListParams { limit: Some(5), ..ListParams::default() })
            .map(|item| item.unwrap_or_else(|e| panic!("{what} {label}: page: {e}")))
            .collect()
            .await;
        assert_eq!(paged.len(), OBJECTS, "{what} {label}: paged list");

        for metadata in &expected {
            let got = api.get(metadata.name()).await.unwrap_or_else(|e| panic!("{what} {label}: get: {e}"));
            assert_eq!(&got.metadata, metadata, "{what} {label}: get {}", metadata.name());
            assert_eq!(got.kind, METADATA_KIND);
        }
        let missing = api.get("absent").await.expect_err("absent");
        assert!(missing.is_not_found(), "{what} {label}: a 404 is not found: {missing}");
    }
    // The conversion comes in protobuf, for a custom resource too.
    let protobuf = cp.kube_client().expect("client");
    let content_type = list_content_type::<K>(&protobuf, ns).await;
    assert!(content_type.starts_with("application/vnd.kubernetes.protobuf"), "{what}: answered {content_type}");
}

#[tokio::test]
async fn metadata_of_built_in_and_custom_resources_reads_the_same_through_protobuf_and_json() {
    let cp = ControlPlane::shared().expect("shared control plane");
    installed_certificates(cp).await;
    let ns = cp.fresh_namespace("metadata-read").await.expect("namespace");
    let client = cp.kube_client().expect("client");
    let (maps, certificates) =
        (Api::<ConfigMap>::namespaced(client.clone(), &ns), Api::<Certificate>::namespaced(client.clone(), &ns));
    for index in 0..OBJECTS {
        maps.create(&PostParams::default(), &config_map(index)).await.expect("config map");
        certificates.create(&PostParams::default(), &certificate(index)).await.expect("certificate");
    }
    reads_metadata_of::<ConfigMap>(cp, &ns).await;
    reads_metadata_of::<Certificate>(cp, &ns).await;

    // The custom resource's own type is refused in protobuf: only the conversion has it.
    assert!(!client.asks_protobuf::<Certificate>());
    let path = ResourcePath::of::<Certificate>(Some(&ns)).collection().expect("path");
    let own = client
        .send(Request::new(reqwest::Method::GET, path).accept("application/vnd.kubernetes.protobuf"))
        .await
        .expect_err("406");
    assert_eq!(own.code(), Some(406), "{own}");
}

#[tokio::test]
async fn metadata_patch_and_delete_answer_metadata() {
    let cp = ControlPlane::shared().expect("shared control plane");
    installed_certificates(cp).await;
    let ns = cp.fresh_namespace("metadata-write").await.expect("namespace");
    let client = cp.kube_client().expect("client");
    Api::<Certificate>::namespaced(client.clone(), &ns)
        .create(&PostParams::default(), &certificate(0))
        .await
        .expect("certificate");
    Api::<ConfigMap>::namespaced(client.clone(), &ns)
        .create(&PostParams::default(), &config_map(0))
        .await
        .expect("config map");

    for (label, client) in [("protobuf", client.clone()), ("JSON", cp.json_client().expect("JSON client"))] {
        for (resource, name) in [(ApiResource::of::<Certificate>(), "cert-0"), (ApiResource::of::<ConfigMap>(), "cm-0")]
        {
            let api = Api::<PartialObjectMetadata>::metadata(client.clone(), &resource, Some(&ns));
            let patch = serde_json::json!({"metadata": {"labels": {"patched": label}}});
            let patched = api
                .patch(name, &PatchParams::default(), &Patch::Merge(patch))
                .await
                .unwrap_or_else(|e| panic!("{} {label}: patch: {e}", resource.kind));
            assert_eq!(patched.kind, METADATA_KIND, "{} {label}: the patch answers metadata", resource.kind);
            assert_eq!(
                patched.metadata.labels.as_ref().and_then(|labels| labels.get("patched")).map(|value| value.as_str()),
                Some(label)
            );
        }
    }
    let api = Api::<PartialObjectMetadata>::metadata_of::<Certificate>(client.clone(), Some(&ns));
    // A custom resource without finalizers answers a delete with a Status; a kept object
    // would come back as metadata.
    if let Some(object) = api.delete("cert-0", &DeleteParams::default()).await.expect("delete").object() {
        assert_eq!(object.metadata.name(), "cert-0");
    }
    assert!(api.get_opt("cert-0").await.expect("get").is_none(), "deleted");
    let maps = Api::<PartialObjectMetadata>::metadata_of::<ConfigMap>(client, Some(&ns));
    maps.delete_collection(&DeleteParams::default(), &ListParams::default()).await.expect("delete collection");
    assert!(maps.list(&ListParams::default()).await.expect("list").items.is_empty());
}

/// A metadata watch through each client over the same changes of custom resources gives the
/// same events (names, resourceVersions, labels); a metadata informer's store ends with the
/// metadata a list holds.
#[tokio::test]
async fn metadata_watches_and_informers_follow_custom_resources() {
    let cp = ControlPlane::shared().expect("shared control plane");
    installed_certificates(cp).await;
    let ns = cp.fresh_namespace("metadata-watch").await.expect("namespace");
    let protobuf = cp.kube_client().expect("client");
    let json = cp.json_client().expect("JSON client");
    let resource = ApiResource::of::<Certificate>();
    let typed = Api::<Certificate>::namespaced(protobuf.clone(), &ns);
    let (protobuf_api, json_api) = (
        Api::<PartialObjectMetadata>::metadata(protobuf.clone(), &resource, Some(&ns)),
        Api::<PartialObjectMetadata>::metadata(json.clone(), &resource, Some(&ns)),
    );

    let factory = SharedInformerFactory::namespaced(protobuf.clone(), &ns, Duration::ZERO);
    let informer = factory.metadata_informer(&resource);
    factory.start();
    factory.wait_for_cache_sync().await.expect("metadata informer syncs");

    let start = json_api.list(&ListParams::default()).await.expect("list").metadata.resource_version.expect("version");
    let params = WatchParams { bookmarks: false, ..WatchParams::default() };
    let json_events = json_api.watch(&params, &start).await.expect("JSON watch");
    let protobuf_events = protobuf_api.watch(&params, &start).await.expect("protobuf watch");

    let mut changes = 0;
    for index in 0..OBJECTS {
        let name = format!("cert-{index}");
        typed.create(&PostParams::default(), &certificate(index)).await.expect("create");
        let label = serde_json::json!({"metadata": {"labels": {"round": "2"}}});
        typed.patch(&name, &PatchParams::default(), &Patch::Merge(label)).await.expect("patch");
        changes += 2;
        if index % 3 == 0 {
            typed.delete(&name, &DeleteParams::default()).await.expect("delete");
            changes += 1;
        }
    }
    let timeout = Duration::from_secs(30);
    let summary = |event: Result<WatchEvent<PartialObjectMetadata>, kubegen_runtime::Error>| {
        let (kind, object) = match event.expect("event") {
            WatchEvent::Added(object) => ("ADDED", object),
            WatchEvent::Modified(object) => ("MODIFIED", object),
            WatchEvent::Deleted(object) => ("DELETED", object),
            other => panic!("unexpected event {other:?}"),
        };
        assert_eq!(object.kind, METADATA_KIND);
        (kind, object.metadata)
    };
    let from_json: Vec<_> = tokio::time::timeout(timeout, json_events.take(changes).map(summary).collect::<Vec<_>>())
        .await
        .expect("JSON events in time");
    let from_protobuf: Vec<_> =
        tokio::time::timeout(timeout, protobuf_events.take(changes).map(summary).collect::<Vec<_>>())
            .await
            .expect("protobuf events in time");
    assert_eq!(from_json.len(), changes);
    assert_eq!(from_json, from_protobuf, "the same events from JSON and protobuf");

    let mut expected = json_api.list(&ListParams::default()).await.expect("list").items;
    expected.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    let deadline = std::time::Instant::now() + timeout;
    let cached = loop {
        let mut cached: Vec<PartialObjectMetadata> =
            informer.store().list().iter().map(|object| (**object).clone()).collect();
        cached.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        if cached == expected || std::time::Instant::now() > deadline {
            break cached;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(cached, expected, "the metadata informer's store holds what a list holds");
    assert_eq!(cached.len(), OBJECTS - OBJECTS.div_ceil(3));
    factory.shutdown().await;
}
