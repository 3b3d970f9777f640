//! `ByteString`: bytes carried as base64 text (`format: byte`).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes that travel as standard base64, such as a Secret's `data` values.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteString(pub Vec<u8>);

impl From<Vec<u8>> for ByteString {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl From<&[u8]> for ByteString {
    fn from(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }
}

impl Serialize for ByteString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for ByteString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Base64Visitor;

        impl Visitor<'_> for Base64Visitor {
            type Value = ByteString;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("base64-encoded bytes")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<ByteString, E> {
                STANDARD
                    .decode(text)
                    .map(ByteString)
                    .map_err(|error| E::custom(format_args!("invalid base64: {error}")))
            }
        }

        deserializer.deserialize_str(Base64Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_base64() {
        let bytes: ByteString = serde_json::from_str(r#""aGVsbG8=""#).expect("decodes");
        assert_eq!(bytes.0, b"hello");
        assert_eq!(serde_json::to_string(&bytes).expect("encodes"), r#""aGVsbG8=""#);
        assert!(serde_json::from_str::<ByteString>(r#""not base64!""#).is_err());
    }
}
