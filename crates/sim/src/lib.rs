//! netstep-sim
