use yew::prelude::*;

/// The page title bar.
#[component]
pub fn Header() -> Html {
    html! {
        <header class="app-header">
            <h1>{ "loopsim" }</h1>
            <p class="tagline">{ "Simulate how a server's event loop, threads and queues behave under load." }</p>
        </header>
    }
}
