//! Simulated time: integer nanoseconds since the start of a run.

/// A point in simulated time, or a duration, in nanoseconds.
pub type Nanos = u64;

pub const NS_PER_US: Nanos = 1_000;
pub const NS_PER_MS: Nanos = 1_000_000;
pub const NS_PER_S: Nanos = 1_000_000_000;

/// Milliseconds (possibly fractional) to nanoseconds, rounded to the nearest nanosecond.
pub fn from_ms(ms: f64) -> Nanos {
    if ms <= 0.0 {
        0
    } else {
        (ms * NS_PER_MS as f64).round() as Nanos
    }
}

/// Microseconds (possibly fractional) to nanoseconds.
pub fn from_us(us: f64) -> Nanos {
    if us <= 0.0 {
        0
    } else {
        (us * NS_PER_US as f64).round() as Nanos
    }
}

pub fn from_s(s: f64) -> Nanos {
    from_ms(s * 1_000.0)
}

pub fn to_ms(ns: Nanos) -> f64 {
    ns as f64 / NS_PER_MS as f64
}

pub fn to_s(ns: Nanos) -> f64 {
    ns as f64 / NS_PER_S as f64
}
