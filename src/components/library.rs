//! Saved scenarios: save the current scenario under a name, then load, rename or delete it
//! later. Kept in this browser's local storage (see `crate::storage`); what could not be read
//! from there is reported and listed as kept aside, with a download of its raw text.

use std::cell::RefCell;
use std::rc::Rc;

use loopsim_engine::Scenario;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlElement, HtmlInputElement, KeyboardEvent};
use yew::prelude::*;

use crate::downloads::download_text;
use crate::storage::{Library, Saved, Store, MAX_NAME_CHARS};

#[derive(Properties, PartialEq)]
pub struct SavedScenariosProps {
    /// The scenario "Save current" saves.
    pub current: Rc<Scenario>,
    /// A saved scenario the user chose to load.
    pub on_load: Callback<Scenario>,
}

/// An edit of the stored scenarios; `Ok` holds what to tell the user.
type Edit = Box<dyn FnOnce(&mut Store) -> Result<String, String>>;

/// A destructive action waiting for a second click.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Confirm {
    Delete(u32),
    Discard(usize),
}

/// "Saved on …" for a time in ms since the epoch (nothing for an unknown or absurd time).
fn saved_on(ms: f64) -> Option<(String, String)> {
    // Date's range is ±8.64e15 ms; 0 means unknown.
    if !(ms > 0.0 && ms < 8.64e15) {
        return None;
    }
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    let locale = web_sys::window()
        .and_then(|w| w.navigator().language())
        .unwrap_or_else(|| "en".into());
    let text = date.to_locale_string(&locale, &JsValue::UNDEFINED);
    Some((String::from(date.to_iso_string()), String::from(text)))
}

fn focus(id: &str) {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

fn input_value(r: &NodeRef) -> String {
    r.cast::<HtmlInputElement>()
        .map(|i| i.value())
        .unwrap_or_default()
}

#[component]
pub fn SavedScenarios(p: &SavedScenariosProps) -> Html {
    let opened = use_memo((), |_| {
        let (lib, problems) = Library::open();
        (RefCell::new(lib), problems)
    });
    let lib = opened.clone();
    let problems = use_state(|| opened.1.clone());
    let error = use_state(|| None::<String>);
    let status = use_state(String::new);
    let name_draft = use_state(|| None::<String>);
    let renaming = use_state(|| None::<u32>);
    let confirm = use_state(|| None::<Confirm>);
    let rerender = use_force_update();
    let name_ref = use_node_ref();
    let rename_ref = use_node_ref();
    // An element to focus once the next render is in the DOM.
    let focus_next = use_mut_ref(|| None::<String>);
    {
        let focus_next = focus_next.clone();
        use_effect(move || {
            if let Some(id) = focus_next.borrow_mut().take() {
                focus(&id);
            }
        });
    }

    // Applies an edit to the stored scenarios; reports problems and errors.
    let update = {
        let (lib, problems, error, rerender) = (
            lib.clone(),
            problems.clone(),
            error.clone(),
            rerender.clone(),
        );
        Rc::new(move |op: Edit| -> Option<String> {
            let outcome = lib.0.borrow_mut().update(op);
            let done = match outcome {
                Ok((message, found)) => {
                    error.set(None);
                    if !found.is_empty() {
                        problems.set(found);
                    }
                    Some(message)
                }
                Err(e) => {
                    error.set(Some(e));
                    None
                }
            };
            rerender.force_update();
            done
        })
    };

    let store = lib.0.borrow().store().clone();
    let default_name = store.unique_name(
        p.current
            .name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or("Untitled scenario"),
    );
    let name = (*name_draft).clone().unwrap_or(default_name);
    let save_blocker = store.check_add(&name, &p.current).err();

    let on_name_input = {
        let name_draft = name_draft.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            name_draft.set(Some(input.value()));
        })
    };
    let on_save = {
        let (update, current, name_ref, name_draft, status) = (
            update.clone(),
            p.current.clone(),
            name_ref.clone(),
            name_draft.clone(),
            status.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let name = input_value(&name_ref);
            let scenario = (*current).clone();
            let saved = update(Box::new(move |s: &mut Store| {
                let id = s.add(&name, scenario, crate::storage::now())?;
                Ok(s.get(id).map(|i| i.name.clone()).unwrap_or_default())
            }));
            if let Some(name) = saved {
                name_draft.set(None);
                status.set(format!("Saved “{name}”."));
            }
        })
    };

    let item_view = |item: &Saved| -> Html {
        let id = item.id;
        let name = item.name.clone();
        let quoted = format!("“{name}”");
        if *renaming == Some(id) {
            let cancel = {
                let (renaming, focus_next) = (renaming.clone(), focus_next.clone());
                move || {
                    renaming.set(None);
                    *focus_next.borrow_mut() = Some(format!("saved-rename-{id}"));
                }
            };
            let onsubmit = {
                let (update, rename_ref, status, cancel) = (
                    update.clone(),
                    rename_ref.clone(),
                    status.clone(),
                    cancel.clone(),
                );
                Callback::from(move |e: SubmitEvent| {
                    e.prevent_default();
                    let new_name = input_value(&rename_ref);
                    let done = update(Box::new(move |s: &mut Store| {
                        s.rename(id, &new_name)?;
                        Ok(s.get(id).map(|i| i.name.clone()).unwrap_or_default())
                    }));
                    if let Some(name) = done {
                        status.set(format!("Renamed to “{name}”."));
                        cancel();
                    }
                })
            };
            let onkeydown = {
                let cancel = cancel.clone();
                Callback::from(move |e: KeyboardEvent| {
                    if e.key() == "Escape" {
                        e.prevent_default();
                        cancel();
                    }
                })
            };
            let input_id = format!("saved-name-{id}");
            return html! {
                <li class="saved-item renaming" data-testid="saved-item" data-name={name.clone()} key={id}>
                    <form class="rename-form" {onsubmit}>
                        <label for={input_id.clone()}>{ format!("New name for {quoted}") }</label>
                        <input id={input_id} type="text" ref={rename_ref.clone()} value={name.clone()}
                            maxlength={MAX_NAME_CHARS.to_string()} data-testid="saved-rename-input" {onkeydown} />
                        <span class="saved-buttons">
                            <button type="submit" data-testid="saved-rename-save">{ "Save name" }</button>
                            <button type="button" onclick={move |_| cancel()}>{ "Cancel" }</button>
                        </span>
                    </form>
                </li>
            };
        }
        let when = saved_on(item.saved_at);
        let details = item.scenario.server.kind.title();
        let buttons = if *confirm == Some(Confirm::Delete(id)) {
            let on_delete = {
                let (update, status, confirm, focus_next) = (
                    update.clone(),
                    status.clone(),
                    confirm.clone(),
                    focus_next.clone(),
                );
                let name = name.clone();
                Callback::from(move |_: MouseEvent| {
                    confirm.set(None);
                    let done = update(Box::new(move |s: &mut Store| {
                        s.delete(id);
                        Ok(String::new())
                    }));
                    if done.is_some() {
                        status.set(format!("Deleted “{name}”."));
                        *focus_next.borrow_mut() = Some("saved-heading".into());
                    }
                })
            };
            let on_keep = {
                let (confirm, focus_next) = (confirm.clone(), focus_next.clone());
                Callback::from(move |_: MouseEvent| {
                    confirm.set(None);
                    *focus_next.borrow_mut() = Some(format!("saved-delete-{id}"));
                })
            };
            html! {
                <span class="saved-buttons confirm" role="group" aria-label={format!("Delete {quoted}?")}>
                    <span class="confirm-question">{ format!("Delete {quoted}?") }</span>
                    <button type="button" class="danger" data-testid="saved-delete-confirm" onclick={on_delete}>{ "Delete" }</button>
                    <button type="button" id={format!("saved-keep-{id}")} onclick={on_keep}>{ "Keep" }</button>
                </span>
            }
        } else {
            let on_load = {
                let (on_load, scenario, status) =
                    (p.on_load.clone(), item.scenario.clone(), status.clone());
                let name = name.clone();
                Callback::from(move |_: MouseEvent| {
                    status.set(format!("Loaded “{name}”."));
                    on_load.emit(scenario.clone());
                })
            };
            let on_rename = {
                let (renaming, confirm, focus_next) =
                    (renaming.clone(), confirm.clone(), focus_next.clone());
                Callback::from(move |_: MouseEvent| {
                    confirm.set(None);
                    renaming.set(Some(id));
                    *focus_next.borrow_mut() = Some(format!("saved-name-{id}"));
                })
            };
            let on_delete = {
                let (renaming, confirm, focus_next) =
                    (renaming.clone(), confirm.clone(), focus_next.clone());
                Callback::from(move |_: MouseEvent| {
                    renaming.set(None);
                    confirm.set(Some(Confirm::Delete(id)));
                    *focus_next.borrow_mut() = Some(format!("saved-keep-{id}"));
                })
            };
            html! {
                <span class="saved-buttons">
                    <button type="button" data-testid="saved-load" aria-label={format!("Load {quoted}")} onclick={on_load}>{ "Load" }</button>
                    <button type="button" id={format!("saved-rename-{id}")} data-testid="saved-rename"
                        aria-label={format!("Rename {quoted}")} onclick={on_rename}>{ "Rename" }</button>
                    <button type="button" id={format!("saved-delete-{id}")} data-testid="saved-delete"
                        aria-label={format!("Delete {quoted}")} onclick={on_delete}>{ "Delete" }</button>
                </span>
            }
        };
        html! {
            <li class="saved-item" data-testid="saved-item" data-name={name.clone()} key={id}>
                <span class="saved-label">
                    <span class="saved-name">{ name }</span>
                    <span class="hint">
                        { details }
                        if let Some((iso, text)) = when {
                            { " · saved " }<time datetime={iso}>{ text }</time>
                        }
                    </span>
                </span>
                { buttons }
            </li>
        }
    };

    let kept_view = |(i, k): (usize, &crate::storage::KeptAside)| -> Html {
        let n = i + 1;
        let filename = format!("loopsim-kept-aside-{n}.txt");
        let on_download = {
            let (raw, error, status, filename) = (
                k.raw.clone(),
                error.clone(),
                status.clone(),
                filename.clone(),
            );
            Callback::from(move |_: MouseEvent| {
                match download_text(&filename, "text/plain", &raw) {
                    Ok(()) => status.set(format!("Downloaded {filename}.")),
                    Err(e) => error.set(Some(format!("{filename} could not be made: {e}"))),
                }
            })
        };
        let buttons = if *confirm == Some(Confirm::Discard(i)) {
            let on_discard = {
                let (update, status, confirm, focus_next) = (
                    update.clone(),
                    status.clone(),
                    confirm.clone(),
                    focus_next.clone(),
                );
                Callback::from(move |_: MouseEvent| {
                    confirm.set(None);
                    let done = update(Box::new(move |s: &mut Store| {
                        s.discard_kept_aside(i);
                        Ok(String::new())
                    }));
                    if done.is_some() {
                        status.set(format!("Discarded kept-aside entry {n}."));
                        *focus_next.borrow_mut() = Some("saved-heading".into());
                    }
                })
            };
            let on_keep = {
                let (confirm, focus_next) = (confirm.clone(), focus_next.clone());
                Callback::from(move |_: MouseEvent| {
                    confirm.set(None);
                    *focus_next.borrow_mut() = Some(format!("kept-discard-{n}"));
                })
            };
            html! {
                <span class="saved-buttons confirm" role="group" aria-label={format!("Discard entry {n}?")}>
                    <span class="confirm-question">{ format!("Discard entry {n} for good?") }</span>
                    <button type="button" class="danger" data-testid="kept-discard-confirm" onclick={on_discard}>{ "Discard" }</button>
                    <button type="button" id={format!("kept-keep-{n}")} onclick={on_keep}>{ "Keep" }</button>
                </span>
            }
        } else {
            let on_discard = {
                let (confirm, renaming, focus_next) =
                    (confirm.clone(), renaming.clone(), focus_next.clone());
                Callback::from(move |_: MouseEvent| {
                    renaming.set(None);
                    confirm.set(Some(Confirm::Discard(i)));
                    *focus_next.borrow_mut() = Some(format!("kept-keep-{n}"));
                })
            };
            html! {
                <span class="saved-buttons">
                    <button type="button" data-testid="kept-download" aria-label={format!("Download entry {n}")}
                        onclick={on_download}>{ "Download" }</button>
                    <button type="button" id={format!("kept-discard-{n}")} data-testid="kept-discard"
                        aria-label={format!("Discard entry {n}")} onclick={on_discard}>{ "Discard" }</button>
                </span>
            }
        };
        let chars = k.raw.chars().count();
        html! {
            <li class="saved-item kept" data-testid="kept-aside-item" key={format!("kept-{i}")}>
                <span class="saved-label">
                    <span class="saved-name">{ k.reason.clone() }</span>
                    <span class="hint">
                        { format!("Entry {n} · {chars} character{}", if chars == 1 { "" } else { "s" }) }
                        if let Some((iso, text)) = saved_on(k.at) {
                            { " · kept aside " }<time datetime={iso}>{ text }</time>
                        }
                    </span>
                </span>
                { buttons }
            </li>
        }
    };

    let persistent = lib.0.borrow().persistent();
    html! {
        <section class="library" aria-labelledby="saved-heading" data-testid="saved-scenarios">
            <h3 id="saved-heading" tabindex="-1">{ "Saved scenarios" }</h3>
            if !problems.is_empty() {
                <div class="library-problems" role="alert" data-testid="saved-problems">
                    <ul>{ for problems.iter().map(|t| html! { <li>{ t.clone() }</li> }) }</ul>
                    <button type="button" onclick={let pr = problems.clone(); move |_| pr.set(Vec::new())}>{ "Dismiss" }</button>
                </div>
            }
            <form class="save-form" onsubmit={on_save}>
                <div class="field">
                    <label for="save-name">{ "Name" }</label>
                    <input id="save-name" type="text" ref={name_ref} value={name}
                        maxlength={MAX_NAME_CHARS.to_string()} oninput={on_name_input}
                        aria-describedby={save_blocker.as_ref().map(|_| "save-reason")} />
                </div>
                <button type="submit" data-testid="save-button" disabled={save_blocker.is_some()}>{ "Save current" }</button>
            </form>
            if let Some(r) = &save_blocker {
                <p class="hint" id="save-reason">{ r.clone() }</p>
            }
            if !persistent {
                <p class="hint">{ "Not kept after this page closes: this browser does not let loopsim store data." }</p>
            }
            if let Some(e) = &*error {
                <p class="field-error" role="alert" data-testid="saved-error">{ e.clone() }</p>
            }
            <ul class="saved-list" data-testid="saved-list" aria-labelledby="saved-heading">
                { for store.items.iter().map(item_view) }
            </ul>
            if store.items.is_empty() {
                <p class="hint" data-testid="saved-empty">{ "Nothing saved yet." }</p>
            }
            if !store.kept_aside.is_empty() {
                <h4 id="kept-heading">{ "Kept aside" }</h4>
                <p class="hint">{ "Stored data this loopsim could not use, kept as it was. Download it to look at it or repair it." }</p>
                <ul class="saved-list" data-testid="kept-aside-list" aria-labelledby="kept-heading">
                    { for store.kept_aside.iter().enumerate().map(kept_view) }
                </ul>
            }
            <p class="sr-only" role="status" data-testid="saved-status">{ (*status).clone() }</p>
        </section>
    }
}
