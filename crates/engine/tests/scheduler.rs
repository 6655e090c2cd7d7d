//! The cores' scheduler (`cpu.rs`): a core runs one job at a time, and CPU-bound jobs on one
//! core take turns that end at the scheduler tick after the slice (ticks every 4 ms, at
//! `server.tick_phase_us` after the run's start, or where the seed puts them).
//!
//! Setting: gunicorn gthread without the GIL, one core, two pool threads, every server cost 0,
//! a burst of two requests of 10 ms of CPU each: both threads start at t = 0.

mod common;

use common::*;
use serde_json::{json, Value};

fn two_cpu_bound(phase_us: Option<f64>, seed: u64) -> Value {
    let mut server = json!({
        "kind": "gunicorn_gthread",
        "threads": 2,
        "cores": 1,
        "gil": false,
        "costs": zero_costs()
    });
    if let Some(p) = phase_us {
        server["tick_phase_us"] = json!(p);
    }
    json!({
        "version": 1,
        "seed": seed,
        "server": server,
        "handler": {"route": "def", "overhead": zero_overhead(), "steps": [step("cpu", 10.0)]},
        "load": burst(2)
    })
}

#[test]
fn two_cpu_bound_jobs_on_one_core_take_turns_until_a_tick() {
    // Ticks at 0, 4, 8 … ms (slice 0.75 ms on one core): #0 runs 0–4, #1 4–8, #0 8–12,
    // #1 12–16, #0 its last 2 ms 16–18, #1 18–20.
    let r = run(two_cpu_bound(Some(0.0), 1));
    assert_eq!(latencies(&r), vec![ms(18.0), ms(20.0)]);
    // Ticks at 1, 5, 9 … ms: #0's first turn ends at the tick at 1 ms; #1 runs 1–5, #0 5–9,
    // #1 9–13, #0 13–17 (1 ms left), #1 its last 2 ms 17–19, #0 19–20.
    let r = run(two_cpu_bound(Some(1_000.0), 1));
    assert_eq!(latencies(&r), vec![ms(20.0), ms(19.0)]);
}

#[test]
fn without_a_phase_each_seed_draws_where_the_ticks_fall() {
    // The first turn ends at the first tick after 0.75 ms, anywhere in 0.75–4.75 ms, so #0 and
    // #1 end in either order depending on the seed; the same seed gives the same run.
    let outcomes: Vec<Vec<u64>> = (1..=8)
        .map(|seed| latencies(&run(two_cpu_bound(None, seed))))
        .collect();
    for o in &outcomes {
        assert_eq!(*o.iter().max().unwrap(), ms(20.0), "{o:?}");
        assert!(o.iter().min().unwrap() >= &ms(16.0), "{o:?}");
    }
    assert!(
        outcomes.iter().any(|o| o[0] < o[1]) && outcomes.iter().any(|o| o[0] > o[1]),
        "{outcomes:?}"
    );
    assert_eq!(
        latencies(&run(two_cpu_bound(None, 3))),
        latencies(&run(two_cpu_bound(None, 3)))
    );
}

#[test]
fn a_phase_out_of_range_is_refused_with_its_path() {
    for (bad, got) in [(4_000.0, "4000"), (-1.0, "-1"), (1e308, "1e308")] {
        let e = refusal(&two_cpu_bound(Some(bad), 1));
        assert!(
            e.contains(&format!(
                "server.tick_phase_us: must be between 0 and 3999 (got {got})"
            )),
            "{e}"
        );
    }
}

#[test]
fn a_thread_waiting_for_its_turn_is_shown_waiting_for_a_core() {
    // As above with ticks at 0, 4, 8 … ms: #0 runs 0–4, 8–12 and 16–18 and waits 4–8 and
    // 12–16; #1 waits 0–4, 8–12 and 16–18 and runs 4–8, 12–16 and 18–20.
    use loopsim_engine::ThreadState::{CoreWait, Cpu};
    let r = run(two_cpu_bound(Some(0.0), 1));
    let stretches = |id: u32| -> Vec<(_, f64, f64)> {
        request_segments(&r, id)
            .iter()
            .map(|g| (g.state, g.start as f64 / 1e6, g.end as f64 / 1e6))
            .collect()
    };
    assert_eq!(
        stretches(0),
        vec![
            (Cpu, 0.0, 4.0),
            (CoreWait, 4.0, 8.0),
            (Cpu, 8.0, 12.0),
            (CoreWait, 12.0, 16.0),
            (Cpu, 16.0, 18.0)
        ]
    );
    assert_eq!(
        stretches(1),
        vec![
            (CoreWait, 0.0, 4.0),
            (Cpu, 4.0, 8.0),
            (CoreWait, 8.0, 12.0),
            (Cpu, 12.0, 16.0),
            (CoreWait, 16.0, 18.0),
            (Cpu, 18.0, 20.0)
        ]
    );
    let q = by_id(&r);
    assert_eq!((q[0].split.cpu, q[0].split.core_wait), (ms(10.0), ms(8.0)));
    assert_eq!((q[1].split.cpu, q[1].split.core_wait), (ms(10.0), ms(10.0)));
    // The report adds up where the time went: per request 10 ms running and 9 ms waiting.
    let text = loopsim_engine::report::ab_report(&r);
    assert!(
        text.ends_with(
            "Where the time went (mean per completed request, ms; share of the total)\n  \
             CPU:                    10.000   52.6 %\n  \
             waiting for a core:      9.000   47.4 %\n"
        ),
        "{text}"
    );
}
