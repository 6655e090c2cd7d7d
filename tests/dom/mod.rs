//! DOM helpers shared by the browser tests (each test file uses a part of them).
#![allow(dead_code)]

use loopsim_app::App;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

#[derive(yew::Properties, PartialEq, Default)]
pub struct NoProps {}

/// The app with its simulation on the page (no worker script is served to these tests).
#[yew::component]
pub fn InPageApp(_: &NoProps) -> yew::Html {
    yew::html! { <App in_page=true /> }
}

/// The element matching `selector`; panics naming it if there is none.
pub fn find(root: &Element, selector: &str) -> Element {
    root.query_selector(selector)
        .expect("a valid selector")
        .unwrap_or_else(|| panic!("nothing matches {selector}"))
}

/// The text of the element matching `selector` ("" if there is none).
pub fn text(root: &Element, selector: &str) -> String {
    root.query_selector(selector)
        .ok()
        .flatten()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

/// Every element matching `selector`, in document order.
pub fn all(root: &Element, selector: &str) -> Vec<Element> {
    let list = root.query_selector_all(selector).expect("a valid selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

/// Clicks the element matching `selector`.
pub fn click(root: &Element, selector: &str) {
    find(root, selector).unchecked_into::<HtmlElement>().click();
}
