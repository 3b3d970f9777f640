//! Cargo features: one per module, enabling the modules its types refer to.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{Model, Shape, TypeKind};

/// What the features of a crate need.
#[derive(Debug, Default)]
pub struct FeatureNeeds {
    /// For each local module with a feature, the other local feature modules it needs.
    pub local: BTreeMap<String, BTreeSet<String>>,
    /// Feature modules of the external crate (`--extern-types`) that local types refer to.
    pub external: BTreeSet<String>,
}

/// The feature dependencies of the model's modules.
pub fn dependencies(model: &Model) -> FeatureNeeds {
    let mut needs = FeatureNeeds {
        local: model
            .modules
            .values()
            .filter(|module| !module.always_on && module.external.is_none())
            .map(|module| (module.name.clone(), BTreeSet::new()))
            .collect(),
        external: BTreeSet::new(),
    };
    let mut add = |from: &str, to_id: &str| {
        let Some(target) = model.types.get(to_id) else { return };
        let Some(module) = model.modules.get(&target.module) else { return };
        if target.module == from || module.always_on {
            return;
        }
        if module.external.is_some() {
            needs.external.insert(target.module.clone());
        } else if let Some(set) = needs.local.get_mut(from) {
            set.insert(target.module.clone());
        }
    };
    let local = |module: &str| model.modules.get(module).is_some_and(|module| module.external.is_none());
    for ty in model.types.values().filter(|ty| local(&ty.module)) {
        for shape in shapes(&ty.kind) {
            for reference in shape.references() {
                add(&ty.module, reference);
            }
        }
    }
    for resource in model.resources.values() {
        let Some(ty) = model.types.get(&resource.type_id).filter(|ty| local(&ty.module)) else { continue };
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
        TypeKind::Struct(body) => {
            body.fields.iter().map(|field| &field.shape).chain(body.extra.as_ref().map(|extra| &extra.value)).collect()
        }
        TypeKind::Union(variants) => variants.iter().map(|variant| &variant.shape).collect(),
        TypeKind::Alias(shape) | TypeKind::Newtype(shape) => vec![shape],
        TypeKind::Enum(_) | TypeKind::Provided(_) => Vec::new(),
    }
}
