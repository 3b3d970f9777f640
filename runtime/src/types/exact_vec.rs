//! Decoding arrays without spare capacity.
//!
//! serde_json gives no length hint, so a decoded `Vec` grows by doubling from four elements and
//! keeps the slack: a Pod's one `Container` sits in room for four, 1.3 KB of nothing per cached
//! Pod. Generated models decode every array field through these functions (through
//! `OptionVecSeed` in `struct_decode`; the runtime's own types with `deserialize_with`), which
//! shrink the vector once it is complete: one `realloc` that glibc does in place, and the field
//! stays a plain `Vec<T>` for users.

use std::marker::PhantomData;

use serde::de::DeserializeSeed;
use serde::{Deserialize, Deserializer};

/// Decodes a `Vec<T>` and drops its spare capacity.
pub fn vec<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Vec<T>, D::Error> {
    let mut items = Vec::<T>::deserialize(deserializer)?;
    items.shrink_to_fit();
    Ok(items)
}

/// Decodes an `Option<Vec<T>>` (`null` is `None`) and drops the vector's spare capacity.
pub fn option_vec<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<Vec<T>>, D::Error> {
    let mut items = Option::<Vec<T>>::deserialize(deserializer)?;
    if let Some(items) = &mut items {
        items.shrink_to_fit();
    }
    Ok(items)
}

/// [`option_vec`] as a seed, for `MapAccess::next_value_seed`.
pub(crate) struct OptionVecSeed<T>(PhantomData<fn() -> T>);

impl<T> OptionVecSeed<T> {
    pub(crate) const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for OptionVecSeed<T> {
    type Value = Option<Vec<T>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        option_vec(deserializer)
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Holder {
        #[serde(default, deserialize_with = "super::option_vec")]
        maybe: Option<Vec<u32>>,
        #[serde(default, deserialize_with = "super::vec")]
        always: Vec<u32>,
    }

    #[test]
    fn decoded_vectors_have_no_spare_capacity() {
        let holder: Holder = serde_json::from_str(r#"{"maybe":[1],"always":[1,2,3,4,5]}"#).expect("decodes");
        let maybe = holder.maybe.expect("present");
        assert_eq!((maybe.len(), maybe.capacity()), (1, 1));
        assert_eq!((holder.always.len(), holder.always.capacity()), (5, 5));
    }

    #[test]
    fn absent_and_null_arrays_are_none_or_empty() {
        let holder: Holder = serde_json::from_str(r#"{"maybe":null}"#).expect("decodes");
        assert!(holder.maybe.is_none());
        assert!(holder.always.is_empty());
    }
}
