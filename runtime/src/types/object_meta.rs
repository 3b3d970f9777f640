//! `ObjectMeta` and the types it holds.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use super::struct_decode::impl_decode_fields;
use super::{Str, StringMap, Time, json_text};

/// Metadata every persisted object has: name, namespace, labels, resourceVersion, owners, ...
/// (`meta/v1` `ObjectMeta`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    /// Unstructured key/value data set by external tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<StringMap<Str>>,
    /// When the object was created, set by the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<Time>,
    /// Seconds allowed for graceful termination before the object is removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_grace_period_seconds: Option<i64>,
    /// When the object will be deleted, set by the server when deletion is requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_timestamp: Option<Time>,
    /// Finalizers that must be removed before the object is deleted.
    #[serde(default, deserialize_with = "super::exact_vec::option_vec", skip_serializing_if = "Option::is_none")]
    pub finalizers: Option<Vec<Str>>,
    /// Prefix for a name the server generates when `name` is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate_name: Option<Str>,
    /// Sequence number of a specific generation of the desired state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    /// Labels used to select objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<StringMap<Str>>,
    /// Which field manager owns which fields (server-side apply).
    #[serde(default, deserialize_with = "super::exact_vec::option_vec", skip_serializing_if = "Option::is_none")]
    pub managed_fields: Option<Vec<ManagedFieldsEntry>>,
    /// Name, unique within a namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Str>,
    /// Namespace, empty for cluster-scoped objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Str>,
    /// Objects this object depends on, for garbage collection.
    #[serde(default, deserialize_with = "super::exact_vec::option_vec", skip_serializing_if = "Option::is_none")]
    pub owner_references: Option<Vec<OwnerReference>>,
    /// Opaque version of the object, for optimistic concurrency and watches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<Str>,
    /// Deprecated; not set by current servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_link: Option<Str>,
    /// Unique identifier of this incarnation of the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<Str>,
}

// Decoded as generated types are: a repeated key's last value wins (as in Go), where serde's
// derive would fail the whole object.
impl_decode_fields!(ObjectMeta {
    0 "annotations" => annotations: optional,
    1 "creationTimestamp" => creation_timestamp: optional,
    2 "deletionGracePeriodSeconds" => deletion_grace_period_seconds: optional,
    3 "deletionTimestamp" => deletion_timestamp: optional,
    4 "finalizers" => finalizers: optional_vec,
    5 "generateName" => generate_name: optional,
    6 "generation" => generation: optional,
    7 "labels" => labels: optional,
    8 "managedFields" => managed_fields: optional_vec,
    9 "name" => name: optional,
    10 "namespace" => namespace: optional,
    11 "ownerReferences" => owner_references: optional_vec,
    12 "resourceVersion" => resource_version: optional,
    13 "selfLink" => self_link: optional,
    14 "uid" => uid: optional,
});

impl_decode_fields!(OwnerReference {
    0 "apiVersion" => api_version: required,
    1 "blockOwnerDeletion" => block_owner_deletion: optional,
    2 "controller" => controller: optional,
    3 "kind" => kind: required,
    4 "name" => name: required,
    5 "uid" => uid: required,
});

impl_decode_fields!(ManagedFieldsEntry {
    0 "apiVersion" => api_version: optional,
    1 "fieldsType" => fields_type: optional,
    2 "fieldsV1" => fields_v1: optional,
    3 "manager" => manager: optional,
    4 "operation" => operation: optional,
    5 "subresource" => subresource: optional,
    6 "time" => time: optional,
});

impl ObjectMeta {
    /// The object's name, or `""` when it has none yet.
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }

    /// The object's namespace, or `None` for cluster-scoped objects.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref().filter(|namespace| !namespace.is_empty())
    }

    /// The object's resourceVersion, or `None` when the server has not set one.
    pub fn resource_version(&self) -> Option<&str> {
        self.resource_version.as_deref().filter(|version| !version.is_empty())
    }

    /// The label with this key, if set.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.as_ref()?.get(key).map(Str::as_str)
    }

    /// The annotation with this key, if set.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.as_ref()?.get(key).map(Str::as_str)
    }
}

/// A reference to an object that owns this one (`meta/v1` `OwnerReference`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerReference {
    /// API version of the owner.
    #[serde(default)]
    pub api_version: Str,
    /// If true, the owner cannot be deleted from the key-value store until this reference is
    /// removed (foreground deletion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_owner_deletion: Option<bool>,
    /// If true, this reference points to the managing controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<bool>,
    /// Kind of the owner.
    #[serde(default)]
    pub kind: Str,
    /// Name of the owner.
    #[serde(default)]
    pub name: Str,
    /// UID of the owner.
    #[serde(default)]
    pub uid: Str,
}

/// One field manager's ownership of fields (`meta/v1` `ManagedFieldsEntry`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedFieldsEntry {
    /// API version of the fields' schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<Str>,
    /// Format of `fieldsV1`; only `FieldsV1` is defined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields_type: Option<Str>,
    /// The set of owned fields.
    #[serde(default, rename = "fieldsV1", skip_serializing_if = "Option::is_none")]
    pub fields_v1: Option<FieldsV1>,
    /// The manager's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<Str>,
    /// `Apply` or `Update`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<Str>,
    /// The subresource the fields were written through, empty for the main resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subresource: Option<Str>,
    /// When the fields were last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Time>,
}

/// A set of fields as a JSON trie (`meta/v1` `FieldsV1`), kept as its JSON text: clients
/// rarely read it, and parsing it into a tree would cost most of an object's memory.
///
/// The text is always one JSON value: every way of making one checks it.
#[derive(Clone, PartialEq)]
pub struct FieldsV1(Box<str>);

impl FieldsV1 {
    /// A field set from its JSON text; serde_json's error (with the line and column) when the
    /// text is not one JSON value. Whitespace around the value is dropped.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        json_text::check(text).map(|value| Self(value.into()))
    }

    /// The JSON text of the field set.
    pub fn as_json(&self) -> &str {
        &self.0
    }

    /// The field set parsed into a JSON value.
    pub fn to_value(&self) -> serde_json::Value {
        // The text was checked when the set was made, so it parses.
        serde_json::from_str(&self.0).unwrap_or(serde_json::Value::Null)
    }

    /// A field set from a JSON value.
    pub fn from_value(value: &serde_json::Value) -> Self {
        // serde_json writes JSON.
        Self(value.to_string().into())
    }
}

impl Default for FieldsV1 {
    fn default() -> Self {
        Self("{}".into())
    }
}

impl fmt::Debug for FieldsV1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FieldsV1").field(&self.as_json()).finish()
    }
}

impl Serialize for FieldsV1 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Written as raw JSON, which takes a `RawValue`; making one checks the text again
        // (with serde_json), which costs a write what the fast check saved the read.
        let raw: &RawValue = serde_json::from_str(&self.0).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for FieldsV1 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(|raw| Self(raw.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule of every generated type: a repeated key's last value wins, also inside
    /// `ObjectMeta` and the types it holds.
    #[test]
    fn a_repeated_key_takes_its_last_value() {
        let meta: ObjectMeta = serde_json::from_str(
            r#"{"name":"a","labels":{"x":"1"},"name":"b","ownerReferences":[{"kind":"K","kind":"L"}],"labels":{"y":"2"},"uid":null}"#,
        )
        .expect("decodes");
        assert_eq!(meta.name(), "b");
        assert_eq!(meta.label("y"), Some("2"));
        assert_eq!(meta.label("x"), None);
        assert_eq!(meta.owner_references.as_deref().map(|owners| owners[0].kind.as_str()), Some("L"));
        let list: crate::ListMeta =
            serde_json::from_str(r#"{"resourceVersion":"1","resourceVersion":"2"}"#).expect("decodes");
        assert_eq!(list.resource_version.as_deref(), Some("2"));
        let error = serde_json::from_str::<ObjectMeta>(r#"{"name":7}"#).expect_err("a number for a name");
        assert!(error.to_string().contains("invalid type"), "{error}");
    }

    #[test]
    fn fields_v1_round_trips_verbatim() {
        let json = r#"{"manager":"kubectl","fieldsV1":{"f:metadata":{"f:labels":{".":{}}}}}"#;
        let entry: ManagedFieldsEntry = serde_json::from_str(json).expect("decodes");
        assert_eq!(
            serde_json::to_string(&entry).expect("encodes"),
            r#"{"fieldsV1":{"f:metadata":{"f:labels":{".":{}}}},"manager":"kubectl"}"#
        );
        let via_value: ManagedFieldsEntry =
            serde_json::from_value(serde_json::from_str(json).expect("parses")).expect("decodes from a value");
        assert_eq!(via_value, entry);
    }

    #[test]
    fn accessors_treat_empty_as_absent() {
        let meta = ObjectMeta { namespace: Some(Str::default()), ..ObjectMeta::default() };
        assert_eq!(meta.namespace(), None);
        assert_eq!(meta.name(), "");
        assert_eq!(meta.resource_version(), None);
    }
}
