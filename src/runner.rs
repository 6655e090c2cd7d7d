//! The seam between the page and the simulation: start and cancel runs, receive progress and
//! results as [`FromWorker`] messages. Normally the engine runs in a web worker; `in_page` (with
//! the cargo feature `in-page`, for component tests: it keeps the engine out of the page's
//! wasm otherwise) runs
//! it on the page itself in small slices (component tests, where no worker script is served).

use std::cell::Cell;
use std::rc::Rc;

use gloo_worker::{Spawnable, WorkerBridge};
use loopsim_engine::Scenario;
use yew::Callback;

use crate::protocol::{Detail, FromWorker, ToWorker};
#[cfg(feature = "in-page")]
use crate::run::ActiveRun;
use crate::worker::SimWorker;

/// A `performance.mark`, for measuring the page (browser benchmarks read them).
pub fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

/// Trunk's loader shim for the worker (`data-loader-shim`): it imports `worker.js` and starts
/// its wasm. Relative to the page's base URL (`<base data-trunk-public-url>`), so sub-paths
/// work; a plain script URL, so the Content-Security-Policy needs no `blob:` workers.
pub const WORKER_URL: &str = "worker_loader.js";

enum Inner {
    Worker(WorkerBridge<SimWorker>),
    InPage {
        current: Rc<Cell<u32>>,
        on_output: Callback<FromWorker>,
    },
}

#[derive(Clone)]
pub struct Runner(Rc<Inner>);

impl PartialEq for Runner {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Runner {
    pub fn worker(on_output: Callback<FromWorker>) -> Runner {
        let bridge = SimWorker::spawner()
            .callback(move |m| {
                if let FromWorker::Done { id, .. } = &m {
                    mark(&format!("loopsim:result:{id}"));
                }
                on_output.emit(m)
            })
            .as_module(false)
            .with_loader(true)
            .spawn(WORKER_URL);
        Runner(Rc::new(Inner::Worker(bridge)))
    }

    pub fn in_page(on_output: Callback<FromWorker>) -> Runner {
        Runner(Rc::new(Inner::InPage {
            current: Rc::new(Cell::new(u32::MAX)),
            on_output,
        }))
    }

    pub fn start(&self, id: u32, scenario: &Scenario, detail: Detail) {
        match &*self.0 {
            Inner::Worker(bridge) => bridge.send(ToWorker::Run {
                id,
                scenario: Box::new(scenario.clone()),
                detail,
            }),
            #[cfg(not(feature = "in-page"))]
            Inner::InPage { on_output, .. } => on_output.emit(FromWorker::Failed {
                id,
                message:
                    "this build runs simulations only in its web worker (feature `in-page` is off)"
                        .into(),
            }),
            #[cfg(feature = "in-page")]
            Inner::InPage { current, on_output } => {
                current.set(id);
                let (current, on_output, scenario) =
                    (current.clone(), on_output.clone(), scenario.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let mut run = match ActiveRun::new(id, &scenario, detail) {
                        Ok(run) => run,
                        Err(message) => return on_output.emit(FromWorker::Failed { id, message }),
                    };
                    let started = js_sys::Date::now();
                    loop {
                        if current.get() != id {
                            return;
                        }
                        let t0 = js_sys::Date::now();
                        let mut done = false;
                        while !done && js_sys::Date::now() - t0 < 8.0 {
                            done = run.step(2048);
                        }
                        let wall = js_sys::Date::now() - started;
                        if done {
                            return on_output.emit(FromWorker::Done {
                                id,
                                view: Box::new(run.finish(wall)),
                            });
                        }
                        on_output.emit(FromWorker::Progress {
                            id,
                            progress: run.progress(wall),
                        });
                        gloo_timers::future::TimeoutFuture::new(0).await;
                    }
                });
            }
        }
    }

    pub fn cancel(&self, id: u32) {
        match &*self.0 {
            Inner::Worker(bridge) => bridge.send(ToWorker::Cancel { id }),
            Inner::InPage { current, .. } => {
                if current.get() == id {
                    current.set(u32::MAX);
                }
            }
        }
    }
}
