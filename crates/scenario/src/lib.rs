//! netstep-scenario
