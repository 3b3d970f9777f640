//! The protobuf wire format: varints, length-delimited fields, fixed-width fields, and the
//! loop that hands each field of a message to its decoder, skipping unknown ones.
//!
//! The small reads are `#[inline]`: generated decoders in other crates call them for every
//! field (without it, each varint and string read is a call across crates).
//!
//! Every read is bounds-checked and returns [`DecodeErrorKind::Truncated`] rather than
//! panicking; lengths are checked against the remaining input before anything is allocated,
//! so an oversized length prefix cannot make the decoder reserve memory.

use std::borrow::Cow;

use super::error::{DecodeError, DecodeErrorKind};
use crate::types::Str;

/// How deeply messages may nest before decoding fails (protobuf's own default limit), so that
/// hostile input cannot exhaust the stack.
pub const MAX_DEPTH: u32 = 100;

/// The value of one field as the wire has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireValue<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1.
    Fixed64(u64),
    /// Wire type 2: strings, bytes, messages, packed repeated scalars.
    Len(&'a [u8]),
    /// Wire type 5.
    Fixed32(u32),
}

impl WireValue<'_> {
    fn wire_name(&self) -> &'static str {
        match self {
            WireValue::Varint(_) => "varint",
            WireValue::Fixed64(_) => "fixed64",
            WireValue::Len(_) => "length-delimited",
            WireValue::Fixed32(_) => "fixed32",
        }
    }
}

/// One field of a message: its number and value, the nesting depth of its message, and the
/// message's bytes after it (so that the first item of a repeated field can count the run of
/// items that follows it, and its vector be allocated once, exactly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The field number.
    pub number: u32,
    /// The value.
    pub value: WireValue<'a>,
    depth: u32,
    following: &'a [u8],
}

/// Reads fields from a message's bytes.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    input: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `input`.
    #[inline]
    pub fn new(input: &'a [u8]) -> Self {
        Self { input, position: 0 }
    }

    /// How many bytes have been read.
    pub fn position(&self) -> usize {
        self.position
    }

    /// Whether all input has been read.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.position >= self.input.len()
    }

    /// A base-128 varint.
    #[inline]
    pub fn varint(&mut self) -> Result<u64, DecodeErrorKind> {
        // Most keys and lengths are one byte.
        if let Some(&byte) = self.input.get(self.position)
            && byte < 0x80
        {
            self.position += 1;
            return Ok(u64::from(byte));
        }
        let mut value = 0u64;
        for index in 0..10 {
            let Some(&byte) = self.input.get(self.position) else {
                return Err(DecodeErrorKind::Truncated);
            };
            self.position += 1;
            // The tenth byte may only carry the 64th bit.
            if index == 9 && byte > 1 {
                return Err(DecodeErrorKind::VarintOverflow);
            }
            value |= u64::from(byte & 0x7f) << (7 * index);
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(DecodeErrorKind::VarintOverflow)
    }

    /// `count` bytes.
    #[inline]
    pub fn bytes(&mut self, count: u64) -> Result<&'a [u8], DecodeErrorKind> {
        let remaining = self.input.len() - self.position.min(self.input.len());
        let count = usize::try_from(count).ok().filter(|&count| count <= remaining);
        let count = count.ok_or(DecodeErrorKind::LengthOutOfBounds(count_or_max(count)))?;
        let bytes = &self.input[self.position..self.position + count];
        self.position += count;
        Ok(bytes)
    }

    /// A length prefix and that many bytes.
    #[inline]
    pub fn length_delimited(&mut self) -> Result<&'a [u8], DecodeErrorKind> {
        let length = self.varint()?;
        self.bytes(length).map_err(|error| match error {
            DecodeErrorKind::LengthOutOfBounds(_) => DecodeErrorKind::LengthOutOfBounds(length),
            other => other,
        })
    }

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], DecodeErrorKind> {
        let bytes = self.bytes(N as u64).map_err(|_| DecodeErrorKind::Truncated)?;
        let mut out = [0; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// The next field, or `None` at the end of the input.
    ///
    /// Inlined into every message's decode loop: a key of one or two bytes (field numbers up to
    /// 2,047) followed by a whole varint or a length of up to two bytes is read here without a
    /// call; that is nearly every field Kubernetes writes. Anything else (longer lengths,
    /// fixed-width values, errors) goes through `Reader::field_in_full`.
    #[inline(always)]
    pub fn field(&mut self, depth: u32) -> Result<Option<Field<'a>>, DecodeErrorKind> {
        self.read_into(depth, |field| field)
    }

    /// Reads the next field as [`Reader::field`] does and hands it to `take`; `None` at the
    /// end of the input. On the inline path the field is built as `take`'s argument, not
    /// returned first: see [`for_each_field`].
    #[inline(always)]
    fn read_into<R>(&mut self, depth: u32, take: impl FnOnce(Field<'a>) -> R) -> Result<Option<R>, DecodeErrorKind> {
        let Some(rest) = self.input.get(self.position..).filter(|rest| !rest.is_empty()) else {
            return Ok(None);
        };
        if let Some((key, key_length)) = short_varint(rest)
            && key >= 8
        {
            // `key >= 8`: field number 0 is invalid, and left to the full path to report.
            let number = key >> 3;
            let after_key = &rest[key_length..];
            match key & 7 {
                0 => {
                    if let Some((value, value_length)) = whole_varint(after_key) {
                        self.position += key_length + value_length;
                        let following = &after_key[value_length..];
                        return Ok(Some(take(Field { number, value: WireValue::Varint(value), depth, following })));
                    }
                }
                2 => {
                    let end = |(length, length_length): (u32, usize)| length_length + length as usize;
                    if let Some(short) = short_varint(after_key)
                        && let Some(bytes) = after_key.get(short.1..end(short))
                    {
                        self.position += key_length + end(short);
                        let following = &after_key[end(short)..];
                        return Ok(Some(take(Field { number, value: WireValue::Len(bytes), depth, following })));
                    }
                }
                _ => {}
            }
        }
        Ok(self.field_in_full(depth)?.map(take))
    }

    /// [`Reader::field`] for any field, and for every error.
    #[inline(never)]
    fn field_in_full(&mut self, depth: u32) -> Result<Option<Field<'a>>, DecodeErrorKind> {
        if self.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let number = key >> 3;
        if number == 0 || number > (1 << 29) - 1 {
            return Err(DecodeErrorKind::InvalidFieldNumber(number));
        }
        let value = match key & 7 {
            0 => WireValue::Varint(self.varint()?),
            1 => WireValue::Fixed64(u64::from_le_bytes(self.fixed()?)),
            2 => WireValue::Len(self.length_delimited()?),
            5 => WireValue::Fixed32(u32::from_le_bytes(self.fixed()?)),
            other => return Err(DecodeErrorKind::UnsupportedWireType(other as u8)),
        };
        // Checked above: the number fits in 29 bits.
        let following = &self.input[self.position..];
        Ok(Some(Field { number: number as u32, value, depth, following }))
    }
}

/// A varint of one or two bytes at the start of `input`, and its length; `None` for longer
/// ones or too little input.
#[inline(always)]
fn short_varint(input: &[u8]) -> Option<(u32, usize)> {
    match *input {
        [first, ..] if first < 0x80 => Some((u32::from(first), 1)),
        [first, second, ..] if second < 0x80 => Some((u32::from(first & 0x7f) | (u32::from(second) << 7), 2)),
        _ => None,
    }
}

/// A whole varint at the start of `input` and its length; `None` for a cut or overlong one
/// (left to [`Reader::field_in_full`] to report). Values of more than a byte (timestamps'
/// seconds, ports, sizes) are common enough that sending them out of line cost a store
/// forwarding stall per field: the out-of-line path returns its field through memory, which
/// the caller reads back wider than it was written.
#[inline(always)]
fn whole_varint(input: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (index, &byte) in input.iter().take(10).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * index);
        if byte < 0x80 {
            // The tenth byte may only carry the 64th bit.
            return (index < 9 || byte <= 1).then_some((value, index + 1));
        }
    }
    None
}

/// The text of a string field: invalid UTF-8 is replaced with U+FFFD, as Go's JSON encoder
/// does, so that a protobuf and a JSON read of the same object agree.
#[inline]
fn text(bytes: &[u8]) -> Cow<'_, str> {
    match utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(String::from_utf8_lossy(bytes).into_owned()),
    }
}

/// `bytes` as text, or why they are not UTF-8.
///
/// Nearly every string the API server writes is ASCII, and an ASCII check is much cheaper
/// than a UTF-8 one on a few bytes: `<[u8]>::is_ascii` reads a short string as two
/// overlapping words, where `str::from_utf8` walks bytes until it is aligned for its own
/// word loop (and `Utf8Chunks`, used here before, walks them all). Safe Rust has no way to
/// turn bytes found ASCII into a `str` without checking them again, so the `ascii` crate's
/// `AsciiStr` makes that step. On the bench's protobuf Pod list and watch stream, decoding
/// took about 10% less time; with no check at all, it would take about 16% less.
#[inline]
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    match ascii::AsciiStr::from_ascii(bytes) {
        Ok(ascii) => Ok(ascii.as_str()),
        Err(_) => std::str::from_utf8(bytes),
    }
}

/// The longest text a `Str` holds inline.
const INLINE_TEXT: usize = std::mem::size_of::<Str>();

/// Replaces `target` with the text of `bytes`, built in place when it fits inline.
///
/// Building a `Str` and moving it costs more than the conversion: its 23 bytes and tag are
/// copied with overlapping word loads that straddle the stores that wrote them, and each
/// such load waits for those stores to retire instead of being forwarded from them. Appending
/// to an empty inline `Str` writes the bytes and the length where they stay.
#[inline]
fn write_text(target: &mut Str, bytes: &[u8]) {
    match text(bytes) {
        Cow::Borrowed(text) if text.len() <= INLINE_TEXT => {
            // A field's target is nearly always its fresh default, empty and inline: no need
            // for `clear`, a call into compact_str, before the append.
            if target.is_heap_allocated() {
                *target = Str::const_new("");
            } else if !target.is_empty() {
                target.clear();
            }
            target.push_str(text);
        }
        text => *target = Str::from(text),
    }
}

fn count_or_max(count: Option<usize>) -> u64 {
    count.map_or(u64::MAX, |count| count as u64)
}

/// A protobuf message decoded into one of the runtime's types.
pub trait Message: Default {
    /// The message's name in errors (`ObjectMeta`).
    const NAME: &'static str;

    /// Takes one field; unknown numbers are ignored (skipped), as protobuf requires. Errors
    /// should be made [`DecodeError::within`] the field's name.
    fn merge_field(&mut self, field: Field<'_>) -> Result<(), DecodeError>;
}

/// Hands each field of `input` (a message at nesting depth `depth`) to `each`, stopping at
/// the first error, of reading or of `each`.
///
/// Every decode loop goes through here, and the field is built as `each`'s argument
/// (`Reader::read_into`) rather than returned in a `Result<Option<Field>>` and matched on:
/// the compiler copies such a returned field with wide loads over the narrower stores that
/// just wrote it, which the processor cannot forward, a stall of many cycles on every field
/// of every message (about a sixth of a Pod's decode time when loops matched on
/// `reader.field(depth)` with `?`, and still 7% of it when they matched without).
#[inline(always)]
pub fn for_each_field<'a>(
    input: &'a [u8],
    depth: u32,
    mut each: impl FnMut(Field<'a>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let mut reader = Reader::new(input);
    loop {
        match reader.read_into(depth, &mut each) {
            Ok(Some(Ok(()))) => {}
            Ok(Some(Err(error))) => return Err(error),
            Ok(None) => return Ok(()),
            Err(kind) => return Err(kind.into()),
        }
    }
}

/// Decodes a whole message at nesting depth `depth`.
pub fn decode_message<M: Message>(input: &[u8], depth: u32) -> Result<M, DecodeError> {
    let mut message = M::default();
    merge_message(&mut message, input, depth)?;
    Ok(message)
}

/// Merges the fields of `input` into `message` at nesting depth `depth`.
pub fn merge_message<M: Message>(message: &mut M, input: &[u8], depth: u32) -> Result<(), DecodeError> {
    let wrap = |error: DecodeError| error.within(M::NAME);
    if depth > MAX_DEPTH {
        return Err(wrap(DecodeErrorKind::TooDeep(MAX_DEPTH).into()));
    }
    for_each_field(input, depth, |field| message.merge_field(field)).map_err(wrap)
}

/// Typed reads of a field's value; each error names the field.
impl<'a> Field<'a> {
    fn wrong(&self, expected: &'static str, name: &'static str) -> DecodeError {
        DecodeError::new(DecodeErrorKind::WrongWireType { expected, found: self.value.wire_name() }).within(name)
    }

    /// The bytes of a length-delimited field.
    #[inline]
    pub fn bytes(&self, name: &'static str) -> Result<&'a [u8], DecodeError> {
        match self.value {
            WireValue::Len(bytes) => Ok(bytes),
            _ => Err(self.wrong("length-delimited", name)),
        }
    }

    /// A string. Invalid UTF-8 is replaced with U+FFFD, as Go's JSON encoder does, so that a
    /// protobuf and a JSON read of the same object agree.
    #[inline]
    pub fn string(&self, name: &'static str) -> Result<Str, DecodeError> {
        // Valid UTF-8 (all the server writes) becomes a `Str` directly: inline up to 24
        // bytes, with no intermediate `String`.
        self.bytes(name).map(|bytes| Str::from(text(bytes)))
    }

    /// A string, `None` when empty: for Go `string` fields with `omitempty`, which gogo
    /// writes even when empty but JSON leaves out.
    #[inline]
    pub fn non_empty_string(&self, name: &'static str) -> Result<Option<Str>, DecodeError> {
        self.string(name).map(|text| Some(text).filter(|text| !text.is_empty()))
    }

    /// Reads a string into `target`: out of line, so that each of the many string fields of
    /// a generated decoder costs a call rather than an inlined copy of the conversion.
    #[inline(never)]
    pub fn set_string(&self, target: &mut Str, name: &'static str) -> Result<(), DecodeError> {
        write_text(target, self.bytes(name)?);
        Ok(())
    }

    /// Reads a string into an optional `target`, kept when empty (a Go `*string`).
    #[inline(never)]
    pub fn set_optional_string(&self, target: &mut Option<Str>, name: &'static str) -> Result<(), DecodeError> {
        let bytes = self.bytes(name)?;
        write_text(target.insert(Str::const_new("")), bytes);
        Ok(())
    }

    /// Reads a string into an optional `target`, `None` when empty ([`Field::non_empty_string`]).
    #[inline(never)]
    pub fn set_non_empty_string(&self, target: &mut Option<Str>, name: &'static str) -> Result<(), DecodeError> {
        let bytes = self.bytes(name)?;
        if bytes.is_empty() {
            *target = None;
        } else {
            write_text(target.insert(Str::const_new("")), bytes);
        }
        Ok(())
    }

    /// The raw varint.
    #[inline]
    pub fn varint(&self, name: &'static str) -> Result<u64, DecodeError> {
        match self.value {
            WireValue::Varint(value) => Ok(value),
            _ => Err(self.wrong("varint", name)),
        }
    }

    /// An `int64` (two's complement in the varint).
    #[inline]
    pub fn int64(&self, name: &'static str) -> Result<i64, DecodeError> {
        self.varint(name).map(|value| value as i64)
    }

    /// An `int32`: Go writes negative values sign-extended to 64 bits; anything else out of
    /// range is an error.
    #[inline]
    pub fn int32(&self, name: &'static str) -> Result<i32, DecodeError> {
        let value = self.int64(name)?;
        i32::try_from(value).map_err(|_| DecodeError::new(DecodeErrorKind::OutOfRange(value)).within(name))
    }

    /// A `bool`.
    #[inline]
    pub fn bool(&self, name: &'static str) -> Result<bool, DecodeError> {
        self.varint(name).map(|value| value != 0)
    }

    /// A `double` (`JSONSchemaProps.maximum`).
    #[inline]
    pub fn double(&self, name: &'static str) -> Result<f64, DecodeError> {
        match self.value {
            WireValue::Fixed64(bits) => Ok(f64::from_bits(bits)),
            _ => Err(self.wrong("fixed64", name)),
        }
    }

    /// Appends the `int64` values of a repeated field: one value unpacked (what gogo writes
    /// for proto2), or a packed run of varints (which parsers must accept too).
    pub fn repeated_int64(&self, values: &mut Vec<i64>, name: &'static str) -> Result<(), DecodeError> {
        match self.value {
            WireValue::Varint(value) => values.push(value as i64),
            WireValue::Len(bytes) => {
                let mut reader = Reader::new(bytes);
                while !reader.is_empty() {
                    let value = reader.varint().map_err(|kind| DecodeError::new(kind).within(name))?;
                    values.push(value as i64);
                }
            }
            _ => return Err(self.wrong("varint or packed varints", name)),
        }
        Ok(())
    }

    /// Appends the `int32` values of a repeated field, unpacked or packed.
    pub fn repeated_int32(&self, values: &mut Vec<i32>, name: &'static str) -> Result<(), DecodeError> {
        let mut wide = Vec::new();
        self.repeated_int64(&mut wide, name)?;
        for value in wide {
            values.push(
                i32::try_from(value).map_err(|_| DecodeError::new(DecodeErrorKind::OutOfRange(value)).within(name))?,
            );
        }
        Ok(())
    }

    /// A nested message, one level deeper.
    pub fn message<M: Message>(&self, name: &'static str) -> Result<M, DecodeError> {
        decode_message(self.bytes(name)?, self.depth + 1).map_err(|error| error.within(name))
    }

    /// Merges this field's message into `target` in place, as protobuf merges a repeated
    /// occurrence of a message field; no value is built and moved, which for large messages
    /// (`PodSpec`, `Container`) is most of the cost of [`Field::message`].
    #[inline]
    pub fn merge_message<M: Message>(&self, target: &mut M, name: &'static str) -> Result<(), DecodeError> {
        merge_message(target, self.bytes(name)?, self.depth + 1).map_err(|error| error.within(name))
    }

    /// How many fields with this one's number and wire type follow it without a field
    /// between them, this one included: the items of a repeated field, which Go writes
    /// together. Only complete fields count, so a list never gets room for more than decoding
    /// them fills (a map whose entries repeat a key gets room for the repeats too: no more
    /// than a list of the same entries, a bound every decoder of this input already has).
    #[inline(never)]
    pub fn run_length(&self) -> usize {
        let WireValue::Len(_) = self.value else {
            return 1;
        };
        let key = u64::from(self.number) << 3 | 2;
        let (mut rest, mut count) = (self.following, 1);
        loop {
            // Keys and lengths of one or two bytes, read inline; anything else (a long item,
            // a large field number, a cut) goes through the reader, which decides.
            if let Some((found, key_length)) = short_varint(rest)
                && let Some((length, length_length)) = short_varint(&rest[key_length..])
            {
                match rest.get(key_length + length_length + length as usize..) {
                    Some(next) if u64::from(found) == key => rest = next,
                    _ => return count,
                }
            } else {
                let mut reader = Reader::new(rest);
                if reader.varint() != Ok(key) || reader.length_delimited().is_err() {
                    return count;
                }
                rest = &rest[reader.position..];
            }
            count += 1;
        }
    }

    /// Makes room in an empty `list` for this field's run of items ([`Field::run_length`]),
    /// so that it is allocated once and holds no spare capacity, as JSON decoding leaves it.
    #[inline]
    fn reserve_run<T>(&self, list: &mut Vec<T>) {
        if list.capacity() == 0 {
            list.reserve_exact(self.run_length());
        }
    }

    /// Appends `item`, this field's decoded value, to `list` (a repeated field).
    #[inline]
    pub fn push<T>(&self, list: &mut Vec<T>, item: T) {
        self.reserve_run(list);
        list.push(item);
    }

    /// Appends this field's string to `list` (a repeated string field), built in its place.
    #[inline(never)]
    pub fn push_string(&self, list: &mut Vec<Str>, name: &'static str) -> Result<(), DecodeError> {
        let bytes = self.bytes(name)?;
        self.reserve_run(list);
        list.push(Str::const_new(""));
        let last = list.len() - 1;
        write_text(&mut list[last], bytes);
        Ok(())
    }

    /// Merges this field's message into an optional boxed `target`, created empty when unset.
    #[inline(never)]
    pub fn merge_boxed<M: Message>(&self, target: &mut Option<Box<M>>, name: &'static str) -> Result<(), DecodeError> {
        self.merge_message(&mut **target.get_or_insert_default(), name)
    }

    /// Merges this field's message into an optional `target`, created empty when unset.
    #[inline(never)]
    pub fn merge_optional<M: Message>(&self, target: &mut Option<M>, name: &'static str) -> Result<(), DecodeError> {
        self.merge_message(target.get_or_insert_default(), name)
    }

    /// Appends this field's message to `list`, decoded in its place.
    #[inline(never)]
    pub fn push_message<M: Message>(&self, list: &mut Vec<M>, name: &'static str) -> Result<(), DecodeError> {
        self.reserve_run(list);
        // `resize_with` writes the default into the new slot; `push(M::default())` built it on
        // the stack and copied it there (a `Container` is 440 bytes): 1-2% of a Pod's decode.
        list.resize_with(list.len() + 1, M::default);
        let last = list.len() - 1;
        self.merge_message(&mut list[last], name)
    }

    /// The nesting depth of the message this field belongs to.
    #[inline]
    pub fn depth(&self) -> u32 {
        self.depth
    }
}

/// Hands each field of the message in `field` to `merge`, one level deeper: a Go struct
/// embedded inline in JSON (`Volume`'s `VolumeSource`) is a nested message in protobuf, whose
/// fields belong to the enclosing type.
pub fn merge_inline(
    field: &Field<'_>,
    name: &'static str,
    merge: impl FnMut(Field<'_>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let wrap = |error: DecodeError| error.within(name);
    let depth = field.depth + 1;
    if depth > MAX_DEPTH {
        return Err(wrap(DecodeErrorKind::TooDeep(MAX_DEPTH).into()));
    }
    for_each_field(field.bytes(name)?, depth, merge).map_err(wrap)
}

/// A message that wraps a repeated string in field 1 (`ExtraValue`, `Verbs`: Go slices of
/// strings used as map values, which protobuf cannot repeat directly).
pub fn repeated_strings(field: &Field<'_>, name: &'static str) -> Result<Vec<Str>, DecodeError> {
    let mut values = Vec::new();
    merge_inline(field, name, |inner| {
        if inner.number == 1 {
            values.push(inner.string("items")?);
        }
        Ok(())
    })?;
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_decode_and_overflow_fails() {
        assert_eq!(Reader::new(&[0x96, 0x01]).varint(), Ok(150));
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(Reader::new(&max).varint(), Ok(u64::MAX));
        let over = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(Reader::new(&over).varint(), Err(DecodeErrorKind::VarintOverflow));
        assert_eq!(Reader::new(&[0x80]).varint(), Err(DecodeErrorKind::Truncated));
    }

    /// A varint field's value is read inline by `whole_varint` when it is whole and fits, and
    /// otherwise left to `field_in_full`: either way, the same values and the same errors as
    /// `Reader::varint`.
    #[test]
    fn varint_fields_read_inline_agree_with_the_full_path() {
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        let over = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        let eleven = [0x80; 11];
        let values: [&[u8]; 8] =
            [&[0x00], &[0x7f], &[0x96, 0x01], &[0x80, 0x80, 0x80, 0x80, 0x06], &max, &over, &eleven, &[0x80]];
        for value in values {
            let expected = Reader::new(value).varint();
            assert_eq!(whole_varint(value).ok_or(()), expected.clone().map(|v| (v, value.len())).map_err(drop));
            // Field 1, varint, the value, then (after a valid one) a field that must be found.
            let next: &[u8] = if expected.is_ok() { &[0x10, 0x07] } else { &[] };
            let input = [&[0x08], value, next].concat();
            let mut reader = Reader::new(&input);
            let first = reader.field(0).map(|field| field.map(|field| field.value));
            assert_eq!(first, expected.clone().map(|v| Some(WireValue::Varint(v))), "{value:?}");
            if expected.is_ok() {
                let second = reader.field(0).expect("valid").expect("a second field");
                assert_eq!((second.number, second.value, second.following), (2, WireValue::Varint(7), &[][..]));
            }
        }
    }

    #[test]
    fn fields_of_every_wire_type_are_read() {
        let input = [0x08, 0x2a, 0x11, 1, 0, 0, 0, 0, 0, 0, 0, 0x1a, 0x02, b'h', b'i', 0x25, 2, 0, 0, 0];
        let mut reader = Reader::new(&input);
        let mut values = Vec::new();
        while let Some(field) = reader.field(0).expect("valid input") {
            values.push((field.number, field.value));
        }
        assert_eq!(
            values,
            [
                (1, WireValue::Varint(42)),
                (2, WireValue::Fixed64(1)),
                (3, WireValue::Len(b"hi")),
                (4, WireValue::Fixed32(2)),
            ]
        );
    }

    #[test]
    fn repeated_scalars_decode_packed_and_unpacked() {
        let mut values = Vec::new();
        let unpacked = Field { number: 1, value: WireValue::Varint(u64::MAX), depth: 0, following: &[] };
        unpacked.repeated_int64(&mut values, "groups").expect("unpacked");
        let packed = Field { number: 1, value: WireValue::Len(&[0x01, 0x96, 0x01]), depth: 0, following: &[] };
        packed.repeated_int64(&mut values, "groups").expect("packed");
        assert_eq!(values, [-1, 1, 150]);
        let truncated = Field { number: 1, value: WireValue::Len(&[0x96]), depth: 0, following: &[] };
        let error = truncated.repeated_int64(&mut values, "groups").expect_err("truncated");
        assert_eq!((error.path(), error.kind()), ("groups".to_owned(), &DecodeErrorKind::Truncated));
        let mut narrow = Vec::new();
        let error = unpacked.repeated_int32(&mut narrow, "ports").err();
        assert_eq!(error.map(|error| error.kind().clone()), None, "-1 sign-extended is an int32");
        let wide = Field { number: 1, value: WireValue::Varint(1 << 40), depth: 0, following: &[] };
        assert!(wide.repeated_int32(&mut narrow, "ports").is_err());
        let double = Field { number: 1, value: WireValue::Fixed64(2.5f64.to_bits()), depth: 0, following: &[] };
        assert_eq!(double.double("maximum"), Ok(2.5));
    }

    #[test]
    fn a_run_of_repeated_items_is_counted_and_allocated_once() {
        // Three strings of field 1, a field 2, a fourth field 1, and a cut field 1.
        let input = [0x0a, 1, b'a', 0x0a, 0, 0x0a, 1, b'c', 0x10, 1, 0x0a, 1, b'd', 0x0a, 5, b'e'];
        let mut reader = Reader::new(&input);
        let first = reader.field(0).expect("valid").expect("a field");
        assert_eq!(first.run_length(), 3, "the run ends at a field of another number");
        let second = reader.field(0).expect("valid").expect("a field");
        assert_eq!(second.run_length(), 2);
        let mut list = Vec::new();
        first.push(&mut list, first.string("items").expect("a string"));
        assert_eq!(list.capacity(), 3);
        // A later item of the same field, after another field, grows the list as usual.
        let mut reader = Reader::new(&input[10..]);
        let late = reader.field(0).expect("valid").expect("a field");
        assert_eq!(late.run_length(), 1, "a cut item is not counted");
        let varint = Field { number: 2, value: WireValue::Varint(1), depth: 0, following: &input };
        assert_eq!(varint.run_length(), 1);
    }

    /// `run_length` reads short keys and lengths inline and the rest through the reader: the
    /// count is the reader's for keys and lengths of one to three bytes, mixed, and for the
    /// run cut at every byte of its first and last 40 and every 97th in between.
    #[test]
    fn run_length_counts_as_the_reader_does_for_any_key_and_length_size() {
        fn by_reader(number: u32, following: &[u8]) -> usize {
            let key = u64::from(number) << 3 | 2;
            let mut reader = Reader::new(following);
            let mut count = 1;
            while reader.varint() == Ok(key) && reader.length_delimited().is_ok() {
                count += 1;
            }
            count
        }
        for number in [1, 15, 16, 2047, 2048, 1 << 20] {
            let mut writer = crate::proto::Writer::new();
            for length in [0usize, 1, 127, 128, 16_383, 16_384, 3] {
                writer.bytes(number, &vec![b'x'; length]);
            }
            // Another field ends the run.
            writer.varint(1, 1);
            let following = writer.into_bytes();
            for end in (0..=following.len()).filter(|end| end % 97 == 0 || *end < 40 || following.len() - end < 40) {
                let cut = &following[..end];
                let field = Field { number, value: WireValue::Len(b""), depth: 0, following: cut };
                assert_eq!(field.run_length(), by_reader(number, cut), "field {number}, cut at {end}");
            }
            let field = Field { number, value: WireValue::Len(b""), depth: 0, following: &following };
            assert_eq!(field.run_length(), 8, "field {number}: the first item and seven more");
        }
    }

    /// `text` agrees with `String::from_utf8_lossy` on ASCII, other UTF-8 and invalid input
    /// of any length, and borrows whenever the bytes are UTF-8.
    #[test]
    fn text_replaces_invalid_utf8() {
        let long = "é".repeat(64);
        let long_ascii = "x".repeat(100);
        let cases: [&[u8]; 11] = [
            b"",
            b"ascii",
            "naïve ✓ 😀".as_bytes(),
            b"\xffok",
            b"ok\xe2\x82",
            b"a\xc3(b",
            b"0123456789abcdef\x80",
            long.as_bytes(),
            &[long.as_bytes(), b"\xff"].concat().leak()[..],
            long_ascii.as_bytes(),
            &[long_ascii.as_bytes(), b"\xc3"].concat().leak()[..],
        ];
        for bytes in cases {
            let expected = String::from_utf8_lossy(bytes);
            let decoded = text(bytes);
            assert_eq!(decoded, expected, "{bytes:?}");
            assert_eq!(matches!(decoded, Cow::Borrowed(_)), std::str::from_utf8(bytes).is_ok(), "{bytes:?}");
        }
        // Cut at every byte: a character split at the end is replaced, never kept half.
        let mixed = "ab☃cd😀e".repeat(8);
        for end in 0..=mixed.len() {
            let bytes = &mixed.as_bytes()[..end];
            assert_eq!(text(bytes), String::from_utf8_lossy(bytes), "cut at {end}");
        }
    }

    #[test]
    fn strings_are_written_in_place_over_any_earlier_value() {
        let field = |bytes: &'static [u8]| Field { number: 1, value: WireValue::Len(bytes), depth: 0, following: &[] };
        let long = "a string longer than the twenty-four bytes a Str holds inline";
        // Over an inline value, a heap value, and a value of the same field seen before.
        let mut text = Str::from(long);
        field(b"short").set_string(&mut text, "name").expect("a string");
        assert_eq!((text.as_str(), text.is_heap_allocated()), ("short", false));
        field(b"other").set_string(&mut text, "name").expect("a string");
        assert_eq!(text, "other");
        field(long.as_bytes()).set_string(&mut text, "name").expect("a string");
        assert_eq!(text, long);
        field(b"\xffok").set_string(&mut text, "name").expect("invalid UTF-8 is replaced");
        assert_eq!(text, "\u{fffd}ok");
        let mut optional = Some(Str::from("old"));
        field(b"").set_non_empty_string(&mut optional, "image").expect("a string");
        assert_eq!(optional, None, "empty is unset where Go's omitempty leaves it out");
        field(b"").set_optional_string(&mut optional, "fsType").expect("a string");
        assert_eq!(optional.as_deref(), Some(""), "a Go *string keeps its empty value");
        field(b"x").set_non_empty_string(&mut optional, "image").expect("a string");
        assert_eq!(optional.as_deref(), Some("x"));
        let mut list = Vec::new();
        let input = [0x0a, 1, b'a', 0x0a, 1, b'b'];
        let mut reader = Reader::new(&input);
        while let Some(item) = reader.field(0).expect("valid") {
            item.push_string(&mut list, "args").expect("a string");
        }
        let capacity = list.capacity();
        assert_eq!((list, capacity), (vec![Str::from("a"), Str::from("b")], 2));
        let wrong = Field { number: 1, value: WireValue::Varint(1), depth: 0, following: &[] };
        assert!(wrong.set_string(&mut text, "name").is_err());
    }

    /// One read: the field's number and value (as text), or the error; and the position after.
    type Step = (Result<Option<(u32, String)>, DecodeErrorKind>, usize);

    /// Reads every field of `input` one way or the other, with the position after each.
    fn read_all<'a>(
        input: &'a [u8],
        read: impl Fn(&mut Reader<'a>) -> Result<Option<Field<'a>>, DecodeErrorKind>,
    ) -> Vec<Step> {
        let mut reader = Reader::new(input);
        let mut out = Vec::new();
        loop {
            let result = read(&mut reader);
            let step = result.clone().map(|field| field.map(|field| (field.number, format!("{:?}", field.value))));
            out.push((step, reader.position()));
            if !matches!(result, Ok(Some(_))) {
                return out;
            }
        }
    }

    #[test]
    fn the_inlined_path_reads_as_the_full_one() {
        // Short and long keys, varints and lengths at the two-byte boundary, cut input, field
        // number 0 and stray continuation bytes: both paths must agree on every field, every
        // error and every position. A fixed-seed generator keeps the cases the same each run.
        let mut cases: Vec<Vec<u8>> = vec![
            vec![0x08, 0x7f],
            vec![0x08, 0x80, 0x01],
            vec![0x80, 0x01, 0x05],
            vec![0xf8, 0x7f, 0x01],
            vec![0x0a, 0xff, 0x7f],
            vec![0x0a, 0x80, 0x01],
            vec![0x0a, 0x03, b'a', b'b'],
            vec![0x02, 0x00],
            vec![0x12, 0x00, 0x12, 0x01, 0x00],
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let mut case = Vec::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            for index in 0..(state % 9) {
                let byte = (state >> (8 * (index % 8))) as u8;
                // Mostly small bytes, as real keys and lengths are.
                case.push(if index % 3 == 2 { byte } else { byte & 0x1f | (byte & 0x80) });
            }
            cases.push(case);
        }
        for case in &cases {
            let full = read_all(case, |reader| reader.field_in_full(0));
            assert_eq!(read_all(case, |reader| reader.field(0)), full, "input {case:02x?}");
        }
    }

    #[test]
    fn oversized_lengths_and_groups_fail_without_allocating() {
        let huge = [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f];
        assert_eq!(Reader::new(&huge).field(0), Err(DecodeErrorKind::LengthOutOfBounds(0xffff_ffff)));
        assert_eq!(Reader::new(&[0x0b]).field(0), Err(DecodeErrorKind::UnsupportedWireType(3)));
        assert_eq!(Reader::new(&[0x00]).field(0), Err(DecodeErrorKind::InvalidFieldNumber(0)));
    }
}
