//! The scenario editor: preset, server, handler (steps, background tasks, pool) and load.
//! Every engine setting that changes results is here; errors from validation appear next to
//! the field they name.

use std::rc::Rc;

use loopsim_engine::dist::Dist;
use loopsim_engine::presets::PRESETS;
use loopsim_engine::scenario::{
    Arrivals, Load, Offload, Route, Scenario, ScenarioError, ServerKind, Step, StepKind,
    GC_THRESHOLDS,
};
use yew::prelude::*;

use super::fields::{CheckField, NumberField, SelectField, TextField};
use crate::editor::{
    client_cold_of, client_cpu_of, client_send_of, gc_full_due, load_kind, CostField, Edit, GcEdit,
    LoadEdit, LoadKind, SpeedEdit, StepEdit, Steps,
};

/// Validation errors, looked up by JSON path.
#[derive(Clone, PartialEq, Default)]
pub struct Errors(pub Rc<Vec<ScenarioError>>);

impl Errors {
    pub fn at(&self, path: &str) -> Option<AttrValue> {
        let msgs: Vec<&str> = self
            .0
            .iter()
            .filter(|e| e.path == path)
            .map(|e| e.message.as_str())
            .collect();
        (!msgs.is_empty()).then(|| msgs.join("; ").into())
    }
}

#[derive(Properties, PartialEq)]
pub struct ScenarioPanelProps {
    pub scenario: Rc<Scenario>,
    pub preset: Option<AttrValue>,
    pub errors: Errors,
    pub on_edit: Callback<Edit>,
    pub on_preset: Callback<String>,
}

fn opt_u32(cb: &Callback<Edit>, f: fn(Option<u32>) -> Edit) -> Callback<Option<f64>> {
    cb.reform(move |v: Option<f64>| f(v.map(|x| x as u32)))
}

fn gc_u32(cb: &Callback<Edit>, f: fn(u32) -> GcEdit) -> Callback<Option<f64>> {
    cb.reform(move |v: Option<f64>| Edit::Gc(f(v.unwrap_or(0.0) as u32)))
}

fn opt_f64(cb: &Callback<Edit>, f: fn(Option<f64>) -> Edit) -> Callback<Option<f64>> {
    cb.reform(f)
}

#[component]
pub fn ScenarioPanel(p: &ScenarioPanelProps) -> Html {
    html! {
        <section class="panel scenario-panel" aria-labelledby="scenario-heading">
            <h2 id="scenario-heading">{ "Scenario" }</h2>
            <PresetPicker preset={p.preset.clone()} on_preset={p.on_preset.clone()} />
            <ServerForm scenario={p.scenario.clone()} errors={p.errors.clone()} on_edit={p.on_edit.clone()} />
            <HandlerForm scenario={p.scenario.clone()} errors={p.errors.clone()} on_edit={p.on_edit.clone()} />
            <LoadForm scenario={p.scenario.clone()} errors={p.errors.clone()} on_edit={p.on_edit.clone()} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct PresetProps {
    preset: Option<AttrValue>,
    on_preset: Callback<String>,
}

#[component]
fn PresetPicker(p: &PresetProps) -> Html {
    let mut options: Vec<(AttrValue, AttrValue)> = vec![("".into(), "(edited scenario)".into())];
    options.extend(
        PRESETS
            .iter()
            .map(|x| (AttrValue::Static(x.name), AttrValue::Static(x.name))),
    );
    let current = p.preset.clone().unwrap_or_default();
    let explanation = PRESETS
        .iter()
        .find(|x| Some(x.name) == p.preset.as_deref())
        .map(|x| x.explanation);
    let on_change = {
        let on_preset = p.on_preset.clone();
        Callback::from(move |v: String| {
            if !v.is_empty() {
                on_preset.emit(v)
            }
        })
    };
    html! {
        <div class="preset">
            <SelectField id="f-preset" label="Preset" {options} value={current} {on_change} />
            if let Some(text) = explanation {
                <p class="explanation" data-testid="preset-explanation">
                    { for text.lines().map(|l| html! { <span class="line">{ l }</span> }) }
                </p>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct FormProps {
    scenario: Rc<Scenario>,
    errors: Errors,
    on_edit: Callback<Edit>,
}

#[component]
fn ServerForm(p: &FormProps) -> Html {
    let s = &p.scenario.server;
    let kind = s.kind;
    let d = kind.defaults();
    let cfg = s.resolve();
    let e = &p.errors;
    let cb = &p.on_edit;
    let kinds: Vec<(AttrValue, AttrValue)> = ServerKind::ALL
        .iter()
        .map(|k| (AttrValue::Static(k.id()), AttrValue::Static(k.title())))
        .collect();
    let on_kind = cb.reform(|v: String| {
        Edit::ServerKind(ServerKind::from_id(&v).unwrap_or(ServerKind::Uvicorn))
    });
    let costs = s.costs.clone().unwrap_or_default();
    // A cost setting, with its hint (its unit or range).
    let number = |field: CostField,
                  id: &'static str,
                  label: &'static str,
                  hint: &'static str,
                  value: Option<f64>,
                  default: Option<f64>| {
        html! {
            <NumberField id={id} label={label} value={value} optional=true
                placeholder={default.map(|v| AttrValue::from(v.to_string()))} hint={hint}
                error={e.at(&format!("server.costs.{}", id.trim_start_matches("f-cost-")))}
                on_change={cb.reform(move |v| Edit::Cost(field, v))} />
        }
    };
    // A cost in µs.
    let cost = |field: CostField,
                id: &'static str,
                label: &'static str,
                value: Option<f64>,
                default: Option<f64>| number(field, id, label, "µs", value, default);
    html! {
        <fieldset class="group">
            <legend>{ "Server" }</legend>
            <SelectField id="f-kind" label="Server model" options={kinds} value={kind.id()} on_change={on_kind} />
            <div class="row">
                if kind.multi_process() {
                    <NumberField id="f-workers" label="Worker processes" value={s.workers.map(f64::from)} integer=true optional=true
                        placeholder="1" error={e.at("server.workers")} on_change={opt_u32(cb, Edit::Workers)} />
                }
                if let Some(meaning) = kind.threads_meaning() {
                    <NumberField id="f-threads" label={meaning} value={s.threads.map(f64::from)} integer=true optional=true
                        placeholder={d.threads.to_string()} error={e.at("server.threads")} on_change={opt_u32(cb, Edit::Threads)} />
                }
                <NumberField id="f-cores" label="CPU cores" value={s.cores.map(f64::from)} integer=true optional=true
                    placeholder="4" error={e.at("server.cores")} on_change={opt_u32(cb, Edit::Cores)} />
            </div>
            <div class="row">
                <CheckField id="f-gil" label="GIL" checked={cfg.gil}
                    hint="uncheck for free-threaded Python (3.13t/3.14t)"
                    on_change={cb.reform(Edit::Gil)} />
                <NumberField id="f-switch" label="GIL switch interval (ms)" value={s.switch_interval_ms} optional=true
                    placeholder="5" error={e.at("server.switch_interval_ms")} on_change={opt_f64(cb, Edit::SwitchInterval)} />
                <NumberField id="f-backlog" label="Listen backlog" value={s.backlog.map(f64::from)} integer=true optional=true
                    placeholder={d.backlog.to_string()} error={e.at("server.backlog")} on_change={opt_u32(cb, Edit::Backlog)} />
            </div>
            <div class="row">
                if kind.supports_keep_alive() {
                    <CheckField id="f-keepalive" label="Server keeps connections alive" checked={cfg.keep_alive}
                        error={e.at("server.keep_alive")} on_change={cb.reform(|v| Edit::KeepAlive(Some(v)))} />
                }
                if kind == ServerKind::GunicornSync {
                    <CheckField id="f-close-linger" label="Waits for the client to close (gunicorn 27)" checked={cfg.close_linger}
                        error={e.at("server.close_linger")} on_change={cb.reform(|v| Edit::CloseLinger(Some(v)))} />
                }
                if kind.is_gunicorn() {
                    <NumberField id="f-timeout" label="gunicorn --timeout (s)" value={s.worker_timeout_s} optional=true
                        placeholder="30" hint="0 disables it" error={e.at("server.worker_timeout_s")}
                        on_change={opt_f64(cb, Edit::WorkerTimeout)} />
                }
                if let Some(limit) = d.connection_limit {
                    <NumberField id="f-connlimit" label="Connection limit per worker" value={s.connection_limit.map(f64::from)}
                        integer=true optional=true placeholder={limit.to_string()} error={e.at("server.connection_limit")}
                        on_change={opt_u32(cb, Edit::ConnectionLimit)} />
                }
                <NumberField id="f-ppool" label="Process pool size" value={s.process_pool.map(f64::from)} integer=true optional=true
                    placeholder={cfg.cores.to_string()} hint="for process-pool offloads" error={e.at("server.process_pool")}
                    on_change={opt_u32(cb, Edit::ProcessPool)} />
            </div>
            <details class="advanced">
                <summary>{ "Per-request costs" }</summary>
                <p class="hint">{ "Server CPU per connection and request (GIL held, except its kernel share); empty = the server's default." }</p>
                if kind.is_asgi() {
                    <p class="hint">{ "Run cold: extra CPU of an accept callback, a set-up stage, a read or a task step that follows a callback of another kind (its code not in the caches); a loop that works in batches pays it once per batch." }</p>
                }
                <div class="row">
                    { cost(CostField::Accept, "f-cost-accept_us", "Accept", costs.accept_us, d.costs.accept_us) }
                    if kind.is_asgi() {
                        { cost(CostField::AcceptCall, "f-cost-accept_call_us", "Accept callback's failing accept()", costs.accept_call_us, d.costs.accept_call_us) }
                        { cost(CostField::Setup, "f-cost-setup_us", "Connection set-up", costs.setup_us, d.costs.setup_us) }
                        { cost(CostField::ColdAccept, "f-cost-cold_accept_us", "Accept callback run cold (extra)", costs.cold_accept_us, d.costs.cold_accept_us) }
                        { cost(CostField::ColdSetup, "f-cost-cold_setup_us", "Set-up stage run cold (extra)", costs.cold_setup_us, d.costs.cold_setup_us) }
                        { cost(CostField::ColdRead, "f-cost-cold_read_us", "Read run cold (extra)", costs.cold_read_us, d.costs.cold_read_us) }
                        { cost(CostField::ColdTask, "f-cost-cold_task_us", "Task step run cold (extra)", costs.cold_task_us, d.costs.cold_task_us) }
                        { number(CostField::ColdTaskDecay, "f-cost-cold_task_decay", "… share each further step of a run pays", "0 … 0.99: the k-th in a row pays this^(k − 1)", costs.cold_task_decay, d.costs.cold_task_decay) }
                        { cost(CostField::Iteration, "f-cost-iteration_us", "Loop iteration (poll)", costs.iteration_us, d.costs.iteration_us) }
                    }
                    { cost(CostField::Parse, "f-cost-parse_us", "Read & parse", costs.parse_us, d.costs.parse_us) }
                    { cost(CostField::Respond, "f-cost-respond_us", "Write response", costs.respond_us, d.costs.respond_us) }
                    if kind == ServerKind::FlaskDev {
                        { cost(CostField::Spawn, "f-cost-spawn_us", "Start a thread", costs.spawn_us, d.costs.spawn_us) }
                        { cost(CostField::CloseWait, "f-cost-close_wait_us", "Wait for the client to close", costs.close_wait_us, d.costs.close_wait_us) }
                    }
                    if kind.is_asgi() {
                        { cost(CostField::ToThread, "f-cost-to_thread_us", "run_in_threadpool round trip", costs.to_thread_us, d.costs.to_thread_us) }
                    }
                    if cfg.gil {
                        { cost(CostField::GilHandoff, "f-cost-gil_handoff_us", "GIL hand-off (waiter's wake-up; system calls hand over)", costs.gil_handoff_us, d.costs.gil_handoff_us) }
                    }
                    { cost(CostField::Wake, "f-cost-wake_us", "Wake each further worker", costs.wake_us, d.costs.wake_us) }
                    { cost(CostField::IdleWake, "f-cost-idle_wake_us", "An idle worker's wake-up", costs.idle_wake_us, d.costs.idle_wake_us) }
                    { cost(CostField::DeepWake, "f-cost-deep_wake_us", "… more after a long idle", costs.deep_wake_us, d.costs.deep_wake_us) }
                    { cost(CostField::ColdCpu, "f-cost-cold_cpu_us", "Extra CPU after a long idle", costs.cold_cpu_us, d.costs.cold_cpu_us) }
                    { number(CostField::DeepIdle, "f-cost-deep_idle_ms", "Idle time to go cold (ms)", "time constant: workers and the client", costs.deep_idle_ms, d.costs.deep_idle_ms) }
                    { number(CostField::WakeSigma, "f-cost-wake_sigma", "Wake-up spread (lognormal sigma)", "0 … 2: each wake-up draws its own length", costs.wake_sigma, d.costs.wake_sigma) }
                    { number(CostField::KernelShare, "f-cost-kernel_share", "Kernel share of these costs", "0 … 0.9: system calls, run without the GIL", costs.kernel_share, d.costs.kernel_share) }
                </div>
                <NumberField id="f-overhead" label="Framework overhead (ms)" optional=true
                    value={match p.scenario.handler.overhead { Some(Dist::Constant { ms }) => Some(ms), _ => None }}
                    placeholder={d.framework_overhead_ms.to_string()} hint="routing, validation, serialisation"
                    error={e.at("handler.overhead.ms")}
                    on_change={cb.reform(|v: Option<f64>| Edit::Overhead(v.map(Dist::constant_ms)))} />
            </details>
            <details class="advanced" open={s.fds.is_some() || s.warm_threads.is_some() || costs.fd_grow_us.is_some()}>
                <summary>{ "File descriptors" }</summary>
                <p class="hint">{ "Each connection holds a descriptor of its worker, and every accept() takes one first. When the worker's table is full, Linux doubles it; in a process with more than one thread the accept() first sleeps for an RCU grace period (milliseconds), and an event loop runs nothing meanwhile. A worker gunicorn forked starts with 64 slots, a process started from a shell with 256." }</p>
                <div class="row">
                    <NumberField id="f-fds-open" label="Descriptors besides connections" value={s.fds.as_ref().and_then(|f| f.open).map(f64::from)}
                        integer=true optional=true placeholder={d.open_fds.to_string()} hint="per worker: stdio, sockets, pipes"
                        error={e.at("server.fds.open")} on_change={opt_u32(cb, Edit::FdOpen)} />
                    <NumberField id="f-fds-table" label="Descriptor table at start" value={s.fds.as_ref().and_then(|f| f.table.as_ref()).and_then(|t| t.first()).map(|&t| f64::from(t))}
                        integer=true optional=true placeholder={s.default_fd_table().to_string()} hint="slots, every worker: 64, 128, 256, …"
                        error={e.at("server.fds.table[0]").or_else(|| e.at("server.fds.table"))} on_change={opt_u32(cb, Edit::FdTable)} />
                    if kind.is_asgi() {
                        <NumberField id="f-warm-threads" label="AnyIO threads already started" value={s.warm_threads.map(f64::from)}
                            integer=true optional=true placeholder="0" hint="per worker, from earlier def routes"
                            error={e.at("server.warm_threads")} on_change={opt_u32(cb, Edit::WarmThreads)} />
                    }
                    { cost(CostField::FdGrow, "f-cost-fd_grow_us", "Growing a shared table (grace period)", costs.fd_grow_us, d.costs.fd_grow_us) }
                    { number(CostField::FdGrowSigma, "f-cost-fd_grow_sigma", "… its spread (lognormal sigma)", "0 … 2: each growth draws its own wait", costs.fd_grow_sigma, d.costs.fd_grow_sigma) }
                </div>
            </details>
            <details class="advanced" open={s.gc.is_some()}>
                <summary>{ "Garbage collector" }</summary>
                <p class="hint">{ "CPython's generational collector in each worker: a request's objects count from when the loop reads it and its handler starts, to its end; past 700 a collection pauses the thread that allocates, with the GIL held. A full one (the whole heap) waits until a quarter of the heap has been promoted since the last." }</p>
                <div class="row">
                    <CheckField id="f-gc" label="Model the garbage collector" checked={s.gc.is_some()}
                        on_change={cb.reform(|v| Edit::Gc(GcEdit::On(v)))} />
                    if let Some(g) = &s.gc {
                        <CheckField id="f-gc-due" label="Start with a full collection due" checked={gc_full_due(g)}
                            hint="as after a while of traffic; unchecked: a state drawn from the seed"
                            on_change={cb.reform(|v| Edit::Gc(GcEdit::FullDue(v)))} />
                    }
                </div>
                if let Some(g) = &s.gc {
                    <div class="row">
                        <NumberField id="f-gc-objects" label="Objects per request in flight" value={Some(f64::from(g.objects_per_request))}
                            integer=true hint="a hello world ~40; one waiting in an await ~125" error={e.at("server.gc.objects_per_request")}
                            on_change={gc_u32(cb, GcEdit::Objects)} />
                        <NumberField id="f-gc-garbage" label="Garbage left per request" value={Some(f64::from(g.garbage_per_request))}
                            integer=true hint="cycles only a collection frees" error={e.at("server.gc.garbage_per_request")}
                            on_change={gc_u32(cb, GcEdit::Garbage)} />
                        <NumberField id="f-gc-heap" label="Long-lived heap (objects)" value={Some(f64::from(g.heap_objects))}
                            integer=true error={e.at("server.gc.heap_objects")}
                            on_change={gc_u32(cb, GcEdit::Heap)} />
                        <NumberField id="f-gc-ns" label="Cost per object examined (ns)" value={Some(g.ns_per_object)}
                            error={e.at("server.gc.ns_per_object")}
                            on_change={cb.reform(|v: Option<f64>| Edit::Gc(GcEdit::NsPerObject(v.unwrap_or(0.0))))} />
                        <NumberField id="f-gc-threshold" label="First threshold" value={Some(f64::from(g.thresholds.unwrap_or(GC_THRESHOLDS)[0]))}
                            integer=true hint="gc.set_threshold; 0 = gc.disable()" error={e.at("server.gc.thresholds[0]")}
                            on_change={gc_u32(cb, GcEdit::Threshold0)} />
                    </div>
                }
            </details>
            <details class="advanced" open={s.cpu_speed.is_some()}>
                <summary>{ "Host: varying CPU speed" }</summary>
                <p class="hint">{ "On a VM that shares its host (or with frequency scaling) each core is fast for a while, then slow for a while. The costs stay the average, but requests queued at a slow moment wait longer: tails no server cost explains." }</p>
                <div class="row">
                    <CheckField id="f-speed" label="Vary the cores' speed" checked={s.cpu_speed.is_some()}
                        on_change={cb.reform(|v| Edit::CpuSpeed(SpeedEdit::On(v)))} />
                    if let Some(c) = &s.cpu_speed {
                        <NumberField id="f-speed-sigma" label="Spread (sigma of log speed)" value={Some(c.sigma)}
                            hint="0 … 1; 0.15 measured on a shared 2-core VM" error={e.at("server.cpu_speed.sigma")}
                            on_change={cb.reform(|v: Option<f64>| Edit::CpuSpeed(SpeedEdit::Sigma(v.unwrap_or(0.0))))} />
                        <NumberField id="f-speed-hold" label="Mean time at one speed (ms)" value={Some(c.hold_ms)}
                            hint="0.1 … 60 000" error={e.at("server.cpu_speed.hold_ms")}
                            on_change={cb.reform(|v: Option<f64>| Edit::CpuSpeed(SpeedEdit::HoldMs(v.unwrap_or(0.0))))} />
                    }
                </div>
            </details>
        </fieldset>
    }
}

#[derive(Properties, PartialEq)]
struct DistProps {
    id: AttrValue,
    label: AttrValue,
    value: Dist,
    /// JSON path of the duration, for errors.
    path: AttrValue,
    errors: Errors,
    on_change: Callback<Dist>,
}

#[component]
fn DistField(p: &DistProps) -> Html {
    let d = p.value;
    let options: Vec<(AttrValue, AttrValue)> = [
        ("constant", "constant"),
        ("uniform", "uniform"),
        ("exponential", "exponential"),
        ("lognormal", "log-normal"),
    ]
    .iter()
    .map(|(a, b)| (AttrValue::Static(a), AttrValue::Static(b)))
    .collect();
    let kind = match d {
        Dist::Constant { .. } => "constant",
        Dist::Uniform { .. } => "uniform",
        Dist::Exponential { .. } => "exponential",
        Dist::Lognormal { .. } => "lognormal",
    };
    let mean = d.mean_ms();
    let on_kind = p.on_change.reform(move |v: String| match v.as_str() {
        "uniform" => Dist::Uniform {
            min_ms: mean / 2.0,
            max_ms: mean * 1.5,
        },
        "exponential" => Dist::Exponential { mean_ms: mean },
        "lognormal" => Dist::Lognormal {
            median_ms: mean,
            sigma: 0.5,
        },
        _ => Dist::Constant { ms: mean },
    });
    let id = p.id.to_string();
    let err = |f: &str| p.errors.at(&format!("{}.{f}", p.path));
    let num = |suffix: &'static str,
               label: &'static str,
               value: f64,
               set: fn(Dist, f64) -> Dist| {
        html! {
            <NumberField id={format!("{id}-{suffix}")} label={label} value={Some(value)} error={err(suffix)}
                on_change={p.on_change.reform(move |v: Option<f64>| set(d, v.unwrap_or(0.0)))} />
        }
    };
    html! {
        <div class="dist row" role="group" aria-label={p.label.clone()}>
            <SelectField id={format!("{id}-dist")} label={format!("{} distribution", p.label)} {options} value={kind} on_change={on_kind} />
            { match d {
                Dist::Constant { ms } => num("ms", "ms", ms, |_, v| Dist::Constant { ms: v }),
                Dist::Uniform { min_ms, max_ms } => html! { <>
                    { num("min_ms", "min ms", min_ms, |d, v| match d { Dist::Uniform { max_ms, .. } => Dist::Uniform { min_ms: v, max_ms }, d => d }) }
                    { num("max_ms", "max ms", max_ms, |d, v| match d { Dist::Uniform { min_ms, .. } => Dist::Uniform { min_ms, max_ms: v }, d => d }) }
                </> },
                Dist::Exponential { mean_ms } => num("mean_ms", "mean ms", mean_ms, |_, v| Dist::Exponential { mean_ms: v }),
                Dist::Lognormal { median_ms, sigma } => html! { <>
                    { num("median_ms", "median ms", median_ms, |d, v| match d { Dist::Lognormal { sigma, .. } => Dist::Lognormal { median_ms: v, sigma }, d => d }) }
                    { num("sigma", "σ", sigma, |d, v| match d { Dist::Lognormal { median_ms, .. } => Dist::Lognormal { median_ms, sigma: v }, d => d }) }
                </> },
            } }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct StepListProps {
    which: Steps,
    steps: Vec<Step>,
    /// JSON path of the list, e.g. `handler.steps`.
    path: AttrValue,
    pool: bool,
    errors: Errors,
    on_edit: Callback<Edit>,
}

fn kind_options() -> Vec<(AttrValue, AttrValue)> {
    vec![
        ("cpu".into(), "CPU work (pure Python)".into()),
        (
            "blocking_io".into(),
            "blocking I/O (time.sleep, sync driver)".into(),
        ),
        (
            "await_io".into(),
            "awaited I/O (await asyncio.sleep)".into(),
        ),
    ]
}

fn offload_options() -> Vec<(AttrValue, AttrValue)> {
    vec![
        ("none".into(), "runs in place".into()),
        ("threadpool".into(), "await run_in_threadpool(...)".into()),
        (
            "process_pool".into(),
            "await loop.run_in_executor(process pool)".into(),
        ),
    ]
}

#[component]
fn StepList(p: &StepListProps) -> Html {
    let which = p.which;
    let n = p.steps.len();
    let prefix = match which {
        Steps::Main => "step".to_string(),
        Steps::Background(b) => format!("bg{b}-step"),
    };
    html! {
        <div class="steps">
            if n == 0 {
                <p class="hint">{ "No steps: the route returns at once." }</p>
            }
            <ol class="step-list">
            { for p.steps.iter().enumerate().map(|(i, st)| {
                let id = format!("f-{prefix}{i}");
                let path = format!("{}[{i}]", p.path);
                let edit = move |e: StepEdit| Edit::Step(which, i, e);
                let kind_value = match st.kind { StepKind::Cpu => "cpu", StepKind::BlockingIo => "blocking_io", StepKind::AwaitIo => "await_io" };
                let offload_value = match st.offload { Offload::None => "none", Offload::Threadpool => "threadpool", Offload::ProcessPool => "process_pool" };
                html! {
                    <li class="step" data-testid={format!("{prefix}-{i}")}>
                        <div class="step-head">
                            <strong>{ format!("Step {}", i + 1) }</strong>
                            <span class="step-buttons">
                                <button type="button" aria-label={format!("Move step {} up", i + 1)} disabled={i == 0}
                                    onclick={p.on_edit.reform(move |_| Edit::MoveStep(which, i, -1))}>{ "↑" }</button>
                                <button type="button" aria-label={format!("Move step {} down", i + 1)} disabled={i + 1 == n}
                                    onclick={p.on_edit.reform(move |_| Edit::MoveStep(which, i, 1))}>{ "↓" }</button>
                                <button type="button" aria-label={format!("Remove step {}", i + 1)}
                                    onclick={p.on_edit.reform(move |_| Edit::RemoveStep(which, i))}>{ "✕" }</button>
                            </span>
                        </div>
                        <div class="row">
                            <SelectField id={format!("{id}-kind")} label="Kind" options={kind_options()} value={kind_value}
                                error={p.errors.at(&format!("{path}.kind"))}
                                on_change={p.on_edit.reform(move |v: String| edit(StepEdit::Kind(match v.as_str() {
                                    "cpu" => StepKind::Cpu, "await_io" => StepKind::AwaitIo, _ => StepKind::BlockingIo })))} />
                            <SelectField id={format!("{id}-offload")} label="Where" options={offload_options()} value={offload_value}
                                error={p.errors.at(&format!("{path}.offload"))}
                                on_change={p.on_edit.reform(move |v: String| edit(StepEdit::Offload(match v.as_str() {
                                    "threadpool" => Offload::Threadpool, "process_pool" => Offload::ProcessPool, _ => Offload::None })))} />
                        </div>
                        <DistField id={format!("{id}-dur")} label="Duration" value={st.duration} path={format!("{path}.duration")}
                            errors={p.errors.clone()} on_change={p.on_edit.reform(move |d| edit(StepEdit::Duration(d)))} />
                        <div class="row">
                            <TextField id={format!("{id}-label")} label="Code (label)" value={st.label.clone().unwrap_or_default()}
                                placeholder="e.g. time.sleep(10)" error={p.errors.at(&format!("{path}.label"))}
                                on_change={p.on_edit.reform(move |v| edit(StepEdit::Label(v)))} />
                            if p.pool || st.hold_connection {
                                <CheckField id={format!("{id}-hold")} label="Holds a pool connection" checked={st.hold_connection}
                                    error={p.errors.at(&format!("{path}.hold_connection"))}
                                    on_change={p.on_edit.reform(move |v| edit(StepEdit::Hold(v)))} />
                            }
                        </div>
                    </li>
                }
            }) }
            </ol>
            <button type="button" class="add" onclick={p.on_edit.reform(move |_| Edit::AddStep(which))}>
                { match which { Steps::Main => "Add step".to_string(), Steps::Background(b) => format!("Add step to task {}", b + 1) } }
            </button>
            if let Some(e) = p.errors.at(&p.path) {
                <p class="field-error" role="alert">{ e }</p>
            }
        </div>
    }
}

fn route_options() -> Vec<(AttrValue, AttrValue)> {
    vec![
        ("async_def".into(), "async def".into()),
        ("def".into(), "def".into()),
    ]
}

fn route_of(v: &str) -> Route {
    if v == "async_def" {
        Route::AsyncDef
    } else {
        Route::Def
    }
}

fn route_id(r: Route) -> &'static str {
    match r {
        Route::AsyncDef => "async_def",
        Route::Def => "def",
    }
}

#[component]
fn HandlerForm(p: &FormProps) -> Html {
    let h = &p.scenario.handler;
    let e = &p.errors;
    let cb = &p.on_edit;
    let asgi = p.scenario.server.kind.is_asgi();
    let pool = h.db_pool.is_some();
    html! {
        <fieldset class="group">
            <legend>{ "Handler" }</legend>
            <SelectField id="f-route" label="Route" options={route_options()} value={route_id(h.route)}
                hint={if asgi { "FastAPI: async def runs on the event loop; def runs in the threadpool" } else { "Flask views are def" }}
                error={e.at("handler.route")} on_change={cb.reform(|v: String| Edit::Route(route_of(&v)))} />
            <StepList which={Steps::Main} steps={h.steps.clone()} path="handler.steps" {pool} errors={e.clone()} on_edit={cb.clone()} />
            <div class="row">
                <CheckField id="f-pool-on" label="Connection pool (per worker)" checked={pool}
                    on_change={cb.reform(|on: bool| Edit::DbPool(on.then_some(5)))} />
                if pool {
                    <NumberField id="f-pool" label="Pool size" value={h.db_pool.map(f64::from)} integer=true
                        error={e.at("handler.db_pool")} on_change={opt_u32(cb, Edit::DbPool)} />
                }
            </div>
            <div class="background">
                <h3>{ "Background tasks" }</h3>
                if let Some(err) = e.at("handler.background") {
                    <p class="field-error" role="alert">{ err }</p>
                }
                { for h.background.iter().enumerate().map(|(b, task)| html! {
                    <div class="bg-task" data-testid={format!("bg-task-{b}")}>
                        <div class="step-head">
                            <strong>{ format!("Task {}", b + 1) }</strong>
                            <button type="button" aria-label={format!("Remove background task {}", b + 1)}
                                onclick={cb.reform(move |_| Edit::RemoveBackground(b))}>{ "✕" }</button>
                        </div>
                        <SelectField id={format!("f-bg{b}-route")} label="Task function" options={route_options()} value={route_id(task.route)}
                            hint="def tasks run in the threadpool; async def tasks on the loop"
                            on_change={cb.reform(move |v: String| Edit::BackgroundRoute(b, route_of(&v)))} />
                        <StepList which={Steps::Background(b)} steps={task.steps.clone()} path={format!("handler.background[{b}].steps")}
                            {pool} errors={e.clone()} on_edit={cb.clone()} />
                    </div>
                }) }
                <button type="button" class="add" disabled={!asgi} onclick={cb.reform(|_| Edit::AddBackground)}>{ "Add background task" }</button>
                if !asgi {
                    <span class="hint">{ " BackgroundTasks need an ASGI server." }</span>
                }
            </div>
        </fieldset>
    }
}

#[component]
fn LoadForm(p: &FormProps) -> Html {
    let load = &p.scenario.load;
    let e = &p.errors;
    let cb = &p.on_edit;
    let le =
        |f: fn(f64) -> LoadEdit| cb.reform(move |v: Option<f64>| Edit::Load(f(v.unwrap_or(0.0))));
    let kinds = vec![
        (
            AttrValue::Static("closed"),
            AttrValue::Static("ApacheBench (closed loop: -n, -c)"),
        ),
        (
            AttrValue::Static("open"),
            AttrValue::Static("open loop (arrival rate)"),
        ),
        (
            AttrValue::Static("burst"),
            AttrValue::Static("burst of clients"),
        ),
    ];
    let kind = match load_kind(load) {
        LoadKind::Closed => "closed",
        LoadKind::Open => "open",
        LoadKind::Burst => "burst",
    };
    let on_kind = cb.reform(|v: String| {
        Edit::Load(LoadEdit::Kind(match v.as_str() {
            "open" => LoadKind::Open,
            "burst" => LoadKind::Burst,
            _ => LoadKind::Closed,
        }))
    });
    let timeout = load.timeout().map(|t| t as f64 / 1e6);
    html! {
        <fieldset class="group">
            <legend>{ "Load" }</legend>
            <SelectField id="f-load" label="Clients" options={kinds} value={kind} on_change={on_kind} />
            <div class="row">
            { match load {
                Load::Closed { requests, concurrency, keep_alive, .. } => html! { <>
                    <NumberField id="f-requests" label="Requests (-n)" value={Some(*requests as f64)} integer=true
                        error={e.at("load.requests")} on_change={le(|v| LoadEdit::Requests(v as u32))} />
                    <NumberField id="f-concurrency" label="Concurrency (-c)" value={Some(*concurrency as f64)} integer=true
                        error={e.at("load.concurrency")} on_change={le(|v| LoadEdit::Concurrency(v as u32))} />
                    <CheckField id="f-ab-k" label="Keep-alive (-k)" checked={*keep_alive}
                        on_change={cb.reform(|v| Edit::Load(LoadEdit::KeepAlive(v)))} />
                </> },
                Load::Open { rate_per_s, duration_s, arrivals, .. } => html! { <>
                    <NumberField id="f-rate" label="Arrivals per second" value={Some(*rate_per_s)}
                        error={e.at("load.rate_per_s")} on_change={le(LoadEdit::Rate)} />
                    <NumberField id="f-duration" label="For (s)" value={Some(*duration_s)}
                        error={e.at("load.duration_s")} on_change={le(LoadEdit::Duration)} />
                    <SelectField id="f-arrivals" label="Arrivals"
                        options={vec![(AttrValue::Static("poisson"), AttrValue::Static("Poisson")), (AttrValue::Static("fixed"), AttrValue::Static("evenly spaced"))]}
                        value={if *arrivals == Arrivals::Poisson { "poisson" } else { "fixed" }}
                        on_change={cb.reform(|v: String| Edit::Load(LoadEdit::Arrivals(if v == "fixed" { Arrivals::Fixed } else { Arrivals::Poisson })))} />
                </> },
                Load::Burst { clients, interval_ms, offsets_ms, .. } => html! { <>
                    <NumberField id="f-clients" label="Clients" value={Some(load.request_count() as f64)} integer=true
                        error={e.at("load.clients")} on_change={le(|v| LoadEdit::Clients(v as u32))} />
                    <NumberField id="f-interval" label="Apart (ms)" value={Some(*interval_ms)} hint="0 = all at once"
                        error={e.at("load.interval_ms")} on_change={le(LoadEdit::Interval)} />
                    if offsets_ms.is_some() {
                        <p class="hint">{ format!("{} clients at custom offsets (from the scenario file).", clients.unwrap_or(load.request_count() as u32)) }</p>
                    }
                </> },
            } }
            </div>
            <div class="row">
                <NumberField id="f-client-timeout" label="Client timeout (ms)" value={timeout} optional=true placeholder="none"
                    error={e.at("load.timeout_ms")} on_change={cb.reform(|v| Edit::Load(LoadEdit::Timeout(v)))} />
                if !matches!(load, Load::Open { .. }) {
                    <NumberField id="f-client-cpu" label="Client CPU per request (µs)" value={client_cpu_of(load)}
                        optional=true placeholder="none" hint="the client runs on the server's cores (ab: ~100)"
                        error={e.at("load.client_cpu_us")} on_change={cb.reform(|v| Edit::Load(LoadEdit::ClientCpu(v)))} />
                    if client_cpu_of(load).is_some() {
                        <NumberField id="f-client-send" label="… of it sending each request (µs)" value={client_send_of(load)}
                            optional=true placeholder="half" hint="the rest reads the response"
                            error={e.at("load.client_send_us")} on_change={cb.reform(|v| Edit::Load(LoadEdit::ClientSend(v)))} />
                        <NumberField id="f-client-cold" label="Client's extra CPU after idling (µs)" value={client_cold_of(load).0}
                            optional=true placeholder="none" hint="its first pass runs cold (a Python script: ~220)"
                            error={e.at("load.client_cold_us")} on_change={cb.reform(|v| Edit::Load(LoadEdit::ClientCold(v)))} />
                        if client_cold_of(load).0.is_some() {
                            <NumberField id="f-client-cold-send" label="… of it before its first send (µs)" value={client_cold_of(load).1}
                                optional=true placeholder="half" hint="the rest after it"
                                error={e.at("load.client_cold_send_us")} on_change={cb.reform(|v| Edit::Load(LoadEdit::ClientColdSend(v)))} />
                        }
                    }
                }
                <NumberField id="f-seed" label="Seed" value={Some(p.scenario.seed as f64)} integer=true
                    hint="same seed, same run" on_change={cb.reform(|v: Option<f64>| Edit::Seed(v.unwrap_or(1.0) as u64))} />
            </div>
            if let Some(err) = e.at("load") {
                <p class="field-error" role="alert">{ err }</p>
            }
        </fieldset>
    }
}
