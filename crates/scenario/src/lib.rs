//! netstep-scenario: the scenario file format.
//!
//! Teachers write scenarios as TOML; this crate reads them into a
//! [`Scenario`] that the simulator can trust, or explains every mistake in
//! them with its place, rustc style:
//!
//! ```text
//! lab.toml:14:1: error: unknown key `delayed_ak` in [host.tcp]
//!    |
//! 14 | delayed_ak = "200ms"
//!    | ^^^^^^^^^^
//!    = hint: did you mean `delayed_ack`?
//! ```
//!
//! The pipeline: `--set` overrides are applied to the text ([`overrides`]),
//! the text is parsed as TOML and deserialised into the [`model`]
//! (`de`), the model is checked across values ([`validate`]), and every
//! problem is placed back on what the person wrote ([`diagnostic`]).
//! Also here: the JSON Schema for editors ([`json_schema`]), the starter
//! scenario of `netstep new` ([`starter`]), and the bundled scenarios
//! ([`BUNDLED`], [`resolve`]).
//!
//! Leaves out: running anything. A scenario is data; `netstep-sim` runs it.

mod bundled;
mod de;
pub mod diagnostic;
pub mod model;
pub mod overrides;
mod scenario;
mod schema;
mod starter;
mod suggest;
mod tree;
pub mod validate;

pub use bundled::{BUNDLED, Bundled, bundled, resolve};
pub use diagnostic::{Diagnostic, ScenarioError};
pub use model::*;
pub use overrides::SetOverride;
pub use scenario::{ResolvedFault, ResolvedLink, ResolvedLinkDir, Scenario};
pub use schema::json_schema;
pub use starter::starter;

use diagnostic::Source;
use std::path::Path;

/// Parses and validates scenario `text`, named `origin` in diagnostics,
/// with `sets` applied first.
pub fn parse(text: &str, origin: &str, sets: &[SetOverride]) -> Result<Scenario, ScenarioError> {
    let mut source = Source {
        origin,
        original: text,
        labels: sets.iter().map(SetOverride::diagnostic_label).collect(),
        regions: Vec::new(),
        edited: String::new(),
    };
    // Syntax first, on the file as written: overrides need a document to
    // apply to, and a syntax error is best shown where it was typed.
    if !sets.is_empty()
        && let Err(p) = de::parse_toml(text)
    {
        return Err(source.error(vec![p]));
    }
    let applied = overrides::apply(text, sets).map_err(|ps| source.error(ps))?;
    source.regions = applied.regions;
    source.edited = applied.text.clone();
    let edited = applied.text;
    let root = de::parse_toml(&edited).map_err(|p| source.error(vec![p]))?;
    let tree = tree::Node::from_table(&root);
    let file = de::deserialize(&root, &tree).map_err(|ps| source.error(ps))?;
    let problems = validate::validate(&file, &tree);
    if !problems.is_empty() {
        return Err(source.error(problems));
    }
    Ok(Scenario {
        file,
        origin: origin.to_string(),
        text: edited,
        overrides: sets.to_vec(),
    })
}

/// Reads the file at `path` and [`parse`]s it, naming it as given.
pub fn load(path: &Path, sets: &[SetOverride]) -> Result<Scenario, ScenarioError> {
    let text = bundled::read(path)?;
    parse(&text, &path.display().to_string(), sets)
}
