//! `loopsim`: run loopsim scenarios natively and print ab-style reports, JSON or CSV.

use std::process::ExitCode;

use loopsim_engine::{export, presets, report, Scenario};

const USAGE: &str = "\
loopsim — simulate how Python web servers handle concurrent requests

USAGE:
    loopsim presets                         list the presets
    loopsim run <scenario.json> [OPTIONS]   run a scenario file
    loopsim run --preset <NAME> [OPTIONS]   run a preset
    loopsim scenario <NAME>                 print a preset as a scenario file
    loopsim validate <scenario.json>        check a scenario file

OPTIONS:
    --format report|json|csv   output (default: report, ApacheBench style)
    --seed <N>                 override the scenario's seed
";

#[derive(Debug, PartialEq)]
enum Format {
    Report,
    Json,
    Csv,
}

#[derive(Debug, PartialEq)]
enum Command {
    Presets,
    Run {
        source: Source,
        format: Format,
        seed: Option<u64>,
    },
    Scenario(String),
    Validate(String),
    Help,
}

#[derive(Debug, PartialEq)]
enum Source {
    File(String),
    Preset(String),
}

fn parse_args(args: &[String]) -> Result<Command, String> {
    let mut it = args.iter();
    let Some(cmd) = it.next() else {
        return Ok(Command::Help);
    };
    match cmd.as_str() {
        "-h" | "--help" | "help" => Ok(Command::Help),
        "presets" => Ok(Command::Presets),
        "scenario" => it
            .next()
            .map(|n| Command::Scenario(n.clone()))
            .ok_or_else(|| "scenario: give a preset name".to_string()),
        "validate" => it
            .next()
            .map(|n| Command::Validate(n.clone()))
            .ok_or_else(|| "validate: give a scenario file".to_string()),
        "run" => {
            let (mut source, mut format, mut seed) = (None, Format::Report, None);
            while let Some(a) = it.next() {
                let mut value = |what: &str| {
                    it.next()
                        .cloned()
                        .ok_or_else(|| format!("{a} needs {what}"))
                };
                match a.as_str() {
                    "--preset" => source = Some(Source::Preset(value("a preset name")?)),
                    "--format" => {
                        format = match value("report, json or csv")?.as_str() {
                            "report" => Format::Report,
                            "json" => Format::Json,
                            "csv" => Format::Csv,
                            f => {
                                return Err(format!(
                                    "--format: unknown format `{f}` (report, json or csv)"
                                ))
                            }
                        }
                    }
                    "--seed" => {
                        let v = value("a number")?;
                        seed = Some(v.parse().map_err(|_| {
                            format!("--seed: `{v}` is not a number from 0 to {}", u64::MAX)
                        })?);
                    }
                    s if s.starts_with("--") => return Err(format!("unknown option `{s}`")),
                    file => {
                        if source.is_some() {
                            return Err("give one scenario: a file or --preset NAME".to_string());
                        }
                        source = Some(Source::File(file.to_string()));
                    }
                }
            }
            let source = source.ok_or("run: give a scenario file or --preset NAME")?;
            Ok(Command::Run {
                source,
                format,
                seed,
            })
        }
        other => Err(format!("unknown command `{other}`")),
    }
}

fn preset(name: &str) -> Result<Scenario, String> {
    presets::find(name).map(|p| p.scenario()).ok_or_else(|| {
        format!(
            "no preset named `{name}`; `loopsim presets` lists them: {}",
            presets::names().collect::<Vec<_>>().join(", ")
        )
    })
}

fn load_file(path: &str) -> Result<Scenario, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    Scenario::from_json(&text).map_err(|e| {
        e.0.iter()
            .map(|x| format!("{path}: {x}"))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn main_result(args: &[String]) -> Result<String, (String, u8)> {
    let usage_err = |e: String| (format!("error: {e}\n\n{USAGE}"), 2);
    match parse_args(args).map_err(usage_err)? {
        Command::Help => Ok(USAGE.to_string()),
        Command::Presets => {
            let width = presets::names().map(str::len).max().unwrap_or(0);
            Ok(presets::PRESETS
                .iter()
                .map(|p| format!("{:width$}  {}\n", p.name, p.summary))
                .collect())
        }
        Command::Scenario(name) => Ok(preset(&name).map_err(|e| (e, 1))?.to_json() + "\n"),
        Command::Validate(path) => {
            load_file(&path).map_err(|e| (e, 1))?;
            Ok(format!("{path}: valid\n"))
        }
        Command::Run {
            source,
            format,
            seed,
        } => {
            let mut scenario = match source {
                Source::Preset(name) => preset(&name),
                Source::File(path) => load_file(&path),
            }
            .map_err(|e| (e, 1))?;
            if let Some(seed) = seed {
                scenario.seed = seed;
            }
            let result = loopsim_engine::run(&scenario).map_err(|e| (e.to_string(), 1))?;
            Ok(match format {
                Format::Report => report::ab_report(&result),
                Format::Json => {
                    serde_json::to_string_pretty(&export::result_json(&result)).expect("JSON")
                        + "\n"
                }
                Format::Csv => export::requests_csv(&result),
            })
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match main_result(&args) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err((msg, code)) => {
            eprintln!("{msg}");
            ExitCode::from(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_run_options() {
        assert_eq!(
            parse_args(&args("run --preset ab-uvicorn --format csv --seed 7")),
            Ok(Command::Run {
                source: Source::Preset("ab-uvicorn".into()),
                format: Format::Csv,
                seed: Some(7)
            })
        );
        assert!(parse_args(&args("run --format xml --preset a"))
            .unwrap_err()
            .contains("unknown format"));
        assert!(parse_args(&args("run --seed -1 --preset a"))
            .unwrap_err()
            .contains("--seed"));
        assert!(parse_args(&args("run")).unwrap_err().contains("--preset"));
        assert!(parse_args(&args("frobnicate"))
            .unwrap_err()
            .contains("unknown command"));
    }
}
