//! The application state and its one reducer. Pure: no DOM, no engine runs (those happen in
//! the worker; the reducer only folds in what comes back).

use std::rc::Rc;

use loopsim_engine::{presets, HistBin, Scenario, Summary};
use yew::Reducible;

use crate::editor::{apply, Edit};
use crate::protocol::{Detail, FromWorker, ProgressInfo, RunView};

/// The preset shown when the page opens.
pub const INITIAL_PRESET: &str = "fastapi-async-time-sleep";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Report,
    Latency,
    Distribution,
    Timeline,
    Concurrency,
    Compare,
    Code,
    Advice,
}

impl Tab {
    pub const ALL: [Tab; 8] = [
        Tab::Report,
        Tab::Latency,
        Tab::Distribution,
        Tab::Timeline,
        Tab::Concurrency,
        Tab::Compare,
        Tab::Code,
        Tab::Advice,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Tab::Report => "report",
            Tab::Latency => "latency",
            Tab::Distribution => "distribution",
            Tab::Timeline => "timeline",
            Tab::Concurrency => "concurrency",
            Tab::Compare => "compare",
            Tab::Code => "code",
            Tab::Advice => "advice",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Tab::Report => "Report",
            Tab::Latency => "Latency",
            Tab::Distribution => "Distribution",
            Tab::Timeline => "Timeline",
            Tab::Concurrency => "Concurrency",
            Tab::Compare => "Compare",
            Tab::Code => "Code",
            Tab::Advice => "Advice",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum RunStatus {
    Idle,
    Running {
        id: u32,
        progress: Option<ProgressInfo>,
    },
    Failed(String),
    Cancelled,
}

/// A run kept for comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Pinned {
    /// A, B, C…
    pub letter: char,
    pub label: String,
    pub summary: Summary,
    pub cdf: Vec<(f64, f64)>,
    pub histogram: Vec<HistBin>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AppState {
    pub scenario: Scenario,
    /// The preset the scenario came from, while unedited.
    pub preset: Option<String>,
    pub status: RunStatus,
    pub next_id: u32,
    pub result: Option<Rc<RunView>>,
    /// Whether the scenario changed since the shown result.
    pub stale: bool,
    pub pinned: Vec<Rc<Pinned>>,
    pub tab: Tab,
    /// The request highlighted everywhere.
    pub selected: Option<u32>,
    /// The timeline's visible window (ns); `None` = the whole run.
    pub window: Option<(u64, u64)>,
    /// How much full detail the next run keeps.
    pub detail: Detail,
}

impl Default for AppState {
    fn default() -> Self {
        let p = presets::find(INITIAL_PRESET).expect("the initial preset exists");
        AppState {
            scenario: p.scenario(),
            preset: Some(p.name.to_string()),
            status: RunStatus::Idle,
            next_id: 1,
            result: None,
            stale: false,
            pinned: Vec::new(),
            tab: Tab::Report,
            selected: None,
            window: None,
            detail: Detail::default(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    LoadPreset(String),
    /// Replaces the whole scenario (an import).
    SetScenario(Box<Scenario>),
    Edit(Edit),
    /// Run `id` was sent to the worker.
    Started(u32),
    Worker(FromWorker),
    Cancelled(u32),
    Pin,
    Unpin(usize),
    SelectTab(Tab),
    Select(Option<u32>),
    SetWindow(Option<(u64, u64)>),
    SetDetail(Detail),
}

pub const MAX_PINNED: usize = 8;

impl AppState {
    pub fn running_id(&self) -> Option<u32> {
        match self.status {
            RunStatus::Running { id, .. } => Some(id),
            _ => None,
        }
    }

    /// Why Run is disabled, if it is.
    pub fn run_blocker(&self) -> Option<String> {
        self.scenario
            .validate()
            .err()
            .map(|e| match e.0.as_slice() {
                [one] => one.to_string(),
                [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
                [] => String::new(),
            })
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::LoadPreset(name) => {
                if let Some(p) = presets::find(&name) {
                    s.scenario = p.scenario();
                    s.preset = Some(p.name.to_string());
                    s.stale = s.result.is_some();
                }
            }
            Action::SetScenario(sc) => {
                s.scenario = *sc;
                s.preset = None;
                s.stale = s.result.is_some();
            }
            Action::Edit(e) => {
                let before = s.scenario.clone();
                apply(&mut s.scenario, e);
                if s.scenario != before {
                    s.preset = None;
                    s.stale = s.result.is_some();
                }
            }
            Action::Started(id) => {
                s.status = RunStatus::Running { id, progress: None };
                s.next_id = s.next_id.max(id + 1);
            }
            Action::Worker(msg) => match msg {
                FromWorker::Progress { id, progress } if s.running_id() == Some(id) => {
                    s.status = RunStatus::Running {
                        id,
                        progress: Some(progress),
                    };
                }
                FromWorker::Done { id, view } if s.running_id() == Some(id) => {
                    s.status = RunStatus::Idle;
                    s.stale = *view.scenario != s.scenario;
                    s.result = Some(Rc::new(*view));
                    s.selected = None;
                    s.window = None;
                }
                FromWorker::Failed { id, message } if s.running_id() == Some(id) => {
                    s.status = RunStatus::Failed(message);
                }
                // Messages of a run that was replaced or cancelled.
                _ => return self,
            },
            Action::Cancelled(id) => {
                if s.running_id() == Some(id) {
                    s.status = RunStatus::Cancelled;
                }
            }
            Action::Pin => {
                let Some(r) = &s.result else { return self };
                if s.pinned.len() >= MAX_PINNED {
                    s.pinned.remove(0);
                }
                let used: Vec<char> = s.pinned.iter().map(|p| p.letter).collect();
                let letter = ('A'..='Z').find(|c| !used.contains(c)).unwrap_or('?');
                s.pinned.push(Rc::new(Pinned {
                    letter,
                    label: r
                        .scenario
                        .name
                        .clone()
                        .unwrap_or_else(|| "edited scenario".into()),
                    summary: r.summary.clone(),
                    cdf: r.latency_cdf.clone(),
                    histogram: r.latency_histogram.clone(),
                }));
            }
            Action::Unpin(i) => {
                if i < s.pinned.len() {
                    s.pinned.remove(i);
                }
            }
            Action::SelectTab(t) => s.tab = t,
            Action::Select(id) => s.selected = id,
            Action::SetWindow(w) => s.window = w,
            Action::SetDetail(d) => s.detail = d,
        }
        Rc::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::editor::Edit;

    fn reduce(state: AppState, action: Action) -> AppState {
        (*Rc::new(state).reduce(action)).clone()
    }

    fn view(id: u32, preset: &str) -> Box<RunView> {
        let s = presets::find(preset).unwrap().scenario();
        Box::new(crate::run::run_to_end(id, &s, Detail::default()).unwrap())
    }

    #[test]
    fn starts_on_the_initial_preset() {
        let s = AppState::default();
        assert_eq!(s.preset.as_deref(), Some(INITIAL_PRESET));
        assert_eq!(s.run_blocker(), None);
        assert_eq!(s.status, RunStatus::Idle);
    }

    #[test]
    fn a_run_result_is_taken_only_from_the_current_run() {
        let s = reduce(AppState::default(), Action::Started(1));
        let s = reduce(s, Action::Started(2));
        let stale = reduce(
            s.clone(),
            Action::Worker(FromWorker::Done {
                id: 1,
                view: view(1, INITIAL_PRESET),
            }),
        );
        assert!(stale.result.is_none());
        let done = reduce(
            s,
            Action::Worker(FromWorker::Done {
                id: 2,
                view: view(2, INITIAL_PRESET),
            }),
        );
        assert_eq!(done.result.as_ref().unwrap().id, 2);
        assert_eq!(done.status, RunStatus::Idle);
        assert!(!done.stale);
    }

    #[test]
    fn editing_marks_the_result_stale_and_blocks_invalid_runs() {
        let s = reduce(AppState::default(), Action::Started(1));
        let s = reduce(
            s,
            Action::Worker(FromWorker::Done {
                id: 1,
                view: view(1, INITIAL_PRESET),
            }),
        );
        let s = reduce(s, Action::Edit(Edit::Workers(Some(0))));
        assert!(s.stale);
        assert_eq!(s.preset, None);
        assert_eq!(
            s.run_blocker().unwrap(),
            "server.workers: must be between 1 and 64 (got 0)"
        );
    }

    #[test]
    fn pins_get_letters_and_are_bounded() {
        let mut s = reduce(AppState::default(), Action::Started(1));
        s = reduce(
            s,
            Action::Worker(FromWorker::Done {
                id: 1,
                view: view(1, "ab-uvicorn"),
            }),
        );
        for _ in 0..MAX_PINNED + 2 {
            s = reduce(s, Action::Pin);
        }
        assert_eq!(s.pinned.len(), MAX_PINNED);
        s = reduce(s, Action::Unpin(0));
        s = reduce(s, Action::Pin);
        assert_eq!(s.pinned.len(), MAX_PINNED);
        let letters: std::collections::HashSet<char> = s.pinned.iter().map(|p| p.letter).collect();
        assert_eq!(letters.len(), MAX_PINNED, "letters stay distinct");
    }

    #[test]
    fn cancel_only_touches_the_running_run() {
        let s = reduce(AppState::default(), Action::Started(3));
        assert_eq!(reduce(s.clone(), Action::Cancelled(2)).status, s.status);
        assert_eq!(reduce(s, Action::Cancelled(3)).status, RunStatus::Cancelled);
    }
}
