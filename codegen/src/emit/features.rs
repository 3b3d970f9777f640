//! Cargo features: one per module, enabling the modules its types refer to.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{Model, Shape, TypeKind};

/// For each module with a feature, the other feature modules it needs.
pub fn dependencies(model: &Model) -> BTreeMap<String, BTreeSet<String>> {
    let mut needs: BTreeMap<String, BTreeSet<String>> = model
        .modules
        .values()
        .filter(|module| !module.always_on)
        .map(|module| (module.name.clone(), BTreeSet::new()))
        .collect();
    let mut add = |from: &str, to_id: &str| {
        let Some(target) = model.types.get(to_id) else {
            return;
        };
        if target.module == from
            || model
                .modules
                .get(&target.module)
                .is_none_or(|m| m.always_on)
        {
            return;
        }
        if let Some(set) = needs.get_mut(from) {
            set.insert(target.module.clone());
        }
    };
    for ty in model.types.values() {
        for shape in shapes(&ty.kind) {
            for reference in shape.references() {
                add(&ty.module, reference);
            }
        }
    }
    for resource in model.resources.values() {
        let Some(ty) = model.types.get(&resource.type_id) else {
            continue;
        };
        for subresource in resource.subresources.values() {
            if let Some(id) = &subresource.type_id {
                add(&ty.module, id);
            }
        }
    }
    needs
}

fn shapes(kind: &TypeKind) -> Vec<&Shape> {
    match kind {
        TypeKind::Struct(body) => body
            .fields
            .iter()
            .map(|field| &field.shape)
            .chain(body.extra.as_ref().map(|extra| &extra.value))
            .collect(),
        TypeKind::Union(variants) => variants.iter().map(|variant| &variant.shape).collect(),
        TypeKind::Alias(shape) => vec![shape],
        TypeKind::Enum(_) | TypeKind::Provided(_) => Vec::new(),
    }
}
