//! Concurrency over time: requests in the system, waiting (not yet in a handler) and in
//! service, averaged per time bucket.

use loopsim_engine::ConcurrencySeries;
use yew::prelude::*;

use super::common::{legend, n1, use_chart_id, x_axis, y_axis, Frame, LegendItem, Swatch};
use crate::view::scale::{fmt_duration_ms, nice_domain, tick_labels_ms, AxisScale, Scale};
use crate::view::series::{bucket_steps, svg_points, thin};

const MAX_LINE_POINTS: usize = 2000;

#[derive(Properties, Clone, PartialEq)]
pub struct ConcurrencyChartProps {
    pub series: ConcurrencySeries,
}

fn peak(v: &[f64]) -> f64 {
    v.iter().copied().fold(0.0, f64::max)
}

fn fmt_count(x: f64) -> String {
    if (x - x.round()).abs() < 0.05 {
        format!("{:.0}", x.round())
    } else {
        format!("{x:.1}")
    }
}

#[component]
pub fn ConcurrencyChart(props: &ConcurrencyChartProps) -> Html {
    let id = use_chart_id("concurrency");
    let s = &props.series;
    let frame = Frame {
        w: 720.0,
        h: 300.0,
        left: 66.0,
        right: 24.0,
        top: 14.0,
        bottom: 46.0,
    };
    let buckets = s
        .in_system
        .len()
        .max(s.waiting.len())
        .max(s.in_service.len());
    let span_ms = buckets as f64 * s.bucket_ms;
    let (x_lo, x_hi) = nice_domain(0.0, span_ms.max(1.0), 6);
    let xs = AxisScale::Linear(Scale::new((x_lo, x_hi), (frame.x0(), frame.x1())));
    let top = peak(&s.in_system)
        .max(peak(&s.waiting))
        .max(peak(&s.in_service));
    let (_, y_hi) = nice_domain(0.0, top.max(1.0), 5);
    let ys = AxisScale::Linear(Scale::new((0.0, y_hi), (frame.y1(), frame.y0())));
    let x_ticks = xs.ticks(6);
    let x_labels = tick_labels_ms(&x_ticks);
    let y_ticks = ys.ticks(5);
    let y_labels: Vec<String> = y_ticks.iter().map(|t| fmt_count(*t)).collect();

    let line = |values: &[f64]| {
        let pts = thin(&bucket_steps(values, s.bucket_ms), MAX_LINE_POINTS);
        svg_points(pts.iter().map(|&(x, y)| (xs.map(x), ys.map(y))))
    };
    let lines = [
        (
            "conc-line conc-in-system",
            "in-system",
            line(&s.in_system),
            "in the system",
        ),
        (
            "conc-line conc-waiting",
            "waiting",
            line(&s.waiting),
            "waiting (before the handler)",
        ),
        (
            "conc-line conc-in-service",
            "in-service",
            line(&s.in_service),
            "in service (handler running)",
        ),
    ];
    let mean = if s.in_system.is_empty() {
        0.0
    } else {
        s.in_system.iter().sum::<f64>() / s.in_system.len() as f64
    };
    let desc = if buckets == 0 {
        "No requests over time to show.".to_string()
    } else {
        format!(
            "Requests over {} in {} buckets: at most {} in the system (mean {}), at most {} waiting before the handler, at most {} in service.",
            fmt_duration_ms(span_ms),
            fmt_duration_ms(s.bucket_ms),
            fmt_count(peak(&s.in_system)),
            fmt_count(mean),
            fmt_count(peak(&s.waiting)),
            fmt_count(peak(&s.in_service)),
        )
    };
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");

    html! {
        <figure class="chart concurrency-chart">
            <svg class="chart-svg" data-testid="concurrency-chart" viewBox={frame.view_box()} width="100%" role="img"
                aria-labelledby={title_id.clone()} aria-describedby={desc_id.clone()}>
                <title id={title_id}>{ "Requests in the system, waiting and in service over time" }</title>
                <desc id={desc_id}>{ desc }</desc>
                <rect class="plot-bg" x={n1(frame.x0())} y={n1(frame.y0())}
                    width={n1(frame.x1() - frame.x0())} height={n1(frame.y1() - frame.y0())} />
                { x_axis(&frame, &xs, &x_ticks, &x_labels, "time since the first request") }
                { y_axis(&frame, &ys, &y_ticks, &y_labels, &format!("requests (mean per {})", fmt_duration_ms(s.bucket_ms))) }
                <g class="conc-lines">
                    { for lines.iter().map(|(class, key, points, _)| html! {
                        <polyline class={*class} data-series={*key} points={points.clone()} />
                    }) }
                </g>
            </svg>
            { legend("Concurrency chart legend", lines.iter().map(|(class, _, _, label)| LegendItem::new(Swatch::Line, *class, *label)).collect()) }
        </figure>
    }
}
