//! The timeline (Gantt) of threads, decimated to pixels: segments at least `min_px` wide are
//! drawn one by one (they keep their request, for hovering); narrower ones are pooled into
//! pixel columns drawn in their dominant state. If that still makes too many rectangles, the
//! columns widen until it does not.

use loopsim_engine::{Segment, ThreadState};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub lane: u32,
    pub x0: f64,
    pub x1: f64,
    pub state: ThreadState,
    /// The request and activity, when the rectangle is one segment.
    pub request: Option<u32>,
    pub activity: Option<u16>,
    pub start_ns: u64,
    pub end_ns: u64,
}

/// Segments grouped by lane, each lane in time order (as the engine emits them).
pub struct LaneIndex {
    pub lanes: Vec<Vec<Segment>>,
}

impl LaneIndex {
    pub fn new(lane_count: usize, segments: &[Segment]) -> LaneIndex {
        let mut lanes = vec![Vec::new(); lane_count];
        for s in segments {
            if let Some(l) = lanes.get_mut(s.lane as usize) {
                l.push(*s);
            }
        }
        for l in &mut lanes {
            l.sort_by_key(|s| s.start);
        }
        LaneIndex { lanes }
    }

    /// Busy time of each lane (for ordering and picking lanes to show).
    pub fn busy(&self) -> Vec<u64> {
        self.lanes
            .iter()
            .map(|l| l.iter().map(|s| s.end - s.start).sum())
            .collect()
    }
}

/// The states a column can show, in the order that breaks its ties.
const STATES: [ThreadState; 5] = ThreadState::BUSY;

fn state_index(s: ThreadState) -> Option<usize> {
    STATES.iter().position(|x| *x == s)
}

/// Rectangles for `lanes` (indices into the index) over the window `[t0, t1)` ns drawn
/// `width` px wide, at most about `max_rects`.
pub fn layout(
    index: &LaneIndex,
    lanes: &[u32],
    t0: u64,
    t1: u64,
    width: f64,
    max_rects: usize,
) -> Vec<Rect> {
    let mut col_px = 1.0;
    loop {
        let rects = layout_with(index, lanes, t0, t1, width, col_px);
        if rects.len() <= max_rects || col_px >= width {
            return rects;
        }
        col_px *= 2.0;
    }
}

fn layout_with(
    index: &LaneIndex,
    lanes: &[u32],
    t0: u64,
    t1: u64,
    width: f64,
    col_px: f64,
) -> Vec<Rect> {
    let span = (t1.saturating_sub(t0)).max(1) as f64;
    let px = |t: u64| (t.clamp(t0, t1) - t0) as f64 / span * width;
    let ns_per_col = span / width * col_px;
    let cols = (width / col_px).ceil() as usize;
    let min_ns = (2.0 * col_px * span / width) as u64;
    let mut out = Vec::new();
    let mut acc = vec![[0u64; STATES.len()]; cols];
    for &lane in lanes {
        let Some(segs) = index.lanes.get(lane as usize) else {
            continue;
        };
        acc.iter_mut().for_each(|c| *c = [0; STATES.len()]);
        let mut pooled = false;
        // Segments are sorted by start; skip those ending before the window.
        let first = segs.partition_point(|s| s.end <= t0);
        for s in &segs[first..] {
            if s.start >= t1 {
                break;
            }
            let Some(si) = state_index(s.state) else {
                continue;
            };
            let (a, b) = (s.start.max(t0), s.end.min(t1));
            if b - a >= min_ns {
                out.push(Rect {
                    lane,
                    x0: px(a),
                    x1: px(b),
                    state: s.state,
                    request: (s.request != loopsim_engine::record::NO_REQUEST).then_some(s.request),
                    activity: Some(s.activity),
                    start_ns: s.start,
                    end_ns: s.end,
                });
            } else {
                pooled = true;
                let mut t = a;
                while t < b {
                    let c = (((t - t0) as f64 / ns_per_col) as usize).min(cols - 1);
                    let col_end = (t0 as f64 + (c + 1) as f64 * ns_per_col).ceil() as u64;
                    let e = col_end.min(b).max(t + 1);
                    acc[c][si] += e - t;
                    t = e;
                }
            }
        }
        if !pooled {
            continue;
        }
        // Run-length encode the columns' dominant states.
        let mut run: Option<(usize, usize, usize)> = None; // (first col, last col, state)
        let flush = |run: Option<(usize, usize, usize)>, out: &mut Vec<Rect>| {
            if let Some((c0, c1, si)) = run {
                let a = t0 + (c0 as f64 * ns_per_col) as u64;
                let b = t0 + ((c1 + 1) as f64 * ns_per_col) as u64;
                out.push(Rect {
                    lane,
                    x0: c0 as f64 * col_px,
                    x1: ((c1 + 1) as f64 * col_px).min(width),
                    state: STATES[si],
                    request: None,
                    activity: None,
                    start_ns: a,
                    end_ns: b.min(t1),
                });
            }
        };
        for (c, a) in acc.iter().enumerate() {
            let total: u64 = a.iter().sum();
            if total == 0 {
                flush(run.take(), &mut out);
                continue;
            }
            let si = (0..STATES.len())
                .max_by_key(|&i| (a[i], std::cmp::Reverse(i)))
                .unwrap();
            run = match run {
                Some((c0, c1, s)) if s == si && c1 + 1 == c => Some((c0, c, s)),
                other => {
                    flush(other, &mut out);
                    Some((c, c, si))
                }
            };
        }
        flush(run, &mut out);
    }
    out
}

/// Where request `request` ran on `lanes` within the window `(t0, t1)` drawn `width` px wide: one
/// `(lane, x0, x1)` per stretch, neighbouring segments of the same lane closer than `gap_px`
/// merged, at most `max` stretches (later ones are dropped). For outlining a selected request
/// whatever the pooling of [`layout`] did to its segments.
pub fn request_marks(
    index: &LaneIndex,
    lanes: &[u32],
    request: u32,
    (t0, t1): (u64, u64),
    width: f64,
    gap_px: f64,
    max: usize,
) -> Vec<(u32, f64, f64)> {
    let span = (t1.saturating_sub(t0)).max(1) as f64;
    let px = |t: u64| (t.clamp(t0, t1) - t0) as f64 / span * width;
    let mut out: Vec<(u32, f64, f64)> = Vec::new();
    for &lane in lanes {
        let Some(segs) = index.lanes.get(lane as usize) else {
            continue;
        };
        let first = segs.partition_point(|s| s.end <= t0);
        let mut current: Option<(f64, f64)> = None;
        for s in &segs[first..] {
            if s.start >= t1 {
                break;
            }
            if s.request != request || state_index(s.state).is_none() {
                continue;
            }
            let (a, b) = (px(s.start), px(s.end));
            current = match current {
                Some((c0, c1)) if a - c1 < gap_px => Some((c0, b.max(c1))),
                Some(done) => {
                    out.push((lane, done.0, done.1));
                    Some((a, b))
                }
                None => Some((a, b)),
            };
            if out.len() >= max {
                return out;
            }
        }
        if let Some((c0, c1)) = current {
            out.push((lane, c0, c1));
        }
        if out.len() >= max {
            out.truncate(max);
            return out;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(lane: u32, start: u64, end: u64, state: ThreadState, request: u32) -> Segment {
        Segment {
            lane,
            start,
            end,
            state,
            request,
            activity: 6,
        }
    }

    #[test]
    fn wide_segments_keep_their_request() {
        let segs = vec![
            seg(0, 0, 500, ThreadState::Blocked, 1),
            seg(0, 500, 1000, ThreadState::Cpu, 2),
            seg(1, 100, 200, ThreadState::Cpu, 3),
        ];
        let idx = LaneIndex::new(2, &segs);
        let r = layout(&idx, &[0, 1], 0, 1000, 100.0, 1000);
        assert_eq!(r.len(), 3);
        assert_eq!((r[0].x0, r[0].x1, r[0].request), (0.0, 50.0, Some(1)));
        assert_eq!((r[2].lane, r[2].x0, r[2].x1), (1, 10.0, 20.0));
    }

    #[test]
    fn window_clips() {
        let idx = LaneIndex::new(1, &[seg(0, 0, 1000, ThreadState::Blocked, 1)]);
        let r = layout(&idx, &[0], 250, 750, 100.0, 1000);
        assert_eq!((r[0].x0, r[0].x1), (0.0, 100.0));
        assert!(layout(&idx, &[0], 2000, 3000, 100.0, 1000).is_empty());
    }

    #[test]
    fn many_tiny_segments_are_pooled_and_bounded() {
        // 100 000 alternating 1 ns segments over 100 µs on a 500 px chart.
        let segs: Vec<Segment> = (0..100_000u64)
            .map(|i| {
                seg(
                    0,
                    i,
                    i + 1,
                    if i % 3 == 0 {
                        ThreadState::GilWait
                    } else {
                        ThreadState::Cpu
                    },
                    i as u32,
                )
            })
            .collect();
        let idx = LaneIndex::new(1, &segs);
        let r = layout(&idx, &[0], 0, 100_000, 500.0, 200);
        assert!(!r.is_empty() && r.len() <= 200, "{}", r.len());
        // CPU dominates every column: one run covering the whole width.
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].state, r[0].x0, r[0].x1),
            (ThreadState::Cpu, 0.0, 500.0)
        );
    }
    #[test]
    fn pooled_columns_take_any_states_dominant() {
        // Tiny segments on two lanes: lane 0 runs 1 ns and waits for a core 2 ns in turn,
        // lane 1 runs 1 ns and waits for a pool 2 ns (the last state of the list).
        let mut segs = Vec::new();
        for i in 0..10_000u64 {
            segs.push(seg(0, 3 * i, 3 * i + 1, ThreadState::Cpu, 1));
            segs.push(seg(0, 3 * i + 1, 3 * i + 3, ThreadState::CoreWait, 1));
            segs.push(seg(1, 3 * i, 3 * i + 1, ThreadState::Cpu, 2));
            segs.push(seg(1, 3 * i + 1, 3 * i + 3, ThreadState::Wait, 2));
        }
        segs.sort_by_key(|s| (s.lane, s.start));
        let idx = LaneIndex::new(2, &segs);
        let r = layout(&idx, &[0, 1], 0, 30_000, 300.0, 100);
        let states: Vec<(u32, ThreadState)> = r.iter().map(|x| (x.lane, x.state)).collect();
        assert_eq!(
            states,
            vec![(0, ThreadState::CoreWait), (1, ThreadState::Wait)]
        );
    }

    #[test]
    fn request_marks_merge_close_segments() {
        let segs = vec![
            seg(0, 0, 100, ThreadState::Cpu, 1),
            seg(0, 100, 101, ThreadState::GilWait, 1),
            seg(0, 101, 200, ThreadState::Cpu, 2),
            seg(0, 500, 600, ThreadState::Blocked, 1),
            seg(1, 0, 50, ThreadState::Cpu, 1),
        ];
        let idx = LaneIndex::new(2, &segs);
        let m = request_marks(&idx, &[0, 1], 1, (0, 1000), 1000.0, 10.0, 100);
        assert_eq!(m, vec![(0, 0.0, 101.0), (0, 500.0, 600.0), (1, 0.0, 50.0)]);
        // Lanes not shown and other windows are left out; the count is bounded.
        assert_eq!(
            request_marks(&idx, &[1], 1, (0, 1000), 1000.0, 10.0, 100),
            vec![(1, 0.0, 50.0)]
        );
        assert!(request_marks(&idx, &[0, 1], 1, (700, 1000), 1000.0, 10.0, 100).is_empty());
        assert_eq!(
            request_marks(&idx, &[0, 1], 1, (0, 1000), 1000.0, 10.0, 1).len(),
            1
        );
        // With a wide gap, the two stretches on lane 0 become one.
        assert_eq!(
            request_marks(&idx, &[0], 1, (0, 1000), 1000.0, 500.0, 100),
            vec![(0, 0.0, 600.0)]
        );
    }
}
