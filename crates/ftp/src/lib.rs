//! netstep-ftp: FTP as sans-IO state machines.
//!
//! Placeholder while the modules land.

pub mod ascii;
pub mod client;
pub mod codec;
pub mod conn;
pub mod listing;
pub mod server;
pub mod vfs;
