//! The protobuf field table of Kubernetes' built-in types (`specs/kubernetes-v1.35-protobuf.json`,
//! written from the Go types by `tools/protofields`): for each definition, its message's
//! fields with their numbers and wire types, which the OpenAPI spec does not carry.
//!
//! Field numbers never change between Kubernetes versions (protobuf compatibility), so the
//! table serves specs of other versions too; a property the table lacks makes its type (and
//! every type holding it) decode as JSON only, never wrongly.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::Result;
use crate::location::Location;

/// The table, embedded in the binary.
pub const TABLE: &[u8] = include_bytes!("../../../specs/kubernetes-v1.35-protobuf.json");

/// Name of the embedded table in errors.
pub const NAME: &str = "bundled:kubernetes-v1.35-protobuf.json";

/// Messages by definition name.
#[derive(Debug, Default, Deserialize)]
pub struct ProtoTable {
    /// Every definition that has a message.
    pub definitions: BTreeMap<String, ProtoMessage>,
}

/// One definition's message.
#[derive(Debug, Deserialize)]
pub struct ProtoMessage {
    /// The Go protobuf message name (`k8s.io.api.core.v1.Pod`).
    pub message: String,
    /// Its fields.
    pub fields: Vec<ProtoField>,
    /// `apiVersion` and `kind` travel in the envelope, not in the message.
    #[serde(default, rename = "typeMeta")]
    pub type_meta: bool,
    /// A message with its own encoding (`quantity`, `time`, `repeatedWrapper`, ...).
    #[serde(default)]
    pub special: Option<String>,
}

/// One field of a message.
#[derive(Debug, Deserialize)]
pub struct ProtoField {
    /// The field's protobuf name (`allows`), for errors where no JSON property names it.
    #[serde(default, rename = "proto")]
    pub name: Option<String>,
    /// The JSON property it carries; none for a struct embedded inline.
    #[serde(default)]
    pub json: Option<String>,
    /// The field number.
    pub number: u32,
    /// `string`, `int32`, `int64`, `bool`, `double`, `bytes` or `message`.
    #[serde(rename = "type")]
    pub ty: String,
    /// The definition of a message field.
    #[serde(default, rename = "ref")]
    pub reference: Option<String>,
    /// A Go struct embedded inline in JSON: its fields are the outer type's properties.
    #[serde(default)]
    pub inline: bool,
    /// Repeated (a slice, or a map's entries).
    #[serde(default)]
    pub repeated: bool,
    /// A Go pointer: zero values are values, not "unset".
    #[serde(default)]
    pub pointer: bool,
    /// JSON leaves the zero value out.
    #[serde(default)]
    pub omitempty: bool,
    /// A map's entries: `{key=1, value=2}`.
    #[serde(default)]
    pub map: Option<ProtoMap>,
}

/// The entries of a map field.
#[derive(Debug, Deserialize)]
pub struct ProtoMap {
    /// The value's type (`string`, `bytes`, `message`).
    pub value: String,
    /// The value's definition, for messages.
    #[serde(default, rename = "valueRef")]
    pub value_reference: Option<String>,
}

/// Loads the embedded table.
pub fn load() -> Result<ProtoTable> {
    crate::spec::parse::json(TABLE, &Location::document(NAME))
}
