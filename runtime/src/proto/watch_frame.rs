//! Protobuf watch streams (`application/vnd.kubernetes.protobuf;stream=watch`): each frame is
//! a 4-byte big-endian length, then a `meta/v1` `WatchEvent` {type=1, object=2 RawExtension
//! {raw=1}} whose object is a whole `k8s\0` envelope (apimachinery `pkg/util/framer`,
//! apiserver `pkg/endpoints/handlers/watch.go`).

use bytes::{Buf, BytesMut};

use super::envelope::{Unknown, decode_envelope};
use super::error::{DecodeError, DecodeErrorKind};
use super::reader::for_each_field;
use crate::types::Str;

/// The default largest frame accepted: the API server's largest request body (3 MiB) is far
/// below it, so only a broken or hostile stream reaches it.
pub const DEFAULT_MAX_FRAME: usize = 16 << 20;

/// Splits a watch stream's bytes into frames as they arrive.
#[derive(Debug)]
pub struct FrameDecoder {
    buffer: BytesMut,
    max_frame: usize,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_FRAME)
    }
}

impl FrameDecoder {
    /// A decoder refusing frames longer than `max_frame` bytes.
    pub fn new(max_frame: usize) -> Self {
        Self { buffer: BytesMut::new(), max_frame }
    }

    /// Adds bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next whole frame, `None` until one has fully arrived. A length over the limit is
    /// an error before any of the frame is buffered beyond what was pushed.
    pub fn next_frame(&mut self) -> Result<Option<BytesMut>, DecodeError> {
        let Some(prefix) = self.buffer.first_chunk::<4>() else { return Ok(None) };
        let length = u32::from_be_bytes(*prefix);
        let length = usize::try_from(length).ok().filter(|&length| length <= self.max_frame);
        let Some(length) = length else {
            return Err(DecodeError::new(DecodeErrorKind::FrameTooLarge(u64::from(u32::from_be_bytes(*prefix))))
                .within("WatchFrame"));
        };
        if self.buffer.len() - 4 < length {
            return Ok(None);
        }
        self.buffer.advance(4);
        Ok(Some(self.buffer.split_to(length)))
    }

    /// Bytes received but not yet returned as frames (a partial frame at the end of a stream).
    pub fn pending(&self) -> usize {
        self.buffer.len()
    }
}

/// One decoded watch event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchEvent<'a> {
    /// `ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK` or `ERROR` (inline: no allocation per event).
    pub event_type: Str,
    /// The object's envelope (a `Status` for `ERROR`).
    pub object: Unknown<'a>,
}

/// Decodes a frame's `WatchEvent` and the envelope of its object.
pub fn decode_watch_event(frame: &[u8]) -> Result<WatchEvent<'_>, DecodeError> {
    let wrap = |error: DecodeError| error.within("WatchEvent");
    let mut event_type = Str::default();
    let mut raw: &[u8] = &[];
    for_each_field(frame, 0, |field| {
        match field.number {
            1 => field.set_string(&mut event_type, "type")?,
            2 => {
                let in_object = |error: DecodeError| error.within("RawExtension").within("object");
                for_each_field(field.bytes("object")?, 1, |inner| {
                    if inner.number == 1 {
                        raw = inner.bytes("raw")?;
                    }
                    Ok(())
                })
                .map_err(in_object)?;
            }
            _ => {}
        }
        Ok(())
    })
    .map_err(wrap)?;
    let object = decode_envelope(raw).map_err(|error| wrap(error.within("object")))?;
    Ok(WatchEvent { event_type, object })
}
