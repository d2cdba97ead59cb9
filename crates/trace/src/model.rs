//! The recorded run: what every viewer and exporter reads.
//!
//! A [`Trace`] is written once by the simulator and then only read: the
//! player, the annotator and every exporter work from it alone, so a trace
//! saved as JSON is enough to view a run again on another machine.
//!
//! The TCP vocabulary here ([`TcpState`], [`SegCause`], ...) mirrors the
//! `netstep-tcp` crate's on purpose: this is a file format with a version,
//! and it must not change shape when the TCP internals do. The simulator
//! translates one into the other in one place.
//!
//! Leaves out: link-layer frames (the pcapng exporter synthesises Ethernet),
//! and payload bytes per segment: a segment points into the byte stream its
//! sender's application wrote ([`Trace::streams`]), so a retransmission
//! costs no extra payload storage.

use netstep_wire::{Duration, Instant, SeqNumber, TcpFlags, TcpOptions};
use serde::{Deserialize, Serialize};
use std::net::{Ipv4Addr, SocketAddrV4};

/// Bumped whenever the serialised shape changes incompatibly.
pub const TRACE_FORMAT_VERSION: u32 = 1;

/// A text in the two languages netstep speaks.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub en: String,
    #[serde(default)]
    pub zh: String,
}

/// The languages of the player and the exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Text {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Self {
        Text {
            en: en.into(),
            zh: zh.into(),
        }
    }
    /// The text in `lang`, falling back to English when no translation was
    /// written (a scenario author may write English only).
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh if !self.zh.is_empty() => &self.zh,
            _ => &self.en,
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "en" => Ok(Lang::En),
            "zh" => Ok(Lang::Zh),
            other => Err(format!("unknown language `{other}`: use `en` or `zh`")),
        }
    }
}

/// Everything the simulator recorded about one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub version: u32,
    pub scenario: ScenarioInfo,
    /// Hosts, routers, NATs and firewalls, in the scenario's order.
    pub nodes: Vec<NodeInfo>,
    /// TCP connections, in the order their first segment was sent.
    pub conns: Vec<ConnInfo>,
    /// Sockets (one end of a connection, or a listener), in order of creation.
    pub sockets: Vec<SocketInfo>,
    /// Every transmission, in order of sending (retransmissions and link
    /// duplicates included, each as its own segment), stored compactly:
    /// read them with `at`, `get` and `iter`, which hand out [`Segment`]
    /// values (see [`crate::segments`]).
    pub segments: crate::segments::Segments,
    /// Everything else that happened, in time order (ties in the order the
    /// simulator did them).
    pub events: Vec<Event>,
    /// Application byte streams that segments point into.
    pub streams: Vec<Stream>,
    /// Virtual time when the run stopped.
    pub end_time: Instant,
    /// Why the run stopped.
    pub end_reason: EndReason,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioInfo {
    pub name: String,
    pub title: Text,
    pub description: Text,
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndReason {
    /// Nothing was left to do: every application finished and every timer
    /// that matters expired or was cancelled.
    Quiescent,
    /// The scenario's virtual-time limit was reached.
    TimeLimit,
    /// The simulator's bound on the number of events was reached.
    EventLimit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    Host,
    Router,
    Nat,
    Firewall,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub name: String,
    pub kind: NodeKind,
    /// Addresses of the node's interfaces (one for a host).
    pub addrs: Vec<Ipv4Addr>,
    /// The TCP profile the host ran, for explanations ("the server's
    /// delayed-ACK timer is 200 ms"); `None` for nodes without TCP.
    pub tcp: Option<TcpProfileInfo>,
}

/// The parts of a host's TCP profile that explanations refer to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TcpProfileInfo {
    pub profile: String,
    pub delayed_ack: Option<Duration>,
    /// "every 2nd segment" or "2 full-sized segments", as text.
    pub ack_every: String,
    pub mss: u16,
    pub ttl: u8,
    pub rto_initial: Duration,
    pub time_wait: Duration,
    /// The scenario fixed the host's initial sequence numbers (otherwise
    /// they come from the seed).
    #[serde(default)]
    pub isn_fixed: bool,
}

/// One TCP connection: two sockets and the segments between them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnInfo {
    /// The application's label: `control`, `data` for FTP.
    pub label: String,
    /// The side that sent the first SYN.
    pub initiator: Endpoint,
    pub responder: Endpoint,
    /// Initial sequence numbers, once known.
    pub initiator_isn: Option<SeqNumber>,
    pub responder_isn: Option<SeqNumber>,
    /// The two sockets, initiator's first, once they exist.
    pub sockets: [Option<u32>; 2],
    /// The byte streams each side's application wrote, initiator's first.
    pub streams: [Option<u32>; 2],
}

/// A node and a transport address on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub node: u32,
    pub addr: SocketAddrV4,
}

/// One socket: an end of a connection, or a listener.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SocketInfo {
    pub node: u32,
    pub local: SocketAddrV4,
    /// `None` for a listener.
    pub remote: Option<SocketAddrV4>,
    pub label: String,
    pub conn: Option<u32>,
    pub created: Instant,
}

/// The bytes one application wrote into one connection, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stream {
    pub conn: u32,
    /// 0 for the initiator's direction, 1 for the responder's.
    pub dir: u8,
    /// The bytes, unless the stream is [`Stream::generated`] (then empty).
    #[serde(with = "bytes_as_text")]
    pub bytes: Vec<u8>,
    /// Set when the bytes are not stored but regenerated on demand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<Generated>,
}

/// A stream whose bytes the trace regenerates instead of storing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Generated {
    /// `len` bytes of [`crate::pattern`] from offset 0 (what the bulk
    /// applications send).
    Pattern { len: u64 },
}

impl Stream {
    /// How many bytes the application wrote.
    pub fn len(&self) -> u64 {
        match self.generated {
            Some(Generated::Pattern { len }) => len,
            None => self.bytes.len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `len` bytes from `offset`, or fewer where the stream ends.
    pub fn get(&self, offset: u64, len: usize) -> &[u8] {
        match self.generated {
            Some(Generated::Pattern { len: total }) => {
                let n = total.saturating_sub(offset).min(len as u64) as usize;
                crate::pattern::slice(offset, n)
            }
            None => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX);
                let end = start.saturating_add(len).min(self.bytes.len());
                self.bytes.get(start..end).unwrap_or(&[])
            }
        }
    }
}

/// One transmitted segment, as its sender put it on the wire. A plain
/// value (`Copy`): the trace stores segments compactly and hands them out
/// by value ([`crate::Segments`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub time: Instant,
    /// Sending node.
    pub from: u32,
    /// The host it was delivered to; until then (and for a segment that
    /// never arrived) the node its destination address belongs to, if any.
    /// Behind a NAT these differ: the address is the NAT's, the host is
    /// the one inside.
    pub to: Option<u32>,
    pub conn: Option<u32>,
    /// 0 when sent by the connection's initiator, 1 by the responder.
    pub dir: u8,
    pub src: SocketAddrV4,
    pub dst: SocketAddrV4,
    pub ttl: u8,
    pub ip_ident: u16,
    pub seq: SeqNumber,
    /// Present when the ACK bit is set.
    pub ack: Option<SeqNumber>,
    /// All flags as on the wire, ACK included.
    pub flags: TcpFlags,
    /// The raw 16-bit window field.
    pub window: u16,
    pub options: TcpOptions,
    /// Where the payload sits in the sender's stream: `offset` bytes after
    /// the first data byte. Empty for segments without payload.
    pub payload_offset: u64,
    pub payload_len: u32,
    pub cause: SegCause,
    pub retransmission: Option<Retransmission>,
    /// A copy made by the link, not by TCP.
    pub duplicate_of: Option<u32>,
    pub fate: Fate,
    /// The sender's variables right after sending.
    pub vars: ConnVars,
}

impl Segment {
    /// Sequence space the segment occupies (payload, SYN and FIN).
    pub fn seq_len(&self) -> u32 {
        self.payload_len + u32::from(self.flags.syn()) + u32::from(self.flags.fin())
    }
    /// An ACK with nothing else: no payload, no SYN, FIN or RST.
    pub fn is_pure_ack(&self) -> bool {
        self.payload_len == 0
            && self.flags.ack()
            && !self
                .flags
                .intersects(TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST)
    }
}

/// What became of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fate", rename_all = "kebab-case")]
pub enum Fate {
    /// Handed to the destination's TCP at `at`.
    Delivered { at: Instant },
    /// Lost at node `node`: on the link leaving it (loss, queue, fault) or
    /// on arrival there (corruption caught, no route, filtered).
    Dropped {
        at: Instant,
        node: u32,
        reason: DropReason,
    },
    /// Still travelling when the run stopped.
    InFlight,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DropReason {
    /// The link's random loss.
    Loss,
    /// A scenario fault aimed at this segment.
    Fault,
    /// The link's queue was full (drop-tail).
    QueueFull,
    /// A bit was flipped on the link and the receiver's checksum caught it.
    Corrupted,
    NoRoute,
    TtlExpired,
    /// A firewall rule refused it.
    Filtered,
    /// A NAT had no mapping for it.
    NoNatMapping,
    /// It reached a host that has no such address.
    NotForUs,
}

/// Why TCP sent a segment: what the player says under "why this segment".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SegCause {
    /// Active open.
    Syn,
    /// Passive open's answer.
    SynAck,
    /// The third segment of the handshake.
    HandshakeAck,
    /// Application data (the ACK rides along when one was owed).
    Data {
        piggybacked_ack: bool,
    },
    /// The application closed its side.
    Fin {
        piggybacked_ack: bool,
        with_data: bool,
    },
    /// An ACK sent at once, and why.
    AckNow {
        reason: AckReason,
    },
    /// The delayed-ACK timer fired.
    DelayedAckTimer,
    /// The receive window opened after the application read.
    WindowUpdate,
    ZeroWindowProbe,
    Rst {
        reason: RstReason,
    },
    /// Anything the recorder could not classify.
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AckReason {
    /// A FIN is acknowledged at once.
    Fin,
    /// The Nth unacknowledged segment (or bytes) reached the threshold.
    EveryNth,
    OutOfOrder,
    FillsHole,
    Duplicate,
    /// An unacceptable segment is answered with an ACK (RFC 9293 3.10.7.4).
    Unacceptable,
    /// RFC 5961 challenge ACK.
    Challenge,
    /// The host acknowledges every segment at once (no delayed ACK).
    NoDelay,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RstReason {
    /// No socket for the segment (RFC 9293 3.10.7.1).
    ClosedPort,
    /// The application aborted.
    Abort,
    /// An unacceptable ACK in a non-synchronised state.
    BadAck,
    /// Data arrived after the application closed.
    DataAfterClose,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retransmission {
    /// The segment this one repeats (the most recent earlier transmission of
    /// the same sequence number), when the recorder found it.
    pub of_segment: Option<u32>,
    pub kind: RetxKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RetxKind {
    /// The retransmission timer expired; `backoff` is how many times the
    /// RTO has doubled (1 for the first timeout).
    Rto { backoff: u32 },
    /// Three duplicate ACKs (RFC 5681 3.2).
    Fast,
    /// A partial ACK during NewReno recovery (RFC 6582 3.2).
    PartialAck,
    /// SYN (or SYN-ACK) sent again; `attempt` 2 is the first retry.
    Syn { attempt: u32 },
}

/// A socket's send and receive variables (RFC 9293 3.3.1) and congestion
/// state, as the sender had them right after a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConnVars {
    pub snd_una: SeqNumber,
    pub snd_nxt: SeqNumber,
    pub snd_wnd: u32,
    pub rcv_nxt: SeqNumber,
    pub rcv_wnd: u32,
    pub cwnd: u32,
    pub ssthresh: u32,
    pub rto: Duration,
}

/// The eleven states of RFC 9293 3.3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING-KEBAB-CASE")]
pub enum TcpState {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

impl TcpState {
    /// The RFC's spelling: `SYN-SENT`, `TIME-WAIT`.
    pub fn name(self) -> &'static str {
        match self {
            TcpState::Closed => "CLOSED",
            TcpState::Listen => "LISTEN",
            TcpState::SynSent => "SYN-SENT",
            TcpState::SynReceived => "SYN-RECEIVED",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait1 => "FIN-WAIT-1",
            TcpState::FinWait2 => "FIN-WAIT-2",
            TcpState::CloseWait => "CLOSE-WAIT",
            TcpState::Closing => "CLOSING",
            TcpState::LastAck => "LAST-ACK",
            TcpState::TimeWait => "TIME-WAIT",
        }
    }
}

impl std::fmt::Display for TcpState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Something that happened at a moment of the run, other than a segment
/// being sent (segments carry their own fate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub time: Instant,
    /// How many segments had been sent when this happened: the player shows
    /// an event with the step it belongs to.
    pub after_segment: u32,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum EventKind {
    /// A socket changed state; `segment` is the one that caused it, if any.
    SocketState {
        socket: u32,
        from: TcpState,
        to: TcpState,
        cause: String,
        segment: Option<u32>,
    },
    /// A TCP timer fired.
    Timer { socket: u32, timer: TimerKind },
    /// TCP refused a segment (out of window, bad ACK, ...).
    SegmentRejected {
        socket: Option<u32>,
        segment: u32,
        reason: String,
    },
    /// A NAT rewrote a segment on its way.
    Rewritten {
        segment: u32,
        node: u32,
        src: SocketAddrV4,
        dst: SocketAddrV4,
        note: String,
    },
    /// Something an application did or said.
    App {
        node: u32,
        app: String,
        what: AppEvent,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TimerKind {
    DelayedAck,
    Retransmit { backoff: u32 },
    Persist,
    TimeWait,
    Keepalive,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum AppEvent {
    /// A line the user typed at a prompt.
    Typed { line: String },
    /// A line the program printed (the client's transcript).
    Transcript { line: String },
    /// A protocol command sent or received.
    Command { text: String, sent: bool },
    /// A protocol reply sent or received.
    Reply { code: u16, text: String, sent: bool },
    /// A transfer finished.
    Transfer { name: String, bytes: u64 },
    /// Anything else worth showing.
    Note { text: String },
}

/// Payload bytes serialise as text when they are valid UTF-8 (all of FTP's
/// control traffic) and as an array of numbers otherwise, so a JSON trace
/// stays readable.
mod bytes_as_text {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Repr<'a> {
        Text(std::borrow::Cow<'a, str>),
        Bytes(Vec<u8>),
    }

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(bytes) {
            Ok(t) => Repr::Text(t.into()).serialize(s),
            Err(_) => Repr::Bytes(bytes.to_vec()).serialize(s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        Ok(match Repr::deserialize(d)? {
            Repr::Text(t) => t.into_owned().into_bytes(),
            Repr::Bytes(b) => b,
        })
    }
}

/// The methods that take a segment accept it by value or by reference
/// (segments come out of [`crate::Segments`] as values).
impl Trace {
    /// The payload bytes of a segment, from its sender's stream.
    pub fn payload(&self, seg: impl std::borrow::Borrow<Segment>) -> &[u8] {
        let seg = seg.borrow();
        if seg.payload_len == 0 {
            return &[];
        }
        let Some(conn) = seg.conn.and_then(|c| self.conns.get(c as usize)) else {
            return &[];
        };
        let Some(stream) =
            conn.streams[usize::from(seg.dir & 1)].and_then(|s| self.streams.get(s as usize))
        else {
            return &[];
        };
        let bytes = stream.get(seg.payload_offset, seg.payload_len as usize);
        if bytes.len() == seg.payload_len as usize {
            bytes
        } else {
            &[]
        }
    }

    /// The sequence number relative to its sender's ISN, as Wireshark shows
    /// it (the SYN is 0, the first data byte 1).
    pub fn rel_seq(&self, seg: impl std::borrow::Borrow<Segment>) -> Option<u32> {
        let seg = seg.borrow();
        let isn = self.isn(seg.conn?, seg.dir)?;
        Some(seg.seq.get().wrapping_sub(isn.get()))
    }

    /// The acknowledgement number relative to the receiver's ISN.
    pub fn rel_ack(&self, seg: impl std::borrow::Borrow<Segment>) -> Option<u32> {
        let seg = seg.borrow();
        let isn = self.isn(seg.conn?, 1 - (seg.dir & 1))?;
        Some(seg.ack?.get().wrapping_sub(isn.get()))
    }

    /// The ISN of direction `dir` of connection `conn`.
    pub fn isn(&self, conn: u32, dir: u8) -> Option<SeqNumber> {
        let c = self.conns.get(conn as usize)?;
        if dir == 0 {
            c.initiator_isn
        } else {
            c.responder_isn
        }
    }

    /// The node a segment was sent by, by name.
    pub fn node_name(&self, node: u32) -> &str {
        self.nodes
            .get(node as usize)
            .map_or("?", |n| n.name.as_str())
    }

    /// The connection's label, or `-` for a segment outside any connection
    /// (an RST to a closed port).
    pub fn conn_label(&self, seg: impl std::borrow::Borrow<Segment>) -> &str {
        let seg = seg.borrow();
        seg.conn
            .and_then(|c| self.conns.get(c as usize))
            .map_or("-", |c| c.label.as_str())
    }
}
