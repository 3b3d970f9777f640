//! Rust types for shapes and references.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::ir::{Model, Shape, TypeKind};

/// How std types are spelled in one generated file: plainly, or fully qualified where the
/// file defines a type that would shadow a prelude name (a CRD kind called `String`).
#[derive(Clone, Copy, Debug)]
pub struct Std {
    qualified: bool,
}

/// Prelude names a generated type could shadow.
const SHADOWABLE: &[&str] = &["Option", "Box", "Vec", "String"];

impl Std {
    /// The spelling for a file that defines `type_names`.
    pub fn for_file<'n>(mut type_names: impl Iterator<Item = &'n str>) -> Self {
        Self { qualified: type_names.any(|name| SHADOWABLE.contains(&name)) }
    }

    /// `Option<inner>`.
    pub fn option(self, inner: TokenStream) -> TokenStream {
        if self.qualified { quote!(::std::option::Option<#inner>) } else { quote!(Option<#inner>) }
    }

    /// `Box<inner>`.
    pub fn boxed(self, inner: TokenStream) -> TokenStream {
        if self.qualified { quote!(::std::boxed::Box<#inner>) } else { quote!(Box<#inner>) }
    }

    /// `Vec<inner>`.
    pub fn vec(self, inner: TokenStream) -> TokenStream {
        if self.qualified { quote!(::std::vec::Vec<#inner>) } else { quote!(Vec<#inner>) }
    }

    /// `StringMap<inner>`: the runtime's sorted-vector map.
    pub fn map(self, inner: TokenStream) -> TokenStream {
        quote!(::kubegen_runtime::StringMap<#inner>)
    }
}

/// The Rust type of a shape.
pub fn shape_type(model: &Model, shape: &Shape, std: Std) -> TokenStream {
    match shape {
        Shape::Bool => quote!(bool),
        Shape::I32 => quote!(i32),
        Shape::I64 => quote!(i64),
        Shape::F64 => quote!(f64),
        Shape::String => quote!(::kubegen_runtime::Str),
        Shape::Bytes => quote!(::kubegen_runtime::ByteString),
        Shape::Json => quote!(::serde_json::Value),
        Shape::IntOrString => quote!(::kubegen_runtime::IntOrString),
        Shape::Time => quote!(::kubegen_runtime::Time),
        Shape::Ref(id) => type_path(model, id),
        Shape::Array(inner) => std.vec(shape_type(model, inner, std)),
        Shape::Map(inner) => std.map(shape_type(model, inner, std)),
    }
}

/// The path of a type by id: the runtime's for provided types, `::<crate>::<module>::<Name>`
/// for types of an external crate, `crate::<module>::<Name>` otherwise.
pub fn type_path(model: &Model, id: &str) -> TokenStream {
    let Some(ty) = model.types.get(id) else {
        // The model is closed under references; an unknown id is a bug, and the compiler
        // will name it.
        let unknown = format_ident!("UnknownType");
        return quote!(#unknown);
    };
    if let TypeKind::Provided(provided) = &ty.kind {
        let name = format_ident!("{}", provided.runtime_path);
        return quote!(::kubegen_runtime::#name);
    }
    let module = format_ident!("{}", ty.module);
    let name = format_ident!("{}", ty.name);
    match model.modules.get(&ty.module).and_then(|module| module.external.as_deref()) {
        Some(external) => {
            let external = format_ident!("{external}");
            quote!(::#external::#module::#name)
        }
        None => quote!(crate::#module::#name),
    }
}
