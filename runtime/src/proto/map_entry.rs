//! Map fields: protobuf writes a Go map as repeated `{key=1, value=2}` entry messages.

use super::error::DecodeError;
use super::reader::{Field, Message};
use crate::types::{Str, StringMap};

/// One `map<string, string>` entry.
#[derive(Default)]
struct StringEntry {
    key: Str,
    value: Str,
}

impl Message for StringEntry {
    const NAME: &'static str = "entry";

    fn merge_field(&mut self, field: Field<'_>) -> Result<(), DecodeError> {
        match field.number {
            1 => self.key = field.string("key")?,
            2 => self.value = field.string("value")?,
            _ => {}
        }
        Ok(())
    }
}

/// Adds one entry of a `map<string, string>` field to `map`, creating it on the first entry
/// (an empty map is never written, and JSON leaves it out too).
pub fn merge_string_entry(
    map: &mut Option<StringMap<Str>>,
    field: &Field<'_>,
    name: &'static str,
) -> Result<(), DecodeError> {
    let entry: StringEntry = field.message(name)?;
    map.get_or_insert_with(StringMap::new).insert(entry.key, entry.value);
    Ok(())
}
