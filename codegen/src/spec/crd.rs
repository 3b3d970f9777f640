//! Loading CustomResourceDefinition manifests (`apiextensions.k8s.io/v1`, YAML or JSON, one or
//! many documents per file, `List`s of CRDs included).
//!
//! Each served version becomes what the API server would publish for it under `/openapi/v3`:
//! a definition named `<reversed group>.<version>.<Kind>` (for example
//! `io.cert-manager.v1.Certificate`) with `apiVersion`, `kind` and a `metadata` that refers to
//! `ObjectMeta`; a `<Kind>List` definition; and the operations of its paths, including the
//! `status` and `scale` subresources the CRD declares. Resources are then found from these
//! operations exactly as for a built-in spec.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::parse;
use super::raw::{Definition, Operation, RawSpec};
use super::schema::{GroupVersionKind, Schema};
use crate::error::{Error, Result};
use crate::location::Location;

/// The `ObjectMeta` definition every resource's `metadata` refers to.
pub const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
/// The `ListMeta` definition every list's `metadata` refers to.
pub const LIST_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    api_version: String,
    kind: String,
    #[serde(default)]
    metadata: Metadata,
    spec: Option<CrdSpec>,
    #[serde(default)]
    items: Vec<serde_json::Value>,
}

#[derive(Default, Deserialize)]
struct Metadata {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct CrdSpec {
    group: String,
    names: Names,
    scope: String,
    versions: Vec<Version>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Names {
    kind: String,
    plural: String,
    list_kind: Option<String>,
}

#[derive(Deserialize)]
struct Version {
    name: String,
    served: bool,
    schema: Option<VersionSchema>,
    #[serde(default)]
    subresources: Subresources,
}

#[derive(Deserialize)]
struct VersionSchema {
    #[serde(rename = "openAPIV3Schema")]
    open_api_v3_schema: Option<Schema>,
}

#[derive(Default, Deserialize)]
struct Subresources {
    status: Option<serde_json::Value>,
    scale: Option<serde_json::Value>,
}

/// Loads every CRD in a manifest file.
pub fn load_file(path: &Path) -> Result<RawSpec> {
    let bytes = parse::read(path)?;
    let text = std::str::from_utf8(&bytes).map_err(|error| Error::Parse {
        location: Location::document(path.display().to_string()),
        message: format!("not UTF-8: {error}"),
    })?;
    load_str(text, &path.display().to_string())
}

/// Loads every CRD in a manifest text; `name` names it in errors.
pub fn load_str(text: &str, name: &str) -> Result<RawSpec> {
    let mut spec = RawSpec { documents: vec![name.to_owned()], ..RawSpec::default() };
    let mut found = 0;
    for (index, document) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let location = Location::document(format!("{name} (document {})", index + 1));
        let value: serde_json::Value = parse::yaml(document, &location)?;
        if value.is_null() {
            continue;
        }
        found += load_value(value, &location, &mut spec)?;
    }
    if found == 0 {
        return Err(Error::spec(&Location::document(name), "no CustomResourceDefinition in this file"));
    }
    Ok(spec)
}

/// Loads one manifest (a CRD or a list of them) into `spec`; returns how many CRDs it held.
fn load_value(value: serde_json::Value, location: &Location, spec: &mut RawSpec) -> Result<usize> {
    let manifest: Manifest =
        serde_path_to_error::deserialize(value).map_err(|error| parse::path_error(location, error))?;
    if manifest.kind == "List" || manifest.kind == "CustomResourceDefinitionList" {
        let items_location = location.join("items");
        let mut found = 0;
        for (index, item) in manifest.items.into_iter().enumerate() {
            found += load_value(item, &items_location.index(index), spec)?;
        }
        return Ok(found);
    }
    if manifest.kind != "CustomResourceDefinition" {
        return Err(Error::spec(
            &location.join("kind"),
            format!("expected a CustomResourceDefinition, found kind {:?}", manifest.kind),
        ));
    }
    if manifest.api_version != "apiextensions.k8s.io/v1" {
        return Err(Error::spec(
            &location.join("apiVersion"),
            format!(
                "CRD {:?} is {}; only apiextensions.k8s.io/v1 is supported",
                manifest.metadata.name, manifest.api_version
            ),
        ));
    }
    let Some(crd) = manifest.spec else {
        return Err(Error::spec(location, format!("CRD {:?} has no spec", manifest.metadata.name)));
    };
    add_crd(&manifest.metadata.name, crd, location, spec)?;
    Ok(1)
}

fn add_crd(name: &str, crd: CrdSpec, location: &Location, spec: &mut RawSpec) -> Result<()> {
    let spec_location = location.join("spec");
    for (field, value) in [("group", &crd.group), ("names/kind", &crd.names.kind), ("names/plural", &crd.names.plural)]
    {
        if value.is_empty() {
            return Err(Error::spec(&spec_location, format!("CRD {name:?} has an empty {field}")));
        }
    }
    let namespaced = match crd.scope.as_str() {
        "Namespaced" => true,
        "Cluster" => false,
        other => {
            return Err(Error::spec(
                &spec_location.join("scope"),
                format!("CRD {name:?} has scope {other:?}; expected Namespaced or Cluster"),
            ));
        }
    };
    let list_kind = crd.names.list_kind.clone().unwrap_or_else(|| format!("{}List", crd.names.kind));
    let package = reversed_group(&crd.group);
    for (index, version) in crd.versions.into_iter().enumerate() {
        if !version.served {
            continue;
        }
        let version_location = spec_location.join("versions").index(index);
        let schema_location = version_location.join("schema").join("openAPIV3Schema");
        let Some(mut schema) = version.schema.and_then(|schema| schema.open_api_v3_schema) else {
            return Err(Error::spec(&schema_location, format!("CRD {name:?} version {} has no schema", version.name)));
        };
        let gvk =
            GroupVersionKind { group: crd.group.clone(), version: version.name.clone(), kind: crd.names.kind.clone() };
        add_type_meta(&mut schema);
        schema.properties.insert(
            "metadata".to_owned(),
            Schema {
                reference: Some(OBJECT_META.to_owned()),
                description: Some(
                    "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
                        .to_owned(),
                ),
                ..Schema::default()
            },
        );
        schema.group_version_kinds = vec![gvk.clone()];
        let definition = format!("{package}.{}.{}", version.name, crd.names.kind);
        let list_gvk = GroupVersionKind { kind: list_kind.clone(), ..gvk.clone() };
        let list = list_schema(&definition, &crd.names.kind, &crd.names.plural, &list_gvk);
        spec.list_kinds.insert(gvk.clone(), list_kind.clone());
        insert_definition(
            spec,
            format!("{package}.{}.{list_kind}", version.name),
            Definition { schema: list, location: schema_location.clone(), from_crd: false },
        )?;
        insert_definition(spec, definition, Definition { schema, location: schema_location, from_crd: true })?;
        add_operations(&gvk, &crd.names.plural, namespaced, &version.subresources, &version_location, spec);
    }
    Ok(())
}

/// Adds a definition; one that is already there (a kind `FooList` beside kind `Foo`'s list,
/// or the same CRD twice with different schemas) is an error naming both places.
fn insert_definition(spec: &mut RawSpec, name: String, definition: Definition) -> Result<()> {
    match spec.definitions.get(&name) {
        Some(existing) if existing.schema != definition.schema => Err(Error::spec(
            &definition.location,
            format!("definition `{name}` is also made, differently, by {}", existing.location),
        )),
        Some(_) => Ok(()),
        None => {
            spec.definitions.insert(name, definition);
            Ok(())
        }
    }
}

/// `cert-manager.io` becomes `io.cert-manager`, the prefix the API server gives CRD schemas.
pub fn reversed_group(group: &str) -> String {
    group.split('.').rev().collect::<Vec<_>>().join(".")
}

/// The descriptions the API server gives `apiVersion` and `kind`.
const API_VERSION_DESCRIPTION: &str = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
const KIND_DESCRIPTION: &str = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

/// Sets `apiVersion` and `kind` as the API server publishes them, whatever the CRD says.
fn add_type_meta(schema: &mut Schema) {
    for (name, description) in [("apiVersion", API_VERSION_DESCRIPTION), ("kind", KIND_DESCRIPTION)] {
        let property =
            Schema { ty: Some("string".to_owned()), description: Some(description.to_owned()), ..Schema::default() };
        schema.properties.insert(name.to_owned(), property);
    }
}

/// The list definition the API server publishes for a CRD's kind (with its wording, so that a
/// CRD file and a cluster serving it give the same types).
fn list_schema(item: &str, kind: &str, plural: &str, gvk: &GroupVersionKind) -> Schema {
    let mut schema = Schema {
        ty: Some("object".to_owned()),
        description: Some(format!("{kind}List is a list of {kind}")),
        required: vec!["items".to_owned()],
        group_version_kinds: vec![gvk.clone()],
        ..Schema::default()
    };
    add_type_meta(&mut schema);
    schema.properties.insert(
        "items".to_owned(),
        Schema {
            ty: Some("array".to_owned()),
            description: Some(format!(
                "List of {plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"
            )),
            items: Some(Box::new(Schema { reference: Some(item.to_owned()), ..Schema::default() })),
            ..Schema::default()
        },
    );
    schema.properties.insert(
        "metadata".to_owned(),
        Schema {
            reference: Some(LIST_META.to_owned()),
            description: Some(
                "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
                    .to_owned(),
            ),
            ..Schema::default()
        },
    );
    schema
}

/// The operations the API server serves for one version of a CRD.
fn add_operations(
    gvk: &GroupVersionKind,
    plural: &str,
    namespaced: bool,
    subresources: &Subresources,
    location: &Location,
    spec: &mut RawSpec,
) {
    let base = format!("/apis/{}/{}", gvk.group, gvk.version);
    let scoped = if namespaced { format!("{base}/namespaces/{{namespace}}") } else { base.clone() };
    let collection = format!("{scoped}/{plural}");
    let item = format!("{collection}/{{name}}");
    let watch = format!("{base}/watch{}/{plural}", if namespaced { "/namespaces/{namespace}" } else { "" });
    let scale =
        GroupVersionKind { group: "autoscaling".to_owned(), version: "v1".to_owned(), kind: "Scale".to_owned() };

    let mut operations: BTreeMap<(String, &str), (&str, &GroupVersionKind)> = BTreeMap::new();
    for (method, action) in [("get", "list"), ("post", "post"), ("delete", "deletecollection")] {
        operations.insert((collection.clone(), method), (action, gvk));
    }
    if namespaced {
        operations.insert((format!("{base}/{plural}"), "get"), ("list", gvk));
    }
    operations.insert((watch, "get"), ("watchlist", gvk));
    for (method, action) in [("get", "get"), ("put", "put"), ("patch", "patch"), ("delete", "delete")] {
        operations.insert((item.clone(), method), (action, gvk));
    }
    for (present, subresource, kind) in
        [(subresources.status.is_some(), "status", gvk), (subresources.scale.is_some(), "scale", &scale)]
    {
        if present {
            for (method, action) in [("get", "get"), ("put", "put"), ("patch", "patch")] {
                operations.insert((format!("{item}/{subresource}"), method), (action, kind));
            }
        }
    }
    for ((path, method), (action, kind)) in operations {
        spec.operations.push(Operation {
            path,
            method: method.to_owned(),
            action: Some(action.to_owned()),
            group_version_kind: Some(kind.clone()),
            query_parameters: Vec::new(),
            request_type: None,
            response_type: None,
            location: location.clone(),
        });
    }
}
