//! Helpers for netstep's cross-crate tests (`tests/*.rs`): run a bundled
//! scenario, with overrides, and annotate it.

use netstep_scenario::SetOverride;
use netstep_trace::{Annotation, Trace, Walkthrough, annotate};

/// A scenario run and annotated.
#[derive(Debug)]
pub struct Run {
    pub trace: Trace,
    pub walkthrough: Walkthrough,
    pub annotation: Annotation,
}

/// Runs bundled scenario `name` as shipped.
pub fn run_bundled(name: &str) -> Run {
    run_bundled_with(name, &[])
}

/// Runs bundled scenario `name` with `--set` overrides.
pub fn run_bundled_with(name: &str, sets: &[&str]) -> Run {
    let (origin, text) = netstep_scenario::resolve(name).unwrap_or_else(|e| panic!("{e}"));
    let sets: Vec<SetOverride> = sets
        .iter()
        .map(|s| SetOverride::parse(s).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let scenario = netstep_scenario::parse(&text, &origin, &sets).unwrap_or_else(|e| panic!("{e}"));
    let trace = netstep_sim::run_scenario(&scenario);
    let walkthrough = scenario.walkthrough();
    let annotation = annotate(&trace, &walkthrough);
    Run {
        trace,
        walkthrough,
        annotation,
    }
}
