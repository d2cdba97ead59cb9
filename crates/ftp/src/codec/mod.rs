//! The FTP wire formats: command lines, replies, data-port addresses.
//!
//! Everything here is a pure function of bytes: no session state, no
//! time. These are the parsers of outside input, so they are public for the
//! fuzz targets and never panic, whatever they are given.

pub mod command;
pub mod hostport;
pub mod line;
pub mod reply;

pub use command::{
    Command, CommandError, EpsvArg, FileStructure, FormatControl, TransferMode, TypeCode,
    UnknownVerb, Verb, split_line,
};
pub use hostport::{
    EprtError, ExtendedAddr, HostPort, HostPortError, parse_epsv_reply, parse_pasv_reply,
};
pub use line::{LineDecoder, LineError};
pub use reply::{Reply, ReplyCode, ReplyDecoder, ReplyError, ReplyKind};
