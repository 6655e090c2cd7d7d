//! The clients: ApacheBench's closed loop, open-loop arrivals (fixed or Poisson), bursts.

mod common;

use common::*;
use loopsim_engine::Status;
use serde_json::{json, Value};

fn sync_server(d_ms: f64, load: Value) -> Value {
    json!({
        "version": 1,
        "server": {"kind": "gunicorn_sync", "worker_timeout_s": 0, "costs": zero_costs()},
        "handler": {"route": "def", "overhead": zero_overhead(),
                    "steps": [step("blocking_io", d_ms)]},
        "load": load
    })
}

#[test]
fn fixed_arrivals_are_evenly_spaced() {
    // 10/s for 1 s: at 0, 100, ..., 900 ms, each its own client.
    let r = run(sync_server(
        1.0,
        json!({"kind": "open", "rate_per_s": 10.0, "duration_s": 1.0, "arrivals": "fixed"}),
    ));
    let q = by_id(&r);
    let sent: Vec<u64> = q.iter().map(|q| q.sent).collect();
    assert_eq!(
        sent,
        (0..10).map(|i| ms(100.0 * i as f64)).collect::<Vec<_>>()
    );
    let clients: Vec<u32> = q.iter().map(|q| q.client).collect();
    assert_eq!(clients, (0..10).collect::<Vec<_>>());
    assert!(q.iter().all(|q| q.latency() == ms(1.0)));
}

#[test]
fn poisson_arrivals_have_the_right_rate_and_spread() {
    // 1000/s for 20 s: ≈ 20 000 arrivals (± 3 σ = ± 424); gaps exponential: their
    // coefficient of variation is 1.
    let r = run(sync_server(
        0.0,
        json!({"kind": "open", "rate_per_s": 1000.0, "duration_s": 20.0}),
    ));
    let n = r.requests_sent as f64;
    assert!((n - 20_000.0).abs() < 424.0, "{n} arrivals");
    let q = by_id(&r);
    let gaps: Vec<f64> = q
        .windows(2)
        .map(|w| (w[1].sent - w[0].sent) as f64)
        .collect();
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
    assert!(
        (mean / 1e6 - 1.0).abs() < 0.03,
        "mean gap {} ms",
        mean / 1e6
    );
    assert!(
        (var.sqrt() / mean - 1.0).abs() < 0.05,
        "CV {}",
        var.sqrt() / mean
    );
    // Nothing is sent after the end.
    assert!(q.iter().all(|q| q.sent < 20_000 * 1_000_000));
}

#[test]
fn closed_loop_clients_send_the_next_request_when_answered() {
    // ab -n 6 -c 2 against one sync worker, D = 100 ms: #0 (client 0) and #1 (client 1) at 0;
    // #0 done at 100 ms, client 0 sends #2 at once; the worker takes #1 (queued) → 200 ms,
    // then #2 → 300 ms; client 1 sent #3 at 200 ms → 400 ms; and so on. Every request but
    // the first waits one D behind the other client's.
    let r = run(sync_server(
        100.0,
        json!({"kind": "closed", "requests": 6, "concurrency": 2}),
    ));
    assert!(all_ok(&r));
    let q = by_id(&r);
    let sent: Vec<u64> = q.iter().map(|q| q.sent).collect();
    let finished: Vec<u64> = q.iter().map(|q| q.finished).collect();
    let clients: Vec<u32> = q.iter().map(|q| q.client).collect();
    assert_eq!(clients, vec![0, 1, 0, 1, 0, 1]);
    assert_eq!(
        sent,
        [0.0, 0.0, 100.0, 200.0, 300.0, 400.0].map(ms).to_vec()
    );
    assert_eq!(
        finished,
        [100.0, 200.0, 300.0, 400.0, 500.0, 600.0].map(ms).to_vec()
    );
    // Never more than 2 in flight.
    for t in &finished {
        let in_flight = q.iter().filter(|q| q.sent <= *t && q.finished > *t).count();
        assert!(in_flight <= 2);
    }
}

#[test]
fn burst_offsets_are_per_client_in_any_order() {
    // Client i sends at offsets_ms[i]; ids follow the send order.
    let r = run(sync_server(
        1.0,
        json!({"kind": "burst", "offsets_ms": [30.0, 0.0, 10.0]}),
    ));
    let q = by_id(&r);
    let got: Vec<(u32, u64)> = q.iter().map(|q| (q.client, q.sent)).collect();
    assert_eq!(got, vec![(1, 0), (2, ms(10.0)), (0, ms(30.0))]);
}

#[test]
fn burst_interval_spaces_the_clients() {
    let r = run(sync_server(
        1.0,
        json!({"kind": "burst", "clients": 4, "interval_ms": 25.0}),
    ));
    let sent: Vec<u64> = by_id(&r).iter().map(|q| q.sent).collect();
    assert_eq!(sent, [0.0, 25.0, 50.0, 75.0].map(ms).to_vec());
    assert!(r.requests.iter().all(|q| q.status == Status::Ok));
}
