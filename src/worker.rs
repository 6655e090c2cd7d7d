//! The simulation worker: runs [`ActiveRun`]s off the page's main thread, in slices of about
//! 25 ms, yielding between slices so that a new run or a cancel is seen at once. Built by Trunk
//! from `src/bin/worker.rs` as a classic (no-modules) worker.

use gloo_worker::{HandlerId, Worker, WorkerScope};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::protocol::{FromWorker, ToWorker};
use crate::run::ActiveRun;

/// Wall time per slice of simulation between yields.
const SLICE_MS: f64 = 25.0;
/// Minimum time between progress messages.
const PROGRESS_MS: f64 = 50.0;

struct Running {
    run: ActiveRun,
    who: HandlerId,
    started: f64,
    last_progress: f64,
    /// Events per `step` call, adapted so that a call takes a few ms.
    chunk: u64,
}

pub struct SimWorker {
    current: Option<Running>,
}

pub enum Msg {
    Continue(u32),
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// Resolves after the worker's event loop has had a turn (a MessageChannel round trip: no
/// timer clamping).
async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let Ok(channel) = web_sys::MessageChannel::new() else {
            let _ = resolve.call0(&JsValue::NULL);
            return;
        };
        let keep = channel.clone();
        let on_message = Closure::once_into_js(move || {
            let _ = &keep;
            let _ = resolve.call0(&JsValue::NULL);
        });
        channel
            .port1()
            .set_onmessage(Some(on_message.unchecked_ref()));
        let _ = channel.port2().post_message(&JsValue::NULL);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

impl Worker for SimWorker {
    type Message = Msg;
    type Input = ToWorker;
    type Output = FromWorker;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        SimWorker { current: None }
    }

    fn update(&mut self, scope: &WorkerScope<Self>, msg: Self::Message) {
        let Msg::Continue(id) = msg;
        let Some(r) = self.current.as_mut().filter(|r| r.run.id == id) else {
            return;
        };
        let t0 = now();
        let mut done = false;
        while !done && now() - t0 < SLICE_MS {
            let c0 = now();
            done = r.run.step(r.chunk);
            let took = now() - c0;
            if took < 2.0 {
                r.chunk = (r.chunk * 2).min(1 << 22);
            } else if took > 8.0 {
                r.chunk = (r.chunk / 2).max(256);
            }
        }
        if done {
            let r = self.current.take().expect("checked above");
            let view = r.run.finish(now() - r.started);
            scope.respond(
                r.who,
                FromWorker::Done {
                    id,
                    view: Box::new(view),
                },
            );
            return;
        }
        let t = now();
        if t - r.last_progress >= PROGRESS_MS {
            r.last_progress = t;
            scope.respond(
                r.who,
                FromWorker::Progress {
                    id,
                    progress: r.run.progress(t - r.started),
                },
            );
        }
        scope.send_future(async move {
            yield_now().await;
            Msg::Continue(id)
        });
    }

    fn received(&mut self, scope: &WorkerScope<Self>, msg: Self::Input, who: HandlerId) {
        match msg {
            ToWorker::Run {
                id,
                scenario,
                detail,
            } => match ActiveRun::new(id, &scenario, detail) {
                Ok(run) => {
                    let t = now();
                    scope.respond(
                        who,
                        FromWorker::Progress {
                            id,
                            progress: run.progress(0.0),
                        },
                    );
                    self.current = Some(Running {
                        run,
                        who,
                        started: t,
                        last_progress: t,
                        chunk: 4096,
                    });
                    scope.send_message(Msg::Continue(id));
                }
                Err(message) => {
                    self.current = None;
                    scope.respond(who, FromWorker::Failed { id, message });
                }
            },
            ToWorker::Cancel { id } => {
                if self.current.as_ref().is_some_and(|r| r.run.id == id) {
                    self.current = None;
                }
            }
        }
    }
}
