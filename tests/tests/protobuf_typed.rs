//! Typed protobuf against the real API server: objects of many built-in kinds (inline structs
//! such as `Volume`'s source and `Probe`'s handler, quantities, int-or-strings, micro times,
//! raw extensions, byte maps) are read through a client that asks for protobuf and one that
//! asks for JSON, as lists and one by one, and the decoded models must be equal. A 404 comes
//! back as a protobuf `Status`; a custom resource keeps using JSON. CustomResourceDefinitions
//! (the real ones in `specs/crds`, and one written here) decode the same from protobuf, and
//! the server makes the same of one created from a protobuf body as from JSON.

use std::fmt::Debug;
use std::path::PathBuf;

use kubegen_api::apiextensions_v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
    JSONSchemaPropsOrStringArray,
};
use kubegen_api::apiregistration_v1::APIService;
use kubegen_api::apps_v1::{ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet};
use kubegen_api::autoscaling_v2::HorizontalPodAutoscaler;
use kubegen_api::batch_v1::{CronJob, Job};
use kubegen_api::coordination_v1::Lease;
use kubegen_api::core_v1::{
    ConfigMap, Event, LimitRange, Namespace, PersistentVolumeClaim, Pod, ReplicationController, ResourceQuota, Secret,
    Service, ServiceAccount,
};
use kubegen_api::discovery_v1::EndpointSlice;
use kubegen_api::events_v1::Event as EventsEvent;
use kubegen_api::flowcontrol_v1::{FlowSchema, PriorityLevelConfiguration};
use kubegen_api::networking_v1::{Ingress, NetworkPolicy};
use kubegen_api::node_v1::RuntimeClass;
use kubegen_api::policy_v1::PodDisruptionBudget;
use kubegen_api::rbac_v1::{ClusterRole, Role, RoleBinding};
use kubegen_api::scheduling_v1::PriorityClass;
use kubegen_api::storage_v1::StorageClass;
use kubegen_runtime::client::ResourcePath;
use kubegen_runtime::client::params::PostParams;
use kubegen_runtime::client::params::{ListParams, VersionMatch};
use kubegen_runtime::resource::verbs;
use kubegen_runtime::{Api, Client, Object, Resource, proto};
use kubegen_test_crds::cert_manager_io_v1::Certificate;
use kubegen_tests::ControlPlane;
use kubegen_tests::round_trip::through_protobuf;
use serde::Serialize;
use serde_json::{Value, json};

/// The first JSON pointer where `a` and `b` differ.
fn difference(path: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => x.keys().chain(y.keys()).find_map(|key| {
            let child = format!("{path}/{key}");
            match (x.get(key), y.get(key)) {
                (Some(p), Some(q)) => difference(&child, p, q),
                (p, q) => Some(format!("{child}: JSON {p:?}, protobuf {q:?}")),
            }
        }),
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(index, (p, q))| difference(&format!("{path}/{index}"), p, q))
        }
        _ if a == b => None,
        _ => Some(format!("{path}: JSON {a}, protobuf {b}")),
    }
}

fn assert_same<K: Serialize + PartialEq + Debug>(what: &str, json: &K, protobuf: &K) {
    if json != protobuf {
        let (a, b) = (serde_json::to_value(json).expect("encodes"), serde_json::to_value(protobuf).expect("encodes"));
        panic!("{what}: protobuf decodes differently from JSON: {}", difference("", &a, &b).unwrap_or_default());
    }
}

/// Lists `K` through both clients (in `namespace`, or cluster-wide), then reads each object
/// through both; every pair must be equal. Returns how many objects were compared.
///
/// Other tests of this binary run alongside and write cluster-scoped objects (every test
/// creates a namespace; one creates and replaces ClusterRoles and others), and the API server
/// updates some statuses itself (APIServices, flow control). So the protobuf list is read at
/// exactly the JSON list's resourceVersion, and a pair of gets is compared once both reads
/// saw the same version of the object.
async fn compare<K>(json: &Client, protobuf: &Client, namespace: Option<&str>) -> usize
where
    K: Resource + verbs::List + verbs::Get + PartialEq + Debug,
{
    let what = std::any::type_name::<K>();
    assert!(protobuf.asks_protobuf::<K>(), "{what} has a protobuf decoder");
    assert!(!json.asks_protobuf::<K>(), "the JSON client asks for JSON");
    let api = |client: &Client| Api::<K>::from_path(client.clone(), ResourcePath::of::<K>(namespace));
    let (json_api, protobuf_api) = (api(json), api(protobuf));
    let from_json = json_api.list(&ListParams::default()).await.unwrap_or_else(|e| panic!("{what}: JSON list: {e}"));
    let at_the_same_version = ListParams {
        resource_version: Some(from_json.metadata.resource_version.clone().expect("a list has a resourceVersion")),
        version_match: Some(VersionMatch::Exact),
        ..ListParams::default()
    };
    let from_protobuf =
        protobuf_api.list(&at_the_same_version).await.unwrap_or_else(|e| panic!("{what}: protobuf list: {e}"));
    assert!(!from_json.items.is_empty(), "{what}: nothing to compare");
    assert_eq!(from_json.items.len(), from_protobuf.items.len(), "{what}: list lengths");
    for (a, b) in from_json.items.iter().zip(&from_protobuf.items) {
        assert_same(what, a, b);
        assert_same(&format!("{what} encoded and decoded again"), a, &through_protobuf(a));
    }
    assert_eq!(from_json.metadata.resource_version, from_protobuf.metadata.resource_version);
    for item in &from_json.items {
        let name = item.metadata().name.as_deref().expect("named");
        let (api_json, got) = same_version_through_both(&json_api, &protobuf_api, name).await;
        assert_same(&format!("{what} {name}"), &api_json, &got);
    }
    from_json.items.len()
}

/// Gets `name` through the JSON and the protobuf client until both reads return the same
/// resourceVersion (a write between them changes it), a few times at most.
async fn same_version_through_both<K>(json_api: &Api<K>, protobuf_api: &Api<K>, name: &str) -> (K, K)
where
    K: Resource + verbs::Get,
{
    let what = std::any::type_name::<K>();
    for _ in 0..10 {
        let api_json = json_api.get(name).await.unwrap_or_else(|e| panic!("{what} {name}: JSON get: {e}"));
        let got = protobuf_api.get(name).await.unwrap_or_else(|e| panic!("{what} {name}: protobuf get: {e}"));
        if api_json.metadata().resource_version == got.metadata().resource_version {
            return (api_json, got);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{what} {name}: changed between every pair of reads, ten times");
}

/// Objects of many kinds in `ns` (and a few cluster-scoped ones named after it), written as
/// JSON by a plain HTTP client.
async fn create_objects(cp: &ControlPlane, ns: &str) {
    let http = cp.http().expect("http");
    let (objects, cluster) = intents(ns);
    for (path, object) in objects {
        http.post(&path.replace("{ns}", ns), &object).await.unwrap_or_else(|e| panic!("creating at {path}: {e}"));
    }
    for (path, object) in cluster {
        http.post(path, &object).await.unwrap_or_else(|e| panic!("creating at {path}: {e}"));
    }
}

/// Objects to create: the collection path (`{ns}` for the namespace) and the object, namespaced
/// ones first, then cluster-scoped ones named after `ns`.
type Intents = Vec<(&'static str, Value)>;

/// The objects [`create_objects`] creates, as JSON.
fn intents(ns: &str) -> (Intents, Intents) {
    let container = json!({
        "name": "app", "image": "registry.example/app:1", "args": ["--port", "8080"],
        "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
        "env": [{"name": "A", "value": "1"}, {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"memory": "1.5Gi"}},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5},
        "readinessProbe": {"exec": {"command": ["true"]}, "initialDelaySeconds": 0},
        "lifecycle": {"preStop": {"sleep": {"seconds": 1}}},
        "securityContext": {"runAsNonRoot": true, "allowPrivilegeEscalation": false,
            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/config", "readOnly": true}],
    });
    let pod_spec = json!({
        "containers": [container],
        "volumes": [
            {"name": "config", "configMap": {"name": "settings", "defaultMode": 420}},
            {"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}},
            {"name": "projected", "projected": {"sources": [{"configMap": {"name": "settings", "items": [{"key": "k", "path": "k", "mode": 256}]}},
                {"downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}}]}},
        ],
        "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}],
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}]}}},
        "terminationGracePeriodSeconds": 5,
        "nodeSelector": {"disk": "ssd"},
    });
    let template = json!({"metadata": {"labels": {"app": "web"}}, "spec": pod_spec});
    let selector = json!({"matchLabels": {"app": "web"}});
    let objects: Intents = vec![
        (
            "/api/v1/namespaces/{ns}/configmaps",
            json!({"metadata": {"name": "settings", "labels": {"a": "b"}},
            "data": {"k": "v", "empty": ""}, "binaryData": {"bin": "AAEC"}}),
        ),
        (
            "/api/v1/namespaces/{ns}/secrets",
            json!({"metadata": {"name": "creds"}, "type": "Opaque",
            "data": {"password": "aHVudGVyMg==", "empty": ""}}),
        ),
        (
            "/api/v1/namespaces/{ns}/pods",
            json!({"metadata": {"name": "web", "labels": {"app": "web"},
            "annotations": {"note": "x"}}, "spec": pod_spec}),
        ),
        (
            "/api/v1/namespaces/{ns}/services",
            json!({"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}, {"name": "metrics", "port": 9090, "targetPort": 9090}]}}),
        ),
        (
            "/api/v1/namespaces/{ns}/serviceaccounts",
            json!({"metadata": {"name": "robot"}, "automountServiceAccountToken": false}),
        ),
        (
            "/api/v1/namespaces/{ns}/persistentvolumeclaims",
            json!({"metadata": {"name": "data"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}}),
        ),
        (
            "/api/v1/namespaces/{ns}/limitranges",
            json!({"metadata": {"name": "limits"}, "spec": {"limits": [
            {"type": "Container", "default": {"cpu": "500m"}, "defaultRequest": {"cpu": "100m"}, "max": {"memory": "2Gi"}}]}}),
        ),
        (
            "/api/v1/namespaces/{ns}/resourcequotas",
            json!({"metadata": {"name": "quota"}, "spec": {"hard": {"pods": "10", "requests.cpu": "4"}}}),
        ),
        (
            "/api/v1/namespaces/{ns}/replicationcontrollers",
            json!({"metadata": {"name": "rc"}, "spec": {"replicas": 0,
            "selector": {"app": "web"}, "template": template}}),
        ),
        (
            "/api/v1/namespaces/{ns}/events",
            json!({"metadata": {"name": "ev"}, "involvedObject": {"kind": "Pod", "name": "web",
            "namespace": ns}, "reason": "Tested", "message": "core event", "type": "Normal", "count": 2,
            "firstTimestamp": "2026-01-02T03:04:05Z", "lastTimestamp": "2026-01-02T03:04:06Z",
            "source": {"component": "protobuf-test"}}),
        ),
        (
            "/apis/apps/v1/namespaces/{ns}/deployments",
            json!({"metadata": {"name": "web"}, "spec": {"replicas": 2,
            "selector": selector, "template": template, "strategy": {"type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}, "revisionHistoryLimit": 3}}),
        ),
        (
            "/apis/apps/v1/namespaces/{ns}/statefulsets",
            json!({"metadata": {"name": "db"}, "spec": {"serviceName": "db",
            "selector": selector, "template": template, "volumeClaimTemplates": [{"metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}}),
        ),
        (
            "/apis/apps/v1/namespaces/{ns}/daemonsets",
            json!({"metadata": {"name": "agent"}, "spec": {"selector": selector,
            "template": template, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}}}),
        ),
        (
            "/apis/apps/v1/namespaces/{ns}/replicasets",
            json!({"metadata": {"name": "rs"}, "spec": {"replicas": 0,
            "selector": selector, "template": template}}),
        ),
        (
            "/apis/apps/v1/namespaces/{ns}/controllerrevisions",
            json!({"metadata": {"name": "rev"}, "revision": 3,
            "data": {"spec": {"template": {"metadata": {"labels": {"x": "y"}}}}}}),
        ),
        (
            "/apis/batch/v1/namespaces/{ns}/jobs",
            json!({"metadata": {"name": "job"}, "spec": {"backoffLimit": 2,
            "suspend": true, "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}),
        ),
        (
            "/apis/batch/v1/namespaces/{ns}/cronjobs",
            json!({"metadata": {"name": "cron"}, "spec": {"schedule": "*/5 * * * *",
            "suspend": true, "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure",
            "containers": [{"name": "c", "image": "busybox"}]}}}}}}),
        ),
        (
            "/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers",
            json!({"metadata": {"name": "hpa"}, "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "minReplicas": 1, "maxReplicas": 5,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}},
                {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "1500m"}}}]}}),
        ),
        (
            "/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets",
            json!({"metadata": {"name": "pdb"}, "spec": {
            "minAvailable": "50%", "selector": selector}}),
        ),
        (
            "/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses",
            json!({"metadata": {"name": "web"}, "spec": {"rules": [
            {"host": "web.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "web", "port": {"name": "http"}}}}]}}]}}),
        ),
        (
            "/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies",
            json!({"metadata": {"name": "deny"}, "spec": {
            "podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"ports": [{"port": 8080}, {"port": "http"}]}]}}),
        ),
        (
            "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles",
            json!({"metadata": {"name": "reader"}, "rules": [
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}),
        ),
        (
            "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings",
            json!({"metadata": {"name": "reader"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
            "subjects": [{"kind": "ServiceAccount", "name": "robot", "namespace": ns}]}),
        ),
        (
            "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
            json!({"metadata": {"name": "leader"}, "spec": {
            "holderIdentity": "a", "leaseDurationSeconds": 15, "acquireTime": "2026-01-02T03:04:05.123456Z",
            "renewTime": "2026-01-02T03:04:06.000001Z", "leaseTransitions": 0}}),
        ),
        (
            "/apis/events.k8s.io/v1/namespaces/{ns}/events",
            json!({"metadata": {"name": "new-ev"},
            "eventTime": "2026-01-02T03:04:05.654321Z", "reportingController": "example.com/test",
            "reportingInstance": "test-1", "action": "Testing", "reason": "Tested", "type": "Normal",
            "regarding": {"kind": "Pod", "name": "web", "namespace": ns}, "note": "events.k8s.io event"}),
        ),
        (
            "/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices",
            json!({"metadata": {"name": "web-1",
            "labels": {"kubernetes.io/service-name": "web"}}, "addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.1"],
            "conditions": {"ready": true}}], "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}),
        ),
    ];
    let cluster: Intents = vec![
        (
            "/apis/rbac.authorization.k8s.io/v1/clusterroles",
            json!({"metadata": {"name": format!("{ns}-agg")},
            "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"aggregate": ns}}]}}),
        ),
        (
            "/apis/scheduling.k8s.io/v1/priorityclasses",
            json!({"metadata": {"name": format!("{ns}-high")}, "value": 1000,
            "preemptionPolicy": "Never", "description": "high"}),
        ),
        (
            "/apis/storage.k8s.io/v1/storageclasses",
            json!({"metadata": {"name": format!("{ns}-fast")},
            "provisioner": "example.com/fast", "parameters": {"type": "ssd"}, "reclaimPolicy": "Retain",
            "allowVolumeExpansion": true}),
        ),
        (
            "/apis/node.k8s.io/v1/runtimeclasses",
            json!({"metadata": {"name": format!("{ns}-gvisor")}, "handler": "runsc",
            "overhead": {"podFixed": {"memory": "120Mi", "cpu": "250m"}}}),
        ),
    ];
    (objects, cluster)
}

#[tokio::test]
async fn built_in_kinds_decode_the_same_from_protobuf_and_json() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace("protobuf-typed").await.expect("namespace");
    create_objects(cp, &ns).await;
    let protobuf = cp.kube_client().expect("client");
    let json = cp.json_client().expect("JSON client");
    let n = Some(ns.as_str());

    let mut compared = 0;
    compared += compare::<ConfigMap>(&json, &protobuf, n).await;
    compared += compare::<Secret>(&json, &protobuf, n).await;
    compared += compare::<Pod>(&json, &protobuf, n).await;
    compared += compare::<Service>(&json, &protobuf, n).await;
    compared += compare::<ServiceAccount>(&json, &protobuf, n).await;
    compared += compare::<PersistentVolumeClaim>(&json, &protobuf, n).await;
    compared += compare::<LimitRange>(&json, &protobuf, n).await;
    compared += compare::<ResourceQuota>(&json, &protobuf, n).await;
    compared += compare::<ReplicationController>(&json, &protobuf, n).await;
    compared += compare::<Event>(&json, &protobuf, n).await;
    compared += compare::<Deployment>(&json, &protobuf, n).await;
    compared += compare::<StatefulSet>(&json, &protobuf, n).await;
    compared += compare::<DaemonSet>(&json, &protobuf, n).await;
    compared += compare::<ReplicaSet>(&json, &protobuf, n).await;
    compared += compare::<ControllerRevision>(&json, &protobuf, n).await;
    compared += compare::<Job>(&json, &protobuf, n).await;
    compared += compare::<CronJob>(&json, &protobuf, n).await;
    compared += compare::<HorizontalPodAutoscaler>(&json, &protobuf, n).await;
    compared += compare::<PodDisruptionBudget>(&json, &protobuf, n).await;
    compared += compare::<Ingress>(&json, &protobuf, n).await;
    compared += compare::<NetworkPolicy>(&json, &protobuf, n).await;
    compared += compare::<Role>(&json, &protobuf, n).await;
    compared += compare::<RoleBinding>(&json, &protobuf, n).await;
    compared += compare::<Lease>(&json, &protobuf, n).await;
    compared += compare::<EventsEvent>(&json, &protobuf, n).await;
    compared += compare::<EndpointSlice>(&json, &protobuf, n).await;
    // Cluster-scoped, with what the API server itself creates (bootstrap roles, flow control,
    // the aggregator's APIServices).
    compared += compare::<Namespace>(&json, &protobuf, None).await;
    compared += compare::<ClusterRole>(&json, &protobuf, None).await;
    compared += compare::<PriorityClass>(&json, &protobuf, None).await;
    compared += compare::<StorageClass>(&json, &protobuf, None).await;
    compared += compare::<RuntimeClass>(&json, &protobuf, None).await;
    compared += compare::<FlowSchema>(&json, &protobuf, None).await;
    compared += compare::<PriorityLevelConfiguration>(&json, &protobuf, None).await;
    compared += compare::<APIService>(&json, &protobuf, None).await;
    eprintln!("{compared} objects of 34 kinds decode the same from protobuf and JSON");

    // A 404 is a protobuf Status, decoded into the same error as JSON's.
    let missing = Api::<Pod>::namespaced(protobuf.clone(), &ns).get("missing").await.expect_err("404");
    assert!(missing.is_not_found(), "{missing}");
    assert!(missing.to_string().contains("\"missing\" not found"), "{missing}");
}

/// What the server made of an object, without what differs between two creates of the same
/// intent (name, uid, resourceVersion, times, allocated cluster IPs).
fn comparable<K: Serialize>(object: &K) -> Value {
    let mut value = serde_json::to_value(object).expect("encodes");
    if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in ["name", "uid", "resourceVersion", "creationTimestamp", "managedFields"] {
            metadata.remove(key);
        }
    }
    if let Some(spec) = value.get_mut("spec").and_then(Value::as_object_mut) {
        spec.remove("clusterIP");
        spec.remove("clusterIPs");
    }
    value
}

/// Creates `intent` as `K` through the JSON client (named `<name>-json`) and the protobuf
/// client (`<name>-pb`, a protobuf request body), then replaces both with a label added; the
/// server must make the same of both at each step.
async fn create_and_replace_both<K>(json: &Client, protobuf: &Client, namespace: Option<&str>, intent: &Value)
where
    K: Resource + verbs::Create + verbs::Update + verbs::Get + Debug,
{
    let what = std::any::type_name::<K>();
    let intent: K = serde_json::from_value(intent.clone()).unwrap_or_else(|e| panic!("{what}: intent: {e}"));
    assert!(intent.to_protobuf().is_some(), "{what} has a protobuf encoder");
    let base = intent.metadata().name.clone().expect("named");
    let mut results = Vec::new();
    for (client, suffix) in [(json, "json"), (protobuf, "pb")] {
        let api = Api::<K>::from_path(client.clone(), ResourcePath::of::<K>(namespace));
        let mut object = intent.clone();
        let name = format!("{base}-{suffix}");
        object.metadata_mut().name = Some(name.as_str().into());
        let created =
            api.create(&PostParams::default(), &object).await.unwrap_or_else(|e| panic!("{what} {name}: create: {e}"));
        let mut changed = created.clone();
        changed.metadata_mut().labels.get_or_insert_default().insert("replaced", "yes".into());
        let replaced = api
            .replace(&name, &PostParams::default(), &changed)
            .await
            .unwrap_or_else(|e| panic!("{what} {name}: replace: {e}"));
        assert_eq!(
            replaced.metadata().labels.as_ref().and_then(|labels| labels.get("replaced")).map(|v| &**v),
            Some("yes")
        );
        results.push((comparable(&created), comparable(&replaced)));
    }
    let [(created_json, replaced_json), (created_pb, replaced_pb)] = <[_; 2]>::try_from(results).expect("two");
    if let Some(diff) = difference("", &created_json, &created_pb) {
        panic!("{what}: created from a protobuf body differently: {diff}");
    }
    if let Some(diff) = difference("", &replaced_json, &replaced_pb) {
        panic!("{what}: replaced from a protobuf body differently: {diff}");
    }
}

/// Every kind of [`intents`] (but Jobs, whose selector the server derives from the uid) is
/// created and replaced through a protobuf request body and a JSON one, with equal results.
#[tokio::test]
async fn creates_and_replaces_send_protobuf_bodies_the_server_reads_as_json() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace("protobuf-bodies").await.expect("namespace");
    let protobuf = cp.kube_client().expect("client");
    let json = cp.json_client().expect("JSON client");
    let (namespaced, cluster) = intents(&ns);
    let intent = |intents: &Intents, plural: &str| -> Value {
        let suffix = if plural.starts_with('/') { plural.to_owned() } else { format!("/{plural}") };
        intents.iter().find(|(path, _)| path.ends_with(&suffix)).map(|(_, value)| value.clone()).expect("an intent")
    };
    let n = Some(ns.as_str());
    let (j, p) = (&json, &protobuf);
    create_and_replace_both::<ConfigMap>(j, p, n, &intent(&namespaced, "configmaps")).await;
    create_and_replace_both::<Secret>(j, p, n, &intent(&namespaced, "secrets")).await;
    create_and_replace_both::<Pod>(j, p, n, &intent(&namespaced, "pods")).await;
    create_and_replace_both::<Service>(j, p, n, &intent(&namespaced, "services")).await;
    create_and_replace_both::<ServiceAccount>(j, p, n, &intent(&namespaced, "serviceaccounts")).await;
    create_and_replace_both::<PersistentVolumeClaim>(j, p, n, &intent(&namespaced, "persistentvolumeclaims")).await;
    create_and_replace_both::<LimitRange>(j, p, n, &intent(&namespaced, "limitranges")).await;
    create_and_replace_both::<ResourceQuota>(j, p, n, &intent(&namespaced, "resourcequotas")).await;
    create_and_replace_both::<ReplicationController>(j, p, n, &intent(&namespaced, "replicationcontrollers")).await;
    create_and_replace_both::<Event>(j, p, n, &intent(&namespaced, "/api/v1/namespaces/{ns}/events")).await;
    create_and_replace_both::<Deployment>(j, p, n, &intent(&namespaced, "deployments")).await;
    create_and_replace_both::<StatefulSet>(j, p, n, &intent(&namespaced, "statefulsets")).await;
    create_and_replace_both::<DaemonSet>(j, p, n, &intent(&namespaced, "daemonsets")).await;
    create_and_replace_both::<ReplicaSet>(j, p, n, &intent(&namespaced, "replicasets")).await;
    create_and_replace_both::<ControllerRevision>(j, p, n, &intent(&namespaced, "controllerrevisions")).await;
    create_and_replace_both::<CronJob>(j, p, n, &intent(&namespaced, "cronjobs")).await;
    create_and_replace_both::<HorizontalPodAutoscaler>(j, p, n, &intent(&namespaced, "horizontalpodautoscalers")).await;
    create_and_replace_both::<PodDisruptionBudget>(j, p, n, &intent(&namespaced, "poddisruptionbudgets")).await;
    create_and_replace_both::<Ingress>(j, p, n, &intent(&namespaced, "ingresses")).await;
    create_and_replace_both::<NetworkPolicy>(j, p, n, &intent(&namespaced, "networkpolicies")).await;
    create_and_replace_both::<Role>(j, p, n, &intent(&namespaced, "roles")).await;
    create_and_replace_both::<RoleBinding>(j, p, n, &intent(&namespaced, "rolebindings")).await;
    create_and_replace_both::<Lease>(j, p, n, &intent(&namespaced, "leases")).await;
    create_and_replace_both::<EventsEvent>(
        j,
        p,
        n,
        &intent(&namespaced, "/apis/events.k8s.io/v1/namespaces/{ns}/events"),
    )
    .await;
    create_and_replace_both::<EndpointSlice>(j, p, n, &intent(&namespaced, "endpointslices")).await;
    create_and_replace_both::<ClusterRole>(j, p, None, &intent(&cluster, "clusterroles")).await;
    create_and_replace_both::<PriorityClass>(j, p, None, &intent(&cluster, "priorityclasses")).await;
    create_and_replace_both::<StorageClass>(j, p, None, &intent(&cluster, "storageclasses")).await;
    create_and_replace_both::<RuntimeClass>(j, p, None, &intent(&cluster, "runtimeclasses")).await;
}

/// Held while a test of this binary installs CRDs: the CRD test compares every CRD of the
/// cluster, read twice, and must not meet one being installed.
static CRD_INSTALLS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn a_custom_resource_stays_json() {
    let cp = ControlPlane::shared().expect("shared control plane");
    let crd = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../specs/crds/cert-manager-v1.21.1-cert-manager.io_certificates.yaml");
    let installing = CRD_INSTALLS.lock().await;
    cp.install_crds(&[crd]).await.expect("CRD");
    drop(installing);
    let ns = cp.fresh_namespace("protobuf-crd").await.expect("namespace");
    let client = cp.kube_client().expect("client");
    assert!(!client.asks_protobuf::<Certificate>(), "custom resources have no protobuf");
    let listed = Api::<Certificate>::namespaced(client, &ns).list(&ListParams::default()).await.expect("lists as JSON");
    assert!(listed.items.is_empty());
}

/// A watch through each client over the same 100 changes (creates, updates, deletes of
/// ConfigMaps with data and labels): the event sequences are equal; and an informer on the
/// protobuf client ends with the same objects as a JSON list.
#[tokio::test]
async fn watches_and_informers_decode_the_same_from_protobuf() {
    use futures::StreamExt;
    use kubegen_api::SharedInformerFactory;
    use kubegen_runtime::cache::FactoryOptions;
    use kubegen_runtime::client::params::{DeleteParams, PostParams, WatchParams};
    use kubegen_runtime::watch::WatchEvent;
    use kubegen_runtime::{ObjectMeta, StringMap};

    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace("protobuf-watch").await.expect("namespace");
    let protobuf = cp.kube_client().expect("client");
    let json = cp.json_client().expect("JSON client");
    let (json_api, protobuf_api) =
        (Api::<ConfigMap>::namespaced(json.clone(), &ns), Api::<ConfigMap>::namespaced(protobuf.clone(), &ns));

    let factory = SharedInformerFactory::with_options(
        protobuf.clone(),
        FactoryOptions { namespace: Some(ns.clone()), ..FactoryOptions::default() },
    );
    let informer = factory.core_v1().config_maps();
    factory.start();
    factory.wait_for_cache_sync().await.expect("syncs");

    let start = json_api.list(&ListParams::default()).await.expect("list").metadata.resource_version.expect("version");
    let params = WatchParams { bookmarks: false, ..WatchParams::default() };
    let json_events = json_api.watch(&params, &start).await.expect("JSON watch");
    let protobuf_events = protobuf_api.watch(&params, &start).await.expect("protobuf watch");

    const CHANGES: usize = 100;
    let mut made = 0;
    let mut index = 0;
    while made < CHANGES {
        let name = format!("cm-{index}");
        let object = ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.clone().into()),
                labels: Some(StringMap::from([("round", index.to_string().into())])),
                ..ObjectMeta::default()
            },
            data: Some(StringMap::from([("key", format!("value {index}").into()), ("empty", "".into())])),
            ..ConfigMap::default()
        };
        let created = protobuf_api.create(&PostParams::default(), &object).await.expect("create");
        let mut changed = created.clone();
        changed.data.get_or_insert_default().insert("changed", "yes".into());
        protobuf_api.replace(&name, &PostParams::default(), &changed).await.expect("replace");
        made += 2;
        if index % 3 == 0 {
            protobuf_api.delete(&name, &DeleteParams::default()).await.expect("delete");
            made += 1;
        }
        index += 1;
    }
    let timeout = std::time::Duration::from_secs(30);
    let from_json: Vec<Result<WatchEvent<ConfigMap>, _>> =
        tokio::time::timeout(timeout, json_events.take(made).collect()).await.expect("JSON events in time");
    let from_protobuf: Vec<Result<WatchEvent<ConfigMap>, _>> =
        tokio::time::timeout(timeout, protobuf_events.take(made).collect()).await.expect("protobuf events in time");
    assert_eq!(from_json.len(), made);
    for (position, (a, b)) in from_json.iter().zip(&from_protobuf).enumerate() {
        let (a, b) = (a.as_ref().expect("JSON event"), b.as_ref().expect("protobuf event"));
        match (a, b) {
            (WatchEvent::Added(x), WatchEvent::Added(y))
            | (WatchEvent::Modified(x), WatchEvent::Modified(y))
            | (WatchEvent::Deleted(x), WatchEvent::Deleted(y)) => assert_same(&format!("event {position}"), x, y),
            other => panic!("event {position}: {other:?}"),
        }
    }

    let mut expected = json_api.list(&ListParams::default()).await.expect("list").items;
    expected.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    let versions = |objects: &[ConfigMap]| -> Vec<Option<String>> {
        objects.iter().map(|object| object.metadata.resource_version.as_deref().map(str::to_owned)).collect()
    };
    let deadline = std::time::Instant::now() + timeout;
    let cached = loop {
        let mut cached: Vec<ConfigMap> = informer.store().list().iter().map(|object| (**object).clone()).collect();
        cached.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        if versions(&cached) == versions(&expected) || std::time::Instant::now() > deadline {
            break cached;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(cached.len(), expected.len(), "the informer's store holds what a list holds");
    for (a, b) in expected.iter().zip(&cached) {
        assert_same("informer", a, b);
    }
    factory.shutdown().await;
}

/// A 600-item list, whole and in pages of 250 (continue tokens through protobuf `ListMeta`),
/// decodes the same from protobuf as from JSON.
#[tokio::test]
async fn a_six_hundred_item_list_decodes_the_same_from_protobuf() {
    use futures::StreamExt;
    use kubegen_runtime::client::params::PostParams;
    use kubegen_runtime::{ObjectMeta, StringMap};

    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace("protobuf-list").await.expect("namespace");
    let protobuf = cp.kube_client().expect("client");
    let json = cp.json_client().expect("JSON client");
    let (json_api, protobuf_api) =
        (Api::<ConfigMap>::namespaced(json, &ns), Api::<ConfigMap>::namespaced(protobuf, &ns));
    let creates = futures::stream::iter(0..600).map(|index| {
        let api = protobuf_api.clone();
        async move {
            let object = ConfigMap {
                metadata: ObjectMeta {
                    name: Some(format!("cm-{index:03}").into()),
                    labels: Some(StringMap::from([("index", index.to_string().into())])),
                    ..ObjectMeta::default()
                },
                data: Some(StringMap::from([("value", "x".repeat(index % 50).into())])),
                ..ConfigMap::default()
            };
            api.create(&PostParams::default(), &object).await.map(|_| ())
        }
    });
    let created: Vec<_> = creates.buffer_unordered(16).collect().await;
    assert!(created.iter().all(Result::is_ok), "creates: {:?}", created.iter().find(|result| result.is_err()));

    let whole_json = json_api.list(&ListParams::default()).await.expect("JSON list");
    let version = whole_json.metadata.resource_version.clone().expect("resourceVersion");
    let at_version = ListParams {
        resource_version: Some(version),
        version_match: Some(kubegen_runtime::client::params::VersionMatch::Exact),
        ..ListParams::default()
    };
    let whole_protobuf = protobuf_api.list(&at_version).await.expect("protobuf list");
    assert_eq!(whole_json.items.len(), 600);
    assert_same("600-item list", &whole_json.items, &whole_protobuf.items);

    let (mut paged, mut token, mut pages) = (Vec::new(), None, 0);
    loop {
        let params = ListParams { limit: Some(250), continue_token: token.clone(), ..ListParams::default() };
        let page = protobuf_api.list(&params).await.expect("protobuf page");
        pages += 1;
        token = page.continue_token().map(str::to_owned);
        paged.extend(page.items);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_same("600 items in pages of 250", &whole_json.items, &paged);
}

/// A CRD of group `group` whose schema sets the fields protobuf carries as apiextensions'
/// `JSON` (`default`, `enum`, `example`) and `JSONSchemaPropsOr*` unions (`items`,
/// `additionalProperties`), with validation rules, list-map keys and int-or-string.
fn gadget_crd(group: &str) -> Value {
    let spec = json!({
        "type": "object",
        "required": ["size"],
        "x-kubernetes-validations": [{"rule": "self.size >= 0", "message": "size is negative"}],
        "properties": {
            "size": {"type": "integer", "minimum": 0, "maximum": 100, "default": 3},
            "mode": {"type": "string", "enum": ["fast", "slow"], "default": "fast", "example": "slow"},
            "ratio": {"type": "number", "multipleOf": 0.5, "maximum": 10, "exclusiveMaximum": true},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "ports": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"],
                "items": {"type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string"},
                    "port": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]},
                }},
            },
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            "settings": {"type": "object", "default": {"retries": 2, "tags": ["a", null]},
                "x-kubernetes-preserve-unknown-fields": true},
        },
    });
    let schema = json!({
        "type": "object",
        "properties": {"spec": spec, "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}},
    });
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("gadgets.{group}")},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList"},
            "versions": [{
                "name": "v1",
                "served": true,
                "storage": true,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [{"name": "Size", "type": "integer", "jsonPath": ".spec.size"}],
                "schema": {"openAPIV3Schema": schema},
            }],
        },
    })
}

/// A CRD without what differs between two creates of the same intent in another group.
fn comparable_crd(crd: &CustomResourceDefinition) -> Value {
    let mut value = comparable(crd);
    if let Some(object) = value.as_object_mut() {
        object.remove("status");
    }
    if let Some(spec) = value.get_mut("spec").and_then(Value::as_object_mut) {
        spec.remove("group");
    }
    value
}

/// Waits until the CRD `name` is established: its status changes no more.
async fn wait_established(api: &Api<CustomResourceDefinition>, name: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let crd = api.get(name).await.unwrap_or_else(|e| panic!("CRD {name}: {e}"));
        let conditions = crd.status.as_ref().and_then(|status| status.conditions.as_ref());
        let established = conditions
            .is_some_and(|conditions| conditions.iter().any(|c| c.type_ == "Established" && c.status == "True"));
        if established {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "CRD {name} is not established after 60 s");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn custom_resource_definitions_decode_and_encode_as_protobuf() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let _installing = CRD_INSTALLS.lock().await;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../specs/crds");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("specs/crds")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "yaml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 6, "the real CRDs of specs/crds");
    cp.install_crds(&files).await.expect("CRDs");
    let protobuf = cp.kube_client().expect("client");
    let json = cp.json_client().expect("JSON client");
    assert!(protobuf.asks_protobuf::<CustomResourceDefinition>());

    // The same intent created (from a protobuf body, and from JSON) and replaced.
    let ns = cp.fresh_namespace("protobuf-crds").await.expect("namespace");
    let mut results = Vec::new();
    for (client, prefix) in [(&json, "json"), (&protobuf, "pb")] {
        let api = Api::<CustomResourceDefinition>::all(client.clone());
        let intent: CustomResourceDefinition =
            serde_json::from_value(gadget_crd(&format!("{prefix}-{ns}.example.com"))).expect("intent");
        assert!(intent.to_protobuf().is_some(), "CustomResourceDefinition has a protobuf encoder");
        let name = intent.metadata.name.clone().expect("named");
        let created = api.create(&PostParams::default(), &intent).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        wait_established(&api, &name).await;
        let mut changed = api.get(&name).await.expect("get");
        changed.metadata.labels.get_or_insert_default().insert("replaced", "yes".into());
        let replaced = api.replace(&name, &PostParams::default(), &changed).await.expect("replace");
        results.push((comparable_crd(&created), comparable_crd(&replaced)));
    }
    let [(created_json, replaced_json), (created_pb, replaced_pb)] = <[_; 2]>::try_from(results).expect("two");
    if let Some(diff) = difference("", &created_json, &created_pb) {
        panic!("a CRD created from a protobuf body differs: {diff}");
    }
    if let Some(diff) = difference("", &replaced_json, &replaced_pb) {
        panic!("a CRD replaced from a protobuf body differs: {diff}");
    }

    // Every CRD of the cluster, listed and read through both clients, then encoded back.
    let compared = compare::<CustomResourceDefinition>(&json, &protobuf, None).await;
    assert!(compared >= 8, "{compared} CRDs compared");
}

/// Every alternative of the schema unions survives encoding and decoding, in a schema as
/// Kubernetes' own validation would never accept (`items` as a list, `dependencies`).
#[test]
fn every_alternative_of_the_schema_unions_round_trips() {
    use proto::EncodeMessage;

    let schema: JSONSchemaProps = serde_json::from_value(json!({
        "type": "object",
        "additionalProperties": false,
        "additionalItems": {"type": "string"},
        "items": [{"type": "string"}, {"type": "integer", "default": 7}],
        "dependencies": {"a": ["b", "c"], "d": {"required": ["e"]}},
        "properties": {"x": {"items": {"type": "string"}, "additionalProperties": true}},
        "default": {"k": [1, "two", null, 2.5]},
        "enum": [1, "x", {"y": true}, null],
        "example": "text",
    }))
    .expect("schema");
    assert!(matches!(schema.additional_properties.as_deref(), Some(JSONSchemaPropsOrBool::Bool(false))));
    assert!(matches!(schema.items.as_deref(), Some(JSONSchemaPropsOrArray::Schemas(items)) if items.len() == 2));
    let dependencies = schema.dependencies.as_ref().expect("dependencies");
    assert!(matches!(dependencies.get("a"), Some(JSONSchemaPropsOrStringArray::Strings(_))));
    assert!(matches!(dependencies.get("d"), Some(JSONSchemaPropsOrStringArray::Schema(_))));

    let mut writer = proto::Writer::new();
    schema.encode_fields(&mut writer);
    let decoded: JSONSchemaProps = proto::decode_message(&writer.into_bytes(), 0).expect("decodes");
    assert_same("JSONSchemaProps", &schema, &decoded);
}

/// A union takes the last alternative on the wire, as protobuf's `oneof` does; gogo writes
/// `allows` before `schema`, and Go's JSON gives the schema when both are set.
#[test]
fn a_schema_union_takes_the_last_alternative_on_the_wire() {
    let decode = |write: &dyn Fn(&mut proto::Writer)| {
        let mut writer = proto::Writer::new();
        write(&mut writer);
        proto::decode_message::<JSONSchemaPropsOrBool>(&writer.into_bytes(), 0).expect("decodes")
    };
    // JSONSchemaProps' `type` is field 5.
    let schema = |w: &mut proto::Writer| w.nested(2, |w| w.string(5, "string"));
    match decode(&|w| {
        w.bool(1, true);
        schema(w);
    }) {
        JSONSchemaPropsOrBool::Schema(schema) => assert_eq!(schema.type_.as_deref(), Some("string")),
        other => panic!("allows then a schema: {other:?}"),
    }
    assert_eq!(
        decode(&|w| {
            schema(w);
            w.bool(1, false);
        }),
        JSONSchemaPropsOrBool::Bool(false)
    );
    assert_eq!(decode(&|w| w.bool(1, true)), JSONSchemaPropsOrBool::Bool(true));
    assert_eq!(decode(&|_| {}), JSONSchemaPropsOrBool::Bool(false));
}

/// A CRD's protobuf body, truncated at every length, every byte replaced four ways and seeded
/// random rewrites: decoding fails or succeeds, and never panics.
#[test]
fn a_mutated_crd_body_never_panics_the_decoder() {
    let crd: CustomResourceDefinition = serde_json::from_value(gadget_crd("mutated.example.com")).expect("intent");
    let body = crd.to_protobuf().expect("encodes");
    let raw = proto::decode_envelope(&body).expect("envelope").raw.to_vec();
    let tried = kubegen_tests::mutation::each_mutation(&raw, |bytes| {
        let _ = CustomResourceDefinition::from_protobuf(bytes);
    });
    assert!(tried > 5 * raw.len());
    let decoded = CustomResourceDefinition::from_protobuf(&raw).expect("the unmutated body decodes");
    assert_same("the gadget CRD", &crd, &decoded);
}
