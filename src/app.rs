use yew::prelude::*;

use crate::components::{Header, ResultsPanel, ScenarioPanel};
use crate::runner;
use crate::state::{Action, AppState};

/// The whole page: header, scenario panel and results panel.
#[component]
pub fn App() -> Html {
    let state = use_reducer(AppState::default);

    let on_run = {
        let dispatcher = state.dispatcher();
        Callback::from(move |()| {
            dispatcher.dispatch(Action::RunFinished(runner::run_once().into()))
        })
    };

    html! {
        <div class="app">
            <Header />
            <main class="panels">
                <ScenarioPanel />
                <ResultsPanel runs={state.runs} result={state.last_result.clone()} {on_run} />
            </main>
        </div>
    }
}
