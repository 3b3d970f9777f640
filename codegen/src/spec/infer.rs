//! Specs written by other generators: resources without Kubernetes' extensions.
//!
//! Aggregated API servers and operators publish specs from generators other than
//! kube-openapi (swag, go-swagger, hand-written ones): their operations carry no
//! `x-kubernetes-action` or `x-kubernetes-group-version-kind`, and their definitions are named
//! after Go packages (`v1.Widget`, `v1.ObjectMeta`). Three passes make such a document look
//! like one of Kubernetes', so that the rest of the generator treats both alike:
//!
//! 1. Definitions named like apimachinery's types (`v1.ObjectMeta`, `resource.Quantity`) whose
//!    properties the runtime's types have become those types ([`adopt_runtime_types`]).
//!    So do those named like one of Kubernetes' own types with exactly its properties
//!    (`v1.Toleration` is `io.k8s.api.core.v1.Toleration`), so that they land in its module,
//!    or come from the crate of `--extern-types` ([`adopt_kubernetes_types`]).
//! 2. Operations without an action or kind get them from their method, their path and the
//!    definitions they take and return: a list's response names the list type, whose `items`
//!    name the resource's type; its kind is that definition's name, its group and version
//!    the path's ([`infer_kinds`]).
//! 3. Definitions named without a group (`v1.Widget`) move to the group that serves them,
//!    with the types only they use ([`place_by_group`]).
//!
//! Operations that carry an action are Kubernetes' own and are left as they are, so a spec
//! kube-openapi wrote generates exactly as before.

use std::collections::{BTreeMap, BTreeSet};

use super::normalize::rename_definitions;
use super::raw::RawSpec;
use super::schema::{GroupVersionKind, Schema};
use crate::ir::provided::PROVIDED;
use crate::ir::resources::{ParsedPath, parse_path};

/// Subresources that open a stream rather than read or write an object.
const CONNECT_SUBRESOURCES: &[&str] = &["exec", "attach", "portforward", "proxy"];

/// Runs the three passes on one loaded document.
pub fn resources(spec: &mut RawSpec) {
    if spec.operations.iter().all(|operation| operation.action.is_some()) {
        return;
    }
    adopt_runtime_types(spec);
    adopt_kubernetes_types(spec);
    infer_kinds(spec);
    place_by_group(spec);
}

/// The package of a definition name (before its last `.`), and its last segment.
fn split_name(name: &str) -> (&str, &str) {
    name.rsplit_once('.').unwrap_or(("", name))
}

/// Whether a definition is named without a group: its package is one word (`v1`, `api`) or
/// nothing, as Go-package-named definitions are.
fn ungrouped(name: &str) -> bool {
    !split_name(name).0.contains('.')
}

/// Renames ungrouped definitions named like one of apimachinery's types that the runtime
/// provides (`v1.ObjectMeta`, `v1.Time`, `resource.Quantity`) to that type, when the runtime's
/// type has every property they have (and, for structs, at least two of them, so a user's
/// `v1.Status` with a `phase` stays the user's).
pub fn adopt_runtime_types(spec: &mut RawSpec) {
    let mut renames = BTreeMap::new();
    for (name, definition) in &spec.definitions {
        if !ungrouped(name) {
            continue;
        }
        let short = split_name(name).1;
        let Some(provided) = PROVIDED.iter().find(|provided| split_name(provided.definition).1 == short) else {
            continue;
        };
        if spec.definitions.contains_key(provided.definition) {
            continue;
        }
        let properties: Vec<&str> = definition.schema.properties.keys().map(String::as_str).collect();
        let compatible = match provided.properties {
            Some(known) => {
                properties.len() >= known.len().min(2) && properties.iter().all(|property| known.contains(property))
            }
            None => properties.is_empty(),
        };
        if compatible {
            renames.insert(name.clone(), provided.definition.to_owned());
        }
    }
    rename_definitions(spec, &renames);
}

/// Definitions by their last name segment: full name and property names.
type DefinitionsByName = BTreeMap<String, Vec<(String, BTreeSet<String>)>>;

/// Kubernetes' own definitions (from the bundled spec) by their last name segment, with
/// their property names; built once, and only for documents from other generators.
fn kubernetes_definitions() -> &'static DefinitionsByName {
    static DEFINITIONS: std::sync::OnceLock<DefinitionsByName> = std::sync::OnceLock::new();
    DEFINITIONS.get_or_init(|| {
        let mut by_name = DefinitionsByName::new();
        // The bundled spec is part of the binary and parsed by every test run; were it ever
        // unreadable, nothing is adopted and the definitions are generated as they are.
        let Ok(bundled) = super::bundled::load() else { return by_name };
        for (name, definition) in bundled.definitions {
            let properties = definition.schema.properties.keys().cloned().collect();
            by_name.entry(split_name(&name).1.to_owned()).or_default().push((name, properties));
        }
        by_name
    })
}

/// Renames ungrouped definitions that have the name and exactly the properties of one of
/// Kubernetes' own definitions (a `v1.Toleration` of an operator's spec) to that definition,
/// so that they land in its module and `--extern-types` takes them from the external crate.
/// Names that match no definition, or several with those properties, stay as they are.
pub fn adopt_kubernetes_types(spec: &mut RawSpec) {
    let mut renames = BTreeMap::new();
    for (name, definition) in &spec.definitions {
        if !ungrouped(name) || definition.schema.properties.is_empty() {
            continue;
        }
        let Some(candidates) = kubernetes_definitions().get(split_name(name).1) else { continue };
        let properties: BTreeSet<String> = definition.schema.properties.keys().cloned().collect();
        let mut same = candidates.iter().filter(|(_, known)| *known == properties);
        if let (Some((kubernetes, _)), None) = (same.next(), same.next())
            && !spec.definitions.contains_key(kubernetes)
        {
            renames.insert(name.clone(), kubernetes.clone());
        }
    }
    rename_definitions(spec, &renames);
}

/// The action of an operation from its HTTP method and path, as kube-openapi names them.
fn action(method: &str, path: &ParsedPath) -> Option<&'static str> {
    let subresource = path.subresource.as_deref();
    if subresource.is_some_and(|name| CONNECT_SUBRESOURCES.contains(&name)) {
        return Some("connect");
    }
    let one = path.named || subresource.is_some();
    Some(match (method, one) {
        ("get", true) if path.watch => "watch",
        ("get", true) => "get",
        ("get", false) if path.watch => "watchlist",
        ("get", false) => "list",
        ("post", false) => "post",
        ("post", true) if subresource.is_some() => "post",
        ("put", true) => "put",
        ("patch", true) => "patch",
        ("delete", true) => "delete",
        ("delete", false) => "deletecollection",
        _ => return None,
    })
}

/// The resource a path is about: group, version and plural.
type ResourceKey = (String, String, String);

/// Gives operations without an action their action, and those of resources whose type can be
/// told their group/version/kind; the resource's type (and its list type) get that kind as
/// their `x-kubernetes-group-version-kind`.
pub fn infer_kinds(spec: &mut RawSpec) {
    // Only operations that came without an action are inferred: Kubernetes' own always have one.
    let mut inferred: Vec<(usize, ParsedPath)> = Vec::new();
    for (index, operation) in spec.operations.iter_mut().enumerate() {
        if operation.action.is_some() {
            continue;
        }
        let Some(path) = parse_path(&operation.path) else { continue };
        operation.action = action(&operation.method, &path).map(str::to_owned);
        if operation.action.is_some() && operation.group_version_kind.is_none() {
            inferred.push((index, path));
        }
    }

    // The resource's type: from a list's items first (the most telling), then from what
    // single-object operations return or take.
    let mut types: BTreeMap<ResourceKey, (String, Option<String>)> = BTreeMap::new();
    for (index, path) in &inferred {
        let operation = &spec.operations[*index];
        if path.subresource.is_some() {
            continue;
        }
        let key = (path.group.clone(), path.version.clone(), path.plural.clone());
        let found = match operation.action.as_deref() {
            Some("list") => operation
                .response_type
                .as_ref()
                .and_then(|list| Some((list_item(spec.definitions.get(list)?.schema.clone())?, Some(list.clone())))),
            Some("get" | "put" | "post" | "patch") => operation
                .response_type
                .clone()
                .or_else(|| operation.request_type.clone())
                .filter(|name| spec.definitions.contains_key(name))
                .map(|name| (name, None)),
            _ => None,
        };
        match (types.get(&key), found) {
            (_, None) => {}
            (Some((_, Some(_))), Some(_)) => {}
            (Some((_, None)), Some(found)) if found.1.is_some() => {
                types.insert(key, found);
            }
            (Some(_), Some(_)) => {}
            (None, Some(found)) => {
                types.insert(key, found);
            }
        }
    }

    // Kinds, one resource per type.
    let mut kinds: BTreeMap<ResourceKey, (String, GroupVersionKind)> = BTreeMap::new();
    let mut typed: BTreeMap<String, GroupVersionKind> = BTreeMap::new();
    for (key, (type_name, list_name)) in types {
        let Some(definition) = spec.definitions.get(&type_name) else { continue };
        let gvk = match definition.schema.group_version_kinds.as_slice() {
            [single] => single.clone(),
            [] => GroupVersionKind {
                group: key.0.clone(),
                version: key.1.clone(),
                kind: split_name(&type_name).1.to_owned(),
            },
            _ => continue,
        };
        if let Some(previous) = typed.get(&type_name) {
            tracing::warn!(
                "`{type_name}` is served by more than one path ({}/{}); kubegen types it as {previous} only",
                key.0,
                key.2
            );
            continue;
        }
        typed.insert(type_name.clone(), gvk.clone());
        if let Some(definition) = spec.definitions.get_mut(&type_name)
            && definition.schema.group_version_kinds.is_empty()
        {
            definition.schema.group_version_kinds.push(gvk.clone());
        }
        if let Some(list_name) = list_name
            && let Some(list) = spec.definitions.get_mut(&list_name)
            && list.schema.group_version_kinds.is_empty()
        {
            let list_kind = split_name(&list_name).1.to_owned();
            list.schema.group_version_kinds.push(GroupVersionKind { kind: list_kind.clone(), ..gvk.clone() });
            if list_kind != format!("{}List", gvk.kind) {
                spec.list_kinds.insert(gvk.clone(), list_kind);
            }
        }
        kinds.insert(key, (type_name, gvk));
    }

    for (index, path) in inferred {
        let key = (path.group.clone(), path.version.clone(), path.plural.clone());
        let Some((type_name, gvk)) = kinds.get(&key) else { continue };
        let operation = &mut spec.operations[index];
        operation.group_version_kind = match &path.subresource {
            None => Some(gvk.clone()),
            // A subresource is typed when it reads or writes the resource itself (`status`) or
            // a definition that names its own kind; others stay out of the typed client.
            Some(_) => {
                let body = operation.response_type.as_ref().or(operation.request_type.as_ref());
                match body {
                    Some(name) if name == type_name => Some(gvk.clone()),
                    Some(name) => spec.definitions.get(name).and_then(|definition| {
                        match definition.schema.group_version_kinds.as_slice() {
                            [single] => Some(single.clone()),
                            _ => None,
                        }
                    }),
                    None => None,
                }
            }
        };
    }
}

/// The definition a list type's `items` hold.
fn list_item(list: Schema) -> Option<String> {
    list.properties.get("items")?.items.as_ref()?.reference.clone()
}

/// Moves ungrouped definitions (`v1.Widget`) into the group that serves them
/// (`com.example.widgets.v1.Widget`, module `widgets_example_com_v1`): a resource's type
/// and the request and response types of a group's operations belong to that group, and so
/// does every ungrouped definition they refer to, unless another group uses it too. The core
/// group, and names that are taken, stay as they are.
pub fn place_by_group(spec: &mut RawSpec) {
    let by_kind: BTreeMap<&GroupVersionKind, &str> = spec
        .definitions
        .iter()
        .filter(|(name, _)| ungrouped(name))
        .filter_map(|(name, definition)| match definition.schema.group_version_kinds.as_slice() {
            [single] => Some((single, name.as_str())),
            _ => None,
        })
        .collect();
    let mut groups: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    let mut queue: Vec<(String, (String, String))> = Vec::new();
    for operation in &spec.operations {
        let Some(path) = parse_path(&operation.path) else { continue };
        if path.group.is_empty() {
            continue;
        }
        let served =
            operation.group_version_kind.as_ref().and_then(|gvk| by_kind.get(gvk)).map(|name| (*name).to_owned());
        for name in [served, operation.request_type.clone(), operation.response_type.clone()].into_iter().flatten() {
            if ungrouped(&name) && spec.definitions.contains_key(&name) {
                queue.push((name, (path.group.clone(), path.version.clone())));
            }
        }
    }
    while let Some((name, group)) = queue.pop() {
        if !groups.entry(name.clone()).or_default().insert(group.clone()) {
            continue;
        }
        let Some(definition) = spec.definitions.get(&name) else { continue };
        let mut references = BTreeSet::new();
        collect_references(&definition.schema, &mut references);
        for reference in references {
            if ungrouped(&reference) && spec.definitions.contains_key(&reference) {
                queue.push((reference, group.clone()));
            }
        }
    }
    let mut renames = BTreeMap::new();
    let mut targets = BTreeSet::new();
    for (name, served_by) in groups {
        let mut served_by = served_by.into_iter();
        let (Some((group, version)), None) = (served_by.next(), served_by.next()) else { continue };
        let reversed: Vec<&str> = group.split('.').rev().collect();
        let target = format!("{}.{version}.{}", reversed.join("."), split_name(&name).1);
        if spec.definitions.contains_key(&target) || !targets.insert(target.clone()) {
            tracing::warn!("`{name}` stays as it is: `{target}` is taken");
            continue;
        }
        renames.insert(name, target);
    }
    rename_definitions(spec, &renames);
}

fn collect_references(schema: &Schema, references: &mut BTreeSet<String>) {
    if let Some(reference) = &schema.reference {
        references.insert(reference.clone());
    }
    for child in schema.children() {
        collect_references(child, references);
    }
}
