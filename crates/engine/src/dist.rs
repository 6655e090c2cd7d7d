//! Durations of handler steps and server costs: constant, uniform, exponential, log-normal.

use serde::{Deserialize, Serialize};

use crate::rng::Rng;
use crate::time::{from_ms, Nanos};

/// The longest single sampled duration: one hour. Heavy-tailed samples are capped here so
/// that every accepted scenario finishes.
pub const MAX_SAMPLE_MS: f64 = 3_600_000.0;

/// A duration distribution, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum Dist {
    /// Always `ms`.
    Constant {
        #[serde(deserialize_with = "crate::field::ms")]
        ms: f64,
    },
    /// Uniform between `min_ms` and `max_ms`.
    Uniform {
        #[serde(deserialize_with = "crate::field::min_ms")]
        min_ms: f64,
        #[serde(deserialize_with = "crate::field::max_ms")]
        max_ms: f64,
    },
    /// Exponential with mean `mean_ms` (memoryless service, as in M/M/c).
    Exponential {
        #[serde(deserialize_with = "crate::field::mean_ms")]
        mean_ms: f64,
    },
    /// Log-normal with median `median_ms` and shape `sigma` (the usual shape of real latencies).
    Lognormal {
        #[serde(deserialize_with = "crate::field::median_ms")]
        median_ms: f64,
        #[serde(deserialize_with = "crate::field::sigma")]
        sigma: f64,
    },
}

impl Dist {
    pub fn constant_ms(ms: f64) -> Dist {
        Dist::Constant { ms }
    }

    pub fn sample(&self, rng: &mut Rng) -> Nanos {
        let ms = match *self {
            Dist::Constant { ms } => ms,
            Dist::Uniform { min_ms, max_ms } => min_ms + (max_ms - min_ms) * rng.next_f64(),
            Dist::Exponential { mean_ms } => rng.next_exp(mean_ms),
            Dist::Lognormal { median_ms, sigma } => median_ms * (sigma * rng.next_normal()).exp(),
        };
        from_ms(ms.clamp(0.0, MAX_SAMPLE_MS))
    }

    /// The mean of the distribution (before capping), in milliseconds.
    pub fn mean_ms(&self) -> f64 {
        match *self {
            Dist::Constant { ms } => ms,
            Dist::Uniform { min_ms, max_ms } => (min_ms + max_ms) / 2.0,
            Dist::Exponential { mean_ms } => mean_ms,
            Dist::Lognormal { median_ms, sigma } => median_ms * (sigma * sigma / 2.0).exp(),
        }
    }

    pub fn is_random(&self) -> bool {
        !matches!(self, Dist::Constant { .. })
    }

    /// Short human text, e.g. `10 s`, `uniform 5–15 ms`.
    pub fn describe(&self) -> String {
        match *self {
            Dist::Constant { ms } => fmt_ms(ms),
            Dist::Uniform { min_ms, max_ms } => {
                format!("uniform {}–{}", fmt_ms(min_ms), fmt_ms(max_ms))
            }
            Dist::Exponential { mean_ms } => format!("exponential, mean {}", fmt_ms(mean_ms)),
            Dist::Lognormal { median_ms, sigma } => {
                format!("log-normal, median {}, σ {sigma}", fmt_ms(median_ms))
            }
        }
    }
}

/// `1500` → `1.5 s`, `0.2` → `200 µs`, `12` → `12 ms`.
pub fn fmt_ms(ms: f64) -> String {
    fn trim(x: f64) -> String {
        let s = format!("{x:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    }
    if ms >= 1000.0 {
        format!("{} s", trim(ms / 1000.0))
    } else if ms >= 1.0 || ms == 0.0 {
        format!("{} ms", trim(ms))
    } else {
        format!("{} µs", trim(ms * 1000.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_is_exact() {
        let mut r = Rng::new(1, 1);
        assert_eq!(Dist::constant_ms(10_000.0).sample(&mut r), 10_000_000_000);
        assert_eq!(Dist::constant_ms(0.25).sample(&mut r), 250_000);
    }

    #[test]
    fn sample_means_match() {
        let mut r = Rng::new(3, 1);
        for d in [
            Dist::Uniform {
                min_ms: 5.0,
                max_ms: 15.0,
            },
            Dist::Exponential { mean_ms: 10.0 },
            Dist::Lognormal {
                median_ms: 8.0,
                sigma: 0.5,
            },
        ] {
            let n = 100_000;
            let mean: f64 = (0..n).map(|_| d.sample(&mut r) as f64 / 1e6).sum::<f64>() / n as f64;
            let rel = (mean - d.mean_ms()).abs() / d.mean_ms();
            assert!(rel < 0.02, "{d:?}: sample mean {mean} vs {}", d.mean_ms());
        }
    }

    #[test]
    fn samples_are_capped() {
        let mut r = Rng::new(3, 1);
        let d = Dist::Lognormal {
            median_ms: MAX_SAMPLE_MS,
            sigma: 3.0,
        };
        for _ in 0..1000 {
            assert!(d.sample(&mut r) <= from_ms(MAX_SAMPLE_MS));
        }
    }

    #[test]
    fn formats() {
        assert_eq!(fmt_ms(10_000.0), "10 s");
        assert_eq!(fmt_ms(1_500.0), "1.5 s");
        assert_eq!(fmt_ms(12.0), "12 ms");
        assert_eq!(fmt_ms(0.2), "200 µs");
    }
}
