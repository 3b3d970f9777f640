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
    /// The start of the one field that the chunks so far have cut (an item, or the list's
    /// metadata, or an envelope field being skipped).
    pending: Vec<u8>,
    state: State,
    metadata: ListMeta,
    items: Vec<K>,
    /// The encoded bytes of the items so far, headers included.
    item_bytes: u64,
    saw_list: bool,
    /// The list's metadata has been decoded.
    saw_metadata: bool,
}

impl<K> Default for ListStreamDecoder<K> {
    fn default() -> Self {
        Self {
            pending: Vec::new(),
            state: State::Magic,
            metadata: ListMeta::default(),
            items: Vec::new(),
            item_bytes: 0,
            saw_list: false,
            saw_metadata: false,
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
    ///
    /// Items wholly inside `chunk` are decoded where they are: only the field that a chunk
    /// cuts is copied, completed from the front of the next one. (A whole body pushed at
    /// once is never copied.)
    pub fn push(&mut self, mut chunk: &[u8]) -> Result<(), DecodeError> {
        while !self.pending.is_empty() && !chunk.is_empty() {
            let mut pending = std::mem::take(&mut self.pending);
            let take = self.wanted(&pending)?.clamp(1, chunk.len());
            pending.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            let used = self.consume(&pending)?;
            pending.drain(..used);
            self.pending = pending;
        }
        let used = self.consume(chunk)?;
        self.pending.extend_from_slice(&chunk[used..]);
        Ok(())
    }

    /// How many more bytes the field cut at the front of `pending` needs; a guess when its
    /// key or length is cut too. A guess too large only copies bytes that [`Self::consume`]
    /// then takes from the copy.
    fn wanted(&self, pending: &[u8]) -> Result<usize, DecodeError> {
        let whole = match self.state {
            State::Magic => MAGIC.len() as u64,
            State::Envelope | State::List { .. } => match head(pending)? {
                // A key and a length take at most 20 bytes.
                None => 20,
                // `raw`'s header is whole, so it was entered: not reached, but harmless.
                Some(head) if self.state == State::Envelope && head.number == 2 && head.delimited => head.header as u64,
                Some(head) => head.header as u64 + head.length,
            },
        };
        let missing = whole.saturating_sub(pending.len() as u64);
        Ok(usize::try_from(missing).unwrap_or(usize::MAX))
    }

    /// The list's metadata (its resourceVersion and continue token), once it has arrived.
    ///
    /// The API server writes it before the items, so it is known while the items are still
    /// coming: a caller paging through a list can ask for the next page that early.
    pub fn metadata(&self) -> Option<&ListMeta> {
        self.saw_metadata.then_some(&self.metadata)
    }

    /// The list, once the body has ended; an error if it ended inside a field.
    pub fn finish(mut self) -> Result<ObjectList<K>, DecodeError> {
        let pending = std::mem::take(&mut self.pending);
        let used = self.consume(&pending)?;
        if self.state != State::Envelope || used < pending.len() || !self.saw_list {
            return Err(error(DecodeErrorKind::Truncated));
        }
        let mut items = self.items;
        // Room reserved for items that did not come (`make_room`).
        if items.capacity() - items.len() > items.len() / 16 {
            items.shrink_to_fit();
        }
        Ok(ObjectList { metadata: self.metadata, items })
    }

    /// Takes every whole field at the front of `input`; the bytes taken.
    fn consume(&mut self, input: &[u8]) -> Result<usize, DecodeError> {
        let mut used = 0;
        while let Some(taken) = self.step(&input[used..])? {
            used += taken;
        }
        Ok(used)
    }

    /// Makes room, whenever the list is full, for the items the list's remaining bytes hold
    /// if they are the average size of those so far (`item` is the one about to be added,
    /// `remaining` counts it, both with their headers), and half as many more: a large list is
    /// then allocated once, not moved 14 times as it doubles to 10,000 Pods (about a tenth of
    /// their decode time). Room the items do not fill is never written, so it costs address
    /// space, not memory, and [`ListStreamDecoder::finish`] gives it back, which shrinks the
    /// allocation where it is instead of moving the items.
    ///
    /// The remaining length is the server's claim, not bytes received: the room is asked for
    /// with `try_reserve_exact`, so a claim no allocation can meet leaves the list growing as
    /// before instead of aborting.
    fn make_room(&mut self, item: u64, remaining: u64) {
        let count = self.items.len() as u64 + 1;
        let average = ((self.item_bytes + item) / count).max(1);
        let left = remaining / average;
        // Never less than doubling: items smaller than the average so far would otherwise have
        // the list grow by a few at a time, moving it once per few items.
        let doubling = self.items.len().max(4) as u64;
        if let Ok(wanted) = usize::try_from(left.saturating_add(left / 2).max(doubling)) {
            // Failure is not an error: the list grows as it would have without the estimate.
            let _ = self.items.try_reserve_exact(wanted);
        }
    }

    /// One step over the front of `unread`: the bytes it took (0 for a change of state alone),
    /// or `None` when more input is needed (or the body is done).
    fn step(&mut self, unread: &[u8]) -> Result<Option<usize>, DecodeError> {
        match self.state {
            State::Magic => {
                if unread.len() < MAGIC.len() {
                    return Ok(None);
                }
                if unread[..MAGIC.len()] != MAGIC {
                    return Err(DecodeError::new(DecodeErrorKind::MissingMagic).within("Unknown"));
                }
                self.state = State::Envelope;
                Ok(Some(MAGIC.len()))
            }
            State::Envelope => {
                let Some(head) = head(unread)? else { return Ok(None) };
                if head.number == 2 && head.delimited {
                    // `raw`: entered, not waited for.
                    self.state = State::List { remaining: head.length };
                    self.saw_list = true;
                    return Ok(Some(head.header));
                }
                // typeMeta, contentEncoding, contentType: skipped once whole.
                let whole = head.header as u64 + head.length;
                if (unread.len() as u64) < whole {
                    return Ok(None);
                }
                Ok(Some(whole as usize))
            }
            State::List { remaining: 0 } => {
                self.state = State::Envelope;
                Ok(Some(0))
            }
            State::List { remaining } => {
                let Some(head) = head(unread)? else { return Ok(None) };
                let whole = head.header as u64 + head.length;
                if whole > remaining {
                    return Err(error(DecodeErrorKind::LengthOutOfBounds(head.length)));
                }
                if (unread.len() as u64) < whole {
                    return Ok(None);
                }
                let value = &unread[head.header..whole as usize];
                match (head.number, head.delimited) {
                    (1, true) => {
                        self.metadata =
                            decode_message(value, 2).map_err(|error| error.within("metadata").within("List"))?;
                        self.saw_metadata = true;
                    }
                    (2, true) => {
                        let item = K::from_protobuf(value).map_err(|error| error.within("items").within("List"))?;
                        if self.items.len() == self.items.capacity() {
                            self.make_room(whole, remaining);
                        }
                        self.items.push(item);
                        self.item_bytes += whole;
                    }
                    _ => {}
                }
                self.state = State::List { remaining: remaining - whole };
                Ok(Some(whole as usize))
            }
        }
    }
}

/// The field at the front of `unread`, if its key (and length) are in.
fn head(unread: &[u8]) -> Result<Option<Head>, DecodeError> {
    let mut reader = Reader::new(unread);
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
    let header = unread.len() - reader_remaining(&reader, unread.len());
    Ok(Some(Head { number, header, length, delimited }))
}

/// How many bytes `reader` has not read of an input of `total` bytes.
fn reader_remaining(reader: &Reader<'_>, total: usize) -> usize {
    total - reader.position().min(total)
}
