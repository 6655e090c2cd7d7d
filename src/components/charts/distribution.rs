//! The latency distribution: a CDF (one line per run, so pinned runs overlay) with marker
//! lines, and a histogram of the current run below it.

use loopsim_engine::HistBin;
use yew::prelude::*;

use super::common::{legend, n1, use_chart_id, x_axis, y_axis, Frame, LegendItem, Swatch};
use crate::view::labels::{assign_rows, merge_equal, text_width};
use crate::view::scale::{
    fmt_duration_ms, nice_domain, tick_labels_ms, AxisScale, LogScale, Scale, LOG_RATIO,
};
use crate::view::series::{cdf_steps, svg_points, thin};

/// Points per CDF line at most.
const MAX_LINE_POINTS: usize = 2000;

/// One run's latency CDF.
#[derive(Clone, Debug, PartialEq)]
pub struct CdfSeries {
    /// Shown in the legend, e.g. "A: ab-uvicorn" or "current run".
    pub label: String,
    /// (latency ms, cumulative fraction 0–1), sorted by latency.
    pub points: Vec<(f64, f64)>,
    /// Extra CSS class(es) for the line and its legend swatch. Every line also gets
    /// `series-<i>` (its position), which charts.css colours and dashes distinctly.
    pub class: String,
}

#[derive(Properties, Clone, PartialEq)]
pub struct DistributionChartProps {
    pub series: Vec<CdfSeries>,
    /// The current run's histogram (none drawn when empty).
    #[prop_or_default]
    pub histogram: Vec<HistBin>,
    /// Vertical lines for the current run: (name, latency ms), e.g. ("p99", 150.0).
    #[prop_or_default]
    pub markers: Vec<(String, f64)>,
}

const LABEL_ROW: f64 = 14.0;
/// Marker label size (charts.css `:where(.chart-svg) text`).
const FONT: f64 = 12.0;

/// The latency axis over `[lo, hi]` (ms): log when the range is wide.
fn latency_scale(lo: f64, hi: f64, range: (f64, f64), log: bool) -> AxisScale {
    if log {
        AxisScale::Log(LogScale::new((lo / 1.15, hi * 1.15), range))
    } else {
        let (a, b) = nice_domain(0.0, hi.max(1e-3), 6);
        AxisScale::Linear(Scale::new((a, b), range))
    }
}

/// The latency extent of everything drawn, `(smallest positive, largest, log axis)`, shared
/// by the CDF and the histogram so that they line up.
fn latency_extent(props: &DistributionChartProps) -> (f64, f64, bool) {
    let xs_all = props
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .chain(props.markers.iter().map(|m| m.1))
        .chain(props.histogram.iter().flat_map(|b| [b.from_ms, b.to_ms]))
        .filter(|x| x.is_finite());
    let (lo, hi) = xs_all.fold((f64::INFINITY, 0f64), |(lo, hi), x| {
        (if x > 0.0 { lo.min(x) } else { lo }, hi.max(x))
    });
    let log = lo.is_finite() && lo > 0.0 && hi / lo > LOG_RATIO;
    (lo, hi, log)
}

#[component]
pub fn DistributionChart(props: &DistributionChartProps) -> Html {
    let id = use_chart_id("distribution");
    let extent = latency_extent(props);
    html! {
        <div class="chart-group distribution-chart">
            { cdf_chart(props, &id, extent) }
            // No histogram given (e.g. Compare, overlaying several runs): no histogram drawn.
            if !props.histogram.is_empty() {
                { histogram_chart(&props.histogram, &id, extent) }
            }
        </div>
    }
}

fn cdf_chart(props: &DistributionChartProps, id: &str, (lo, hi, log): (f64, f64, bool)) -> Html {
    let empty = props.series.iter().all(|s| s.points.is_empty());

    // Marker labels: as many rows as needed above the plot.
    let mut frame = Frame {
        w: 720.0,
        h: 0.0,
        left: 66.0,
        right: 24.0,
        top: 0.0,
        bottom: 46.0,
    };
    let probe = latency_scale(lo, hi, (frame.x0(), frame.x1()), log);
    let marker_labels = merge_equal(&props.markers, fmt_duration_ms);
    let marker_text: Vec<String> = marker_labels.iter().map(|l| l.0.clone()).collect();
    let widths: Vec<f64> = marker_text.iter().map(|t| text_width(t, FONT)).collect();
    let starts: Vec<f64> = marker_labels
        .iter()
        .zip(&widths)
        .map(|(m, w)| probe.map(m.1) - w / 2.0)
        .collect();
    let rows = assign_rows(&starts, &widths, 6.0);
    let row_count = rows.iter().max().map_or(0, |r| r + 1);
    frame.top = 10.0 + row_count as f64 * LABEL_ROW;
    frame.h = frame.top + 250.0 + frame.bottom;

    let xs = latency_scale(lo, hi, (frame.x0(), frame.x1()), log);
    let ys = AxisScale::Linear(Scale::new((0.0, 1.0), (frame.y1(), frame.y0())));
    let x_ticks = xs.ticks(6);
    let x_labels = tick_labels_ms(&x_ticks);
    let y_ticks = vec![0.0, 0.25, 0.5, 0.75, 1.0];
    let y_labels: Vec<String> = y_ticks
        .iter()
        .map(|t| format!("{:.0} %", t * 100.0))
        .collect();
    let x_end = xs.domain().1;

    let lines: Vec<(String, String)> = props
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut steps = cdf_steps(&s.points);
            if let Some(&(_, y)) = steps.last() {
                steps.push((x_end, y));
            }
            let pts = thin(&steps, MAX_LINE_POINTS);
            (
                format!("cdf-line series-{i} {}", s.class),
                svg_points(pts.iter().map(|&(x, y)| (xs.map(x), ys.map(y)))),
            )
        })
        .collect();

    let desc = if empty {
        "No latencies to show: no request completed.".to_string()
    } else {
        let series: Vec<String> = props
            .series
            .iter()
            .map(|s| {
                let median = s.points.iter().find(|p| p.1 >= 0.5).map(|p| p.0);
                match median {
                    Some(m) => format!("{} (median {})", s.label, fmt_duration_ms(m)),
                    None => s.label.clone(),
                }
            })
            .collect();
        format!(
            "Cumulative share of requests answered within each latency, {} axis from {} to {}, for {}.{}",
            if log { "log-scale latency" } else { "linear latency" },
            fmt_duration_ms(xs.domain().0.max(0.0)),
            fmt_duration_ms(x_end),
            series.join("; "),
            if marker_text.is_empty() { String::new() } else { format!(" Markers: {}.", marker_text.join(", ")) }
        )
    };
    let title_id = format!("{id}-cdf-title");
    let desc_id = format!("{id}-cdf-desc");

    let mut items: Vec<LegendItem> = props
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            LegendItem::new(
                Swatch::Line,
                format!("cdf-line series-{i} {}", s.class),
                s.label.clone(),
            )
        })
        .collect();
    if !props.markers.is_empty() {
        let names: Vec<&str> = props.markers.iter().map(|m| m.0.as_str()).collect();
        items.push(LegendItem::new(
            Swatch::Line,
            "marker",
            format!("{} of this run", names.join(", ")),
        ));
    }

    html! {
        <figure class="chart cdf-chart">
            <svg class="chart-svg" data-testid="cdf-chart" viewBox={frame.view_box()} width="100%" role="img"
                aria-labelledby={title_id.clone()} aria-describedby={desc_id.clone()}>
                <title id={title_id}>{ "Latency distribution (CDF)" }</title>
                <desc id={desc_id}>{ desc }</desc>
                <rect class="plot-bg" x={n1(frame.x0())} y={n1(frame.y0())}
                    width={n1(frame.x1() - frame.x0())} height={n1(frame.y1() - frame.y0())} />
                { x_axis(&frame, &xs, &x_ticks, &x_labels, if log { "latency (log scale)" } else { "latency" }) }
                { y_axis(&frame, &ys, &y_ticks, &y_labels, "requests answered within") }
                if empty {
                    <text class="chart-empty" x={n1((frame.x0() + frame.x1()) / 2.0)} y={n1((frame.y0() + frame.y1()) / 2.0)}
                        text-anchor="middle">{ "No completed requests" }</text>
                }
                <g class="markers">
                    { for props.markers.iter().map(|(name, v)| {
                        let x = n1(xs.map(*v));
                        html! {
                            <line class="marker" data-marker={name.clone()} x1={x.clone()} x2={x}
                                y1={n1(frame.y0())} y2={n1(frame.y1())} />
                        }
                    }) }
                    { for marker_labels.iter().enumerate().map(|(i, (text, v, _))| {
                        let lx = xs.map(*v).clamp(frame.x0() + widths[i] / 2.0, frame.x1() - widths[i] / 2.0);
                        let ly = 8.0 + rows[i] as f64 * LABEL_ROW + FONT * 0.8;
                        html! { <text class="marker-label" x={n1(lx)} y={n1(ly)} text-anchor="middle">{ text.clone() }</text> }
                    }) }
                </g>
                <g class="cdf-lines">
                    { for lines.into_iter().map(|(class, points)| html! {
                        <polyline {class} points={points} />
                    }) }
                </g>
            </svg>
            { legend("Distribution chart legend", items) }
        </figure>
    }
}

fn histogram_chart(bins: &[HistBin], id: &str, (lo, hi, log): (f64, f64, bool)) -> Html {
    let frame = Frame {
        w: 720.0,
        h: 220.0,
        left: 66.0,
        right: 24.0,
        top: 12.0,
        bottom: 46.0,
    };
    let total: u64 = bins.iter().map(|b| b.count).sum();
    let xs = latency_scale(lo, hi, (frame.x0(), frame.x1()), log);
    let max_count = bins.iter().map(|b| b.count).max().unwrap_or(0);
    let (_, top) = nice_domain(0.0, (max_count as f64).max(1.0), 4);
    let ys = AxisScale::Linear(Scale::new((0.0, top), (frame.y1(), frame.y0())));
    let x_ticks = xs.ticks(6);
    let x_labels = tick_labels_ms(&x_ticks);
    let y_ticks: Vec<f64> = ys
        .ticks(4)
        .into_iter()
        .filter(|t| t.fract() == 0.0)
        .collect();
    let y_labels: Vec<String> = y_ticks.iter().map(|t| format!("{t:.0}")).collect();
    let plural = |n: u64| if n == 1 { "request" } else { "requests" };
    let bin_title = |b: &HistBin| {
        format!(
            "{} – {}: {} {}",
            fmt_duration_ms(b.from_ms),
            fmt_duration_ms(b.to_ms),
            b.count,
            plural(b.count)
        )
    };
    let first = bins.first().map_or(0.0, |b| b.from_ms);
    let last = bins.last().map_or(0.0, |b| b.to_ms);
    let desc = match bins.iter().max_by_key(|b| b.count) {
        Some(top) if total > 0 => format!(
            "{total} completed {} in {} bins from {} to {}{}; the fullest bin, {}.",
            plural(total),
            bins.len(),
            fmt_duration_ms(first),
            fmt_duration_ms(last),
            if log { " (log-scale axis)" } else { "" },
            bin_title(top)
        ),
        _ => "No latencies to show: no request completed.".to_string(),
    };

    let title_id = format!("{id}-hist-title");
    let desc_id = format!("{id}-hist-desc");

    html! {
        <figure class="chart histogram-chart">
            <svg class="chart-svg" data-testid="histogram-chart" viewBox={frame.view_box()} width="100%" role="img"
                aria-labelledby={title_id.clone()} aria-describedby={desc_id.clone()}>
                <title id={title_id}>{ "Latency histogram" }</title>
                <desc id={desc_id}>{ desc }</desc>
                { x_axis(&frame, &xs, &x_ticks, &x_labels, if log { "latency (log scale)" } else { "latency" }) }
                { y_axis(&frame, &ys, &y_ticks, &y_labels, "requests") }
                <g class="bars">
                    { for bins.iter().filter(|b| b.count > 0).map(|b| {
                        let x0 = xs.map(b.from_ms);
                        let x1 = xs.map(b.to_ms);
                        let w = (x1 - x0 - 1.0).max(1.0);
                        let y = ys.map(b.count as f64);
                        html! {
                            <rect class="bar" x={n1(x0 + 0.5)} y={n1(y)} width={n1(w)} height={n1(frame.y1() - y)}
                                data-count={b.count.to_string()}>
                                <title>{ bin_title(b) }</title>
                            </rect>
                        }
                    }) }
                </g>
            </svg>
            { legend("Histogram legend", vec![LegendItem::new(Swatch::Box, "bar", "requests per latency bin")]) }
        </figure>
    }
}
