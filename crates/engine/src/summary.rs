//! Statistics of a run: percentiles as ApacheBench computes them, ab's Connection Times table,
//! utilisation and event-loop lag.
//!
//! Values are kept exactly up to [`EXACT_LIMIT`] samples; beyond that they move into a
//! log-linear histogram (HdrHistogram-style, 2^7 sub-buckets per power of two), whose
//! percentiles are within [`HISTOGRAM_RELATIVE_ERROR`] of the exact value. Memory stays bounded
//! whatever the number of requests.

use serde::{Deserialize, Serialize};

use crate::time::{to_ms, Nanos};

/// Samples kept exactly before switching to the histogram.
pub const EXACT_LIMIT: usize = 100_000;
const SUB_BITS: u32 = 7;
/// Largest relative error of a histogram percentile (half a sub-bucket).
pub const HISTOGRAM_RELATIVE_ERROR: f64 = 1.0 / (1u64 << (SUB_BITS + 1)) as f64;

/// ab's percentile table.
pub const AB_PERCENTILES: [u32; 9] = [50, 66, 75, 80, 90, 95, 98, 99, 100];

#[derive(Clone, Debug, Default)]
struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Histogram {
    fn index(v: u64) -> usize {
        let sub = 1u64 << SUB_BITS;
        if v < sub {
            v as usize
        } else {
            let exp = 63 - v.leading_zeros(); // floor(log2 v) >= SUB_BITS
            let shift = exp - SUB_BITS;
            let mantissa = (v >> shift) - sub; // 0..sub
            (sub + (shift as u64) * sub + mantissa) as usize
        }
    }

    /// The midpoint of bucket `i`.
    fn value(i: usize) -> u64 {
        let sub = 1u64 << SUB_BITS;
        let i = i as u64;
        if i < sub {
            i
        } else {
            let shift = (i - sub) / sub;
            let mantissa = (i - sub) % sub + sub;
            let lo = mantissa << shift;
            lo + ((1u64 << shift) >> 1)
        }
    }

    fn add(&mut self, v: u64) {
        let i = Self::index(v);
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
        self.total += 1;
    }

    /// The value of rank `rank` (0-based) in sorted order.
    fn at_rank(&self, rank: u64) -> u64 {
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen > rank {
                return Self::value(i);
            }
        }
        0
    }
}

/// A set of values from which percentiles are read by rank, as ab does
/// (`sorted[n * p / 100]`).
#[derive(Clone, Debug, Default)]
pub struct Quantiles {
    exact: Vec<u64>,
    sorted: bool,
    hist: Option<Histogram>,
    n: u64,
    sum: f64,
    sum_sq: f64,
    min: u64,
    max: u64,
}

impl Quantiles {
    pub fn add(&mut self, v: u64) {
        if self.n == 0 || v < self.min {
            self.min = v;
        }
        self.max = self.max.max(v);
        self.n += 1;
        let x = v as f64;
        self.sum += x;
        self.sum_sq += x * x;
        match &mut self.hist {
            Some(h) => h.add(v),
            None => {
                self.exact.push(v);
                self.sorted = false;
                if self.exact.len() > EXACT_LIMIT {
                    let mut h = Histogram::default();
                    for &e in &self.exact {
                        h.add(e);
                    }
                    self.exact = Vec::new();
                    self.hist = Some(h);
                }
            }
        }
    }

    pub fn len(&self) -> u64 {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    pub fn is_exact(&self) -> bool {
        self.hist.is_none()
    }

    pub fn min(&self) -> u64 {
        self.min
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    pub fn mean(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sum / self.n as f64
        }
    }

    /// Sample standard deviation (n − 1), as ab prints.
    pub fn sd(&self) -> f64 {
        if self.n < 2 {
            return 0.0;
        }
        let n = self.n as f64;
        ((self.sum_sq - self.sum * self.sum / n) / (n - 1.0))
            .max(0.0)
            .sqrt()
    }

    fn sort(&mut self) {
        if !self.sorted {
            self.exact.sort_unstable();
            self.sorted = true;
        }
    }

    /// Value at 0-based rank in sorted order.
    pub fn at_rank(&mut self, rank: u64) -> u64 {
        if self.n == 0 {
            return 0;
        }
        let rank = rank.min(self.n - 1);
        if rank == self.n - 1 {
            return self.max;
        }
        if rank == 0 {
            return self.min;
        }
        match &self.hist {
            Some(h) => h.at_rank(rank).clamp(self.min, self.max),
            None => {
                self.sort();
                self.exact[rank as usize]
            }
        }
    }

    /// ab's percentile: `sorted[n * p / 100]`, and the maximum at 100 %. `permille` allows
    /// p99.9 (= 999).
    pub fn percentile_permille(&mut self, permille: u32) -> u64 {
        if permille >= 1000 {
            return self.max;
        }
        self.at_rank(self.n * permille as u64 / 1000)
    }

    pub fn percentile(&mut self, p: u32) -> u64 {
        self.percentile_permille(p * 10)
    }

    /// ab's median: the mean of the two middle values for an even count.
    pub fn median(&mut self) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        if self.n > 1 && self.n.is_multiple_of(2) {
            (self.at_rank(self.n / 2 - 1) as f64 + self.at_rank(self.n / 2) as f64) / 2.0
        } else {
            self.at_rank(self.n / 2) as f64
        }
    }

    /// Every value with its count (exact values, or histogram bucket midpoints), ascending.
    fn each(&mut self, mut f: impl FnMut(u64, u64)) {
        match &self.hist {
            Some(h) => {
                for (i, &c) in h.counts.iter().enumerate() {
                    if c > 0 {
                        f(Histogram::value(i).clamp(self.min, self.max), c);
                    }
                }
            }
            None => {
                self.sort();
                for &v in &self.exact {
                    f(v, 1);
                }
            }
        }
    }

    /// Counts in `bins` equal-width bins (or, with `log`, equal-ratio bins) spanning min..max.
    pub fn histogram(&mut self, bins: usize, log: bool) -> Vec<HistBin> {
        if self.n == 0 || bins == 0 {
            return Vec::new();
        }
        let lo = to_ms(self.min);
        let hi = to_ms(self.max).max(lo + 1e-6);
        let log = log && lo > 0.0 && hi / lo > 10.0;
        let edge = |i: usize| {
            let f = i as f64 / bins as f64;
            if log {
                lo * (hi / lo).powf(f)
            } else {
                lo + (hi - lo) * f
            }
        };
        let mut out: Vec<HistBin> = (0..bins)
            .map(|i| HistBin {
                from_ms: edge(i),
                to_ms: edge(i + 1),
                count: 0,
            })
            .collect();
        let mut b = 0;
        self.each(|v, c| {
            let x = to_ms(v);
            while b + 1 < bins && x >= out[b].to_ms {
                b += 1;
            }
            out[b].count += c;
        });
        out
    }

    /// Sorted values (exact mode) or histogram midpoints with counts, for CDFs.
    pub fn cdf_points(&mut self, max_points: usize) -> Vec<(f64, f64)> {
        let n = self.n;
        if n == 0 {
            return Vec::new();
        }
        let max_points = max_points.max(2) as u64;
        let steps = n.min(max_points);
        (0..=steps)
            .map(|i| {
                let rank = ((i * (n - 1)) / steps.max(1)).min(n - 1);
                (to_ms(self.at_rank(rank)), (rank + 1) as f64 / n as f64)
            })
            .collect()
    }
}

/// A bin of a latency histogram.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistBin {
    pub from_ms: f64,
    pub to_ms: f64,
    pub count: u64,
}

/// One row of ab's Connection Times table, in ms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ColumnStats {
    pub min: f64,
    pub mean: f64,
    pub sd: f64,
    pub median: f64,
    pub max: f64,
}

impl ColumnStats {
    pub fn of(q: &mut Quantiles) -> ColumnStats {
        ColumnStats {
            min: to_ms(q.min()),
            mean: q.mean() / 1e6,
            sd: q.sd() / 1e6,
            median: q.median() / 1e6,
            max: to_ms(q.max()),
        }
    }
}

/// The summary of a run (all times in ms).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Requests answered.
    pub completed: u64,
    /// Requests that failed (any reason), and per reason.
    pub failed: u64,
    pub failed_client_timeout: u64,
    pub failed_connect: u64,
    pub failed_worker_killed: u64,
    pub failed_unfinished: u64,
    /// From the first send to the last response or failure.
    pub makespan_ms: f64,
    /// Completed requests per second of makespan.
    pub rps: f64,
    pub mean_ms: f64,
    pub sd_ms: f64,
    pub min_ms: f64,
    pub p50_ms: f64,
    pub p66_ms: f64,
    pub p75_ms: f64,
    pub p80_ms: f64,
    pub p90_ms: f64,
    pub p95_ms: f64,
    pub p98_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    /// Whether the percentiles are exact (false above 100 000 requests; see
    /// `HISTOGRAM_RELATIVE_ERROR`).
    pub exact_percentiles: bool,
    pub connect: ColumnStats,
    pub processing: ColumnStats,
    pub waiting: ColumnStats,
    pub total: ColumnStats,
    /// Connections dropped by a full listen backlog (each costs the client ≥ 1 s).
    pub syn_drops: u64,
    /// Fraction of the cores' capacity used over the makespan.
    pub cores_utilisation: f64,
    /// Fraction of the makespan each worker's GIL was held, averaged over workers.
    pub gil_utilisation: f64,
    /// Mean and longest wait of ready work for the event loop (0 without a loop).
    pub loop_lag_mean_ms: f64,
    pub loop_lag_max_ms: f64,
    /// Fraction of the makespan the event loops were blocked (averaged over loops).
    pub loop_blocked_fraction: f64,
    /// Simulation events processed.
    pub events: u64,
    /// CPU work the run asked for, and core time the cores delivered (equal when the run
    /// ends, but for work cut short by a worker kill).
    pub cpu_demand_ms: f64,
    pub cpu_delivered_ms: f64,
    /// Jobs that ran on another core than their thread's previous one (placed on waking, or
    /// moved by the balancer).
    #[serde(default)]
    pub core_migrations: u64,
    /// Time-averaged number of requests in the system (sent, not yet answered), over the
    /// makespan; with `rps` and `mean_ms` it checks Little's law.
    pub mean_in_system: f64,
    /// Where the completed requests' time went, summed over them (ns): its total is the sum
    /// of their latencies.
    #[serde(default)]
    pub time_split_ns: crate::record::TimeSplit,
}

/// Streaming statistics over finished requests.
#[derive(Clone, Debug, Default)]
pub(crate) struct StatsCollector {
    pub latency: Quantiles,
    pub connect: Quantiles,
    pub processing: Quantiles,
    pub waiting: Quantiles,
    pub failed: [u64; 4],
    /// The completed requests' time splits, summed.
    pub split: crate::record::TimeSplit,
    pub first_sent: Option<Nanos>,
    pub last_finished: Nanos,
    /// Integral over time of the number of requests in the system, and its bookkeeping.
    in_system: u64,
    in_system_since: Nanos,
    in_system_area: f64,
    pub occupancy: crate::series::Occupancy,
}

impl StatsCollector {
    fn integrate(&mut self, now: Nanos) {
        if now > self.in_system_since {
            self.in_system_area += (now - self.in_system_since) as f64 * self.in_system as f64;
            self.in_system_since = now;
        }
    }

    /// A request enters the system at `now` (its send time).
    pub fn sent(&mut self, now: Nanos) {
        self.integrate(now);
        self.in_system += 1;
    }

    pub fn mean_in_system(&self) -> f64 {
        let span = self.makespan();
        if span == 0 {
            0.0
        } else {
            self.in_system_area / span as f64
        }
    }

    pub fn add(&mut self, r: &crate::record::RequestRecord) {
        use crate::record::Status;
        self.integrate(r.finished);
        self.in_system -= 1;
        self.occupancy.add(r);
        self.first_sent = Some(self.first_sent.map_or(r.sent, |s| s.min(r.sent)));
        self.last_finished = self.last_finished.max(r.finished);
        match r.status {
            Status::Ok => {
                let connected = r.connected.unwrap_or(r.sent);
                let total = r.finished - r.sent;
                let connect = connected - r.sent;
                self.latency.add(total);
                self.connect.add(connect);
                self.processing.add(total - connect);
                self.waiting.add(r.finished - connected);
                self.split.add(&r.split);
            }
            Status::ClientTimeout => self.failed[0] += 1,
            Status::ConnectFailed => self.failed[1] += 1,
            Status::WorkerKilled => self.failed[2] += 1,
            Status::Unfinished => self.failed[3] += 1,
        }
    }

    pub fn makespan(&self) -> Nanos {
        self.last_finished - self.first_sent.unwrap_or(0).min(self.last_finished)
    }

    pub fn summary(&mut self) -> Summary {
        let q = &mut self.latency;
        let ms = |v: u64| to_ms(v);
        let makespan = self
            .last_finished
            .saturating_sub(self.first_sent.unwrap_or(0));
        let completed = q.len();
        Summary {
            completed,
            failed: self.failed.iter().sum(),
            failed_client_timeout: self.failed[0],
            failed_connect: self.failed[1],
            failed_worker_killed: self.failed[2],
            failed_unfinished: self.failed[3],
            makespan_ms: ms(makespan),
            rps: if makespan > 0 {
                completed as f64 / (makespan as f64 / 1e9)
            } else {
                0.0
            },
            mean_ms: q.mean() / 1e6,
            sd_ms: q.sd() / 1e6,
            min_ms: ms(q.min()),
            p50_ms: ms(q.percentile(50)),
            p66_ms: ms(q.percentile(66)),
            p75_ms: ms(q.percentile(75)),
            p80_ms: ms(q.percentile(80)),
            p90_ms: ms(q.percentile(90)),
            p95_ms: ms(q.percentile(95)),
            p98_ms: ms(q.percentile(98)),
            p99_ms: ms(q.percentile(99)),
            p999_ms: ms(q.percentile_permille(999)),
            max_ms: ms(q.max()),
            exact_percentiles: q.is_exact(),
            connect: ColumnStats::of(&mut self.connect),
            processing: ColumnStats::of(&mut self.processing),
            waiting: ColumnStats::of(&mut self.waiting),
            total: ColumnStats::of(q),
            mean_in_system: self.mean_in_system(),
            time_split_ns: self.split,
            ..Summary::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ab_ranks() {
        let mut q = Quantiles::default();
        for v in 1..=10u64 {
            q.add(v * 100);
        }
        // ab: stats[10 * 50 / 100] = stats[5] = 600.
        assert_eq!(q.percentile(50), 600);
        assert_eq!(q.percentile(90), 1000);
        assert_eq!(q.percentile(100), 1000);
        assert_eq!(q.median(), 550.0);
        assert_eq!(q.min(), 100);
        assert!((q.sd() - 302.765).abs() < 0.01);
    }

    #[test]
    fn histogram_bins() {
        let mut q = Quantiles::default();
        for v in [1u64, 2, 2, 3, 10] {
            q.add(v * 1_000_000);
        }
        let h = q.histogram(3, false);
        assert_eq!(h.iter().map(|b| b.count).collect::<Vec<_>>(), vec![4, 0, 1]);
        assert_eq!((h[0].from_ms, h[2].to_ms), (1.0, 10.0));
        let h = q.histogram(2, true); // 10/1 is not > 10: stays linear
        assert_eq!(h.iter().map(|b| b.count).sum::<u64>(), 5);
    }

    #[test]
    fn histogram_error_is_bounded() {
        let mut exact = Quantiles::default();
        let mut big = Quantiles::default();
        let mut rng = crate::rng::Rng::new(9, 9);
        let values: Vec<u64> = (0..EXACT_LIMIT + 50_000)
            .map(|_| (rng.next_exp(5e6) as u64).max(1))
            .collect();
        for &v in &values[..EXACT_LIMIT] {
            exact.add(v);
        }
        for &v in &values {
            big.add(v);
        }
        assert!(exact.is_exact() && !big.is_exact());
        let mut sorted = values.clone();
        sorted.sort_unstable();
        for p in [50u32, 90, 99, 999] {
            let truth = sorted[sorted.len() * p as usize / 1000] as f64;
            let got = big.percentile_permille(p) as f64;
            assert!(
                (got - truth).abs() / truth <= HISTOGRAM_RELATIVE_ERROR,
                "p{p}: {got} vs {truth}"
            );
        }
    }

    #[test]
    fn histogram_buckets_round_trip() {
        for v in [0u64, 1, 127, 128, 129, 1000, 123_456_789, u32::MAX as u64] {
            let mid = Histogram::value(Histogram::index(v));
            let rel = (mid as f64 - v as f64).abs() / (v.max(1) as f64);
            assert!(rel <= HISTOGRAM_RELATIVE_ERROR, "{v} -> {mid}");
        }
    }
}
