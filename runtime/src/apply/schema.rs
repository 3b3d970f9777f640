//! The merge semantics of apply configurations, as constant tables.
//!
//! Generated code holds one [`Schema`] per apply configuration (empty by default): only the
//! fields `extract` cannot treat alike (a granular struct or map, a set or map list) are
//! listed; every other field is atomic or free-form, and for both `FieldsV1` says all: a leaf
//! owns the whole value, children name the parts owned. Nested structs are reached through a
//! function pointer, so recursive types (JSON schemas) need no cycle of constants.

/// The fields of one struct whose merge semantics `extract` needs, sorted by JSON name.
#[derive(Debug)]
pub struct Schema {
    /// `(JSON name, semantics)`; unlisted fields are atomic or free-form.
    pub fields: &'static [(&'static str, Member)],
}

/// How a value merges, from `x-kubernetes-list-type`, `x-kubernetes-list-map-keys` and
/// `x-kubernetes-map-type` (or a patch strategy, as the API server falls back to).
#[derive(Debug)]
pub enum Member {
    /// A granular struct: each field has its own owner.
    Struct(fn() -> &'static Schema),
    /// A granular map: each key has its own owner; values merge as the member.
    Map(&'static Member),
    /// A map list: items are identified by the values of these keys; items merge as the
    /// member.
    MapList(&'static [&'static str], &'static Member),
    /// A set list: each value has its own owner.
    Set,
    /// Atomic or free-form: what `FieldsV1` says.
    Free,
}

impl Schema {
    /// No field needs telling apart: every one is atomic or free-form.
    pub const EMPTY: Schema = Schema { fields: &[] };

    /// The semantics of field `name`.
    pub fn member(&self, name: &str) -> &'static Member {
        match self.fields.binary_search_by(|(field, _)| (*field).cmp(name)) {
            Ok(index) => &self.fields[index].1,
            Err(_) => &Member::Free,
        }
    }
}

/// `meta/v1` `ObjectMeta`: labels and annotations are granular maps, finalizers a set,
/// owner references a map list keyed by `uid`.
pub static OBJECT_META: Schema = Schema {
    fields: &[
        ("annotations", Member::Map(&Member::Free)),
        ("finalizers", Member::Set),
        ("labels", Member::Map(&Member::Free)),
        ("ownerReferences", Member::MapList(&["uid"], &Member::Free)),
    ],
};

/// The schema of apply configuration `T`, as a member's function pointer: nested structs are
/// reached through one, so a recursive type (a JSON schema) is no cycle of constants.
pub fn schema_of<T: super::ApplyType>() -> &'static Schema {
    &T::SCHEMA
}

/// [`OBJECT_META`], as a member's function pointer.
pub fn object_meta_schema() -> &'static Schema {
    &OBJECT_META
}
