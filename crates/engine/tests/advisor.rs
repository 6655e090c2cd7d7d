//! The advisor's findings for the seed presets and for scenarios built to trip each finding:
//! the right ids and severities, with the run's own numbers in the text.

use std::collections::HashSet;

use loopsim_engine::advisor::{advise, fmt_duration, fmt_percent, ids, Finding, Severity};
use loopsim_engine::presets::{find, PRESETS};
use loopsim_engine::{RunResult, Scenario};
use serde_json::{json, Value};

fn run_preset(name: &str) -> RunResult {
    loopsim_engine::run(&find(name).unwrap().scenario()).unwrap()
}

/// Runs `s` keeping only what `opts` says.
fn run_with(s: &Scenario, opts: loopsim_engine::RunOptions) -> RunResult {
    let mut sim = loopsim_engine::Simulation::new(s, opts).unwrap();
    while !sim.step(1 << 16) {}
    sim.finish()
}

fn run_json(v: Value) -> RunResult {
    let s = Scenario::from_json(&v.to_string()).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    loopsim_engine::run(&s).unwrap()
}

fn constant(ms: f64) -> Value {
    json!({"dist": "constant", "ms": ms})
}

fn show(fs: &[Finding]) -> String {
    fs.iter()
        .map(|f| {
            format!(
                "[{:?}] {}: {}\n    {}\n    fix: {}",
                f.severity,
                f.id,
                f.title,
                f.detail,
                f.fix.as_deref().unwrap_or("-")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn get<'a>(fs: &'a [Finding], id: &str) -> &'a Finding {
    fs.iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no `{id}` finding in\n{}", show(fs)))
}

fn has(fs: &[Finding], id: &str) -> bool {
    fs.iter().any(|f| f.id == id)
}

/// The number just before the first ` %` after `after` in `text`.
fn percent_after(text: &str, after: &str) -> f64 {
    let i = text
        .find(after)
        .unwrap_or_else(|| panic!("{after:?} in {text:?}"))
        + after.len();
    let rest = &text[i..];
    let end = rest.find(" %").unwrap_or_else(|| panic!("a % in {rest:?}"));
    rest[..end]
        .trim()
        .trim_start_matches("< ")
        .parse()
        .unwrap_or_else(|e| panic!("{e}: {rest:?}"))
}

/// Properties every advice has: most severe first, one finding per id, `all_good` exactly when
/// nothing is a problem or a warning, no NaN / infinity, no empty text.
fn check_shape(fs: &[Finding]) {
    assert!(!fs.is_empty());
    assert!(
        fs.windows(2).all(|w| w[0].severity <= w[1].severity),
        "not sorted:\n{}",
        show(fs)
    );
    let mut seen = HashSet::new();
    for f in fs {
        assert!(seen.insert(f.id.clone()), "`{}` twice:\n{}", f.id, show(fs));
        for t in [&f.title, &f.detail] {
            assert!(!t.is_empty());
            for bad in ["NaN", "inf ", "18446744073709551615"] {
                assert!(!t.contains(bad), "{bad} in {t}");
            }
        }
    }
    let serious = fs.iter().any(|f| f.severity != Severity::Info);
    assert_eq!(has(fs, ids::ALL_GOOD), !serious, "{}", show(fs));
}

#[test]
fn seed_async_time_sleep_blocks_the_loop() {
    let fs = advise(&run_preset("fastapi-async-time-sleep"));
    check_shape(&fs);
    let f = &fs[0];
    assert_eq!(f.id, ids::LOOP_BLOCKED, "{}", show(&fs));
    assert_eq!(f.severity, Severity::Problem);
    assert!(
        f.title.contains("by `time.sleep(10)` inside `async def`"),
        "{}",
        f.title
    );
    let p = percent_after(&f.title, "blocked ");
    assert!(p >= 90.0, "{}", f.title);
    assert!(f.detail.contains("20 s"), "{}", f.detail);
    // The second request waited 10 s for the loop.
    assert!(f.detail.contains("up to 10 s"), "{}", f.detail);
    let fix = f.fix.as_deref().unwrap();
    assert!(fix.contains("await asyncio.sleep"));
    assert!(fix.contains("plain `def`"));
}

#[test]
fn seed_def_time_sleep_does_not_block_the_loop() {
    let fs = advise(&run_preset("fastapi-def-time-sleep"));
    check_shape(&fs);
    assert!(!has(&fs, ids::LOOP_BLOCKED), "{}", show(&fs));
    assert!(!has(&fs, ids::THREADPOOL_SATURATED));
    let f = get(&fs, ids::ALL_GOOD);
    assert!(f.title.contains("overlapped (up to 2"), "{}", f.title);
}

#[test]
fn seed_asyncio_sleep_is_all_good() {
    let fs = advise(&run_preset("fastapi-async-asyncio-sleep"));
    check_shape(&fs);
    assert_eq!(fs.len(), 1, "{}", show(&fs));
    let f = get(&fs, ids::ALL_GOOD);
    assert_eq!(f.severity, Severity::Info);
    assert!(percent_after(&f.title, "free ") >= 99.0, "{}", f.title);
    assert!(f.title.contains("requests overlapped"), "{}", f.title);
    assert!(f.detail.contains("awaiting I/O"), "{}", f.detail);

    let fs = advise(&run_preset("flask-threaded-time-sleep"));
    check_shape(&fs);
    assert_eq!(fs[0].id, ids::ALL_GOOD, "{}", show(&fs));
}

#[test]
fn seed_def_cpu_bound_is_serialised_by_the_gil() {
    let fs = advise(&run_preset("fastapi-def-cpu-bound"));
    check_shape(&fs);
    let f = get(&fs, ids::GIL_CONTENTION);
    assert_eq!(f.severity, Severity::Problem);
    assert_eq!(fs[0].id, ids::GIL_CONTENTION);
    assert!(
        f.title
            .contains("CPU-bound work in threads is serialised by the GIL: 20 s waited"),
        "{}",
        f.title
    );
    assert!(f.detail.contains("`pure-Python loop (10 s of CPU)`"));
    let fix = f.fix.as_deref().unwrap();
    assert!(
        fix.contains("--workers 4") && fix.contains("free-threaded"),
        "{fix}"
    );
    assert!(!has(&fs, ids::LOOP_BLOCKED) && !has(&fs, ids::LOOP_CPU));

    // Free-threaded, the same code waits for no GIL.
    let mut s = find("fastapi-def-cpu-bound").unwrap().scenario();
    s.server.gil = Some(false);
    let fs = advise(&loopsim_engine::run(&s).unwrap());
    check_shape(&fs);
    assert!(!has(&fs, ids::GIL_CONTENTION), "{}", show(&fs));
    assert!(
        !has(&fs, ids::CORES_BUSY),
        "4 cores for 2 threads: {}",
        show(&fs)
    );

    // Free-threaded on one core, the two threads take turns: each request waits 10 s of its
    // 20 s for the core.
    s.server.cores = Some(1);
    let fs = advise(&loopsim_engine::run(&s).unwrap());
    check_shape(&fs);
    let f = get(&fs, ids::CORES_BUSY);
    assert_eq!(f.severity, Severity::Problem);
    assert_eq!(
        f.title,
        "Requests spent 50 % of their time waiting for a core: up to 2 threads wanted 1 core"
    );
    assert!(
        f.detail.contains("The cores were 100 % busy"),
        "{}",
        f.detail
    );
    assert!(!f.detail.contains("load generator"), "{}", f.detail);
    assert!(f.fix.as_deref().unwrap().contains("keep them to 1"));
}

#[test]
fn more_busy_workers_than_cores_take_turns() {
    // gunicorn sync, 4 workers on 2 cores, 100 ms of CPU per request, a burst of 4: two
    // requests run at a time in turns of a tick, the others wait for a core.
    let v = json!({"version": 1,
        "server": {"kind": "gunicorn_sync", "workers": 4, "cores": 2},
        "handler": {"route": "def", "steps": [{"kind": "cpu", "duration": constant(100.0)}]},
        "load": {"kind": "burst", "clients": 4}});
    let fs = advise(&run_json(v.clone()));
    check_shape(&fs);
    let f = get(&fs, ids::CORES_BUSY);
    assert!(
        f.title.ends_with("up to 4 threads wanted 2 cores"),
        "{}",
        f.title
    );
    let share = percent_after(&f.title, "Requests spent");
    assert!((45.0..=50.0).contains(&share), "{share}");
    assert!(f
        .fix
        .as_deref()
        .unwrap()
        .contains("`gunicorn -w 2 app:app`"));
    // Without records or timeline, from the summary: the same share, without the count.
    let opts = loopsim_engine::RunOptions {
        keep_requests: Some(0),
        segment_window: None,
        max_segments: 0,
        keep_logs: false,
    };
    let s = Scenario::from_json(&v.to_string()).unwrap();
    let bare = get(&advise(&run_with(&s, opts)), ids::CORES_BUSY).clone();
    assert_eq!(
        bare.title,
        f.title
            .replace(": up to 4 threads wanted 2 cores", " (2 cores)")
    );
    // With 4 cores nobody waits.
    let mut v4 = v.clone();
    v4["server"]["cores"] = json!(4);
    assert!(!has(&advise(&run_json(v4)), ids::CORES_BUSY));

    // Under ab -c 20 the sync workers' queue fills: with 1 worker on 2 cores, add one; with
    // 4 on 2 cores, more would only take turns.
    let mut ab = v;
    ab["load"] = json!({"kind": "closed", "requests": 100, "concurrency": 20});
    ab["server"]["workers"] = json!(1);
    let fs = advise(&run_json(ab.clone()));
    let fix = get(&fs, ids::SYNC_WORKERS_BUSY).fix.clone().unwrap();
    assert!(
        fix.contains("add workers up to the number of cores (`gunicorn -w 2 app:app`)"),
        "{fix}"
    );
    ab["server"]["workers"] = json!(4);
    let fs = advise(&run_json(ab));
    let fix = get(&fs, ids::SYNC_WORKERS_BUSY).fix.clone().unwrap();
    assert!(fix.contains("already at least one per core (2)"), "{fix}");
    assert!(has(&fs, ids::CORES_BUSY), "{}", show(&fs));
}

#[test]
fn sync_workers_held_by_a_slow_reading_client() {
    // One sync worker (~0.3 ms a request) under ab -c 10 from a client that takes 1 ms to read
    // each response: the worker waits for it after every response.
    let v = json!({
        "version": 1,
        "server": {"kind": "gunicorn_sync", "cores": 4},
        "handler": {"route": "def", "overhead": constant(0.1), "steps": []},
        "load": {"kind": "closed", "requests": 200, "concurrency": 10,
                 "client_cpu_us": 1100.0, "client_send_us": 100.0}
    });
    let fs = advise(&run_json(v.clone()));
    check_shape(&fs);
    let f = get(&fs, ids::SYNC_CLOSE_LINGER);
    assert!(
        f.detail.contains("reads until the client closes"),
        "{}",
        f.detail
    );
    assert!(percent_after(&f.title, "spent ") >= 10.0, "{}", f.title);
    // Without the graceful close, or with a client that reads at once, nothing to say.
    let mut off = v.clone();
    off["server"]["close_linger"] = json!(false);
    assert!(!has(&advise(&run_json(off)), ids::SYNC_CLOSE_LINGER));
    let mut tabs = v;
    tabs["load"] = json!({"kind": "closed", "requests": 200, "concurrency": 10});
    assert!(!has(&advise(&run_json(tabs)), ids::SYNC_CLOSE_LINGER));
}

#[test]
fn seed_async_cpu_bound_holds_the_loop() {
    let fs = advise(&run_preset("fastapi-async-cpu-bound"));
    check_shape(&fs);
    let f = get(&fs, ids::LOOP_CPU);
    assert_eq!(f.severity, Severity::Problem);
    assert!(f
        .title
        .contains("CPU-bound work in `async def` blocks the loop"));
    assert!(percent_after(&f.title, "ran on it ") >= 90.0, "{}", f.title);
    assert!(f.fix.as_deref().unwrap().contains("ProcessPoolExecutor"));
    assert!(!has(&fs, ids::GIL_CONTENTION), "{}", show(&fs));
    assert!(has(&fs, ids::IDLE_CORES));
}

#[test]
fn seed_background_task_is_information() {
    let fs = advise(&run_preset("fastapi-background-task"));
    check_shape(&fs);
    let f = get(&fs, ids::BACKGROUND_TASKS);
    assert_eq!(f.severity, Severity::Info);
    assert!(
        f.title.contains("2 threadpool threads busy for 20 s"),
        "{}",
        f.title
    );
    assert!(
        f.detail.contains("10 s after the last response"),
        "{}",
        f.detail
    );
    assert!(has(&fs, ids::ALL_GOOD));
}

#[test]
fn ab_flask_dev_drops_syns() {
    let r = run_preset("ab-flask-dev");
    let fs = advise(&r);
    check_shape(&fs);
    let f = get(&fs, ids::SYN_DROPS);
    assert_eq!(f.severity, Severity::Problem);
    assert_eq!(fs[0].id, ids::SYN_DROPS);
    let retried = r.requests.iter().filter(|q| q.syn_retries > 0).count();
    assert!(retried > 0);
    assert!(
        f.title.starts_with(&format!(
            "{retried} connections found the listen backlog (128) full; clients retried after 1 s, 3 s"
        )),
        "{}",
        f.title
    );
    assert!(f.detail.contains(&format!("{} SYNs", r.summary.syn_drops)));
    assert!(f.fix.as_deref().unwrap().contains("gunicorn or waitress"));
}

#[test]
fn ab_uvicorn_leaves_cores_idle() {
    let fs = advise(&run_preset("ab-uvicorn"));
    check_shape(&fs);
    let f = get(&fs, ids::IDLE_CORES);
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(
        f.title,
        "1 worker uses at most one core: 3 of 4 cores sat idle"
    );
    assert!(f.detail.contains("25 %"), "{}", f.detail);
    assert!(f.fix.as_deref().unwrap().contains("--workers 4"));

    for name in ["ab-uvicorn-4-workers", "ab-gunicorn-4-uvicorn-workers"] {
        let fs = advise(&run_preset(name));
        check_shape(&fs);
        assert!(!has(&fs, ids::IDLE_CORES), "{name}: {}", show(&fs));
        let f = get(&fs, ids::ALL_GOOD);
        let busy = (run_preset(name).summary.cores_utilisation * 100.0).round();
        assert!(
            f.title.contains(&format!("4 cores were {busy} % busy")),
            "{}",
            f.title
        );
    }

    let fs = advise(&run_preset("ab-waitress"));
    check_shape(&fs);
    assert!(has(&fs, ids::IDLE_CORES));
    let f = get(&fs, ids::POOL_THREADS_BUSY);
    assert!(
        f.title.starts_with("All 4 waitress threads were busy"),
        "{}",
        f.title
    );
    assert!(f.detail.contains("would not help"), "{}", f.detail);
}

#[test]
fn sixty_sleeps_saturate_the_threadpool() {
    let r = run_json(json!({"version": 1,
        "server": {"kind": "uvicorn"},
        "handler": {"route": "def", "steps": [{"kind": "blocking_io", "duration": constant(1000.0), "label": "time.sleep(1)"}]},
        "load": {"kind": "burst", "clients": 60}}));
    let fs = advise(&r);
    check_shape(&fs);
    let f = get(&fs, ids::THREADPOOL_SATURATED);
    assert_eq!(f.severity, Severity::Problem);
    assert_eq!(
        f.title,
        "The 40-token threadpool was saturated: 20 requests waited for a token (peak queue 20)"
    );
    assert!(f.detail.contains("all 40 were busy"), "{}", f.detail);
    assert!(f.fix.as_deref().unwrap().contains("total_tokens = 60"));
    assert!(!has(&fs, ids::LOOP_BLOCKED));
}

#[test]
fn long_sync_request_gets_the_worker_killed() {
    let r = run_json(json!({"version": 1,
        "server": {"kind": "gunicorn_sync"},
        "handler": {"route": "def", "steps": [{"kind": "blocking_io", "duration": constant(40_000.0), "label": "time.sleep(40)"}]},
        "load": {"kind": "burst", "clients": 1}}));
    let fs = advise(&r);
    check_shape(&fs);
    let f = get(&fs, ids::WORKER_KILLED);
    assert_eq!(f.severity, Severity::Problem);
    assert_eq!(
        f.title,
        "gunicorn killed a worker after its 30 s timeout: 1 request failed"
    );
    assert!(
        f.detail.contains("`time.sleep(40)` takes 40 s"),
        "{}",
        f.detail
    );
    assert!(f.fix.as_deref().unwrap().contains("--timeout"));

    // A uvicorn worker's blocked loop misses its heartbeat too.
    let r = run_json(json!({"version": 1,
        "server": {"kind": "gunicorn_uvicorn", "worker_timeout_s": 5},
        "handler": {"route": "async_def", "steps": [{"kind": "blocking_io", "duration": constant(8_000.0), "label": "requests.get(slow_url)"}]},
        "load": {"kind": "burst", "clients": 2}}));
    let fs = advise(&r);
    check_shape(&fs);
    let f = get(&fs, ids::WORKER_KILLED);
    assert!(
        f.title.contains("5 s timeout: 2 requests failed"),
        "{}",
        f.title
    );
    assert!(
        f.detail.contains("`requests.get(slow_url)`"),
        "{}",
        f.detail
    );
    assert!(has(&fs, ids::LOOP_BLOCKED));
}

#[test]
fn db_pool_and_thread_pool_queues() {
    let r = run_json(json!({"version": 1,
        "server": {"kind": "gunicorn_gthread"},
        "handler": {"route": "def", "db_pool": 2, "steps": [
            {"kind": "blocking_io", "duration": constant(50.0), "hold_connection": true, "label": "cursor.execute(query)"}]},
        "load": {"kind": "burst", "clients": 40}}));
    let fs = advise(&r);
    check_shape(&fs);
    let waits: u64 = r.workers.iter().map(|w| w.db_waits).sum();
    assert!(waits > 0);
    let f = get(&fs, ids::DB_POOL_WAITS);
    assert_eq!(f.severity, Severity::Problem);
    assert!(
        f.title.starts_with(&format!(
            "{waits} requests waited for one of the 2 database connections"
        )),
        "{}",
        f.title
    );
    assert!(f.detail.contains("`cursor.execute(query)`"));
    let f = get(&fs, ids::POOL_THREADS_BUSY);
    assert!(
        f.title.starts_with("All 4 gthread threads were busy"),
        "{}",
        f.title
    );
    assert!(f.fix.as_deref().unwrap().contains("--threads 8"));
}

#[test]
fn async_background_task_blocks_the_loop() {
    let r = run_json(json!({"version": 1,
        "server": {"kind": "uvicorn"},
        "handler": {"route": "async_def", "steps": [],
            "background": [{"route": "async_def", "steps": [{"kind": "blocking_io", "duration": constant(2000.0), "label": "send_email()"}]}]},
        "load": {"kind": "burst", "clients": 2, "interval_ms": 100}}));
    let fs = advise(&r);
    check_shape(&fs);
    let f = get(&fs, ids::LOOP_BLOCKED);
    assert!(
        f.title
            .contains("by `send_email()` inside an `async def` background task"),
        "{}",
        f.title
    );
    assert!(f.fix.as_deref().unwrap().contains("plain `def`"));
    let b = get(&fs, ids::BACKGROUND_TASKS);
    assert!(
        b.title.contains("held the event loop for 4 s"),
        "{}",
        b.title
    );
}

#[test]
fn failures_by_reason() {
    // Five tabs on a blocked loop with a 2.5 s timeout: the last ones give up.
    let r = run_json(json!({"version": 1,
        "server": {"kind": "uvicorn"},
        "handler": {"route": "async_def", "steps": [{"kind": "blocking_io", "duration": constant(1000.0)}]},
        "load": {"kind": "burst", "clients": 5, "timeout_ms": 2500}}));
    let fs = advise(&r);
    check_shape(&fs);
    let n = r.summary.failed_client_timeout;
    assert!(n > 0);
    let f = get(&fs, ids::CLIENT_TIMEOUTS);
    assert!(
        f.title.starts_with(&format!("{n} requests (")),
        "{}",
        f.title
    );
    assert!(f.title.contains("gave up after 2.5 s"), "{}", f.title);
    // The loop blocker is named by kind when it has no label, and comes first.
    assert!(
        fs[0].title.contains("a blocking call (1 s)"),
        "{}",
        show(&fs)
    );

    // A stuck sync worker and a backlog of 1: clients give up connecting after 127 s.
    let r = run_json(json!({"version": 1,
        "server": {"kind": "gunicorn_sync", "backlog": 1, "worker_timeout_s": 0},
        "handler": {"route": "def", "steps": [{"kind": "blocking_io", "duration": constant(200_000.0)}]},
        "load": {"kind": "burst", "clients": 5}}));
    let fs = advise(&r);
    check_shape(&fs);
    assert!(r.summary.failed_connect > 0);
    let f = get(&fs, ids::CONNECT_FAILURES);
    assert!(
        f.title.starts_with(&format!(
            "{} requests never connected: every SYN was dropped for 127 s",
            r.summary.failed_connect
        )),
        "{}",
        f.title
    );
    assert!(has(&fs, ids::SYN_DROPS));
    assert!(has(&fs, ids::SYNC_WORKERS_BUSY));
}

#[test]
fn findings_come_from_the_run_not_the_name() {
    for p in PRESETS {
        let mut s = p.scenario();
        let named = advise(&loopsim_engine::run(&s).unwrap());
        s.name = Some("something else".to_string());
        s.description = None;
        let r = loopsim_engine::run(&s).unwrap();
        assert_eq!(advise(&r), named, "{}", p.name);
    }
    // Take the measurement away and the finding goes with it.
    let mut r = run_preset("fastapi-async-time-sleep");
    for w in &mut r.workers {
        if let Some(l) = &mut w.loop_stats {
            l.blocked_by.clear();
        }
    }
    assert!(!has(&advise(&r), ids::LOOP_BLOCKED));
}

#[test]
fn every_preset_and_variation_is_well_formed() {
    for p in PRESETS {
        check_shape(&advise(&loopsim_engine::run(&p.scenario()).unwrap()));
    }
    let mut n = 0;
    for kind in [
        "uvicorn",
        "gunicorn_uvicorn",
        "gunicorn_sync",
        "gunicorn_gthread",
        "flask_dev",
        "waitress",
    ] {
        for route in ["async_def", "def"] {
            for step in ["cpu", "blocking_io", "await_io"] {
                for offload in ["none", "threadpool", "process_pool"] {
                    for load in [
                        json!({"kind": "burst", "clients": 3}),
                        json!({"kind": "open", "rate_per_s": 200, "duration_s": 0.5, "timeout_ms": 300}),
                        json!({"kind": "closed", "requests": 100, "concurrency": 50}),
                    ] {
                        let v = json!({"version": 1,
                            "server": {"kind": kind, "backlog": 16},
                            "handler": {"route": route, "db_pool": 2, "steps": [
                                {"kind": step, "duration": {"dist": "exponential", "mean_ms": 20}, "offload": offload, "hold_connection": true}]},
                            "load": load});
                        let Ok(s) = Scenario::from_json(&v.to_string()) else {
                            continue;
                        };
                        n += 1;
                        check_shape(&advise(&loopsim_engine::run(&s).unwrap()));
                    }
                }
            }
        }
    }
    assert!(n > 50, "{n}");
}

#[test]
fn partial_records_and_timeline() {
    // A run that kept only some records and segments still gets its findings, from counters.
    for name in [
        "ab-flask-dev",
        "fastapi-def-cpu-bound",
        "fastapi-background-task",
        "ab-uvicorn",
    ] {
        let full = advise(&run_preset(name));
        let opts = loopsim_engine::RunOptions {
            keep_requests: Some(10),
            segment_window: None,
            max_segments: 50,
            keep_logs: false,
        };
        let fs = advise(&run_with(&find(name).unwrap().scenario(), opts));
        check_shape(&fs);
        for f in &full {
            if f.id != ids::BACKGROUND_TASKS {
                assert!(has(&fs, &f.id), "{name}: lost `{}`:\n{}", f.id, show(&fs));
            }
        }
    }
    let opts = loopsim_engine::RunOptions {
        keep_requests: Some(10),
        ..Default::default()
    };
    let r = run_with(&find("ab-flask-dev").unwrap().scenario(), opts);
    let f = get(&advise(&r), ids::SYN_DROPS).clone();
    assert!(
        f.title
            .starts_with(&format!("{} SYNs were dropped", r.summary.syn_drops)),
        "{}",
        f.title
    );
}

#[test]
fn number_formats() {
    assert_eq!(fmt_duration(20_000_600_000), "20 s");
    assert_eq!(fmt_duration(1_500_000_000), "1.5 s");
    assert_eq!(fmt_duration(73_237_200_000), "73.2 s");
    assert_eq!(fmt_duration(340_000_000), "340 ms");
    assert_eq!(fmt_duration(12_500_000), "12.5 ms");
    assert_eq!(fmt_duration(590_000), "590 µs");
    assert_eq!(fmt_duration(0), "0 ms");
    assert_eq!(fmt_percent(0.94), "94 %");
    assert_eq!(fmt_percent(0.99997), "100 %");
    assert_eq!(fmt_percent(0.025), "2.5 %");
    assert_eq!(fmt_percent(0.0001), "< 0.1 %");
    assert_eq!(fmt_percent(0.0), "0 %");
    assert!(Severity::Problem < Severity::Warning && Severity::Warning < Severity::Info);
    let f = &advise(&run_preset("ab-uvicorn"))[0];
    let v = serde_json::to_value(f).unwrap();
    assert_eq!(v["id"], "idle_cores");
    assert_eq!(v["severity"], "warning");
}

#[test]
fn a_full_garbage_collection_is_a_warning_with_its_pause() {
    // uvicorn, 8 `async def` requests awaiting 100 ms at once, the collector with a full
    // collection due at the 8th request start (800 > 700 objects): it examines the 10 000
    // heap and the 800 live objects at 1 µs each, 10.8 ms.
    let gc = |count: [u32; 3], pending: u32| {
        json!({"version": 1,
               "server": {"kind": "uvicorn", "costs": {"accept_us": 0, "parse_us": 0, "respond_us": 0},
                          "gc": {"objects_per_request": 100, "heap_objects": 10_000, "ns_per_object": 1_000.0,
                                 "count": count, "pending": pending}},
               "handler": {"route": "async_def", "overhead": constant(0.0),
                           "steps": [{"kind": "await_io", "duration": constant(100.0)}]},
               "load": {"kind": "burst", "clients": 8}})
    };
    let fs = advise(&run_json(gc([0, 0, 11], 2_500)));
    check_shape(&fs);
    let f = get(&fs, ids::GC_PAUSES);
    assert_eq!(f.severity, Severity::Warning, "{}", show(&fs));
    assert!(
        f.title.starts_with(
            "1 full garbage collection of the whole heap stopped a worker for up to 10.8 ms"
        ),
        "{}",
        f.title
    );
    assert!(f.fix.as_deref().unwrap().contains("gc.freeze()"));
    // Nothing pending: a young collection only (800 µs), as information.
    let fs = advise(&run_json(gc([0, 0, 11], 0)));
    let f = get(&fs, ids::GC_PAUSES);
    assert_eq!(f.severity, Severity::Info);
    assert!(
        f.title.contains("800 µs in all (1 young collection)"),
        "{}",
        f.title
    );
    assert!(has(&fs, ids::ALL_GOOD));
    // Without the collector modelled, no such finding.
    assert!(!has(
        &advise(&run_preset("fastapi-async-asyncio-sleep")),
        ids::GC_PAUSES
    ));
}

#[test]
fn a_full_descriptor_table_is_explained_with_its_fix() {
    // uvicorn with 10 descriptors in 64 slots and an AnyIO thread started: the 55th of 60
    // connections grows the table, and the accept() waits 5 ms.
    let fds = |warm: u32| {
        json!({"version": 1,
               "server": {"kind": "uvicorn", "fds": {"open": 10, "table": [64]}, "warm_threads": warm,
                          "costs": {"accept_us": 0, "parse_us": 0, "respond_us": 0, "fd_grow_us": 5000.0}},
               "handler": {"route": "async_def", "overhead": constant(0.0),
                           "steps": [{"kind": "await_io", "duration": constant(100.0)}]},
               "load": {"kind": "burst", "clients": 60}})
    };
    let fs = advise(&run_json(fds(1)));
    check_shape(&fs);
    let f = get(&fs, ids::FD_TABLE_GROWN);
    assert_eq!(f.severity, Severity::Info, "{}", show(&fs));
    assert_eq!(
        f.title,
        "A full descriptor table held up the accept() of 1 worker for 5 ms in all"
    );
    assert!(f.detail.contains("RCU grace period"), "{}", f.detail);
    assert!(f.fix.as_deref().unwrap().contains("os.dup2(0, 1023)"));
    // A single thread grows it at once: nothing to say.
    assert!(!has(&advise(&run_json(fds(0))), ids::FD_TABLE_GROWN));
}
