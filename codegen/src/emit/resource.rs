//! `impl Resource` and the verb and subresource marker impls of a resource.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::paths::type_path;
use crate::ir::{Model, Resource, TypeDef, Verb};

/// The marker trait for a subresource, and the associated type it names, if any.
fn subresource_trait(name: &str) -> Option<(&'static str, Option<&'static str>)> {
    Some(match name {
        "status" => ("Status", None),
        "scale" => ("Scale", Some("Scale")),
        "log" => ("Log", None),
        "eviction" => ("Evict", Some("Eviction")),
        "binding" => ("Bind", Some("Binding")),
        "token" => ("Token", Some("TokenRequest")),
        "ephemeralcontainers" => ("EphemeralContainers", None),
        "resize" => ("Resize", None),
        "approval" => ("Approval", None),
        "finalize" => ("Finalize", None),
        "exec" => ("Exec", None),
        "attach" => ("Attach", None),
        "portforward" => ("PortForward", None),
        "proxy" => ("Proxy", None),
        _ => return None,
    })
}

/// Subresources the runtime has a marker trait for; others are reported and skipped.
pub fn is_known_subresource(name: &str) -> bool {
    subresource_trait(name).is_some()
}

fn verb_trait(verb: Verb) -> Option<&'static str> {
    Some(match verb {
        Verb::Get => "Get",
        Verb::List => "List",
        Verb::Watch => "Watch",
        Verb::Create => "Create",
        Verb::Update => "Update",
        Verb::Patch => "Patch",
        Verb::Delete => "Delete",
        Verb::DeleteCollection => "DeleteCollection",
        Verb::Connect => return None,
    })
}

/// The impls that make a type a resource.
/// `protobuf`: the type has a protobuf decoder (`proto.rs`, feature `protobuf`);
/// `protobuf_encoder`: and an encoder, for request bodies.
pub fn resource_items(
    model: &Model,
    ty: &TypeDef,
    resource: &Resource,
    protobuf: bool,
    protobuf_encoder: bool,
) -> TokenStream {
    let name = format_ident!("{}", ty.name);
    let plural = &resource.plural;
    let list_kind = &resource.list_kind;
    let scope = if resource.namespaced {
        quote!(::kubegen_runtime::NamespaceScoped)
    } else {
        quote!(::kubegen_runtime::ClusterScoped)
    };
    let verbs = resource.verbs.iter().filter_map(|verb| verb_trait(*verb)).map(|verb| {
        let verb = format_ident!("{verb}");
        quote!(impl ::kubegen_runtime::resource::verbs::#verb for #name {})
    });
    let subresources = resource.subresources.iter().filter_map(|(sub_name, subresource)| {
        let (marker, associated) = subresource_trait(sub_name)?;
        let marker = format_ident!("{marker}");
        let body = match associated {
            Some(associated) => {
                let associated = format_ident!("{associated}");
                let target = type_path(model, subresource.type_id.as_deref()?);
                quote!({ type #associated = #target; })
            }
            None => quote!({}),
        };
        Some(quote!(impl ::kubegen_runtime::resource::subresource::#marker for #name #body))
    });
    let encoder = protobuf && protobuf_encoder;
    let protobuf = protobuf.then(|| {
        quote! {
            #[cfg(feature = "protobuf")]
            const PROTOBUF: bool = true;

            #[cfg(feature = "protobuf")]
            fn from_protobuf(raw: &[u8]) -> ::std::result::Result<Self, ::kubegen_runtime::proto::DecodeError> {
                ::kubegen_runtime::proto::decode_message(raw, 1)
            }
        }
    });
    let encoder = encoder.then(|| {
        quote! {
            #[cfg(feature = "protobuf")]
            fn to_protobuf(&self) -> ::std::option::Option<::std::vec::Vec<u8>> {
                ::std::option::Option::Some(::kubegen_runtime::proto::encode_envelope(
                    <Self as ::kubegen_runtime::ApiType>::API_VERSION,
                    <Self as ::kubegen_runtime::ApiType>::KIND,
                    self,
                ))
            }
        }
    });
    // The accessors are `#[inline]`, as every small non-generic function of a generated
    // crate should be: otherwise each is compiled where it is defined, in a codegen unit of
    // its module, used or not.
    quote! {
        impl ::kubegen_runtime::Object for #name {
            #[inline]
            fn metadata(&self) -> &::kubegen_runtime::ObjectMeta {
                &self.metadata
            }

            #[inline]
            fn metadata_mut(&mut self) -> &mut ::kubegen_runtime::ObjectMeta {
                &mut self.metadata
            }

            #protobuf
            #encoder
        }

        impl ::kubegen_runtime::Resource for #name {
            const PLURAL: &'static str = #plural;
            const LIST_KIND: &'static str = #list_kind;
            type Scope = #scope;
        }

        #(#verbs)*
        #(#subresources)*
    }
}
