//! Listers: typed reads of an informer's cache (client-go's listers).
//!
//! Lists by namespace use the namespace index; label selection scans the candidates, as
//! client-go's listers do. Objects are shared with the cache: clone before changing one.

use std::sync::Arc;

use super::index::NAMESPACE_INDEX;
use super::selector::LabelSelector;
use super::store::{IndexError, Store};
use crate::resource::Object;

/// Reads of a whole cache.
pub struct Lister<K> {
    store: Arc<Store<K>>,
}

impl<K> Clone for Lister<K> {
    fn clone(&self) -> Self {
        Self { store: self.store.clone() }
    }
}

impl<K> std::fmt::Debug for Lister<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lister").finish_non_exhaustive()
    }
}

impl<K: Object> Lister<K> {
    /// A lister of `store`.
    pub fn new(store: Arc<Store<K>>) -> Self {
        Self { store }
    }

    /// A cluster-scoped object by name (or any object by `namespace/name` key).
    pub fn get(&self, name: &str) -> Option<Arc<K>> {
        self.store.get(name)
    }

    /// Every cached object whose labels match `selector`.
    pub fn list(&self, selector: &LabelSelector) -> Vec<Arc<K>> {
        filter(self.store.list(), selector)
    }

    /// Every cached object.
    pub fn list_all(&self) -> Vec<Arc<K>> {
        self.store.list()
    }

    /// The objects of one namespace.
    pub fn namespace(&self, namespace: &str) -> NamespaceLister<K> {
        NamespaceLister { store: self.store.clone(), namespace: namespace.to_owned() }
    }

    /// The objects whose `index` has `value`.
    pub fn by_index(&self, index: &str, value: &str) -> Result<Vec<Arc<K>>, IndexError> {
        self.store.by_index(index, value)
    }
}

/// Reads of one namespace of a cache.
pub struct NamespaceLister<K> {
    store: Arc<Store<K>>,
    namespace: String,
}

impl<K: Object> NamespaceLister<K> {
    /// The object with `name` in this namespace.
    pub fn get(&self, name: &str) -> Option<Arc<K>> {
        self.store.get(&format!("{}/{name}", self.namespace))
    }

    /// The objects of this namespace whose labels match `selector`.
    pub fn list(&self, selector: &LabelSelector) -> Vec<Arc<K>> {
        let in_namespace = self.store.by_index(NAMESPACE_INDEX, &self.namespace).unwrap_or_default();
        filter(in_namespace, selector)
    }
}

fn filter<K: Object>(objects: Vec<Arc<K>>, selector: &LabelSelector) -> Vec<Arc<K>> {
    if selector.is_empty() {
        return objects;
    }
    objects.into_iter().filter(|object| selector.matches(object.metadata().labels.as_ref())).collect()
}
