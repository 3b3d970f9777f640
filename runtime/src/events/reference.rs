//! What an event is about and what it says: [`EventRecord`], the unit users record.

use serde::Serialize;

use crate::resource::Resource;

/// An event's type: `Normal` or `Warning` (the only two the API server accepts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// Something expected happened.
    Normal,
    /// Something went wrong, or may need a look.
    Warning,
}

impl EventType {
    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "Normal",
            Self::Warning => "Warning",
        }
    }
}

/// A reference to an object an event is about (`core/v1` `ObjectReference`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventReference {
    /// The object's `apiVersion`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// The object's kind.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Its namespace; empty for cluster-scoped objects.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Its name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Its UID.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
    /// The resourceVersion the event was about.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_version: String,
    /// The part of the object, for example `spec.containers{web}`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub field_path: String,
}

impl EventReference {
    /// A reference to `object`, as the server last returned it.
    pub fn from_resource<K: Resource>(object: &K) -> Self {
        let metadata = object.metadata();
        Self {
            api_version: K::API_VERSION.to_owned(),
            kind: K::KIND.to_owned(),
            namespace: metadata.namespace().unwrap_or_default().to_owned(),
            name: metadata.name().to_owned(),
            uid: metadata.uid.as_deref().unwrap_or_default().to_owned(),
            resource_version: metadata.resource_version.as_deref().unwrap_or_default().to_owned(),
            field_path: String::new(),
        }
    }

    /// The same reference to a part of the object.
    pub fn field_path(mut self, path: impl Into<String>) -> Self {
        self.field_path = path.into();
        self
    }

    /// Who the object is, for series and spam keys: not the resourceVersion, which changes
    /// with every write while the object stays the same.
    pub(crate) fn identity(&self) -> (&str, &str, &str, &str, &str, &str) {
        (&self.api_version, &self.kind, &self.namespace, &self.name, &self.uid, &self.field_path)
    }
}

/// One event to record: [`EventRecorder::publish`](super::EventRecorder::publish) takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    /// The object the event is about.
    pub regarding: EventReference,
    /// A second object involved, if any (the ConfigMap a ConfigSet's controller created).
    pub related: Option<EventReference>,
    /// Normal or Warning.
    pub type_: EventType,
    /// Why, in UpperCamelCase, machine-readable (`Created`, `FailedCreate`); at most 128 bytes.
    pub reason: String,
    /// What was done or failed, in UpperCamelCase (`Create`, `Reconcile`); at most 128 bytes.
    pub action: String,
    /// For people; at most 1 KiB (longer notes are cut).
    pub note: String,
}

impl EventRecord {
    /// A `Normal` event about `regarding`.
    pub fn normal(regarding: EventReference, reason: &str, action: &str, note: impl Into<String>) -> Self {
        Self::new(EventType::Normal, regarding, reason, action, note)
    }

    /// A `Warning` event about `regarding`.
    pub fn warning(regarding: EventReference, reason: &str, action: &str, note: impl Into<String>) -> Self {
        Self::new(EventType::Warning, regarding, reason, action, note)
    }

    fn new(type_: EventType, regarding: EventReference, reason: &str, action: &str, note: impl Into<String>) -> Self {
        Self {
            regarding,
            related: None,
            type_,
            reason: reason.to_owned(),
            action: action.to_owned(),
            note: note.into(),
        }
    }

    /// The same event with a related object.
    pub fn related(mut self, related: EventReference) -> Self {
        self.related = Some(related);
        self
    }
}
