//! `server.costs.gil_handoff_us`: a thread that waited for the GIL pays its wake-up, holding
//! it; and with it, a server cost's system call made while another thread waits for the GIL
//! hands it over (the waiter, woken by the release, takes it during the call).

mod common;

use common::*;
use serde_json::{json, Value};

/// Flask's dev server, two simultaneous requests, each with 1 ms of CPU; every cost 0 but a
/// 100 µs read + parse and a 100 µs respond.
fn flask(gil_handoff_us: f64) -> Value {
    let mut costs = zero_costs();
    costs["parse_us"] = json!(100.0);
    costs["respond_us"] = json!(100.0);
    costs["gil_handoff_us"] = json!(gil_handoff_us);
    flask_two_cpu_requests(costs, 1.0)
}

#[test]
fn a_system_call_hands_the_gil_to_a_waiter_who_pays_its_wake_up() {
    // Without: A parses (0–0.1 ms), computes (→ 1.1) and responds (→ 1.2) holding the GIL;
    // B, waiting since 0, runs when A's thread ends: 1.2 → 2.4 ms.
    let old = run(flask(0.0));
    assert_eq!(latencies(&old), vec![ms(1.2), ms(2.4)]);
    assert_eq!(old.workers[0].gil_waits, 1);
    // With a 10 µs hand-off: A parses and computes (0–1.1 ms); its respond's `send()` hands
    // the GIL to B, who wakes (10 µs) and parses (1.1–1.21) and computes (→ 2.21); B's send
    // hands it back: A wakes and responds (2.21–2.32); its thread ends and B, waiting since
    // 2.21, wakes and responds: 2.32–2.43 ms.
    let new = run(flask(10.0));
    assert!(all_ok(&new));
    assert_eq!(latencies(&new), vec![ms(2.32), ms(2.43)]);
    // B waited once at its parse, A at its respond, B at its respond: three wake-ups, all
    // CPU with the GIL held.
    assert_eq!(new.workers[0].gil_waits, 3);
    assert_eq!(new.workers[0].gil_held, ms(2.4) + 3 * ms(0.01));
    let q = by_id(&new);
    assert_eq!(q[0].split.gil_wait, ms(1.11));
    assert_eq!(q[1].split.gil_wait, ms(1.1) + ms(0.11));
}

#[test]
fn a_lone_thread_keeps_the_gil_through_its_system_calls() {
    // One request: nobody waits, so nothing is handed over and nothing paid.
    let mut v = flask(10.0);
    v["load"] = burst(1);
    let r = run(v);
    assert_eq!(latencies(&r), vec![ms(1.2)]);
    assert_eq!(r.workers[0].gil_waits, 0);
}

#[test]
fn gil_handoff_us_is_validated() {
    let mut v = flask(0.0);
    v["server"]["costs"]["gil_handoff_us"] = json!(-1.0);
    let msg = refusal(&v);
    assert!(msg.contains("server.costs.gil_handoff_us"), "{msg}");
}

#[test]
fn a_forced_switch_waits_until_the_new_holder_has_woken() {
    // Two requests of 20 ms CPU each, a 6 ms wake-up: longer than the 5 ms switch interval.
    // A runs from 0; B's interval ends at 5 ms: A drops the GIL (15 ms left) and B wakes
    // (5–11) and computes 5 ms until 16, when A's interval (begun once B had woken) ends.
    // So each turn is a wake-up and 5 ms of work: A's turns 16–27, 38–49, 60–71 (done);
    // B's 27–38, 49–60, then 71–82 after A's thread ends.
    let mut costs = zero_costs();
    costs["gil_handoff_us"] = json!(6_000.0);
    let r = run(flask_two_cpu_requests(costs, 20.0));
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![ms(71.0), ms(82.0)]);
    assert_eq!(r.workers[0].gil_forced_switches, 6);
    assert_eq!(r.workers[0].gil_waits, 7);
}
