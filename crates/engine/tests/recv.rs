//! A request whose bytes come after its connection: ab on the server's machine connects, then
//! writes the request at its next poll. Every server reads it only once it has arrived.

mod common;

use common::*;
use loopsim_engine::record::Status;
use serde_json::json;

/// ab with 1 ms of CPU per request (0.5 ms to write it, 0.5 ms to read the response), one
/// connection, two requests; a handler of 1 ms of CPU on a server with no costs, two cores.
fn scenario(kind: &str, route: &str) -> serde_json::Value {
    json!({
        "version": 1,
        "server": {"kind": kind, "cores": 2, "costs": zero_costs()},
        "handler": {"route": route, "overhead": zero_overhead(), "steps": [step("cpu", 1.0)]},
        "load": {"kind": "closed", "requests": 2, "concurrency": 1, "client_cpu_us": 1_000.0}
    })
}

#[test]
fn every_server_reads_the_request_once_ab_has_written_it() {
    // ab connects #0 at 0; the server accepts it at once but the request arrives at 0.5 ms;
    // the handler runs 0.5–1.5 ms; ab reads the response by 2.0 ms. ab connects #1 at 2.0…
    // A server that ran the handler at the accept would answer at 1.0 and be read by 1.5.
    for (kind, route) in [
        ("uvicorn", "async_def"),
        ("uvicorn", "def"),
        ("gunicorn_uvicorn", "async_def"),
        ("flask_dev", "def"),
        ("waitress", "def"),
        ("gunicorn_gthread", "def"),
        ("gunicorn_sync", "def"),
    ] {
        let r = run(scenario(kind, route));
        let q = by_id(&r);
        assert_eq!(latencies(&r), vec![ms(2.0); 2], "{kind} {route}");
        assert_eq!(
            (q[0].sent, q[0].accepted, q[1].sent),
            (0, Some(0), ms(2.0)),
            "{kind} {route}"
        );
        // The handler starts as the bytes arrive; ab's write is the client's time.
        for (x, at) in q.iter().zip([0.5, 2.5]) {
            assert_eq!(
                (x.written, x.started, x.split.connecting),
                (Some(ms(at)), Some(ms(at)), ms(0.5)),
                "{kind} {route}: {x:?}"
            );
        }
        assert!(
            (r.summary.cpu_delivered_ms - 4.0).abs() < 1e-9,
            "{kind} {route}"
        );
        // The exports say when it was written.
        let j = loopsim_engine::export::request_json(&r.lanes, &q[1]);
        assert_eq!(j["written_ms"], serde_json::json!(2.5));
        let csv = loopsim_engine::export::csv(&q[..1], &r.lanes);
        let line = csv.lines().nth(1).unwrap();
        assert!(line.ends_with(",0.500000"), "{line}");
    }
}

#[test]
fn ab_writes_after_the_other_events_of_its_batch() {
    // Two connections, one core: at 0 ab connects #0 and #1 and writes them one after the
    // other (0–0.5, 0.5–1.0 ms). The loop reads #0 at 0.5 but its handler waits for the core
    // until ab has written #1 (ab, waking from epoll_wait, runs first): 1.0–2.0 ms.
    let mut v = scenario("uvicorn", "async_def");
    v["server"]["cores"] = json!(1);
    v["load"]["concurrency"] = json!(2);
    let r = run(v);
    let q = by_id(&r);
    assert_eq!((q[0].sent, q[1].sent), (0, 0));
    assert_eq!(q[0].split.connecting, ms(0.5));
    assert_eq!(q[1].split.connecting, ms(1.0));
    // #0: answered at 2.0, read by 2.5; #1 ran 2.5–3.5 (after ab's read), read by 4.0.
    assert_eq!(latencies(&r), vec![ms(2.5), ms(4.0)]);
}

#[test]
fn a_client_that_gives_up_before_writing_closes_and_the_server_reads_eof() {
    // ab, with 4 ms of CPU per request (2 ms to write it), gives up after 1 ms, before it has
    // written the request (0–2 ms): it closes the connection. The server, waiting for the
    // request, reads end-of-file and closes it without running the handler. ab connects #1
    // at 1 ms, writes it after #0's write (2–4 ms), and gives up on it at 2 ms as well. A
    // worker with a connection limit of 1 can take #1 only because #0's connection was closed.
    for (kind, route, limit) in [
        ("gunicorn_sync", "def", Some(1)),
        ("uvicorn", "async_def", None),
        ("flask_dev", "def", None),
        ("waitress", "def", Some(1)),
        ("gunicorn_gthread", "def", None),
    ] {
        let mut v = scenario(kind, route);
        v["load"]["client_cpu_us"] = json!(4_000.0);
        v["load"]["timeout_ms"] = json!(1.0);
        if let Some(l) = limit {
            v["server"]["connection_limit"] = json!(l);
        }
        let mut sim = loopsim_engine::Simulation::new(&common::scenario(v), Default::default())
            .expect("valid");
        assert!(sim.step(100_000), "{kind}: the run ends");
        let r = sim.finish();
        let q = by_id(&r);
        assert!(
            q.iter().all(|x| x.status == Status::ClientTimeout),
            "{kind}"
        );
        assert_eq!((q[0].sent, q[1].sent), (0, ms(1.0)), "{kind}");
        assert_eq!(r.workers[0].accepted, 2, "{kind}");
        // Only ab's two writes ran: no handler.
        assert!(
            (r.summary.cpu_delivered_ms - 4.0).abs() < 1e-9,
            "{kind}: {}",
            r.summary.cpu_delivered_ms
        );
        assert_eq!(r.workers[0].responses, 0, "{kind}");
        assert!(q.iter().all(|x| x.written.is_none()), "{kind}");
    }
}

#[test]
fn other_clients_send_the_request_with_the_connection() {
    // A burst script prepares the request (its send part), then connects and sends it: the
    // server has it at the accept, and nothing counts as connecting.
    let mut v = scenario("uvicorn", "async_def");
    v["load"] = json!({"kind": "burst", "clients": 1, "client_cpu_us": 1_000.0});
    let r = run(v);
    let q = by_id(&r);
    assert_eq!(
        (q[0].sent, q[0].split.connecting, q[0].written),
        (ms(0.5), 0, None)
    );
    assert_eq!(latencies(&r), vec![ms(1.5)]);
}
