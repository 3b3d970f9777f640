//! The type mapping, one rule at a time, on small specs.

use kubegen::fixups::StalePolicy;
use kubegen::generate::build_model;
use kubegen::ir::{FieldRole, Model, Shape, Struct, TypeKind};
use kubegen::spec::{RawSpec, crd, document};

fn swagger(definitions: serde_json::Value) -> RawSpec {
    let doc = serde_json::json!({ "swagger": "2.0", "definitions": definitions, "paths": {} });
    document::load_bytes(doc.to_string().as_bytes(), "test.json").expect("loads").1
}

fn openapi3(schemas: serde_json::Value) -> RawSpec {
    let doc = serde_json::json!({ "openapi": "3.0.0", "components": { "schemas": schemas }, "paths": {} });
    document::load_bytes(doc.to_string().as_bytes(), "test.json").expect("loads").1
}

fn build(spec: RawSpec) -> Model {
    build_model(spec, StalePolicy::Fail).expect("builds")
}

fn body<'m>(model: &'m Model, id: &str) -> &'m Struct {
    match &model.types.get(id).unwrap_or_else(|| panic!("no type {id}")).kind {
        TypeKind::Struct(body) => body,
        other => panic!("{id} is not a struct: {other:?}"),
    }
}

fn field_shape(model: &Model, id: &str, json_name: &str) -> (Shape, bool) {
    let field = body(model, id)
        .fields
        .iter()
        .find(|field| field.json_name == json_name)
        .unwrap_or_else(|| panic!("{id} has no field {json_name}"));
    (field.shape.clone(), field.required)
}

const T: &str = "io.example.v1.Thing";

fn thing(properties: serde_json::Value, required: &[&str]) -> Model {
    build(swagger(serde_json::json!({
        T: { "type": "object", "properties": properties, "required": required }
    })))
}

#[test]
fn required_fields_are_plain_and_the_rest_optional() {
    let model = thing(serde_json::json!({"a": {"type": "string"}, "b": {"type": "string"}}), &["a"]);
    assert_eq!(field_shape(&model, T, "a"), (Shape::String, true));
    assert_eq!(field_shape(&model, T, "b"), (Shape::String, false));
    let file = emit_file(&model, "src/example_io_v1/thing.rs");
    assert!(file.contains("pub a: ::kubegen_runtime::Str,"), "{file}");
    // Required fields are always written; unset optional ones are left out.
    assert!(file.contains(".field(\"a\", &self.a)"), "{file}");
    assert!(file.contains(".optional(\"b\", &self.b)"), "{file}");
    assert!(file.contains("decode::required(map, &mut self.a)"), "{file}");
    assert!(file.contains("decode::optional(map, &mut self.b)"), "{file}");
    assert!(file.contains("pub b: Option<::kubegen_runtime::Str>,"), "{file}");
}

#[test]
fn scalars() {
    let model = thing(
        serde_json::json!({
            "i32": {"type": "integer", "format": "int32"},
            "i64": {"type": "integer", "format": "int64"},
            "int": {"type": "integer"},
            "f": {"type": "number", "format": "double"},
            "b": {"type": "boolean"},
            "bytes": {"type": "string", "format": "byte"},
            "when": {"type": "string", "format": "date-time"},
            "ios": {"type": "string", "format": "int-or-string"},
            "ios2": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]},
        }),
        &[],
    );
    for (name, shape) in [
        ("i32", Shape::I32),
        ("i64", Shape::I64),
        ("int", Shape::I64),
        ("f", Shape::F64),
        ("b", Shape::Bool),
        ("bytes", Shape::Bytes),
        ("when", Shape::Time),
        ("ios", Shape::IntOrString),
        ("ios2", Shape::IntOrString),
    ] {
        assert_eq!(field_shape(&model, T, name).0, shape, "{name}");
    }
}

#[test]
fn apimachinery_scalars_are_the_runtime_types_in_both_dialects() {
    let quantity = "io.k8s.apimachinery.pkg.api.resource.Quantity";
    let time = "io.k8s.apimachinery.pkg.apis.meta.v1.Time";
    let v2 = build(swagger(serde_json::json!({
        quantity: {"type": "string"},
        time: {"type": "string", "format": "date-time"},
        T: {"type": "object", "properties": {
            "q": {"$ref": format!("#/definitions/{quantity}")},
            "t": {"$ref": format!("#/definitions/{time}")}}},
    })));
    let v3 = build(openapi3(serde_json::json!({
        quantity: {"oneOf": [{"type": "string"}, {"type": "number"}]},
        time: {"type": "string", "format": "date-time"},
        T: {"type": "object", "properties": {
            "q": {"allOf": [{"$ref": format!("#/components/schemas/{quantity}")}], "default": {}},
            "t": {"$ref": format!("#/components/schemas/{time}")}}},
    })));
    for model in [&v2, &v3] {
        assert!(matches!(model.types[quantity].kind, TypeKind::Provided(p) if p.runtime_path == "Quantity"));
        assert!(matches!(model.types[time].kind, TypeKind::Provided(p) if p.runtime_path == "Time"));
        assert_eq!(field_shape(model, T, "q").0, Shape::Ref(quantity.into()));
        let file = emit_file(model, "src/example_io_v1/thing.rs");
        assert!(file.contains("Option<::kubegen_runtime::Quantity>"), "{file}");
        assert!(file.contains("Option<::kubegen_runtime::Time>"), "{file}");
    }
}

#[test]
fn free_form_values_are_json_and_maps_are_ordered_maps() {
    let raw = "io.k8s.apimachinery.pkg.runtime.RawExtension";
    let model = build(swagger(serde_json::json!({
        raw: {"type": "object"},
        T: {"type": "object", "properties": {
            "raw": {"$ref": format!("#/definitions/{raw}")},
            "anything": {"type": "object"},
            "untyped": {"description": "no type at all"},
            "preserved": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "embedded": {"type": "object", "x-kubernetes-embedded-resource": true,
                "x-kubernetes-preserve-unknown-fields": true},
            "list": {"type": "array"},
        }},
    })));
    assert!(matches!(model.types[raw].kind, TypeKind::Provided(p) if p.runtime_path == "RawExtension"));
    assert_eq!(field_shape(&model, T, "anything").0, Shape::Json);
    assert_eq!(field_shape(&model, T, "untyped").0, Shape::Json);
    assert_eq!(field_shape(&model, T, "preserved").0, Shape::Json);
    assert_eq!(field_shape(&model, T, "embedded").0, Shape::Json);
    assert_eq!(field_shape(&model, T, "labels").0, Shape::Map(Box::new(Shape::String)));
    assert_eq!(field_shape(&model, T, "list").0, Shape::Array(Box::new(Shape::Json)));
    let file = emit_file(&model, "src/example_io_v1/thing.rs");
    assert!(file.contains("::kubegen_runtime::StringMap<::kubegen_runtime::Str>"), "{file}");
}

#[test]
fn properties_with_preserved_unknown_fields_keep_the_rest_in_a_map() {
    let model = thing(
        serde_json::json!({"known": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
            "properties": {"a": {"type": "string"}}}}),
        &[],
    );
    let nested = match field_shape(&model, T, "known").0 {
        Shape::Ref(id) => id,
        other => panic!("expected a nested type, got {other:?}"),
    };
    let extra = body(&model, &nested).extra.as_ref().expect("a catch-all");
    assert_eq!(extra.value, Shape::Json);
    let file = emit_file(&model, "src/example_io_v1/thing.rs");
    assert!(file.contains("const KEEPS_UNKNOWN: bool = true;"), "{file}");
    assert!(file.contains(".properties(&self.extra_fields)"), "{file}");
}

#[test]
fn embedded_resources_have_object_meta() {
    let model = thing(
        serde_json::json!({"template": {"type": "object", "x-kubernetes-embedded-resource": true,
            "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                "metadata": {"type": "object"}, "spec": {"type": "object"}}}}),
        &[],
    );
    let Shape::Ref(nested) = field_shape(&model, T, "template").0 else { panic!("nested type") };
    assert_eq!(
        field_shape(&model, &nested, "metadata").0,
        Shape::Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta".into())
    );
}

#[test]
fn string_enums_get_a_catch_all_variant() {
    let model = thing(
        serde_json::json!({"policy": {"type": "string", "enum": ["Always", "IfNotPresent", "Other", "", null]}}),
        &[],
    );
    let Shape::Ref(id) = field_shape(&model, T, "policy").0 else { panic!("an enum type") };
    let TypeKind::Enum(body) = &model.types[&id].kind else { panic!("an enum") };
    let values: Vec<(&str, &str)> = body.variants.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    assert_eq!(values, [("Always", "Always"), ("IfNotPresent", "IfNotPresent"), ("Other", "Other"), ("Empty", "")]);
    assert_eq!(body.other, "OtherValue", "the catch-all avoids the listed `Other`");
    assert_eq!(model.types[&id].name, "ThingPolicy");
    let numbers = thing(serde_json::json!({"n": {"type": "integer", "enum": [1, 2]}}), &[]);
    assert_eq!(field_shape(&numbers, T, "n").0, Shape::I64, "non-string enums stay plain");
}

#[test]
fn recursive_types_are_boxed() {
    let model = build(swagger(serde_json::json!({
        "io.example.v1.Node": {"type": "object", "properties": {
            "not": {"$ref": "#/definitions/io.example.v1.Node"},
            "children": {"type": "array", "items": {"$ref": "#/definitions/io.example.v1.Node"}},
            "either": {"$ref": "#/definitions/io.example.v1.Either"}}},
        "io.example.v1.Either": {"type": "object", "properties": {
            "node": {"$ref": "#/definitions/io.example.v1.Node"}}},
        // Required, so that only a cycle could box it (optional large structs are boxed for size).
        "io.example.v1.Leaf": {"type": "object", "required": ["node"], "properties": {
            "node": {"$ref": "#/definitions/io.example.v1.Node"}}},
    })));
    let boxed = |id: &str, name: &str| {
        body(&model, id).fields.iter().find(|field| field.json_name == name).expect("field").boxed
    };
    assert!(boxed("io.example.v1.Node", "not"), "self reference");
    assert!(!boxed("io.example.v1.Node", "children"), "a Vec is already indirect");
    assert!(boxed("io.example.v1.Node", "either") && boxed("io.example.v1.Either", "node"), "a cycle");
    assert!(!boxed("io.example.v1.Leaf", "node"), "not in a cycle");
}

#[test]
fn large_optional_structs_are_boxed_but_spec_and_status_are_not() {
    let large = serde_json::json!({"type": "object", "properties": {
        "a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"}}});
    let model = build(swagger(serde_json::json!({
        "io.example.v1.Large": large,
        "io.example.v1.Small": {"type": "object", "properties": {"n": {"type": "integer", "format": "int32"}}},
        T: {"type": "object", "required": ["needed"], "properties": {
            "probe": {"$ref": "#/definitions/io.example.v1.Large"},
            "needed": {"$ref": "#/definitions/io.example.v1.Large"},
            "small": {"$ref": "#/definitions/io.example.v1.Small"},
            "spec": {"$ref": "#/definitions/io.example.v1.Large"},
            "status": {"$ref": "#/definitions/io.example.v1.Large"}}},
    })));
    let boxed = |name: &str| body(&model, T).fields.iter().find(|field| field.json_name == name).expect("field").boxed;
    assert!(boxed("probe"), "a large optional struct takes 8 bytes when unset");
    assert!(!boxed("needed"), "a required one is always there");
    assert!(!boxed("small"), "a small one costs less inline than a pointer and an allocation");
    assert!(!boxed("spec") && !boxed("status"), "set in practice");
    let file = emit_file(&model, "src/example_io_v1/thing.rs");
    assert!(file.contains("pub probe: Option<Box<crate::example_io_v1::Large>>"), "{file}");
    assert!(file.contains("pub spec: Option<crate::example_io_v1::Large>"), "{file}");
}

#[test]
fn combinators_lose_no_data() {
    let model = thing(
        serde_json::json!({
            // Validation-only branches change nothing.
            "oneOfRequired": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
                "oneOf": [{"required": ["a"]}, {"required": ["b"]}], "not": {"required": ["c"]}},
            // Object branches contribute their properties.
            "merged": {"type": "object", "properties": {"a": {"type": "string"}},
                "anyOf": [{"properties": {"extra": {"type": "integer"}}}]},
            // Incompatible shapes keep the value as JSON.
            "mixed": {"oneOf": [{"type": "string"}, {"type": "object", "properties": {"x": {"type": "string"}}}]},
            // Compatible scalar branches keep their type.
            "same": {"anyOf": [{"type": "string"}, {"type": "string"}]},
        }),
        &[],
    );
    let Shape::Ref(one_of) = field_shape(&model, T, "oneOfRequired").0 else { panic!("struct") };
    assert_eq!(body(&model, &one_of).fields.len(), 2);
    let Shape::Ref(merged) = field_shape(&model, T, "merged").0 else { panic!("struct") };
    assert_eq!(field_shape(&model, &merged, "extra"), (Shape::I64, false));
    assert_eq!(field_shape(&model, T, "mixed").0, Shape::Json);
    assert_eq!(field_shape(&model, T, "same").0, Shape::String);
}

#[test]
fn names_become_valid_identifiers_with_renames() {
    let model = thing(
        serde_json::json!({
            "type": {"type": "string"}, "$ref": {"type": "string"}, "match": {"type": "string"},
            "enum": {"type": "string"}, "x-kubernetes-int-or-string": {"type": "boolean"},
            "-Xmx": {"type": "string"}, "fooBar": {"type": "string"}, "foo_bar": {"type": "string"},
            "clusterIPs": {"type": "array", "items": {"type": "string"}},
        }),
        &[],
    );
    let fields: Vec<(&str, &str)> =
        body(&model, T).fields.iter().map(|f| (f.json_name.as_str(), f.rust_name.as_str())).collect();
    assert_eq!(
        fields,
        [
            ("$ref", "ref_"),
            ("-Xmx", "xmx"),
            ("clusterIPs", "cluster_ips"),
            ("enum", "enum_"),
            ("fooBar", "foo_bar"),
            ("foo_bar", "foo_bar_2"),
            ("match", "match_"),
            ("type", "type_"),
            ("x-kubernetes-int-or-string", "x_kubernetes_int_or_string"),
        ]
    );
    let file = emit_file(&model, "src/example_io_v1/thing.rs");
    // Encoded and decoded under their JSON names.
    assert!(file.contains(".optional(\"$ref\", &self.ref_)"), "{file}");
    assert!(file.contains(".optional(\"foo_bar\", &self.foo_bar_2)"), "{file}");
    assert!(file.contains("\"foo_bar\" => 5,"), "{file}");
    assert!(file.contains("pub type_: Option<::kubegen_runtime::Str>"), "{file}");
}

#[test]
fn descriptions_become_docs() {
    let model = build(swagger(serde_json::json!({
        T: {"type": "object", "description": "A thing.\n\n```\n<grammar> ::= x\n```",
            "properties": {"a": {"type": "string", "description": "The a."}}},
    })));
    let file = emit_file(&model, "src/example_io_v1/thing.rs");
    assert!(file.contains("/// A thing."), "{file}");
    assert!(file.contains("/// ```text"), "{file}");
    assert!(file.contains("/// The a."), "{file}");
}

#[test]
fn single_kind_types_get_type_tags() {
    let model = build(swagger(serde_json::json!({
        T: {"type": "object", "x-kubernetes-group-version-kind": [{"group": "example", "version": "v1", "kind": "Thing"}],
            "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "x": {"type": "string"}}},
    })));
    let roles: Vec<FieldRole> = body(&model, T).fields.iter().map(|field| field.role).collect();
    assert_eq!(roles, [FieldRole::ApiVersionTag, FieldRole::KindTag, FieldRole::Data]);
    let file = emit_file(&model, "src/example_io_v1/thing.rs");
    assert!(file.contains("pub api_version: ::kubegen_runtime::ApiVersion<Thing>"), "{file}");
    assert!(file.contains("const API_VERSION: &'static str = \"example/v1\";"), "{file}");
}

#[test]
fn crd_nested_types_are_named_by_path_and_shared_when_identical() {
    let manifest = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, listKind: WidgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              left: {type: object, properties: {size: {type: integer}}}
              right: {type: object, properties: {size: {type: integer}}}
              mode: {type: string, enum: [fast, slow]}
          status: {type: object, properties: {ready: {type: boolean}}}
"#;
    let model = build(crd::load_str(manifest, "widgets.yaml").expect("loads"));
    let widget = "com.example.v1.Widget";
    let resource = &model.resources[widget];
    assert!(resource.namespaced);
    assert_eq!(resource.plural, "widgets");
    assert_eq!(resource.subresources.keys().collect::<Vec<_>>(), ["status"]);
    let names: Vec<&str> =
        model.types.values().filter(|ty| ty.module == "example_com_v1").map(|ty| ty.name.as_str()).collect();
    assert_eq!(
        names,
        ["Widget", "WidgetList", "WidgetSpec", "WidgetSpecLeftOrRight", "WidgetSpecMode", "WidgetStatus"],
        "`right` and `left` share a type named after both"
    );
    let Shape::Ref(spec) = field_shape(&model, widget, "spec").0 else { panic!("spec") };
    assert_eq!(field_shape(&model, &spec, "left").0, field_shape(&model, &spec, "right").0);
    assert_eq!(
        field_shape(&model, widget, "metadata"),
        (Shape::Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta".into()), true)
    );
}

fn emit_file(model: &Model, path: &str) -> String {
    let settings = kubegen::emit::CrateSettings {
        name: "test".into(),
        version: "0.1.0".into(),
        runtime: kubegen::emit::RuntimeDependency::Path("../runtime".into()),
        inputs: vec![],
        extern_crate: None,
    };
    let files = kubegen::emit::emit(model, &settings).expect("emits");
    files.get(path).cloned().unwrap_or_else(|| panic!("no file {path}; have {:?}", files.keys().collect::<Vec<_>>()))
}

/// JSON Schema's array form of `type`, as other generators write it, maps to the type it
/// means; `null` in it makes a required property optional.
#[test]
fn type_arrays_map_to_the_type_they_mean() {
    let quantity = Shape::Ref("io.k8s.apimachinery.pkg.api.resource.Quantity".to_owned());
    let cases = [
        (serde_json::json!(["string", "null"]), Shape::String, false),
        (serde_json::json!(["null", "integer"]), Shape::I64, false),
        (serde_json::json!(["string"]), Shape::String, true),
        (serde_json::json!(["string", "integer"]), Shape::IntOrString, true),
        (serde_json::json!(["integer", "string", "null"]), Shape::IntOrString, false),
        (serde_json::json!(["string", "number"]), quantity.clone(), true),
        (serde_json::json!(["string", "integer", "number"]), quantity, true),
        (serde_json::json!(["integer", "number"]), Shape::F64, true),
        (serde_json::json!(["boolean", "string"]), Shape::Json, true),
        (serde_json::json!([]), Shape::Json, true),
    ];
    for (ty, shape, required) in cases {
        let model = thing(serde_json::json!({ "a": { "type": ty } }), &["a"]);
        assert_eq!(field_shape(&model, T, "a"), (shape, required), "{ty}");
    }
    let model = thing(serde_json::json!({ "a": { "type": ["array", "null"], "items": { "type": "string" } } }), &[]);
    assert_eq!(field_shape(&model, T, "a"), (Shape::Array(Box::new(Shape::String)), false));
    let spec =
        swagger(serde_json::json!({ T: { "type": "object", "properties": { "a": { "type": ["strin", "null"] } } } }));
    let error = build_model(spec, StalePolicy::Fail).expect_err("an unknown member");
    assert!(error.to_string().contains("/properties/a/type") && error.to_string().contains("\"strin\""), "{error}");
}

/// Definitions named after Go import paths (`k8s.io.api.core.v1.Pod`) land in the modules of
/// the published names and use the runtime's types.
#[test]
fn go_import_path_names_are_kubernetes_names() {
    let model = build(swagger(serde_json::json!({
        "k8s.io.api.example.v1.Widget": {
            "type": "object",
            "properties": {
                "metadata": { "$ref": "#/definitions/k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta" },
                "size": { "$ref": "#/definitions/k8s.io.apimachinery.pkg.api.resource.Quantity" },
            },
        },
        "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta": { "type": "object", "properties": { "name": { "type": "string" } } },
        "k8s.io.apimachinery.pkg.api.resource.Quantity": { "type": "string" },
    })));
    let widget = &model.types["io.k8s.api.example.v1.Widget"];
    assert_eq!((widget.module.as_str(), widget.name.as_str()), ("example_v1", "Widget"));
    assert!(matches!(model.types["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"].kind, TypeKind::Provided(_)));
    assert_eq!(
        field_shape(&model, "io.k8s.api.example.v1.Widget", "size").0,
        Shape::Ref("io.k8s.apimachinery.pkg.api.resource.Quantity".to_owned())
    );
    assert!(matches!(model.types["io.k8s.apimachinery.pkg.api.resource.Quantity"].kind, TypeKind::Provided(_)));
}

fn crd_with_spec(spec: &str) -> Model {
    let manifest = format!(
        r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: pipelines.example.com}}
spec:
  group: example.com
  names: {{kind: Pipeline, plural: pipelines}}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
{spec}
"#
    );
    build(crd::load_str(&manifest, "pipelines.yaml").expect("loads"))
}

/// The names of the types of the pipelines CRD, and the type of `spec.<path>` (through
/// array items).
fn pipeline_type(model: &Model, path: &[&str]) -> String {
    let mut id = "com.example.v1.Pipeline".to_owned();
    for property in ["spec"].iter().chain(path) {
        let mut shape = field_shape(model, &id, property).0;
        while let Shape::Array(inner) = shape {
            shape = *inner;
        }
        let Shape::Ref(next) = shape else { panic!("{property} is not a named type") };
        id = next;
    }
    model.types[&id].name.clone()
}

#[test]
fn nested_types_used_at_several_places_are_named_after_all_of_them() {
    let env = "{type: array, items: {type: object, properties: {name: {type: string}, value: {type: string}}}}";
    let resources = "{type: object, properties: {cpu: {type: string}, memory: {type: string}}}";
    let model = crd_with_spec(&format!(
        r#"            type: object
            properties:
              steps:
                type: array
                items: {{type: object, properties: {{name: {{type: string}}, env: {env}, limits: {resources}}}}}
              sidecars:
                type: array
                items: {{type: object, properties: {{image: {{type: string}}, env: {env}, requests: {resources}}}}}
              template: {{type: object, properties: {{retries: {{type: integer}}, image: {{type: string}}}}}}
              templateDefaults: {{type: object, properties: {{retries: {{type: integer}}, image: {{type: string}}}}}}"#
    ));
    // `steps[].env` and `sidecars[].env`: the type is named after what both places share,
    // not after one of them (a `...SidecarEnv` for a step's env would read as a mistake).
    assert_eq!(pipeline_type(&model, &["steps", "env"]), "PipelineSpecEnv");
    assert_eq!(pipeline_type(&model, &["sidecars", "env"]), "PipelineSpecEnv");
    // No common ending: both endings.
    assert_eq!(pipeline_type(&model, &["steps", "limits"]), "PipelineSpecSidecarRequestsOrStepLimits");
    // One place's name begins the other's: that one.
    assert_eq!(pipeline_type(&model, &["templateDefaults"]), "PipelineSpecTemplate");
    // Places with their own schema keep their own names.
    assert_eq!(pipeline_type(&model, &["steps"]), "PipelineSpecStep");
    assert_eq!(pipeline_type(&model, &["sidecars"]), "PipelineSpecSidecar");
}

#[test]
fn a_shared_type_takes_the_ending_most_of_its_places_have() {
    let volume = "{type: object, properties: {name: {type: string}, size: {type: string}}}";
    let model = crd_with_spec(&format!(
        r#"            type: object
            properties:
              volumes: {{type: array, items: {volume}}}
              cache: {{type: object, properties: {{volumes: {{type: array, items: {volume}}}}}}}
              workspace: {{type: object, properties: {{volumes: {{type: array, items: {volume}}}}}}}
              persistentVolumeClaims: {{type: array, items: {volume}}}"#
    ));
    for path in [&["volumes"][..], &["cache", "volumes"], &["persistentVolumeClaims"]] {
        assert_eq!(pipeline_type(&model, path), "PipelineSpecVolume", "{path:?}");
    }
}
