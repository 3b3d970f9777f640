//! Object keys: `namespace/name` for namespaced objects, `name` for cluster-scoped ones, as
//! client-go's `MetaNamespaceKeyFunc`.

use crate::resource::Object;

/// The store key of an object.
pub fn object_key<K: Object>(object: &K) -> String {
    let meta = object.metadata();
    match meta.namespace() {
        Some(namespace) => format!("{namespace}/{}", meta.name()),
        None => meta.name().to_owned(),
    }
}

/// The namespace and name a key stands for.
pub fn split_key(key: &str) -> (Option<&str>, &str) {
    match key.split_once('/') {
        Some((namespace, name)) => (Some(namespace), name),
        None => (None, key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_back() {
        assert_eq!(split_key("default/web"), (Some("default"), "web"));
        assert_eq!(split_key("node-a"), (None, "node-a"));
    }
}
