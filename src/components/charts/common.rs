//! What the charts share: pointer-equal `Rc`s, unique ids, axes, legends and reading the
//! element an event came from.

use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};

use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::view::scale::AxisScale;

/// An `Rc` compared by pointer (a run's view is immutable: same pointer, same data), for hook
/// dependencies and props that would otherwise compare whole runs.
pub(crate) struct ByPtr<T>(pub Rc<T>);

impl<T> PartialEq for ByPtr<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Clone for ByPtr<T> {
    fn clone(&self) -> Self {
        ByPtr(self.0.clone())
    }
}

static NEXT_ID: AtomicU32 = AtomicU32::new(1);

/// A document-unique id prefix for one mounted chart (`<title>`/`<desc>` ids, patterns).
#[hook]
pub(crate) fn use_chart_id(prefix: &'static str) -> Rc<String> {
    use_memo((), move |_| {
        format!("{prefix}-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed))
    })
}

/// The plot box inside a `w` × `h` viewBox.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Frame {
    pub w: f64,
    pub h: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

impl Frame {
    pub fn x0(&self) -> f64 {
        self.left
    }
    pub fn x1(&self) -> f64 {
        self.w - self.right
    }
    pub fn y0(&self) -> f64 {
        self.top
    }
    pub fn y1(&self) -> f64 {
        self.h - self.bottom
    }
    pub fn view_box(&self) -> String {
        format!("0 0 {} {}", self.w, self.h)
    }
}

pub(crate) fn n1(x: f64) -> String {
    format!("{x:.1}")
}

/// A horizontal axis along the bottom of `frame`: ticks, labels, vertical grid lines and a
/// title.
pub(crate) fn x_axis(
    frame: &Frame,
    scale: &AxisScale,
    ticks: &[f64],
    labels: &[String],
    title: &str,
) -> Html {
    let (y0, y1) = (frame.y0(), frame.y1());
    html! {
        <g class="axis axis-x" aria-hidden="true">
            { for ticks.iter().zip(labels).map(|(&t, label)| {
                let x = n1(scale.map(t));
                html! {
                    <g class="tick">
                        <line class="grid" x1={x.clone()} x2={x.clone()} y1={n1(y0)} y2={n1(y1)} />
                        <line class="tick-mark" x1={x.clone()} x2={x.clone()} y1={n1(y1)} y2={n1(y1 + 5.0)} />
                        <text x={x} y={n1(y1 + 17.0)} text-anchor="middle">{ label.clone() }</text>
                    </g>
                }
            }) }
            <line class="domain" x1={n1(frame.x0())} x2={n1(frame.x1())} y1={n1(y1)} y2={n1(y1)} />
            <text class="axis-title" x={n1((frame.x0() + frame.x1()) / 2.0)} y={n1(frame.h - 6.0)} text-anchor="middle">
                { title.to_string() }
            </text>
        </g>
    }
}

/// A vertical axis along the left of `frame`.
pub(crate) fn y_axis(
    frame: &Frame,
    scale: &AxisScale,
    ticks: &[f64],
    labels: &[String],
    title: &str,
) -> Html {
    let (x0, x1) = (frame.x0(), frame.x1());
    let mid = (frame.y0() + frame.y1()) / 2.0;
    html! {
        <g class="axis axis-y" aria-hidden="true">
            { for ticks.iter().zip(labels).map(|(&t, label)| {
                let y = n1(scale.map(t));
                html! {
                    <g class="tick">
                        <line class="grid" x1={n1(x0)} x2={n1(x1)} y1={y.clone()} y2={y.clone()} />
                        <line class="tick-mark" x1={n1(x0 - 5.0)} x2={n1(x0)} y1={y.clone()} y2={y.clone()} />
                        <text x={n1(x0 - 8.0)} y={y} dy="0.32em" text-anchor="end">{ label.clone() }</text>
                    </g>
                }
            }) }
            <line class="domain" x1={n1(x0)} x2={n1(x0)} y1={n1(frame.y0())} y2={n1(frame.y1())} />
            <text class="axis-title" x="14" y={n1(mid)} text-anchor="middle"
                transform={format!("rotate(-90 14 {})", n1(mid))}>
                { title.to_string() }
            </text>
        </g>
    }
}

/// How a legend entry's swatch is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Swatch {
    /// A filled box (areas, bars, segments).
    Box,
    /// A dot (scatter points).
    Dot,
    /// A line sample (series, reference lines).
    Line,
}

/// A legend entry: swatch kind, CSS class(es) giving its colour, and text.
pub(crate) struct LegendItem {
    pub swatch: Swatch,
    pub class: String,
    pub label: String,
}

impl LegendItem {
    pub fn new(swatch: Swatch, class: impl Into<String>, label: impl Into<String>) -> LegendItem {
        LegendItem {
            swatch,
            class: class.into(),
            label: label.into(),
        }
    }
}

/// A legend as an HTML list (readable by screen readers, wraps on small screens). The
/// swatches are tiny SVGs styled by the same classes as the chart's marks.
pub(crate) fn legend(label: &str, items: Vec<LegendItem>) -> Html {
    html! {
        <ul class="chart-legend" aria-label={label.to_string()}>
            { for items.into_iter().map(|it| {
                let mark = match it.swatch {
                    Swatch::Box => html! { <rect class={it.class.clone()} x="1" y="1" width="14" height="10" /> },
                    Swatch::Dot => html! { <circle class={it.class.clone()} cx="8" cy="6" r="4" /> },
                    Swatch::Line => html! { <line class={it.class.clone()} x1="0" x2="16" y1="6" y2="6" /> },
                };
                html! {
                    <li>
                        <svg class="swatch" viewBox="0 0 16 12" width="16" height="12" aria-hidden="true">{ mark }</svg>
                        { it.label }
                    </li>
                }
            }) }
        </ul>
    }
}

/// The value of `attr` on the element the event came from or its nearest ancestor with it.
pub(crate) fn event_attr(e: &Event, attr: &str) -> Option<String> {
    let el: web_sys::Element = e.target()?.dyn_into().ok()?;
    let hit = el.closest(&format!("[{attr}]")).ok()??;
    hit.get_attribute(attr)
}

/// Percent with no needless decimals.
pub(crate) fn fmt_pct(f: f64) -> String {
    let p = f * 100.0;
    if p != 0.0 && p.abs() < 1.0 {
        format!("{p:.1} %")
    } else {
        format!("{p:.0} %")
    }
}
