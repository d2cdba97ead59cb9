//! One connection's TCB (RFC 9293 3.3.1) and its event processing
//! (RFC 9293 3.10): what happens when a segment arrives, when a timer
//! expires, when the application calls, and which segment goes out next.
//!
//! The [`Endpoint`](crate::Endpoint) owns the connections, demultiplexes
//! segments to them and turns the [`Plan`]s built here into `Transmit`s.
//!
//! Sequence variables follow the RFC's names, plus BSD's `snd_max`: the
//! highest sequence number sent so far. After a retransmission timeout
//! SND.NXT goes back to SND.UNA and everything is sent again (go-back-N),
//! while acceptability checks use `snd_max`.

use std::collections::VecDeque;
use std::net::SocketAddrV4;

use netstep_wire::{Duration, Instant, SeqNumber, TcpFlags, TcpOptions, TcpRepr};

use crate::profile::{AckEvery, Profile};
use crate::ring::{Assembler, Ring};
use crate::types::*;

/// RFC 9293 3.7.1: "the default ... is 536" when the peer sends no MSS
/// option.
const DEFAULT_MSS: usize = 536;
/// A floor on the effective MSS, so an absurd MSS option cannot make us
/// send one-byte segments forever (Linux's TCP_MIN_MSS is 88).
const MIN_MSS: usize = 64;
/// RFC 7323 2.3: a shift count above 14 is treated as 14.
const MAX_WSCALE: u8 = 14;
/// Bytes the timestamps option takes on every segment (RFC 7323 3.2, with
/// two NOPs), which RFC 9293 3.7.1 subtracts from the effective MSS.
const TS_OPTION_LEN: usize = 12;

/// A segment the connection wants sent: header fields and where its
/// payload lies in the send buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub seq: SeqNumber,
    pub ack: Option<SeqNumber>,
    pub flags: TcpFlags,
    pub window: u16,
    /// The timestamps option (TSval, TSecr), the only option a segment
    /// other than a SYN carries. A SYN's options come from
    /// [`Conn::syn_options`] when the segment is built: they depend on
    /// nothing `dispatch` or the bookkeeping after it changes, and keeping
    /// a whole `TcpOptions` here made every copy of a plan twice as large.
    pub ts: Option<(u32, u32)>,
    /// Offset of the payload in the send buffer.
    pub payload_offset: usize,
    pub payload_len: usize,
    pub cause: TxCause,
    pub retransmission: Option<Retransmission>,
}

/// A RST to send in reply to a segment or on abort.
#[derive(Debug, Clone, Copy)]
struct PendingRst {
    seq: SeqNumber,
    ack: Option<SeqNumber>,
    reason: RstReason,
}

pub(crate) type Events = VecDeque<Event>;

#[derive(Debug, Clone)]
pub(crate) struct Conn {
    pub(crate) id: ConnId,
    pub(crate) local: SocketAddrV4,
    pub(crate) remote: SocketAddrV4,
    pub(crate) state: State,
    /// The listener that created this connection (a passive open).
    pub(crate) listener: Option<ListenerId>,

    // Endpoint bookkeeping.
    /// On the endpoint's transmit queue.
    pub(crate) queued: bool,
    /// Generation of this connection's entry in the endpoint's timer heap.
    pub(crate) timer_gen: u32,
    /// The deadline registered in the endpoint's timer heap.
    pub(crate) registered: Option<Instant>,
    /// Present in the endpoint's demultiplexing table and port counts.
    pub(crate) bound: bool,
    /// An input of `update_timers` changed without it running after
    /// (only `set_nodelay` does that): the next write that takes nothing
    /// must still run the bookkeeping.
    pub(crate) timers_stale: bool,

    // Send sequence space (RFC 9293 3.3.1, Figure 3).
    iss: SeqNumber,
    snd_una: SeqNumber,
    snd_nxt: SeqNumber,
    snd_max: SeqNumber,
    /// Send window in bytes (already scaled).
    snd_wnd: u32,
    snd_wl1: SeqNumber,
    snd_wl2: SeqNumber,
    /// The largest window the peer ever offered (RFC 9293 3.8.6.2.1's
    /// Max(SND.WND), RFC 5961 5.2's MAX.SND.WND).
    max_snd_wnd: u32,

    // Receive sequence space (Figure 4).
    irs: SeqNumber,
    rcv_nxt: SeqNumber,
    /// The right edge of the window we last advertised: RCV.NXT + RCV.WND.
    rcv_adv: SeqNumber,
    /// RCV.NXT as carried by the last segment we sent (RFC 7323's
    /// Last.ACK.sent).
    last_ack_sent: SeqNumber,

    // Negotiated options.
    snd_wscale: u8,
    rcv_wscale: u8,
    ws_enabled: bool,
    /// Effective send MSS (RFC 9293 3.7.1).
    mss: usize,
    sack_ok: bool,
    ts_enabled: bool,
    ts_recent: u32,
    ts_offset: u32,

    // Buffers.
    tx: Ring,
    /// Sequence number of the first byte in `tx`.
    tx_seq: SeqNumber,
    rx: Ring,
    asm: Assembler,
    /// A FIN that arrived beyond RCV.NXT, to process once the gap fills.
    ooo_fin: Option<SeqNumber>,
    fin_queued: bool,
    fin_received: bool,
    /// CLOSE in SYN-RECEIVED: queued until ESTABLISHED (RFC 9293 3.10.4).
    close_after_established: bool,
    nodelay: bool,

    // Timers (absolute deadlines).
    retx_at: Option<Instant>,
    delack_at: Option<Instant>,
    persist_at: Option<Instant>,
    time_wait_at: Option<Instant>,
    /// Consecutive retransmission timeouts of data (reset by new ACKs).
    retries: u32,
    /// SYN or SYN-ACK retransmissions so far.
    syn_attempts: u32,
    syn_retransmitted: bool,
    persist_backoff: u32,
    /// Persist expirations since the peer last sent an ACK.
    probes_unanswered: u32,

    // RTT estimation (RFC 6298).
    srtt: Option<Duration>,
    rttvar: Duration,
    rto: Duration,
    /// The segment being timed: its end and when it was sent (Karn's
    /// algorithm: never a retransmitted one).
    rtt_sample: Option<(SeqNumber, Instant)>,

    // Congestion control (RFC 5681, RFC 6582).
    cwnd: u32,
    ssthresh: u32,
    dup_acks: u32,
    recover: SeqNumber,
    in_recovery: bool,
    partial_acks: u32,

    // Acknowledgement state.
    /// Data segments received since our last ACK.
    segs_unacked: u32,
    quickacks: u32,
    ack_due: Option<TxCause>,

    // Pending transmissions.
    /// A SYN or SYN-ACK to (re)send, with its retransmission mark.
    need_syn: Option<Option<Retransmission>>,
    pending_rst: Option<PendingRst>,
    pending_retx: Option<Retransmission>,
    /// The mark of the first segment resent after a timeout.
    gbn_label: Option<RetxKind>,
    probe_due: bool,
    probing: bool,
    /// The persist timer expired with a small open window: send what fits
    /// (RFC 9293 3.8.6.2.1's override timeout).
    force_send: bool,
    syn_wnd_sent: u16,

    readable_signalled: bool,
    pub(crate) close_reason: Option<CloseReason>,
}

/// Everything needed to create a connection.
pub(crate) struct NewConn {
    pub id: ConnId,
    pub local: SocketAddrV4,
    pub remote: SocketAddrV4,
    pub iss: u32,
    pub ts_offset: u32,
    pub nodelay: Option<bool>,
    pub listener: Option<ListenerId>,
}

impl Conn {
    fn new(n: NewConn, state: State, prof: &Profile) -> Conn {
        let iss = SeqNumber(n.iss);
        Conn {
            id: n.id,
            local: n.local,
            remote: n.remote,
            state,
            listener: n.listener,
            queued: false,
            timer_gen: 0,
            registered: None,
            bound: false,
            timers_stale: false,
            iss,
            snd_una: iss,
            snd_nxt: iss,
            snd_max: iss,
            snd_wnd: 0,
            snd_wl1: SeqNumber(0),
            snd_wl2: iss,
            max_snd_wnd: 0,
            irs: SeqNumber(0),
            rcv_nxt: SeqNumber(0),
            rcv_adv: SeqNumber(0),
            last_ack_sent: SeqNumber(0),
            snd_wscale: 0,
            rcv_wscale: 0,
            ws_enabled: false,
            mss: usize::from(prof.mss).max(MIN_MSS),
            sack_ok: false,
            ts_enabled: false,
            ts_recent: 0,
            ts_offset: n.ts_offset,
            // A segment never carries more than our MSS (the effective MSS
            // is at most it): views of that size never rotate the ring.
            tx: Ring::with_mirror(prof.send_buffer, usize::from(prof.mss).max(MIN_MSS)),
            tx_seq: iss + 1,
            rx: Ring::new(prof.recv_buffer.max(1)),
            asm: Assembler::default(),
            ooo_fin: None,
            fin_queued: false,
            fin_received: false,
            close_after_established: false,
            nodelay: n.nodelay.unwrap_or(!prof.nagle),
            retx_at: None,
            delack_at: None,
            persist_at: None,
            time_wait_at: None,
            retries: 0,
            syn_attempts: 0,
            syn_retransmitted: false,
            persist_backoff: 0,
            probes_unanswered: 0,
            srtt: None,
            rttvar: Duration::ZERO,
            rto: clamp_rto(prof.syn_rto_initial, prof),
            rtt_sample: None,
            cwnd: 0,
            ssthresh: 0,
            dup_acks: 0,
            recover: iss,
            in_recovery: false,
            partial_acks: 0,
            segs_unacked: 0,
            quickacks: 0,
            ack_due: None,
            need_syn: Some(None),
            pending_rst: None,
            pending_retx: None,
            gbn_label: None,
            probe_due: false,
            probing: false,
            force_send: false,
            syn_wnd_sent: 0,
            readable_signalled: false,
            close_reason: None,
        }
    }

    /// OPEN, active (RFC 9293 3.10.1): a SYN goes out, state SYN-SENT.
    pub(crate) fn open_active(n: NewConn, prof: &Profile, ev: &mut Events) -> Conn {
        let mut c = Conn::new(n, State::Closed, prof);
        c.set_state(State::SynSent, StateCause::AppConnect, ev);
        c
    }

    /// A SYN reached a listener (RFC 9293 3.10.7.2, third check): "Set
    /// RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ ... ISS should be
    /// selected and a SYN segment sent of the form
    /// <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>". Data on the SYN is not kept
    /// (the peer sends it again); RFC 9293 allows either.
    pub(crate) fn open_passive(
        n: NewConn,
        seg: &TcpRepr<'_>,
        prof: &Profile,
        ev: &mut Events,
    ) -> Conn {
        let mut c = Conn::new(n, State::Listen, prof);
        c.irs = seg.seq_number;
        c.rcv_nxt = seg.seq_number + 1;
        c.rcv_adv = c.rcv_nxt;
        c.last_ack_sent = c.rcv_nxt;
        c.take_syn_options(seg, prof);
        // The window of a SYN is never scaled (RFC 7323 2.2).
        c.snd_wnd = u32::from(seg.window);
        c.max_snd_wnd = c.snd_wnd;
        c.snd_wl1 = seg.seq_number;
        c.set_state(State::SynReceived, StateCause::RecvSyn, ev);
        c
    }

    // ---------------------------------------------------------------
    // Small helpers.

    fn set_state(&mut self, to: State, cause: StateCause, ev: &mut Events) {
        let from = self.state;
        if from == to {
            return;
        }
        self.state = to;
        ev.push_back(Event::StateChanged {
            conn: self.id,
            from,
            to,
            cause,
        });
    }

    fn reject(&self, reason: RejectReason, ev: &mut Events) {
        ev.push_back(Event::SegmentRejected {
            conn: Some(self.id),
            reason,
        });
    }

    /// An ACK is owed now (not merely delayed).
    pub(crate) fn ack_pending(&self) -> bool {
        self.ack_due.is_some()
    }

    fn ack_now(&mut self, reason: AckReason) {
        if self.ack_due.is_none() {
            self.ack_due = Some(TxCause::AckNow(reason));
        }
    }

    /// Enters CLOSED and deletes the TCB's queues (RFC 9293 3.10.7.4:
    /// "all segment queues should be flushed" on reset). Unread data of a
    /// normal close stays readable.
    fn terminate(&mut self, cause: StateCause, reason: CloseReason, ev: &mut Events) {
        if self.state == State::Closed {
            return;
        }
        self.set_state(State::Closed, cause, ev);
        self.close_reason = Some(reason);
        self.retx_at = None;
        self.delack_at = None;
        self.persist_at = None;
        self.time_wait_at = None;
        self.need_syn = None;
        self.pending_retx = None;
        self.ack_due = None;
        self.probe_due = false;
        self.tx.release();
        if reason != CloseReason::Normal || self.rx.is_empty() {
            self.rx.release();
        }
        ev.push_back(Event::Closed {
            conn: self.id,
            reason,
        });
    }

    fn enter_time_wait(
        &mut self,
        now: Instant,
        prof: &Profile,
        cause: StateCause,
        ev: &mut Events,
    ) {
        self.set_state(State::TimeWait, cause, ev);
        // RFC 9293 3.10.7.4 eighth step: "Start the time-wait timer, turn
        // off the other timers."
        self.retx_at = None;
        self.persist_at = None;
        self.delack_at = None;
        self.pending_retx = None;
        self.probe_due = false;
        self.time_wait_at = Some(now + nonzero(prof.time_wait));
        self.tx.release();
    }

    #[inline]
    fn rcv_wnd(&self) -> usize {
        ahead(self.rcv_adv, self.rcv_nxt)
    }

    #[inline]
    fn data_end(&self) -> SeqNumber {
        self.tx_seq + self.tx.len()
    }

    fn fin_acked(&self) -> bool {
        self.fin_queued && self.snd_una > self.data_end()
    }

    /// Bytes queued but not yet sent (from SND.NXT).
    #[inline]
    fn unsent(&self) -> usize {
        ahead(self.data_end(), self.snd_nxt.max(self.tx_seq))
    }

    fn tsval(&self, now: Instant) -> u32 {
        // A millisecond clock with a per-connection random offset, as Linux
        // since 4.10 (RFC 7323 5.4 recommends randomising the start).
        ((now.as_nanos() / 1_000_000) as u32).wrapping_add(self.ts_offset)
    }

    #[inline]
    pub(crate) fn vars(&self) -> ConnVars {
        ConnVars {
            snd_una: self.snd_una,
            snd_nxt: self.snd_nxt,
            snd_max: self.snd_max,
            snd_wnd: self.snd_wnd,
            rcv_nxt: self.rcv_nxt,
            rcv_wnd: self.rcv_wnd() as u32,
            cwnd: self.cwnd,
            ssthresh: self.ssthresh,
            rto: self.rto,
        }
    }

    #[inline]
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        // Written out, branch-free: the iterator form
        // (`[..].into_iter().flatten().min()`) was 5% of a bulk transfer's
        // time, and a `match` on pairs of options still cost ~40
        // instructions on every segment. `None` counts as `u64::MAX`.
        #[inline(always)]
        fn key(t: Option<Instant>) -> u64 {
            t.map_or(u64::MAX, Instant::as_nanos)
        }
        let m = key(self.retx_at)
            .min(key(self.delack_at))
            .min(key(self.persist_at))
            .min(key(self.time_wait_at));
        let any = self.retx_at.is_some()
            | self.delack_at.is_some()
            | self.persist_at.is_some()
            | self.time_wait_at.is_some();
        any.then_some(Instant::from_nanos(m))
    }

    pub(crate) fn snapshot(&self) -> ConnSnapshot {
        let mut timers = Vec::new();
        if let Some(t) = self.retx_at {
            let kind = if matches!(self.state, State::SynSent | State::SynReceived) {
                TimerKind::SynRetry {
                    attempt: self.syn_attempts + 1,
                }
            } else {
                TimerKind::Retransmit {
                    backoff: self.retries + 1,
                }
            };
            timers.push((kind, t));
        }
        if let Some(t) = self.delack_at {
            timers.push((TimerKind::DelayedAck, t));
        }
        if let Some(t) = self.persist_at {
            timers.push((
                TimerKind::Persist {
                    backoff: self.persist_backoff + 1,
                },
                t,
            ));
        }
        if let Some(t) = self.time_wait_at {
            timers.push((TimerKind::TimeWait, t));
        }
        ConnSnapshot {
            conn: self.id,
            local: self.local,
            remote: self.remote,
            state: self.state,
            vars: self.vars(),
            iss: self.iss,
            irs: self.irs,
            mss: self.mss as u16,
            snd_wscale: self.ws_enabled.then_some(self.snd_wscale),
            rcv_wscale: self.ws_enabled.then_some(self.rcv_wscale),
            sack_permitted: self.sack_ok,
            timestamps: self.ts_enabled,
            nodelay: self.nodelay,
            srtt: self.srtt,
            rttvar: self.rttvar,
            dup_acks: self.dup_acks,
            in_fast_recovery: self.in_recovery,
            send_buffered: self.tx.len(),
            recv_buffered: self.rx.len(),
            timers,
            close_reason: self.close_reason,
        }
    }

    /// Options of the peer's SYN: MSS (RFC 9293 3.7.1), window scale
    /// (RFC 7323 2.2: "only if both sides sent it"), SACK-permitted
    /// (RFC 2018), timestamps (RFC 7323 3.2).
    fn take_syn_options(&mut self, seg: &TcpRepr<'_>, prof: &Profile) {
        let o = &seg.options;
        self.ws_enabled = prof.window_scale.is_some() && o.window_scale.is_some();
        if self.ws_enabled {
            self.snd_wscale = o.window_scale.unwrap_or(0).min(MAX_WSCALE);
            self.rcv_wscale = prof.window_scale.unwrap_or(0).min(MAX_WSCALE);
        } else {
            self.snd_wscale = 0;
            self.rcv_wscale = 0;
        }
        self.sack_ok = prof.sack_permitted && o.sack_permitted;
        self.ts_enabled = prof.timestamps && o.timestamps.is_some();
        if let Some((tsval, _)) = o.timestamps {
            self.ts_recent = tsval;
        }
        // RFC 9293 3.7.1: Eff.snd.MSS = min(SendMSS+20, MMS_S) - TCPhdrsize
        // - IPoptionsize, where the header size counts the options every
        // segment carries (timestamps).
        let peer = o.mss.map_or(DEFAULT_MSS, usize::from);
        let ts = if self.ts_enabled { TS_OPTION_LEN } else { 0 };
        self.mss = peer
            .min(usize::from(prof.mss))
            .saturating_sub(ts)
            .max(MIN_MSS);
    }

    pub(crate) fn syn_options(&self, now: Instant, prof: &Profile, synack: bool) -> TcpOptions {
        let mut o = TcpOptions::NONE;
        o.mss = Some(prof.mss);
        if synack {
            // RFC 7323 2.2, 3.2; RFC 2018 2: answer only what the SYN offered.
            if self.ws_enabled {
                o.window_scale = Some(self.rcv_wscale);
            }
            o.sack_permitted = self.sack_ok;
            if self.ts_enabled {
                o.timestamps = Some((self.tsval(now), self.ts_recent));
            }
        } else {
            o.window_scale = prof.window_scale.map(|s| s.min(MAX_WSCALE));
            o.sack_permitted = prof.sack_permitted;
            if prof.timestamps {
                o.timestamps = Some((self.tsval(now), 0));
            }
        }
        o
    }

    /// The options of a segment other than a SYN: timestamps, when
    /// negotiated (RFC 7323 3.2: on every segment).
    fn seg_ts(&self, now: Instant) -> Option<(u32, u32)> {
        self.ts_enabled.then(|| (self.tsval(now), self.ts_recent))
    }

    /// The window of a SYN or SYN-ACK: free buffer up to 65535 (never
    /// scaled, RFC 7323 2.2), rounded down to a multiple of our MSS as
    /// Windows and Linux (`tcp_select_initial_window`) do.
    fn syn_window(&self, prof: &Profile) -> u16 {
        let w = self.rx.free().min(0xffff);
        let m = usize::from(prof.mss).max(1);
        let w = if w > m { w - w % m } else { w };
        w as u16
    }

    /// The window to offer now, in bytes, with receiver-side silly window
    /// syndrome avoidance (RFC 9293 3.8.6.2.2): move the right edge only
    /// when it can move by min(RCV.BUFF/2, Eff.snd.MSS).
    fn window_to_offer(&self) -> usize {
        let free = self.rx.free();
        let cur = self.rcv_wnd().min(free);
        let step = (self.rx.capacity() / 2).min(self.mss);
        let w = if free >= cur + step { free } else { cur };
        w.min(0xffff << self.rcv_wscale)
    }

    /// The window field of the next segment; remembers the right edge.
    /// The edge never moves left (RFC 9293 3.8.6.2.2, RFC 7323 2.4).
    fn advertise(&mut self) -> u16 {
        let field = (self.window_to_offer() >> self.rcv_wscale) as u16;
        let edge = self.rcv_nxt + (usize::from(field) << self.rcv_wscale);
        if edge > self.rcv_adv {
            self.rcv_adv = edge;
        }
        field
    }

    /// Every segment we send carries the ACK (RFC 9293 3.8.6.3: "any
    /// segment ... that carries an ACK" satisfies a pending delayed ACK).
    fn on_ack_sent(&mut self) {
        self.ack_due = None;
        self.delack_at = None;
        self.segs_unacked = 0;
        self.last_ack_sent = self.rcv_nxt;
    }

    // ---------------------------------------------------------------
    // RTT estimation and RTO (RFC 6298).

    fn rtt_update(&mut self, r: Duration, prof: &Profile) {
        let r = r.as_nanos();
        let (srtt, rttvar) = match self.srtt {
            // RFC 6298 (2.2): SRTT <- R, RTTVAR <- R/2.
            None => (r, r / 2),
            // RFC 6298 (2.3): RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R'|,
            // SRTT <- 7/8 SRTT + 1/8 R'.
            Some(s) => {
                let s = s.as_nanos();
                let var = self.rttvar.as_nanos();
                ((7 * (s / 8)) + r / 8, 3 * (var / 4) + s.abs_diff(r) / 4)
            }
        };
        self.srtt = Some(Duration::from_nanos(srtt));
        self.rttvar = Duration::from_nanos(rttvar);
        // RFC 6298 (2.2/2.3): RTO <- SRTT + max(G, K*RTTVAR), K = 4; the
        // clock is exact here, so G only keeps RTO above SRTT.
        let rto = Duration::from_nanos(srtt.saturating_add((4 * rttvar).max(1)));
        self.rto = clamp_rto(rto, prof);
    }

    // ---------------------------------------------------------------
    // SEGMENT ARRIVES (RFC 9293 3.10.7).

    pub(crate) fn on_segment(
        &mut self,
        now: Instant,
        prof: &Profile,
        seg: &TcpRepr<'_>,
        ev: &mut Events,
    ) {
        if self.state == State::Established && self.on_segment_predicted(now, prof, seg, ev) {
            return;
        }
        match self.state {
            State::SynSent => self.on_segment_syn_sent(now, prof, seg, ev),
            State::Closed | State::Listen => {}
            _ => self.on_segment_synchronized(now, prof, seg, ev),
        }
    }

    /// RFC 9293 3.10.7.3: SYN-SENT STATE.
    fn on_segment_syn_sent(
        &mut self,
        now: Instant,
        prof: &Profile,
        seg: &TcpRepr<'_>,
        ev: &mut Events,
    ) {
        let flags = seg.flags;
        // First, check the ACK bit: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT,
        // send a reset (unless the RST bit is set, if so drop the segment
        // and return) <SEQ=SEG.ACK><CTL=RST>".
        if let Some(ack) = seg.ack_number
            && (ack <= self.iss || ack > self.snd_max)
        {
            if !flags.rst() {
                self.pending_rst = Some(PendingRst {
                    seq: ack,
                    ack: None,
                    reason: RstReason::SynSentBadAck,
                });
            }
            self.reject(RejectReason::SynSentBadAck, ev);
            return;
        }
        // Second, check the RST bit: with an acceptable ACK, "the user
        // should be warned, ... enter CLOSED state, delete TCB"; without
        // an ACK, drop (RFC 5961 3.2 keeps blind resets out).
        if flags.rst() {
            if seg.ack_number.is_some() {
                self.terminate(StateCause::RecvRst, CloseReason::Refused, ev);
            } else {
                self.reject(RejectReason::SynSentRstWithoutAck, ev);
            }
            return;
        }
        // Fourth, check the SYN bit.
        if !flags.syn() {
            self.reject(RejectReason::SynSentNoSyn, ev);
            return;
        }
        self.irs = seg.seq_number;
        self.rcv_nxt = seg.seq_number + 1;
        self.last_ack_sent = self.rcv_nxt;
        self.rcv_adv = self.rcv_nxt + usize::from(self.syn_wnd_sent);
        self.take_syn_options(seg, prof);
        self.snd_wnd = u32::from(seg.window);
        self.max_snd_wnd = self.snd_wnd;
        self.snd_wl1 = seg.seq_number;
        match seg.ack_number {
            Some(ack) => {
                // "If SND.UNA > ISS (our SYN has been ACKed), change the
                // connection state to ESTABLISHED, form an ACK segment
                // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it."
                self.snd_una = ack;
                self.snd_wl2 = ack;
                if let Some((end, t)) = self.rtt_sample
                    && ack >= end
                {
                    self.rtt_update(now - t, prof);
                    self.rtt_sample = None;
                }
                self.retx_at = None;
                self.enter_established(prof, StateCause::RecvSynAck, ev);
                self.ack_due = Some(TxCause::HandshakeAck);
                // "If there are other controls or text in the segment,
                // continue processing at the sixth step below".
                let seq = seg.seq_number + 1;
                if !seg.payload.is_empty() {
                    let room = self.rcv_wnd().min(self.rx.free());
                    let data = &seg.payload[..seg.payload.len().min(room)];
                    let fin = seg.flags.fin() && data.len() == seg.payload.len();
                    self.receive_data(now, prof, seq, data, ev);
                    if fin {
                        self.receive_fin(seq + data.len(), ev, now, prof);
                    }
                } else if seg.flags.fin() {
                    self.receive_fin(seq, ev, now, prof);
                }
            }
            None => {
                // Simultaneous open: "enter SYN-RECEIVED, form a SYN,ACK
                // segment <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it".
                // Text on the SYN is not kept (the peer sends it again).
                self.set_state(State::SynReceived, StateCause::RecvSyn, ev);
                self.need_syn = Some(None);
            }
        }
    }

    fn enter_established(&mut self, prof: &Profile, cause: StateCause, ev: &mut Events) {
        self.set_state(State::Established, cause, ev);
        let mss = self.mss as u32;
        // RFC 5681 3.1 / RFC 3390: the initial window; "if the SYN or
        // SYN/ACK is lost, the initial window used by a sender after a
        // correctly transmitted SYN MUST be one segment" (RFC 5681 3.1).
        self.cwnd = if self.syn_retransmitted {
            mss
        } else {
            mss.saturating_mul(prof.initial_cwnd_segments.max(1))
        };
        // RFC 5681 3.1: "ssthresh SHOULD be set arbitrarily high (e.g., to
        // the size of the largest possible advertised window)".
        self.ssthresh = 0xffff_u32 << self.snd_wscale;
        if self.srtt.is_none() {
            self.rto = clamp_rto(prof.rto_initial, prof);
            // RFC 6298 (5.7): after a SYN timeout, "the RTO MUST be
            // re-initialized to 3 seconds when data transmission begins".
            if self.syn_retransmitted && self.rto < Duration::from_secs(3) {
                self.rto = Duration::from_secs(3);
            }
        }
        self.retries = 0;
        self.quickacks = prof.quickack_segments;
        match self.listener {
            Some(listener) => ev.push_back(Event::Accepted {
                listener,
                conn: self.id,
            }),
            None => ev.push_back(Event::Connected { conn: self.id }),
        }
        if self.close_after_established {
            self.close_after_established = false;
            self.fin_queued = true;
            self.set_state(State::FinWait1, StateCause::AppClose, ev);
        }
    }

    /// RFC 9293 3.10.7.4: SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2,
    /// CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT.
    fn on_segment_synchronized(
        &mut self,
        now: Instant,
        prof: &Profile,
        seg: &TcpRepr<'_>,
        ev: &mut Events,
    ) {
        let flags = seg.flags;
        let rst = flags.rst();
        let mut seq = seg.seq_number;
        let mut syn = flags.syn();
        let mut fin = flags.fin();
        let mut payload = seg.payload;

        if self.state == State::SynReceived && syn && seq == self.irs && !rst {
            if seg.ack_number.is_none() {
                // The peer sent its SYN again: our SYN-ACK was lost. BSD
                // and Linux answer with the SYN-ACK again; RFC 9293's bare
                // ACK <SEQ=SND.NXT> would be dropped by a SYN-SENT peer.
                self.need_syn = Some(Some(Retransmission {
                    of_seq: self.iss,
                    kind: RetxKind::PeerRetransmittedSyn,
                }));
                return;
            }
            // Simultaneous open (RFC 9293 Figure 8, line 6): the SYN is
            // already known; drop it from the front and use the ACK.
            syn = false;
            seq += 1;
        }

        // First, check the sequence number (the acceptability table).
        let seg_len = payload.len() + usize::from(syn) + usize::from(fin);
        let wnd = self.rcv_wnd();
        let rcv_nxt = self.rcv_nxt;
        let in_window = |s: SeqNumber| s >= rcv_nxt && s < rcv_nxt + wnd;
        let acceptable = match (seg_len, wnd) {
            (0, 0) => seq == rcv_nxt,
            (0, _) => in_window(seq),
            (_, 0) => false,
            (n, _) => in_window(seq) || in_window(seq + (n - 1)),
        };
        let mut zero_window_probe = false;
        if !acceptable {
            if wnd == 0 && seq == rcv_nxt {
                // "If the RCV.WND is zero, no segments will be acceptable,
                // but special allowance should be made to accept valid
                // ACKs, URGs, and RSTs": keep the header, drop the text.
                zero_window_probe = true;
                payload = &[];
                syn = false;
                fin = false;
                self.reject(RejectReason::ZeroWindow, ev);
            } else {
                // "If an incoming segment is not acceptable, an
                // acknowledgment should be sent in reply (unless the RST
                // bit is set, if so drop the segment and return)".
                if rst {
                    self.reject(RejectReason::RstOutOfWindow, ev);
                    return;
                }
                let old = seg_len > 0 && seq + seg_len <= rcv_nxt;
                if old {
                    self.reject(RejectReason::Duplicate, ev);
                    self.ack_now(AckReason::DuplicateSegment);
                } else {
                    self.reject(RejectReason::OutOfWindow, ev);
                    self.ack_now(AckReason::OutOfWindow);
                }
                // TIME-WAIT: "The only thing that can arrive in this state
                // is a retransmission of the remote FIN. Acknowledge it,
                // and restart the 2 MSL timeout."
                if self.state == State::TimeWait && fin && !syn {
                    self.time_wait_at = Some(now + nonzero(prof.time_wait));
                }
                return;
            }
        }
        if !zero_window_probe {
            // Trim what lies before RCV.NXT ("only the new parts are
            // processed") and beyond the window (or our buffer).
            if seq < rcv_nxt {
                let mut k = rcv_nxt - seq;
                if syn {
                    syn = false;
                    k -= 1;
                }
                let cut = k.min(payload.len());
                payload = &payload[cut..];
                seq = rcv_nxt;
                if k > cut {
                    fin = false;
                }
            }
            let room_wnd = if rcv_nxt + wnd > seq {
                (rcv_nxt + wnd) - seq
            } else {
                0
            };
            let offset = seq - rcv_nxt;
            let room_buf = self.rx.free().saturating_sub(offset);
            let room = room_wnd.min(room_buf);
            if payload.len() > room {
                payload = &payload[..room];
                fin = false;
            }
        }

        // Second, check the RST bit (RFC 5961 3.2 as RFC 9293 adopts it):
        // "If the RST bit is set and the sequence number exactly matches
        // the next expected sequence number (RCV.NXT), then TCP MUST reset
        // the connection"; otherwise send a challenge ACK.
        if rst {
            if seg.seq_number != rcv_nxt {
                self.reject(RejectReason::RstNotExact, ev);
                self.ack_now(AckReason::ChallengeAck);
                return;
            }
            let reason = match self.state {
                // "If this connection was initiated with an active OPEN
                // (i.e., came from SYN-SENT state), then the connection was
                // refused"; a passive one returns to LISTEN (the listener
                // is still there, this TCB goes).
                State::SynReceived if self.listener.is_none() => CloseReason::Refused,
                _ => CloseReason::Reset,
            };
            self.terminate(StateCause::RecvRst, reason, ev);
            return;
        }

        // Fourth, check the SYN bit.
        if syn {
            if self.state == State::SynReceived && self.listener.is_some() {
                // "If the connection was initiated with a passive OPEN,
                // then return this connection to the LISTEN state".
                self.terminate(StateCause::RecvSynInWindow, CloseReason::Reset, ev);
                return;
            }
            // RFC 5961 4.2: "TCP MUST send an ACK (challenge ACK) to the
            // remote peer" and drop the segment.
            self.reject(RejectReason::SynInSynchronizedState, ev);
            self.ack_now(AckReason::ChallengeAck);
            return;
        }

        // Fifth, check the ACK field: "if the ACK bit is off, drop the
        // segment and return".
        let Some(ack) = seg.ack_number else {
            self.reject(RejectReason::NoAck, ev);
            return;
        };
        if self.state == State::SynReceived {
            // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED
            // state ... If the segment acknowledgment is not acceptable,
            // form a reset segment <SEQ=SEG.ACK><CTL=RST> and send it."
            if self.snd_una < ack && ack <= self.snd_max {
                if let Some((end, t)) = self.rtt_sample
                    && ack >= end
                {
                    self.rtt_update(now - t, prof);
                    self.rtt_sample = None;
                }
                self.retx_at = None;
                self.snd_una = ack;
                if self.snd_nxt < ack {
                    self.snd_nxt = ack;
                }
                // "SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK"
                self.snd_wnd = u32::from(seg.window) << self.snd_wscale;
                self.max_snd_wnd = self.max_snd_wnd.max(self.snd_wnd);
                self.snd_wl1 = seg.seq_number;
                self.snd_wl2 = ack;
                self.enter_established(prof, StateCause::RecvAckOfSyn, ev);
            } else {
                self.reject(RejectReason::SynReceivedBadAck, ev);
                self.pending_rst = Some(PendingRst {
                    seq: ack,
                    ack: None,
                    reason: RstReason::SynReceivedBadAck,
                });
                return;
            }
        }
        // RFC 9293 3.8.6.1: probing goes on while the peer answers.
        self.probes_unanswered = 0;
        if self.state != State::TimeWait && !self.process_ack(now, prof, seg, ack, ev) {
            return;
        }

        // RFC 7323 4.3: remember the peer's timestamp for our TSecr.
        if let Some((tsval, _)) = seg.options.timestamps
            && self.ts_enabled
            && tsval.wrapping_sub(self.ts_recent) as i32 >= 0
            && seg.seq_number <= self.last_ack_sent
        {
            self.ts_recent = tsval;
        }

        if zero_window_probe {
            self.ack_now(AckReason::ZeroWindowProbe);
            return;
        }

        // TIME-WAIT, eighth step: "Remain in the TIME-WAIT state.
        // Restart the 2 MSL time-wait timeout."
        if self.state == State::TimeWait {
            if fin {
                self.ack_now(AckReason::Fin);
                self.time_wait_at = Some(now + nonzero(prof.time_wait));
            }
            return;
        }

        // Sixth, the URG bit: urgent data is not supported; the pointer
        // is ignored and the bytes are ordinary data.

        // Seventh, process the segment text.
        if !payload.is_empty() {
            match self.state {
                State::Established | State::FinWait1 | State::FinWait2 => {
                    self.receive_data(now, prof, seq, payload, ev);
                }
                // "This should not occur since a FIN has been received from
                // the remote side. Ignore the segment text."
                _ => {
                    self.reject(RejectReason::DataAfterFin, ev);
                    return;
                }
            }
        }

        // Eighth, check the FIN bit.
        if fin {
            self.receive_fin(seq + payload.len(), ev, now, prof);
        }
    }

    /// Fifth step for a synchronized state other than TIME-WAIT, after
    /// SYN-RECEIVED's own test: the ACK's acceptability (RFC 9293, RFC 5961
    /// 5.2), new data acknowledged, duplicate ACKs, the send window.
    /// Returns false when the segment is dropped (or the connection
    /// closed) and processing stops. Inlined: for most segments (every
    /// data segment of a one-way transfer) the ACK is a repeat of
    /// SND.UNA and this is a few comparisons; an ACK of new data takes
    /// the out-of-line `on_new_ack`.
    #[inline(always)]
    fn process_ack(
        &mut self,
        now: Instant,
        prof: &Profile,
        seg: &TcpRepr<'_>,
        ack: SeqNumber,
        ev: &mut Events,
    ) -> bool {
        let flags = seg.flags;
        // "If the ACK acks something not yet sent (SEG.ACK > SND.NXT),
        // then send an ACK, drop the segment, and return."
        if ack > self.snd_max {
            self.reject(RejectReason::AckOfUnsentData, ev);
            self.ack_now(AckReason::AckOfUnsentData);
            return false;
        }
        // RFC 5961 5.2: the ACK must lie in
        // [SND.UNA - MAX.SND.WND, SND.NXT], else drop and ACK.
        if ack < self.snd_una - self.max_snd_wnd as usize {
            self.reject(RejectReason::AckTooOld, ev);
            self.ack_now(AckReason::AckTooOld);
            return false;
        }
        let seg_wnd = u32::from(seg.window) << self.snd_wscale;
        if ack > self.snd_una {
            self.on_new_ack(now, prof, ack, ev);
            if self.state == State::Closed {
                return false;
            }
        } else if ack == self.snd_una
            && seg.payload.is_empty()
            && !flags.fin()
            && !flags.syn()
            && seg_wnd == self.snd_wnd
            && self.snd_max > self.snd_una
            && !self.probing
        {
            // RFC 5681 2: a duplicate ACK.
            self.on_dup_ack(prof);
        }
        // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be
        // updated. If (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and
        // SND.WL2 =< SEG.ACK)), set SND.WND <- SEG.WND, set
        // SND.WL1 <- SEG.SEQ, and set SND.WL2 <- SEG.ACK."
        let s = seg.seq_number;
        if self.snd_una <= ack && (self.snd_wl1 < s || (self.snd_wl1 == s && self.snd_wl2 <= ack)) {
            let opened = self.snd_wnd == 0 && seg_wnd > 0;
            self.snd_wnd = seg_wnd;
            self.max_snd_wnd = self.max_snd_wnd.max(seg_wnd);
            self.snd_wl1 = s;
            self.snd_wl2 = ack;
            if opened {
                if self.probing && self.snd_max > self.snd_nxt {
                    // Forget the unacknowledged probe byte: it is sent
                    // again as data.
                    self.snd_max = self.snd_nxt;
                }
                self.probing = false;
                self.persist_backoff = 0;
                self.persist_at = None;
            }
        }
        true
    }

    /// Header prediction (Van Jacobson's, as in 4.4BSD `tcp_input` and
    /// Linux `tcp_rcv_established`): in ESTABLISHED, a segment with ACK
    /// and no SYN, FIN or RST, exactly at RCV.NXT, whose text fits the
    /// window and the buffer, passes every test of RFC 9293 3.10.7.4 that
    /// comes before the ACK: acceptable (first step), nothing to trim,
    /// no RST (second), no SYN (fourth). It goes straight to the fifth
    /// step and the text. Anything else (and timestamps to remember)
    /// takes the general path. Returns whether it handled the segment;
    /// tests check that the general path would have done the same.
    fn on_segment_predicted(
        &mut self,
        now: Instant,
        prof: &Profile,
        seg: &TcpRepr<'_>,
        ev: &mut Events,
    ) -> bool {
        let Some(ack) = seg.ack_number else {
            return false;
        };
        let flags = seg.flags;
        if flags.syn()
            || flags.fin()
            || flags.rst()
            || seg.seq_number != self.rcv_nxt
            || (self.ts_enabled && seg.options.timestamps.is_some())
        {
            return false;
        }
        let n = seg.payload.len();
        if n > 0 && n > self.rcv_wnd().min(self.rx.free()) {
            return false;
        }
        #[cfg(test)]
        let general = {
            let mut c = self.clone();
            let mut e = ev.clone();
            c.on_segment_synchronized(now, prof, seg, &mut e);
            (c, e)
        };
        self.probes_unanswered = 0;
        if self.process_ack(now, prof, seg, ack, ev) && n > 0 {
            match self.state {
                State::Established | State::FinWait1 | State::FinWait2 => {
                    self.receive_data(now, prof, seg.seq_number, seg.payload, ev);
                }
                _ => self.reject(RejectReason::DataAfterFin, ev),
            }
        }
        #[cfg(test)]
        {
            assert_eq!(format!("{:?}", general.0), format!("{self:?}"));
            assert_eq!(&general.1, ev);
        }
        true
    }

    /// Fifth step, an ACK of new data: SND.UNA <- SEG.ACK, "any segments on
    /// the retransmission queue that are thereby entirely acknowledged are
    /// removed", RTT, congestion window, timers, FIN-acknowledged state
    /// changes.
    #[inline(never)]
    fn on_new_ack(&mut self, now: Instant, prof: &Profile, ack: SeqNumber, ev: &mut Events) {
        let old_una = self.snd_una;
        let syn_acked = old_una == self.iss;
        let acked = (ack - old_una) - usize::from(syn_acked);
        // RFC 6298 3 (Karn): only segments never retransmitted are timed.
        if let Some((end, t)) = self.rtt_sample
            && ack >= end
        {
            self.rtt_update(now - t, prof);
            self.rtt_sample = None;
        }
        if ack > self.tx_seq {
            let n = (ack - self.tx_seq).min(self.tx.len());
            self.tx.drop_front(n);
            self.tx_seq += n;
            self.tx.rewind_if_empty();
        }
        self.snd_una = ack;
        if self.snd_nxt < ack {
            self.snd_nxt = ack;
        }
        self.retries = 0;
        let restart_timer = self.on_ack_cwnd(ack, acked);
        // RFC 6298 (5.2): "When all outstanding data has been acknowledged,
        // turn off the retransmission timer." (5.3): "When an ACK is
        // received that acknowledges new data, restart the retransmission
        // timer so that it will expire after RTO seconds".
        if self.snd_una == self.snd_max {
            self.retx_at = None;
        } else if restart_timer {
            self.retx_at = Some(now + self.rto);
        }

        let data_end = self.data_end();
        let fin_now_acked = self.fin_queued && old_una <= data_end && ack > data_end;
        if self.snd_una == self.snd_max
            && self.unsent() == 0
            && (!self.fin_queued || fin_now_acked)
            && ack > self.iss + 1
        {
            ev.push_back(Event::AllAcked { conn: self.id });
        }
        if fin_now_acked {
            match self.state {
                // FIN-WAIT-1: "if the FIN segment is now acknowledged, then
                // enter FIN-WAIT-2 and continue processing in that state".
                State::FinWait1 => {
                    self.set_state(State::FinWait2, StateCause::RecvAckOfFin, ev);
                }
                // CLOSING: "if the ACK acknowledges our FIN, then enter the
                // TIME-WAIT state".
                State::Closing => {
                    self.enter_time_wait(now, prof, StateCause::RecvAckOfFin, ev);
                }
                // LAST-ACK: "If our FIN is now acknowledged, delete the TCB,
                // enter the CLOSED state, and return."
                State::LastAck => {
                    self.terminate(StateCause::RecvAckOfFin, CloseReason::Normal, ev);
                }
                _ => {}
            }
        }
    }

    /// Slow start, congestion avoidance and NewReno on an ACK of new data.
    /// Returns whether the retransmission timer restarts (RFC 6582 3.2 step
    /// 5: only for the first partial ACK).
    fn on_ack_cwnd(&mut self, ack: SeqNumber, acked: usize) -> bool {
        let mss = self.mss as u32;
        let acked = acked.min(u32::MAX as usize) as u32;
        if self.in_recovery {
            if ack >= self.recover {
                // RFC 6582 3.2 step 3, full acknowledgment: "Set cwnd to
                // min (ssthresh, max(FlightSize, SMSS) + SMSS)".
                let flight = (self.snd_max - ack) as u32;
                self.cwnd = self.ssthresh.min(flight.max(mss) + mss);
                self.in_recovery = false;
                self.dup_acks = 0;
                return true;
            }
            // Step 5, partial acknowledgment: "retransmit the first
            // unacknowledged segment ... deflate the congestion window by
            // the amount of new data acknowledged ... If the partial ACK
            // acknowledges at least one SMSS of new data, then add back
            // SMSS bytes".
            self.pending_retx = Some(Retransmission {
                of_seq: ack,
                kind: RetxKind::NewRenoPartialAck,
            });
            self.rtt_sample = None;
            self.cwnd = self.cwnd.saturating_sub(acked);
            if acked >= mss {
                self.cwnd += mss;
            }
            self.cwnd = self.cwnd.max(mss);
            self.partial_acks += 1;
            return self.partial_acks == 1;
        }
        self.dup_acks = 0;
        if self.cwnd < self.ssthresh {
            // RFC 5681 (2): slow start, cwnd += min(N, SMSS).
            self.cwnd = self.cwnd.saturating_add(acked.min(mss));
        } else {
            // RFC 5681 (3): congestion avoidance, cwnd += SMSS*SMSS/cwnd.
            let inc = (u64::from(mss) * u64::from(mss) / u64::from(self.cwnd.max(1))).max(1);
            self.cwnd = self.cwnd.saturating_add(inc as u32);
        }
        self.cwnd = self.cwnd.min(i32::MAX as u32);
        true
    }

    /// RFC 5681 3.2 and RFC 6582 3.2: fast retransmit and fast recovery.
    fn on_dup_ack(&mut self, prof: &Profile) {
        let mss = self.mss as u32;
        self.dup_acks += 1;
        if self.in_recovery {
            // RFC 6582 3.2 step 4: "For each additional duplicate ACK
            // received ... increment cwnd by SMSS."
            self.cwnd = self.cwnd.saturating_add(mss);
            return;
        }
        if self.dup_acks != prof.dup_ack_threshold.max(1) {
            return;
        }
        // RFC 6582 3.2 step 2: enter fast retransmit only "if the
        // Cumulative Acknowledgment field covers more than recover".
        if self.snd_una <= self.recover && self.recover != self.iss {
            return;
        }
        let flight = (self.snd_max - self.snd_una) as u32;
        // RFC 5681 (4): ssthresh = max (FlightSize / 2, 2*SMSS).
        self.ssthresh = (flight / 2).max(2 * mss);
        self.recover = self.snd_max;
        self.pending_retx = Some(Retransmission {
            of_seq: self.snd_una,
            kind: RetxKind::Fast,
        });
        // "cwnd = ssthresh + 3*SMSS" (RFC 5681 3.2 step 3).
        self.cwnd = self.ssthresh + 3 * mss;
        self.in_recovery = true;
        self.partial_acks = 0;
        self.rtt_sample = None;
    }

    /// Seventh step: text in ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2. `seq` is
    /// at or after RCV.NXT and the text fits the window and the buffer.
    fn receive_data(
        &mut self,
        now: Instant,
        prof: &Profile,
        seq: SeqNumber,
        data: &[u8],
        ev: &mut Events,
    ) {
        if data.is_empty() || seq < self.rcv_nxt {
            return;
        }
        let offset = seq - self.rcv_nxt;
        let written = self.rx.write_unqueued(offset, data);
        if written == 0 {
            return;
        }
        if offset > 0 {
            // RFC 5681 4.2: "A TCP receiver SHOULD send an immediate
            // duplicate ACK when an out-of-order segment arrives."
            if !self.asm.add(seq, seq + written) {
                self.reject(RejectReason::ReassemblyFull, ev);
            }
            self.ack_now(AckReason::OutOfOrder);
            return;
        }
        let had_holes = !self.asm.is_empty();
        let mut end = seq + written;
        while let Some(e) = self.asm.pop_front(end) {
            end = end.max(e);
        }
        let n = end - self.rcv_nxt;
        self.rx.commit(n);
        self.rcv_nxt = end;
        if !self.readable_signalled {
            self.readable_signalled = true;
            ev.push_back(Event::Readable { conn: self.id });
        }
        if had_holes {
            // RFC 5681 4.2: "an immediate ACK SHOULD be generated when a
            // segment arrives that fills in all or part of a gap".
            self.ack_now(AckReason::FillsHole);
        } else {
            self.schedule_ack(now, prof);
        }
        if self.ooo_fin == Some(self.rcv_nxt) {
            self.process_fin(now, prof, ev);
        }
    }

    /// Delayed ACK (RFC 1122 4.2.3.2, RFC 9293 3.8.6.3) for in-order data.
    fn schedule_ack(&mut self, now: Instant, prof: &Profile) {
        self.segs_unacked += 1;
        let Some(delay) = prof.delayed_ack else {
            self.ack_now(AckReason::NoDelay);
            return;
        };
        if self.quickacks > 0 {
            self.quickacks -= 1;
            self.ack_now(AckReason::QuickAck);
            return;
        }
        let due = match prof.ack_every {
            AckEvery::Segments(n) => self.segs_unacked >= n.max(1),
            AckEvery::FullSizedBytes(k) => {
                let unacked = if self.rcv_nxt > self.last_ack_sent {
                    self.rcv_nxt - self.last_ack_sent
                } else {
                    0
                };
                unacked >= (k.max(1) as usize).saturating_mul(self.mss)
            }
        };
        if due {
            self.ack_now(AckReason::EveryNth);
        } else if self.delack_at.is_none() {
            // RFC 9293 3.8.6.3: "the delay MUST be less than 0.5 seconds";
            // the timer starts with the first unacknowledged segment and
            // is not pushed back by later ones.
            self.delack_at = Some(now + nonzero(delay));
        }
    }

    fn receive_fin(&mut self, fin_seq: SeqNumber, ev: &mut Events, now: Instant, prof: &Profile) {
        if self.fin_received {
            return;
        }
        if fin_seq == self.rcv_nxt {
            self.process_fin(now, prof, ev);
        } else if fin_seq > self.rcv_nxt {
            self.ooo_fin = Some(fin_seq);
            self.ack_now(AckReason::OutOfOrder);
        }
    }

    /// Eighth step: "advance RCV.NXT over the FIN, and send an
    /// acknowledgment for the FIN", then the state change.
    fn process_fin(&mut self, now: Instant, prof: &Profile, ev: &mut Events) {
        self.rcv_nxt += 1;
        // The FIN takes a sequence number but no buffer space: the right
        // edge moves with it, so the window offered stays the same.
        self.rcv_adv += 1;
        self.fin_received = true;
        self.ooo_fin = None;
        self.asm.clear();
        self.ack_now(AckReason::Fin);
        ev.push_back(Event::PeerFin { conn: self.id });
        match self.state {
            State::SynReceived | State::Established => {
                self.set_state(State::CloseWait, StateCause::RecvFin, ev);
            }
            // "If our FIN has been ACKed (perhaps in this segment), then
            // enter TIME-WAIT ...; otherwise, enter the CLOSING state."
            State::FinWait1 => {
                if self.fin_acked() {
                    self.enter_time_wait(now, prof, StateCause::RecvFin, ev);
                } else {
                    self.set_state(State::Closing, StateCause::RecvFin, ev);
                }
            }
            State::FinWait2 => self.enter_time_wait(now, prof, StateCause::RecvFin, ev),
            _ => {}
        }
    }

    // ---------------------------------------------------------------
    // TIMEOUTS (RFC 9293 3.10.8).

    pub(crate) fn on_timeout(&mut self, now: Instant, prof: &Profile, ev: &mut Events) {
        if self.time_wait_at.is_some_and(|t| t <= now) {
            // "If the time-wait timeout expires on a connection, delete the
            // TCB, enter the CLOSED state, and return."
            self.time_wait_at = None;
            ev.push_back(Event::TimerFired {
                conn: self.id,
                timer: TimerKind::TimeWait,
            });
            self.terminate(StateCause::TimeWaitExpired, CloseReason::Normal, ev);
            return;
        }
        if self.delack_at.is_some_and(|t| t <= now) {
            self.delack_at = None;
            ev.push_back(Event::TimerFired {
                conn: self.id,
                timer: TimerKind::DelayedAck,
            });
            if self.rcv_nxt != self.last_ack_sent && self.ack_due.is_none() {
                self.ack_due = Some(TxCause::DelayedAckTimer);
            }
        }
        if self.retx_at.is_some_and(|t| t <= now) {
            self.retx_at = None;
            if matches!(self.state, State::SynSent | State::SynReceived) {
                self.on_syn_timeout(prof, ev);
            } else {
                self.on_rto(prof, ev);
            }
            if self.state == State::Closed {
                return;
            }
        }
        if self.persist_at.is_some_and(|t| t <= now) {
            self.persist_at = None;
            self.persist_backoff += 1;
            ev.push_back(Event::TimerFired {
                conn: self.id,
                timer: TimerKind::Persist {
                    backoff: self.persist_backoff,
                },
            });
            // RFC 9293 3.8.6.1: "the sending TCP MUST allow the connection
            // to stay open" while the receiver keeps answering; a peer
            // that stopped answering times out like unanswered data
            // (Linux tcp_probe_timer).
            self.probes_unanswered += 1;
            if self.probes_unanswered > prof.data_retries {
                self.terminate(StateCause::RetransmitLimit, CloseReason::TimedOut, ev);
                return;
            }
            // Probe a zero window; with a small open window, 3.8.6.2.1's
            // override timeout sends what fits.
            if self.snd_wnd == 0 {
                self.probe_due = true;
            } else {
                self.force_send = true;
            }
        }
    }

    fn on_syn_timeout(&mut self, prof: &Profile, ev: &mut Events) {
        self.syn_attempts += 1;
        ev.push_back(Event::TimerFired {
            conn: self.id,
            timer: TimerKind::SynRetry {
                attempt: self.syn_attempts,
            },
        });
        let limit = if self.state == State::SynSent {
            prof.syn_retries
        } else {
            prof.synack_retries
        };
        if self.syn_attempts > limit {
            self.terminate(StateCause::RetransmitLimit, CloseReason::TimedOut, ev);
            return;
        }
        // RFC 6298 (5.5): "The host MUST set RTO <- RTO * 2 ("back off the
        // timer")".
        self.rto = clamp_rto(self.rto.saturating_mul(2), prof);
        self.syn_retransmitted = true;
        self.rtt_sample = None;
        self.need_syn = Some(Some(Retransmission {
            of_seq: self.iss,
            kind: RetxKind::SynRetry {
                attempt: self.syn_attempts,
            },
        }));
    }

    /// RFC 6298 (5.4)-(5.6) and RFC 5681 3.1 after a data timeout; then
    /// go-back-N from SND.UNA.
    fn on_rto(&mut self, prof: &Profile, ev: &mut Events) {
        self.retries += 1;
        ev.push_back(Event::TimerFired {
            conn: self.id,
            timer: TimerKind::Retransmit {
                backoff: self.retries,
            },
        });
        // RFC 9293 3.8.3: past threshold R2, close the connection.
        if self.retries > prof.data_retries {
            self.terminate(StateCause::RetransmitLimit, CloseReason::TimedOut, ev);
            return;
        }
        let mss = self.mss as u32;
        if self.retries == 1 {
            // RFC 5681 (4), only when the segment "has not yet been resent
            // by way of the retransmission timer".
            let flight = (self.snd_max - self.snd_una) as u32;
            self.ssthresh = (flight / 2).max(2 * mss);
        }
        // RFC 5681 3.1: "cwnd MUST be set to no more than the loss window,
        // LW, which equals 1 full-sized segment".
        self.cwnd = mss;
        // RFC 6582 3.2 step 1 / 4: record recover, leave fast recovery.
        self.recover = self.snd_max;
        self.in_recovery = false;
        self.dup_acks = 0;
        self.pending_retx = None;
        // RFC 6298 (5.5): RTO <- RTO * 2.
        self.rto = clamp_rto(self.rto.saturating_mul(2), prof);
        self.rtt_sample = None;
        self.snd_nxt = self.snd_una;
        self.probing = false;
        self.gbn_label = Some(RetxKind::Rto {
            backoff: self.retries,
        });
    }

    /// Keeps the retransmission and persist timers consistent with what is
    /// in flight (RFC 6298 5.1-5.3, RFC 9293 3.8.6.1). Called after every
    /// change.
    #[inline(always)]
    pub(crate) fn update_timers(&mut self, now: Instant, prof: &Profile) {
        self.timers_stale = false;
        if !matches!(
            self.state,
            State::Established
                | State::CloseWait
                | State::FinWait1
                | State::FinWait2
                | State::Closing
                | State::LastAck
        ) {
            return;
        }
        let in_flight = self.snd_nxt > self.snd_una;
        if in_flight && !self.probing {
            self.persist_at = None;
            if self.retx_at.is_none() {
                // RFC 6298 (5.1): "Every time a packet containing data is
                // sent ... if the timer is not running, start it running so
                // that it will expire after RTO seconds".
                self.retx_at = Some(now + nonzero(self.rto));
            }
            return;
        }
        if !in_flight {
            self.retx_at = None;
        }
        // Data waits with nothing in flight (or only a probe byte): the
        // window is closed, or too small to send by the SWS rules.
        let pending = self.data_end().distance(self.snd_una.max(self.tx_seq)) > 0;
        let waiting = pending
            && self.state.sends_data()
            && (self.probing || !in_flight)
            && !self.would_send_data();
        if waiting {
            if self.persist_at.is_none() {
                // RFC 9293 3.8.6.1: the first probe after one RTO, then
                // "increase exponentially the interval between successive
                // probes".
                let shift = self.persist_backoff.min(16);
                let d = self
                    .rto
                    .saturating_mul(1 << shift)
                    .min(prof.rto_max)
                    .max(self.rto);
                self.persist_at = Some(now + nonzero(d));
            }
        } else {
            self.persist_at = None;
            if !self.probing {
                self.persist_backoff = 0;
            }
        }
    }

    /// Whether [`Conn::data_plan`] would send data now.
    #[inline]
    fn would_send_data(&self) -> bool {
        let unsent = self.unsent();
        if unsent == 0 || self.snd_nxt < self.tx_seq {
            return false;
        }
        let usable = self.usable_window();
        if self.snd_nxt < self.snd_max {
            usable > 0
        } else {
            self.sendable_len(unsent, usable) > 0
        }
    }

    // ---------------------------------------------------------------
    // USER CALLS (RFC 9293 3.10.2-3.10.5).

    pub(crate) fn send(&mut self, data: &[u8]) -> Result<usize, TcpError> {
        match self.state {
            // "queue the data for transmission after entering ESTABLISHED"
            // (SYN-SENT, SYN-RECEIVED) or "segmentize the buffer and send"
            // (ESTABLISHED, CLOSE-WAIT).
            State::SynSent | State::SynReceived | State::Established | State::CloseWait
                if !self.fin_queued && !self.close_after_established =>
            {
                // A writer calls until the buffer is full: the last call
                // takes nothing.
                if self.tx.free() == 0 {
                    return Ok(0);
                }
                Ok(self.tx.push(data))
            }
            State::Closed | State::Listen => Err(self.closed_error()),
            // "return 'error: connection closing'".
            _ => Err(TcpError::Closing),
        }
    }

    #[inline]
    pub(crate) fn send_capacity(&self) -> usize {
        self.tx.free()
    }

    pub(crate) fn recv(&mut self, buf: &mut [u8]) -> Result<usize, TcpError> {
        if self.close_reason.is_some_and(|r| r != CloseReason::Normal) {
            return Err(self.closed_error());
        }
        let n = self.rx.pop(buf);
        self.after_recv(n)
    }

    pub(crate) fn recv_append(&mut self, out: &mut Vec<u8>, max: usize) -> Result<usize, TcpError> {
        if self.close_reason.is_some_and(|r| r != CloseReason::Normal) {
            return Err(self.closed_error());
        }
        // Readers call until `Ok(0)`: every other call finds nothing.
        let n = if self.rx.is_empty() {
            0
        } else {
            self.rx.pop_append(out, max)
        };
        self.after_recv(n)
    }

    /// RECEIVE into `out`, replacing what it held: `recv_append` into an
    /// empty `out`, the same bytes and the same bookkeeping, but the bytes
    /// move by a trade of storage when they can (see [`Ring::exchange`]).
    /// They are `out[range]`.
    pub(crate) fn recv_exchange(
        &mut self,
        out: &mut Vec<u8>,
        max: usize,
    ) -> Result<core::ops::Range<usize>, TcpError> {
        // Bytes past the end wait for a hole to fill only while the
        // reassembly table holds ranges: without any, the storage past the
        // queued bytes holds nothing the connection needs. (An aborted
        // connection reads nothing: `recv_append` says why.)
        if self.asm.is_empty()
            && self.close_reason.is_none_or(|r| r == CloseReason::Normal)
            && let Some(range) = self.rx.exchange(out, max)
        {
            self.after_recv(range.len())?;
            return Ok(range);
        }
        out.clear();
        self.recv_append(out, max).map(|n| 0..n)
    }

    /// RECEIVE without a copy: up to `max` bytes as a slice of the bulk
    /// pattern's table, when the receive buffer holds the pattern by
    /// reference (see [`Ring`]); `Ok(None)`, reading nothing, when it
    /// keeps bytes or is empty. The same bookkeeping as `recv_append`.
    pub(crate) fn recv_shared(&mut self, max: usize) -> Result<Option<&'static [u8]>, TcpError> {
        if self.close_reason.is_some_and(|r| r != CloseReason::Normal) {
            return Err(self.closed_error());
        }
        let Some(bytes) = self.rx.take_shared(max) else {
            return Ok(None);
        };
        self.after_recv(bytes.len())?;
        Ok(Some(bytes))
    }

    #[inline]
    fn after_recv(&mut self, n: usize) -> Result<usize, TcpError> {
        self.readable_signalled = false;
        if self.asm.is_empty() {
            // Read empty, with nothing out of order past the end: the next
            // segments go in from the start of the storage, in one copy
            // each (the storage is only as large as the most ever held, a
            // few segments for a reader that keeps up, so it wrapped every
            // few segments, splitting both copies).
            self.rx.rewind_if_empty();
        }
        if n == 0 && self.state == State::Closed {
            return Err(self.closed_error());
        }
        if n > 0
            && matches!(
                self.state,
                State::Established | State::FinWait1 | State::FinWait2
            )
        {
            self.maybe_window_update();
        }
        Ok(n)
    }

    #[inline]
    pub(crate) fn recv_available(&self) -> usize {
        self.rx.len()
    }

    pub(crate) fn peer_closed(&self) -> bool {
        self.fin_received
    }

    /// After the application read: tell the peer about a window that
    /// opened a lot. Linux `tcp_cleanup_rbuf`: when the window we offered
    /// is at most half the buffer and the new one is at least twice it.
    fn maybe_window_update(&mut self) {
        let cur = self.rcv_wnd();
        if 2 * cur > self.rx.capacity() {
            return;
        }
        let new = self.window_to_offer();
        if (new >> self.rcv_wscale) > 0 && new >= 2 * cur && new > cur {
            self.ack_now(AckReason::WindowUpdate);
        }
    }

    fn closed_error(&self) -> TcpError {
        match self.close_reason {
            Some(CloseReason::Reset) => TcpError::ConnectionReset,
            Some(CloseReason::TimedOut) => TcpError::TimedOut,
            Some(CloseReason::Refused) => TcpError::Refused,
            _ => TcpError::NotConnected,
        }
    }

    pub(crate) fn set_nodelay(&mut self, on: bool) {
        self.nodelay = on;
        // Nagle decides whether waiting data arms the persist timer.
        self.timers_stale = true;
    }

    /// CLOSE (RFC 9293 3.10.4), which for us is also the half close.
    pub(crate) fn close(&mut self, ev: &mut Events) {
        match self.state {
            // "Delete the TCB and return 'error: closing' responses to any
            // queued SENDs".
            State::SynSent | State::Listen => {
                self.terminate(StateCause::AppClose, CloseReason::Aborted, ev);
            }
            // "If no SENDs have been issued and there is no pending data to
            // send, then form a FIN segment ...; otherwise, queue for
            // processing after entering ESTABLISHED state." Queued in both
            // cases here: the FIN follows the handshake's ACK.
            State::SynReceived => self.close_after_established = true,
            // "Queue this until all preceding SENDs have been segmentized,
            // then form a FIN segment and send it. In any case, enter
            // FIN-WAIT-1 state."
            State::Established => {
                self.fin_queued = true;
                self.set_state(State::FinWait1, StateCause::AppClose, ev);
            }
            // "Queue this request until all preceding SENDs have been
            // segmentized; then send a FIN segment, enter LAST-ACK state."
            State::CloseWait => {
                self.fin_queued = true;
                self.set_state(State::LastAck, StateCause::AppClose, ev);
            }
            // Already closing: "respond with 'error: connection closing'".
            _ => {}
        }
    }

    /// ABORT (RFC 9293 3.10.5).
    pub(crate) fn abort(&mut self, ev: &mut Events) {
        match self.state {
            // "Send a reset segment: <SEQ=SND.NXT><CTL=RST>".
            State::SynReceived
            | State::Established
            | State::FinWait1
            | State::FinWait2
            | State::CloseWait => {
                self.pending_rst = Some(PendingRst {
                    seq: self.snd_max,
                    ack: None,
                    reason: RstReason::Abort,
                });
                self.terminate(StateCause::AppAbort, CloseReason::Aborted, ev);
            }
            State::Closed => {}
            // LISTEN, SYN-SENT, CLOSING, LAST-ACK, TIME-WAIT: "respond with
            // 'ok' and delete the TCB".
            _ => self.terminate(StateCause::AppAbort, CloseReason::Aborted, ev),
        }
    }

    // ---------------------------------------------------------------
    // OUTPUT: the next segment, in a fixed order of kinds.

    /// Whether [`Conn::dispatch`] may return a segment. False only when it
    /// would surely return `None` and change nothing, so the endpoint need
    /// not queue the connection (nor call it again after a segment): a
    /// `dispatch` that finds nothing was two of them per segment of a bulk
    /// transfer. True is allowed to be wrong (dispatch then finds nothing).
    #[inline]
    pub(crate) fn may_send(&self) -> bool {
        // `dispatch` takes or clears each of these.
        if self.pending_rst.is_some()
            || self.ack_due.is_some()
            || self.need_syn.is_some()
            || self.pending_retx.is_some()
            || self.probe_due
            || self.force_send
        {
            return true;
        }
        self.state.sends_data() && self.data_plan_ready()
    }

    /// Whether [`Conn::data_plan`] would return a segment now: its own
    /// tests, without its side effects.
    #[inline(always)]
    fn data_plan_ready(&self) -> bool {
        if self.tx.is_empty() && !self.fin_queued {
            // Nothing queued, no FIN: `unsent` is 0 and there is no FIN.
            return false;
        }
        let s = self.snd_nxt;
        if s < self.tx_seq {
            return false;
        }
        let unsent = self.unsent();
        if unsent == 0 {
            return self.fin_queued && s <= self.data_end();
        }
        let usable = self.usable_window();
        if s < self.snd_max {
            // A go-back-N resend: `len` is positive iff the window is.
            usable > 0
        } else {
            self.sendable_len(unsent, usable) > 0
        }
    }

    /// Whether new data (or a FIN) is `dispatch`'s first choice if there is
    /// any: nothing comes before it (no RST, no SYN to send in these
    /// states, no fast or partial-ACK retransmission pending). Then
    /// [`Conn::dispatch_data`] is what `dispatch` would return when it
    /// has a segment.
    #[inline(always)]
    pub(crate) fn data_first(&self) -> bool {
        self.pending_rst.is_none() && self.pending_retx.is_none() && self.state.sends_data()
    }

    /// The new data `dispatch` would send, when [`Conn::data_first`]. On
    /// `None` nothing changed (`data_plan` changes nothing when it finds
    /// no segment): `dispatch` decides, told not to look for data again.
    #[inline(always)]
    pub(crate) fn dispatch_data(&mut self, now: Instant) -> Option<Plan> {
        debug_assert!(self.data_first());
        self.data_plan(now)
    }

    /// The next segment to send, in the fixed order of kinds (RST, SYN,
    /// retransmission, data and FIN, zero-window probe, pure ACK).
    /// `data_tried`: [`Conn::dispatch_data`] just found nothing, so the
    /// data step would find nothing again and is skipped.
    #[inline(always)]
    pub(crate) fn dispatch(
        &mut self,
        now: Instant,
        prof: &Profile,
        data_tried: bool,
    ) -> Option<Plan> {
        #[cfg(test)]
        if data_tried {
            assert!(self.data_first() && self.clone().data_plan(now).is_none());
        }
        if let Some(r) = self.pending_rst.take() {
            return Some(Plan {
                seq: r.seq,
                ack: r.ack,
                flags: TcpFlags::RST,
                window: 0,
                ts: None,
                payload_offset: 0,
                payload_len: 0,
                cause: TxCause::Rst(r.reason),
                retransmission: None,
            });
        }
        match self.state {
            State::Closed | State::Listen => return None,
            State::SynSent => {
                return self
                    .need_syn
                    .take()
                    .map(|retx| self.syn_plan(now, prof, false, retx));
            }
            State::SynReceived => {
                if let Some(retx) = self.need_syn.take() {
                    return Some(self.syn_plan(now, prof, true, retx));
                }
            }
            _ => {}
        }
        if let Some(r) = self.pending_retx.take()
            && let Some(p) = self.retx_plan(now, r)
        {
            return Some(p);
        }
        if self.state.sends_data() {
            if !data_tried && let Some(p) = self.data_plan(now) {
                return Some(p);
            }
            if self.probe_due {
                self.probe_due = false;
                if let Some(p) = self.probe_plan(now) {
                    return Some(p);
                }
            }
        }
        self.ack_plan(now)
    }

    /// `dispatch`'s last step: a pure ACK if one is owed. Whatever it
    /// returns, a probe or an override send not made by now is dropped.
    #[inline(always)]
    pub(crate) fn ack_plan(&mut self, now: Instant) -> Option<Plan> {
        self.probe_due = false;
        self.force_send = false;
        let cause = self.ack_due.take()?;
        let window = self.advertise();
        let ts = self.seg_ts(now);
        self.on_ack_sent();
        Some(Plan {
            seq: self.snd_max,
            ack: Some(self.rcv_nxt),
            flags: TcpFlags::NONE,
            window,
            ts,
            payload_offset: 0,
            payload_len: 0,
            cause,
            retransmission: None,
        })
    }

    /// A zero-window probe is due: after the data step, `dispatch` tries
    /// one before the ACK.
    #[inline(always)]
    pub(crate) fn probe_due(&self) -> bool {
        self.probe_due
    }

    fn syn_plan(
        &mut self,
        now: Instant,
        prof: &Profile,
        synack: bool,
        retx: Option<Retransmission>,
    ) -> Plan {
        let window = self.syn_window(prof);
        self.syn_wnd_sent = window;
        let ack = if synack {
            let edge = self.rcv_nxt + usize::from(window);
            if edge > self.rcv_adv {
                self.rcv_adv = edge;
            }
            self.on_ack_sent();
            Some(self.rcv_nxt)
        } else {
            None
        };
        self.snd_nxt = self.iss + 1;
        if self.snd_max < self.snd_nxt {
            self.snd_max = self.snd_nxt;
        }
        if retx.is_none() && !self.syn_retransmitted && self.rtt_sample.is_none() {
            self.rtt_sample = Some((self.iss + 1, now));
        }
        // RFC 6298 (5.1)/(5.6): (re)start the timer with the current RTO.
        self.retx_at = Some(now + nonzero(self.rto));
        Plan {
            seq: self.iss,
            ack,
            flags: TcpFlags::SYN,
            window,
            ts: None,
            payload_offset: 0,
            payload_len: 0,
            cause: if synack {
                TxCause::SynAck
            } else {
                TxCause::Syn
            },
            retransmission: retx,
        }
    }

    /// Fast retransmit or a NewReno partial-ACK retransmission: one segment
    /// from SND.UNA, regardless of cwnd (RFC 5681 3.2 step 3).
    fn retx_plan(&mut self, now: Instant, r: Retransmission) -> Option<Plan> {
        let s = self.snd_una;
        if s >= self.snd_max || s < self.tx_seq {
            return None;
        }
        let data_end = self.data_end();
        let len = if s < data_end {
            (data_end - s).min(self.mss).min(self.snd_max - s)
        } else {
            0
        };
        let fin = self.fin_queued && s + len == data_end && self.snd_max > data_end;
        if len == 0 && !fin {
            return None;
        }
        Some(self.segment_plan(
            now,
            s,
            len,
            fin,
            Some(Retransmission {
                of_seq: s,
                kind: r.kind,
            }),
        ))
    }

    #[inline]
    fn usable_window(&self) -> usize {
        let limit = self.snd_una + self.snd_wnd.min(self.cwnd).min(i32::MAX as u32) as usize;
        ahead(limit, self.snd_nxt)
    }

    /// How much new data to send now, or 0 to wait: sender-side SWS
    /// avoidance (RFC 9293 3.8.6.2.1) with Nagle (RFC 896, RFC 9293 3.7.4).
    #[inline(always)]
    fn sendable_len(&self, unsent: usize, usable: usize) -> usize {
        let idle = self.snd_max == self.snd_una;
        let m = unsent.min(usable);
        if m == 0 {
            0
        } else if m >= self.mss {
            // "(1) a maximum-sized segment can be sent".
            self.mss
        } else if unsent <= usable && (idle || self.nodelay || self.fin_queued) {
            // "(2) Data is PUSHed and all queued data can be sent now";
            // Nagle: a small segment only when nothing is unacknowledged,
            // or when it is the last one before the FIN: holding it back
            // gains nothing, since no more data can join it (Linux's
            // tcp_nagle_test: "Don't use the nagle rule for ... the final
            // FIN").
            unsent
        } else if idle && m >= (self.max_snd_wnd / 2) as usize {
            // "(3) at least a fraction Fs of the maximum window can be
            // sent", Fs = 1/2.
            m
        } else if self.force_send {
            // "(4) the override timeout occurs".
            m
        } else {
            0
        }
    }

    /// New data (and FIN) from SND.NXT; after a timeout, the go-back-N
    /// resend of what was sent before.
    #[inline(always)]
    fn data_plan(&mut self, now: Instant) -> Option<Plan> {
        let s = self.snd_nxt;
        if s < self.tx_seq {
            return None;
        }
        let data_end = self.data_end();
        let unsent = self.unsent();
        let fin_unsent = self.fin_queued && s <= data_end;
        if unsent == 0 && !fin_unsent {
            return None;
        }
        let resend = s < self.snd_max;
        let usable = self.usable_window();
        let len = if unsent == 0 {
            0
        } else if resend {
            unsent.min(self.snd_max - s).min(self.mss).min(usable)
        } else {
            self.sendable_len(unsent, usable)
        };
        if unsent > 0 && len == 0 {
            return None;
        }
        self.force_send = false;
        let fin = fin_unsent && s + len == data_end;
        let retx = resend.then(|| Retransmission {
            of_seq: s,
            kind: self.gbn_label.take().unwrap_or(RetxKind::GoBackN),
        });
        Some(self.segment_plan(now, s, len, fin, retx))
    }

    /// RFC 9293 3.8.6.1: one byte beyond a zero window. The byte counts as
    /// sent, so an ACK covering it is acceptable if the window opened.
    fn probe_plan(&mut self, now: Instant) -> Option<Plan> {
        let s = self.snd_una;
        if self.snd_wnd != 0 || s < self.tx_seq || s >= self.data_end() {
            return None;
        }
        self.probing = true;
        // As BSD: the probe advances snd_max (an ACK of the byte is
        // acceptable) but not SND.NXT, so once the window opens the byte
        // goes out again as ordinary data.
        let nxt = self.snd_nxt;
        let mut plan = self.segment_plan(now, s, 1, false, None);
        self.snd_nxt = nxt;
        self.rtt_sample = None;
        plan.cause = TxCause::ZeroWindowProbe;
        Some(plan)
    }

    /// A segment of `len` bytes from `s` (plus FIN), carrying the ACK.
    #[inline(always)]
    fn segment_plan(
        &mut self,
        now: Instant,
        s: SeqNumber,
        len: usize,
        fin: bool,
        retx: Option<Retransmission>,
    ) -> Plan {
        let data_end = self.data_end();
        let end = s + len + usize::from(fin);
        if self.snd_nxt < end {
            self.snd_nxt = end;
        }
        if self.snd_max < end {
            self.snd_max = end;
        }
        if retx.is_some() {
            // Karn: a retransmission makes any running sample ambiguous.
            self.rtt_sample = None;
        } else if self.rtt_sample.is_none() {
            self.rtt_sample = Some((end, now));
        }
        if self.retx_at.is_none() && !self.probing {
            self.retx_at = Some(now + nonzero(self.rto));
        }
        let mut flags = TcpFlags::NONE;
        // PSH when the segment empties the send queue (BSD tcp_output), so
        // the last segment of each application write when the application
        // writes one message at a time.
        if len > 0 && s + len == data_end {
            flags |= TcpFlags::PSH;
        }
        if fin {
            flags |= TcpFlags::FIN;
        }
        let window = self.advertise();
        let ts = self.seg_ts(now);
        self.on_ack_sent();
        Plan {
            seq: s,
            ack: Some(self.rcv_nxt),
            flags,
            window,
            ts,
            payload_offset: s - self.tx_seq,
            payload_len: len,
            cause: match (len, fin) {
                (0, _) => TxCause::Fin,
                (_, true) => TxCause::DataWithFin,
                _ => TxCause::Data,
            },
            retransmission: retx,
        }
    }

    #[inline]
    pub(crate) fn payload(&mut self, offset: usize, len: usize) -> &[u8] {
        self.tx.view(offset, len)
    }
}

/// Bytes from `from` forward to `to`, or 0 if `to` is not after `from`:
/// `if to > from { to - from } else { 0 }` without the subtraction's
/// check (the hot helpers below run several times a segment).
#[inline]
fn ahead(to: SeqNumber, from: SeqNumber) -> usize {
    to.distance(from).max(0) as usize
}

fn clamp_rto(rto: Duration, prof: &Profile) -> Duration {
    rto.max(prof.rto_min)
        .min(prof.rto_max.max(prof.rto_min))
        .max(Duration::from_nanos(1))
}

/// Timer durations are at least one nanosecond, so a deadline is always in
/// the future of the moment it is set.
fn nonzero(d: Duration) -> Duration {
    d.max(Duration::from_nanos(1))
}
