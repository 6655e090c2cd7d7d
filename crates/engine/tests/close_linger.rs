//! `server.close_linger`: gunicorn's sync worker closes each connection gracefully (gunicorn
//! 27, RFC 9112 §9.6): after its response it shuts its side, then reads until the client
//! closes, and only then takes the next connection. A client that reads the response at once
//! (no client process) costs it nothing; ab, or a script, on the same machine makes it wait
//! until the client has read the response.

mod common;

use common::*;
use loopsim_engine::record::ACT_CLOSE_WAIT;
use loopsim_engine::ThreadState;
use serde_json::{json, Value};

/// One gunicorn sync worker on two cores, every server cost 0, a 1 ms handler; a burst of two
/// from a client process of 100 µs per request (50 to send, 50 to read the response).
fn sync_burst(close_linger: Option<bool>, client_cpu_us: Option<f64>) -> Value {
    let mut v = json!({
        "version": 1,
        "server": {"kind": "gunicorn_sync", "cores": 2, "costs": zero_costs()},
        "handler": {"route": "def", "overhead": constant(1.0), "steps": []},
        "load": {"kind": "burst", "clients": 2}
    });
    if let Some(b) = close_linger {
        v["server"]["close_linger"] = json!(b);
    }
    if let Some(us) = client_cpu_us {
        v["load"]["client_cpu_us"] = json!(us);
    }
    v
}

#[test]
fn the_worker_takes_the_next_connection_once_the_client_has_closed() {
    // Without it: the client sends both by 100 µs; the worker answers the first at 1.050 ms
    // and takes the second at once.
    let without = run(sync_burst(Some(false), Some(100.0)));
    assert!(all_ok(&without));
    // With it (the default): the worker waits while the client reads the first response
    // (50 µs) and closes, so the second request starts, and ends, 50 µs later.
    let with = run(sync_burst(None, Some(100.0)));
    assert!(all_ok(&with));
    let (a, b) = (latencies(&without), latencies(&with));
    assert_eq!(b[0], a[0]);
    assert_eq!(b[1], a[1] + 50_000);
    // The waits show on the worker's lane as waiting for the client to close: 50 µs after
    // each response.
    assert_eq!(close_waits(&with, 1), vec![100_000]);
    let lane = lane_named(&with, "w0 worker") as u32;
    let waits: Vec<_> = lane_segments(&with, lane)
        .into_iter()
        .filter(|s| s.activity == ACT_CLOSE_WAIT)
        .map(|s| (s.start, s.end, s.state))
        .collect();
    assert_eq!(
        waits,
        vec![
            (1_050_000, 1_100_000, ThreadState::Wait),
            (2_100_000, 2_150_000, ThreadState::Wait)
        ]
    );
    assert_eq!(close_waits(&without, 1), vec![0]);
    // The worker's counters: two closes, 100 µs of waiting in all; none without it.
    let w = &with.workers[0];
    assert_eq!((w.close_lingers, w.close_linger_total), (2, 100_000));
    let w = &without.workers[0];
    assert_eq!((w.close_lingers, w.close_linger_total), (0, 0));
}

#[test]
fn a_client_without_a_process_closes_at_once() {
    // Browser tabs read the response as it arrives: nothing changes.
    let with = run(sync_burst(Some(true), None));
    let without = run(sync_burst(Some(false), None));
    assert!(all_ok(&with));
    assert_eq!(latencies(&with), vec![1_000_000, 2_000_000]);
    assert_eq!(latencies(&with), latencies(&without));
    // It closed twice without waiting.
    let w = &with.workers[0];
    assert_eq!((w.close_lingers, w.close_linger_total), (2, 0));
}

/// The close waits on each of `workers` lanes (ns), in lane order.
fn close_waits(r: &loopsim_engine::RunResult, workers: u32) -> Vec<u64> {
    (0..workers)
        .map(|w| {
            let lane = lane_named(r, &format!("w{w} worker")) as u32;
            lane_segments(r, lane)
                .into_iter()
                .filter(|s| s.activity == ACT_CLOSE_WAIT)
                .map(|s| s.end - s.start)
                .sum()
        })
        .collect()
}

#[test]
fn it_waits_at_most_two_seconds() {
    // Three workers answer a burst of three at 1 ms; the client takes 1 s to read each
    // response (all of its CPU per request), one after the other: it closes them at 1.001,
    // 2.001 and 3.001 s. The workers wait 1 s, 2 s, and 2 s: the last gives up at 2.001 s.
    let mut v = sync_burst(None, Some(1_000_000.0));
    v["server"]["workers"] = json!(3);
    v["server"]["cores"] = json!(4);
    v["load"]["clients"] = json!(3);
    v["load"]["client_send_us"] = json!(0.0);
    let r = run(v.clone());
    assert!(all_ok(&r));
    assert_eq!(
        sorted_latencies(&r),
        vec![1_001_000_000, 2_001_000_000, 3_001_000_000]
    );
    let mut waits = close_waits(&r, 3);
    waits.sort_unstable();
    assert_eq!(waits, vec![1_000_000_000, 2_000_000_000, 2_000_000_000]);
    let total: u64 = r.workers.iter().map(|w| w.close_linger_total).sum();
    assert_eq!(total, 5_000_000_000);
    // The latencies are the client's; the wait only holds the workers.
    v["server"]["close_linger"] = json!(false);
    let without = run(v);
    assert_eq!(sorted_latencies(&without), sorted_latencies(&r));
    assert_eq!(close_waits(&without, 3), vec![0, 0, 0]);
}

#[test]
fn only_the_sync_worker_lingers() {
    let mut v = sync_burst(Some(true), None);
    v["server"]["kind"] = json!("waitress");
    let e = refusal(&v);
    assert!(
        e.contains(
            "server.close_linger: only gunicorn's sync worker waits for the client to close"
        ),
        "{e}"
    );
    v["server"]["close_linger"] = json!(false);
    scenario(v);
}
