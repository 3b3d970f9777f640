//! Encoding generated structs, through builders shared by every struct.
//!
//! The counterpart of [`super::struct_decode`]: a generated `Serialize` impl is one chain of
//! calls, `StructEncoder::new(..).field(..).optional(..).end()`, with no branches of its own,
//! so it costs the compiler little per struct. The output is what serde's derive writes for
//! the same struct: fields in declaration order, `None` fields left out.

use serde::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};

use super::StringMap;

/// The number of fields a struct writes: `always` plus one for every `true` in `present`.
pub fn count(always: usize, present: &[bool]) -> usize {
    always + present.iter().filter(|present| **present).count()
}

/// Writes a struct's fields with `serialize_struct`; after the first error it does nothing
/// and [`StructEncoder::end`] returns that error.
pub struct StructEncoder<S: Serializer> {
    state: Result<S::SerializeStruct, S::Error>,
}

impl<S: Serializer> StructEncoder<S> {
    /// Starts a struct called `name` that writes `len` fields (see [`count`]).
    pub fn new(serializer: S, name: &'static str, len: usize) -> Self {
        Self { state: serializer.serialize_struct(name, len) }
    }

    /// Writes a field.
    pub fn field<T: Serialize + ?Sized>(mut self, key: &'static str, value: &T) -> Self {
        if let Ok(state) = &mut self.state
            && let Err(error) = state.serialize_field(key, value)
        {
            self.state = Err(error);
        }
        self
    }

    /// Writes an optional field when it is set.
    pub fn optional<T: Serialize>(mut self, key: &'static str, value: &Option<T>) -> Self {
        if value.is_some() {
            return self.field(key, value);
        }
        if let Ok(state) = &mut self.state
            && let Err(error) = state.skip_field(key)
        {
            self.state = Err(error);
        }
        self
    }

    /// Finishes the struct.
    pub fn end(self) -> Result<S::Ok, S::Error> {
        self.state.and_then(SerializeStruct::end)
    }
}

/// Writes a struct that keeps unknown properties as a map: its fields, then those properties.
pub struct MapEncoder<S: Serializer> {
    state: Result<S::SerializeMap, S::Error>,
}

impl<S: Serializer> MapEncoder<S> {
    /// Starts a map of `len` entries.
    pub fn new(serializer: S, len: usize) -> Self {
        Self { state: serializer.serialize_map(Some(len)) }
    }

    /// Writes a field.
    pub fn field<T: Serialize + ?Sized>(mut self, key: &'static str, value: &T) -> Self {
        if let Ok(state) = &mut self.state
            && let Err(error) = state.serialize_entry(key, value)
        {
            self.state = Err(error);
        }
        self
    }

    /// Writes an optional field when it is set.
    pub fn optional<T: Serialize>(self, key: &'static str, value: &Option<T>) -> Self {
        if value.is_some() { self.field(key, value) } else { self }
    }

    /// Writes every entry of `properties`.
    pub fn properties<V: Serialize>(mut self, properties: &StringMap<V>) -> Self {
        for (key, value) in properties {
            if let Ok(state) = &mut self.state
                && let Err(error) = state.serialize_entry(key, value)
            {
                self.state = Err(error);
            }
        }
        self
    }

    /// Finishes the map.
    pub fn end(self) -> Result<S::Ok, S::Error> {
        self.state.and_then(SerializeMap::end)
    }
}

#[cfg(test)]
mod tests {
    use serde::{Serialize, Serializer};

    use super::*;
    use crate::Str;

    struct Sample {
        name: Str,
        note: Option<Str>,
        extra: StringMap<u32>,
    }

    impl Serialize for Sample {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            StructEncoder::new(serializer, "Sample", count(1, &[self.note.is_some()]))
                .field("name", &self.name)
                .optional("note", &self.note)
                .end()
        }
    }

    struct Open(Sample);

    impl Serialize for Open {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let sample = &self.0;
            MapEncoder::new(serializer, count(1, &[sample.note.is_some()]) + sample.extra.len())
                .field("name", &sample.name)
                .optional("note", &sample.note)
                .properties(&sample.extra)
                .end()
        }
    }

    fn sample(note: Option<&str>) -> Sample {
        Sample { name: "a".into(), note: note.map(Into::into), extra: StringMap::from([("x", 1)]) }
    }

    #[test]
    fn unset_optional_fields_are_left_out() {
        let json = serde_json::to_string(&sample(None)).expect("encodes");
        assert_eq!(json, r#"{"name":"a"}"#);
        let json = serde_json::to_string(&sample(Some("n"))).expect("encodes");
        assert_eq!(json, r#"{"name":"a","note":"n"}"#);
    }

    #[test]
    fn unknown_properties_follow_the_fields() {
        let json = serde_json::to_string(&Open(sample(Some("n")))).expect("encodes");
        assert_eq!(json, r#"{"name":"a","note":"n","x":1}"#);
    }

    #[test]
    fn the_first_error_is_returned() {
        let mut buffer = [0u8; 4];
        let error = serde_json::to_writer(&mut buffer[..], &sample(Some("n"))).expect_err("no room");
        assert!(error.is_io(), "{error}");
    }

    #[test]
    fn count_adds_the_present_fields() {
        assert_eq!(count(2, &[true, false, true]), 4);
        assert_eq!(count(0, &[]), 0);
    }
}
