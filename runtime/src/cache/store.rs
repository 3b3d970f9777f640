//! The informer's cache: objects by key, with secondary indexes (client-go's
//! `ThreadSafeStore` + `Indexer`).
//!
//! Values are `Arc<K>`: readers (listers, handlers) share the cached objects and must not
//! change them. Every index is kept up to date on each write; `replace` swaps the whole
//! content and rebuilds the indexes under one write lock, so readers see the old state or
//! the new one, never a mix.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::index::Indexers;
use crate::resource::Object;

/// Why an index operation failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IndexError {
    /// No index of that name.
    #[error("no index named {0:?}")]
    NoSuchIndex(String),
    /// An index of that name exists already.
    #[error("an index named {0:?} exists already")]
    Conflict(String),
}

/// A thread-safe, indexed cache of objects.
pub struct Store<K> {
    state: RwLock<State<K>>,
}

struct State<K> {
    items: HashMap<String, Arc<K>>,
    indexers: Indexers<K>,
    /// index name -> index value -> keys.
    indices: HashMap<String, HashMap<String, HashSet<String>>>,
    /// The resourceVersion the cache has reached: of the last list applied, or of the last
    /// progress mark (every event up to it applied and handed to handlers).
    resource_version: String,
}

impl<K> std::fmt::Debug for Store<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Store").field("len", &state.items.len()).field("indexes", &state.indexers.keys()).finish()
    }
}

impl<K: Object> Store<K> {
    /// An empty store with `indexers`.
    pub fn new(indexers: Indexers<K>) -> Self {
        let indices = indexers.keys().map(|name| (name.clone(), HashMap::new())).collect();
        Self { state: RwLock::new(State { items: HashMap::new(), indexers, indices, resource_version: String::new() }) }
    }

    fn read(&self) -> RwLockReadGuard<'_, State<K>> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State<K>> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The object with `key` (`namespace/name` or `name`).
    pub fn get(&self, key: &str) -> Option<Arc<K>> {
        self.read().items.get(key).cloned()
    }

    /// Whether an object with `key` is cached.
    pub fn contains(&self, key: &str) -> bool {
        self.read().items.contains_key(key)
    }

    /// Every cached object, in no particular order.
    pub fn list(&self) -> Vec<Arc<K>> {
        self.read().items.values().cloned().collect()
    }

    /// Every key.
    pub fn keys(&self) -> Vec<String> {
        self.read().items.keys().cloned().collect()
    }

    /// The number of cached objects.
    pub fn len(&self) -> usize {
        self.read().items.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.read().items.is_empty()
    }

    /// The resourceVersion the cache has reached: every change up to it is applied and was
    /// handed to the handlers. It never goes back.
    pub fn resource_version(&self) -> String {
        self.read().resource_version.clone()
    }

    /// The objects whose `index` has `value`.
    pub fn by_index(&self, index: &str, value: &str) -> Result<Vec<Arc<K>>, IndexError> {
        let state = self.read();
        let values = state.indices.get(index).ok_or_else(|| IndexError::NoSuchIndex(index.to_owned()))?;
        Ok(values
            .get(value)
            .map(|keys| keys.iter().filter_map(|key| state.items.get(key).cloned()).collect())
            .unwrap_or_default())
    }

    /// The keys of the objects whose `index` has `value`.
    pub fn index_keys(&self, index: &str, value: &str) -> Result<Vec<String>, IndexError> {
        let state = self.read();
        let values = state.indices.get(index).ok_or_else(|| IndexError::NoSuchIndex(index.to_owned()))?;
        Ok(values.get(value).map(|keys| keys.iter().cloned().collect()).unwrap_or_default())
    }

    /// Every value `index` has for some object.
    pub fn list_index_values(&self, index: &str) -> Result<Vec<String>, IndexError> {
        let state = self.read();
        let values = state.indices.get(index).ok_or_else(|| IndexError::NoSuchIndex(index.to_owned()))?;
        Ok(values.keys().cloned().collect())
    }

    /// The objects that share any value of `index` with `object` (client-go's `Index`).
    pub fn matching(&self, index: &str, object: &K) -> Result<Vec<Arc<K>>, IndexError> {
        let state = self.read();
        let function = state.indexers.get(index).ok_or_else(|| IndexError::NoSuchIndex(index.to_owned()))?;
        let values = state.indices.get(index).ok_or_else(|| IndexError::NoSuchIndex(index.to_owned()))?;
        let keys: HashSet<&String> = function(object).iter().filter_map(|value| values.get(value)).flatten().collect();
        Ok(keys.into_iter().filter_map(|key| state.items.get(key).cloned()).collect())
    }

    /// Adds indexes, filled from the objects already cached. Names must be new.
    pub fn add_indexers(&self, indexers: Indexers<K>) -> Result<(), IndexError> {
        let mut state = self.write();
        if let Some(name) = indexers.keys().find(|name| state.indexers.contains_key(*name)) {
            return Err(IndexError::Conflict(name.clone()));
        }
        for (name, function) in indexers {
            let mut values: HashMap<String, HashSet<String>> = HashMap::new();
            for (key, object) in &state.items {
                for value in function(object) {
                    values.entry(value).or_default().insert(key.clone());
                }
            }
            state.indices.insert(name.clone(), values);
            state.indexers.insert(name, function);
        }
        Ok(())
    }

    /// Inserts or replaces an object; returns the one it replaced.
    pub(crate) fn insert(&self, key: String, object: Arc<K>) -> Option<Arc<K>> {
        let mut state = self.write();
        let old = state.items.insert(key.clone(), object.clone());
        state.reindex(&key, old.as_deref(), Some(&object));
        old
    }

    /// Removes an object; returns it.
    pub(crate) fn remove(&self, key: &str) -> Option<Arc<K>> {
        let mut state = self.write();
        let old = state.items.remove(key)?;
        state.reindex(key, Some(&old), None);
        Some(old)
    }

    /// Replaces the whole content, as of `resource_version`.
    pub(crate) fn replace(&self, items: HashMap<String, Arc<K>>, resource_version: &str) {
        let mut state = self.write();
        let mut indices: HashMap<String, HashMap<String, HashSet<String>>> = HashMap::new();
        for (name, function) in &state.indexers {
            let values = indices.entry(name.clone()).or_default();
            for (key, object) in &items {
                for value in function(object) {
                    values.entry(value).or_default().insert(key.clone());
                }
            }
        }
        state.items = items;
        state.indices = indices;
        state.advance(resource_version);
    }

    /// Records that every change up to `resource_version` is applied.
    pub(crate) fn advance_resource_version(&self, resource_version: &str) {
        self.write().advance(resource_version);
    }
}

impl<K> State<K> {
    /// Moves the resourceVersion forward. resourceVersions are opaque to clients, but every
    /// API server backed by etcd hands out integers; those are never moved back.
    fn advance(&mut self, resource_version: &str) {
        if resource_version.is_empty() {
            return;
        }
        let older = match (self.resource_version.parse::<u64>(), resource_version.parse::<u64>()) {
            (Ok(current), Ok(new)) => new < current,
            _ => false,
        };
        if !older {
            self.resource_version = resource_version.to_owned();
        }
    }

    fn reindex(&mut self, key: &str, old: Option<&K>, new: Option<&K>) {
        let State { indexers, indices, .. } = self;
        for (name, function) in indexers.iter() {
            let old_values = old.map(|object| function(object)).unwrap_or_default();
            let new_values = new.map(|object| function(object)).unwrap_or_default();
            if old_values == new_values {
                continue;
            }
            let values = indices.entry(name.clone()).or_default();
            for value in &old_values {
                if let Some(keys) = values.get_mut(value) {
                    keys.remove(key);
                    if keys.is_empty() {
                        values.remove(value);
                    }
                }
            }
            for value in new_values {
                values.entry(value).or_default().insert(key.to_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::index::{NAMESPACE_INDEX, default_indexers, index_fn};
    use crate::cache::testing::{Thing, thing};

    fn by_value() -> Indexers<Thing> {
        Indexers::from([("value".to_owned(), index_fn(|thing: &Thing| vec![thing.value.clone()]))])
    }

    fn sorted_names(objects: Vec<Arc<Thing>>) -> Vec<String> {
        let mut names: Vec<String> = objects.iter().map(|object| object.metadata.name().to_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn indexes_follow_inserts_updates_and_removals() {
        let mut indexers = default_indexers::<Thing>();
        indexers.extend(by_value());
        let store = Store::new(indexers);
        store.insert("a/x".into(), Arc::new(thing("a", "x", 1, "red")));
        store.insert("a/y".into(), Arc::new(thing("a", "y", 2, "blue")));
        store.insert("b/z".into(), Arc::new(thing("b", "z", 3, "red")));
        assert_eq!(sorted_names(store.by_index(NAMESPACE_INDEX, "a").expect("index")), ["x", "y"]);
        assert_eq!(sorted_names(store.by_index("value", "red").expect("index")), ["x", "z"]);

        let old = store.insert("a/x".into(), Arc::new(thing("a", "x", 4, "blue")));
        assert_eq!(old.map(|o| o.value.clone()).as_deref(), Some("red"));
        assert_eq!(sorted_names(store.by_index("value", "red").expect("index")), ["z"]);
        assert_eq!(sorted_names(store.by_index("value", "blue").expect("index")), ["x", "y"]);

        store.remove("b/z");
        assert_eq!(store.resource_version(), "", "writes do not move the resourceVersion; marks do");
        store.advance_resource_version("4");
        store.advance_resource_version("3");
        let mut values = store.list_index_values("value").expect("index");
        values.sort();
        assert_eq!(values, ["blue"], "an emptied value disappears");
        let mut keys = store.index_keys(NAMESPACE_INDEX, "a").expect("index");
        keys.sort();
        assert_eq!(keys, ["a/x", "a/y"]);
        assert_eq!(store.resource_version(), "4");
        assert_eq!(sorted_names(store.matching("value", &thing("c", "q", 0, "blue")).expect("index")), ["x", "y"]);
        assert_eq!(store.by_index("nope", "x"), Err(IndexError::NoSuchIndex("nope".into())));
    }

    #[test]
    fn replace_swaps_content_and_rebuilds_indexes() {
        let store = Store::new(default_indexers::<Thing>());
        store.insert("a/x".into(), Arc::new(thing("a", "x", 1, "")));
        let items = std::collections::HashMap::from([("b/y".to_owned(), Arc::new(thing("b", "y", 2, "")))]);
        store.replace(items, "7");
        assert!(store.get("a/x").is_none());
        assert_eq!(sorted_names(store.by_index(NAMESPACE_INDEX, "b").expect("index")), ["y"]);
        assert!(store.by_index(NAMESPACE_INDEX, "a").expect("index").is_empty());
        assert_eq!(store.resource_version(), "7");
    }

    #[test]
    fn indexers_added_later_are_filled_and_names_are_unique() {
        let store = Store::new(default_indexers::<Thing>());
        store.insert("a/x".into(), Arc::new(thing("a", "x", 1, "red")));
        store.add_indexers(by_value()).expect("adds");
        assert_eq!(sorted_names(store.by_index("value", "red").expect("index")), ["x"]);
        assert_eq!(store.add_indexers(by_value()), Err(IndexError::Conflict("value".into())));
    }
}
