//! netstep-ftp
