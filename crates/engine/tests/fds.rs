//! `server.fds`, `server.warm_threads`, `server.costs.fd_grow_us`: a worker's descriptor
//! table grows when a new descriptor finds it full, and in a process with more than one
//! thread the `accept()` that grows it first waits in the kernel (an RCU grace period).

mod common;

use common::*;
use loopsim_engine::rng::Rng;
use serde_json::{json, Value};

/// uvicorn with every cost 0 but the table's growth (5 ms), `clients` connections at once to
/// an `async def` route that awaits 100 ms; `open` descriptors besides the connections, a
/// table of `table`, `warm` AnyIO threads started before the run.
fn uvicorn(clients: u32, open: u32, table: u32, warm: u32, sigma: f64, seed: u64) -> Value {
    let mut costs = zero_costs();
    costs["fd_grow_us"] = json!(5000.0);
    costs["fd_grow_sigma"] = json!(sigma);
    json!({
        "version": 1, "seed": seed,
        "server": {"kind": "uvicorn", "cores": 2, "costs": costs,
                   "fds": {"open": open, "table": [table]}, "warm_threads": warm},
        "handler": {"route": "async_def", "overhead": zero_overhead(),
                    "steps": [step("await_io", 100.0)]},
        "load": burst(clients)
    })
}

fn grows(r: &loopsim_engine::RunResult) -> (u64, u64) {
    let w = &r.workers[0];
    (w.fd_table_grows, w.fd_grow_wait)
}

#[test]
fn a_full_table_stalls_a_loop_with_threads() {
    // 10 descriptors and 54 connections fill 64 slots: the loop's 55th `accept()` grows the
    // table and waits 5 ms in the kernel, inside the accept callback, so every request's
    // task starts after it: all answered at 105 ms.
    let r = run(uvicorn(60, 10, 64, 1, 0.0, 1));
    assert_eq!(sorted_latencies(&r), vec![ms(105.0); 60]);
    assert_eq!(grows(&r), (1, ms(5.0)));
    let recs = by_id(&r);
    assert_eq!(recs[53].accepted, Some(0));
    assert_eq!(recs[54].accepted, Some(ms(5.0)));
    // The wait is on the loop's timeline, with its own activity.
    let lane = lane_named(&r, "w0 event loop");
    let act = r
        .activities
        .iter()
        .position(|a| a.label.contains("descriptor table"))
        .unwrap() as u16;
    let waits: Vec<_> = lane_segments(&r, lane as u32)
        .into_iter()
        .filter(|s| s.activity == act)
        .map(|s| (s.start, s.end))
        .collect();
    assert_eq!(waits, vec![(0, ms(5.0))]);
}

#[test]
fn a_table_with_room_or_a_single_thread_does_not_wait() {
    // A table already grown to 128: no growth.
    let r = run(uvicorn(60, 10, 128, 1, 0.0, 1));
    assert_eq!(sorted_latencies(&r), vec![ms(100.0); 60]);
    assert_eq!(grows(&r), (0, 0));
    // No AnyIO thread (an `async def` route starts none): the table grows at once.
    let r = run(uvicorn(60, 10, 64, 0, 0.0, 1));
    assert_eq!(sorted_latencies(&r), vec![ms(100.0); 60]);
    assert_eq!(grows(&r), (1, 0));
}

#[test]
fn the_accept_that_finds_none_takes_a_descriptor_too() {
    // 3 + 60 descriptors: the last slot stays free for the `accept()` that finds no more.
    let r = run(uvicorn(60, 3, 64, 1, 0.0, 1));
    assert_eq!(sorted_latencies(&r), vec![ms(100.0); 60]);
    assert_eq!(grows(&r), (0, 0));
    // 4 + 60 fill the table: the 61st `accept()`, which would find none, grows it first.
    let r = run(uvicorn(60, 4, 64, 1, 0.0, 1));
    assert_eq!(sorted_latencies(&r), vec![ms(105.0); 60]);
    assert_eq!(grows(&r), (1, ms(5.0)));
}

#[test]
fn each_wait_draws_its_own_length() {
    // The seed's stream 8: 5 ms times e^(σ·z − σ²/2).
    for seed in 1..=4 {
        let wait = (5e6 * Rng::new(seed, 8).next_lognormal_mean1(0.5)).round() as u64;
        let r = run(uvicorn(60, 10, 64, 1, 0.5, seed));
        assert_eq!(grows(&r), (1, wait));
        assert_eq!(sorted_latencies(&r), vec![ms(100.0) + wait; 60]);
    }
}

#[test]
fn a_threaded_servers_accepting_thread_waits_too() {
    // Flask's dev server: 4 descriptors, a thread per connection. The 61st connection finds
    // the table full while 60 threads are alive: the main thread waits 5 ms before it takes
    // it; the others are answered at 100 ms.
    let mut costs = zero_costs();
    costs["fd_grow_us"] = json!(5000.0);
    let r = run(json!({
        "version": 1,
        "server": {"kind": "flask_dev", "cores": 2, "costs": costs,
                   "fds": {"open": 4, "table": [64]}},
        "handler": {"route": "def", "overhead": zero_overhead(),
                    "steps": [step("blocking_io", 100.0)]},
        "load": burst(61)
    }));
    let mut want = vec![ms(100.0); 60];
    want.push(ms(105.0));
    assert_eq!(sorted_latencies(&r), want);
    assert_eq!(by_id(&r)[60].accepted, Some(ms(5.0)));
    assert_eq!(grows(&r), (1, ms(5.0)));
}

#[test]
fn the_defaults_follow_how_the_process_was_started() {
    let s = |v: Value| scenario(v).server.resolve();
    let base = |kind: &str, workers: u32| {
        json!({"version": 1,
               "server": {"kind": kind, "workers": workers},
               "handler": {"route": "def", "steps": []},
               "load": burst(1)})
    };
    // Forked by a master: 64 slots; one process started from a shell: bash's 256.
    assert_eq!(s(base("gunicorn_uvicorn", 2)).fd_tables, vec![64, 64]);
    assert_eq!(s(base("uvicorn", 3)).fd_tables, vec![64, 64, 64]);
    assert_eq!(s(base("uvicorn", 1)).fd_tables, vec![256]);
    assert_eq!(s(base("waitress", 1)).fd_tables, vec![256]);
    assert_eq!(s(base("gunicorn_uvicorn", 2)).open_fds, 10);
    assert_eq!(s(base("flask_dev", 1)).open_fds, 4);
    // A list's last entry stands for the workers after it.
    let mut v = base("gunicorn_uvicorn", 3);
    v["server"]["fds"] = json!({"table": [128, 64]});
    assert_eq!(s(v).fd_tables, vec![128, 64, 64]);
    // Out of range (not validated yet, as the editor shows it): one table per allowed worker.
    let mut v = base("gunicorn_uvicorn", 1);
    v["server"]["workers"] = json!(4_000_000_000u32);
    let server: loopsim_engine::scenario::Server =
        serde_json::from_value(v["server"].clone()).unwrap();
    assert_eq!(server.fd_tables().len(), 64);
    v["server"]["workers"] = json!(0);
    let server: loopsim_engine::scenario::Server =
        serde_json::from_value(v["server"].clone()).unwrap();
    assert_eq!(server.fd_tables(), vec![64]);
    // Not modelled by default: growing costs nothing.
    assert_eq!(s(base("uvicorn", 1)).fd_grow, 0);
}

#[test]
fn bad_settings_are_refused_by_name() {
    let with = |server: Value| {
        let mut v = uvicorn(1, 10, 64, 0, 0.0, 1);
        for (k, x) in server.as_object().unwrap() {
            v["server"][k] = x.clone();
        }
        refusal(&v)
    };
    let e = with(json!({"fds": {"table": [100]}}));
    assert!(
        e.contains("server.fds.table[0]: must be a power of two between 64 and 1048576 (got 100)"),
        "{e}"
    );
    let e = with(json!({"fds": {"table": [64, 64]}}));
    assert!(
        e.contains("server.fds.table: must list 1 to 1 table sizes, one per worker (got 2)"),
        "{e}"
    );
    // A hostile list: one message for its length, and entries checked only as far as the
    // workers go (one here).
    let e = with(json!({"fds": {"table": vec![3; 100_000]}}));
    assert!(e.contains("(got 100000)"), "{e}");
    assert!(e.contains("table[0]") && !e.contains("table[1]"), "{e}");
    let e = with(json!({"fds": {"table": "big"}}));
    assert!(
        e.contains("server.fds.table: must be a list of powers of two"),
        "{e}"
    );
    let e = with(json!({"fds": {"open": 1.5}}));
    assert!(e.contains("server.fds.open: must be a whole number"), "{e}");
    let e = with(json!({"warm_threads": 41}));
    assert!(
        e.contains("server.warm_threads: must be between 0 and the 40 threadpool tokens (got 41)"),
        "{e}"
    );
    let mut v = uvicorn(1, 10, 64, 0, 0.0, 1);
    v["server"]["costs"]["fd_grow_sigma"] = json!(3.0);
    let e = refusal(&v);
    assert!(
        e.contains("server.costs.fd_grow_sigma: must be between 0 and 2 (got 3)"),
        "{e}"
    );
    let e = refusal(&json!({"version": 1,
        "server": {"kind": "flask_dev", "warm_threads": 2},
        "handler": {"route": "def", "steps": []}, "load": burst(1)}));
    assert!(
        e.contains("server.warm_threads: only an ASGI server's AnyIO threadpool"),
        "{e}"
    );
}
