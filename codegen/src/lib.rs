//! kubegen: Rust clients for Kubernetes, generated from the cluster's OpenAPI spec.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`spec`] loads Swagger 2.0 files, OpenAPI 3 documents and CRD manifests into a
//!    [`spec::RawSpec`] of definitions and operations;
//! 2. [`fixups`] corrects known upstream spec errors;
//! 3. [`ir`] resolves it into a [`ir::Model`]: types with their modules, names and fields, and
//!    resources with their scope, verbs and subresources;
//! 4. [`emit`] renders the model as the files of a crate;
//! 5. [`output`] writes the files that changed, or checks that none did.
//!
//! [`generate::generate`] runs them all; the `kubegen` binary is a thin CLI over it.

pub mod emit;
pub mod error;
pub mod fixups;
pub mod generate;
pub mod ir;
pub mod location;
pub mod output;
pub mod spec;

pub use error::{Error, Result};
pub use generate::{Options, Report, generate};
