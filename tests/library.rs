//! Saved scenarios (real localStorage), import and export, and the standalone SVG, in a real
//! browser (headless Chromium through wasm-bindgen-test-runner). Each test clears the stored
//! scenarios first and unmounts what it mounted.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use js_sys::{Array, Function, Promise, Reflect};
use loopsim_app::components::library::SavedScenarios;
use loopsim_app::components::transfer::Transfer;
use loopsim_app::downloads::{render_png, svg_to_string};
use loopsim_app::protocol::{Detail, RunView};
use loopsim_app::storage::KEY;
use loopsim_engine::export::CSV_HEADER;
use loopsim_engine::{presets, Scenario};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Document, Element, Event, EventInit, HtmlAnchorElement, HtmlInputElement, Storage};
use yew::platform::time::sleep;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

mod dom;
use dom::{all, click, find, text};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_url(url: &str) -> Promise;

    type DataTransfer;
    #[wasm_bindgen(constructor)]
    fn new() -> DataTransfer;
    #[wasm_bindgen(method, getter)]
    fn items(this: &DataTransfer) -> DataTransferItemList;
    #[wasm_bindgen(method, getter)]
    fn files(this: &DataTransfer) -> web_sys::FileList;

    type DataTransferItemList;
    #[wasm_bindgen(method)]
    fn add(this: &DataTransferItemList, file: &web_sys::File) -> JsValue;

    #[wasm_bindgen(js_name = DOMParser)]
    type DomParser;
    #[wasm_bindgen(constructor, js_class = "DOMParser")]
    fn new() -> DomParser;
    #[wasm_bindgen(method, js_name = parseFromString)]
    fn parse_from_string(this: &DomParser, text: &str, mime: &str) -> Document;
}

fn preset(name: &str) -> Scenario {
    presets::find(name).unwrap().scenario()
}

fn document() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

fn storage() -> Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

fn stored() -> Option<String> {
    storage().get_item(KEY).unwrap()
}

fn stored_json() -> Value {
    serde_json::from_str(&stored().expect("something stored")).expect("stored JSON")
}

/// A fresh root element, with nothing stored.
fn fresh_root() -> Element {
    storage().clear().unwrap();
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    root
}

fn exists(root: &Element, selector: &str) -> bool {
    root.query_selector(selector).unwrap().is_some()
}

fn saved_names(root: &Element) -> Vec<String> {
    all(root, "[data-testid=saved-item]")
        .iter()
        .map(|e| e.get_attribute("data-name").unwrap_or_default())
        .collect()
}

fn disabled(root: &Element, selector: &str) -> bool {
    Reflect::get(&find(root, selector), &"disabled".into())
        .unwrap()
        .as_bool()
        .unwrap()
}

/// Waits (up to 5 s) for `done`.
async fn wait_until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..250 {
        if done() {
            return;
        }
        sleep(Duration::from_millis(20)).await;
    }
    panic!("still not true after 5 s: {what}");
}

async fn settle() {
    sleep(Duration::from_millis(30)).await;
}

fn active_id() -> String {
    document()
        .active_element()
        .map(|e| e.id())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Downloads are caught before the browser acts on them: the file name and the blob URL.

struct Downloads {
    seen: Rc<RefCell<Vec<(String, String)>>>,
    listener: Closure<dyn FnMut(Event)>,
}

impl Downloads {
    fn catch() -> Downloads {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s = seen.clone();
        let listener = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            if let Some(a) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlAnchorElement>().ok())
                .filter(|a| a.has_attribute("download"))
            {
                e.prevent_default();
                s.borrow_mut().push((a.download(), a.href()));
            }
        });
        document()
            .add_event_listener_with_callback_and_bool(
                "click",
                listener.as_ref().unchecked_ref(),
                true,
            )
            .unwrap();
        Downloads { seen, listener }
    }

    /// The last download: its file name and its response.
    async fn last(&self) -> (String, JsValue) {
        let (name, url) = self.seen.borrow().last().cloned().expect("a download");
        assert!(url.starts_with("blob:"), "{url}: made on the page");
        let response = JsFuture::from(fetch_url(&url)).await.unwrap();
        (name, response)
    }

    async fn last_text(&self) -> (String, String) {
        let (name, response) = self.last().await;
        let body = call(&response, "text").await;
        (name, body.as_string().unwrap())
    }

    fn count(&self) -> usize {
        self.seen.borrow().len()
    }
}

impl Drop for Downloads {
    fn drop(&mut self) {
        let _ = document().remove_event_listener_with_callback_and_bool(
            "click",
            self.listener.as_ref().unchecked_ref(),
            true,
        );
    }
}

/// `target.method()`, awaited.
async fn call(target: &JsValue, method: &str) -> JsValue {
    let f: Function = Reflect::get(target, &method.into())
        .unwrap()
        .unchecked_into();
    let p: Promise = f.call0(target).unwrap().unchecked_into();
    JsFuture::from(p).await.unwrap()
}

// ---------------------------------------------------------------------------------------------
// Saved scenarios.

#[derive(Properties, PartialEq, Default)]
struct NoProps {}

/// `SavedScenarios` with a scenario that can be switched, showing what was loaded.
#[component]
fn LibraryHost(_: &NoProps) -> Html {
    let current = use_state(|| Rc::new(preset("ab-uvicorn")));
    let loaded = use_state(String::new);
    let on_load = {
        let loaded = loaded.clone();
        Callback::from(move |s: Scenario| loaded.set(s.name.unwrap_or_default()))
    };
    let switch = {
        let current = current.clone();
        Callback::from(move |_: MouseEvent| current.set(Rc::new(preset("ab-waitress"))))
    };
    html! {
        <>
            <SavedScenarios current={(*current).clone()} {on_load} />
            <button type="button" id="switch" onclick={switch}>{ "switch" }</button>
            <p data-testid="loaded">{ (*loaded).clone() }</p>
        </>
    }
}

async fn mount_library(root: &Element) -> yew::AppHandle<LibraryHost> {
    let handle = yew::Renderer::<LibraryHost>::with_root(root.clone()).render();
    settle().await;
    handle
}

fn set_text(root: &Element, selector: &str, value: &str) {
    let input: HtmlInputElement = find(root, selector).unchecked_into();
    input.set_value(value);
    let init = EventInit::new();
    init.set_bubbles(true);
    input
        .dispatch_event(&Event::new_with_event_init_dict("input", &init).unwrap())
        .unwrap();
}

fn item(name: &str) -> String {
    format!("[data-testid=saved-item][data-name=\"{name}\"]")
}

#[wasm_bindgen_test]
async fn scenarios_are_saved_renamed_deleted_and_kept_across_reloads() {
    let root = fresh_root();
    let app = mount_library(&root).await;
    assert!(exists(&root, "[data-testid=saved-empty]"));
    assert!(!exists(&root, "[data-testid=saved-problems]"));
    let name: HtmlInputElement = find(&root, "#save-name").unchecked_into();
    assert_eq!(name.value(), "ab-uvicorn", "named after the scenario");

    click(&root, "[data-testid=save-button]");
    wait_until("one saved", || saved_names(&root) == ["ab-uvicorn"]).await;
    click(&root, "#switch");
    settle().await;
    let name: HtmlInputElement = find(&root, "#save-name").unchecked_into();
    assert_eq!(name.value(), "ab-waitress");
    click(&root, "[data-testid=save-button]");
    wait_until("two saved", || {
        saved_names(&root) == ["ab-uvicorn", "ab-waitress"]
    })
    .await;
    assert!(text(&root, "[data-testid=saved-status]").contains("Saved “ab-waitress”"));
    // The same name again is offered with a number.
    let name: HtmlInputElement = find(&root, "#save-name").unchecked_into();
    assert_eq!(name.value(), "ab-waitress (2)");
    let v = stored_json();
    assert_eq!(v["version"], json!(1));
    assert_eq!(v["items"][1]["name"], json!("ab-waitress"));
    assert_eq!(v["items"][1]["scenario"]["name"], json!("ab-waitress"));
    assert!(v["items"][0]["saved_at"].as_f64().unwrap() > 1.7e12);

    // Rename inline: the field gets the focus; Enter (submit) commits.
    click(
        &root,
        &format!("{} [data-testid=saved-rename]", item("ab-uvicorn")),
    );
    settle().await;
    assert_eq!(active_id(), "saved-name-1");
    set_text(
        &root,
        "[data-testid=saved-rename-input]",
        "  uvicorn baseline ",
    );
    click(&root, "[data-testid=saved-rename-save]");
    wait_until("renamed", || {
        saved_names(&root) == ["uvicorn baseline", "ab-waitress"]
    })
    .await;
    assert_eq!(active_id(), "saved-rename-1", "focus back on Rename");
    assert_eq!(stored_json()["items"][0]["name"], json!("uvicorn baseline"));

    // Escape leaves a rename without changing anything.
    click(
        &root,
        &format!("{} [data-testid=saved-rename]", item("ab-waitress")),
    );
    settle().await;
    let input = find(&root, "[data-testid=saved-rename-input]");
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("Escape");
    init.set_bubbles(true);
    input
        .dispatch_event(
            &web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap(),
        )
        .unwrap();
    settle().await;
    assert!(!exists(&root, "[data-testid=saved-rename-input]"));
    assert_eq!(saved_names(&root), ["uvicorn baseline", "ab-waitress"]);

    // Delete asks first, inside the page.
    click(
        &root,
        &format!("{} [data-testid=saved-delete]", item("ab-waitress")),
    );
    settle().await;
    assert!(text(&root, &item("ab-waitress")).contains("Delete “ab-waitress”?"));
    assert_eq!(
        active_id(),
        "saved-keep-2",
        "focus on Keep, the safe choice"
    );
    assert_eq!(stored_json()["items"].as_array().unwrap().len(), 2);
    click(&root, "[data-testid=saved-delete-confirm]");
    wait_until("deleted", || saved_names(&root) == ["uvicorn baseline"]).await;
    assert_eq!(stored_json()["items"].as_array().unwrap().len(), 1);

    // Load hands the scenario to the app.
    click(&root, "[data-testid=saved-load]");
    wait_until("loaded", || {
        text(&root, "[data-testid=loaded]") == "ab-uvicorn"
    })
    .await;

    // A reload (unmount, mount) reads them back.
    app.destroy();
    settle().await;
    assert_eq!(root.child_element_count(), 0);
    let app = mount_library(&root).await;
    assert_eq!(saved_names(&root), ["uvicorn baseline"]);
    assert!(!exists(&root, "[data-testid=saved-problems]"));
    app.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn text_that_is_not_json_is_reported_and_kept_aside() {
    let root = fresh_root();
    storage().set_item(KEY, "{not json at all").unwrap();
    let app = mount_library(&root).await;
    let problems = text(&root, "[data-testid=saved-problems]");
    assert!(
        problems.contains("saved scenarios could not be read (not JSON): kept aside"),
        "{problems}"
    );
    assert_eq!(
        find(&root, "[data-testid=saved-problems]")
            .get_attribute("role")
            .as_deref(),
        Some("alert")
    );
    let kept = all(&root, "[data-testid=kept-aside-item]");
    assert_eq!(kept.len(), 1);
    assert!(kept[0].text_content().unwrap().contains("not JSON"));
    assert_eq!(
        stored().as_deref(),
        Some("{not json at all"),
        "left as it was"
    );

    // Its raw text can be downloaded.
    let downloads = Downloads::catch();
    click(&root, "[data-testid=kept-download]");
    let (file, body) = downloads.last_text().await;
    assert_eq!(file, "loopsim-kept-aside-1.txt");
    assert_eq!(body, "{not json at all");

    // Saving keeps it, in the stored JSON.
    click(&root, "[data-testid=save-button]");
    wait_until("saved", || saved_names(&root).len() == 1).await;
    let v = stored_json();
    assert_eq!(v["kept_aside"][0]["raw"], json!("{not json at all"));
    assert_eq!(v["items"][0]["name"], json!("ab-uvicorn"));
    app.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn a_newer_store_is_kept_aside_untouched() {
    let root = fresh_root();
    let raw = r#"{"version": 9, "items": [{"future": true}]}"#;
    storage().set_item(KEY, raw).unwrap();
    let app = mount_library(&root).await;
    let problems = text(&root, "[data-testid=saved-problems]");
    assert!(
        problems.contains("saved by a newer loopsim, version 9"),
        "{problems}"
    );
    assert!(text(&root, "[data-testid=kept-aside-list]")
        .contains("saved by a newer loopsim (version 9)"));
    assert!(saved_names(&root).is_empty());
    assert_eq!(stored().as_deref(), Some(raw));
    // Dismissing the message leaves the entry listed.
    click(&root, "[data-testid=saved-problems] button");
    settle().await;
    assert!(!exists(&root, "[data-testid=saved-problems]"));
    assert_eq!(all(&root, "[data-testid=kept-aside-item]").len(), 1);
    app.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn an_invalid_item_is_kept_aside_with_its_error_and_the_rest_loads() {
    let root = fresh_root();
    let mut bad = serde_json::to_value(preset("ab-uvicorn")).unwrap();
    bad["server"]["workers"] = json!(0);
    let store = json!({
        "version": 1,
        "items": [
            {"id": 1, "name": "good", "saved_at": 1.7e12, "scenario": preset("ab-waitress")},
            {"id": 2, "name": "broken", "saved_at": 1.7e12, "scenario": bad},
        ],
    });
    storage().set_item(KEY, &store.to_string()).unwrap();
    let app = mount_library(&root).await;
    assert_eq!(saved_names(&root), ["good"]);
    let problems = text(&root, "[data-testid=saved-problems]");
    assert!(
        problems.contains("“broken”")
            && problems.contains("server.workers: must be between 1 and 64 (got 0)"),
        "{problems}"
    );
    // Rewritten with the item kept aside as it was.
    let v = stored_json();
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    let raw: Value = serde_json::from_str(v["kept_aside"][0]["raw"].as_str().unwrap()).unwrap();
    assert_eq!(raw["name"], json!("broken"));
    assert_eq!(raw["scenario"]["server"]["workers"], json!(0));
    assert!(v["kept_aside"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("server.workers"));

    // Discarding asks first, then removes it from storage too.
    click(&root, "[data-testid=kept-discard]");
    settle().await;
    assert!(text(&root, "[data-testid=kept-aside-item]").contains("Discard entry 1 for good?"));
    click(&root, "[data-testid=kept-discard-confirm]");
    wait_until("discarded", || {
        !exists(&root, "[data-testid=kept-aside-list]")
    })
    .await;
    assert_eq!(stored_json()["kept_aside"], json!([]));
    assert_eq!(saved_names(&root), ["good"]);
    app.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn an_invalid_scenario_cannot_be_saved() {
    #[component]
    fn InvalidHost(_: &NoProps) -> Html {
        let mut s = preset("ab-uvicorn");
        s.server.workers = Some(0);
        html! { <SavedScenarios current={Rc::new(s)} on_load={Callback::noop()} /> }
    }
    let root = fresh_root();
    let app = yew::Renderer::<InvalidHost>::with_root(root.clone()).render();
    settle().await;
    assert!(disabled(&root, "[data-testid=save-button]"));
    assert!(text(&root, "#save-reason").contains("server.workers"));
    app.destroy();
    root.remove();
}

/// Replaces `target[name]` with a function that throws a `DOMException` named `error`;
/// returns a closure that restores it.
fn make_throw(target: &JsValue, name: &str, getter: bool, error: &str) -> impl FnOnce() {
    let object: js_sys::Object = target.clone().unchecked_into();
    let key = JsValue::from_str(name);
    let original = js_sys::Object::get_own_property_descriptor(&object, &key);
    let thrower = Function::new_no_args(&format!(
        "throw new DOMException('denied in this test', '{error}')"
    ));
    let descriptor = js_sys::Object::new();
    Reflect::set(
        &descriptor,
        &if getter { "get" } else { "value" }.into(),
        &thrower,
    )
    .unwrap();
    Reflect::set(&descriptor, &"configurable".into(), &true.into()).unwrap();
    if !getter {
        Reflect::set(&descriptor, &"writable".into(), &true.into()).unwrap();
    }
    js_sys::Object::define_property(&object, &key, &descriptor);
    move || {
        js_sys::Object::define_property(&object, &key, &original.unchecked_into());
    }
}

#[wasm_bindgen_test]
async fn without_local_storage_saving_lasts_for_the_page_and_says_so() {
    let root = fresh_root();
    // As in a sandboxed iframe: reading `window.localStorage` throws.
    let restore = make_throw(
        &web_sys::window().unwrap(),
        "localStorage",
        true,
        "SecurityError",
    );
    let app = mount_library(&root).await;
    restore();
    let problems = text(&root, "[data-testid=saved-problems]");
    assert!(
        problems.contains("cannot be kept in this browser") && problems.contains("SecurityError"),
        "{problems}"
    );
    click(&root, "[data-testid=save-button]");
    wait_until("saved in memory", || saved_names(&root) == ["ab-uvicorn"]).await;
    assert_eq!(stored(), None, "nothing written");
    app.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn a_full_storage_is_reported_and_nothing_changes() {
    let root = fresh_root();
    let app = mount_library(&root).await;
    let proto = Reflect::get(
        &Reflect::get(&web_sys::window().unwrap(), &"Storage".into()).unwrap(),
        &"prototype".into(),
    )
    .unwrap();
    let restore = make_throw(&proto, "setItem", false, "QuotaExceededError");
    click(&root, "[data-testid=save-button]");
    settle().await;
    restore();
    let error = text(&root, "[data-testid=saved-error]");
    assert!(
        error.contains("could not write to local storage (QuotaExceededError"),
        "{error}"
    );
    assert!(saved_names(&root).is_empty(), "not saved, so not listed");
    // Once there is room again, saving works.
    click(&root, "[data-testid=save-button]");
    wait_until("saved", || saved_names(&root) == ["ab-uvicorn"]).await;
    assert!(!exists(&root, "[data-testid=saved-error]"));
    app.destroy();
    root.remove();
}

// ---------------------------------------------------------------------------------------------
// The standalone SVG.

const TEST_CSS: &str =
    ".t-line { stroke: rgb(1, 2, 3); stroke-width: 3px; stroke-dasharray: 4px, 2px; }
.t-text { font-size: 13px; font-weight: 700; fill: rgb(4, 5, 6); text-anchor: middle; }
.t-hidden { display: none; }
.t-box { background: rgb(250, 250, 250); width: 300px; }";

fn chart_fixture() -> (Element, Element, Element) {
    let style = document().create_element("style").unwrap();
    style.set_text_content(Some(TEST_CSS));
    document().head().unwrap().append_child(&style).unwrap();
    let holder = document().create_element("div").unwrap();
    holder.set_class_name("t-box");
    holder.set_inner_html(
        r#"<svg viewBox="0 0 200 100" width="100%" role="img" aria-labelledby="t-title">
             <title id="t-title">A test chart</title>
             <line class="t-line" x1="0" y1="0" x2="200" y2="100"/>
             <text class="t-text" x="100" y="50">p99 &amp; more</text>
             <circle class="t-hidden" r="4"/>
           </svg>"#,
    );
    document().body().unwrap().append_child(&holder).unwrap();
    let svg = holder.query_selector("svg").unwrap().unwrap();
    (style, holder, svg)
}

#[wasm_bindgen_test]
async fn an_svg_becomes_a_standalone_file_with_inline_styles() {
    let (style, holder, svg) = chart_fixture();
    let out = svg_to_string(&svg);
    style.remove();
    holder.remove();
    assert!(
        out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg"),
        "{out}"
    );
    assert_eq!(
        out.matches("xmlns=\"http://www.w3.org/2000/svg\"").count(),
        1,
        "{out}"
    );
    for expected in [
        "stroke:rgb(1, 2, 3);",
        "stroke-width:3px;",
        "stroke-dasharray:4px, 2px;",
        "font-size:13px;",
        "font-weight:700;",
        "fill:rgb(4, 5, 6);",
        "text-anchor:middle;",
        "display:none;",
        "width=\"300\"",
        "height=\"150\"",
        "fill=\"rgb(250, 250, 250)\"",
        "p99 &amp; more",
    ] {
        assert!(out.contains(expected), "{expected} missing from {out}");
    }
    // Well-formed XML that an SVG viewer reads, the background behind the drawing.
    let doc = DomParser::new().parse_from_string(&out, "image/svg+xml");
    assert_eq!(
        doc.get_elements_by_tag_name("parsererror").length(),
        0,
        "{out}"
    );
    let root = doc.document_element().unwrap();
    assert_eq!(root.local_name(), "svg");
    let children: Vec<String> = (0..root.children().length())
        .map(|i| root.children().item(i).unwrap().local_name())
        .collect();
    assert_eq!(children, ["title", "rect", "line", "text", "circle"]);
    // And it draws as a PNG at 2×.
    let png = render_png(&out, 300.0, 150.0).await.unwrap();
    assert_eq!(png.type_(), "image/png");
    assert!(png.size() > 200.0);
}

// ---------------------------------------------------------------------------------------------
// Import and export.

#[derive(Properties, PartialEq)]
struct TransferHostProps {
    with_result: bool,
}

/// `Transfer` with a stand-in results panel whose chart can be shown or hidden.
#[component]
fn TransferHost(p: &TransferHostProps) -> Html {
    let scenario = use_state(|| Rc::new(preset("fastapi-async-time-sleep")));
    let result = use_memo(p.with_result, |with| {
        with.then(|| {
            let s = preset("fastapi-async-time-sleep");
            Rc::new(loopsim_app::run::run_to_end(1, &s, Detail::default()).unwrap())
        })
    });
    let chart = use_state(|| false);
    let on_import = {
        let scenario = scenario.clone();
        Callback::from(move |s: Scenario| scenario.set(Rc::new(s)))
    };
    let toggle = {
        let chart = chart.clone();
        Callback::from(move |_: MouseEvent| chart.set(!*chart))
    };
    let result: Option<Rc<RunView>> = (*result).clone();
    html! {
        <>
            <Transfer scenario={(*scenario).clone()} {result} {on_import} />
            <p data-testid="current-name">{ scenario.name.clone().unwrap_or_default() }</p>
            <button type="button" id="toggle-chart" onclick={toggle}>{ "chart" }</button>
            <div id="tab-panel" data-testid="view-latency">
                if *chart {
                    <svg viewBox="0 0 100 50" role="img"><title>{ "chart" }</title><rect width="10" height="10" /></svg>
                }
            </div>
        </>
    }
}

async fn mount_transfer(root: &Element, with_result: bool) -> yew::AppHandle<TransferHost> {
    let handle = yew::Renderer::<TransferHost>::with_root_and_props(
        root.clone(),
        TransferHostProps { with_result },
    )
    .render();
    settle().await;
    handle
}

/// Picks `file` in the import input.
fn choose_file(root: &Element, name: &str, content: &str) {
    let file = web_sys::File::new_with_str_sequence(&Array::of1(&JsValue::from_str(content)), name)
        .unwrap();
    let dt = DataTransfer::new();
    dt.items().add(&file);
    let input: HtmlInputElement = find(root, "[data-testid=import-input]").unchecked_into();
    input.set_files(Some(&dt.files()));
    let init = EventInit::new();
    init.set_bubbles(true);
    input
        .dispatch_event(&Event::new_with_event_init_dict("change", &init).unwrap())
        .unwrap();
}

#[wasm_bindgen_test]
async fn importing_checks_the_file_and_keeps_the_scenario_on_errors() {
    let root = fresh_root();
    let app = mount_transfer(&root, false).await;
    let input = find(&root, "[data-testid=import-input]");
    assert_eq!(input.get_attribute("type").as_deref(), Some("file"));
    assert_eq!(
        input.get_attribute("accept").as_deref(),
        Some(".json,application/json")
    );
    assert_eq!(text(&root, "label[for=import-file]"), "Import scenario…");
    assert_eq!(
        text(&root, "[data-testid=current-name]"),
        "fastapi-async-time-sleep"
    );

    // Every error, with its path and range; the scenario stays.
    let mut bad = serde_json::to_value(preset("ab-waitress")).unwrap();
    bad["server"]["workers"] = json!(0);
    bad["load"]["requests"] = json!(0);
    choose_file(&root, "bad.json", &bad.to_string());
    wait_until("errors shown", || {
        exists(&root, "[data-testid=import-errors]")
    })
    .await;
    let errors = find(&root, "[data-testid=import-errors]");
    assert_eq!(errors.get_attribute("role").as_deref(), Some("alert"));
    let lines: Vec<String> = all(&errors, "li")
        .iter()
        .map(|l| l.text_content().unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            "server.workers: must be between 1 and 64 (got 0)",
            "load.requests: must be between 1 and 10000000 (got 0)",
            "load.concurrency: cannot exceed load.requests (0), as with ab -c ≤ -n (got 500)",
        ]
    );
    assert!(errors
        .text_content()
        .unwrap()
        .contains("“bad.json” was not imported"));
    assert_eq!(
        text(&root, "[data-testid=current-name]"),
        "fastapi-async-time-sleep"
    );

    // Not JSON.
    choose_file(&root, "notes.json", "hello");
    wait_until("JSON error", || {
        text(&root, "[data-testid=import-errors]").contains("not valid JSON")
    })
    .await;

    // Too large: refused before reading.
    choose_file(&root, "huge.json", &" ".repeat((1 << 20) + 1));
    wait_until("size error", || {
        text(&root, "[data-testid=import-errors]").contains("at most 1 MB")
    })
    .await;

    // A good file replaces the scenario and clears the errors.
    choose_file(&root, "w.json", &preset("ab-waitress").to_json());
    wait_until("imported", || {
        text(&root, "[data-testid=current-name]") == "ab-waitress"
    })
    .await;
    assert!(!exists(&root, "[data-testid=import-errors]"));
    assert!(
        text(&root, "[data-testid=transfer-status]").contains("Imported “ab-waitress” from w.json")
    );

    // Without a result, the result exports say why they are off.
    assert!(disabled(&root, "[data-testid=export-csv]"));
    assert!(disabled(&root, "[data-testid=export-json]"));
    assert!(disabled(&root, "[data-testid=export-svg]"));
    assert!(text(&root, "#export-results-reason").contains("Run the scenario"));
    app.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn exports_the_scenario_results_and_the_open_chart() {
    let root = fresh_root();
    let app = mount_transfer(&root, true).await;
    let downloads = Downloads::catch();

    click(&root, "[data-testid=export-scenario]");
    let (file, body) = downloads.last_text().await;
    assert_eq!(file, "loopsim-scenario.json");
    assert_eq!(
        Scenario::from_json(&body).unwrap(),
        preset("fastapi-async-time-sleep")
    );

    click(&root, "[data-testid=export-csv]");
    let (file, body) = downloads.last_text().await;
    assert_eq!(file, "loopsim-requests.csv");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], CSV_HEADER);
    assert_eq!(lines.len(), 3, "a header and the two requests");

    click(&root, "[data-testid=export-json]");
    let (file, body) = downloads.last_text().await;
    assert_eq!(file, "loopsim-results.json");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["scenario"]["name"], json!("fastapi-async-time-sleep"));
    assert_eq!(v["summary"]["completed"], json!(2));
    assert_eq!(v["requests"].as_array().unwrap().len(), 2);
    assert!(v["requests"][0]["latency_ms"].as_f64().unwrap() > 9_000.0);
    assert!(v["workers"].is_array());

    // The chart buttons follow the open view.
    assert!(disabled(&root, "[data-testid=export-svg]"));
    assert!(disabled(&root, "[data-testid=export-png]"));
    assert!(text(&root, "[data-testid=export-chart-reason]").contains("The open view has no chart"));
    click(&root, "#toggle-chart");
    wait_until("chart found", || {
        !disabled(&root, "[data-testid=export-svg]")
    })
    .await;
    assert!(!exists(&root, "[data-testid=export-chart-reason]"));
    click(&root, "[data-testid=export-svg]");
    let (file, body) = downloads.last_text().await;
    assert_eq!(file, "loopsim-latency.svg");
    assert!(body.contains("<svg") && body.contains("xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(body.contains("fill:"), "styles inlined: {body}");

    let before = downloads.count();
    click(&root, "[data-testid=export-png]");
    wait_until("PNG made", || downloads.count() > before).await;
    let (file, response) = downloads.last().await;
    assert_eq!(file, "loopsim-latency.png");
    let blob: web_sys::Blob = call(&response, "blob").await.unchecked_into();
    assert_eq!(blob.type_(), "image/png");
    assert!(text(&root, "[data-testid=transfer-status]").contains("Downloaded loopsim-latency.png"));

    click(&root, "#toggle-chart");
    wait_until("chart gone", || disabled(&root, "[data-testid=export-svg]")).await;
    drop(downloads);
    app.destroy();
    root.remove();
}
