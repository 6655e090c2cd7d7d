//! docs/scenario.md shows every preset as a scenario file: each example must parse, validate
//! and be exactly the preset, so the documentation cannot drift from the code.

use loopsim_engine::{presets, Scenario};

fn examples() -> Vec<(String, String)> {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/scenario.md"
    ))
    .expect("docs/scenario.md exists");
    let mut out = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        if let Some(name) = line.strip_prefix("### `").and_then(|l| l.strip_suffix('`')) {
            let json: Vec<&str> = lines
                .by_ref()
                .skip_while(|l| *l != "```json")
                .skip(1)
                .take_while(|l| *l != "```")
                .collect();
            out.push((name.to_string(), json.join("\n")));
        }
    }
    out
}

#[test]
fn every_preset_is_documented_exactly() {
    let ex = examples();
    let documented: Vec<&str> = ex.iter().map(|(n, _)| n.as_str()).collect();
    let all: Vec<&str> = presets::names().collect();
    assert_eq!(
        documented, all,
        "docs/scenario.md lists the presets in order"
    );
    for (name, json) in &ex {
        let parsed = Scenario::from_json(json).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(parsed, presets::find(name).unwrap().scenario(), "{name}");
    }
}
