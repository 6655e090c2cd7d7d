//! Invariants of every run, over randomly generated valid scenarios: all server kinds, both
//! routes, every step kind and offload, pools, background tasks, kills, timeouts, tiny
//! backlogs, and the three kinds of load — at small sizes so that hundreds of runs stay fast.

mod common;

use std::collections::HashMap;

use loopsim_engine::export::result_json;
use loopsim_engine::record::{most_at_once, LaneKind, LaneTotals, ACT_KERNEL, NO_REQUEST};
use loopsim_engine::scenario::ServerKind;
use loopsim_engine::time::to_ms;
use loopsim_engine::{RunOptions, RunResult, Scenario, Simulation, Status, ThreadState};
use proptest::prelude::*;
use serde_json::{json, Value};

/// Draws the scenario's choices from a list of random numbers (proptest shrinks them towards 0,
/// which means "the first option" / "the smallest value" everywhere).
struct Knobs<'a> {
    v: &'a [u32],
    i: usize,
}

impl Knobs<'_> {
    fn next(&mut self) -> u32 {
        let x = self.v[self.i % self.v.len()];
        self.i += 1;
        x
    }
    fn below(&mut self, n: u32) -> u32 {
        self.next() % n
    }
    fn between(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }
    /// A value in [lo, hi], rounded to 3 decimals (readable failure cases).
    fn float(&mut self, lo: f64, hi: f64) -> f64 {
        let x = lo + (hi - lo) * (self.next() as f64 / u32::MAX as f64);
        ((x * 1000.0).round() / 1000.0).clamp(lo, hi)
    }
    fn dist(&mut self, scale: f64) -> Value {
        match self.below(4) {
            0 => json!({"dist": "constant", "ms": self.float(0.0, scale)}),
            1 => {
                let a = self.float(0.0, scale);
                let b = self.float(a, scale.max(a));
                json!({"dist": "uniform", "min_ms": a, "max_ms": b})
            }
            2 => json!({"dist": "exponential", "mean_ms": self.float(0.0, scale)}),
            _ => json!({"dist": "lognormal", "median_ms": self.float(0.01, scale / 2.0),
                        "sigma": self.float(0.0, 1.0)}),
        }
    }
    fn steps(&mut self, asgi: bool, async_route: bool, pool: bool, max: u32) -> Value {
        let n = self.below(max + 1);
        let mut steps = Vec::new();
        for _ in 0..n {
            let kind = match self.below(if async_route { 3 } else { 2 }) {
                0 => "cpu",
                1 => "blocking_io",
                _ => "await_io",
            };
            let mut s = json!({"kind": kind, "duration": self.dist(20.0)});
            if kind != "await_io" {
                match self.below(6) {
                    0 if asgi && async_route => s["offload"] = json!("threadpool"),
                    1 => s["offload"] = json!("process_pool"),
                    _ => {}
                }
            }
            if pool && self.chance(40) {
                s["hold_connection"] = json!(true);
            }
            if self.chance(10) {
                s["log_before"] = json!("before");
                s["log_after"] = json!("after");
            }
            steps.push(s);
        }
        Value::Array(steps)
    }
}

fn gen_scenario(v: &[u32]) -> Value {
    let mut k = Knobs { v, i: 0 };
    let kind = ServerKind::ALL[k.below(6) as usize];
    let asgi = kind.is_asgi();
    let mut server = json!({"kind": kind.id()});
    if kind.multi_process() && k.chance(50) {
        server["workers"] = json!(k.between(1, 3));
    }
    if kind.threads_meaning().is_some() && k.chance(60) {
        server["threads"] = json!(k.between(1, 6));
    }
    if k.chance(50) {
        server["cores"] = json!(k.between(1, 4));
    }
    if k.chance(20) {
        server["gil"] = json!(false);
    }
    if k.chance(30) {
        server["switch_interval_ms"] = json!(k.float(0.5, 10.0));
    }
    if k.chance(40) {
        server["backlog"] = json!(k.between(1, 8));
    }
    if k.chance(30) {
        // gunicorn sync and werkzeug cannot keep connections alive (only `false` is valid).
        server["keep_alive"] = json!(kind.defaults().keep_alive && k.chance(50));
    }
    if kind.is_gunicorn() && k.chance(40) {
        server["worker_timeout_s"] = if k.chance(30) {
            json!(0)
        } else {
            json!(k.float(0.1, 0.5))
        };
    }
    if k.chance(30) {
        server["connection_limit"] = json!(k.between(1, 10));
    }
    if k.chance(30) {
        server["process_pool"] = json!(k.between(1, 3));
    }
    if k.chance(30) {
        server["restart_ms"] = json!(k.float(0.0, 300.0));
    }
    if k.chance(70) {
        let mut c = json!({});
        for f in ["accept_us", "parse_us", "respond_us", "spawn_us"] {
            match k.below(3) {
                0 => c[f] = json!(0.0),
                1 => c[f] = json!(k.float(0.0, 300.0)),
                _ => {}
            }
        }
        if k.chance(50) {
            c["kernel_share"] = json!(k.float(0.0, 0.9));
        }
        server["costs"] = c;
    }
    if k.chance(30) {
        // The garbage collector, with small thresholds so that every generation collects.
        let objects = k.between(0, 400);
        let mut g = json!({
            "objects_per_request": objects,
            "garbage_per_request": k.between(0, objects),
            "heap_objects": k.between(0, 20_000),
            "ns_per_object": k.float(0.0, 200.0),
        });
        if k.chance(50) {
            g["thresholds"] = json!([k.between(0, 800), k.between(1, 3), k.between(1, 3)]);
        }
        server["gc"] = g;
    }
    let async_route = asgi && k.chance(50);
    let pool = k.chance(30);
    let mut handler = json!({
        "route": if async_route { "async_def" } else { "def" },
        "steps": k.steps(asgi, async_route, pool, 4),
    });
    if pool {
        handler["db_pool"] = json!(k.between(1, 3));
    }
    if k.chance(50) {
        handler["overhead"] = k.dist(0.5);
    }
    if asgi && k.chance(30) {
        let n = k.between(1, 2);
        let bg: Vec<Value> = (0..n)
            .map(|_| {
                let a = k.chance(50);
                json!({"route": if a { "async_def" } else { "def" },
                       "steps": k.steps(true, a, pool, 2)})
            })
            .collect();
        handler["background"] = Value::Array(bg);
    }
    let timeout = if k.chance(30) {
        Some(k.float(1.0, 300.0))
    } else {
        None
    };
    let mut load = match k.below(3) {
        0 => {
            let requests = k.between(1, 25);
            let mut l = json!({"kind": "closed", "requests": requests,
                               "concurrency": k.between(1, requests), "keep_alive": k.chance(50)});
            if k.chance(40) {
                l["client_cpu_us"] = json!(k.float(0.0, 500.0));
            }
            l
        }
        1 => json!({"kind": "open", "rate_per_s": k.float(10.0, 500.0),
                    "duration_s": k.float(0.01, 0.2),
                    "arrivals": if k.chance(50) { "poisson" } else { "fixed" }}),
        _ => {
            if k.chance(50) {
                json!({"kind": "burst", "clients": k.between(1, 25),
                       "interval_ms": if k.chance(50) { 0.0 } else { k.float(0.0, 20.0) }})
            } else {
                let n = k.between(1, 12);
                let offsets: Vec<f64> = (0..n).map(|_| k.float(0.0, 50.0)).collect();
                json!({"kind": "burst", "offsets_ms": offsets})
            }
        }
    };
    if let Some(t) = timeout {
        load["timeout_ms"] = json!(t);
    }
    if load["kind"] == "burst" && k.chance(30) {
        load["client_cpu_us"] = json!(k.float(0.0, 500.0));
    }
    let seed = k.next() as u64;
    // Drawn last, so that earlier cases (and the saved regressions) keep their scenarios.
    if k.chance(25) {
        server["cpu_speed"] = json!({"sigma": k.float(0.0, 1.0), "hold_ms": k.float(0.1, 20.0)});
    }
    if k.chance(25) {
        server["tick_phase_us"] = json!(k.float(0.0, 3_999.0));
    }
    if server.get("gc").is_some() && k.chance(50) {
        let objects = server["gc"]["objects_per_request"].as_u64().unwrap_or(0) as u32;
        server["gc"]["objects_on_read"] = json!(k.between(0, objects));
    }
    if let Some(cpu) = load["client_cpu_us"].as_f64() {
        if k.chance(50) {
            load["client_send_us"] = json!(k.float(0.0, cpu));
        }
    }
    // The event loop's accept callback, set-up and cold callbacks, and an idle worker's wake-up
    // (in the order they were added, so that earlier cases keep their scenarios).
    for f in [
        "accept_call_us",
        "setup_us",
        "idle_wake_us",
        "cold_read_us",
        "cold_task_us",
        "iteration_us",
        "cold_accept_us",
        "cold_setup_us",
        "gil_handoff_us",
    ] {
        if k.chance(30) {
            if server.get("costs").is_none() {
                server["costs"] = json!({});
            }
            server["costs"][f] = json!(k.float(0.0, 300.0));
        }
    }
    // Going cold while idle: the workers' deep wake-up and the client's first pass.
    if k.chance(30) {
        if server.get("costs").is_none() {
            server["costs"] = json!({});
        }
        server["costs"]["deep_wake_us"] = json!(k.float(0.0, 500.0));
        server["costs"]["deep_idle_ms"] = json!(k.float(0.01, 100.0));
        server["costs"]["cold_cpu_us"] = json!(k.float(0.0, 1_000.0));
    }
    // No two wake-ups the same; a task step's cold extra falling along its run.
    for (f, max) in [("wake_sigma", 2.0), ("cold_task_decay", 0.99)] {
        if k.chance(30) {
            if server.get("costs").is_none() {
                server["costs"] = json!({});
            }
            server["costs"][f] = json!(k.float(0.0, max));
        }
    }
    if load["client_cpu_us"].is_number() && k.chance(40) {
        let cold = k.float(0.0, 500.0);
        load["client_cold_us"] = json!(cold);
        if k.chance(50) {
            load["client_cold_send_us"] = json!(k.float(0.0, cold));
        }
    }
    // gunicorn's sync worker waiting for the client to close (only it may; `false` is valid
    // for every server).
    if k.chance(30) {
        server["close_linger"] = json!(kind == ServerKind::GunicornSync && k.chance(50));
    }
    json!({
        "version": 1,
        "seed": seed,
        "server": server,
        "handler": handler,
        "load": load
    })
}

fn parse(v: &Value) -> Scenario {
    match Scenario::from_json(&v.to_string()) {
        Ok(s) => s,
        Err(e) => panic!("generated an invalid scenario:\n{e}\n{v:#}"),
    }
}

/// ab's percentile: sorted[n * p / 100].
fn ab_percentile(sorted: &[u64], permille: usize) -> f64 {
    if permille >= 1000 {
        return to_ms(*sorted.last().unwrap());
    }
    to_ms(sorted[sorted.len() * permille / 1000])
}

fn check(s: &Scenario, r: &RunResult) -> Result<(), TestCaseError> {
    let cfg = s.server.resolve();
    let n = r.requests_sent;
    // Every request ends exactly once.
    prop_assert_eq!(r.requests.len() as u64, n);
    let mut ids: Vec<u32> = r.requests.iter().map(|q| q.id).collect();
    ids.sort_unstable();
    prop_assert!(ids.iter().copied().eq(0..n as u32), "ids {:?}", ids);
    match &s.load {
        loopsim_engine::scenario::Load::Closed { requests, .. } => {
            // A deadlock (e.g. the only threadpool token waiting for a DB connection that a
            // background task holds while it waits for that token) ends the run with requests
            // never answered; their clients send nothing more.
            if r.summary.failed_unfinished == 0 {
                prop_assert_eq!(n, *requests as u64)
            } else {
                prop_assert!(n <= *requests as u64)
            }
        }
        loopsim_engine::scenario::Load::Burst { .. } => {
            prop_assert_eq!(n, s.load.request_count())
        }
        loopsim_engine::scenario::Load::Open { arrivals, .. } => {
            // Fixed arrivals: one every 1/rate until the end (Poisson: any number).
            if *arrivals == loopsim_engine::scenario::Arrivals::Fixed {
                prop_assert!(n.abs_diff(s.load.request_count()) <= 1, "{} requests", n);
            }
        }
    }
    let sm = &r.summary;
    prop_assert_eq!(sm.completed + sm.failed, n);
    let count = |st: Status| r.requests.iter().filter(|q| q.status == st).count() as u64;
    prop_assert_eq!(sm.completed, count(Status::Ok));
    prop_assert_eq!(sm.failed_client_timeout, count(Status::ClientTimeout));
    prop_assert_eq!(sm.failed_connect, count(Status::ConnectFailed));
    prop_assert_eq!(sm.failed_worker_killed, count(Status::WorkerKilled));
    prop_assert_eq!(sm.failed_unfinished, count(Status::Unfinished));

    let ab_writes_later = matches!(
        s.load,
        loopsim_engine::scenario::Load::Closed { client_cpu_us: Some(us), .. } if us > 0.0
    );
    for q in &r.requests {
        // Timestamps in order, where present.
        let mut t = q.sent;
        for x in [q.connected, q.accepted, q.started].into_iter().flatten() {
            prop_assert!(t <= x, "timestamps out of order: {:?}", q);
            t = x;
        }
        prop_assert!(t <= q.finished, "finished too early: {:?}", q);
        if q.accepted.is_some() {
            prop_assert!(q.connected.is_some(), "{:?}", q);
        }
        if q.started.is_some() {
            prop_assert!(q.accepted.is_some(), "{:?}", q);
        }
        if q.status == Status::Ok {
            prop_assert!(q.started.is_some() && q.worker.is_some() && q.lane.is_some());
        }
        if q.status == Status::ConnectFailed {
            prop_assert!(q.connected.is_none());
            prop_assert_eq!(q.latency(), loopsim_engine::SYN_GIVE_UP_S * 1_000_000_000);
        }
        if q.status == Status::ClientTimeout {
            prop_assert_eq!(Some(q.latency()), s.load.timeout());
        }
        // The split adds up to the latency, and connecting ends with the handshake (or, for
        // ab on the server's machine, with its write of the request, which comes later).
        prop_assert_eq!(q.split.total(), q.latency(), "{:?}", q);
        match (q.connected, q.written) {
            (Some(c), Some(w)) => {
                prop_assert!(ab_writes_later && w >= c, "{:?}", q);
                prop_assert!(q.split.connecting >= c - q.sent, "{:?}", q);
                prop_assert!(q.split.connecting <= w - q.sent, "{:?}", q);
                // A handler starts only once its request has arrived.
                prop_assert!(q.started.is_none_or(|s| s >= w), "{:?}", q);
            }
            (Some(c), None) if ab_writes_later => prop_assert!(q.split.connecting >= c - q.sent),
            (Some(c), None) => prop_assert_eq!(q.split.connecting, c - q.sent),
            (None, w) => {
                prop_assert!(w.is_none());
                prop_assert_eq!(q.split.connecting, q.latency())
            }
        }
        if let Some(w) = q.worker {
            prop_assert!(w < cfg.workers);
        }
        if let Some(l) = q.lane {
            prop_assert!((l as usize) < r.lanes.len());
            prop_assert_eq!(Some(r.lanes[l as usize].worker), q.worker);
        }
    }

    // CPU conservation: what was asked of the cores is what they delivered.
    prop_assert!(
        (sm.cpu_demand_ms - sm.cpu_delivered_ms).abs() <= 1e-3,
        "cpu demand {} ms vs delivered {} ms",
        sm.cpu_demand_ms,
        sm.cpu_delivered_ms
    );

    // Segments: well formed, never overlapping within a lane, and their sums are the lane
    // totals.
    prop_assert_eq!(r.segments_dropped, 0);
    let mut by_lane: HashMap<u32, Vec<_>> = HashMap::new();
    for seg in &r.segments {
        prop_assert!(seg.start < seg.end, "{:?}", seg);
        prop_assert!((seg.lane as usize) < r.lanes.len());
        prop_assert!((seg.activity as usize) < r.activities.len());
        prop_assert!(seg.state != ThreadState::Idle);
        prop_assert!(seg.request == NO_REQUEST || (seg.request as u64) < n);
        by_lane.entry(seg.lane).or_default().push(*seg);
    }
    let mut totals = vec![LaneTotals::default(); r.lanes.len()];
    for (lane, segs) in by_lane.iter_mut() {
        segs.sort_by_key(|s| (s.start, s.end));
        for w in segs.windows(2) {
            prop_assert!(
                w[0].end <= w[1].start,
                "overlapping segments on lane {}: {:?} {:?}",
                lane,
                w[0],
                w[1]
            );
        }
        for seg in segs.iter() {
            totals[*lane as usize].add(seg.state, seg.end - seg.start);
        }
    }
    prop_assert_eq!(&totals, &r.lane_totals);
    prop_assert_eq!(r.workers.len() as u32, cfg.workers);
    // Event loops read each request sent at most once, a read or task step runs cold at most
    // once per call, a loop's first read is cold, and it comes in the loop's fourth iteration
    // at the earliest (after the accept, the set-up and its registration).
    let mut reads = 0;
    for w in &r.workers {
        if let Some(l) = &w.loop_stats {
            let m = l.warmth;
            reads += m.reads;
            prop_assert!(m.reads_cold <= m.reads && m.task_steps_cold <= m.task_steps);
            prop_assert!(m.reads == 0 || m.reads_cold >= 1, "{:?}", m);
            prop_assert!(m.reads == 0 || l.iterations >= 4, "{:?}", l);
        }
    }
    prop_assert!(reads <= r.requests_sent, "{} reads", reads);

    // A core runs one thread at a time: never more threads running than cores (the others
    // wait for a core). With the GIL, one thread per process holds it, running or waiting for
    // a core (a server cost's system calls run without it).
    let running = r.segments.iter().filter(|g| g.state == ThreadState::Cpu);
    let most = most_at_once(running.map(|g| (g.start, g.end)));
    prop_assert!(
        most <= cfg.cores as usize,
        "{} threads on {} cores",
        most,
        cfg.cores
    );
    // And every core running a job shows it: at constant speed (time = work), the time lanes
    // spent running is the CPU work the cores delivered.
    if cfg.cpu_speed.is_none() {
        let ran: u64 = r.lane_totals.iter().map(|t| t.cpu).sum();
        prop_assert!(
            (to_ms(ran) - sm.cpu_delivered_ms).abs() <= 1e-3,
            "lanes ran {} ms, the cores delivered {} ms",
            to_ms(ran),
            sm.cpu_delivered_ms
        );
    }
    if cfg.gil {
        for w in 0..cfg.workers {
            let holding = r.segments.iter().filter(|g| {
                let lane = &r.lanes[g.lane as usize];
                lane.worker == w
                    && !matches!(lane.kind, LaneKind::ProcessPool | LaneKind::Client)
                    && matches!(g.state, ThreadState::Cpu | ThreadState::CoreWait)
                    && g.activity != ACT_KERNEL
            });
            let most = most_at_once(holding.map(|g| (g.start, g.end)));
            prop_assert!(most <= 1, "{} threads of worker {} hold its GIL", most, w);
        }
    }

    // Percentiles as ab computes them, from the completed requests' latencies.
    let mut lat: Vec<u64> = r
        .requests
        .iter()
        .filter(|q| q.status == Status::Ok)
        .map(|q| q.latency())
        .collect();
    lat.sort_unstable();
    if !lat.is_empty() {
        let expect = [
            (sm.p50_ms, 500),
            (sm.p66_ms, 660),
            (sm.p75_ms, 750),
            (sm.p80_ms, 800),
            (sm.p90_ms, 900),
            (sm.p95_ms, 950),
            (sm.p98_ms, 980),
            (sm.p99_ms, 990),
            (sm.p999_ms, 999),
            (sm.max_ms, 1000),
        ];
        for (got, pm) in expect {
            prop_assert_eq!(got, ab_percentile(&lat, pm), "p{}", pm as f64 / 10.0);
        }
        prop_assert_eq!(sm.min_ms, to_ms(lat[0]));
        let mean = lat.iter().sum::<u64>() as f64 / lat.len() as f64 / 1e6;
        prop_assert!((sm.mean_ms - mean).abs() <= 1e-9 * mean.max(1.0));
    }
    // The summary's time split adds up the completed requests' latencies.
    prop_assert_eq!(sm.time_split_ns.total(), lat.iter().sum::<u64>());
    // Time-averaged requests in system × makespan = total time spent in the system: with no
    // failures, that is Little's law with the measured throughput.
    if sm.failed == 0 && sm.completed > 0 && sm.makespan_ms > 0.0 {
        let little = sm.rps * sm.mean_ms / 1000.0;
        prop_assert!(
            (sm.mean_in_system - little).abs() <= 1e-6 * little.max(1e-9),
            "mean in system {} vs rps × mean {}",
            sm.mean_in_system,
            little
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_run_keeps_the_invariants(knobs in prop::collection::vec(any::<u32>(), 96)) {
        let v = gen_scenario(&knobs);
        let s = parse(&v);
        let r = std::panic::catch_unwind(|| loopsim_engine::run(&s).unwrap())
            .map_err(|_| TestCaseError::fail(format!("the engine panicked on\n{v}")))?;
        check(&s, &r).map_err(|e| TestCaseError::fail(format!("{e}\nscenario: {v}")))?;
        // Same seed, same run: the exported JSON is identical, and so is a run driven in small
        // steps.
        let again = loopsim_engine::run(&s).unwrap();
        prop_assert_eq!(result_json(&r), result_json(&again));
        let mut sim = Simulation::new(&s, RunOptions::default()).unwrap();
        while !sim.step(7) {}
        let stepped = sim.finish();
        prop_assert_eq!(result_json(&r), result_json(&stepped));
        for other in [&again, &stepped] {
            prop_assert_eq!(&r.segments, &other.segments);
            prop_assert_eq!(&r.logs, &other.logs);
            prop_assert_eq!(&r.lanes, &other.lanes);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn keeping_fewer_records_changes_no_statistic(
        knobs in prop::collection::vec(any::<u32>(), 96),
        keep in 0u32..5,
    ) {
        let s = parse(&gen_scenario(&knobs));
        let full = loopsim_engine::run(&s).unwrap();
        let opts = RunOptions {
            keep_requests: Some(keep),
            keep_logs: false,
            ..RunOptions::default()
        };
        let mut sim = Simulation::new(&s, opts).unwrap();
        while !sim.step(1 << 16) {}
        let part = sim.finish();
        prop_assert_eq!(&part.summary, &full.summary);
        prop_assert!(part.requests.iter().all(|q| q.id < keep));
        prop_assert!(part.logs.is_empty());
        let mut kept: Vec<_> = full.requests.iter().filter(|q| q.id < keep).cloned().collect();
        kept.sort_by_key(|q| q.id);
        let mut got = part.requests.clone();
        got.sort_by_key(|q| q.id);
        prop_assert_eq!(got, kept);
    }
}

#[test]
fn a_different_seed_gives_a_different_run() {
    // Random durations: the seed matters (so the determinism check above is not vacuous).
    let mut v = json!({
        "version": 1, "seed": 1,
        "server": {"kind": "uvicorn"},
        "handler": {"route": "def", "steps": [
            {"kind": "blocking_io", "duration": {"dist": "exponential", "mean_ms": 10.0}}]},
        "load": {"kind": "open", "rate_per_s": 100.0, "duration_s": 1.0}
    });
    let a = loopsim_engine::run(&parse(&v)).unwrap();
    v["seed"] = json!(2);
    let b = loopsim_engine::run(&parse(&v)).unwrap();
    assert_ne!(result_json(&a)["requests"], result_json(&b)["requests"]);
}

#[test]
fn littles_law_holds_on_a_long_open_loop_run() {
    // Poisson arrivals at λ = 200/s for 100 s (≈ 20 000 requests) on uvicorn with a def route
    // (exponential 15 ms blocking call, 40 threads: far from saturation). L (time-averaged
    // requests in the system) must equal λ·W, with λ the configured arrival rate and W the
    // mean latency, within 2 %.
    let v = json!({
        "version": 1, "seed": 7,
        "server": {"kind": "uvicorn"},
        "handler": {"route": "def", "steps": [
            {"kind": "blocking_io", "duration": {"dist": "exponential", "mean_ms": 15.0}}]},
        "load": {"kind": "open", "rate_per_s": 200.0, "duration_s": 100.0}
    });
    let s = parse(&v);
    let r = loopsim_engine::run(&s).unwrap();
    let sm = &r.summary;
    assert_eq!(sm.failed, 0);
    let lambda_w = 200.0 * sm.mean_ms / 1000.0;
    let rel = (sm.mean_in_system - lambda_w).abs() / lambda_w;
    assert!(
        rel < 0.02,
        "L = {} vs λW = {} ({:.2} %)",
        sm.mean_in_system,
        lambda_w,
        rel * 100.0
    );
    // And the direct average: the sum of the latencies over the makespan.
    let total: u64 = r.requests.iter().map(|q| q.latency()).sum();
    let direct = total as f64 / (sm.makespan_ms * 1e6);
    assert!((sm.mean_in_system - direct).abs() / direct < 1e-9);
}

#[test]
fn cpu_is_conserved_on_long_runs_with_shared_cores() {
    // Free-threaded, 3 threads on 2 cores (two share a core whenever all three run, and the
    // balancer moves jobs between the cores), ≈ 18 000 requests: rounding in the core
    // scheduler must not accumulate.
    for gil in [false, true] {
        let v = json!({
            "version": 1,
            "server": {"kind": "gunicorn_gthread", "threads": 3, "gil": gil, "cores": 2},
            "handler": {"route": "def", "steps": [
                {"kind": "cpu", "duration": {"dist": "exponential", "mean_ms": 5.0}}]},
            "load": {"kind": "open", "rate_per_s": 300.0, "duration_s": 60.0}
        });
        let r = loopsim_engine::run(&parse(&v)).unwrap();
        let sm = &r.summary;
        assert!(
            (sm.cpu_demand_ms - sm.cpu_delivered_ms).abs() <= 1e-3,
            "gil {gil}: demand {} ms, delivered {} ms",
            sm.cpu_demand_ms,
            sm.cpu_delivered_ms
        );
    }
}
