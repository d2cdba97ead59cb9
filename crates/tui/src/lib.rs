//! netstep-tui: the player a teacher puts on a projector and a student runs
//! on a laptop.
#![forbid(unsafe_code)]

#[cfg(any(test, feature = "fixture"))]
pub mod fixture;
