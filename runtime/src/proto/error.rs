//! Errors of protobuf decoding, naming the type and field where decoding failed.

use std::fmt;

/// What went wrong, without where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended inside a field.
    #[error("truncated input")]
    Truncated,
    /// A varint longer than ten bytes, or over 64 bits.
    #[error("varint overflows 64 bits")]
    VarintOverflow,
    /// A field key with number 0 or over 2^29-1.
    #[error("invalid field number {0}")]
    InvalidFieldNumber(u64),
    /// A wire type protobuf does not define, or a group (which Kubernetes never writes).
    #[error("unsupported wire type {0}")]
    UnsupportedWireType(u8),
    /// A known field with a wire type other than its declared one.
    #[error("wire type {found} where {expected} was expected")]
    WrongWireType {
        /// The declared wire type.
        expected: &'static str,
        /// The wire type in the input.
        found: &'static str,
    },
    /// A length prefix longer than the rest of the input, or over the limit.
    #[error("length {0} exceeds the remaining input")]
    LengthOutOfBounds(u64),
    /// Messages nested deeper than [`super::MAX_DEPTH`].
    #[error("messages nested deeper than {0}")]
    TooDeep(u32),
    /// A body without the `k8s\0` prefix of Kubernetes protobuf.
    #[error("missing the `k8s\\0` prefix of a Kubernetes protobuf body")]
    MissingMagic,
    /// A value out of its type's range (a timestamp past year 9999, an int32 over 2^31).
    #[error("value {0} out of range")]
    OutOfRange(i64),
    /// An embedded raw value (RawExtension, FieldsV1) that is not JSON.
    #[error("embedded value is not JSON: {0}")]
    InvalidJson(String),
    /// A type without a protobuf decoder (a custom resource, or a crate built without its
    /// `protobuf` feature).
    #[error("{0} has no protobuf decoder")]
    NoDecoder(&'static str),
    /// A watch frame longer than the limit.
    #[error("watch frame of {0} bytes exceeds the limit")]
    FrameTooLarge(u64),
}

/// A protobuf decoding error: the path of messages and fields to the failure (`ObjectMeta`,
/// `ownerReferences`, `uid`) and what failed.
///
/// Boxed, so that the error side of the `Result` every field read returns is one word: an
/// unboxed path and kind made even `Result<(), DecodeError>` 64 bytes, returned through memory
/// on the success path nearly every call takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DecodeError(Box<Located>);

/// The parts of a [`DecodeError`].
#[derive(Debug, Clone, PartialEq, Eq)]
struct Located {
    /// Innermost first: fields and types are pushed as the error unwinds.
    path: Vec<&'static str>,
    kind: DecodeErrorKind,
}

impl DecodeError {
    /// An error at no particular place yet.
    #[cold]
    pub fn new(kind: DecodeErrorKind) -> Self {
        Self(Box::new(Located { path: Vec::new(), kind }))
    }

    /// The same error, one level out: `segment` is the field or type containing the failure.
    #[cold]
    pub fn within(mut self, segment: &'static str) -> Self {
        self.0.path.push(segment);
        self
    }

    /// What failed.
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.0.kind
    }

    /// Where it failed, outermost first: `Pod.metadata.ownerReferences.uid`.
    pub fn path(&self) -> String {
        let mut segments = self.0.path.iter().rev();
        let mut out = String::new();
        if let Some(first) = segments.next() {
            out.push_str(first);
        }
        for segment in segments {
            out.push('.');
            out.push_str(segment);
        }
        out
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.path.is_empty() {
            write!(f, "decoding protobuf: {}", self.0.kind)
        } else {
            write!(f, "decoding protobuf {}: {}", self.path(), self.0.kind)
        }
    }
}

impl From<DecodeErrorKind> for DecodeError {
    fn from(kind: DecodeErrorKind) -> Self {
        Self::new(kind)
    }
}
