//! Lists and metadata-only objects, for every kind: every Kubernetes object's message has its
//! `metadata` at field 1, and every list's message is {metadata=1 ListMeta, items=2}.

use super::error::DecodeError;
use super::reader::{Field, Message, for_each_field};
use crate::types::{ListMeta, ObjectMeta};

/// A list with its items still encoded: each item is the item kind's message (no envelope).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawList<'a> {
    /// The list's metadata (`resourceVersion`, `continue`).
    pub metadata: ListMeta,
    /// Each item's message.
    pub items: Vec<&'a [u8]>,
}

impl<'a> RawList<'a> {
    /// Decodes a list message (an envelope's `raw`), leaving the items encoded.
    pub fn decode(raw: &'a [u8]) -> Result<Self, DecodeError> {
        let wrap = |error: DecodeError| error.within("List");
        let mut out = Self::default();
        for_each_field(raw, 1, |field| {
            match field.number {
                1 => out.metadata = field.message("metadata")?,
                2 => out.items.push(field.bytes("items")?),
                _ => {}
            }
            Ok(())
        })
        .map_err(wrap)?;
        Ok(out)
    }
}

/// The metadata of any object, its other fields skipped (`meta/v1`
/// `PartialObjectMetadata`, whose message has the same field 1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectHead {
    /// The object's metadata.
    pub metadata: ObjectMeta,
}

impl Message for ObjectHead {
    const NAME: &'static str = "PartialObjectMetadata";

    fn merge_field(&mut self, field: Field<'_>) -> Result<(), DecodeError> {
        if field.number == 1 {
            field.merge_message(&mut self.metadata, "metadata")?;
        }
        Ok(())
    }
}
