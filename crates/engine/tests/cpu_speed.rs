//! The cores' speed varying over time (`server.cpu_speed`): tails in a closed loop that no
//! server cost explains, with the same average throughput.

mod common;

use common::*;
use loopsim_engine::RunResult;
use serde_json::{json, Value};

/// `ab -n 2000 -c 100` against one uvicorn worker serving a hello world (~0.45 ms of CPU per
/// request on the loop), on 2 cores; `speed` is the `cpu_speed` setting, if any.
fn ab_hello(seed: u64, speed: Option<Value>) -> Value {
    let mut server = json!({"kind": "uvicorn", "cores": 2,
        "costs": {"accept_us": 50.0, "parse_us": 100.0, "respond_us": 100.0, "spawn_us": 0.0}});
    if let Some(s) = speed {
        server["cpu_speed"] = s;
    }
    json!({
        "version": 1,
        "seed": seed,
        "server": server,
        "handler": {"route": "async_def", "overhead": constant(0.2), "steps": []},
        "load": {"kind": "closed", "requests": 2000, "concurrency": 100}
    })
}

/// max / median of the latencies.
fn tail(r: &RunResult) -> f64 {
    r.summary.max_ms / r.summary.p50_ms
}

#[test]
fn a_varying_speed_gives_a_closed_loop_its_tail_and_keeps_its_throughput() {
    // At a constant speed every request waits for the 99 ahead of it: ~45 ms each, the max
    // within 5 % of the median. With speeds of log-sd 0.2 held ~40 ms, requests queued at a
    // slow moment wait longer: the max is 15 % or more above the median, for every seed.
    // A run of ~0.9 s sees only ~20 speeds on the loop's core, so its length varies by
    // several %; the mean speed of 1 keeps the average over 8 seeds within 3 %.
    let steady = run(ab_hello(1, None));
    assert!(all_ok(&steady));
    assert!(
        tail(&steady) < 1.05,
        "tail without variation {}",
        tail(&steady)
    );
    let mut makespans = 0.0;
    for seed in 1..=8 {
        let r = run(ab_hello(seed, Some(json!({"sigma": 0.2, "hold_ms": 40.0}))));
        assert!(all_ok(&r));
        assert!(tail(&r) > 1.15, "seed {seed}: tail {}", tail(&r));
        makespans += r.summary.makespan_ms / 8.0;
    }
    let ratio = makespans / steady.summary.makespan_ms;
    assert!((0.97..1.03).contains(&ratio), "mean makespan × {ratio}");
}

#[test]
fn the_variation_is_drawn_from_the_seed() {
    let speed = || Some(json!({"sigma": 0.3, "hold_ms": 10.0}));
    let a = run(ab_hello(7, speed()));
    let b = run(ab_hello(7, speed()));
    assert_eq!(a.summary, b.summary);
    assert_eq!(a.requests, b.requests);
    let c = run(ab_hello(8, speed()));
    assert_ne!(a.summary.max_ms, c.summary.max_ms);
}

#[test]
fn a_sigma_of_zero_is_a_constant_speed() {
    let off = run(ab_hello(3, Some(json!({"sigma": 0.0, "hold_ms": 5.0}))));
    let none = run(ab_hello(3, None));
    assert_eq!(off.summary, none.summary);
    assert_eq!(off.requests, none.requests);
}

#[test]
fn out_of_range_settings_are_refused_with_their_paths() {
    let check = |speed: Value, want: &str| {
        let e = refusal(&ab_hello(1, Some(speed)));
        assert!(e.contains(want), "{e}");
    };
    check(
        json!({"sigma": 1.5, "hold_ms": 10.0}),
        "server.cpu_speed.sigma: must be between 0 and 1 (got 1.5)",
    );
    check(
        json!({"sigma": 0.1, "hold_ms": 0.0}),
        "server.cpu_speed.hold_ms: must be between 0.1 and 60000 (got 0)",
    );
    check(json!({"sigma": 0.1}), "hold_ms");
    check(
        json!({"sigma": 0.1, "hold_ms": 10.0, "seed": 1}),
        "unknown field",
    );
}

#[test]
fn the_report_names_the_varying_speed() {
    let r = run(ab_hello(1, Some(json!({"sigma": 0.15, "hold_ms": 40.0}))));
    let text = loopsim_engine::report::ab_report(&r);
    assert!(
        text.contains(
            "Server Model:           2 cores, speed varying (sigma 0.15, held ~40 ms), GIL"
        ),
        "{text}"
    );
}
