//! `DynamicObject`: an object of any kind.

use serde::{Deserialize, Serialize};

use super::ApiResource;
use crate::client::{Api, Client};
use crate::resource::{Object, subresource, verbs};
use crate::types::ObjectMeta;

/// An object of any kind: its type and metadata typed, everything else (`spec`, `status`,
/// `data`, ...) kept as JSON.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DynamicObject {
    /// `group/version`, or `version` for the core group.
    #[serde(rename = "apiVersion", default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// The kind.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Standard metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Every other field.
    #[serde(flatten)]
    pub data: serde_json::Map<String, serde_json::Value>,
}

impl DynamicObject {
    /// An object of `kind` in `api_version` named `name`.
    pub fn new(api_version: &str, kind: &str, name: &str) -> Self {
        Self {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
            metadata: ObjectMeta { name: Some(name.into()), ..ObjectMeta::default() },
            data: serde_json::Map::new(),
        }
    }

    /// With `field` set to `value` (for example `spec`).
    pub fn with(mut self, field: &str, value: serde_json::Value) -> Self {
        self.data.insert(field.to_owned(), value);
        self
    }

    /// Converts into a typed object.
    pub fn try_parse<K: serde::de::DeserializeOwned>(&self) -> Result<K, serde_json::Error> {
        serde_json::from_value(serde_json::to_value(self)?)
    }
}

impl Api<DynamicObject> {
    /// The objects of a resource found by discovery, in `namespace` (or every namespace, and
    /// cluster-scoped resources, with `None`).
    pub fn dynamic(client: Client, resource: &ApiResource, namespace: Option<&str>) -> Self {
        Api::from_path(client, resource.path(namespace))
    }
}

impl Object for DynamicObject {
    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

// Which verbs a dynamic resource supports is known only at run time (discovery lists them);
// the server answers 405 to the others.
impl verbs::Get for DynamicObject {}
impl verbs::List for DynamicObject {}
impl verbs::Watch for DynamicObject {}
impl verbs::Create for DynamicObject {}
impl verbs::Update for DynamicObject {}
impl verbs::Patch for DynamicObject {}
impl verbs::Delete for DynamicObject {}
impl verbs::DeleteCollection for DynamicObject {}
impl subresource::Status for DynamicObject {}
impl subresource::Scale for DynamicObject {
    type Scale = serde_json::Value;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_every_field_and_types_metadata() {
        let json = serde_json::json!({
            "apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": {"name": "c", "namespace": "n", "managedFields": [{"manager": "m", "fieldsV1": {"f:spec": {}}}]},
            "spec": {"secretName": "s"}, "status": {"revision": 2}
        });
        let text = json.to_string();
        let object: DynamicObject = serde_json::from_str(&text).expect("decodes");
        assert_eq!(object.metadata.name(), "c");
        assert_eq!(object.data["spec"]["secretName"], "s");
        assert_eq!(serde_json::to_value(&object).expect("encodes"), json);
    }
}
