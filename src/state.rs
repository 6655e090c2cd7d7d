//! Application state and its reducer. Pure: no DOM, no engine calls.

use std::rc::Rc;

use yew::{AttrValue, Reducible};

/// Everything the app shows that can change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppState {
    /// How many runs have finished since the page loaded.
    pub runs: u32,
    /// Summary of the latest run, if any.
    pub last_result: Option<AttrValue>,
}

/// Something that happened, to be folded into [`AppState`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// A run finished with this summary.
    RunFinished(AttrValue),
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        match action {
            Action::RunFinished(summary) => Rc::new(Self {
                runs: self.runs.saturating_add(1),
                last_result: Some(summary),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduce(state: AppState, action: Action) -> AppState {
        (*Rc::new(state).reduce(action)).clone()
    }

    #[test]
    fn starts_with_no_runs() {
        let state = AppState::default();
        assert_eq!(state.runs, 0);
        assert_eq!(state.last_result, None);
    }

    #[test]
    fn run_finished_counts_the_run_and_keeps_the_latest_summary() {
        let once = reduce(AppState::default(), Action::RunFinished("first".into()));
        assert_eq!(once.runs, 1);
        assert_eq!(once.last_result.as_deref(), Some("first"));

        let twice = reduce(once, Action::RunFinished("second".into()));
        assert_eq!(twice.runs, 2);
        assert_eq!(twice.last_result.as_deref(), Some("second"));
    }
}
