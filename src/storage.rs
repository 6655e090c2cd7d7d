//! Saved scenarios, kept in the browser's `localStorage` under [`KEY`].
//!
//! What is stored there is untrusted: another version of loopsim, another tab, an extension or
//! the user may have written anything. [`load`] turns any text into a [`Loaded`] store and
//! never drops data it cannot use: whatever it cannot read (the whole text, or one item) is
//! *kept aside* ([`KeptAside`]: the raw text and why), reported in [`Loaded::problems`], and
//! written back with the store, so the user can see it and download it.
//!
//! The stored JSON (version 1):
//!
//! ```json
//! {"version": 1,
//!  "items": [{"id": 1, "name": "…", "saved_at": 1764201600000, "scenario": { … }}],
//!  "kept_aside": [{"raw": "…", "reason": "…", "at": 1764201600000}]}
//! ```
//!
//! `saved_at` and `at` are milliseconds since the Unix epoch. Version 0, the format before
//! versioning, is a plain JSON array of `{"name": "…", "scenario": { … }}`: it is migrated.
//!
//! The pure part ([`load`], [`save`], [`Store`]'s edits) is tested natively; the web part
//! ([`read`], [`write`], [`Library`]) reads and writes `window.localStorage`, which may be
//! missing or throw (storage disabled, a sandboxed iframe, the quota exceeded): every failure
//! becomes a message, never a panic.

use loopsim_engine::Scenario;
use serde_json::{json, Map, Value};

/// The `localStorage` key.
pub const KEY: &str = "loopsim.saved";
/// The version of the stored JSON this loopsim writes and reads.
pub const STORE_VERSION: u64 = 1;
/// At most this many saved scenarios (more are kept aside).
pub const MAX_ITEMS: usize = 200;
/// Names are cut to this many characters.
pub const MAX_NAME_CHARS: usize = 200;

/// A saved scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Saved {
    /// Unique within the store.
    pub id: u32,
    pub name: String,
    /// When it was saved (ms since the epoch; 0 = unknown).
    pub saved_at: f64,
    /// Always valid: items whose scenario does not pass `Scenario::from_json` are kept aside.
    pub scenario: Scenario,
}

/// Stored text that could not be used, kept as it was.
#[derive(Clone, Debug, PartialEq)]
pub struct KeptAside {
    /// The text as found (the whole stored value, or one item's JSON).
    pub raw: String,
    /// Why it was kept aside.
    pub reason: String,
    /// When it was kept aside (ms since the epoch).
    pub at: f64,
}

/// Everything stored under [`KEY`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Store {
    pub items: Vec<Saved>,
    pub kept_aside: Vec<KeptAside>,
}

/// The result of [`load`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Loaded {
    pub items: Vec<Saved>,
    pub kept_aside: Vec<KeptAside>,
    /// What was wrong, one sentence each, for the user.
    pub problems: Vec<String>,
    /// The stored text should be replaced by [`save`] of this store (an old format was
    /// migrated, or items were cut, renumbered or moved aside). A store that could not be
    /// read at all is not rewritten until the next change: a newer loopsim's data stays as it
    /// was.
    pub needs_rewrite: bool,
}

impl Loaded {
    pub fn store(&self) -> Store {
        Store {
            items: self.items.clone(),
            kept_aside: self.kept_aside.clone(),
        }
    }

    pub fn into_store(self) -> Store {
        Store {
            items: self.items,
            kept_aside: self.kept_aside,
        }
    }
}

/// `name` trimmed and cut to [`MAX_NAME_CHARS`].
pub fn clean_name(name: &str) -> String {
    truncate_chars(name.trim(), MAX_NAME_CHARS)
}

fn truncate_chars(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

/// A short label for text in a message: quoted, at most 40 characters.
fn quote(name: &str) -> String {
    let short = truncate_chars(name, 40);
    if short.len() < name.len() {
        format!("“{short}…”")
    } else {
        format!("“{short}”")
    }
}

/// Reads stored text (`None`: nothing stored). See [`load_at`]; kept-aside entries made here
/// get time 0.
pub fn load(raw: Option<&str>) -> Loaded {
    load_at(raw, 0.0)
}

/// Reads stored text (`None`: nothing stored); `now` (ms since the epoch) stamps migrated
/// items and new kept-aside entries. Never panics, never drops data.
pub fn load_at(raw: Option<&str>, now: f64) -> Loaded {
    let Some(raw) = raw else {
        return Loaded::default();
    };
    if raw.trim().is_empty() {
        return Loaded {
            needs_rewrite: !raw.is_empty(),
            ..Loaded::default()
        };
    }
    let value: Value = match serde_json::from_str(raw) {
        Ok(v) => v,
        Err(e) => return whole(raw, "not JSON", format!("not JSON: {e}"), now),
    };
    match value {
        Value::Array(list) => migrate_v0(list, now),
        Value::Object(o) => match o.get("version") {
            None => whole(raw, "no version number", "no version number".into(), now),
            Some(v) => match v.as_u64() {
                Some(STORE_VERSION) => load_v1(o, now),
                Some(n) if n > STORE_VERSION => whole(
                    raw,
                    &format!("saved by a newer loopsim, version {n}"),
                    format!("saved by a newer loopsim (version {n})"),
                    now,
                ),
                _ => {
                    let reason = format!("unknown version {}", short_json(v));
                    whole(raw, &reason, reason.clone(), now)
                }
            },
        },
        other => {
            let reason = format!("not a list of saved scenarios (a JSON {})", kind(&other));
            whole(raw, &reason, reason.clone(), now)
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

fn short_json(v: &Value) -> String {
    truncate_chars(&v.to_string(), 40)
}

/// The whole stored text kept aside.
fn whole(raw: &str, label: &str, reason: String, now: f64) -> Loaded {
    Loaded {
        items: Vec::new(),
        kept_aside: vec![KeptAside {
            raw: raw.to_string(),
            reason,
            at: now,
        }],
        problems: vec![format!(
            "saved scenarios could not be read ({label}): kept aside"
        )],
        needs_rewrite: false,
    }
}

/// Collects items, keeping aside what cannot be used.
#[derive(Default)]
struct Builder {
    out: Loaded,
    now: f64,
}

impl Builder {
    fn keep_aside(&mut self, raw: String, reason: String, problem: String) {
        self.out.kept_aside.push(KeptAside {
            raw,
            reason,
            at: self.now,
        });
        self.out.problems.push(problem);
        self.out.needs_rewrite = true;
    }

    /// Adds one item (`index` from 0, for messages); `id` and `saved_at` are `None` when
    /// they are to be assigned (migration).
    fn item(&mut self, index: usize, value: &Value, legacy: bool) {
        let name = value.get("name").and_then(Value::as_str);
        let label = name.map_or_else(|| format!("item {}", index + 1), quote);
        if self.out.items.len() >= MAX_ITEMS {
            self.keep_aside(
                value.to_string(),
                format!("more than {MAX_ITEMS} saved scenarios"),
                format!("saved scenario {label} is over the limit of {MAX_ITEMS}: kept aside"),
            );
            return;
        }
        match parse_item(value, legacy) {
            Ok((id, name, saved_at, scenario)) => {
                let cut = truncate_chars(&name, MAX_NAME_CHARS);
                if cut.len() != name.len() {
                    self.out.needs_rewrite = true;
                }
                let id = match id {
                    Some(id) if !self.out.items.iter().any(|s| s.id == id) => id,
                    _ => {
                        self.out.needs_rewrite = true;
                        next_id(&self.out.items)
                    }
                };
                self.out.items.push(Saved {
                    id,
                    name: cut,
                    saved_at: saved_at.unwrap_or(self.now),
                    scenario,
                });
            }
            Err(e) => self.keep_aside(
                value.to_string(),
                format!("{label}: {e}"),
                format!("saved scenario {label} could not be loaded ({e}): kept aside"),
            ),
        }
    }
}

type ItemParts = (Option<u32>, String, Option<f64>, Scenario);

fn parse_item(value: &Value, legacy: bool) -> Result<ItemParts, String> {
    let o = value
        .as_object()
        .ok_or_else(|| format!("not an object but a JSON {}", kind(value)))?;
    let name = match o.get("name") {
        Some(Value::String(s)) => s.clone(),
        Some(v) => return Err(format!("name: not text but a JSON {}", kind(v))),
        None => return Err("name: missing".into()),
    };
    let (id, saved_at) = if legacy {
        (None, None)
    } else {
        let id = match o.get("id") {
            Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
                Some(id) => id,
                None => {
                    return Err(format!(
                        "id: must be a whole number from 0 to {} (got {})",
                        u32::MAX,
                        short_json(v)
                    ))
                }
            },
            None => return Err("id: missing".into()),
        };
        let saved_at = match o.get("saved_at") {
            Some(v) => v
                .as_f64()
                .ok_or_else(|| format!("saved_at: must be a time in ms (got {})", short_json(v)))?,
            None => return Err("saved_at: missing".into()),
        };
        (Some(id), Some(saved_at))
    };
    let scenario = o.get("scenario").ok_or("scenario: missing")?;
    let scenario = Scenario::from_json(&scenario.to_string()).map_err(|e| {
        let lines: Vec<String> = e.0.iter().map(|e| e.to_string()).collect();
        format!("invalid scenario: {}", lines.join("; "))
    })?;
    Ok((id, name, saved_at, scenario))
}

fn load_v1(o: Map<String, Value>, now: f64) -> Loaded {
    let mut b = Builder {
        now,
        ..Builder::default()
    };
    match o.get("items") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                b.item(i, item, false);
            }
        }
        Some(other) => b.keep_aside(
            other.to_string(),
            format!("“items” is not a list but a JSON {}", kind(other)),
            "saved scenarios could not be read (“items” is not a list): kept aside".into(),
        ),
    }
    match o.get("kept_aside") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for entry in list {
                match parse_kept(entry) {
                    Some(k) => b.out.kept_aside.push(k),
                    // Kept as its JSON text: nothing is dropped.
                    None => {
                        b.out.kept_aside.push(KeptAside {
                            raw: entry.to_string(),
                            reason: "an unreadable kept-aside entry".into(),
                            at: now,
                        });
                        b.out.needs_rewrite = true;
                    }
                }
            }
        }
        Some(other) => {
            b.out.kept_aside.push(KeptAside {
                raw: other.to_string(),
                reason: "an unreadable list of kept-aside entries".into(),
                at: now,
            });
            b.out.needs_rewrite = true;
        }
    }
    b.out
}

fn parse_kept(v: &Value) -> Option<KeptAside> {
    Some(KeptAside {
        raw: v.get("raw")?.as_str()?.to_string(),
        reason: v.get("reason")?.as_str()?.to_string(),
        at: v.get("at")?.as_f64()?,
    })
}

fn migrate_v0(list: Vec<Value>, now: f64) -> Loaded {
    let mut b = Builder {
        now,
        ..Builder::default()
    };
    for (i, item) in list.iter().enumerate() {
        b.item(i, item, true);
    }
    b.out.needs_rewrite = true;
    b.out
}

/// An id no item has.
fn next_id(items: &[Saved]) -> u32 {
    match items.iter().map(|s| s.id).max() {
        None => 1,
        Some(m) if m < u32::MAX => m + 1,
        // Only reachable with hand-written ids: take the smallest free one (there are at most
        // MAX_ITEMS items, so one is free).
        Some(_) => (0..=u32::MAX)
            .find(|id| !items.iter().any(|s| s.id == *id))
            .unwrap_or(0),
    }
}

fn finite(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

/// The stored text of `store` (version [`STORE_VERSION`]).
pub fn save(store: &Store) -> String {
    let items: Vec<Value> = store
        .items
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "name": s.name,
                "saved_at": finite(s.saved_at),
                "scenario": serde_json::to_value(&s.scenario).unwrap_or(Value::Null),
            })
        })
        .collect();
    let kept: Vec<Value> = store
        .kept_aside
        .iter()
        .map(|k| json!({ "raw": k.raw, "reason": k.reason, "at": finite(k.at) }))
        .collect();
    json!({ "version": STORE_VERSION, "items": items, "kept_aside": kept }).to_string()
}

impl Store {
    pub fn get(&self, id: u32) -> Option<&Saved> {
        self.items.iter().find(|s| s.id == id)
    }

    /// `base`, or `base (2)`, `base (3)`… if an item already has that name.
    pub fn unique_name(&self, base: &str) -> String {
        let base = clean_name(base);
        let taken = |n: &str| self.items.iter().any(|s| s.name == n);
        if !taken(&base) {
            return base;
        }
        (2..)
            .map(|i| {
                let suffix = format!(" ({i})");
                let room = MAX_NAME_CHARS.saturating_sub(suffix.chars().count());
                format!("{}{suffix}", truncate_chars(&base, room))
            })
            .find(|n| !taken(n))
            .unwrap_or(base)
    }

    /// Why `scenario` cannot be saved under `name`, if it cannot.
    pub fn check_add(&self, name: &str, scenario: &Scenario) -> Result<(), String> {
        if self.items.len() >= MAX_ITEMS {
            return Err(format!(
                "at most {MAX_ITEMS} scenarios can be saved: delete one first"
            ));
        }
        if clean_name(name).is_empty() {
            return Err("enter a name".into());
        }
        scenario.validate().map_err(|e| {
            let first = e.0.first().map(|e| e.to_string()).unwrap_or_default();
            format!("the scenario has errors; fix them before saving it ({first})")
        })
    }

    /// Saves `scenario` as a new item; returns its id.
    pub fn add(&mut self, name: &str, scenario: Scenario, now: f64) -> Result<u32, String> {
        self.check_add(name, &scenario)?;
        let id = next_id(&self.items);
        self.items.push(Saved {
            id,
            name: clean_name(name),
            saved_at: finite(now),
            scenario,
        });
        Ok(id)
    }

    pub fn rename(&mut self, id: u32, name: &str) -> Result<(), String> {
        let name = clean_name(name);
        if name.is_empty() {
            return Err("enter a name".into());
        }
        let item = self
            .items
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or("that saved scenario is gone (deleted in another tab?)")?;
        item.name = name;
        Ok(())
    }

    /// Removes an item; returns it.
    pub fn delete(&mut self, id: u32) -> Option<Saved> {
        let i = self.items.iter().position(|s| s.id == id)?;
        Some(self.items.remove(i))
    }

    /// Removes a kept-aside entry (the user downloaded it or does not want it).
    pub fn discard_kept_aside(&mut self, index: usize) -> Option<KeptAside> {
        (index < self.kept_aside.len()).then(|| self.kept_aside.remove(index))
    }
}

// ---------------------------------------------------------------------------------------------
// The web part: window.localStorage.

fn local_storage() -> Result<web_sys::Storage, String> {
    let window = web_sys::window().ok_or("no window")?;
    match window.local_storage() {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err("this browser has no local storage".into()),
        Err(e) => Err(format!(
            "local storage is not available here ({})",
            crate::downloads::js_error_text(&e)
        )),
    }
}

/// The stored text (`None`: nothing stored).
pub fn read() -> Result<Option<String>, String> {
    local_storage()?.get_item(KEY).map_err(|e| {
        format!(
            "could not read local storage ({})",
            crate::downloads::js_error_text(&e)
        )
    })
}

/// Stores `store` (e.g. fails when the quota is exceeded).
pub fn write(store: &Store) -> Result<(), String> {
    local_storage()?.set_item(KEY, &save(store)).map_err(|e| {
        format!(
            "could not write to local storage ({})",
            crate::downloads::js_error_text(&e)
        )
    })
}

/// Milliseconds since the epoch.
pub fn now() -> f64 {
    js_sys::Date::now()
}

/// The saved scenarios of this browser: in `localStorage` when it can be used, otherwise in
/// memory for as long as the page is open.
#[derive(Debug)]
pub struct Library {
    store: Store,
    /// Whether `localStorage` works.
    persistent: bool,
}

impl Library {
    /// Reads the stored scenarios; returns the problems found (also why nothing will be kept,
    /// if storage is not available). Rewrites the stored text when [`Loaded::needs_rewrite`].
    pub fn open() -> (Library, Vec<String>) {
        match read() {
            Ok(raw) => {
                let loaded = load_at(raw.as_deref(), now());
                let mut problems = loaded.problems.clone();
                let rewrite = loaded.needs_rewrite;
                let store = loaded.into_store();
                if rewrite {
                    if let Err(e) = write(&store) {
                        problems.push(e);
                    }
                }
                (
                    Library {
                        store,
                        persistent: true,
                    },
                    problems,
                )
            }
            Err(e) => (
                Library {
                    store: Store::default(),
                    persistent: false,
                },
                vec![format!(
                    "saved scenarios cannot be kept in this browser: {e}; what you save lasts until the page is closed"
                )],
            ),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn persistent(&self) -> bool {
        self.persistent
    }

    /// Applies `op` to the latest stored scenarios (another tab may have changed them) and
    /// stores the result. On failure nothing changes but what was re-read. Returns `op`'s
    /// value and the problems found on re-reading.
    pub fn update<T>(
        &mut self,
        op: impl FnOnce(&mut Store) -> Result<T, String>,
    ) -> Result<(T, Vec<String>), String> {
        let mut problems = Vec::new();
        if self.persistent {
            if let Ok(raw) = read() {
                let loaded = load_at(raw.as_deref(), now());
                problems = loaded.problems.clone();
                self.store = loaded.into_store();
            }
        }
        let mut next = self.store.clone();
        let value = op(&mut next)?;
        if self.persistent {
            write(&next)?;
        }
        self.store = next;
        Ok((value, problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loopsim_engine::presets;

    fn preset(name: &str) -> Scenario {
        presets::find(name).unwrap().scenario()
    }

    fn sample() -> Store {
        let mut s = Store::default();
        s.add("first", preset("ab-uvicorn"), 1_000.0).unwrap();
        s.add("second", preset("ab-waitress"), 2_000.0).unwrap();
        s.kept_aside.push(KeptAside {
            raw: "{broken".into(),
            reason: "not JSON".into(),
            at: 5.0,
        });
        s
    }

    #[test]
    fn nothing_stored_is_an_empty_store() {
        assert_eq!(load(None), Loaded::default());
        assert_eq!(load(Some("")), Loaded::default());
    }

    #[test]
    fn a_store_round_trips() {
        let s = sample();
        let l = load(Some(&save(&s)));
        assert_eq!(l.problems, Vec::<String>::new());
        assert!(!l.needs_rewrite);
        assert_eq!(l.store(), s);
        assert_eq!(s.items[0].id, 1);
        assert_eq!(s.items[1].id, 2);
    }

    #[test]
    fn text_that_is_not_json_is_kept_aside_whole() {
        let l = load_at(Some("{\"version\": 1, \"items\": ["), 42.0);
        assert!(l.items.is_empty());
        assert_eq!(
            l.problems,
            vec!["saved scenarios could not be read (not JSON): kept aside".to_string()]
        );
        assert_eq!(l.kept_aside.len(), 1);
        assert_eq!(l.kept_aside[0].raw, "{\"version\": 1, \"items\": [");
        assert!(l.kept_aside[0].reason.starts_with("not JSON: "));
        assert_eq!(l.kept_aside[0].at, 42.0);
        assert!(!l.needs_rewrite, "left as it is until the next change");
        // The next save keeps it.
        let again = load(Some(&save(&l.store())));
        assert_eq!(again.kept_aside, l.kept_aside);
        assert!(again.problems.is_empty());
    }

    #[test]
    fn a_newer_or_unversioned_store_is_kept_aside_whole() {
        let raw = r#"{"version": 7, "things": []}"#;
        let l = load(Some(raw));
        assert_eq!(
            l.kept_aside[0].reason,
            "saved by a newer loopsim (version 7)"
        );
        assert_eq!(l.kept_aside[0].raw, raw);
        assert_eq!(
            l.problems,
            vec![
                "saved scenarios could not be read (saved by a newer loopsim, version 7): kept aside"
                    .to_string()
            ]
        );
        let l = load(Some(r#"{"items": []}"#));
        assert_eq!(l.kept_aside[0].reason, "no version number");
        let l = load(Some(r#"{"version": "1"}"#));
        assert_eq!(l.kept_aside[0].reason, "unknown version \"1\"");
        let l = load(Some("42"));
        assert_eq!(
            l.kept_aside[0].reason,
            "not a list of saved scenarios (a JSON number)"
        );
    }

    #[test]
    fn an_invalid_item_is_kept_aside_with_the_engine_error() {
        let mut bad = serde_json::to_value(preset("ab-uvicorn")).unwrap();
        bad["server"]["workers"] = json!(0);
        let good = serde_json::to_value(preset("ab-waitress")).unwrap();
        let raw = json!({
            "version": 1,
            "items": [
                {"id": 1, "name": "broken", "saved_at": 1.0, "scenario": bad},
                {"id": 2, "name": "fine", "saved_at": 2.0, "scenario": good},
                {"id": 3, "name": 5, "saved_at": 2.0, "scenario": good},
                "nonsense",
            ],
        })
        .to_string();
        let l = load_at(Some(&raw), 9.0);
        assert_eq!(l.items.len(), 1);
        assert_eq!(l.items[0].name, "fine");
        assert_eq!(l.kept_aside.len(), 3);
        assert_eq!(
            l.kept_aside[0].reason,
            "“broken”: invalid scenario: server.workers: must be between 1 and 64 (got 0)"
        );
        assert_eq!(
            l.problems[0],
            "saved scenario “broken” could not be loaded (invalid scenario: server.workers: must be between 1 and 64 (got 0)): kept aside"
        );
        assert!(
            l.problems[1].contains("saved scenario item 3 ")
                && l.problems[1].contains("name: not text")
        );
        assert_eq!(l.kept_aside[2].raw, "\"nonsense\"");
        // The raw item is kept exactly as JSON, and nothing of it is lost.
        let kept: Value = serde_json::from_str(&l.kept_aside[0].raw).unwrap();
        assert_eq!(kept["server"], Value::Null);
        assert_eq!(kept["scenario"]["server"]["workers"], json!(0));
        assert!(l.needs_rewrite);
    }

    #[test]
    fn wrong_types_name_the_field() {
        let s = serde_json::to_value(preset("ab-uvicorn")).unwrap();
        let cases = [
            (
                json!({"name": "a", "saved_at": 1, "scenario": s}),
                "id: missing",
            ),
            (
                json!({"id": -1, "name": "a", "saved_at": 1, "scenario": s}),
                "id: must be a whole number",
            ),
            (
                json!({"id": 1, "name": "a", "saved_at": "x", "scenario": s}),
                "saved_at: must be a time in ms",
            ),
            (
                json!({"id": 1, "name": "a", "saved_at": 1}),
                "scenario: missing",
            ),
            (
                json!({"id": 1, "name": "a", "saved_at": 1, "scenario": {"version": 2}}),
                "invalid scenario: version: unsupported version 2",
            ),
        ];
        for (item, expected) in cases {
            let l = load(Some(&json!({"version": 1, "items": [item]}).to_string()));
            assert!(
                l.kept_aside[0].reason.contains(expected),
                "{} lacks {expected}",
                l.kept_aside[0].reason
            );
        }
    }

    #[test]
    fn version_0_is_migrated() {
        let raw = json!([
            {"name": "old one", "scenario": preset("ab-uvicorn")},
            {"name": "old two", "scenario": preset("ab-flask-dev")},
            {"name": "old bad", "scenario": {"version": 1}},
        ])
        .to_string();
        let l = load_at(Some(&raw), 77.0);
        assert!(l.needs_rewrite);
        let names: Vec<(u32, &str, f64)> = l
            .items
            .iter()
            .map(|s| (s.id, s.name.as_str(), s.saved_at))
            .collect();
        assert_eq!(names, vec![(1, "old one", 77.0), (2, "old two", 77.0)]);
        assert_eq!(l.kept_aside.len(), 1);
        assert_eq!(
            l.kept_aside[0].reason, "“old bad”: invalid scenario: missing field `server`",
            "the engine names what is missing"
        );
        let again = load(Some(&save(&l.store())));
        assert_eq!(again.store(), l.store());
        assert!(!again.needs_rewrite);
    }

    #[test]
    fn long_names_are_cut_duplicate_ids_renumbered_and_items_bounded() {
        let s = serde_json::to_value(preset("ab-uvicorn")).unwrap();
        let long = "é".repeat(300);
        let mut items = vec![
            json!({"id": 5, "name": long, "saved_at": 1, "scenario": s}),
            json!({"id": 5, "name": "twin", "saved_at": 1, "scenario": s}),
        ];
        for i in 0..MAX_ITEMS {
            items.push(
                json!({"id": 100 + i, "name": format!("n{i}"), "saved_at": 1, "scenario": s}),
            );
        }
        let l = load(Some(&json!({"version": 1, "items": items}).to_string()));
        assert!(l.needs_rewrite);
        assert_eq!(l.items.len(), MAX_ITEMS);
        assert_eq!(l.items[0].name.chars().count(), MAX_NAME_CHARS);
        assert_eq!(l.items[1].id, 6, "a duplicate id gets a free one");
        assert_eq!(l.kept_aside.len(), 2);
        assert_eq!(l.kept_aside[0].reason, "more than 200 saved scenarios");
        assert!(l.problems[0].contains("over the limit of 200"));
    }

    #[test]
    fn unreadable_kept_aside_entries_are_kept_too() {
        let raw = json!({"version": 1, "items": [], "kept_aside": [
            {"raw": "x", "reason": "r", "at": 1},
            {"raw": 5},
        ]})
        .to_string();
        let l = load_at(Some(&raw), 3.0);
        assert_eq!(l.kept_aside.len(), 2);
        assert_eq!(l.kept_aside[1].raw, r#"{"raw":5}"#);
        assert!(l.needs_rewrite);
        let l = load(Some(r#"{"version": 1, "kept_aside": "text"}"#));
        assert_eq!(l.kept_aside[0].raw, r#""text""#);
    }

    #[test]
    fn edits() {
        let mut s = sample();
        assert_eq!(s.unique_name("first"), "first (2)");
        assert_eq!(s.unique_name("  new "), "new");
        assert_eq!(
            s.add("  ", preset("ab-uvicorn"), 0.0),
            Err("enter a name".into())
        );
        let mut invalid = preset("ab-uvicorn");
        invalid.server.workers = Some(0);
        assert!(s
            .add("x", invalid, 0.0)
            .unwrap_err()
            .contains("server.workers: must be between 1 and 64"));
        let id = s.add("third", preset("ab-uvicorn"), 3.0).unwrap();
        assert_eq!(id, 3);
        s.rename(id, "  renamed ").unwrap();
        assert_eq!(s.get(id).unwrap().name, "renamed");
        assert!(s.rename(id, "").is_err());
        assert!(s.rename(99, "x").is_err());
        assert_eq!(s.delete(1).unwrap().name, "first");
        assert!(s.delete(1).is_none());
        assert_eq!(s.add("fourth", preset("ab-uvicorn"), 4.0), Ok(4));
        assert_eq!(s.discard_kept_aside(0).unwrap().raw, "{broken");
        assert!(s.discard_kept_aside(0).is_none());
        while s.items.len() < MAX_ITEMS {
            s.add("more", preset("ab-uvicorn"), 0.0).unwrap();
        }
        assert!(s
            .add("one too many", preset("ab-uvicorn"), 0.0)
            .unwrap_err()
            .contains("at most 200"));
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use loopsim_engine::presets::PRESETS;
    use proptest::prelude::*;

    /// Any store built through the edits.
    fn any_store() -> impl Strategy<Value = Store> {
        let item = (0..PRESETS.len(), "\\PC{0,250}", 0u64..(1 << 50));
        let kept = ("\\PC{0,80}", "\\PC{0,40}", 0u64..(1 << 50));
        (
            prop::collection::vec(item, 0..6),
            prop::collection::vec(kept, 0..3),
        )
            .prop_map(|(items, kept)| {
                let mut s = Store::default();
                for (p, name, at) in items {
                    let name = if name.trim().is_empty() {
                        "x".into()
                    } else {
                        name
                    };
                    s.add(&name, PRESETS[p].scenario(), at as f64).unwrap();
                }
                for (raw, reason, at) in kept {
                    s.kept_aside.push(KeptAside {
                        raw,
                        reason,
                        at: at as f64,
                    });
                }
                s
            })
    }

    /// Replacement values for mutations (numbers that JSON carries exactly).
    fn any_leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-5i64..100_000).prop_map(|n| json!(n)),
            prop::sample::select(vec![0.5, -1.25, 1e300, 3.0e9]).prop_map(|f| json!(f)),
            "\\PC{0,12}".prop_map(Value::String),
            Just(json!([])),
            Just(json!({})),
        ]
    }

    /// Every (container, key-or-index) spot in a JSON value, as a path.
    fn paths(v: &Value, here: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
        match v {
            Value::Object(o) => {
                for (k, c) in o {
                    here.push(json!(k));
                    out.push(here.clone());
                    paths(c, here, out);
                    here.pop();
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    here.push(json!(i));
                    out.push(here.clone());
                    paths(c, here, out);
                    here.pop();
                }
            }
            _ => {}
        }
    }

    /// Replaces (or, with `None`, removes) the value at `path`.
    fn mutate(v: &mut Value, path: &[Value], with: Option<Value>) {
        let (last, init) = path.split_last().unwrap();
        let mut cur = v;
        for step in init {
            cur = match step {
                Value::String(k) => &mut cur[k.as_str()],
                Value::Number(n) => &mut cur[n.as_u64().unwrap() as usize],
                _ => unreachable!(),
            };
        }
        match (cur, last, with) {
            (Value::Object(o), Value::String(k), Some(w)) => {
                o.insert(k.clone(), w);
            }
            (Value::Object(o), Value::String(k), None) => {
                o.remove(k);
            }
            (Value::Array(a), Value::Number(n), Some(w)) => a[n.as_u64().unwrap() as usize] = w,
            (Value::Array(a), Value::Number(n), None) => {
                a.remove(n.as_u64().unwrap() as usize);
            }
            _ => {}
        }
    }

    /// What `load` makes of a text is stable: saving and loading it again changes nothing and
    /// reports nothing.
    fn settles(raw: &str) {
        let first = load_at(Some(raw), 1.0).into_store();
        let again = load_at(Some(&save(&first)), 2.0);
        assert_eq!(again.problems, Vec::<String>::new());
        assert!(!again.needs_rewrite);
        assert_eq!(again.into_store(), first);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn round_trips(store in any_store()) {
            let l = load(Some(&save(&store)));
            prop_assert!(l.problems.is_empty());
            prop_assert!(!l.needs_rewrite);
            prop_assert_eq!(l.store(), store);
        }

        #[test]
        fn any_text_loads_and_settles(raw in "\\PC{0,200}") {
            settles(&raw);
        }

        #[test]
        fn json_like_text_loads_and_settles(raw in r#"[\[\]{}",:0-9a-z \\]{0,80}"#) {
            settles(&raw);
        }

        #[test]
        fn mutated_stores_load_and_settle(
            store in any_store(),
            picks in prop::collection::vec((any::<prop::sample::Index>(), prop::option::of(any_leaf())), 1..4),
            cut in prop::option::of(any::<prop::sample::Index>()),
        ) {
            let mut v: Value = serde_json::from_str(&save(&store)).unwrap();
            for (at, with) in picks {
                let mut all = Vec::new();
                paths(&v, &mut Vec::new(), &mut all);
                if all.is_empty() {
                    break;
                }
                let path = all[at.index(all.len())].clone();
                mutate(&mut v, &path, with);
            }
            let mut raw = v.to_string();
            // Nothing is dropped: every item ends up loaded or kept aside.
            let len = |k: &str| v.get(k).and_then(Value::as_array).map_or(0, Vec::len);
            if v.get("version") == Some(&json!(1)) {
                let l = load(Some(&raw));
                prop_assert_eq!(
                    l.items.len() + l.kept_aside.len(),
                    len("items").max(usize::from(v.get("items").is_some_and(|i| !i.is_array() && !i.is_null())))
                        + len("kept_aside").max(usize::from(v.get("kept_aside").is_some_and(|i| !i.is_array() && !i.is_null())))
                );
            }
            if let Some(c) = cut {
                let mut i = c.index(raw.len() + 1);
                while !raw.is_char_boundary(i) {
                    i -= 1;
                }
                raw.truncate(i);
            }
            settles(&raw);
        }
    }
}
