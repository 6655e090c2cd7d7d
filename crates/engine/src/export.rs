//! Results as JSON and CSV (the CLI's `--format json|csv` and the app's downloads).

use std::fmt::Write;

use serde_json::{json, Value};

use crate::record::{Lane, RequestRecord};
use crate::sim::RunResult;
use crate::time::to_ms;

fn opt_ms(t: Option<u64>) -> Value {
    t.map_or(Value::Null, |v| json!(to_ms(v)))
}

fn lane_name(lanes: &[Lane], lane: Option<u32>) -> Value {
    lane.and_then(|l| lanes.get(l as usize))
        .map_or(Value::Null, |l| json!(l.name))
}

/// One request as a JSON object (times in ms from the start of the run); `lanes` names its
/// thread.
pub fn request_json(lanes: &[Lane], q: &RequestRecord) -> Value {
    json!({
        "id": q.id,
        "client": q.client,
        "sent_ms": to_ms(q.sent),
        "connected_ms": opt_ms(q.connected),
        "accepted_ms": opt_ms(q.accepted),
        "written_ms": opt_ms(q.written),
        "started_ms": opt_ms(q.started),
        "finished_ms": to_ms(q.finished),
        "latency_ms": q.latency_ms(),
        "status": q.status.id(),
        "worker": q.worker,
        "thread": lane_name(lanes, q.lane),
        "syn_retries": q.syn_retries,
        "connecting_ms": to_ms(q.split.connecting),
        "queued_ms": to_ms(q.split.queued),
        "cpu_ms": to_ms(q.split.cpu),
        "gil_wait_ms": to_ms(q.split.gil_wait),
        "core_wait_ms": to_ms(q.split.core_wait),
        "blocked_ms": to_ms(q.split.blocked),
        "awaiting_ms": to_ms(q.split.awaiting),
    })
}

/// The whole result: scenario, summary, workers and every kept request.
pub fn result_json(r: &RunResult) -> Value {
    json!({
        "scenario": r.scenario,
        "summary": r.summary,
        "workers": r.workers,
        "requests_sent": r.requests_sent,
        "latency_cdf": r.latency_cdf,
        "latency_histogram": r.latency_histogram,
        "concurrency": r.concurrency,
        "requests": r.requests.iter().map(|q| request_json(&r.lanes, q)).collect::<Vec<_>>(),
    })
}

pub const CSV_HEADER: &str = "id,client,sent_ms,connected_ms,accepted_ms,started_ms,finished_ms,latency_ms,status,worker,thread,syn_retries,connecting_ms,queued_ms,cpu_ms,gil_wait_ms,core_wait_ms,blocked_ms,awaiting_ms,written_ms";

/// Every kept request, one CSV row each.
pub fn requests_csv(r: &RunResult) -> String {
    csv(&r.requests, &r.lanes)
}

/// `requests` as CSV; `lanes` names their threads.
pub fn csv(requests: &[RequestRecord], lanes: &[Lane]) -> String {
    let mut o = String::with_capacity(64 + requests.len() * 120);
    o.push_str(CSV_HEADER);
    o.push('\n');
    let ms = |v: u64| format!("{:.6}", to_ms(v));
    let opt = |v: Option<u64>| v.map(ms).unwrap_or_default();
    for q in requests {
        let thread = q
            .lane
            .and_then(|l| lanes.get(l as usize))
            .map(|l| l.name.as_str())
            .unwrap_or("");
        let _ = writeln!(
            o,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            q.id,
            q.client,
            ms(q.sent),
            opt(q.connected),
            opt(q.accepted),
            opt(q.started),
            ms(q.finished),
            ms(q.latency()),
            q.status.id(),
            q.worker.map(|w| w.to_string()).unwrap_or_default(),
            thread,
            q.syn_retries,
            ms(q.split.connecting),
            ms(q.split.queued),
            ms(q.split.cpu),
            ms(q.split.gil_wait),
            ms(q.split.core_wait),
            ms(q.split.blocked),
            ms(q.split.awaiting),
            opt(q.written),
        );
    }
    o
}
