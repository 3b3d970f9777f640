//! Apply configurations: for each struct of a module, a `<Name>Apply` in the module's `apply`
//! submodule (Cargo feature `apply`).
//!
//! Kept lean because they double the crate's structs: the struct (all fields `Option`s,
//! nested structs their apply configurations), the same shared-encoder serde impls as models,
//! one generic builder setter per field (generic, so not compiled unless used), a static
//! merge-semantics table for `extract`, and one-line trait impls. Conversions and `extract`
//! are the runtime's generic code.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::paths::{Std, shape_type, type_path};
use super::struct_serde;
use crate::ir::merge::Merge;
use crate::ir::{Field, FieldRole, Model, Resource, Shape, Struct, TypeDef, TypeKind, provided};

/// The Rust name of a struct's apply configuration.
pub fn apply_name(name: &str) -> String {
    format!("{name}Apply")
}

/// The `apply.rs` of a module holding `types`, if it has structs.
pub fn module_apply(model: &Model, types: &[&TypeDef]) -> Option<TokenStream> {
    let items: Vec<TokenStream> = types
        .iter()
        .filter_map(|ty| match &ty.kind {
            TypeKind::Struct(body) => Some(struct_apply(model, ty, body)),
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
fn apply_path(model: &Model, id: &str) -> Option<TokenStream> {
    let ty = model.types.get(id)?;
    if !matches!(ty.kind, TypeKind::Struct(_)) {
        return None;
    }
    let module = format_ident!("{}", ty.module);
    let name = format_ident!("{}", apply_name(&ty.name));
    Some(match model.modules.get(&ty.module).and_then(|module| module.external.as_deref()) {
        Some(external) => {
            let external = format_ident!("{external}");
            quote!(::#external::#module::apply::#name)
        }
        None => quote!(crate::#module::apply::#name),
    })
}

/// The Rust type of a shape inside an apply configuration: nested structs as theirs.
fn apply_shape(model: &Model, shape: &Shape, std: Std) -> TokenStream {
    match shape {
        Shape::Ref(id) => apply_path(model, id).unwrap_or_else(|| shape_type(model, shape, std)),
        Shape::Array(inner) => std.vec(apply_shape(model, inner, std)),
        Shape::Map(inner) => std.map(apply_shape(model, inner, std)),
        _ => shape_type(model, shape, std),
    }
}

fn struct_apply(model: &Model, ty: &TypeDef, body: &Struct) -> TokenStream {
    let std = Std::for_file(std::iter::empty());
    let model_path = type_path(model, &ty.id);
    let name = format_ident!("{}", apply_name(&ty.name));
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
            FieldRole::Data => std.option(field_type(model, field, std)),
        };
        quote!(pub #ident: #ty,)
    });
    let extra = body.extra.as_ref().map(|extra| {
        let ident = format_ident!("{}", extra.rust_name);
        let value = std.map(apply_shape(model, &extra.value, std));
        quote!(pub #ident: #value,)
    });
    let optional = Struct {
        fields: body.fields.iter().map(|field| Field { required: false, ..field.clone() }).collect(),
        ..body.clone()
    };
    let serde_impls = struct_serde::serde_impls(&name, &optional);
    let field_names: Vec<&str> = body.fields.iter().map(|field| field.rust_name.as_str()).collect();
    let setters = body
        .fields
        .iter()
        .filter(|field| field.role == FieldRole::Data)
        .map(|field| setter(model, field, &setter_name(&field.rust_name, &field_names), std));
    let resource = model.resources.get(&ty.id);
    let constructor = resource.map(constructor);
    let apply_object = resource.map(|resource| apply_object(model, &name, resource));
    let members = body.fields.iter().filter_map(|field| field_member(model, field).map(|member| (field, member)));
    let members = members.map(|(field, member)| {
        let json = &field.json_name;
        quote!((#json, #member),)
    });
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct #name {
            #(#fields)*
            #extra
        }
        #serde_impls
        impl #name {
            #constructor
            #(#setters)*
        }
        impl ApplyType for #name {
            fn schema() -> &'static Schema {
                static SCHEMA: Schema = Schema { fields: &[#(#members)*] };
                &SCHEMA
            }
        }
        impl HasApply for #model_path {
            type Apply = #name;
        }
        #apply_object
    }
}

/// A field's type without its `Option`.
fn field_type(model: &Model, field: &Field, std: Std) -> TokenStream {
    let inner = apply_shape(model, &field.shape, std);
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
fn apply_object(model: &Model, name: &proc_macro2::Ident, resource: &Resource) -> TokenStream {
    let model_path = type_path(model, &resource.type_id);
    quote! {
        impl ::kubegen_runtime::apply::ApplyObject for #name {
            type Resource = #model_path;
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

/// The builder setter of a field: generic, so it costs nothing until used.
fn setter(model: &Model, field: &Field, name: &str, std: Std) -> TokenStream {
    let ident = format_ident!("{}", field.rust_name);
    let setter = format_ident!("{name}");
    let doc = format!(" Sets `{}`.", super::docs::line(&field.json_name));
    let wrap = |value: TokenStream| if field.boxed { quote!(Box::new(#value)) } else { value };
    let (param, value) = match &field.shape {
        Shape::Array(inner) => {
            let item = apply_shape(model, inner, std);
            (
                quote!(impl IntoIterator<Item = impl Into<#item>>),
                wrap(quote!(value.into_iter().map(Into::into).collect())),
            )
        }
        Shape::Map(inner) => {
            let item = apply_shape(model, inner, std);
            (
                quote!(impl IntoIterator<Item = (impl Into<::kubegen_runtime::Str>, impl Into<#item>)>),
                wrap(quote!(value.into_iter().map(|(key, value)| (key.into(), value.into())).collect())),
            )
        }
        shape => {
            let inner = apply_shape(model, shape, std);
            (quote!(impl Into<#inner>), wrap(quote!(value.into())))
        }
    };
    quote! {
        #[doc = #doc]
        pub fn #setter(mut self, value: #param) -> Self {
            self.#ident = Some(#value);
            self
        }
    }
}

/// A field's entry in the merge table, unless it is atomic or free-form.
fn field_member(model: &Model, field: &Field) -> Option<TokenStream> {
    if field.role != FieldRole::Data || field.merge == Merge::Atomic {
        return None;
    }
    match (&field.shape, &field.merge) {
        (Shape::Array(inner), Merge::MapList(keys)) => {
            let item = item_member(model, inner);
            Some(quote!(M::MapList(&[#(#keys),*], &#item)))
        }
        (Shape::Array(_), Merge::Set) => Some(quote!(M::Set)),
        (Shape::Map(inner), _) => {
            let item = item_member(model, inner);
            Some(quote!(M::Map(&#item)))
        }
        (Shape::Ref(_), _) => struct_member(model, &field.shape),
        _ => None,
    }
}

/// The member of a list item or map value: a granular struct's table, else free.
fn item_member(model: &Model, shape: &Shape) -> TokenStream {
    struct_member(model, shape).unwrap_or_else(|| quote!(M::Free))
}

/// `M::Struct(<table>)` for a granular struct.
fn struct_member(model: &Model, shape: &Shape) -> Option<TokenStream> {
    let Shape::Ref(id) = shape else { return None };
    let ty = model.types.get(id)?;
    match &ty.kind {
        TypeKind::Provided(_) if id == provided::OBJECT_META => {
            Some(quote!(M::Struct(::kubegen_runtime::apply::object_meta_schema)))
        }
        TypeKind::Struct(body) if !body.atomic => {
            let path = apply_path(model, id)?;
            Some(quote!(M::Struct(<#path as ApplyType>::schema)))
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
