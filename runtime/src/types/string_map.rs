//! `StringMap`: the map type of generated models (`additionalProperties`), sorted by key.
//!
//! Kubernetes' maps (labels, annotations, resource quantities, selectors, config data) are
//! small. A `BTreeMap` allocates at least one 11-entry node (over 500 bytes for `String`
//! pairs) for a map of one entry; a sorted vector of pairs takes what its entries take. Reads
//! are a binary search; inserts keep the order. The API follows `BTreeMap`'s.

use std::borrow::Borrow;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Str;

/// A map from strings to `V`, ordered by key, stored as a sorted vector.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StringMap<V> {
    entries: Vec<(Str, V)>,
}

impl<V> Default for StringMap<V> {
    fn default() -> Self {
        Self { entries: Vec::new() }
    }
}

impl<V: fmt::Debug> fmt::Debug for StringMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.entries.iter().map(|(key, value)| (key, value))).finish()
    }
}

impl<V> StringMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty map with room for `capacity` entries.
    pub fn with_capacity(capacity: usize) -> Self {
        Self { entries: Vec::with_capacity(capacity) }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        Str: Borrow<Q>,
    {
        self.entries.binary_search_by(|(candidate, _)| candidate.borrow().cmp(key))
    }

    /// The value of `key`.
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        Str: Borrow<Q>,
    {
        self.position(key).ok().map(|index| &self.entries[index].1)
    }

    /// The value of `key`, mutable.
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        Str: Borrow<Q>,
    {
        self.position(key).ok().map(|index| &mut self.entries[index].1)
    }

    /// Whether `key` has a value.
    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        Str: Borrow<Q>,
    {
        self.position(key).is_ok()
    }

    /// Sets the value of `key`; returns the one it replaced.
    pub fn insert(&mut self, key: impl Into<Str>, value: V) -> Option<V> {
        let key = key.into();
        // Kubernetes writes maps sorted by key (Go's JSON and protobuf encoders both sort
        // them), so a decoded entry usually goes last: one comparison, not a search.
        if self.entries.last().is_none_or(|(last, _)| *last < key) {
            self.entries.push((key, value));
            return None;
        }
        match self.position(key.as_str()) {
            Ok(index) => Some(std::mem::replace(&mut self.entries[index].1, value)),
            Err(index) => {
                self.entries.insert(index, (key, value));
                None
            }
        }
    }

    /// Appends an entry that `fill` builds in place (from an empty key and `V::default()`,
    /// so that a decoder writes the key and value where they stay instead of moving them in),
    /// then moves it where the order wants it if it is not there already, replacing an entry
    /// of the same key as [`StringMap::insert`] does. On an error the entry is dropped and
    /// the map is as it was.
    pub(crate) fn push_in_place<E>(&mut self, fill: impl FnOnce(&mut (Str, V)) -> Result<(), E>) -> Result<(), E>
    where
        V: Default,
    {
        self.entries.push((Str::default(), V::default()));
        let last = self.entries.len() - 1;
        if let Err(error) = fill(&mut self.entries[last]) {
            self.entries.pop();
            return Err(error);
        }
        let in_order = last == 0 || self.entries[last - 1].0 < self.entries[last].0;
        if !in_order && let Some((key, value)) = self.entries.pop() {
            self.insert(key, value);
        }
        Ok(())
    }

    /// Removes `key`; returns its value.
    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        Str: Borrow<Q>,
    {
        self.position(key).ok().map(|index| self.entries.remove(index).1)
    }

    /// The entries, by key.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Str, &V)> + ExactSizeIterator {
        self.entries.iter().map(|(key, value)| (key, value))
    }

    /// The entries, by key, with mutable values.
    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&Str, &mut V)> + ExactSizeIterator {
        self.entries.iter_mut().map(|(key, value)| (&*key, value))
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Str> + ExactSizeIterator {
        self.entries.iter().map(|(key, _)| key)
    }

    /// The values, by key.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, value)| value)
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Keeps the entries for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&Str, &mut V) -> bool) {
        self.entries.retain_mut(|(key, value)| keep(key, value));
    }

    /// Sorts and deduplicates entries pushed in any order; the last value of a key wins, as in
    /// a JSON object.
    fn from_unsorted(entries: Vec<(Str, V)>) -> Self {
        let mut map = Self { entries };
        map.restore_order();
        map.entries.shrink_to_fit();
        map
    }

    /// Appends an entry without keeping the order: for decoders, which call
    /// [`StringMap::restore_order`] once at the end (inserting each key in place is quadratic
    /// in the number of keys). Until then lookups are wrong.
    pub(crate) fn push_unordered(&mut self, key: Str, value: V) {
        self.entries.push((key, value));
    }

    /// Sorts and deduplicates the entries, in O(n log n): a stable sort keeps equal keys in
    /// the order they came, and the last of each run wins, as for a repeated JSON key (and as
    /// [`StringMap::insert`] would have done).
    pub(crate) fn restore_order(&mut self) {
        if self.entries.windows(2).all(|pair| pair[0].0 < pair[1].0) {
            return;
        }
        self.entries.sort_by(|a, b| a.0.cmp(&b.0));
        let entries = std::mem::take(&mut self.entries);
        let mut deduplicated: Vec<(Str, V)> = Vec::with_capacity(entries.len());
        for entry in entries {
            match deduplicated.last_mut() {
                Some(last) if last.0 == entry.0 => *last = entry,
                _ => deduplicated.push(entry),
            }
        }
        self.entries = deduplicated;
    }
}

impl<V, K: Into<Str>> FromIterator<(K, V)> for StringMap<V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self::from_unsorted(iter.into_iter().map(|(key, value)| (key.into(), value)).collect())
    }
}

impl<V, K: Into<Str>, const N: usize> From<[(K, V); N]> for StringMap<V> {
    fn from(entries: [(K, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<V> From<std::collections::BTreeMap<String, V>> for StringMap<V> {
    fn from(map: std::collections::BTreeMap<String, V>) -> Self {
        Self { entries: map.into_iter().map(|(key, value)| (Str::from(key), value)).collect() }
    }
}

impl<V> From<StringMap<V>> for std::collections::BTreeMap<String, V> {
    fn from(map: StringMap<V>) -> Self {
        map.entries.into_iter().map(|(key, value)| (key.into_string(), value)).collect()
    }
}

impl<V, K: Into<Str>> Extend<(K, V)> for StringMap<V> {
    /// Appends, then sorts once: linear in practice, never quadratic as one `insert` per
    /// entry would be. A key already present takes the new value, as with `insert`.
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        self.entries.extend(iter.into_iter().map(|(key, value)| (key.into(), value)));
        self.restore_order();
    }
}

impl<V> IntoIterator for StringMap<V> {
    type Item = (Str, V);
    type IntoIter = std::vec::IntoIter<(Str, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, V> IntoIterator for &'a StringMap<V> {
    type Item = (&'a Str, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (Str, V)>, fn(&'a (Str, V)) -> (&'a Str, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(key, value)| (key, value))
    }
}

impl<V, Q: Ord + ?Sized> std::ops::Index<&Q> for StringMap<V>
where
    Str: Borrow<Q>,
{
    type Output = V;

    /// The value of `key`; panics if there is none, as `BTreeMap` does.
    fn index(&self, key: &Q) -> &V {
        match self.get(key) {
            Some(value) => value,
            None => panic!("no entry for the key in the StringMap"),
        }
    }
}

impl<V: Serialize> Serialize for StringMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (key, value) in &self.entries {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for StringMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(std::marker::PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = StringMap<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map with string keys")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(access.size_hint().unwrap_or(0).min(64));
                while let Some(entry) = access.next_entry::<Str, V>()? {
                    entries.push(entry);
                }
                Ok(StringMap::from_unsorted(entries))
            }
        }

        deserializer.deserialize_map(MapVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_keys_sorted_and_unique() {
        let mut map: StringMap<i32> = StringMap::from([("b", 2), ("a", 1), ("b", 3)]);
        assert_eq!(map.iter().map(|(k, v)| (k.as_str(), *v)).collect::<Vec<_>>(), [("a", 1), ("b", 3)]);
        assert_eq!(map.insert("c", 4), None);
        assert_eq!(map.insert("a", 5), Some(1));
        assert_eq!(map.get("a"), Some(&5));
        assert_eq!(map["c"], 4);
        assert_eq!(map.remove("b"), Some(3));
        assert!(!map.contains_key("b"));
        assert_eq!(map.keys().collect::<Vec<_>>(), ["a", "c"]);
    }

    #[test]
    fn extend_sorts_once_and_the_last_value_wins() {
        let mut map = StringMap::from([("b", 1), ("d", 2)]);
        map.extend([("c", 3), ("b", 4), ("a", 5), ("c", 6)]);
        let entries: Vec<(&str, i32)> = map.iter().map(|(key, value)| (key.as_str(), *value)).collect();
        assert_eq!(entries, [("a", 5), ("b", 4), ("c", 6), ("d", 2)]);
        let mut many = StringMap::new();
        many.extend((0..80_000).rev().map(|index| (format!("{index:06}"), index)));
        assert_eq!(many.len(), 80_000);
        assert_eq!(many.get("000007"), Some(&7));
    }

    #[test]
    fn entries_pushed_in_place_keep_the_order_and_replace_their_key() {
        let mut map: StringMap<i32> = StringMap::new();
        let push = |map: &mut StringMap<i32>, key: &str, value: i32| {
            map.push_in_place(|entry| {
                entry.0.push_str(key);
                entry.1 = value;
                Ok::<_, ()>(())
            })
        };
        for (key, value) in [("b", 1), ("d", 2), ("a", 3), ("c", 4), ("d", 5), ("e", 6)] {
            push(&mut map, key, value).expect("filled");
        }
        let entries: Vec<(&str, i32)> = map.iter().map(|(key, value)| (key.as_str(), *value)).collect();
        assert_eq!(entries, [("a", 3), ("b", 1), ("c", 4), ("d", 5), ("e", 6)]);
        // A failed fill leaves the map as it was.
        let failed = map.push_in_place(|entry| {
            entry.1 = 9;
            Err(())
        });
        assert_eq!(failed, Err(()));
        assert_eq!(map.len(), 5);
        assert_eq!(map.get(""), None);
    }

    #[test]
    fn decodes_any_order_and_encodes_sorted() {
        let map: StringMap<Str> = serde_json::from_str(r#"{"z":"1","a":"2","z":"3"}"#).expect("decodes");
        assert_eq!(serde_json::to_string(&map).expect("encodes"), r#"{"a":"2","z":"3"}"#);
        assert_eq!(format!("{map:?}"), r#"{"a": "2", "z": "3"}"#);
    }
}
