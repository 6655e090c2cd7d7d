//! The `loopsim` binary, run as a user would: listing presets, running them with the three
//! output formats, validating files, and failing with the right exit codes.

use std::path::PathBuf;
use std::process::{Command, Output};

use loopsim_engine::presets;
use serde_json::Value;

fn loopsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loopsim"))
        .args(args)
        .output()
        .expect("the loopsim binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 output")
}

fn ok(args: &[&str]) -> String {
    let o = loopsim(args);
    assert!(
        o.status.success(),
        "loopsim {args:?} failed ({:?}): {}",
        o.status,
        stderr(&o)
    );
    stdout(&o)
}

/// A scenario file in cargo's scratch directory for integration tests.
fn scenario_file(name: &str, text: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}.json"));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn presets_lists_all_thirteen() {
    let out = ok(&["presets"]);
    let names: Vec<&str> = out
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(names, presets::names().collect::<Vec<_>>());
    assert_eq!(names.len(), 13);
    for name in [
        "fastapi-async-time-sleep",
        "fastapi-async-asyncio-sleep",
        "fastapi-def-time-sleep",
        "flask-threaded-time-sleep",
        "fastapi-background-task",
        "fastapi-def-cpu-bound",
        "fastapi-async-cpu-bound",
        "ab-flask-dev",
        "ab-uvicorn",
        "ab-uvicorn-noisy-host",
        "ab-uvicorn-4-workers",
        "ab-gunicorn-4-uvicorn-workers",
        "ab-waitress",
    ] {
        assert!(names.contains(&name), "{name} missing from:\n{out}");
    }
    // Each line has the one-line summary.
    for p in presets::PRESETS {
        assert!(out.contains(p.summary), "{}", p.name);
    }
}

#[test]
fn run_prints_an_ab_style_report() {
    let out = ok(&["run", "--preset", "fastapi-async-time-sleep"]);
    assert!(out.contains("Complete requests:      2\n"), "{out}");
    assert!(out.contains("Failed requests:        0\n"), "{out}");
    assert!(
        out.contains("Scenario:               fastapi-async-time-sleep"),
        "{out}"
    );
    // Latencies 10 000.570 and 20 000.880 ms: the run takes 20.001 s.
    assert!(
        out.contains("Time taken for tests:   20.001 seconds"),
        "{out}"
    );
    assert!(out.contains("Connection Times (ms)"), "{out}");
    assert!(out.contains("Percentage of the requests served within a certain time (ms)"));
    // ab's percentile table: sorted[n·p/100] of two requests is the second one at 50 % and up.
    for p in [50, 66, 75, 80, 90, 95, 98, 99] {
        assert!(out.contains(&format!("  {p}%  20001\n")), "{p}%:\n{out}");
    }
    assert!(out.contains(" 100%  20001 (longest request)"), "{out}");
    // Total row: min 10001, max 20001 (rounded ms).
    let total = out.lines().find(|l| l.starts_with("Total:")).unwrap();
    let cols: Vec<&str> = total.split_whitespace().collect();
    assert_eq!(cols[1], "10001");
    assert_eq!(cols[cols.len() - 1], "20001");
}

#[test]
fn run_json_has_the_summary_and_every_request() {
    let out = ok(&[
        "run",
        "--preset",
        "fastapi-def-time-sleep",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).expect("valid JSON");
    let s = &v["summary"];
    assert_eq!(s["completed"], 2);
    assert_eq!(s["failed"], 0);
    assert_eq!(v["requests_sent"], 2);
    assert_eq!(v["scenario"]["name"], "fastapi-def-time-sleep");
    let reqs = v["requests"].as_array().unwrap();
    assert_eq!(reqs.len(), 2);
    let mut lat: Vec<f64> = Vec::new();
    for (i, r) in reqs.iter().enumerate() {
        for key in [
            "id",
            "sent_ms",
            "latency_ms",
            "status",
            "worker",
            "thread",
            "connected_ms",
            "accepted_ms",
            "started_ms",
            "finished_ms",
            "queued_ms",
            "blocked_ms",
        ] {
            assert!(r.get(key).is_some(), "request {i} has no {key}: {r}");
        }
        assert_eq!(r["status"], "ok");
        assert_eq!(r["worker"], 0);
        assert_eq!(r["sent_ms"], 0.0);
        assert!(r["thread"].as_str().unwrap().starts_with("w0 thread "));
        lat.push(r["latency_ms"].as_f64().unwrap());
    }
    lat.sort_by(f64::total_cmp);
    // def + time.sleep(10) in the threadpool: 10 001.300 and 10 001.390 ms (see the engine's
    // seed_presets test for the arithmetic).
    assert!((lat[0] - 10_001.30).abs() < 1e-6, "{lat:?}");
    assert!((lat[1] - 10_001.39).abs() < 1e-6, "{lat:?}");
    assert!((s["max_ms"].as_f64().unwrap() - 10_001.39).abs() < 1e-6);
}

#[test]
fn run_csv_has_a_header_and_a_row_per_request() {
    let out = ok(&[
        "run",
        "--preset",
        "fastapi-async-time-sleep",
        "--format",
        "csv",
    ]);
    let mut lines = out.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[0], "id");
    for col in [
        "sent_ms",
        "latency_ms",
        "status",
        "worker",
        "thread",
        "queued_ms",
    ] {
        assert!(header.contains(&col), "{col} missing from {header:?}");
    }
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2);
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    for row in &rows {
        assert_eq!(row.len(), header.len());
        assert_eq!(row[col("status")], "ok");
        assert_eq!(row[col("thread")], "w0 event loop");
    }
    let lat: Vec<&str> = rows.iter().map(|r| r[col("latency_ms")]).collect();
    assert_eq!(lat, vec!["10000.570000", "20000.880000"]);
}

#[test]
fn run_reads_a_scenario_file_and_the_seed_option() {
    let text = r#"{
        "version": 1,
        "server": {"kind": "uvicorn", "costs": {"accept_us": 0, "parse_us": 0, "respond_us": 0}},
        "handler": {"route": "def", "overhead": {"dist": "constant", "ms": 0},
                    "steps": [{"kind": "blocking_io",
                               "duration": {"dist": "exponential", "mean_ms": 10}}]},
        "load": {"kind": "burst", "clients": 5}
    }"#;
    let path = scenario_file("seeded", text);
    let p = path.to_str().unwrap();
    assert_eq!(ok(&["validate", p]), format!("{p}: valid\n"));
    let a = ok(&["run", p, "--format", "csv", "--seed", "7"]);
    let b = ok(&["run", p, "--format", "csv", "--seed", "7"]);
    let c = ok(&["run", p, "--format", "csv", "--seed", "8"]);
    assert_eq!(a, b, "same seed, same run");
    assert_ne!(a, c, "another seed, other durations");
    assert_eq!(a.lines().count(), 6);
}

#[test]
fn scenario_prints_a_preset_that_reads_back() {
    for p in presets::PRESETS {
        let out = ok(&["scenario", p.name]);
        let s = loopsim_engine::Scenario::from_json(&out).unwrap();
        assert_eq!(s, p.scenario());
    }
}

#[test]
fn a_bad_scenario_file_exits_1_naming_the_path() {
    let path = scenario_file(
        "bad",
        r#"{"version": 1, "server": {"kind": "uvicorn", "workers": 0},
            "handler": {"route": "def", "steps": []}, "load": {"kind": "burst", "clients": 1}}"#,
    );
    let p = path.to_str().unwrap();
    for args in [vec!["run", p], vec!["validate", p]] {
        let o = loopsim(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = stderr(&o);
        assert!(
            err.contains(&format!(
                "{p}: server.workers: must be between 1 and 64 (got 0)"
            )),
            "{err}"
        );
        assert!(stdout(&o).is_empty());
    }
    // Not JSON at all.
    let path = scenario_file("garbage", "this is not json");
    let o = loopsim(&["run", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not valid JSON"));
    // A file that does not exist.
    let o = loopsim(&["run", "/nonexistent/loopsim-scenario.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/nonexistent/loopsim-scenario.json"));
    // An unknown preset names the presets.
    let o = loopsim(&["run", "--preset", "nope"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("ab-waitress"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["run", "--preset", "ab-uvicorn", "--bogus"],
        vec!["run", "--format", "xml", "--preset", "ab-uvicorn"],
        vec!["run", "--seed", "minus-one", "--preset", "ab-uvicorn"],
        vec!["run"],
        vec!["frobnicate"],
        vec!["run", "--preset"],
    ] {
        let o = loopsim(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(err.contains("USAGE:"), "{args:?}: {err}");
    }
    let err = stderr(&loopsim(&["run", "--preset", "ab-uvicorn", "--bogus"]));
    assert!(err.contains("unknown option `--bogus`"), "{err}");
}

#[test]
fn help_exits_0() {
    for args in [vec![], vec!["--help"], vec!["-h"], vec!["help"]] {
        let out = ok(&args);
        assert!(out.contains("USAGE:"));
        assert!(out.contains("loopsim presets"));
    }
}
