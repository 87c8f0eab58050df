//! Reconnection delays: exponential backoff with jitter drawn from a caller-seeded generator.

use core::time::Duration;

/// The delay policy of the reference client's manager: `delay * 2^attempt`, moved up or down by
/// at most `randomization_factor` of itself, capped at `delay_max`.
#[derive(Debug, Clone)]
pub(super) struct Backoff {
    delay: Duration,
    max: Duration,
    /// Thousandths (0..=1000) of the delay that jitter may add or remove.
    jitter_permille: u32,
    state: u64,
    attempts: u32,
}

impl Backoff {
    pub(super) fn new(delay: Duration, max: Duration, jitter_permille: u32, seed: u64) -> Self {
        Backoff {
            delay,
            max,
            jitter_permille: jitter_permille.min(1000),
            state: seed,
            attempts: 0,
        }
    }

    /// Attempts made since the last [`reset`](Self::reset).
    pub(super) fn attempts(&self) -> u32 {
        self.attempts
    }

    pub(super) fn reset(&mut self) {
        self.attempts = 0;
    }

    /// SplitMix64: a tiny, well-mixed generator; jitter needs spread, not secrecy.
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The delay before the next attempt (and counts the attempt).
    pub(super) fn next_delay(&mut self) -> Duration {
        let exp = self.attempts.min(31);
        self.attempts = self.attempts.saturating_add(1);
        let base = self
            .delay
            .checked_mul(1u32 << exp)
            .unwrap_or(self.max)
            .min(self.max.max(self.delay));
        let ms = u64::try_from(base.as_millis()).unwrap_or(u64::MAX);
        let r = self.next_u64();
        // Deviation: up to jitter_permille/1000 of the delay, uniformly; the lowest bit picks
        // the direction.
        let span = ms.saturating_mul(u64::from(self.jitter_permille)) / 1000;
        let dev = if span == 0 { 0 } else { (r >> 1) % (span + 1) };
        let ms = if r & 1 == 0 {
            ms - dev
        } else {
            ms.saturating_add(dev)
        };
        Duration::from_millis(ms).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_without_jitter() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(5), 0, 7);
        let got: [u64; 5] = core::array::from_fn(|_| b.next_delay().as_millis() as u64);
        assert_eq!(got, [1000, 2000, 4000, 5000, 5000]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_secs(1));
    }

    #[test]
    fn jitter_stays_within_the_factor_and_depends_on_the_seed_only() {
        let mut a = Backoff::new(Duration::from_secs(1), Duration::from_secs(60), 500, 42);
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60), 500, 42);
        let mut seen_low = false;
        let mut seen_high = false;
        for i in 0..20 {
            let d = a.next_delay();
            assert_eq!(d, b.next_delay());
            let base = (1000u64 << i.min(31)).min(60_000);
            let ms = d.as_millis() as u64;
            assert!(
                ms >= base / 2 && ms <= (base + base / 2).min(60_000),
                "{i}: {ms}"
            );
            seen_low |= ms < base;
            seen_high |= ms > base;
        }
        assert!(seen_low && seen_high);
    }
}
