//! One watch event.
//!
//! The API server sends `{"type": "...", "object": {...}}`, with `type` first. The decoder
//! reads `type`, then decodes `object` straight into the right Rust type: the resource for
//! ADDED, MODIFIED and DELETED, a small bookmark for BOOKMARK (whose object has only
//! metadata), a `Status` for ERROR. Should `object` come first, it is kept as raw JSON and
//! decoded once `type` is known.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::types::Status;

/// The annotation of the bookmark that ends the initial events of a streaming list.
pub const INITIAL_EVENTS_END: &str = "k8s.io/initial-events-end";

/// A watch event.
#[derive(Clone, Debug, PartialEq)]
pub enum WatchEvent<K> {
    /// An object was created (or, at the start of a watch from `""`/`"0"`, exists).
    Added(K),
    /// An object changed.
    Modified(K),
    /// An object was deleted; this is its last state.
    Deleted(K),
    /// No change, only a newer resourceVersion to resume from.
    Bookmark(Bookmark),
    /// The server ended the watch with an error; 410 means the resourceVersion is too old.
    Error(Box<Status>),
}

/// A bookmark: the resourceVersion the watch has reached.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bookmark {
    /// The resourceVersion.
    pub resource_version: String,
    /// Annotations, such as [`INITIAL_EVENTS_END`].
    pub annotations: BTreeMap<String, String>,
}

impl Bookmark {
    /// True for the bookmark that ends a streaming list's initial events.
    pub fn is_initial_events_end(&self) -> bool {
        self.annotations.get(INITIAL_EVENTS_END).is_some_and(|value| value == "true")
    }
}

#[derive(Deserialize)]
struct BookmarkObject {
    #[serde(default)]
    metadata: BookmarkMetadata,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BookmarkMetadata {
    #[serde(default)]
    resource_version: String,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

impl From<BookmarkObject> for Bookmark {
    fn from(object: BookmarkObject) -> Self {
        Bookmark {
            resource_version: object.metadata.resource_version,
            annotations: object.metadata.annotations.unwrap_or_default(),
        }
    }
}

#[derive(Clone, Copy)]
enum EventType {
    Added,
    Modified,
    Deleted,
    Bookmark,
    Error,
}

impl EventType {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "ADDED" => EventType::Added,
            "MODIFIED" => EventType::Modified,
            "DELETED" => EventType::Deleted,
            "BOOKMARK" => EventType::Bookmark,
            "ERROR" => EventType::Error,
            _ => return None,
        })
    }
}

impl<K: DeserializeOwned> WatchEvent<K> {
    /// Decodes one event from its JSON.
    pub fn from_slice(json: &[u8]) -> Result<Self, serde_json::Error> {
        crate::client::parse_json(json)
    }

    fn decode_object<'de, A: MapAccess<'de>>(kind: EventType, map: &mut A) -> Result<Self, A::Error> {
        Ok(match kind {
            EventType::Added => WatchEvent::Added(map.next_value()?),
            EventType::Modified => WatchEvent::Modified(map.next_value()?),
            EventType::Deleted => WatchEvent::Deleted(map.next_value()?),
            EventType::Bookmark => WatchEvent::Bookmark(map.next_value::<BookmarkObject>()?.into()),
            EventType::Error => WatchEvent::Error(map.next_value()?),
        })
    }

    fn decode_raw(kind: EventType, raw: &RawValue) -> Result<Self, serde_json::Error> {
        let json = raw.get();
        Ok(match kind {
            EventType::Added => WatchEvent::Added(serde_json::from_str(json)?),
            EventType::Modified => WatchEvent::Modified(serde_json::from_str(json)?),
            EventType::Deleted => WatchEvent::Deleted(serde_json::from_str(json)?),
            EventType::Bookmark => WatchEvent::Bookmark(serde_json::from_str::<BookmarkObject>(json)?.into()),
            EventType::Error => WatchEvent::Error(serde_json::from_str(json)?),
        })
    }
}

impl<'de, K: DeserializeOwned> Deserialize<'de> for WatchEvent<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EventVisitor(PhantomData))
    }
}

struct EventVisitor<K>(PhantomData<fn() -> K>);

impl<'de, K: DeserializeOwned> Visitor<'de> for EventVisitor<K> {
    type Value = WatchEvent<K>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a watch event with `type` and `object`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kind: Option<EventType> = None;
        let mut event: Option<WatchEvent<K>> = None;
        let mut raw: Option<Box<RawValue>> = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "type" => {
                    let text = map.next_value::<std::borrow::Cow<'de, str>>()?;
                    kind = Some(
                        EventType::parse(&text)
                            .ok_or_else(|| de::Error::custom(format_args!("unknown watch event type {text:?}")))?,
                    );
                }
                "object" => match kind {
                    Some(kind) => event = Some(WatchEvent::decode_object(kind, &mut map)?),
                    None => raw = Some(map.next_value()?),
                },
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match (event, kind, raw) {
            (Some(event), _, _) => Ok(event),
            (None, Some(kind), Some(raw)) => WatchEvent::decode_raw(kind, &raw).map_err(de::Error::custom),
            (None, None, _) => Err(de::Error::missing_field("type")),
            (None, Some(_), None) => Err(de::Error::missing_field("object")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ObjectMeta;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Thing {
        metadata: ObjectMeta,
        spec: String,
    }

    #[test]
    fn decodes_every_event_type() {
        let added: WatchEvent<Thing> =
            WatchEvent::from_slice(br#"{"type":"ADDED","object":{"metadata":{"name":"a"},"spec":"x"}}"#)
                .expect("decodes");
        assert!(matches!(added, WatchEvent::Added(ref thing) if thing.spec == "x"));
        let bookmark: WatchEvent<Thing> = WatchEvent::from_slice(
            br#"{"type":"BOOKMARK","object":{"kind":"Thing","metadata":{"resourceVersion":"12","annotations":{"k8s.io/initial-events-end":"true"}}}}"#,
        )
        .expect("decodes a bookmark without the resource's required fields");
        let WatchEvent::Bookmark(bookmark) = bookmark else { panic!("a bookmark") };
        assert_eq!(bookmark.resource_version, "12");
        assert!(bookmark.is_initial_events_end());
        let error: WatchEvent<Thing> = WatchEvent::from_slice(
            br#"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (2)","reason":"Expired","code":410}}"#,
        )
        .expect("decodes");
        assert!(matches!(error, WatchEvent::Error(ref status) if status.code == Some(410)));
    }

    #[test]
    fn accepts_the_object_before_the_type() {
        let event: WatchEvent<Thing> =
            WatchEvent::from_slice(br#"{"object":{"metadata":{"name":"b"},"spec":"y"},"type":"DELETED"}"#)
                .expect("decodes");
        assert!(matches!(event, WatchEvent::Deleted(ref thing) if thing.metadata.name() == "b"));
    }

    #[test]
    fn rejects_unknown_types_and_missing_fields() {
        assert!(WatchEvent::<Thing>::from_slice(br#"{"type":"RENAMED","object":{}}"#).is_err());
        assert!(WatchEvent::<Thing>::from_slice(br#"{"type":"ADDED"}"#).is_err());
    }
}
