//! What the page and the simulation worker say to each other, and the result the page shows.
//! Messages travel as bincode (fast to decode: a result of 100 000 segments decodes in a few
//! milliseconds); the scenario alone travels as its JSON text, because its tagged enums are
//! not something bincode can carry.

use loopsim_engine::advisor::Finding;
use loopsim_engine::record::{Activity, Lane, LaneTotals, WorkerStats};
use loopsim_engine::{
    ConcurrencySeries, HistBin, LogLine, RequestRecord, Scenario, Segment, Summary,
};
use serde::{Deserialize, Serialize};

use crate::view::scatter::Point;

/// How much full detail a run keeps (everything else is summarised as it streams).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Detail {
    /// Per-request records kept: the first `max_requests` sent.
    pub max_requests: u32,
    /// Timeline segments kept (from the start of the run).
    pub max_segments: usize,
    /// Timeline segments are kept only within this window (ms of simulated time), if set.
    pub window_ms: Option<(f64, f64)>,
    /// Points on the latency-over-time chart.
    pub scatter_points: usize,
}

impl Detail {
    pub const MAX_REQUESTS: u32 = 200_000;
    pub const MAX_SEGMENTS: usize = 1_000_000;
}

impl Default for Detail {
    fn default() -> Self {
        Detail {
            max_requests: 10_000,
            max_segments: 100_000,
            window_ms: None,
            scatter_points: 3_000,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// Start run `id` (any run in progress is abandoned).
    Run {
        id: u32,
        #[serde(with = "scenario_json")]
        scenario: Box<Scenario>,
        detail: Detail,
    },
    /// Stop run `id`.
    Cancel { id: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgressInfo {
    /// Simulated time reached.
    pub sim_ms: f64,
    pub finished: u64,
    /// Requests the load sends in all (open loop: expected).
    pub expected: u64,
    pub events: u64,
    /// Wall-clock time spent so far.
    pub wall_ms: f64,
}

impl ProgressInfo {
    pub fn fraction(&self) -> f64 {
        if self.expected == 0 {
            0.0
        } else {
            (self.finished as f64 / self.expected as f64).clamp(0.0, 1.0)
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    Progress { id: u32, progress: ProgressInfo },
    Done { id: u32, view: Box<RunView> },
    Failed { id: u32, message: String },
}

/// Everything the results views need from one run, bounded in size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub id: u32,
    #[serde(with = "scenario_json")]
    pub scenario: Box<Scenario>,
    pub summary: Summary,
    /// The ab-style report, identical to `loopsim run --format report`.
    pub report: String,
    pub findings: Vec<Finding>,
    pub lanes: Vec<Lane>,
    pub lane_totals: Vec<LaneTotals>,
    pub activities: Vec<Activity>,
    pub workers: Vec<WorkerStats>,
    /// The first requests (see [`Detail::max_requests`]).
    pub requests: Vec<RequestRecord>,
    pub requests_sent: u64,
    pub segments: Vec<Segment>,
    pub segments_dropped: u64,
    /// Latency over send time for every request, decimated.
    pub scatter: Vec<Point>,
    pub latency_cdf: Vec<(f64, f64)>,
    pub latency_histogram: Vec<HistBin>,
    pub concurrency: ConcurrencySeries,
    pub logs: Vec<LogLine>,
    /// When the last thing happened (ns): the timeline's extent.
    pub end_ns: u64,
    pub wall_ms: f64,
}

impl RunView {
    /// A request's record, if it was kept.
    pub fn request(&self, id: u32) -> Option<&RequestRecord> {
        self.requests
            .binary_search_by_key(&id, |r| r.id)
            .ok()
            .map(|i| &self.requests[i])
    }

    pub fn activity_label(&self, i: u16) -> &str {
        self.activities
            .get(i as usize)
            .map_or("", |a| a.label.as_str())
    }
}

/// A scenario inside a bincode message: its JSON text.
mod scenario_json {
    use loopsim_engine::Scenario;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(s: &Scenario, ser: S) -> Result<S::Ok, S::Error> {
        serde_json::to_string(s)
            .map_err(serde::ser::Error::custom)?
            .serialize(ser)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Box<Scenario>, D::Error> {
        let text = String::deserialize(de)?;
        serde_json::from_str(&text)
            .map(Box::new)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_survive_bincode() {
        let s = loopsim_engine::presets::find("fastapi-background-task")
            .unwrap()
            .scenario();
        let v = crate::run::run_to_end(3, &s, Detail::default()).unwrap();
        let msg = FromWorker::Done {
            id: 3,
            view: Box::new(v.clone()),
        };
        let bytes = bincode::serialize(&msg).unwrap();
        let back: FromWorker = bincode::deserialize(&bytes).unwrap();
        assert_eq!(back, msg);
        let run = ToWorker::Run {
            id: 1,
            scenario: Box::new(s),
            detail: Detail::default(),
        };
        let back: ToWorker = bincode::deserialize(&bincode::serialize(&run).unwrap()).unwrap();
        assert_eq!(back, run);
    }
}
