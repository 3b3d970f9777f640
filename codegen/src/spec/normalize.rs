//! Normalizing a loaded schema tree: bare `$ref` names and unwrapped `allOf` wrappers.

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
