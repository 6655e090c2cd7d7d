//! Presentational components: they render props and report clicks through callbacks.

mod header;
mod results_panel;
mod scenario_panel;

pub use header::Header;
pub use results_panel::{ResultsPanel, ResultsPanelProps};
pub use scenario_panel::ScenarioPanel;
