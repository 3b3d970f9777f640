//! [`ObjectRef`]: which object a controller should reconcile, and the owner-reference helpers
//! that map a child to its owner.

use std::fmt;

use crate::resource::{Object, Resource};
use crate::types::OwnerReference;

/// An object of the controller's primary kind, by namespace and name: the key of its
/// workqueue.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    /// The namespace, for namespaced resources.
    pub namespace: Option<String>,
    /// The name.
    pub name: String,
}

impl ObjectRef {
    /// A reference to `name` in `namespace`.
    pub fn new(namespace: Option<&str>, name: &str) -> Self {
        Self {
            namespace: namespace.filter(|namespace| !namespace.is_empty()).map(str::to_owned),
            name: name.to_owned(),
        }
    }

    /// A reference to `object`.
    pub fn from_object<K: Object>(object: &K) -> Self {
        Self::new(object.metadata().namespace(), object.metadata().name())
    }

    /// The informer cache's key of the object: `namespace/name`, or `name`.
    pub fn cache_key(&self) -> String {
        match &self.namespace {
            Some(namespace) => format!("{namespace}/{}", self.name),
            None => self.name.clone(),
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cache_key())
    }
}

/// An owner reference to `owner` that marks it as the managing controller, with
/// `blockOwnerDeletion` (what client-go's `NewControllerRef` makes). `None` if the owner has no
/// UID yet (it was not read from the server).
pub fn controller_owner_ref<K: Resource>(owner: &K) -> Option<OwnerReference> {
    let uid = owner.metadata().uid.as_deref().filter(|uid| !uid.is_empty())?;
    Some(OwnerReference {
        api_version: K::API_VERSION.into(),
        kind: K::KIND.into(),
        name: owner.metadata().name().into(),
        uid: uid.into(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    })
}

/// The owner references of `object` (empty if none).
pub fn owner_references_of<O: Object>(object: &O) -> &[OwnerReference] {
    object.metadata().owner_references.as_deref().unwrap_or_default()
}

/// The owner of `child` that is its managing controller (`controller: true`), if it is of kind
/// `K`: the owner lives in the child's namespace, or is cluster-scoped.
pub fn controller_owner_of<K: Resource, C: Object>(child: &C) -> Option<ObjectRef> {
    let owner = owner_references_of(child).iter().find(|owner| owner.controller == Some(true))?;
    if owner.kind != K::KIND || owner.api_version != K::API_VERSION {
        return None;
    }
    let namespace = if <K::Scope as crate::resource::Scope>::NAMESPACED { child.metadata().namespace() } else { None };
    Some(ObjectRef::new(namespace, &owner.name))
}
