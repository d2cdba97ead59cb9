//! What the sessions and the host tell each other about connections.
//!
//! The sessions never touch a socket. They ask for connections with
//! actions (`ConnectData`, `ListenData`, `CloseData`, ...) naming a
//! [`DataConnId`] they chose, and the host reports what happened to that
//! connection with [`DataEvent`]s carrying the same id. Ids are never
//! reused within a session, so a late event from an old data connection
//! (its `Closed` after the next transfer began, say) is recognised and
//! ignored.
//!
//! The [`FtpEvent`]s are for the trace: they say what the protocol did in
//! its own terms (a command arrived, a reply went out, a transfer ended)
//! so that the player can explain a segment without parsing it again.

use core::fmt;
use std::net::SocketAddrV4;

use crate::codec::{Command, HostPort, Reply, Verb};

/// Which connection of an FTP session a socket belongs to; the trace's label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConnRole {
    /// The control connection (server port 21): commands and replies.
    Control,
    /// A data connection: listings and file contents (RFC 959 2.3).
    Data,
}

impl ConnRole {
    /// `"control"` or `"data"`.
    pub const fn label(self) -> &'static str {
        match self {
            ConnRole::Control => "control",
            ConnRole::Data => "data",
        }
    }
}

impl fmt::Display for ConnRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Names one data connection (or listening socket) of one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DataConnId(pub u32);

impl fmt::Display for DataConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "data#{}", self.0)
    }
}

/// Why a connection could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectError {
    /// The peer answered the SYN with RST.
    Refused,
    /// No answer after the SYN retries.
    TimedOut,
    /// An ICMP error or no route.
    Unreachable,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConnectError::Refused => "Connection refused",
            ConnectError::TimedOut => "Connection timed out",
            ConnectError::Unreachable => "No route to host",
        })
    }
}

/// What the host reports about a data connection or data listener.
///
/// Feed them in the order the host's TCP produced them. Events for ids the
/// session no longer cares about are ignored, so the host need not filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataEvent {
    /// After `ListenData`: the socket is bound and listening on `port`.
    Listening { port: u16 },
    /// After `ListenData`: no port could be bound.
    ListenFailed,
    /// After `ConnectData`: the three-way handshake completed. After
    /// `ListenData`: a connection was accepted from `peer` (the host then
    /// stops listening: one listener, one connection).
    Connected { peer: SocketAddrV4 },
    /// After `ConnectData`: the connection could not be opened.
    ConnectFailed(ConnectError),
    /// Bytes arrived, in order.
    Received(Vec<u8>),
    /// The socket can take more data: report it once the bytes of the last
    /// `SendData` have been taken into the socket's send buffer and there
    /// is room again. The session sends the next piece of a large file only
    /// then.
    Writable,
    /// The peer's FIN arrived: no more bytes will come (end of file).
    PeerClosed,
    /// Our FIN was acknowledged (the socket reached FIN-WAIT-2, or
    /// CLOSING/TIME-WAIT after a simultaneous close).
    FinAcked,
    /// The connection is gone after an orderly close (both FINs done).
    Closed,
    /// The connection was reset (RST received, or aborted).
    Reset,
}

/// What happened, in FTP's terms, for the trace and the player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FtpEvent {
    /// Server: a complete command line arrived (before any processing delay).
    CommandReceived { line: String },
    /// Client: a command went out.
    CommandSent { command: Command },
    /// Server: a reply went out.
    ReplySent { reply: Reply },
    /// Client: a whole reply was read.
    ReplyReceived { reply: Reply },
    /// A line could not be used: too long, not a reply, too many waiting.
    InputDiscarded { reason: String },
    /// Login accepted (server: after PASS; client: on the 230).
    LoggedIn { user: String, anonymous: bool },
    /// Login refused.
    LoginFailed { user: String },
    /// A data address was named: by `PORT`/`EPRT` (active) or by the reply
    /// to `PASV`/`EPSV` (passive). `explanation` spells out the arithmetic.
    DataAddress {
        verb: Verb,
        addr: SocketAddrV4,
        explanation: String,
    },
    /// A transfer began: the data connection is up and the 150 went out
    /// (server) or came in (client).
    TransferStarted {
        id: DataConnId,
        verb: Verb,
        path: String,
        size: Option<u64>,
    },
    /// A transfer ended well; `bytes` counted on the data connection.
    TransferCompleted {
        id: DataConnId,
        verb: Verb,
        bytes: u64,
    },
    /// A transfer failed or was aborted.
    TransferFailed {
        id: DataConnId,
        verb: Verb,
        reason: String,
    },
    /// Client: the user typed `text` at `prompt` (passwords included, as
    /// they go over the wire in clear text anyway).
    Typed { prompt: String, text: String },
    /// Client: the script has no more lines; the program waits at its prompt.
    ScriptEnded,
    /// The session is over (control connection closed or being closed).
    SessionEnded { reason: String },
}

impl FtpEvent {
    /// A `DataAddress` event for an IPv4 address, with the PORT arithmetic.
    pub fn data_address(verb: Verb, addr: SocketAddrV4) -> FtpEvent {
        FtpEvent::DataAddress {
            verb,
            addr,
            explanation: HostPort::from(addr).explain(),
        }
    }
}

impl fmt::Display for FtpEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FtpEvent::CommandReceived { line } => write!(f, "command received: {line}"),
            FtpEvent::CommandSent { command } => write!(f, "command sent: {command}"),
            FtpEvent::ReplySent { reply } => {
                write!(f, "reply sent: {}", reply.wire_lines().join(" / "))
            }
            FtpEvent::ReplyReceived { reply } => {
                write!(f, "reply received: {}", reply.wire_lines().join(" / "))
            }
            FtpEvent::InputDiscarded { reason } => write!(f, "input discarded: {reason}"),
            FtpEvent::LoggedIn { user, anonymous } => {
                write!(
                    f,
                    "logged in as {user}{}",
                    if *anonymous { " (anonymous)" } else { "" }
                )
            }
            FtpEvent::LoginFailed { user } => write!(f, "login failed for {user}"),
            FtpEvent::DataAddress {
                verb, explanation, ..
            } => write!(f, "{verb} data address: {explanation}"),
            FtpEvent::TransferStarted {
                id,
                verb,
                path,
                size,
            } => {
                write!(f, "{verb} {path} started on {id}")?;
                if let Some(s) = size {
                    write!(f, " ({s} bytes)")?;
                }
                Ok(())
            }
            FtpEvent::TransferCompleted { id, verb, bytes } => {
                write!(f, "{verb} on {id} complete: {bytes} bytes")
            }
            FtpEvent::TransferFailed { id, verb, reason } => {
                write!(f, "{verb} on {id} failed: {reason}")
            }
            FtpEvent::Typed { prompt, text } => write!(f, "typed at `{prompt}`: {text}"),
            FtpEvent::ScriptEnded => f.write_str("script ended"),
            FtpEvent::SessionEnded { reason } => write!(f, "session ended: {reason}"),
        }
    }
}
