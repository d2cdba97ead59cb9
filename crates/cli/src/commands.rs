//! What each subcommand does, and how failures become messages and exit
//! codes.

use crate::{CapturePoint, Cli, Command, Format, Global, LangArg, ThemeArg};
use netstep_scenario::{Scenario, ScenarioError, SetOverride};
use netstep_trace::{Annotation, Lang, Trace, Walkthrough, annotate};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The bundled scenario `netstep` and `netstep play` open.
pub const DEFAULT_SCENARIO: &str = "active-ftp";

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    #[error("error: {0}")]
    Usage(String),
    #[error("error: {path}: {err}\nhint: {hint}")]
    Io {
        path: PathBuf,
        err: std::io::Error,
        hint: &'static str,
    },
    #[error("error: {0}")]
    Other(String),
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Scenario(_) | CliError::Usage(_) => ExitCode::from(1),
            CliError::Io { .. } | CliError::Other(_) => ExitCode::from(2),
        }
    }
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::En => Lang::En,
            LangArg::Zh => Lang::Zh,
        }
    }
}

/// A scenario run and annotated: what every command works from.
pub struct Run {
    pub scenario: Scenario,
    pub trace: Trace,
    pub walkthrough: Walkthrough,
    pub annotation: Annotation,
}

/// Loads `arg` (a path or a bundled name) with the global overrides applied.
pub fn load(arg: &str, global: &Global) -> Result<Scenario, CliError> {
    let mut sets = Vec::new();
    for s in &global.sets {
        sets.push(SetOverride::parse(s)?);
    }
    if let Some(seed) = global.seed {
        sets.push(SetOverride::seed(seed));
    }
    let (origin, text) = netstep_scenario::resolve(arg)?;
    Ok(netstep_scenario::parse(&text, &origin, &sets)?)
}

/// Runs and annotates a loaded scenario.
pub fn run_scenario(scenario: Scenario) -> Run {
    let trace = netstep_sim::run_scenario(&scenario);
    let walkthrough = scenario.walkthrough();
    let annotation = annotate(&trace, &walkthrough);
    Run {
        scenario,
        trace,
        walkthrough,
        annotation,
    }
}

pub fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let g = cli.global;
    let lang: Lang = g.lang.into();
    match cli.command {
        None => play(Some(DEFAULT_SCENARIO.to_string()), None, ThemeArg::Dark, &g),
        Some(Command::Play {
            scenario,
            trace,
            theme,
        }) => play(scenario, trace, theme, &g),
        Some(Command::Trace {
            scenario,
            color,
            absolute,
            transcript,
        }) => {
            let r = run_scenario(load(&scenario, &g)?);
            if transcript {
                write_stdout(crate::text::transcript(&r.trace).as_bytes())?;
                return Ok(ExitCode::SUCCESS);
            }
            let color = color.unwrap_or_else(|| std::io::stdout().is_terminal());
            let text = crate::text::ladder(&r.trace, &r.annotation, lang, color, absolute);
            write_stdout(text.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Export {
            scenario,
            format,
            output,
            at,
        }) => {
            let r = run_scenario(load(&scenario, &g)?);
            export(&r, format, output.as_deref(), at, lang)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Check { scenarios }) => check(&scenarios, &g, lang),
        Some(Command::List) => {
            let mut out = String::new();
            for b in netstep_scenario::BUNDLED {
                let title = netstep_scenario::parse(b.text, b.file_name, &[])
                    .map(|s| s.file.scenario.title.get(lang).to_string())
                    .unwrap_or_else(|e| format!("(invalid: {e})"));
                out.push_str(&format!("{:<24} {title}\n", b.name));
            }
            write_stdout(out.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::New { name }) => {
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid {
                return Err(CliError::Usage(format!(
                    "`{name}` is not a scenario name\nhint: use lower-case letters, digits and dashes, e.g. `my-first-scenario`"
                )));
            }
            write_stdout(netstep_scenario::starter(&name).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Schema) => {
            let mut s = netstep_scenario::json_schema();
            if !s.ends_with('\n') {
                s.push('\n');
            }
            write_stdout(s.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn play(
    scenario: Option<String>,
    trace: Option<PathBuf>,
    theme: ThemeArg,
    g: &Global,
) -> Result<ExitCode, CliError> {
    let (trace, annotation, source) = match trace {
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|err| CliError::Io {
                path: path.clone(),
                err,
                hint: "give the path of a file written by `netstep export SCENARIO --format json`",
            })?;
            let (trace, walkthrough) = netstep_trace::json::read_trace(&text).map_err(|e| {
                // serde_json knows the place of syntax errors, not of a
                // missing or mistyped field in an otherwise valid document.
                let place = if e.line() > 0 {
                    format!("{}:{}:{}", path.display(), e.line(), e.column())
                } else {
                    path.display().to_string()
                };
                CliError::Usage(format!(
                    "{place}: not a netstep run: {e}\nhint: write one with `netstep export SCENARIO --format json -o FILE.json`"
                ))
            })?;
            let annotation = annotate(&trace, &walkthrough);
            (trace, annotation, walkthrough.source)
        }
        None => {
            let name = scenario.unwrap_or_else(|| DEFAULT_SCENARIO.to_string());
            let r = run_scenario(load(&name, g)?);
            (r.trace, r.annotation, r.walkthrough.source)
        }
    };
    let opts = netstep_tui::PlayOptions {
        lang: g.lang.into(),
        theme: match theme {
            ThemeArg::Dark => netstep_tui::ThemeName::Dark,
            ThemeArg::Light => netstep_tui::ThemeName::Light,
        },
        source,
        ..netstep_tui::PlayOptions::default()
    };
    netstep_tui::run(trace, annotation, opts)
        .map_err(|e| CliError::Other(format!("the player failed: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

fn check(args: &[String], g: &Global, lang: Lang) -> Result<ExitCode, CliError> {
    let mut invalid = false;
    let mut missing = false;
    let mut out = String::new();
    for arg in args {
        match load(arg, g) {
            Err(CliError::Scenario(e)) => {
                invalid = true;
                eprintln!("{e}");
            }
            Err(e) => return Err(e),
            Ok(s) => {
                let r = run_scenario(s);
                let total = r.annotation.stages.len();
                let occurred = r.annotation.occurred().count();
                let ok = r.annotation.complete();
                missing |= !ok;
                out.push_str(&format!(
                    "{}: {} segments, {occurred}/{total} stages occurred{}{}\n",
                    r.scenario.origin,
                    r.trace.segments.len(),
                    if r.annotation.out_of_order.is_empty() {
                        ""
                    } else {
                        " (some out of order)"
                    },
                    if ok { ": ok" } else { "" },
                ));
                for st in r.annotation.missing() {
                    if let Some(w) = &st.why_not {
                        out.push_str(&format!("  {}\n", w.get(lang)));
                    }
                }
            }
        }
    }
    write_stdout(out.as_bytes())?;
    Ok(if invalid {
        ExitCode::from(1)
    } else if missing {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

fn export(
    r: &Run,
    format: Format,
    output: Option<&Path>,
    at: CapturePoint,
    lang: Lang,
) -> Result<(), CliError> {
    use netstep_export::{CapturePoint as At, Format as F};
    let at = match at {
        CapturePoint::Client => At::Client,
        CapturePoint::Server => At::Server,
        CapturePoint::Wire => At::Wire,
    };
    let format = match format {
        Format::Json => {
            let text =
                netstep_trace::json::to_string(&r.trace, &r.walkthrough, &r.annotation, lang);
            return match output {
                None => write_stdout(text.as_bytes()),
                Some(path) => write_file_atomically(path, text.as_bytes()),
            };
        }
        Format::Pcapng => F::Pcapng,
        Format::Markdown => F::Markdown,
        Format::Mermaid => F::Mermaid,
        Format::Svg => F::Svg,
    };
    if format.is_binary() && output.is_none() && std::io::stdout().is_terminal() {
        return Err(CliError::Usage(
            "a pcapng capture is binary and would garble the terminal\nhint: write it to a file with -o run.pcapng, or redirect standard output"
                .into(),
        ));
    }
    let bytes = netstep_export::render(format, &r.trace, &r.annotation, at, lang)
        .map_err(|e| CliError::Other(format!("the export failed: {e}")))?;
    match output {
        None => write_stdout(&bytes),
        Some(path) => write_file_atomically(path, &bytes),
    }
}

fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        // A closed pipe (`netstep trace | head`) is the reader's choice.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(err) => Err(CliError::Io {
            path: "<stdout>".into(),
            err,
            hint: "check where standard output goes",
        }),
        Ok(()) => Ok(()),
    }
}

/// Writes `bytes` to a temporary file beside `path` and renames it into
/// place, so a failure never leaves a partial file behind.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(CliError::Io {
            path: path.to_path_buf(),
            err: std::io::Error::new(std::io::ErrorKind::NotFound, "the folder does not exist"),
            hint: "create the folder first, or write somewhere else with -o",
        });
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.netstep-tmp"));
    let io = |err| CliError::Io {
        path: path.to_path_buf(),
        err,
        hint: "check that the folder exists and that you may write there",
    };
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|err| {
        let _ = std::fs::remove_file(&tmp);
        io(err)
    })
}
