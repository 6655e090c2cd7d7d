//! The seed experiments, computed by hand from the documented mechanism with the default costs:
//!
//! - uvicorn / gunicorn + uvicorn: accept 40 µs, parse 90 µs, respond 90 µs, FastAPI 220 µs;
//!   a `run_in_threadpool` round trip 180 µs (90 on the loop, 90 on the thread); starting an
//!   AnyIO worker thread 120 µs (on the loop);
//! - Flask's dev server (werkzeug): accept 70 µs, spawn 100 µs, parse 440 µs, respond 260 µs,
//!   Flask 110 µs.
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
fn there_are_thirteen_presets_with_unique_names() {
    let mut names: Vec<&str> = presets::names().collect();
    assert_eq!(names.len(), 13);
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 13);
    for p in PRESETS {
        let s = p.scenario();
        assert_eq!(s.name.as_deref(), Some(p.name));
        s.validate().unwrap();
    }
}

#[test]
fn fastapi_async_time_sleep_serialises_the_two_tabs() {
    // t = 0      both SYNs queue; the idle loop wakes.
    // 0–20 µs    accept callback: accept() once per connection, 10 µs each (A, then B).
    // 20–50      next iteration: each connection's set-up task, 15 µs each (A, then B).
    // 50–80      next: each transport's `connection_made` and `_add_reader`, 15 µs each.
    // 80–170     poll: A readable, parse 90 µs; 170–260 B parsed (same iteration).
    // 260        next iteration runs A's task: FastAPI 220 µs → 480, then time.sleep(10)
    //            blocks the loop → 10 000.480, respond 90 µs → A answered at 10 000.570 ms.
    // 10 000.570 B's task (ready since 260): 220 µs → .790, sleep → 20 000.790, respond
    //            → 20 000.880 ms.
    let r = run_preset("fastapi-async-time-sleep");
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![TEN_S + 570 * US, 2 * TEN_S + 880 * US]);
    assert_eq!(
        logs(&r),
        vec![
            (480 * US, 0, "Sleeping for 10".to_string()),
            (TEN_S + 480 * US, 0, "Awake".to_string()),
            (TEN_S + 790 * US, 1, "Sleeping for 10".to_string()),
            (2 * TEN_S + 790 * US, 1, "Awake".to_string()),
        ]
    );
    // Both ran on the event loop's thread.
    assert_eq!(lane_name(&r, 0), "w0 event loop");
    assert_eq!(lane_name(&r, 1), "w0 event loop");
    // Where B's time went: accept + parse + framework + respond on a core (440 µs), 10 s
    // blocked in its own sleep, the rest queued (mostly behind A's sleep).
    let b = &by_id(&r)[1];
    assert_eq!(b.split.cpu, 440 * US);
    assert_eq!(b.split.blocked, TEN_S);
    assert_eq!(b.split.queued, 2 * TEN_S + 880 * US - 440 * US - TEN_S);
    assert_eq!(b.split.gil_wait + b.split.awaiting + b.split.connecting, 0);
    let a = &by_id(&r)[0];
    assert_eq!(a.split.cpu, 440 * US);
    // A waits for B's accept (10 µs), B's two set-up stages (30 µs) and B's parse (90 µs).
    assert_eq!(a.split.queued, 130 * US);
    assert_eq!(a.started, Some(260 * US));
    assert_eq!(b.started, Some(TEN_S + 570 * US));
    // Event-loop lag, per ready callback (the accept callback aside): A's set-up task, ready
    // at 10 µs, waited for B's accept (10 µs); each later set-up stage and A's read for the
    // stage before it (15 µs each, four of them); B's read for A's parse (90 µs), A's task for
    // B's parse (90 µs), and B's task — ready at 260 µs — for A's whole sleep: 10 000.570 ms −
    // 260 µs = 10 000.31 ms.
    let s = &r.summary;
    assert!(
        (s.loop_lag_max_ms - 10_000.31).abs() < 1e-9,
        "{}",
        s.loop_lag_max_ms
    );
    let mean = (0.01 + 4.0 * 0.015 + 0.09 + 0.09 + 10_000.31) / 8.0;
    assert!(
        (s.loop_lag_mean_ms - mean).abs() < 1e-9,
        "{}",
        s.loop_lag_mean_ms
    );
    // The loop was blocked in the two sleeps: 20 s of the 20 000.88 ms run.
    let blocked = 20_000.0 / 20_000.88;
    assert!(
        (s.loop_blocked_fraction - blocked).abs() < 1e-9,
        "{}",
        s.loop_blocked_fraction
    );
}

#[test]
fn fastapi_async_asyncio_sleep_overlaps_the_two_tabs() {
    // As above up to 260 µs. A: 220 µs → 480, await sleep (loop free). B: 220 µs → 700,
    // await. A's timer fires at 10 000.480: respond 90 µs → 10 000.570. B's at 10 000.700
    // (loop idle again): respond → 10 000.790.
    let r = run_preset("fastapi-async-asyncio-sleep");
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![TEN_S + 570 * US, TEN_S + 790 * US]);
    assert_eq!(
        logs(&r),
        vec![
            (480 * US, 0, "Sleeping for 10".to_string()),
            (700 * US, 1, "Sleeping for 10".to_string()),
            (TEN_S + 480 * US, 0, "Awake".to_string()),
            (TEN_S + 700 * US, 1, "Awake".to_string()),
        ]
    );
    for q in by_id(&r) {
        assert_eq!(q.split.awaiting, TEN_S);
        assert_eq!(q.split.blocked, 0);
    }
}

#[test]
fn fastapi_def_time_sleep_runs_in_the_threadpool() {
    // Up to 260 µs as above. A's task: 220 µs → 480, the loop's half of run_sync's round
    // trip (90 µs) → 570, takes a free AnyIO token and yields once; B's task: 220 + 90 µs →
    // 880, token, yields. Next iteration (880): no AnyIO thread is idle, so the loop starts
    // one for A (120 µs → 1 000), hands it the job (the thread waits for the GIL, which the
    // loop keeps) and starts B's (→ 1 120), then idles. A's thread does its half of the
    // hand-off (90 µs) → 1 210 and sleeps, B's → 1 300. Each result comes back by
    // call_soon_threadsafe (seen at the next poll), whose callback schedules the task (one
    // more iteration; the loop is idle, so at once): A responds 90 µs → 10 001.300, B →
    // 10 001.390.
    let r = run_preset("fastapi-def-time-sleep");
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![TEN_S + 1_300 * US, TEN_S + 1_390 * US]);
    assert_eq!(
        logs(&r),
        vec![
            (1_210 * US, 0, "Sleeping for 10".to_string()),
            (1_300 * US, 1, "Sleeping for 10".to_string()),
            (TEN_S + 1_210 * US, 0, "Awake".to_string()),
            (TEN_S + 1_300 * US, 1, "Awake".to_string()),
        ]
    );
    let q = by_id(&r);
    assert_eq!(q[0].split.gil_wait, 120 * US);
    assert_eq!(q[1].split.gil_wait, 90 * US);
    assert_eq!(lane_name(&r, 0), "w0 thread 0");
    assert_eq!(lane_name(&r, 1), "w0 thread 1");
}

#[test]
fn flask_threaded_time_sleep_runs_a_thread_per_connection() {
    // The main thread holds the GIL while it accepts (70 µs) and starts a thread (100 µs)
    // for A → 170 µs; A's thread wants the GIL for its parse and waits. The main thread goes
    // on: accept B → 240, spawn → 340, then idles and drops the GIL. A: parse 440 → 780,
    // Flask 110 → 890, sleep (GIL released) → B runs: parse → 1 330, Flask → 1 440, sleep.
    // A wakes at 10 000.890, respond 260 µs → 10 001.150; B wakes at 10 001.440, respond
    // → 10 001.700 ms.
    let r = run_preset("flask-threaded-time-sleep");
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![TEN_S + 1_150 * US, TEN_S + 1_700 * US]);
    assert_eq!(
        logs(&r),
        vec![
            (890 * US, 0, "Sleeping for 10".to_string()),
            (1_440 * US, 1, "Sleeping for 10".to_string()),
            (TEN_S + 890 * US, 0, "Awake".to_string()),
            (TEN_S + 1_440 * US, 1, "Awake".to_string()),
        ]
    );
    assert_eq!(lane_name(&r, 0), "w0 conn thread 0");
    assert_eq!(lane_name(&r, 1), "w0 conn thread 1");
    // A's thread waited for the GIL from 170 µs to 340 µs; B's from 340 to 890.
    let q = by_id(&r);
    assert_eq!(q[0].split.gil_wait, 170 * US);
    assert_eq!(q[1].split.gil_wait, 550 * US);
}

#[test]
fn fastapi_async_cpu_bound_serialises_the_two_tabs() {
    // As fastapi-async-time-sleep, with 10 s of CPU instead of the sleep: the loop is as
    // stuck (one thread, 4 cores, so no core sharing).
    let r = run_preset("fastapi-async-cpu-bound");
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![TEN_S + 570 * US, 2 * TEN_S + 880 * US]);
    assert_eq!(
        logs(&r)
            .iter()
            .map(|(t, id, s)| (*t, *id, s.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (480 * US, 0, "Computing"),
            (TEN_S + 480 * US, 0, "Done"),
            (TEN_S + 790 * US, 1, "Computing"),
            (2 * TEN_S + 790 * US, 1, "Done"),
        ]
    );
}

#[test]
fn fastapi_def_cpu_bound_shares_the_gil() {
    // Both threads share one GIL in 5 ms slices. The GIL is held for the 20 s of CPU plus
    // each request's Python: accept 40, parse 90, FastAPI 220, the hand-off 2 × 90, the
    // thread start 120, respond 90 µs = 740 µs, 1 480 µs for both; and it is never idle (each
    // step takes it as the last one leaves it), so the last response ends at 20 001.480 ms,
    // the first at most one 5 ms slice earlier. Both ≈ 20 s, never 10 s.
    let r = run_preset("fastapi-def-cpu-bound");
    assert!(all_ok(&r));
    assert_eq!(r.workers[0].gil_held, 2 * TEN_S + 1_480 * US);
    let l = latencies(&r);
    let last = *l.iter().max().unwrap();
    assert_eq!(last, 2 * TEN_S + 1_480 * US);
    for l in l {
        assert!(
            l + 5 * MS + 100 * US >= last,
            "latency {l} ns, last {last} ns"
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
    // No steps in the route: A's task (ready at 260 µs): 220 µs → 480, respond 90 → 570:
    // answered at 0.570 ms; its sync background task then runs the loop's half of the
    // run_sync hand-off (90 µs → 660), takes a token and yields. B's task: 660 → 880 → 970
    // µs, then its task's hand-off → 1 060.
    let r = run_preset("fastapi-background-task");
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![570 * US, 970 * US]);
    // The background sleeps still happen, after the responses, on two threadpool threads,
    // started in the next iteration (1 060 µs) as in fastapi-def-time-sleep: the loop starts
    // A's thread (→ 1 180) and B's (→ 1 300) holding the GIL, then the threads' halves of the
    // hand-off run one after the other: sleeping from 1 390 and 1 480 µs.
    assert_eq!(
        logs(&r),
        vec![
            (1_390 * US, 0, "Sleeping for 10".to_string()),
            (1_480 * US, 1, "Sleeping for 10".to_string()),
            (TEN_S + 1_390 * US, 0, "Awake".to_string()),
            (TEN_S + 1_480 * US, 1, "Awake".to_string()),
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
        "ab-uvicorn-noisy-host",
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
    // One loop does everything: 40 + 90 + 90 + 220 = 440 µs of CPU per request, back to back while 500 clients keep it busy → 1 / 440 µs ≈ 2273
    // requests/s.
    let r = run_preset("ab-uvicorn");
    let expected = 1e6 / 440.0;
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
    let one = 1e6 / 440.0;
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
    // Every request needs 55 + 160 + 105 µs on the main thread and 110 µs (Flask) on an app
    // thread, all under one GIL: at most 1 / 430 µs ≈ 2326 requests/s.
    let r = run_preset("ab-waitress");
    assert!(
        r.summary.rps <= 1e6 / 430.0 * 1.001,
        "rps {}",
        r.summary.rps
    );
    assert!(r.summary.rps > 1e6 / 430.0 * 0.9, "rps {}", r.summary.rps);
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

#[test]
fn a_noisy_host_gives_ab_uvicorn_a_tail() {
    // ab-uvicorn's requests all take 220 ms: one loop, identical costs, 500 ahead of each.
    // On cores whose speed varies (sigma 0.15, held ~40 ms) the run's length stays within a
    // few % but requests queued at a slow moment wait longer: the max is 10 % or more above
    // the median.
    let steady = run_preset("ab-uvicorn");
    assert_eq!(steady.summary.p50_ms, steady.summary.max_ms);
    let noisy = run_preset("ab-uvicorn-noisy-host");
    let s = &noisy.summary;
    assert_eq!((s.completed, s.failed), (5_000, 0));
    assert!(
        s.max_ms > 1.1 * s.p50_ms,
        "max {} against median {}",
        s.max_ms,
        s.p50_ms
    );
    let ratio = s.makespan_ms / steady.summary.makespan_ms;
    assert!((0.95..1.05).contains(&ratio), "makespan × {ratio}");
}
