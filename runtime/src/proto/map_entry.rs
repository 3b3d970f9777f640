//! Map fields: protobuf writes a Go map as repeated `{key=1, value=2}` entry messages.

use super::error::{DecodeError, DecodeErrorKind};
use super::reader::{Field, MAX_DEPTH, for_each_field};
use crate::types::{ByteString, Str, StringMap};

/// Adds one entry of a `map<string, string>` field to `map`, creating it on the first entry
/// (an empty map is never written, and JSON leaves it out too). The key and value are
/// decoded into the entry's place in the map, not built and moved in.
pub fn merge_string_entry(
    map: &mut Option<StringMap<Str>>,
    field: &Field<'_>,
    name: &'static str,
) -> Result<(), DecodeError> {
    // Go writes a map's entries together: the first one sizes the map for all.
    map.get_or_insert_with(|| StringMap::with_capacity(field.run_length())).push_in_place(|(key, value)| {
        for_each_entry_field(field, name, |inner| {
            match inner.number {
                1 => inner.set_string(key, "key")?,
                2 => inner.set_string(value, "value")?,
                _ => {}
            }
            Ok(())
        })
    })
}

/// Adds one entry of a `map<string, V>` field to `map`; `value` decodes the entry's field 2
/// (a `Quantity` for `ResourceList`, bytes for `Secret.data`, a message). An entry without a
/// value gets `missing()`, the Go zero value.
pub fn merge_entry<V>(
    map: &mut Option<StringMap<V>>,
    field: &Field<'_>,
    name: &'static str,
    value: impl Fn(&Field<'_>) -> Result<V, DecodeError>,
    missing: impl FnOnce() -> V,
) -> Result<(), DecodeError> {
    let (mut key, mut decoded) = (Str::default(), None);
    for_each_entry_field(field, name, |inner| {
        match inner.number {
            1 => inner.set_string(&mut key, "key")?,
            2 => decoded = Some(value(&inner)?),
            _ => {}
        }
        Ok(())
    })?;
    map.get_or_insert_with(|| StringMap::with_capacity(field.run_length()))
        .insert(key, decoded.unwrap_or_else(missing));
    Ok(())
}

/// Hands each field of the entry message in `field` (map field `name`) to `each`, one level
/// deeper; errors are named `name.entry.<field>`. Out of line, as a message's decode is:
/// inlined into its callers it measured about 1% slower on the bench's Pod watch stream.
#[inline(never)]
fn for_each_entry_field(
    field: &Field<'_>,
    name: &'static str,
    each: impl FnMut(Field<'_>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let wrap = |error: DecodeError| error.within("entry").within(name);
    let depth = field.depth() + 1;
    if depth > MAX_DEPTH {
        return Err(wrap(DecodeErrorKind::TooDeep(MAX_DEPTH).into()));
    }
    for_each_field(field.bytes(name)?, depth, each).map_err(wrap)
}

/// The value of a `map<string, bytes>` entry (`Secret.data`, `ConfigMap.binaryData`).
pub fn byte_string(field: &Field<'_>) -> Result<ByteString, DecodeError> {
    field.bytes("value").map(|bytes| ByteString(bytes.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::Reader;
    use crate::proto::quantity;
    use crate::types::Quantity;

    /// A length-delimited field `number` holding `bytes`, as a key and a value.
    fn len(number: u8, bytes: &[u8]) -> Vec<u8> {
        [&[number << 3 | 2, bytes.len() as u8][..], bytes].concat()
    }

    fn field(bytes: &[u8]) -> Field<'_> {
        let mut reader = Reader::new(bytes);
        reader.field(0).ok().flatten().unwrap_or_else(|| panic!("a field in {bytes:?}"))
    }

    #[test]
    fn maps_of_quantities_and_bytes_decode() {
        let mut limits = None;
        let entry = len(1, &[len(1, b"cpu"), len(2, &len(1, b"500m"))].concat());
        merge_entry(&mut limits, &field(&entry), "limits", |value| quantity(value, "value"), Quantity::default)
            .expect("quantity entry");
        let entry = len(1, &len(1, b"memory"));
        merge_entry(&mut limits, &field(&entry), "limits", |value| quantity(value, "value"), Quantity::default)
            .expect("entry without a value");
        let limits = limits.expect("map");
        assert_eq!(limits.get("cpu").map(Quantity::as_str), Some("500m"));
        assert_eq!(limits.get("memory"), Some(&Quantity::default()));

        let mut data = None;
        let entry = len(1, &[len(1, b"key"), len(2, &[0, 255])].concat());
        merge_entry(&mut data, &field(&entry), "data", byte_string, ByteString::default).expect("bytes entry");
        assert_eq!(data.and_then(|data| data.get("key").cloned()), Some(ByteString(vec![0, 255])));

        let entry = [1 << 3 | 2, 2, 2 << 3, 1];
        let error = merge_entry(&mut None, &field(&entry), "data", byte_string, ByteString::default)
            .expect_err("a varint value");
        assert_eq!(error.path(), "data.entry.value");
    }

    /// String entries are decoded in place: in any order, a repeated key's last value wins
    /// (as in JSON), and an entry that fails leaves no trace in the map.
    #[test]
    fn string_entries_in_any_order_keep_the_map_sorted_and_the_last_value() {
        let mut labels = None;
        for (key, value) in [("b", "1"), ("d", "2"), ("a", "3"), ("d", "4"), ("c", "5")] {
            let entry = len(1, &[len(1, key.as_bytes()), len(2, value.as_bytes())].concat());
            merge_string_entry(&mut labels, &field(&entry), "labels").expect("string entry");
        }
        let broken = len(1, &[len(1, b"e"), vec![2 << 3, 1]].concat());
        let error = merge_string_entry(&mut labels, &field(&broken), "labels").expect_err("a varint value");
        assert_eq!(error.path(), "labels.entry.value");
        let labels = labels.expect("map");
        let entries: Vec<(&str, &str)> = labels.iter().map(|(key, value)| (key.as_str(), value.as_str())).collect();
        assert_eq!(entries, [("a", "3"), ("b", "1"), ("c", "5"), ("d", "4")]);
    }
}
