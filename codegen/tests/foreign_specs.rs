//! Specs written by generators other than Kubernetes' (no `x-kubernetes-*` extensions, Go
//! package names, JSON Schema type arrays): resources inferred from paths, definitions placed
//! by the group that serves them, apimachinery's types adopted, in both dialects.

use std::collections::BTreeSet;
use std::path::PathBuf;

use kubegen::fixups::StalePolicy;
use kubegen::generate::build_model;
use kubegen::ir::{Model, TypeKind, Verb};
use kubegen::spec::{RawSpec, document};
use serde_json::{Value, json};

fn fixture() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/foreign/widgets-swagger.json");
    serde_json::from_slice(&std::fs::read(&path).expect("reads the fixture")).expect("parses")
}

fn load(document: &Value) -> RawSpec {
    document::load_bytes(document.to_string().as_bytes(), "foreign.json").expect("loads").1
}

fn build(document: &Value) -> Model {
    build_model(load(document), StalePolicy::Warn).expect("builds")
}

/// The same document in OpenAPI 3: schemas under components, body parameters as request
/// bodies, responses by media type.
fn to_openapi3(swagger: &Value) -> Value {
    let text = swagger.to_string().replace("#/definitions/", "#/components/schemas/");
    let swagger: Value = serde_json::from_str(&text).expect("parses");
    let mut paths = serde_json::Map::new();
    for (path, item) in swagger["paths"].as_object().expect("paths") {
        let mut converted = serde_json::Map::new();
        for (method, operation) in item.as_object().expect("path item") {
            let mut operation = operation.clone();
            let parameters = operation["parameters"].as_array().cloned().unwrap_or_default();
            let (body, rest): (Vec<Value>, Vec<Value>) = parameters.into_iter().partition(|p| p["in"] == "body");
            operation["parameters"] = Value::Array(rest);
            if let Some(body) = body.first() {
                operation["requestBody"] = json!({"content": {"application/json": {"schema": body["schema"]}}});
            }
            if let Some(responses) = operation["responses"].as_object_mut() {
                for response in responses.values_mut() {
                    if let Some(schema) = response.as_object_mut().and_then(|r| r.remove("schema")) {
                        response["content"] = json!({"application/json": {"schema": schema}});
                    }
                }
            }
            converted.insert(method.clone(), operation);
        }
        paths.insert(path.clone(), Value::Object(converted));
    }
    json!({"openapi": "3.0.0", "paths": paths, "components": {"schemas": swagger["definitions"]}})
}

const WIDGET: &str = "com.example.widgets.v1.Widget";

#[test]
fn resources_are_inferred_from_paths_in_both_dialects() {
    let swagger = fixture();
    for (dialect, model) in [("swagger", build(&swagger)), ("openapi3", build(&to_openapi3(&swagger)))] {
        let resource = model.resources.get(WIDGET).unwrap_or_else(|| panic!("{dialect}: Widget is a resource"));
        assert_eq!(resource.group_version_kind.api_version(), "widgets.example.com/v1", "{dialect}");
        assert_eq!((resource.group_version_kind.kind.as_str(), resource.plural.as_str()), ("Widget", "widgets"));
        assert!(resource.namespaced, "{dialect}");
        assert_eq!(
            resource.verbs,
            BTreeSet::from([
                Verb::Get,
                Verb::List,
                Verb::Watch,
                Verb::Create,
                Verb::Update,
                Verb::Patch,
                Verb::Delete,
                Verb::DeleteCollection
            ]),
            "{dialect}: a list that takes `watch` watches"
        );
        let status = &resource.subresources["status"];
        assert_eq!(status.type_id.as_deref(), Some(WIDGET), "{dialect}");
        assert_eq!(status.verbs, BTreeSet::from([Verb::Get, Verb::Update, Verb::Patch]), "{dialect}");
        assert_eq!(resource.list_kind, "WidgetList");
        assert_eq!(model.resources.len(), 1, "{dialect}: the subresource-only group has no resource");

        // Ungrouped definitions land in the module of the group that serves them, with the
        // types only that group uses; the subresource-only group keeps its request type.
        let place = |id: &str| {
            let ty = model.types.get(id).unwrap_or_else(|| panic!("{dialect}: no type {id}"));
            (ty.module.as_str(), ty.name.as_str())
        };
        assert_eq!(place(WIDGET), ("widgets_example_com_v1", "Widget"));
        assert_eq!(place("com.example.widgets.v1.WidgetList"), ("widgets_example_com_v1", "WidgetList"));
        assert_eq!(place("com.example.widgets.v1.Condition"), ("widgets_example_com_v1", "Condition"));
        assert_eq!(place("com.example.ops.v1.RestartRequest"), ("ops_example_com_v1", "RestartRequest"));
        // `v1.ObjectMeta`, `v1.Time`, `v1.Status`: the runtime's types.
        for adopted in ["ObjectMeta", "ListMeta", "OwnerReference", "Time", "Status"] {
            let id = format!("io.k8s.apimachinery.pkg.apis.meta.v1.{adopted}");
            assert!(matches!(model.types[&id].kind, TypeKind::Provided(_)), "{dialect}: {id}");
        }
        // `v1.Toleration` has exactly the properties of Kubernetes' own: it is that type.
        assert_eq!(place("io.k8s.api.core.v1.Toleration"), ("core_v1", "Toleration"));
        assert!(model.types.keys().all(|id| !id.starts_with("v1.")), "{dialect}: {:?}", model.types.keys());
    }
}

fn spec(paths: Value, definitions: Value) -> Value {
    json!({"swagger": "2.0", "paths": paths, "definitions": definitions})
}

fn object(properties: Value) -> Value {
    json!({"type": "object", "properties": properties})
}

fn resource_definitions(kind: &str) -> Value {
    json!({
        (format!("v1.{kind}")): object(json!({
            "apiVersion": {"type": "string"}, "kind": {"type": "string"},
            "metadata": {"$ref": "#/definitions/v1.ObjectMeta"},
            "spec": {"$ref": "#/definitions/v1.Shared"},
        })),
        (format!("v1.{kind}List")): object(json!({
            "items": {"type": "array", "items": {"$ref": format!("#/definitions/v1.{kind}")}},
        })),
    })
}

fn list_path(response: &str) -> Value {
    json!({"get": {"responses": {"200": {"schema": {"$ref": format!("#/definitions/{response}")}}}}})
}

#[test]
fn definitions_two_groups_use_stay_where_they_are() {
    let mut definitions = resource_definitions("Gadget");
    for (name, value) in resource_definitions("Gizmo").as_object().expect("object") {
        definitions[name] = value.clone();
    }
    definitions["v1.ObjectMeta"] = object(json!({"name": {"type": "string"}, "namespace": {"type": "string"}}));
    definitions["v1.Shared"] = object(json!({"size": {"type": "integer"}}));
    let model = build(&spec(
        json!({
            "/apis/gadgets.example.com/v1/gadgets": list_path("v1.GadgetList"),
            "/apis/gizmos.example.com/v1beta1/gizmos": list_path("v1.GizmoList"),
        }),
        definitions,
    ));
    assert_eq!(model.types["com.example.gadgets.v1.Gadget"].module, "gadgets_example_com_v1");
    assert_eq!(model.types["com.example.gizmos.v1beta1.Gizmo"].module, "gizmos_example_com_v1beta1");
    assert_eq!(model.types["v1.Shared"].module, "v1", "used by both groups");
    let gizmo = &model.resources["com.example.gizmos.v1beta1.Gizmo"];
    assert_eq!(gizmo.group_version_kind.api_version(), "gizmos.example.com/v1beta1");
    assert_eq!(gizmo.verbs, BTreeSet::from([Verb::List]));
    assert!(!gizmo.namespaced);
}

#[test]
fn actions_follow_methods_and_path_shapes() {
    let mut definitions = resource_definitions("Gadget");
    definitions["v1.ObjectMeta"] = object(json!({"name": {"type": "string"}, "uid": {"type": "string"}}));
    definitions["v1.Shared"] = object(json!({}));
    let item = json!({"$ref": "#/definitions/v1.Gadget"});
    let base = "/apis/gadgets.example.com/v1";
    let model = build(&spec(
        json!({
            (format!("{base}/namespaces/{{namespace}}/gadgets")): {
                "delete": {"responses": {"200": {"description": "a Status"}}},
            },
            (format!("{base}/namespaces/{{namespace}}/gadgets/{{name}}")): {
                "get": {"responses": {"200": {"schema": item}}},
            },
            (format!("{base}/watch/namespaces/{{namespace}}/gadgets")): list_path("v1.GadgetList"),
            (format!("{base}/namespaces/{{namespace}}/gadgets/{{name}}/exec")): {
                "post": {"responses": {"200": {"description": "a stream"}}},
            },
            (format!("{base}/namespaces/{{namespace}}/gadgets/{{name}}/scale")): {
                "get": {"responses": {"200": {"schema": {"$ref": "#/definitions/v1.Shared"}}}},
            },
        }),
        definitions,
    ));
    let gadget = &model.resources["com.example.gadgets.v1.Gadget"];
    assert_eq!(gadget.verbs, BTreeSet::from([Verb::Get, Verb::Watch, Verb::DeleteCollection]));
    assert!(gadget.namespaced);
    // Neither the stream nor a subresource of an unknown kind is typed.
    assert!(gadget.subresources.is_empty(), "{:?}", gadget.subresources);
}

#[test]
fn an_object_meta_the_runtime_cannot_hold_is_an_error_naming_it() {
    let mut definitions = resource_definitions("Gadget");
    definitions["v1.ObjectMeta"] = object(json!({"name": {"type": "string"}, "clusterName": {"type": "string"}}));
    definitions["v1.Shared"] = object(json!({}));
    let document = spec(json!({"/apis/gadgets.example.com/v1/gadgets": list_path("v1.GadgetList")}), definitions);
    let error = build_model(load(&document), StalePolicy::Warn).expect_err("metadata is not an ObjectMeta");
    let message = error.to_string();
    assert!(message.contains("foreign.json#/definitions/v1.Gadget/properties/metadata"), "{message}");
    assert!(message.contains("is not an ObjectMeta"), "{message}");
}

#[test]
fn a_kubernetes_spec_is_left_as_it_is() {
    // An operation with an action is Kubernetes': nothing about it is inferred, and its
    // ungrouped definitions stay in place.
    let mut definitions = resource_definitions("Gadget");
    definitions["v1.ObjectMeta"] = object(json!({"name": {"type": "string"}, "uid": {"type": "string"}}));
    definitions["v1.Shared"] = object(json!({}));
    let mut path = list_path("v1.GadgetList");
    path["get"]["x-kubernetes-action"] = json!("list");
    let model = build(&spec(json!({"/apis/gadgets.example.com/v1/gadgets": path}), definitions));
    assert!(model.resources.is_empty());
    assert_eq!(model.types["v1.Gadget"].module, "v1");
    assert!(model.types.contains_key("v1.ObjectMeta"));
}
