//! Walking a `FieldsV1` set over an object: what one field manager owns.
//!
//! `FieldsV1` is a trie: `f:<name>` is a struct field or map key, `k:<json>` the map-list
//! item with those key values, `v:<json>` a set item, `i:<n>` a list index, and `.` the node
//! itself. A leaf owns its whole value, except a granular struct or map, whose leaf means
//! "present, empty" (what applying `{}` records).

use serde_json::{Map, Value};

use super::schema::{Member, Schema};

/// Why an apply configuration could not be extracted.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The object did not serialize.
    #[error("extract: encoding the object: {0}")]
    Encode(#[source] serde_json::Error),
    /// The owned fields did not decode as the apply configuration.
    #[error("extract: decoding the owned fields as an apply configuration: {0}")]
    Decode(#[source] serde_json::Error),
}

/// The parts of `object` (a struct of `schema`) that the field set `fields` names; an empty
/// object when there is no set.
pub fn extract_fields(object: &Value, fields: Option<&Value>, schema: &'static Schema) -> Value {
    match fields.and_then(Value::as_object) {
        Some(fields) => walk_struct(object, fields, Some(schema)),
        None => Value::Object(Map::new()),
    }
}

/// A struct or map: the children `f:<name>` that the object has.
fn walk_struct(value: &Value, fields: &Map<String, Value>, schema: Option<&'static Schema>) -> Value {
    walk_object(value, fields, |name| schema.map_or(&Member::Free, |schema| schema.member(name)))
}

fn walk_object(value: &Value, fields: &Map<String, Value>, member_of: impl Fn(&str) -> &'static Member) -> Value {
    let Some(object) = value.as_object() else { return value.clone() };
    let mut out = Map::new();
    for (path, children) in fields {
        let Some(name) = path.strip_prefix("f:") else { continue };
        if let Some(child) = object.get(name) {
            out.insert(name.to_owned(), walk(child, children, member_of(name)));
        }
    }
    Value::Object(out)
}

/// Any value, by its member semantics.
fn walk(value: &Value, fields: &Value, member: &'static Member) -> Value {
    let children = fields.as_object().filter(|children| children.keys().any(|key| key != "."));
    match (member, children) {
        (Member::Struct(schema), Some(children)) => walk_struct(value, children, Some(schema())),
        (Member::Map(values), Some(children)) => walk_object(value, children, |_| values),
        (Member::Struct(_) | Member::Map(_), None) if value.is_object() => Value::Object(Map::new()),
        (Member::MapList(_, items), Some(children)) => walk_list(value, children, items),
        (Member::Set, Some(children)) => walk_list(value, children, &Member::Free),
        (Member::Free, Some(children)) if value.is_object() => walk_struct(value, children, None),
        (Member::Free, Some(children)) if value.is_array() => walk_list(value, children, &Member::Free),
        _ => value.clone(),
    }
}

/// A list: the items named by `k:`, `v:` or `i:` children, in the object's order.
fn walk_list(value: &Value, fields: &Map<String, Value>, items: &'static Member) -> Value {
    let Some(list) = value.as_array() else { return value.clone() };
    let mut owned: Vec<(usize, Value)> = Vec::new();
    for (path, children) in fields {
        if let Some(key) = path.strip_prefix("k:") {
            let Ok(Value::Object(key)) = serde_json::from_str::<Value>(key) else { continue };
            let Some(index) = list.iter().position(|item| matches_key(item, &key)) else { continue };
            let mut item = walk(&list[index], children, items);
            // The keys identify the item whoever owns them: without them the server could
            // not merge it.
            if let Some(item) = item.as_object_mut() {
                for (name, value) in &key {
                    item.insert(name.clone(), value.clone());
                }
            }
            owned.push((index, item));
        } else if let Some(text) = path.strip_prefix("v:") {
            let Ok(wanted) = serde_json::from_str::<Value>(text) else { continue };
            if let Some(index) = list.iter().position(|item| *item == wanted) {
                owned.push((index, wanted));
            }
        } else if let Some(index) = path.strip_prefix("i:").and_then(|index| index.parse::<usize>().ok())
            && let Some(item) = list.get(index)
        {
            owned.push((index, walk(item, children, items)));
        }
    }
    owned.sort_by_key(|(index, _)| *index);
    owned.dedup_by_key(|(index, _)| *index);
    Value::Array(owned.into_iter().map(|(_, item)| item).collect())
}

fn matches_key(item: &Value, key: &Map<String, Value>) -> bool {
    key.iter().all(|(name, value)| item.get(name) == Some(value))
}
