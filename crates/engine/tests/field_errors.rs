//! A value of the wrong type names its field and allowed range, even inside the internally
//! tagged `load` object and durations, where serde alone reports only the object's path.

use loopsim_engine::{presets, Scenario};

fn error_of(edit: impl Fn(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&presets::find("ab-uvicorn").unwrap().scenario().to_json()).unwrap();
    edit(&mut v);
    Scenario::from_json(&v.to_string()).unwrap_err().to_string()
}

#[test]
fn counts_and_numbers_of_the_wrong_type() {
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|v| v["load"]["requests"] = serde_json::json!(1e300)),
            "load.requests: must be a whole number between 1 and 10000000 (got 1e+300)",
        ),
        (
            Box::new(|v| v["load"]["concurrency"] = serde_json::json!(2.5)),
            "load.concurrency: must be a whole number between 1 and 100000 (got 2.5)",
        ),
        (
            Box::new(|v| v["load"]["requests"] = serde_json::json!("<script>")),
            "load.requests: must be a whole number between 1 and 10000000 (got \"<script>\")",
        ),
        (
            Box::new(|v| v["server"]["workers"] = serde_json::json!(-3)),
            "server.workers: must be a whole number between 1 and 64 (got -3)",
        ),
        (
            Box::new(|v| v["server"]["switch_interval_ms"] = serde_json::json!(true)),
            "server.switch_interval_ms: must be a number between 0.01 and 1000 (got true)",
        ),
        (
            Box::new(|v| v["seed"] = serde_json::json!(-1)),
            "seed: must be a whole number between 0 and 18446744073709551615 (got -1)",
        ),
        (
            Box::new(
                |v| v["handler"]["steps"] = serde_json::json!([{"kind": "cpu", "duration": {"dist": "constant", "ms": "ten"}}]),
            ),
            "handler.steps[0].duration.ms: must be a number between 0 and 3600000 (got \"ten\")",
        ),
    ];
    for (edit, want) in cases {
        assert_eq!(error_of(edit), want);
    }
}

#[test]
fn whole_numbers_written_as_decimals_are_accepted() {
    let v = error_of(|v| v["load"]["requests"] = serde_json::json!(0.0));
    assert!(
        v.starts_with("load.requests: must be between 1 and 10000000 (got 0)\n"),
        "{v}"
    );
    let mut s: serde_json::Value =
        serde_json::from_str(&presets::find("ab-uvicorn").unwrap().scenario().to_json()).unwrap();
    s["load"]["requests"] = serde_json::json!(4000.0);
    assert_eq!(
        Scenario::from_json(&s.to_string())
            .unwrap()
            .load
            .request_count(),
        4000
    );
}
