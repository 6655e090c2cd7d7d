//! The replay in a real browser: its state machine, and the diagram at a scrubbed time.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use loopsim_app::replay::{Replay, Speed, STEPS};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, Event, EventInit, HtmlElement, HtmlInputElement};
use yew::platform::time::sleep;

wasm_bindgen_test_configure!(run_in_browser);

mod dom;
use dom::InPageApp;

const S: u64 = 1_000_000_000;

#[wasm_bindgen_test]
fn time_advances_pause_holds_scrub_is_exact() {
    let mut r = Replay::new(20 * S);
    r.set_speed(Speed::Times(1.0));
    r.play();
    r.tick(250.0);
    assert_eq!(r.t_ns, S / 4);
    r.pause();
    r.tick(10_000.0);
    assert_eq!(r.t_ns, S / 4, "pause holds");
    r.scrub(15 * S + 123);
    assert_eq!(r.t_ns, 15 * S + 123, "scrub is exact");
    r.step(1);
    assert_eq!(r.t_ns, 15 * S + 123 + 20 * S / STEPS);
}

fn find(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).expect("a valid selector")
}

async fn wait_until(mut ok: impl FnMut() -> bool) {
    for _ in 0..250 {
        if ok() {
            return;
        }
        sleep(Duration::from_millis(20)).await;
    }
    panic!("not reached in 5 s");
}

#[wasm_bindgen_test]
async fn at_5_s_the_second_request_waits_behind_the_blocked_loop() {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<InPageApp>::with_root(root.clone()).render();
    wait_until(|| {
        find(&root, "[data-testid=kpi-completed] dd")
            .and_then(|e| e.text_content())
            .as_deref()
            == Some("2")
    })
    .await;
    find(&root, "#tab-replay")
        .unwrap()
        .unchecked_into::<HtmlElement>()
        .click();
    wait_until(|| find(&root, "[data-testid=replay-jump]").is_some()).await;
    let jump: HtmlInputElement = find(&root, "[data-testid=replay-jump]")
        .unwrap()
        .unchecked_into();
    jump.set_value("5");
    let init = EventInit::new();
    init.set_bubbles(true);
    jump.dispatch_event(&Event::new_with_event_init_dict("change", &init).unwrap())
        .unwrap();
    wait_until(|| {
        find(&root, "#replay-time")
            .and_then(|e| e.get_attribute("aria-valuetext"))
            .as_deref()
            == Some("5 s")
    })
    .await;
    assert!(find(&root, "[data-lane='w0 event loop'][data-state='blocked']").is_some());
    assert!(find(
        &root,
        "[data-testid=replay] .client[data-request-id='1'][data-phase='queued']"
    )
    .is_some());
    assert!(find(
        &root,
        "[data-testid=replay] .client[data-request-id='0'][data-phase='running']"
    )
    .is_some());
    let console = find(&root, "[data-testid=console]")
        .unwrap()
        .text_content()
        .unwrap();
    assert!(console.contains("Sleeping for 10"), "{console}");
}
