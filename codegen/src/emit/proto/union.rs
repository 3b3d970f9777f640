//! Protobuf for apiextensions' `JSONSchemaPropsOr*` unions. In Go each is a struct with one
//! field per alternative (`{allows=1, schema=2}`, `{schema=1, jSONSchemas=2}`,
//! `{schema=1, property=2}`) that JSON writes as whichever alternative is set; in the model it
//! is an enum of those alternatives. Each field of the message is matched to the variant of
//! its shape, and a union whose fields and variants do not match one to one stays JSON-only
//! (and so does every struct holding it).
//!
//! Decoding keeps the last alternative seen, as protobuf does for a `oneof`: gogo writes the
//! fields in number order, and the later field is the one Go's JSON writes when both are set
//! (a schema over `allows`, a list over a schema). A repeated field adds to its variant's list.
//! Encoding writes the variant's field; every variant but the `bool` one also writes the
//! `bool` field as true, as Go's `UnmarshalJSON` sets `allows` for a schema.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{ProtoSupport, message_impl, resolve};
use crate::emit::paths::type_path;
use crate::ir::{Model, Shape, UnionVariant};
use crate::spec::protobuf::{ProtoField, ProtoMessage};

/// One field of a union's message, and the variant it carries.
struct Alternative<'a> {
    field: &'a ProtoField,
    variant: &'a UnionVariant,
    form: Form,
}

/// How a field carries its variant.
#[derive(Clone, Copy, PartialEq)]
enum Form {
    /// A `bool`: the variant's value.
    Bool,
    /// A message: the variant's struct, boxed or not.
    Message,
    /// A repeated message: one item of the variant's list.
    Messages,
    /// A repeated string: one item of the variant's list.
    Strings,
}

impl Alternative<'_> {
    /// The field's name in errors: its protobuf name, else the variant's.
    fn name(&self) -> String {
        self.field.name.clone().unwrap_or_else(|| self.variant.name.to_lowercase())
    }

    fn ident(&self) -> proc_macro2::Ident {
        format_ident!("{}", self.variant.name)
    }
}

/// The alternatives of a union with `variants` as `message`, if every field carries exactly
/// one variant (its messages satisfying `has`) and every variant has a field.
fn alternatives<'a>(
    model: &Model,
    variants: &'a [UnionVariant],
    message: &'a ProtoMessage,
    has: impl Fn(&str) -> bool,
) -> Option<Vec<Alternative<'a>>> {
    let mut alternatives: Vec<Alternative<'a>> = Vec::new();
    for field in &message.fields {
        if field.map.is_some() || field.inline {
            return None;
        }
        let (form, shape) = match (field.ty.as_str(), field.repeated) {
            ("bool", false) => (Form::Bool, Shape::Bool),
            ("message", false) => (Form::Message, Shape::Ref(field.reference.clone()?)),
            ("message", true) => (Form::Messages, Shape::Array(Box::new(Shape::Ref(field.reference.clone()?)))),
            ("string", true) => (Form::Strings, Shape::Array(Box::new(Shape::String))),
            _ => return None,
        };
        if field.reference.as_deref().is_some_and(|reference| !has(reference)) {
            return None;
        }
        let variant = variants.iter().find(|variant| resolve(model, &variant.shape) == shape)?;
        if alternatives.iter().any(|taken| std::ptr::eq(taken.variant, variant)) {
            return None;
        }
        alternatives.push(Alternative { field, variant, form });
    }
    (alternatives.len() == variants.len()).then_some(alternatives)
}

impl ProtoSupport<'_> {
    /// The decoder of the union `id`, if its message matches its variants.
    pub(super) fn union_decoder(
        &self,
        model: &Model,
        id: &str,
        variants: &[UnionVariant],
        message: &ProtoMessage,
    ) -> Option<TokenStream> {
        let alternatives = alternatives(model, variants, message, |id| self.supported.contains(id))?;
        let arms = alternatives.iter().map(|alternative| {
            let number = alternative.field.number;
            let name = alternative.name();
            let variant = alternative.ident();
            // Switches to the variant (keeping its value when it is the current one).
            let select = |empty: TokenStream| {
                quote! {
                    if !matches!(self, Self::#variant(_)) {
                        *self = Self::#variant(#empty);
                    }
                }
            };
            match alternative.form {
                Form::Bool => quote!(#number => *self = Self::#variant(field.bool(#name)?),),
                Form::Message => {
                    let select = select(quote!(::std::default::Default::default()));
                    let target = if alternative.variant.boxed { quote!(&mut **value) } else { quote!(value) };
                    quote! {
                        #number => {
                            #select
                            if let Self::#variant(value) = self {
                                field.merge_message(#target, #name)?;
                            }
                        }
                    }
                }
                Form::Messages | Form::Strings => {
                    let select = select(quote!(::std::vec::Vec::new()));
                    let push = if alternative.form == Form::Messages {
                        quote!(field.push_message(list, #name)?)
                    } else {
                        quote!(field.push(list, field.string(#name)?))
                    };
                    quote! {
                        #number => {
                            #select
                            if let Self::#variant(list) = self {
                                #push;
                            }
                        }
                    }
                }
            }
        });
        Some(message_impl(model, id, message, arms))
    }

    /// The encoder of the union `id`, if its message matches its variants and every message
    /// it holds encodes.
    pub(super) fn union_encoder(
        &self,
        model: &Model,
        id: &str,
        variants: &[UnionVariant],
        message: &ProtoMessage,
    ) -> Option<TokenStream> {
        let alternatives = alternatives(model, variants, message, |id| self.encodable.contains(id))?;
        let allows = alternatives.iter().find(|alternative| alternative.form == Form::Bool).map(|alternative| {
            let number = alternative.field.number;
            quote!(w.bool(#number, true);)
        });
        let arms = alternatives.iter().map(|alternative| {
            let number = alternative.field.number;
            let variant = alternative.ident();
            match alternative.form {
                Form::Bool => quote!(Self::#variant(value) => w.bool(#number, *value),),
                Form::Message => {
                    let value = if alternative.variant.boxed { quote!(&**value) } else { quote!(value) };
                    quote! {
                        Self::#variant(value) => {
                            #allows
                            w.message(#number, #value);
                        }
                    }
                }
                Form::Messages | Form::Strings => {
                    let write = if alternative.form == Form::Messages {
                        quote!(w.message(#number, value))
                    } else {
                        quote!(w.string(#number, value))
                    };
                    quote! {
                        Self::#variant(list) => {
                            #allows
                            for value in list {
                                #write;
                            }
                        }
                    }
                }
            }
        });
        let path = type_path(model, id);
        Some(quote! {
            impl p::EncodeMessage for #path {
                fn encode_fields(&self, w: &mut p::Writer) {
                    match self {
                        #(#arms)*
                    }
                }
            }
        })
    }
}
