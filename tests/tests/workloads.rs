//! Subresources and cluster-scoped resources through the typed client: a Deployment's scale
//! and status; a Pod's log (whose error, with no kubelet, is the server's), binding, eviction,
//! ephemeral containers and resize; a ServiceAccount's token; a CertificateSigningRequest's
//! approval; a Node and a Namespace (cluster scope, status, finalize). Every object read back
//! from the server round-trips through the generated types.

use std::time::Duration;

use kubegen_api::Clientset;
use kubegen_api::apps_v1::{Deployment, DeploymentSpec, DeploymentStatus};
use kubegen_api::authentication_v1::{TokenRequest, TokenRequestSpec};
use kubegen_api::autoscaling_v1::{Scale, ScaleSpec};
use kubegen_api::certificates_v1::{
    CertificateSigningRequest, CertificateSigningRequestCondition, CertificateSigningRequestSpec,
    CertificateSigningRequestStatus,
};
use kubegen_api::core_v1::{
    Binding, Container, EphemeralContainer, Namespace, NamespaceSpec, Node, NodeCondition, NodeStatus, ObjectReference,
    Pod, PodSpec, PodTemplateSpec, ResourceRequirements, ServiceAccount,
};
use kubegen_api::meta_v1::LabelSelector;
use kubegen_api::policy_v1::Eviction;
use kubegen_runtime::client::params::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kubegen_runtime::client::{Deleted, LogParams};
use kubegen_runtime::{ObjectMeta, Quantity, Str, StringMap, Time};
use kubegen_tests::ControlPlane;
use kubegen_tests::round_trip::assert_round_trip;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn meta(name: &str) -> ObjectMeta {
    ObjectMeta { name: Some(name.into()), ..ObjectMeta::default() }
}

fn labels(app: &str) -> StringMap<Str> {
    StringMap::from([("app", app.into())])
}

fn container(name: &str) -> Container {
    Container {
        name: name.into(),
        image: Some("registry.example.com/web:1.0".into()),
        resources: Some(Box::new(ResourceRequirements {
            requests: Some(StringMap::from([("cpu", Quantity::from("100m"))])),
            limits: Some(StringMap::from([("cpu", Quantity::from("200m"))])),
            ..ResourceRequirements::default()
        })),
        ..Container::default()
    }
}

/// The object at `path` as the server sends it round-trips through `K`.
async fn assert_server_round_trip<K: DeserializeOwned + Serialize>(cp: &ControlPlane, path: &str) {
    let raw = cp.http().expect("http").get(path).await.expect("raw get");
    assert_round_trip::<K>(&raw);
}

async fn setup(prefix: &str) -> (&'static ControlPlane, String, Clientset) {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace(prefix).await.expect("namespace");
    (cp, ns, Clientset::new(cp.kube_client().expect("client")))
}

#[tokio::test]
async fn deployment_scale_and_status() {
    let (cp, ns, clientset) = setup("deployments").await;
    let api = clientset.apps_v1().deployments(&ns);
    let deployment = Deployment {
        metadata: meta("web"),
        spec: Some(DeploymentSpec {
            replicas: Some(2),
            selector: LabelSelector { match_labels: Some(labels("web")), ..LabelSelector::default() },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(labels("web")), ..ObjectMeta::default() }),
                spec: Some(PodSpec { containers: vec![container("web")], ..PodSpec::default() }),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    };
    api.create(&PostParams::default(), &deployment).await.expect("create");

    let scale = api.get_scale("web").await.expect("get scale");
    assert_eq!(scale.spec.as_ref().and_then(|spec| spec.replicas), Some(2));
    let new_scale =
        Scale { metadata: scale.metadata.clone(), spec: Some(ScaleSpec { replicas: Some(3) }), ..Scale::default() };
    let replaced = api.replace_scale("web", &PostParams::default(), &new_scale).await.expect("replace scale");
    assert_eq!(replaced.spec.and_then(|spec| spec.replicas), Some(3));
    let patched = api
        .patch_scale("web", &PatchParams::default(), &Patch::Merge(serde_json::json!({"spec": {"replicas": 4}})))
        .await
        .expect("patch scale");
    assert_eq!(patched.spec.and_then(|spec| spec.replicas), Some(4));
    assert_eq!(api.get("web").await.expect("get").spec.and_then(|spec| spec.replicas), Some(4));

    // No controller manager runs, so status is whatever the status subresource is told.
    let mut current = api.get_status("web").await.expect("get status");
    current.status =
        Some(DeploymentStatus { replicas: Some(4), ready_replicas: Some(1), ..DeploymentStatus::default() });
    let updated = api.replace_status("web", &PostParams::default(), &current).await.expect("replace status");
    assert_eq!(updated.status.as_ref().and_then(|status| status.ready_replicas), Some(1));
    let patched = api
        .patch_status(
            "web",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"status": {"readyReplicas": 4}})),
        )
        .await
        .expect("patch status");
    assert_eq!(patched.status.and_then(|status| status.ready_replicas), Some(4));

    assert_server_round_trip::<Deployment>(cp, &format!("/apis/apps/v1/namespaces/{ns}/deployments/web")).await;
    assert_server_round_trip::<Scale>(cp, &format!("/apis/apps/v1/namespaces/{ns}/deployments/web/scale")).await;
    let deleted = api.delete("web", &DeleteParams::foreground()).await.expect("delete");
    // Foreground deletion keeps the object (with a finalizer) until its dependents are gone.
    let Deleted::Object(terminating) = deleted else { panic!("foreground deletion returns the object") };
    assert!(terminating.metadata.deletion_timestamp.is_some());
}

#[tokio::test]
async fn pod_subresources() {
    let (cp, ns, clientset) = setup("pods").await;
    let pods = clientset.core_v1().pods(&ns);
    let pod = Pod {
        metadata: ObjectMeta { labels: Some(labels("web")), ..meta("web-0") },
        spec: Some(PodSpec { containers: vec![container("web")], ..PodSpec::default() }),
        ..Pod::default()
    };
    pods.create(&PostParams::default(), &pod).await.expect("create");

    // Not scheduled yet: the server has no container to read from and answers with an empty log.
    assert_eq!(pods.logs("web-0", &LogParams::default()).await.expect("empty log"), "");

    // Ephemeral containers, through their subresource.
    let mut with_debug = pods.get_ephemeral_containers("web-0").await.expect("get ephemeralcontainers");
    with_debug.spec.as_mut().expect("spec").ephemeral_containers = Some(vec![EphemeralContainer {
        name: "debug".into(),
        image: Some("registry.example.com/busybox:1".into()),
        ..EphemeralContainer::default()
    }]);
    let updated =
        pods.replace_ephemeral_containers("web-0", &PostParams::default(), &with_debug).await.expect("replace");
    assert_eq!(updated.spec.and_then(|spec| spec.ephemeral_containers).map(|containers| containers.len()), Some(1));

    // In-place resize: the CPU limit changes through the resize subresource.
    let resized = pods
        .patch_resize(
            "web-0",
            &PatchParams::default(),
            &Patch::Strategic(serde_json::json!({"spec": {"containers": [{"name": "web",
                "resources": {"requests": {"cpu": "150m"}, "limits": {"cpu": "300m"}}}]}})),
        )
        .await
        .expect("resize");
    let limits = resized.spec.expect("spec").containers[0].resources.clone().expect("resources").limits;
    assert_eq!(limits.and_then(|limits| limits.get("cpu").cloned()), Some(Quantity::from("300m")));
    assert!(pods.get_resize("web-0").await.is_ok());

    // Binding: what a scheduler does.
    let binding = Binding {
        metadata: meta("web-0"),
        target: ObjectReference {
            kind: Some("Node".into()),
            name: Some("node-a".into()),
            api_version: Some("v1".into()),
            ..ObjectReference::default()
        },
        ..Binding::default()
    };
    let status = pods.bind("web-0", &PostParams::default(), &binding).await.expect("bind");
    assert_eq!(status.status.as_deref(), Some("Success"));
    let bound = pods.get("web-0").await.expect("get");
    assert_eq!(bound.spec.as_ref().and_then(|spec| spec.node_name.as_deref()), Some("node-a"));
    assert_server_round_trip::<Pod>(cp, &format!("/api/v1/namespaces/{ns}/pods/web-0")).await;

    // Now bound to a node that no kubelet serves: reading the log fails, and the error is the
    // server's, decoded.
    let params = LogParams { container: Some("web".into()), tail_lines: Some(10), ..LogParams::default() };
    let error = pods.logs("web-0", &params).await.expect_err("no kubelet");
    let api_error = error.api().unwrap_or_else(|| panic!("an error from the server, got {error}"));
    // The API server looks the node up to reach its kubelet.
    assert!(error.is_not_found(), "{error}");
    assert!(api_error.status.message.as_deref().is_some_and(|m| m.contains("node-a")), "{error}");

    // Eviction: with no PodDisruptionBudget it is allowed, and the Pod is being deleted.
    let eviction = Eviction { metadata: Some(meta("web-0")), ..Eviction::default() };
    let evicted = pods.evict("web-0", &PostParams::default(), &eviction).await.expect("evict");
    assert_eq!(evicted.status.as_deref(), Some("Success"));
    let after = pods.get_opt("web-0").await.expect("get");
    assert!(after.is_none_or(|pod| pod.metadata.deletion_timestamp.is_some()), "the Pod is going away");
}

#[tokio::test]
async fn service_account_token() {
    let (cp, ns, clientset) = setup("tokens").await;
    let accounts = clientset.core_v1().service_accounts(&ns);
    accounts
        .create(&PostParams::default(), &ServiceAccount { metadata: meta("robot"), ..ServiceAccount::default() })
        .await
        .expect("create");
    let request = TokenRequest {
        spec: TokenRequestSpec { expiration_seconds: Some(600), ..TokenRequestSpec::default() },
        ..TokenRequest::default()
    };
    let issued = accounts.create_token("robot", &PostParams::default(), &request).await.expect("token");
    let status = issued.status.expect("status");
    assert!(status.token.split('.').count() == 3, "a JWT");
    assert!(status.expiration_timestamp > Time::now());
    assert_server_round_trip::<ServiceAccount>(cp, &format!("/api/v1/namespaces/{ns}/serviceaccounts/robot")).await;
}

#[tokio::test]
async fn certificate_signing_request_approval() {
    let (cp, _ns, clientset) = setup("csr").await;
    let csrs = clientset.certificates_v1().certificate_signing_requests();
    let key = rcgen::KeyPair::generate().expect("key");
    let params = rcgen::CertificateParams::new(vec!["workload.example.com".to_owned()]).expect("params");
    let pem = params.serialize_request(&key).expect("CSR").pem().expect("PEM");
    let name = format!("csr-{}", std::process::id());
    let csr = CertificateSigningRequest {
        metadata: meta(&name),
        spec: CertificateSigningRequestSpec {
            request: pem.into_bytes().into(),
            signer_name: "example.com/test".into(),
            usages: Some(vec!["digital signature".into(), "client auth".into()]),
            ..CertificateSigningRequestSpec::default()
        },
        ..CertificateSigningRequest::default()
    };
    let created = csrs.create(&PostParams::default(), &csr).await.expect("create");
    let mut approved = created.clone();
    approved.status = Some(CertificateSigningRequestStatus {
        conditions: Some(vec![CertificateSigningRequestCondition {
            type_: "Approved".into(),
            status: "True".into(),
            reason: Some("TestApproval".into()),
            message: Some("approved by the kubegen test".into()),
            ..CertificateSigningRequestCondition::default()
        }]),
        ..CertificateSigningRequestStatus::default()
    });
    let result = csrs.replace_approval(&name, &PostParams::default(), &approved).await.expect("approve");
    let conditions = result.status.and_then(|status| status.conditions).expect("conditions");
    assert_eq!(conditions[0].type_, "Approved");
    assert!(csrs.get_approval(&name).await.is_ok());
    assert_server_round_trip::<CertificateSigningRequest>(
        cp,
        &format!("/apis/certificates.k8s.io/v1/certificatesigningrequests/{name}"),
    )
    .await;
    csrs.delete(&name, &DeleteParams::default()).await.expect("delete");
}

#[tokio::test]
async fn cluster_scoped_node_and_namespace() {
    let (cp, _ns, clientset) = setup("cluster").await;
    let core = clientset.core_v1();
    let node_name = format!("fake-node-{}", std::process::id());
    let nodes = core.nodes();
    nodes
        .create(
            &PostParams::default(),
            &Node { metadata: ObjectMeta { labels: Some(labels("node")), ..meta(&node_name) }, ..Node::default() },
        )
        .await
        .expect("create node");
    let listed = nodes.list(&ListParams::default().labels("app=node")).await.expect("list");
    assert!(listed.items.iter().any(|node| node.metadata.name() == node_name));
    let mut with_status = nodes.get_status(&node_name).await.expect("get status");
    with_status.status = Some(NodeStatus {
        conditions: Some(vec![NodeCondition {
            type_: "Ready".into(),
            status: "True".into(),
            reason: Some("KubeletReady".into()),
            last_heartbeat_time: Some(Time::now()),
            ..NodeCondition::default()
        }]),
        ..NodeStatus::default()
    });
    let updated = nodes.replace_status(&node_name, &PostParams::default(), &with_status).await.expect("status");
    assert_eq!(updated.status.and_then(|status| status.conditions).map(|c| c.len()), Some(1));
    assert_server_round_trip::<Node>(cp, &format!("/api/v1/nodes/{node_name}")).await;
    nodes.delete(&node_name, &DeleteParams::default()).await.expect("delete node");
    assert!(nodes.get_opt(&node_name).await.expect("get").is_none());

    // A namespace: no controller manager empties it, so deleting it leaves it Terminating
    // with the `kubernetes` finalizer until the finalize subresource removes that.
    let namespaces = core.namespaces();
    let name = format!("doomed-{}", std::process::id());
    namespaces
        .create(&PostParams::default(), &Namespace { metadata: meta(&name), ..Namespace::default() })
        .await
        .expect("create namespace");
    let patched = namespaces
        .patch(
            &name,
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"metadata": {"labels": {"team": "a"}}})),
        )
        .await
        .expect("patch");
    assert_eq!(patched.metadata.label("team"), Some("a"));
    assert!(namespaces.get_status(&name).await.is_ok());
    let Deleted::Object(terminating) = namespaces.delete(&name, &DeleteParams::default()).await.expect("delete") else {
        panic!("a namespace with finalizers is returned while it terminates");
    };
    assert!(terminating.metadata.deletion_timestamp.is_some());
    let mut finalized = namespaces.get(&name).await.expect("get");
    finalized.spec = Some(NamespaceSpec { finalizers: Some(Vec::new()) });
    namespaces.replace_finalize(&name, &PostParams::default(), &finalized).await.expect("finalize");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while namespaces.get_opt(&name).await.expect("get").is_some() {
        assert!(tokio::time::Instant::now() < deadline, "the namespace is removed once finalized");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
