//! A protobuf list decoded while it arrives: each item of the list's `items` is decoded as soon
//! as its last byte is in, as `ListDecoder` does for JSON, so decoding overlaps the server's
//! encoding and the undecoded bytes held are about one item, not the whole body.
//!
//! The body is `k8s\0`, then a `runtime.Unknown` whose field 2 (`raw`) is the list message
//! {metadata=1 ListMeta, items=2 repeated}; the decoder walks the envelope's fields, enters
//! `raw` without waiting for all of it, and takes the list's fields one by one.

use super::envelope::MAGIC;
use super::error::{DecodeError, DecodeErrorKind};
use super::reader::{Reader, decode_message};
use crate::client::ObjectList;
use crate::resource::Object;
use crate::types::ListMeta;

/// Where the decoder is in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the 4-byte prefix.
    Magic,
    /// Between fields of the envelope.
    Envelope,
    /// Inside the envelope's `raw` (the list message), with this many bytes of it left.
    List { remaining: u64 },
}

/// Decodes a protobuf list of `K` from chunks as they arrive.
#[derive(Debug)]
pub struct ListStreamDecoder<K> {
    buffer: Vec<u8>,
    /// Bytes of `buffer` already consumed (dropped when the buffer is compacted).
    position: usize,
    state: State,
    metadata: ListMeta,
    items: Vec<K>,
    saw_list: bool,
}

impl<K> Default for ListStreamDecoder<K> {
    fn default() -> Self {
        Self {
            buffer: Vec::new(),
            position: 0,
            state: State::Magic,
            metadata: ListMeta::default(),
            items: Vec::new(),
            saw_list: false,
        }
    }
}

/// A length-delimited or scalar field at the front of the unread bytes, if it is whole.
struct Head {
    number: u64,
    /// Bytes of the key (and the length prefix, for length-delimited fields).
    header: usize,
    /// Bytes of the value after the header (0 for a varint, which the header includes).
    length: u64,
    delimited: bool,
}

fn error(kind: DecodeErrorKind) -> DecodeError {
    DecodeError::new(kind).within("List")
}

impl<K: Object> ListStreamDecoder<K> {
    /// A decoder at the start of a body.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next chunk and decodes every item that is now complete.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), DecodeError> {
        if self.position > 0 && self.position * 2 >= self.buffer.len() {
            self.buffer.drain(..self.position);
            self.position = 0;
        }
        self.buffer.extend_from_slice(chunk);
        while self.step()? {}
        Ok(())
    }

    /// The list, once the body has ended; an error if it ended inside a field.
    pub fn finish(mut self) -> Result<ObjectList<K>, DecodeError> {
        while self.step()? {}
        if self.state != State::Envelope || self.position < self.buffer.len() || !self.saw_list {
            return Err(error(DecodeErrorKind::Truncated));
        }
        Ok(ObjectList { metadata: self.metadata, items: self.items })
    }

    fn unread(&self) -> &[u8] {
        &self.buffer[self.position..]
    }

    /// The field at the front of the unread bytes, if its key (and length) are in.
    fn head(&self) -> Result<Option<Head>, DecodeError> {
        let mut reader = Reader::new(self.unread());
        let key = match reader.varint() {
            Ok(key) => key,
            Err(DecodeErrorKind::Truncated) => return Ok(None),
            Err(kind) => return Err(error(kind)),
        };
        let number = key >> 3;
        if number == 0 || number > (1 << 29) - 1 {
            return Err(error(DecodeErrorKind::InvalidFieldNumber(number)));
        }
        let (length, delimited) = match key & 7 {
            0 => match reader.varint() {
                Ok(_) => (0, false),
                Err(DecodeErrorKind::Truncated) => return Ok(None),
                Err(kind) => return Err(error(kind)),
            },
            1 => (8, false),
            5 => (4, false),
            2 => match reader.varint() {
                Ok(length) => (length, true),
                Err(DecodeErrorKind::Truncated) => return Ok(None),
                Err(kind) => return Err(error(kind)),
            },
            other => return Err(error(DecodeErrorKind::UnsupportedWireType(other as u8))),
        };
        let header = self.unread().len() - reader_remaining(&reader, self.unread().len());
        Ok(Some(Head { number, header, length, delimited }))
    }

    /// One step; `false` when more input is needed (or the body is done).
    fn step(&mut self) -> Result<bool, DecodeError> {
        match self.state {
            State::Magic => {
                if self.unread().len() < MAGIC.len() {
                    return Ok(false);
                }
                if self.unread()[..MAGIC.len()] != MAGIC {
                    return Err(DecodeError::new(DecodeErrorKind::MissingMagic).within("Unknown"));
                }
                self.position += MAGIC.len();
                self.state = State::Envelope;
                Ok(true)
            }
            State::Envelope => {
                let Some(head) = self.head()? else { return Ok(false) };
                if head.number == 2 && head.delimited {
                    // `raw`: entered, not waited for.
                    self.position += head.header;
                    self.state = State::List { remaining: head.length };
                    self.saw_list = true;
                    return Ok(true);
                }
                // typeMeta, contentEncoding, contentType: skipped once whole.
                let whole = head.header as u64 + head.length;
                if (self.unread().len() as u64) < whole {
                    return Ok(false);
                }
                self.position += whole as usize;
                Ok(true)
            }
            State::List { remaining: 0 } => {
                self.state = State::Envelope;
                Ok(true)
            }
            State::List { remaining } => {
                let Some(head) = self.head()? else { return Ok(false) };
                let whole = head.header as u64 + head.length;
                if whole > remaining {
                    return Err(error(DecodeErrorKind::LengthOutOfBounds(head.length)));
                }
                if (self.unread().len() as u64) < whole {
                    return Ok(false);
                }
                let start = self.position + head.header;
                let value = &self.buffer[start..self.position + whole as usize];
                match (head.number, head.delimited) {
                    (1, true) => {
                        self.metadata =
                            decode_message(value, 2).map_err(|error| error.within("metadata").within("List"))?;
                    }
                    (2, true) => {
                        let item = K::from_protobuf(value).map_err(|error| error.within("items").within("List"))?;
                        self.items.push(item);
                    }
                    _ => {}
                }
                self.position += whole as usize;
                self.state = State::List { remaining: remaining - whole };
                Ok(true)
            }
        }
    }
}

/// How many bytes `reader` has not read of an input of `total` bytes.
fn reader_remaining(reader: &Reader<'_>, total: usize) -> usize {
    total - reader.position().min(total)
}
