//! The Kubernetes spec embedded in the binary: the default input of `kubegen generate`.

use super::document;
use super::raw::RawSpec;
use crate::error::Result;

/// Name of the embedded spec in errors and reports.
pub const NAME: &str = "bundled:kubernetes-v1.35-swagger.json";

/// The Kubernetes v1.35 Swagger 2.0 spec (all 735 definitions), from `specs/`.
pub const SWAGGER: &[u8] = include_bytes!("../../../specs/kubernetes-v1.35-swagger.json");

/// Loads the embedded spec.
pub fn load() -> Result<RawSpec> {
    document::load_bytes(SWAGGER, NAME).map(|(_, spec)| spec)
}
