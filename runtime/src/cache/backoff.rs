//! The reflector's backoff: exponential with jitter, reset after a healthy while.
//!
//! client-go's defaults (`reflector.go`): 800 ms doubling to 30 s, with up to 100 % jitter, and
//! back to 800 ms after two minutes without a failure. At the cap an unhealthy reflector
//! tries about every 30-60 s, which keeps thousands of informers from storming a recovering
//! API server.

use std::time::{Duration, Instant};

/// Backoff settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BackoffSettings {
    /// The first delay.
    pub initial: Duration,
    /// The largest delay (before jitter).
    pub max: Duration,
    /// Each failure multiplies the delay by this.
    pub factor: f64,
    /// Up to this fraction of the delay is added at random.
    pub jitter: f64,
    /// A failure after this long without one starts again from `initial`.
    pub reset_after: Duration,
}

impl Default for BackoffSettings {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(800),
            max: Duration::from_secs(30),
            factor: 2.0,
            jitter: 1.0,
            reset_after: Duration::from_secs(120),
        }
    }
}

/// The delays before retries, as failures come.
#[derive(Debug)]
pub struct Backoff {
    settings: BackoffSettings,
    next: Duration,
    last_failure: Option<Instant>,
}

impl Backoff {
    /// A backoff with `settings`.
    pub fn new(settings: BackoffSettings) -> Self {
        Self { settings, next: settings.initial, last_failure: None }
    }

    /// The delay after a failure at `now`.
    pub fn next_delay(&mut self, now: Instant) -> Duration {
        if self.last_failure.is_some_and(|last| now.saturating_duration_since(last) >= self.settings.reset_after) {
            self.next = self.settings.initial;
        }
        self.last_failure = Some(now);
        let base = self.next;
        self.next = base.mul_f64(self.settings.factor).min(self.settings.max);
        base + base.mul_f64(self.settings.jitter * fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_cap_and_resets_after_health() {
        let settings = BackoffSettings::default();
        let mut backoff = Backoff::new(settings);
        let start = Instant::now();
        let delays: Vec<Duration> = (0..8).map(|i| backoff.next_delay(start + Duration::from_secs(i))).collect();
        for (delay, base) in delays.iter().zip([0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0]) {
            let base = Duration::from_secs_f64(base);
            assert!(*delay >= base && *delay <= base * 2, "{delay:?} for base {base:?}");
        }
        let after_health = backoff.next_delay(start + Duration::from_secs(8 + 121));
        assert!(after_health <= Duration::from_millis(1600), "{after_health:?}");
    }
}
