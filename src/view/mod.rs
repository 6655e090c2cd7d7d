//! Pure chart geometry: scales, ticks and the decimation that keeps every chart to a few
//! thousand SVG nodes whatever the size of the run. No Yew, no web APIs: tested natively.

pub mod gantt;
pub mod labels;
pub mod lanes;
pub mod scale;
pub mod scatter;
pub mod series;
pub mod window;
