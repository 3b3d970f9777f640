//! Building the [`Model`] from a loaded spec.

use super::{FieldRole, Model, Shape, TypeKind, aliases, boxing, layout, lower, provided, resources, validate};
use crate::error::{Error, Result};
use crate::spec::RawSpec;

/// Lowers every definition, finds the resources, and settles the details that depend on
/// both: a resource's `metadata` is a required `ObjectMeta` (so the runtime can key it), and
/// fields that close a cycle are boxed.
pub fn build(spec: &RawSpec) -> Result<Model> {
    let lowered = lower::lower(spec)?;
    let mut model = Model { types: lowered.types, modules: lowered.modules, ..Model::default() };
    model.resources = resources::find(spec, &model.types)?;

    for resource in model.resources.values() {
        let Some(ty) = model.types.get_mut(&resource.type_id) else {
            continue;
        };
        let TypeKind::Struct(body) = &mut ty.kind else {
            return Err(Error::spec(
                &ty.location,
                format!("kind {} is served as a resource but its schema is not an object", resource.group_version_kind),
            ));
        };
        if !body.fields.iter().any(|field| field.role == FieldRole::KindTag) {
            return Err(Error::spec(
                &ty.location,
                format!(
                    "kind {} is served as a resource but has no `apiVersion` and `kind` properties",
                    resource.group_version_kind
                ),
            ));
        }
        let Some(metadata) = body.fields.iter_mut().find(|field| field.json_name == "metadata") else {
            return Err(Error::spec(
                &ty.location,
                format!("kind {} is served as a resource but has no `metadata` property", resource.group_version_kind),
            ));
        };
        if metadata.shape != Shape::Ref(provided::OBJECT_META.to_owned()) {
            return Err(Error::spec(
                &ty.location.join("properties").join("metadata"),
                format!("the `metadata` of resource kind {} is not an ObjectMeta", resource.group_version_kind),
            ));
        }
        metadata.required = true;
        if let Some(module) = model.modules.get_mut(&ty.module) {
            module.api_version.get_or_insert_with(|| resource.group_version_kind.api_version());
        }
    }
    aliases::break_cycles(&mut model.types);
    boxing::box_cycles(&mut model.types);
    layout::box_large_optionals(&mut model.types);
    validate::validate(&model)?;
    Ok(model)
}
