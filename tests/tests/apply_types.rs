//! Apply configurations without a server: only set fields are serialized, at every depth;
//! map-list items keep their keys; a model converts in full; `extract` rebuilds what one
//! manager owns from recorded `managedFields` (FieldsV1 as kube-apiserver v1.35 writes it).

use kubegen_api::apps_v1::Deployment;
use kubegen_api::apps_v1::apply::{DeploymentApply, DeploymentSpecApply};
use kubegen_api::core_v1::apply::{ContainerApply, EnvVarApply, PodSpecApply, PodTemplateSpecApply};
use kubegen_api::core_v1::{ConfigMap, apply::ConfigMapApply};
use kubegen_runtime::ObjectMeta;
use kubegen_runtime::apply::HasApply;
use serde_json::json;

fn to_json(value: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(value).expect("serializes")
}

#[test]
fn only_set_fields_are_serialized() {
    let apply = DeploymentApply::new("web", "default").spec(DeploymentSpecApply::default().replicas(3));
    assert_eq!(
        to_json(&apply),
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": 3}
        })
    );
    // The full model, by contrast, sends its required fields at their defaults.
    let model = Deployment {
        metadata: ObjectMeta { name: Some("web".into()), ..ObjectMeta::default() },
        spec: Some(kubegen_api::apps_v1::DeploymentSpec { replicas: Some(3), ..Default::default() }),
        ..Deployment::default()
    };
    assert_eq!(to_json(&model)["spec"], json!({"replicas": 3, "selector": {}, "template": {}}));
}

#[test]
fn unset_fields_are_absent_at_every_depth_and_items_keep_their_keys() {
    let apply = DeploymentApply::new("web", "default").spec(DeploymentSpecApply::default().template(
        PodTemplateSpecApply::default().spec(PodSpecApply::default().containers([
            ContainerApply::default().name("app").env([EnvVarApply::default().name("MODE").value("fast")]),
        ])),
    ));
    assert_eq!(
        to_json(&apply)["spec"],
        json!({"template": {"spec": {"containers": [{"name": "app", "env": [{"name": "MODE", "value": "fast"}]}]}}})
    );
    // And it decodes back to the same configuration.
    let back: DeploymentApply = serde_json::from_value(to_json(&apply)).expect("decodes");
    assert_eq!(back, apply);
}

#[test]
fn a_model_converts_in_full() {
    let model = ConfigMap {
        metadata: ObjectMeta { name: Some("settings".into()), ..ObjectMeta::default() },
        data: Some([("a", "1".into())].into_iter().collect()),
        ..ConfigMap::default()
    };
    let apply: ConfigMapApply = model.to_apply().expect("converts");
    assert_eq!(to_json(&apply), to_json(&model));
    assert_eq!(apply.data.as_ref().and_then(|data| data.get("a")).map(|value| value.as_str()), Some("1"));
}

/// A Deployment as the API server returns it after `alice` applied the replicas and `bob` the
/// first container's image with one env var, and `kubectl` created the rest.
fn recorded_deployment() -> Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "labels": {"app": "web", "team": "blue"},
            "managedFields": [
                {
                    "manager": "kubectl-create", "operation": "Update", "apiVersion": "apps/v1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                                 "f:spec": {"f:selector": {}, "f:template": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                                 "f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {".": {}, "f:name": {}}}}}}}
                },
                {
                    "manager": "alice", "operation": "Apply", "apiVersion": "apps/v1", "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:metadata": {"f:labels": {"f:team": {}}}, "f:spec": {"f:replicas": {}}}
                },
                {
                    "manager": "bob", "operation": "Apply", "apiVersion": "apps/v1", "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {
                        ".": {}, "f:env": {"k:{\"name\":\"MODE\"}": {".": {}, "f:name": {}, "f:value": {}}},
                        "f:image": {}, "f:name": {}}}}}}}
                },
                {
                    "manager": "alice", "operation": "Update", "apiVersion": "apps/v1", "fieldsType": "FieldsV1",
                    "subresource": "status", "fieldsV1": {"f:status": {"f:replicas": {}}}
                }
            ]
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [
                    {"name": "app", "image": "web:2", "env": [{"name": "OTHER", "value": "x"}, {"name": "MODE", "value": "fast"}]},
                    {"name": "sidecar", "image": "proxy:1"}
                ]}
            }
        },
        "status": {"replicas": 3}
    }))
    .expect("the recorded Deployment decodes")
}

#[test]
fn extract_gives_each_manager_its_own_fields() {
    let deployment = recorded_deployment();
    let alice = deployment.extract("alice").expect("extracts alice");
    assert_eq!(
        to_json(&alice),
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "labels": {"team": "blue"}},
            "spec": {"replicas": 3}
        })
    );
    let bob = deployment.extract("bob").expect("extracts bob");
    let expected = DeploymentApply::new("web", "default").spec(
        DeploymentSpecApply::default().template(
            PodTemplateSpecApply::default().spec(
                PodSpecApply::default().containers([ContainerApply::default()
                    .name("app")
                    .image("web:2")
                    .env([EnvVarApply::default().name("MODE").value("fast")])]),
            ),
        ),
    );
    assert_eq!(bob, expected);
}

#[test]
fn extract_of_a_manager_without_apply_entries_is_the_identity_only() {
    let deployment = recorded_deployment();
    // kubectl-create only updated: extract, as client-go's, reads Apply entries only.
    assert_eq!(deployment.extract("kubectl-create").expect("extracts"), DeploymentApply::new("web", "default"));
    assert_eq!(deployment.extract("nobody").expect("extracts"), DeploymentApply::new("web", "default"));
}
