//! Which worker takes a connection: every idle worker polling the shared listen socket is
//! woken (the order drawn from the seed, each further one 50 µs later); each accepts one
//! connection per `accept()` while connections remain — an asyncio loop up to its backlog per
//! wake-up (asyncio's accept loop; uvicorn passes --backlog), a threaded or sync worker one
//! per wake-up. The accept's CPU runs first and the connection is taken as it ends, so a
//! worker woken but waiting for a core takes none.

mod common;

use common::*;
use serde_json::{json, Value};

fn uvicorn_burst(workers: u32, clients: u32) -> Value {
    // Default costs and 4 cores: each loop has its own process, GIL and core.
    json!({
        "version": 1,
        "server": {"kind": "uvicorn", "workers": workers, "cores": 4},
        "handler": {"route": "async_def", "steps": []},
        "load": burst(clients)
    })
}

fn with_backlog(mut v: Value, backlog: u32) -> Value {
    v["server"]["backlog"] = json!(backlog);
    v
}

fn per_worker(r: &loopsim_engine::RunResult, workers: usize) -> Vec<u64> {
    let mut n = vec![0u64; workers];
    for q in &r.requests {
        n[q.worker.unwrap() as usize] += 1;
    }
    // The per-worker counters agree with the records.
    let accepted: Vec<u64> = r.workers.iter().map(|w| w.accepted).collect();
    assert_eq!(accepted, n);
    n
}

/// The non-zero counts, largest first.
fn shares(mut n: Vec<u64>) -> Vec<u64> {
    n.retain(|&x| x > 0);
    n.sort_unstable_by(|a, b| b.cmp(a));
    n
}

#[test]
fn a_small_burst_lands_on_the_first_worker_awake() {
    // Every idle worker is woken; the first awake accepts one connection per 10 µs (asyncio's
    // accept loop), the next is awake 50 µs later: a burst of 1 or 2 is all taken before it
    // looks.
    for clients in [1, 2] {
        let r = run(uvicorn_burst(4, clients));
        assert!(all_ok(&r));
        assert_eq!(
            shares(per_worker(&r, 4)),
            vec![clients as u64],
            "{clients} clients"
        );
    }
}

#[test]
fn a_large_burst_is_shared_by_the_workers_as_they_wake() {
    // 100 at once on 2 workers: the first awake takes one at 10, 20 … 50 µs, the second wakes
    // at 50 µs and takes its first at 60 µs; from then on they alternate: 53 and 47.
    let r = run(uvicorn_burst(2, 100));
    assert!(all_ok(&r));
    assert_eq!(shares(per_worker(&r, 2)), vec![53, 47]);
    // On 4 workers, woken 50 µs apart, each takes 5 per 50 µs once awake: 15, 10 and 5 by
    // 150 µs, when the fourth wakes; the 70 left go round the four (17 each, and 2 more to the
    // first two): the earlier ones take more, 33, 28, 22 and 17.
    let r = run(uvicorn_burst(4, 100));
    assert_eq!(shares(per_worker(&r, 4)), vec![33, 28, 22, 17]);
}

#[test]
fn a_worker_woken_onto_a_busy_core_takes_nothing_until_it_runs() {
    // 2 workers on 1 core, 10 connections at once, 40 µs per accept. The first awake gets
    // the core and accepts one per 40 µs, all 10 by 0.4 ms; the second, woken 50 µs later,
    // waits for its turn on the core (the first one's slice, 0.75 ms, then the next tick) and
    // its accept finds none left.
    let v = json!({
        "version": 1,
        "server": {"kind": "uvicorn", "workers": 2, "cores": 1,
                   "costs": {"accept_us": 40.0, "parse_us": 0.0, "respond_us": 0.0}},
        "handler": {"route": "async_def", "overhead": zero_overhead(), "steps": []},
        "load": burst(10)
    });
    let r = run(v.clone());
    assert!(all_ok(&r));
    assert_eq!(shares(per_worker(&r, 2)), vec![10]);
    let accepted: Vec<u64> = by_id(&r).iter().map(|q| q.accepted.unwrap()).collect();
    assert_eq!(accepted, (1..=10).map(|k| k * 40_000).collect::<Vec<u64>>());
    // On 2 cores the second runs at once: it takes its first at 90 µs, then they alternate.
    let mut v = v;
    v["server"]["cores"] = json!(2);
    let r = run(v);
    assert_eq!(shares(per_worker(&r, 2)), vec![6, 4]);
}

#[test]
fn a_sync_worker_done_first_takes_the_connection_a_waiting_one_was_woken_for() {
    // gunicorn sync, 2 workers on 1 core, 40 µs per accept, 0.2 ms of handler CPU; requests
    // at 0 and 0.1 ms. Worker A takes #0 (0–40 µs) and runs it to 0.24 ms. #1 wakes B, which
    // waits for its turn on the core (A's slice, 0.75 ms, then the next tick); A, done,
    // accepts again at once and takes #1 (0.28 ms), done at 0.48 ms. B's accept, later, finds
    // the queue empty.
    let v = json!({
        "version": 1,
        "server": {"kind": "gunicorn_sync", "workers": 2, "cores": 1,
                   "costs": {"accept_us": 40.0, "parse_us": 0.0, "respond_us": 0.0}},
        "handler": {"route": "def", "overhead": zero_overhead(), "steps": [step("cpu", 0.2)]},
        "load": {"kind": "burst", "offsets_ms": [0.0, 0.1]}
    });
    let r = run(v);
    assert!(all_ok(&r));
    assert_eq!(shares(per_worker(&r, 2)), vec![2]);
    assert_eq!(latencies(&r), vec![ms(0.24), ms(0.38)]);
    let accepted: Vec<u64> = by_id(&r).iter().map(|q| q.accepted.unwrap()).collect();
    assert_eq!(accepted, vec![ms(0.04), ms(0.28)]);
}

#[test]
fn the_winner_of_the_accept_race_depends_on_the_seed() {
    // Over many seeds every worker is the first awake (takes the most) in some bursts.
    let mut winners = std::collections::BTreeSet::new();
    for seed in 1..40u64 {
        let mut v = uvicorn_burst(4, 10);
        v["seed"] = json!(seed);
        let n = per_worker(&run(v), 4);
        let max = *n.iter().max().unwrap();
        winners.insert(n.iter().position(|&x| x == max).unwrap());
    }
    assert_eq!(winners.len(), 4, "{winners:?}");
}

#[test]
fn with_a_backlog_of_100_a_burst_of_250_overflows_it() {
    let r = run(with_backlog(uvicorn_burst(4, 250), 100));
    // Backlog 100 queues 101 connections; the rest are dropped and retried a second later.
    assert!(all_ok(&r));
    let n = per_worker(&r, 4);
    assert_eq!(n.iter().sum::<u64>(), 250);
    assert!(n.iter().all(|&x| x <= 250));
    // At t = 0 at most 101 connections were queued; no accept batch exceeds 100.
    let q = by_id(&r);
    let at0: Vec<&loopsim_engine::RequestRecord> =
        q.iter().filter(|q| q.syn_retries == 0).collect();
    assert_eq!(at0.len(), 101);
    // The 149 dropped retry at 1 s: 101 fit again, 48 wait for the retry at 3 s.
    let tries: Vec<usize> = (1..=2)
        .map(|n| q.iter().filter(|q| q.syn_retries == n).count())
        .collect();
    assert_eq!(tries, vec![101, 48]);
}

#[test]
fn a_burst_on_one_worker_is_accepted_a_backlog_at_a_time() {
    // 1 worker, backlog 100: the first wake-up accepts 100, one per 10 µs, each `accept()`
    // returning as its 10 µs end (10 µs … 1 ms); the 101st queued connection waits for the
    // next poll, whose ready callbacks are the 100 connections' set-up tasks (15 µs each, the
    // first half of `setup_us`) and then the accept: 1 + 1.5 + 0.01 = 2.51 ms.
    let r = run(with_backlog(uvicorn_burst(1, 101), 100));
    assert!(all_ok(&r));
    let q = by_id(&r);
    assert!(q[..100]
        .iter()
        .enumerate()
        .all(|(i, q)| q.accepted == Some((i as u64 + 1) * 10_000)));
    assert_eq!(q[100].accepted, Some(ms(2.51)));
    // With the default backlog, all 101 are taken in the first wake-up.
    let r = run(uvicorn_burst(1, 101));
    assert!(by_id(&r)
        .iter()
        .enumerate()
        .all(|(i, q)| q.accepted == Some((i as u64 + 1) * 10_000)));
}

#[test]
fn spaced_requests_are_each_served_alone() {
    // One request every 10 ms, each served in < 1 ms: some idle worker takes each at once.
    let r = run(json!({
        "version": 1,
        "server": {"kind": "uvicorn", "workers": 4, "cores": 4},
        "handler": {"route": "async_def", "steps": []},
        "load": {"kind": "burst", "clients": 20, "interval_ms": 10.0}
    }));
    assert_eq!(per_worker(&r, 4).iter().sum::<u64>(), 20);
    // Each is served alone: accept 40 + parse 90 + FastAPI 220 + respond 90 µs = 440 µs.
    assert!(latencies(&r).iter().all(|&l| l == 440_000));
}

#[test]
fn a_busy_worker_leaves_new_connections_to_an_idle_one() {
    // async def + time.sleep(100 ms) on 2 workers, requests at 0 and 10 ms: worker 0's loop is
    // blocked in the first sleep, so the second goes to worker 1 and both take 100 ms.
    let r = run(json!({
        "version": 1,
        "server": {"kind": "uvicorn", "workers": 2, "costs": zero_costs()},
        "handler": {"route": "async_def", "overhead": zero_overhead(),
                    "steps": [step("blocking_io", 100.0)]},
        "load": {"kind": "burst", "offsets_ms": [0.0, 10.0]}
    }));
    assert_eq!(per_worker(&r, 2), vec![1, 1]);
    assert_eq!(latencies(&r), vec![ms(100.0), ms(100.0)]);
}

#[test]
fn sync_workers_take_one_connection_per_wake_up() {
    // gunicorn sync, 4 workers, 4 simultaneous requests of 50 ms: one each, all done at 50 ms.
    let r = run(json!({
        "version": 1,
        "server": {"kind": "gunicorn_sync", "workers": 4, "costs": zero_costs()},
        "handler": {"route": "def", "overhead": zero_overhead(),
                    "steps": [step("blocking_io", 50.0)]},
        "load": burst(4)
    }));
    assert_eq!(per_worker(&r, 4), vec![1, 1, 1, 1]);
    assert_eq!(latencies(&r), vec![ms(50.0); 4]);
    // 8 requests: two rounds.
    let r = run(json!({
        "version": 1,
        "server": {"kind": "gunicorn_sync", "workers": 4, "costs": zero_costs()},
        "handler": {"route": "def", "overhead": zero_overhead(),
                    "steps": [step("blocking_io", 50.0)]},
        "load": burst(8)
    }));
    assert_eq!(per_worker(&r, 4), vec![2, 2, 2, 2]);
    assert_eq!(
        histogram(&latencies(&r)),
        vec![(ms(50.0), 4), (ms(100.0), 4)]
    );
}

#[test]
fn an_accepted_connection_is_set_up_over_two_iterations_before_its_read() {
    // asyncio: the accept creates the set-up task (`_accept_connection2`, next iteration),
    // which makes the transport, whose `connection_made` and `_add_reader` run the iteration
    // after; the request is read at the poll after that. Accept 10 µs, set-up 40 µs (20 in
    // each stage), parse 50 µs, nothing else: A and B accepted at 10 and 20 µs, set up 20–60
    // and 60–100, read 100–150 and 150–200: both tasks start at 200 µs, 100 µs of CPU each.
    let scenario = |setup_us: f64, load: Value| {
        json!({
            "version": 1,
            "server": {"kind": "uvicorn", "cores": 1, "costs": {
                "accept_us": 10.0, "setup_us": setup_us, "parse_us": 50.0, "respond_us": 0.0}},
            "handler": {"route": "async_def", "overhead": zero_overhead(), "steps": []},
            "load": load
        })
    };
    let r = run(scenario(40.0, burst(2)));
    let q = by_id(&r);
    assert_eq!((q[0].accepted, q[1].accepted), (Some(10_000), Some(20_000)));
    assert_eq!((q[0].started, q[1].started), (Some(200_000), Some(200_000)));
    assert!(q.iter().all(|q| q.split.cpu == 100_000));
    // Without a set-up cost the stages still take their iterations, at no cost: read 20–70
    // and 70–120.
    let r = run(scenario(0.0, burst(2)));
    let q = by_id(&r);
    assert_eq!((q[0].started, q[1].started), (Some(120_000), Some(120_000)));
    // A kept-alive connection is set up once: its second request is read at once (50 µs).
    let r = run(scenario(
        40.0,
        json!({"kind": "closed", "requests": 2, "concurrency": 1, "keep_alive": true}),
    ));
    assert_eq!(latencies(&r), vec![100_000, 50_000]);
}
