//! Typed server-side apply: apply configurations and `extract`.
//!
//! A generated crate built with its `apply` feature has, for every struct of its spec, an
//! apply configuration (`DeploymentApply` beside `Deployment`, in the module's `apply`
//! submodule): every field is an `Option`, nested structs are apply configurations too, and
//! only set fields are serialized. Sending one with [`Api::apply`](crate::Api::apply) makes
//! the field manager own exactly those fields, where a full model would also claim every
//! required field at its default (`"selector": {}`), take them from their owner and conflict.
//!
//! The generated code is data and builders only; behaviour lives here:
//!
//! - [`ApplyType`]: implemented by every apply configuration; its [`Schema`] is a constant
//!   table of the fields whose merge semantics `extract` needs (granular structs and maps, set
//!   and map lists with their keys), empty when every field is atomic or free-form.
//! - [`ApplyObject`]: what [`Api::apply`](crate::Api::apply) sends, implemented by the apply
//!   configurations of resources and by every full model (a model claims all its fields).
//! - [`HasApply`]: the link from a model to its apply configuration: [`HasApply::to_apply`]
//!   and [`HasApply::extract`].
//! - [`debug_document`] and [`same_document`]: an apply configuration's `Debug` and
//!   `PartialEq`, on the document it sends.

mod document;
mod extract;
mod schema;
pub mod setters;

pub use document::{debug_document, same_document};
pub use extract::{ExtractError, extract_fields};
pub use schema::{Member, OBJECT_META, Schema, object_meta_schema, schema_of};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::resource::{Object, Resource};
use crate::types::{ObjectMeta, Str};

/// An apply configuration: a struct whose fields are all optional, serialized only when set.
pub trait ApplyType: Serialize + DeserializeOwned + Default {
    /// The merge semantics of its fields, for [`extract`](HasApply::extract); by default none
    /// needs telling apart (every field atomic or free-form).
    ///
    /// A constant rather than a function returning a static: most configurations keep the
    /// default, and a constant is neither compiled nor linked until `extract` reads it (one
    /// function and one static for each of some 600 configurations cost about a second of
    /// every build of a generated crate).
    const SCHEMA: Schema = Schema::EMPTY;
}

/// An object [`Api::apply`](crate::Api::apply) can send: the apply configuration of a
/// resource, or a full model.
pub trait ApplyObject: Serialize {
    /// The resource the object is applied to.
    type Resource: Resource;

    /// The object's metadata, which names it.
    fn apply_metadata(&self) -> Option<&ObjectMeta>;
}

/// A full model claims every one of its fields when applied, required ones at their
/// defaults included; use its apply configuration to own only some.
impl<K: Resource> ApplyObject for K {
    type Resource = K;

    fn apply_metadata(&self) -> Option<&ObjectMeta> {
        Some(self.metadata())
    }
}

/// A model type with an apply configuration.
pub trait HasApply: Serialize {
    /// Its apply configuration.
    type Apply: ApplyType;

    /// The apply configuration holding every field of `self` as it serializes (required
    /// fields included), for applying a model built in full.
    fn to_apply(&self) -> Result<Self::Apply, serde_json::Error> {
        serde_json::to_value(self).and_then(serde_json::from_value)
    }

    /// The apply configuration holding exactly the fields `manager` owns through
    /// server-side apply (its `Apply` entry of `managedFields`, main resource), with the
    /// object's `apiVersion`, `kind`, name and namespace, and the keys of the map-list items
    /// it owns: what the manager last applied, ready to change and apply again. A manager
    /// that owns nothing gives an empty configuration with the identity only.
    fn extract(&self, manager: &str) -> Result<Self::Apply, ExtractError>
    where
        Self: Object,
    {
        let entry = self.metadata().managed_fields.iter().flatten().find(|entry| {
            entry.manager.as_deref() == Some(manager)
                && entry.operation.as_deref() == Some("Apply")
                && entry.subresource.as_deref().unwrap_or_default().is_empty()
        });
        let fields = entry.and_then(|entry| entry.fields_v1.as_ref()).map(|fields| fields.to_value());
        let object = serde_json::to_value(self).map_err(ExtractError::Encode)?;
        let mut extracted = extract_fields(&object, fields.as_ref(), schema_of::<Self::Apply>());
        keep_identity(&object, &mut extracted);
        serde_json::from_value(extracted).map_err(ExtractError::Decode)
    }
}

/// Copies what names the object (`apiVersion`, `kind`, name, namespace) from `object`:
/// an apply request needs them whoever owns them.
fn keep_identity(object: &serde_json::Value, extracted: &mut serde_json::Value) {
    let (Some(object), Some(extracted)) = (object.as_object(), extracted.as_object_mut()) else { return };
    for key in ["apiVersion", "kind"] {
        if let Some(value) = object.get(key) {
            extracted.insert(key.to_owned(), value.clone());
        }
    }
    let Some(source) = object.get("metadata").and_then(|meta| meta.as_object()) else { return };
    let metadata = extracted.entry("metadata").or_insert_with(|| serde_json::Value::Object(Default::default()));
    if let Some(metadata) = metadata.as_object_mut() {
        for key in ["name", "namespace"] {
            if let Some(value) = source.get(key) {
                metadata.insert(key.to_owned(), value.clone());
            }
        }
    }
}

/// The metadata of a new apply configuration: a name, and a namespace when given.
pub fn metadata(name: impl Into<Str>, namespace: Option<Str>) -> ObjectMeta {
    ObjectMeta { name: Some(name.into()), namespace, ..ObjectMeta::default() }
}

#[cfg(test)]
mod tests;
