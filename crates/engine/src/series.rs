//! Concurrency over time, streamed: how many requests were in the system, waiting, and in
//! service, averaged over time buckets. The number of buckets is fixed; when the run outlasts
//! them, neighbouring buckets merge and the bucket width doubles, so memory stays bounded
//! whatever the length of the run.

use serde::{Deserialize, Serialize};

use crate::record::RequestRecord;
use crate::time::{Nanos, NS_PER_MS};

pub const BUCKETS: usize = 512;

/// Time-averaged counts per bucket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConcurrencySeries {
    pub bucket_ms: f64,
    /// Sent and not yet answered.
    pub in_system: Vec<f64>,
    /// Sent, handler not started (connecting, backlog, queues before the framework runs).
    pub waiting: Vec<f64>,
    /// Handler started, not yet answered.
    pub in_service: Vec<f64>,
}

#[derive(Clone, Debug)]
pub(crate) struct Occupancy {
    width: Nanos,
    /// Integrals (request·ns) per bucket.
    waiting: Vec<f64>,
    service: Vec<f64>,
}

impl Default for Occupancy {
    fn default() -> Self {
        Occupancy {
            width: NS_PER_MS,
            waiting: vec![0.0; BUCKETS],
            service: vec![0.0; BUCKETS],
        }
    }
}

impl Occupancy {
    fn fit(&mut self, end: Nanos) {
        while end > self.width * BUCKETS as Nanos {
            for v in [&mut self.waiting, &mut self.service] {
                for i in 0..BUCKETS / 2 {
                    v[i] = v[2 * i] + v[2 * i + 1];
                }
                v[BUCKETS / 2..].iter_mut().for_each(|x| *x = 0.0);
            }
            self.width *= 2;
        }
    }

    fn add_interval(width: Nanos, v: &mut [f64], from: Nanos, to: Nanos) {
        let mut t = from;
        while t < to {
            let b = (t / width) as usize;
            let end = ((b as Nanos + 1) * width).min(to);
            v[b] += (end - t) as f64;
            t = end;
        }
    }

    pub fn add(&mut self, r: &RequestRecord) {
        self.fit(r.finished);
        let split = r.started.unwrap_or(r.finished).clamp(r.sent, r.finished);
        Self::add_interval(self.width, &mut self.waiting, r.sent, split);
        Self::add_interval(self.width, &mut self.service, split, r.finished);
    }

    pub fn series(&self, end: Nanos) -> ConcurrencySeries {
        let n = (end.div_ceil(self.width) as usize).clamp(1, BUCKETS);
        let w = self.width as f64;
        let waiting: Vec<f64> = self.waiting[..n].iter().map(|x| x / w).collect();
        let in_service: Vec<f64> = self.service[..n].iter().map(|x| x / w).collect();
        ConcurrencySeries {
            bucket_ms: w / NS_PER_MS as f64,
            in_system: waiting
                .iter()
                .zip(&in_service)
                .map(|(a, b)| a + b)
                .collect(),
            waiting,
            in_service,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Status, TimeSplit};

    fn rec(sent: Nanos, started: Nanos, finished: Nanos) -> RequestRecord {
        RequestRecord {
            id: 0,
            client: 0,
            sent,
            connected: Some(sent),
            accepted: Some(sent),
            started: Some(started),
            finished,
            status: Status::Ok,
            worker: Some(0),
            lane: Some(0),
            syn_retries: 0,
            written: None,
            split: TimeSplit::default(),
        }
    }

    #[test]
    fn averages_per_bucket_and_doubles() {
        let mut o = Occupancy::default();
        // Waiting 0–1.5 ms, in service 1.5–3 ms.
        o.add(&rec(0, 1_500_000, 3_000_000));
        let s = o.series(3_000_000);
        assert_eq!(s.bucket_ms, 1.0);
        assert_eq!(s.waiting, vec![1.0, 0.5, 0.0]);
        assert_eq!(s.in_service, vec![0.0, 0.5, 1.0]);
        // A request ending at 1.5 s forces the width past 1 ms: 2^2 = 4 ms buckets.
        o.add(&rec(0, 0, 1_500_000_000));
        let s = o.series(1_500_000_000);
        assert_eq!(s.bucket_ms, 4.0);
        assert_eq!(s.in_system.len(), 375);
        // First 4 ms bucket: request 1 for 3 ms + request 2 for 4 ms = 7/4.
        assert!((s.in_system[0] - 1.75).abs() < 1e-12);
        assert!((s.in_system[374] - 1.0).abs() < 1e-12);
    }
}
