//! Latency of each request over its send time: one dot per (decimated) request, percentile
//! lines, click or arrow keys to select a request.

use std::rc::Rc;

use yew::prelude::*;

use super::common::{
    event_attr, legend, n1, use_chart_id, x_axis, y_axis, ByPtr, Frame, LegendItem, Swatch,
};
use crate::protocol::RunView;
use crate::view::labels::{merge_equal, spread_labels};
use crate::view::scale::{
    fmt_duration_ms, nice_domain, tick_labels_ms, AxisScale, LogScale, Scale, LOG_RATIO,
};
use crate::view::scatter::{decimate, Point};

/// Points drawn at most (each is a circle and its `<title>`).
pub const MAX_POINTS: usize = 1500;

const FRAME: Frame = Frame {
    w: 720.0,
    h: 360.0,
    left: 66.0,
    right: 24.0,
    top: 14.0,
    bottom: 46.0,
};

#[derive(Properties, Clone)]
pub struct LatencyChartProps {
    pub view: Rc<RunView>,
    /// The highlighted request.
    #[prop_or_default]
    pub selected: Option<u32>,
    /// A point was clicked (`Some(id)`), or the selection was cleared (`None`).
    pub on_select: Callback<Option<u32>>,
    /// A vertical line at this send time (ns): the replay's cursor.
    #[prop_or_default]
    pub cursor_ns: Option<u64>,
}

impl PartialEq for LatencyChartProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.view, &other.view)
            && self.selected == other.selected
            && self.on_select == other.on_select
            && self.cursor_ns == other.cursor_ns
    }
}

/// The label of a point: `request 3: sent 0 ms, 20.0 s, ok`.
pub fn point_title(view: &RunView, p: &Point) -> String {
    let status = if p.ok {
        "ok".to_string()
    } else {
        view.request(p.id)
            .map_or("failed", |r| r.status.describe())
            .to_string()
    };
    format!(
        "request {}: sent {}, {}, {status}",
        p.id,
        fmt_duration_ms(p.sent_ms),
        fmt_duration_ms(p.latency_ms)
    )
}

/// The points to draw, in send-time order.
fn drawn_points(view: &RunView) -> Vec<Point> {
    let mut pts = decimate(&view.scatter, MAX_POINTS);
    pts.sort_by(|a, b| a.sent_ms.total_cmp(&b.sent_ms).then(a.id.cmp(&b.id)));
    pts
}

/// The selected request as a point, even if decimation left it out.
fn selected_point(view: &RunView, points: &[Point], id: u32) -> Option<Point> {
    if let Some(p) = points.iter().find(|p| p.id == id) {
        return Some(*p);
    }
    if let Some(p) = view.scatter.iter().find(|p| p.id == id) {
        return Some(*p);
    }
    view.request(id).map(|r| Point {
        id,
        sent_ms: r.sent as f64 / 1e6,
        latency_ms: r.latency_ms(),
        ok: r.status == loopsim_engine::Status::Ok,
    })
}

#[component]
pub fn LatencyChart(props: &LatencyChartProps) -> Html {
    let id = use_chart_id("latency");
    // The reader's choice of scale; until they choose, log when latencies span a wide range.
    let log_choice = use_state(|| None::<bool>);
    let points = use_memo(ByPtr(props.view.clone()), |v| drawn_points(&v.0));
    let view = &props.view;
    let s = &view.summary;
    let frame = FRAME;

    let selected = props
        .selected
        .and_then(|sel| selected_point(view, &points, sel));

    // Scales.
    let max_sent = points.iter().map(|p| p.sent_ms).fold(0.0, f64::max);
    // Up to the end of the run: requests all sent at once stay visibly at its start.
    let (x_lo, x_hi) = nice_domain(0.0, max_sent.max(s.makespan_ms).max(1.0), 6);
    let xs = AxisScale::Linear(Scale::new((x_lo, x_hi), (frame.x0(), frame.x1())));
    let lat_max = points
        .iter()
        .map(|p| p.latency_ms)
        .fold(s.max_ms.max(s.p99_ms), f64::max);
    let lat_min = points
        .iter()
        .map(|p| p.latency_ms)
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let auto_log = lat_min.is_finite() && lat_min > 0.0 && lat_max / lat_min > LOG_RATIO;
    let log = log_choice.unwrap_or(auto_log) && lat_min.is_finite() && lat_min > 0.0;
    let ys = if log {
        let lo = 10f64.powf(lat_min.log10().floor());
        let hi = 10f64.powf(lat_max.max(lo * 10.0).log10().ceil());
        AxisScale::Log(LogScale::new((lo, hi), (frame.y1(), frame.y0())))
    } else {
        let (lo, hi) = nice_domain(0.0, lat_max.max(1.0), 5);
        AxisScale::Linear(Scale::new((lo, hi), (frame.y1(), frame.y0())))
    };
    let x_ticks = xs.ticks(6);
    let y_ticks = ys.ticks(5);
    let x_labels = tick_labels_ms(&x_ticks);
    let y_labels = tick_labels_ms(&y_ticks);

    // Percentile lines, labels kept apart.
    let percentiles: Vec<(String, f64)> = if s.completed > 0 {
        vec![
            ("p50".into(), s.p50_ms),
            ("p90".into(), s.p90_ms),
            ("p99".into(), s.p99_ms),
        ]
    } else {
        Vec::new()
    };
    let labels = merge_equal(&percentiles, fmt_duration_ms);
    // Labels sit just above their line at the right end of the plot, kept apart.
    let label_ys = spread_labels(
        &labels.iter().map(|l| ys.map(l.1) - 8.0).collect::<Vec<_>>(),
        14.0,
        frame.y0() + 6.0,
        frame.y1() - 6.0,
    );

    let on_point_click = {
        let on_select = props.on_select.clone();
        Callback::from(move |e: MouseEvent| {
            if let Some(id) = event_attr(&e, "data-request-id").and_then(|v| v.parse::<u32>().ok())
            {
                on_select.emit(Some(id));
            }
        })
    };
    let on_background_click = {
        let on_select = props.on_select.clone();
        let has = props.selected.is_some();
        Callback::from(move |_: MouseEvent| {
            if has {
                on_select.emit(None);
            }
        })
    };
    let onkeydown = {
        let on_select = props.on_select.clone();
        let points = points.clone();
        let current = props
            .selected
            .and_then(|sel| points.iter().position(|p| p.id == sel));
        Callback::from(move |e: KeyboardEvent| {
            if points.is_empty() {
                return;
            }
            let last = points.len() - 1;
            let next = match e.key().as_str() {
                "ArrowRight" | "ArrowDown" => Some(current.map_or(0, |i| (i + 1).min(last))),
                "ArrowLeft" | "ArrowUp" => Some(current.map_or(last, |i| i.saturating_sub(1))),
                "Home" => Some(0),
                "End" => Some(last),
                "Escape" => {
                    e.prevent_default();
                    on_select.emit(None);
                    return;
                }
                _ => None,
            };
            if let Some(i) = next {
                e.prevent_default();
                on_select.emit(Some(points[i].id));
            }
        })
    };
    let toggle_log = {
        let log_choice = log_choice.clone();
        Callback::from(move |_: MouseEvent| log_choice.set(Some(!log)))
    };

    let failed_drawn = points.iter().filter(|p| !p.ok).count();
    // Few points: bigger targets.
    let (r, r_selected) = match points.len() {
        0..=50 => ("5.5", "9"),
        51..=500 => ("4", "7.5"),
        _ => ("3", "7"),
    };
    let total = s.completed + s.failed;
    let desc = if total == 0 {
        "No request finished in this run.".to_string()
    } else {
        format!(
            "{} requests ({} ok, {} failed) sent over {}; {} of them drawn. Latency p50 {}, p90 {}, p99 {}, max {}.{}",
            total,
            s.completed,
            s.failed,
            fmt_duration_ms(max_sent),
            points.len(),
            fmt_duration_ms(s.p50_ms),
            fmt_duration_ms(s.p90_ms),
            fmt_duration_ms(s.p99_ms),
            fmt_duration_ms(s.max_ms),
            if failed_drawn > 0 { format!(" {failed_drawn} failed requests drawn in the failed colour.") } else { String::new() },
        )
    };
    let info = match &selected {
        Some(p) => format!("Selected {}", point_title(view, p)),
        None => "Click a point, or focus the chart and use the arrow keys, to select a request."
            .to_string(),
    };
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");

    html! {
        <figure class="chart latency-chart">
            <div class="chart-toolbar">
                <button type="button" class="chart-toggle" aria-pressed={log.to_string()} onclick={toggle_log}>
                    { "Log scale" }
                </button>
                <p class="chart-info" aria-live="polite">{ info }</p>
            </div>
            <div class="chart-plot" tabindex="0" role="group" {onkeydown}
                aria-label="Latency chart. Arrow keys step through the requests, Escape clears the selection.">
                <svg class="chart-svg" data-testid="latency-chart" viewBox={frame.view_box()} width="100%"
                    preserveAspectRatio="xMidYMid meet" role="img"
                    aria-labelledby={title_id.clone()} aria-describedby={desc_id.clone()}>
                    <title id={title_id}>{ "Latency of each request over its send time" }</title>
                    <desc id={desc_id}>{ desc }</desc>
                    <rect class="plot-bg" x={n1(frame.x0())} y={n1(frame.y0())}
                        width={n1(frame.x1() - frame.x0())} height={n1(frame.y1() - frame.y0())}
                        onclick={on_background_click} />
                    { x_axis(&frame, &xs, &x_ticks, &x_labels, "send time") }
                    { y_axis(&frame, &ys, &y_ticks, &y_labels, if log { "latency (log scale)" } else { "latency" }) }
                    <g class="percentiles">
                        { for percentiles.iter().map(|(name, v)| {
                            let y = n1(ys.map(*v));
                            html! {
                                <line class={format!("pline pline-{name}")} data-percentile={name.clone()}
                                    x1={n1(frame.x0())} x2={n1(frame.x1())} y1={y.clone()} y2={y} />
                            }
                        }) }
                        { for labels.iter().zip(&label_ys).map(|((text, _, _), &ly)| html! {
                            <text class="pline-label" x={n1(frame.x1() - 4.0)} y={n1(ly)} dy="0.32em" text-anchor="end">{ text.clone() }</text>
                        }) }
                    </g>
                    <g class="points" onclick={on_point_click}>
                        { for points.iter().filter(|p| Some(p.id) != props.selected).map(|p| html! {
                            <circle class={if p.ok { "pt ok" } else { "pt failed" }}
                                cx={n1(xs.map(p.sent_ms))} cy={n1(ys.map(p.latency_ms))} {r}
                                data-request-id={p.id.to_string()}>
                                <title>{ point_title(view, p) }</title>
                            </circle>
                        }) }
                        { for selected.iter().map(|p| html! {
                            <circle class={if p.ok { "pt ok selected" } else { "pt failed selected" }}
                                cx={n1(xs.map(p.sent_ms))} cy={n1(ys.map(p.latency_ms))} r={r_selected}
                                data-request-id={p.id.to_string()} data-selected="true">
                                <title>{ format!("{} (selected)", point_title(view, p)) }</title>
                            </circle>
                        }) }
                    </g>
                    if let Some(t) = props.cursor_ns.map(|t| t as f64 / 1e6).filter(|t| *t >= x_lo && *t <= x_hi) {
                        <line class="cursor" data-testid="latency-cursor" x1={n1(xs.map(t))} x2={n1(xs.map(t))}
                            y1={n1(frame.y0())} y2={n1(frame.y1())} />
                    }
                </svg>
            </div>
            { legend("Latency chart legend", vec![
                LegendItem::new(Swatch::Dot, "pt ok", "ok"),
                LegendItem::new(Swatch::Dot, "pt failed", "failed"),
                LegendItem::new(Swatch::Dot, "pt ok selected", "selected request"),
                LegendItem::new(Swatch::Line, "pline pline-p50", "p50"),
                LegendItem::new(Swatch::Line, "pline pline-p90", "p90"),
                LegendItem::new(Swatch::Line, "pline pline-p99", "p99"),
            ]) }
        </figure>
    }
}
