//! Normalizing a loaded schema tree: bare `$ref` names and unwrapped `allOf` wrappers.

use std::collections::BTreeMap;

use super::raw::RawSpec;
use super::schema::Schema;
use crate::error::{Error, Result};
use crate::location::Location;

/// Rewrites every `$ref` under `schema` from `<prefix><name>` to `<name>`, and replaces each
/// one-element `allOf: [{$ref}]` wrapper (OpenAPI 3's way of giving a reference a description
/// or a default) by the reference itself, keeping the wrapper's description and default.
pub fn normalize(schema: &mut Schema, location: &Location, prefix: &str) -> Result<()> {
    if schema.all_of.len() == 1
        && schema.all_of[0].is_plain_reference()
        && schema.reference.is_none()
        && schema.ty.is_none()
        && schema.properties.is_empty()
    {
        let wrapped = schema.all_of.remove(0);
        schema.reference = wrapped.reference;
        if schema.description.is_none() {
            schema.description = wrapped.description;
        }
        if schema.default.is_none() {
            schema.default = wrapped.default;
        }
    }
    if let Some(reference) = &mut schema.reference {
        match reference.strip_prefix(prefix) {
            Some(name) if !name.is_empty() => *reference = name.to_owned(),
            _ => {
                return Err(Error::spec(
                    &location.join("$ref"),
                    format!("`$ref` {reference:?} does not point into {prefix:?}"),
                ));
            }
        }
    }
    for (tokens, child) in schema.children_mut() {
        let mut child_location = location.clone();
        for token in &tokens {
            child_location = child_location.join(token);
        }
        normalize(child, &child_location, prefix)?;
    }
    Ok(())
}

/// The prefix of definitions named after Go import paths (`k8s.io.api.core.v1.Pod`, from
/// `k8s.io/api/core/v1`), as some generators name Kubernetes' own types.
const GO_PATH_PREFIX: &str = "k8s.io.";

/// Renames definitions named after Go import paths to the names Kubernetes publishes
/// (`k8s.io.api.core.v1.Pod` is `io.k8s.api.core.v1.Pod`), with every `$ref` to them, so
/// they land in the same modules and the runtime's types (`ObjectMeta`, `Quantity`, ...) are
/// used for them. A name whose published form is also defined is left as it is.
pub fn go_package_names(spec: &mut RawSpec) {
    let renames: BTreeMap<String, String> = spec
        .definitions
        .keys()
        .filter_map(|name| {
            let renamed = format!("io.k8s.{}", name.strip_prefix(GO_PATH_PREFIX)?);
            (!spec.definitions.contains_key(&renamed)).then(|| (name.clone(), renamed))
        })
        .collect();
    rename_definitions(spec, &renames);
}

/// Renames definitions (`old` to `new`), with every `$ref` to them and every operation's
/// request and response type.
pub fn rename_definitions(spec: &mut RawSpec, renames: &BTreeMap<String, String>) {
    if renames.is_empty() {
        return;
    }
    for (old, new) in renames {
        if let Some(definition) = spec.definitions.remove(old) {
            spec.definitions.insert(new.clone(), definition);
        }
    }
    for definition in spec.definitions.values_mut() {
        rename_references(&mut definition.schema, renames);
    }
    for operation in &mut spec.operations {
        for slot in [&mut operation.request_type, &mut operation.response_type] {
            if let Some(new) = slot.as_ref().and_then(|name| renames.get(name)) {
                *slot = Some(new.clone());
            }
        }
    }
}

fn rename_references(schema: &mut Schema, renames: &BTreeMap<String, String>) {
    if let Some(new) = schema.reference.as_ref().and_then(|reference| renames.get(reference)) {
        schema.reference = Some(new.clone());
    }
    for (_, child) in schema.children_mut() {
        rename_references(child, renames);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwraps_all_of_and_keeps_description_and_default() {
        let mut schema: Schema = serde_json::from_str(
            r##"{"properties": {"spec": {"allOf": [{"$ref": "#/components/schemas/a.B"}],
                "default": {}, "description": "the spec"}}}"##,
        )
        .expect("parses");
        normalize(&mut schema, &Location::document("doc.json"), "#/components/schemas/").expect("normalizes");
        let spec = &schema.properties["spec"];
        assert_eq!(spec.reference.as_deref(), Some("a.B"));
        assert_eq!(spec.description.as_deref(), Some("the spec"));
        assert_eq!(spec.default, Some(serde_json::json!({})));
        assert!(spec.all_of.is_empty());
    }

    #[test]
    fn foreign_references_name_their_location() {
        let mut schema: Schema = serde_json::from_str(r##"{"items": {"$ref": "other.json#/x"}}"##).expect("parses");
        let error = normalize(&mut schema, &Location::document("doc.json"), "#/definitions/").expect_err("rejects");
        assert_eq!(
            error.to_string(),
            "doc.json#/items/$ref: `$ref` \"other.json#/x\" does not point into \"#/definitions/\""
        );
    }
}
