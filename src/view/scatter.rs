//! Latency per request over send time, decimated: when there are more requests than points
//! allowed, each send-time bucket keeps its fastest and slowest answered request and one
//! failure, so the envelope and every failure band survive.

#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Point {
    pub id: u32,
    pub sent_ms: f64,
    pub latency_ms: f64,
    pub ok: bool,
}

pub fn decimate(points: &[Point], max_points: usize) -> Vec<Point> {
    if points.len() <= max_points || max_points < 3 {
        return points.to_vec();
    }
    let (lo, hi) = points.iter().fold((f64::MAX, f64::MIN), |(a, b), p| {
        (a.min(p.sent_ms), b.max(p.sent_ms))
    });
    let buckets = (max_points / 3).max(1);
    let width = ((hi - lo) / buckets as f64).max(f64::MIN_POSITIVE);
    // Per bucket: fastest ok, slowest ok, first failure.
    let mut keep: Vec<[Option<Point>; 3]> = vec![[None; 3]; buckets];
    for p in points {
        let b = (((p.sent_ms - lo) / width) as usize).min(buckets - 1);
        let k = &mut keep[b];
        if p.ok {
            if k[0].is_none_or(|q| p.latency_ms < q.latency_ms) {
                k[0] = Some(*p);
            }
            if k[1].is_none_or(|q| p.latency_ms > q.latency_ms) {
                k[1] = Some(*p);
            }
        } else if k[2].is_none() {
            k[2] = Some(*p);
        }
    }
    let mut out: Vec<Point> = Vec::with_capacity(max_points);
    for k in keep {
        for p in k.into_iter().flatten() {
            if out.last().is_none_or(|q| q.id != p.id) {
                out.push(p);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(n: u32) -> Vec<Point> {
        (0..n)
            .map(|i| Point {
                id: i,
                sent_ms: i as f64,
                latency_ms: ((i * 37) % 101) as f64,
                ok: i % 50 != 7,
            })
            .collect()
    }

    #[test]
    fn small_sets_are_untouched() {
        assert_eq!(decimate(&pts(10), 100), pts(10));
    }

    #[test]
    fn bounded_and_keeps_extremes_and_failures() {
        let all = pts(100_000);
        let d = decimate(&all, 3000);
        assert!(d.len() <= 3000, "{}", d.len());
        let max_lat = all
            .iter()
            .filter(|p| p.ok)
            .map(|p| p.latency_ms)
            .fold(0.0, f64::max);
        assert!(d.iter().any(|p| p.latency_ms == max_lat));
        assert!(d.iter().any(|p| !p.ok));
        assert!(d.windows(2).all(|w| w[0].id != w[1].id));
    }
}

/// [`decimate`] over a stream whose time span is unknown in advance: points are kept exactly up
/// to `limit`; beyond, they go into send-time buckets (fastest, slowest, one failure each) whose
/// width doubles whenever the run outgrows them. Memory stays bounded.
#[derive(Clone, Debug)]
pub struct ScatterAcc {
    limit: usize,
    exact: Vec<Point>,
    buckets: Vec<[Option<Point>; 3]>,
    width_ms: f64,
    bucketed: bool,
    count: u64,
}

fn keep(k: &mut [Option<Point>; 3], p: Point) {
    if p.ok {
        if k[0].is_none_or(|q| p.latency_ms < q.latency_ms) {
            k[0] = Some(p);
        }
        if k[1].is_none_or(|q| p.latency_ms > q.latency_ms) {
            k[1] = Some(p);
        }
    } else if k[2].is_none_or(|q| p.id < q.id) {
        k[2] = Some(p);
    }
}

impl ScatterAcc {
    pub fn new(limit: usize) -> ScatterAcc {
        ScatterAcc {
            limit: limit.max(3),
            exact: Vec::new(),
            buckets: Vec::new(),
            width_ms: 1.0,
            bucketed: false,
            count: 0,
        }
    }

    /// Points seen in all.
    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn add(&mut self, p: Point) {
        self.count += 1;
        if !self.bucketed {
            self.exact.push(p);
            if self.exact.len() > self.limit {
                self.bucketed = true;
                self.buckets = vec![[None; 3]; self.limit / 3];
                for q in std::mem::take(&mut self.exact) {
                    self.insert(q);
                }
            }
            return;
        }
        self.insert(p);
    }

    fn insert(&mut self, p: Point) {
        let n = self.buckets.len();
        while p.sent_ms >= self.width_ms * n as f64 {
            for i in 0..n / 2 {
                let (a, b) = (self.buckets[2 * i], self.buckets[2 * i + 1]);
                let mut m = a;
                for q in b.into_iter().flatten() {
                    keep(&mut m, q);
                }
                self.buckets[i] = m;
            }
            self.buckets[n / 2..]
                .iter_mut()
                .for_each(|k| *k = [None; 3]);
            self.width_ms *= 2.0;
        }
        let b = ((p.sent_ms.max(0.0) / self.width_ms) as usize).min(n - 1);
        keep(&mut self.buckets[b], p);
    }

    /// The kept points, in send-time order.
    pub fn points(&self) -> Vec<Point> {
        if !self.bucketed {
            let mut v = self.exact.clone();
            v.sort_by(|a, b| a.sent_ms.total_cmp(&b.sent_ms).then(a.id.cmp(&b.id)));
            return v;
        }
        let mut out: Vec<Point> = Vec::new();
        for k in &self.buckets {
            let mut ps: Vec<Point> = k.iter().flatten().copied().collect();
            ps.sort_by(|a, b| a.sent_ms.total_cmp(&b.sent_ms).then(a.id.cmp(&b.id)));
            ps.dedup_by_key(|p| p.id);
            out.extend(ps);
        }
        out
    }
}

#[cfg(test)]
mod acc_tests {
    use super::*;

    #[test]
    fn exact_until_the_limit_then_bounded() {
        let mut a = ScatterAcc::new(300);
        for i in 0..300u32 {
            a.add(Point {
                id: i,
                sent_ms: i as f64,
                latency_ms: 1.0,
                ok: true,
            });
        }
        assert_eq!(a.points().len(), 300);
        for i in 300..1_000_000u32 {
            let slow = i == 777_777;
            a.add(Point {
                id: i,
                sent_ms: i as f64 / 10.0,
                latency_ms: if slow { 9_999.0 } else { (i % 7) as f64 },
                ok: i % 100_003 != 5,
            });
        }
        let p = a.points();
        assert!(p.len() <= 300, "{}", p.len());
        assert!(
            p.iter().any(|q| q.latency_ms == 9_999.0),
            "the slowest survives"
        );
        assert!(p.iter().any(|q| !q.ok), "failures survive");
        assert_eq!(a.count(), 1_000_000);
    }
}
