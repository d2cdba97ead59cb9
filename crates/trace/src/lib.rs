//! netstep-trace: the recorded run, the walkthrough that tells it in
//! numbered stages, and the annotator that joins the two.
//!
//! The simulator writes a [`Trace`]; everything downstream (the player, the
//! exporters, `netstep check`) reads only this crate's types, so a saved
//! trace is enough to replay a run elsewhere.

pub mod json;
pub mod matcher;
pub mod model;
/// The bulk pattern lives with the wire types, where the TCP buffers and
/// the simulator's packets can recognise its slices; the trace keeps its
/// old path.
pub use netstep_wire::pattern;
pub mod segments;
pub mod walkthrough;

pub use matcher::{FlagSet, Matcher};
pub use model::*;
pub use segments::Segments;
pub use walkthrough::{Annotation, Stage, StageResult, Unstaged, Walkthrough, annotate};
