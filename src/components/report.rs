//! The ab-style report, as `loopsim run --format report` prints it, with a copy button.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ReportProps {
    pub text: AttrValue,
}

#[component]
pub fn ReportView(p: &ReportProps) -> Html {
    let copied = use_state(|| false);
    let onclick = {
        let (text, copied) = (p.text.clone(), copied.clone());
        Callback::from(move |_| {
            if let Some(w) = web_sys::window() {
                let _ = w.navigator().clipboard().write_text(&text);
                copied.set(true);
            }
        })
    };
    html! {
        <div class="report">
            <button type="button" class="copy" {onclick}>{ if *copied { "Copied" } else { "Copy report" } }</button>
            <pre data-testid="ab-report" tabindex="0" aria-label="ApacheBench-style report">{ p.text.clone() }</pre>
        </div>
    }
}
