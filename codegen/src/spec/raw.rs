//! The loaders' common output: definitions and operations, before any interpretation.

use std::collections::BTreeMap;

use super::schema::{GroupVersionKind, Schema};
use crate::error::{Error, Result};
use crate::location::Location;

/// A spec as loaded: schema definitions by name, and the operations of its paths.
#[derive(Clone, Debug, Default)]
pub struct RawSpec {
    /// Definitions by their full name, for example `io.k8s.api.core.v1.Pod`. `$ref`s inside
    /// them hold bare definition names.
    pub definitions: BTreeMap<String, Definition>,
    /// One entry per operation (path and HTTP method).
    pub operations: Vec<Operation>,
    /// List kinds that are not `<Kind>List` (a CRD's `names.listKind`).
    pub list_kinds: BTreeMap<GroupVersionKind, String>,
    /// The documents the spec was loaded from, for reports.
    pub documents: Vec<String>,
}

/// One named schema and where it came from.
#[derive(Clone, Debug)]
pub struct Definition {
    /// The schema, with `$ref`s normalized to bare names.
    pub schema: Schema,
    /// Where the schema is in its document.
    pub location: Location,
    /// True for the root of a custom resource from a CRD manifest.
    pub from_crd: bool,
}

/// One operation of the spec's paths.
#[derive(Clone, Debug)]
pub struct Operation {
    /// The URL path template, for example `/api/v1/namespaces/{namespace}/pods/{name}`.
    pub path: String,
    /// `get`, `put`, `post`, `delete`, `patch`, ...
    pub method: String,
    /// `x-kubernetes-action`: get, list, watch, watchlist, post, put, patch, delete,
    /// deletecollection, connect.
    pub action: Option<String>,
    /// `x-kubernetes-group-version-kind`: the kind the operation reads or writes.
    pub group_version_kind: Option<GroupVersionKind>,
    /// Names of its query parameters (a list that takes `watch` can also watch).
    pub query_parameters: Vec<String>,
    /// The definition its request body is, when it is a `$ref` (bare name).
    pub request_type: Option<String>,
    /// The definition its successful response is, when it is a `$ref` (bare name).
    pub response_type: Option<String>,
    /// Where the operation is in its document.
    pub location: Location,
}

/// Whether two schemas are equal but for their `x-kubernetes-group-version-kind` lists, both
/// of several kinds.
fn differ_in_kinds_only(a: &super::Schema, b: &super::Schema) -> bool {
    if a.group_version_kinds == b.group_version_kinds
        || a.group_version_kinds.len() < 2
        || b.group_version_kinds.len() < 2
    {
        return false;
    }
    let mut a = a.clone();
    a.group_version_kinds = b.group_version_kinds.clone();
    a == *b
}

impl RawSpec {
    /// Adds `other`'s definitions except those named in `keep` (the external crate's, which
    /// other documents repeat for reference), then as [`RawSpec::merge`].
    pub fn merge_except(&mut self, mut other: RawSpec, keep: &std::collections::BTreeSet<String>) -> Result<()> {
        other.definitions.retain(|name, _| !keep.contains(name));
        self.merge(other)
    }

    /// Adds `other`'s definitions and operations. A definition present in both must be
    /// identical; otherwise the error names both documents.
    pub fn merge(&mut self, other: RawSpec) -> Result<()> {
        for (name, definition) in other.definitions {
            match self.definitions.get_mut(&name) {
                Some(existing) if differ_in_kinds_only(&existing.schema, &definition.schema) => {
                    // Types shared by every group (`DeleteOptions`, `WatchEvent`) list the
                    // kinds of the group whose document holds them; a cluster's CRD documents
                    // add the CRD's group. The union is the type's full list.
                    let kinds = &mut existing.schema.group_version_kinds;
                    for kind in definition.schema.group_version_kinds {
                        if !kinds.contains(&kind) {
                            kinds.push(kind);
                        }
                    }
                    kinds.sort();
                }
                Some(existing) if existing.schema != definition.schema => {
                    return Err(Error::spec(
                        &definition.location,
                        format!("schema `{name}` is defined differently here and in {}", existing.location),
                    ));
                }
                Some(_) => {}
                None => {
                    self.definitions.insert(name, definition);
                }
            }
        }
        self.operations.extend(other.operations);
        self.list_kinds.extend(other.list_kinds);
        self.documents.extend(other.documents);
        Ok(())
    }
}
