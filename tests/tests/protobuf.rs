//! Kubernetes protobuf from the real API server, decoded with `kubegen_runtime::proto`: an
//! object's envelope and metadata, a paged list's `ListMeta` and items' metadata, a watch
//! stream's frames, and a 404 `Status`, each compared with the same data read as JSON. The
//! real bodies are then truncated and mutated: decoding must never panic, and whatever still
//! decodes as a `Pod` or `ConfigMap` must encode back to itself.

use std::fmt::Debug;
use std::time::Duration;

use futures::StreamExt;
use kubegen_api::core_v1::{ConfigMap, Pod};
use kubegen_runtime::proto::{self, FrameDecoder, ObjectHead, RawList};
use kubegen_runtime::{ListMeta, Object, ObjectMeta, Resource, Status};
use kubegen_tests::round_trip::through_protobuf;
use kubegen_tests::{ControlPlane, Http};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};

const EVENT_WAIT: Duration = Duration::from_secs(20);

/// A raw GET with `accept`: the status, the response's Content-Type, the body.
async fn get_raw(http: &Http, path: &str, accept: &str) -> (StatusCode, String, Vec<u8>) {
    let url = http.url(path);
    let response = http.client().get(&url).header(ACCEPT, accept).send().await.expect("GET");
    let status = response.status();
    let content_type =
        response.headers().get(CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or("").to_owned();
    let body = response.bytes().await.expect("body").to_vec();
    (status, content_type, body)
}

fn meta_of(value: &Value) -> ObjectMeta {
    serde_json::from_value(value["metadata"].clone()).expect("JSON metadata")
}

/// A namespace with an owner ConfigMap and a Pod it owns, with labels, annotations and
/// managed fields from two managers; and `count` more ConfigMaps.
async fn setup(http: &Http, count: usize) -> String {
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace("protobuf").await.expect("namespace");
    let owner = http
        .post(&format!("/api/v1/namespaces/{ns}/configmaps"), &json!({"metadata": {"name": "owner"}}))
        .await
        .expect("owner");
    let pod = json!({
        "metadata": {
            "name": "web",
            "labels": {"app": "web", "tier": "front"},
            "annotations": {"note": "protobuf"},
            "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner",
                "uid": owner["metadata"]["uid"], "controller": true, "blockOwnerDeletion": false}],
        },
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]},
    });
    http.post(&format!("/api/v1/namespaces/{ns}/pods"), &pod).await.expect("pod");
    let patch = json!({"metadata": {"labels": {"patched": "yes"}}});
    http.patch(
        &format!("/api/v1/namespaces/{ns}/pods/web?fieldManager=patcher"),
        kubegen_tests::PatchType::Merge,
        &patch,
    )
    .await
    .expect("patch");
    for index in 0..count {
        let body = json!({"metadata": {"name": format!("cm-{index:02}"), "labels": {"index": index.to_string()}},
            "data": {"key": "value"}});
        http.post(&format!("/api/v1/namespaces/{ns}/configmaps"), &body).await.expect("configmap");
    }
    ns
}

/// What decoded from protobuf, however mangled its body was, encodes back to itself: in
/// protobuf (the generated encoder agrees with the decoder on every value the decoder can
/// produce) and in JSON.
fn assert_round_trips<K: Resource + PartialEq + Debug>(object: &K) {
    assert_eq!(&through_protobuf(object), object, "protobuf round trip");
    let json = serde_json::to_vec(object).expect("JSON");
    let again: K = serde_json::from_slice(&json).expect("its own JSON decodes");
    assert_eq!(&again, object, "JSON round trip");
}

/// Decodes a body as the client would: errors are expected, panics are bugs. Objects and list
/// items go through the generated decoders of `Pod` and `ConfigMap` too, and what they decode
/// must round-trip.
fn decode_everything(body: &[u8]) {
    let typed = |raw: &[u8]| {
        if let Ok(pod) = Pod::from_protobuf(raw) {
            assert_round_trips(&pod);
        }
        if let Ok(config_map) = ConfigMap::from_protobuf(raw) {
            assert_round_trips(&config_map);
        }
    };
    if let Ok(unknown) = proto::decode_envelope(body) {
        let _ = unknown.decode::<ObjectHead>();
        let _ = unknown.decode_status();
        typed(unknown.raw);
        if let Ok(list) = RawList::decode(unknown.raw) {
            for item in list.items {
                let _ = proto::decode_message::<ObjectHead>(item, 2);
                typed(item);
            }
        }
    }
    if let Ok(event) = proto::decode_watch_event(body) {
        typed(event.object.raw);
    }
}

#[tokio::test]
async fn object_list_and_status_decode_as_their_json() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let http = cp.http().expect("http");
    let ns = setup(&http, 5).await;

    // An object: the envelope's type, and metadata equal to the JSON answer's.
    let path = format!("/api/v1/namespaces/{ns}/pods/web");
    let (status, content_type, pod_body) = get_raw(&http, &path, proto::CONTENT_TYPE).await;
    assert_eq!((status, content_type.as_str()), (StatusCode::OK, proto::CONTENT_TYPE));
    let unknown = proto::decode_envelope(&pod_body).expect("envelope");
    assert_eq!((unknown.api_version.as_str(), unknown.kind.as_str()), ("v1", "Pod"));
    let from_proto = unknown.decode::<ObjectHead>().expect("Pod metadata").metadata;
    let from_json = meta_of(&http.get(&path).await.expect("JSON pod"));
    assert_eq!(from_proto, from_json);
    assert_eq!(from_proto.managed_fields.as_ref().map(Vec::len), Some(2), "two managers: {from_proto:?}");
    assert!(from_proto.owner_references.is_some() && from_proto.creation_timestamp.is_some());

    // A paged list read at one resourceVersion both ways: ListMeta (continue token and
    // remaining count included) and every item's metadata equal.
    let list_path = format!("/api/v1/namespaces/{ns}/configmaps?limit=3");
    let (status, _, list_body) = get_raw(&http, &list_path, proto::CONTENT_TYPE).await;
    assert_eq!(status, StatusCode::OK);
    let unknown = proto::decode_envelope(&list_body).expect("list envelope");
    assert_eq!(unknown.kind, "ConfigMapList");
    let list = RawList::decode(unknown.raw).expect("list");
    let version = list.metadata.resource_version.clone().expect("list resourceVersion");
    let json_list = http
        .get(&format!("{list_path}&resourceVersion={version}&resourceVersionMatch=Exact"))
        .await
        .expect("JSON list");
    let json_meta: ListMeta = serde_json::from_value(json_list["metadata"].clone()).expect("JSON ListMeta");
    assert_eq!(list.metadata, json_meta);
    assert!(list.metadata.continue_.is_some() && list.metadata.remaining_item_count == Some(3), "{:?}", list.metadata);
    let items: Vec<ObjectMeta> = list
        .items
        .iter()
        .map(|item| proto::decode_message::<ObjectHead>(item, 2).expect("item metadata").metadata)
        .collect();
    let json_items: Vec<ObjectMeta> = json_list["items"].as_array().expect("items").iter().map(meta_of).collect();
    assert_eq!(items, json_items);
    assert_eq!(items.len(), 3);

    // A 404 is a protobuf Status equal to the JSON one.
    let missing = format!("/api/v1/namespaces/{ns}/configmaps/missing");
    let (status, content_type, status_body) = get_raw(&http, &missing, proto::CONTENT_TYPE).await;
    assert_eq!((status, content_type.as_str()), (StatusCode::NOT_FOUND, proto::CONTENT_TYPE));
    let unknown = proto::decode_envelope(&status_body).expect("status envelope");
    assert!(unknown.is_status(), "{unknown:?}");
    let from_proto = unknown.decode_status().expect("Status");
    let (_, json_type, json_body) = get_raw(&http, &missing, "application/json").await;
    assert_eq!(json_type, "application/json");
    let from_json: Status = serde_json::from_slice(&json_body).expect("JSON Status");
    assert_eq!(from_proto, from_json);
    assert_eq!((from_proto.code, from_proto.reason.as_deref()), (Some(404), Some("NotFound")));

    // Custom resources cannot be protobuf: a protobuf-only Accept is refused (406), with the
    // Status itself in protobuf (the refusal comes after negotiation of the error's encoding
    // with the built-in scheme); metadata-only protobuf works.
    let crd = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/crds/cert-manager-v1.21.1-cert-manager.io_issuers.yaml");
    cp.install_crds(&[crd]).await.expect("CRD");
    let issuers = format!("/apis/cert-manager.io/v1/namespaces/{ns}/issuers");
    let (status, content_type, body) = get_raw(&http, &issuers, proto::CONTENT_TYPE).await;
    assert_eq!((status, content_type.as_str()), (StatusCode::NOT_ACCEPTABLE, proto::CONTENT_TYPE));
    let refused = proto::decode_envelope(&body).and_then(|unknown| unknown.decode_status()).expect("406 Status");
    assert_eq!((refused.code, refused.reason.as_deref()), (Some(406), Some("NotAcceptable")), "{refused:?}");
    // A media type the server cannot write at all is refused in JSON: a client must dispatch
    // on the response's Content-Type.
    let (status, content_type, _) = get_raw(&http, &issuers, "application/x-unknown").await;
    assert_eq!((status, content_type.as_str()), (StatusCode::NOT_ACCEPTABLE, "application/json"));
    let metadata_only = format!("{};as=PartialObjectMetadataList;g=meta.k8s.io;v=v1", proto::CONTENT_TYPE);
    let (status, _, body) = get_raw(&http, &issuers, &metadata_only).await;
    assert_eq!(status, StatusCode::OK);
    let unknown = proto::decode_envelope(&body).expect("metadata list envelope");
    assert_eq!((unknown.api_version.as_str(), unknown.kind.as_str()), ("meta.k8s.io/v1", "PartialObjectMetadataList"));
    let list = RawList::decode(unknown.raw).expect("metadata list");
    assert!(list.metadata.resource_version.is_some() && list.items.is_empty(), "{list:?}");

    // The typed decoder names the type and field where a body breaks: the Pod cut inside
    // its spec.
    let unknown = proto::decode_envelope(&pod_body).expect("envelope");
    let whole = Pod::from_protobuf(unknown.raw).expect("the whole Pod decodes");
    assert_eq!(whole.metadata.name.as_deref(), Some("web"));
    let error = Pod::from_protobuf(&unknown.raw[..unknown.raw.len() - 3]).expect_err("a cut Pod fails");
    assert!(error.to_string().contains("protobuf Pod"), "the error names the type: {error}");
    tracing::info!(%error, "a cut Pod");

    // The real bodies, mutated: no panic, and what decodes round-trips.
    let mutations: usize = [&pod_body, &list_body, &status_body]
        .iter()
        .map(|body| kubegen_tests::mutation::each_mutation(body, decode_everything))
        .sum();
    tracing::info!(
        mutations,
        pod = pod_body.len(),
        list = list_body.len(),
        "mutated real bodies decoded without a panic"
    );

    // The Pod's JSON, mutated: what still decodes as JSON encodes to protobuf that decodes.
    let (_, _, json_pod) = get_raw(&http, &path, "application/json").await;
    let mut decoded = 0;
    let mutations = kubegen_tests::mutation::each_mutation(&json_pod, |body| decoded += json_then_protobuf(body));
    tracing::info!(mutations, decoded, "mutated JSON Pods encoded to protobuf");
    assert!(decoded > 0, "some mutations of the JSON Pod still decode");
}

/// A JSON body that decodes as a `Pod` encodes to protobuf that decodes, and one protobuf pass
/// reaches a value that round-trips. (Not the JSON value itself: protobuf cannot tell an empty
/// string from an unset one in fields Go does not make pointers, and JSON can.) Returns 1 when
/// the JSON decoded.
fn json_then_protobuf(body: &[u8]) -> usize {
    let Ok(pod) = serde_json::from_slice::<Pod>(body) else { return 0 };
    assert_round_trips(&through_protobuf(&pod));
    1
}

#[tokio::test]
async fn watch_frames_decode_as_their_json() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let http = cp.http().expect("http");
    let ns = setup(&http, 0).await;
    let list = http.get(&format!("/api/v1/namespaces/{ns}/configmaps")).await.expect("list");
    let version = list["metadata"]["resourceVersion"].as_str().expect("resourceVersion").to_owned();

    let url = http.url(&format!("/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={version}"));
    let response = http.client().get(&url).header(ACCEPT, proto::CONTENT_TYPE).send().await.expect("watch");
    let content_type =
        response.headers().get(CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or("").to_owned();
    assert_eq!(content_type, proto::WATCH_CONTENT_TYPE);
    let mut stream = response.bytes_stream();

    for index in 0..3 {
        let body = json!({"metadata": {"name": format!("watched-{index}"), "labels": {"n": index.to_string()}}});
        http.post(&format!("/api/v1/namespaces/{ns}/configmaps"), &body).await.expect("create");
    }
    let mut decoder = FrameDecoder::default();
    let mut seen = Vec::new();
    let mut frames = Vec::new();
    while seen.len() < 3 {
        let chunk = tokio::time::timeout(EVENT_WAIT, stream.next()).await.expect("an event in time");
        decoder.push(&chunk.expect("stream open").expect("chunk"));
        while let Some(frame) = decoder.next_frame().expect("frame") {
            let event = proto::decode_watch_event(&frame).expect("watch event");
            assert_eq!((event.event_type.as_str(), event.object.kind.as_str()), ("ADDED", "ConfigMap"));
            seen.push(event.object.decode::<ObjectHead>().expect("metadata").metadata);
            frames.push(frame.to_vec());
        }
    }
    for meta in &seen {
        let json = http.get(&format!("/api/v1/namespaces/{ns}/configmaps/{}", meta.name())).await.expect("JSON");
        assert_eq!(meta, &meta_of(&json));
    }
    let mutations: usize =
        frames.iter().map(|frame| kubegen_tests::mutation::each_mutation(frame, decode_everything)).sum();
    tracing::info!(mutations, "mutated watch frames decoded without a panic");
}
