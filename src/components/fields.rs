//! Labelled form controls. Every control has a visible label, a hint (the default or unit) and
//! shows the validation error of its scenario field, linked with `aria-describedby`.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

fn describedby(id: &str, hint: bool, error: bool) -> Option<AttrValue> {
    let mut parts = Vec::new();
    if hint {
        parts.push(format!("{id}-hint"));
    }
    if error {
        parts.push(format!("{id}-error"));
    }
    (!parts.is_empty()).then(|| parts.join(" ").into())
}

fn notes(id: &str, hint: &Option<AttrValue>, error: Option<&str>) -> Html {
    html! {
        <>
            if let Some(h) = hint {
                <span class="hint" id={format!("{id}-hint")}>{ h.clone() }</span>
            }
            if let Some(e) = error {
                <span class="field-error" id={format!("{id}-error")} role="alert">{ e.to_string() }</span>
            }
        </>
    }
}

#[derive(Properties, PartialEq)]
pub struct NumberProps {
    pub id: AttrValue,
    pub label: AttrValue,
    /// The current value; `None` shows the placeholder (the default).
    pub value: Option<f64>,
    #[prop_or_default]
    pub placeholder: Option<AttrValue>,
    #[prop_or_default]
    pub hint: Option<AttrValue>,
    /// The scenario's validation error for this field.
    #[prop_or_default]
    pub error: Option<AttrValue>,
    /// Only whole numbers.
    #[prop_or_default]
    pub integer: bool,
    /// An empty field means "default" (`None`); otherwise it is an error.
    #[prop_or_default]
    pub optional: bool,
    #[prop_or(AttrValue::Static("any"))]
    pub step: AttrValue,
    pub on_change: Callback<Option<f64>>,
}

/// What the user typed, as a number: `Err` explains why it is not one.
pub fn parse_number(text: &str, integer: bool, optional: bool) -> Result<Option<f64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return if optional {
            Ok(None)
        } else {
            Err("enter a number".into())
        };
    }
    let v: f64 = t.parse().map_err(|_| format!("“{t}” is not a number"))?;
    if !v.is_finite() {
        return Err("enter a finite number".into());
    }
    if integer && (v.fract() != 0.0 || v < 0.0 || v > u32::MAX as f64) {
        return Err(format!("enter a whole number from 0 to {}", u32::MAX));
    }
    Ok(Some(v))
}

fn fmt_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// What the user is typing in a field, kept until the field commits (on change) so that
/// re-renders (a run's progress) never overwrite it; and the `oninput` that records it.
#[hook]
fn use_draft() -> (UseStateHandle<Option<String>>, Callback<InputEvent>) {
    let draft = use_state(|| None::<String>);
    let oninput = {
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            draft.set(Some(input.value()));
        })
    };
    (draft, oninput)
}

/// A number input. Text that is not a number is refused here, with a message; numbers out of
/// range are kept and reported by the scenario's validation (`error`). What the user is typing
/// is kept as a draft until the field commits (on change), so re-renders (a run's progress)
/// never overwrite it.
#[component]
pub fn NumberField(p: &NumberProps) -> Html {
    let local_error = use_state(|| None::<String>);
    let (draft, oninput) = use_draft();
    let onchange = {
        let (local_error, draft, on_change, integer, optional) = (
            local_error.clone(),
            draft.clone(),
            p.on_change.clone(),
            p.integer,
            p.optional,
        );
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            draft.set(None);
            // A number input reports text it cannot read as an empty value with `badInput`.
            if input.validity().bad_input() {
                local_error.set(Some("that is not a number".into()));
                return;
            }
            match parse_number(&input.value(), integer, optional) {
                Ok(v) => {
                    local_error.set(None);
                    on_change.emit(v);
                }
                Err(msg) => local_error.set(Some(msg)),
            }
        })
    };
    let error = local_error.as_deref().or(p.error.as_deref());
    let id = p.id.to_string();
    let value = match &*draft {
        Some(text) => text.clone(),
        None => p.value.map(fmt_value).unwrap_or_default(),
    };
    html! {
        <div class={classes!("field", error.map(|_| "invalid"))}>
            <label for={p.id.clone()}>{ p.label.clone() }</label>
            <input
                id={p.id.clone()}
                type="number"
                inputmode={if p.integer { "numeric" } else { "decimal" }}
                step={p.step.clone()}
                {value}
                placeholder={p.placeholder.clone()}
                aria-invalid={error.map(|_| "true")}
                aria-describedby={describedby(&id, p.hint.is_some(), error.is_some())}
                {oninput}
                {onchange}
            />
            { notes(&id, &p.hint, error) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct SelectProps {
    pub id: AttrValue,
    pub label: AttrValue,
    /// (value, text) pairs.
    pub options: Vec<(AttrValue, AttrValue)>,
    pub value: AttrValue,
    #[prop_or_default]
    pub hint: Option<AttrValue>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    pub on_change: Callback<String>,
}

#[component]
pub fn SelectField(p: &SelectProps) -> Html {
    let onchange = {
        let on_change = p.on_change.clone();
        Callback::from(move |e: Event| {
            let s: HtmlSelectElement = e.target_unchecked_into();
            on_change.emit(s.value());
        })
    };
    let id = p.id.to_string();
    html! {
        <div class={classes!("field", p.error.as_ref().map(|_| "invalid"))}>
            <label for={p.id.clone()}>{ p.label.clone() }</label>
            <select
                id={p.id.clone()}
                aria-invalid={p.error.as_ref().map(|_| "true")}
                aria-describedby={describedby(&id, p.hint.is_some(), p.error.is_some())}
                {onchange}
            >
                { for p.options.iter().map(|(v, t)| html! {
                    <option value={v.clone()} selected={*v == p.value}>{ t.clone() }</option>
                }) }
            </select>
            { notes(&id, &p.hint, p.error.as_deref()) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct CheckProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub checked: bool,
    #[prop_or_default]
    pub hint: Option<AttrValue>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    pub on_change: Callback<bool>,
}

#[component]
pub fn CheckField(p: &CheckProps) -> Html {
    let onchange = {
        let on_change = p.on_change.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            on_change.emit(input.checked());
        })
    };
    let id = p.id.to_string();
    html! {
        <div class={classes!("field", "check", p.error.as_ref().map(|_| "invalid"))}>
            <input
                id={p.id.clone()}
                type="checkbox"
                checked={p.checked}
                aria-describedby={describedby(&id, p.hint.is_some(), p.error.is_some())}
                {onchange}
            />
            <label for={p.id.clone()}>{ p.label.clone() }</label>
            { notes(&id, &p.hint, p.error.as_deref()) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct TextProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    #[prop_or_default]
    pub placeholder: Option<AttrValue>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    pub on_change: Callback<String>,
}

/// A text input; like [`NumberField`], a draft survives re-renders until it commits.
#[component]
pub fn TextField(p: &TextProps) -> Html {
    let (draft, oninput) = use_draft();
    let onchange = {
        let (on_change, draft) = (p.on_change.clone(), draft.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            draft.set(None);
            on_change.emit(input.value());
        })
    };
    let id = p.id.to_string();
    let value = (*draft)
        .clone()
        .map(AttrValue::from)
        .unwrap_or_else(|| p.value.clone());
    html! {
        <div class={classes!("field", p.error.as_ref().map(|_| "invalid"))}>
            <label for={p.id.clone()}>{ p.label.clone() }</label>
            <input id={p.id.clone()} type="text" maxlength="200" {value}
                placeholder={p.placeholder.clone()}
                aria-describedby={describedby(&id, false, p.error.is_some())} {oninput} {onchange} />
            { notes(&id, &None, p.error.as_deref()) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_users_type() {
        assert_eq!(parse_number(" 4 ", true, false), Ok(Some(4.0)));
        assert_eq!(parse_number("", true, true), Ok(None));
        assert!(parse_number("", true, false).is_err());
        assert!(parse_number("4.5", true, false)
            .unwrap_err()
            .contains("whole number"));
        assert!(parse_number("-1", true, false).is_err());
        assert!(parse_number("abc", false, false)
            .unwrap_err()
            .contains("not a number"));
        assert!(parse_number("1e999", false, false).is_err());
        assert_eq!(parse_number("2.5", false, false), Ok(Some(2.5)));
    }
}
