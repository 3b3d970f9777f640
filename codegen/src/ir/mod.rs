//! The intermediate representation every loader feeds and the emitter reads.
//!
//! A [`Model`] is the spec with everything resolved: each definition (and each nested schema
//! of a CRD) is a [`TypeDef`] with its module, Rust name and fields; each served resource is a
//! [`Resource`] with its scope, verbs and subresources. Building it is where all decisions
//! are made; emission only prints.

pub mod aliases;
pub mod boxing;
pub mod build;
pub mod layout;
pub mod lower;
pub mod merge;
pub mod names;
pub mod provided;
pub mod resources;
pub mod validate;

use std::collections::{BTreeMap, BTreeSet};

use crate::location::Location;
use crate::spec::GroupVersionKind;

pub use build::build;

/// The resolved spec.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// Every type by id: the definition name, or for nested CRD types a synthetic id.
    pub types: BTreeMap<String, TypeDef>,
    /// Every resource the spec's paths serve, by type id.
    pub resources: BTreeMap<String, Resource>,
    /// Every module (API package and version) that holds types.
    pub modules: BTreeMap<String, Module>,
}

impl Model {
    /// Whether the module `name` belongs to the external crate (`--extern-types`).
    pub fn is_external_module(&self, name: &str) -> bool {
        self.modules.get(name).is_some_and(|module| module.external.is_some())
    }

    /// Whether the type `id` lives in a module of the external crate.
    pub fn is_external_type(&self, id: &str) -> bool {
        self.types.get(id).is_some_and(|ty| self.is_external_module(&ty.module))
    }
}

/// One generated module: the types of one API package and version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Module {
    /// Module and Cargo feature name, for example `core_v1`.
    pub name: String,
    /// The package the definitions came from, for example `io.k8s.api.core.v1`.
    pub package: String,
    /// The API group/version served by this module's resources, when it has any.
    pub api_version: Option<String>,
    /// Modules that are always compiled (apimachinery's), without a feature.
    pub always_on: bool,
    /// The crate that provides this module's types, when they are not generated here
    /// (`--extern-types`): its Rust name, for example `kubegen_api`.
    pub external: Option<String>,
}

/// One Rust type.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeDef {
    /// The definition name, or a synthetic id for a nested schema.
    pub id: String,
    /// The module it is in.
    pub module: String,
    /// Its Rust name, unique in the module.
    pub name: String,
    /// The file (stem) it is written to; nested CRD types share their root's file.
    pub file: String,
    /// Documentation, from the schema's description.
    pub doc: Option<String>,
    /// What it is.
    pub kind: TypeKind,
    /// Its single group/version/kind, for resources, lists and typed request bodies.
    pub group_version_kind: Option<GroupVersionKind>,
    /// Where its schema is.
    pub location: Location,
}

/// The shape of a type.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeKind {
    /// A struct with named fields.
    Struct(Struct),
    /// A string enum with a catch-all variant.
    Enum(Enum),
    /// One of several JSON shapes (apiextensions' `JSONSchemaPropsOr*` types).
    Union(Vec<UnionVariant>),
    /// A name for another shape, for definitions that are scalars, arrays, maps or free-form.
    Alias(Shape),
    /// A tuple struct around a shape that refers back to the type through aliases
    /// (`Tree = array of Tree`), which a type alias cannot express; a by-value reference
    /// inside is boxed. Its JSON is the shape's.
    Newtype(Shape),
    /// Provided by `kubegen-runtime` and re-exported.
    Provided(&'static provided::Provided),
}

/// A struct's fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Struct {
    /// Fields in JSON property order (sorted by JSON name).
    pub fields: Vec<Field>,
    /// Properties not in `fields` are kept here (`x-kubernetes-preserve-unknown-fields`, or
    /// `additionalProperties` beside `properties`).
    pub extra: Option<ExtraFields>,
    /// Replaced as a whole by server-side apply (`x-kubernetes-map-type: atomic`).
    pub atomic: bool,
}

/// The catch-all of a struct that keeps unlisted properties.
#[derive(Clone, Debug, PartialEq)]
pub struct ExtraFields {
    /// The Rust field name.
    pub rust_name: String,
    /// The shape of each value.
    pub value: Shape,
}

/// One field of a struct.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The JSON property name.
    pub json_name: String,
    /// The Rust field name, unique in the struct.
    pub rust_name: String,
    /// Documentation.
    pub doc: Option<String>,
    /// Required fields are plain; the rest are `Option`s.
    pub required: bool,
    /// The field's type.
    pub shape: Shape,
    /// Boxed to break a cycle of by-value containment (or to keep a rarely set struct small).
    pub boxed: bool,
    /// The field's role in the type.
    pub role: FieldRole,
    /// How server-side apply merges it.
    pub merge: merge::Merge,
}

/// What a field is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldRole {
    /// An ordinary property.
    Data,
    /// `apiVersion` of a type with one group/version/kind: a zero-sized tag.
    ApiVersionTag,
    /// `kind` of a type with one group/version/kind: a zero-sized tag.
    KindTag,
}

/// A string enum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enum {
    /// Variants: Rust name and JSON value.
    pub variants: Vec<(String, String)>,
    /// Name of the catch-all variant that keeps unlisted values.
    pub other: String,
}

/// One alternative of a [`TypeKind::Union`].
#[derive(Clone, Debug, PartialEq)]
pub struct UnionVariant {
    /// The variant's Rust name.
    pub name: String,
    /// Its shape.
    pub shape: Shape,
    /// Boxed to break a cycle.
    pub boxed: bool,
}

/// The type of a field, an alias or a variant.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Shape {
    /// `boolean`.
    Bool,
    /// `integer`, `int32`.
    I32,
    /// `integer`, `int64` or no format.
    I64,
    /// `number`.
    F64,
    /// `string`.
    String,
    /// `string`, `byte`: base64.
    Bytes,
    /// Free-form JSON.
    Json,
    /// `x-kubernetes-int-or-string`.
    IntOrString,
    /// `string`, `date-time` in a CRD.
    Time,
    /// Another type, by id.
    Ref(String),
    /// `array`.
    Array(Box<Shape>),
    /// `object` with `additionalProperties`: an ordered map from string keys.
    Map(Box<Shape>),
}

impl Shape {
    /// The type ids this shape refers to, directly or inside arrays and maps.
    pub fn references(&self) -> Vec<&str> {
        match self {
            Shape::Ref(id) => vec![id.as_str()],
            Shape::Array(inner) | Shape::Map(inner) => inner.references(),
            _ => Vec::new(),
        }
    }

    /// The type this shape holds by value (not behind a `Vec` or map), if any.
    pub fn by_value(&self) -> Option<&str> {
        match self {
            Shape::Ref(id) => Some(id),
            _ => None,
        }
    }
}

/// A verb on a resource or subresource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verb {
    /// Read one object.
    Get,
    /// List objects.
    List,
    /// Watch objects.
    Watch,
    /// Create an object.
    Create,
    /// Replace an object.
    Update,
    /// Patch an object.
    Patch,
    /// Delete an object.
    Delete,
    /// Delete a collection of objects.
    DeleteCollection,
    /// Open a streaming connection (exec, attach, portforward, proxy).
    Connect,
}

/// A resource the API server serves.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    /// The type of its objects.
    pub type_id: String,
    /// Its group, version and kind.
    pub group_version_kind: GroupVersionKind,
    /// Plural name in paths.
    pub plural: String,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// Verbs on the resource itself.
    pub verbs: BTreeSet<Verb>,
    /// Subresources by name.
    pub subresources: BTreeMap<String, Subresource>,
    /// Kind of its list type.
    pub list_kind: String,
}

/// A subresource of a resource.
#[derive(Clone, Debug, PartialEq)]
pub struct Subresource {
    /// Verbs the subresource supports.
    pub verbs: BTreeSet<Verb>,
    /// The type it takes or returns, when that is a typed object.
    pub type_id: Option<String>,
}
