//! Run / Cancel, the progress of a run, and why Run is disabled when it is.

use yew::prelude::*;

use super::fields::NumberField;
use crate::protocol::Detail;
use crate::state::RunStatus;
use crate::view::scale::fmt_time_ms;

#[derive(Properties, PartialEq)]
pub struct RunBarProps {
    pub status: RunStatus,
    /// Why the scenario cannot run (validation).
    pub blocker: Option<AttrValue>,
    /// The shown result is from an earlier version of the scenario.
    pub stale: bool,
    pub on_run: Callback<()>,
    pub on_cancel: Callback<()>,
}

#[component]
pub fn RunBar(p: &RunBarProps) -> Html {
    let running = matches!(p.status, RunStatus::Running { .. });
    let disabled = p.blocker.is_some();
    let status_text = match &p.status {
        RunStatus::Running {
            progress: Some(pr), ..
        } => format!(
            "Running: {} of {} requests, {} simulated",
            pr.finished,
            pr.expected,
            fmt_time_ms(pr.sim_ms)
        ),
        RunStatus::Running { progress: None, .. } => "Starting…".to_string(),
        RunStatus::Failed(m) => format!("The run failed: {m}"),
        RunStatus::Cancelled => "Run cancelled.".to_string(),
        RunStatus::Idle if p.stale => {
            "The scenario changed: run it again to update the results.".to_string()
        }
        RunStatus::Idle => String::new(),
    };
    let fraction = match &p.status {
        RunStatus::Running {
            progress: Some(pr), ..
        } => pr.fraction(),
        _ => 0.0,
    };
    html! {
        <div class="run-bar" data-testid="run-bar">
            <button type="button" class="run-button" data-testid="run-button" disabled={disabled}
                aria-describedby={disabled.then_some("run-blocker")}
                onclick={p.on_run.reform(|_| ())}>
                { if running { "Restart" } else { "Run" } }
            </button>
            if running {
                <button type="button" class="cancel-button" data-testid="cancel-button" onclick={p.on_cancel.reform(|_| ())}>
                    { "Cancel" }
                </button>
                <progress data-testid="progress" max="1" value={fraction.to_string()} aria-label="Simulation progress" />
            }
            if let Some(b) = &p.blocker {
                <p class="field-error" id="run-blocker" data-testid="run-blocker" role="alert">{ format!("Cannot run: {b}") }</p>
            }
            <p class="status" data-testid="run-status" aria-live="polite">{ status_text }</p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct DetailProps {
    pub detail: Detail,
    pub on_change: Callback<Detail>,
}

/// How much full detail runs keep: statistics always cover every request; the timeline and
/// the per-request records cover a bounded window, so that million-request runs stay small.
#[component]
pub fn DetailForm(p: &DetailProps) -> Html {
    let d = p.detail;
    let requests_error = use_state(|| None::<AttrValue>);
    let segments_error = use_state(|| None::<AttrValue>);
    let on_requests = {
        let (on_change, err) = (p.on_change.clone(), requests_error.clone());
        Callback::from(move |v: Option<f64>| match v {
            Some(n) if n >= 1.0 && n <= Detail::MAX_REQUESTS as f64 => {
                err.set(None);
                on_change.emit(Detail {
                    max_requests: n as u32,
                    ..d
                });
            }
            _ => err.set(Some(
                format!("must be between 1 and {}", Detail::MAX_REQUESTS).into(),
            )),
        })
    };
    let on_segments = {
        let (on_change, err) = (p.on_change.clone(), segments_error.clone());
        Callback::from(move |v: Option<f64>| match v {
            Some(n) if n <= Detail::MAX_SEGMENTS as f64 => {
                err.set(None);
                on_change.emit(Detail {
                    max_segments: n as usize,
                    ..d
                });
            }
            _ => err.set(Some(
                format!("must be between 0 and {}", Detail::MAX_SEGMENTS).into(),
            )),
        })
    };
    let window = |from: bool| {
        let on_change = p.on_change.clone();
        Callback::from(move |v: Option<f64>| {
            let (a, b) = d.window_ms.unwrap_or((0.0, f64::MAX));
            let ms = v.map(|s| s * 1000.0);
            let w = if from {
                (ms.unwrap_or(0.0), b)
            } else {
                (a, ms.unwrap_or(f64::MAX))
            };
            let w = (w != (0.0, f64::MAX)).then_some(w);
            on_change.emit(Detail { window_ms: w, ..d });
        })
    };
    let (from_s, to_s) = match d.window_ms {
        Some((a, b)) => (
            (a > 0.0).then_some(a / 1000.0),
            (b < f64::MAX).then_some(b / 1000.0),
        ),
        None => (None, None),
    };
    html! {
        <details class="advanced detail-form" data-testid="detail-form">
            <summary>{ "Detail kept" }</summary>
            <p class="hint">{ "Statistics and charts always cover every request; the timeline and request details keep a window." }</p>
            <div class="row">
                <NumberField id="f-detail-requests" label="Details of the first N requests" value={Some(d.max_requests as f64)}
                    integer=true error={(*requests_error).clone()} on_change={on_requests} />
                <NumberField id="f-detail-segments" label="Timeline segments kept" value={Some(d.max_segments as f64)}
                    integer=true error={(*segments_error).clone()} on_change={on_segments} />
            </div>
            <div class="row">
                <NumberField id="f-detail-from" label="Timeline from (s)" value={from_s} optional=true placeholder="start"
                    on_change={window(true)} />
                <NumberField id="f-detail-to" label="Timeline to (s)" value={to_s} optional=true placeholder="end"
                    on_change={window(false)} />
            </div>
        </details>
    }
}
