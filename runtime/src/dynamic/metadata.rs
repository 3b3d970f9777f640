//! `PartialObjectMetadata`: the metadata of an object of any resource, and nothing else.
//!
//! The server converts objects to it when asked (`as=PartialObjectMetadata;g=meta.k8s.io;v=v1`
//! in `Accept`, `PartialObjectMetadataList` for lists), so a list, a watch or an informer of
//! it moves and keeps only metadata: the way to follow every object of a resource whose
//! bodies are large (Secrets, ConfigMaps) or whose type is not generated. The conversion is
//! available in protobuf for every resource, custom resources included, which otherwise
//! answer protobuf with 406.

use serde::{Deserialize, Serialize};

use super::ApiResource;
use crate::client::{Api, Client};
use crate::proto::{DecodeError, ObjectHead, decode_message};
use crate::resource::{Object, Resource, verbs};
use crate::types::ObjectMeta;

/// `meta.k8s.io/v1`, the group/version of [`PartialObjectMetadata`].
pub const METADATA_API_VERSION: &str = "meta.k8s.io/v1";

/// The kind the server gives converted objects.
pub const METADATA_KIND: &str = "PartialObjectMetadata";

/// The metadata of an object of any resource (`meta.k8s.io/v1` `PartialObjectMetadata`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PartialObjectMetadata {
    /// `meta.k8s.io/v1` when the server converted the object; the object's own otherwise.
    #[serde(rename = "apiVersion", default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `PartialObjectMetadata` when the server converted the object; the object's own
    /// otherwise.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Standard metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
}

impl Object for PartialObjectMetadata {
    // Every server that converts to PartialObjectMetadata encodes it in protobuf, for custom
    // resources too; `Config::protobuf` still switches it off.
    const PROTOBUF: bool = true;
    const METADATA_ONLY: bool = true;

    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }

    fn from_protobuf(raw: &[u8]) -> Result<Self, DecodeError> {
        // Field 1 is the metadata in PartialObjectMetadata and in every Kubernetes object,
        // so an answer the server did not convert decodes the same way.
        let head: ObjectHead = decode_message(raw, 0)?;
        Ok(Self {
            api_version: METADATA_API_VERSION.to_owned(),
            kind: METADATA_KIND.to_owned(),
            metadata: head.metadata,
        })
    }
}

impl Api<PartialObjectMetadata> {
    /// The metadata of the objects of a resource found by discovery (or
    /// [`ApiResource::of`] a generated type), in `namespace` (or every namespace, and
    /// cluster-scoped resources, with `None`).
    pub fn metadata(client: Client, resource: &ApiResource, namespace: Option<&str>) -> Self {
        Api::from_path(client, resource.path(namespace))
    }

    /// The metadata of the objects of the generated resource `K`, in `namespace` (or every
    /// namespace, and cluster-scoped resources, with `None`).
    pub fn metadata_of<K: Resource>(client: Client, namespace: Option<&str>) -> Self {
        Self::metadata(client, &ApiResource::of::<K>(), namespace)
    }
}

// The metadata client reads, watches, patches and deletes; it cannot create or replace, as
// a body of metadata alone is not an object.
impl verbs::Get for PartialObjectMetadata {}
impl verbs::List for PartialObjectMetadata {}
impl verbs::Watch for PartialObjectMetadata {}
impl verbs::Patch for PartialObjectMetadata {}
impl verbs::Delete for PartialObjectMetadata {}
impl verbs::DeleteCollection for PartialObjectMetadata {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_converted_object_and_a_whole_one() {
        let converted = serde_json::json!({
            "apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata",
            "metadata": {"name": "c", "namespace": "n", "labels": {"a": "b"}}
        });
        let object: PartialObjectMetadata = serde_json::from_value(converted.clone()).expect("decodes");
        assert_eq!(object.metadata.name(), "c");
        assert_eq!(serde_json::to_value(&object).expect("encodes"), converted);

        let whole = serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}
        });
        let object: PartialObjectMetadata = serde_json::from_value(whole).expect("decodes");
        assert_eq!((object.kind.as_str(), object.metadata.name()), ("ConfigMap", "c"));
    }

    #[test]
    fn decodes_field_one_of_any_message_as_metadata() {
        // metadata (1) = { name (1) = "x" }, then an unknown field 2 (a spec) skipped.
        let raw = [0x0a, 0x03, 0x0a, 0x01, b'x', 0x12, 0x02, 0x08, 0x01];
        let object = PartialObjectMetadata::from_protobuf(&raw).expect("decodes");
        assert_eq!(object.metadata.name(), "x");
        assert_eq!((object.api_version.as_str(), object.kind.as_str()), (METADATA_API_VERSION, METADATA_KIND));
        assert!(PartialObjectMetadata::from_protobuf(&raw[..4]).is_err());
    }
}
