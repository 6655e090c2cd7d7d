//! The application state and its one reducer. Pure: no DOM, no engine runs (those happen in
//! the worker; the reducer only folds in what comes back).

use std::rc::Rc;

use loopsim_engine::{presets, HistBin, Scenario, Summary};
use yew::Reducible;

use crate::editor::{apply, Edit};
use crate::protocol::{Detail, FromWorker, ProgressInfo, RunView};
use crate::replay::{Replay, Speed};

/// The preset shown when the page opens.
pub const INITIAL_PRESET: &str = "fastapi-async-time-sleep";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Report,
    Latency,
    Distribution,
    Timeline,
    Concurrency,
    Replay,
    Compare,
    Code,
    Advice,
}

impl Tab {
    pub const ALL: [Tab; 9] = [
        Tab::Report,
        Tab::Latency,
        Tab::Distribution,
        Tab::Timeline,
        Tab::Concurrency,
        Tab::Replay,
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
            Tab::Replay => "replay",
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
            Tab::Replay => "Replay",
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
    /// The scenario of the run in progress, as it was when the run was asked for.
    pub running: Option<Rc<Scenario>>,
    /// A message for the user that is not about a field (e.g. a link that could not be read).
    pub notice: Option<String>,
    /// The compact layout for iframes (`#…&embed`).
    pub embed: bool,
    /// Playing the result back (see `replay`).
    pub replay: Option<Replay>,
    /// The user prefers reduced motion: replays step instead of animating.
    pub reduced_motion: bool,
}

/// What the replay controls ask for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ReplayAction {
    Toggle,
    Tick(f64),
    Scrub(u64),
    Step(i32),
    Speed(Speed),
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
            running: None,
            notice: None,
            embed: false,
            replay: None,
            reduced_motion: false,
        }
    }
}

impl AppState {
    /// The state a page opens in for its URL fragment (see `share`): the linked scenario and
    /// view, or the default with the reason the link was refused.
    pub fn from_fragment(fragment: &str, embed_query: bool) -> AppState {
        let mut s = AppState {
            embed: embed_query,
            ..AppState::default()
        };
        match crate::share::decode(fragment) {
            Ok(link) => {
                if let Some(sc) = link.scenario {
                    s.preset = sc
                        .name
                        .as_deref()
                        .and_then(presets::find)
                        .filter(|p| p.scenario() == sc)
                        .map(|p| p.name.to_string());
                    s.scenario = sc;
                }
                if let Some(t) = link.tab {
                    s.tab = t;
                }
                s.embed |= link.embed;
            }
            Err(e) => {
                s.embed |= fragment.contains("embed");
                s.notice = Some(format!(
                    "This link could not be opened: {e}. Showing the default scenario instead."
                ));
            }
        }
        s
    }

    /// The fragment that reproduces this state.
    pub fn fragment(&self) -> String {
        crate::share::encode(&self.scenario, Some(self.tab), self.embed)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Loads a preset and runs it.
    LoadPreset(String),
    /// Replaces the whole scenario (an import).
    SetScenario(Box<Scenario>),
    Edit(Edit),
    /// Runs the scenario as it is now (if it is valid), replacing any run in progress. The
    /// app's effect hands it to the runner: handlers never start runs from stale state.
    Run,
    Worker(FromWorker),
    /// Stops the run in progress.
    Cancel,
    Pin,
    Unpin(usize),
    SelectTab(Tab),
    Select(Option<u32>),
    SetWindow(Option<(u64, u64)>),
    SetDetail(Detail),
    DismissNotice,
    Replay(ReplayAction),
    SetReducedMotion(bool),
}

pub const MAX_PINNED: usize = 8;

impl AppState {
    pub fn running_id(&self) -> Option<u32> {
        match self.status {
            RunStatus::Running { id, .. } => Some(id),
            _ => None,
        }
    }

    /// A new run of the current scenario, with the next id.
    fn start_run(&mut self) {
        let id = self.next_id;
        self.next_id += 1;
        self.status = RunStatus::Running { id, progress: None };
        self.running = Some(Rc::new(self.scenario.clone()));
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
                    s.start_run();
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
            Action::Run => {
                if s.run_blocker().is_none() {
                    s.start_run();
                }
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
                    s.running = None;
                    s.stale = *view.scenario != s.scenario;
                    let mut replay = Replay::new(view.end_ns);
                    replay.reduced_motion = s.reduced_motion;
                    s.replay = Some(replay);
                    s.result = Some(Rc::new(*view));
                    s.selected = None;
                    s.window = None;
                }
                FromWorker::Failed { id, message } if s.running_id() == Some(id) => {
                    s.status = RunStatus::Failed(message);
                    s.running = None;
                }
                // Messages of a run that was replaced or cancelled.
                _ => return self,
            },
            Action::Cancel => {
                if s.running_id().is_some() {
                    s.status = RunStatus::Cancelled;
                    s.running = None;
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
            Action::DismissNotice => s.notice = None,
            Action::Replay(a) => {
                let Some(r) = s.replay.as_mut() else {
                    return self;
                };
                match a {
                    ReplayAction::Toggle => r.toggle(),
                    ReplayAction::Tick(ms) => {
                        if !r.playing {
                            return self;
                        }
                        r.tick(ms)
                    }
                    ReplayAction::Scrub(t) => {
                        r.pause();
                        r.scrub(t)
                    }
                    ReplayAction::Step(d) => {
                        r.pause();
                        r.step(d)
                    }
                    ReplayAction::Speed(x) => r.set_speed(x),
                }
            }
            Action::SetReducedMotion(on) => {
                s.reduced_motion = on;
                if let Some(r) = s.replay.as_mut() {
                    r.reduced_motion = on;
                }
            }
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
        let s = reduce(AppState::default(), Action::Run);
        assert_eq!(s.running_id(), Some(1));
        let s = reduce(s, Action::Run);
        assert_eq!(s.running_id(), Some(2));
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
        let s = reduce(AppState::default(), Action::Run);
        let s = reduce(
            s,
            Action::Worker(FromWorker::Done {
                id: 1,
                view: view(1, INITIAL_PRESET),
            }),
        );
        let s = reduce(s, Action::Edit(Edit::Workers(Some(0))));
        assert_eq!(
            reduce(s.clone(), Action::Run).running_id(),
            None,
            "an invalid scenario does not run"
        );
        assert!(s.stale);
        assert_eq!(s.preset, None);
        assert_eq!(
            s.run_blocker().unwrap(),
            "server.workers: must be between 1 and 64 (got 0)"
        );
    }

    #[test]
    fn pins_get_letters_and_are_bounded() {
        let mut s = reduce(AppState::default(), Action::Run);
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
    fn a_run_keeps_the_scenario_it_was_asked_for() {
        let s = reduce(AppState::default(), Action::Run);
        let asked = s.running.clone().unwrap();
        let s = reduce(s, Action::Edit(Edit::Seed(99)));
        assert_eq!(
            s.running.as_deref(),
            Some(&*asked),
            "editing during a run does not change it"
        );
        let s = reduce(s, Action::Run);
        assert_eq!(s.running.as_ref().unwrap().seed, 99);
        let s = reduce(s, Action::Cancel);
        assert_eq!(
            (s.status.clone(), s.running.clone()),
            (RunStatus::Cancelled, None)
        );
        // Messages of the cancelled run are ignored.
        let done = reduce(
            s.clone(),
            Action::Worker(FromWorker::Done {
                id: 2,
                view: view(2, INITIAL_PRESET),
            }),
        );
        assert!(done.result.is_none());
    }

    #[test]
    fn links_open_their_scenario_and_view_or_say_why_not() {
        let mut sc = presets::find("ab-waitress").unwrap().scenario();
        sc.seed = 5;
        let f = crate::share::encode(&sc, Some(Tab::Timeline), true);
        let s = AppState::from_fragment(&format!("#{f}"), false);
        assert_eq!(
            (s.scenario.clone(), s.tab, s.embed, s.preset.clone()),
            (sc, Tab::Timeline, true, None)
        );
        assert_eq!(s.fragment(), f);
        let s = AppState::from_fragment("#p=ab-waitress&v=code", false);
        assert_eq!(
            (s.preset.as_deref(), s.tab),
            (Some("ab-waitress"), Tab::Code)
        );
        let s = AppState::from_fragment("#s=1.<img src=x onerror=alert(1)>", false);
        assert_eq!(s.scenario, AppState::default().scenario);
        assert!(s.notice.unwrap().contains("is not base64url"));
        assert!(AppState::from_fragment("", true).embed);
    }

    #[test]
    fn loading_a_preset_runs_it() {
        let s = reduce(
            AppState::default(),
            Action::LoadPreset("ab-waitress".into()),
        );
        assert_eq!(
            s.running.as_ref().unwrap().name.as_deref(),
            Some("ab-waitress")
        );
        assert_eq!(s.running_id(), Some(1));
    }
}
