//! Client-side rate limiting: a token bucket shared by every request of a client.
//!
//! Tokens accrue at `qps` per second up to `burst`. A request takes one; when none is left it
//! reserves the next one and sleeps until then, so waiting requests are served in order and
//! never more than `qps` on average. Watch requests are not limited (their first attempt, as
//! in client-go): a watch is one long request, and limiting it would only delay informers.

use std::time::{Duration, Instant};

use crate::config::RateLimit;

/// A token bucket.
#[derive(Debug)]
pub struct RateLimiter {
    qps: f64,
    burst: f64,
    state: std::sync::Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    /// Tokens available at `at`; negative when requests have reserved future tokens.
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    /// A full bucket for `limit`.
    pub fn new(limit: RateLimit) -> Self {
        let burst = f64::from(limit.burst.max(1));
        Self {
            qps: limit.qps.max(f64::MIN_POSITIVE),
            burst,
            state: std::sync::Mutex::new(Bucket { tokens: burst, at: Instant::now() }),
        }
    }

    /// Takes a token, and returns how long the caller must wait before using it.
    pub fn reserve(&self) -> Duration {
        let now = Instant::now();
        let mut bucket = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.qps).min(self.burst) - 1.0;
        bucket.at = now;
        if bucket.tokens >= 0.0 { Duration::ZERO } else { Duration::from_secs_f64(-bucket.tokens / self.qps) }
    }

    /// Waits for a token.
    pub async fn acquire(&self) {
        let wait = self.reserve();
        if wait.is_zero() {
            return;
        }
        if wait > Duration::from_secs(1) {
            tracing::info!("waited {wait:.1?} because of client-side rate limiting ({} requests/s)", self.qps);
        } else {
            tracing::debug!("waiting {wait:.1?} because of client-side rate limiting");
        }
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_a_burst_then_paces() {
        let limiter = RateLimiter::new(RateLimit { qps: 10.0, burst: 3 });
        for _ in 0..3 {
            assert_eq!(limiter.reserve(), Duration::ZERO);
        }
        let first = limiter.reserve();
        let second = limiter.reserve();
        assert!(first > Duration::from_millis(90) && first <= Duration::from_millis(100), "{first:?}");
        assert!(second > Duration::from_millis(190) && second <= Duration::from_millis(200), "{second:?}");
    }
}
