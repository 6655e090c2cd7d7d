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
    let start = {
        let (state, runner) = (state.clone(), runner.clone());
        move |scenario: &loopsim_engine::Scenario| {
            if let Some(old) = state.running_id() {
                runner.cancel(old);
            }
            let id = state.next_id;
            state.dispatch(Action::Started(id));
            runner.start(id, scenario, state.detail);
        }
    };
    // Run the initial preset once, so the page opens with results.
    {
        let (start, scenario) = (start.clone(), state.scenario.clone());
        use_effect_with((), move |_| start(&scenario));
    }
    let on_run = {
        let (start, state) = (start.clone(), state.clone());
        Callback::from(move |()| {
            if state.run_blocker().is_none() {
                start(&state.scenario)
            }
        })
    };
    let on_cancel = {
        let (state, runner) = (state.clone(), runner.clone());
        Callback::from(move |()| {
            if let Some(id) = state.running_id() {
                runner.cancel(id);
                state.dispatch(Action::Cancelled(id));
            }
        })
    };
    let on_preset = {
        let (state, start) = (state.clone(), start.clone());
        Callback::from(move |name: String| {
            if let Some(p) = loopsim_engine::presets::find(&name) {
                state.dispatch(Action::LoadPreset(name));
                start(&p.scenario());
            }
        })
    };
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
                    on_edit={d.reform(Action::Edit)} {on_preset} />
                <ResultsPanel result={state.result.clone()} scenario={scenario} tab={state.tab} selected={state.selected}
                    window={state.window} pinned={state.pinned.clone()}
                    on_tab={d.reform(Action::SelectTab)} on_select={d.reform(Action::Select)}
                    on_window={d.reform(Action::SetWindow)} on_pin={d.reform(|_| Action::Pin)} on_unpin={d.reform(Action::Unpin)}>
                    <RunBar status={state.status.clone()} blocker={state.run_blocker().map(AttrValue::from)} stale={state.stale}
                        {on_run} {on_cancel} />
                    <DetailForm detail={state.detail} on_change={d.reform(Action::SetDetail)} />
                </ResultsPanel>
            </main>
        </div>
    }
}
