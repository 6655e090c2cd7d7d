//! The results: key numbers, then one view at a time behind keyboard-operable tabs.

use std::rc::Rc;

use loopsim_engine::Scenario;
use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;
use yew::prelude::*;

use super::advice::AdviceView;
use super::charts::{CdfSeries, ConcurrencyChart, DistributionChart, LatencyChart, Timeline};
use super::code_view::CodeView;
use super::compare::CompareView;
use super::replay::ReplayView;
use super::report::ReportView;
use super::request_detail::RequestDetail;
use super::summary_strip::SummaryStrip;
use crate::protocol::RunView;
use crate::replay::Replay;
use crate::state::{Pinned, ReplayAction, Tab};

#[derive(Properties, PartialEq)]
pub struct ResultsProps {
    pub result: Option<Rc<RunView>>,
    pub scenario: Rc<Scenario>,
    pub tab: Tab,
    pub selected: Option<u32>,
    pub window: Option<(u64, u64)>,
    pub pinned: Vec<Rc<Pinned>>,
    pub on_tab: Callback<Tab>,
    pub on_select: Callback<Option<u32>>,
    pub on_window: Callback<Option<(u64, u64)>>,
    pub on_pin: Callback<()>,
    pub on_unpin: Callback<usize>,
    /// The replay, if there is a result; its time is a cursor on the timeline and latency
    /// charts once it has moved.
    #[prop_or_default]
    pub replay: Option<Replay>,
    pub on_replay: Callback<ReplayAction>,
    #[prop_or_default]
    pub children: Html,
}

fn markers(v: &RunView) -> Vec<(String, f64)> {
    let s = &v.summary;
    vec![
        ("p50".into(), s.p50_ms),
        ("p90".into(), s.p90_ms),
        ("p99".into(), s.p99_ms),
        ("max".into(), s.max_ms),
    ]
}

#[component]
pub fn ResultsPanel(p: &ResultsProps) -> Html {
    let tab = p.tab;
    let onkeydown = {
        let on_tab = p.on_tab.clone();
        Callback::from(move |e: KeyboardEvent| {
            let i = Tab::ALL.iter().position(|t| *t == tab).unwrap_or(0);
            let n = Tab::ALL.len();
            let next = match e.key().as_str() {
                "ArrowRight" => Some((i + 1) % n),
                "ArrowLeft" => Some((i + n - 1) % n),
                "Home" => Some(0),
                "End" => Some(n - 1),
                _ => None,
            };
            if let Some(j) = next {
                e.prevent_default();
                on_tab.emit(Tab::ALL[j]);
                if let Some(el) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id(&format!("tab-{}", Tab::ALL[j].id())))
                {
                    let _ = el.unchecked_into::<web_sys::HtmlElement>().focus();
                }
            }
        })
    };
    let detail = |v: &Rc<RunView>| match p.selected {
        Some(id) => {
            html! { <RequestDetail view={v.clone()} id={id} on_close={p.on_select.reform(|_| None)} /> }
        }
        None => html! {},
    };
    let cursor = p.replay.map(|r| r.t_ns).filter(|t| *t > 0);
    let body = match (tab, &p.result) {
        (Tab::Code, _) => html! { <CodeView scenario={p.scenario.clone()} /> },
        (Tab::Compare, r) => html! {
            <CompareView pinned={p.pinned.clone()} can_pin={r.is_some()} on_pin={p.on_pin.clone()} on_unpin={p.on_unpin.clone()} />
        },
        (_, None) => {
            html! { <p class="hint" data-testid="no-result">{ "Run the scenario to see results." }</p> }
        }
        (Tab::Report, Some(v)) => html! { <ReportView text={v.report.clone()} /> },
        (Tab::Latency, Some(v)) => html! { <>
            <LatencyChart view={v.clone()} selected={p.selected} on_select={p.on_select.clone()} cursor_ns={cursor} />
            { detail(v) }
        </> },
        (Tab::Distribution, Some(v)) => html! {
            <DistributionChart
                series={vec![CdfSeries { label: "this run".into(), points: v.latency_cdf.clone(), class: "series-0".into() }]}
                histogram={v.latency_histogram.clone()} markers={markers(v)} />
        },
        (Tab::Timeline, Some(v)) => html! { <>
            <Timeline view={v.clone()} window={p.window} on_window={p.on_window.clone()}
                selected={p.selected} on_select={p.on_select.clone()} cursor_ns={cursor} />
            { detail(v) }
        </> },
        (Tab::Concurrency, Some(v)) => {
            html! { <ConcurrencyChart series={v.concurrency.clone()} /> }
        }
        (Tab::Replay, Some(v)) => match p.replay {
            Some(r) => html! { <>
                <ReplayView view={v.clone()} replay={r} selected={p.selected} on_select={p.on_select.clone()} on_replay={p.on_replay.clone()} />
                { detail(v) }
            </> },
            None => html! {},
        },
        (Tab::Advice, Some(v)) => html! { <AdviceView findings={v.findings.clone()} /> },
    };
    html! {
        <section class="panel results-panel" aria-labelledby="results-heading">
            <h2 id="results-heading">{ "Results" }</h2>
            { p.children.clone() }
            if let Some(v) = &p.result {
                <SummaryStrip summary={v.summary.clone()} wall_ms={v.wall_ms} />
            }
            <div class="tabs" role="tablist" aria-label="Result views" {onkeydown}>
                { for Tab::ALL.iter().map(|t| {
                    let selected = *t == tab;
                    let t = *t;
                    html! {
                        <button type="button" role="tab" id={format!("tab-{}", t.id())} aria-selected={selected.to_string()}
                            aria-controls="tab-panel" tabindex={if selected { "0" } else { "-1" }}
                            onclick={p.on_tab.reform(move |_| t)}>{ t.title() }</button>
                    }
                }) }
            </div>
            <div class="tab-panel" id="tab-panel" role="tabpanel" aria-labelledby={format!("tab-{}", tab.id())} tabindex="0" data-testid={format!("view-{}", tab.id())}>
                { body }
            </div>
        </section>
    }
}
