//! Component tests in a real browser (headless Chromium through wasm-bindgen-test-runner).
//! Run with `cargo test --target wasm32-unknown-unknown -p loopsim-app`.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use loopsim_app::App;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement};
use yew::platform::time::sleep;

wasm_bindgen_test_configure!(run_in_browser);

/// Mounts a fresh [`App`] into its own element and lets Yew render it.
async fn mount_app() -> Element {
    let document = web_sys::window()
        .and_then(|window| window.document())
        .expect("a browser document");
    let root = document.create_element("div").expect("a root element");
    document
        .body()
        .expect("a body")
        .append_child(&root)
        .expect("root attached");
    yew::Renderer::<App>::with_root(root.clone()).render();
    settle().await;
    root
}

/// Yields to the scheduler so pending renders reach the DOM.
async fn settle() {
    sleep(Duration::ZERO).await;
}

/// Waits (up to 2 s) until the text at `selector` satisfies `done`, and returns it.
async fn wait_for_text(root: &Element, selector: &str, done: impl Fn(&str) -> bool) -> String {
    for _ in 0..100 {
        let current = text(root, selector);
        if done(&current) {
            return current;
        }
        sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "{selector} still reads {:?} after 2 s",
        text(root, selector)
    );
}

fn find(root: &Element, selector: &str) -> Element {
    root.query_selector(selector)
        .expect("a valid selector")
        .unwrap_or_else(|| panic!("nothing matches {selector}"))
}

fn text(root: &Element, selector: &str) -> String {
    find(root, selector).text_content().unwrap_or_default()
}

#[wasm_bindgen_test]
async fn shell_shows_header_and_both_panels() {
    let root = mount_app().await;

    assert_eq!(text(&root, "header h1"), "loopsim");
    assert_eq!(text(&root, "#scenario-heading"), "Scenario");
    assert_eq!(text(&root, "#results-heading"), "Results");
    assert_eq!(text(&root, "[data-testid=run-result]"), "No run yet.");
}

#[wasm_bindgen_test]
async fn clicking_run_shows_the_engine_result() {
    let root = mount_app().await;
    let button: HtmlElement = find(&root, "[data-testid=run-button]").unchecked_into();

    button.click();
    let shown = wait_for_text(&root, "[data-testid=run-result]", |t| {
        t.starts_with("Run 1: ")
    })
    .await;
    assert_eq!(shown, format!("Run 1: {}", loopsim_app::runner::run_once()));

    button.click();
    wait_for_text(&root, "[data-testid=run-result]", |t| {
        t.starts_with("Run 2: ")
    })
    .await;
}
