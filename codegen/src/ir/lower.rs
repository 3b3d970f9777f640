//! Lowering schemas to types: the type mapping.
//!
//! | schema | Rust |
//! |---|---|
//! | `$ref` | the referenced type |
//! | required property | plain field; the rest are `Option`s |
//! | `boolean`, `integer` (`int32` / other), `number` | `bool`, `i32` / `i64`, `f64` |
//! | `string` / `byte` / `date-time` | `String` / `ByteString` (base64) / `Time` |
//! | `x-kubernetes-int-or-string`, `format: int-or-string` | `IntOrString` |
//! | `type` arrays (other generators): with `null` / `[integer, string]` / `[number, string]`, `[integer, number, string]` / other mixes | optional / `IntOrString` / `Quantity` / `serde_json::Value` |
//! | `string` with `enum` | a string enum with a catch-all variant (custom resources; Kubernetes' own types keep `String`, see `typed_enums`) |
//! | `array` | `Vec` |
//! | `object` with `additionalProperties` | `BTreeMap<String, _>` |
//! | `object` with `properties` | a struct (nested schemas become named types) |
//! | free-form object, `x-kubernetes-preserve-unknown-fields`, untyped | `serde_json::Value` |
//! | properties plus preserve-unknown-fields | a struct with a catch-all map |
//! | `oneOf` / `anyOf` / `allOf` | validation-only branches are ignored; object branches merge their properties; incompatible shapes become `Value` |
//!
//! Nested schemas (CRDs have little else) become types named after their path
//! (`CertificateSpec`, `CertificateSpecPrivateKey`), in breadth-first order so that the
//! shortest path names a type; nested schemas in one CRD version that are identical but for
//! their descriptions share one type (documented by its first, shallowest occurrence).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::names;
use super::provided::{self, Provided};
use super::{Enum, ExtraFields, Field, FieldRole, Module, Shape, Struct, TypeDef, TypeKind, UnionVariant};
use crate::error::{Error, Result};
use crate::location::Location;
use crate::spec::{AdditionalProperties, RawSpec, Schema};

/// The types and modules of a spec.
pub struct Lowered {
    /// Every type by id.
    pub types: BTreeMap<String, TypeDef>,
    /// Every module by name.
    pub modules: BTreeMap<String, Module>,
}

/// Lowers every definition of `spec`, and the runtime-provided types they refer to.
pub fn lower(spec: &RawSpec) -> Result<Lowered> {
    let mut lowerer = Lowerer {
        spec,
        types: BTreeMap::new(),
        modules: BTreeMap::new(),
        placements: BTreeMap::new(),
        names: BTreeMap::new(),
        owners: BTreeMap::new(),
        stems: BTreeMap::new(),
        nested_by_schema: BTreeMap::new(),
        occurrences: BTreeMap::new(),
        shared_names: BTreeMap::new(),
        unit_types: Vec::new(),
        queue: VecDeque::new(),
        provided_references: BTreeSet::new(),
    };
    lowerer.assign_names()?;
    for (name, definition) in &spec.definitions {
        lowerer.lower_unit(name, definition)?;
    }
    lowerer.add_referenced_provided()?;
    Ok(Lowered { types: lowerer.types, modules: lowerer.modules })
}

#[derive(Clone, Debug)]
struct Placement {
    module: String,
    name: String,
    file: String,
}

/// A nested schema waiting to be lowered into its own type.
struct Nested {
    id: String,
    placement: Placement,
    schema: Schema,
    location: Location,
    unit: String,
}

struct Lowerer<'a> {
    spec: &'a RawSpec,
    types: BTreeMap<String, TypeDef>,
    modules: BTreeMap<String, Module>,
    placements: BTreeMap<String, Placement>,
    /// Type names taken in each module.
    names: BTreeMap<String, BTreeSet<String>>,
    /// The definition that named each type, by module and type name, to name both in errors.
    owners: BTreeMap<(String, String), String>,
    /// File stems taken in each module.
    stems: BTreeMap<String, BTreeSet<String>>,
    /// Nested types already made, by CRD unit and schema, to share identical ones.
    nested_by_schema: BTreeMap<(String, String), String>,
    /// Every name a nested schema would get at each place it is used, by unit and schema.
    occurrences: BTreeMap<(String, String), BTreeSet<String>>,
    /// Names of nested types used at places that would name them differently, by unit and
    /// schema (see [`shared_name`]).
    shared_names: BTreeMap<(String, String), String>,
    /// The nested types made for the unit being lowered (id, module, name), to undo them.
    unit_types: Vec<(String, String, String)>,
    queue: VecDeque<Nested>,
    provided_references: BTreeSet<String>,
}

/// Where a schema sits while it is lowered: the type it belongs to and its path.
#[derive(Clone)]
struct Context<'c> {
    /// Rust name of the type the schema is a property of.
    parent: &'c str,
    /// The property's JSON name (its items' and values' too).
    property: &'c str,
    placement: &'c Placement,
    unit: &'c str,
    location: Location,
}

impl<'a> Lowerer<'a> {
    /// Gives every definition its module, type name and file before anything is lowered, so
    /// that definitions take precedence over nested types for names.
    fn assign_names(&mut self) -> Result<()> {
        for (name, definition) in &self.spec.definitions {
            let placement = self.place_definition(name, &definition.location)?;
            self.placements.insert(name.clone(), placement);
        }
        Ok(())
    }

    fn place_definition(&mut self, definition: &str, location: &Location) -> Result<Placement> {
        let (module, type_name) = names::module_and_type(definition);
        let package = definition.rsplit_once('.').map_or("", |(package, _)| package).to_owned();
        match self.modules.get(&module) {
            Some(existing) if existing.package != package => {
                return Err(Error::spec(
                    location,
                    format!("packages `{}` and `{package}` would both become module `{module}`", existing.package),
                ));
            }
            Some(_) => {}
            None => {
                let always_on = package.starts_with("io.k8s.apimachinery.");
                self.modules.insert(
                    module.clone(),
                    Module { name: module.clone(), package, api_version: None, always_on, external: None },
                );
            }
        }
        let taken = self.names.entry(module.clone()).or_insert_with(|| names::crate_items(&module));
        let mut type_name = type_name;
        if let Some(other) = self.owners.get(&(module.clone(), type_name.clone())) {
            return Err(Error::spec(
                location,
                format!(
                    "definitions `{other}` and `{definition}` would both be type `{type_name}` in module `{module}`"
                ),
            ));
        }
        if taken.contains(&type_name) {
            // The module's client or informers struct has this name: the definition yields,
            // deterministically, as nested types do.
            let wanted = type_name.clone();
            let mut counter = 2;
            while taken.contains(&type_name) {
                type_name = format!("{wanted}{counter}");
                counter += 1;
            }
            tracing::warn!(
                "definition `{definition}` is type `{type_name}`: module `{module}` uses `{wanted}` for its own item"
            );
        }
        taken.insert(type_name.clone());
        self.owners.insert((module.clone(), type_name.clone()), definition.to_owned());
        let file = self.unique_stem(&module, &type_name);
        Ok(Placement { module, name: type_name, file })
    }

    fn unique_stem(&mut self, module: &str, type_name: &str) -> String {
        let stems = self.stems.entry(module.to_owned()).or_default();
        let base = names::file_stem(type_name);
        let mut stem = base.clone();
        let mut counter = 2;
        while !stems.insert(stem.clone()) {
            stem = format!("{base}_{counter}");
            counter += 1;
        }
        stem
    }

    fn unique_type_name(&mut self, module: &str, wanted: &str) -> String {
        let taken = self.names.entry(module.to_owned()).or_insert_with(|| names::crate_items(module));
        let mut name = wanted.to_owned();
        let mut counter = 2;
        while !taken.insert(name.clone()) {
            name = format!("{wanted}{counter}");
            counter += 1;
        }
        name
    }

    fn lower_definition(
        &mut self,
        name: &str,
        definition: &crate::spec::Definition,
        placement: &Placement,
    ) -> Result<TypeDef> {
        let schema = &definition.schema;
        let location = &definition.location;
        let group_version_kind = match schema.group_version_kinds.as_slice() {
            [single] => Some(single.clone()),
            _ => None,
        };
        let kind = if let Some(provided) = provided::lookup(name) {
            check_provided(provided, schema, location)?;
            TypeKind::Provided(provided)
        } else if let Some(special) = self.special(name, schema) {
            special
        } else {
            let context =
                Context { parent: &placement.name, property: "", placement, unit: name, location: location.clone() };
            let mut kind = self.lower_body(schema, &context)?;
            if let (TypeKind::Struct(fields), Some(_)) = (&mut kind, &group_version_kind) {
                mark_type_meta(fields);
            }
            kind
        };
        Ok(TypeDef {
            id: name.to_owned(),
            module: placement.module.clone(),
            name: placement.name.clone(),
            file: placement.file.clone(),
            doc: schema.description.clone(),
            kind,
            group_version_kind,
            location: location.clone(),
        })
    }

    /// apiextensions' `JSON` and `JSONSchemaPropsOr*` definitions carry no schema in the spec
    /// (their Go types marshal by hand); their shapes are known.
    fn special(&self, name: &str, schema: &Schema) -> Option<TypeKind> {
        let (package, last) = name.rsplit_once('.')?;
        if !package.contains("apiextensions") || schema.ty.is_some() || !schema.properties.is_empty() {
            return None;
        }
        let props = Shape::Ref(format!("{package}.JSONSchemaProps"));
        let variant = |name: &str, shape: Shape| UnionVariant { name: name.to_owned(), shape, boxed: false };
        match last {
            "JSON" => Some(TypeKind::Alias(Shape::Json)),
            "JSONSchemaPropsOrArray" => Some(TypeKind::Union(vec![
                variant("Schema", props.clone()),
                variant("Schemas", Shape::Array(Box::new(props))),
            ])),
            "JSONSchemaPropsOrBool" => {
                Some(TypeKind::Union(vec![variant("Bool", Shape::Bool), variant("Schema", props)]))
            }
            "JSONSchemaPropsOrStringArray" => Some(TypeKind::Union(vec![
                variant("Schema", props),
                variant("Strings", Shape::Array(Box::new(Shape::String))),
            ])),
            _ => None,
        }
    }

    /// Lowers a definition and its nested schemas. A nested type used at several places is
    /// named after all of them: the unit is lowered once to find those places, and again
    /// (until the names settle, at most [`MAX_NAMING_ROUNDS`] times) with the shared names.
    fn lower_unit(&mut self, name: &str, definition: &crate::spec::Definition) -> Result<()> {
        let placement = self.placements[name].clone();
        for round in 1..=MAX_NAMING_ROUNDS {
            self.unit_types.clear();
            let ty = self.lower_definition(name, definition, &placement)?;
            self.drain_nested()?;
            let shared: BTreeMap<(String, String), String> = self
                .occurrences
                .iter()
                .filter(|((unit, _), wanted)| unit == name && wanted.len() > 1)
                .map(|(key, wanted)| {
                    let shared = shared_name(wanted);
                    tracing::debug!("nested type {shared} stands for {wanted:?}");
                    (key.clone(), shared)
                })
                .collect();
            let current: BTreeMap<(String, String), String> = self
                .shared_names
                .iter()
                .filter(|((unit, _), _)| unit == name)
                .map(|(key, shared)| (key.clone(), shared.clone()))
                .collect();
            if current == shared || round == MAX_NAMING_ROUNDS {
                if current != shared {
                    tracing::debug!("the names of `{name}`'s shared nested types did not settle in {round} rounds");
                }
                self.types.insert(name.to_owned(), ty);
                return Ok(());
            }
            self.undo_unit(name);
            self.shared_names.retain(|(unit, _), _| unit != name);
            self.shared_names.extend(shared);
        }
        Ok(())
    }

    /// Forgets the nested types made for `unit`, so that it can be lowered again.
    fn undo_unit(&mut self, unit: &str) {
        for (id, module, name) in std::mem::take(&mut self.unit_types) {
            self.types.remove(&id);
            if let Some(taken) = self.names.get_mut(&module) {
                taken.remove(&name);
            }
        }
        self.nested_by_schema.retain(|(owner, _), _| owner != unit);
        self.occurrences.retain(|(owner, _), _| owner != unit);
    }

    /// Lowers nested schemas queued while lowering a definition, breadth first.
    fn drain_nested(&mut self) -> Result<()> {
        while let Some(nested) = self.queue.pop_front() {
            let context = Context {
                parent: &nested.placement.name,
                property: "",
                placement: &nested.placement,
                unit: &nested.unit,
                location: nested.location.clone(),
            };
            let kind = self.lower_body(&nested.schema, &context)?;
            self.types.insert(
                nested.id.clone(),
                TypeDef {
                    id: nested.id.clone(),
                    module: nested.placement.module.clone(),
                    name: nested.placement.name.clone(),
                    file: nested.placement.file.clone(),
                    doc: nested.schema.description.clone(),
                    kind,
                    group_version_kind: None,
                    location: nested.location.clone(),
                },
            );
        }
        Ok(())
    }

    /// The body of a named type: a struct, an enum, or an alias of a shape.
    fn lower_body(&mut self, schema: &Schema, context: &Context<'_>) -> Result<TypeKind> {
        let resolved = resolve_type_array(schema, &context.location)?;
        let schema = resolved.as_ref();
        let merged = merge_branches(schema);
        let schema = match &merged {
            Merged::Unchanged => schema,
            Merged::Folded(merged) => merged,
            Merged::Json => return Ok(TypeKind::Alias(Shape::Json)),
        };
        if schema.reference.is_none() && !schema.int_or_string && !schema.properties.is_empty() {
            return self.lower_struct(schema, context).map(TypeKind::Struct);
        }
        if typed_enums(context.unit)
            && let Some(variants) = string_enum(schema)
        {
            return Ok(TypeKind::Enum(enum_body(&variants)));
        }
        self.lower_shape(schema, context).map(TypeKind::Alias)
    }

    fn lower_struct(&mut self, schema: &Schema, context: &Context<'_>) -> Result<Struct> {
        let mut fields = Vec::with_capacity(schema.properties.len());
        let mut idents = BTreeSet::new();
        let properties_location = context.location.join("properties");
        for (json_name, property) in &schema.properties {
            let child = Context {
                parent: context.parent,
                property: json_name,
                placement: context.placement,
                unit: context.unit,
                location: properties_location.join(json_name),
            };
            let shape = if schema.embedded_resource && json_name == "metadata" {
                // An embedded object's metadata is an ObjectMeta whatever the CRD spells out.
                self.resolve(provided::OBJECT_META, &child.location)?
            } else {
                self.lower_shape(property, &child)?
            };
            let nullable = property.nullable == Some(true) || type_array_has_null(property);
            let required = schema.required.iter().any(|name| name == json_name) && !nullable;
            fields.push(Field {
                json_name: json_name.clone(),
                rust_name: unique_ident(&mut idents, &names::field_ident(json_name)),
                doc: property.description.clone(),
                required,
                shape,
                boxed: false,
                role: FieldRole::Data,
                merge: super::merge::of_property(property),
            });
        }
        let extra_value = match (&schema.additional_properties, schema.preserve_unknown_fields) {
            (Some(AdditionalProperties::Schema(values)), _) => {
                let child = Context { location: context.location.join("additionalProperties"), ..context.clone() };
                Some(self.lower_shape(values, &child)?)
            }
            (Some(AdditionalProperties::Bool(true)), _) | (_, Some(true)) => Some(Shape::Json),
            _ => None,
        };
        let extra =
            extra_value.map(|value| ExtraFields { rust_name: unique_ident(&mut idents, "extra_fields"), value });
        Ok(Struct { fields, extra, atomic: super::merge::atomic_struct(schema) })
    }

    /// The shape of a property, its items or its values; nested object and enum schemas
    /// become named types.
    fn lower_shape(&mut self, schema: &Schema, context: &Context<'_>) -> Result<Shape> {
        if let Some(reference) = &schema.reference {
            return self.resolve(reference, &context.location);
        }
        let resolved = resolve_type_array(schema, &context.location)?;
        let schema = resolved.as_ref();
        if let Some(reference) = &schema.reference {
            return self.resolve(reference, &context.location);
        }
        if schema.int_or_string || schema.format.as_deref() == Some("int-or-string") {
            return Ok(Shape::IntOrString);
        }
        let merged = merge_branches(schema);
        let schema = match &merged {
            Merged::Unchanged => schema,
            Merged::Folded(merged) => merged,
            Merged::Json => return Ok(Shape::Json),
        };
        if let Some(reference) = &schema.reference {
            return self.resolve(reference, &context.location);
        }
        if typed_enums(context.unit) && string_enum(schema).is_some() {
            return Ok(Shape::Ref(self.nested(schema, context)));
        }
        if !schema.properties.is_empty() {
            return Ok(Shape::Ref(self.nested(schema, context)));
        }
        match schema.ty.as_deref() {
            Some("string") => Ok(match schema.format.as_deref() {
                Some("byte") => Shape::Bytes,
                Some("date-time") => Shape::Time,
                _ => Shape::String,
            }),
            Some("integer") => Ok(match schema.format.as_deref() {
                Some("int32") => Shape::I32,
                _ => Shape::I64,
            }),
            Some("number") => Ok(Shape::F64),
            Some("boolean") => Ok(Shape::Bool),
            Some("array") => self.array(schema, context),
            Some("object") | None => {
                if let Some(AdditionalProperties::Schema(values)) = &schema.additional_properties {
                    let child = Context { location: context.location.join("additionalProperties"), ..context.clone() };
                    Ok(Shape::Map(Box::new(self.lower_shape(values, &child)?)))
                } else if schema.ty.is_none() && schema.items.is_some() {
                    self.array(schema, context)
                } else {
                    Ok(Shape::Json)
                }
            }
            Some(other) => Err(Error::spec(
                &context.location.join("type"),
                format!("unknown schema type {other:?}; expected string, integer, number, boolean, array or object"),
            )),
        }
    }

    fn array(&mut self, schema: &Schema, context: &Context<'_>) -> Result<Shape> {
        let Some(items) = &schema.items else {
            return Ok(Shape::Array(Box::new(Shape::Json)));
        };
        let item = names::singular(context.property);
        let child = Context { location: context.location.join("items"), property: &item, ..context.clone() };
        Ok(Shape::Array(Box::new(self.lower_shape(items, &child)?)))
    }

    fn resolve(&mut self, reference: &str, location: &Location) -> Result<Shape> {
        if self.spec.definitions.contains_key(reference) {
            return Ok(Shape::Ref(reference.to_owned()));
        }
        if provided::lookup(reference).is_some() {
            self.provided_references.insert(reference.to_owned());
            return Ok(Shape::Ref(reference.to_owned()));
        }
        Err(Error::spec(&location.join("$ref"), format!("`$ref` names `{reference}`, which the spec does not define")))
    }

    /// The id of the named type for a nested schema, queuing it to be lowered; identical
    /// schemas in one unit share a type.
    fn nested(&mut self, schema: &Schema, context: &Context<'_>) -> String {
        let mut key_schema = schema.clone();
        strip_descriptions(&mut key_schema);
        let key = (context.unit.to_owned(), serde_json::to_string(&key_schema).unwrap_or_default());
        // A keyword's escape (`Self_`) is not needed after the parent's name.
        let suffix = if context.property.is_empty() {
            String::new()
        } else {
            names::type_name(context.property).trim_end_matches('_').to_owned()
        };
        let wanted = format!("{}{suffix}", context.parent.trim_end_matches('_'));
        self.occurrences.entry(key.clone()).or_default().insert(wanted.clone());
        if let Some(id) = self.nested_by_schema.get(&key) {
            return id.clone();
        }
        let module = &context.placement.module;
        let wanted = self.shared_names.get(&key).cloned().unwrap_or(wanted);
        let name = self.unique_type_name(module, &wanted);
        let id = format!("{module}::{name}");
        self.unit_types.push((id.clone(), module.clone(), name.clone()));
        self.nested_by_schema.insert(key, id.clone());
        self.queue.push_back(Nested {
            id: id.clone(),
            placement: Placement { module: module.clone(), name, file: context.placement.file.clone() },
            schema: schema.clone(),
            location: context.location.clone(),
            unit: context.unit.to_owned(),
        });
        id
    }

    /// Adds the runtime-provided types that were referenced but not defined by the spec (a
    /// spec of CRDs alone refers to `ObjectMeta` without defining it).
    fn add_referenced_provided(&mut self) -> Result<()> {
        for id in std::mem::take(&mut self.provided_references) {
            if self.types.contains_key(&id) {
                continue;
            }
            let Some(provided) = provided::lookup(&id) else {
                continue;
            };
            let location = Location::document("kubegen-runtime");
            let placement = self.place_definition(&id, &location)?;
            self.types.insert(
                id.clone(),
                TypeDef {
                    id: id.clone(),
                    module: placement.module,
                    name: placement.name,
                    file: placement.file,
                    doc: None,
                    kind: TypeKind::Provided(provided),
                    group_version_kind: None,
                    location,
                },
            );
        }
        Ok(())
    }
}

/// How many times a unit is lowered at most while the names of its shared nested types
/// settle (a renamed type renames the types nested in it, which may be shared in turn).
const MAX_NAMING_ROUNDS: usize = 6;

/// The name of a nested type used at places that would each name it differently: the words
/// all those names begin with, then the words they all end with (`PipelineSpecStepEnv` and
/// `PipelineSpecSidecarEnv` share `PipelineSpecEnv`). Without a common ending, a few short
/// endings are listed (`ResourcesLimits` and `ResourcesRequests` share
/// `ResourcesLimitsOrRequests`); a place whose name begins all the others names it
/// (`template` and `templateDefaults` share `...Template`); else the ending most of the places have names it (a volume
/// used as `volumes[]` twice and as `persistentVolumeClaims[]` once is `...Volume`); else
/// the common beginning and `Item`, which is true at every place, where naming it after one
/// place would read as a mistake at the others.
fn shared_name(wanted: &BTreeSet<String>) -> String {
    /// The most endings listed, and the most words in each.
    const MAX_ENDINGS: usize = 3;
    const MAX_ENDING_WORDS: usize = 3;
    let words: Vec<Vec<String>> = wanted.iter().map(|name| names::words(name)).collect();
    let shortest = words.iter().map(Vec::len).min().unwrap_or(0);
    let prefix = (0..shortest).take_while(|index| words.iter().all(|name| name[*index] == words[0][*index])).count();
    let beginning: String = words[0][..prefix].concat();
    let endings: Vec<&[String]> = words.iter().map(|name| &name[prefix..]).collect();
    let suffix = common_suffix(&endings);
    if suffix > 0 {
        return format!("{beginning}{}", endings[0][endings[0].len() - suffix..].concat());
    }
    if endings.iter().any(|ending| ending.is_empty()) {
        // One place's name is where all the others begin (`template` and `templateDefaults`):
        // that name is the concept's.
        return beginning;
    }
    let listable = endings.len() <= MAX_ENDINGS && endings.iter().all(|ending| ending.len() <= MAX_ENDING_WORDS);
    if listable {
        let endings: BTreeSet<String> = endings.iter().map(|ending| ending.concat()).collect();
        return format!("{beginning}{}", endings.into_iter().collect::<Vec<_>>().join("Or"));
    }
    let mut by_last_word: BTreeMap<&str, Vec<&[String]>> = BTreeMap::new();
    for ending in &endings {
        if let Some(last) = ending.last() {
            by_last_word.entry(last.as_str()).or_default().push(ending);
        }
    }
    if let Some(majority) = by_last_word.values().find(|group| group.len() * 2 > endings.len()) {
        let suffix = common_suffix(majority);
        return format!("{beginning}{}", majority[0][majority[0].len() - suffix..].concat());
    }
    if beginning.is_empty() {
        // Nothing in common at all: the first name, which at least is stable.
        return wanted.iter().next().cloned().unwrap_or_default();
    }
    format!("{beginning}Item")
}

/// How many words all `endings` end with.
fn common_suffix(endings: &[&[String]]) -> usize {
    let shortest = endings.iter().map(|ending| ending.len()).min().unwrap_or(0);
    (1..=shortest)
        .take_while(|back| {
            endings.iter().all(|ending| ending[ending.len() - back] == endings[0][endings[0].len() - back])
        })
        .count()
}

/// Removes every description in a schema tree: two schemas that differ only in their docs
/// (CRD generators often drop descriptions in some copies) are the same type.
fn strip_descriptions(schema: &mut Schema) {
    schema.description = None;
    for (_, child) in schema.children_mut() {
        strip_descriptions(child);
    }
}

fn unique_ident(taken: &mut BTreeSet<String>, wanted: &str) -> String {
    let mut ident = wanted.to_owned();
    let mut counter = 2;
    while !taken.insert(ident.clone()) {
        // `self_` and `self` give `self_2`, not `self__2` (snake case has no double `_`).
        ident = format!("{}_{counter}", wanted.trim_end_matches('_'));
        counter += 1;
    }
    ident
}

/// Marks `apiVersion` and `kind` of a type with one group/version/kind as tags.
fn mark_type_meta(body: &mut Struct) {
    let has = |name: &str| body.fields.iter().any(|field| field.json_name == name && field.shape == Shape::String);
    if !(has("apiVersion") && has("kind")) {
        return;
    }
    for field in &mut body.fields {
        field.role = match field.json_name.as_str() {
            "apiVersion" => FieldRole::ApiVersionTag,
            "kind" => FieldRole::KindTag,
            _ => continue,
        };
        field.required = true;
    }
}

/// Checks that the runtime's version of a provided type has every property the spec's has.
fn check_provided(provided: &Provided, schema: &Schema, location: &Location) -> Result<()> {
    let Some(known) = provided.properties else {
        return Ok(());
    };
    let missing: Vec<&str> =
        schema.properties.keys().map(String::as_str).filter(|property| !known.contains(property)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::spec(
        location,
        format!(
            "this spec's `{}` has properties {missing:?} that kubegen-runtime's `{}` lacks; objects would lose them (use a kubegen whose runtime knows them)",
            provided.definition, provided.runtime_path
        ),
    ))
}

/// Whether `enum`s of the definition `unit` become Rust enums: for custom resources, yes;
/// Kubernetes' own types keep strings, because their enums appear only in some formats of
/// the spec (a live server's `/openapi/v3`, not the published Swagger or OpenAPI 3 files),
/// and a type must not depend on the format it was read from.
fn typed_enums(unit: &str) -> bool {
    const KUBERNETES_PACKAGES: &[&str] =
        &["io.k8s.api.", "io.k8s.apimachinery.", "io.k8s.apiextensions-apiserver.", "io.k8s.kube-aggregator."];
    !KUBERNETES_PACKAGES.iter().any(|package| unit.starts_with(package))
}

/// The values of a string enum schema, if it is one. `null` values (nullable enums) are
/// dropped; enums of other types stay plain values.
fn string_enum(schema: &Schema) -> Option<Vec<String>> {
    let values = schema.enum_values.as_ref()?;
    if !matches!(schema.ty.as_deref(), Some("string") | None) || schema.format.is_some() {
        return None;
    }
    let mut strings = Vec::new();
    for value in values {
        match value {
            serde_json::Value::String(text) => strings.push(text.clone()),
            serde_json::Value::Null => {}
            _ => return None,
        }
    }
    (!strings.is_empty()).then_some(strings)
}

fn enum_body(values: &[String]) -> Enum {
    let mut taken = BTreeSet::new();
    let mut variants = Vec::new();
    let mut seen_values = BTreeSet::new();
    for (index, value) in values.iter().enumerate() {
        if !seen_values.insert(value.clone()) {
            continue;
        }
        let mut wanted = names::variant_name(value);
        if wanted.is_empty() {
            wanted = format!("Value{index}");
        }
        let mut name = wanted.clone();
        let mut counter = 2;
        while !taken.insert(name.clone()) {
            name = format!("{wanted}{counter}");
            counter += 1;
        }
        variants.push((name, value.clone()));
    }
    let mut other = "Other".to_owned();
    while taken.contains(&other) {
        other.push_str("Value");
    }
    Enum { variants, other }
}

/// The result of folding `allOf`/`oneOf`/`anyOf` branches into their schema.
enum Merged {
    /// No branch changes the type: use the schema as it is.
    Unchanged,
    /// Object branches added properties.
    Folded(Box<Schema>),
    /// The branches describe incompatible shapes: keep the value as JSON.
    Json,
}

/// Folds combinator branches into the base schema without losing data: branches that only
/// validate (`required`, bounds, patterns, `not`) change nothing; object branches contribute
/// their properties as optional fields; branches of different types make the value JSON.
fn merge_branches(schema: &Schema) -> Merged {
    let branches: Vec<&Schema> = schema
        .all_of
        .iter()
        .chain(&schema.one_of)
        .chain(&schema.any_of)
        .filter(|branch| is_structural(branch))
        .collect();
    if branches.is_empty() {
        return Merged::Unchanged;
    }
    let object_like =
        |s: &Schema| s.reference.is_none() && (s.ty.as_deref() == Some("object") || !s.properties.is_empty());
    let base_is_untyped = schema.ty.is_none() && schema.properties.is_empty() && schema.reference.is_none();
    if (object_like(schema) || base_is_untyped) && branches.iter().all(|branch| object_like(branch)) {
        let mut merged = schema.clone();
        merged.all_of.clear();
        merged.one_of.clear();
        merged.any_of.clear();
        if merged.ty.is_none() {
            merged.ty = Some("object".to_owned());
        }
        for branch in branches {
            for (name, property) in &branch.properties {
                merged.properties.entry(name.clone()).or_insert_with(|| property.clone());
            }
        }
        return Merged::Folded(Box::new(merged));
    }
    let mut types: BTreeSet<String> = branches.iter().map(|branch| shape_key(branch)).collect();
    if schema.ty.is_some() || schema.reference.is_some() {
        types.insert(shape_key(schema));
    }
    match types.len() {
        1 if schema.ty.is_some() || schema.reference.is_some() => Merged::Unchanged,
        1 => {
            let mut merged = (*branches[0]).clone();
            merged.description = schema.description.clone();
            Merged::Folded(Box::new(merged))
        }
        _ => Merged::Json,
    }
}

/// Whether a combinator branch says something about the value's type.
fn is_structural(branch: &Schema) -> bool {
    branch.reference.is_some()
        || branch.ty.is_some()
        || !branch.properties.is_empty()
        || branch.items.is_some()
        || matches!(branch.additional_properties, Some(AdditionalProperties::Schema(_)))
}

fn shape_key(schema: &Schema) -> String {
    match (&schema.reference, &schema.ty) {
        (Some(reference), _) => format!("$ref:{reference}"),
        (None, Some(ty)) => format!("{ty}:{}", schema.format.as_deref().unwrap_or_default()),
        (None, None) => "untyped".to_owned(),
    }
}

/// Whether `type` is an array with `null` in it.
fn type_array_has_null(schema: &Schema) -> bool {
    schema.ty.as_deref().is_some_and(|ty| ty.contains('|') && ty.split('|').any(|part| part == "null"))
}

/// JSON Schema's array form of `type` (kept joined with `|`), as the single type it means:
/// `null` makes the value optional; `integer` and `string` are int-or-string; `number` and
/// `string` (with or without `integer`) are a quantity; `integer` and `number` a number; any
/// other mix is free-form JSON, which keeps every value. A member JSON Schema does not have
/// is an error at `location`.
fn resolve_type_array<'s>(schema: &'s Schema, location: &Location) -> Result<std::borrow::Cow<'s, Schema>> {
    const TYPES: &[&str] = &["string", "integer", "number", "boolean", "array", "object", "null"];
    let Some(ty) = schema.ty.as_deref().filter(|ty| ty.contains('|') || ty.is_empty()) else {
        return Ok(std::borrow::Cow::Borrowed(schema));
    };
    let mut members: Vec<&str> = ty.split('|').filter(|part| !part.is_empty()).collect();
    if let Some(unknown) = members.iter().find(|member| !TYPES.contains(member)) {
        return Err(Error::spec(
            &location.join("type"),
            format!(
                "unknown schema type {unknown:?} in {:?}; expected {}",
                ty.split('|').collect::<Vec<_>>(),
                TYPES.join(", ")
            ),
        ));
    }
    members.retain(|member| *member != "null");
    members.sort_unstable();
    members.dedup();
    let mut resolved = schema.clone();
    resolved.ty = None;
    if type_array_has_null(schema) {
        resolved.nullable = Some(true);
    }
    match members.as_slice() {
        [single] => resolved.ty = Some((*single).to_owned()),
        ["integer", "string"] => resolved.int_or_string = true,
        ["number", "string"] | ["integer", "number", "string"] => {
            resolved.reference = Some(provided::QUANTITY.to_owned());
        }
        ["integer", "number"] => resolved.ty = Some("number".to_owned()),
        _ => {}
    }
    Ok(std::borrow::Cow::Owned(resolved))
}
