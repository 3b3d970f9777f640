//! `IntOrString`: a value that is either a 32-bit integer or a string, such as a port.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Str;

/// An integer or a string (`intstr.IntOrString`, `x-kubernetes-int-or-string`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IntOrString {
    /// An integer, for example a port number.
    Int(i32),
    /// A string, for example a port name or a percentage.
    String(Str),
}

impl Default for IntOrString {
    /// `Int(0)`, the Go zero value.
    fn default() -> Self {
        Self::Int(0)
    }
}

impl From<i32> for IntOrString {
    fn from(value: i32) -> Self {
        Self::Int(value)
    }
}

impl From<&str> for IntOrString {
    fn from(value: &str) -> Self {
        Self::String(Str::from(value))
    }
}

impl From<String> for IntOrString {
    fn from(value: String) -> Self {
        Self::String(Str::from(value))
    }
}

impl fmt::Display for IntOrString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int(value) => write!(f, "{value}"),
            Self::String(value) => f.write_str(value),
        }
    }
}

impl Serialize for IntOrString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Int(value) => serializer.serialize_i32(*value),
            Self::String(value) => serializer.serialize_str(value),
        }
    }
}

impl<'de> Deserialize<'de> for IntOrString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IntOrStringVisitor;

        impl Visitor<'_> for IntOrStringVisitor {
            type Value = IntOrString;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a 32-bit integer or a string")
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<IntOrString, E> {
                i32::try_from(value)
                    .map(IntOrString::Int)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(value), &self))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<IntOrString, E> {
                i32::try_from(value)
                    .map(IntOrString::Int)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(value), &self))
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<IntOrString, E> {
                Ok(IntOrString::String(Str::from(value)))
            }

            fn visit_string<E: de::Error>(self, value: String) -> Result<IntOrString, E> {
                Ok(IntOrString::String(Str::from(value)))
            }
        }

        deserializer.deserialize_any(IntOrStringVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_both_forms() {
        let values: Vec<IntOrString> = serde_json::from_str(r#"[8080, "http", "25%"]"#).expect("decodes");
        assert_eq!(values, [IntOrString::Int(8080), IntOrString::from("http"), IntOrString::from("25%")]);
        assert_eq!(serde_json::to_string(&values).expect("encodes"), r#"[8080,"http","25%"]"#);
    }

    #[test]
    fn rejects_out_of_range_integers_and_other_types() {
        assert!(serde_json::from_str::<IntOrString>("4294967296").is_err());
        assert!(serde_json::from_str::<IntOrString>("true").is_err());
    }
}
