//! Linear scales with "nice" ticks (1, 2, 5 × 10ⁿ) and time labels.

/// Maps a data interval onto a pixel interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Scale {
    pub fn new(domain: (f64, f64), range: (f64, f64)) -> Scale {
        let (mut d0, mut d1) = domain;
        if d1 <= d0 {
            d1 = d0 + 1.0;
        }
        if !d0.is_finite() || !d1.is_finite() {
            d0 = 0.0;
            d1 = 1.0;
        }
        Scale {
            d0,
            d1,
            r0: range.0,
            r1: range.1,
        }
    }

    pub fn map(&self, x: f64) -> f64 {
        self.r0 + (x - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }

    pub fn invert(&self, px: f64) -> f64 {
        self.d0 + (px - self.r0) / (self.r1 - self.r0) * (self.d1 - self.d0)
    }

    /// About `count` round tick values inside the domain.
    pub fn ticks(&self, count: usize) -> Vec<f64> {
        nice_ticks(self.d0, self.d1, count)
    }
}

/// The step of about `count` intervals over `span`: 1, 2 or 5 × 10ⁿ.
pub fn nice_step(span: f64, count: usize) -> f64 {
    let raw = span / count.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let m = if norm < 1.5 {
        1.0
    } else if norm < 3.0 {
        2.0
    } else if norm < 7.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

pub fn nice_ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    if hi <= lo || !lo.is_finite() || !hi.is_finite() {
        return vec![lo];
    }
    let step = nice_step(hi - lo, count);
    let first = (lo / step).ceil() * step;
    let mut out = Vec::new();
    let mut i = 0.0;
    loop {
        let v = first + i * step;
        if v > hi + step * 1e-9 || out.len() > 50 {
            break;
        }
        // Snap -0.0 and float noise: k × step, computed as k / (1 / step) for fractional
        // steps so that 3 × 0.2 prints as 0.6.
        let k = (v / step).round();
        let snapped = if step < 1.0 {
            k / (1.0 / step).round()
        } else {
            k * step
        };
        out.push(if v.abs() < step * 1e-9 { 0.0 } else { snapped });
        i += 1.0;
    }
    out
}

/// A compact time label for a value in ms: `250 µs`, `12 ms`, `1.5 s`, `2 min`.
pub fn fmt_time_ms(ms: f64) -> String {
    fn trim(x: f64, digits: usize) -> String {
        let s = format!("{x:.digits$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
    let a = ms.abs();
    if a == 0.0 {
        "0".to_string()
    } else if a < 1.0 {
        format!("{} µs", trim(ms * 1000.0, 1))
    } else if a < 1000.0 {
        format!("{} ms", trim(ms, 2))
    } else if a < 120_000.0 {
        format!("{} s", trim(ms / 1000.0, 3))
    } else {
        format!("{} min", trim(ms / 60_000.0, 2))
    }
}

/// Latency axes are logarithmic when the largest value is more than this many times the
/// smallest.
pub const LOG_RATIO: f64 = 50.0;

/// Maps a positive data interval onto a pixel interval logarithmically.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogScale {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl LogScale {
    /// A log scale over `domain` (non-positive or empty domains are widened to something
    /// drawable).
    pub fn new(domain: (f64, f64), range: (f64, f64)) -> LogScale {
        let (mut d0, mut d1) = domain;
        if d0 <= 0.0 || !d0.is_finite() {
            d0 = if d1 > 0.0 && d1.is_finite() {
                d1 / 10.0
            } else {
                1.0
            };
        }
        if d1 <= d0 || !d1.is_finite() {
            d1 = d0 * 10.0;
        }
        LogScale {
            d0,
            d1,
            r0: range.0,
            r1: range.1,
        }
    }

    pub fn map(&self, x: f64) -> f64 {
        let x = x.max(self.d0 * 1e-6).max(f64::MIN_POSITIVE);
        self.r0 + (x.ln() - self.d0.ln()) / (self.d1.ln() - self.d0.ln()) * (self.r1 - self.r0)
    }

    pub fn invert(&self, px: f64) -> f64 {
        let f = (px - self.r0) / (self.r1 - self.r0);
        (self.d0.ln() + f * (self.d1.ln() - self.d0.ln())).exp()
    }

    /// 1-2-5 ticks per decade inside the domain (only powers of ten when that would make
    /// more than `max` ticks).
    pub fn ticks(&self, max: usize) -> Vec<f64> {
        log_ticks(self.d0, self.d1, max)
    }
}

/// Ticks at 1, 2 and 5 × 10ⁿ in `[lo, hi]`; when there are more than `max`, only the powers
/// of ten (and, if even those are too many, every k-th of them).
pub fn log_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    if lo <= 0.0 || hi < lo || !lo.is_finite() || !hi.is_finite() {
        return Vec::new();
    }
    let max = max.max(2);
    let eps = 1e-9;
    let first = lo.log10().floor() as i32;
    let last = hi.log10().ceil() as i32;
    let in_range = |v: f64| v >= lo * (1.0 - eps) && v <= hi * (1.0 + eps);
    let mut all = Vec::new();
    let mut decades = Vec::new();
    for e in first..=last {
        let p = 10f64.powi(e);
        for m in [1.0, 2.0, 5.0] {
            let v = m * p;
            if in_range(v) {
                all.push(v);
                if m == 1.0 {
                    decades.push(v);
                }
            }
        }
    }
    if all.len() <= max {
        return all;
    }
    if decades.len() <= max {
        return decades;
    }
    let k = decades.len().div_ceil(max);
    decades.into_iter().step_by(k).collect()
}

/// A scale that is either linear or logarithmic (the axis-drawing code needs no branch).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AxisScale {
    Linear(Scale),
    Log(LogScale),
}

impl AxisScale {
    pub fn map(&self, x: f64) -> f64 {
        match self {
            AxisScale::Linear(s) => s.map(x),
            AxisScale::Log(s) => s.map(x),
        }
    }

    pub fn invert(&self, px: f64) -> f64 {
        match self {
            AxisScale::Linear(s) => s.invert(px),
            AxisScale::Log(s) => s.invert(px),
        }
    }

    pub fn ticks(&self, count: usize) -> Vec<f64> {
        match self {
            AxisScale::Linear(s) => s.ticks(count),
            AxisScale::Log(s) => s.ticks(count * 2 + 1),
        }
    }

    pub fn is_log(&self) -> bool {
        matches!(self, AxisScale::Log(_))
    }

    /// The domain.
    pub fn domain(&self) -> (f64, f64) {
        match self {
            AxisScale::Linear(s) => (s.d0, s.d1),
            AxisScale::Log(s) => (s.d0, s.d1),
        }
    }
}

/// `[lo, hi]` widened to whole steps of about `count` nice intervals, so the axis ends on a
/// tick.
pub fn nice_domain(lo: f64, hi: f64, count: usize) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if hi <= lo {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return nice_domain(lo - if lo == 0.0 { 0.0 } else { pad }, hi + pad, count);
    }
    let step = nice_step(hi - lo, count);
    ((lo / step).floor() * step, (hi / step).ceil() * step)
}

/// A latency or duration with three significant digits: `250 µs`, `11.2 ms`, `148 ms`,
/// `20.0 s`, `3.00 min`.
pub fn fmt_duration_ms(ms: f64) -> String {
    fn sig3(x: f64) -> (String, bool) {
        // Digits after the point for three significant digits; `true` when it rounds to 1000.
        let int_digits = if x < 1.0 {
            1
        } else {
            x.log10().floor() as i32 + 1
        };
        let dec = (3 - int_digits).max(0) as usize;
        let s = format!("{x:.dec$}");
        let overflow = s.parse::<f64>().is_ok_and(|v| v >= 1000.0);
        (s, overflow)
    }
    if !ms.is_finite() {
        return "–".to_string();
    }
    let sign = if ms < 0.0 { "-" } else { "" };
    let a = ms.abs();
    if a == 0.0 {
        return "0 ms".to_string();
    }
    let units: [(f64, f64, &str); 4] = [
        (1.0, 1e-3, "µs"),
        (1000.0, 1.0, "ms"),
        (60_000.0, 1000.0, "s"),
        (f64::INFINITY, 60_000.0, "min"),
    ];
    for (i, (below, per, unit)) in units.iter().enumerate() {
        if a < *below || i == units.len() - 1 {
            let (s, overflow) = sig3(a / per);
            if overflow && i + 1 < units.len() && *unit != "s" {
                let (next_per, next_unit) = (units[i + 1].1, units[i + 1].2);
                let (s, _) = sig3(a / next_per);
                return format!("{sign}{s} {next_unit}");
            }
            return format!("{sign}{s} {unit}");
        }
    }
    unreachable!("the last unit takes everything")
}

/// Labels for the time ticks `ticks` (ms, evenly spaced): [`fmt_time_ms`] when that tells
/// every tick apart, otherwise one unit for all with as many decimals as the step needs.
pub fn tick_labels_ms(ticks: &[f64]) -> Vec<String> {
    let plain: Vec<String> = ticks.iter().map(|&t| fmt_time_ms(t)).collect();
    if plain.windows(2).all(|w| w[0] != w[1]) {
        return plain;
    }
    let biggest = ticks.iter().fold(0f64, |m, t| m.max(t.abs()));
    let (per, unit) = if biggest < 1.0 {
        (1e-3, "µs")
    } else if biggest < 1000.0 {
        (1.0, "ms")
    } else if biggest < 120_000.0 {
        (1000.0, "s")
    } else {
        (60_000.0, "min")
    };
    let step = ticks
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(f64::INFINITY, f64::min);
    let step = if step.is_finite() && step > 0.0 {
        step / per
    } else {
        1.0
    };
    let dec = (-step.log10()).ceil().clamp(0.0, 9.0) as usize;
    ticks
        .iter()
        .map(|&t| {
            if t == 0.0 {
                "0".to_string()
            } else {
                format!("{:.dec$} {unit}", t / per)
            }
        })
        .collect()
}

/// A point in time (ms) precise enough to tell segment ends apart: `0.32 ms`,
/// `10000.32 ms` is `10.00032 s`.
pub fn fmt_instant_ms(ms: f64) -> String {
    fn trim(s: String) -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
    if ms == 0.0 {
        "0 ms".to_string()
    } else if ms.abs() < 1000.0 {
        format!("{} ms", trim(format!("{ms:.4}")))
    } else {
        format!("{} s", trim(format!("{:.7}", ms / 1000.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_and_inverts() {
        let s = Scale::new((0.0, 10.0), (0.0, 100.0));
        assert_eq!(s.map(2.5), 25.0);
        assert_eq!(s.invert(25.0), 2.5);
        let flat = Scale::new((5.0, 5.0), (0.0, 10.0));
        assert_eq!(flat.map(5.0), 0.0);
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(
            nice_ticks(0.0, 20_000.0, 5),
            vec![0.0, 5000.0, 10_000.0, 15_000.0, 20_000.0]
        );
        assert_eq!(nice_ticks(0.3, 1.1, 4), vec![0.4, 0.6, 0.8, 1.0]);
        assert_eq!(nice_ticks(3.0, 3.0, 4), vec![3.0]);
    }

    #[test]
    fn time_labels() {
        assert_eq!(fmt_time_ms(0.25), "250 µs");
        assert_eq!(fmt_time_ms(12.0), "12 ms");
        assert_eq!(fmt_time_ms(10_000.38), "10 s");
        assert_eq!(fmt_time_ms(1_500.0), "1.5 s");
        assert_eq!(fmt_time_ms(180_000.0), "3 min");
    }
    #[test]
    fn log_scale_maps_decades_evenly() {
        let s = LogScale::new((1.0, 1000.0), (0.0, 300.0));
        assert!((s.map(10.0) - 100.0).abs() < 1e-9);
        assert!((s.map(100.0) - 200.0).abs() < 1e-9);
        assert!((s.invert(200.0) - 100.0).abs() < 1e-9);
        // A non-positive domain still draws.
        let z = LogScale::new((0.0, 50.0), (0.0, 1.0));
        assert_eq!((z.d0, z.d1), (5.0, 50.0));
    }

    #[test]
    fn log_ticks_are_1_2_5_per_decade() {
        assert_eq!(
            log_ticks(1.0, 100.0, 20),
            vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
        );
        assert_eq!(
            log_ticks(3.0, 600.0, 20),
            vec![5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0]
        );
        // Too many: powers of ten only, then every other one.
        assert_eq!(
            log_ticks(0.1, 10_000.0, 6),
            vec![0.1, 1.0, 10.0, 100.0, 1000.0, 10_000.0]
        );
        assert_eq!(log_ticks(0.001, 1e6, 5).len(), 5);
        assert!(log_ticks(0.0, 1.0, 5).is_empty());
    }

    #[test]
    fn nice_domains_end_on_ticks() {
        assert_eq!(nice_domain(0.0, 20_000.59, 5), (0.0, 25_000.0));
        assert_eq!(nice_domain(11.2, 150.0, 5), (0.0, 160.0));
        assert_eq!(nice_domain(0.0, 0.0, 5), (0.0, 1.0));
        let (lo, hi) = nice_domain(5.0, 5.0, 4);
        assert!(lo <= 5.0 && hi > 5.0);
    }

    #[test]
    fn durations_have_three_significant_digits() {
        assert_eq!(fmt_duration_ms(0.0), "0 ms");
        assert_eq!(fmt_duration_ms(0.25), "250 µs");
        assert_eq!(fmt_duration_ms(11.21), "11.2 ms");
        assert_eq!(fmt_duration_ms(147.6), "148 ms");
        assert_eq!(fmt_duration_ms(999.7), "1.00 s");
        assert_eq!(fmt_duration_ms(20_000.59), "20.0 s");
        assert_eq!(fmt_duration_ms(1_500.0), "1.50 s");
        assert_eq!(fmt_duration_ms(59_999.0), "60.0 s");
        assert_eq!(fmt_duration_ms(180_000.0), "3.00 min");
    }

    #[test]
    fn tick_labels_tell_ticks_apart() {
        assert_eq!(
            tick_labels_ms(&[0.0, 5000.0, 10_000.0]),
            vec!["0", "5 s", "10 s"]
        );
        // fmt_time_ms would print "10 s" three times here.
        assert_eq!(
            tick_labels_ms(&[10_000.0, 10_000.2, 10_000.4]),
            vec!["10.0000 s", "10.0002 s", "10.0004 s"]
        );
    }
    #[test]
    fn instants_keep_their_precision() {
        assert_eq!(fmt_instant_ms(0.0), "0 ms");
        assert_eq!(fmt_instant_ms(0.32), "0.32 ms");
        assert_eq!(fmt_instant_ms(10_000.32), "10.00032 s");
        assert_eq!(fmt_instant_ms(20_000.0), "20 s");
    }
}
