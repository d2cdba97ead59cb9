//! The catalogue of malformed scenarios: every file in
//! `tests/scenarios/bad/` (at the workspace root) must be refused, and its
//! rendered diagnostics must equal the `.expected` file beside it, byte for
//! byte. A line `# set: PATH=VALUE` in a scenario applies that override.
//!
//! After changing a message on purpose, run with `NETSTEP_BLESS=1` to
//! rewrite the expected files, then read every changed one: they are what a
//! teacher will see.

use netstep_scenario::{SetOverride, parse};
use std::fs;
use std::path::{Path, PathBuf};

fn catalogue_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios/bad")
}

/// The scenario files of the catalogue, in name order.
fn scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(catalogue_dir())
        .expect("tests/scenarios/bad exists")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// What the catalogue entry renders to.
fn render(path: &Path) -> String {
    let text = fs::read_to_string(path).expect("readable scenario");
    let name = path
        .file_name()
        .expect("a file name")
        .to_string_lossy()
        .to_string();
    let sets: Vec<SetOverride> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# set: "))
        .map(|arg| SetOverride::parse(arg.trim()).unwrap_or_else(|e| panic!("{name}: {e}")))
        .collect();
    match parse(&text, &name, &sets) {
        Ok(_) => format!("{name} was accepted, but every catalogue entry must be refused\n"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_malformed_scenario_renders_its_expected_diagnostics() {
    let bless = std::env::var_os("NETSTEP_BLESS").is_some_and(|v| v == "1");
    let files = scenarios();
    assert!(
        files.len() >= 25,
        "the catalogue has only {} entries",
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        let got = render(path);
        let expected_path = path.with_extension("expected");
        if bless {
            fs::write(&expected_path, &got).expect("writable expected file");
            continue;
        }
        match fs::read_to_string(&expected_path) {
            Ok(want) if want == got => {}
            Ok(want) => failures.push(format!(
                "{}:\n--- expected\n{want}--- got\n{got}",
                path.display()
            )),
            Err(_) => failures.push(format!(
                "{} has no .expected file (run with NETSTEP_BLESS=1); it renders:\n{got}",
                path.display()
            )),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_expected_file_has_its_scenario() {
    for entry in fs::read_dir(catalogue_dir()).expect("tests/scenarios/bad exists") {
        let path = entry.expect("readable directory entry").path();
        if path.extension().is_some_and(|e| e == "expected") {
            assert!(
                path.with_extension("toml").exists(),
                "{} has no scenario beside it",
                path.display()
            );
        }
    }
}

#[test]
fn every_catalogue_diagnostic_has_a_place_and_a_hint() {
    for path in scenarios() {
        let text = fs::read_to_string(&path).expect("readable scenario");
        let sets: Vec<SetOverride> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# set: "))
            .filter_map(|arg| SetOverride::parse(arg.trim()).ok())
            .collect();
        let Err(e) = parse(&text, "x.toml", &sets) else {
            continue;
        };
        for d in &e.diagnostics {
            assert!(
                !d.line_text.is_empty(),
                "{}: `{}` has no source line",
                path.display(),
                d.message
            );
            assert!(
                d.hint.is_some(),
                "{}: `{}` has no hint",
                path.display(),
                d.message
            );
        }
    }
}
