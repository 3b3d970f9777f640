//! `Serialize` and `Deserialize` impls of generated structs.
//!
//! They call the runtime's shared code (`struct_decode`, `struct_encode`) instead of deriving:
//! per struct only a key-to-index `match`, an index-to-field `match` and one chain of encoder
//! calls. serde's derive writes several visitor types per struct and a wrapper type per
//! `deserialize_with` field; for the 700 structs of the Kubernetes API it made the generated
//! crate three times slower to build. The JSON is the same as derive's (fields in declaration
//! order, unset optional fields left out); the decoding rules are in `struct_decode`.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use crate::ir::{FieldRole, Shape, Struct};

/// Both impls for the struct `name`.
pub fn serde_impls(name: &Ident, body: &Struct) -> TokenStream {
    serde_impls_sharing_keys(name, body, None)
}

/// Both impls for the struct `name`; with `keys_of`, the key-to-index `match` is that type's
/// (`<keys_of as DecodeFields>::field_index`), which must have the same fields in the same
/// order: an apply configuration takes its model's instead of compiling a copy.
pub fn serde_impls_sharing_keys(name: &Ident, body: &Struct, keys_of: Option<&TokenStream>) -> TokenStream {
    let serialize = serialize_impl(name, body);
    let deserialize = deserialize_impl(name, body, keys_of);
    quote! {
        #serialize
        #deserialize
    }
}

fn serialize_impl(name: &Ident, body: &Struct) -> TokenStream {
    let always = index_literal(body.fields.iter().filter(|field| writes_always(field.role, field.required)).count());
    let present = body.fields.iter().filter(|field| !writes_always(field.role, field.required)).map(|field| {
        let ident = format_ident!("{}", field.rust_name);
        quote!(self.#ident.is_some())
    });
    let mut len = quote!(encode::count(#always, &[#(#present),*]));
    let calls = body.fields.iter().map(|field| {
        let ident = format_ident!("{}", field.rust_name);
        let json = &field.json_name;
        if writes_always(field.role, field.required) {
            quote!(.field(#json, &self.#ident))
        } else {
            quote!(.optional(#json, &self.#ident))
        }
    });
    let (encoder, properties) = match &body.extra {
        Some(extra) => {
            let ident = format_ident!("{}", extra.rust_name);
            len = quote!(#len + self.#ident.len());
            (quote!(encode::MapEncoder::new(serializer, #len)), Some(quote!(.properties(&self.#ident))))
        }
        None => {
            let type_name = name.to_string();
            (quote!(encode::StructEncoder::new(serializer, #type_name, #len)), None)
        }
    };
    quote! {
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                use ::kubegen_runtime::__private::encode;
                #encoder
                    #(#calls)*
                    #properties
                    .end()
            }
        }
    }
}

/// Whether a field is written even when unset: tags and required fields are, optional
/// fields only when set.
fn writes_always(role: FieldRole, required: bool) -> bool {
    !matches!(role, FieldRole::Data) || required
}

fn deserialize_impl(name: &Ident, body: &Struct, keys_of: Option<&TokenStream>) -> TokenStream {
    let expecting = format!("struct {name}");
    // `#[inline]`: only the generic decoder calls it, in the crate that decodes; left out,
    // it is a machine-code function of every generated struct, compiled (in one of many
    // codegen units) whether or not anything decodes that type.
    let field_index = match keys_of {
        Some(keys_of) => quote! {
            <#keys_of as ::kubegen_runtime::__private::decode::DecodeFields>::field_index(key)
        },
        None => {
            let keys = body.fields.iter().enumerate().map(|(index, field)| {
                let json = &field.json_name;
                let index = index_literal(index);
                quote!(#json => #index,)
            });
            quote! {
                ::std::option::Option::Some(match key {
                    #(#keys)*
                    _ => return ::std::option::Option::None,
                })
            }
        }
    };
    let decoders = body.fields.iter().enumerate().map(|(index, field)| {
        let ident = format_ident!("{}", field.rust_name);
        let index = index_literal(index);
        let decoder = match field.role {
            // Tags are known keys (not unknown properties) whose value the type already knows.
            FieldRole::ApiVersionTag | FieldRole::KindTag => return quote!(#index => decode::skip(map),),
            FieldRole::Data => {
                let is_array = matches!(field.shape, Shape::Array(_)) && !field.boxed;
                match (field.required, is_array) {
                    (true, false) => quote!(required),
                    (true, true) => quote!(required_vec),
                    (false, false) => quote!(optional),
                    (false, true) => quote!(optional_vec),
                }
            }
        };
        quote!(#index => decode::#decoder(map, &mut self.#ident),)
    });
    let unknown = body.extra.as_ref().map(|extra| {
        let ident = format_ident!("{}", extra.rust_name);
        quote! {
            const KEEPS_UNKNOWN: bool = true;

            fn decode_unknown<'de, A: ::serde::de::MapAccess<'de>>(
                &mut self,
                key: ::kubegen_runtime::Str,
                map: &mut A,
            ) -> ::std::result::Result<(), A::Error> {
                ::kubegen_runtime::__private::decode::unknown(map, key, &mut self.#ident)
            }

            fn finish(&mut self) {
                ::kubegen_runtime::__private::decode::finish_unknown(&mut self.#ident);
            }
        }
    });
    quote! {
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                ::kubegen_runtime::__private::decode::deserialize(deserializer)
            }
        }

        #[doc(hidden)]
        impl ::kubegen_runtime::__private::decode::DecodeFields for #name {
            const EXPECTING: &'static str = #expecting;
            #unknown

            #[inline]
            fn field_index(key: &str) -> ::std::option::Option<u16> {
                #field_index
            }

            fn decode_field<'de, A: ::serde::de::MapAccess<'de>>(
                &mut self,
                index: u16,
                map: &mut A,
            ) -> ::std::result::Result<(), A::Error> {
                use ::kubegen_runtime::__private::decode;
                match index {
                    #(#decoders)*
                    _ => decode::skip(map),
                }
            }
        }
    }
}

/// A field index as an unsuffixed literal (`0`, not `0usize`).
fn index_literal(index: usize) -> Literal {
    Literal::usize_unsuffixed(index)
}
