//! Index functions: secondary keys of cached objects, as client-go's `Indexers`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::resource::Object;

/// Computes the index values of an object (none, one, or several).
pub type IndexFn<K> = Arc<dyn Fn(&K) -> Vec<String> + Send + Sync>;

/// Index functions by index name.
pub type Indexers<K> = BTreeMap<String, IndexFn<K>>;

/// The name of the index every store has: objects by namespace.
pub const NAMESPACE_INDEX: &str = "namespace";

/// The namespace index: an object's namespace, none for cluster-scoped objects.
pub fn namespace_index<K: Object>(object: &K) -> Vec<String> {
    object.metadata().namespace().map(|namespace| vec![namespace.to_owned()]).unwrap_or_default()
}

/// An index function from a closure.
pub fn index_fn<K, F>(function: F) -> IndexFn<K>
where
    F: Fn(&K) -> Vec<String> + Send + Sync + 'static,
{
    Arc::new(function)
}

/// The default indexers: the namespace index.
pub fn default_indexers<K: Object>() -> Indexers<K> {
    BTreeMap::from([(NAMESPACE_INDEX.to_owned(), index_fn(namespace_index::<K>))])
}
