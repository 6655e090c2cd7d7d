//! Named scenarios: the seed experiments (the original "why does my FastAPI app answer the
//! second tab after 20 s?" question and its variants) and an ApacheBench comparison.

use crate::dist::Dist;
use crate::scenario::{
    Background, CpuSpeed, Handler, Load, Route, Scenario, Server, ServerKind, Step, StepKind,
    SCENARIO_VERSION,
};

pub struct Preset {
    pub name: &'static str,
    /// One line, for `loopsim presets`.
    pub summary: &'static str,
    /// Two lines: what it demonstrates and what to look for.
    pub explanation: &'static str,
    build: fn() -> Scenario,
}

impl Preset {
    pub fn scenario(&self) -> Scenario {
        let mut s = (self.build)();
        s.name = Some(self.name.to_string());
        s.description = Some(self.summary.to_string());
        s
    }
}

/// ab's per-request CPU for a hello-world app is the server's `costs` plus the framework
/// overhead (see `ServerKind::defaults`); the hello-world handler has no steps of its own.
pub const AB_REQUESTS: u32 = 5000;
pub const AB_CONCURRENCY: u32 = 500;
/// ab's default timeout (`-s 30`).
pub const AB_TIMEOUT_MS: f64 = 30_000.0;
/// The seed question's duration.
pub const SLEEP_MS: f64 = 10_000.0;

fn scenario(server: Server, handler: Handler, load: Load) -> Scenario {
    Scenario {
        version: SCENARIO_VERSION,
        name: None,
        description: None,
        seed: 1,
        server,
        handler,
        load,
    }
}

fn two_tabs() -> Load {
    Load::Burst {
        clients: Some(2),
        interval_ms: 0.0,
        offsets_ms: None,
        client_cpu_us: None,
        client_send_us: None,
        client_cold_us: None,
        client_cold_send_us: None,
        timeout_ms: None,
    }
}

fn handler(route: Route, steps: Vec<Step>) -> Handler {
    Handler {
        route,
        overhead: None,
        steps,
        background: Vec::new(),
        db_pool: None,
    }
}

fn time_sleep() -> Step {
    Step::new(StepKind::BlockingIo, Dist::constant_ms(SLEEP_MS))
        .labelled("time.sleep(10)")
        .logging("Sleeping for 10", "Awake")
}

fn cpu_loop() -> Step {
    Step::new(StepKind::Cpu, Dist::constant_ms(SLEEP_MS))
        .labelled("pure-Python loop (10 s of CPU)")
        .logging("Computing", "Done")
}

fn ab(kind: ServerKind, workers: Option<u32>, route: Route) -> Scenario {
    let mut server = Server::new(kind);
    server.workers = workers;
    server.cores = Some(4);
    scenario(
        server,
        handler(route, Vec::new()),
        Load::Closed {
            requests: AB_REQUESTS,
            concurrency: AB_CONCURRENCY,
            keep_alive: false,
            timeout_ms: Some(AB_TIMEOUT_MS),
            client_cpu_us: None,
            client_send_us: None,
            client_cold_us: None,
            client_cold_send_us: None,
        },
    )
}

pub static PRESETS: &[Preset] = &[
    Preset {
        name: "fastapi-async-time-sleep",
        summary: "async def + time.sleep(10), two tabs at once: 10 s and 20 s",
        explanation: "time.sleep blocks the event loop's only thread, so the second request cannot even start until the first is done.\nWatch the event-loop lane: blocked for 20 s, and the second request queued behind it.",
        build: || scenario(Server::new(ServerKind::Uvicorn), handler(Route::AsyncDef, vec![time_sleep()]), two_tabs()),
    },
    Preset {
        name: "fastapi-async-asyncio-sleep",
        summary: "async def + await asyncio.sleep(10), two tabs: both in 10 s",
        explanation: "await suspends the task and gives the loop back, so both requests sleep at the same time.\nThe loop lane is idle almost all the time: waiting costs nothing.",
        build: || {
            let step = Step::new(StepKind::AwaitIo, Dist::constant_ms(SLEEP_MS))
                .labelled("await asyncio.sleep(10)")
                .logging("Sleeping for 10", "Awake");
            scenario(Server::new(ServerKind::Uvicorn), handler(Route::AsyncDef, vec![step]), two_tabs())
        },
    },
    Preset {
        name: "fastapi-def-time-sleep",
        summary: "def + time.sleep(10), two tabs: both in 10 s (threadpool)",
        explanation: "FastAPI runs a plain def route in its threadpool (40 tokens), so two blocking sleeps run side by side.\nThe loop stays free; two threadpool lanes are blocked at once.",
        build: || scenario(Server::new(ServerKind::Uvicorn), handler(Route::Def, vec![time_sleep()]), two_tabs()),
    },
    Preset {
        name: "flask-threaded-time-sleep",
        summary: "Flask dev server + time.sleep(10), two tabs: both in 10 s",
        explanation: "werkzeug starts a thread per connection (threaded=True), so the sleeps overlap, as in the original question.\nEach connection gets its own lane.",
        build: || scenario(Server::new(ServerKind::FlaskDev), handler(Route::Def, vec![time_sleep()]), two_tabs()),
    },
    Preset {
        name: "fastapi-background-task",
        summary: "async def scheduling a sync 10 s BackgroundTask: answers at once",
        explanation: "The response goes out first; the sync task then runs in the threadpool, so the loop stays responsive.\nLatencies are milliseconds while two threadpool lanes sleep for 10 s.",
        build: || {
            let mut h = handler(Route::AsyncDef, Vec::new());
            h.background = vec![Background { route: Route::Def, steps: vec![time_sleep()] }];
            scenario(Server::new(ServerKind::Uvicorn), h, two_tabs())
        },
    },
    Preset {
        name: "fastapi-def-cpu-bound",
        summary: "def + 10 s of pure-Python CPU, two tabs: both ≈ 20 s (GIL)",
        explanation: "Threads run Python one at a time under the GIL, swapping every 5 ms, so two CPU-bound requests share one core's worth.\nBoth finish near 20 s; turn the GIL off (free-threaded) and both finish at 10 s.",
        build: || scenario(Server::new(ServerKind::Uvicorn), handler(Route::Def, vec![cpu_loop()]), two_tabs()),
    },
    Preset {
        name: "fastapi-async-cpu-bound",
        summary: "async def + 10 s of pure-Python CPU, two tabs: 10 s and 20 s",
        explanation: "CPU work inside async def holds the loop as time.sleep does: the second request waits for the first.\nSame total time as the def version, but the first request finishes at 10 s.",
        build: || scenario(Server::new(ServerKind::Uvicorn), handler(Route::AsyncDef, vec![cpu_loop()]), two_tabs()),
    },
    Preset {
        name: "ab-flask-dev",
        summary: "ab -n 5000 -c 500 on Flask's dev server (backlog 128: SYN drops, 1 s/3 s tails)",
        explanation: "werkzeug listens with a backlog of 128; 500 connections overflow it and dropped SYNs come back 1, 3, 7 s later.\nLook at the Connect column and the long tail.",
        build: || ab(ServerKind::FlaskDev, None, Route::Def),
    },
    Preset {
        name: "ab-uvicorn",
        summary: "ab -n 5000 -c 500 on uvicorn, 1 worker, async def hello world",
        explanation: "One event loop on one core does all the work; the other three cores idle.\nThroughput is one core's worth of per-request CPU.",
        build: || ab(ServerKind::Uvicorn, None, Route::AsyncDef),
    },
    Preset {
        name: "ab-uvicorn-noisy-host",
        summary: "ab -n 5000 -c 500 on uvicorn, 1 worker, on a VM whose CPU speed varies: the tail",
        explanation: "The ab-uvicorn run on a shared VM: each core is fast for a while, then slow (measured on one: sigma 0.05–0.22, held tens of ms).\nThe costs are the same on average; requests queued at a slow moment wait longer, so the longest take ~1.1 × the median where ab-uvicorn has none.",
        build: || {
            let mut s = ab(ServerKind::Uvicorn, None, Route::AsyncDef);
            s.server.cpu_speed = Some(CpuSpeed {
                sigma: 0.15,
                hold_ms: 40.0,
            });
            s
        },
    },
    Preset {
        name: "ab-uvicorn-4-workers",
        summary: "ab -n 5000 -c 500 on uvicorn --workers 4",
        explanation: "Four processes, four loops, four GILs: four cores' worth of throughput.\nEach idle worker takes a batch of up to 100 connections when it wakes.",
        build: || ab(ServerKind::Uvicorn, Some(4), Route::AsyncDef),
    },
    Preset {
        name: "ab-gunicorn-4-uvicorn-workers",
        summary: "ab -n 5000 -c 500 on gunicorn -w 4 -k uvicorn.workers.UvicornWorker",
        explanation: "The same runtime as uvicorn --workers 4, plus gunicorn's 30 s worker timeout.\nCompare with ab-uvicorn-4-workers: the numbers match.",
        build: || ab(ServerKind::GunicornUvicorn, Some(4), Route::AsyncDef),
    },
    Preset {
        name: "ab-waitress",
        summary: "ab -n 5000 -c 500 on waitress (4 threads, connection_limit 100)",
        explanation: "One I/O thread accepts, parses and writes for everyone, and four app threads share the GIL.\nOnly 100 connections are open at a time; the rest wait in the backlog.",
        build: || ab(ServerKind::Waitress, None, Route::Def),
    },
];

pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    PRESETS.iter().map(|p| p.name)
}
