//! The apimachinery types the runtime depends on.
//!
//! These are written by hand rather than generated because the runtime's behaviour depends on
//! them: the client decodes [`Status`] errors, the informer keys its store by [`ObjectMeta`],
//! and the scalar types need custom (de)serialization. Generated crates re-export them under
//! their usual module (`meta_v1::ObjectMeta`, `resource::Quantity`, ...). `kubegen` checks at
//! generation time that the spec's definition of each has no property that the type here
//! lacks, so a newer spec cannot silently lose data.

mod byte_string;
pub mod exact_vec;
mod int_or_string;
mod json_text;
mod list_meta;
mod object_meta;
mod quantity;
mod raw_extension;
mod rfc3339;
mod status;
mod string_enum;
mod string_map;
pub mod struct_decode;
pub mod struct_encode;
mod time;
mod type_tag;

pub use byte_string::ByteString;
pub use int_or_string::IntOrString;
pub use list_meta::ListMeta;
pub use object_meta::{FieldsV1, ManagedFieldsEntry, ObjectMeta, OwnerReference};
pub use quantity::Quantity;
pub use raw_extension::RawExtension;
pub use status::{Status, StatusCause, StatusDetails};
pub use string_map::StringMap;
pub use time::{MicroTime, Time};
pub use type_tag::{ApiVersion, Kind};

/// The string type of models: a `CompactString`, which keeps strings of up to 24 bytes (most
/// names, namespaces, keys, values and versions) inline, without an allocation.
pub type Str = compact_str::CompactString;
