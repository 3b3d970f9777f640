use serde_json::json;

use super::schema::{Member, OBJECT_META, Schema};
use super::{extract_fields, object_meta_schema};

fn container() -> &'static Schema {
    static CONTAINER: Schema =
        Schema { fields: &[("env", Member::MapList(&["name"], &Member::Free)), ("resources", Member::Struct(empty))] };
    &CONTAINER
}

fn empty() -> &'static Schema {
    static EMPTY: Schema = Schema { fields: &[] };
    &EMPTY
}

fn spec() -> &'static Schema {
    static SPEC: Schema = Schema {
        fields: &[
            ("containers", Member::MapList(&["name"], &Member::Struct(container))),
            ("metadata", Member::Struct(object_meta_schema)),
            ("template", Member::Struct(empty)),
        ],
    };
    &SPEC
}

#[test]
fn a_manager_gets_only_its_fields_with_the_keys_of_its_items() {
    let object = json!({
        "metadata": {"name": "web", "labels": {"a": "1", "b": "2"}, "finalizers": ["x", "y"]},
        "containers": [
            {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
            {"name": "side", "image": "side:1"}
        ],
        "replicas": 3,
        "template": {"x": 1}
    });
    let fields = json!({
        "f:metadata": {"f:labels": {"f:b": {}}, "f:finalizers": {"v:\"y\"": {}}},
        "f:containers": {"k:{\"name\":\"app\"}": {".": {}, "f:env": {"k:{\"name\":\"B\"}": {".": {}, "f:value": {}}}}},
        "f:replicas": {},
        "f:template": {}
    });
    let extracted = extract_fields(&object, Some(&fields), spec());
    assert_eq!(
        extracted,
        json!({
            "metadata": {"labels": {"b": "2"}, "finalizers": ["y"]},
            "containers": [{"name": "app", "env": [{"name": "B", "value": "2"}]}],
            "replicas": 3,
            "template": {}
        })
    );
}

#[test]
fn atomic_and_free_form_leaves_take_the_whole_value() {
    let object = json!({"selector": {"matchLabels": {"a": "1"}}, "args": ["x", "y"], "missing_here": null});
    let fields = json!({"f:selector": {}, "f:args": {}, "f:absent": {}});
    assert_eq!(
        extract_fields(&object, Some(&fields), empty()),
        json!({"selector": {"matchLabels": {"a": "1"}}, "args": ["x", "y"]})
    );
}

#[test]
fn no_field_set_gives_an_empty_object() {
    assert_eq!(extract_fields(&json!({"a": 1}), None, empty()), json!({}));
}

#[test]
fn object_meta_lists_its_granular_fields_sorted() {
    let names: Vec<_> = OBJECT_META.fields.iter().map(|(name, _)| *name).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
}
