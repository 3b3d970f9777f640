//! Finding resources from the spec's paths.
//!
//! Every operation with an `x-kubernetes-action` and an `x-kubernetes-group-version-kind` is
//! placed by its path:
//!
//! ```text
//! /api/v1[/watch][/namespaces/{namespace}]/<plural>[/{name}[/<subresource>[/...]]]
//! /apis/<group>/<version>[/watch][/namespaces/{namespace}]/<plural>[/{name}[/<subresource>...]]
//! ```
//!
//! A resource is one `(group, version, plural)`: namespaced if any of its paths has a
//! namespace segment, with the verbs its operations declare, and of the kind its operations
//! name. Its type is the definition whose single `x-kubernetes-group-version-kind` is that
//! kind; definitions with several (`DeleteOptions`, `WatchEvent`: 62 each) are never resources.

use std::collections::{BTreeMap, BTreeSet};

use super::{Resource, Subresource, TypeDef, Verb};
use crate::error::{Error, Result};
use crate::location::Location;
use crate::spec::{GroupVersionKind, Operation, RawSpec};

/// A path, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedPath {
    /// API group, empty for core.
    pub group: String,
    /// API version.
    pub version: String,
    /// Whether the path has a `namespaces/{namespace}` segment.
    pub namespaced: bool,
    /// The resource's plural.
    pub plural: String,
    /// Whether the path names one object (`{name}`).
    pub named: bool,
    /// The subresource, if any.
    pub subresource: Option<String>,
    /// A deprecated `/watch/` path.
    pub watch: bool,
}

/// Parses a resource path; `None` for paths that are not about resources (discovery,
/// `/version`, `/logs`, ...).
pub fn parse_path(path: &str) -> Option<ParsedPath> {
    let segments: Vec<&str> = path.split('/').filter(|segment| !segment.is_empty()).collect();
    let (group, version, rest) = match segments.as_slice() {
        ["api", version, rest @ ..] => (String::new(), *version, rest),
        ["apis", group, version, rest @ ..] => ((*group).to_owned(), *version, rest),
        _ => return None,
    };
    let (watch, rest) = match rest {
        ["watch", rest @ ..] => (true, rest),
        rest => (false, rest),
    };
    let (namespaced, rest) = match rest {
        ["namespaces", "{namespace}", rest @ ..] if !rest.is_empty() => (true, rest),
        rest => (false, rest),
    };
    let (plural, named, subresource) = match rest {
        [plural] => (*plural, false, None),
        [plural, name] if is_parameter(name) => (*plural, true, None),
        [plural, name, subresource, ..] if is_parameter(name) => (*plural, true, Some((*subresource).to_owned())),
        _ => return None,
    };
    if is_parameter(plural) {
        return None;
    }
    Some(ParsedPath {
        group,
        version: version.to_owned(),
        namespaced,
        plural: plural.to_owned(),
        named,
        subresource,
        watch,
    })
}

fn is_parameter(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

/// The verb an operation performs, from its action and path shape.
fn verb(action: &str, named: bool, subresource: bool) -> Option<Verb> {
    Some(match (action, named || subresource) {
        ("get", true) => Verb::Get,
        ("list", false) => Verb::List,
        ("watch" | "watchlist", _) => Verb::Watch,
        ("post", false) => Verb::Create,
        ("post", true) if subresource => Verb::Create,
        ("put", true) => Verb::Update,
        ("patch", true) => Verb::Patch,
        ("delete", true) => Verb::Delete,
        ("deletecollection", false) => Verb::DeleteCollection,
        ("connect", _) => Verb::Connect,
        _ => return None,
    })
}

#[derive(Default)]
struct Collected<'a> {
    kind: Option<(&'a GroupVersionKind, &'a Location)>,
    namespaced: bool,
    verbs: BTreeSet<Verb>,
    subresources: BTreeMap<String, CollectedSubresource<'a>>,
}

#[derive(Default)]
struct CollectedSubresource<'a> {
    kind: Option<(&'a GroupVersionKind, &'a Location)>,
    verbs: BTreeSet<Verb>,
}

/// Finds every resource of `spec`, typed by `types`.
pub fn find(spec: &RawSpec, types: &BTreeMap<String, TypeDef>) -> Result<BTreeMap<String, Resource>> {
    let mut by_kind: BTreeMap<&GroupVersionKind, &str> = BTreeMap::new();
    for ty in types.values() {
        if let Some(gvk) = &ty.group_version_kind
            && let Some(previous) = by_kind.insert(gvk, &ty.id)
        {
            return Err(Error::spec(
                &ty.location,
                format!("`{}` and `{previous}` both declare group/version/kind {gvk}", ty.id),
            ));
        }
    }

    let mut collected: BTreeMap<(String, String, String), Collected<'_>> = BTreeMap::new();
    for operation in &spec.operations {
        collect(operation, &mut collected)?;
    }

    let mut resources: BTreeMap<String, Resource> = BTreeMap::new();
    for ((_, _, plural), entry) in collected {
        let Some((gvk, location)) = entry.kind else {
            continue;
        };
        if entry.verbs.is_empty() {
            continue;
        }
        let Some(type_id) = by_kind.get(gvk) else {
            return Err(Error::spec(
                location,
                format!("the path serves kind {gvk}, but no definition has that x-kubernetes-group-version-kind"),
            ));
        };
        let mut subresources = BTreeMap::new();
        for (name, subresource) in entry.subresources {
            let type_id = match subresource.kind {
                Some((kind, _)) if subresource.verbs.contains(&Verb::Connect) => {
                    by_kind.get(kind).map(|id| (*id).to_owned())
                }
                Some((kind, location)) => Some(
                    by_kind
                        .get(kind)
                        .ok_or_else(|| {
                            Error::spec(
                                location,
                                format!(
                                    "subresource `{plural}/{name}` takes kind {kind}, which no definition declares"
                                ),
                            )
                        })?
                        .to_string(),
                ),
                None => None,
            };
            subresources.insert(name, Subresource { verbs: subresource.verbs, type_id });
        }
        let list_kind = spec.list_kinds.get(gvk).cloned().unwrap_or_else(|| format!("{}List", gvk.kind));
        let resource = Resource {
            type_id: (*type_id).to_owned(),
            group_version_kind: gvk.clone(),
            plural: plural.clone(),
            namespaced: entry.namespaced,
            verbs: entry.verbs,
            subresources,
            list_kind,
        };
        if let Some(previous) = resources.get(*type_id) {
            return Err(Error::spec(
                location,
                format!(
                    "kind {gvk} is served as both `{}` and `{plural}`; a type can be only one resource",
                    previous.plural
                ),
            ));
        }
        resources.insert((*type_id).to_owned(), resource);
    }
    Ok(resources)
}

fn collect<'a>(
    operation: &'a Operation,
    collected: &mut BTreeMap<(String, String, String), Collected<'a>>,
) -> Result<()> {
    let (Some(action), Some(gvk)) = (&operation.action, &operation.group_version_kind) else {
        return Ok(());
    };
    let Some(path) = parse_path(&operation.path) else {
        return Ok(());
    };
    let Some(verb) = verb(action, path.named, path.subresource.is_some()) else {
        return Err(Error::spec(
            &operation.location,
            format!("action {action:?} does not fit the path {:?}", operation.path),
        ));
    };
    let entry = collected.entry((path.group, path.version, path.plural)).or_default();
    let kind_slot = match &path.subresource {
        None => {
            entry.namespaced |= path.namespaced;
            entry.verbs.insert(verb);
            // A list that takes `watch=true` watches too; a cluster publishes CRDs that way,
            // without the deprecated `/watch/` paths.
            if verb == Verb::List && operation.query_parameters.iter().any(|name| name == "watch") {
                entry.verbs.insert(Verb::Watch);
            }
            &mut entry.kind
        }
        Some(name) => {
            let subresource = entry.subresources.entry(name.clone()).or_default();
            subresource.verbs.insert(verb);
            &mut subresource.kind
        }
    };
    match kind_slot {
        Some((existing, location)) if *existing != gvk => Err(Error::spec(
            &operation.location,
            format!("this operation serves kind {gvk}, but {location} serves {existing} on the same path"),
        )),
        Some(_) => Ok(()),
        None => {
            *kind_slot = Some((gvk, &operation.location));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(path: &str) -> ParsedPath {
        parse_path(path).unwrap_or_else(|| panic!("{path} parses"))
    }

    #[test]
    fn parses_resource_paths() {
        let pods = parsed("/api/v1/namespaces/{namespace}/pods/{name}");
        assert_eq!(
            pods,
            ParsedPath {
                group: String::new(),
                version: "v1".into(),
                namespaced: true,
                plural: "pods".into(),
                named: true,
                subresource: None,
                watch: false,
            }
        );
        let finalize = parsed("/api/v1/namespaces/{name}/finalize");
        assert!(!finalize.namespaced);
        assert_eq!(finalize.plural, "namespaces");
        assert_eq!(finalize.subresource.as_deref(), Some("finalize"));
        let proxy = parsed("/api/v1/nodes/{name}/proxy/{path}");
        assert_eq!(proxy.subresource.as_deref(), Some("proxy"));
        let watch = parsed("/apis/apps/v1/watch/namespaces/{namespace}/deployments");
        assert!(watch.watch && watch.namespaced && !watch.named);
        assert_eq!(watch.group, "apps");
        assert!(parse_path("/apis/apps/v1/").is_none());
        assert!(parse_path("/version/").is_none());
        assert!(parse_path("/logs/{logpath}").is_none());
    }
}
