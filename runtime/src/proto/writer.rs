//! Encoding Kubernetes protobuf: the wire format, the `k8s\0` envelope of a request body, and
//! apimachinery's special messages, written from the runtime's types.
//!
//! What is written decodes in Go to what the JSON form of the same value decodes to: unset
//! (`None`) fields are left out, as JSON's `omitempty` leaves them out; a non-pointer Go field
//! left out is its zero value either way.

use super::envelope::MAGIC;
use crate::types::{FieldsV1, IntOrString, MicroTime, Quantity, RawExtension, Str, StringMap, Time};

/// A type whose protobuf message can be written: generated built-in types (feature
/// `protobuf`) and the runtime's metadata types.
pub trait EncodeMessage {
    /// Writes the message's fields (not its own key or length).
    fn encode_fields(&self, writer: &mut Writer);
}

/// A growing protobuf message.
#[derive(Debug, Default)]
pub struct Writer {
    buffer: Vec<u8>,
}

const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LEN: u32 = 2;

impl Writer {
    /// An empty message.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buffer
    }

    fn raw_varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.buffer.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.buffer.push(value as u8);
    }

    fn key(&mut self, number: u32, wire: u32) {
        self.raw_varint(u64::from(number) << 3 | u64::from(wire));
    }

    /// A varint field.
    #[inline]
    pub fn varint(&mut self, number: u32, value: u64) {
        self.key(number, VARINT);
        self.raw_varint(value);
    }

    /// An `int64` field (negative values take ten bytes, as protobuf requires).
    #[inline]
    pub fn int64(&mut self, number: u32, value: i64) {
        self.varint(number, value as u64);
    }

    /// An `int32` field, sign-extended to 64 bits as protobuf requires.
    #[inline]
    pub fn int32(&mut self, number: u32, value: i32) {
        self.varint(number, i64::from(value) as u64);
    }

    /// A `bool` field.
    #[inline]
    pub fn bool(&mut self, number: u32, value: bool) {
        self.varint(number, u64::from(value));
    }

    /// A `double` field.
    #[inline]
    pub fn double(&mut self, number: u32, value: f64) {
        self.key(number, FIXED64);
        self.buffer.extend_from_slice(&value.to_bits().to_le_bytes());
    }

    /// A `bytes` field.
    #[inline]
    pub fn bytes(&mut self, number: u32, value: &[u8]) {
        self.key(number, LEN);
        self.raw_varint(value.len() as u64);
        self.buffer.extend_from_slice(value);
    }

    /// A `string` field.
    #[inline]
    pub fn string(&mut self, number: u32, value: &str) {
        self.bytes(number, value.as_bytes());
    }

    /// A message field whose fields `write` writes. Its length is reserved as one byte and
    /// widened only when the message is 128 bytes or longer, so small messages cost no move.
    pub fn nested(&mut self, number: u32, write: impl FnOnce(&mut Writer)) {
        self.key(number, LEN);
        let start = self.buffer.len();
        self.buffer.push(0);
        write(self);
        let length = self.buffer.len() - start - 1;
        if length < 0x80 {
            self.buffer[start] = length as u8;
            return;
        }
        let mut prefix = Writer::new();
        prefix.raw_varint(length as u64);
        self.buffer.splice(start..=start, prefix.buffer);
    }

    /// A message field.
    #[inline]
    pub fn message<M: EncodeMessage + ?Sized>(&mut self, number: u32, message: &M) {
        self.nested(number, |writer| message.encode_fields(writer));
    }

    /// A `Time` (`Timestamp{seconds=1, nanos=2}`; Go keeps whole seconds).
    pub fn time(&mut self, number: u32, time: &Time) {
        let seconds = time.0.as_second();
        self.nested(number, |writer| {
            writer.int64(1, seconds);
            writer.int32(2, 0);
        });
    }

    /// A `MicroTime` (`Timestamp{seconds=1, nanos=2}`).
    pub fn micro_time(&mut self, number: u32, time: &MicroTime) {
        let (seconds, nanos) = (time.0.as_second(), time.0.subsec_nanosecond());
        self.nested(number, |writer| {
            writer.int64(1, seconds);
            writer.int32(2, nanos);
        });
    }

    /// A `Quantity` (`{string=1}`).
    pub fn quantity(&mut self, number: u32, quantity: &Quantity) {
        self.nested(number, |writer| writer.string(1, &quantity.0));
    }

    /// An `IntOrString` (`{type=1, intVal=2, strVal=3}`).
    pub fn int_or_string(&mut self, number: u32, value: &IntOrString) {
        self.nested(number, |writer| match value {
            IntOrString::Int(int) => {
                writer.int64(1, 0);
                writer.int32(2, *int);
                writer.string(3, "");
            }
            IntOrString::String(text) => {
                writer.int64(1, 1);
                writer.int32(2, 0);
                writer.string(3, text);
            }
        });
    }

    /// A `RawExtension` (`{raw=1}`, JSON bytes; nothing for JSON `null`, Go's nil `Raw`).
    pub fn raw_extension(&mut self, number: u32, value: &RawExtension) {
        self.json(number, &value.0);
    }

    /// apiextensions' `JSON` (`{raw=1}`, JSON bytes; nothing for JSON `null`, Go's nil `Raw`).
    pub fn json(&mut self, number: u32, value: &serde_json::Value) {
        self.nested(number, |writer| {
            if !value.is_null() {
                // Serializing a `serde_json::Value` to a Vec cannot fail.
                writer.bytes(1, &serde_json::to_vec(value).unwrap_or_default());
            }
        });
    }

    /// A `FieldsV1` (`{Raw=1}`, its JSON text).
    pub fn fields_v1(&mut self, number: u32, value: &FieldsV1) {
        self.nested(number, |writer| writer.string(1, value.as_json()));
    }

    /// An `ExtraValue`-style wrapper of strings (`{items=1}`).
    pub fn repeated_strings(&mut self, number: u32, values: &[Str]) {
        self.nested(number, |writer| {
            for value in values {
                writer.string(1, value);
            }
        });
    }

    /// A `map<string, string>` field: one `{key=1, value=2}` entry per key, in key order.
    pub fn string_map(&mut self, number: u32, map: &StringMap<Str>) {
        self.map(number, map, |writer, value| writer.string(2, value));
    }

    /// A `map<string, V>` field: one `{key=1, value=2}` entry per key, in key order, the value
    /// written by `value` as field 2.
    pub fn map<V>(&mut self, number: u32, map: &StringMap<V>, value: impl Fn(&mut Writer, &V)) {
        for (key, entry) in map {
            self.nested(number, |writer| {
                writer.string(1, key);
                value(writer, entry);
            });
        }
    }
}

/// A request body in Kubernetes protobuf: `k8s\0`, then `runtime.Unknown` {typeMeta
/// {apiVersion, kind}, raw = the object's message}.
pub fn encode_envelope(api_version: &str, kind: &str, object: &impl EncodeMessage) -> Vec<u8> {
    let mut writer = Writer::new();
    writer.buffer.extend_from_slice(&MAGIC);
    writer.nested(1, |type_meta| {
        type_meta.string(1, api_version);
        type_meta.string(2, kind);
    });
    writer.message(2, object);
    writer.string(3, "");
    writer.string(4, "");
    writer.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Reader, WireValue};

    /// The fields of `bytes` as (number, value) pairs.
    fn fields(bytes: &[u8]) -> Vec<(u32, WireValue<'_>)> {
        let mut reader = Reader::new(bytes);
        let mut fields = Vec::new();
        while let Some(field) = reader.field(0).expect("a field") {
            fields.push((field.number, field.value));
        }
        fields
    }

    #[test]
    fn negative_integers_take_ten_bytes_sign_extended() {
        let mut writer = Writer::new();
        writer.int32(1, -1);
        let bytes = writer.into_bytes();
        assert_eq!(bytes.len(), 11, "key + ten bytes");
        assert_eq!(fields(&bytes), vec![(1, WireValue::Varint(u64::MAX))]);
    }

    #[test]
    fn nested_lengths_widen_past_one_byte() {
        for size in [0, 1, 125, 126, 127, 128, 129, 16_383, 16_384, 100_000] {
            let text = "x".repeat(size);
            let mut writer = Writer::new();
            writer.nested(5, |inner| inner.bytes(1, text.as_bytes()));
            writer.bool(6, true);
            let bytes = writer.into_bytes();
            let outer = fields(&bytes);
            assert_eq!(outer.len(), 2, "size {size}");
            let WireValue::Len(message) = outer[0].1 else { panic!("size {size}: a message") };
            assert_eq!(fields(message), vec![(1, WireValue::Len(text.as_bytes()))], "size {size}");
            assert_eq!(outer[1], (6, WireValue::Varint(1)), "size {size}");
        }
    }

    #[test]
    fn an_envelope_decodes_to_its_type_and_message() {
        let meta = crate::types::ObjectMeta { name: Some("n".into()), ..Default::default() };
        let body = encode_envelope("v1", "ConfigMap", &meta);
        let envelope = crate::proto::decode_envelope(&body).expect("envelope");
        assert_eq!((&*envelope.api_version, &*envelope.kind), ("v1", "ConfigMap"));
        let decoded: crate::types::ObjectMeta = crate::proto::decode_message(envelope.raw, 0).expect("message");
        assert_eq!(decoded, meta);
    }
}
