//! Latency statistics. Small sample sets (`http` with `samples:`) use exact nearest-rank
//! percentiles; the `load` probe records into an HDR histogram (microsecond resolution,
//! 3 significant digits) so memory stays constant however many requests run.

use std::time::Duration;

use hdrhistogram::Histogram;

/// Nearest-rank percentile (`q` in 0..=100) of values already sorted ascending.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Latencies in a constant-memory HDR histogram.
#[derive(Clone)]
pub struct LatencyHistogram {
    hist: Histogram<u64>,
}

/// Highest latency the histogram tracks exactly (1 hour, in microseconds); longer ones saturate.
const MAX_TRACKED_US: u64 = 3_600_000_000;

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    pub fn new() -> Self {
        let hist = Histogram::new_with_bounds(1, MAX_TRACKED_US, 3)
            .expect("static histogram bounds are valid");
        LatencyHistogram { hist }
    }

    pub fn record(&mut self, d: Duration) {
        let us = (d.as_micros() as u64).clamp(1, MAX_TRACKED_US);
        self.hist.saturating_record(us);
    }

    pub fn merge(&mut self, other: &LatencyHistogram) {
        // Same bounds on both sides, so `add` cannot fail.
        let _ = self.hist.add(&other.hist);
    }

    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// Percentile (`q` in 0..=100) in milliseconds.
    pub fn percentile_ms(&self, q: f64) -> f64 {
        if self.hist.is_empty() {
            return 0.0;
        }
        self.hist.value_at_quantile(q / 100.0) as f64 / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        if self.hist.is_empty() { 0.0 } else { self.hist.max() as f64 / 1000.0 }
    }

    pub fn mean_ms(&self) -> f64 {
        self.hist.mean() / 1000.0
    }
}

/// Milliseconds rounded to three decimals, for measurements and evidence.
pub fn ms(d: Duration) -> f64 {
    round3(d.as_secs_f64() * 1000.0)
}

pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 95.0), 95.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&[7.0], 50.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn histogram_percentiles_within_precision() {
        let mut a = LatencyHistogram::new();
        let mut b = LatencyHistogram::new();
        for i in 1..=500u64 {
            a.record(Duration::from_millis(i));
        }
        for i in 501..=1000u64 {
            b.record(Duration::from_millis(i));
        }
        a.merge(&b);
        assert_eq!(a.count(), 1000);
        assert!((a.percentile_ms(50.0) - 500.0).abs() < 1.0, "{}", a.percentile_ms(50.0));
        assert!((a.percentile_ms(99.0) - 990.0).abs() < 1.0);
        assert!((a.max_ms() - 1000.0).abs() < 1.0);
    }
}
