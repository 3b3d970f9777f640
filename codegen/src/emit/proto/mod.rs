//! Protobuf decoders: for each built-in struct whose message the field table knows, an
//! `impl kubegen_runtime::proto::Message` in its module's `proto.rs` (Cargo feature
//! `protobuf`), decoding straight into the model (no second family of types).
//!
//! A struct gets a decoder only when every one of its properties has a protobuf field and every
//! type it holds has a decoder; otherwise it (and every struct holding it) stays JSON-only, so
//! a property the table lacks is never silently dropped. Zero values follow JSON: gogo writes
//! a non-pointer field even at its zero value, where JSON's `omitempty` leaves it out, so such
//! fields decode zero as unset.
//!
//! apiextensions' `JSONSchemaPropsOr*` unions get theirs in [`union`]; its `JSON` is one of
//! the runtime's special types.
//!
//! Encoders (`impl kubegen_runtime::proto::EncodeMessage`, for create and replace bodies) are
//! the decoders' inverse, for the structs with a decoder whose every held message encodes
//! (lists do not: `ListMeta` has no encoder, and a list is never sent). Unset fields are left
//! out, as JSON's `omitempty` leaves them out.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::paths::type_path;
use crate::ir::{Field, FieldRole, Model, Shape, Struct, TypeDef, TypeKind};
use crate::spec::protobuf::{ProtoField, ProtoMessage, ProtoTable};

mod union;

/// The runtime types that decode themselves (`impl Message` in `kubegen_runtime::proto`).
const RUNTIME_MESSAGES: &[&str] =
    &["ObjectMeta", "ListMeta", "OwnerReference", "ManagedFieldsEntry", "Status", "StatusDetails", "StatusCause"];

/// A property of a struct the field table knows, without a protobuf field in the table: the
/// spec is newer than the table (or the table is out of date). Its struct, and every struct
/// holding it, decodes as JSON only.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MissingField {
    /// The definition (`io.k8s.api.core.v1.PodSpec`).
    pub definition: String,
    /// The JSON property (`hostUsers`).
    pub property: String,
}

/// The properties of the model's own structs that the table's messages for them lack.
pub fn missing_fields(model: &Model, table: &ProtoTable) -> Vec<MissingField> {
    let mut missing = Vec::new();
    for ty in model.types.values() {
        let TypeKind::Struct(body) = &ty.kind else { continue };
        if model.is_external_module(&ty.module) {
            continue;
        }
        let Some(message) = table.definitions.get(&ty.id).filter(|message| message.special.is_none()) else {
            continue;
        };
        // TypeMeta is never a protobuf field: the envelope carries it, or nothing does
        // (`DeleteOptions`, a request body).
        let mut carried = BTreeSet::from(["apiVersion", "kind"]);
        carried_properties(table, message, &mut carried, 0);
        for field in body.fields.iter().filter(|field| field.role == FieldRole::Data) {
            if !carried.contains(field.json_name.as_str()) {
                missing.push(MissingField { definition: ty.id.clone(), property: field.json_name.clone() });
            }
        }
    }
    missing
}

/// The JSON properties a message carries, those of structs embedded inline included.
fn carried_properties<'t>(table: &'t ProtoTable, message: &'t ProtoMessage, out: &mut BTreeSet<&'t str>, depth: u32) {
    for field in &message.fields {
        if let Some(json) = &field.json {
            out.insert(json);
        }
        let inline = field.reference.as_ref().filter(|_| field.inline).and_then(|name| table.definitions.get(name));
        if let Some(inner) = inline.filter(|_| depth < 8) {
            carried_properties(table, inner, out, depth + 1);
        }
    }
}

/// The runtime types that encode themselves (`impl EncodeMessage` in `kubegen_runtime::proto`).
const RUNTIME_ENCODERS: &[&str] = &["ObjectMeta", "OwnerReference", "ManagedFieldsEntry"];

/// Which structs of a model have protobuf decoders.
pub struct ProtoSupport<'t> {
    table: &'t ProtoTable,
    supported: BTreeSet<String>,
    /// The supported structs that also get an encoder (every message they hold has one).
    encodable: BTreeSet<String>,
}

impl<'t> ProtoSupport<'t> {
    /// Finds the structs that can be decoded: those in the table, less any with a property
    /// the table lacks or a field of a type that cannot be, until nothing changes; then, of
    /// those, the ones that can be encoded.
    pub fn new(model: &Model, table: &'t ProtoTable) -> Self {
        let mut support = Self {
            table,
            supported: model
                .types
                .values()
                .filter(|ty| matches!(ty.kind, TypeKind::Struct(_) | TypeKind::Union(_)))
                .filter(|ty| table.definitions.get(&ty.id).is_some_and(|message| message.special.is_none()))
                .map(|ty| ty.id.clone())
                .collect(),
            encodable: BTreeSet::new(),
        };
        support.prune(model, |support| &mut support.supported, |support, model, id| support.decoder(model, id));
        support.encodable = support.supported.clone();
        support.prune(model, |support| &mut support.encodable, |support, model, id| support.encoder(model, id));
        support
    }

    /// Removes from the set `set` picks every struct that `generate` gives no code for, until
    /// none is removed: a struct loses its code when a struct it holds lost its own.
    fn prune(
        &mut self,
        model: &Model,
        set: fn(&mut Self) -> &mut BTreeSet<String>,
        generate: fn(&Self, &Model, &str) -> Option<TokenStream>,
    ) {
        loop {
            let candidates: Vec<String> = set(self).iter().cloned().collect();
            let failing: Vec<String> =
                candidates.into_iter().filter(|id| generate(self, model, id).is_none()).collect();
            if failing.is_empty() {
                return;
            }
            let set = set(self);
            for id in failing {
                set.remove(&id);
            }
        }
    }

    /// Whether the type `id` has an encoder.
    pub fn has_encoder(&self, id: &str) -> bool {
        self.encodable.contains(id)
    }

    /// The structs the table has a message for that get no decoder (a property the table
    /// lacks, or a field of a type that cannot be decoded, theirs or a held type's).
    pub fn without_decoder(&self, model: &Model) -> Vec<String> {
        model
            .types
            .values()
            .filter(|ty| matches!(ty.kind, TypeKind::Struct(_)))
            .filter(|ty| self.table.definitions.get(&ty.id).is_some_and(|message| message.special.is_none()))
            .filter(|ty| !self.supported.contains(&ty.id))
            .map(|ty| ty.id.clone())
            .collect()
    }

    /// Whether the type `id` has a decoder.
    pub fn has_decoder(&self, id: &str) -> bool {
        self.supported.contains(id)
    }

    /// The `proto.rs` of a module holding `types`, if any of them has a decoder.
    pub fn module_file(&self, model: &Model, types: &[&TypeDef]) -> Option<TokenStream> {
        let impls: Vec<TokenStream> =
            types.iter().flat_map(|ty| [self.decoder(model, &ty.id), self.encoder(model, &ty.id)]).flatten().collect();
        if impls.is_empty() {
            return None;
        }
        Some(quote! {
            // Every decoder is one `match` on the field number, also for messages of one field
            // (or none); a map value is decoded by the same expression as a field (`Ok(..?)`).
            #![allow(clippy::single_match, clippy::match_single_binding, clippy::needless_question_mark)]
            use ::kubegen_runtime::proto::{self as p, DecodeError, Field};
            #(#impls)*
        })
    }

    /// The decoder of a struct, if it has one.
    fn decoder(&self, model: &Model, id: &str) -> Option<TokenStream> {
        if !self.supported.contains(id) {
            return None;
        }
        let ty = model.types.get(id)?;
        let message = self.table.definitions.get(id)?;
        let body = match &ty.kind {
            TypeKind::Struct(body) => body,
            TypeKind::Union(variants) => return self.union_decoder(model, id, variants, message),
            _ => return None,
        };
        if body.extra.is_some() {
            return None;
        }
        let mut covered = BTreeSet::new();
        let arms = self.arms(model, body, message, &mut covered)?;
        let all_covered =
            body.fields.iter().all(|field| field.role != FieldRole::Data || covered.contains(&field.json_name));
        if !all_covered {
            return None;
        }
        Some(message_impl(model, id, message, arms))
    }

    /// The encoder of a struct, if it has one: the inverse of its decoder.
    fn encoder(&self, model: &Model, id: &str) -> Option<TokenStream> {
        if !self.encodable.contains(id) {
            return None;
        }
        let ty = model.types.get(id)?;
        let message = self.table.definitions.get(id)?;
        let body = match &ty.kind {
            TypeKind::Struct(body) => body,
            TypeKind::Union(variants) => return self.union_encoder(model, id, variants, message),
            _ => return None,
        };
        let statements = self.encode_statements(model, body, message)?;
        let path = type_path(model, id);
        // `w` is unused in a message without fields (an empty Go struct).
        Some(quote! {
            impl p::EncodeMessage for #path {
                #[allow(unused_variables)]
                fn encode_fields(&self, w: &mut p::Writer) {
                    #(#statements)*
                }
            }
        })
    }

    /// The statements writing `body`'s fields as `message`'s; structs embedded inline are
    /// written as their nested message.
    fn encode_statements(&self, model: &Model, body: &Struct, message: &ProtoMessage) -> Option<Vec<TokenStream>> {
        let mut statements = Vec::new();
        for proto in &message.fields {
            let number = proto.number;
            if proto.inline {
                let inner = self.table.definitions.get(proto.reference.as_ref()?)?;
                let inner_statements = self.encode_statements(model, body, inner)?;
                statements.push(quote!(w.nested(#number, |w| { #(#inner_statements)* });));
                continue;
            }
            let Some(json) = &proto.json else { continue };
            let Some(field) = body.fields.iter().find(|field| &field.json_name == json) else { continue };
            if field.role != FieldRole::Data {
                continue;
            }
            let statement = self.field_encode(model, field, proto)?;
            let target = format_ident!("{}", field.rust_name);
            statements.push(if field.required {
                quote!({ let value = &self.#target; #statement })
            } else {
                quote!(if let ::std::option::Option::Some(value) = &self.#target { #statement })
            });
        }
        Some(statements)
    }

    /// Writes `value` (a reference to the field's value, unwrapped from its `Option`) as
    /// field `proto`.
    fn field_encode(&self, model: &Model, field: &Field, proto: &ProtoField) -> Option<TokenStream> {
        let number = proto.number;
        let shape = resolve(model, &field.shape);
        if let Some(map) = &proto.map {
            let Shape::Map(value) = &shape else { return None };
            let value = resolve(model, value);
            return match (map.value.as_str(), &value) {
                ("string", Shape::String) => Some(quote!(w.string_map(#number, value);)),
                ("bytes", Shape::Bytes) => Some(quote!(w.map(#number, value, |w, value| w.bytes(2, &value.0));)),
                ("message", _) => {
                    let element = self.element_encode(model, &value, map.value_reference.as_deref()?, quote!(2))?;
                    Some(quote!(w.map(#number, value, |w, value| { #element });))
                }
                _ => None,
            };
        }
        if proto.repeated {
            let Shape::Array(inner) = &shape else { return None };
            let inner = resolve(model, inner);
            let element = match (&inner, proto.ty.as_str()) {
                (Shape::I32, "int32") => quote!(w.int32(#number, *value);),
                (Shape::I64, "int64") => quote!(w.int64(#number, *value);),
                (Shape::String, "string") => quote!(w.string(#number, value);),
                (_, "message") => self.element_encode(model, &inner, proto.reference.as_deref()?, quote!(#number))?,
                _ => return None,
            };
            return Some(quote!(for value in value.iter() { #element }));
        }
        let value = if field.boxed { quote!(let value = &**value;) } else { TokenStream::new() };
        let write = match (&shape, proto.ty.as_str()) {
            (Shape::String, "string") => quote!(w.string(#number, value);),
            (Shape::I32, "int32") => quote!(w.int32(#number, *value);),
            (Shape::I64, "int64") => quote!(w.int64(#number, *value);),
            (Shape::Bool, "bool") => quote!(w.bool(#number, *value);),
            (Shape::F64, "double") => quote!(w.double(#number, *value);),
            (Shape::Bytes, "bytes") => quote!(w.bytes(#number, &value.0);),
            (_, "message") => self.element_encode(model, &shape, proto.reference.as_deref()?, quote!(#number))?,
            _ => return None,
        };
        Some(quote!(#value #write))
    }

    /// Writes `value` (a reference to a message's model value) as field `number`.
    fn element_encode(
        &self,
        model: &Model,
        shape: &Shape,
        reference: &str,
        number: TokenStream,
    ) -> Option<TokenStream> {
        if let Some(special) = self.table.definitions.get(reference).and_then(|message| message.special.as_deref()) {
            return Some(match (special, shape) {
                ("time", _) => quote!(w.time(#number, value);),
                ("microTime", _) => quote!(w.micro_time(#number, value);),
                ("quantity", _) => quote!(w.quantity(#number, value);),
                ("intOrString", _) => quote!(w.int_or_string(#number, value);),
                ("rawExtension", _) => quote!(w.raw_extension(#number, value);),
                ("fieldsV1", _) => quote!(w.fields_v1(#number, value);),
                ("json", Shape::Json) => quote!(w.json(#number, value);),
                ("repeatedWrapper", Shape::Array(inner)) if resolve(model, inner) == Shape::String => {
                    quote!(w.repeated_strings(#number, value);)
                }
                _ => return None,
            });
        }
        if *shape == Shape::Json && self.table.definitions.get(reference).is_some_and(|m| m.fields.is_empty()) {
            return Some(quote!(w.nested(#number, |_| {});));
        }
        let Shape::Ref(id) = shape else { return None };
        let ty = model.types.get(id)?;
        let encodes = match &ty.kind {
            TypeKind::Provided(provided) => RUNTIME_ENCODERS.contains(&provided.runtime_path),
            TypeKind::Struct(_) | TypeKind::Union(_) => self.encodable.contains(id),
            _ => false,
        };
        if !encodes || ty.id != reference {
            return None;
        }
        Some(quote!(w.message(#number, value);))
    }

    /// The match arms of a message's fields, decoding into `body`'s fields; structs embedded
    /// inline decode their own message into the same fields.
    fn arms(
        &self,
        model: &Model,
        body: &Struct,
        message: &ProtoMessage,
        covered: &mut BTreeSet<String>,
    ) -> Option<Vec<TokenStream>> {
        let mut arms = Vec::new();
        for proto in &message.fields {
            let number = proto.number;
            if proto.inline {
                let inner = self.table.definitions.get(proto.reference.as_ref()?)?;
                let inner_arms = self.arms(model, body, inner, covered)?;
                let name = proto.reference.as_deref().and_then(|name| name.rsplit('.').next()).unwrap_or("inline");
                arms.push(quote! {
                    #number => p::merge_inline(&field, #name, |field| {
                        match field.number {
                            #(#inner_arms)*
                            _ => {}
                        }
                        Ok(())
                    })?,
                });
                continue;
            }
            let Some(json) = &proto.json else { continue };
            // A field the spec does not have (newer than the spec) is skipped as unknown.
            let Some(field) = body.fields.iter().find(|field| &field.json_name == json) else { continue };
            if field.role != FieldRole::Data {
                continue;
            }
            let Some(arm) = self.field_arm(model, field, proto) else {
                tracing::trace!("protobuf: field `{json}` of message {} cannot be decoded", message.message);
                return None;
            };
            arms.push(arm);
            covered.insert(json.clone());
        }
        Some(arms)
    }

    fn field_arm(&self, model: &Model, field: &Field, proto: &ProtoField) -> Option<TokenStream> {
        let number = proto.number;
        let name = field.json_name.as_str();
        let target = format_ident!("{}", field.rust_name);
        let shape = resolve(model, &field.shape);
        if let Some(map) = &proto.map {
            let Shape::Map(value) = &shape else { return None };
            let value = resolve(model, value);
            // The runtime merges entries into an `Option` of a map; a required map is
            // taken out into one and put back.
            let map_slot = if field.required { quote!(&mut entries) } else { quote!(&mut self.#target) };
            let merge = match (map.value.as_str(), &value) {
                ("string", Shape::String) => quote!(p::merge_string_entry(#map_slot, &field, #name)?),
                ("bytes", Shape::Bytes) => {
                    quote!(p::merge_entry(#map_slot, &field, #name, p::byte_string, Default::default)?)
                }
                ("message", _) => {
                    let reference = map.value_reference.as_deref()?;
                    let decode = self.element(model, &value, reference, name)?;
                    quote! {
                        p::merge_entry(#map_slot, &field, #name, |field: &Field<'_>| {
                            let field = *field;
                            Ok(#decode)
                        }, Default::default)?
                    }
                }
                _ => return None,
            };
            if field.required {
                return Some(quote! {
                    #number => {
                        let mut entries = ::std::option::Option::Some(::std::mem::take(&mut self.#target));
                        #merge;
                        self.#target = entries.unwrap_or_default();
                    }
                });
            }
            return Some(quote!(#number => #merge,));
        }
        if proto.repeated {
            let Shape::Array(inner) = &shape else { return None };
            let list = if field.required { quote!(self.#target) } else { quote!(self.#target.get_or_insert_default()) };
            let list_mut = if field.required { quote!(&mut self.#target) } else { list.clone() };
            let inner = resolve(model, inner);
            let statement = match (&inner, proto.ty.as_str()) {
                (Shape::I32, "int32") => quote!(field.repeated_int32(#list_mut, #name)?),
                (Shape::I64, "int64") => quote!(field.repeated_int64(#list_mut, #name)?),
                (Shape::String, "string") => quote!(field.push_string(#list_mut, #name)?),
                (_, "message") => match self.special(model, &inner, proto.reference.as_deref()?, name)? {
                    // Decoded in its place at the end of the list, not built and moved.
                    Special::Message => quote!(field.push_message(#list_mut, #name)?),
                    _ => {
                        let decode = self.element(model, &inner, proto.reference.as_deref()?, name)?;
                        quote!(field.push(#list_mut, #decode))
                    }
                },
                _ => return None,
            };
            return Some(quote!(#number => #statement,));
        }
        let (value, kind) = self.value(model, &shape, proto, name)?;
        if let ValueKind::InPlace = kind {
            // A message merges into the field's value where it lives (protobuf's rule for a
            // repeated occurrence), instead of a new value moved in. Optional ones are created
            // by the runtime, out of line, so that each field costs its decoder a call.
            let statement = match (field.required, field.boxed) {
                (true, false) => quote!(field.merge_message(&mut self.#target, #name)?),
                (true, true) => quote!(field.merge_message(&mut *self.#target, #name)?),
                (false, false) => quote!(field.merge_optional(&mut self.#target, #name)?),
                (false, true) => quote!(field.merge_boxed(&mut self.#target, #name)?),
            };
            return Some(quote!(#number => #statement,));
        }
        if let ValueKind::Text = kind {
            // Strings are written into the field by the runtime (a call per field, and the
            // text built where it stays: a `Str` built and moved costs more than its
            // conversion).
            let statement = if field.required {
                quote!(field.set_string(&mut self.#target, #name)?)
            } else if proto.omitempty && !proto.pointer {
                // JSON leaves an empty non-pointer string out (`omitempty`); gogo writes it.
                quote!(field.set_non_empty_string(&mut self.#target, #name)?)
            } else {
                quote!(field.set_optional_string(&mut self.#target, #name)?)
            };
            return Some(quote!(#number => #statement,));
        }
        let boxed = |value: TokenStream| if field.boxed { quote!(::std::boxed::Box::new(#value)) } else { value };
        let assignment = match kind {
            ValueKind::Optional if field.required => {
                let value = boxed(quote!(#value.unwrap_or_default()));
                quote!(self.#target = #value)
            }
            ValueKind::Optional if field.boxed => quote!(self.#target = #value.map(::std::boxed::Box::new)),
            ValueKind::Optional => quote!(self.#target = #value),
            _ if field.required => {
                let value = boxed(value);
                quote!(self.#target = #value)
            }
            // JSON leaves a non-pointer zero value out (`omitempty`); gogo writes it.
            ValueKind::Scalar(nonzero) if proto.omitempty && !proto.pointer => {
                quote!(self.#target = ::std::option::Option::Some(#value).filter(#nonzero))
            }
            _ => {
                let value = boxed(value);
                quote!(self.#target = ::std::option::Option::Some(#value))
            }
        };
        Some(quote!(#number => #assignment,))
    }

    /// A single value of `shape` from `field`.
    fn value(&self, model: &Model, shape: &Shape, proto: &ProtoField, name: &str) -> Option<(TokenStream, ValueKind)> {
        Some(match (shape, proto.ty.as_str()) {
            (Shape::String, "string") => (quote!(field.string(#name)?), ValueKind::Text),
            (Shape::I32, "int32") => (quote!(field.int32(#name)?), ValueKind::Scalar(quote!(|value| *value != 0))),
            (Shape::I64, "int64") => (quote!(field.int64(#name)?), ValueKind::Scalar(quote!(|value| *value != 0))),
            (Shape::Bool, "bool") => (quote!(field.bool(#name)?), ValueKind::Scalar(quote!(|value| *value))),
            (Shape::F64, "double") => (quote!(field.double(#name)?), ValueKind::Scalar(quote!(|value| *value != 0.0))),
            (Shape::Bytes, "bytes") => {
                (quote!(p::byte_string(&field)?), ValueKind::Scalar(quote!(|value| !value.0.is_empty())))
            }
            (_, "message") => {
                let reference = proto.reference.as_deref()?;
                match self.special(model, shape, reference, name)? {
                    Special::Optional(decode) => (decode, ValueKind::Optional),
                    Special::Value(decode) => (decode, ValueKind::Message),
                    Special::Message => (TokenStream::new(), ValueKind::InPlace),
                }
            }
            _ => return None,
        })
    }

    /// One element of a repeated field or a map value: a message.
    fn element(&self, model: &Model, shape: &Shape, reference: &str, name: &str) -> Option<TokenStream> {
        match self.special(model, shape, reference, name)? {
            Special::Value(decode) => Some(decode),
            Special::Message => Some(quote!(field.message(#name)?)),
            // A zero time in a map (`disruptedPods`) is still an entry.
            Special::Optional(decode) => Some(quote!(#decode.unwrap_or_default())),
        }
    }

    /// The decode of a message field: the runtime's special types, the runtime's own structs,
    /// and generated structs with decoders.
    fn special(&self, model: &Model, shape: &Shape, reference: &str, name: &str) -> Option<Special> {
        if let Some(special) = self.table.definitions.get(reference).and_then(|message| message.special.as_deref()) {
            return Some(match (special, shape) {
                ("time", _) => Special::Optional(quote!(p::time(&field, #name)?)),
                ("microTime", _) => Special::Optional(quote!(p::micro_time(&field, #name)?)),
                ("quantity", _) => Special::Value(quote!(p::quantity(&field, #name)?)),
                ("intOrString", _) => Special::Value(quote!(p::int_or_string(&field, #name)?)),
                ("rawExtension", _) => Special::Value(quote!(p::raw_extension(&field, #name)?)),
                ("fieldsV1", _) => Special::Value(quote!(p::fields_v1(&field, #name)?)),
                ("json", Shape::Json) => Special::Value(quote!(p::json(&field, #name)?)),
                ("repeatedWrapper", Shape::Array(inner)) if resolve(model, inner) == Shape::String => {
                    Special::Value(quote!(p::repeated_strings(&field, #name)?))
                }
                _ => return None,
            });
        }
        if *shape == Shape::Json && self.table.definitions.get(reference).is_some_and(|m| m.fields.is_empty()) {
            // An empty Go struct (`StorageVersionSpec`) is a free-form `{}` in the model.
            return Some(Special::Value(quote!({
                field.bytes(#name)?;
                ::serde_json::Value::Object(::serde_json::Map::new())
            })));
        }
        let Shape::Ref(id) = shape else { return None };
        let ty = model.types.get(id)?;
        let decodes = match &ty.kind {
            TypeKind::Provided(provided) => RUNTIME_MESSAGES.contains(&provided.runtime_path),
            TypeKind::Struct(_) | TypeKind::Union(_) => self.supported.contains(id),
            _ => false,
        };
        if !decodes || ty.id != reference {
            return None;
        }
        Some(Special::Message)
    }
}

/// `impl Message` for the type `id` of `message`: one `match` arm per field number.
fn message_impl(
    model: &Model,
    id: &str,
    message: &ProtoMessage,
    arms: impl IntoIterator<Item = TokenStream>,
) -> TokenStream {
    let path = type_path(model, id);
    let name = message.message.rsplit('.').next().unwrap_or(&message.message);
    let arms = arms.into_iter();
    quote! {
        impl p::Message for #path {
            const NAME: &'static str = #name;

            fn merge_field(&mut self, field: Field<'_>) -> ::std::result::Result<(), DecodeError> {
                match field.number {
                    #(#arms)*
                    _ => {}
                }
                Ok(())
            }
        }
    }
}

/// How a decoded value is assigned.
enum ValueKind {
    /// A string: empty is JSON's "left out" for `omitempty` fields.
    Text,
    /// A number, bool or bytes, with its non-zero test.
    Scalar(TokenStream),
    /// A message, always present when written.
    Message,
    /// Already an `Option` (`Time`: a zero time is unset).
    Optional,
    /// A message with a decoder of its own, merged into the field in place.
    InPlace,
}

/// A message field's decode expression.
enum Special {
    /// Gives the value.
    Value(TokenStream),
    /// Gives an `Option` of it.
    Optional(TokenStream),
    /// A message with a decoder of its own (a generated struct, or one of the runtime's).
    Message,
}

/// A shape with aliases followed to what they name.
fn resolve(model: &Model, shape: &Shape) -> Shape {
    let mut shape = shape.clone();
    for _ in 0..16 {
        let Shape::Ref(id) = &shape else { break };
        match model.types.get(id).map(|ty| &ty.kind) {
            Some(TypeKind::Alias(inner)) => shape = inner.clone(),
            _ => break,
        }
    }
    shape
}
