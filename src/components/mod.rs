//! Presentational components: props in, callbacks out. State lives in `crate::state`.

pub mod advice;
pub mod charts;
pub mod code_view;
pub mod compare;
pub mod fields;
pub mod header;
pub mod library;
pub mod replay;
pub mod report;
pub mod request_detail;
pub mod results;
pub mod run_bar;
pub mod scenario_panel;
pub mod share_bar;
pub mod summary_strip;
pub mod transfer;

pub use header::Header;
pub use results::ResultsPanel;
pub use run_bar::{DetailForm, RunBar};
pub use scenario_panel::{Errors, ScenarioPanel};
pub use share_bar::ShareBar;
