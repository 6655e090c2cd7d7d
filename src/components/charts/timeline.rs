//! The timeline (Gantt): one lane per thread, segments coloured by what the thread was doing,
//! zoom and pan on time. The caller owns the window (`None` = the whole run) and the selected
//! request; this component keeps only what the pointer or keyboard last pointed at.
//!
//! Rendering is split so that hovering, the keyboard focus and the cursor never re-render
//! the (up to a few thousand node) lanes: [`TimelineLanes`] only changes with the layout or
//! the selection; the focus outline and cursor are drawn on an overlay.

use std::collections::HashMap;
use std::rc::Rc;

use loopsim_engine::record::LaneKind;
use loopsim_engine::ThreadState;
use yew::prelude::*;

use super::common::{event_attr, fmt_pct, legend, n1, use_chart_id, ByPtr, LegendItem, Swatch};
use crate::protocol::RunView;
use crate::view::gantt::{layout, request_marks, LaneIndex, Rect};
use crate::view::labels::{fit_text, text_width};
use crate::view::lanes::{is_primary, pick_lanes, LanePick};
use crate::view::scale::{fmt_duration_ms, fmt_instant_ms, tick_labels_ms, Scale};
use crate::view::window::{pan, resolve, wheel_factor, zoom};

/// Lanes drawn at most.
pub const MAX_LANES: usize = 40;
/// Segment rectangles drawn at most (each with a `<title>`); narrower segments are pooled.
pub const MAX_RECTS: usize = 1200;
/// Outline rectangles for the selected request at most.
const MAX_MARKS: usize = 400;

const W: f64 = 720.0;
const LABEL_W: f64 = 150.0;
const RIGHT: f64 = 12.0;
const PLOT_W: f64 = W - LABEL_W - RIGHT;
const TOP: f64 = 6.0;
const AXIS_H: f64 = 42.0;
/// Segment label size (charts.css `.seg-text`), for fitting labels inside segments.
const FONT: f64 = 12.0;
/// Lane label size (charts.css `.lane-label`).
const LANE_FONT: f64 = 13.0;

#[derive(Properties, Clone)]
pub struct TimelineProps {
    pub view: Rc<RunView>,
    /// The visible window (ns); `None` = the whole run, `0..view.end_ns`.
    #[prop_or_default]
    pub window: Option<(u64, u64)>,
    /// Zoom and pan ask for a new window here.
    pub on_window: Callback<Option<(u64, u64)>>,
    /// The request outlined everywhere.
    #[prop_or_default]
    pub selected: Option<u32>,
    pub on_select: Callback<Option<u32>>,
    /// A vertical line at this time (ns), if inside the window.
    #[prop_or_default]
    pub cursor_ns: Option<u64>,
}

impl PartialEq for TimelineProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.view, &other.view)
            && self.window == other.window
            && self.on_window == other.on_window
            && self.selected == other.selected
            && self.on_select == other.on_select
            && self.cursor_ns == other.cursor_ns
    }
}

/// Per run: segments by lane and the lanes to show.
struct Prepared {
    index: LaneIndex,
    pick: LanePick,
}

impl Prepared {
    fn new(view: &RunView) -> Prepared {
        let index = LaneIndex::new(view.lanes.len(), &view.segments);
        let pick = pick_lanes(&view.lanes, &index.busy(), MAX_LANES);
        Prepared { index, pick }
    }
}

struct Row {
    name: String,
    y: f64,
    primary: bool,
    event_loop: bool,
    /// The first lane of another worker process (a separator above it).
    new_worker: bool,
    /// Share of the run this lane spent blocked (shown for event loops).
    blocked_share: f64,
}

/// Per run and window: what is drawn.
struct Model {
    view: Rc<RunView>,
    prepared: Rc<Prepared>,
    t0: u64,
    t1: u64,
    rows: Vec<Row>,
    row_h: f64,
    height: f64,
    rects: Vec<Rect>,
    /// Indices into `rects` per row, left to right.
    by_row: Vec<Vec<usize>>,
    row_of_lane: HashMap<u32, usize>,
}

impl Model {
    fn new(view: Rc<RunView>, prepared: Rc<Prepared>, t0: u64, t1: u64) -> Model {
        let shown = &prepared.pick.shown;
        let row_h = match shown.len() {
            0..=3 => 44.0,
            4..=10 => 30.0,
            _ => 20.0,
        };
        let end = view.end_ns.max(1) as f64;
        let mut rows = Vec::with_capacity(shown.len());
        for (i, &l) in shown.iter().enumerate() {
            let lane = &view.lanes[l as usize];
            let prev_worker = i
                .checked_sub(1)
                .map(|p| view.lanes[shown[p] as usize].worker);
            let blocked = view.lane_totals.get(l as usize).map_or(0, |t| t.blocked);
            rows.push(Row {
                name: lane.name.clone(),
                y: TOP + i as f64 * row_h,
                primary: is_primary(lane.kind),
                event_loop: lane.kind == LaneKind::EventLoop,
                new_worker: prev_worker.is_some_and(|w| w != lane.worker),
                blocked_share: blocked as f64 / end,
            });
        }
        let rects = layout(&prepared.index, shown, t0, t1, PLOT_W, MAX_RECTS);
        let row_of_lane: HashMap<u32, usize> =
            shown.iter().enumerate().map(|(i, &l)| (l, i)).collect();
        let mut by_row = vec![Vec::new(); shown.len()];
        for (i, r) in rects.iter().enumerate() {
            if let Some(&row) = row_of_lane.get(&r.lane) {
                by_row[row].push(i);
            }
        }
        for row in &mut by_row {
            row.sort_by(|&a, &b| rects[a].x0.total_cmp(&rects[b].x0));
        }
        let height = TOP + rows.len().max(1) as f64 * row_h + AXIS_H;
        Model {
            view,
            prepared,
            t0,
            t1,
            rows,
            row_h,
            height,
            rects,
            by_row,
            row_of_lane,
        }
    }

    fn row_y(&self, lane: u32) -> Option<f64> {
        self.row_of_lane.get(&lane).map(|&r| self.rows[r].y)
    }

    /// The rectangle the keyboard moves to from `from` with `key`.
    fn step(&self, from: Option<Rect>, key: &str) -> Option<Rect> {
        let first = || {
            self.by_row
                .iter()
                .find_map(|r| r.first())
                .map(|&i| self.rects[i])
        };
        let Some(from) = from else { return first() };
        let Some(&row) = self.row_of_lane.get(&from.lane) else {
            return first();
        };
        let list = &self.by_row[row];
        let pos = list.iter().position(|&i| self.rects[i] == from);
        match key {
            "ArrowRight" => pos
                .and_then(|p| list.get(p + 1))
                .or(list.last())
                .map(|&i| self.rects[i]),
            "ArrowLeft" => pos
                .and_then(|p| p.checked_sub(1))
                .or(Some(0))
                .and_then(|p| list.get(p))
                .map(|&i| self.rects[i]),
            "Home" => list.first().map(|&i| self.rects[i]),
            "End" => list.last().map(|&i| self.rects[i]),
            "ArrowDown" | "ArrowUp" => {
                let centre = (from.x0 + from.x1) / 2.0;
                let mut r = row;
                loop {
                    r = if key == "ArrowDown" {
                        r + 1
                    } else {
                        r.checked_sub(1)?
                    };
                    let candidates = self.by_row.get(r)?;
                    let best = candidates.iter().min_by(|&&a, &&b| {
                        let da = dist(&self.rects[a], centre);
                        let db = dist(&self.rects[b], centre);
                        da.total_cmp(&db)
                    });
                    if let Some(&i) = best {
                        return Some(self.rects[i]);
                    }
                }
            }
            _ => Some(from),
        }
    }
}

fn dist(r: &Rect, x: f64) -> f64 {
    if x < r.x0 {
        r.x0 - x
    } else if x > r.x1 {
        x - r.x1
    } else {
        0.0
    }
}

/// The words for a rectangle: lane, request, activity, state, duration and times.
fn describe(view: &RunView, r: &Rect) -> String {
    let lane = view
        .lanes
        .get(r.lane as usize)
        .map_or("?", |l| l.name.as_str());
    let dur = fmt_duration_ms((r.end_ns - r.start_ns) as f64 / 1e6);
    let when = format!(
        "{} → {}",
        fmt_instant_ms(r.start_ns as f64 / 1e6),
        fmt_instant_ms(r.end_ns as f64 / 1e6)
    );
    match (r.request, r.activity) {
        (_, None) => format!(
            "{lane}: many short segments from {when}, mostly {}",
            r.state.describe()
        ),
        (Some(req), Some(a)) => {
            format!(
                "{lane}: request {req} · {} · {} for {dur} ({when})",
                view.activity_label(a),
                r.state.describe()
            )
        }
        (None, Some(a)) => {
            format!(
                "{lane}: server work · {} · {} for {dur} ({when})",
                view.activity_label(a),
                r.state.describe()
            )
        }
    }
}

#[derive(Default)]
struct Drag {
    start: Option<DragStart>,
    /// A drag just ended: the click that follows is not a selection.
    suppress_click: bool,
}

struct DragStart {
    pointer: i32,
    x: i32,
    window: (u64, u64),
    /// The plot area's width in CSS pixels.
    plot_px: f64,
    moved: bool,
}

/// Where `client_x` falls across the plot area (0 = window start, 1 = end), and the plot
/// area's width in CSS pixels.
fn plot_fraction(plot: &NodeRef, client_x: i32) -> Option<(f64, f64)> {
    let el = plot.cast::<web_sys::Element>()?;
    let r = el.get_bounding_client_rect();
    if r.width() <= 0.0 {
        return None;
    }
    let vb = (client_x as f64 - r.left()) * W / r.width();
    Some(((vb - LABEL_W) / PLOT_W, r.width() * PLOT_W / W))
}

#[component]
pub fn Timeline(props: &TimelineProps) -> Html {
    let id = use_chart_id("timeline");
    let view = props.view.clone();
    let end = view.end_ns.max(1);
    let (t0, t1) = resolve(props.window, end);
    let prepared = use_memo(ByPtr(view.clone()), |v| Prepared::new(&v.0));
    let model = {
        let prepared = prepared.clone();
        use_memo((ByPtr(view.clone()), t0, t1), move |(v, t0, t1)| {
            Model::new(v.0.clone(), prepared, *t0, *t1)
        })
    };
    let info = use_state(|| None::<Rect>);
    let focus = use_state(|| None::<Rect>);
    let drag = use_mut_ref(Drag::default);
    let plot_ref = use_node_ref();

    let window = props.window;
    let emit_window = {
        let on_window = props.on_window.clone();
        move |w: Option<(u64, u64)>| {
            if w != window {
                on_window.emit(w);
            }
        }
    };
    let button = |f: Box<dyn Fn() -> Option<(u64, u64)>>| {
        let emit = emit_window.clone();
        Callback::from(move |_: MouseEvent| emit(f()))
    };
    let zoom_in = button(Box::new(move || zoom(window, end, 0.5, 0.5)));
    let zoom_out = button(Box::new(move || zoom(window, end, 2.0, 0.5)));
    let pan_left = button(Box::new(move || pan(window, end, -0.25)));
    let pan_right = button(Box::new(move || pan(window, end, 0.25)));
    let reset = button(Box::new(|| None));
    let whole = window.is_none() || (t0 == 0 && t1 >= end);

    let onwheel = {
        let emit = emit_window.clone();
        let plot_ref = plot_ref.clone();
        Callback::from(move |e: WheelEvent| {
            let Some((frac, _)) = plot_fraction(&plot_ref, e.client_x()) else {
                return;
            };
            e.prevent_default();
            let mut dy = e.delta_y();
            match e.delta_mode() {
                1 => dy *= 16.0,
                2 => dy *= 400.0,
                _ => {}
            }
            if dy == 0.0 {
                return;
            }
            let anchor = if (0.0..=1.0).contains(&frac) {
                frac
            } else {
                0.5
            };
            emit(zoom(window, end, wheel_factor(dy), anchor));
        })
    };
    let onpointerdown = {
        let drag = drag.clone();
        let plot_ref = plot_ref.clone();
        Callback::from(move |e: PointerEvent| {
            if e.button() != 0 {
                return;
            }
            let Some((_, plot_px)) = plot_fraction(&plot_ref, e.client_x()) else {
                return;
            };
            drag.borrow_mut().start = Some(DragStart {
                pointer: e.pointer_id(),
                x: e.client_x(),
                window: (t0, t1),
                plot_px,
                moved: false,
            });
        })
    };
    let onpointermove = {
        let drag = drag.clone();
        let emit = emit_window.clone();
        let plot_ref = plot_ref.clone();
        Callback::from(move |e: PointerEvent| {
            let mut d = drag.borrow_mut();
            let Some(start) = d.start.as_mut() else {
                return;
            };
            if start.pointer != e.pointer_id() {
                return;
            }
            let dx = (e.client_x() - start.x) as f64;
            if !start.moved {
                if dx.abs() < 4.0 {
                    return;
                }
                start.moved = true;
                if let Some(el) = plot_ref.cast::<web_sys::Element>() {
                    let _ = el.set_pointer_capture(e.pointer_id());
                }
            }
            let w = pan(Some(start.window), end, -dx / start.plot_px.max(1.0));
            drop(d);
            emit(w);
        })
    };
    let end_drag = {
        let drag = drag.clone();
        let plot_ref = plot_ref.clone();
        Callback::from(move |e: PointerEvent| {
            let mut d = drag.borrow_mut();
            if let Some(start) = d.start.take() {
                if start.moved {
                    d.suppress_click = true;
                    if let Some(el) = plot_ref.cast::<web_sys::Element>() {
                        let _ = el.release_pointer_capture(e.pointer_id());
                    }
                }
            }
        })
    };
    let onpointerover = {
        let info = info.clone();
        let model = model.clone();
        Callback::from(move |e: PointerEvent| {
            let r = event_attr(&e, "data-seg")
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| model.rects.get(i));
            if let Some(r) = r {
                if *info != Some(*r) {
                    info.set(Some(*r));
                }
            }
        })
    };
    let onclick = {
        let info = info.clone();
        let model = model.clone();
        let drag = drag.clone();
        let on_select = props.on_select.clone();
        Callback::from(move |e: MouseEvent| {
            if std::mem::take(&mut drag.borrow_mut().suppress_click) {
                return;
            }
            let r = event_attr(&e, "data-seg")
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| model.rects.get(i));
            if let Some(r) = r {
                info.set(Some(*r));
                if let Some(req) = r.request {
                    on_select.emit(Some(req));
                }
            }
        })
    };
    let onkeydown = {
        let info = info.clone();
        let focus = focus.clone();
        let model = model.clone();
        let on_select = props.on_select.clone();
        let emit = emit_window.clone();
        Callback::from(move |e: KeyboardEvent| {
            let key = e.key();
            let current = (*focus).filter(|f| model.rects.contains(f));
            match key.as_str() {
                "ArrowRight" | "ArrowLeft" | "ArrowUp" | "ArrowDown" | "Home" | "End" => {
                    e.prevent_default();
                    let next = model.step(current, &key);
                    focus.set(next);
                    if next.is_some() {
                        info.set(next);
                    }
                }
                "Enter" | " " => {
                    if let Some(req) = current.and_then(|f| f.request) {
                        e.prevent_default();
                        on_select.emit(Some(req));
                    }
                }
                "+" | "=" | "-" | "_" => {
                    e.prevent_default();
                    let anchor =
                        current.map_or(0.5, |f| ((f.x0 + f.x1) / 2.0 / PLOT_W).clamp(0.0, 1.0));
                    let factor = if key == "+" || key == "=" { 0.5 } else { 2.0 };
                    emit(zoom(window, end, factor, anchor));
                }
                "Escape" => {
                    focus.set(None);
                    on_select.emit(None);
                }
                _ => {}
            }
        })
    };

    let info_text = match *info {
        Some(r) if model.rects.contains(&r) || r.request.is_some() => describe(&view, &r),
        _ => "Point at or click a segment (or focus the chart and use the arrow keys) to see what the thread was doing."
            .to_string(),
    };
    let span_ms = (t1 - t0) as f64 / 1e6;
    let window_text = if whole {
        format!("Whole run: {}", fmt_duration_ms(end as f64 / 1e6))
    } else {
        format!(
            "Showing {} – {} ({}) of {}",
            fmt_instant_ms(t0 as f64 / 1e6),
            fmt_instant_ms(t1 as f64 / 1e6),
            fmt_duration_ms(span_ms),
            fmt_duration_ms(end as f64 / 1e6)
        )
    };
    let hidden = prepared.pick.hidden;
    let focus_now = (*focus).filter(|f| model.rects.contains(f));
    let cursor_x = props
        .cursor_ns
        .filter(|c| (t0..=t1).contains(c))
        .map(|c| LABEL_W + (c - t0) as f64 / (t1 - t0).max(1) as f64 * PLOT_W);
    let hint_id = format!("{id}-hint");
    let overlay_h = model.height;

    html! {
        <figure class="chart timeline">
            <div class="chart-toolbar" role="group" aria-label="Timeline zoom and pan">
                <button type="button" data-testid="zoom-in" onclick={zoom_in} disabled={t1 - t0 <= crate::view::window::MIN_SPAN_NS}>{ "Zoom in" }</button>
                <button type="button" data-testid="zoom-out" onclick={zoom_out} disabled={whole}>{ "Zoom out" }</button>
                <button type="button" data-testid="pan-left" aria-label="Pan left" title="Pan left" onclick={pan_left} disabled={t0 == 0}>{ "←" }</button>
                <button type="button" data-testid="pan-right" aria-label="Pan right" title="Pan right" onclick={pan_right} disabled={t1 >= end}>{ "→" }</button>
                <button type="button" data-testid="zoom-reset" onclick={reset} disabled={whole}>{ "Reset" }</button>
                <span class="window-label" data-testid="timeline-window">{ window_text }</span>
            </div>
            <p class="chart-info" aria-live="polite" data-testid="timeline-info">{ info_text }</p>
            if hidden > 0 {
                <p class="chart-note">{ format!("{hidden} more lanes not shown (the {} busiest are).", prepared.pick.shown.len()) }</p>
            }
            if view.segments_dropped > 0 {
                <p class="chart-note">{ format!(
                    "The timeline shows the first {} segments; {} later ones were not kept.",
                    view.segments.len(), view.segments_dropped
                ) }</p>
            }
            <div class="chart-plot timeline-plot" ref={plot_ref} tabindex="0" role="group"
                aria-label="Timeline segments" aria-describedby={hint_id.clone()}
                {onkeydown} {onwheel} {onpointerdown} {onpointermove}
                onpointerup={end_drag.clone()} onpointercancel={end_drag} {onpointerover} {onclick}>
                <TimelineLanes model={ModelRef(model.clone())} selected={props.selected} id={id.clone()} />
                <svg class="timeline-overlay" viewBox={format!("0 0 {W} {}", n1(overlay_h))} width="100%" aria-hidden="true">
                    if let Some(f) = focus_now {
                        if let Some(y) = model.row_y(f.lane) {
                            <rect class="seg-focus" x={n1(LABEL_W + f.x0 - 2.0)} y={n1(y + 1.0)}
                                width={n1((f.x1 - f.x0).max(1.0) + 4.0)} height={n1(model.row_h - 2.0)} />
                        }
                    }
                    if let Some(x) = cursor_x {
                        <line class="cursor" data-testid="timeline-cursor" x1={n1(x)} x2={n1(x)} y1={n1(TOP)}
                            y2={n1(overlay_h - AXIS_H)} />
                    }
                </svg>
            </div>
            <p class="chart-hint" id={hint_id}>
                { "Drag to pan, scroll to zoom. Keyboard: arrow keys move between segments, Enter selects the request, + and − zoom, Escape clears the selection." }
            </p>
            { legend("Timeline legend", vec![
                LegendItem::new(Swatch::Box, "seg-swatch seg-cpu", "running on a core (CPU)"),
                LegendItem::new(Swatch::Box, "seg-swatch seg-core_wait", "waiting for its turn on a busy core"),
                LegendItem::new(Swatch::Box, "seg-swatch seg-gil_wait", "waiting for the GIL"),
                LegendItem::new(Swatch::Box, "seg-swatch seg-blocked", "blocked in a call"),
                LegendItem::new(Swatch::Box, "seg-swatch seg-wait", "waiting for a pool or process"),
                LegendItem::new(Swatch::Box, "seg-swatch lane-bg", "idle"),
                LegendItem::new(Swatch::Box, "seg-swatch seg-mark", "selected request"),
            ]) }
        </figure>
    }
}

/// A model compared by pointer.
#[derive(Clone)]
struct ModelRef(Rc<Model>);

impl PartialEq for ModelRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq)]
struct LanesProps {
    model: ModelRef,
    selected: Option<u32>,
    id: Rc<String>,
}

fn state_class(s: ThreadState) -> &'static str {
    match s {
        ThreadState::Cpu => "seg seg-cpu",
        ThreadState::GilWait => "seg seg-gil_wait",
        ThreadState::CoreWait => "seg seg-core_wait",
        ThreadState::Blocked => "seg seg-blocked",
        ThreadState::Wait => "seg seg-wait",
        ThreadState::Idle => "seg seg-idle",
    }
}

/// The lanes, segments, selection outline and time axis.
#[component]
fn TimelineLanes(props: &LanesProps) -> Html {
    let m = &props.model.0;
    let view = &m.view;
    let marks = use_memo(
        (props.model.clone(), props.selected),
        |(model, sel)| match sel {
            Some(req) => {
                let m = &model.0;
                request_marks(
                    &m.prepared.index,
                    &m.prepared.pick.shown,
                    *req,
                    (m.t0, m.t1),
                    PLOT_W,
                    1.0,
                    MAX_MARKS,
                )
            }
            None => Vec::new(),
        },
    );
    let id = &props.id;
    let gil_fill = format!("url(#{id}-gil)");
    let pad = (m.row_h * 0.14).round();
    let bar_h = m.row_h - 2.0 * pad;

    let scale = Scale::new(
        (m.t0 as f64 / 1e6, m.t1 as f64 / 1e6),
        (LABEL_W, LABEL_W + PLOT_W),
    );
    let ticks = scale.ticks(8);
    let labels = tick_labels_ms(&ticks);
    let axis_y = TOP + m.rows.len().max(1) as f64 * m.row_h;

    let lane_blocked: Vec<String> = m
        .rows
        .iter()
        .filter(|r| r.event_loop)
        .take(4)
        .map(|r| format!("{} blocked {} of the run", r.name, fmt_pct(r.blocked_share)))
        .collect();
    let desc = format!(
        "{} thread lanes{} from {} to {}, {} drawn segments{}.{}{}",
        m.rows.len(),
        if m.prepared.pick.hidden > 0 {
            format!(" ({} more not shown)", m.prepared.pick.hidden)
        } else {
            String::new()
        },
        fmt_instant_ms(m.t0 as f64 / 1e6),
        fmt_instant_ms(m.t1 as f64 / 1e6),
        m.rects.len(),
        if view.segments_dropped > 0 {
            format!(" (the first {} segments of the run)", view.segments.len())
        } else {
            String::new()
        },
        if lane_blocked.is_empty() {
            String::new()
        } else {
            format!(" {}.", lane_blocked.join("; "))
        },
        match props.selected {
            Some(r) => format!(" Request {r} is outlined."),
            None => String::new(),
        },
    );
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");

    let segment = |i: usize| -> Html {
        let r = &m.rects[i];
        let Some(row) = m.row_of_lane.get(&r.lane).map(|&k| &m.rows[k]) else {
            return html! {};
        };
        let y = row.y + pad;
        let w = (r.x1 - r.x0).max(0.6);
        let selected = r.request.is_some() && r.request == props.selected;
        let class = if selected {
            format!("{} selected", state_class(r.state))
        } else {
            state_class(r.state).to_string()
        };
        let fill = (r.state == ThreadState::GilWait).then(|| gil_fill.clone());
        let title = describe(view, r);
        // A label inside segments wide enough for it.
        let text = r.activity.and_then(|a| {
            if bar_h < 16.0 {
                return None;
            }
            let label = view.activity_label(a);
            let long = format!(
                "{label} · {}",
                fmt_duration_ms((r.end_ns - r.start_ns) as f64 / 1e6)
            );
            [long, label.to_string()]
                .into_iter()
                .find(|t| !t.is_empty() && text_width(t, FONT) + 10.0 <= w)
        });
        html! {
            <>
                <rect {class} data-state={r.state.id()} data-request-id={r.request.map(|q| q.to_string())}
                    data-seg={i.to_string()} x={n1(LABEL_W + r.x0)} y={n1(y)} width={n1(w)} height={n1(bar_h)} {fill}>
                    <title>{ title }</title>
                </rect>
                if let Some(t) = text {
                    <text class={format!("seg-text seg-text-{}", r.state.id())} x={n1(LABEL_W + r.x0 + 5.0)}
                        y={n1(row.y + m.row_h / 2.0)} dy="0.34em">{ t }</text>
                }
            </>
        }
    };

    html! {
        <svg class="chart-svg timeline-svg" data-testid="timeline" viewBox={format!("0 0 {W} {}", n1(m.height))} width="100%"
            role="img" aria-labelledby={title_id.clone()} aria-describedby={desc_id.clone()}>
            <title id={title_id}>{ "Timeline of threads: what each thread did over time" }</title>
            <desc id={desc_id}>{ desc }</desc>
            <defs>
                <pattern id={format!("{id}-gil")} patternUnits="userSpaceOnUse" width="6" height="6"
                    patternTransform="rotate(45)">
                    <rect class="gil-bg" x="0" y="0" width="6" height="6" />
                    <line class="gil-hatch" x1="1" y1="0" x2="1" y2="6" />
                </pattern>
            </defs>
            <g class="axis axis-x" aria-hidden="true">
                { for ticks.iter().zip(&labels).map(|(&t, label)| {
                    let x = n1(scale.map(t));
                    html! {
                        <g class="tick">
                            <line class="grid" x1={x.clone()} x2={x.clone()} y1={n1(TOP)} y2={n1(axis_y)} />
                            <line class="tick-mark" x1={x.clone()} x2={x.clone()} y1={n1(axis_y)} y2={n1(axis_y + 5.0)} />
                            <text x={x} y={n1(axis_y + 17.0)} text-anchor="middle">{ label.clone() }</text>
                        </g>
                    }
                }) }
                <line class="domain" x1={n1(LABEL_W)} x2={n1(LABEL_W + PLOT_W)} y1={n1(axis_y)} y2={n1(axis_y)} />
                <text class="axis-title" x={n1(LABEL_W + PLOT_W / 2.0)} y={n1(m.height - 5.0)} text-anchor="middle">
                    { "time since the start of the run" }
                </text>
            </g>
            if m.rows.is_empty() {
                <text class="chart-empty" x={n1(LABEL_W + PLOT_W / 2.0)} y={n1(TOP + m.row_h / 2.0)} dy="0.34em"
                    text-anchor="middle">{ "No thread activity recorded" }</text>
            }
            { for m.rows.iter().enumerate().map(|(k, row)| {
                let label_class = if row.primary { "lane-label primary" } else { "lane-label" };
                let two_lines = row.event_loop && m.row_h >= 30.0;
                // Bold labels are a little wider.
                let label = fit_text(&row.name, if row.primary { LANE_FONT * 1.1 } else { LANE_FONT }, LABEL_W - 12.0);
                html! {
                    <g class={if row.event_loop { "lane event-loop" } else { "lane" }} data-lane={row.name.clone()}>
                        if row.new_worker {
                            <line class="worker-sep" x1="0" x2={n1(W)} y1={n1(row.y)} y2={n1(row.y)} />
                        }
                        <rect class="lane-bg" x={n1(LABEL_W)} y={n1(row.y + pad)} width={n1(PLOT_W)} height={n1(bar_h)} />
                        <text class={label_class} x={n1(LABEL_W - 8.0)} y={n1(row.y + m.row_h / 2.0 - if two_lines { 6.0 } else { 0.0 })}
                            dy="0.34em" text-anchor="end">
                            { label.clone() }
                            if label != row.name {
                                <title>{ row.name.clone() }</title>
                            }
                        </text>
                        if two_lines {
                            <text class={if row.blocked_share > 0.1 { "lane-sub alarm" } else { "lane-sub" }}
                                x={n1(LABEL_W - 8.0)} y={n1(row.y + m.row_h / 2.0 + 8.0)} dy="0.34em" text-anchor="end">
                                { format!("blocked {}", fmt_pct(row.blocked_share)) }
                            </text>
                        }
                        { for m.by_row[k].iter().map(|&i| segment(i)) }
                    </g>
                }
            }) }
            <g class="marks" aria-hidden="true">
                { for marks.iter().filter_map(|&(lane, x0, x1)| {
                    let y = m.row_y(lane)?;
                    Some(html! {
                        <rect class="seg-mark" x={n1(LABEL_W + x0 - 1.0)} y={n1(y + pad - 1.0)}
                            width={n1((x1 - x0).max(1.0) + 2.0)} height={n1(bar_h + 2.0)} />
                    })
                }) }
            </g>
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loopsim_engine::presets;

    fn view(preset: &str) -> RunView {
        let s = presets::find(preset).unwrap().scenario();
        crate::run::run_to_end(1, &s, Default::default()).unwrap()
    }

    #[test]
    fn describe_names_request_activity_and_state() {
        let v = view("fastapi-async-time-sleep");
        let p = Prepared::new(&v);
        let m = Model::new(Rc::new(v), Rc::new(p), 0, 20_000_880_000);
        let blocked = m
            .rects
            .iter()
            .find(|r| r.state == ThreadState::Blocked)
            .unwrap();
        let text = describe(&m.view, blocked);
        assert_eq!(text, "w0 event loop: request 0 · time.sleep(10) · blocked in a call for 10.0 s (0.48 ms → 10.00048 s)");
        // Keyboard steps stay on the lane and stop at its ends.
        let first = m.step(None, "Home").unwrap();
        assert_eq!(m.step(Some(first), "ArrowLeft"), Some(first));
        let last = m.step(Some(first), "End").unwrap();
        assert_eq!(m.step(Some(last), "ArrowRight"), Some(last));
        assert_eq!(m.step(Some(first), "ArrowDown"), None, "one lane only");
    }
}
