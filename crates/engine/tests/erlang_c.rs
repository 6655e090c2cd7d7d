//! Queueing theory as a check of the whole pipeline: a thread-pool server with every server
//! cost at 0 and a single blocking call of exponential duration is an M/M/c queue when the
//! arrivals are Poisson (blocking calls release the GIL and there is no other CPU, so the GIL
//! plays no part). Two checks:
//!
//! 1. Sample path: on the same arrival times and service times, a first-come-first-served
//!    queue with c servers gives each request's wait exactly (each starts at the later of its
//!    arrival and the earliest moment a server is free). The engine must agree to the
//!    nanosecond.
//! 2. Erlang C: the mean wait over many requests matches the formula within 2 %:
//!
//!    a = λ/μ (offered load), ρ = a/c,
//!    C(c, a) = (aᶜ/c! · 1/(1−ρ)) / (Σ_{k<c} aᵏ/k! + aᶜ/c! · 1/(1−ρ))   (= P(wait > 0)),
//!    W_q = C(c, a) / (c·μ − λ).

mod common;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use common::*;
use loopsim_engine::{RunOptions, Simulation, Status};
use serde_json::{json, Value};

const SERVICE_MS: f64 = 10.0;

fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..c {
        sum += term;
        term *= a / (k + 1) as f64;
    }
    // term = a^c / c!
    let rho = a / c as f64;
    let top = term / (1.0 - rho);
    top / (sum + top)
}

fn mmc(kind: &str, c: u32, rho: f64, requests: f64, seed: u64) -> Value {
    let rate = rho * c as f64 * 1000.0 / SERVICE_MS;
    json!({
        "version": 1,
        "seed": seed,
        // Room for every connection: the only queue is the one for a thread.
        "server": {"kind": kind, "threads": c, "costs": zero_costs(),
                   "connection_limit": 100000, "backlog": 65535},
        "handler": {"route": "def", "overhead": zero_overhead(), "steps": [
            {"kind": "blocking_io", "duration": {"dist": "exponential", "mean_ms": SERVICE_MS}}
        ]},
        "load": {"kind": "open", "rate_per_s": rate, "duration_s": requests / rate,
                 "arrivals": "poisson"}
    })
}

#[test]
fn erlang_c_formula_matches_known_values() {
    // c = 1: C = ρ (M/M/1). c = 4, a = 3: Σ_{k<4} 3ᵏ/k! = 13, 3⁴/4! / (1 − 0.75) = 13.5.
    assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12);
    assert!((erlang_c(4, 3.0) - 13.5 / 26.5).abs() < 1e-12);
}

/// The FCFS c-server waits for the given (arrival, service) sequence, in arrival order.
fn fcfs_waits(c: u32, jobs: &[(u64, u64)]) -> Vec<u64> {
    let mut free: BinaryHeap<Reverse<u64>> = (0..c).map(|_| Reverse(0)).collect();
    jobs.iter()
        .map(|&(arrival, service)| {
            let Reverse(f) = free.pop().unwrap();
            let start = arrival.max(f);
            free.push(Reverse(start + service));
            start - arrival
        })
        .collect()
}

fn sample_path(kind: &str, c: u32, rho: f64) {
    let r = run(mmc(kind, c, rho, 50_000.0, 3));
    assert!(all_ok(&r));
    let q = by_id(&r);
    // Open-loop ids are in arrival order (arrivals are at least 1 ns apart).
    let jobs: Vec<(u64, u64)> = q.iter().map(|q| (q.sent, q.split.blocked)).collect();
    let waits = fcfs_waits(c, &jobs);
    let mut waited = 0;
    for (q, w) in q.iter().zip(&waits) {
        assert_eq!(q.split.queued, *w, "request {}", q.id);
        // Nothing else: latency = wait + service.
        assert_eq!(q.latency(), w + q.split.blocked, "request {}", q.id);
        waited += (*w > 0) as usize;
    }
    // The check is not vacuous: a good share of requests waited.
    assert!(waited > q.len() / 5, "{waited} of {} waited", q.len());
}

#[test]
fn gthread_pool_serves_first_come_first_served() {
    sample_path("gunicorn_gthread", 4, 0.75);
}

#[test]
fn waitress_pool_serves_first_come_first_served() {
    sample_path("waitress", 8, 0.8);
}

/// Streams the records of a long run: mean wait (ms), fraction of requests that waited, the
/// realised mean service time (ms) and arrival rate (per s), and the count.
struct Measured {
    mean_wait_ms: f64,
    p_wait: f64,
    service_ms: f64,
    rate_per_s: f64,
    n: u64,
}

fn measure(v: Value) -> Measured {
    let s = scenario(v);
    let opts = RunOptions {
        keep_requests: None,
        segment_window: None,
        max_segments: 0,
        keep_logs: false,
    };
    let mut sim = Simulation::new(&s, opts).unwrap();
    let (mut n, mut waited, mut last_sent) = (0u64, 0u64, 0u64);
    let (mut total_wait, mut total_service) = (0u128, 0u128);
    loop {
        let done = sim.step(1 << 18);
        for q in sim.take_records() {
            assert_eq!(q.status, Status::Ok);
            n += 1;
            waited += (q.split.queued > 0) as u64;
            total_wait += q.split.queued as u128;
            total_service += q.split.blocked as u128;
            last_sent = last_sent.max(q.sent);
        }
        if done {
            break;
        }
    }
    Measured {
        mean_wait_ms: total_wait as f64 / n as f64 / 1e6,
        p_wait: waited as f64 / n as f64,
        service_ms: total_service as f64 / n as f64 / 1e6,
        rate_per_s: n as f64 / (last_sent as f64 / 1e9),
        n,
    }
}

fn erlang_check(kind: &str, c: u32, rho: f64, requests: f64, seed: u64) {
    let m = measure(mmc(kind, c, rho, requests, seed));
    assert!(m.n as f64 > requests * 0.99);
    // The offered load as realised by this run's random arrivals and durations (both within
    // a fraction of a percent of the nominal λ and 1/μ): the check is then about the queue,
    // not about the sampling noise of the load.
    let a = m.rate_per_s * m.service_ms / 1000.0;
    assert!(
        (a / (rho * c as f64) - 1.0).abs() < 0.01,
        "offered load {a}"
    );
    let cc = erlang_c(c, a);
    let wq = cc * m.service_ms / (c as f64 - a);
    let rel = (m.mean_wait_ms - wq).abs() / wq;
    assert!(
        rel < 0.02,
        "{kind} c={c} ρ={rho}: mean wait {:.4} ms vs Erlang C {wq:.4} ms ({:.2} % off)",
        m.mean_wait_ms,
        rel * 100.0
    );
    assert!(
        (m.p_wait - cc).abs() < 0.005,
        "{kind} c={c} ρ={rho}: P(wait) {:.4} vs C(c, a) {cc:.4}",
        m.p_wait
    );
}

#[test]
fn gthread_mean_wait_matches_erlang_c() {
    // c = 4, ρ = 0.7 (a = 2.8): C ≈ 0.429, W_q ≈ 3.57 ms for 10 ms calls. 8 million
    // requests: the estimate's standard error is about 0.5 %.
    erlang_check("gunicorn_gthread", 4, 0.7, 8_000_000.0, 11);
}

#[test]
fn waitress_mean_wait_matches_erlang_c() {
    // c = 8, ρ = 0.75 (a = 6): C ≈ 0.357, W_q ≈ 1.78 ms.
    erlang_check("waitress", 8, 0.75, 8_000_000.0, 5);
}
