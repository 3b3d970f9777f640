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
