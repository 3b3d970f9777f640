//! A token bucket per object regarded, for new Events (client-go's legacy recorder's
//! `EventSourceObjectSpamFilter`: a burst of 25, then one every five minutes). Repeats of an
//! open series cost nothing: they are a counter.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use super::reference::EventReference;

/// client-go's burst.
pub const SPAM_BURST: u32 = 25;
/// client-go's refill: one token every 300 s (1/300 qps).
pub const SPAM_REFILL: Duration = Duration::from_secs(300);

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Buckets by object, bounded in number (the one touched longest ago goes first).
#[derive(Debug)]
pub struct SpamFilter {
    buckets: HashMap<(String, String, String, String, String), Bucket>,
    burst: u32,
    refill: Duration,
    capacity: usize,
}

impl SpamFilter {
    /// A filter allowing `burst` new Events per object, then one per `refill`; it remembers
    /// at most `capacity` objects.
    pub fn new(burst: u32, refill: Duration, capacity: usize) -> Self {
        Self { buckets: HashMap::new(), burst, refill, capacity: capacity.max(1) }
    }

    /// True if a new Event about `regarding` may be written at `now` (and takes a token).
    pub fn allow(&mut self, regarding: &EventReference, now: Instant) -> bool {
        let (api_version, kind, namespace, name, uid, _) = regarding.identity();
        let key = (api_version.to_owned(), kind.to_owned(), namespace.to_owned(), name.to_owned(), uid.to_owned());
        if self.buckets.len() >= self.capacity && !self.buckets.contains_key(&key) {
            let oldest = self.buckets.iter().min_by_key(|(_, bucket)| bucket.updated).map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                self.buckets.remove(&oldest);
            }
        }
        let burst = f64::from(self.burst);
        let bucket = self.buckets.entry(key).or_insert(Bucket { tokens: burst, updated: now });
        if !self.refill.is_zero() {
            let earned = now.duration_since(bucket.updated).as_secs_f64() / self.refill.as_secs_f64();
            bucket.tokens = (bucket.tokens + earned).min(burst);
        }
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(name: &str) -> EventReference {
        EventReference { kind: "Pod".into(), name: name.into(), ..EventReference::default() }
    }

    #[test]
    fn a_burst_then_one_per_refill_period_for_each_object() {
        let now = Instant::now();
        let mut filter = SpamFilter::new(SPAM_BURST, SPAM_REFILL, 100);
        let allowed = (0..100).filter(|_| filter.allow(&object("a"), now)).count();
        assert_eq!(allowed, 25);
        assert!(filter.allow(&object("b"), now), "another object has its own bucket");
        assert!(!filter.allow(&object("a"), now + Duration::from_secs(299)));
        assert!(filter.allow(&object("a"), now + Duration::from_secs(300 + 299)), "one token per 300 s");
        assert!(!filter.allow(&object("a"), now + Duration::from_secs(300 + 299)));
    }

    #[test]
    fn the_filter_remembers_a_bounded_number_of_objects() {
        let now = Instant::now();
        let mut filter = SpamFilter::new(1, SPAM_REFILL, 2);
        assert!(filter.allow(&object("a"), now));
        assert!(filter.allow(&object("b"), now + Duration::from_secs(1)));
        assert!(filter.allow(&object("c"), now + Duration::from_secs(2)), "a is forgotten");
        assert_eq!(filter.buckets.len(), 2);
    }
}
