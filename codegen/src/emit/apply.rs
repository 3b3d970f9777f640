//! Apply configurations: for each struct of a module, a `<Name>Apply` in the module's `apply`
//! submodule (Cargo feature `apply`).
//!
//! Kept lean because they double the crate's structs: the struct (all fields `Option`s,
//! nested structs their apply configurations), the same shared-encoder serde impls as models
//! (decoding looks keys up in the model's table rather than in a copy of it),
//! one generic builder setter per field (generic, so not compiled unless used), a static
//! merge-semantics table for `extract`, and one-line trait impls (`Debug` and `PartialEq`
//! too: the runtime's, on the document a configuration sends; derived ones cost 3 to 4% more
//! of the crate's build). Conversions and `extract` are the runtime's generic code.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::paths::{Std, shape_type, type_path};
use super::struct_serde;
use crate::ir::merge::Merge;
use crate::ir::{Field, FieldRole, Model, Resource, Shape, Struct, TypeDef, TypeKind, Verb, provided};

/// The Rust name of a struct's apply configuration.
pub fn apply_name(name: &str) -> String {
    format!("{name}Apply")
}

/// What the emitters of apply configurations look at: the model and which of its structs
/// have one.
#[derive(Clone, Copy)]
pub struct Cx<'a> {
    /// The whole model.
    pub model: &'a Model,
    /// The structs with an apply configuration.
    pub applicable: &'a Applicable,
}

/// The structs that have an apply configuration: those a resource or subresource that can be
/// patched (server-side apply is a patch) holds, through its fields, at any depth, where a
/// manager can own part of them. A list, a create-only review (`TokenReview`) or a discovery
/// type is never applied, and gets none, as in client-go's applyconfigurations.
///
/// Unlike client-go, a struct reached only through atomic values (an atomic list such as
/// `containerStatuses` or an unannotated list, an atomic map, an atomic struct such as
/// `LabelSelector`, and what they hold) gets none either: the server replaces such a value
/// whole, so its model, required fields and all, is exactly what an apply sends and owns, and
/// the type says so. That is about a quarter of the Kubernetes API's structs, and as much
/// of the `apply` feature's build time.
#[derive(Debug, Default)]
pub struct Applicable {
    /// Every such struct of the model.
    all: BTreeSet<String>,
    /// Those the external crate's own resources hold: the external structs it has an apply
    /// configuration for (a local type may reach an external one the external crate's
    /// resources do not; that field keeps the model type).
    external: BTreeSet<String>,
}

impl Applicable {
    /// The structs of `model` that get an apply configuration.
    pub fn new(model: &Model) -> Self {
        let all = reachable(model, model.resources.values());
        let external =
            reachable(model, model.resources.values().filter(|resource| model.is_external_type(&resource.type_id)));
        Self { all, external }
    }

    /// Whether the struct `id` has an apply configuration (in its crate, local or external).
    pub fn has(&self, model: &Model, id: &str) -> bool {
        if model.is_external_type(id) { self.external.contains(id) } else { self.all.contains(id) }
    }
}

/// The structs reachable from the patchable types of `resources`.
fn reachable<'a>(model: &Model, resources: impl Iterator<Item = &'a Resource>) -> BTreeSet<String> {
    let mut pending: Vec<&str> = Vec::new();
    for resource in resources {
        if resource.verbs.contains(&Verb::Patch) {
            pending.push(&resource.type_id);
        }
        let subresources = resource.subresources.values();
        pending.extend(
            subresources
                .filter(|subresource| subresource.verbs.contains(&Verb::Patch))
                .filter_map(|subresource| subresource.type_id.as_deref()),
        );
    }
    let mut seen = BTreeSet::new();
    while let Some(id) = pending.pop() {
        let Some(TypeKind::Struct(body)) = model.types.get(id).map(|ty| &ty.kind) else { continue };
        if !seen.insert(id.to_owned()) {
            continue;
        }
        let fields = body.fields.iter().filter_map(|field| granular_ref(model, &field.shape, &field.merge));
        // Unknown properties are a granular map's values.
        let extra = body.extra.as_ref().and_then(|extra| match &extra.value {
            Shape::Ref(id) => granular_struct(model, id),
            _ => None,
        });
        pending.extend(fields.chain(extra));
    }
    seen
}

/// The struct a field of this shape and merge semantics holds in a way a manager can own in
/// part: directly, as a granular map's values or as a map list's items; never through an
/// atomic value (an atomic struct, map or list, an unannotated list, a set, a nested list).
fn granular_ref<'a>(model: &Model, shape: &'a Shape, merge: &Merge) -> Option<&'a str> {
    if *merge == Merge::Atomic {
        return None;
    }
    let id = match (shape, merge) {
        (Shape::Ref(id), _) => id,
        (Shape::Array(inner), Merge::MapList(_)) | (Shape::Map(inner), _) => match inner.as_ref() {
            Shape::Ref(id) => id,
            _ => return None,
        },
        _ => return None,
    };
    granular_struct(model, id)
}

/// `id`, unless it is an atomic struct (`x-kubernetes-map-type: atomic`).
fn granular_struct<'a>(model: &Model, id: &'a str) -> Option<&'a str> {
    match model.types.get(id).map(|ty| &ty.kind) {
        Some(TypeKind::Struct(body)) if body.atomic => None,
        _ => Some(id),
    }
}

/// The `apply.rs` of a module holding `types`, if it has structs with apply configurations.
pub fn module_apply(cx: Cx<'_>, types: &[&TypeDef]) -> Option<TokenStream> {
    let items: Vec<TokenStream> = types
        .iter()
        .filter(|ty| cx.applicable.has(cx.model, &ty.id))
        .filter_map(|ty| match &ty.kind {
            TypeKind::Struct(body) => Some(struct_apply(cx, ty, body)),
            _ => None,
        })
        .collect();
    if items.is_empty() {
        return None;
    }
    Some(quote! {
        // Setters are named after fields, and a field may be called `add` or `not`.
        #![allow(clippy::should_implement_trait)]
        #[allow(unused_imports)]
        use ::kubegen_runtime::apply::{ApplyType, HasApply, Member as M, Schema};
        #(#items)*
    })
}

/// The path of the apply configuration of a type, if it has one.
fn apply_path(cx: Cx<'_>, id: &str) -> Option<TokenStream> {
    let ty = cx.model.types.get(id)?;
    if !matches!(ty.kind, TypeKind::Struct(_)) || !cx.applicable.has(cx.model, id) {
        return None;
    }
    let module = format_ident!("{}", ty.module);
    let name = format_ident!("{}", apply_name(&ty.name));
    Some(match cx.model.modules.get(&ty.module).and_then(|module| module.external.as_deref()) {
        Some(external) => {
            let external = format_ident!("{external}");
            quote!(::#external::#module::apply::#name)
        }
        None => quote!(crate::#module::apply::#name),
    })
}

/// The Rust type of a shape inside an apply configuration: nested structs as theirs.
fn apply_shape(cx: Cx<'_>, shape: &Shape, std: Std) -> TokenStream {
    match shape {
        Shape::Ref(id) => apply_path(cx, id).unwrap_or_else(|| shape_type(cx.model, shape, std)),
        Shape::Array(inner) => std.vec(apply_shape(cx, inner, std)),
        Shape::Map(inner) => std.map(apply_shape(cx, inner, std)),
        _ => shape_type(cx.model, shape, std),
    }
}

fn struct_apply(cx: Cx<'_>, ty: &TypeDef, body: &Struct) -> TokenStream {
    let std = Std::for_file(std::iter::empty());
    let model_path = type_path(cx.model, &ty.id);
    // The Rust name, and as a string for `Debug`.
    let name_str = apply_name(&ty.name);
    let name = format_ident!("{name_str}");
    let doc = format!(
        " The apply configuration of [`{}`]({}): every field optional, only set fields sent.",
        ty.name,
        model_path.to_string().replace(' ', "")
    );
    let fields = body.fields.iter().map(|field| {
        let ident = format_ident!("{}", field.rust_name);
        let ty = match field.role {
            FieldRole::ApiVersionTag => quote!(::kubegen_runtime::ApiVersion<#model_path>),
            FieldRole::KindTag => quote!(::kubegen_runtime::Kind<#model_path>),
            FieldRole::Data => std.option(field_type(cx, field, std)),
        };
        quote!(pub #ident: #ty,)
    });
    let extra = body.extra.as_ref().map(|extra| {
        let ident = format_ident!("{}", extra.rust_name);
        let value = std.map(apply_shape(cx, &extra.value, std));
        quote!(pub #ident: #value,)
    });
    let optional = Struct {
        fields: body.fields.iter().map(|field| Field { required: false, ..field.clone() }).collect(),
        ..body.clone()
    };
    // Same fields in the same order as the model: its key table serves both.
    let serde_impls = struct_serde::serde_impls_sharing_keys(&name, &optional, Some(&model_path));
    let field_names: Vec<&str> = body.fields.iter().map(|field| field.rust_name.as_str()).collect();
    let setters = body
        .fields
        .iter()
        .filter(|field| field.role == FieldRole::Data)
        .map(|field| setter(cx, field, &setter_name(&field.rust_name, &field_names), std));
    let resource = cx.model.resources.get(&ty.id);
    let constructor = resource.map(constructor);
    let apply_object = resource.map(|resource| apply_object(cx, &name, resource));
    let members = body.fields.iter().filter_map(|field| field_member(cx, field).map(|member| (field, member)));
    let members: Vec<TokenStream> = members
        .map(|(field, member)| {
            let json = &field.json_name;
            quote!((#json, #member),)
        })
        .collect();
    // Most configurations have no member to tell apart: they keep the trait's empty default.
    let apply_type = if members.is_empty() {
        quote!(impl ApplyType for #name {})
    } else {
        quote! {
            impl ApplyType for #name {
                const SCHEMA: Schema = Schema { fields: &[#(#members)*] };
            }
        }
    };
    quote! {
        #[doc = #doc]
        #[derive(Clone, Default)]
        pub struct #name {
            #(#fields)*
            #extra
        }
        impl ::std::fmt::Debug for #name {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::kubegen_runtime::apply::debug_document(self, #name_str, f)
            }
        }
        impl ::std::cmp::PartialEq for #name {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                ::kubegen_runtime::apply::same_document(self, other)
            }
        }
        #serde_impls
        impl #name {
            #constructor
            #(#setters)*
        }
        #apply_type
        impl HasApply for #model_path {
            type Apply = #name;
        }
        #apply_object
    }
}

/// A field's type without its `Option`.
fn field_type(cx: Cx<'_>, field: &Field, std: Std) -> TokenStream {
    let inner = apply_shape(cx, &field.shape, std);
    if field.boxed { std.boxed(inner) } else { inner }
}

/// `new(name[, namespace])` of the apply configuration of a resource.
fn constructor(resource: &Resource) -> TokenStream {
    let (params, namespace) = if resource.namespaced {
        (
            quote!(name: impl Into<::kubegen_runtime::Str>, namespace: impl Into<::kubegen_runtime::Str>),
            quote!(Some(namespace.into())),
        )
    } else {
        (quote!(name: impl Into<::kubegen_runtime::Str>), quote!(None))
    };
    let doc = if resource.namespaced {
        " The configuration of the object `name` in `namespace`, with nothing else set."
    } else {
        " The configuration of the object `name`, with nothing else set."
    };
    quote! {
        #[doc = #doc]
        pub fn new(#params) -> Self {
            Self { metadata: Some(::kubegen_runtime::apply::metadata(name, #namespace)), ..Self::default() }
        }
    }
}

/// `ApplyObject` for the apply configuration of a resource: `Api::apply` sends it.
fn apply_object(cx: Cx<'_>, name: &proc_macro2::Ident, resource: &Resource) -> TokenStream {
    let model_path = type_path(cx.model, &resource.type_id);
    quote! {
        impl ::kubegen_runtime::apply::ApplyObject for #name {
            type Resource = #model_path;
            #[inline]
            fn apply_metadata(&self) -> Option<&::kubegen_runtime::ObjectMeta> {
                self.metadata.as_ref()
            }
        }
    }
}

/// Methods an apply configuration has or is called with that a setter must not shadow: the
/// resource constructor and the derived traits' methods (an inherent `default(self, value)`
/// would break `JSONSchemaPropsApply::default()`, an inherent `clone` every `.clone()`).
const RESERVED_METHODS: &[&str] =
    &["new", "default", "clone", "clone_from", "eq", "ne", "fmt", "serialize", "deserialize"];

/// The setter's name for a field: the field's, or `set_<field>` (then `set_<field>_value`, ...)
/// where that would shadow a method or another field's setter.
fn setter_name(field: &str, fields: &[&str]) -> String {
    if !RESERVED_METHODS.contains(&field) {
        return field.to_owned();
    }
    let mut name = format!("set_{field}");
    while fields.contains(&name.as_str()) {
        name.push_str("_value");
    }
    name
}

/// The builder setter of a field: generic, so it costs nothing until used; its body is one
/// call of the runtime's `apply::setters`, cheaper to check than the conversion written out.
fn setter(cx: Cx<'_>, field: &Field, name: &str, std: Std) -> TokenStream {
    let ident = format_ident!("{}", field.rust_name);
    let setter = format_ident!("{name}");
    let doc = format!(" Sets `{}`.", super::docs::line(&field.json_name));
    let (param, set) = match &field.shape {
        Shape::Array(inner) if !field.boxed => {
            let item = apply_shape(cx, inner, std);
            (quote!(impl IntoIterator<Item = impl Into<#item>>), quote!(set_list))
        }
        Shape::Map(inner) if !field.boxed => {
            let item = apply_shape(cx, inner, std);
            (quote!(impl IntoIterator<Item = (impl Into<::kubegen_runtime::Str>, impl Into<#item>)>), quote!(set_map))
        }
        shape => {
            let inner = apply_shape(cx, shape, std);
            (quote!(impl Into<#inner>), if field.boxed { quote!(set_boxed) } else { quote!(set) })
        }
    };
    quote! {
        #[doc = #doc]
        pub fn #setter(mut self, value: #param) -> Self {
            ::kubegen_runtime::apply::setters::#set(&mut self.#ident, value);
            self
        }
    }
}

/// A field's entry in the merge table, unless it is atomic or free-form.
fn field_member(cx: Cx<'_>, field: &Field) -> Option<TokenStream> {
    if field.role != FieldRole::Data || field.merge == Merge::Atomic {
        return None;
    }
    match (&field.shape, &field.merge) {
        (Shape::Array(inner), Merge::MapList(keys)) => {
            let item = item_member(cx, inner);
            Some(quote!(M::MapList(&[#(#keys),*], &#item)))
        }
        (Shape::Array(_), Merge::Set) => Some(quote!(M::Set)),
        (Shape::Map(inner), _) => {
            let item = item_member(cx, inner);
            Some(quote!(M::Map(&#item)))
        }
        (Shape::Ref(_), _) => struct_member(cx, &field.shape),
        _ => None,
    }
}

/// The member of a list item or map value: a granular struct's table, else free.
fn item_member(cx: Cx<'_>, shape: &Shape) -> TokenStream {
    struct_member(cx, shape).unwrap_or_else(|| quote!(M::Free))
}

/// `M::Struct(<table>)` for a granular struct.
fn struct_member(cx: Cx<'_>, shape: &Shape) -> Option<TokenStream> {
    let Shape::Ref(id) = shape else { return None };
    let ty = cx.model.types.get(id)?;
    match &ty.kind {
        TypeKind::Provided(_) if id == provided::OBJECT_META => {
            Some(quote!(M::Struct(::kubegen_runtime::apply::object_meta_schema)))
        }
        TypeKind::Struct(body) if !body.atomic => {
            let path = apply_path(cx, id)?;
            Some(quote!(M::Struct(::kubegen_runtime::apply::schema_of::<#path>)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::setter_name;

    #[test]
    fn setters_never_shadow_the_constructor_or_derived_methods() {
        assert_eq!(setter_name("replicas", &["replicas"]), "replicas");
        assert_eq!(setter_name("default", &["default"]), "set_default");
        assert_eq!(setter_name("new", &["new", "set_new"]), "set_new_value");
        assert_eq!(setter_name("clone", &["clone", "set_clone", "set_clone_value"]), "set_clone_value_value");
    }
}
