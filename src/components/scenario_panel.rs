use yew::prelude::*;

/// Where the scenario parameters will go. Empty for now.
#[component]
pub fn ScenarioPanel() -> Html {
    html! {
        <section class="panel scenario-panel" aria-labelledby="scenario-heading">
            <h2 id="scenario-heading">{ "Scenario" }</h2>
            <p class="placeholder">{ "No scenario parameters yet." }</p>
        </section>
    }
}
