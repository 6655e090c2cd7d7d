//! The charts in a real browser (headless Chromium through wasm-bindgen-test-runner): each is
//! mounted in a small host that owns the state it reports through callbacks, and the tests
//! check DOM facts. Run with
//! `cargo test --target wasm32-unknown-unknown -p loopsim-app --test charts`.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use loopsim_app::components::charts::{
    CdfSeries, ConcurrencyChart, DistributionChart, LatencyChart, Timeline, MAX_LANES,
};
use loopsim_app::protocol::RunView;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement};
use yew::platform::time::sleep;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

mod dom;
use dom::{all, find};

const SLEEP: &str = "fastapi-async-time-sleep";

fn run(preset: &str) -> Rc<RunView> {
    let scenario = loopsim_engine::presets::find(preset)
        .expect("preset")
        .scenario();
    Rc::new(
        loopsim_app::run::run_to_end(1, &scenario, Default::default()).expect("the preset runs"),
    )
}

/// Every value a callback was called with.
type Log<T> = Rc<RefCell<Vec<T>>>;
/// A timeline window as `on_window` reports it.
type Window = Option<(u64, u64)>;

// ---- hosts -------------------------------------------------------------------------------

#[derive(Properties)]
struct LatencyHostProps {
    view: Rc<RunView>,
    log: Log<Option<u32>>,
}

impl PartialEq for LatencyHostProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.view, &other.view) && Rc::ptr_eq(&self.log, &other.log)
    }
}

#[component]
fn LatencyHost(props: &LatencyHostProps) -> Html {
    let selected = use_state(|| None::<u32>);
    let on_select = {
        let (selected, log) = (selected.clone(), props.log.clone());
        Callback::from(move |id: Option<u32>| {
            log.borrow_mut().push(id);
            selected.set(id);
        })
    };
    html! { <LatencyChart view={props.view.clone()} selected={*selected} {on_select} /> }
}

#[derive(Properties)]
struct TimelineHostProps {
    view: Rc<RunView>,
    #[prop_or_default]
    initial_window: Option<(u64, u64)>,
    #[prop_or_default]
    cursor_ns: Option<u64>,
    windows: Log<Window>,
    selects: Log<Option<u32>>,
}

impl PartialEq for TimelineHostProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.view, &other.view) && self.initial_window == other.initial_window
    }
}

#[component]
fn TimelineHost(props: &TimelineHostProps) -> Html {
    let window = use_state(|| props.initial_window);
    let selected = use_state(|| None::<u32>);
    let on_window = {
        let (window, log) = (window.clone(), props.windows.clone());
        Callback::from(move |w: Option<(u64, u64)>| {
            log.borrow_mut().push(w);
            window.set(w);
        })
    };
    let on_select = {
        let (selected, log) = (selected.clone(), props.selects.clone());
        Callback::from(move |id: Option<u32>| {
            log.borrow_mut().push(id);
            selected.set(id);
        })
    };
    html! {
        <Timeline view={props.view.clone()} window={*window} {on_window} selected={*selected} {on_select}
            cursor_ns={props.cursor_ns} />
    }
}

#[derive(Properties)]
struct AllChartsProps {
    view: Rc<RunView>,
}

impl PartialEq for AllChartsProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.view, &other.view)
    }
}

fn current_series(v: &RunView) -> CdfSeries {
    CdfSeries {
        label: "current run".into(),
        points: v.latency_cdf.clone(),
        class: "current".into(),
    }
}

fn markers(v: &RunView) -> Vec<(String, f64)> {
    let s = &v.summary;
    vec![
        ("p50".into(), s.p50_ms),
        ("p90".into(), s.p90_ms),
        ("p99".into(), s.p99_ms),
        ("max".into(), s.max_ms),
    ]
}

#[component]
fn AllCharts(props: &AllChartsProps) -> Html {
    let v = &props.view;
    html! {
        <>
            <LatencyChart view={v.clone()} selected={None} on_select={Callback::noop()} />
            <DistributionChart series={vec![current_series(v)]} histogram={v.latency_histogram.clone()} markers={markers(v)} />
            <Timeline view={v.clone()} window={None} on_window={Callback::noop()} selected={None} on_select={Callback::noop()} />
            <ConcurrencyChart series={v.concurrency.clone()} />
        </>
    }
}

// ---- DOM helpers -------------------------------------------------------------------------

fn new_root() -> Element {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    let root = document.create_element("div").expect("a root");
    // A realistic width, so that pointer positions map onto the chart.
    root.set_attribute("style", "width: 960px").unwrap();
    document
        .body()
        .expect("a body")
        .append_child(&root)
        .expect("attached");
    root
}

async fn settle() {
    sleep(Duration::ZERO).await;
    sleep(Duration::from_millis(5)).await;
}

async fn mount<C>(props: C::Properties) -> Element
where
    C: BaseComponent,
{
    let root = new_root();
    yew::Renderer::<C>::with_root_and_props(root.clone(), props).render();
    settle().await;
    root
}

fn attr_f64(el: &Element, name: &str) -> f64 {
    el.get_attribute(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no numeric {name}"))
}

/// Dispatches `new <ctor>(kind, init)` on `target` (any event type, without web-sys features).
fn fire(target: &Element, ctor: &str, kind: &str, init: &[(&str, JsValue)]) {
    let window = web_sys::window().unwrap();
    let ctor: js_sys::Function = js_sys::Reflect::get(&window, &ctor.into())
        .unwrap()
        .unchecked_into();
    let dict = js_sys::Object::new();
    js_sys::Reflect::set(&dict, &"bubbles".into(), &true.into()).unwrap();
    js_sys::Reflect::set(&dict, &"cancelable".into(), &true.into()).unwrap();
    for (k, v) in init {
        js_sys::Reflect::set(&dict, &(*k).into(), v).unwrap();
    }
    let args = js_sys::Array::of2(&kind.into(), &dict);
    let event: web_sys::Event = js_sys::Reflect::construct(&ctor, &args)
        .unwrap()
        .unchecked_into();
    target.dispatch_event(&event).unwrap();
}

fn click(target: &Element) {
    fire(target, "MouseEvent", "click", &[]);
}

fn key(target: &Element, key: &str) {
    fire(target, "KeyboardEvent", "keydown", &[("key", key.into())]);
}

fn button(root: &Element, testid: &str) -> HtmlElement {
    find(root, &format!("[data-testid={testid}]")).unchecked_into()
}

/// Accessible name and description of an `role=img` SVG: its `<title>` and `<desc>`.
fn title_and_desc(root: &Element, svg: &Element) -> (String, String) {
    assert_eq!(svg.get_attribute("role").as_deref(), Some("img"));
    let text = |attr: &str| {
        let id = svg
            .get_attribute(attr)
            .unwrap_or_else(|| panic!("svg has no {attr}"));
        find(root, &format!("[id='{id}']"))
            .text_content()
            .unwrap_or_default()
    };
    (text("aria-labelledby"), text("aria-describedby"))
}

fn node_count(svg: &Element) -> u32 {
    svg.query_selector_all("*").unwrap().length()
}

// ---- latency -----------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn latency_chart_draws_each_request_and_the_percentiles() {
    let view = run(SLEEP);
    let root = mount::<LatencyHost>(LatencyHostProps {
        view,
        log: Log::default(),
    })
    .await;
    let svg = find(&root, "[data-testid=latency-chart]");
    let points = all(&svg, "circle[data-request-id]");
    assert_eq!(points.len(), 2);
    let titles: Vec<String> = points
        .iter()
        .map(|p| p.text_content().unwrap_or_default())
        .collect();
    assert!(
        titles.contains(&"request 0: sent 0 ms, 10.0 s, ok".to_string()),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"request 1: sent 0 ms, 20.0 s, ok".to_string()),
        "{titles:?}"
    );
    for p in ["p50", "p90", "p99"] {
        find(&svg, &format!("line[data-percentile={p}]"));
    }
    // All three are 20.0 s here: one label names them all.
    let labels: Vec<String> = all(&svg, ".pline-label")
        .iter()
        .filter_map(|t| t.text_content())
        .collect();
    assert_eq!(labels, vec!["p50 = p90 = p99 20.0 s"]);
    // The slower request sits higher (smaller y).
    let y = |id: &str| attr_f64(&find(&svg, &format!("[data-request-id='{id}']")), "cy");
    assert!(y("1") < y("0"));
    let (title, desc) = title_and_desc(&root, &svg);
    assert!(title.contains("Latency"), "{title}");
    assert!(
        desc.contains("2 requests") && desc.contains("p99 20.0 s"),
        "{desc}"
    );
    assert!(!all(&root, ".chart-legend li").is_empty());
}

#[wasm_bindgen_test]
async fn clicking_a_point_selects_its_request() {
    let log = Log::default();
    let root = mount::<LatencyHost>(LatencyHostProps {
        view: run(SLEEP),
        log: log.clone(),
    })
    .await;
    click(&find(&root, "circle[data-request-id='1']"));
    settle().await;
    assert_eq!(*log.borrow(), vec![Some(1)]);
    let selected = find(&root, "circle[data-selected]");
    assert_eq!(
        selected.get_attribute("data-request-id").as_deref(),
        Some("1")
    );
    assert!(attr_f64(&selected, "r") > attr_f64(&find(&root, "circle[data-request-id='0']"), "r"));
    assert!(find(&root, ".chart-info")
        .text_content()
        .unwrap()
        .contains("request 1"));

    // Keyboard: the arrow keys step through the requests, Escape clears.
    let plot = find(&root, ".latency-chart .chart-plot");
    key(&plot, "ArrowLeft");
    settle().await;
    key(&plot, "Escape");
    settle().await;
    assert_eq!(*log.borrow(), vec![Some(1), Some(0), None]);
    assert!(root
        .query_selector("circle[data-selected]")
        .unwrap()
        .is_none());
}

#[wasm_bindgen_test]
async fn wide_latency_ranges_start_on_a_log_scale_and_toggle() {
    // 5.6 ms to 15 s: log by default; the toggle switches to linear and back.
    let root = mount::<LatencyHost>(LatencyHostProps {
        view: run("ab-flask-dev"),
        log: Log::default(),
    })
    .await;
    let before = all(&root, "circle[data-request-id]").len();
    let toggle: HtmlElement = find(&root, ".latency-chart button[aria-pressed]").unchecked_into();
    let axis = || {
        find(&root, "[data-testid=latency-chart] .axis-y")
            .text_content()
            .unwrap()
    };
    assert_eq!(
        toggle.get_attribute("aria-pressed").as_deref(),
        Some("true")
    );
    assert!(axis().contains("log scale"));
    toggle.click();
    settle().await;
    assert_eq!(
        toggle.get_attribute("aria-pressed").as_deref(),
        Some("false")
    );
    assert!(!axis().contains("log scale"));
    assert_eq!(all(&root, "circle[data-request-id]").len(), before);
    toggle.click();
    settle().await;
    assert!(axis().contains("log scale"));

    // 10 s and 20 s: linear by default.
    let root = mount::<LatencyHost>(LatencyHostProps {
        view: run(SLEEP),
        log: Log::default(),
    })
    .await;
    let toggle = find(&root, ".latency-chart button[aria-pressed]");
    assert_eq!(
        toggle.get_attribute("aria-pressed").as_deref(),
        Some("false")
    );
}

// ---- timeline ----------------------------------------------------------------------------

fn timeline_host(
    view: Rc<RunView>,
    initial_window: Option<(u64, u64)>,
) -> (TimelineHostProps, Log<Window>, Log<Option<u32>>) {
    let (windows, selects) = (Log::default(), Log::default());
    let props = TimelineHostProps {
        view,
        initial_window,
        cursor_ns: None,
        windows: windows.clone(),
        selects: selects.clone(),
    };
    (props, windows, selects)
}

#[wasm_bindgen_test]
async fn a_blocked_event_loop_is_obvious_on_the_timeline() {
    let view = run(SLEEP);
    let (props, _, _) = timeline_host(view.clone(), None);
    let root = mount::<TimelineHost>(props).await;
    let svg = find(&root, "[data-testid=timeline]");
    let lane = find(&svg, "[data-lane='w0 event loop']");
    let plot_w = attr_f64(&find(&lane, ".lane-bg"), "width");
    let blocked = all(&lane, "rect[data-state=blocked]");
    assert!(!blocked.is_empty());
    let covered: f64 = blocked.iter().map(|r| attr_f64(r, "width")).sum();
    assert!(
        covered > 0.95 * plot_w,
        "blocked covers {covered} of {plot_w}"
    );
    // The blocking call is named inside its segments, and on hover.
    let labels: Vec<String> = all(&lane, ".seg-text-blocked")
        .iter()
        .filter_map(|t| t.text_content())
        .collect();
    assert!(
        labels.iter().any(|t| t.contains("time.sleep(10)")),
        "{labels:?}"
    );
    assert!(blocked[0]
        .text_content()
        .unwrap()
        .contains("blocked in a call"));
    assert!(blocked
        .iter()
        .all(|r| r.get_attribute("data-request-id").is_some()));
    let (_, desc) = title_and_desc(&root, &svg);
    assert!(desc.contains("w0 event loop blocked 100 %"), "{desc}");
}

#[wasm_bindgen_test]
async fn zoom_buttons_go_through_on_window() {
    let view = run(SLEEP);
    let end = view.end_ns;
    let (props, windows, _) = timeline_host(view, None);
    let root = mount::<TimelineHost>(props).await;
    assert!(
        button(&root, "zoom-out").has_attribute("disabled"),
        "the whole run is shown"
    );

    button(&root, "zoom-in").click();
    settle().await;
    let w = windows
        .borrow()
        .last()
        .copied()
        .flatten()
        .expect("a narrower window");
    assert!(w.1 - w.0 < end && w.1 - w.0 >= end / 3, "{w:?}");
    assert!(find(&root, "[data-testid=timeline-window]")
        .text_content()
        .unwrap()
        .starts_with("Showing"));

    button(&root, "pan-right").click();
    settle().await;
    let w2 = windows.borrow().last().copied().flatten().unwrap();
    assert!(w2.0 > w.0 && w2.1 - w2.0 == w.1 - w.0, "{w:?} → {w2:?}");

    button(&root, "zoom-reset").click();
    settle().await;
    assert_eq!(windows.borrow().last().copied(), Some(None));
    assert!(button(&root, "zoom-reset").has_attribute("disabled"));
}

#[wasm_bindgen_test]
async fn wheel_zooms_and_drag_pans() {
    let view = run(SLEEP);
    let end = view.end_ns;
    let (props, windows, _) = timeline_host(view, None);
    let root = mount::<TimelineHost>(props).await;
    let plot = find(&root, ".timeline-plot");
    let rect = plot.get_bounding_client_rect();
    let mid_x = rect.left() + rect.width() * 0.6;
    let mid_y = rect.top() + 20.0;
    fire(
        &find(&root, "[data-testid=timeline] .lane-bg"),
        "WheelEvent",
        "wheel",
        &[
            ("deltaY", (-300.0).into()),
            ("clientX", mid_x.into()),
            ("clientY", mid_y.into()),
        ],
    );
    settle().await;
    let w = windows
        .borrow()
        .last()
        .copied()
        .flatten()
        .expect("wheel up zooms in");
    assert!(w.1 - w.0 < end);

    // Drag to the left by 100 px: later times come into view.
    let target = find(&root, "[data-testid=timeline] .lane-bg");
    let at = |x: f64| -> [(&str, JsValue); 4] {
        [
            ("clientX", x.into()),
            ("clientY", mid_y.into()),
            ("pointerId", 1.into()),
            ("button", 0.into()),
        ]
    };
    fire(&target, "PointerEvent", "pointerdown", &at(mid_x));
    fire(&target, "PointerEvent", "pointermove", &at(mid_x - 100.0));
    fire(&target, "PointerEvent", "pointerup", &at(mid_x - 100.0));
    settle().await;
    let w2 = windows.borrow().last().copied().flatten().unwrap();
    assert!(w2.0 > w.0, "{w:?} → {w2:?}");
    assert_eq!(w2.1 - w2.0, w.1 - w.0, "panning keeps the span");
}

#[wasm_bindgen_test]
async fn clicking_a_segment_selects_and_outlines_its_request() {
    let (props, _, selects) = timeline_host(run(SLEEP), None);
    let root = mount::<TimelineHost>(props).await;
    let seg = all(&root, "rect[data-state=blocked][data-request-id='1']")
        .pop()
        .expect("request 1 blocks the loop");
    click(&seg);
    settle().await;
    assert_eq!(*selects.borrow(), vec![Some(1)]);
    let info = find(&root, "[data-testid=timeline-info]")
        .text_content()
        .unwrap();
    assert!(
        info.contains("request 1") && info.contains("time.sleep(10)") && info.contains("blocked"),
        "{info}"
    );
    assert!(
        !all(&root, ".seg-mark").is_empty(),
        "the selected request is outlined"
    );
    let outlined = all(&root, "rect.seg.selected");
    assert!(!outlined.is_empty());
    assert!(outlined
        .iter()
        .all(|r| r.get_attribute("data-request-id").as_deref() == Some("1")));

    // Keyboard: focus moves along the lane; Enter selects the focused segment's request.
    let plot = find(&root, ".timeline-plot");
    // The lane starts with pooled short server work (accept, parse), then request 0 blocks.
    key(&plot, "Home");
    settle().await;
    key(&plot, "ArrowRight");
    settle().await;
    assert!(root.query_selector(".seg-focus").unwrap().is_some());
    let info = find(&root, "[data-testid=timeline-info]")
        .text_content()
        .unwrap();
    assert!(
        info.contains("request 0") && info.contains("time.sleep(10)"),
        "{info}"
    );
    key(&plot, "Enter");
    settle().await;
    assert_eq!(*selects.borrow(), vec![Some(1), Some(0)]);
}

#[wasm_bindgen_test]
async fn the_cursor_line_is_drawn_inside_the_window() {
    let view = run(SLEEP);
    let (mut props, _, _) = timeline_host(view.clone(), None);
    props.cursor_ns = Some(view.end_ns / 2);
    let root = mount::<TimelineHost>(props).await;
    let cursor = find(&root, "[data-testid=timeline-cursor]");
    let x = attr_f64(&cursor, "x1");
    assert!(x > 150.0 && x < 720.0, "{x}");
}

#[wasm_bindgen_test]
async fn many_lanes_are_capped_with_a_note() {
    // Flask's dev server, 60 simultaneous 1 s sleeps: a thread (a lane) per connection.
    let scenario = loopsim_engine::Scenario::from_json(
        r#"{"version": 1, "server": {"kind": "flask_dev"},
            "handler": {"route": "def",
                        "steps": [{"kind": "blocking_io", "duration": {"dist": "constant", "ms": 1000}}]},
            "load": {"kind": "burst", "clients": 60}}"#,
    )
    .unwrap();
    let view = Rc::new(
        loopsim_app::run::run_to_end(1, &scenario, Default::default()).expect("the scenario runs"),
    );
    assert!(view.lanes.len() > MAX_LANES);
    let (props, _, _) = timeline_host(view.clone(), None);
    let root = mount::<TimelineHost>(props).await;
    let lanes = all(&root, "[data-testid=timeline] [data-lane]");
    assert_eq!(lanes.len(), MAX_LANES);
    assert_eq!(
        lanes[0].get_attribute("data-lane").as_deref(),
        Some("w0 main thread")
    );
    let notes: String = all(&root, ".chart-note")
        .iter()
        .filter_map(|n| n.text_content())
        .collect();
    assert!(
        notes.contains(&format!(
            "{} more lanes not shown",
            view.lanes.len() - MAX_LANES
        )),
        "{notes}"
    );
}

#[wasm_bindgen_test]
async fn dropped_segments_are_reported() {
    let scenario = loopsim_engine::presets::find("ab-uvicorn")
        .unwrap()
        .scenario();
    let detail = loopsim_app::protocol::Detail {
        max_segments: 500,
        ..Default::default()
    };
    let view = Rc::new(loopsim_app::run::run_to_end(1, &scenario, detail).unwrap());
    assert!(view.segments_dropped > 0);
    let (props, _, _) = timeline_host(view, None);
    let root = mount::<TimelineHost>(props).await;
    let notes: String = all(&root, ".chart-note")
        .iter()
        .filter_map(|n| n.text_content())
        .collect();
    assert!(notes.contains("shows the first 500 segments"), "{notes}");
}

// ---- distribution and concurrency --------------------------------------------------------

#[wasm_bindgen_test]
async fn distribution_overlays_runs_with_markers_and_a_histogram() {
    let flask = run("ab-flask-dev");
    let uvicorn = run("ab-uvicorn");
    #[derive(Properties, PartialEq)]
    struct P {
        series: Vec<CdfSeries>,
        histogram: Vec<loopsim_engine::HistBin>,
        markers: Vec<(String, f64)>,
    }
    #[component]
    fn Host(p: &P) -> Html {
        html! { <DistributionChart series={p.series.clone()} histogram={p.histogram.clone()} markers={p.markers.clone()} /> }
    }
    let series = vec![
        CdfSeries {
            label: "A: ab-uvicorn".into(),
            points: uvicorn.latency_cdf.clone(),
            class: "pinned".into(),
        },
        current_series(&flask),
    ];
    let root = mount::<Host>(P {
        series,
        histogram: flask.latency_histogram.clone(),
        markers: markers(&flask),
    })
    .await;
    let cdf = find(&root, "[data-testid=cdf-chart]");
    assert_eq!(all(&cdf, "polyline.cdf-line").len(), 2);
    assert!(find(&cdf, "polyline.series-0")
        .get_attribute("class")
        .unwrap()
        .contains("pinned"));
    let labels: String = all(&cdf, ".marker-label")
        .iter()
        .filter_map(|t| t.text_content())
        .collect();
    for m in ["p50", "p90", "p99", "max"] {
        find(&cdf, &format!("line[data-marker={m}]"));
        assert!(labels.contains(m), "{labels}");
    }
    // About 16 ms (ab waits for werkzeug's 10 ms close) to 15 s: a log axis with 1-2-5 ticks.
    assert!(find(&cdf, ".axis-x")
        .text_content()
        .unwrap()
        .contains("log scale"));
    let ticks: Vec<String> = all(&cdf, ".axis-x .tick text")
        .iter()
        .filter_map(|t| t.text_content())
        .collect();
    assert!(
        ticks.contains(&"100 ms".to_string()) && ticks.contains(&"1 s".to_string()),
        "{ticks:?}"
    );
    let (_, desc) = title_and_desc(&root, &cdf);
    assert!(
        desc.contains("A: ab-uvicorn") && desc.contains("p99"),
        "{desc}"
    );

    let hist = find(&root, "[data-testid=histogram-chart]");
    let bars = all(&hist, "rect.bar");
    assert!(!bars.is_empty());
    let counted: u64 = bars.iter().map(|b| attr_f64(b, "data-count") as u64).sum();
    assert_eq!(counted, flask.summary.completed);
    // The two charts share their latency axis: ticks line up.
    let tick_x = |svg: &Element, label: &str| {
        all(svg, ".axis-x .tick text")
            .into_iter()
            .find(|t| t.text_content().as_deref() == Some(label))
            .map(|t| attr_f64(&t, "x"))
            .unwrap_or_else(|| panic!("no {label} tick"))
    };
    assert_eq!(tick_x(&cdf, "1 s"), tick_x(&hist, "1 s"));
    assert_eq!(all(&root, ".chart-legend").len(), 2);
}

#[wasm_bindgen_test]
async fn concurrency_chart_has_three_lines() {
    #[derive(Properties, PartialEq)]
    struct P {
        series: loopsim_engine::ConcurrencySeries,
    }
    #[component]
    fn Host(p: &P) -> Html {
        html! { <ConcurrencyChart series={p.series.clone()} /> }
    }
    let view = run("ab-uvicorn");
    let root = mount::<Host>(P {
        series: view.concurrency.clone(),
    })
    .await;
    let svg = find(&root, "[data-testid=concurrency-chart]");
    let keys: Vec<String> = all(&svg, "polyline[data-series]")
        .iter()
        .filter_map(|p| p.get_attribute("data-series"))
        .collect();
    assert_eq!(keys, vec!["in-system", "waiting", "in-service"]);
    assert_eq!(all(&root, ".chart-legend li").len(), 3);
    let (_, desc) = title_and_desc(&root, &svg);
    assert!(
        desc.contains("at most") && desc.contains("in the system"),
        "{desc}"
    );
}

// ---- size ----------------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn node_counts_stay_bounded_for_big_runs() {
    for preset in ["ab-uvicorn", "ab-flask-dev", "fastapi-def-cpu-bound"] {
        let root = mount::<AllCharts>(AllChartsProps { view: run(preset) }).await;
        for id in [
            "latency-chart",
            "cdf-chart",
            "histogram-chart",
            "timeline",
            "concurrency-chart",
        ] {
            let n = node_count(&find(&root, &format!("[data-testid={id}]")));
            assert!(n < 5000, "{preset}: {id} has {n} nodes");
        }
        let total = node_count(&root);
        assert!(total < 9000, "{preset}: {total} nodes in all");
    }
}

#[wasm_bindgen_test]
async fn node_counts_stay_bounded_in_the_worst_case() {
    use loopsim_app::view::scatter::Point;
    use loopsim_engine::{Segment, ThreadState};
    // Every point the worker may send, and 50 busy lanes of 4 000 tiny mixed segments each.
    let mut v = (*run("ab-flask-dev")).clone();
    v.scatter = (0..3000u32)
        .map(|i| Point {
            id: i,
            sent_ms: i as f64,
            latency_ms: ((i * 37) % 101) as f64,
            ok: i % 13 != 0,
        })
        .collect();
    let states = [
        ThreadState::Cpu,
        ThreadState::GilWait,
        ThreadState::Blocked,
        ThreadState::Wait,
    ];
    let lanes = v.lanes.len().min(50) as u32;
    v.segments = (0..lanes)
        .flat_map(|lane| {
            (0..4000u64).map(move |i| Segment {
                lane,
                start: i * 10_000,
                end: i * 10_000 + 1_000 + (i * 7 + lane as u64) % 9_000,
                state: states[((i + lane as u64) % 4) as usize],
                request: (i % 500) as u32,
                activity: 6,
            })
        })
        .collect();
    v.end_ns = 40_000_000;
    let view = Rc::new(v);

    let root = mount::<LatencyHost>(LatencyHostProps {
        view: view.clone(),
        log: Log::default(),
    })
    .await;
    let latency = node_count(&find(&root, "[data-testid=latency-chart]"));
    assert!(latency < 5000, "latency chart: {latency} nodes");

    // The whole run: everything pooled into pixel columns.
    let (props, _, _) = timeline_host(view.clone(), None);
    let root = mount::<TimelineHost>(props).await;
    let whole = node_count(&find(&root, "[data-testid=timeline]"));
    assert!(whole < 5000, "timeline: {whole} nodes");

    // Zoomed in far enough for single segments, with a request selected that has segments
    // on every lane: its outline is bounded too.
    let (props, _, selects) = timeline_host(view, Some((0, 200_000)));
    let root = mount::<TimelineHost>(props).await;
    click(&find(&root, "rect[data-request-id='3']"));
    settle().await;
    assert_eq!(*selects.borrow(), vec![Some(3)]);
    let zoomed = node_count(&find(&root, "[data-testid=timeline]"));
    assert!(zoomed < 5000, "zoomed timeline: {zoomed} nodes");
    assert!(!all(&root, ".seg-mark").is_empty());
}
