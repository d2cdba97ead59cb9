//! netstep-trace
