//! apimachinery's types with hand-written protobuf messages (their `generated.proto`):
//! `Time` and `MicroTime` (`Timestamp{seconds=1, nanos=2}`), `Quantity` (`{string=1}`),
//! `IntOrString` (`{type=1, intVal=2, strVal=3}`), `RawExtension` and `FieldsV1` (`{raw=1}`,
//! JSON bytes for every object the API server writes).

use jiff::Timestamp as JiffTimestamp;

use super::error::{DecodeError, DecodeErrorKind};
use super::reader::{Field, Message, for_each_field, utf8};
use crate::types::{FieldsV1, IntOrString, MicroTime, Quantity, RawExtension, Str, Time};

/// `meta/v1` `Timestamp`, the message behind `Time` and `MicroTime`.
#[derive(Default)]
struct Timestamp {
    seconds: i64,
    nanos: i32,
}

impl Message for Timestamp {
    const NAME: &'static str = "Timestamp";

    fn merge_field(&mut self, field: Field<'_>) -> Result<(), DecodeError> {
        match field.number {
            1 => self.seconds = field.int64("seconds")?,
            2 => self.nanos = field.int32("nanos")?,
            _ => {}
        }
        Ok(())
    }
}

fn out_of_range(value: i64, name: &'static str) -> DecodeError {
    DecodeError::new(DecodeErrorKind::OutOfRange(value)).within(name)
}

/// A `Time`: `None` for an empty message (Go's zero time, which JSON leaves out). Go reads
/// seconds only, dropping nanos, and so does this.
pub fn time(field: &Field<'_>, name: &'static str) -> Result<Option<Time>, DecodeError> {
    if field.bytes(name)?.is_empty() {
        return Ok(None);
    }
    let timestamp: Timestamp = field.message(name)?;
    let time = JiffTimestamp::from_second(timestamp.seconds).map_err(|_| out_of_range(timestamp.seconds, name))?;
    Ok(Some(Time(time)))
}

/// A `MicroTime`: seconds and nanos, truncated to microseconds as its JSON form is; `None` for
/// an empty message.
pub fn micro_time(field: &Field<'_>, name: &'static str) -> Result<Option<MicroTime>, DecodeError> {
    if field.bytes(name)?.is_empty() {
        return Ok(None);
    }
    let timestamp: Timestamp = field.message(name)?;
    let nanos = timestamp.nanos - timestamp.nanos % 1000;
    let time = JiffTimestamp::new(timestamp.seconds, nanos).map_err(|_| out_of_range(timestamp.seconds, name))?;
    Ok(Some(MicroTime(time)))
}

/// The single string of `Quantity`'s message.
#[derive(Default)]
struct QuantityMessage(Str);

impl Message for QuantityMessage {
    const NAME: &'static str = "Quantity";

    fn merge_field(&mut self, field: Field<'_>) -> Result<(), DecodeError> {
        if field.number == 1 {
            field.set_string(&mut self.0, "string")?;
        }
        Ok(())
    }
}

/// A `Quantity`, kept as the server's canonical text.
pub fn quantity(field: &Field<'_>, name: &'static str) -> Result<Quantity, DecodeError> {
    field.message::<QuantityMessage>(name).map(|message| Quantity(message.0))
}

#[derive(Default)]
struct IntOrStringMessage {
    is_string: bool,
    int_val: i32,
    str_val: Str,
}

impl Message for IntOrStringMessage {
    const NAME: &'static str = "IntOrString";

    fn merge_field(&mut self, field: Field<'_>) -> Result<(), DecodeError> {
        match field.number {
            // Type 0 is Int, 1 is String; Go treats any other as Int as well.
            1 => self.is_string = field.int64("type")? == 1,
            2 => self.int_val = field.int32("intVal")?,
            3 => field.set_string(&mut self.str_val, "strVal")?,
            _ => {}
        }
        Ok(())
    }
}

/// An `IntOrString`.
pub fn int_or_string(field: &Field<'_>, name: &'static str) -> Result<IntOrString, DecodeError> {
    let message: IntOrStringMessage = field.message(name)?;
    Ok(if message.is_string { IntOrString::String(message.str_val) } else { IntOrString::Int(message.int_val) })
}

/// The raw bytes of a `{raw=1}` message (`RawExtension`, `FieldsV1`, apiextensions' `JSON`).
fn raw<'a>(field: &Field<'a>, name: &'static str, type_name: &'static str) -> Result<&'a [u8], DecodeError> {
    let mut out: &[u8] = &[];
    let wrap = |error: DecodeError| error.within(type_name).within(name);
    for_each_field(field.bytes(name)?, field.depth() + 1, |inner| {
        if inner.number == 1 {
            out = inner.bytes("raw")?;
        }
        Ok(())
    })
    .map_err(wrap)?;
    Ok(out)
}

fn json_error(error: serde_json::Error, type_name: &'static str, name: &'static str) -> DecodeError {
    DecodeError::new(DecodeErrorKind::InvalidJson(error.to_string())).within(type_name).within(name)
}

/// The JSON value a `{raw=1}` message holds: `null` when empty, as Go's `MarshalJSON` writes
/// a nil `Raw`.
fn raw_json(field: &Field<'_>, name: &'static str, type_name: &'static str) -> Result<serde_json::Value, DecodeError> {
    let bytes = raw(field, name, type_name)?;
    if bytes.is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_slice(bytes).map_err(|error| json_error(error, type_name, name))
}

/// A `RawExtension`.
pub fn raw_extension(field: &Field<'_>, name: &'static str) -> Result<RawExtension, DecodeError> {
    raw_json(field, name, "RawExtension").map(RawExtension)
}

/// apiextensions' `JSON` (a schema's `default`, `enum` and `example` values).
pub fn json(field: &Field<'_>, name: &'static str) -> Result<serde_json::Value, DecodeError> {
    raw_json(field, name, "JSON")
}

/// A `FieldsV1`: its JSON text.
pub fn fields_v1(field: &Field<'_>, name: &'static str) -> Result<FieldsV1, DecodeError> {
    let bytes = raw(field, name, "FieldsV1")?;
    // Checked as strings are: ASCII first.
    let text = utf8(bytes).map_err(|error| {
        DecodeError::new(DecodeErrorKind::InvalidJson(error.to_string())).within("FieldsV1").within(name)
    })?;
    FieldsV1::from_json(text).map_err(|error| json_error(error, "FieldsV1", name))
}
