//! The `events.k8s.io/v1` Event object written for an [`EventRecord`]: its name, its
//! namespace, and its fields cut to the API server's limits, so that a long note or reason
//! does not make the write fail.

use serde_json::{Value, json};

use super::reference::EventRecord;
use crate::types::MicroTime;

/// The API server's limit on `reason`, `action`, `reportingController` and
/// `reportingInstance` (`ValidateEventCreate`).
pub const FIELD_LIMIT: usize = 128;
/// The API server's limit on `note`.
pub const NOTE_LIMIT: usize = 1024;
/// The longest object name the API server accepts (a DNS subdomain).
const NAME_LIMIT: usize = 253;

/// `text` cut to at most `limit` bytes, at a character boundary.
pub fn truncated(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The namespace an event about an object lives in: the object's, or `default` for
/// cluster-scoped objects (as client-go does).
pub fn namespace_of(record: &EventRecord) -> &str {
    if record.regarding.namespace.is_empty() { "default" } else { &record.regarding.namespace }
}

/// A unique Event name for an event about the object named `regarding`: its name, then a
/// hexadecimal stamp (client-go uses the Unix time in nanoseconds; `unique` adds a counter,
/// so two events in one nanosecond do not collide). Characters a DNS subdomain does not
/// allow become `-`, and the name is cut so the whole stays within the limit.
pub fn event_name(regarding: &str, unique: u128) -> String {
    let suffix = format!(".{unique:x}");
    let mut name: String = truncated(regarding, NAME_LIMIT - suffix.len())
        .chars()
        .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-' { c } else { '-' })
        .collect();
    let trimmed = name.trim_start_matches(['.', '-']).len();
    name.drain(..name.len() - trimmed);
    if name.is_empty() {
        name.push_str("event");
    }
    name.push_str(&suffix);
    name
}

/// The Event object for `record`, named `name`, first seen at `time`.
pub fn event_object(
    record: &EventRecord,
    name: &str,
    reporting_controller: &str,
    reporting_instance: &str,
    time: &MicroTime,
) -> Value {
    let mut event = json!({
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": namespace_of(record)},
        "eventTime": time,
        "reportingController": truncated(reporting_controller, FIELD_LIMIT),
        "reportingInstance": truncated(reporting_instance, FIELD_LIMIT),
        "type": record.type_.as_str(),
        "reason": truncated(&record.reason, FIELD_LIMIT),
        "action": truncated(&record.action, FIELD_LIMIT),
        "note": truncated(&record.note, NOTE_LIMIT),
        "regarding": &record.regarding,
    });
    if let (Some(related), Some(object)) = (&record.related, event.as_object_mut()) {
        object.insert("related".into(), json!(related));
    }
    event
}

/// The merge patch that sets an Event's series.
pub fn series_patch(count: u32, last_observed: &MicroTime) -> Value {
    json!({"series": {"count": count, "lastObservedTime": last_observed}})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::reference::EventReference;

    #[test]
    fn names_are_valid_and_unique_whatever_the_object_is_called() {
        assert_eq!(event_name("web", 0x1f), "web.1f");
        assert_eq!(event_name("system:controller:x", 1), "system-controller-x.1");
        assert_eq!(event_name("..", 2), "event.2");
        let long = "a".repeat(300);
        let name = event_name(&long, u128::MAX);
        assert_eq!(name.len(), NAME_LIMIT);
        assert!(name.ends_with(&format!(".{:x}", u128::MAX)));
        assert_ne!(event_name("web", 1), event_name("web", 2));
    }

    #[test]
    fn long_fields_are_cut_at_character_boundaries() {
        assert_eq!(truncated("héllo", 2), "h");
        assert_eq!(truncated("héllo", 3), "hé");
        let record = EventRecord::warning(
            EventReference { name: "n".into(), ..EventReference::default() },
            &"R".repeat(200),
            "Act",
            "é".repeat(1000),
        );
        let event = event_object(&record, "n.1", "c", "i", &MicroTime::now());
        assert_eq!(event["reason"].as_str().map(str::len), Some(FIELD_LIMIT));
        assert!(event["note"].as_str().is_some_and(|note| note.len() <= NOTE_LIMIT));
        assert_eq!(event["metadata"]["namespace"], "default", "cluster-scoped objects' events");
        assert_eq!(event["type"], "Warning");
        assert!(event.get("related").is_none());
    }
}
