//! Share: the link that reproduces this scenario and view, and an `<iframe>` snippet that
//! embeds it in a tutorial.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ShareProps {
    /// The page's address without a fragment.
    pub base: AttrValue,
    /// The fragment (without `#`) for the current scenario and view, not embedded.
    pub fragment: AttrValue,
    /// A title for the iframe.
    pub title: AttrValue,
}

/// The snippet a tutorial pastes to embed a scenario.
pub fn embed_code(base: &str, fragment: &str, title: &str) -> String {
    let title = title
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    format!(
        r#"<iframe src="{base}#{fragment}&amp;embed" title="loopsim: {title}" width="100%" height="560" style="border:1px solid #ccc;border-radius:6px" loading="lazy"></iframe>"#
    )
}

fn copy(text: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(text);
    }
}

#[component]
pub fn ShareBar(p: &ShareProps) -> Html {
    let copied = use_state(|| None::<&'static str>);
    let link = format!("{}#{}", p.base, p.fragment);
    let embed = embed_code(&p.base, &p.fragment, &p.title);
    let on_link = {
        let (link, copied) = (link.clone(), copied.clone());
        Callback::from(move |_| {
            copy(&link);
            copied.set(Some("link"));
        })
    };
    let on_embed = {
        let (embed, copied) = (embed.clone(), copied.clone());
        Callback::from(move |_| {
            copy(&embed);
            copied.set(Some("embed"));
        })
    };
    html! {
        <details class="advanced share" data-testid="share">
            <summary>{ "Share and embed" }</summary>
            <div class="field">
                <label for="share-link">{ "Link to this scenario and view" }</label>
                <input id="share-link" data-testid="share-link" type="text" readonly=true value={link} />
            </div>
            <div class="field">
                <label for="embed-code">{ "Embed code" }</label>
                <textarea id="embed-code" data-testid="embed-code" readonly=true rows="3" value={embed} />
            </div>
            <p class="row">
                <button type="button" data-testid="copy-link" onclick={on_link}>
                    { if *copied == Some("link") { "Link copied" } else { "Copy link" } }
                </button>
                <button type="button" data-testid="copy-embed" onclick={on_embed}>
                    { if *copied == Some("embed") { "Embed code copied" } else { "Copy embed code" } }
                </button>
            </p>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippet_escapes_the_title() {
        let c = embed_code("https://x.test/loopsim/", "p=ab-uvicorn", "a \"b\" <c>");
        assert!(
            c.starts_with(r#"<iframe src="https://x.test/loopsim/#p=ab-uvicorn&amp;embed""#),
            "{c}"
        );
        assert!(
            c.contains(r#"title="loopsim: a &quot;b&quot; &lt;c>""#),
            "{c}"
        );
    }
}
