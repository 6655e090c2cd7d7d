//! The advisor's findings for a run.

use loopsim_engine::advisor::{Finding, Severity};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct AdviceProps {
    pub findings: Vec<Finding>,
}

#[component]
pub fn AdviceView(p: &AdviceProps) -> Html {
    html! {
        <ul class="advice" data-testid="advice">
            { for p.findings.iter().map(|f| {
                let (class, word) = match f.severity {
                    Severity::Problem => ("problem", "Problem"),
                    Severity::Warning => ("warning", "Warning"),
                    Severity::Info => ("info", "Note"),
                };
                html! {
                    <li class={classes!("finding", class)} data-finding={f.id.clone()}>
                        <p class="finding-title"><span class="badge">{ word }</span>{ " " }{ &f.title }</p>
                        <p>{ &f.detail }</p>
                        if let Some(fix) = &f.fix {
                            <p class="fix"><strong>{ "Fix: " }</strong>{ fix }</p>
                        }
                    </li>
                }
            }) }
        </ul>
    }
}
