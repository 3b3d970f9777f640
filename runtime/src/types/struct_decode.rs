//! Decoding generated structs from maps, with one loop shared by every struct.
//!
//! serde's derive writes, for every struct, a field-identifier type with three visitors, a map
//! visitor, a sequence visitor that JSON never calls, and a wrapper type per
//! `deserialize_with` field. For the 700 structs of a Kubernetes API that is most of the
//! generated crate's compile time (type and borrow checking of generic code). Generated structs
//! instead implement [`DecodeFields`]: a key-to-index `match` and a `match` from index to a
//! one-call decode of that field. The loop over the map, the key handling and the helpers below
//! are written once, here.
//!
//! Semantics, chosen to match how the API server's Go decoder reads JSON:
//! - a missing field keeps its default (`None`, empty, zero);
//! - `null` for a field is its default too (Go leaves the zero value);
//! - a repeated key: the last value wins;
//! - unknown keys are skipped, or kept when the struct has a map for additional properties.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::exact_vec::OptionVecSeed;
use super::{Str, StringMap};

/// A struct that decodes from a map of named fields. Implemented by generated code.
pub trait DecodeFields: Default {
    /// What the value is, for error messages ("struct Pod").
    const EXPECTING: &'static str;

    /// Whether keys that name no field go to [`DecodeFields::decode_unknown`] rather than
    /// being skipped.
    const KEEPS_UNKNOWN: bool = false;

    /// The index of the field called `key` in JSON, if there is one.
    fn field_index(key: &str) -> Option<u16>;

    /// Decodes the next value of `map` into the field at `index`.
    fn decode_field<'de, A: MapAccess<'de>>(&mut self, index: u16, map: &mut A) -> Result<(), A::Error>;

    /// Decodes the value of a key that names no field (only called when
    /// [`DecodeFields::KEEPS_UNKNOWN`] is set).
    fn decode_unknown<'de, A: MapAccess<'de>>(&mut self, key: Str, map: &mut A) -> Result<(), A::Error> {
        let _ = key;
        skip(map)
    }

    /// Called once after the last key: a struct that keeps unknown keys sorts them here
    /// ([`finish_unknown`]).
    fn finish(&mut self) {}
}

/// Decodes the value of an unknown key into the map of a struct that keeps them, unsorted
/// until [`finish_unknown`] (sorting once keeps 80,000 keys linear; inserting each in place
/// was quadratic).
pub fn unknown<'de, A: MapAccess<'de>, V: Deserialize<'de>>(
    map: &mut A,
    key: Str,
    unknown: &mut StringMap<V>,
) -> Result<(), A::Error> {
    unknown.push_unordered(key, map.next_value()?);
    Ok(())
}

/// Sorts the unknown keys collected by [`unknown`]; a repeated key's last value wins.
pub fn finish_unknown<V>(unknown: &mut StringMap<V>) {
    unknown.restore_order();
}

/// `Deserialize` through [`DecodeFields`] for the runtime's own structs, as generated code
/// does it, so that they follow the same rules (a repeated key's last value wins; `null` is
/// the default) rather than serde derive's (a repeated key is an error).
///
/// `impl_decode_fields!(Name { 0 "json" => field: decoder, ... })`, where `decoder` is one of
/// [`required`], [`optional`], [`required_vec`], [`optional_vec`].
macro_rules! impl_decode_fields {
    ($name:ident { $($index:literal $json:literal => $field:ident: $decoder:ident),* $(,)? }) => {
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::types::struct_decode::deserialize(deserializer)
            }
        }

        impl $crate::types::struct_decode::DecodeFields for $name {
            const EXPECTING: &'static str = concat!("struct ", stringify!($name));

            fn field_index(key: &str) -> Option<u16> {
                match key {
                    $($json => Some($index),)*
                    _ => None,
                }
            }

            fn decode_field<'de, A: ::serde::de::MapAccess<'de>>(
                &mut self,
                index: u16,
                map: &mut A,
            ) -> Result<(), A::Error> {
                match index {
                    $($index => $crate::types::struct_decode::$decoder(map, &mut self.$field),)*
                    _ => $crate::types::struct_decode::skip(map),
                }
            }
        }
    };
}
pub(crate) use impl_decode_fields;

/// Decodes a `T` from a map; the body of generated `Deserialize` impls.
pub fn deserialize<'de, T: DecodeFields, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_map(FieldsVisitor(PhantomData))
}

/// Decodes the next value into a field that the schema requires: `null` is the default.
pub fn required<'de, A: MapAccess<'de>, T: Deserialize<'de> + Default>(
    map: &mut A,
    field: &mut T,
) -> Result<(), A::Error> {
    *field = map.next_value::<Option<T>>()?.unwrap_or_default();
    Ok(())
}

/// Decodes the next value into an optional field: `null` is `None`.
pub fn optional<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    field: &mut Option<T>,
) -> Result<(), A::Error> {
    *field = map.next_value()?;
    Ok(())
}

/// [`required`] for an array, without spare capacity (see [`super::exact_vec`]).
pub fn required_vec<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    field: &mut Vec<T>,
) -> Result<(), A::Error> {
    *field = map.next_value_seed(OptionVecSeed::new())?.unwrap_or_default();
    Ok(())
}

/// [`optional`] for an array, without spare capacity (see [`super::exact_vec`]).
pub fn optional_vec<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    field: &mut Option<Vec<T>>,
) -> Result<(), A::Error> {
    *field = map.next_value_seed(OptionVecSeed::new())?;
    Ok(())
}

/// Skips the next value (an `apiVersion` or `kind` tag, or an unknown key).
pub fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>()?;
    Ok(())
}

struct FieldsVisitor<T>(PhantomData<fn() -> T>);

impl<'de, T: DecodeFields> Visitor<'de> for FieldsVisitor<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut value = T::default();
        while let Some(key) = map.next_key_seed(KeySeed::<T>(PhantomData))? {
            match key {
                Key::Field(index) => value.decode_field(index, &mut map)?,
                Key::Unknown(Some(name)) => value.decode_unknown(name, &mut map)?,
                Key::Unknown(None) => skip(&mut map)?,
            }
        }
        value.finish();
        Ok(value)
    }
}

/// A decoded key: a field's index, or a key that names no field (with its text when the
/// struct keeps unknown keys).
enum Key {
    Field(u16),
    Unknown(Option<Str>),
}

struct KeySeed<T>(PhantomData<fn() -> T>);

impl<T: DecodeFields> KeySeed<T> {
    fn key(key: &str) -> Key {
        match T::field_index(key) {
            Some(index) => Key::Field(index),
            None => Key::Unknown(T::KEEPS_UNKNOWN.then(|| Str::from(key))),
        }
    }
}

impl<'de, T: DecodeFields> DeserializeSeed<'de> for KeySeed<T> {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de, T: DecodeFields> Visitor<'de> for KeySeed<T> {
    type Value = Key;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a field name")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(Self::key(key))
    }

    fn visit_bytes<E: serde::de::Error>(self, key: &[u8]) -> Result<Key, E> {
        match std::str::from_utf8(key) {
            Ok(key) => Ok(Self::key(key)),
            Err(_) => Err(E::invalid_value(serde::de::Unexpected::Bytes(key), &self)),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::de::MapAccess;

    use super::*;

    /// What generated code looks like for a struct with a required array, an optional
    /// string, a tag and a map for unknown keys.
    #[derive(Debug, Default, PartialEq)]
    struct Sample {
        names: Vec<Str>,
        note: Option<Str>,
        count: i32,
        extra: StringMap<serde_json::Value>,
    }

    impl DecodeFields for Sample {
        const EXPECTING: &'static str = "struct Sample";
        const KEEPS_UNKNOWN: bool = true;

        fn field_index(key: &str) -> Option<u16> {
            match key {
                "kind" => Some(0),
                "names" => Some(1),
                "note" => Some(2),
                "count" => Some(3),
                _ => None,
            }
        }

        fn decode_field<'de, A: MapAccess<'de>>(&mut self, index: u16, map: &mut A) -> Result<(), A::Error> {
            match index {
                1 => required_vec(map, &mut self.names),
                2 => optional(map, &mut self.note),
                3 => required(map, &mut self.count),
                _ => skip(map),
            }
        }

        fn decode_unknown<'de, A: MapAccess<'de>>(&mut self, key: Str, map: &mut A) -> Result<(), A::Error> {
            unknown(map, key, &mut self.extra)
        }

        fn finish(&mut self) {
            finish_unknown(&mut self.extra);
        }
    }

    impl<'de> Deserialize<'de> for Sample {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserialize(deserializer)
        }
    }

    /// 80,000 unknown keys (a custom resource that keeps unknown fields) in an order that is
    /// worst for inserting into a sorted vector: decoding stays linear.
    #[test]
    fn many_unknown_keys_decode_in_linear_time() {
        const KEYS: usize = 80_000;
        let mut text = String::from("{");
        for index in (0..KEYS).rev() {
            text.push_str(&format!("\"key{index:06}\":{index},"));
        }
        text.push_str("\"key000001\":\"last\",\"names\":[]}");
        let started = std::time::Instant::now();
        let sample: Sample = serde_json::from_str(&text).expect("decodes");
        let elapsed = started.elapsed();
        eprintln!("{KEYS} unknown keys decoded in {elapsed:?}");
        assert_eq!(sample.extra.len(), KEYS);
        assert_eq!(sample.extra.get("key000001"), Some(&serde_json::json!("last")), "the last value wins");
        let keys: Vec<&str> = sample.extra.keys().map(|key| key.as_str()).collect();
        assert!(keys.windows(2).all(|pair| pair[0] < pair[1]), "sorted");
        // Quadratic insertion took seconds here; linear takes well under one even unoptimized.
        assert!(elapsed < std::time::Duration::from_secs(1), "{elapsed:?}");
    }

    #[test]
    fn fields_decode_and_unknown_keys_are_kept() {
        let sample: Sample =
            serde_json::from_str(r#"{"kind":"X","names":["a","b"],"note":"n","count":3,"other":{"x":1}}"#)
                .expect("decodes");
        assert_eq!(sample.names, ["a", "b"]);
        assert_eq!(sample.names.capacity(), 2);
        assert_eq!(sample.note.as_deref(), Some("n"));
        assert_eq!(sample.count, 3);
        assert_eq!(sample.extra.get("other"), Some(&serde_json::json!({"x": 1})));
        assert_eq!(sample.extra.len(), 1, "the tag is not an unknown key");
    }

    #[test]
    fn missing_and_null_fields_are_defaults() {
        let sample: Sample = serde_json::from_str(r#"{"names":null,"count":null}"#).expect("decodes");
        assert_eq!(sample, Sample::default());
    }

    #[test]
    fn the_last_of_repeated_keys_wins() {
        let sample: Sample = serde_json::from_str(r#"{"count":1,"count":2}"#).expect("decodes");
        assert_eq!(sample.count, 2);
    }

    #[test]
    fn decodes_from_a_json_value_and_escaped_keys() {
        let value = serde_json::json!({"note": "from a value"});
        let sample = Sample::deserialize(value).expect("decodes");
        assert_eq!(sample.note.as_deref(), Some("from a value"));
        let sample: Sample = serde_json::from_str(r#"{"no\u0074e":"escaped"}"#).expect("decodes");
        assert_eq!(sample.note.as_deref(), Some("escaped"));
    }

    #[test]
    fn a_wrong_type_names_the_field_type_and_position() {
        let error = serde_json::from_str::<Sample>(r#"{"count":"three"}"#).expect_err("rejects");
        assert!(error.to_string().contains("expected i32"), "{error}");
        let error = serde_json::from_str::<Sample>(r#"[1]"#).expect_err("rejects");
        assert!(error.to_string().contains("expected struct Sample"), "{error}");
    }
}
