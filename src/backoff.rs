//! One backoff, with jitter, for everything that waits before trying again:
//! a request AWS keeps throttling, an event whose resource is not readable
//! yet. Jitter keeps replicas and accounts that failed together from
//! retrying in step.

use std::time::Duration;

/// Exponential pauses: `first`, doubled for each further try, at most
/// `max`; each plus up to a quarter more at random.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The pause before retry number `retry` (1 for the first), from `unit`
    /// in [0, 1).
    pub fn delay(&self, retry: u32, unit: f64) -> Duration {
        let doublings = retry.saturating_sub(1).min(30);
        let base = self
            .first
            .saturating_mul(1u32 << doublings.min(31))
            .min(self.max);
        base + base.mul_f64(unit.clamp(0.0, 1.0) / 4.0)
    }

    /// The pause before retry number `retry`, with fresh jitter.
    pub fn next(&self, retry: u32) -> Duration {
        self.delay(retry, random_unit())
    }
}

/// A number in [0, 1).
pub fn random_unit() -> f64 {
    fastrand::f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_the_cap_plus_at_most_a_quarter() {
        let b = Backoff {
            first: Duration::from_secs(2),
            max: Duration::from_secs(300),
        };
        let secs = |retry, unit| b.delay(retry, unit).as_secs_f64();
        let floor: Vec<f64> = [1, 2, 3, 8, 9, 40].iter().map(|&r| secs(r, 0.0)).collect();
        assert_eq!(floor, [2.0, 4.0, 8.0, 256.0, 300.0, 300.0]);
        assert_eq!(secs(3, 0.999_999_9).round(), 10.0, "8 s plus a quarter");
        assert_eq!(secs(u32::MAX, 0.5), 337.5);
        assert_eq!(
            b.delay(0, 0.0),
            Duration::from_secs(2),
            "no retry 0: the first pause"
        );
        for _ in 0..1000 {
            let u = random_unit();
            assert!((0.0..1.0).contains(&u), "{u}");
            let d = b.next(2).as_secs_f64();
            assert!((4.0..5.0).contains(&d), "{d}");
        }
    }
}
