//! Wires the state to the components and the runner. No logic of its own beyond that.

use std::rc::Rc;

use yew::prelude::*;

use crate::components::library::SavedScenarios;
use crate::components::transfer::Transfer;
use crate::components::{
    DetailForm, Errors, Header, ResultsPanel, RunBar, ScenarioPanel, ShareBar,
};
use crate::runner::Runner;
use crate::state::{Action, AppState};

#[derive(Properties, PartialEq, Default)]
pub struct AppProps {
    /// Run simulations on the page instead of in a web worker (component tests).
    #[prop_or_default]
    pub in_page: bool,
}

/// The page's location: (address without fragment, fragment, whether `?embed` is set).
fn location() -> Option<(String, String, bool)> {
    let loc = web_sys::window()?.location();
    let (origin, path, search, hash) = (
        loc.origin().ok()?,
        loc.pathname().ok()?,
        loc.search().ok()?,
        loc.hash().ok()?,
    );
    let embed = search
        .trim_start_matches('?')
        .split('&')
        .any(|p| p == "embed");
    Some((format!("{origin}{path}{search}"), hash, embed))
}

#[component]
pub fn App(props: &AppProps) -> Html {
    let in_page = props.in_page;
    let state = use_reducer(move || match location().filter(|_| !in_page) {
        Some((_, hash, embed)) => AppState::from_fragment(&hash, embed),
        None => AppState::default(),
    });
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
    // The page opens with the initial preset's results, and learns whether motion is welcome.
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            let reduce = web_sys::window()
                .and_then(|w| {
                    w.match_media("(prefers-reduced-motion: reduce)")
                        .ok()
                        .flatten()
                })
                .is_some_and(|m| m.matches());
            if reduce {
                dispatcher.dispatch(Action::SetReducedMotion(true));
            }
            dispatcher.dispatch(Action::Run)
        });
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
    // The address bar always holds the link that reproduces what is shown.
    let fragment = state.fragment();
    {
        use_effect_with(fragment.clone(), move |f| {
            if !in_page {
                if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
                    let _ = h.replace_state_with_url(
                        &wasm_bindgen::JsValue::NULL,
                        "",
                        Some(&format!("#{f}")),
                    );
                }
            }
        });
    }
    let base = location().map(|(b, _, _)| b).unwrap_or_default();
    let d = state.dispatcher().to_callback();
    let notice = state.notice.as_ref().map(|n| html! {
        <div class="notice" role="alert" data-testid="notice">
            <p>{ n.clone() }</p>
            <button type="button" onclick={d.reform(|_| Action::DismissNotice)}>{ "Dismiss" }</button>
        </div>
    });
    let title = state
        .scenario
        .name
        .clone()
        .unwrap_or_else(|| "edited scenario".into());
    let scenario = Rc::new(state.scenario.clone());
    let run_bar = html! {
        <RunBar status={state.status.clone()} blocker={state.run_blocker().map(AttrValue::from)} stale={state.stale}
            on_run={d.reform(|_| Action::Run)} on_cancel={d.reform(|_| Action::Cancel)} />
    };
    // The full page adds the detail and share controls under the run bar; the embed does not.
    let results = |extra: Html| {
        html! {
            <ResultsPanel result={state.result.clone()} scenario={scenario.clone()} tab={state.tab} selected={state.selected}
                window={state.window} pinned={state.pinned.clone()}
                on_tab={d.reform(Action::SelectTab)} on_select={d.reform(Action::Select)}
                on_window={d.reform(Action::SetWindow)} on_pin={d.reform(|_| Action::Pin)} on_unpin={d.reform(Action::Unpin)}
                replay={state.replay} on_replay={d.reform(Action::Replay)}>
                { run_bar.clone() }
                { extra }
            </ResultsPanel>
        }
    };
    let unembedded = crate::share::encode(&state.scenario, Some(state.tab), false);
    if state.embed {
        let open = format!("{}#{unembedded}", base.replace("?embed", ""));
        return html! {
            <div class="app embed" data-testid="embed">
                <header class="embed-header">
                    <strong>{ "loopsim" }</strong>
                    <span class="embed-title">{ title }</span>
                    <a href={open} target="_blank" rel="noopener" data-testid="open-in-loopsim">{ "Open in loopsim ↗" }</a>
                </header>
                { notice.unwrap_or_default() }
                { results(Html::default()) }
            </div>
        };
    }
    let errors = Errors(Rc::new(
        state
            .scenario
            .validate()
            .err()
            .map(|e| e.0)
            .unwrap_or_default(),
    ));
    html! {
        <div class="app">
            <Header />
            { notice.unwrap_or_default() }
            <main class="panels">
                <div class="column">
                    <ScenarioPanel scenario={scenario.clone()} preset={state.preset.clone().map(AttrValue::from)} {errors}
                        on_edit={d.reform(Action::Edit)} on_preset={d.reform(Action::LoadPreset)} />
                    <section class="panel keep-panel" aria-label="Saved scenarios, import and export">
                        <SavedScenarios current={scenario.clone()} on_load={d.reform(|s| Action::SetScenario(Box::new(s)))} />
                        <Transfer scenario={scenario.clone()} result={state.result.clone()}
                            on_import={d.reform(|s| Action::SetScenario(Box::new(s)))} />
                    </section>
                </div>
                { results(html! { <>
                    <DetailForm detail={state.detail} on_change={d.reform(Action::SetDetail)} />
                    <ShareBar base={base.clone()} fragment={unembedded.clone()} title={title.clone()} />
                </> }) }
            </main>
        </div>
    }
}
