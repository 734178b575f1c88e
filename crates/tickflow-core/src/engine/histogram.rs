//! Fixed-bucket histograms: the same bounds on every node, so that several nodes' series
//! add up.

/// Counts per bucket (not cumulative) plus `+Inf`, the sum and the count.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram<const N: usize> {
    pub buckets: [u64; N],
    pub overflow: u64,
    pub sum: f64,
}

impl<const N: usize> Histogram<N> {
    pub const EMPTY: Histogram<N> = Histogram {
        buckets: [0; N],
        overflow: 0,
        sum: 0.0,
    };

    pub fn observe(&mut self, bounds: &[f64; N], seconds: f64) {
        let seconds = seconds.max(0.0);
        self.sum += seconds;
        match bounds.iter().position(|b| seconds <= *b) {
            Some(i) => self.buckets[i] += 1,
            None => self.overflow += 1,
        }
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().sum::<u64>() + self.overflow
    }

    pub(super) fn add(&mut self, other: &Histogram<N>) {
        for (a, b) in self.buckets.iter_mut().zip(other.buckets.iter()) {
            *a += b;
        }
        self.overflow += other.overflow;
        self.sum += other.sum;
    }
}

impl<const N: usize> Default for Histogram<N> {
    fn default() -> Self {
        Self::EMPTY
    }
}
