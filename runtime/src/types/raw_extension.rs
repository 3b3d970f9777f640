//! `RawExtension`: an embedded object of any kind.

use serde::{Deserialize, Serialize};

/// An embedded object of any kind (`runtime.RawExtension`), kept as JSON.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawExtension(pub serde_json::Value);
