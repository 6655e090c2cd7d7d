//! Share links: the whole scenario (and the open view) in the URL fragment, compact and
//! versioned, and decoded as untrusted input: every rejection says what is wrong and where.
//!
//! Format (after `#`, `&`-separated):
//! - `p=<preset>`: an unedited preset, by name;
//! - `s=1.<base64url(deflate(scenario JSON))>`: any scenario (`1.` is the link format version);
//! - `v=<view>`: the results tab (`report`, `latency`, `timeline`, …);
//! - `embed`: the compact layout for iframes.

use loopsim_engine::{presets, Scenario};
use miniz_oxide::deflate::compress_to_vec;
use miniz_oxide::inflate::decompress_to_vec_with_limit;

use crate::state::Tab;

/// The link format version written in `s=`.
pub const LINK_VERSION: &str = "1";
/// Longest fragment read (characters).
pub const MAX_FRAGMENT: usize = 65_536;

#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub scenario: Option<Scenario>,
    pub tab: Option<Tab>,
    pub embed: bool,
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding.
pub fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..chunk.len() + 1 {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

pub fn unbase64url(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for (i, c) in text.bytes().enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => {
                let shown = text[i..].chars().next().unwrap_or('?').escape_default();
                return Err(format!(
                    "character {i} ('{shown}') is not base64url (A–Z, a–z, 0–9, '-', '_')"
                ));
            }
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if bits >= 6 {
        return Err("the data is truncated (a dangling character at the end)".into());
    }
    Ok(out)
}

/// The fragment (without `#`) for a scenario, a view and the embed flag.
pub fn encode(scenario: &Scenario, tab: Option<Tab>, embed: bool) -> String {
    let mut parts = Vec::new();
    match scenario.name.as_deref().and_then(presets::find) {
        Some(p) if p.scenario() == *scenario => parts.push(format!("p={}", p.name)),
        _ => {
            let json = serde_json::to_string(scenario).expect("a scenario always serialises");
            let packed = compress_to_vec(json.as_bytes(), 9);
            parts.push(format!("s={LINK_VERSION}.{}", base64url(&packed)));
        }
    }
    if let Some(t) = tab {
        parts.push(format!("v={}", t.id()));
    }
    if embed {
        parts.push("embed".into());
    }
    parts.join("&")
}

/// `%41` → `A`: browsers may percent-encode a pasted fragment.
fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or("a '%' escape is cut short")?;
            out.push(
                u8::from_str_radix(hex, 16)
                    .map_err(|_| format!("'%{hex}' is not a valid escape"))?,
            );
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the link is not valid UTF-8 text".to_string())
}

/// Reads a fragment (with or without its `#`). `Ok` with no scenario when the link names none.
pub fn decode(fragment: &str) -> Result<Link, String> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    if fragment.len() > MAX_FRAGMENT {
        return Err(format!(
            "link: {} characters; at most {MAX_FRAGMENT} are read",
            fragment.len()
        ));
    }
    let mut link = Link {
        scenario: None,
        tab: None,
        embed: false,
    };
    for part in fragment.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        let value = percent_decode(value).map_err(|e| format!("link `{key}`: {e}"))?;
        match key {
            "p" => {
                let p = presets::find(&value).ok_or_else(|| {
                    format!(
                        "link `p`: no preset named “{}”",
                        value.chars().take(60).collect::<String>()
                    )
                })?;
                link.scenario = Some(p.scenario());
            }
            "s" => link.scenario = Some(decode_scenario(&value)?),
            "v" => {
                link.tab = Some(Tab::ALL.into_iter().find(|t| t.id() == value).ok_or_else(
                    || {
                        let views: Vec<&str> = Tab::ALL.iter().map(|t| t.id()).collect();
                        format!("link `v`: unknown view; one of {}", views.join(", "))
                    },
                )?)
            }
            "embed" => link.embed = true,
            _ => {
                let shown: String = key.chars().take(20).collect();
                return Err(format!("link: unknown part “{shown}” (p, s, v or embed)"));
            }
        }
    }
    Ok(link)
}

fn decode_scenario(value: &str) -> Result<Scenario, String> {
    let (version, data) = value
        .split_once('.')
        .ok_or("link `s`: no version (expected `1.` then the data)")?;
    if version != LINK_VERSION {
        let shown: String = version.chars().take(10).collect();
        return Err(format!(
            "link `s`: version “{shown}” is not one this loopsim reads (version {LINK_VERSION})"
        ));
    }
    let packed = unbase64url(data).map_err(|e| format!("link `s`: {e}"))?;
    let json = decompress_to_vec_with_limit(&packed, loopsim_engine::scenario::MAX_SCENARIO_BYTES)
        .map_err(|_| {
            "link `s`: the data is damaged or truncated (it does not inflate)".to_string()
        })?;
    let text = String::from_utf8(json)
        .map_err(|_| "link `s`: the scenario is not UTF-8 text".to_string())?;
    Scenario::from_json(&text).map_err(|e| {
        let first: Vec<String> = e.0.iter().take(3).map(|x| x.to_string()).collect();
        let more = e.0.len().saturating_sub(3);
        let tail = if more > 0 {
            format!(" (and {more} more)")
        } else {
            String::new()
        };
        format!("link scenario: {}{tail}", first.join("; "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use loopsim_engine::presets::PRESETS;

    #[test]
    fn presets_travel_by_name_and_edits_in_full() {
        let s = PRESETS[0].scenario();
        assert_eq!(encode(&s, None, false), format!("p={}", PRESETS[0].name));
        let mut edited = s.clone();
        edited.seed = 42;
        let f = encode(&edited, Some(Tab::Timeline), true);
        assert!(
            f.starts_with("s=1.") && f.ends_with("&v=timeline&embed"),
            "{f}"
        );
        assert!(f.len() < 400, "compact: {} characters", f.len());
        let back = decode(&format!("#{f}")).unwrap();
        assert_eq!(
            back,
            Link {
                scenario: Some(edited),
                tab: Some(Tab::Timeline),
                embed: true
            }
        );
    }

    #[test]
    fn base64url_round_trips() {
        for n in 0..40u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(unbase64url(&base64url(&bytes)).unwrap(), bytes);
        }
        assert!(
            unbase64url("A").is_err(),
            "a single character cannot be a byte"
        );
    }

    #[test]
    fn hostile_links_are_refused_with_a_reason() {
        let cases = [
            ("s=1.<script>alert(1)</script>", "is not base64url"),
            ("s=2.AAAA", "version “2”"),
            ("s=nodot", "no version"),
            ("s=1.AAAAAAAA", "damaged or truncated"),
            ("p=%3Cscript%3E", "no preset named “<script>”"),
            ("v=everything", "unknown view"),
            ("zzz=1", "unknown part"),
            ("s=1.%E0%A4", "not valid UTF-8"),
            ("s=1.%Z1", "not a valid escape"),
        ];
        for (link, want) in cases {
            let e = decode(link).unwrap_err();
            assert!(e.contains(want), "{link}: {e}");
        }
        let long = "a".repeat(MAX_FRAGMENT + 1);
        assert!(decode(&long).unwrap_err().contains("at most 65536"));
    }

    #[test]
    fn truncated_and_out_of_range_scenarios_name_the_problem() {
        let mut s = PRESETS[8].scenario();
        s.name = None;
        let f = encode(&s, None, false);
        // Cut the data: never a panic, always a reason.
        for cut in [5, f.len() / 2, f.len() - 3] {
            assert!(decode(&f[..cut]).is_err(), "cut at {cut}");
        }
        // A huge number, properly encoded, reaches validation, which names the field.
        let json = serde_json::to_string(&s)
            .unwrap()
            .replace("\"requests\":5000", "\"requests\":1e300");
        let f = format!("s=1.{}", base64url(&compress_to_vec(json.as_bytes(), 6)));
        let e = decode(&f).unwrap_err();
        assert!(
            e.starts_with(
                "link scenario: load.requests: must be a whole number between 1 and 10000000"
            ),
            "{e}"
        );
    }
}

/// Untrusted links, at volume: never a panic, and every valid scenario survives the trip.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod fuzz {
    use super::*;
    use crate::editor::{apply, Edit, LoadEdit, StepEdit, Steps};
    use loopsim_engine::dist::Dist;
    use loopsim_engine::presets::PRESETS;
    use loopsim_engine::scenario::{Offload, Route, StepKind};
    use proptest::prelude::*;

    fn edited(preset: usize, knobs: &[u32]) -> Scenario {
        let mut s = PRESETS[preset % PRESETS.len()].scenario();
        for (i, k) in knobs.iter().enumerate() {
            let e = match (i + *k as usize) % 9 {
                0 => Edit::Seed(*k as u64),
                1 => Edit::Workers(Some(1 + k % 8)),
                2 => Edit::Cores(Some(1 + k % 16)),
                3 => Edit::AddStep(Steps::Main),
                4 => Edit::Step(
                    Steps::Main,
                    0,
                    StepEdit::Duration(Dist::Uniform {
                        min_ms: 1.0,
                        max_ms: 1.0 + (*k % 1000) as f64,
                    }),
                ),
                5 => Edit::Step(
                    Steps::Main,
                    0,
                    StepEdit::Kind([StepKind::Cpu, StepKind::BlockingIo][*k as usize % 2]),
                ),
                6 => Edit::Step(
                    Steps::Main,
                    0,
                    StepEdit::Label(format!("step \"{k}\" <b>&")),
                ),
                7 => Edit::Load(LoadEdit::Timeout(Some(1.0 + (*k % 60_000) as f64))),
                _ => Edit::Route([Route::AsyncDef, Route::Def][*k as usize % 2]),
            };
            apply(&mut s, e);
            let _ = Offload::None;
        }
        s.name = None;
        s
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(60_000))]
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,300}") {
            let _ = decode(&text);
            let _ = decode(&format!("s=1.{text}"));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40_000))]
        #[test]
        fn damaged_links_never_panic(
            preset in 0usize..64,
            knobs in prop::collection::vec(any::<u32>(), 0..6),
            cut in any::<u16>(),
            flips in prop::collection::vec((any::<u16>(), any::<u8>()), 0..4),
        ) {
            let link = encode(&edited(preset, &knobs), None, false);
            let mut bytes = link.into_bytes();
            for (at, b) in flips {
                if !bytes.is_empty() {
                    let i = at as usize % bytes.len();
                    bytes[i] = b"ABab09-_.=&%<"[b as usize % 13];
                }
            }
            bytes.truncate(cut as usize % (bytes.len() + 1));
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if let Ok(link) = decode(&text) {
                // Whatever is accepted is a valid scenario.
                if let Some(s) = link.scenario {
                    prop_assert!(s.validate().is_ok());
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]
        #[test]
        fn encode_then_decode_is_identity(
            preset in 0usize..64,
            knobs in prop::collection::vec(any::<u32>(), 0..8),
            tab in 0usize..8,
            embed in any::<bool>(),
        ) {
            let s = edited(preset, &knobs);
            prop_assume!(s.validate().is_ok());
            let t = Tab::ALL[tab];
            let back = decode(&encode(&s, Some(t), embed)).unwrap();
            prop_assert_eq!(back, Link { scenario: Some(s), tab: Some(t), embed });
        }
    }
}
