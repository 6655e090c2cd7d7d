//! One simulation run, driven in slices so that whoever drives it (the worker) can report
//! progress and stop at any time. Pure Rust: tested natively.

use loopsim_engine::{advisor, report, RunOptions, Scenario, Simulation, Status};

use crate::protocol::{Detail, ProgressInfo, RunView};
use crate::view::scatter::{Point, ScatterAcc};

pub struct ActiveRun {
    pub id: u32,
    sim: Simulation,
    detail: Detail,
    kept: Vec<loopsim_engine::RequestRecord>,
    scatter: ScatterAcc,
}

impl ActiveRun {
    /// Validates and sets up a run; the error names every offending field.
    pub fn new(id: u32, scenario: &Scenario, detail: Detail) -> Result<ActiveRun, String> {
        let opts = RunOptions {
            keep_requests: None,
            segment_window: detail.window_ms.map(|(a, b)| {
                (
                    loopsim_engine::time::from_ms(a),
                    loopsim_engine::time::from_ms(b),
                )
            }),
            max_segments: detail.max_segments.min(Detail::MAX_SEGMENTS),
            keep_logs: true,
        };
        let sim = Simulation::new(scenario, opts).map_err(|e| e.to_string())?;
        Ok(ActiveRun {
            id,
            sim,
            detail,
            kept: Vec::new(),
            scatter: ScatterAcc::new(detail.scatter_points),
        })
    }

    /// Runs up to `events` events; `true` when the run is over.
    pub fn step(&mut self, events: u64) -> bool {
        let done = self.sim.step(events);
        self.drain();
        done
    }

    fn drain(&mut self) {
        for r in self.sim.take_records() {
            self.scatter.add(Point {
                id: r.id,
                sent_ms: r.sent as f64 / 1e6,
                latency_ms: r.latency_ms(),
                ok: r.status == Status::Ok,
            });
            if r.id < self.detail.max_requests {
                self.kept.push(r);
            }
        }
    }

    pub fn progress(&self, wall_ms: f64) -> ProgressInfo {
        let p = self.sim.progress();
        ProgressInfo {
            sim_ms: p.now as f64 / 1e6,
            finished: p.finished,
            expected: p.expected,
            events: p.events,
            wall_ms,
        }
    }

    /// The finished run as the page shows it.
    pub fn finish(mut self, wall_ms: f64) -> RunView {
        self.drain();
        let end_ns = self.sim.end();
        let mut result = self.sim.finish();
        self.kept.sort_by_key(|r| r.id);
        result.requests = self.kept;
        let report = report::ab_report(&result);
        let findings = advisor::advise(&result);
        RunView {
            id: self.id,
            report,
            findings,
            summary: result.summary,
            lanes: result.lanes,
            lane_totals: result.lane_totals,
            activities: result.activities,
            workers: result.workers,
            requests: result.requests,
            requests_sent: result.requests_sent,
            segments: result.segments,
            segments_dropped: result.segments_dropped,
            scatter: self.scatter.points(),
            latency_cdf: result.latency_cdf,
            latency_histogram: result.latency_histogram,
            concurrency: result.concurrency,
            logs: result.logs,
            scenario: Box::new(result.scenario),
            end_ns,
            wall_ms,
        }
    }
}

/// Runs a scenario to the end in one go (tests, and small runs).
pub fn run_to_end(id: u32, scenario: &Scenario, detail: Detail) -> Result<RunView, String> {
    let mut run = ActiveRun::new(id, scenario, detail)?;
    while !run.step(1 << 16) {}
    Ok(run.finish(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use loopsim_engine::presets;

    #[test]
    fn seed_preset_view_has_both_requests_and_the_report() {
        let s = presets::find("fastapi-async-time-sleep")
            .unwrap()
            .scenario();
        let v = run_to_end(7, &s, Detail::default()).unwrap();
        assert_eq!(v.id, 7);
        let lat: Vec<f64> = v.requests.iter().map(|r| r.latency_ms()).collect();
        assert_eq!(lat, vec![10_000.57, 20_000.88]);
        assert_eq!(v.scatter.len(), 2);
        assert!(v.report.contains("Complete requests:      2"));
        assert_eq!(
            v.report,
            report::ab_report(&loopsim_engine::run(&s).unwrap())
        );
        assert!(v.findings.iter().any(|f| f.id == "loop_blocked"));
    }

    #[test]
    fn detail_is_bounded_but_statistics_are_not() {
        let s = presets::find("ab-uvicorn").unwrap().scenario();
        let detail = Detail {
            max_requests: 100,
            max_segments: 1000,
            window_ms: None,
            scatter_points: 300,
        };
        let v = run_to_end(1, &s, detail).unwrap();
        assert_eq!(v.requests.len(), 100);
        assert!(v.requests.iter().all(|r| r.id < 100));
        assert_eq!(v.segments.len(), 1000);
        assert!(v.segments_dropped > 0);
        assert!(v.scatter.len() <= 300);
        assert_eq!(v.summary.completed, 5000);
    }

    #[test]
    fn an_invalid_scenario_is_refused_with_its_path() {
        let mut s = presets::find("ab-uvicorn").unwrap().scenario();
        s.server.workers = Some(0);
        let e = ActiveRun::new(1, &s, Detail::default()).err().unwrap();
        assert!(
            e.contains("server.workers: must be between 1 and 64 (got 0)"),
            "{e}"
        );
    }
}
