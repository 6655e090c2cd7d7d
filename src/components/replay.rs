//! The replay: a live diagram of clients, the listen backlog and every worker's threads at the
//! replay time, the handler's printed lines as the run reaches them, and the controls (play,
//! pause, step, speed, scrub; space and arrow keys). Frames come from `requestAnimationFrame`.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_render::{request_animation_frame, AnimationFrame};
use loopsim_engine::record::ThreadState;
use web_sys::{HtmlInputElement, HtmlSelectElement, KeyboardEvent};
use yew::prelude::*;

use crate::protocol::RunView;
use crate::replay::{snapshot, Index, Phase, Replay, Speed};
use crate::state::ReplayAction;
use crate::view::scale::fmt_time_ms;

#[derive(Properties, Clone)]
pub struct ReplayProps {
    pub view: Rc<RunView>,
    pub replay: Replay,
    pub selected: Option<u32>,
    pub on_select: Callback<Option<u32>>,
    pub on_replay: Callback<ReplayAction>,
}

impl PartialEq for ReplayProps {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.view, &o.view)
            && self.replay == o.replay
            && self.selected == o.selected
            && self.on_select == o.on_select
            && self.on_replay == o.on_replay
    }
}

/// Clients drawn (the rest are counted).
const MAX_CLIENTS: usize = 40;
const MAX_LANES: usize = 8;

fn fmt_s(ns: u64) -> String {
    format!("{:.3} s", ns as f64 / 1e9)
}

#[component]
pub fn ReplayView(p: &ReplayProps) -> Html {
    let index = use_memo(p.view.clone(), |v| Index::new(v));
    // Frames while playing.
    {
        let frame: Rc<RefCell<Option<AnimationFrame>>> = use_mut_ref(|| None);
        let on_replay = p.on_replay.clone();
        use_effect_with(p.replay.playing, move |playing| {
            fn schedule(
                frame: Rc<RefCell<Option<AnimationFrame>>>,
                on: Callback<ReplayAction>,
                last: Option<f64>,
            ) {
                let f2 = frame.clone();
                *frame.borrow_mut() = Some(request_animation_frame(move |ts| {
                    if let Some(l) = last {
                        on.emit(ReplayAction::Tick(ts - l));
                    }
                    schedule(f2, on, Some(ts));
                }));
            }
            if *playing {
                schedule(frame.clone(), on_replay, None);
            }
            move || {
                frame.borrow_mut().take();
            }
        });
    }
    let r = p.replay;
    let snap = snapshot(&p.view, &index, r.t_ns, MAX_LANES);
    let onkeydown = {
        let on = p.on_replay.clone();
        Callback::from(move |e: KeyboardEvent| {
            let a = match e.key().as_str() {
                " " => Some(ReplayAction::Toggle),
                "ArrowRight" => Some(ReplayAction::Step(1)),
                "ArrowLeft" => Some(ReplayAction::Step(-1)),
                _ => None,
            };
            if let Some(a) = a {
                e.prevent_default();
                on.emit(a);
            }
        })
    };
    let on_scrub = p.on_replay.reform(|e: InputEvent| {
        let input: HtmlInputElement = e.target_unchecked_into();
        ReplayAction::Scrub(input.value().parse::<f64>().unwrap_or(0.0).max(0.0) as u64)
    });
    let on_jump = {
        let on = p.on_replay.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(s) = input.value().trim().parse::<f64>() {
                if s.is_finite() && s >= 0.0 {
                    on.emit(ReplayAction::Scrub((s * 1e9).round() as u64));
                }
            }
        })
    };
    let on_speed = p.on_replay.reform(|e: Event| {
        let s: HtmlSelectElement = e.target_unchecked_into();
        let i: usize = s.value().parse().unwrap_or(7);
        ReplayAction::Speed(Speed::CHOICES[i.min(Speed::CHOICES.len() - 1)])
    });
    let speed_index = Speed::CHOICES
        .iter()
        .position(|s| *s == r.speed)
        .unwrap_or(7);

    // Layout of the diagram.
    let clients: Vec<(u32, Phase)> = snap.phases.iter().take(MAX_CLIENTS).copied().collect();
    let more_clients = snap.phases.len().saturating_sub(MAX_CLIENTS)
        + (p.view.requests_sent as usize).saturating_sub(snap.phases.len());
    let lane_h = 30.0;
    let worker_h: Vec<f64> = snap
        .workers
        .iter()
        .map(|w| 46.0 + w.lanes.len() as f64 * lane_h)
        .collect();
    let height = (worker_h.iter().sum::<f64>() + 12.0 * snap.workers.len() as f64 + 20.0)
        .max(40.0 + clients.len().div_ceil(2) as f64 * 24.0)
        .max(160.0);
    let mut y = 10.0;
    let workers_svg: Vec<Html> = snap
        .workers
        .iter()
        .zip(&worker_h)
        .map(|(w, h)| {
            let top = y;
            y += h + 12.0;
            let title = match (&w.blocked_by, &w.gil_holder) {
                (Some(b), _) => format!("worker {}: blocked by {b}", w.worker),
                (None, Some(g)) => format!("worker {}: GIL held by {g}", w.worker),
                (None, None) => format!("worker {}: GIL free", w.worker),
            };
            html! {
                <g class="replay-worker" data-worker={w.worker.to_string()} data-blocked={w.blocked_by.is_some().to_string()}>
                    <rect class={classes!("worker-box", w.blocked_by.as_ref().map(|_| "blocked"))} x="300" y={top.to_string()} width="440" height={h.to_string()} rx="6" />
                    <text class="worker-title" x="312" y={(top + 20.0).to_string()}>{ title }</text>
                    { for w.lanes.iter().enumerate().map(|(i, l)| {
                        let ly = top + 34.0 + i as f64 * lane_h;
                        let state = l.state.id();
                        let what = match (l.state, l.request) {
                            (ThreadState::Idle, _) => "idle".to_string(),
                            (_, Some(id)) => format!("#{id} {}: {}", l.activity, l.state.describe()),
                            (_, None) => format!("{}: {}", l.activity, l.state.describe()),
                        };
                        let selected = l.request.is_some() && l.request == p.selected;
                        html! {
                            <g class={classes!("replay-lane", selected.then_some("selected"))} data-lane={l.name.clone()} data-state={state}
                                data-request-id={l.request.map(|r| r.to_string())}>
                                <rect class={format!("lane-state state-{state}")} x="312" y={ly.to_string()} width="416" height={(lane_h - 6.0).to_string()} rx="3" />
                                <text x="320" y={(ly + 16.0).to_string()} class="lane-text">{ format!("{}  ·  {what}", l.name) }</text>
                            </g>
                        }
                    }) }
                </g>
            }
        })
        .collect();
    let logs = &p.view.logs[..snap.logs];
    let lane_name = |lane: u32| {
        p.view
            .lanes
            .get(lane as usize)
            .map_or(String::new(), |l| l.name.clone())
    };
    html! {
        <div class="replay" data-testid="replay" tabindex="0" {onkeydown} aria-label="Replay (space: play or pause, arrows: step)">
            <div class="replay-controls row">
                <button type="button" data-testid="replay-play" onclick={p.on_replay.reform(|_| ReplayAction::Toggle)}>
                    { if r.playing { "Pause" } else { "Play" } }
                </button>
                <button type="button" aria-label="Step back" onclick={p.on_replay.reform(|_| ReplayAction::Step(-1))}>{ "← Step" }</button>
                <button type="button" aria-label="Step forward" onclick={p.on_replay.reform(|_| ReplayAction::Step(1))}>{ "Step →" }</button>
                <div class="field">
                    <label for="replay-speed">{ "Speed" }</label>
                    <select id="replay-speed" onchange={on_speed}>
                        { for Speed::CHOICES.iter().enumerate().map(|(i, s)| html! {
                            <option value={i.to_string()} selected={i == speed_index}>{ s.label() }</option>
                        }) }
                    </select>
                </div>
                <div class="field">
                    <label for="replay-jump">{ "Go to (s)" }</label>
                    <input id="replay-jump" data-testid="replay-jump" type="number" min="0" step="any" onchange={on_jump} />
                </div>
                if r.reduced_motion {
                    <span class="hint">{ "Reduced motion: playing steps once a second." }</span>
                }
            </div>
            <div class="field replay-scrub">
                <label for="replay-time">{ format!("Time: {} of {}", fmt_s(r.t_ns), fmt_s(r.end_ns)) }</label>
                <input id="replay-time" data-testid="replay-time" type="range" min="0" max={r.end_ns.to_string()} step="1"
                    value={r.t_ns.to_string()} oninput={on_scrub} aria-valuetext={fmt_time_ms(r.t_ns as f64 / 1e6)} />
            </div>
            <svg class="chart-svg replay-diagram" viewBox={format!("0 0 760 {height}")} width="100%" role="img" aria-labelledby="replay-title replay-desc">
                <title id="replay-title">{ format!("The server at {}", fmt_s(r.t_ns)) }</title>
                <desc id="replay-desc">{ format!("{} requests answered, {} in the listen backlog.{}", snap.done, snap.backlog,
                    snap.workers.iter().filter_map(|w| w.blocked_by.as_ref().map(|b| format!(" Worker {} is blocked by {b}.", w.worker))).collect::<String>()) }</desc>
                <text class="col-title" x="10" y="16">{ "Clients" }</text>
                { for clients.iter().enumerate().map(|(i, (id, ph))| {
                    let (cx, cy) = (22.0 + (i % 2) as f64 * 110.0, 36.0 + (i / 2) as f64 * 24.0);
                    let id = *id;
                    html! {
                        <g class={classes!("client", format!("phase-{}", ph.id()), (p.selected == Some(id)).then_some("selected"))}
                            data-request-id={id.to_string()} data-phase={ph.id()}
                            onclick={p.on_select.reform(move |_| Some(id))}>
                            <circle cx={cx.to_string()} cy={cy.to_string()} r="7" />
                            <text x={(cx + 12.0).to_string()} y={(cy + 4.0).to_string()}>{ format!("#{id}") }</text>
                            <title>{ format!("request {id}: {}", ph.describe()) }</title>
                        </g>
                    }
                }) }
                if more_clients > 0 {
                    <text class="hint" x="10" y={(height - 8.0).to_string()}>{ format!("+{more_clients} more") }</text>
                }
                <g class="backlog" data-testid="replay-backlog" data-count={snap.backlog.to_string()}>
                    <rect x="230" y="10" width="56" height={(height - 20.0).to_string()} rx="6" class="backlog-box" />
                    <text x="258" y="30" text-anchor="middle" class="col-title">{ "backlog" }</text>
                    <text x="258" y="56" text-anchor="middle" class="big">{ snap.backlog.to_string() }</text>
                </g>
                { for workers_svg }
            </svg>
            <div class="console">
                <h3 id="console-heading">{ "Console" }</h3>
                <pre data-testid="console" role="log" aria-labelledby="console-heading" tabindex="0">
                    { for logs.iter().map(|l| html! {
                        <span class="log-line" data-request-id={l.request.to_string()}>
                            { format!("[{:>9}] {} #{} {}\n", fmt_s(l.time), lane_name(l.lane), l.request, l.text) }
                        </span>
                    }) }
                    if logs.is_empty() {
                        <span class="hint">{ "(nothing printed yet)" }</span>
                    }
                </pre>
            </div>
        </div>
    }
}
