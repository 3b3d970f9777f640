//! The Kubernetes protobuf envelope: the 4 bytes `k8s\0`, then a `runtime.Unknown` message
//! {typeMeta=1 {apiVersion=1, kind=2}, raw=2, contentEncoding=3, contentType=4} whose `raw`
//! is the object's own message, without apiVersion and kind (apimachinery
//! `pkg/runtime/serializer/protobuf/protobuf.go`, `pkg/runtime/generated.proto`).

use super::error::{DecodeError, DecodeErrorKind};
use super::reader::{Field, Message, decode_message, for_each_field};
use crate::types::{Status, Str};

/// The prefix of every Kubernetes protobuf body.
pub const MAGIC: [u8; 4] = *b"k8s\0";

/// The media type of protobuf bodies.
pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// The media type of protobuf watch streams (frames of `proto::watch_frame`).
pub const WATCH_CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf;stream=watch";

/// A decoded envelope: the object's type and its still-encoded message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unknown<'a> {
    /// `apiVersion` of the object (`v1`, `apps/v1`).
    pub api_version: Str,
    /// `kind` of the object (`Pod`, `PodList`, `Status`).
    pub kind: Str,
    /// The object's message.
    pub raw: &'a [u8],
    /// Encoding of `raw` beyond protobuf; empty (none) for everything the server writes.
    pub content_encoding: Str,
    /// Content type of `raw`; empty means protobuf.
    pub content_type: Str,
}

impl<'a> Unknown<'a> {
    /// Decodes `raw` as the message `M`, naming `M` in errors.
    pub fn decode<M: Message>(&self) -> Result<M, DecodeError> {
        decode_message(self.raw, 1)
    }

    /// Whether the object is a `Status` (an error, or the result of a delete).
    pub fn is_status(&self) -> bool {
        self.kind == "Status" && self.api_version == "v1"
    }

    /// The object as a `Status`, with apiVersion and kind from the envelope.
    pub fn decode_status(&self) -> Result<Status, DecodeError> {
        self.decode()
    }
}

#[derive(Default)]
struct TypeMeta {
    api_version: Str,
    kind: Str,
}

impl Message for TypeMeta {
    const NAME: &'static str = "TypeMeta";

    fn merge_field(&mut self, field: Field<'_>) -> Result<(), DecodeError> {
        match field.number {
            1 => self.api_version = field.string("apiVersion")?,
            2 => self.kind = field.string("kind")?,
            _ => {}
        }
        Ok(())
    }
}

/// Decodes the envelope of a protobuf body (a response, or a watch event's object).
pub fn decode_envelope(body: &[u8]) -> Result<Unknown<'_>, DecodeError> {
    let wrap = |error: DecodeError| error.within("Unknown");
    let message = body.strip_prefix(&MAGIC).ok_or_else(|| wrap(DecodeErrorKind::MissingMagic.into()))?;
    let mut out = Unknown::default();
    for_each_field(message, 0, |field| {
        match field.number {
            1 => {
                let meta: TypeMeta = field.message("typeMeta")?;
                out.api_version = meta.api_version;
                out.kind = meta.kind;
            }
            2 => out.raw = field.bytes("raw")?,
            3 => field.set_string(&mut out.content_encoding, "contentEncoding")?,
            4 => field.set_string(&mut out.content_type, "contentType")?,
            _ => {}
        }
        Ok(())
    })
    .map_err(wrap)?;
    Ok(out)
}
