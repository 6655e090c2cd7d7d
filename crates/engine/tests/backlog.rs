//! The listen backlog: Linux queues completed handshakes until `accept()`, up to backlog + 1
//! connections; a SYN that finds the queue full is dropped and the client retransmits it 1, 3,
//! 7, 15, 31 and 63 s after its first try, then gives up at 127 s (`tcp_syn_retries = 6`).
//!
//! Setting: gunicorn sync, one worker (one request at a time), every cost 0, a blocking step
//! of D per request, backlog 1 (the queue holds 2).

mod common;

use common::*;
use loopsim_engine::{Status, SYN_GIVE_UP_S, SYN_RETRY_S};
use serde_json::{json, Value};

const S: u64 = 1_000_000_000;

fn sync_backlog(backlog: u32, clients: u32, d_ms: f64) -> Value {
    json!({
        "version": 1,
        "server": {"kind": "gunicorn_sync", "backlog": backlog, "worker_timeout_s": 0,
                   "costs": zero_costs()},
        "handler": {"route": "def", "overhead": zero_overhead(),
                    "steps": [step("blocking_io", d_ms)]},
        "load": burst(clients)
    })
}

#[test]
fn retry_schedule_is_linux_default() {
    assert_eq!(SYN_RETRY_S, [1, 3, 7, 15, 31, 63]);
    assert_eq!(SYN_GIVE_UP_S, 127);
}

#[test]
fn dropped_syns_come_back_after_1_3_and_7_seconds() {
    // D = 2.5 s, 5 clients at t = 0, queue of 2:
    //   t=0    #0 #1 queue, #2 #3 #4 dropped (retry at 1 s); the worker takes #0 → 2.5 s.
    //   t=1    #2 queues (1 waiting: #1); #3 #4 dropped again (retry at 3 s).
    //   t=2.5  #0 answered; the worker takes #1 → 5 s. Queue: #2.
    //   t=3    #3 queues; #4 dropped (retry at 7 s).
    //   t=5    #2 → 7.5 s.  t=7: #4 queues.  t=7.5: #3 → 10 s.  t=10: #4 → 12.5 s.
    let r = run(sync_backlog(1, 5, 2_500.0));
    assert!(all_ok(&r));
    let q = by_id(&r);
    let lat: Vec<u64> = q.iter().map(|q| q.latency()).collect();
    assert_eq!(lat, vec![S * 5 / 2, 5 * S, S * 15 / 2, 10 * S, S * 25 / 2]);
    let retries: Vec<u8> = q.iter().map(|q| q.syn_retries).collect();
    assert_eq!(retries, vec![0, 0, 1, 2, 3]);
    let connected: Vec<u64> = q.iter().map(|q| q.connected.unwrap()).collect();
    assert_eq!(connected, vec![0, 0, S, 3 * S, 7 * S]);
    let accepted: Vec<u64> = q.iter().map(|q| q.accepted.unwrap()).collect();
    assert_eq!(accepted, vec![0, S * 5 / 2, 5 * S, S * 15 / 2, 10 * S]);
    // The handshake time is the `connecting` part of the split.
    for q in &q {
        assert_eq!(q.split.connecting, q.connected.unwrap() - q.sent);
    }
    // 3 + 2 + 1 dropped SYNs.
    assert_eq!(r.summary.syn_drops, 6);
    // ab's Connect column sees the retransmission delays.
    assert_eq!(r.summary.connect.max, 7_000.0);
}

#[test]
fn a_client_gives_up_after_127_seconds() {
    // D = 200 s, 4 clients. t = 0: #0 #1 queue, #2 #3 dropped; the worker takes #0 (for
    // 200 s), so the queue holds #1. At 1 s #2 queues (it waits until 400 s), #3 is dropped
    // again, and again at 3, 7, 15, 31 and 63 s: the queue stays full (#1 #2) until 200 s.
    // #3's client gives up at 127 s.
    let r = run(sync_backlog(1, 4, 200_000.0));
    let q = by_id(&r);
    let lat: Vec<u64> = q[..3].iter().map(|q| q.latency()).collect();
    assert_eq!(lat, vec![200 * S, 400 * S, 600 * S]);
    assert!(q[..3].iter().all(|q| q.status == Status::Ok));
    assert_eq!(q[2].connected, Some(S));
    let c = &q[3];
    assert_eq!(c.status, Status::ConnectFailed);
    assert_eq!(c.finished, 127 * S);
    assert_eq!(c.connected, None);
    assert_eq!(c.accepted, None);
    assert_eq!(c.worker, None);
    assert_eq!(c.split.connecting, 127 * S);
    // #2's first SYN, and #3's first SYN and its 6 retransmissions.
    assert_eq!(r.summary.syn_drops, 8);
    assert_eq!(r.summary.failed_connect, 1);
    assert_eq!(r.summary.completed, 3);
    // `syn_retries` counts retransmissions: tcp_syn_retries = 6 sends at most 6.
    assert_eq!(c.syn_retries, 6);
}

#[test]
fn the_queue_holds_backlog_plus_one() {
    // Backlog 3 → 4 queued at once; 10 clients, D = 100 ms: the worker takes #0 at once, so
    // #0..#3 fit at t = 0 (queue 4, then 3 after the accept at the same instant: the SYNs
    // all arrive before the worker wakes), #4..#9 are dropped.
    let r = run(sync_backlog(3, 10, 100.0));
    let q = by_id(&r);
    let first_try: Vec<u32> = q
        .iter()
        .filter(|q| q.syn_retries == 0)
        .map(|q| q.id)
        .collect();
    assert_eq!(first_try, vec![0, 1, 2, 3]);
    // #0..#3 are done by 400 ms; at 1 s #4..#7 queue and #8 #9 are dropped again (retry at
    // 3 s): 6 + 2 drops.
    assert_eq!(r.summary.syn_drops, 8);
    for q in &q[4..8] {
        assert_eq!(q.syn_retries, 1);
    }
    for q in &q[8..] {
        assert_eq!(q.syn_retries, 2);
        assert_eq!(q.connected, Some(3 * S));
    }
    // #4..#7 served one by one from 1 s: 1.1, 1.2, 1.3, 1.4 s.
    let lat: Vec<u64> = q[4..8].iter().map(|q| q.latency()).collect();
    assert_eq!(
        lat,
        vec![1_100_000_000, 1_200_000_000, 1_300_000_000, 1_400_000_000]
    );
}

#[test]
fn a_large_backlog_drops_nothing() {
    let r = run(sync_backlog(64, 50, 1.0));
    assert_eq!(r.summary.syn_drops, 0);
    assert!(all_ok(&r));
    // One at a time: request k done at (k + 1) ms.
    for (i, l) in latencies(&r).iter().enumerate() {
        assert_eq!(*l, ms((i + 1) as f64));
    }
}

#[test]
fn a_client_timeout_cuts_the_retries_short() {
    // The give-up case with ab's 30 s timeout: every client gives up at 30 s — #0 while the
    // worker runs it, #1 #2 queued, #3 before its retransmissions at 31 and 63 s.
    let mut s = sync_backlog(1, 4, 200_000.0);
    s["load"]["timeout_ms"] = json!(30_000.0);
    let r = run(s);
    let q = by_id(&r);
    for q in &q {
        assert_eq!(q.status, Status::ClientTimeout);
        assert_eq!(q.finished, 30 * S);
    }
    // #2 dropped once; #3 at 0, 1, 3, 7 and 15 s.
    assert_eq!(q[3].syn_retries, 5);
    assert_eq!(r.summary.syn_drops, 6);
    assert_eq!(r.summary.failed_client_timeout, 4);
}
