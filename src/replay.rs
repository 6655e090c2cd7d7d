//! Replay: play a finished run back over simulated time. A pure state machine (time, speed,
//! play/pause, step, scrub) driven by frame ticks, and the snapshot of what every client,
//! queue and thread was doing at one instant, computed from the run's records and timeline.

use loopsim_engine::record::{LaneKind, ThreadState, NO_REQUEST};
use loopsim_engine::{RequestRecord, Segment, Status};

use crate::protocol::RunView;

/// Replay speed: simulated time per wall-clock time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    /// `x` simulated seconds per second, 0.1 to 1000.
    Times(f64),
    /// The whole run in 10 s.
    Fit10s,
}

impl Speed {
    pub const MIN: f64 = 0.1;
    pub const MAX: f64 = 1000.0;
    pub const CHOICES: [Speed; 8] = [
        Speed::Times(0.1),
        Speed::Times(0.5),
        Speed::Times(1.0),
        Speed::Times(2.0),
        Speed::Times(10.0),
        Speed::Times(100.0),
        Speed::Times(1000.0),
        Speed::Fit10s,
    ];

    pub fn label(self) -> String {
        match self {
            Speed::Times(x) => format!("{x}×"),
            Speed::Fit10s => "whole run in 10 s".into(),
        }
    }

    /// Simulated ns per wall ms for a run of `end_ns`.
    fn rate(self, end_ns: u64) -> f64 {
        match self {
            Speed::Times(x) => x.clamp(Self::MIN, Self::MAX) * 1e6,
            Speed::Fit10s => end_ns as f64 / 10_000.0,
        }
    }
}

/// Where the replay is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Replay {
    pub t_ns: u64,
    pub end_ns: u64,
    pub playing: bool,
    pub speed: Speed,
    /// `prefers-reduced-motion`: playing jumps a step per second instead of animating.
    pub reduced_motion: bool,
    /// Wall time accumulated towards the next step (reduced motion).
    pending_ms: f64,
}

/// Steps per run when stepping without events to snap to.
pub const STEPS: u64 = 50;
/// Wall time between steps when motion is reduced.
pub const STEP_MS: f64 = 1000.0;

impl Replay {
    pub fn new(end_ns: u64) -> Replay {
        Replay {
            t_ns: 0,
            end_ns,
            playing: false,
            speed: Speed::Fit10s,
            reduced_motion: false,
            pending_ms: 0.0,
        }
    }

    pub fn play(&mut self) {
        if self.t_ns >= self.end_ns {
            self.t_ns = 0;
        }
        self.playing = true;
        self.pending_ms = 0.0;
    }

    pub fn pause(&mut self) {
        self.playing = false;
    }

    pub fn toggle(&mut self) {
        if self.playing {
            self.pause()
        } else {
            self.play()
        }
    }

    /// Jumps to exactly `t_ns` (clamped to the run).
    pub fn scrub(&mut self, t_ns: u64) {
        self.t_ns = t_ns.min(self.end_ns);
    }

    pub fn set_speed(&mut self, speed: Speed) {
        self.speed = match speed {
            Speed::Times(x) => Speed::Times(x.clamp(Speed::MIN, Speed::MAX)),
            s => s,
        };
    }

    fn step_ns(&self) -> u64 {
        (self.end_ns / STEPS).max(1)
    }

    /// One step forward (`dir > 0`) or back.
    pub fn step(&mut self, dir: i32) {
        let s = self.step_ns();
        self.t_ns = if dir >= 0 {
            (self.t_ns + s).min(self.end_ns)
        } else {
            self.t_ns.saturating_sub(s)
        };
    }

    /// A frame: `wall_ms` of wall-clock time passed. Stops at the end.
    pub fn tick(&mut self, wall_ms: f64) {
        if !self.playing || wall_ms <= 0.0 {
            return;
        }
        if self.reduced_motion {
            self.pending_ms += wall_ms;
            while self.pending_ms >= STEP_MS && self.playing {
                self.pending_ms -= STEP_MS;
                self.step(1);
                if self.t_ns >= self.end_ns {
                    self.playing = false;
                }
            }
            return;
        }
        let advance = (wall_ms * self.speed.rate(self.end_ns)).round() as u64;
        self.t_ns = (self.t_ns + advance.max(1)).min(self.end_ns);
        if self.t_ns >= self.end_ns {
            self.playing = false;
        }
    }
}

/// What a request is doing at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    NotSent,
    /// SYN dropped by a full backlog, waiting to retransmit.
    Connecting,
    /// Connected, in the listen backlog, not accepted yet.
    Backlog,
    /// Accepted, but the client (ab on the server's machine) is still writing the request.
    Writing,
    /// Accepted, waiting for the handler to start (ready queue, task queue, tokens).
    Queued,
    /// The handler runs (on CPU, blocked, awaiting, waiting for the GIL…).
    Running,
    Done,
    Failed,
}

impl Phase {
    pub fn id(self) -> &'static str {
        match self {
            Phase::NotSent => "not_sent",
            Phase::Connecting => "connecting",
            Phase::Backlog => "backlog",
            Phase::Writing => "writing",
            Phase::Queued => "queued",
            Phase::Running => "running",
            Phase::Done => "done",
            Phase::Failed => "failed",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Phase::NotSent => "not sent yet",
            Phase::Connecting => "connecting (SYN dropped, retrying)",
            Phase::Backlog => "in the listen backlog",
            Phase::Writing => "accepted, the client still writing it",
            Phase::Queued => "accepted, queued",
            Phase::Running => "being handled",
            Phase::Done => "answered",
            Phase::Failed => "failed",
        }
    }
}

pub fn phase_at(r: &RequestRecord, t: u64) -> Phase {
    if t < r.sent {
        return Phase::NotSent;
    }
    if t >= r.finished {
        return if r.status == Status::Ok {
            Phase::Done
        } else {
            Phase::Failed
        };
    }
    match (r.connected, r.accepted, r.started) {
        (None, _, _) => Phase::Connecting,
        (Some(c), _, _) if t < c => Phase::Connecting,
        (_, None, _) => Phase::Backlog,
        (_, Some(a), _) if t < a => Phase::Backlog,
        (_, _, Some(s)) if t >= s => Phase::Running,
        _ if r.written.is_some_and(|w| t < w) => Phase::Writing,
        _ => Phase::Queued,
    }
}

/// A thread at an instant.
#[derive(Clone, Debug, PartialEq)]
pub struct LaneNow {
    pub lane: u32,
    pub name: String,
    pub kind: LaneKind,
    pub state: ThreadState,
    pub request: Option<u32>,
    pub activity: String,
}

/// A worker process at an instant.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerNow {
    pub worker: u32,
    pub lanes: Vec<LaneNow>,
    /// The thread holding the GIL (running Python, or waiting for a core to run it), if any.
    pub gil_holder: Option<String>,
    /// The event loop (or main thread) is in a blocking call: its activity.
    pub blocked_by: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub t_ns: u64,
    pub phases: Vec<(u32, Phase)>,
    pub backlog: usize,
    pub workers: Vec<WorkerNow>,
    pub done: usize,
    /// Log lines printed up to now (index into the run's logs).
    pub logs: usize,
}

/// Segments by lane, sorted by start: built once per run.
pub struct Index {
    lanes: Vec<Vec<Segment>>,
}

impl Index {
    pub fn new(v: &RunView) -> Index {
        let mut lanes = vec![Vec::new(); v.lanes.len()];
        for s in &v.segments {
            if let Some(l) = lanes.get_mut(s.lane as usize) {
                l.push(*s);
            }
        }
        for l in &mut lanes {
            l.sort_by_key(|s| s.start);
        }
        Index { lanes }
    }

    /// The segment of `lane` covering `t` (segments are `[start, end)`).
    pub fn at(&self, lane: u32, t: u64) -> Option<&Segment> {
        let segs = self.lanes.get(lane as usize)?;
        let i = segs.partition_point(|s| s.start <= t);
        segs[..i].last().filter(|s| t < s.end)
    }
}

pub fn snapshot(v: &RunView, index: &Index, t: u64, max_lanes_per_worker: usize) -> Snapshot {
    let phases: Vec<(u32, Phase)> = v.requests.iter().map(|r| (r.id, phase_at(r, t))).collect();
    let backlog = phases.iter().filter(|(_, p)| *p == Phase::Backlog).count();
    let done = phases
        .iter()
        .filter(|(_, p)| matches!(p, Phase::Done | Phase::Failed))
        .count();
    let nw = v.workers.len() as u32;
    let workers = (0..nw)
        .map(|w| {
            let mut lanes: Vec<LaneNow> = v
                .lanes
                .iter()
                .enumerate()
                .filter(|(_, l)| l.worker == w)
                .map(|(i, l)| {
                    let seg = index.at(i as u32, t);
                    LaneNow {
                        lane: i as u32,
                        name: l.name.clone(),
                        kind: l.kind,
                        state: seg.map_or(ThreadState::Idle, |s| s.state),
                        request: seg.and_then(|s| (s.request != NO_REQUEST).then_some(s.request)),
                        activity: seg
                            .map(|s| v.activity_label(s.activity).to_string())
                            .unwrap_or_default(),
                    }
                })
                .collect();
            // The loop / main thread first, then busy threads, then the rest, bounded.
            lanes.sort_by_key(|l| {
                let first = matches!(
                    l.kind,
                    LaneKind::EventLoop | LaneKind::Main | LaneKind::Sync
                );
                (!first, l.state == ThreadState::Idle, l.lane)
            });
            lanes.truncate(max_lanes_per_worker);
            let gil_holder = lanes
                .iter()
                .find(|l| {
                    matches!(l.state, ThreadState::Cpu | ThreadState::CoreWait)
                        && !matches!(l.kind, LaneKind::ProcessPool | LaneKind::Client)
                })
                .map(|l| l.name.clone());
            let blocked_by = lanes
                .iter()
                .find(|l| {
                    matches!(l.kind, LaneKind::EventLoop | LaneKind::Main)
                        && l.state == ThreadState::Blocked
                })
                .map(|l| l.activity.clone());
            WorkerNow {
                worker: w,
                lanes,
                gil_holder,
                blocked_by,
            }
        })
        .collect();
    let logs = v.logs.partition_point(|l| l.time <= t);
    Snapshot {
        t_ns: t,
        phases,
        backlog,
        workers,
        done,
        logs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Detail;
    use loopsim_engine::presets;

    const S: u64 = 1_000_000_000;

    fn view(name: &str) -> RunView {
        crate::run::run_to_end(
            1,
            &presets::find(name).unwrap().scenario(),
            Detail::default(),
        )
        .unwrap()
    }

    #[test]
    fn time_advances_with_speed_and_stops_at_the_end() {
        let mut r = Replay::new(20 * S);
        r.set_speed(Speed::Times(2.0));
        r.tick(1000.0);
        assert_eq!(r.t_ns, 0, "paused: nothing moves");
        r.play();
        r.tick(1000.0);
        assert_eq!(r.t_ns, 2 * S);
        r.set_speed(Speed::Fit10s);
        r.tick(5000.0);
        assert_eq!(r.t_ns, 12 * S);
        r.tick(60_000.0);
        assert_eq!((r.t_ns, r.playing), (20 * S, false));
        r.play();
        assert_eq!(r.t_ns, 0, "play at the end starts over");
    }

    #[test]
    fn scrub_is_exact_and_steps_are_even() {
        let mut r = Replay::new(20 * S);
        r.scrub(5 * S + 7);
        assert_eq!(r.t_ns, 5 * S + 7);
        r.scrub(99 * S);
        assert_eq!(r.t_ns, 20 * S);
        r.step(-1);
        assert_eq!(r.t_ns, 20 * S - 20 * S / STEPS);
        r.set_speed(Speed::Times(1e9));
        assert_eq!(r.speed, Speed::Times(Speed::MAX));
    }

    #[test]
    fn reduced_motion_steps_once_a_second() {
        let mut r = Replay::new(10 * S);
        r.reduced_motion = true;
        r.play();
        r.tick(999.0);
        assert_eq!(r.t_ns, 0);
        r.tick(1.0);
        assert_eq!(r.t_ns, 10 * S / STEPS);
    }

    #[test]
    fn the_blocked_loop_and_the_queued_request() {
        let v = view("fastapi-async-time-sleep");
        let idx = Index::new(&v);
        let s = snapshot(&v, &idx, 5 * S, 8);
        assert_eq!(s.phases, vec![(0, Phase::Running), (1, Phase::Queued)]);
        let w = &s.workers[0];
        assert_eq!(w.lanes[0].name, "w0 event loop");
        assert_eq!(w.lanes[0].state, ThreadState::Blocked);
        assert_eq!(w.blocked_by.as_deref(), Some("time.sleep(10)"));
        assert_eq!(w.gil_holder, None, "time.sleep releases the GIL");
        assert_eq!(s.logs, 1, "Sleeping for 10");
        let s = snapshot(&v, &idx, 15 * S, 8);
        assert_eq!(s.phases, vec![(0, Phase::Done), (1, Phase::Running)]);
        assert_eq!(s.workers[0].lanes[0].request, Some(1));
        assert_eq!(s.logs, 3, "Sleeping, Awake, Sleeping");
    }

    #[test]
    fn flask_runs_both_at_once() {
        let v = view("flask-threaded-time-sleep");
        let idx = Index::new(&v);
        let s = snapshot(&v, &idx, 5 * S, 8);
        assert_eq!(s.phases, vec![(0, Phase::Running), (1, Phase::Running)]);
        let blocked = s.workers[0]
            .lanes
            .iter()
            .filter(|l| l.state == ThreadState::Blocked)
            .count();
        assert_eq!(blocked, 2);
        assert_eq!(s.workers[0].blocked_by, None, "the main thread is free");
    }

    #[test]
    fn a_request_ab_has_not_written_yet() {
        // ab on the server's machine connects, then writes the request (0.5 ms of its CPU):
        // the loop accepted it at 0, its handler runs 0.5–1.5 ms.
        let sc = loopsim_engine::Scenario::from_json(
            r#"{"version": 1,
                "server": {"kind": "uvicorn", "cores": 2,
                           "costs": {"accept_us": 0, "parse_us": 0, "respond_us": 0, "wake_us": 0,
                                     "idle_wake_us": 0, "accept_call_us": 0, "setup_us": 0}},
                "handler": {"route": "async_def", "overhead": {"dist": "constant", "ms": 0},
                            "steps": [{"kind": "cpu", "duration": {"dist": "constant", "ms": 1}}]},
                "load": {"kind": "closed", "requests": 1, "concurrency": 1, "client_cpu_us": 1000}}"#,
        )
        .unwrap();
        let v = crate::run::run_to_end(1, &sc, Detail::default()).unwrap();
        let idx = Index::new(&v);
        let at = |t: u64| snapshot(&v, &idx, t, 8).phases;
        assert_eq!(v.requests[0].written, Some(S / 2000));
        assert_eq!(at(S / 4000), vec![(0, Phase::Writing)]);
        assert_eq!(at(S / 1000), vec![(0, Phase::Running)]);
        assert_eq!(
            Phase::Writing.describe(),
            "accepted, the client still writing it"
        );
    }
}
