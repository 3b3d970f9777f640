//! Items for types: structs, string enums, unions and aliases.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs::{self, doc_attributes};
use super::paths::{Std, shape_type};
use super::struct_serde;
use crate::ir::{Enum, Field, FieldRole, Model, Shape, Struct, TypeDef, TypeKind, UnionVariant};

/// The items of one type (without resource impls).
pub fn type_items(model: &Model, ty: &TypeDef, std: Std) -> TokenStream {
    let doc = type_doc(ty);
    let name = format_ident!("{}", ty.name);
    let items = match &ty.kind {
        TypeKind::Struct(body) => struct_item(model, ty, body, &doc, std),
        TypeKind::Enum(body) => enum_item(&name, body, &doc),
        TypeKind::Union(variants) => union_item(model, &name, variants, &doc, std),
        TypeKind::Alias(shape) => {
            let target = shape_type(model, shape, std);
            quote! {
                #doc
                pub type #name = #target;
            }
        }
        TypeKind::Newtype(shape) => newtype_item(model, &name, shape, &doc, std),
        TypeKind::Provided(_) => TokenStream::new(),
    };
    let api_type = ty.group_version_kind.as_ref().map(|gvk| {
        let (group, version, kind) = (&gvk.group, &gvk.version, &gvk.kind);
        let api_version = gvk.api_version();
        quote! {
            impl ::kubegen_runtime::ApiType for #name {
                const GROUP: &'static str = #group;
                const VERSION: &'static str = #version;
                const KIND: &'static str = #kind;
                const API_VERSION: &'static str = #api_version;
            }
        }
    });
    quote! {
        #items
        #api_type
    }
}

fn type_doc(ty: &TypeDef) -> TokenStream {
    let text = match (&ty.doc, ty.id.contains("::")) {
        (Some(doc), _) if !doc.trim().is_empty() => doc.clone(),
        (_, true) => format!("`{}`: a nested object of this schema.", ty.name),
        (_, false) => format!("`{}` (no description in the spec).", docs::line(&ty.id)),
    };
    let source =
        if ty.id.contains("::") { String::new() } else { format!("\n\nFrom the definition `{}`.", docs::line(&ty.id)) };
    doc_attributes(&format!("{text}{source}"))
}

fn struct_item(model: &Model, ty: &TypeDef, body: &Struct, doc: &TokenStream, std: Std) -> TokenStream {
    let name = format_ident!("{}", ty.name);
    let fields = body.fields.iter().map(|field| struct_field(model, &ty.name, field, std));
    let extra = body.extra.as_ref().map(|extra| {
        let ident = format_ident!("{}", extra.rust_name);
        let value = std.map(shape_type(model, &extra.value, std));
        quote! {
            /// Properties the schema does not list, kept as they are.
            pub #ident: #value,
        }
    });
    let serde_impls = struct_serde::serde_impls(&name, body);
    quote! {
        #doc
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct #name {
            #(#fields)*
            #extra
        }
        #serde_impls
    }
}

fn struct_field(model: &Model, owner: &str, field: &Field, std: Std) -> TokenStream {
    let ident = format_ident!("{}", field.rust_name);
    let json = &field.json_name;
    let owner = format_ident!("{owner}");
    let ty = match field.role {
        FieldRole::ApiVersionTag => quote!(::kubegen_runtime::ApiVersion<#owner>),
        FieldRole::KindTag => quote!(::kubegen_runtime::Kind<#owner>),
        FieldRole::Data => {
            let mut ty = shape_type(model, &field.shape, std);
            if field.boxed {
                ty = std.boxed(ty);
            }
            if field.required { ty } else { std.option(ty) }
        }
    };
    let doc = match (&field.doc, field.role) {
        (_, FieldRole::ApiVersionTag) => {
            doc_attributes("`apiVersion`: always this type's API version; set by the type.")
        }
        (_, FieldRole::KindTag) => doc_attributes("`kind`: always this type's kind; set by the type."),
        (Some(doc), _) if !doc.trim().is_empty() => doc_attributes(doc),
        _ => doc_attributes(&format!("`{}` (no description in the spec).", docs::line(json))),
    };
    quote! {
        #doc
        pub #ident: #ty,
    }
}

fn enum_item(name: &proc_macro2::Ident, body: &Enum, doc: &TokenStream) -> TokenStream {
    let variants = body.variants.iter().map(|(variant, value)| {
        let ident = format_ident!("{variant}");
        let variant_doc = docs::line(&format!(" `{value:?}`"));
        quote! {
            #[doc = #variant_doc]
            #ident,
        }
    });
    let pairs = body.variants.iter().map(|(variant, value)| {
        let ident = format_ident!("{variant}");
        quote!(#ident = #value)
    });
    let other = format_ident!("{}", body.other);
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum #name {
            #(#variants)*
            /// A value this version of the schema does not list, kept as it is.
            #other(::std::string::String),
        }
        ::kubegen_runtime::impl_string_enum!(#name { #(#pairs),* } other #other);
    }
}

fn union_item(
    model: &Model,
    name: &proc_macro2::Ident,
    variants: &[UnionVariant],
    doc: &TokenStream,
    std: Std,
) -> TokenStream {
    let items = variants.iter().map(|variant| {
        let ident = format_ident!("{}", variant.name);
        let mut ty = shape_type(model, &variant.shape, std);
        if variant.boxed {
            ty = std.boxed(ty);
        }
        let variant_doc = docs::line(&format!(" The value as {}.", variant.name.to_lowercase()));
        quote! {
            #[doc = #variant_doc]
            #ident(#ty),
        }
    });
    let first = variants.first().map(|variant| format_ident!("{}", variant.name));
    let default = first.map(|first| {
        quote! {
            impl ::std::default::Default for #name {
                fn default() -> Self {
                    Self::#first(::std::default::Default::default())
                }
            }
        }
    });
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(untagged)]
        pub enum #name {
            #(#items)*
        }
        #default
    }
}

/// A tuple struct for a recursive alias, (de)serialized as its inner value.
fn newtype_item(model: &Model, name: &proc_macro2::Ident, shape: &Shape, doc: &TokenStream, std: Std) -> TokenStream {
    let mut inner = shape_type(model, shape, std);
    if shape.by_value().is_some() {
        inner = std.boxed(inner);
    }
    quote! {
        #doc
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct #name(pub #inner);

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                ::serde::Serialize::serialize(&self.0, serializer)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                ::serde::Deserialize::deserialize(deserializer).map(Self)
            }
        }
    }
}
