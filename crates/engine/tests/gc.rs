//! CPython's garbage collector: collections triggered by the requests' allocations, their
//! pauses on the thread that allocates, with the GIL held.

mod common;

use common::*;
use serde_json::{json, Value};

/// uvicorn, `async def` + `await asyncio.sleep(100 ms)`, no other cost; the collector with
/// 100 objects per request, 1 µs per object examined, a heap of 10 000.
fn scenario(gc: Value, load: Value) -> Value {
    json!({
        "version": 1,
        "server": {"kind": "uvicorn", "cores": 2, "costs": zero_costs(), "gc": gc},
        "handler": {"route": "async_def", "overhead": zero_overhead(), "steps": [step("await_io", 100.0)]},
        "load": load
    })
}

fn gc(count: [u32; 3], pending: u32, garbage: u32) -> Value {
    json!({"objects_per_request": 100, "garbage_per_request": garbage, "heap_objects": 10_000,
           "ns_per_object": 1_000.0, "count": count, "pending": pending})
}

#[test]
fn the_request_that_crosses_the_threshold_pauses_the_loop() {
    // 8 requests at once: the 8th handler start takes the young count to 800 > 700. The
    // collection examines the 800 live objects (0.8 ms) on the loop before its await.
    let r = run(scenario(gc([0, 0, 0], 0, 0), burst(8)));
    let mut want = vec![ms(100.0); 7];
    want.push(ms(100.8));
    assert_eq!(latencies(&r), want);
    let w = &r.workers[0];
    assert_eq!(w.gc_collections, [1, 0, 0]);
    assert_eq!((w.gc_pause_total, w.gc_pause_max), (ms(0.8), ms(0.8)));
    // The timeline shows it on the loop.
    let gc_act = r
        .activities
        .iter()
        .position(|a| a.label.starts_with("garbage collector"))
        .unwrap();
    let on_loop: u64 = lane_segments(&r, 0)
        .iter()
        .filter(|s| s.activity as usize == gc_act)
        .map(|s| s.end - s.start)
        .sum();
    assert_eq!(on_loop, ms(0.8));
    // And the report says so.
    let text = loopsim_engine::report::ab_report(&r);
    assert!(
        text.contains(
            "Garbage collections:    1 young, 0 middle, 0 full; paused 0.800 ms (longest 0.800 ms)"
        ),
        "{text}"
    );
}

#[test]
fn a_full_collection_stops_the_process() {
    // Counters [700, 10, 11] and 2 500 objects pending (a quarter of the 10 000 heap): the
    // first handler start takes the young count to 800 and collects generation 2. It examines
    // the heap, the first request's 100 objects and the 700 young ones counted before the
    // run: 10.8 ms, during which the loop runs nothing else. The other 7 requests start after
    // it (700 more objects: not over the threshold). All end at 110.8 ms.
    let r = run(scenario(gc([700, 10, 11], 2_500, 0), burst(8)));
    assert_eq!(latencies(&r), vec![ms(110.8); 8]);
    assert_eq!(r.workers[0].gc_collections, [0, 0, 1]);
    // One object short of a quarter pending, the full collection waits: the young one runs
    // instead (count[1] = 10 is not over its threshold), 800 examined; with count[1] = 11,
    // generation 1, the same 800.
    let r = run(scenario(gc([700, 10, 11], 2_499, 0), burst(8)));
    assert_eq!(r.workers[0].gc_collections, [1, 0, 0]);
    assert_eq!(r.workers[0].gc_pause_total, ms(0.8));
    let r = run(scenario(gc([700, 11, 11], 2_499, 0), burst(8)));
    assert_eq!(r.workers[0].gc_collections, [0, 1, 0]);
    assert_eq!(r.workers[0].gc_pause_total, ms(0.8));
}

#[test]
fn freed_requests_leave_only_their_garbage_counted() {
    // One connection, one request at a time: each allocates 100 objects and leaves 10 as
    // garbage, so the count grows by 10 per request. Request #61 starts with 610 counted and
    // takes it to 710: a young collection of its 100 live objects and the 610 garbage (0.71
    // ms). The others take 100 ms.
    let r = run(scenario(
        gc([0, 0, 0], 0, 10),
        json!({"kind": "closed", "requests": 70, "concurrency": 1}),
    ));
    let lat = latencies(&r);
    for (i, &l) in lat.iter().enumerate() {
        assert_eq!(l, if i == 61 { ms(100.71) } else { ms(100.0) }, "#{i}");
    }
    assert_eq!(r.workers[0].gc_collections, [1, 0, 0]);
}

/// `gc(...)` with `on_read` of the 100 objects allocated when the loop reads the request.
fn gc_on_read(on_read: u32, garbage: u32) -> Value {
    let mut g = gc([0, 0, 0], 0, garbage);
    g["objects_on_read"] = json!(on_read);
    g
}

#[test]
fn objects_allocated_when_the_loop_reads_count_before_the_handlers() {
    // 8 at once, 60 of each request's 100 objects allocated when the loop reads it: the 8
    // reads (one iteration) count 480; then each handler start adds its other 40: 520, 560,
    // 600, 640, 680, 720. The 6th start crosses 700 and collects the 720 live objects (0.72
    // ms) before its await; the 7th and 8th start after that pause.
    let r = run(scenario(gc_on_read(60, 0), burst(8)));
    let mut want = vec![ms(100.0); 5];
    want.extend([ms(100.72); 3]);
    assert_eq!(latencies(&r), want);
    assert_eq!(r.workers[0].gc_collections, [1, 0, 0]);
    // All 100 on read: the 8th read takes the count to 800 and collects there (0.8 ms), on
    // the loop, before the parse; every handler starts after it.
    let r = run(scenario(gc_on_read(100, 0), burst(8)));
    assert_eq!(latencies(&r), vec![ms(100.8); 8]);
    assert_eq!(r.workers[0].gc_pause_total, ms(0.8));
    let gc_act = r
        .activities
        .iter()
        .position(|a| a.label.starts_with("garbage collector"))
        .unwrap();
    assert!(lane_segments(&r, 0)
        .iter()
        .any(|s| s.activity as usize == gc_act && s.end - s.start == ms(0.8)));
}

#[test]
fn young_collections_may_cost_less_per_object_than_full_ones() {
    // As the first test, with young and middle collections at 250 ns per object: the 8th
    // start collects 800 objects in 0.2 ms. A full collection keeps `ns_per_object` (see
    // a_full_collection_stops_the_process: 10.8 ms).
    let mut g = gc([0, 0, 0], 0, 0);
    g["partial_ns_per_object"] = json!(250.0);
    let r = run(scenario(g.clone(), burst(8)));
    assert_eq!(r.workers[0].gc_pause_total, ms(0.2));
    g["count"] = json!([700, 10, 11]);
    g["pending"] = json!(2_500);
    let r = run(scenario(g, burst(8)));
    assert_eq!(
        (r.workers[0].gc_collections, r.workers[0].gc_pause_total),
        ([0, 0, 1], ms(10.8))
    );
}

#[test]
fn an_event_loop_lets_go_of_a_request_in_its_next_iteration() {
    // Hello worlds (no await) arriving together, 100 objects each, no garbage: each handler
    // runs in its own callback, and the loop frees a request's objects only in its next
    // iteration (its `connection_lost`). So a cohort's objects add up: 7 reach 700, no
    // collection; the 8th start takes the count to 800 > 700: one.
    let hello = |clients: u32, kind: &str| {
        let v = json!({
            "version": 1,
            "server": {"kind": kind, "cores": 2, "costs": zero_costs(),
                       "gc": {"objects_per_request": 100, "garbage_per_request": 0, "heap_objects": 10_000,
                              "ns_per_object": 1_000.0, "count": [0, 0, 0], "pending": 0}},
            "handler": {"route": "async_def", "overhead": constant(0.1), "steps": []},
            "load": burst(clients)
        });
        run(v).workers[0].gc_collections
    };
    assert_eq!(hello(7, "uvicorn"), [0, 0, 0]);
    assert_eq!(hello(8, "uvicorn"), [1, 0, 0]);
    // A closed loop of 50: each cohort counts up to 5 000 before its frees, which then find
    // the count reset and are mostly lost: close to the 143 collections that counting all
    // 100 000 allocations and no free would give.
    let v = json!({
        "version": 1,
        "server": {"kind": "uvicorn", "cores": 2, "costs": zero_costs(), "gc": gc_on_read(0, 0)},
        "handler": {"route": "async_def", "overhead": constant(0.1), "steps": []},
        "load": {"kind": "closed", "requests": 1000, "concurrency": 50}
    });
    let young = run(v).workers[0].gc_collections[0];
    assert!((100..=143).contains(&young), "{young} young collections");
}

#[test]
fn unknown_starting_counters_differ_between_seeds_and_repeat_for_one() {
    let g = json!({"objects_per_request": 100, "heap_objects": 10_000, "ns_per_object": 1_000.0});
    let pauses = |seed: u64| {
        let mut v = scenario(g.clone(), burst(40));
        v["seed"] = json!(seed);
        let r = run(v);
        (r.workers[0].gc_collections, r.workers[0].gc_pause_total)
    };
    assert_eq!(pauses(3), pauses(3));
    let distinct: std::collections::HashSet<_> = (0..20).map(pauses).collect();
    assert!(distinct.len() > 1, "{distinct:?}");
}

#[test]
fn out_of_range_settings_are_refused_with_their_paths() {
    let bad = json!({"objects_per_request": 10, "garbage_per_request": 20, "objects_on_read": 11, "heap_objects": 1,
                     "ns_per_object": 5_000.0, "partial_ns_per_object": -1.0, "thresholds": [700, 0, 10], "count": [1_000_000, 0, 0]});
    let v = scenario(bad, burst(1));
    let err = loopsim_engine::scenario::Scenario::from_json(&v.to_string()).unwrap_err();
    let text = format!("{err:?}");
    for path in [
        "server.gc.garbage_per_request",
        "server.gc.objects_on_read",
        "server.gc.ns_per_object",
        "server.gc.partial_ns_per_object",
        "server.gc.thresholds[1]",
        "server.gc.count[0]",
    ] {
        assert!(text.contains(path), "{path} missing from {text}");
    }
    let v = scenario(
        json!({"objects_per_request": -3, "heap_objects": 1, "ns_per_object": 1.0}),
        burst(1),
    );
    let err = loopsim_engine::scenario::Scenario::from_json(&v.to_string()).unwrap_err();
    assert!(
        format!("{err:?}").contains("objects_per_request"),
        "{err:?}"
    );
}
