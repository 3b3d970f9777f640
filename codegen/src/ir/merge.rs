//! Merge semantics of fields, for server-side apply: what the API server's structured merge
//! reads from a schema.
//!
//! Lists: `x-kubernetes-list-type` (`atomic`, `set`, `map` with `x-kubernetes-list-map-keys`),
//! else, as kube-openapi's conversion does, a `merge` patch strategy (a map list on its merge
//! key, or a set without one), else atomic. Maps and structs: `x-kubernetes-map-type`
//! (`atomic` or `granular`), granular by default.

use crate::spec::Schema;

/// How a field's value merges when several managers apply it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Merge {
    /// No annotation: granular for maps and structs (unless the struct's type is atomic),
    /// atomic for lists.
    #[default]
    Default,
    /// Replaced as a whole, owned by one manager.
    Atomic,
    /// A map or struct whose entries are owned one by one.
    Granular,
    /// A list of scalars owned value by value.
    Set,
    /// A list of objects owned item by item, identified by these keys.
    MapList(Vec<String>),
}

/// The semantics a property's schema declares.
pub fn of_property(schema: &Schema) -> Merge {
    match schema.list_type.as_deref() {
        Some("atomic") => return Merge::Atomic,
        Some("set") => return Merge::Set,
        Some("map") => return Merge::MapList(schema.list_map_keys.clone()),
        _ => {}
    }
    match schema.map_type.as_deref() {
        Some("atomic") => return Merge::Atomic,
        Some("granular") => return Merge::Granular,
        _ => {}
    }
    let merge_strategy =
        schema.patch_strategy.as_deref().is_some_and(|strategy| strategy.split(',').any(|part| part == "merge"));
    match (merge_strategy, &schema.patch_merge_key) {
        (true, Some(key)) => Merge::MapList(vec![key.clone()]),
        (true, None) => Merge::Set,
        (false, _) => Merge::Default,
    }
}

/// Whether a struct's own schema makes it atomic (`x-kubernetes-map-type: atomic`).
pub fn atomic_struct(schema: &Schema) -> bool {
    schema.map_type.as_deref() == Some("atomic")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(json: serde_json::Value) -> Schema {
        serde_json::from_value(json).expect("a schema")
    }

    #[test]
    fn list_type_wins_then_patch_strategy_then_atomic() {
        let map_list = schema(serde_json::json!({
            "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["containerPort", "protocol"],
            "x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "containerPort"
        }));
        assert_eq!(of_property(&map_list), Merge::MapList(vec!["containerPort".into(), "protocol".into()]));
        let by_strategy = schema(serde_json::json!({
            "type": "array", "x-kubernetes-patch-strategy": "merge,retainKeys", "x-kubernetes-patch-merge-key": "name"
        }));
        assert_eq!(of_property(&by_strategy), Merge::MapList(vec!["name".into()]));
        let set = schema(serde_json::json!({"type": "array", "x-kubernetes-patch-strategy": "merge"}));
        assert_eq!(of_property(&set), Merge::Set);
        assert_eq!(of_property(&schema(serde_json::json!({"type": "array"}))), Merge::Default);
        let atomic = schema(serde_json::json!({"type": "object", "x-kubernetes-map-type": "atomic"}));
        assert_eq!(of_property(&atomic), Merge::Atomic);
        assert!(atomic_struct(&atomic));
    }
}
