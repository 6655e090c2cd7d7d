//! The boundary between the UI and the simulation engine.

use loopsim_engine::presets;

/// The preset the run button simulates until the scenario panel can edit scenarios.
pub const DEFAULT_PRESET: &str = "fastapi-async-time-sleep";

/// Runs [`DEFAULT_PRESET`] through the engine and returns a one-line summary for the results
/// panel.
pub fn run_once() -> String {
    let Some(preset) = presets::find(DEFAULT_PRESET) else {
        return format!("{DEFAULT_PRESET}: no such preset");
    };
    match loopsim_engine::run(&preset.scenario()) {
        Ok(result) => {
            let s = &result.summary;
            format!(
                "{}: {} completed, {} failed, median {:.0} ms, slowest {:.0} ms",
                preset.name, s.completed, s.failed, s.p50_ms, s.max_ms
            )
        }
        Err(errors) => format!("{}: invalid scenario: {errors}", preset.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_preset_runs_and_is_summarised() {
        let summary = run_once();
        assert!(
            summary.starts_with(&format!("{DEFAULT_PRESET}: ")),
            "{summary}"
        );
        assert!(summary.contains(" completed, "), "{summary}");
    }

    #[test]
    fn runs_are_deterministic() {
        assert_eq!(run_once(), run_once());
    }
}
