//! netstep-tui
