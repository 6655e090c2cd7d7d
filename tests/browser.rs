//! The app in a real browser (headless Chromium through wasm-bindgen-test-runner): mount it,
//! drive its controls, and read what a user sees. The simulation runs on the page here
//! (`App { in_page: true }`): no worker script is served to these tests.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{
    Element, Event, EventInit, HtmlInputElement, HtmlSelectElement, KeyboardEvent,
    KeyboardEventInit,
};
use yew::platform::time::sleep;

wasm_bindgen_test_configure!(run_in_browser);

mod dom;
use dom::{click, find, text, InPageApp};

async fn mount_app() -> Element {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    let root = document.create_element("div").expect("a root element");
    document
        .body()
        .expect("a body")
        .append_child(&root)
        .expect("attached");
    yew::Renderer::<InPageApp>::with_root(root.clone()).render();
    sleep(Duration::ZERO).await;
    root
}

/// Waits (up to 5 s) until the text at `selector` satisfies `done`.
async fn wait_for(root: &Element, selector: &str, done: impl Fn(&str) -> bool) -> String {
    for _ in 0..250 {
        let t = text(root, selector);
        if done(&t) {
            return t;
        }
        sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "{selector} still reads {:?} after 5 s",
        text(root, selector)
    );
}

/// Waits (up to 5 s) until `selector` matches `n` elements.
async fn wait_count(root: &Element, selector: &str, n: u32) {
    let count = || root.query_selector_all(selector).unwrap().length();
    for _ in 0..250 {
        if count() == n {
            return;
        }
        sleep(Duration::from_millis(20)).await;
    }
    panic!("{selector} matches {} elements after 5 s, not {n}", count());
}

fn change(el: &Element) {
    let init = EventInit::new();
    init.set_bubbles(true);
    el.dispatch_event(&Event::new_with_event_init_dict("change", &init).unwrap())
        .unwrap();
}

fn set_input(root: &Element, selector: &str, value: &str) {
    let input: HtmlInputElement = find(root, selector).unchecked_into();
    input.set_value(value);
    change(&input);
}

fn set_select(root: &Element, selector: &str, value: &str) {
    let select: HtmlSelectElement = find(root, selector).unchecked_into();
    select.set_value(value);
    change(&select);
}

#[wasm_bindgen_test]
async fn opens_on_the_seed_preset_and_runs_it() {
    let root = mount_app().await;
    assert_eq!(text(&root, "header h1"), "loopsim");
    assert!(text(&root, "[data-testid=preset-explanation]")
        .contains("time.sleep blocks the event loop"));
    // The initial run: two requests, 10 s and 20 s.
    wait_for(&root, "[data-testid=kpi-completed] dd", |t| t == "2").await;
    let report = text(&root, "[data-testid=ab-report]");
    assert!(report.contains("Complete requests:      2"), "{report}");
    assert!(
        report.contains(" 100%  20001 (longest request)"),
        "{report}"
    );
    assert!(
        text(&root, "[data-testid=kpi-max] dd").starts_with("20"),
        "slowest ≈ 20 s"
    );
}

#[wasm_bindgen_test]
async fn a_def_route_answers_both_tabs_in_10_s() {
    let root = mount_app().await;
    wait_for(&root, "[data-testid=kpi-completed] dd", |t| t == "2").await;
    set_select(&root, "#f-route", "def");
    wait_for(&root, "[data-testid=run-status]", |t| {
        t.contains("scenario changed")
    })
    .await;
    click(&root, "[data-testid=run-button]");
    wait_for(&root, "[data-testid=kpi-max] dd", |t| {
        t.starts_with("10") && t.ends_with(" s")
    })
    .await;
    assert!(text(&root, "[data-testid=ab-report]").contains(" 100%  10001 (longest request)"));
}

#[wasm_bindgen_test]
async fn out_of_range_values_disable_run_with_the_reason() {
    let root = mount_app().await;
    set_input(&root, "#f-workers", "0");
    let reason = wait_for(&root, "[data-testid=run-blocker]", |t| !t.is_empty()).await;
    assert!(
        reason.contains("server.workers: must be between 1 and 64 (got 0)"),
        "{reason}"
    );
    assert!(find(&root, "[data-testid=run-button]").has_attribute("disabled"));
    // The field itself says so, and is marked invalid.
    assert!(text(&root, "#f-workers-error").contains("between 1 and 64"));
    assert_eq!(
        find(&root, "#f-workers")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("true")
    );
    // A fraction where a whole number is needed never reaches the scenario.
    set_input(&root, "#f-cores", "1.5");
    wait_for(&root, "#f-cores-error", |t| t.contains("whole number")).await;
    assert!(
        text(&root, "[data-testid=run-blocker]").contains("server.workers"),
        "cores unchanged"
    );
}

#[wasm_bindgen_test]
async fn await_in_a_def_route_is_explained_inline() {
    let root = mount_app().await;
    set_select(&root, "#f-route", "def");
    set_select(&root, "#f-step0-kind", "await_io");
    let reason = wait_for(&root, "[data-testid=run-blocker]", |t| !t.is_empty()).await;
    assert!(reason.contains("handler.steps[0].kind"), "{reason}");
    assert!(text(&root, "#f-step0-kind-error").contains("only valid inside `async def`"));
}

#[wasm_bindgen_test]
async fn steps_can_be_added_moved_and_removed() {
    let root = mount_app().await;
    // The seed preset's first run has settled (it loads the scenario being edited).
    wait_for(&root, "[data-testid=kpi-completed] dd", |t| t == "2").await;
    click(&root, ".steps .add");
    wait_count(&root, ".step-list > li", 2).await;
    set_select(&root, "#f-step1-kind", "cpu");
    click(&root, "[aria-label='Move step 2 up']");
    wait_for(&root, "#f-step0-kind", |_| {
        let kind: HtmlSelectElement = find(&root, "#f-step0-kind").unchecked_into();
        kind.value() == "cpu"
    })
    .await;
    click(&root, "[aria-label='Remove step 1']");
    wait_count(&root, ".step-list > li", 1).await;
}

#[wasm_bindgen_test]
async fn tabs_follow_the_arrow_keys() {
    let root = mount_app().await;
    wait_for(&root, "[data-testid=kpi-completed] dd", |t| t == "2").await;
    let tablist = find(&root, "[role=tablist]");
    let init = KeyboardEventInit::new();
    init.set_key("ArrowRight");
    init.set_bubbles(true);
    tablist
        .dispatch_event(
            &KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap(),
        )
        .unwrap();
    sleep(Duration::ZERO).await;
    assert_eq!(
        find(&root, "#tab-latency")
            .get_attribute("aria-selected")
            .as_deref(),
        Some("true")
    );
    assert!(root
        .query_selector("[data-testid=view-latency]")
        .unwrap()
        .is_some());
    click(&root, "#tab-code");
    sleep(Duration::ZERO).await;
    assert!(text(&root, "[data-testid=server-command]").contains("uvicorn main:app"));
}
