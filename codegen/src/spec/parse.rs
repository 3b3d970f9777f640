//! Parsing documents with errors that point into them.

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::location::Location;

/// Parses JSON into `T`; a failure names the document, the JSON pointer of the offending value
/// and, for syntax errors, the line and column.
pub fn json<T: DeserializeOwned>(bytes: &[u8], document: &Location) -> Result<T> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| path_error(document, error))?;
    deserializer
        .end()
        .map_err(|error| Error::Parse { location: document.clone(), message: format!("trailing data: {error}") })?;
    Ok(value)
}

/// Parses one YAML document (already split from its stream) into `T`.
pub fn yaml<T: DeserializeOwned>(deserializer: serde_yaml_ng::Deserializer<'_>, document: &Location) -> Result<T> {
    serde_path_to_error::deserialize(deserializer).map_err(|error| path_error(document, error))
}

/// Converts a `serde_path_to_error` failure into an [`Error::Parse`] at the failing path.
pub fn path_error<E: std::fmt::Display>(document: &Location, error: serde_path_to_error::Error<E>) -> Error {
    let mut location = document.clone();
    for segment in error.path().iter() {
        location = match segment {
            serde_path_to_error::Segment::Seq { index } => location.index(*index),
            serde_path_to_error::Segment::Map { key } => location.join(key),
            serde_path_to_error::Segment::Enum { variant } => location.join(variant),
            serde_path_to_error::Segment::Unknown => location.join("?"),
        };
    }
    Error::Parse { location, message: error.inner().to_string() }
}

/// Reads a file, naming it on failure.
pub fn read(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|error| Error::io(path, error))
}
