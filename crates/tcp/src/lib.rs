//! netstep-tcp
