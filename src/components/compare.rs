//! Pinned runs side by side: their latency CDFs overlaid and their summaries with ratios to A.

use std::rc::Rc;

use loopsim_engine::Summary;
use yew::prelude::*;

use super::charts::{CdfSeries, DistributionChart};
use crate::state::Pinned;
use crate::view::scale::fmt_time_ms;

#[derive(Properties, PartialEq)]
pub struct CompareProps {
    pub pinned: Vec<Rc<Pinned>>,
    /// Whether there is a result to pin.
    pub can_pin: bool,
    pub on_pin: Callback<()>,
    pub on_unpin: Callback<usize>,
}

type Metric = (&'static str, fn(&Summary) -> f64, bool);

const METRICS: [Metric; 8] = [
    ("Requests/s", |s| s.rps, false),
    ("Mean", |s| s.mean_ms, true),
    ("p50", |s| s.p50_ms, true),
    ("p90", |s| s.p90_ms, true),
    ("p99", |s| s.p99_ms, true),
    ("Max", |s| s.max_ms, true),
    ("Failed", |s| s.failed as f64, false),
    ("Makespan", |s| s.makespan_ms, true),
];

#[component]
pub fn CompareView(p: &CompareProps) -> Html {
    let series: Vec<CdfSeries> = p
        .pinned
        .iter()
        .enumerate()
        .map(|(i, r)| CdfSeries {
            label: format!("{}: {}", r.letter, r.label),
            points: r.cdf.clone(),
            class: format!("series-{}", i % 8),
        })
        .collect();
    let base = p.pinned.first();
    html! {
        <div class="compare" data-testid="compare">
            <p>
                <button type="button" data-testid="pin-button" disabled={!p.can_pin} onclick={p.on_pin.reform(|_| ())}>{ "Pin this run" }</button>
                { " Pinned runs (A, B, C…) stay here while you change the scenario." }
            </p>
            if p.pinned.is_empty() {
                <p class="hint">{ "Nothing pinned yet." }</p>
            } else {
                <DistributionChart series={series} histogram={Vec::new()} markers={Vec::new()} />
                <div class="table-wrap">
                <table data-testid="compare-table">
                    <caption>{ "Summaries, with the ratio to run A" }</caption>
                    <thead><tr>
                        <th scope="col">{ "Run" }</th>
                        { for METRICS.iter().map(|(name, _, _)| html! { <th scope="col">{ *name }</th> }) }
                        <th scope="col"><span class="sr-only">{ "Remove" }</span></th>
                    </tr></thead>
                    <tbody>
                    { for p.pinned.iter().enumerate().map(|(i, r)| html! {
                        <tr>
                            <th scope="row">{ format!("{}: {}", r.letter, r.label) }</th>
                            { for METRICS.iter().map(|(_, f, is_time)| {
                                let v = f(&r.summary);
                                let text = if *is_time { fmt_time_ms(v) } else { format!("{v:.1}") };
                                let ratio = base.filter(|_| i > 0).map(|b| f(&b.summary)).filter(|b| *b > 0.0).map(|b| format!(" (×{:.2})", v / b));
                                html! { <td>{ text }{ ratio.unwrap_or_default() }</td> }
                            }) }
                            <td><button type="button" aria-label={format!("Remove run {}", r.letter)} onclick={p.on_unpin.reform(move |_| i)}>{ "✕" }</button></td>
                        </tr>
                    }) }
                    </tbody>
                </table>
                </div>
            }
        </div>
    }
}
