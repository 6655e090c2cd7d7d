use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ResultsPanelProps {
    /// How many runs have finished.
    pub runs: u32,
    /// Summary of the latest run, if any.
    pub result: Option<AttrValue>,
    /// Asks for a new run.
    pub on_run: Callback<()>,
}

/// The run button and the outcome of the latest run.
#[component]
pub fn ResultsPanel(props: &ResultsPanelProps) -> Html {
    let onclick = props.on_run.reform(|_: MouseEvent| ());
    let text = match &props.result {
        Some(summary) => format!("Run {}: {summary}", props.runs),
        None => "No run yet.".to_owned(),
    };

    html! {
        <section class="panel results-panel" aria-labelledby="results-heading">
            <h2 id="results-heading">{ "Results" }</h2>
            <button type="button" class="run-button" data-testid="run-button" {onclick}>
                { "Run simulation" }
            </button>
            <p class="result" data-testid="run-result" aria-live="polite">{ text }</p>
        </section>
    }
}
