//! The scenario parser and validator: no input makes it panic, every error names the JSON path
//! of the offending field and what is allowed, and every preset survives a round trip.

use loopsim_engine::presets::{self, PRESETS};
use loopsim_engine::scenario::{limits, MAX_SCENARIO_BYTES};
use loopsim_engine::{Scenario, ScenarioErrors};
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{json, Value};

fn preset_values() -> &'static [Value] {
    static V: OnceLock<Vec<Value>> = OnceLock::new();
    V.get_or_init(|| {
        PRESETS
            .iter()
            .map(|p| serde_json::from_str(&p.scenario().to_json()).unwrap())
            .collect()
    })
}

fn preset_texts() -> &'static [String] {
    static T: OnceLock<Vec<String>> = OnceLock::new();
    T.get_or_init(|| PRESETS.iter().map(|p| p.scenario().to_json()).collect())
}

/// Any character: mostly ASCII (where JSON's syntax lives), sometimes anything.
fn some_char(x: u32) -> char {
    if x & 3 == 0 {
        char::from_u32(x >> 2).unwrap_or('\u{fffd}')
    } else {
        char::from((x % 95) as u8 + 32)
    }
}

/// Pieces of scenario JSON, to build text that gets past the tokenizer more often.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    " ",
    "\"version\"",
    "1",
    "2",
    "0",
    "-1",
    "1e999",
    "0.5",
    "null",
    "true",
    "false",
    "\"server\"",
    "\"handler\"",
    "\"load\"",
    "\"kind\"",
    "\"uvicorn\"",
    "\"waitress\"",
    "\"flask_dev\"",
    "\"route\"",
    "\"def\"",
    "\"async_def\"",
    "\"steps\"",
    "\"duration\"",
    "\"dist\"",
    "\"constant\"",
    "\"ms\"",
    "\"burst\"",
    "\"clients\"",
    "\"closed\"",
    "\"requests\"",
    "\"concurrency\"",
    "\"open\"",
    "\"rate_per_s\"",
    "\"duration_s\"",
    "\"workers\"",
    "\"cpu\"",
    "\"await_io\"",
    "\"offsets_ms\"",
    "\\u0000",
    "\\ud800",
    "18446744073709551616",
];

/// What an accepted scenario must satisfy whatever text it came from.
fn accepted_is_sound(s: &Scenario) -> Result<(), TestCaseError> {
    prop_assert!(s.validate().is_ok());
    let again = Scenario::from_json(&s.to_json());
    prop_assert_eq!(again.as_ref(), Ok(s));
    Ok(())
}

fn check_errors(e: &ScenarioErrors) -> Result<(), TestCaseError> {
    prop_assert!(!e.0.is_empty());
    for x in &e.0 {
        prop_assert!(!x.message.is_empty());
    }
    prop_assert!(!e.to_string().is_empty());
    Ok(())
}

fn parse_any(text: &str) -> Result<(), TestCaseError> {
    match Scenario::from_json(text) {
        Ok(s) => accepted_is_sound(&s),
        Err(e) => check_errors(&e),
    }
}

/// A JSON value chosen to upset the parser: wrong types, boundary and absurd numbers.
fn nasty_value(k: u32, r: u32) -> Value {
    match k % 16 {
        0 => json!(null),
        1 => json!(r & 1 == 0),
        2 => json!(0),
        3 => json!(-1),
        4 => json!(u32::MAX),
        5 => json!(u64::MAX),
        6 => json!(i64::MIN),
        7 => json!(1e300),
        8 => json!(-1e-300),
        9 => json!(r as f64 / 7.0),
        10 => json!(r % 100_000),
        11 => json!("x".repeat((r % 300) as usize)),
        12 => json!([]),
        13 => json!({}),
        14 => json!([r, "a", null]),
        _ => json!({"kind": "cpu", "dist": "constant", "ms": r % 50}),
    }
}

/// Integers and floats around and beyond the documented limits.
const INTEGERS: [u64; 9] = [
    0,
    1,
    7,
    65,
    257,
    65_536,
    100_001,
    10_000_001,
    u32::MAX as u64,
];
const FLOATS: [f64; 10] = [
    0.0,
    -1.0,
    0.005,
    1e-9,
    3.5,
    1000.5,
    86_401.0,
    3_600_001.0,
    1e7,
    1e12,
];

/// Applies one mutation at a random place of `v`, chosen by the knobs.
fn mutate(v: &mut Value, knobs: &mut impl Iterator<Item = u32>) {
    let mut next = || knobs.next().unwrap_or(0);
    // Walk down a random path.
    let mut cur = v;
    loop {
        let go_deeper = next() % 8 != 0;
        let child_count = match &*cur {
            Value::Object(m) => m.len(),
            Value::Array(a) => a.len(),
            _ => 0,
        };
        if !go_deeper || child_count == 0 {
            break;
        }
        let i = next() as usize % child_count;
        cur = match cur {
            Value::Object(m) => m.values_mut().nth(i).unwrap(),
            Value::Array(a) => &mut a[i],
            _ => unreachable!(),
        };
    }
    let (what, a, b) = (next(), next(), next());
    match what % 8 {
        // Replace the value.
        0 => *cur = nasty_value(a, b),
        // A number stays a number of the same kind, usually out of its range.
        1..=3 => {
            *cur = match &*cur {
                Value::Number(n) if n.is_u64() => {
                    json!(INTEGERS[a as usize % INTEGERS.len()].max(b as u64 % 3))
                }
                Value::Number(_) => json!(FLOATS[a as usize % FLOATS.len()]),
                _ => nasty_value(a, b),
            }
        }
        // Remove a field or element.
        4 => match cur {
            Value::Object(m) if !m.is_empty() => {
                let key = m.keys().nth(a as usize % m.len()).unwrap().clone();
                m.remove(&key);
            }
            Value::Array(x) if !x.is_empty() => {
                x.remove(a as usize % x.len());
            }
            _ => *cur = nasty_value(a, b),
        },
        // Add a field (maybe unknown, maybe a known one at the wrong level).
        5 => {
            let names = [
                "kind",
                "workers",
                "threads",
                "steps",
                "route",
                "clients",
                "ms",
                "version",
                "zzz",
                "timeout_ms",
                "offload",
                "hold_connection",
                "db_pool",
                "background",
            ];
            if let Value::Object(m) = cur {
                m.insert(
                    names[a as usize % names.len()].to_string(),
                    nasty_value(b, a),
                );
            } else {
                *cur = nasty_value(a, b);
            }
        }
        // Duplicate an array element (more steps, offsets, background tasks).
        6 => {
            if let Value::Array(x) = cur {
                if let Some(e) = x.first().cloned() {
                    for _ in 0..(a % 40) {
                        x.push(e.clone());
                    }
                }
            } else {
                *cur = nasty_value(a, b);
            }
        }
        // Swap in a valid fragment of the same kind from elsewhere.
        _ => {
            let fragments = [
                json!("async_def"),
                json!("def"),
                json!("await_io"),
                json!("process_pool"),
                json!("threadpool"),
                json!("flask_dev"),
                json!("waitress"),
                json!("gunicorn_sync"),
                json!({"dist": "lognormal", "median_ms": 1.0, "sigma": 3.0}),
                json!({"kind": "open", "rate_per_s": 1e6, "duration_s": 10.0}),
                json!({"kind": "burst", "offsets_ms": [0.0, 1.0], "interval_ms": 1.0}),
                json!([{"route": "def", "steps": []}]),
            ];
            *cur = fragments[a as usize % fragments.len()].clone();
        }
    }
}

/// A fast stream of random numbers from one proptest-chosen seed (proptest's own collection
/// strategies are slow in unoptimised test builds, and these properties run 130 000 cases).
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u32 {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 32) as u32
    }
}

impl Iterator for Stream {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        Some(Stream::next(self))
    }
}

fn parse_reported(text: &str) -> Result<(), TestCaseError> {
    parse_any(text).map_err(|e| TestCaseError::fail(format!("{e}\ninput: {text:?}")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(30_000))]

    #[test]
    fn arbitrary_bytes_never_panic(seed in any::<u64>(), len in 0usize..256) {
        let mut r = Stream(seed);
        let bytes: Vec<u8> = (0..len).map(|_| r.next() as u8).collect();
        parse_reported(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn arbitrary_characters_never_panic(seed in any::<u64>(), len in 0usize..128) {
        let mut r = Stream(seed);
        let text: String = (0..len).map(|_| some_char(r.next())).collect();
        parse_reported(&text)?;
    }

    #[test]
    fn json_token_soup_never_panics(seed in any::<u64>(), len in 0usize..96) {
        let mut r = Stream(seed);
        let mut text = String::new();
        for _ in 0..len {
            text.push_str(TOKENS[r.next() as usize % TOKENS.len()]);
        }
        parse_reported(&text)?;
        // The same soup inside a valid envelope reaches the deserializer and the validator.
        let wrapped = format!(
            "{{\"version\": 1, \"server\": {{\"kind\": \"uvicorn\"}}, \"handler\": {text}}}"
        );
        parse_reported(&wrapped)?;
    }

    #[test]
    fn mutated_presets_never_panic(which in 0usize..12, seed in any::<u64>()) {
        let mut v = preset_values()[which % PRESETS.len()].clone();
        let mut r = Stream(seed);
        let rounds = r.next() % 4 + 1;
        for _ in 0..rounds {
            mutate(&mut v, &mut r);
        }
        parse_reported(&v.to_string())?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn text_edits_of_presets_never_panic(which in 0usize..12, seed in any::<u64>()) {
        let mut chars: Vec<char> = preset_texts()[which % PRESETS.len()].chars().collect();
        let mut r = Stream(seed);
        let edits = r.next() % 5 + 1;
        for _ in 0..edits {
            let (pos, op, c) = (r.next(), r.next(), some_char(r.next()));
            if chars.is_empty() {
                chars.push(c);
                continue;
            }
            let i = pos as usize % chars.len();
            match op % 4 {
                0 => {
                    chars.remove(i);
                }
                1 => chars.insert(i, c),
                2 => chars[i] = c,
                // Replace a digit by another: numbers go out of range without breaking the JSON.
                _ => {
                    if let Some(j) = (i..chars.len()).find(|&j| chars[j].is_ascii_digit()) {
                        chars[j] = char::from(b'0' + (op % 10) as u8);
                    }
                }
            }
        }
        let text: String = chars.into_iter().collect();
        parse_reported(&text)?;
    }
}

fn base() -> Value {
    json!({
        "version": 1,
        "server": {"kind": "uvicorn"},
        "handler": {"route": "def",
                    "steps": [{"kind": "cpu", "duration": {"dist": "constant", "ms": 1.0}}]},
        "load": {"kind": "burst", "clients": 2}
    })
}

/// The errors of `base()` modified by `f`, as "path: message" lines.
fn errors_of(f: impl FnOnce(&mut Value)) -> Vec<String> {
    let mut v = base();
    f(&mut v);
    match Scenario::from_json(&v.to_string()) {
        Ok(_) => panic!("accepted: {v}"),
        Err(e) => e.0.iter().map(|x| x.to_string()).collect(),
    }
}

fn one_error(f: impl FnOnce(&mut Value)) -> String {
    let e = errors_of(f);
    assert_eq!(e.len(), 1, "{e:?}");
    e.into_iter().next().unwrap()
}

#[test]
fn the_base_scenario_is_valid() {
    Scenario::from_json(&base().to_string()).unwrap();
}

#[test]
fn range_errors_name_the_path_and_the_range() {
    assert_eq!(
        one_error(|v| v["server"]["workers"] = json!(0)),
        "server.workers: must be between 1 and 64 (got 0)"
    );
    assert_eq!(
        one_error(|v| v["server"]["workers"] = json!(65)),
        "server.workers: must be between 1 and 64 (got 65)"
    );
    // (pointer, value, expected path, expected "between" range)
    let cases: Vec<(&str, Value, &str, String)> = vec![
        (
            "/server/threads",
            json!(0),
            "server.threads",
            format!("between {} and {}", limits::THREADS.0, limits::THREADS.1),
        ),
        (
            "/server/threads",
            json!(10_001),
            "server.threads",
            "between 1 and 10000".into(),
        ),
        (
            "/server/cores",
            json!(0),
            "server.cores",
            "between 1 and 256".into(),
        ),
        (
            "/server/cores",
            json!(257),
            "server.cores",
            "between 1 and 256".into(),
        ),
        (
            "/server/backlog",
            json!(0),
            "server.backlog",
            "between 1 and 65535".into(),
        ),
        (
            "/server/backlog",
            json!(65_536),
            "server.backlog",
            "between 1 and 65535".into(),
        ),
        (
            "/server/switch_interval_ms",
            json!(0.001),
            "server.switch_interval_ms",
            "between 0.01 and 1000".into(),
        ),
        (
            "/server/switch_interval_ms",
            json!(1000.5),
            "server.switch_interval_ms",
            "between 0.01 and 1000".into(),
        ),
        (
            "/server/connection_limit",
            json!(0),
            "server.connection_limit",
            "between 1 and 100000".into(),
        ),
        (
            "/server/process_pool",
            json!(0),
            "server.process_pool",
            "between 1 and 256".into(),
        ),
        (
            "/server/restart_ms",
            json!(-1),
            "server.restart_ms",
            "between 0 and 600000".into(),
        ),
        (
            "/handler/db_pool",
            json!(0),
            "handler.db_pool",
            "between 1 and 10000".into(),
        ),
        (
            "/handler/steps/0/duration/ms",
            json!(-0.5),
            "handler.steps[0].duration.ms",
            "between 0 and 3600000".into(),
        ),
        (
            "/handler/steps/0/duration/ms",
            json!(3_600_001),
            "handler.steps[0].duration.ms",
            "between 0 and 3600000".into(),
        ),
        (
            "/load/clients",
            json!(0),
            "load.clients",
            "between 1 and 100000".into(),
        ),
        (
            "/load/timeout_ms",
            json!(0.5),
            "load.timeout_ms",
            "between 1 and 3600000".into(),
        ),
    ];
    for (ptr, value, path, range) in cases {
        let e = one_error(|v| {
            // Create the field (and its parents' keys) as needed.
            let (parent, key) = ptr.rsplit_once('/').unwrap();
            let p = v.pointer_mut(parent).unwrap_or_else(|| panic!("{parent}"));
            p[key] = value.clone();
        });
        assert!(
            e.starts_with(&format!("{path}: must be {range}")),
            "{ptr} = {value}: {e}"
        );
        assert!(
            e.ends_with(&format!("(got {value})")),
            "{ptr} = {value}: {e}"
        );
    }
    // Costs live in an object of their own.
    assert_eq!(
        one_error(|v| v["server"]["costs"] = json!({"parse_us": 2e6})),
        "server.costs.parse_us: must be between 0 and 1000000 (got 2000000)"
    );
    // A dist's own fields.
    assert_eq!(
        one_error(|v| v["handler"]["overhead"] =
            json!({"dist": "lognormal", "median_ms": 1.0, "sigma": 4.0})),
        "handler.overhead.sigma: must be between 0 and 3 (got 4)"
    );
    assert_eq!(
        one_error(|v| v["handler"]["steps"][0]["duration"] =
            json!({"dist": "uniform", "min_ms": 5.0, "max_ms": 1.0})),
        "handler.steps[0].duration.max_ms: must be at least min_ms (5) (got 1)"
    );
    // gunicorn's timeout: a range, or 0 to disable.
    let e = one_error(|v| {
        v["server"]["kind"] = json!("gunicorn_sync");
        v["server"]["worker_timeout_s"] = json!(0.05);
    });
    assert!(
        e.starts_with("server.worker_timeout_s: must be between 0.1 and 3600 (or 0 to disable)"),
        "{e}"
    );
}

#[test]
fn load_ranges() {
    let closed = |requests: Value, concurrency: Value| {
        move |v: &mut Value| {
            v["load"] = json!({"kind": "closed", "requests": requests, "concurrency": concurrency})
        }
    };
    assert!(errors_of(closed(json!(0), json!(0)))
        .iter()
        .any(|e| e == "load.requests: must be between 1 and 10000000 (got 0)"));
    assert!(errors_of(closed(json!(0), json!(0)))
        .iter()
        .any(|e| e == "load.concurrency: must be between 1 and 100000 (got 0)"));
    assert_eq!(
        one_error(closed(json!(10), json!(20))),
        "load.concurrency: cannot exceed load.requests (10), as with ab -c ≤ -n (got 20)"
    );
    assert_eq!(
        one_error(closed(json!(10_000_001), json!(1))),
        "load.requests: must be between 1 and 10000000 (got 10000001)"
    );
    let open = |rate: f64, duration: f64| {
        move |v: &mut Value| {
            v["load"] = json!({"kind": "open", "rate_per_s": rate, "duration_s": duration})
        }
    };
    assert_eq!(
        one_error(open(0.0, 1.0)),
        "load.rate_per_s: must be between 0.001 and 1000000 (got 0)"
    );
    assert_eq!(
        one_error(open(1.0, 86_401.0)),
        "load.duration_s: must be between 0.001 and 86400 (got 86401)"
    );
    assert!(one_error(open(1_000_000.0, 86_400.0))
        .starts_with("load.rate_per_s: rate_per_s × duration_s must be at most 10000000 requests"));
    assert_eq!(
        one_error(|v| v["load"] = json!({"kind": "burst"}))
            .split(':')
            .next()
            .unwrap(),
        "load.clients"
    );
    assert_eq!(
        one_error(
            |v| v["load"] = json!({"kind": "burst", "offsets_ms": [0.0, 1.0], "interval_ms": 5.0})
        ),
        "load.interval_ms: give either interval_ms or offsets_ms, not both"
    );
    assert_eq!(
        one_error(|v| v["load"] = json!({"kind": "burst", "offsets_ms": [0.0, -3.0]})),
        "load.offsets_ms[1]: must be between 0 and 86400000 (got -3)"
    );
    assert_eq!(
        one_error(|v| v["load"] = json!({"kind": "burst", "clients": 3, "offsets_ms": [0.0]})),
        "load.clients: 3 clients but 1 offsets: give one or make them agree"
    );
}

#[test]
fn unknown_fields_are_rejected_with_their_path() {
    let e = one_error(|v| v["server"]["foo"] = json!(1));
    assert!(e.starts_with("server.foo: unknown field `foo`"), "{e}");
    let e = one_error(|v| v["handler"]["steps"][0]["bar"] = json!(1));
    assert!(
        e.starts_with("handler.steps[0].bar: unknown field `bar`"),
        "{e}"
    );
    let e = one_error(|v| v["handler"]["steps"][0]["duration"]["mean_ms"] = json!(1));
    assert!(e.starts_with("handler.steps[0].duration"), "{e}");
    assert!(e.contains("mean_ms"), "{e}");
    let e = one_error(|v| v["load"]["rate"] = json!(1));
    assert!(e.starts_with("load"), "{e}");
    assert!(e.contains("unknown field `rate`"), "{e}");
    let e = one_error(|v| v["extra"] = json!(1));
    assert!(e.contains("unknown field `extra`"), "{e}");
    // Unknown enum values name the path and the allowed values.
    let e = one_error(|v| v["server"]["kind"] = json!("nginx"));
    assert!(e.starts_with("server.kind: unknown variant `nginx`"), "{e}");
    assert!(e.contains("`uvicorn`") && e.contains("`waitress`"), "{e}");
    // Wrong types too.
    let e = one_error(|v| v["server"]["workers"] = json!(-1));
    assert!(e.starts_with("server.workers: "), "{e}");
}

#[test]
fn only_version_1_is_read() {
    for (version, expect) in [
        (json!(2), "version: unsupported version 2"),
        (json!(0), "version: unsupported version 0"),
        (json!("1"), "version: unsupported version \"1\""),
        (json!(1.5), "version: unsupported version 1.5"),
        (json!(null), "version: unsupported version null"),
    ] {
        let e = one_error(|v| v["version"] = version.clone());
        assert!(e.starts_with(expect), "{version}: {e}");
    }
    let e = one_error(|v| {
        v.as_object_mut().unwrap().remove("version");
    });
    assert_eq!(e, "version: missing; expected 1");
    // A newer version is reported as such even if the rest is from the future too.
    let e = Scenario::from_json(r#"{"version": 2, "something": "new"}"#).unwrap_err();
    assert_eq!(e.0.len(), 1);
    assert_eq!(e.0[0].path, "version");
}

#[test]
fn await_in_a_def_is_rejected_at_the_step_kind() {
    let e = one_error(|v| {
        v["handler"]["steps"] = json!([
            {"kind": "cpu", "duration": {"dist": "constant", "ms": 1.0}},
            {"kind": "cpu", "duration": {"dist": "constant", "ms": 1.0}},
            {"kind": "await_io", "duration": {"dist": "constant", "ms": 1.0}}
        ])
    });
    assert!(e.starts_with("handler.steps[2].kind: "), "{e}");
    assert!(e.contains("async def"), "{e}");
    // In a def background task: same, at its own path.
    let e = one_error(|v| {
        v["handler"]["route"] = json!("async_def");
        v["handler"]["background"] = json!([
            {"route": "async_def", "steps": []},
            {"route": "def", "steps": [
                {"kind": "await_io", "duration": {"dist": "constant", "ms": 1.0}}]}
        ]);
    });
    assert!(
        e.starts_with("handler.background[1].steps[0].kind: "),
        "{e}"
    );
    assert!(e.contains("background task"), "{e}");
}

#[test]
fn meaningless_combinations_are_rejected() {
    let path_of = |f: &dyn Fn(&mut Value)| {
        let mut v = base();
        f(&mut v);
        let e = Scenario::from_json(&v.to_string()).expect_err("rejected");
        e.0.iter().map(|x| x.path.clone()).collect::<Vec<_>>()
    };
    // Single-process servers.
    assert_eq!(
        path_of(&|v| {
            v["server"] = json!({"kind": "flask_dev", "workers": 2});
        }),
        vec!["server.workers"]
    );
    assert_eq!(
        path_of(&|v| v["server"] = json!({"kind": "waitress", "workers": 4})),
        vec!["server.workers"]
    );
    // No thread setting for sync workers and werkzeug.
    assert_eq!(
        path_of(&|v| v["server"] = json!({"kind": "gunicorn_sync", "threads": 4})),
        vec!["server.threads"]
    );
    assert_eq!(
        path_of(&|v| v["server"] = json!({"kind": "flask_dev", "threads": 4})),
        vec!["server.threads"]
    );
    // async def needs an ASGI server.
    assert_eq!(
        path_of(&|v| {
            v["server"] = json!({"kind": "waitress"});
            v["handler"]["route"] = json!("async_def");
        }),
        vec!["handler.route"]
    );
    // run_in_threadpool in a def.
    assert_eq!(
        path_of(&|v| v["handler"]["steps"][0]["offload"] = json!("threadpool")),
        vec!["handler.steps[0].offload"]
    );
    // Awaited I/O is not offloaded.
    assert_eq!(
        path_of(&|v| {
            v["handler"]["route"] = json!("async_def");
            v["handler"]["steps"][0] = json!({"kind": "await_io", "offload": "process_pool",
                "duration": {"dist": "constant", "ms": 1.0}});
        }),
        vec!["handler.steps[0].offload"]
    );
    // A held connection needs a pool.
    assert_eq!(
        path_of(&|v| v["handler"]["steps"][0]["hold_connection"] = json!(true)),
        vec!["handler.steps[0].hold_connection"]
    );
    // BackgroundTasks are Starlette's.
    assert_eq!(
        path_of(&|v| {
            v["server"] = json!({"kind": "gunicorn_gthread"});
            v["handler"]["background"] = json!([{"route": "def", "steps": []}]);
        }),
        vec!["handler.background"]
    );
    // A worker timeout is gunicorn's.
    assert_eq!(
        path_of(&|v| v["server"]["worker_timeout_s"] = json!(30)),
        vec!["server.worker_timeout_s"]
    );
    // Too many steps / background tasks.
    assert_eq!(
        path_of(&|v| {
            let s = v["handler"]["steps"][0].clone();
            v["handler"]["steps"] = Value::Array(vec![s; limits::STEPS + 1]);
        }),
        vec!["handler.steps"]
    );
    assert_eq!(
        path_of(&|v| {
            v["handler"]["background"] = Value::Array(vec![
                json!({"route": "def", "steps": []});
                limits::BACKGROUND_TASKS + 1
            ]);
        }),
        vec!["handler.background"]
    );
    // Work bound: requests × (steps + 8 + background steps + 1 per task) ≤ 400 M. 10 M
    // requests × (32 + 8) is exactly the limit; one more (empty) background task is too much.
    let heavy = |v: &mut Value| {
        let s = v["handler"]["steps"][0].clone();
        v["handler"]["steps"] = Value::Array(vec![s; limits::STEPS]);
        v["load"] = json!({"kind": "closed", "requests": 10_000_000, "concurrency": 100});
    };
    let mut v = base();
    heavy(&mut v);
    assert!(Scenario::from_json(&v.to_string()).is_ok());
    assert_eq!(
        path_of(&|v| {
            heavy(v);
            v["handler"]["background"] = json!([{"route": "def", "steps": []}]);
        }),
        vec!["load"]
    );
}

#[test]
fn every_error_is_reported_at_once() {
    let e = errors_of(|v| {
        v["server"]["workers"] = json!(0);
        v["server"]["cores"] = json!(0);
        v["handler"]["steps"][0]["duration"]["ms"] = json!(-1);
        v["load"]["clients"] = json!(0);
    });
    let paths: Vec<&str> = e.iter().map(|x| x.split(':').next().unwrap()).collect();
    assert_eq!(
        paths,
        vec![
            "server.workers",
            "server.cores",
            "handler.steps[0].duration.ms",
            "load.clients"
        ]
    );
}

#[test]
fn oversized_and_non_json_text_is_rejected() {
    let big = format!(
        "{{\"version\": 1, \"name\": \"{}\"}}",
        "x".repeat(MAX_SCENARIO_BYTES)
    );
    let e = Scenario::from_json(&big).unwrap_err();
    assert!(e.to_string().contains("bytes"), "{e}");
    for text in [
        "",
        "nul",
        "{",
        "[1,2]",
        "1",
        "\"version\"",
        "{\"version\": 1",
    ] {
        assert!(Scenario::from_json(text).is_err(), "{text:?}");
    }
    let e = Scenario::from_json("{").unwrap_err();
    assert!(e.to_string().starts_with("not valid JSON"), "{e}");
    // Text fields are bounded.
    let e = one_error(|v| v["name"] = json!("n".repeat(limits::TEXT + 1)));
    assert_eq!(
        e,
        format!("name: at most 200 characters (got {})", limits::TEXT + 1)
    );
}

#[test]
fn every_preset_round_trips() {
    for p in PRESETS {
        let s = p.scenario();
        let text = s.to_json();
        let back = Scenario::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", p.name));
        assert_eq!(back, s, "{}", p.name);
        // And the text is stable.
        assert_eq!(back.to_json(), text, "{}", p.name);
    }
    assert_eq!(presets::names().count(), 13);
}

#[test]
fn defaults_are_filled_in() {
    // Only version, server.kind, handler.route/steps and load are required; the seed defaults
    // to 1 and every server setting to the kind's default.
    let s = Scenario::from_json(&base().to_string()).unwrap();
    assert_eq!(s.seed, 1);
    let cfg = s.server.resolve();
    assert_eq!(cfg.workers, 1);
    assert_eq!(cfg.threads, 40);
    assert_eq!(cfg.cores, 4);
    assert!(cfg.gil);
    assert_eq!(cfg.switch_interval, 5_000_000);
    assert_eq!(cfg.backlog, 2048);
    assert_eq!(cfg.accept, 10_000);
    assert_eq!(cfg.setup, 30_000);
    assert_eq!(cfg.parse, 90_000);
    assert_eq!(cfg.respond, 90_000);
    assert_eq!(cfg.spawn, 120_000);
    assert_eq!(cfg.kernel_share, 0.0);
    assert_eq!(cfg.worker_timeout, None);
}

#[test]
fn the_mutations_reach_every_stage() {
    // The fuzzing above is only useful if its inputs get past the JSON tokenizer and the
    // deserializer: count where 3000 mutated presets end up.
    let (mut accepted, mut invalid_values, mut bad_shape) = (0, 0, 0);
    for seed in 0..3000u64 {
        let mut v = preset_values()[seed as usize % PRESETS.len()].clone();
        let mut r = Stream(seed);
        mutate(&mut v, &mut r);
        match Scenario::from_json(&v.to_string()) {
            Ok(_) => accepted += 1,
            Err(e)
                if e.0.iter().all(|x| {
                    ![
                        "invalid type",
                        "unknown field",
                        "missing field",
                        "unknown variant",
                        "invalid value",
                        "invalid length",
                        "not valid JSON",
                    ]
                    .iter()
                    .any(|m| x.message.contains(m))
                }) =>
            {
                invalid_values += 1
            }
            Err(_) => bad_shape += 1,
        }
    }
    assert!(accepted > 100, "{accepted} accepted");
    assert!(
        invalid_values > 100,
        "{invalid_values} rejected by the validator"
    );
    assert!(bad_shape > 100, "{bad_shape} rejected by the deserializer");
}
