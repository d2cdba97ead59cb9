//! netstep-tcp: a sans-IO TCP for a deterministic network simulator.
//!
//! One [`Endpoint`] per simulated host holds that host's TCP: listeners,
//! connections, the port table and the ephemeral port allocator. Nothing in
//! this crate reads a clock, a socket or a random source of its own: time
//! is passed in as [`Instant`](netstep_wire::Instant), segments come out of
//! [`Endpoint::poll_transmit`] as [`TcpRepr`](netstep_wire::TcpRepr) values
//! that borrow their payload from the connection's send buffer, and
//! randomness (ISNs, random ephemeral ports, timestamp offsets) comes from
//! the `RngCore` the caller passes: the simulator's seeded stream for that
//! host.
//!
//! # What to read
//!
//! - RFC 9293 (TCP): states (3.3.2), sequence numbers (3.4), the handshake
//!   (3.5), closing (3.6), segmentation and MSS (3.7), timers and windows
//!   (3.8), and above all "Event Processing" (3.10), which this crate
//!   follows step by step. Comments quote it.
//! - RFC 6298 (the retransmission timer), RFC 5681 (congestion control),
//!   RFC 6582 (NewReno fast recovery), RFC 1122 4.2.3.2 (delayed ACK),
//!   RFC 896 (Nagle), RFC 5961 (RST and SYN challenge ACKs), RFC 7323
//!   (window scale and timestamps), RFC 6056 (ephemeral ports), RFC 3390 /
//!   RFC 6928 (initial window).
//!
//! # What is left out
//!
//! - **No SACK-based recovery.** SACK-permitted is negotiated (so SYNs look
//!   like the real stacks') but no SACK blocks are sent or used. Loss
//!   recovery is fast retransmit with NewReno (RFC 6582) on duplicate ACKs
//!   and **go-back-N after a retransmission timeout**: SND.NXT returns to
//!   SND.UNA and everything is sent again under slow start.
//! - No limited transmit (RFC 3042), no PAWS (RFC 7323 5), no ECN, no
//!   keep-alives, no urgent data (the URG pointer is ignored), no path MTU
//!   discovery, no receive-window autotuning, no Linux "pingpong"
//!   interactive mode (only quick-ACK at the start of a connection).
//! - Data and FIN carried on a SYN are not kept; the peer sends them again
//!   (RFC 9293 3.10.7.2 allows queueing or not).
//! - A SYN for a connection in TIME-WAIT gets a challenge ACK (RFC 5961),
//!   it does not reopen the connection (RFC 6191).
//! - IP fragmentation (everything is sent with DF) and IP options.
//!
//! # How to drive it
//!
//! 1. Feed each arriving segment to [`Endpoint::handle_segment`] at its
//!    arrival time, and call [`Endpoint::handle_timeout`] whenever virtual
//!    time reaches [`Endpoint::poll_timeout`] (several timers due at once
//!    are all handled by one call).
//! 2. After **every** `handle_*` call and every application call
//!    (`connect`, `send`, `recv`, `close`, `abort`, `set_nodelay`...), call
//!    [`Endpoint::poll_transmit`] until it returns `None`, emitting each
//!    [`Transmit`] before the next call (it borrows the send buffer), and
//!    drain [`Endpoint::poll_event`]. Poll after each segment, not after a
//!    batch: an ACK owed is a flag, so two segments handled back to back
//!    get one ACK where a real stack, seeing them one at a time, might
//!    send two.
//! 3. Then ask [`Endpoint::poll_timeout`] for the next deadline. It only
//!    changes through these calls, and it is O(1).
//!
//! Segments come out one at a time in a fixed order (closed-port RSTs
//! first, then by [`ConnId`]; within a connection: RST, SYN or SYN-ACK,
//! fast retransmission, data and FIN, zero-window probe, pure ACK), so a
//! run is a function of its inputs and its seed. Because the application's
//! calls and `poll_transmit` interleave, a write followed by a separate
//! close gives a data segment and then a FIN segment, as in the
//! walkthrough's ladder; a write and a close before polling give one
//! `FIN, PSH, ACK` segment.
//!
//! # Notes for applications
//!
//! - [`Event::Readable`] is signalled once, then again only after the
//!   application has called [`Endpoint::recv`]: read until `Ok(0)`.
//!   `Ok(0)` means "nothing now"; the end of the stream is
//!   [`Event::PeerFin`] (and [`Endpoint::peer_closed`]).
//! - [`Event::AllAcked`] fires when every byte given to `send`, and the FIN
//!   if the application closed, is acknowledged: an FTP server sends 226
//!   on it after closing the data connection.
//! - Nagle's algorithm is on by default (per profile). A server that sends
//!   two small replies in a row (FTP's 150 then 226) must turn it off with
//!   [`Endpoint::set_nodelay`] on that connection, as vsftpd and ProFTPD do
//!   on their control connections, or the second reply waits for the ACK
//!   of the first (up to the peer's delayed-ACK timer).
//! - A RST that arrives in TIME-WAIT ends it (RFC 9293 3.10.7.4; Linux's
//!   default): a duplicated last ACK reaching a closed port can thus cut
//!   TIME-WAIT short (the RFC 1337 hazard).
//! - Closed connections stay known (state `CLOSED`, buffers freed, unread
//!   data of a normal close still readable) so ids are never reused;
//!   [`Endpoint::conns`] lists the others.

mod conn;
mod endpoint;
mod profile;
mod ring;
mod types;

pub use endpoint::{ConnectOptions, Endpoint, ListenOptions, tcp_options_len};
pub use profile::{AckEvery, Ephemeral, EphemeralKind, Profile, ProfileOverrides, Switch};
pub use types::{
    AckReason, CloseReason, ConnId, ConnSnapshot, ConnVars, Event, ListenerId, RejectReason,
    Retransmission, RetxKind, RstReason, State, StateCause, TcpError, TimerKind, Transmit, TxCause,
};

#[cfg(test)]
mod tests;
