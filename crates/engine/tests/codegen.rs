//! The generated Python: every preset and several hundred scenario variations (every server
//! kind × route × step kind × offload × background task × DB pool × load kind) must compile
//! with `python3 -m py_compile`, and must *run* as the scenario says: a harness imports each
//! module against stub `fastapi` / `starlette` / `anyio` / `flask` / `werkzeug` modules, with
//! `time.sleep`, `asyncio.sleep`, `burn` and `print` recording their calls, calls the route and
//! its background tasks, and compares the calls with the scenario's steps (kind, order,
//! duration, DB pool acquire/release, log lines), the threadpool tokens, the pool sizes.

use std::path::{Path, PathBuf};
use std::process::Command;

use loopsim_engine::codegen::{generate, port, Generated};
use loopsim_engine::dist::Dist;
use loopsim_engine::presets::PRESETS;
use loopsim_engine::scenario::{Route, ServerKind, Step, StepKind};
use loopsim_engine::Scenario;
use serde_json::{json, Value};

/// A fresh, empty directory for one test's files.
fn temp_dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("loopsim-codegen-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `python3 -m py_compile` on every file; panics with Python's messages if any fails.
fn py_compile(files: &[PathBuf]) {
    for chunk in files.chunks(200) {
        let out = Command::new("python3")
            .arg("-m")
            .arg("py_compile")
            .args(chunk)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "py_compile failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Writes the app (and the load script, when the load is one) of each scenario; returns the
/// paths written.
fn write_all(dir: &Path, items: &[(String, Generated)]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for (i, (_, g)) in items.iter().enumerate() {
        let app = dir.join(format!("app_{i}.py"));
        std::fs::write(&app, &g.python).unwrap();
        files.push(app);
        if g.load_command.contains('\n') {
            let load = dir.join(format!("load_{i}.py"));
            std::fs::write(&load, &g.load_command).unwrap();
            files.push(load);
        }
    }
    files
}

fn constant(ms: f64) -> Value {
    json!({"dist": "constant", "ms": ms})
}

/// A duration that cycles through the distributions.
fn dist(i: usize) -> Value {
    match i % 5 {
        0 => constant(12.5),
        1 => json!({"dist": "uniform", "min_ms": 5.0, "max_ms": 15.0}),
        2 => json!({"dist": "exponential", "mean_ms": 10.0}),
        3 => json!({"dist": "lognormal", "median_ms": 8.0, "sigma": 0.5}),
        _ => constant(1500.0),
    }
}

/// Labels and log lines with characters that could break the Python if not escaped.
fn label(i: usize) -> Value {
    match i % 4 {
        0 => Value::Null,
        1 => json!("time.sleep(0.0125)"),
        2 => json!("quotes \" ' \"\"\" and \\ backslash\nnew line\ttab \u{0} nul"),
        _ => json!("db.query() — €, ünïcödé"),
    }
}

fn load(i: usize) -> Value {
    match i % 5 {
        0 => json!({"kind": "closed", "requests": 50, "concurrency": 5, "timeout_ms": 2500.0}),
        1 => json!({"kind": "closed", "requests": 20, "concurrency": 20, "keep_alive": true}),
        2 => json!({"kind": "burst", "clients": 2}),
        3 => json!({"kind": "burst", "clients": 7, "interval_ms": 100.0, "timeout_ms": 900.0}),
        _ => {
            json!({"kind": "open", "rate_per_s": 20.0, "duration_s": 1.5, "arrivals": if i.is_multiple_of(2) { "poisson" } else { "fixed" }})
        }
    }
}

/// Every combination that validates: server kind × route × step kind × offload × background
/// task (none, def, async def) × DB pool (none, held) × load kind; the server settings vary too.
fn variations() -> Vec<Scenario> {
    let mut out = Vec::new();
    let mut i = 0usize;
    for kind in ServerKind::ALL {
        for route in ["async_def", "def"] {
            for step_kind in ["cpu", "blocking_io", "await_io"] {
                for offload in ["none", "threadpool", "process_pool"] {
                    for bg in ["", "def", "async_def"] {
                        for db in [false, true] {
                            for l in 0..5 {
                                i += 1;
                                let mut main = json!({
                                    "kind": step_kind,
                                    "duration": dist(i),
                                    "offload": offload,
                                });
                                if db {
                                    main["hold_connection"] = json!(true);
                                }
                                if let Value::String(s) = label(i) {
                                    main["label"] = json!(s);
                                }
                                if i.is_multiple_of(3) {
                                    main["log_before"] = label(i + 2);
                                    main["log_after"] = json!("after");
                                    if main["log_before"].is_null() {
                                        main["log_before"] = json!("before");
                                    }
                                }
                                let mut steps = vec![
                                    json!({"kind": "blocking_io", "duration": constant(1.0), "log_before": "first"}),
                                    main,
                                ];
                                if db {
                                    // Held from the step above to this one, across a step that
                                    // does not ask for the connection itself.
                                    steps.push(
                                        json!({"kind": "blocking_io", "duration": constant(2.0)}),
                                    );
                                    steps.push(json!({"kind": "cpu", "duration": constant(3.0), "hold_connection": true, "log_after": "released next"}));
                                }
                                let mut handler = json!({"route": route, "steps": steps});
                                if db {
                                    handler["db_pool"] = json!(1 + i % 4);
                                }
                                if !bg.is_empty() {
                                    let mut bsteps = vec![
                                        json!({"kind": "blocking_io", "duration": dist(i + 1), "hold_connection": db, "log_after": "task done"}),
                                    ];
                                    if bg == "async_def" {
                                        bsteps.push(
                                            json!({"kind": "await_io", "duration": constant(4.0)}),
                                        );
                                    }
                                    handler["background"] = json!([{"route": bg, "steps": bsteps}, {"route": "def", "steps": []}]);
                                }
                                let mut server = json!({"kind": kind.id()});
                                match i % 7 {
                                    0 if kind.multi_process() => server["workers"] = json!(3),
                                    1 if kind.threads_meaning().is_some() => {
                                        server["threads"] = json!(7)
                                    }
                                    2 => server["backlog"] = json!(64),
                                    3 => server["gil"] = json!(false),
                                    4 => server["switch_interval_ms"] = json!(1.0),
                                    5 => {
                                        server["process_pool"] = json!(3);
                                        server["keep_alive"] = json!(!kind.defaults().keep_alive);
                                    }
                                    6 if kind.is_gunicorn() => {
                                        server["worker_timeout_s"] =
                                            json!(if i.is_multiple_of(2) { 0.0 } else { 120.0 })
                                    }
                                    6 => server["connection_limit"] = json!(50),
                                    _ => {}
                                }
                                let v = json!({
                                    "version": 1,
                                    "name": format!("variation {i}: {} {route} {step_kind}/{offload} bg={bg} db={db}", kind.id()),
                                    "description": "line one\nline two \"\"\" with quotes",
                                    "server": server,
                                    "handler": handler,
                                    "load": load(l),
                                });
                                if let Ok(s) = Scenario::from_json(&v.to_string()) {
                                    out.push(s);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_preset_compiles() {
    let dir = temp_dir("presets");
    let items: Vec<(String, Generated)> = PRESETS
        .iter()
        .map(|p| (p.name.to_string(), generate(&p.scenario())))
        .collect();
    let files = write_all(&dir, &items);
    py_compile(&files);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn variations_cover_the_space_and_compile() {
    let vs = variations();
    // Every server kind, route, step kind and offload appears.
    for kind in ServerKind::ALL {
        assert!(vs.iter().any(|s| s.server.kind == kind), "{kind:?}");
    }
    let steps = |s: &Scenario| s.handler.steps.clone();
    assert!(vs.iter().any(|s| s.handler.route == Route::AsyncDef));
    for k in [StepKind::Cpu, StepKind::BlockingIo, StepKind::AwaitIo] {
        assert!(vs.iter().any(|s| steps(s).iter().any(|x| x.kind == k)));
    }
    assert!(vs.iter().any(|s| !s.handler.background.is_empty()));
    assert!(vs.iter().any(|s| s.handler.db_pool.is_some()));
    assert!(
        vs.len() > 500,
        "only {} valid variations: the generator lost combinations",
        vs.len()
    );
    let dir = temp_dir("variations");
    let items: Vec<(String, Generated)> = vs
        .iter()
        .map(|s| (s.name.clone().unwrap(), generate(s)))
        .collect();
    let files = write_all(&dir, &items);
    py_compile(&files);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- running the generated code against stubs ----

const HARNESS: &str = r#"
import asyncio, builtins, concurrent.futures, importlib.util, inspect, json, sys, threading, time, types

EVENTS = []
def rec(*e):
    EVENTS.append(list(e))

# --- stub frameworks ---
fastapi = types.ModuleType("fastapi")
class FastAPI:
    def __init__(self, lifespan=None):
        self.lifespan = lifespan
        self.routes = {}
    def get(self, path):
        def deco(f):
            self.routes[path] = f
            return f
        return deco
class BackgroundTasks:
    def __init__(self):
        self.tasks = []
    def add_task(self, f, *a, **k):
        self.tasks.append((f, a, k))
fastapi.FastAPI = FastAPI
fastapi.BackgroundTasks = BackgroundTasks
starlette = types.ModuleType("starlette"); starlette.__path__ = []
concurrency = types.ModuleType("starlette.concurrency")
async def run_in_threadpool(f, *a, **k):
    return await asyncio.to_thread(f, *a, **k)
concurrency.run_in_threadpool = run_in_threadpool
anyio = types.ModuleType("anyio"); anyio.__path__ = []
to_thread = types.ModuleType("anyio.to_thread")
class Limiter:
    total_tokens = 40
LIMITER = Limiter()
to_thread.current_default_thread_limiter = lambda: LIMITER
anyio.to_thread = to_thread
flask = types.ModuleType("flask")
class Flask:
    def __init__(self, name):
        self.routes = {}
        self.lifespan = None
    def route(self, path):
        def deco(f):
            self.routes[path] = f
            return f
        return deco
    def run(self, **k):
        raise RuntimeError("app.run() must not run on import")
flask.Flask = Flask
werkzeug = types.ModuleType("werkzeug"); werkzeug.__path__ = []
serving = types.ModuleType("werkzeug.serving")
class BaseWSGIServer:
    request_queue_size = 128
class WSGIRequestHandler:
    protocol_version = "HTTP/1.0"
serving.BaseWSGIServer = BaseWSGIServer
serving.WSGIRequestHandler = WSGIRequestHandler
sys.modules.update({"fastapi": fastapi, "starlette": starlette, "starlette.concurrency": concurrency,
    "anyio": anyio, "anyio.to_thread": to_thread, "flask": flask, "werkzeug": werkzeug,
    "werkzeug.serving": serving})

# --- recorders ---
def fake_sleep(s):
    rec("sleep", s)
async def fake_asleep(s):
    rec("asleep", s)
def fake_burn(s):
    rec("burn", s)
time.sleep = fake_sleep
asyncio.sleep = fake_asleep
out = sys.stdout
builtins.print = lambda *a, **k: rec("print", " ".join(str(x) for x in a))

class DbProxy:
    def __init__(self, inner):
        self.inner = inner
    def acquire(self, *a, **k):
        r = self.inner.acquire(*a, **k)
        rec("acquire")
        return r
    def release(self):
        rec("release")
        self.inner.release()
    def __enter__(self):
        self.inner.__enter__()
        rec("acquire")
        return self
    def __exit__(self, *e):
        rec("release")
        return self.inner.__exit__(*e)
    async def __aenter__(self):
        await self.inner.__aenter__()
        rec("acquire")
        return self
    async def __aexit__(self, *e):
        rec("release")
        return await self.inner.__aexit__(*e)

def matches(got, want):
    if len(got) != len(want) or got[0] != want[0]:
        return False
    if len(want) == 1:
        return True
    v, w = got[1], want[1]
    if want[0] == "print":
        return v == w
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return False
    if isinstance(w, list):
        return w[0] - 1e-12 <= v <= w[1] + 1e-12
    return abs(v - w) < 1e-9

async def drive(app, route):
    if app.lifespan is not None:
        async with app.lifespan(app):
            pass
    bt = BackgroundTasks()
    args = [bt] if inspect.signature(route).parameters else []
    if inspect.iscoroutinefunction(route):
        result = await route(*args)
    else:
        result = await asyncio.to_thread(route, *args)
    for f, a, k in bt.tasks:
        if inspect.iscoroutinefunction(f):
            await f(*a, **k)
        else:
            await asyncio.to_thread(f, *a, **k)
    return result

failures = []
cases = json.load(open(sys.argv[1]))
for n, case in enumerate(cases):
    EVENTS.clear()
    LIMITER.total_tokens = 40
    try:
        spec = importlib.util.spec_from_file_location(f"generated_{n}", case["file"])
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        problems = []
        if hasattr(mod, "burn"):
            mod.burn = fake_burn
        pp = getattr(mod, "process_pool", None)
        if case["process_pool"] is not None:
            if not isinstance(pp, concurrent.futures.ProcessPoolExecutor):
                problems.append(f"process_pool is {pp!r}")
            elif pp._max_workers != case["process_pool"]:
                problems.append(f"process_pool has {pp._max_workers} processes")
            else:
                pp.shutdown()
            mod.process_pool = concurrent.futures.ThreadPoolExecutor(4)
        db = getattr(mod, "db_pool", None)
        if case["db"] is not None:
            kind, size = case["db"]
            want = asyncio.Semaphore if kind == "asyncio" else threading.Semaphore
            if not isinstance(db, want):
                problems.append(f"db_pool is {db!r}, expected {kind}")
            elif db._value != size:
                problems.append(f"db_pool has {db._value} connections, expected {size}")
            mod.db_pool = DbProxy(db)
        result = asyncio.run(drive(mod.app, mod.app.routes["/"]))
        if result != {"message": "Hello World"}:
            problems.append(f"route returned {result!r}")
        if LIMITER.total_tokens != case["tokens"]:
            problems.append(f"threadpool tokens {LIMITER.total_tokens}, expected {case['tokens']}")
        want = case["events"]
        if len(EVENTS) != len(want) or not all(matches(g, w) for g, w in zip(EVENTS, want)):
            problems.append(f"calls\n      got  {EVENTS}\n      want {want}")
        if case["flask_backlog"] is not None and BaseWSGIServer.request_queue_size != case["flask_backlog"]:
            problems.append(f"werkzeug backlog {BaseWSGIServer.request_queue_size}")
        BaseWSGIServer.request_queue_size = 128
        if problems:
            failures.append(f"{case['name']} ({case['file']}):\n    " + "\n    ".join(problems))
    except BaseException as e:
        failures.append(f"{case['name']} ({case['file']}): {type(e).__name__}: {e}")
out.write(f"{len(cases)} modules run, {len(failures)} failed\n")
for f in failures[:20]:
    out.write(f + "\n")
sys.exit(1 if failures else 0)
"#;

/// What a duration is expected to be: a number of seconds or a [min, max] range.
fn want_duration(d: &Dist) -> Value {
    match *d {
        Dist::Constant { ms } => json!(ms / 1000.0),
        Dist::Uniform { min_ms, max_ms } => json!([min_ms / 1000.0, max_ms / 1000.0]),
        Dist::Exponential { .. } | Dist::Lognormal { .. } => json!([0.0, 3600.0]),
    }
}

/// The calls a list of steps makes, in order.
fn want_events(steps: &[Step], db: bool, out: &mut Vec<Value>) {
    let first = steps.iter().position(|s| s.hold_connection);
    let last = steps.iter().rposition(|s| s.hold_connection);
    for (i, s) in steps.iter().enumerate() {
        if db && first == Some(i) {
            out.push(json!(["acquire"]));
        }
        if let Some(t) = &s.log_before {
            out.push(json!(["print", t]));
        }
        let op = match s.kind {
            StepKind::Cpu => "burn",
            StepKind::BlockingIo => "sleep",
            StepKind::AwaitIo => "asleep",
        };
        out.push(json!([op, want_duration(&s.duration)]));
        if let Some(t) = &s.log_after {
            out.push(json!(["print", t]));
        }
        if db && last == Some(i) {
            out.push(json!(["release"]));
        }
    }
}

fn case(name: &str, file: &Path, s: &Scenario) -> Value {
    let h = &s.handler;
    let db = h.db_pool.is_some();
    let mut events = Vec::new();
    want_events(&h.steps, db, &mut events);
    for b in &h.background {
        want_events(&b.steps, db, &mut events);
    }
    let asgi = s.server.kind.is_asgi();
    let cfg = s.server.resolve();
    let uses_process_pool = h
        .steps
        .iter()
        .chain(h.background.iter().flat_map(|b| b.steps.iter()))
        .any(|x| x.offload == loopsim_engine::scenario::Offload::ProcessPool);
    // Which semaphore: asyncio only when every holder is async code.
    let holders: Vec<bool> = std::iter::once((&h.steps, h.route))
        .chain(h.background.iter().map(|b| (&b.steps, b.route)))
        .filter(|(st, _)| st.iter().any(|x| x.hold_connection))
        .map(|(_, r)| asgi && r == Route::AsyncDef)
        .collect();
    let db_kind = if holders.is_empty() {
        Value::Null
    } else if holders.iter().all(|&a| a) {
        json!(["asyncio", h.db_pool.unwrap()])
    } else {
        json!(["threading", h.db_pool.unwrap()])
    };
    json!({
        "name": name,
        "file": file,
        "events": events,
        "tokens": if asgi { cfg.threads } else { 40 },
        "db": db_kind,
        "process_pool": if uses_process_pool { json!(cfg.process_pool) } else { Value::Null },
        "flask_backlog": if s.server.kind == ServerKind::FlaskDev { json!(cfg.backlog) } else { Value::Null },
    })
}

/// Runs the harness over the scenarios' code (after `tamper` changes the expectations);
/// returns whether it passed and what it printed.
fn harness(test: &str, scenarios: &[Scenario], tamper: impl Fn(&mut Vec<Value>)) -> (bool, String) {
    let dir = temp_dir(test);
    let mut cases = Vec::new();
    for (i, s) in scenarios.iter().enumerate() {
        let file = dir.join(format!("app_{i}.py"));
        std::fs::write(&file, generate(s).python).unwrap();
        cases.push(case(s.name.as_deref().unwrap_or("?"), &file, s));
    }
    tamper(&mut cases);
    let manifest = dir.join("cases.json");
    std::fs::write(&manifest, serde_json::to_string(&cases).unwrap()).unwrap();
    let script = dir.join("harness.py");
    std::fs::write(&script, HARNESS).unwrap();
    let out = Command::new("python3")
        .arg(&script)
        .arg(&manifest)
        .current_dir(&dir)
        .output()
        .expect("python3 runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    (out.status.success(), text)
}

fn run_harness(test: &str, scenarios: &[Scenario]) {
    let (ok, text) = harness(test, scenarios, |_| {});
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!("{} modules run, 0 failed", scenarios.len())),
        "{text}"
    );
}

#[test]
fn harness_catches_wrong_code() {
    let s = vec![loopsim_engine::presets::find("fastapi-async-time-sleep")
        .unwrap()
        .scenario()];
    // The expectation says 9 s: the code sleeps 10 s.
    let (ok, text) = harness("tamper-duration", &s, |cases| {
        cases[0]["events"][1] = json!(["sleep", 9.0]);
    });
    assert!(!ok && text.contains("1 modules run, 1 failed"), "{text}");
    assert!(text.contains("['sleep', 10]"), "{text}");
    // The expectation wants 10 threadpool tokens: the code leaves AnyIO's 40.
    let (ok, text) = harness("tamper-tokens", &s, |cases| {
        cases[0]["tokens"] = json!(10);
    });
    assert!(
        !ok && text.contains("threadpool tokens 40, expected 10"),
        "{text}"
    );
}

#[test]
fn presets_run_as_specified() {
    let v: Vec<Scenario> = PRESETS.iter().map(|p| p.scenario()).collect();
    run_harness("presets-run", &v);
}

#[test]
fn variations_run_as_specified() {
    run_harness("variations-run", &variations());
}

// ---- content ----

fn preset(name: &str) -> Generated {
    generate(&loopsim_engine::presets::find(name).unwrap().scenario())
}

#[test]
fn seed_question_code() {
    let g = preset("fastapi-async-time-sleep");
    assert_eq!(g.filename, "main.py");
    assert_eq!(g.requirements, vec!["fastapi", "uvicorn"]);
    assert_eq!(g.server_command, "uvicorn main:app");
    assert!(g.python.contains("async def root():"), "{}", g.python);
    assert!(g.python.contains("    time.sleep(10)"), "{}", g.python);
    assert!(g.python.contains("print(\"Sleeping for 10\", flush=True)"));
    assert!(g.python.contains("fastapi-async-time-sleep"));
    assert!(g.python.contains("from fastapi import FastAPI"));
    assert_eq!(
        g.load_command,
        "curl -s -w ' %{time_total} s\\n' http://127.0.0.1:8000/ & curl -s -w ' %{time_total} s\\n' http://127.0.0.1:8000/ & wait"
    );

    let g = preset("fastapi-async-asyncio-sleep");
    assert!(g.python.contains("    await asyncio.sleep(10)\n"));
    assert!(g.python.contains("import asyncio\n"));

    let g = preset("fastapi-def-time-sleep");
    assert!(g.python.contains("\ndef root():"), "{}", g.python);
    assert!(!g.python.contains("async def"));
    assert!(g.python.contains("    time.sleep(10)"));

    let g = preset("flask-threaded-time-sleep");
    assert_eq!(g.filename, "app.py");
    assert_eq!(g.requirements, vec!["flask"]);
    assert_eq!(g.server_command, "flask --app app run --with-threads");
    assert!(g.python.contains("from flask import Flask"));
    assert!(g.python.contains("@app.route(\"/\")\ndef root():"));
    assert!(g.load_command.contains("http://127.0.0.1:5000/"));

    let g = preset("fastapi-background-task");
    assert!(g
        .python
        .contains("from fastapi import BackgroundTasks, FastAPI"));
    assert!(g.python.contains("\ndef background_task_1():\n"));
    assert!(g
        .python
        .contains("async def root(background_tasks: BackgroundTasks):"));
    assert!(g
        .python
        .contains("background_tasks.add_task(background_task_1)"));

    for name in ["fastapi-def-cpu-bound", "fastapi-async-cpu-bound"] {
        let g = preset(name);
        assert!(g.python.contains("def burn(seconds):"));
        // A fixed amount of work, not a deadline: threads sharing the GIL take longer.
        assert!(g
            .python
            .contains("for _ in range(int(seconds * ITERATIONS_PER_SECOND)):"));
        assert!(!g.python.contains("perf_counter"));
        assert!(g.python.contains("    burn(10)"));
        assert!(g.python.contains("# pure-Python loop (10 s of CPU)"));
    }
}

#[test]
fn ab_presets_commands() {
    let want = [
        ("ab-flask-dev", "flask --app app run --with-threads", 5000),
        ("ab-uvicorn", "uvicorn main:app", 8000),
        ("ab-uvicorn-4-workers", "uvicorn main:app --workers 4", 8000),
        (
            "ab-gunicorn-4-uvicorn-workers",
            "gunicorn -w 4 -k uvicorn.workers.UvicornWorker main:app",
            8000,
        ),
        ("ab-waitress", "waitress-serve --threads=4 app:app", 8080),
    ];
    for (name, server, p) in want {
        let g = preset(name);
        assert_eq!(g.server_command, server, "{name}");
        assert_eq!(
            g.load_command,
            format!("ab -n 5000 -c 500 -s 30 http://127.0.0.1:{p}/"),
            "{name}"
        );
        assert!(g.python.contains(&format!("Load:    {}", g.load_command)));
    }
    assert_eq!(port(ServerKind::Uvicorn), 8000);
    assert_eq!(port(ServerKind::GunicornSync), 8000);
    assert_eq!(port(ServerKind::FlaskDev), 5000);
    assert_eq!(port(ServerKind::Waitress), 8080);
}

fn gen(v: Value) -> Generated {
    let s = Scenario::from_json(&v.to_string()).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    generate(&s)
}

fn two_tabs() -> Value {
    json!({"kind": "burst", "clients": 2})
}

#[test]
fn server_settings_on_the_command_line() {
    let sleep = json!([{"kind": "blocking_io", "duration": constant(100.0)}]);
    let g = gen(json!({"version": 1,
        "server": {"kind": "gunicorn_gthread", "workers": 3, "threads": 8, "backlog": 100, "worker_timeout_s": 60, "connection_limit": 50},
        "handler": {"route": "def", "steps": sleep}, "load": two_tabs()}));
    assert_eq!(
        g.server_command,
        "gunicorn -w 3 -k gthread --threads 8 --worker-connections 50 --timeout 60 --backlog 100 app:app"
    );
    assert_eq!(g.requirements, vec!["flask", "gunicorn"]);

    let g = gen(json!({"version": 1,
        "server": {"kind": "gunicorn_sync", "worker_timeout_s": 0},
        "handler": {"route": "def", "steps": sleep}, "load": two_tabs()}));
    assert_eq!(g.server_command, "gunicorn -w 1 --timeout 0 app:app");

    let g = gen(json!({"version": 1,
        "server": {"kind": "waitress", "threads": 16, "backlog": 4096, "connection_limit": 500},
        "handler": {"route": "def", "steps": sleep}, "load": two_tabs()}));
    assert_eq!(
        g.server_command,
        "waitress-serve --threads=16 --backlog=4096 --connection-limit=500 app:app"
    );

    let g = gen(json!({"version": 1,
        "server": {"kind": "uvicorn", "workers": 2, "backlog": 512, "gil": false, "threads": 100, "switch_interval_ms": 0.5},
        "handler": {"route": "def", "steps": sleep}, "load": two_tabs()}));
    assert_eq!(
        g.server_command,
        "PYTHON_GIL=0 python3.14t -m uvicorn main:app --workers 2 --backlog 512"
    );
    assert!(g
        .python
        .contains("anyio.to_thread.current_default_thread_limiter().total_tokens = 100"));
    assert!(g.python.contains("app = FastAPI(lifespan=lifespan)"));
    assert!(g.python.contains("sys.setswitchinterval(0.0005)"));
    assert!(g.python.contains("python3.14t"));

    // The collector's thresholds, when not CPython's.
    let gc = |t: Value| {
        gen(json!({"version": 1,
            "server": {"kind": "uvicorn", "gc": {"objects_per_request": 100, "heap_objects": 1000,
                                                  "ns_per_object": 1.0, "thresholds": t}},
            "handler": {"route": "def", "steps": sleep}, "load": two_tabs()}))
        .python
    };
    let py = gc(json!([500, 20, 5]));
    assert!(py.contains("import gc\n"), "{py}");
    assert!(py.contains("gc.set_threshold(500, 20, 5)"), "{py}");
    assert!(gc(json!([0, 10, 10])).contains("gc.disable()"));
    assert!(!gc(json!([700, 10, 10])).contains("import gc"));

    let g = gen(json!({"version": 1,
        "server": {"kind": "flask_dev", "backlog": 1024, "keep_alive": true},
        "handler": {"route": "def", "steps": sleep}, "load": two_tabs()}));
    assert!(g
        .python
        .contains("BaseWSGIServer.request_queue_size = 1024"));
    assert!(g
        .python
        .contains("WSGIRequestHandler.protocol_version = \"HTTP/1.1\""));

    let g = gen(json!({"version": 1,
        "server": {"kind": "gunicorn_uvicorn", "workers": 2, "gil": false},
        "handler": {"route": "async_def", "steps": sleep}, "load": two_tabs()}));
    assert_eq!(
        g.server_command,
        "PYTHON_GIL=0 python3.14t -m gunicorn -w 2 -k uvicorn.workers.UvicornWorker main:app"
    );
    assert_eq!(g.requirements, vec!["fastapi", "uvicorn", "gunicorn"]);
}

#[test]
fn offloads_pools_and_random_durations() {
    let g = gen(json!({"version": 1,
        "server": {"kind": "uvicorn", "process_pool": 2},
        "handler": {"route": "async_def", "db_pool": 5, "steps": [
            {"kind": "cpu", "duration": constant(250.0), "offload": "process_pool"},
            {"kind": "blocking_io", "duration": {"dist": "uniform", "min_ms": 5, "max_ms": 15}, "offload": "threadpool", "hold_connection": true},
            {"kind": "await_io", "duration": {"dist": "exponential", "mean_ms": 20}},
            {"kind": "cpu", "duration": {"dist": "lognormal", "median_ms": 8, "sigma": 0.5}, "offload": "threadpool", "hold_connection": true}
        ]}, "load": two_tabs()}));
    let p = &g.python;
    assert!(
        p.contains("process_pool = ProcessPoolExecutor(max_workers=2)"),
        "{p}"
    );
    assert!(p.contains("loop = asyncio.get_running_loop()"));
    assert!(p.contains("await loop.run_in_executor(process_pool, burn, 0.25)"));
    assert!(p.contains("from starlette.concurrency import run_in_threadpool"));
    assert!(p.contains("db_pool = asyncio.Semaphore(5)"));
    assert!(p.contains("async with db_pool:"));
    assert!(p.contains("await run_in_threadpool(time.sleep, random.uniform(0.005, 0.015))"));
    assert!(p.contains("await asyncio.sleep(random.expovariate(1 / 0.02))"));
    assert!(
        p.contains("await run_in_threadpool(burn, random.lognormvariate(math.log(0.008), 0.5))")
    );
    assert!(p.contains("random.lognormvariate(math.log(median), sigma)"));

    // A def route waits for the process pool, blocked; its pool is a thread semaphore.
    let g = gen(json!({"version": 1,
        "server": {"kind": "gunicorn_sync"},
        "handler": {"route": "def", "db_pool": 2, "steps": [
            {"kind": "cpu", "duration": constant(250.0), "offload": "process_pool", "hold_connection": true},
        ]}, "load": two_tabs()}));
    assert!(g
        .python
        .contains("process_pool.submit(burn, 0.25).result()"));
    assert!(g.python.contains("db_pool = threading.BoundedSemaphore(2)"));
    assert!(g.python.contains("with db_pool:"));

    // The loop and the threadpool share the pool: a thread semaphore, acquired off the loop.
    let g = gen(json!({"version": 1,
        "server": {"kind": "uvicorn"},
        "handler": {"route": "async_def", "db_pool": 3,
            "steps": [{"kind": "await_io", "duration": constant(5.0), "hold_connection": true}],
            "background": [{"route": "def", "steps": [{"kind": "blocking_io", "duration": constant(5.0), "hold_connection": true}]}]},
        "load": two_tabs()}));
    assert!(g.python.contains("db_pool = threading.BoundedSemaphore(3)"));
    assert!(g
        .python
        .contains("await asyncio.to_thread(db_pool.acquire)"));

    // Heavy tails get loopsim's one-hour cap.
    let g = gen(json!({"version": 1,
        "server": {"kind": "uvicorn"},
        "handler": {"route": "async_def", "steps": [
            {"kind": "await_io", "duration": {"dist": "exponential", "mean_ms": 600000}},
            {"kind": "await_io", "duration": {"dist": "lognormal", "median_ms": 60000, "sigma": 2}}]},
        "load": two_tabs()}));
    assert!(g.python.contains("min(random.expovariate(1 / 600), 3600)"));
    assert!(g
        .python
        .contains("min(random.lognormvariate(math.log(60), 2), 3600)"));
}

#[test]
fn load_commands() {
    let steps = json!([]);
    let base = |load: Value| json!({"version": 1, "server": {"kind": "uvicorn"}, "handler": {"route": "async_def", "steps": steps}, "load": load});
    let g = gen(base(
        json!({"kind": "closed", "requests": 100, "concurrency": 10, "keep_alive": true, "timeout_ms": 1500}),
    ));
    assert_eq!(
        g.load_command,
        "ab -n 100 -c 10 -k -s 2 http://127.0.0.1:8000/"
    );
    let g = gen(base(
        json!({"kind": "closed", "requests": 100, "concurrency": 10}),
    ));
    assert_eq!(g.load_command, "ab -n 100 -c 10 http://127.0.0.1:8000/");
    let g = gen(base(
        json!({"kind": "burst", "clients": 1, "timeout_ms": 500}),
    ));
    assert_eq!(
        g.load_command,
        "curl -s -w ' %{time_total} s\\n' -m 0.5 http://127.0.0.1:8000/"
    );
    let g = gen(base(json!({"kind": "burst", "clients": 60})));
    assert!(g.load_command.contains("OFFSETS = [0] * 60"));
    assert!(g.load_command.contains("urllib.request.urlopen"));
    let g = gen(base(json!({"kind": "burst", "offsets_ms": [0, 250, 1000]})));
    assert!(g.load_command.contains("OFFSETS = [0, 0.25, 1]"));
    let g = gen(base(
        json!({"kind": "burst", "clients": 5, "interval_ms": 100}),
    ));
    assert!(g
        .load_command
        .contains("OFFSETS = [i * 0.1 for i in range(5)]"));
    let g = gen(base(
        json!({"kind": "open", "rate_per_s": 50, "duration_s": 10, "timeout_ms": 2000}),
    ));
    assert!(g.load_command.contains("RATE = 50"));
    assert!(g.load_command.contains("DURATION = 10"));
    assert!(g.load_command.contains("TIMEOUT = 2"));
    assert!(g.load_command.contains("random.expovariate(RATE)"));
    assert!(g.load_command.contains("import httpx"));
    let g = gen(base(
        json!({"kind": "open", "rate_per_s": 50, "duration_s": 10, "arrivals": "fixed"}),
    ));
    assert!(g.load_command.contains("t += 1 / RATE"));
}

#[test]
fn invalid_scenarios_still_generate_valid_python() {
    // Combinations the validator rejects (and tiny durations that round to 0 s) must not panic
    // the generator nor produce broken Python.
    let sleep = |kind: &str, offload: &str| json!({"kind": kind, "duration": {"dist": "exponential", "mean_ms": 1e-9}, "offload": offload});
    let bad = [
        json!({"version": 1, "server": {"kind": "flask_dev"}, "handler": {"route": "async_def", "steps": [sleep("await_io", "none"), sleep("blocking_io", "threadpool")],
            "background": [{"route": "async_def", "steps": [sleep("await_io", "none")]}]}, "load": {"kind": "burst"}}),
        json!({"version": 1, "server": {"kind": "uvicorn"}, "handler": {"route": "def", "steps": [sleep("await_io", "process_pool"), sleep("cpu", "threadpool"),
            {"kind": "cpu", "duration": {"dist": "lognormal", "median_ms": 1e-9, "sigma": 1}, "hold_connection": true}]}, "load": {"kind": "burst", "clients": 3}}),
        json!({"version": 1, "server": {"kind": "waitress", "gil": false, "workers": 3}, "handler": {"route": "def", "steps": []}, "load": {"kind": "open", "rate_per_s": 1, "duration_s": 1}}),
    ];
    let dir = temp_dir("invalid");
    let mut items = Vec::new();
    for v in bad {
        let s: Scenario = serde_json::from_value(v).unwrap();
        assert!(s.validate().is_err());
        items.push((String::new(), generate(&s)));
    }
    assert!(items[2]
        .1
        .server_command
        .starts_with("PYTHON_GIL=0 python3.14t -c 'import sys; from waitress.runner import run; sys.exit(run())' --threads=4"));
    py_compile(&write_all(&dir, &items));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn generation_is_deterministic() {
    for p in PRESETS {
        assert_eq!(generate(&p.scenario()), generate(&p.scenario()));
    }
}

#[test]
fn collector_thresholds_compile_after_their_import() {
    let g = gen(json!({"version": 1,
        "server": {"kind": "flask_dev", "gc": {"objects_per_request": 100, "heap_objects": 1000,
                                              "ns_per_object": 1.0, "thresholds": [500, 20, 5]}},
        "handler": {"route": "def", "steps": [{"kind": "blocking_io", "duration": {"dist": "constant", "ms": 1.0}}]},
        "load": two_tabs()}));
    let py = &g.python;
    let (import, call) = (
        py.find("import gc\n"),
        py.find("gc.set_threshold(500, 20, 5)"),
    );
    assert!(
        matches!((import, call), (Some(i), Some(c)) if i < c),
        "{py}"
    );
    let dir = temp_dir("gc");
    py_compile(&write_all(&dir, &[("gc".to_string(), g)]));
}
