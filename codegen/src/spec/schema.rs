//! The JSON Schema subset that Kubernetes uses, shared by all three inputs.
//!
//! Swagger 2.0 definitions, OpenAPI 3 component schemas and a CRD's `openAPIV3Schema` are the
//! same dialect for our purposes (OpenAPI 3 adds `oneOf`/`anyOf`/`nullable`, CRDs add a few
//! `x-kubernetes-*` extensions), so one serde type reads them all. Keywords that only validate
//! (`pattern`, `maxLength`, CEL rules, ...) are ignored: they do not change the Rust type.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One schema object.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Schema {
    /// `$ref`; after loading, the bare name of the referenced definition.
    #[serde(rename = "$ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Human-readable description, becomes the doc comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `type`, kept as text so an unknown type is reported with its location. JSON Schema's
    /// array form (`["string", "null"]`, written by generators other than Kubernetes') is
    /// kept joined with `|` (`string|null`); lowering reads it (`ir::lower`).
    #[serde(rename = "type", deserialize_with = "type_or_types", skip_serializing_if = "Option::is_none")]
    pub ty: Option<String>,
    /// `format`, for example `int32`, `byte`, `date-time`, `int-or-string`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Object properties by JSON name (sorted, as the API server publishes them).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, Schema>,
    /// Names of required properties.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub required: Vec<String>,
    /// Schema of array items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Box<Schema>>,
    /// Schema of map values, or whether other properties are allowed.
    #[serde(rename = "additionalProperties", skip_serializing_if = "Option::is_none")]
    pub additional_properties: Option<AdditionalProperties>,
    /// `allOf`; OpenAPI 3 wraps every `$ref` with siblings in a one-element `allOf`.
    #[serde(rename = "allOf", skip_serializing_if = "Vec::is_empty")]
    pub all_of: Vec<Schema>,
    /// `oneOf`.
    #[serde(rename = "oneOf", skip_serializing_if = "Vec::is_empty")]
    pub one_of: Vec<Schema>,
    /// `anyOf`.
    #[serde(rename = "anyOf", skip_serializing_if = "Vec::is_empty")]
    pub any_of: Vec<Schema>,
    /// `not`: validation only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not: Option<Box<Schema>>,
    /// Default value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// Allowed values.
    #[serde(rename = "enum", skip_serializing_if = "Option::is_none")]
    pub enum_values: Option<Vec<serde_json::Value>>,
    /// OpenAPI 3 `nullable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nullable: Option<bool>,
    /// Group/version/kinds this schema is the type of.
    #[serde(rename = "x-kubernetes-group-version-kind", skip_serializing_if = "Vec::is_empty")]
    pub group_version_kinds: Vec<GroupVersionKind>,
    /// An integer or a string.
    #[serde(rename = "x-kubernetes-int-or-string", skip_serializing_if = "is_false")]
    pub int_or_string: bool,
    /// Fields not in `properties` are kept by the server.
    #[serde(rename = "x-kubernetes-preserve-unknown-fields", skip_serializing_if = "Option::is_none")]
    pub preserve_unknown_fields: Option<bool>,
    /// An embedded object with its own `apiVersion`, `kind` and `metadata`.
    #[serde(rename = "x-kubernetes-embedded-resource", skip_serializing_if = "is_false")]
    pub embedded_resource: bool,
    /// `atomic`, `set` or `map`, for lists.
    #[serde(rename = "x-kubernetes-list-type", skip_serializing_if = "Option::is_none")]
    pub list_type: Option<String>,
    /// Keys of `map` lists.
    #[serde(rename = "x-kubernetes-list-map-keys", skip_serializing_if = "Vec::is_empty")]
    pub list_map_keys: Vec<String>,
    /// `atomic` or `granular`, for maps and structs.
    #[serde(rename = "x-kubernetes-map-type", skip_serializing_if = "Option::is_none")]
    pub map_type: Option<String>,
    /// Strategic merge patch strategy.
    #[serde(rename = "x-kubernetes-patch-strategy", skip_serializing_if = "Option::is_none")]
    pub patch_strategy: Option<String>,
    /// Strategic merge patch key.
    #[serde(rename = "x-kubernetes-patch-merge-key", skip_serializing_if = "Option::is_none")]
    pub patch_merge_key: Option<String>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// `additionalProperties`: a schema for map values, or a boolean.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AdditionalProperties {
    /// `true` (any values) or `false` (no other properties).
    Bool(bool),
    /// The schema of every value.
    Schema(Box<Schema>),
}

/// An `x-kubernetes-group-version-kind` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupVersionKind {
    /// API group, empty for core.
    pub group: String,
    /// Version.
    pub version: String,
    /// Kind.
    pub kind: String,
}

impl GroupVersionKind {
    /// `group/version`, or `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.clone() } else { format!("{}/{}", self.group, self.version) }
    }
}

impl std::fmt::Display for GroupVersionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.api_version(), self.kind)
    }
}

impl Schema {
    /// True if the schema has nothing but a `$ref` (and, possibly, description and default).
    pub fn is_plain_reference(&self) -> bool {
        let Some(reference) = &self.reference else {
            return false;
        };
        let bare = Schema {
            reference: Some(reference.clone()),
            description: self.description.clone(),
            default: self.default.clone(),
            ..Schema::default()
        };
        *self == bare
    }

    /// The schemas directly nested in this one (properties, items, values, branches).
    pub fn children(&self) -> Vec<&Schema> {
        let mut children: Vec<&Schema> = self.properties.values().collect();
        children.extend(self.items.as_deref());
        if let Some(AdditionalProperties::Schema(schema)) = &self.additional_properties {
            children.push(schema);
        }
        children.extend(self.all_of.iter().chain(&self.one_of).chain(&self.any_of));
        children.extend(self.not.as_deref());
        children
    }

    /// Visits this schema and every schema nested in it, mutably, with JSON pointer tokens
    /// relative to this schema.
    pub fn children_mut(&mut self) -> Vec<(Vec<String>, &mut Schema)> {
        let mut children: Vec<(Vec<String>, &mut Schema)> = Vec::new();
        for (name, schema) in &mut self.properties {
            children.push((vec!["properties".into(), name.clone()], schema));
        }
        if let Some(items) = &mut self.items {
            children.push((vec!["items".into()], items));
        }
        if let Some(AdditionalProperties::Schema(schema)) = &mut self.additional_properties {
            children.push((vec!["additionalProperties".into()], schema));
        }
        for (keyword, list) in [("allOf", &mut self.all_of), ("oneOf", &mut self.one_of), ("anyOf", &mut self.any_of)] {
            for (index, schema) in list.iter_mut().enumerate() {
                children.push((vec![keyword.into(), index.to_string()], schema));
            }
        }
        if let Some(not) = &mut self.not {
            children.push((vec!["not".into()], not));
        }
        children
    }
}

/// `type` as a string, or an array of strings joined with `|`.
fn type_or_types<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TypeField {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<TypeField>::deserialize(deserializer)? {
        None => None,
        Some(TypeField::One(ty)) => Some(ty),
        Some(TypeField::Many(types)) => Some(types.join("|")),
    })
}
