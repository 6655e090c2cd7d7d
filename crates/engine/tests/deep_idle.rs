//! Going cold while idle (`idle.rs`): a worker woken after idling for `d` runs
//! `idle_wake_us + deep_wake_us × (1 − e^(−d / deep_idle_ms))` later, `d` running from the last
//! moment a thread of its process had CPU work (the whole of it from the run's start); the
//! load's client process pays `client_cold_us` of the same coldness as extra CPU on its first
//! job after an idle spell, `client_cold_send_us` of it before that job's request goes out;
//! and a worker woken cold owes `cold_cpu_us` of the same coldness, its next CPU work running
//! at half speed until it is paid.

mod common;

use common::*;
use serde_json::{json, Value};

fn server(kind: &str, route: &str, step_kind: &str, deep_wake_us: f64, load: Value) -> Value {
    json!({
        "version": 1,
        "server": {"kind": kind, "cores": 2,
                   "costs": {"accept_us": 40.0, "setup_us": 0.0, "parse_us": 0.0, "respond_us": 0.0,
                             "idle_wake_us": 150.0, "deep_wake_us": deep_wake_us,
                             "deep_idle_ms": 50.0}},
        "handler": {"route": route, "overhead": zero_overhead(), "steps": [step(step_kind, 10.0)]},
        "load": load
    })
}

/// `full_us × (1 − e^(−idle_ms / 50))`, in whole ns, as the engine rounds it.
fn cold_ns(full_us: f64, idle_ms: f64) -> u64 {
    (full_us * 1000.0 * (1.0 - (-idle_ms / 50.0).exp())).round() as u64
}

#[test]
fn a_loop_idle_since_the_start_pays_the_whole_deep_wake_and_a_short_idle_little() {
    // The connection at 0 finds the loop idle since before the run: it runs at 0.15 + 0.2 ms,
    // accepts (40 µs) by 0.39, and the task awaits 10 ms: the loop's last CPU ended at 0.39,
    // so the awaited result at 10.39 wakes a loop idle for 10 ms: 150 µs + 18.1 % of 200 µs.
    let r = run(server("uvicorn", "async_def", "await_io", 200.0, burst(1)));
    assert_eq!(by_id(&r)[0].accepted, Some(ms(0.39)));
    assert_eq!(cold_ns(200.0, 10.0), 36_254);
    assert_eq!(latencies(&r), vec![ms(10.39) + 150_000 + 36_254]);
    // Without it: the 0.15 ms wake-up each time.
    let r = run(server("uvicorn", "async_def", "await_io", 0.0, burst(1)));
    assert_eq!(by_id(&r)[0].accepted, Some(ms(0.19)));
    assert_eq!(latencies(&r), vec![ms(10.34)]);
}

#[test]
fn a_sync_worker_goes_cold_between_requests() {
    // gunicorn sync: the first request finds the worker idle since the start (wake-up 0.35 ms,
    // accept to 0.39, 10 ms blocked: 10.39); its last CPU was that accept, so the second, sent
    // at 30 ms, wakes a worker idle for 29.61 ms: 150 µs + 44.7 % of 200 µs, then the accept
    // and 10 ms.
    let load = json!({"kind": "burst", "offsets_ms": [0.0, 30.0]});
    let r = run(server("gunicorn_sync", "def", "blocking_io", 200.0, load));
    let lat = latencies(&r);
    assert_eq!(lat[0], ms(10.39));
    assert_eq!(cold_ns(200.0, 29.61), 89_378);
    assert_eq!(lat[1], 150_000 + 89_378 + 40_000 + ms(10.0));
}

#[test]
fn every_idle_worker_of_a_herd_wakes_as_late_as_its_own_idle_time_says() {
    // Two gunicorn sync workers idle since the start, one connection: both are woken, the
    // first 0.35 ms later, the other `wake_us` (50 µs) after it, and the first takes it.
    let mut v = server("gunicorn_sync", "def", "blocking_io", 200.0, burst(1));
    v["server"]["workers"] = json!(2);
    v["server"]["costs"]["wake_us"] = json!(50.0);
    let r = run(v);
    assert_eq!(by_id(&r)[0].accepted, Some(ms(0.39)));
    assert_eq!(latencies(&r), vec![ms(10.39)]);
}

#[test]
fn a_worker_woken_cold_runs_at_half_speed_until_it_has_paid_its_debt() {
    // Idle since the start, the loop owes 100 µs when the connection wakes it at 0.15 ms: its
    // 40 µs accept takes 80 (to 0.23), and the handler's 1 ms step pays the other 60.
    let mut v = server("uvicorn", "async_def", "cpu", 0.0, burst(1));
    v["server"]["costs"]["cold_cpu_us"] = json!(100.0);
    v["handler"]["steps"] = json!([step("cpu", 1.0)]);
    let r = run(v.clone());
    assert_eq!(by_id(&r)[0].accepted, Some(ms(0.23)));
    assert_eq!(latencies(&r), vec![ms(1.29)]);
    assert_eq!(r.requests[0].split.cpu, ms(1.14));
    // A second request 30 ms later wakes it at 30.15 ms, idle since 1.29 ms: it owes 100 µs
    // × 43.9 %, and pays it the same way (its accept 40 + 40, the step the other 3.9 µs).
    v["load"] = json!({"kind": "burst", "offsets_ms": [0.0, 30.0]});
    let r = run(v.clone());
    let owed = cold_ns(100.0, 30.15 - 1.29);
    assert_eq!(owed, 43_853);
    assert_eq!(
        latencies(&r),
        vec![ms(1.29), 150_000 + 40_000 + ms(1.0) + owed]
    );
    // Not owed by a threaded worker's acceptor alone: a sync worker pays it too.
    v["server"]["kind"] = json!("gunicorn_sync");
    v["handler"]["route"] = json!("def");
    v["load"] = burst(1);
    let r = run(v);
    assert_eq!(latencies(&r), vec![ms(1.29)]);
}

fn client_load(cold_us: Option<f64>, cold_send_us: Option<f64>) -> Value {
    let mut l = json!({"kind": "burst", "clients": 3, "client_cpu_us": 100.0,
                       "client_send_us": 20.0});
    if let Some(c) = cold_us {
        l["client_cold_us"] = json!(c);
    }
    if let Some(c) = cold_send_us {
        l["client_cold_send_us"] = json!(c);
    }
    l
}

fn sent_us(r: &loopsim_engine::RunResult) -> Vec<u64> {
    by_id(r).iter().map(|q| q.sent / 1000).collect()
}

#[test]
fn the_client_runs_its_first_pass_after_idling_cold() {
    // Three sends of 20 µs each; the client is idle since the start, so the first pays the
    // cold extra: 100 µs before its request goes out (at 0.12 ms), 200 after, then the other
    // two go out 20 µs apart.
    let sends = |cold, cold_send| {
        sent_us(&run(server(
            "uvicorn",
            "async_def",
            "cpu",
            0.0,
            client_load(cold, cold_send),
        )))
    };
    assert_eq!(sends(Some(300.0), Some(100.0)), vec![120, 340, 360]);
    // Half before the send by default.
    assert_eq!(sends(Some(300.0), None), vec![170, 340, 360]);
    // Without it: 20 µs apart from the start.
    assert_eq!(sends(None, None), vec![20, 40, 60]);
}

/// `v` is refused with a message containing `msg`.
fn refused(v: &Value, msg: &str) {
    let e = refusal(v);
    assert!(e.contains(msg), "{e}");
}

#[test]
fn the_settings_are_checked() {
    let mut v = server("uvicorn", "async_def", "cpu", -1.0, burst(1));
    refused(
        &v,
        "server.costs.deep_wake_us: must be between 0 and 1000000 (got -1)",
    );
    v["server"]["costs"]["deep_wake_us"] = json!(100.0);
    v["server"]["costs"]["cold_cpu_us"] = json!(-2.0);
    refused(
        &v,
        "server.costs.cold_cpu_us: must be between 0 and 1000000 (got -2)",
    );
    v["server"]["costs"]["cold_cpu_us"] = json!(100.0);
    v["server"]["costs"]["deep_idle_ms"] = json!(0.0);
    refused(
        &v,
        "server.costs.deep_idle_ms: must be between 0.01 and 60000 (got 0)",
    );
    let cold_alone = json!({"kind": "burst", "clients": 1, "client_cold_us": 100.0});
    refused(
        &server("uvicorn", "async_def", "cpu", 0.0, cold_alone),
        "load.client_cold_us: needs load.client_cpu_us",
    );
    let too_much = client_load(Some(100.0), Some(150.0));
    refused(
        &server("uvicorn", "async_def", "cpu", 0.0, too_much),
        "load.client_cold_send_us: must be between 0 and 100 (at most load.client_cold_us) (got 150)",
    );
}
