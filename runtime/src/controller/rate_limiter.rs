//! How long an item waits before it is retried: client-go's workqueue rate limiters.
//!
//! - [`ItemExponential`]: per item, `base * 2^failures`, capped (default 5 ms doubling to
//!   1000 s); `forget` resets the item after a success.
//! - [`TokenBucket`]: across all items, `qps` per second with a `burst` (default 10 and 100),
//!   so a storm of failures cannot retry faster than that overall.
//! - [`MaxOf`]: the longest wait of several; [`default_rate_limiter`] is the max of the two
//!   above, as client-go's `DefaultControllerRateLimiter`.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Decides how long an item waits before it is retried.
pub trait RateLimiter<T>: Send + Sync {
    /// How long `item` waits now (each call counts as one more retry).
    fn when(&self, item: &T) -> Duration;
    /// Forgets `item`'s failures (after it was processed successfully).
    fn forget(&self, item: &T);
    /// How many times `item` has been retried since it was last forgotten.
    fn num_requeues(&self, item: &T) -> u32;
}

fn lock<V>(mutex: &Mutex<V>) -> MutexGuard<'_, V> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Per item: `base * 2^failures`, at most `max`.
pub struct ItemExponential<T> {
    base: Duration,
    max: Duration,
    failures: Mutex<HashMap<T, u32>>,
}

impl<T> ItemExponential<T> {
    /// A limiter starting at `base` and doubling up to `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        Self { base, max, failures: Mutex::new(HashMap::new()) }
    }
}

impl<T> Default for ItemExponential<T> {
    /// 5 ms doubling to 1000 s (client-go's defaults).
    fn default() -> Self {
        Self::new(Duration::from_millis(5), Duration::from_secs(1000))
    }
}

impl<T: Eq + Hash + Clone + Send> RateLimiter<T> for ItemExponential<T> {
    fn when(&self, item: &T) -> Duration {
        let mut failures = lock(&self.failures);
        let count = failures.entry(item.clone()).or_insert(0);
        let exponent = *count;
        *count = count.saturating_add(1);
        // 2^exponent overflows long before it matters: cap the exponent.
        let factor = 2f64.powi(exponent.min(62) as i32);
        let wait = self.base.as_secs_f64() * factor;
        if wait >= self.max.as_secs_f64() { self.max } else { Duration::from_secs_f64(wait) }
    }

    fn forget(&self, item: &T) {
        lock(&self.failures).remove(item);
    }

    fn num_requeues(&self, item: &T) -> u32 {
        lock(&self.failures).get(item).copied().unwrap_or(0)
    }
}

/// Across all items: a token bucket of `qps` per second holding up to `burst` tokens. Each
/// retry takes a token, waiting until one is there (tokens may be taken in advance).
pub struct TokenBucket {
    qps: f64,
    burst: f64,
    /// Tokens (negative when taken in advance) as of the instant.
    state: Mutex<(f64, Option<Instant>)>,
}

impl TokenBucket {
    /// A bucket of `qps` per second, holding `burst`.
    pub fn new(qps: f64, burst: u32) -> Self {
        Self {
            qps: qps.max(f64::MIN_POSITIVE),
            burst: f64::from(burst.max(1)),
            state: Mutex::new((f64::from(burst.max(1)), None)),
        }
    }
}

impl Default for TokenBucket {
    /// 10 per second, burst 100 (client-go's defaults).
    fn default() -> Self {
        Self::new(10.0, 100)
    }
}

impl<T> RateLimiter<T> for TokenBucket {
    fn when(&self, _item: &T) -> Duration {
        let now = Instant::now();
        let mut state = lock(&self.state);
        let (tokens, last) = *state;
        let refilled = match last {
            Some(last) => (tokens + now.saturating_duration_since(last).as_secs_f64() * self.qps).min(self.burst),
            None => tokens,
        };
        let left = refilled - 1.0;
        *state = (left, Some(now));
        if left >= 0.0 { Duration::ZERO } else { Duration::from_secs_f64(-left / self.qps) }
    }

    fn forget(&self, _item: &T) {}

    fn num_requeues(&self, _item: &T) -> u32 {
        0
    }
}

/// The longest wait of several limiters (each is asked every time).
pub struct MaxOf<T> {
    limiters: Vec<Box<dyn RateLimiter<T>>>,
}

impl<T> MaxOf<T> {
    /// The max of `limiters`.
    pub fn new(limiters: Vec<Box<dyn RateLimiter<T>>>) -> Self {
        Self { limiters }
    }
}

impl<T> RateLimiter<T> for MaxOf<T> {
    fn when(&self, item: &T) -> Duration {
        self.limiters.iter().map(|limiter| limiter.when(item)).max().unwrap_or_default()
    }

    fn forget(&self, item: &T) {
        for limiter in &self.limiters {
            limiter.forget(item);
        }
    }

    fn num_requeues(&self, item: &T) -> u32 {
        self.limiters.iter().map(|limiter| limiter.num_requeues(item)).max().unwrap_or(0)
    }
}

/// client-go's `DefaultControllerRateLimiter`: the max of a per-item exponential backoff
/// (5 ms to 1000 s) and a token bucket (10 per second, burst 100).
pub fn default_rate_limiter<T: Eq + Hash + Clone + Send + Sync + 'static>() -> MaxOf<T> {
    MaxOf::new(vec![Box::new(ItemExponential::default()), Box::new(TokenBucket::default())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_item_backoff_doubles_to_its_cap_and_resets_on_forget() {
        let limiter = ItemExponential::new(Duration::from_millis(5), Duration::from_secs(1000));
        let waits: Vec<Duration> = (0..4).map(|_| limiter.when(&"a")).collect();
        assert_eq!(waits, [5, 10, 20, 40].map(Duration::from_millis));
        assert_eq!(limiter.when(&"b"), Duration::from_millis(5), "each item has its own");
        assert_eq!(limiter.num_requeues(&"a"), 4);
        for _ in 0..100 {
            limiter.when(&"a");
        }
        assert_eq!(limiter.when(&"a"), Duration::from_secs(1000));
        limiter.forget(&"a");
        assert_eq!(limiter.num_requeues(&"a"), 0);
        assert_eq!(limiter.when(&"a"), Duration::from_millis(5));
    }

    #[tokio::test(start_paused = true)]
    async fn the_bucket_allows_its_burst_then_its_rate() {
        let bucket = TokenBucket::new(10.0, 100);
        for _ in 0..100 {
            assert_eq!(RateLimiter::<&str>::when(&bucket, &"x"), Duration::ZERO);
        }
        assert_eq!(RateLimiter::<&str>::when(&bucket, &"x"), Duration::from_millis(100));
        assert_eq!(RateLimiter::<&str>::when(&bucket, &"x"), Duration::from_millis(200));
        tokio::time::advance(Duration::from_secs(1)).await;
        // Ten tokens came back; two had been taken in advance.
        let waits: Vec<Duration> = (0..9).map(|_| RateLimiter::<&str>::when(&bucket, &"x")).collect();
        assert!(waits[..8].iter().all(Duration::is_zero), "{waits:?}");
        assert_eq!(waits[8], Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn the_default_is_the_longer_of_both() {
        let limiter = default_rate_limiter::<String>();
        assert_eq!(limiter.when(&"a".to_owned()), Duration::from_millis(5));
        for _ in 0..200 {
            limiter.when(&"storm".to_owned());
        }
        // The bucket is empty now: even a new item waits for a token.
        assert!(limiter.when(&"b".to_owned()) > Duration::from_secs(9));
    }
}
