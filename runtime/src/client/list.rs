//! List responses.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::types::ListMeta;

/// A list of objects as the server returns it: its metadata (resourceVersion, continue
/// token) and the items.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(bound(serialize = "K: Serialize"))]
pub struct ObjectList<K> {
    /// The list's metadata.
    pub metadata: ListMeta,
    /// The objects.
    pub items: Vec<K>,
}

/// A list is a JSON object, read by the same rules as the streaming `ListDecoder`: `items`
/// and `metadata` at most once each, `items: null` as no items, other members ignored, and
/// never an array (serde's derive would take `[metadata, items]` by position).
impl<'de, K: Deserialize<'de>> Deserialize<'de> for ObjectList<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<K>(PhantomData<K>);

        impl<'de, K: Deserialize<'de>> Visitor<'de> for ListVisitor<K> {
            type Value = ObjectList<K>;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a list object with `items`")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut metadata: Option<ListMeta> = None;
                let mut items: Option<Vec<K>> = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "metadata" if metadata.is_some() => return Err(de::Error::duplicate_field("metadata")),
                        "metadata" => metadata = Some(map.next_value()?),
                        "items" if items.is_some() => return Err(de::Error::duplicate_field("items")),
                        "items" => items = Some(map.next_value::<Option<Vec<K>>>()?.unwrap_or_default()),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(ObjectList { metadata: metadata.unwrap_or_default(), items: items.unwrap_or_default() })
            }
        }

        deserializer.deserialize_map(ListVisitor(PhantomData))
    }
}

impl<K> Default for ObjectList<K> {
    fn default() -> Self {
        Self { metadata: ListMeta::default(), items: Vec::new() }
    }
}

impl<K> ObjectList<K> {
    /// The resourceVersion the list was read at.
    pub fn resource_version(&self) -> Option<&str> {
        self.metadata.resource_version.as_deref().filter(|version| !version.is_empty())
    }

    /// The token for the next page, if there is one.
    pub fn continue_token(&self) -> Option<&str> {
        self.metadata.continue_.as_deref().filter(|token| !token.is_empty())
    }
}

impl<K> IntoIterator for ObjectList<K> {
    type Item = K;
    type IntoIter = std::vec::IntoIter<K>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}
