//! The bodies of generated apply-configuration setters.
//!
//! A setter is `{ set(&mut self.field, value); self }`: one call into these generic
//! functions rather than the conversion, collection and drop of the old value written out in
//! each of some 1,500 setters. Generic setters are type-checked and borrow-checked where they
//! are generated whether or not anything calls them; a call is about a fifth cheaper to check
//! than the body it replaces (measured on the `core_v1` apply configurations: 5% of their
//! build, instruction counts).

use crate::types::Str;

/// Sets an optional field.
#[inline]
pub fn set<T, V: Into<T>>(slot: &mut Option<T>, value: V) {
    *slot = Some(value.into());
}

/// Sets an optional boxed field.
#[inline]
pub fn set_boxed<T, V: Into<T>>(slot: &mut Option<Box<T>>, value: V) {
    *slot = Some(Box::new(value.into()));
}

/// Sets an optional list from any items that convert to its element type.
#[inline]
pub fn set_list<T, I: IntoIterator<Item: Into<T>>>(slot: &mut Option<Vec<T>>, items: I) {
    *slot = Some(items.into_iter().map(Into::into).collect());
}

/// Sets an optional map from any pairs of a key and a value that convert.
#[inline]
pub fn set_map<M, V, K, W>(slot: &mut Option<M>, entries: impl IntoIterator<Item = (K, W)>)
where
    M: FromIterator<(Str, V)>,
    K: Into<Str>,
    W: Into<V>,
{
    *slot = Some(entries.into_iter().map(|(key, value)| (key.into(), value.into())).collect());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::StringMap;

    #[test]
    fn each_setter_replaces_the_value() {
        let mut name: Option<Str> = Some("old".into());
        set(&mut name, "new");
        assert_eq!(name.as_deref(), Some("new"));

        let mut boxed: Option<Box<i64>> = None;
        set_boxed(&mut boxed, 3_i32);
        assert_eq!(boxed.as_deref(), Some(&3));

        let mut list: Option<Vec<Str>> = Some(vec!["old".into()]);
        set_list(&mut list, ["a", "b"]);
        assert_eq!(list, Some(vec![Str::from("a"), Str::from("b")]));

        let mut map: Option<StringMap<Str>> = None;
        set_map(&mut map, [("b", "2"), ("a", "1")]);
        let map = map.expect("set");
        assert_eq!(map.get("a").map(|value| value.as_str()), Some("1"));
        assert_eq!(map.len(), 2);
    }
}
