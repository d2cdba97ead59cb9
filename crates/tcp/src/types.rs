//! The vocabulary of the TCP machine as the trace records it: states, events,
//! why a segment was sent, why one was refused, and the variables a reader
//! checks against a textbook (SND.UNA, RCV.NXT, cwnd, RTO...).
//!
//! Everything here is plain data: `Clone`, `PartialEq`, serde both ways, so a
//! trace file can hold it and a viewer can show it without the machine.

use core::fmt;
use core::net::SocketAddrV4;

use netstep_wire::{Duration, Instant, Ipv4Repr, SeqNumber, TcpRepr};
use serde::{Deserialize, Serialize};

/// One TCP connection of an [`Endpoint`](crate::Endpoint). Never reused
/// within a run, so a trace can name a connection by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConnId(pub u32);

/// One listening socket of an [`Endpoint`](crate::Endpoint). Never reused
/// within a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ListenerId(pub u32);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}", self.0)
    }
}
impl fmt::Display for ListenerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "listener#{}", self.0)
    }
}

/// The eleven connection states of RFC 9293 3.3.2 (Figure 5, Figure 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum State {
    #[serde(rename = "CLOSED")]
    Closed,
    #[serde(rename = "LISTEN")]
    Listen,
    #[serde(rename = "SYN-SENT")]
    SynSent,
    #[serde(rename = "SYN-RECEIVED")]
    SynReceived,
    #[serde(rename = "ESTABLISHED")]
    Established,
    #[serde(rename = "FIN-WAIT-1")]
    FinWait1,
    #[serde(rename = "FIN-WAIT-2")]
    FinWait2,
    #[serde(rename = "CLOSE-WAIT")]
    CloseWait,
    #[serde(rename = "CLOSING")]
    Closing,
    #[serde(rename = "LAST-ACK")]
    LastAck,
    #[serde(rename = "TIME-WAIT")]
    TimeWait,
}

impl State {
    /// The RFC's spelling: `SYN-SENT`, `TIME-WAIT`.
    pub const fn name(self) -> &'static str {
        match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN-SENT",
            State::SynReceived => "SYN-RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN-WAIT-1",
            State::FinWait2 => "FIN-WAIT-2",
            State::CloseWait => "CLOSE-WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST-ACK",
            State::TimeWait => "TIME-WAIT",
        }
    }

    /// The states RFC 9293 calls synchronized: the handshake is over (or
    /// half over, for SYN-RECEIVED) and both sequence spaces are known.
    pub const fn is_synchronized(self) -> bool {
        !matches!(self, State::Closed | State::Listen | State::SynSent)
    }

    /// The states in which our data and FIN may still go out (RFC 9293
    /// 3.10.2 accepts SEND in ESTABLISHED and CLOSE-WAIT; in FIN-WAIT-1,
    /// CLOSING and LAST-ACK what was queued before CLOSE, and the FIN, may
    /// still be sent or resent).
    pub const fn sends_data(self) -> bool {
        matches!(
            self,
            State::Established
                | State::CloseWait
                | State::FinWait1
                | State::Closing
                | State::LastAck
        )
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What moved a connection from one state to the next (the labels on the
/// arrows of RFC 9293 Figure 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StateCause {
    /// The application asked for an active open (OPEN call, 3.10.1).
    AppConnect,
    /// A SYN arrived: LISTEN to SYN-RECEIVED (3.10.7.2), or SYN-SENT to
    /// SYN-RECEIVED in a simultaneous open (3.10.7.3).
    RecvSyn,
    /// A SYN with an ACK of our SYN arrived in SYN-SENT (3.10.7.3).
    RecvSynAck,
    /// The ACK of our SYN arrived in SYN-RECEIVED (3.10.7.4, fifth step).
    RecvAckOfSyn,
    /// The application closed its sending side (CLOSE call, 3.10.4).
    AppClose,
    /// The peer's FIN arrived in order (3.10.7.4, eighth step).
    RecvFin,
    /// The ACK of our FIN arrived (3.10.7.4, fifth step).
    RecvAckOfFin,
    /// An acceptable RST arrived (3.10.7.3, 3.10.7.4 second step).
    RecvRst,
    /// An in-window SYN arrived in SYN-RECEIVED of a passive open: back to
    /// LISTEN (3.10.7.4, fourth step).
    RecvSynInWindow,
    /// The application aborted the connection (ABORT call, 3.10.5).
    AppAbort,
    /// The 2×MSL TIME-WAIT timer expired (3.10.8).
    TimeWaitExpired,
    /// Retransmissions went unanswered up to the profile's limit
    /// (RFC 9293 3.8.3, R2).
    RetransmitLimit,
}

/// Why a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CloseReason {
    /// Both FINs exchanged and acknowledged (and TIME-WAIT over, for the side
    /// that closed first).
    Normal,
    /// The peer reset an established or closing connection.
    Reset,
    /// Retransmissions of a SYN or of data went unanswered.
    TimedOut,
    /// Our SYN was answered with a RST: nobody listens on that port.
    Refused,
    /// The application aborted, or closed before the handshake finished.
    Aborted,
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CloseReason::Normal => "closed normally",
            CloseReason::Reset => "reset by peer",
            CloseReason::TimedOut => "timed out",
            CloseReason::Refused => "connection refused",
            CloseReason::Aborted => "aborted",
        })
    }
}

/// The timers of one connection (RFC 9293 3.8, RFC 1122 4.2.3.2, RFC 6298).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TimerKind {
    /// The delayed-ACK timer (RFC 1122 4.2.3.2, RFC 9293 3.8.6.3).
    DelayedAck,
    /// The retransmission timer for data or FIN (RFC 6298); `backoff` is the
    /// number of consecutive expirations, this one included.
    Retransmit { backoff: u32 },
    /// The retransmission timer while a SYN or SYN-ACK is unanswered;
    /// `attempt` is the retransmission this expiry triggers (1 = first retry).
    SynRetry { attempt: u32 },
    /// The persist timer: the peer's window is closed (RFC 9293 3.8.6.1).
    Persist { backoff: u32 },
    /// The 2×MSL TIME-WAIT timer (RFC 9293 3.3.2, 3.10.8).
    TimeWait,
}

/// Why a pure ACK was sent at once instead of waiting for the delayed-ACK
/// timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AckReason {
    /// A FIN arrived (RFC 9293 3.10.7.4 eighth step: "send an
    /// acknowledgment for the FIN").
    Fin,
    /// A segment arrived beyond RCV.NXT (RFC 5681 4.2: immediate duplicate
    /// ACK).
    OutOfOrder,
    /// A segment filled all or part of a hole (RFC 5681 4.2).
    FillsHole,
    /// The profile's ACK-every threshold was reached (RFC 1122 4.2.3.2: at
    /// least every second full-sized segment).
    EveryNth,
    /// The application read data and the window opened enough to tell the
    /// peer (RFC 9293 3.8.6.2.2; Linux `tcp_cleanup_rbuf`).
    WindowUpdate,
    /// A segment entirely below RCV.NXT (an old duplicate) arrived
    /// (RFC 9293 3.10.7.4 first step).
    DuplicateSegment,
    /// A segment outside the receive window arrived (RFC 9293 3.10.7.4
    /// first step).
    OutOfWindow,
    /// Data arrived while our window was zero: a zero-window probe
    /// (RFC 9293 3.8.6.1).
    ZeroWindowProbe,
    /// RFC 5961 challenge ACK for an in-window RST or a SYN in a
    /// synchronized state (RFC 9293 3.10.7.4 second and fourth steps).
    ChallengeAck,
    /// The peer acknowledged data we never sent (RFC 9293 3.10.7.4 fifth
    /// step).
    AckOfUnsentData,
    /// The ACK is older than the sender could ever have sent
    /// (RFC 5961 5.2).
    AckTooOld,
    /// The profile has no delayed ACK: every data segment is acknowledged
    /// at once.
    NoDelay,
    /// Linux-style quick-ACK mode at the start of a connection
    /// (`TCP_MAX_QUICKACKS`).
    QuickAck,
}

/// Why a RST was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RstReason {
    /// A segment for a port with no connection and no listener
    /// (RFC 9293 3.10.7.1).
    ClosedPort,
    /// A segment with ACK reached a listener (RFC 9293 3.10.7.2).
    ListenerGotAck,
    /// SYN-SENT got an ACK of something it did not send (RFC 9293 3.10.7.3).
    SynSentBadAck,
    /// SYN-RECEIVED got an unacceptable ACK (RFC 9293 3.10.7.4 fifth step).
    SynReceivedBadAck,
    /// The application aborted the connection (RFC 9293 3.10.5).
    Abort,
}

/// Why a segment left the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TxCause {
    /// The SYN of an active open.
    Syn,
    /// The SYN-ACK of a passive (or simultaneous) open.
    SynAck,
    /// The ACK of the peer's SYN-ACK: the third segment of the handshake.
    HandshakeAck,
    /// Data (the ACK rides along).
    Data,
    /// Data with a FIN on the same segment.
    DataWithFin,
    /// A FIN on its own.
    Fin,
    /// A pure ACK sent at once.
    AckNow(AckReason),
    /// A pure ACK sent because the delayed-ACK timer fired.
    DelayedAckTimer,
    /// A one-byte probe of a closed window (RFC 9293 3.8.6.1).
    ZeroWindowProbe,
    /// A reset.
    Rst(RstReason),
}

/// What kind of retransmission a segment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RetxKind {
    /// The retransmission timer expired (RFC 6298 5.4); `backoff` counts
    /// consecutive expirations.
    Rto { backoff: u32 },
    /// Go-back-N: a segment after the first one resent after a timeout,
    /// resent because everything from SND.UNA is sent again.
    GoBackN,
    /// Fast retransmit on the third duplicate ACK (RFC 5681 3.2).
    Fast,
    /// NewReno: a partial ACK during fast recovery (RFC 6582 3.2 step 5).
    NewRenoPartialAck,
    /// A SYN or SYN-ACK resent because its timer expired.
    SynRetry { attempt: u32 },
    /// A SYN-ACK resent because the peer resent its SYN (our SYN-ACK was
    /// lost), as BSD and Linux do.
    PeerRetransmittedSyn,
}

/// Marks a segment as repeating sequence space sent before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Retransmission {
    /// The first sequence number of the segment (the one it repeats).
    pub of_seq: SeqNumber,
    pub kind: RetxKind,
}

/// Why an arriving segment was dropped (or only partly used), with the
/// RFC section that says so ([`RejectReason::rfc`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RejectReason {
    /// Addressed to another host.
    NotForThisHost,
    /// No connection and no listener: answered with RST unless it was one.
    NoConnection,
    /// A listener got something other than a SYN.
    ListenerNotSyn,
    /// A listener's remote-address restriction refused the SYN.
    ListenerRemoteMismatch,
    /// SYN-SENT: the ACK does not acknowledge our SYN.
    SynSentBadAck,
    /// SYN-SENT: a RST without an acceptable ACK.
    SynSentRstWithoutAck,
    /// SYN-SENT: neither SYN nor RST.
    SynSentNoSyn,
    /// The sequence number is outside the receive window.
    OutOfWindow,
    /// The whole segment is below RCV.NXT: an old duplicate.
    Duplicate,
    /// Data arrived while the receive window was zero.
    ZeroWindow,
    /// A RST outside the receive window.
    RstOutOfWindow,
    /// A RST in the window but not at RCV.NXT: challenge ACK (RFC 5961 3.2).
    RstNotExact,
    /// A SYN in a synchronized state: challenge ACK (RFC 5961 4.2).
    SynInSynchronizedState,
    /// A segment without ACK in a synchronized state.
    NoAck,
    /// SYN-RECEIVED: the ACK does not acknowledge our SYN: answered with RST.
    SynReceivedBadAck,
    /// The ACK acknowledges data we never sent.
    AckOfUnsentData,
    /// The ACK is older than SND.UNA - MAX.SND.WND (RFC 5961 5.2).
    AckTooOld,
    /// Out-of-order data that did not fit the reassembly table.
    ReassemblyFull,
    /// Data after the peer's FIN (RFC 9293 3.10.7.4 seventh step).
    DataAfterFin,
}

impl RejectReason {
    /// The RFC section whose rule refused the segment.
    pub const fn rfc(self) -> &'static str {
        match self {
            RejectReason::NotForThisHost => "RFC 1122 3.3.4.2",
            RejectReason::NoConnection => "RFC 9293 3.10.7.1",
            RejectReason::ListenerNotSyn | RejectReason::ListenerRemoteMismatch => {
                "RFC 9293 3.10.7.2"
            }
            RejectReason::SynSentBadAck
            | RejectReason::SynSentRstWithoutAck
            | RejectReason::SynSentNoSyn => "RFC 9293 3.10.7.3",
            RejectReason::OutOfWindow | RejectReason::Duplicate | RejectReason::ZeroWindow => {
                "RFC 9293 3.10.7.4 (first: check sequence number)"
            }
            RejectReason::RstOutOfWindow | RejectReason::RstNotExact => {
                "RFC 9293 3.10.7.4 (second: check RST), RFC 5961 3.2"
            }
            RejectReason::SynInSynchronizedState => {
                "RFC 9293 3.10.7.4 (fourth: check SYN), RFC 5961 4.2"
            }
            RejectReason::NoAck
            | RejectReason::SynReceivedBadAck
            | RejectReason::AckOfUnsentData => "RFC 9293 3.10.7.4 (fifth: check ACK)",
            RejectReason::AckTooOld => "RFC 5961 5.2",
            RejectReason::ReassemblyFull => "RFC 9293 3.10.7.4 (seventh: process text)",
            RejectReason::DataAfterFin => "RFC 9293 3.10.7.4 (seventh: process text)",
        }
    }
}

/// What the application and the trace are told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    StateChanged {
        conn: ConnId,
        from: State,
        to: State,
        cause: StateCause,
    },
    TimerFired {
        conn: ConnId,
        timer: TimerKind,
    },
    /// A connection from this listener reached ESTABLISHED.
    Accepted {
        listener: ListenerId,
        conn: ConnId,
    },
    /// An active open reached ESTABLISHED.
    Connected {
        conn: ConnId,
    },
    /// New in-order data can be read. Signalled once until the application
    /// next calls `recv`.
    Readable {
        conn: ConnId,
    },
    /// The peer's FIN arrived in order: after the buffered data, end of
    /// stream.
    PeerFin {
        conn: ConnId,
    },
    /// Every byte the application gave, and its FIN if it closed, is
    /// acknowledged. An FTP server sends 226 on this.
    AllAcked {
        conn: ConnId,
    },
    Closed {
        conn: ConnId,
        reason: CloseReason,
    },
    SegmentRejected {
        conn: Option<ConnId>,
        reason: RejectReason,
    },
}

/// The textbook variables after a segment, in bytes (windows already scaled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConnVars {
    pub snd_una: SeqNumber,
    pub snd_nxt: SeqNumber,
    /// The highest sequence number sent plus one (BSD's snd_max): equal to
    /// SND.NXT except after a timeout rewinds SND.NXT (go-back-N).
    pub snd_max: SeqNumber,
    pub snd_wnd: u32,
    pub rcv_nxt: SeqNumber,
    pub rcv_wnd: u32,
    pub cwnd: u32,
    pub ssthresh: u32,
    pub rto: Duration,
}

/// A connection's full state, for a viewer or a test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnSnapshot {
    pub conn: ConnId,
    pub local: SocketAddrV4,
    pub remote: SocketAddrV4,
    pub state: State,
    pub vars: ConnVars,
    pub iss: SeqNumber,
    pub irs: SeqNumber,
    /// Effective send MSS (RFC 9293 3.7.1).
    pub mss: u16,
    pub snd_wscale: Option<u8>,
    pub rcv_wscale: Option<u8>,
    pub sack_permitted: bool,
    pub timestamps: bool,
    pub nodelay: bool,
    pub srtt: Option<Duration>,
    pub rttvar: Duration,
    pub dup_acks: u32,
    pub in_fast_recovery: bool,
    /// Bytes the application gave that are not acknowledged yet.
    pub send_buffered: usize,
    /// Bytes received in order that the application has not read.
    pub recv_buffered: usize,
    pub timers: Vec<(TimerKind, Instant)>,
    pub close_reason: Option<CloseReason>,
}

/// One segment to put on the wire. The payload borrows the connection's
/// send buffer: emit it to bytes before calling the endpoint again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transmit<'a> {
    /// `None` for a RST answering a segment that matched no connection.
    pub conn: Option<ConnId>,
    pub ip: Ipv4Repr,
    pub tcp: TcpRepr<'a>,
    pub cause: TxCause,
    pub retransmission: Option<Retransmission>,
    /// The connection's variables after this segment (zero for `conn: None`).
    pub vars: ConnVars,
}

/// Errors of the application-facing calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TcpError {
    /// The port (or the 4-tuple) is taken.
    AddrInUse,
    /// Every ephemeral port of the profile's range is in use.
    NoEphemeralPorts,
    /// No such connection or listener.
    InvalidConn,
    /// The connection is closing: no more data may be sent
    /// (RFC 9293 3.10.2, "connection closing").
    Closing,
    /// The connection is closed (or was never opened).
    NotConnected,
    /// The peer reset the connection; buffered data was discarded
    /// (RFC 9293 3.10.7.4: "all segment queues should be flushed").
    ConnectionReset,
    /// The connection timed out.
    TimedOut,
    /// The connection was refused.
    Refused,
}

impl fmt::Display for TcpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TcpError::AddrInUse => "address in use",
            TcpError::NoEphemeralPorts => "no free ephemeral port",
            TcpError::InvalidConn => "no such connection",
            TcpError::Closing => "connection closing",
            TcpError::NotConnected => "connection does not exist",
            TcpError::ConnectionReset => "connection reset",
            TcpError::TimedOut => "connection timed out",
            TcpError::Refused => "connection refused",
        })
    }
}

impl std::error::Error for TcpError {}
