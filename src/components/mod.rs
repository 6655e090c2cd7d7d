//! Presentational components: props in, callbacks out. State lives in `crate::state`.

pub mod advice;
pub mod charts;
pub mod code_view;
pub mod compare;
pub mod fields;
pub mod header;
pub mod report;
pub mod request_detail;
pub mod results;
pub mod run_bar;
pub mod scenario_panel;
pub mod summary_strip;

pub use header::Header;
pub use results::ResultsPanel;
pub use run_bar::{DetailForm, RunBar};
pub use scenario_panel::{Errors, ScenarioPanel};
