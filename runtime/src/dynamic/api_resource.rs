//! `ApiResource`: a resource as discovery describes it.

use crate::client::ResourcePath;
use crate::resource::Resource;

/// A resource the server serves.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ApiResource {
    /// API group, empty for core.
    pub group: String,
    /// API version.
    pub version: String,
    /// Kind of its objects.
    pub kind: String,
    /// Plural name in paths.
    pub plural: String,
    /// Singular name, when the server says.
    pub singular: String,
    /// Whether its objects live in namespaces.
    pub namespaced: bool,
    /// Verbs it supports: `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
    /// `deletecollection`.
    pub verbs: Vec<String>,
    /// Short names (`po` for pods).
    pub short_names: Vec<String>,
    /// Categories (`all`).
    pub categories: Vec<String>,
    /// Subresources (`status`, `scale`, `log`, ...).
    pub subresources: Vec<String>,
}

impl ApiResource {
    /// `group/version`, or `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.clone() } else { format!("{}/{}", self.group, self.version) }
    }

    /// Whether it supports `verb`.
    pub fn supports(&self, verb: &str) -> bool {
        self.verbs.iter().any(|supported| supported == verb)
    }

    /// The description of a generated resource type.
    pub fn of<K: Resource>() -> Self {
        ApiResource {
            group: K::GROUP.to_owned(),
            version: K::VERSION.to_owned(),
            kind: K::KIND.to_owned(),
            plural: K::PLURAL.to_owned(),
            namespaced: <K::Scope as crate::resource::Scope>::NAMESPACED,
            ..ApiResource::default()
        }
    }

    /// Where its objects are, in `namespace` (or everywhere with `None`).
    pub fn path(&self, namespace: Option<&str>) -> ResourcePath {
        ResourcePath {
            group: self.group.clone(),
            version: self.version.clone(),
            plural: self.plural.clone(),
            namespaced: self.namespaced,
            namespace: if self.namespaced { namespace.map(str::to_owned) } else { None },
        }
    }
}
