//! The run's key numbers, above the result views.

use loopsim_engine::Summary;
use yew::prelude::*;

use crate::view::scale::fmt_time_ms;

#[derive(Properties, PartialEq)]
pub struct SummaryProps {
    pub summary: Summary,
    pub wall_ms: f64,
}

#[component]
pub fn SummaryStrip(p: &SummaryProps) -> Html {
    let s = &p.summary;
    let item = |label: &str, value: String, id: &str| {
        html! {
            <div class="kpi" data-testid={format!("kpi-{id}")}><dt>{ label.to_string() }</dt><dd>{ value }</dd></div>
        }
    };
    html! {
        <dl class="summary-strip" data-testid="summary">
            { item("Completed", s.completed.to_string(), "completed") }
            { item("Failed", s.failed.to_string(), "failed") }
            { item("Median", fmt_time_ms(s.p50_ms), "p50") }
            { item("p99", fmt_time_ms(s.p99_ms), "p99") }
            { item("Slowest", fmt_time_ms(s.max_ms), "max") }
            { item("Requests/s", format!("{:.1}", s.rps), "rps") }
            { item("Simulated in", if p.wall_ms < 1.0 { "< 1 ms".to_string() } else { fmt_time_ms(p.wall_ms) }, "wall") }
        </dl>
    }
}
