//! Helpers shared by the engine's integration tests: scenarios written as JSON (so that every
//! test also goes through the parser and validator), runs, and record look-ups.

#![allow(dead_code)]

use loopsim_engine::time::from_ms;
use loopsim_engine::{RequestRecord, RunResult, Scenario, Segment, Status};
use serde_json::{json, Value};

/// Parses and validates a scenario given as JSON; panics with the errors if it is rejected.
pub fn scenario(v: Value) -> Scenario {
    Scenario::from_json(&v.to_string())
        .unwrap_or_else(|e| panic!("test scenario rejected:\n{e}\n{v:#}"))
}

/// Why a scenario given as JSON is refused (the validator's message); panics if it is not.
pub fn refusal(v: &Value) -> String {
    match Scenario::from_json(&v.to_string()) {
        Ok(_) => panic!("scenario accepted:\n{v:#}"),
        Err(e) => e.to_string(),
    }
}

/// Runs a scenario given as JSON.
pub fn run(v: Value) -> RunResult {
    loopsim_engine::run(&scenario(v)).expect("validated scenario runs")
}

/// Every server CPU cost set to 0, for hand-computable latencies.
pub fn zero_costs() -> Value {
    json!({"accept_us": 0.0, "setup_us": 0.0, "parse_us": 0.0, "respond_us": 0.0, "spawn_us": 0.0, "wake_us": 0.0, "to_thread_us": 0.0, "close_wait_us": 0.0, "kernel_share": 0.0})
}

/// No framework overhead.
pub fn zero_overhead() -> Value {
    constant(0.0)
}

pub fn constant(ms: f64) -> Value {
    json!({"dist": "constant", "ms": ms})
}

pub fn step(kind: &str, ms: f64) -> Value {
    json!({"kind": kind, "duration": constant(ms)})
}

/// Flask's dev server on 4 cores, two simultaneous requests, each with `cpu_ms` of CPU in its
/// handler and no framework overhead; server costs `costs`.
pub fn flask_two_cpu_requests(costs: Value, cpu_ms: f64) -> Value {
    json!({
        "version": 1,
        "server": {"kind": "flask_dev", "cores": 4, "costs": costs},
        "handler": {"route": "def", "overhead": zero_overhead(), "steps": [step("cpu", cpu_ms)]},
        "load": burst(2)
    })
}

/// `clients` requests sent together at t = 0.
pub fn burst(clients: u32) -> Value {
    json!({"kind": "burst", "clients": clients})
}

pub fn ms(x: f64) -> u64 {
    from_ms(x)
}

/// Records sorted by request id (the order the clients sent them in a burst).
pub fn by_id(r: &RunResult) -> Vec<RequestRecord> {
    let mut v = r.requests.clone();
    v.sort_by_key(|q| q.id);
    v
}

/// Latencies (ns) in request-id order.
pub fn latencies(r: &RunResult) -> Vec<u64> {
    by_id(r).iter().map(|q| q.latency()).collect()
}

/// Latencies (ns), sorted.
pub fn sorted_latencies(r: &RunResult) -> Vec<u64> {
    let mut v = latencies(r);
    v.sort_unstable();
    v
}

pub fn all_ok(r: &RunResult) -> bool {
    r.requests.iter().all(|q| q.status == Status::Ok)
}

/// The index of the lane called `name`.
pub fn lane_named(r: &RunResult, name: &str) -> usize {
    r.lanes
        .iter()
        .position(|l| l.name == name)
        .unwrap_or_else(|| panic!("no lane {name:?}"))
}

/// The segments of one lane, in time order.
pub fn lane_segments(r: &RunResult, lane: u32) -> Vec<Segment> {
    let mut v: Vec<Segment> = r
        .segments
        .iter()
        .copied()
        .filter(|s| s.lane == lane)
        .collect();
    v.sort_by_key(|s| (s.start, s.end));
    v
}

/// The segments worked for one request, in time order.
pub fn request_segments(r: &RunResult, id: u32) -> Vec<Segment> {
    let mut v: Vec<Segment> = r
        .segments
        .iter()
        .copied()
        .filter(|s| s.request == id)
        .collect();
    v.sort_by_key(|s| (s.start, s.end, s.lane));
    v
}

/// A count of each value, e.g. how many requests finished at each latency.
pub fn histogram(values: &[u64]) -> Vec<(u64, usize)> {
    let mut out: Vec<(u64, usize)> = Vec::new();
    let mut v = values.to_vec();
    v.sort_unstable();
    for x in v {
        match out.last_mut() {
            Some((y, n)) if *y == x => *n += 1,
            _ => out.push((x, 1)),
        }
    }
    out
}

/// Each worker's event-loop CPU, in µs.
pub fn loop_cpu_us(r: &RunResult) -> Vec<u64> {
    r.lanes
        .iter()
        .zip(&r.lane_totals)
        .filter(|(l, _)| l.kind == loopsim_engine::record::LaneKind::EventLoop)
        .map(|(_, t)| t.cpu / 1000)
        .collect()
}
