//! Import and export: a scenario file in (checked by `Scenario::from_json`, every error shown
//! with its JSON path and range, the current scenario kept), and out the scenario, the results
//! (CSV, JSON) and the open view's chart (SVG, PNG). Files are made on the page.

use std::rc::Rc;

use loopsim_engine::export;
use loopsim_engine::scenario::MAX_SCENARIO_BYTES;
use loopsim_engine::Scenario;
use serde_json::json;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Element, HtmlInputElement, MutationObserver, MutationObserverInit};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::downloads::{download_png, download_text, svg_size, svg_to_string};
use crate::protocol::RunView;

#[derive(Properties, PartialEq)]
pub struct TransferProps {
    /// The scenario as edited (exported as it is).
    pub scenario: Rc<Scenario>,
    /// The shown result, if any (its own scenario goes into the results JSON).
    pub result: Option<Rc<RunView>>,
    /// A valid scenario read from a file.
    pub on_import: Callback<Scenario>,
}

/// Where the open view's chart is looked for.
pub const CHART_SELECTOR: &str = "#tab-panel svg[role=img]";

/// The open view's chart and a file name stem for it (`loopsim-latency`).
pub fn open_chart() -> Option<(Element, String)> {
    let document = web_sys::window()?.document()?;
    let svg = document.query_selector(CHART_SELECTOR).ok()??;
    let view = document
        .get_element_by_id("tab-panel")
        .and_then(|p| p.get_attribute("data-testid"))
        .map(|t| t.trim_start_matches("view-").to_string())
        .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or_else(|| "chart".into());
    Some((svg, format!("loopsim-{view}")))
}

fn size_text(bytes: f64) -> String {
    if bytes >= 1024.0 * 1024.0 {
        format!("{:.1} MB", bytes / (1024.0 * 1024.0))
    } else {
        format!("{:.0} KB", (bytes / 1024.0).ceil())
    }
}

/// The results JSON: the run's scenario, summary, workers and kept requests.
pub fn results_json(view: &RunView) -> String {
    let requests: Vec<_> = view
        .requests
        .iter()
        .map(|r| export::request_json(&view.lanes, r))
        .collect();
    let value = json!({
        "scenario": &*view.scenario,
        "summary": view.summary,
        "workers": view.workers,
        "requests_sent": view.requests_sent,
        "requests": requests,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

#[component]
pub fn Transfer(p: &TransferProps) -> Html {
    // Import errors (each names a JSON path), or a file refused before reading.
    let import_errors = use_state(|| None::<(String, Vec<String>)>);
    let export_error = use_state(|| None::<String>);
    let status = use_state(String::new);
    // The open chart's file stem, followed through DOM changes (tabs, new results).
    let chart = use_state_eq(|| None::<String>);
    {
        let chart = chart.clone();
        use_effect_with((), move |_| {
            let check = move || chart.set(open_chart().map(|(_, stem)| stem));
            check();
            let callback =
                Closure::<dyn FnMut(js_sys::Array, MutationObserver)>::new(move |_, _| check());
            let observer = MutationObserver::new(callback.as_ref().unchecked_ref()).ok();
            if let (Some(o), Some(body)) = (
                &observer,
                web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.body()),
            ) {
                let init = MutationObserverInit::new();
                init.set_child_list(true);
                init.set_subtree(true);
                let _ = o.observe_with_options(&body, &init);
            }
            move || {
                if let Some(o) = observer {
                    o.disconnect();
                }
                drop(callback);
            }
        });
    }

    let onchange = {
        let (import_errors, status, on_import) =
            (import_errors.clone(), status.clone(), p.on_import.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            // Choosing the same file again is a change too.
            input.set_value("");
            let name = file.name();
            let refused = |lines: Vec<String>| {
                import_errors.set(Some((
                    format!("“{name}” was not imported; the scenario is unchanged:"),
                    lines,
                )))
            };
            if file.size() > MAX_SCENARIO_BYTES as f64 {
                refused(vec![format!(
                    "the file is {}; a scenario file can be at most 1 MB ({MAX_SCENARIO_BYTES} bytes)",
                    size_text(file.size())
                )]);
                return;
            }
            let (import_errors, status, on_import) =
                (import_errors.clone(), status.clone(), on_import.clone());
            spawn_local(async move {
                let refused = |lines: Vec<String>| {
                    import_errors.set(Some((
                        format!("“{name}” was not imported; the scenario is unchanged:"),
                        lines,
                    )))
                };
                let text = match JsFuture::from(file.text()).await {
                    Ok(t) => t.as_string().unwrap_or_default(),
                    Err(e) => {
                        refused(vec![format!(
                            "the file could not be read ({})",
                            crate::downloads::js_error_text(&e)
                        )]);
                        return;
                    }
                };
                match Scenario::from_json(&text) {
                    Ok(scenario) => {
                        import_errors.set(None);
                        status.set(match &scenario.name {
                            Some(n) => format!("Imported “{n}” from {name}."),
                            None => format!("Imported {name}."),
                        });
                        on_import.emit(scenario);
                    }
                    Err(errors) => refused(errors.0.iter().map(|e| e.to_string()).collect()),
                }
            });
        })
    };

    // Runs a download; reports how it went.
    let finish = {
        let (export_error, status) = (export_error.clone(), status.clone());
        move |filename: &str, outcome: Result<(), String>| match outcome {
            Ok(()) => {
                export_error.set(None);
                status.set(format!("Downloaded {filename}."));
            }
            Err(e) => export_error.set(Some(format!("{filename} could not be made: {e}"))),
        }
    };
    let text_download =
        |filename: &'static str, mime: &'static str, make: Rc<dyn Fn() -> String>| {
            let finish = finish.clone();
            Callback::from(move |_: MouseEvent| {
                finish(filename, download_text(filename, mime, &make()));
            })
        };

    let scenario_blocker = p.scenario.validate().err().map(|e| {
        format!(
            "The scenario has {} error{}: fix {} to export it.",
            e.0.len(),
            if e.0.len() == 1 { "" } else { "s" },
            if e.0.len() == 1 { "it" } else { "them" }
        )
    });
    let on_scenario = {
        let s = p.scenario.clone();
        text_download(
            "loopsim-scenario.json",
            "application/json",
            Rc::new(move || s.to_json()),
        )
    };
    let (on_csv, on_json) = match &p.result {
        Some(v) => {
            let (a, b) = (v.clone(), v.clone());
            (
                text_download(
                    "loopsim-requests.csv",
                    "text/csv",
                    Rc::new(move || export::csv(&a.requests, &a.lanes)),
                ),
                text_download(
                    "loopsim-results.json",
                    "application/json",
                    Rc::new(move || results_json(&b)),
                ),
            )
        }
        None => (Callback::noop(), Callback::noop()),
    };
    let on_svg = {
        let finish = finish.clone();
        Callback::from(move |_: MouseEvent| match open_chart() {
            Some((svg, stem)) => {
                let filename = format!("{stem}.svg");
                finish(
                    &filename,
                    download_text(&filename, "image/svg+xml", &svg_to_string(&svg)),
                );
            }
            None => finish("the chart", Err("the open view has no chart".into())),
        })
    };
    let on_png = {
        let (finish, status) = (finish.clone(), status.clone());
        Callback::from(move |_: MouseEvent| {
            let Some((svg, stem)) = open_chart() else {
                finish("the chart", Err("the open view has no chart".into()));
                return;
            };
            let filename = format!("{stem}.png");
            let (text, (w, h)) = (svg_to_string(&svg), svg_size(&svg));
            status.set(format!("Drawing {filename}…"));
            let finish = finish.clone();
            spawn_local(async move {
                let outcome = download_png(&text, w, h, &filename).await;
                finish(&filename, outcome);
            });
        })
    };

    let results_reason = p
        .result
        .is_none()
        .then_some("Run the scenario to export its results.");
    let chart_reason = chart.is_none().then(|| {
        if p.result.is_none() {
            "Run the scenario to draw a chart to export."
        } else {
            "The open view has no chart: open Latency, Distribution, Timeline or Concurrency to export one."
        }
    });
    let partial = p.result.as_ref().and_then(|v| {
        (v.requests_sent > v.requests.len() as u64).then(|| {
            format!(
                "CSV and JSON list the first {} of {} requests (see the detail settings).",
                v.requests.len(),
                v.requests_sent
            )
        })
    });
    let stale = p
        .result
        .as_ref()
        .is_some_and(|v| *v.scenario != *p.scenario);

    html! {
        <section class="transfer" aria-labelledby="transfer-heading" data-testid="transfer">
            <h3 id="transfer-heading">{ "Import and export" }</h3>
            <div class="transfer-row">
                <span class="file-pick">
                    <input id="import-file" class="file-input" type="file" accept=".json,application/json"
                        data-testid="import-input" aria-describedby="import-hint" {onchange} />
                    <label for="import-file" class="button-like">{ "Import scenario…" }</label>
                </span>
                <button type="button" data-testid="export-scenario" onclick={on_scenario}
                    disabled={scenario_blocker.is_some()}
                    aria-describedby={scenario_blocker.as_ref().map(|_| "export-scenario-reason")}>
                    { "Export scenario" }
                </button>
            </div>
            <p class="hint" id="import-hint">{ "A loopsim scenario file (JSON, at most 1 MB)." }</p>
            if let Some(r) = &scenario_blocker {
                <p class="hint" id="export-scenario-reason">{ r.clone() }</p>
            }
            if let Some((intro, lines)) = &*import_errors {
                <div class="transfer-errors" role="alert" data-testid="import-errors">
                    <p>{ intro.clone() }</p>
                    <ul>{ for lines.iter().map(|l| html! { <li>{ l.clone() }</li> }) }</ul>
                    <button type="button" onclick={let e = import_errors.clone(); move |_| e.set(None)}>{ "Dismiss" }</button>
                </div>
            }
            <div class="transfer-row" role="group" aria-label="Export results">
                <button type="button" data-testid="export-csv" onclick={on_csv} disabled={results_reason.is_some()}
                    aria-describedby={results_reason.map(|_| "export-results-reason")}>{ "Results CSV" }</button>
                <button type="button" data-testid="export-json" onclick={on_json} disabled={results_reason.is_some()}
                    aria-describedby={results_reason.map(|_| "export-results-reason")}>{ "Results JSON" }</button>
                <button type="button" data-testid="export-svg" onclick={on_svg} disabled={chart_reason.is_some()}
                    aria-describedby={chart_reason.map(|_| "export-chart-reason")}>{ "Chart SVG" }</button>
                <button type="button" data-testid="export-png" onclick={on_png} disabled={chart_reason.is_some()}
                    aria-describedby={chart_reason.map(|_| "export-chart-reason")}>{ "Chart PNG" }</button>
            </div>
            if let Some(r) = results_reason {
                <p class="hint" id="export-results-reason">{ r }</p>
            }
            if let Some(r) = chart_reason {
                <p class="hint" id="export-chart-reason" data-testid="export-chart-reason">{ r }</p>
            }
            if let Some(t) = partial {
                <p class="hint">{ t }</p>
            }
            if stale {
                <p class="hint">{ "The results are of the last run, before your latest edits; their JSON includes the scenario they ran." }</p>
            }
            if let Some(e) = &*export_error {
                <p class="field-error" role="alert" data-testid="export-error">{ e.clone() }</p>
            }
            <p class="hint transfer-status" role="status" data-testid="transfer-status">{ (*status).clone() }</p>
        </section>
    }
}
