//! `server.costs.cold_accept_us`, `cold_setup_us`, `cold_read_us` and `cold_task_us`: an
//! asyncio accept callback, set-up stage, read callback or task step that runs right after a
//! callback of another kind pays extra CPU (its code and data are not in the processor's
//! caches). A loop that reads a batch of requests one after another, then runs their tasks one
//! after another, pays each once per batch; requests one at a time pay them every time.

mod common;

use common::*;
use loopsim_engine::record::Warmth;
use serde_json::{json, Value};

/// uvicorn, every cost 0 but a 10 µs parse, a 100 µs framework overhead and the cold extras.
fn uvicorn(cold_read_us: f64, cold_task_us: f64, steps: Value, load: Value) -> Value {
    let mut costs = zero_costs();
    costs["parse_us"] = json!(10.0);
    costs["cold_read_us"] = json!(cold_read_us);
    costs["cold_task_us"] = json!(cold_task_us);
    json!({
        "version": 1,
        "server": {"kind": "uvicorn", "cores": 4, "costs": costs},
        "handler": {"route": "async_def", "overhead": constant(0.1), "steps": steps},
        "load": load
    })
}

fn warmth(r: &loopsim_engine::RunResult) -> Warmth {
    r.workers[0]
        .loop_stats
        .as_ref()
        .expect("an event loop's stats")
        .warmth
}

#[test]
fn a_lone_request_runs_its_read_and_its_task_cold() {
    // Accept, set-up and its registration come first (0 µs each); the read runs after the
    // registration (cold: 20 + 10 µs), the task after the read (cold: 30 + 100 µs).
    let r = run(uvicorn(20.0, 30.0, json!([]), burst(1)));
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![160_000]);
    assert_eq!(loop_cpu_us(&r), vec![160]);
    let w = warmth(&r);
    assert_eq!(
        (w.reads, w.reads_cold, w.task_steps, w.task_steps_cold),
        (1, 1, 1, 1)
    );
    // Without the extras, 110 µs; the callbacks are counted all the same.
    let r = run(uvicorn(0.0, 0.0, json!([]), burst(1)));
    assert_eq!(latencies(&r), vec![110_000]);
    assert_eq!(warmth(&r).reads_cold, 1);
}

#[test]
fn a_batch_pays_once_per_kind_and_requests_one_at_a_time_pay_every_time() {
    // Four at once: one iteration reads all four (20 + 4 × 10 = 60 µs), the next runs their
    // tasks (30, then 100 each): done at 190, 290, 390, 490 µs.
    let r = run(uvicorn(20.0, 30.0, json!([]), burst(4)));
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![190_000, 290_000, 390_000, 490_000]);
    assert_eq!(loop_cpu_us(&r), vec![490]);
    let w = warmth(&r);
    assert_eq!(
        (w.reads, w.reads_cold, w.task_steps, w.task_steps_cold),
        (4, 1, 4, 1)
    );
    // The same four 1 ms apart: each pays both, 160 µs each.
    let r = run(uvicorn(
        20.0,
        30.0,
        json!([]),
        json!({"kind": "burst", "offsets_ms": [0.0, 1.0, 2.0, 3.0]}),
    ));
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![160_000; 4]);
    assert_eq!(loop_cpu_us(&r), vec![640]);
    let w = warmth(&r);
    assert_eq!((w.reads_cold, w.task_steps_cold), (4, 4));
}

#[test]
fn a_task_resumed_after_an_await_runs_cold_again() {
    // The task's first step ends at 160 µs awaiting 1 ms; the timer's callback wakes it at
    // 1.160 ms and its second step runs next iteration, after that callback: cold (30 µs).
    let r = run(uvicorn(
        20.0,
        30.0,
        json!([step("await_io", 1.0)]),
        burst(1),
    ));
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![1_190_000]);
    let w = warmth(&r);
    assert_eq!((w.task_steps, w.task_steps_cold), (2, 2));
}

/// uvicorn as `uvicorn(0, 0, no steps, load)` with a 8 µs set-up (4 µs per stage) and the
/// accept callback's and set-up stages' cold extras.
fn uvicorn_cold_accept(cold_accept_us: f64, cold_setup_us: f64, load: Value) -> Value {
    let mut v = uvicorn(0.0, 0.0, json!([]), load);
    let costs = &mut v["server"]["costs"];
    costs["setup_us"] = json!(8.0);
    costs["cold_accept_us"] = json!(cold_accept_us);
    costs["cold_setup_us"] = json!(cold_setup_us);
    v
}

#[test]
fn the_accept_callback_and_each_set_up_stage_pay_once_per_batch() {
    // One request: the accept callback's first `accept()` runs cold (15 µs), then each set-up
    // stage (7 + 4 µs, twice), the parse (10) and the task (100): 147 µs.
    let r = run(uvicorn_cold_accept(15.0, 7.0, burst(1)));
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![147_000]);
    let w = warmth(&r);
    assert_eq!(
        (w.accepts, w.accepts_cold, w.setups, w.setups_cold),
        (1, 1, 2, 2)
    );
    // Four at once: one accept callback takes all four (15), each stage runs as a batch of
    // four (7 + 4 × 4, twice), then the four reads (40): the tasks start at 101 µs.
    let r = run(uvicorn_cold_accept(15.0, 7.0, burst(4)));
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![201_000, 301_000, 401_000, 501_000]);
    assert_eq!(loop_cpu_us(&r), vec![501]);
    let w = warmth(&r);
    assert_eq!(
        (w.accepts, w.accepts_cold, w.setups, w.setups_cold),
        (1, 1, 8, 2)
    );
    // Without the extras the same four take 29 µs less each (15 + 7 + 7); the callbacks are
    // counted all the same.
    let r = run(uvicorn_cold_accept(0.0, 0.0, burst(4)));
    assert_eq!(latencies(&r), vec![172_000, 272_000, 372_000, 472_000]);
    assert_eq!(warmth(&r).setups_cold, 2);
}

#[test]
fn the_cold_accept_comes_before_the_connection_is_taken() {
    // Two workers, one connection: both wake and pay the cold first `accept()`; one takes the
    // connection, the other's `accept()` finds none. With the extra, the request starts 15 µs
    // later.
    let mut v = uvicorn_cold_accept(15.0, 0.0, burst(1));
    v["server"]["workers"] = json!(2);
    let with = run(v.clone());
    assert!(all_ok(&with));
    v["server"]["costs"]["cold_accept_us"] = json!(0.0);
    let without = run(v);
    assert_eq!(latencies(&with)[0], latencies(&without)[0] + 15_000);
}

#[test]
fn threaded_servers_ignore_them() {
    let mut v = uvicorn(20.0, 30.0, json!([]), burst(1));
    v["server"]["costs"]["cold_accept_us"] = json!(15.0);
    v["server"]["costs"]["cold_setup_us"] = json!(7.0);
    v["server"]["kind"] = json!("waitress");
    v["handler"]["route"] = json!("def");
    let with = run(v.clone());
    v["server"]["costs"]["cold_read_us"] = json!(0.0);
    v["server"]["costs"]["cold_task_us"] = json!(0.0);
    v["server"]["costs"]["cold_accept_us"] = json!(0.0);
    v["server"]["costs"]["cold_setup_us"] = json!(0.0);
    assert_eq!(latencies(&with), latencies(&run(v)));
    assert!(with.workers[0].loop_stats.is_none());
}

#[test]
fn the_cold_costs_are_checked() {
    for f in [
        "cold_accept_us",
        "cold_setup_us",
        "cold_read_us",
        "cold_task_us",
    ] {
        let mut v = uvicorn(0.0, 0.0, json!([]), burst(1));
        v["server"]["costs"][f] = json!(2e6);
        let e = refusal(&v);
        assert!(
            e.contains(&format!(
                "server.costs.{f}: must be between 0 and 1000000 (got 2000000)"
            )),
            "{e}"
        );
        v["server"]["costs"][f] = json!("30");
        assert!(refusal(&v).contains(f));
    }
}

#[test]
fn with_a_decay_each_further_task_step_of_a_batch_pays_a_falling_share() {
    // Four at once, a 40 µs cold task step: the read batch takes 20 + 4 × 10 = 60 µs; then
    // the tasks pay 40, then with a decay of 0.5 a further 20, 10 and 5 (each 100 of its
    // own): done at 200, 320, 430 and 535 µs. Without the decay only the first pays: 200,
    // 300, 400, 500.
    let mut v = uvicorn(20.0, 40.0, json!([]), burst(4));
    let r = run(v.clone());
    assert_eq!(latencies(&r), vec![200_000, 300_000, 400_000, 500_000]);
    v["server"]["costs"]["cold_task_decay"] = json!(0.5);
    let r = run(v.clone());
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![200_000, 320_000, 430_000, 535_000]);
    // Still one cold task step: the others are its run.
    assert_eq!(warmth(&r).task_steps_cold, 1);
    // Requests one at a time: every task step is the first of its run, the decay changes
    // nothing.
    let one = |decay: f64| {
        let mut v = uvicorn(
            20.0,
            40.0,
            json!([]),
            json!({"kind": "closed", "requests": 3, "concurrency": 1}),
        );
        v["server"]["costs"]["cold_task_decay"] = json!(decay);
        latencies(&run(v))
    };
    assert_eq!(one(0.5), one(0.0));
    v["server"]["costs"]["cold_task_decay"] = json!(1.0);
    assert!(refusal(&v).contains("server.costs.cold_task_decay"));
}
