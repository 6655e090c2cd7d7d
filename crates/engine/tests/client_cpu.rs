//! ab on the server's machine: its CPU per request takes a core (not the GIL), a part to write
//! each request (half unless `load.client_send_us` says) and the rest to read each response,
//! ahead of the server's threads. ab connects at once and writes the request in a later job;
//! its clock starts at the connect.

mod common;

use common::*;
use serde_json::json;

fn scenario(client_cpu_us: f64, cores: u32, concurrency: u32) -> serde_json::Value {
    json!({
        "version": 1,
        "server": {"kind": "uvicorn", "cores": cores, "costs": zero_costs()},
        "handler": {"route": "async_def", "overhead": zero_overhead(), "steps": [step("cpu", 1.0)]},
        "load": {"kind": "closed", "requests": 10, "concurrency": concurrency, "client_cpu_us": client_cpu_us}
    })
}

#[test]
fn ab_connects_then_spends_half_writing_and_half_reading() {
    // One connection, 1 ms of ab CPU per request (0.5 ms to write it, 0.5 ms to read the
    // response) and 1 ms of handler CPU: ab connects #0 at 0 and writes it by 0.5 ms; the
    // loop, which accepted the connection at once, reads it then; it is answered at 1.5 ms and
    // read by 2.0 ms (its latency, as ab measures it from the connect: 2.0 ms); ab connects #1
    // at 2.0 ms…
    let r = run(scenario(1_000.0, 2, 1));
    assert!(
        latencies(&r).iter().all(|&l| l == ms(2.0)),
        "{:?}",
        latencies(&r)
    );
    assert_eq!(by_id(&r)[1].sent, ms(2.0));
    assert_eq!(by_id(&r)[0].accepted, Some(0));
    assert_eq!(r.summary.makespan_ms, 20.0);
    // Waiting for ab to write the request is the client's time, not the server's.
    let q = &by_id(&r)[0];
    assert_eq!((q.split.connecting, q.split.queued), (ms(0.5), 0));
    // ab has its own lane on the timeline, 10 ms of CPU.
    let lane = lane_named(&r, "ab (the client)");
    assert_eq!(r.lane_totals[lane].cpu, ms(10.0));
    assert!((r.summary.cpu_demand_ms - 20.0).abs() < 1e-9);
}

#[test]
fn ab_runs_first_on_a_shared_core() {
    // Two connections on one core, 1 ms of ab CPU and 1 ms of handler CPU per request. ab
    // (asleep in epoll_wait between bursts) gets the core whenever it has work; the server
    // runs in between. At 0 ab connects #0 and #1; 0–0.5 ms it writes #0, 0.5–1.0 #1 (the
    // server waits); 1.0–2.0 the server answers #0; 2.0–2.5 ab reads it (latency 2.5 ms),
    // connects #2 and writes it by 3.0; 3.0–4.0 the server answers #1; ab reads it by 4.5
    // (4.5 ms), connects #3 at 4.5… Every later request but the last: 4.0 ms, one every 2 ms.
    let alone = run(scenario(0.0, 1, 2));
    assert_eq!(alone.summary.makespan_ms, 10.0);
    let shared = run(scenario(1_000.0, 1, 2));
    let sends: Vec<u64> = by_id(&shared).iter().map(|q| q.sent).collect();
    let mut want = vec![0, 0];
    want.extend((2..10).map(|k| ms(2.0 * k as f64 - 1.5)));
    assert_eq!(sends, want);
    // The last one (#9, connected at 16.5 ms, written by 17.0) runs once ab has read #8
    // (18.0–18.5), as ab connects no next request: answered at 19.5, read by 20.0 ms (3.5 ms).
    let mut lat = vec![ms(2.5), ms(4.5)];
    lat.extend([ms(4.0); 7]);
    lat.push(ms(3.5));
    assert_eq!(latencies(&shared), lat);
    assert_eq!(shared.summary.makespan_ms, 20.0);
}

#[test]
fn a_burst_client_on_the_same_machine_sends_one_request_at_a_time() {
    // A script sending two requests "at once" from one process: 1 ms of its CPU per request
    // (half before the send, half reading the response), 1 ms of handler CPU, one core. It
    // sends A at 0.5 ms and B at 1.0 (the server waits meanwhile); A runs 1.0–2.0 and is read
    // by 2.5 (2.0 ms); B runs 2.5–3.5 and is read by 4.0 (3.0 ms).
    let mut v = scenario(1_000.0, 1, 1);
    v["load"] = json!({"kind": "burst", "clients": 2, "client_cpu_us": 1_000.0});
    let r = run(v);
    let q = by_id(&r);
    assert_eq!((q[0].sent, q[1].sent), (ms(0.5), ms(1.0)));
    assert_eq!(latencies(&r), vec![ms(2.0), ms(3.0)]);
    // Two cores: the server runs A while the client prepares B. A 0.5–1.5, read by 2.0
    // (1.5 ms); B 1.5–2.5, read by 3.0 (2.0 ms).
    let mut v = scenario(1_000.0, 2, 1);
    v["load"] = json!({"kind": "burst", "clients": 2, "client_cpu_us": 1_000.0});
    assert_eq!(latencies(&run(v)), vec![ms(1.5), ms(2.0)]);
}

#[test]
fn out_of_range_client_cpu_is_refused() {
    let e = refusal(&scenario(-1.0, 1, 1));
    assert!(
        e.contains("load.client_cpu_us: must be between 0 and 1000000 (got -1)"),
        "{e}"
    );
}

#[test]
fn a_client_that_runs_a_whole_slice_without_sleeping_takes_turns() {
    // One core (the scheduler's slice is 0.75 ms, its ticks at 0, 4, 8 … ms), a burst of 10
    // whose client spends 0.5 ms preparing each send, and 10 ms of CPU on the loop per
    // request. The client runs first while it has slept within the last slice: #0 goes out
    // at 0.5 ms, #1 at 1.0 ms (the loop, with #0, waits). Then it keeps the core as any task
    // does until the tick after its slice (4 ms): #2 … #7 at 1.5 … 4.0 ms. The loop gets its
    // turn, 4–8 ms; the client sends #8 and #9 at 8.5 and 9.0 ms and sleeps; the loop ends
    // #0 at 15.0. Each response wakes the client from its sleep, so it reads first (0.5 ms,
    // the loop waits): #0 is read by 15.5, and each further one 10.5 ms later.
    let v = json!({
        "version": 1,
        "server": {"kind": "uvicorn", "cores": 1, "costs": zero_costs(), "tick_phase_us": 0},
        "handler": {"route": "async_def", "overhead": zero_overhead(), "steps": [step("cpu", 10.0)]},
        "load": {"kind": "burst", "clients": 10, "client_cpu_us": 1_000.0}
    });
    let r = run(v);
    let sends: Vec<u64> = by_id(&r).iter().map(|q| q.sent).collect();
    let mut want: Vec<u64> = (1..=8).map(|i| ms(0.5 * i as f64)).collect();
    want.extend([ms(8.5), ms(9.0)]);
    assert_eq!(sends, want);
    let read: Vec<u64> = (0..10).map(|i| ms(15.5 + 10.5 * i as f64)).collect();
    let want: Vec<u64> = read.iter().zip(&sends).map(|(r, s)| r - s).collect();
    assert_eq!(latencies(&r), want);
    // Its lane is the client script's, not ab's: 10 ms running (10 sends and 10 reads of
    // 0.5 ms), and 4 ms waiting for a core (#8's send, 4–8 ms, while the loop has its turn).
    let lane = lane_named(&r, "the client (a script)");
    assert_eq!(r.lane_totals[lane].cpu, ms(10.0));
    assert_eq!(r.lane_totals[lane].core_wait, ms(4.0));
    assert!(r.lanes.iter().all(|l| !l.name.starts_with("ab")));
    // The loop runs its 100 ms of steps and waits 9 ms for the core: 0.5–4 ms (#0 ready, the
    // client's turn), 8–9 ms (the client's two sends) and 0.5 ms for each of the nine reads
    // that come while a request is left to run.
    let lp = lane_named(&r, "w0 event loop");
    assert_eq!(r.lane_totals[lp].cpu, ms(100.0));
    assert_eq!(r.lane_totals[lp].core_wait, ms(9.0));
    // #0's step waited for the core 0.5–4 ms and 8–9 ms and ran 4–8 and 9–15 ms; the
    // client read it 15–15.5 ms.
    let q = by_id(&r);
    assert_eq!(q[0].split.core_wait, ms(4.5));
    assert_eq!(q[0].split.cpu, ms(10.5));
}

#[test]
fn the_part_before_the_send_can_be_given() {
    // 1 ms of ab CPU per request of which 0.2 ms to write it (the rest reads the response),
    // 1 ms of handler CPU, one connection on two cores: #0 is connected at 0 and written by
    // 0.2 ms, answered at 1.2 and read by 2.0 (2.0 ms); #1 is connected at 2.0 … #9 at 18.0,
    // read by 20.0.
    let mut v = scenario(1_000.0, 2, 1);
    v["load"]["client_send_us"] = json!(200.0);
    let r = run(v);
    assert_eq!(latencies(&r), vec![ms(2.0); 10]);
    assert_eq!(by_id(&r)[1].sent, ms(2.0));
    assert_eq!(by_id(&r)[1].split.connecting, ms(0.2));
    assert_eq!(r.summary.makespan_ms, 20.0);
    // A burst of 3 from one process on one core: sends at 0.2, 0.4 and 0.6 ms; A runs
    // 0.6–1.6 and is read by 2.4 (2.2 ms); B runs 2.4–3.4, read by 4.2 (3.8 ms); C runs
    // 4.2–5.2, read by 6.0 (5.4 ms).
    let mut v = scenario(1_000.0, 1, 1);
    v["load"] =
        json!({"kind": "burst", "clients": 3, "client_cpu_us": 1_000.0, "client_send_us": 200.0});
    let r = run(v);
    let sends: Vec<u64> = by_id(&r).iter().map(|q| q.sent).collect();
    assert_eq!(sends, vec![ms(0.2), ms(0.4), ms(0.6)]);
    assert_eq!(latencies(&r), vec![ms(2.2), ms(3.8), ms(5.4)]);
}

#[test]
fn the_part_before_the_send_is_checked_against_the_whole() {
    let mut v = scenario(100.0, 1, 1);
    v["load"]["client_send_us"] = json!(150.0);
    let e = refusal(&v);
    assert!(
        e.contains(
            "load.client_send_us: must be between 0 and 100 (at most load.client_cpu_us) (got 150)"
        ),
        "{e}"
    );
    let mut v = scenario(100.0, 1, 1);
    v["load"].as_object_mut().unwrap().remove("client_cpu_us");
    v["load"]["client_send_us"] = json!(50.0);
    let e = refusal(&v);
    assert!(
        e.contains("load.client_send_us: needs load.client_cpu_us"),
        "{e}"
    );
}

#[test]
fn a_client_that_gives_up_before_reading_its_response_closes_the_connection() {
    // gunicorn sync with a connection limit of 1, a 100 µs accept and 1 ms of handler CPU; ab
    // with 1 ms of CPU per request (half to write, half to read) and a 1.8 ms timeout. ab
    // connects #0 and #1 at 0 and writes them by 0.5 and 1.0 ms. The worker takes #0 at
    // 0.1 ms, blocks in recv() until 0.5 ms and answers it at 1.5 ms; ab reads it from 1.5 to
    // 2.0 ms, but gave up at 1.8 ms, as on #1. Its socket closes as it gets to the response
    // (2.0 ms): only then is the worker under its limit again, so it waits meanwhile (no
    // accept() can succeed) and takes #1 at 2.1 ms.
    let v = json!({
        "version": 1,
        "server": {"kind": "gunicorn_sync", "cores": 2, "connection_limit": 1,
                   "costs": {"accept_us": 100.0, "parse_us": 0.0, "respond_us": 0.0,
                             "wake_us": 0.0, "idle_wake_us": 0.0}},
        "handler": {"route": "def", "overhead": zero_overhead(), "steps": [step("cpu", 1.0)]},
        "load": {"kind": "closed", "requests": 2, "concurrency": 2, "client_cpu_us": 1000.0,
                 "timeout_ms": 1.8}
    });
    let mut sim =
        loopsim_engine::Simulation::new(&common::scenario(v), Default::default()).unwrap();
    assert!(sim.step(100_000), "the run ends");
    let r = sim.finish();
    let recs = by_id(&r);
    assert!(recs
        .iter()
        .all(|q| q.status == loopsim_engine::record::Status::ClientTimeout));
    assert_eq!(latencies(&r), vec![ms(1.8); 2]);
    // #1 timed out in the backlog; the worker took it all the same.
    assert_eq!(recs[1].accepted, None);
    assert_eq!(r.workers[0].accepted, 2);
    // ab: 0.5 ms per write, 0.5 ms to read #0's response; the worker: two accepts and two
    // handlers, no accept() while it was at its limit.
    assert!((r.summary.cpu_delivered_ms - (1.5 + 2.2)).abs() < 1e-9);
}
