//! `simtrace <scenario.json>`: the simulated run's printed lines as JSON:
//! `{"logs": [{"time_ms", "request", "worker", "thread", "text"}]}`.

use loopsim_engine::{run, Scenario};
use serde_json::json;

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: simtrace <scenario.json>");
    let text = std::fs::read_to_string(&path).expect("read the scenario");
    let scenario = Scenario::from_json(&text).unwrap_or_else(|e| panic!("{path}: {e:?}"));
    let r = run(&scenario).unwrap_or_else(|e| panic!("{path}: {e:?}"));
    let logs: Vec<_> = r
        .logs
        .iter()
        .map(|l| {
            json!({
                "time_ms": l.time as f64 / 1e6,
                "request": l.request,
                "worker": l.worker,
                "thread": r.lanes.get(l.lane as usize).map(|x| x.name.clone()),
                "text": l.text,
            })
        })
        .collect();
    println!("{}", json!({ "logs": logs }));
}
