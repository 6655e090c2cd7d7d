//! The seed experiments, computed by hand from the documented mechanism with the default costs:
//!
//! - uvicorn / gunicorn + uvicorn: accept 25 µs, parse 60 µs, respond 60 µs, FastAPI 150 µs;
//! - Flask's dev server (werkzeug): accept 40 µs, spawn 60 µs, parse 250 µs, respond 150 µs,
//!   Flask 80 µs.
//!
//! An asyncio iteration polls (I/O, due timers, thread-safe callbacks, then the listening
//! socket), then runs exactly the callbacks that were ready at that moment; what they schedule
//! runs in the next iteration. The accept callback takes the whole burst (up to 100), each
//! connection is readable at the next poll (read + parse), and the request task created by
//! the parse runs one iteration later.

mod common;

use common::*;
use loopsim_engine::presets::{self, PRESETS};
use loopsim_engine::{RunResult, Status};

const US: u64 = 1_000;
const MS: u64 = 1_000_000;
const TEN_S: u64 = 10_000 * MS;

fn run_preset(name: &str) -> RunResult {
    let p = presets::find(name).unwrap_or_else(|| panic!("no preset {name}"));
    loopsim_engine::run(&p.scenario()).expect("presets are valid")
}

/// (time, request id, text) of every printed line, in time order.
fn logs(r: &RunResult) -> Vec<(u64, u32, String)> {
    let mut v: Vec<_> = r
        .logs
        .iter()
        .map(|l| (l.time, l.request, l.text.clone()))
        .collect();
    v.sort();
    v
}

fn lane_name(r: &RunResult, id: u32) -> String {
    let q = r.requests.iter().find(|q| q.id == id).unwrap();
    r.lanes[q.lane.expect("the request ran on a lane") as usize]
        .name
        .clone()
}

#[test]
fn there_are_twelve_presets_with_unique_names() {
    let mut names: Vec<&str> = presets::names().collect();
    assert_eq!(names.len(), 12);
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 12);
    for p in PRESETS {
        let s = p.scenario();
        assert_eq!(s.name.as_deref(), Some(p.name));
        s.validate().unwrap();
    }
}

#[test]
fn fastapi_async_time_sleep_serialises_the_two_tabs() {
    // t = 0      both SYNs queue; the idle loop wakes.
    // 0–50 µs    accept callback: accept() once per connection, 25 µs each (A, then B).
    // 50–110     poll: A readable, parse 60 µs; 110–170 B parsed (same iteration).
    // 170        next iteration runs A's task: FastAPI 150 µs → 320, then time.sleep(10)
    //            blocks the loop → 10 000.320, respond 60 µs → A answered at 10 000.380 ms.
    // 10 000.380 B's task (ready since 170): 150 µs → .530, sleep → 20 000.530, respond
    //            → 20 000.590 ms.
    let r = run_preset("fastapi-async-time-sleep");
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![TEN_S + 380 * US, 2 * TEN_S + 590 * US]);
    assert_eq!(
        logs(&r),
        vec![
            (320 * US, 0, "Sleeping for 10".to_string()),
            (TEN_S + 320 * US, 0, "Awake".to_string()),
            (TEN_S + 530 * US, 1, "Sleeping for 10".to_string()),
            (2 * TEN_S + 530 * US, 1, "Awake".to_string()),
        ]
    );
    // Both ran on the event loop's thread.
    assert_eq!(lane_name(&r, 0), "w0 event loop");
    assert_eq!(lane_name(&r, 1), "w0 event loop");
    // Where B's time went: accept + parse + framework + respond on a core (295 µs), 10 s
    // blocked in its own sleep, the rest queued (mostly behind A's sleep).
    let b = &by_id(&r)[1];
    assert_eq!(b.split.cpu, 295 * US);
    assert_eq!(b.split.blocked, TEN_S);
    assert_eq!(b.split.queued, 2 * TEN_S + 590 * US - 295 * US - TEN_S);
    assert_eq!(b.split.gil_wait + b.split.awaiting + b.split.connecting, 0);
    let a = &by_id(&r)[0];
    assert_eq!(a.split.cpu, 295 * US);
    // A waits for B's accept (25 µs) and for B's parse (60 µs).
    assert_eq!(a.split.queued, 85 * US);
    assert_eq!(a.started, Some(170 * US));
    assert_eq!(b.started, Some(TEN_S + 380 * US));
    // Event-loop lag, per ready callback (the accept callback aside): A's read, readable at
    // 25 µs, waited for B's accept (25 µs), B's read for A's parse (60 µs), A's task for B's
    // parse (60 µs), and B's task — ready at 170 µs — for A's whole sleep: 10 000.380 ms −
    // 170 µs = 10 000.21 ms.
    let s = &r.summary;
    assert!(
        (s.loop_lag_max_ms - 10_000.21).abs() < 1e-9,
        "{}",
        s.loop_lag_max_ms
    );
    let mean = (0.025 + 0.06 + 0.06 + 10_000.21) / 4.0;
    assert!(
        (s.loop_lag_mean_ms - mean).abs() < 1e-9,
        "{}",
        s.loop_lag_mean_ms
    );
    // The loop was blocked in the two sleeps: 20 s of the 20 000.59 ms run.
    let blocked = 20_000.0 / 20_000.59;
    assert!(
        (s.loop_blocked_fraction - blocked).abs() < 1e-9,
        "{}",
        s.loop_blocked_fraction
    );
}

#[test]
fn fastapi_async_asyncio_sleep_overlaps_the_two_tabs() {
    // As above up to 170 µs. A: 150 µs → 320, await sleep (loop free). B: 150 µs → 470,
    // await. A's timer fires at 10 000.320: respond 60 µs → 10 000.380. B's at 10 000.470
    // (loop idle again): respond → 10 000.530.
    let r = run_preset("fastapi-async-asyncio-sleep");
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![TEN_S + 380 * US, TEN_S + 530 * US]);
    assert_eq!(
        logs(&r),
        vec![
            (320 * US, 0, "Sleeping for 10".to_string()),
            (470 * US, 1, "Sleeping for 10".to_string()),
            (TEN_S + 320 * US, 0, "Awake".to_string()),
            (TEN_S + 470 * US, 1, "Awake".to_string()),
        ]
    );
    for q in by_id(&r) {
        assert_eq!(q.split.awaiting, TEN_S);
        assert_eq!(q.split.blocked, 0);
    }
}

#[test]
fn fastapi_def_time_sleep_runs_in_the_threadpool() {
    // Up to 170 µs as above. A's task: 150 µs → 320, the loop's half of run_sync's round
    // trip (90 µs) → 410, takes a free AnyIO token and yields once; B's task: 150 + 90 µs →
    // 650, token, yields. Next iteration (650): both are handed to worker threads; each does
    // its half of the hand-off (90 µs) holding the GIL, one after the other: A's thread
    // 650–740, B's 740–830, and they sleep side by side. Each result comes back by
    // call_soon_threadsafe (seen at the next poll), whose callback schedules the task (one
    // more iteration): A responds 60 µs → 10 000.800, B → 10 000.890.
    let r = run_preset("fastapi-def-time-sleep");
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![TEN_S + 800 * US, TEN_S + 890 * US]);
    assert_eq!(
        logs(&r),
        vec![
            (740 * US, 0, "Sleeping for 10".to_string()),
            (830 * US, 1, "Sleeping for 10".to_string()),
            (TEN_S + 740 * US, 0, "Awake".to_string()),
            (TEN_S + 830 * US, 1, "Awake".to_string()),
        ]
    );
    assert_eq!(lane_name(&r, 0), "w0 thread 0");
    assert_eq!(lane_name(&r, 1), "w0 thread 1");
}

#[test]
fn flask_threaded_time_sleep_runs_a_thread_per_connection() {
    // The main thread holds the GIL while it accepts (40 µs) and starts a thread (60 µs) for
    // A → 100 µs; A's thread wants the GIL for its parse and waits. The main thread goes on:
    // accept B → 140, spawn → 200, then idles and drops the GIL. A: parse 250 → 450, Flask
    // 80 → 530, sleep (GIL released) → B runs: parse → 780, Flask → 860, sleep.
    // A wakes at 10 000.530, respond 150 µs → 10 000.680; B wakes at 10 000.860, respond
    // → 10 001.010 ms.
    let r = run_preset("flask-threaded-time-sleep");
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![TEN_S + 680 * US, TEN_S + 1_010 * US]);
    assert_eq!(
        logs(&r),
        vec![
            (530 * US, 0, "Sleeping for 10".to_string()),
            (860 * US, 1, "Sleeping for 10".to_string()),
            (TEN_S + 530 * US, 0, "Awake".to_string()),
            (TEN_S + 860 * US, 1, "Awake".to_string()),
        ]
    );
    assert_eq!(lane_name(&r, 0), "w0 conn thread 0");
    assert_eq!(lane_name(&r, 1), "w0 conn thread 1");
    // A's thread waited for the GIL from 100 µs to 200 µs; B's from 200 to 530.
    let q = by_id(&r);
    assert_eq!(q[0].split.gil_wait, 100 * US);
    assert_eq!(q[1].split.gil_wait, 330 * US);
}

#[test]
fn fastapi_async_cpu_bound_serialises_the_two_tabs() {
    // As fastapi-async-time-sleep, with 10 s of CPU instead of the sleep: the loop is as
    // stuck (one thread, 4 cores, so no core sharing).
    let r = run_preset("fastapi-async-cpu-bound");
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![TEN_S + 380 * US, 2 * TEN_S + 590 * US]);
    assert_eq!(
        logs(&r)
            .iter()
            .map(|(t, id, s)| (*t, *id, s.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (320 * US, 0, "Computing"),
            (TEN_S + 320 * US, 0, "Done"),
            (TEN_S + 530 * US, 1, "Computing"),
            (2 * TEN_S + 530 * US, 1, "Done"),
        ]
    );
}

#[test]
fn fastapi_def_cpu_bound_shares_the_gil() {
    // Both threads start their 10 s of CPU at 740 and 830 µs (as in fastapi-def-time-sleep)
    // and share one GIL in 5 ms slices: 20 s of CPU end near 20 000.8 ms; the first to finish
    // has at most one slice left to the other. Then each responds (60 µs on the loop):
    // both ≈ 20 000.9 ms, never 10 s.
    let r = run_preset("fastapi-def-cpu-bound");
    assert!(all_ok(&r));
    for l in latencies(&r) {
        assert!(
            (2 * TEN_S + 700 * US..=2 * TEN_S + 1_000 * US).contains(&l),
            "latency {l} ns, expected ≈ 20 000.9 ms"
        );
    }
    // One GIL, 20 s of Python: about 4000 forced switches, each after a 5 ms interval.
    let forced = r.workers[0].gil_forced_switches;
    assert!(
        (3_990..=4_001).contains(&forced),
        "{forced} forced switches"
    );
}

#[test]
fn fastapi_background_task_answers_at_once() {
    // No steps in the route: A's task (ready at 170 µs): 150 µs → 320, respond 60 → 380:
    // answered at 0.380 ms; its sync background task then runs the loop's half of the
    // run_sync hand-off (90 µs → 470), takes a token and yields. B's task: 470 → 620 → 680
    // µs, then its task's hand-off → 770.
    let r = run_preset("fastapi-background-task");
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![380 * US, 680 * US]);
    // The background sleeps still happen, after the responses, on two threadpool threads,
    // handed over in the next iteration (770 µs); each thread's half of the hand-off holds
    // the GIL 90 µs, one after the other: they start sleeping at 860 and 950 µs.
    assert_eq!(
        logs(&r),
        vec![
            (860 * US, 0, "Sleeping for 10".to_string()),
            (950 * US, 1, "Sleeping for 10".to_string()),
            (TEN_S + 860 * US, 0, "Awake".to_string()),
            (TEN_S + 950 * US, 1, "Awake".to_string()),
        ]
    );
    let busy_threads = r
        .lanes
        .iter()
        .filter(|lane| lane.name.starts_with("w0 thread "))
        .count();
    assert_eq!(busy_threads, 2);
}

#[test]
fn ab_presets_complete_without_failure() {
    for name in [
        "ab-uvicorn",
        "ab-uvicorn-4-workers",
        "ab-gunicorn-4-uvicorn-workers",
        "ab-waitress",
    ] {
        let r = run_preset(name);
        let s = &r.summary;
        assert_eq!(s.completed, 5_000, "{name}");
        assert_eq!(s.failed, 0, "{name}");
        assert_eq!(s.syn_drops, 0, "{name}");
        assert_eq!(r.requests.len(), 5_000, "{name}");
        assert!(s.max_ms < 1_000.0, "{name}: max {} ms", s.max_ms);
    }
}

#[test]
fn ab_uvicorn_is_one_core_of_per_request_cpu() {
    // One loop does everything: 25 + 60 + 60 + 150 = 295 µs of CPU per request, back to back
    // while 500 clients keep it busy → 1 / 295 µs ≈ 3390 requests/s.
    let r = run_preset("ab-uvicorn");
    let expected = 1e6 / 295.0;
    let rps = r.summary.rps;
    assert!(
        (rps - expected).abs() / expected < 0.01,
        "rps {rps}, expected {expected}"
    );
    assert!(r.summary.loop_blocked_fraction < 1e-9);
}

#[test]
fn ab_gunicorn_uvicorn_workers_match_uvicorn_workers() {
    // Same runtime; gunicorn's 30 s timeout never fires in a run this short.
    let a = run_preset("ab-uvicorn-4-workers");
    let b = run_preset("ab-gunicorn-4-uvicorn-workers");
    // Everything but the event count (gunicorn's watchdog checks are events too).
    let mut sa = a.summary.clone();
    sa.events = b.summary.events;
    assert_eq!(sa, b.summary);
    assert_eq!(a.requests, b.requests);
    // Four loops on four cores: more than three times one loop's throughput (not four: the
    // first 500 connections all land on the worker that wins the first accept race).
    let one = 1e6 / 295.0;
    assert!(
        a.summary.rps > 3.0 * one && a.summary.rps <= 4.0 * one * 1.001,
        "rps {}",
        a.summary.rps
    );
    for w in &a.workers {
        assert!(w.accepted > 0, "worker {} accepted nothing", w.worker);
    }
}

#[test]
fn ab_waitress_is_bounded_by_one_gil() {
    // Every request needs 40 + 120 + 80 µs on the main thread and 80 µs (Flask) on an app
    // thread, all under one GIL: at most 1 / 320 µs = 3125 requests/s.
    let r = run_preset("ab-waitress");
    assert!(
        r.summary.rps <= 1e6 / 320.0 * 1.001,
        "rps {}",
        r.summary.rps
    );
    assert!(r.summary.rps > 1e6 / 320.0 * 0.8, "rps {}", r.summary.rps);
    // connection_limit 100: never more than 100 connections accepted and not yet answered.
    let mut events: Vec<(u64, i32)> = Vec::new();
    for q in &r.requests {
        events.push((q.accepted.unwrap(), 1));
        events.push((q.finished, -1));
    }
    events.sort();
    let (mut open, mut peak) = (0i32, 0i32);
    for (_, d) in events {
        open += d;
        peak = peak.max(open);
    }
    assert!(peak <= 100, "{peak} connections open at once");
}

#[test]
fn ab_flask_dev_drops_syns_and_has_multi_second_tails() {
    // werkzeug's backlog is 128 (the queue holds 129); ab opens 500 connections at once, so
    // 371 SYNs are dropped straight away and come back 1 s (then 3 s, 7 s...) later.
    let r = run_preset("ab-flask-dev");
    let s = &r.summary;
    assert!(s.syn_drops >= 371, "{} SYN drops", s.syn_drops);
    assert!(s.max_ms > 3_000.0, "max {} ms", s.max_ms);
    assert!(s.p50_ms < 1_000.0, "median {} ms", s.p50_ms);
    // Requests whose SYN was dropped spent ≥ 1 s connecting.
    let retried: Vec<_> = r.requests.iter().filter(|q| q.syn_retries > 0).collect();
    assert!(retried.len() >= 371);
    for q in retried {
        assert!(q.split.connecting >= 1_000 * MS, "{q:?}");
    }
    // The first SYNs: at most 129 connections accepted from the initial burst.
    let first_try = r
        .requests
        .iter()
        .filter(|q| q.sent == 0 && q.syn_retries == 0)
        .count();
    assert_eq!(first_try, 129);
    assert!(r
        .requests
        .iter()
        .all(|q| q.status == Status::Ok || q.status == Status::ClientTimeout));
}
