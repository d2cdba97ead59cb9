//! netstep-tui: the player a teacher puts on a projector and a student runs
//! on a laptop. It steps through a recorded run segment by segment: a
//! ladder diagram, the walkthrough's stage, every field of the segment
//! with the arithmetic behind it, and every socket's state.
//!
//! The shape follows ratatui's demo2 and gitui: [`run`] only sets the
//! terminal up and down; [`App`] holds all state and turns keys into
//! [`Action`]s; drawing is `impl Widget for &App` and one small widget per
//! panel. The app runs on any ratatui backend, so tests drive it with
//! `TestBackend` and snapshot whole screens.
//!
//! Leaves out: running scenarios (the CLI does that and hands over the
//! trace), and editing anything: the player only reads.

mod app;
pub mod bench_support;
mod explain;
#[cfg(any(test, feature = "fixture"))]
pub mod fixture;
mod flight;
mod ftp;
mod help;
mod index;
mod input;
mod ladder;
mod layout;
mod packet;
mod search;
mod segment_panel;
mod sockets_panel;
mod stage_panel;
mod status;
mod terminal;
mod text;
pub mod theme;
mod view;

pub use app::{Action, App, FieldId, Focus, PlayMode, PlayOptions};
pub use terminal::{CrosstermEvents, EventSource, restore_terminal, run, run_loop};
pub use theme::{Theme, ThemeName};

#[cfg(test)]
mod tests;
