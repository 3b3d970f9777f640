//! Untyped access: objects of any kind, resources found by discovery.
//!
//! - [`DynamicObject`]: `apiVersion`, `kind` and typed `metadata`; everything else as JSON.
//! - [`ApiResource`]: what discovery knows of a resource (group, version, kind, plural, scope,
//!   verbs, short names, subresources); `Api::<DynamicObject>::dynamic` addresses it with
//!   every verb, and the factory makes dynamic informers of it.
//! - [`PartialObjectMetadata`]: an object's metadata alone, as the server converts any object
//!   to it (protobuf included, custom resources too); `Api::<PartialObjectMetadata>::metadata`
//!   and the factory's `metadata_informer` list, watch and cache metadata only.
//! - [`Discovery`]: the server's groups, versions and resources, from aggregated discovery
//!   where the server offers it, cached.

mod api_resource;
mod discovery;
mod metadata;
mod object;

pub use api_resource::ApiResource;
pub use discovery::{ApiGroup, CachedDiscovery, Discovery, DiscoveryError};
pub use metadata::{METADATA_API_VERSION, METADATA_KIND, PartialObjectMetadata};
pub use object::DynamicObject;
