//! Timing and summary statistics.

use std::time::Duration;

/// The median of `samples` (the mean of the middle two for an even count); zero when empty.
pub fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

/// [`median`] of plain figures, with the same rule for an even count; zero when empty.
pub fn median_value(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Runs `f` once untimed (warm-up), then `iterations` times timed; returns the median.
/// `f` returns its own elapsed time, so it can leave set-up and tear-down out of it.
pub fn median_of<F>(iterations: usize, mut f: F) -> anyhow::Result<Duration>
where
    F: FnMut() -> anyhow::Result<Duration>,
{
    f()?;
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        samples.push(f()?);
    }
    Ok(median(&samples))
}

/// `count` per second over `elapsed`.
pub fn per_second(count: f64, elapsed: Duration) -> f64 {
    count / elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = Duration::from_millis;
        assert_eq!(median(&[ms(3), ms(1), ms(2)]), ms(2));
        assert_eq!(median(&[ms(4), ms(1), ms(2), ms(3)]), Duration::from_micros(2500));
        assert_eq!(median(&[]), Duration::ZERO);
    }
}
