//! Kubernetes protobuf: the wire format, the `k8s\0` envelope, watch framing, apimachinery's
//! special types and the metadata types, decoded into the runtime's own types (no second
//! family of protobuf types), and written from them ([`Writer`], [`EncodeMessage`]) for request
//! bodies.
//!
//! This is the foundation of protobuf for built-in types: generated per-type decoders build on
//! [`Message`] and [`Field`]'s typed reads; field numbers come from the committed table
//! `specs/kubernetes-v1.35-protobuf.json`. Nothing here panics on malformed input: every read
//! is bounds-checked, lengths are checked before use, nesting is limited to [`MAX_DEPTH`].

mod envelope;
mod error;
mod list;
mod list_stream;
mod map_entry;
mod meta;
mod reader;
mod special;
mod status;
mod watch_frame;
mod writer;

pub use envelope::{CONTENT_TYPE, MAGIC, Unknown, WATCH_CONTENT_TYPE, decode_envelope};
pub use error::{DecodeError, DecodeErrorKind};
pub use list::{ObjectHead, RawList};
pub use list_stream::ListStreamDecoder;
pub use map_entry::{byte_string, merge_entry, merge_string_entry};
pub use reader::{
    Field, MAX_DEPTH, Message, Reader, WireValue, decode_message, for_each_field, merge_inline, merge_message,
    repeated_strings,
};
pub use special::{fields_v1, int_or_string, json, micro_time, quantity, raw_extension, time};
pub use watch_frame::{DEFAULT_MAX_FRAME, FrameDecoder, WatchEvent, decode_watch_event};
pub use writer::{EncodeMessage, Writer, encode_envelope};

#[cfg(test)]
mod tests;
