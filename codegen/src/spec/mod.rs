//! Loaders: each input format becomes a [`RawSpec`] of definitions and operations.
//!
//! - [`document`]: a Swagger 2.0 file, one OpenAPI 3 document, or a directory of OpenAPI 3
//!   documents (one per group/version, merged);
//! - [`crd`]: CustomResourceDefinition manifests;
//! - [`bundled`]: the Kubernetes spec embedded in the binary, the default input;
//! - [`cluster`]: a live cluster's `/openapi/v3` (or `/openapi/v2`).

pub mod bundled;
pub mod cluster;
pub mod crd;
pub mod document;
pub mod infer;
pub mod normalize;
pub mod parse;
pub mod protobuf;
pub mod raw;
pub mod schema;

use std::path::Path;

pub use raw::{Definition, Operation, RawSpec};
pub use schema::{AdditionalProperties, GroupVersionKind, Schema};

use crate::error::{Error, Result};

/// Loads a spec path: a directory of OpenAPI 3 documents, or one Swagger 2.0 / OpenAPI 3 file.
pub fn load_spec_path(path: &Path) -> Result<RawSpec> {
    let metadata = std::fs::metadata(path).map_err(|error| Error::io(path, error))?;
    if metadata.is_dir() { document::load_directory(path) } else { document::load_file(path) }
}
