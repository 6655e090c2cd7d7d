//! Which timeline lanes to draw, and in what order: every event loop and main (I/O) thread
//! first, then the busiest other threads, up to a limit; shown grouped by worker process.

use loopsim_engine::record::{Lane, LaneKind};

/// The lanes to draw (indices into the run's lanes, in drawing order) and how many were left
/// out.
#[derive(Clone, Debug, PartialEq)]
pub struct LanePick {
    pub shown: Vec<u32>,
    pub hidden: usize,
}

/// Whether a lane is a process's main line of work (kept first and always shown).
pub fn is_primary(kind: LaneKind) -> bool {
    matches!(kind, LaneKind::EventLoop | LaneKind::Main | LaneKind::Sync)
}

/// Picks at most `max` lanes: primary lanes first, then by busy time (ns, `busy[i]` for lane
/// `i`), busiest first. The result is ordered by worker, then primary lanes, then busiest.
pub fn pick_lanes(lanes: &[Lane], busy: &[u64], max: usize) -> LanePick {
    let busy_of = |i: usize| busy.get(i).copied().unwrap_or(0);
    let mut order: Vec<usize> = (0..lanes.len()).collect();
    order.sort_by_key(|&i| (!is_primary(lanes[i].kind), std::cmp::Reverse(busy_of(i)), i));
    let mut shown: Vec<usize> = order.into_iter().take(max).collect();
    shown.sort_by_key(|&i| {
        (
            lanes[i].worker,
            !is_primary(lanes[i].kind),
            std::cmp::Reverse(busy_of(i)),
            i,
        )
    });
    LanePick {
        hidden: lanes.len() - shown.len(),
        shown: shown.into_iter().map(|i| i as u32).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lane(worker: u32, kind: LaneKind, index: u32) -> Lane {
        Lane {
            worker,
            kind,
            index,
            name: format!("w{worker} {kind:?} {index}"),
        }
    }

    #[test]
    fn primary_lanes_first_then_busiest_grouped_by_worker() {
        let lanes = vec![
            lane(0, LaneKind::EventLoop, 0),
            lane(0, LaneKind::Threadpool, 0),
            lane(0, LaneKind::Threadpool, 1),
            lane(1, LaneKind::EventLoop, 0),
            lane(1, LaneKind::Threadpool, 0),
        ];
        let busy = [0, 10, 30, 5, 20];
        let all = pick_lanes(&lanes, &busy, 10);
        assert_eq!(
            all,
            LanePick {
                shown: vec![0, 2, 1, 3, 4],
                hidden: 0
            }
        );
        // Room for three: both loops (even the idle one) and the busiest thread.
        let some = pick_lanes(&lanes, &busy, 3);
        assert_eq!(
            some,
            LanePick {
                shown: vec![0, 2, 3],
                hidden: 2
            }
        );
    }

    #[test]
    fn many_connection_threads_are_capped() {
        let mut lanes = vec![lane(0, LaneKind::Main, 0)];
        lanes.extend((0..60).map(|i| lane(0, LaneKind::Connection, i)));
        let busy: Vec<u64> = (0..61).collect();
        let p = pick_lanes(&lanes, &busy, 40);
        assert_eq!(p.shown.len(), 40);
        assert_eq!(p.hidden, 21);
        assert_eq!(p.shown[0], 0, "the main thread stays first");
        assert_eq!(p.shown[1], 60, "then the busiest");
    }
}
