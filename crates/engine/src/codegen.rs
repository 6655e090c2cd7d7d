//! The Python code and command lines a scenario corresponds to: the app (FastAPI for the ASGI
//! servers, Flask for the WSGI ones), the command that serves it with the scenario's settings,
//! and the command (or client script) that sends the scenario's load.
//!
//! Each step becomes code that does what loopsim simulates:
//!
//! | step | in `async def` | in `def` (a thread) |
//! |---|---|---|
//! | `cpu` | `burn(x)`: a pure-Python busy loop for x seconds (blocks the loop) | `burn(x)` |
//! | `blocking_io` | `time.sleep(x)` (blocks the loop) | `time.sleep(x)` |
//! | `await_io` | `await asyncio.sleep(x)` | — (not valid) |
//! | offload `threadpool` | `await run_in_threadpool(time.sleep / burn, x)` | — (not valid) |
//! | offload `process_pool` | `await loop.run_in_executor(process_pool, time.sleep / burn, x)` | `process_pool.submit(time.sleep / burn, x).result()` |
//!
//! Durations are in seconds. Random ones use Python's `random` module with the scenario's
//! parameters: `uniform` → `random.uniform(min, max)`; `exponential` →
//! `random.expovariate(1 / mean)`; `lognormal` → `random.lognormvariate(math.log(median), sigma)`
//! (the median of a log-normal is e^μ). loopsim caps every sample at one hour; the code adds
//! `min(…, 3600)` only where the cap has a non-negligible chance (> 10⁻⁹) of mattering.
//!
//! Steps with `hold_connection` run inside `with db_pool:` (a `threading.BoundedSemaphore`) or
//! `async with db_pool:` (an `asyncio.Semaphore`) that stands for the database pool; when both
//! threads and the loop hold connections, it is a `threading.BoundedSemaphore` that `async`
//! code acquires through `asyncio.to_thread` (so the wait does not block the loop). `log_before`
//! / `log_after` become `print(..., flush=True)`; labels become comments.
//!
//! Not code: the server's own CPU per connection and request (`server.costs`) and the
//! framework's per-request overhead (`handler.overhead`): the real server and framework spend
//! those themselves. The header comment says so, with the values.
//!
//! Server settings go on the command line where the server has a flag: workers (`--workers` /
//! `-w`), threads (`--threads`), the backlog (`--backlog`, when not the server's default),
//! gunicorn's `--timeout` (when not 30 s), gthread's `--worker-connections` and waitress's
//! `--connection-limit` (when not their defaults), keep-alive off (`--timeout-keep-alive 0` /
//! `--keep-alive 0`). Settings without a flag become code: threadpool tokens ≠ 40 set
//! `total_tokens` in a lifespan hook, `switch_interval_ms` calls `sys.setswitchinterval`,
//! collector thresholds other than CPython's call `gc.set_threshold` (`gc.disable()` for 0), the
//! werkzeug backlog and HTTP/1.1 keep-alive are class attributes set at import; the process
//! pool's size is `ProcessPoolExecutor(max_workers=…)`. A free-threaded run (`gil: false`) is
//! served by `PYTHON_GIL=0 python3.14t -m …` (waitress, which has no `__main__`, through `-c`).
//! The rest (cores, restart time, a connection limit the server has no flag for) is said in a
//! comment.
//!
//! Ports are the servers' defaults: uvicorn and gunicorn 8000, Flask's dev server 5000,
//! waitress 8080 (see [`port`]). The load: a closed load is `ab -n N -c C [-k] [-s S] URL`
//! (`-s` is ab's socket timeout in whole seconds, the scenario's `timeout_ms` rounded up; with
//! no `timeout_ms` the flag is left out and ab's own 30 s default applies); one or two clients
//! sent at once are a `curl … & curl … & wait` one-liner; other bursts are a Python script with a
//! thread per client (standard library `urllib`); an open load is an asyncio + httpx script
//! that starts a new client on a fresh connection at each (Poisson or fixed) arrival.

use std::fmt::Write;

use crate::dist::{fmt_ms, Dist, MAX_SAMPLE_MS};
use crate::scenario::{
    Arrivals, Background, Load, Offload, Route, Scenario, ServerConfig, ServerKind, Step, StepKind,
};
use crate::time::to_ms;

/// What a scenario corresponds to in real code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    /// `main.py` (FastAPI) or `app.py` (Flask).
    pub filename: &'static str,
    /// A complete Python module.
    pub python: String,
    /// The pip packages the app and its server need.
    pub requirements: Vec<&'static str>,
    /// The shell command that serves the app with the scenario's settings.
    pub server_command: String,
    /// The shell command (ab, curl) or Python client script that sends the scenario's load.
    pub load_command: String,
}

/// The port each server listens on by default.
pub fn port(kind: ServerKind) -> u16 {
    match kind {
        ServerKind::Uvicorn
        | ServerKind::GunicornUvicorn
        | ServerKind::GunicornSync
        | ServerKind::GunicornGthread => 8000,
        ServerKind::FlaskDev => 5000,
        ServerKind::Waitress => 8080,
    }
}

/// The URL the load is sent to.
pub fn url(kind: ServerKind) -> String {
    format!("http://127.0.0.1:{}/", port(kind))
}

/// AnyIO's default number of threadpool tokens.
const ANYIO_TOKENS: u32 = 40;
/// gunicorn's default worker timeout (s).
const GUNICORN_TIMEOUT_S: f64 = 30.0;
/// werkzeug's listen backlog (`LISTEN_QUEUE`).
const WERKZEUG_BACKLOG: u32 = 128;
/// CPython's default switch interval (ms).
const SWITCH_INTERVAL_MS: f64 = 5.0;
/// The one-hour cap on samples, in seconds.
const CAP_S: f64 = MAX_SAMPLE_MS / 1000.0;

/// The code, server command and load command for a scenario. Never panics, even for a scenario
/// that does not validate (invalid combinations become the nearest valid code, with a comment).
pub fn generate(s: &Scenario) -> Generated {
    let cfg = s.server.resolve();
    let asgi = s.server.kind.is_asgi();
    let filename = if asgi { "main.py" } else { "app.py" };
    let module = if asgi { "main" } else { "app" };
    let server_command = server_command(s, &cfg, module);
    let load_command = load_command(s);
    let requirements = requirements(s.server.kind);
    let python = python(
        s,
        &cfg,
        &Commands {
            filename,
            server: &server_command,
            load: &load_command,
            requirements: &requirements,
        },
    );
    Generated {
        filename,
        python,
        requirements,
        server_command,
        load_command,
    }
}

fn requirements(kind: ServerKind) -> Vec<&'static str> {
    match kind {
        ServerKind::Uvicorn => vec!["fastapi", "uvicorn"],
        ServerKind::GunicornUvicorn => vec!["fastapi", "uvicorn", "gunicorn"],
        ServerKind::GunicornSync | ServerKind::GunicornGthread => vec!["flask", "gunicorn"],
        ServerKind::FlaskDev => vec!["flask"],
        ServerKind::Waitress => vec!["flask", "waitress"],
    }
}

// ---- numbers ----

/// Seconds as a Python literal: `10`, `0.25`, `0.00015` (to the nanosecond, no exponent).
fn secs(ms: f64) -> String {
    num(ms / 1000.0)
}

/// A non-negative number as a short Python literal.
fn num(x: f64) -> String {
    let x = if x.is_finite() { x.max(0.0) } else { 0.0 };
    let s = format!("{x:.9}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// A duration as a Python expression in seconds.
fn duration(d: &Dist, n: &mut Needs) -> String {
    match *d {
        Dist::Constant { ms } => secs(ms),
        Dist::Uniform { min_ms, max_ms } => {
            if min_ms >= max_ms {
                secs(min_ms)
            } else {
                n.random = true;
                format!("random.uniform({}, {})", secs(min_ms), secs(max_ms))
            }
        }
        Dist::Exponential { mean_ms } => {
            // Below a nanosecond the literal is 0: no division by zero.
            let mean = secs(mean_ms);
            if mean == "0" {
                return mean;
            }
            n.random = true;
            let e = format!("random.expovariate(1 / {mean})");
            // P(X > cap) = exp(-cap / mean) > 1e-9  ⇔  cap / mean < ln(1e9) ≈ 20.7.
            if CAP_S / (mean_ms / 1000.0) < 20.7 {
                format!("min({e}, {})", num(CAP_S))
            } else {
                e
            }
        }
        Dist::Lognormal { median_ms, sigma } => {
            // Below a nanosecond the literal is 0: no log(0).
            let median = secs(median_ms);
            if median == "0" || sigma <= 0.0 {
                return median;
            }
            n.random = true;
            n.math = true;
            let e = format!("random.lognormvariate(math.log({median}), {})", num(sigma));
            // P(X > cap) > 1e-9  ⇔  ln(cap / median) / sigma < 6.
            if (CAP_S / (median_ms / 1000.0)).ln() / sigma < 6.0 {
                format!("min({e}, {})", num(CAP_S))
            } else {
                e
            }
        }
    }
}

// ---- text ----

/// Text made safe for a `#` comment: no line breaks or other control characters.
fn comment_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A Python string literal (a JSON string is one: same escapes, UTF-8 source).
fn py_str(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serialises")
}

/// Joins words that [`Py::para`] must not split across lines (a number and its unit).
const NBSP: char = '\u{a0}';

/// A duration for prose comments: `60 µs`, kept on one line.
fn dur_text(ms: f64) -> String {
    fmt_ms(ms).replace(' ', &NBSP.to_string())
}

/// `1 connection`, `3 connections`.
fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Comments are wrapped at this many columns.
const WIDTH: usize = 99;

/// Lines of Python at an indentation level.
#[derive(Default)]
struct Py {
    out: String,
    indent: usize,
}

impl Py {
    fn line(&mut self, text: &str) {
        if !text.is_empty() {
            for _ in 0..self.indent {
                self.out.push_str("    ");
            }
            self.out.push_str(text);
        }
        self.out.push('\n');
    }

    fn comment(&mut self, text: &str) {
        self.line(&format!("# {}", comment_text(text).replace(NBSP, " ")));
    }

    /// A comment wrapped at [`WIDTH`] columns (words longer than a line stay whole).
    fn para(&mut self, text: &str) {
        let width = WIDTH.saturating_sub(self.indent * 4 + 2).max(40);
        let text = comment_text(text);
        let mut line = String::new();
        let flush = |py: &mut Py, line: &mut String| {
            py.comment(line);
            line.clear();
        };
        for word in text.split(' ').filter(|w| !w.is_empty()) {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                flush(self, &mut line);
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            flush(self, &mut line);
        }
    }

    fn blank(&mut self) {
        self.out.push('\n');
    }
}

// ---- the app ----

/// Where code runs: on the event loop (`async def`) or on a thread (`def`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    Async,
    Thread,
}

/// How `db_pool` is implemented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DbMode {
    None,
    /// Only `async def` code holds connections: `asyncio.Semaphore`.
    Async,
    /// Only threads hold connections: `threading.BoundedSemaphore`.
    Thread,
    /// Both: `threading.BoundedSemaphore`, acquired from async code via `asyncio.to_thread`.
    Mixed,
}

/// What the module needs to import and define.
#[derive(Default)]
struct Needs {
    time: bool,
    asyncio: bool,
    random: bool,
    math: bool,
    burn: bool,
    threadpool: bool,
    process_pool: bool,
    /// The current function needs `loop = asyncio.get_running_loop()`.
    loop_var: bool,
}

fn route_ctx(s: &Scenario) -> Ctx {
    if s.server.kind.is_asgi() && s.handler.route == Route::AsyncDef {
        Ctx::Async
    } else {
        Ctx::Thread
    }
}

fn task_ctx(route: Route) -> Ctx {
    match route {
        Route::AsyncDef => Ctx::Async,
        Route::Def => Ctx::Thread,
    }
}

fn db_mode(s: &Scenario) -> DbMode {
    let holds = |steps: &[Step]| steps.iter().any(|x| x.hold_connection);
    let mut ctxs = Vec::new();
    if holds(&s.handler.steps) {
        ctxs.push(route_ctx(s));
    }
    if s.server.kind.is_asgi() {
        for b in &s.handler.background {
            if holds(&b.steps) {
                ctxs.push(task_ctx(b.route));
            }
        }
    }
    let a = ctxs.contains(&Ctx::Async);
    let t = ctxs.contains(&Ctx::Thread);
    match (a, t) {
        (false, false) => DbMode::None,
        (true, false) => DbMode::Async,
        (false, true) => DbMode::Thread,
        (true, true) => DbMode::Mixed,
    }
}

/// The statement a step becomes, and a note on what it does to the loop.
fn step_code(step: &Step, ctx: Ctx, n: &mut Needs) -> (String, Option<&'static str>) {
    let x = duration(&step.duration, n);
    let target = |n: &mut Needs| match step.kind {
        StepKind::Cpu => {
            n.burn = true;
            "burn"
        }
        _ => {
            n.time = true;
            "time.sleep"
        }
    };
    match (step.offload, ctx) {
        (Offload::ProcessPool, _) if step.kind != StepKind::AwaitIo => {
            n.process_pool = true;
            let f = target(n);
            match ctx {
                Ctx::Async => {
                    n.loop_var = true;
                    (
                        format!("await loop.run_in_executor(process_pool, {f}, {x})"),
                        None,
                    )
                }
                Ctx::Thread => (
                    format!("process_pool.submit({f}, {x}).result()"),
                    Some("waits, blocked, for the pool process"),
                ),
            }
        }
        (Offload::Threadpool, Ctx::Async) if step.kind != StepKind::AwaitIo => {
            n.threadpool = true;
            let f = target(n);
            (format!("await run_in_threadpool({f}, {x})"), None)
        }
        _ => match (step.kind, ctx) {
            (StepKind::AwaitIo, Ctx::Async) => {
                n.asyncio = true;
                (format!("await asyncio.sleep({x})"), None)
            }
            (StepKind::AwaitIo, Ctx::Thread) => {
                n.time = true;
                (
                    format!("time.sleep({x})"),
                    Some("`await` needs an `async def`; in a thread this is a blocking call"),
                )
            }
            (StepKind::Cpu, _) => {
                n.burn = true;
                (
                    format!("burn({x})"),
                    (ctx == Ctx::Async).then_some("CPU work on the event loop: blocks it"),
                )
            }
            (StepKind::BlockingIo, _) => {
                n.time = true;
                (
                    format!("time.sleep({x})"),
                    (ctx == Ctx::Async).then_some("a blocking call in async def: blocks the loop"),
                )
            }
        },
    }
}

fn one_step(py: &mut Py, step: &Step, ctx: Ctx, n: &mut Needs) {
    let (code, note) = step_code(step, ctx, n);
    if let Some(l) = &step.label {
        if l.trim() != code {
            py.comment(l);
        }
    }
    if let Some(t) = &step.log_before {
        py.line(&format!("print({}, flush=True)", py_str(t)));
    }
    match note {
        Some(note) => py.line(&format!("{code}  # {note}")),
        None => py.line(&code),
    }
    if let Some(t) = &step.log_after {
        py.line(&format!("print({}, flush=True)", py_str(t)));
    }
}

/// A list of steps, with the `db_pool` connection held from the first `hold_connection` step to
/// the last.
fn steps(py: &mut Py, list: &[Step], ctx: Ctx, db: DbMode, n: &mut Needs) {
    let first = list.iter().position(|x| x.hold_connection);
    let last = list.iter().rposition(|x| x.hold_connection);
    let (Some(first), Some(last), true) = (first, last, db != DbMode::None) else {
        for st in list {
            one_step(py, st, ctx, n);
        }
        return;
    };
    for st in &list[..first] {
        one_step(py, st, ctx, n);
    }
    let held = &list[first..=last];
    match (ctx, db) {
        (Ctx::Async, DbMode::Mixed) => {
            n.asyncio = true;
            py.line(
                "await asyncio.to_thread(db_pool.acquire)  # a DB connection, awaited off the loop",
            );
            py.line("try:");
            py.indent += 1;
            for st in held {
                one_step(py, st, ctx, n);
            }
            py.indent -= 1;
            py.line("finally:");
            py.line("    db_pool.release()");
        }
        (Ctx::Async, _) => {
            py.line("async with db_pool:  # a DB connection from the pool");
            py.indent += 1;
            for st in held {
                one_step(py, st, ctx, n);
            }
            py.indent -= 1;
        }
        (Ctx::Thread, _) => {
            py.line("with db_pool:  # a DB connection from the pool");
            py.indent += 1;
            for st in held {
                one_step(py, st, ctx, n);
            }
            py.indent -= 1;
        }
    }
    for st in &list[last + 1..] {
        one_step(py, st, ctx, n);
    }
}

/// A function: `def`/`async def` line, then the body (with `loop = …` first when needed).
fn function(
    py: &mut Py,
    header: &str,
    ctx: Ctx,
    n: &mut Needs,
    body: impl FnOnce(&mut Py, &mut Needs),
) {
    let mut inner = Py {
        out: String::new(),
        indent: py.indent + 1,
    };
    n.loop_var = false;
    body(&mut inner, n);
    py.line(header);
    if n.loop_var && ctx == Ctx::Async {
        py.indent += 1;
        py.line("loop = asyncio.get_running_loop()");
        py.indent -= 1;
        n.asyncio = true;
    }
    n.loop_var = false;
    if inner.out.is_empty() {
        inner.line("pass");
    }
    py.out.push_str(&inner.out);
}

fn describe_load(load: &Load) -> String {
    match load {
        Load::Closed {
            requests,
            concurrency,
            keep_alive,
            timeout_ms,
            ..
        } => {
            let mut d = format!(
                "closed loop (ApacheBench): {requests} requests over {concurrency} connections"
            );
            if *keep_alive {
                d.push_str(", keep-alive");
            }
            if let Some(t) = timeout_ms {
                let _ = write!(d, ", client timeout {}", dur_text(*t));
            }
            d
        }
        Load::Open {
            rate_per_s,
            duration_s,
            arrivals,
            timeout_ms,
        } => {
            let mut d = format!(
                "open loop: {} new clients per second ({}) for {} s",
                num(*rate_per_s),
                match arrivals {
                    Arrivals::Poisson => "Poisson arrivals",
                    Arrivals::Fixed => "evenly spaced",
                },
                num(*duration_s)
            );
            if let Some(t) = timeout_ms {
                let _ = write!(d, ", client timeout {}", dur_text(*t));
            }
            d
        }
        Load::Burst {
            interval_ms,
            offsets_ms,
            timeout_ms,
            ..
        } => {
            let n = load.request_count();
            let clients = if n == 1 {
                "1 client".to_string()
            } else {
                format!("{n} clients")
            };
            let mut d = match offsets_ms {
                Some(o) if o.iter().any(|&x| x != 0.0) => {
                    let shown: Vec<String> = o.iter().take(8).map(|&x| num(x)).collect();
                    let more = if o.len() > 8 { ", …" } else { "" };
                    format!("{clients} at {} ms{more}", shown.join(", "))
                }
                None if *interval_ms > 0.0 && n > 1 => {
                    format!("{clients}, {} apart", dur_text(*interval_ms))
                }
                _ if n == 1 => "1 client".to_string(),
                _ => format!("{clients} at once"),
            };
            d.push_str(", one request each");
            if let Some(t) = timeout_ms {
                let _ = write!(d, ", client timeout {}", dur_text(*t));
            }
            d
        }
    }
}

/// The scenario as a Python module, built in parts: the functions first (they tell what the
/// module needs), then the header, imports and module-level setup in front of them.
struct App<'a> {
    s: &'a Scenario,
    cfg: &'a ServerConfig,
    kind: ServerKind,
    asgi: bool,
    db: DbMode,
    /// Background tasks (ASGI only: they are Starlette's).
    backgrounds: &'a [Background],
    /// Where the route's code runs.
    ctx: Ctx,
}

/// The commands the header quotes.
struct Commands<'a> {
    filename: &'a str,
    server: &'a str,
    load: &'a str,
    requirements: &'a [&'a str],
}

fn python(s: &Scenario, cfg: &ServerConfig, commands: &Commands) -> String {
    let asgi = s.server.kind.is_asgi();
    let app = App {
        s,
        cfg,
        kind: s.server.kind,
        asgi,
        db: if s.handler.db_pool.is_some() {
            db_mode(s)
        } else {
            DbMode::None
        },
        backgrounds: if asgi { &s.handler.background } else { &[] },
        ctx: route_ctx(s),
    };
    let mut n = Needs::default();
    let functions = app.functions(&mut n);
    if app.db == DbMode::Async {
        n.asyncio = true;
    }
    let mut py = Py::default();
    app.header(&mut py, &n, commands);
    py.blank();
    app.imports(&mut py, &n);
    app.setup(&mut py, &n);
    py.blank();
    py.blank();
    py.out.push_str(&functions);
    if app.kind == ServerKind::FlaskDev {
        py.blank();
        py.blank();
        py.line("if __name__ == \"__main__\":");
        py.line(&format!(
            "    app.run(port={}, threaded=True)  # the same server as `flask run`",
            port(app.kind)
        ));
    }
    py.out
}

impl App<'_> {
    /// The background tasks and the route.
    fn functions(&self, n: &mut Needs) -> String {
        let h = &self.s.handler;
        let mut py = Py::default();
        for (i, b) in self.backgrounds.iter().enumerate() {
            let ctx = task_ctx(b.route);
            py.para(&format!(
                "Background task {}: Starlette runs it after the response is sent, {}.",
                i + 1,
                match ctx {
                    Ctx::Async => "on the event loop",
                    Ctx::Thread => "in the threadpool (it is a `def`)",
                }
            ));
            let header = format!("{}def background_task_{}():", async_kw(ctx), i + 1);
            function(&mut py, &header, ctx, n, |py, n| {
                steps(py, &b.steps, ctx, self.db, n)
            });
            py.blank();
            py.blank();
        }
        if self.asgi {
            match h.route {
                Route::AsyncDef => py.para(
                    "An `async def` route runs on the event loop: until it reaches an `await`, no other request can run.",
                ),
                Route::Def => py.para(&format!(
                    "A `def` route: FastAPI runs it in its threadpool ({} tokens), so blocking calls do not block the event loop.",
                    self.cfg.threads
                )),
            }
            py.line("@app.get(\"/\")");
        } else {
            if h.route == Route::AsyncDef {
                py.para("The scenario asks for `async def`, which needs an ASGI server: a Flask view is a `def`.");
            }
            py.comment(match self.kind {
                ServerKind::FlaskDev => {
                    "werkzeug runs each connection's request on its own thread."
                }
                ServerKind::GunicornSync => {
                    "Each gunicorn sync worker runs one request at a time, on its only thread."
                }
                _ => "The view runs on one of the server's pool threads.",
            });
            py.line("@app.route(\"/\")");
        }
        let params = if self.backgrounds.is_empty() {
            ""
        } else {
            "background_tasks: BackgroundTasks"
        };
        let header = format!("{}def root({params}):", async_kw(self.ctx));
        function(&mut py, &header, self.ctx, n, |py, n| {
            steps(py, &h.steps, self.ctx, self.db, n);
            for i in 0..self.backgrounds.len() {
                py.line(&format!(
                    "background_tasks.add_task(background_task_{})",
                    i + 1
                ));
            }
            py.line("return {\"message\": \"Hello World\"}");
        });
        py.out
    }

    /// The header comment: the scenario, what loopsim simulated, the commands, what is not code.
    fn header(&self, py: &mut Py, n: &Needs, c: &Commands) {
        let (s, cfg, h) = (self.s, self.cfg, &self.s.handler);
        let name = s.name.as_deref().unwrap_or("(unnamed)");
        py.comment(&format!(
            "{}: generated by loopsim from the scenario \"{name}\"",
            c.filename
        ));
        if let Some(d) = &s.description {
            for l in d.lines() {
                py.comment(&format!("  {l}"));
            }
        }
        py.line("#");
        py.para(&format!(
            "What loopsim simulated: {}, {}, on {}, {}.",
            self.kind.title(),
            plural(cfg.workers as u64, "worker process", "worker processes"),
            plural(cfg.cores as u64, "core", "cores"),
            if cfg.gil {
                "with the GIL"
            } else {
                "free-threaded (no GIL)"
            }
        ));
        let mut settings = Vec::new();
        if let Some(m) = self.kind.threads_meaning() {
            settings.push(format!("{} {m}", cfg.threads));
        }
        settings.push(format!("listen backlog {}", cfg.backlog));
        settings.push(format!(
            "keep-alive {}",
            if cfg.keep_alive { "on" } else { "off" }
        ));
        if let Some(t) = cfg.worker_timeout {
            settings.push(format!("worker timeout {}", dur_text(to_ms(t))));
        }
        if let Some(l) = cfg.connection_limit {
            settings.push(format!("at most {l} open connections per worker"));
        }
        py.para(&format!("Settings: {}.", settings.join(", ")));
        let mut route = format!(
            "The route: `{}def`, {}",
            async_kw(self.ctx),
            plural(h.steps.len() as u64, "step", "steps")
        );
        if !self.backgrounds.is_empty() {
            let k = self.backgrounds.len() as u64;
            let _ = write!(
                route,
                ", {}",
                plural(k, "background task", "background tasks")
            );
        }
        if let Some(p) = h.db_pool {
            let _ = write!(route, ", a pool of {p} DB connections per worker");
        }
        py.para(&format!("{route}."));
        py.para(&format!("The load: {}.", describe_load(&s.load)));
        py.line("#");
        py.comment(&format!(
            "Install: pip install {}",
            c.requirements.join(" ")
        ));
        py.comment(&format!("Serve:   {}", c.server));
        if c.load.contains('\n') {
            py.comment("Load:    the client script load.py (the load command)");
        } else {
            py.comment(&format!("Load:    {}", c.load));
        }
        if cfg.cores > 1 || s.server.cores.is_some() {
            py.para(&format!(
                "(loopsim's machine has {}; on Linux, `taskset -c 0-{} <command>` gives the server as many.)",
                plural(cfg.cores as u64, "core", "cores"),
                cfg.cores - 1
            ));
        }
        py.line("#");
        let us = |ns: crate::time::Nanos| dur_text(to_ms(ns));
        let mut costs = format!(
            "accept {}, read & parse {}, write {}",
            us(cfg.accept),
            us(cfg.parse),
            us(cfg.respond)
        );
        if self.kind == ServerKind::FlaskDev {
            let _ = write!(costs, ", start a thread {}", us(cfg.spawn));
        }
        let overhead = match &h.overhead {
            Some(d) => d.describe(),
            None => dur_text(self.kind.defaults().framework_overhead_ms),
        };
        let framework = if self.asgi { "FastAPI" } else { "Flask" };
        py.para(&format!(
            "Not code: loopsim also charges the server's own CPU per request ({costs}) and {framework}'s overhead ({overhead}: routing, validation, serialisation); the real server and {framework} spend these themselves."
        ));
        if let (Some(ms), true) = (s.server.restart_ms, self.kind.is_gunicorn()) {
            py.para(&format!(
                "loopsim boots a killed worker's replacement in {} (gunicorn: however long the app takes to import).",
                dur_text(ms)
            ));
        }
        if n.random {
            py.para(
                "Random durations (seconds): uniform → random.uniform(min, max), exponential → random.expovariate(1 / mean), log-normal → random.lognormvariate(math.log(median), sigma); loopsim caps samples at one hour.",
            );
        }
        if !cfg.gil {
            py.para(
                "Free-threaded: loopsim ran this without a GIL; serve it with a free-threaded CPython (python3.14t), where PYTHON_GIL=0 keeps the GIL off even if an extension module asks for it.",
            );
        }
    }

    fn switch_interval(&self) -> Option<f64> {
        self.s
            .server
            .switch_interval_ms
            .filter(|&x| x != SWITCH_INTERVAL_MS)
    }

    /// `server.gc.thresholds` other than CPython's default.
    fn gc_thresholds(&self) -> Option<[u32; 3]> {
        self.cfg
            .gc
            .as_ref()
            .and_then(|g| g.thresholds)
            .filter(|&t| t != crate::scenario::GC_THRESHOLDS)
    }

    fn tokens(&self) -> Option<u32> {
        (self.asgi && self.cfg.threads != ANYIO_TOKENS).then_some(self.cfg.threads)
    }

    fn flask_backlog(&self) -> bool {
        self.kind == ServerKind::FlaskDev && self.cfg.backlog != WERKZEUG_BACKLOG
    }

    fn flask_keep_alive(&self) -> bool {
        self.kind == ServerKind::FlaskDev && self.cfg.keep_alive
    }

    /// Standard-library imports, then the framework's.
    fn imports(&self, py: &mut Py, n: &Needs) {
        let mut std: Vec<&str> = Vec::new();
        let wanted = [
            (n.asyncio, "import asyncio"),
            (n.math, "import math"),
            (n.random, "import random"),
            (self.gc_thresholds().is_some(), "import gc"),
            (self.switch_interval().is_some(), "import sys"),
            (
                matches!(self.db, DbMode::Thread | DbMode::Mixed),
                "import threading",
            ),
            (n.time || n.burn, "import time"),
            (
                n.process_pool,
                "from concurrent.futures import ProcessPoolExecutor",
            ),
            (
                self.tokens().is_some(),
                "from contextlib import asynccontextmanager",
            ),
        ];
        std.extend(wanted.iter().filter(|w| w.0).map(|w| w.1));
        for l in &std {
            py.line(l);
        }
        if !std.is_empty() {
            py.blank();
        }
        if self.asgi {
            if self.tokens().is_some() {
                py.line("import anyio.to_thread");
            }
            py.line(if self.backgrounds.is_empty() {
                "from fastapi import FastAPI"
            } else {
                "from fastapi import BackgroundTasks, FastAPI"
            });
            if n.threadpool {
                py.line("from starlette.concurrency import run_in_threadpool");
            }
        } else {
            py.line("from flask import Flask");
            let serving: Vec<&str> = [
                (self.flask_backlog(), "BaseWSGIServer"),
                (self.flask_keep_alive(), "WSGIRequestHandler"),
            ]
            .iter()
            .filter(|w| w.0)
            .map(|w| w.1)
            .collect();
            if !serving.is_empty() {
                py.line(&format!(
                    "from werkzeug.serving import {}",
                    serving.join(", ")
                ));
            }
        }
        py.blank();
    }

    /// Module-level settings, the app, the pools, `burn`.
    fn setup(&self, py: &mut Py, n: &Needs) {
        let cfg = self.cfg;
        if let Some([a, b, c]) = self.gc_thresholds() {
            py.line(&if a == 0 {
                "gc.disable()  # loopsim: server.gc.thresholds[0] = 0 (no automatic collection)"
                    .to_string()
            } else {
                format!("gc.set_threshold({a}, {b}, {c})  # loopsim: server.gc.thresholds (CPython's default is 700, 10, 10)")
            });
            py.blank();
        }
        if let Some(x) = self.switch_interval() {
            py.line(&format!(
                "sys.setswitchinterval({})  # loopsim: switch_interval_ms = {} (CPython's default is 5 ms)",
                secs(x),
                num(x)
            ));
            py.blank();
        }
        if self.flask_backlog() {
            py.comment(&format!(
                "werkzeug listens with a backlog of {WERKZEUG_BACKLOG}; loopsim simulated {}.",
                cfg.backlog
            ));
            py.line(&format!(
                "BaseWSGIServer.request_queue_size = {}",
                cfg.backlog
            ));
            py.blank();
        }
        if self.flask_keep_alive() {
            py.comment("werkzeug keeps connections open only when it speaks HTTP/1.1.");
            py.line("WSGIRequestHandler.protocol_version = \"HTTP/1.1\"");
            py.blank();
        }
        if let Some(t) = self.tokens() {
            py.blank();
            py.line("@asynccontextmanager");
            py.line("async def lifespan(app: FastAPI):");
            py.indent += 1;
            py.para(&format!(
                "loopsim simulated {t} threadpool tokens (AnyIO's default is {ANYIO_TOKENS}): at most {t} `def` routes, run_in_threadpool calls and sync background tasks at once, per worker."
            ));
            py.line(&format!(
                "anyio.to_thread.current_default_thread_limiter().total_tokens = {t}"
            ));
            py.line("yield");
            py.indent -= 1;
            py.blank();
            py.blank();
            py.line("app = FastAPI(lifespan=lifespan)");
        } else if self.asgi {
            py.line("app = FastAPI()");
        } else {
            py.line("app = Flask(__name__)");
        }
        if let Some(size) = self.s.handler.db_pool {
            py.blank();
            let what = format!(
                "db_pool stands for the database connection pool: {} per worker process.",
                plural(size as u64, "connection", "connections")
            );
            match self.db {
                DbMode::None => py.para(&format!("loopsim's {what} No step holds a connection.")),
                DbMode::Async => {
                    py.para(&what);
                    py.line(&format!("db_pool = asyncio.Semaphore({size})"));
                }
                DbMode::Thread => {
                    py.para(&what);
                    py.line(&format!("db_pool = threading.BoundedSemaphore({size})"));
                }
                DbMode::Mixed => {
                    py.para(&format!(
                        "{what} Threads and the event loop both use it: a thread-safe semaphore."
                    ));
                    py.line(&format!("db_pool = threading.BoundedSemaphore({size})"));
                }
            }
        }
        if n.process_pool {
            py.blank();
            py.para(&format!(
                "The pool for `process_pool` offloads: {} per worker, each with its own GIL.",
                plural(cfg.process_pool as u64, "process", "processes")
            ));
            py.line(&format!(
                "process_pool = ProcessPoolExecutor(max_workers={})",
                cfg.process_pool
            ));
        }
        if n.burn {
            py.blank();
            py.blank();
            py.line("def burn(seconds):");
            py.indent += 1;
            py.line("\"\"\"Pure-Python CPU work: about `seconds` of one core, holding the GIL.");
            py.blank();
            py.line(
                "A fixed amount of work, not a deadline: two threads sharing the GIL each take",
            );
            py.line(
                "twice as long, as loopsim shows. ITERATIONS_PER_SECOND is this loop's speed on",
            );
            py.line("loopsim's reference machine (validation/run.sh measures yours).");
            py.line("\"\"\"");
            py.line("x = 0");
            py.line("for _ in range(int(seconds * ITERATIONS_PER_SECOND)):");
            py.line("    x = (x * 31 + 7) % 1_000_003");
            py.line("return x");
            py.indent -= 1;
            py.blank();
            py.blank();
            py.line("ITERATIONS_PER_SECOND = 15_000_000");
        }
    }
}

fn async_kw(ctx: Ctx) -> &'static str {
    match ctx {
        Ctx::Async => "async ",
        Ctx::Thread => "",
    }
}

// ---- commands ----

fn server_command(s: &Scenario, cfg: &ServerConfig, module: &str) -> String {
    let kind = s.server.kind;
    let d = kind.defaults();
    let mut args: Vec<String> = Vec::new();
    let free = !cfg.gil;
    // The program, run with `python3.14t -m` on a free-threaded build.
    let (prog, pymod) = match kind {
        ServerKind::Uvicorn => ("uvicorn", "uvicorn"),
        ServerKind::GunicornUvicorn | ServerKind::GunicornSync | ServerKind::GunicornGthread => {
            ("gunicorn", "gunicorn")
        }
        ServerKind::FlaskDev => ("flask", "flask"),
        ServerKind::Waitress => ("waitress-serve", "waitress.runner"),
    };
    let target = format!("{module}:app");
    match kind {
        ServerKind::Uvicorn => {
            args.push(target.clone());
            if cfg.workers > 1 {
                args.push(format!("--workers {}", cfg.workers));
            }
            if cfg.backlog != d.backlog {
                args.push(format!("--backlog {}", cfg.backlog));
            }
            if !cfg.keep_alive {
                args.push("--timeout-keep-alive 0".to_string());
            }
        }
        ServerKind::GunicornUvicorn | ServerKind::GunicornSync | ServerKind::GunicornGthread => {
            args.push(format!("-w {}", cfg.workers));
            match kind {
                ServerKind::GunicornUvicorn => {
                    args.push("-k uvicorn.workers.UvicornWorker".to_string())
                }
                ServerKind::GunicornGthread => {
                    args.push("-k gthread".to_string());
                    args.push(format!("--threads {}", cfg.threads));
                    if cfg.connection_limit != d.connection_limit {
                        if let Some(c) = cfg.connection_limit {
                            args.push(format!("--worker-connections {c}"));
                        }
                    }
                }
                _ => {}
            }
            let timeout_s = match cfg.worker_timeout {
                Some(t) => crate::time::to_s(t),
                None => 0.0,
            };
            if timeout_s != GUNICORN_TIMEOUT_S {
                args.push(format!("--timeout {}", num(timeout_s.ceil())));
            }
            if cfg.backlog != d.backlog {
                args.push(format!("--backlog {}", cfg.backlog));
            }
            if !cfg.keep_alive && kind != ServerKind::GunicornSync {
                args.push("--keep-alive 0".to_string());
            }
            args.push(target.clone());
        }
        ServerKind::FlaskDev => {
            args.push(format!("--app {module} run --with-threads"));
        }
        ServerKind::Waitress => {
            args.push(format!("--threads={}", cfg.threads));
            if cfg.backlog != d.backlog {
                args.push(format!("--backlog={}", cfg.backlog));
            }
            if cfg.connection_limit != d.connection_limit {
                if let Some(c) = cfg.connection_limit {
                    args.push(format!("--connection-limit={c}"));
                }
            }
            args.push(target.clone());
        }
    }
    let head = match (free, kind) {
        // waitress has no `__main__`: call its runner (argv[0] is then "-c").
        (true, ServerKind::Waitress) => {
            "PYTHON_GIL=0 python3.14t -c 'import sys; from waitress.runner import run; sys.exit(run())'".to_string()
        }
        (true, _) => format!("PYTHON_GIL=0 python3.14t -m {pymod}"),
        (false, _) => prog.to_string(),
    };
    let mut cmd = format!("{head} {}", args.join(" "));
    // Settings with no command-line flag, said next to the command.
    let mut notes: Vec<String> = Vec::new();
    if s.server.connection_limit.is_some()
        && !matches!(kind, ServerKind::GunicornGthread | ServerKind::Waitress)
    {
        notes.push(format!(
            "loopsim stops accepting at {} open connections per worker: {} has no such flag",
            cfg.connection_limit.unwrap_or(0),
            kind.title()
        ));
    }
    if cfg.keep_alive && kind == ServerKind::GunicornSync {
        notes.push("gunicorn's sync workers always close the connection".to_string());
    }
    if !cfg.keep_alive && kind == ServerKind::Waitress {
        notes.push("waitress always honours keep-alive".to_string());
    }
    if kind == ServerKind::FlaskDev && (cfg.backlog != d.backlog || cfg.keep_alive) {
        notes.push("the backlog / HTTP/1.1 settings are in app.py".to_string());
    }
    if !notes.is_empty() {
        let _ = write!(cmd, "  # {}", comment_text(&notes.join("; ")));
    }
    cmd
}

fn load_command(s: &Scenario) -> String {
    let u = url(s.server.kind);
    match &s.load {
        Load::Closed {
            requests,
            concurrency,
            keep_alive,
            timeout_ms,
            ..
        } => {
            let mut c = format!("ab -n {requests} -c {concurrency}");
            if *keep_alive {
                c.push_str(" -k");
            }
            if let Some(t) = timeout_ms {
                let secs = (t / 1000.0).ceil().max(1.0);
                let _ = write!(c, " -s {}", num(secs));
            }
            let _ = write!(c, " {u}");
            c
        }
        Load::Burst { timeout_ms, .. } => {
            let offsets = s.load.burst_offsets();
            if offsets.len() <= 2 && offsets.iter().all(|&o| o == 0) {
                let mut one = "curl -s -w ' %{time_total} s\\n'".to_string();
                if let Some(t) = timeout_ms {
                    let _ = write!(one, " -m {}", secs(*t));
                }
                let _ = write!(one, " {u}");
                if offsets.len() == 1 {
                    one
                } else {
                    format!("{one} & {one} & wait")
                }
            } else {
                burst_script(s, &u)
            }
        }
        Load::Open {
            rate_per_s,
            duration_s,
            arrivals,
            timeout_ms,
        } => open_script(
            &u,
            *rate_per_s,
            *duration_s,
            *arrivals,
            *timeout_ms,
            &describe_load(&s.load),
        ),
    }
}

fn timeout_literal(t: Option<f64>) -> String {
    match t {
        Some(ms) => secs(ms),
        None => "None".to_string(),
    }
}

fn burst_script(s: &Scenario, u: &str) -> String {
    let Load::Burst {
        clients,
        interval_ms,
        offsets_ms,
        timeout_ms,
        ..
    } = &s.load
    else {
        unreachable!("burst_script needs a burst load")
    };
    let offsets = match offsets_ms {
        Some(o) => format!(
            "[{}]",
            o.iter().map(|&x| secs(x)).collect::<Vec<_>>().join(", ")
        ),
        None => {
            let n = clients.unwrap_or(1);
            if *interval_ms == 0.0 {
                format!("[0] * {n}")
            } else {
                format!("[i * {} for i in range({n})]", secs(*interval_ms))
            }
        }
    };
    let mut py = Py::default();
    py.comment(&format!(
        "load.py: loopsim's load, {}.",
        describe_load(&s.load)
    ));
    py.comment("Each client sends one request on its own connection. Run: python3 load.py (standard library only).");
    py.line("import threading");
    py.line("import time");
    py.line("import urllib.request");
    py.blank();
    py.line(&format!("URL = {}", py_str(u)));
    py.line(&format!(
        "OFFSETS = {offsets}  # when each client sends, in seconds"
    ));
    py.line(&format!(
        "TIMEOUT = {}  # seconds (a socket timeout), or None",
        timeout_literal(*timeout_ms)
    ));
    py.blank();
    py.blank();
    py.line("def client(i, offset):");
    py.line("    time.sleep(max(0.0, start + offset - time.perf_counter()))");
    py.line("    t0 = time.perf_counter()");
    py.line("    try:");
    py.line("        with urllib.request.urlopen(URL, timeout=TIMEOUT) as response:");
    py.line("            response.read()");
    py.line("        print(f\"client {i}: {time.perf_counter() - t0:.3f} s\", flush=True)");
    py.line("    except OSError as e:");
    py.line("        print(f\"client {i}: failed after {time.perf_counter() - t0:.3f} s ({e})\", flush=True)");
    py.blank();
    py.blank();
    py.line("start = time.perf_counter()");
    py.line(
        "threads = [threading.Thread(target=client, args=(i, o)) for i, o in enumerate(OFFSETS)]",
    );
    py.line("for t in threads:");
    py.line("    t.start()");
    py.line("for t in threads:");
    py.line("    t.join()");
    py.out
}

fn open_script(
    u: &str,
    rate: f64,
    duration_s: f64,
    arrivals: Arrivals,
    timeout_ms: Option<f64>,
    what: &str,
) -> String {
    let mut py = Py::default();
    py.comment(&format!("load.py: loopsim's load, {what}."));
    py.comment(
        "Each client sends one request on a new connection, whether or not earlier ones are done.",
    );
    py.comment("Run: pip install httpx; python3 load.py");
    py.line("import asyncio");
    if arrivals == Arrivals::Poisson {
        py.line("import random");
    }
    py.line("import time");
    py.blank();
    py.line("import httpx");
    py.blank();
    py.line(&format!("URL = {}", py_str(u)));
    py.line(&format!("RATE = {}  # new clients per second", num(rate)));
    py.line(&format!(
        "DURATION = {}  # seconds of arrivals",
        num(duration_s)
    ));
    py.line(&format!(
        "TIMEOUT = {}  # seconds per request, or None",
        timeout_literal(timeout_ms)
    ));
    py.blank();
    py.blank();
    py.line("async def client(http, i):");
    py.line("    t0 = time.perf_counter()");
    py.line("    try:");
    py.line("        r = await asyncio.wait_for(http.get(URL), TIMEOUT)");
    py.line("        print(f\"request {i}: {r.status_code} in {time.perf_counter() - t0:.3f} s\", flush=True)");
    py.line("    except (httpx.HTTPError, asyncio.TimeoutError) as e:");
    py.line("        print(f\"request {i}: failed after {time.perf_counter() - t0:.3f} s ({e!r})\", flush=True)");
    py.blank();
    py.blank();
    py.line("async def main():");
    py.line("    # No pooling: every client opens its own connection, as loopsim's clients do.");
    py.line("    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)");
    py.line("    async with httpx.AsyncClient(limits=limits, timeout=None) as http:");
    py.line("        tasks = []");
    py.line("        start = time.perf_counter()");
    py.line("        t = 0.0");
    py.line("        while t < DURATION:");
    py.line("            await asyncio.sleep(max(0.0, start + t - time.perf_counter()))");
    py.line("            tasks.append(asyncio.create_task(client(http, len(tasks))))");
    match arrivals {
        Arrivals::Poisson => {
            py.line("            t += random.expovariate(RATE)  # Poisson arrivals")
        }
        Arrivals::Fixed => py.line("            t += 1 / RATE  # evenly spaced arrivals"),
    }
    py.line("        await asyncio.gather(*tasks)");
    py.blank();
    py.blank();
    py.line("asyncio.run(main())");
    py.out
}
