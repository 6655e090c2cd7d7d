//! The Python code, server command and load command the scenario corresponds to.

use std::rc::Rc;

use loopsim_engine::{codegen, Scenario};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CodeProps {
    pub scenario: Rc<Scenario>,
}

#[component]
pub fn CodeView(p: &CodeProps) -> Html {
    let g = use_memo(p.scenario.clone(), |s| codegen::generate(s));
    html! {
        <div class="code-view" data-testid="code-view">
            <h3>{ g.filename }</h3>
            <pre class="code" tabindex="0" aria-label={format!("{} source", g.filename)}><code>{ g.python.clone() }</code></pre>
            <h3>{ "Run the server" }</h3>
            <pre class="code" data-testid="server-command" tabindex="0"><code>{ format!("pip install {}\n{}", g.requirements.join(" "), g.server_command) }</code></pre>
            <h3>{ "Send the load" }</h3>
            <pre class="code" data-testid="load-command" tabindex="0"><code>{ g.load_command.clone() }</code></pre>
        </div>
    }
}
