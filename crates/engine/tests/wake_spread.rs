//! `server.costs.wake_sigma`: no two wake-ups of an idle worker take the same. Each draws a
//! lognormal factor of mean 1 for its `idle_wake_us` (+ `deep_wake_us` part) from its own
//! stream of the seed, so a race between workers for a burst comes out differently per seed.

mod common;

use common::*;
use loopsim_engine::rng::Rng;
use serde_json::{json, Value};

/// uvicorn, one request whose handler awaits 10 ms: the loop is woken twice, for the
/// connection and for the awaited result.
fn lone_await(wake_sigma: f64, seed: u64) -> Value {
    json!({
        "version": 1, "seed": seed,
        "server": {"kind": "uvicorn", "cores": 2,
                   "costs": {"accept_us": 40.0, "setup_us": 0.0, "parse_us": 0.0, "respond_us": 0.0,
                             "idle_wake_us": 150.0, "wake_sigma": wake_sigma}},
        "handler": {"route": "async_def", "overhead": zero_overhead(),
                    "steps": [step("await_io", 10.0)]},
        "load": burst(1)
    })
}

/// The wake-ups of the seed's stream (stream 7), as the engine draws them: 150 µs times
/// e^(σ·z − σ²/2).
fn drawn(seed: u64, sigma: f64, n: usize) -> Vec<u64> {
    let mut rng = Rng::new(seed, 7);
    (0..n)
        .map(|_| (150_000.0 * rng.next_lognormal_mean1(sigma)).round() as u64)
        .collect()
}

#[test]
fn each_wake_up_draws_its_own_length() {
    // Without a spread: accepted at 0.15 + 0.04 ms, answered at 10.19 + 0.15 ms.
    let r = run(lone_await(0.0, 1));
    assert_eq!(by_id(&r)[0].accepted, Some(ms(0.19)));
    assert_eq!(latencies(&r), vec![ms(10.34)]);
    // With one: the first wake-up and the second are the stream's first two draws.
    let w = drawn(1, 0.5, 2);
    assert_ne!(w[0], w[1]);
    let r = run(lone_await(0.5, 1));
    assert_eq!(by_id(&r)[0].accepted, Some(w[0] + ms(0.04)));
    assert_eq!(latencies(&r), vec![w[0] + ms(10.04) + w[1]]);
}

#[test]
fn the_wake_ups_keep_their_mean_and_spread() {
    // Over 400 seeds the first wake-up averages 150 µs and its log has the standard
    // deviation asked for.
    let sigma = 0.3;
    let logs: Vec<f64> = (1..=400)
        .map(|seed| {
            let r = run(lone_await(sigma, seed));
            let wake = by_id(&r)[0].accepted.unwrap() - ms(0.04);
            wake as f64
        })
        .map(f64::ln)
        .collect();
    let n = logs.len() as f64;
    let mean_wake = logs.iter().map(|l| l.exp()).sum::<f64>() / n;
    assert!((mean_wake / 150_000.0 - 1.0).abs() < 0.04, "{mean_wake}");
    let m = logs.iter().sum::<f64>() / n;
    let sd = (logs.iter().map(|l| (l - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    assert!((sd / sigma - 1.0).abs() < 0.1, "{sd}");
}

/// gunicorn with three UvicornWorkers, all idle, and six connections 20 µs apart to an
/// `async def` route that blocks its loop for 100 ms: the first worker awake takes what has
/// come, the next what comes after.
fn race(wake_sigma: f64, seed: u64) -> Value {
    let mut costs = zero_costs();
    costs["accept_us"] = json!(10.0);
    costs["idle_wake_us"] = json!(60.0);
    costs["wake_us"] = json!(20.0);
    costs["wake_sigma"] = json!(wake_sigma);
    json!({
        "version": 1, "seed": seed,
        "server": {"kind": "gunicorn_uvicorn", "workers": 3, "cores": 2, "costs": costs},
        "handler": {"route": "async_def", "overhead": zero_overhead(),
                    "steps": [step("blocking_io", 100.0)]},
        "load": {"kind": "burst", "clients": 6, "offsets_ms": [0.0, 0.02, 0.04, 0.06, 0.08, 0.1]}
    })
}

fn split(r: &loopsim_engine::RunResult) -> Vec<u64> {
    let mut v: Vec<u64> = r.workers.iter().map(|w| w.accepted).collect();
    v.sort_unstable_by(|a, b| b.cmp(a));
    v
}

#[test]
fn a_race_for_a_burst_is_drawn_per_seed() {
    // Every wake-up the same: the first worker drawn wakes at 60 µs, the second 20 µs later
    // on the other core, and they share the connections by who is accepting when each comes
    // (the first 0, 20, 40 and 80 µs, the second 60 and 100 µs): which workers these are
    // varies with the seed, the split does not.
    for seed in 1..=8 {
        assert_eq!(split(&run(race(0.0, seed))), vec![4, 2, 0], "seed {seed}");
    }
    // Each wake-up drawn: the seeds' splits differ, and each is the same again for its seed.
    let splits: Vec<Vec<u64>> = (1..=8).map(|seed| split(&run(race(0.5, seed)))).collect();
    assert!(splits.iter().any(|s| *s != splits[0]), "{splits:?}");
    for (seed, s) in (1..=8).zip(&splits) {
        assert_eq!(split(&run(race(0.5, seed))), *s);
        assert_eq!(s.iter().sum::<u64>(), 6);
    }
}

#[test]
fn wake_sigma_is_checked() {
    let e = refusal(&lone_await(2.5, 1));
    assert!(
        e.contains("server.costs.wake_sigma: must be between 0 and 2 (got 2.5)"),
        "{e}"
    );
}
