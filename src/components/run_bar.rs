//! Run / Cancel, the progress of a run, and why Run is disabled when it is.

use yew::prelude::*;

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
