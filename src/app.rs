//! Wires the state to the components and the runner. No logic of its own beyond that.

use std::rc::Rc;

use yew::prelude::*;

use crate::components::{DetailForm, Errors, Header, ResultsPanel, RunBar, ScenarioPanel};
use crate::runner::Runner;
use crate::state::{Action, AppState};

#[derive(Properties, PartialEq, Default)]
pub struct AppProps {
    /// Run simulations on the page instead of in a web worker (component tests).
    #[prop_or_default]
    pub in_page: bool,
}

#[component]
pub fn App(props: &AppProps) -> Html {
    let state = use_reducer(AppState::default);
    let runner = {
        let dispatcher = state.dispatcher();
        let in_page = props.in_page;
        use_memo((), move |_| {
            let on_output = Callback::from(move |m| dispatcher.dispatch(Action::Worker(m)));
            if in_page {
                Runner::in_page(on_output)
            } else {
                Runner::worker(on_output)
            }
        })
    };
    // The runner follows the state: a new run id starts that run (with the scenario the state
    // recorded when it was asked for), and the previous one is cancelled.
    {
        let last = use_mut_ref(|| None::<u32>);
        let (runner, running, detail) = (runner.clone(), state.running.clone(), state.detail);
        use_effect_with(state.running_id(), move |id| {
            let prev = last.replace(*id);
            if let Some(p) = prev.filter(|p| Some(*p) != *id) {
                runner.cancel(p);
            }
            if let (Some(id), Some(scenario)) = (*id, running) {
                if prev != Some(id) {
                    runner.start(id, &scenario, detail);
                }
            }
        });
    }
    // The page opens with the initial preset's results.
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| dispatcher.dispatch(Action::Run));
    }
    // Marks when a result has been drawn (after the DOM update), for the browser benchmark.
    {
        let id = state.result.as_ref().map(|r| r.id);
        use_effect_with(id, |id| {
            if let Some(id) = id {
                crate::runner::mark(&format!("loopsim:drawn:{id}"));
            }
        });
    }
    let d = state.dispatcher().to_callback();
    let errors = Errors(Rc::new(
        state
            .scenario
            .validate()
            .err()
            .map(|e| e.0)
            .unwrap_or_default(),
    ));
    let scenario = Rc::new(state.scenario.clone());
    html! {
        <div class="app">
            <Header />
            <main class="panels">
                <ScenarioPanel scenario={scenario.clone()} preset={state.preset.clone().map(AttrValue::from)} {errors}
                    on_edit={d.reform(Action::Edit)} on_preset={d.reform(Action::LoadPreset)} />
                <ResultsPanel result={state.result.clone()} scenario={scenario} tab={state.tab} selected={state.selected}
                    window={state.window} pinned={state.pinned.clone()}
                    on_tab={d.reform(Action::SelectTab)} on_select={d.reform(Action::Select)}
                    on_window={d.reform(Action::SetWindow)} on_pin={d.reform(|_| Action::Pin)} on_unpin={d.reform(Action::Unpin)}>
                    <RunBar status={state.status.clone()} blocker={state.run_blocker().map(AttrValue::from)} stale={state.stale}
                        on_run={d.reform(|_| Action::Run)} on_cancel={d.reform(|_| Action::Cancel)} />
                    <DetailForm detail={state.detail} on_change={d.reform(Action::SetDetail)} />
                </ResultsPanel>
            </main>
        </div>
    }
}
