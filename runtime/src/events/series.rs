//! Event series: a record identical to one seen within the series window (same type, reason,
//! action, object regarded and related object) does not make a new Event; the first one's
//! `series.count` grows instead (client-go's `tools/events`, which finishes a series not seen
//! for six minutes). Counts are written in batches, not once per record.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use super::reference::{EventRecord, EventReference, EventType};
use crate::types::MicroTime;

/// client-go's series window: a series not observed for this long is finished.
pub const SERIES_WINDOW: Duration = Duration::from_secs(6 * 60);

/// What makes two records the same event.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SeriesKey {
    type_: EventType,
    reason: String,
    action: String,
    regarding: EventReference,
    related: Option<EventReference>,
}

/// A reference without what changes while the object stays the same (its resourceVersion).
fn stable(reference: &EventReference) -> EventReference {
    EventReference { resource_version: String::new(), ..reference.clone() }
}

impl SeriesKey {
    /// The key of `record`.
    pub fn of(record: &EventRecord) -> Self {
        Self {
            type_: record.type_,
            reason: record.reason.clone(),
            action: record.action.clone(),
            regarding: stable(&record.regarding),
            related: record.related.as_ref().map(stable),
        }
    }
}

/// One Event and how often it happened.
#[derive(Clone, Debug)]
pub struct Series {
    /// The Event's namespace.
    pub namespace: String,
    /// The Event's name.
    pub name: String,
    /// Occurrences so far.
    pub count: u32,
    /// Occurrences the server knows of (1 once the Event was created).
    pub written: u32,
    /// The last occurrence, on the local clock.
    pub last_observed: Instant,
    /// The last occurrence, for the API.
    pub last_observed_time: MicroTime,
}

impl Series {
    /// True when the server's count is behind.
    pub fn is_dirty(&self) -> bool {
        self.count > self.written
    }
}

/// The series of one recorder, bounded in size.
#[derive(Debug)]
pub struct SeriesCache {
    entries: HashMap<SeriesKey, Series>,
    window: Duration,
    capacity: usize,
}

impl SeriesCache {
    /// An empty cache finishing series after `window`, holding at most `capacity` of them.
    pub fn new(window: Duration, capacity: usize) -> Self {
        Self { entries: HashMap::new(), window, capacity: capacity.max(1) }
    }

    /// Counts `key` as seen again if its series is open; false if it is not (a new Event).
    pub fn repeat(&mut self, key: &SeriesKey, now: Instant) -> bool {
        match self.entries.get_mut(key) {
            Some(series) if now.duration_since(series.last_observed) < self.window => {
                series.count = series.count.saturating_add(1);
                series.last_observed = now;
                series.last_observed_time = MicroTime::now();
                true
            }
            _ => false,
        }
    }

    /// Opens a series for an Event just created. When the cache is full, the series
    /// observed longest ago is forgotten (its count was written, or is returned to write).
    pub fn open(&mut self, key: SeriesKey, namespace: &str, name: &str, now: Instant) -> Option<Series> {
        let mut evicted = None;
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            let oldest = self.entries.iter().min_by_key(|(_, series)| series.last_observed).map(|(key, _)| key.clone());
            evicted = oldest.and_then(|oldest| self.entries.remove(&oldest)).filter(Series::is_dirty);
        }
        let series = Series {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            count: 1,
            written: 1,
            last_observed: now,
            last_observed_time: MicroTime::now(),
        };
        self.entries.insert(key, series);
        evicted
    }

    /// The series whose counts the server does not have yet.
    pub fn dirty(&self) -> Vec<(SeriesKey, Series)> {
        self.entries.iter().filter(|(_, series)| series.is_dirty()).map(|(k, s)| (k.clone(), s.clone())).collect()
    }

    /// Records that the server has `count` for `key`'s series.
    pub fn written(&mut self, key: &SeriesKey, count: u32) {
        if let Some(series) = self.entries.get_mut(key) {
            series.written = series.written.max(count);
        }
    }

    /// Forgets `key`'s series (its Event is gone from the server).
    pub fn forget(&mut self, key: &SeriesKey) {
        self.entries.remove(key);
    }

    /// Finishes the series not observed for the window: they are forgotten, and those whose
    /// last count the server lacks are returned to write once more.
    pub fn finish_stale(&mut self, now: Instant) -> Vec<Series> {
        let window = self.window;
        let stale: Vec<SeriesKey> = self
            .entries
            .iter()
            .filter(|(_, series)| now.duration_since(series.last_observed) >= window)
            .map(|(key, _)| key.clone())
            .collect();
        stale.iter().filter_map(|key| self.entries.remove(key)).filter(Series::is_dirty).collect()
    }

    /// Open series.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no series is open.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(reason: &str, name: &str, resource_version: &str) -> EventRecord {
        let regarding = EventReference {
            kind: "Pod".into(),
            name: name.into(),
            resource_version: resource_version.into(),
            ..EventReference::default()
        };
        EventRecord::normal(regarding, reason, "Act", "note")
    }

    #[test]
    fn identical_records_in_the_window_count_in_one_series() {
        let now = Instant::now();
        let mut cache = SeriesCache::new(SERIES_WINDOW, 16);
        let key = SeriesKey::of(&record("Created", "a", "1"));
        assert!(!cache.repeat(&key, now), "nothing open yet");
        assert!(cache.open(key.clone(), "ns", "a.1", now).is_none());
        for step in 1..100u64 {
            // A new resourceVersion is the same object.
            let again = SeriesKey::of(&record("Created", "a", &step.to_string()));
            assert!(cache.repeat(&again, now + Duration::from_secs(step)));
        }
        let dirty = cache.dirty();
        assert_eq!(dirty.len(), 1);
        assert_eq!(dirty[0].1.count, 100);
        cache.written(&key, 100);
        assert!(cache.dirty().is_empty());
        assert!(!cache.repeat(&SeriesKey::of(&record("Deleted", "a", "1")), now), "another reason");
        assert!(!cache.repeat(&SeriesKey::of(&record("Created", "b", "1")), now), "another object");
    }

    #[test]
    fn series_finish_after_the_window_and_return_unwritten_counts() {
        let now = Instant::now();
        let mut cache = SeriesCache::new(Duration::from_secs(60), 16);
        let key = SeriesKey::of(&record("Created", "a", "1"));
        cache.open(key.clone(), "ns", "a.1", now);
        assert!(cache.repeat(&key, now + Duration::from_secs(30)));
        assert!(cache.finish_stale(now + Duration::from_secs(60)).is_empty(), "observed 30 s ago");
        let finished = cache.finish_stale(now + Duration::from_secs(90));
        assert_eq!(finished.iter().map(|series| series.count).collect::<Vec<_>>(), [2]);
        assert!(cache.is_empty());
        assert!(!cache.repeat(&key, now + Duration::from_secs(91)), "a new Event after the window");
    }

    #[test]
    fn a_full_cache_forgets_the_series_observed_longest_ago() {
        let now = Instant::now();
        let mut cache = SeriesCache::new(SERIES_WINDOW, 2);
        let keys: Vec<SeriesKey> = ["a", "b", "c"].iter().map(|name| SeriesKey::of(&record("R", name, "1"))).collect();
        cache.open(keys[0].clone(), "ns", "a.1", now);
        cache.open(keys[1].clone(), "ns", "b.1", now + Duration::from_secs(1));
        assert!(cache.repeat(&keys[0], now + Duration::from_secs(2)));
        let evicted = cache.open(keys[2].clone(), "ns", "c.1", now + Duration::from_secs(3));
        assert!(evicted.is_none(), "b was written in full");
        assert_eq!(cache.len(), 2);
        assert!(!cache.repeat(&keys[1], now + Duration::from_secs(4)), "b was forgotten");
    }
}
