//! Memory layout: boxing optional structs that are large.
//!
//! A Kubernetes object holds dozens of optional sub-structs that are rarely set (a
//! `Container` has probes, a lifecycle, a security context; a `Volume` has thirty possible
//! sources). Held inline, every `Option<T>` takes `size_of::<T>()` bytes even when `None`:
//! k8s-openapi's `Pod` is 2.4 KB before any of its content, its `Container` 2.3 KB. Boxed,
//! an unset one takes 8 bytes and a set one one allocation. So every optional field whose
//! type is a struct estimated above [`BOX_THRESHOLD`] bytes is `Option<Box<T>>`. Required
//! struct fields stay inline: they are always there. So do fields named `spec` and `status`
//! ([`ALWAYS_SET`]): an object's (or a template's) spec and status are set in practice, so
//! boxing them would only add an allocation each, and they are what users construct most
//! (`spec: Some(PodSpec { .. })`).
//!
//! Sizes are estimated from the model (a `String` is 24 bytes, an `Option` of a type without a
//! spare bit pattern adds 8), which is close enough to choose, and deterministic.

use std::collections::BTreeMap;

use super::{Shape, TypeDef, TypeKind};

/// Optional struct fields estimated larger than this many bytes are boxed.
pub const BOX_THRESHOLD: usize = 32;

/// Optional fields that are set in practice: never boxed for size.
pub const ALWAYS_SET: &[&str] = &["spec", "status"];

/// Boxes every optional field whose type is a struct estimated above [`BOX_THRESHOLD`].
pub fn box_large_optionals(types: &mut BTreeMap<String, TypeDef>) {
    let mut sizes = Sizes::default();
    let mut decisions: Vec<(String, usize)> = Vec::new();
    for (id, ty) in types.iter() {
        let TypeKind::Struct(body) = &ty.kind else { continue };
        for (index, field) in body.fields.iter().enumerate() {
            if field.required || field.boxed || ALWAYS_SET.contains(&field.json_name.as_str()) {
                continue;
            }
            let Shape::Ref(target) = &field.shape else { continue };
            if matches!(types.get(target).map(|ty| &ty.kind), Some(TypeKind::Struct(_)))
                && sizes.of_type(types, target) > BOX_THRESHOLD
            {
                decisions.push((id.clone(), index));
            }
        }
    }
    for (id, index) in decisions {
        if let Some(TypeDef { kind: TypeKind::Struct(body), .. }) = types.get_mut(&id) {
            body.fields[index].boxed = true;
        }
    }
}

/// Estimated sizes of types, memoized.
#[derive(Default)]
struct Sizes {
    known: BTreeMap<String, usize>,
}

impl Sizes {
    fn of_type(&mut self, types: &BTreeMap<String, TypeDef>, id: &str) -> usize {
        if let Some(size) = self.known.get(id) {
            return *size;
        }
        // Guards recursion: a type reached again while being measured counts as a pointer
        // (such edges are boxed anyway).
        self.known.insert(id.to_owned(), 8);
        let size = match types.get(id).map(|ty| &ty.kind) {
            Some(TypeKind::Struct(body)) => {
                let fields: usize = body
                    .fields
                    .iter()
                    .map(|field| {
                        if field.boxed {
                            8
                        } else if field.required {
                            self.of_shape(types, &field.shape)
                        } else {
                            self.of_optional(types, &field.shape)
                        }
                    })
                    .sum();
                fields + body.extra.as_ref().map_or(0, |_| 24)
            }
            Some(TypeKind::Enum(_)) => 24,
            Some(TypeKind::Union(_)) => 32,
            Some(TypeKind::Alias(shape)) => self.of_shape(types, shape),
            Some(TypeKind::Newtype(shape)) => {
                if shape.by_value().is_some() {
                    8
                } else {
                    self.of_shape(types, shape)
                }
            }
            Some(TypeKind::Provided(provided)) => match provided.runtime_path {
                "ObjectMeta" => 360,
                "Time" | "MicroTime" | "FieldsV1" => 16,
                "RawExtension" => 32,
                "ListMeta" => 96,
                "Status" | "StatusDetails" => 200,
                _ => 24,
            },
            None => 8,
        };
        self.known.insert(id.to_owned(), size);
        size
    }

    fn of_shape(&mut self, types: &BTreeMap<String, TypeDef>, shape: &Shape) -> usize {
        match shape {
            Shape::Bool => 1,
            Shape::I32 => 4,
            Shape::I64 | Shape::F64 => 8,
            Shape::String | Shape::Bytes | Shape::IntOrString | Shape::Array(_) | Shape::Map(_) => 24,
            Shape::Json => 32,
            Shape::Time => 16,
            Shape::Ref(id) => self.of_type(types, id),
        }
    }

    /// `Option<T>`: as `T` where `T` has a spare bit pattern for `None`, else 8 more bytes.
    fn of_optional(&mut self, types: &BTreeMap<String, TypeDef>, shape: &Shape) -> usize {
        match shape {
            Shape::Bool => 1,
            Shape::I32 => 8,
            Shape::I64 | Shape::F64 | Shape::Time => self.of_shape(types, shape) + 8,
            other => self.of_shape(types, other),
        }
    }
}
