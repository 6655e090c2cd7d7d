//! The result charts: SVG drawn with `html!`, no chart library and no canvas. Every chart is
//! responsive (a viewBox at 100 % width), has axes with units, a legend, and `role="img"` with a
//! `<title>` and a `<desc>` stating the key numbers. Colours come from the CSS custom
//! properties in `static/charts.css` (Okabe–Ito, light and dark). Geometry and decimation live
//! in [`crate::view`], which bounds every chart to a few thousand SVG nodes whatever the run.
//!
//! - [`LatencyChart`]: latency over send time, percentile lines, click to select a request.
//! - [`DistributionChart`]: CDFs of one or more runs (for Compare) and a histogram.
//! - [`Timeline`]: the Gantt of threads, with zoom and pan; the window belongs to the caller.
//! - [`ConcurrencyChart`]: requests in the system, waiting and in service over time.

mod common;
mod concurrency;
mod distribution;
mod latency;
mod timeline;

pub use concurrency::{ConcurrencyChart, ConcurrencyChartProps};
pub use distribution::{CdfSeries, DistributionChart, DistributionChartProps};
pub use latency::{point_title, LatencyChart, LatencyChartProps, MAX_POINTS};
pub use timeline::{Timeline, TimelineProps, MAX_LANES, MAX_RECTS};
