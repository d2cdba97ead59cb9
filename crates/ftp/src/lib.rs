//! netstep-ftp: FTP as sans-IO state machines.
//!
//! FTP (RFC 959) as a teaching simulator needs it: a server in the style of
//! vsftpd 2.0.5, a client that behaves like the classic `ftp` program with a
//! person typing at it, and the wire formats between them. Nothing here
//! reads a clock, opens a socket or touches a disk. The simulator passes
//! virtual time ([`netstep_wire::Instant`]), bytes and connection events
//! in, and carries out the actions that come out; the same inputs always
//! give the same outputs.
//!
//! Read in this order:
//!
//! - [`codec`]: command lines, replies, `PORT`/`EPRT` addresses. RFC 959
//!   4 and 5, RFC 2428, RFC 3659, RFC 2389. Public for the fuzz targets.
//! - [`conn`]: the vocabulary between sessions and the host: data
//!   connection ids and events, and the [`FtpEvent`]s for the trace.
//! - [`server`]: [`ServerSession`], one per accepted control connection,
//!   over a shared [`Vfs`].
//! - [`client`]: [`ClientSession`], the program and its user.
//! - [`vfs`], [`listing`], [`ascii`]: the file tree, `LIST`/`MLSD`
//!   formats, `TYPE A` line ends.
//! - [`fuzz`]: entry points for fuzzing and property tests.
//!
//! # Driving a session (both kinds)
//!
//! After every `handle_*` call, take every action with `poll_action` (in
//! order: the order is the order of the bytes and requests), then ask
//! `poll_timeout` and call `handle_timeout` at that instant (earlier calls
//! are harmless). Data connections are named by the [`DataConnId`] in the
//! action that asked for them; report what happens to each with
//! `handle_data_event(now, id, event)`. Events for ids a session no longer
//! uses are ignored.
//!
//! Leaves out: TLS (RFC 4217), IPv6 data connections, MODE B/C and STRU
//! R/P, REIN, and everything below the byte stream (that is the `tcp`
//! crate's job).
//!
//! [`FtpEvent`]: conn::FtpEvent
//! [`DataConnId`]: conn::DataConnId
//! [`ServerSession`]: server::ServerSession
//! [`ClientSession`]: client::ClientSession
//! [`Vfs`]: vfs::Vfs

pub mod ascii;
pub mod client;
pub mod codec;
pub mod conn;
pub mod fuzz;
pub mod listing;
pub mod server;
pub mod vfs;

pub use client::{ClientAction, ClientConfig, ClientSession, LsCommand, TypedLine};
pub use codec::{Command, CommandError, HostPort, Reply, ReplyCode, Verb};
pub use conn::{ConnRole, ConnectError, DataConnId, DataEvent, FtpEvent};
pub use server::{DataPortSource, ServerAction, ServerConfig, ServerSession, User};
pub use vfs::{FileContent, Vfs, VfsPath};
