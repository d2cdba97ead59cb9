//! What every exporter reads off a run: who the client and the server are,
//! where each segment went (through which NATs, to which host, or where it
//! was lost), how it looked when it arrived, and the short label it gets
//! in a diagram.
//!
//! A NAT rewrites packets on their way, and the trace records a segment as
//! its sender wrote it plus one `Rewritten` event per NAT crossed. To show a
//! packet as the receiver saw it, [`Journeys`] replays those events the way
//! the simulator's NAT did: new addresses, the TTL the NAT decremented, and
//! for its FTP helper the rewritten `PORT` command and the sequence and
//! acknowledgement numbers shifted by the change in length (Linux's
//! nf_ct_seqadj, as `netstep-sim`'s middlebox module does it).
//!
//! Leaves out: TTL decrements by plain routers (the trace does not record
//! which routers a segment crossed), and rewrites the simulator does not do.

use crate::ExportError;
use crate::words;
use netstep_trace::{DropReason, EventKind, Fate, Lang, NodeKind, Segment, Trace, Unstaged};
use netstep_wire::{Instant, Ipv4Addr, SeqNumber};
use std::collections::BTreeMap;
use std::net::SocketAddrV4;

/// The two hosts a run is told from: the ends of its first connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    /// The host that opened the first connection (the FTP client).
    pub client: u32,
    /// The host it connected to (the FTP server).
    pub server: u32,
}

impl Roles {
    /// The initiator and the responder of the run's first connection.
    pub fn of(trace: &Trace) -> Result<Roles, ExportError> {
        let conn = trace.conns.first().ok_or(ExportError::NoConnection)?;
        let (client, server) = (conn.initiator.node, conn.responder.node);
        let known = |n: u32| (n as usize) < trace.nodes.len();
        if !known(client) || !known(server) {
            return Err(ExportError::NoConnection);
        }
        Ok(Roles { client, server })
    }
}

/// One NAT a segment crossed, with what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite<'t> {
    pub node: u32,
    pub note: &'t str,
}

/// A segment's headers and payload at some point of its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen<'t> {
    pub src: SocketAddrV4,
    pub dst: SocketAddrV4,
    pub ttl: u8,
    pub seq: SeqNumber,
    pub ack: Option<SeqNumber>,
    pub payload: std::borrow::Cow<'t, [u8]>,
}

impl<'t> Seen<'t> {
    /// The segment as its sender wrote it.
    pub fn sent(trace: &'t Trace, seg: &Segment) -> Seen<'t> {
        Seen {
            src: seg.src,
            dst: seg.dst,
            ttl: seg.ttl,
            seq: seg.seq,
            ack: seg.ack,
            payload: std::borrow::Cow::Borrowed(trace.payload(seg)),
        }
    }
}

/// Where each segment of a run went and how it arrived.
#[derive(Debug)]
pub struct Journeys<'t> {
    /// Per segment: the NATs it crossed, in order.
    pub rewrites: Vec<Vec<Rewrite<'t>>>,
    /// Per segment: how it looked after the last NAT it crossed (`None`
    /// when it crossed none, so it arrived as sent).
    pub rewritten: Vec<Option<Seen<'t>>>,
    /// Per segment: the host its final destination address belongs to.
    pub dest: Vec<Option<u32>>,
}

/// A NAT's sequence adjustment for one direction of one connection:
/// segments at or after `from_seq` move by `delta`.
#[derive(Debug, Clone, Copy, Default)]
struct SeqAdj {
    from_seq: u32,
    delta: i32,
}

impl SeqAdj {
    fn apply(self, seq: u32) -> u32 {
        if self.delta != 0 && seq.wrapping_sub(self.from_seq) as i32 >= 0 {
            seq.wrapping_add(self.delta as u32)
        } else {
            seq
        }
    }
    fn unapply(self, ack: u32) -> u32 {
        let moved = self.from_seq.wrapping_add(self.delta as u32);
        if self.delta != 0 && ack.wrapping_sub(moved) as i32 >= 0 {
            ack.wrapping_sub(self.delta as u32)
        } else {
            ack
        }
    }
}

impl<'t> Journeys<'t> {
    pub fn of(trace: &'t Trace) -> Journeys<'t> {
        let n = trace.segments.len();
        let mut rewrites: Vec<Vec<Rewrite<'t>>> = vec![Vec::new(); n];
        let mut rewritten: Vec<Option<Seen<'t>>> = vec![None; n];
        // (NAT, inside address, remote address) → adjustment, as the NAT
        // keeps it.
        let mut adjs: BTreeMap<(u32, SocketAddrV4, SocketAddrV4), SeqAdj> = BTreeMap::new();
        for ev in &trace.events {
            let EventKind::Rewritten {
                segment,
                node,
                src,
                dst,
                note,
            } = &ev.kind
            else {
                continue;
            };
            let i = *segment as usize;
            let Some(seg) = trace.segments.get(i) else {
                continue;
            };
            let cur = rewritten[i].get_or_insert_with(|| Seen::sent(trace, &seg));
            if cur.src != *src {
                // Outbound through a source NAT.
                let key = (*node, cur.src, cur.dst);
                let raw_seq = cur.seq.get();
                if let Some(adj) = adjs.get(&key) {
                    cur.seq = SeqNumber(adj.apply(raw_seq));
                }
                if let Some(new) = helper_payload(note) {
                    let old_len = cur.payload.len();
                    let delta = new.len() as i32 - old_len as i32;
                    let end = raw_seq.wrapping_add(old_len as u32);
                    let adj = adjs.entry(key).or_default();
                    // A retransmitted PORT is rewritten again but must not
                    // move the stream a second time.
                    let first_time = adj.delta == 0 || end.wrapping_sub(adj.from_seq) as i32 > 0;
                    if delta != 0 && first_time {
                        adj.delta += delta;
                        adj.from_seq = end;
                    }
                    cur.payload = std::borrow::Cow::Owned(new);
                }
            } else if cur.dst != *dst
                && let Some(adj) = adjs.get(&(*node, *dst, cur.src))
                && let Some(ack) = cur.ack
            {
                // Inbound: acknowledgements move back into the inside
                // host's sequence space.
                cur.ack = Some(SeqNumber(adj.unapply(ack.get())));
            }
            cur.src = *src;
            cur.dst = *dst;
            // A NAT is a router: it decrements the TTL before rewriting.
            cur.ttl = cur.ttl.saturating_sub(1);
            rewrites[i].push(Rewrite { node: *node, note });
        }
        let owner = address_owners(trace);
        let dest = trace
            .segments
            .iter()
            .zip(&rewritten)
            .map(|(seg, r)| match r {
                Some(r) => owner.get(r.dst.ip()).copied().or(seg.to),
                None => seg.to,
            })
            .collect();
        Journeys {
            rewrites,
            rewritten,
            dest,
        }
    }

    /// Segment `i` as it arrived at its destination.
    pub fn arrived(&self, trace: &'t Trace, i: usize) -> Seen<'t> {
        match self.rewritten.get(i).and_then(Option::as_ref) {
            Some(s) => s.clone(),
            None => Seen::sent(trace, &trace.segments.at(i)),
        }
    }
}

/// The new payload of a `PORT` command an FTP helper rewrote, read from the
/// NAT's note (`... FTP helper rewrote PORT 10,0,0,2,200,100 to "PORT
/// 203,0,113,1,156,64\r\n"`).
fn helper_payload(note: &str) -> Option<Vec<u8>> {
    let at = note.find("FTP helper rewrote ")?;
    let rest = &note[at..];
    let quoted = &rest[rest.find(" to \"")? + 5..];
    let body = quoted.strip_suffix('"')?;
    let mut out = Vec::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next()? {
            'r' => out.push(b'\r'),
            'n' => out.push(b'\n'),
            't' => out.push(b'\t'),
            '\\' => out.push(b'\\'),
            '"' => out.push(b'"'),
            '\'' => out.push(b'\''),
            _ => return None,
        }
    }
    Some(out)
}

/// Address → the node that has it (the first, as the simulator decides).
fn address_owners(trace: &Trace) -> BTreeMap<Ipv4Addr, u32> {
    let mut map = BTreeMap::new();
    for (i, node) in trace.nodes.iter().enumerate() {
        for a in &node.addrs {
            map.entry(*a).or_insert(i as u32);
        }
    }
    map
}

/// One segment as a diagram or a table shows it.
#[derive(Debug, Clone)]
pub struct Row<'t> {
    /// 0-based index into `trace.segments`.
    pub index: usize,
    pub seg: Segment,
    pub stage: Result<u32, Unstaged>,
    /// Where the arrow ends: the host it reached, the node that dropped
    /// it, or (lost on a link) the host it was going to.
    pub to: Option<u32>,
    /// The host the segment was addressed to (after any NAT), if any.
    pub dest: Option<u32>,
    /// Lost: where, why, when.
    pub lost: Option<(u32, DropReason, Instant)>,
    /// Delivered: when.
    pub arrived: Option<Instant>,
    /// Sequence and acknowledgement numbers relative to the ISNs the
    /// sender knew (absolute when the SYN that set one is not in the run).
    pub rel_seq: u32,
    pub rel_ack: Option<u32>,
    /// The trace the row was read from (segments are copied out of it).
    pub trace: std::marker::PhantomData<&'t Trace>,
}

impl Row<'_> {
    /// "4", or "retx", "dup", "–" for a segment without a stage.
    pub fn stage_tag(&self) -> String {
        match self.stage {
            Ok(n) => n.to_string(),
            Err(Unstaged::Retransmission) => "retx".into(),
            Err(Unstaged::Duplicate) => "dup".into(),
            Err(Unstaged::NotPartOfTheWalkthrough) => "–".into(),
        }
    }

    /// The segment carries application bytes.
    pub fn is_data(&self) -> bool {
        self.seg.payload_len > 0
    }

    /// `PSH,ACK`.
    pub fn flags(&self) -> String {
        self.seg.flags.names().join(",")
    }

    /// `[4] PSH,ACK seq=1 ack=21 len=14 USER student`: the label on an
    /// arrow, before any escaping for the output format.
    pub fn label(&self, trace: &Trace, preview_chars: usize) -> String {
        let mut s = format!(
            "[{}] {} seq={}",
            self.stage_tag(),
            self.flags(),
            self.rel_seq
        );
        if let Some(ack) = self.rel_ack {
            s.push_str(&format!(" ack={ack}"));
        }
        s.push_str(&format!(" len={}", self.seg.payload_len));
        let p = payload_start(trace.payload(self.seg), preview_chars);
        if !p.is_empty() {
            s.push(' ');
            s.push_str(&p);
        }
        s
    }

    /// "lost" and the reason, for a dropped segment's label.
    pub fn lost_note(&self, trace: &Trace, lang: Lang) -> Option<String> {
        self.lost
            .map(|(node, reason, _)| words::lost(trace, node, reason, lang))
    }
}

/// Every segment of the run as a [`Row`], in order of sending.
pub fn rows<'t>(trace: &'t Trace, ann: &netstep_trace::Annotation) -> Vec<Row<'t>> {
    let journeys = Journeys::of(trace);
    let isns = Isns::of(trace, &journeys);
    trace
        .segments
        .iter()
        .enumerate()
        .map(|(index, seg)| {
            let stage = ann
                .segments
                .get(index)
                .copied()
                .unwrap_or(Err(Unstaged::NotPartOfTheWalkthrough));
            let dest = journeys.dest.get(index).copied().flatten();
            let (to, lost, arrived) = match seg.fate {
                Fate::Delivered { at } => (dest, None, Some(at)),
                Fate::Dropped { at, node, reason } => {
                    let to = if on_link(reason) || node == seg.from {
                        dest.or(Some(node))
                    } else {
                        Some(node)
                    };
                    (to, Some((node, reason, at)), None)
                }
                Fate::InFlight => (dest, None, None),
            };
            let rel_seq = isns
                .own(&seg)
                .map(|isn| seg.seq.get().wrapping_sub(isn.get()))
                .or_else(|| trace.rel_seq(seg))
                .unwrap_or(seg.seq.get());
            let rel_ack = seg.ack.map(|ack| {
                isns.peer(&seg)
                    .map(|isn| ack.get().wrapping_sub(isn.get()))
                    .or_else(|| trace.rel_ack(seg))
                    .unwrap_or(ack.get())
            });
            Row {
                index,
                seg,
                stage,
                to,
                dest,
                lost,
                arrived,
                rel_seq,
                rel_ack,
                trace: std::marker::PhantomData,
            }
        })
        .collect()
}

/// The rows of one stage, shown together: from its first row to its last,
/// including rows without a stage in between (a bare ACK that is not part
/// of the story does not split the stage it falls in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageGroup {
    pub stage: u32,
    /// Indexes into the rows, inclusive.
    pub first: usize,
    pub last: usize,
    /// An earlier group showed this stage already.
    pub continued: bool,
}

/// The stage groups of `rows`, in order.
pub fn stage_groups(rows: &[Row<'_>]) -> Vec<StageGroup> {
    let mut out: Vec<StageGroup> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let Ok(n) = r.stage else { continue };
        match out.last_mut() {
            // Only unstaged rows since this stage's last row: extend it.
            Some(g) if g.stage == n => g.last = i,
            _ => {
                let continued = out.iter().any(|g| g.stage == n);
                out.push(StageGroup {
                    stage: n,
                    first: i,
                    last: i,
                    continued,
                });
            }
        }
    }
    out
}

/// Initial sequence numbers as each end saw them, by the end's (local,
/// remote) addresses: the ones it sent in its own SYN and the ones it
/// received in the peer's, after any NAT. The trace keeps ISNs per
/// connection record, but a NAT splits one connection into two records
/// (each end's view of the addresses), so an ACK's relative number needs
/// the SYN that crossed the NAT.
#[derive(Debug, Default)]
struct Isns {
    sent: BTreeMap<(SocketAddrV4, SocketAddrV4), Vec<(Instant, SeqNumber)>>,
    received: BTreeMap<(SocketAddrV4, SocketAddrV4), Vec<(Instant, SeqNumber)>>,
}

impl Isns {
    fn of(trace: &Trace, journeys: &Journeys<'_>) -> Isns {
        let mut isns = Isns::default();
        for (i, seg) in trace.segments.iter().enumerate() {
            if !seg.flags.syn() || seg.duplicate_of.is_some() {
                continue;
            }
            isns.sent
                .entry((seg.src, seg.dst))
                .or_default()
                .push((seg.time, seg.seq));
            if let Fate::Delivered { at } = seg.fate {
                let a = journeys.arrived(trace, i);
                isns.received
                    .entry((a.dst, a.src))
                    .or_default()
                    .push((at, a.seq));
            }
        }
        isns
    }

    /// The latest ISN known at `time` for `key` (the earliest one if none
    /// was known yet: a connection's own SYN is always first).
    fn lookup(
        map: &BTreeMap<(SocketAddrV4, SocketAddrV4), Vec<(Instant, SeqNumber)>>,
        key: (SocketAddrV4, SocketAddrV4),
        time: Instant,
    ) -> Option<SeqNumber> {
        let list = map.get(&key)?;
        list.iter()
            .rev()
            .find(|(t, _)| *t <= time)
            .or(list.first())
            .map(|(_, isn)| *isn)
    }

    /// The sender's own ISN.
    fn own(&self, seg: &Segment) -> Option<SeqNumber> {
        Self::lookup(&self.sent, (seg.src, seg.dst), seg.time)
    }

    /// The ISN of the peer, as the sender received it.
    fn peer(&self, seg: &Segment) -> Option<SeqNumber> {
        Self::lookup(&self.received, (seg.src, seg.dst), seg.time)
    }
}

/// The drop happened on a link between nodes, not inside the node that
/// the trace names.
pub fn on_link(reason: DropReason) -> bool {
    matches!(
        reason,
        DropReason::Loss | DropReason::Fault | DropReason::QueueFull
    )
}

/// The columns of a ladder, left to right: the client, the middleboxes a
/// segment was seen at, the server, then any other host.
pub fn participants(trace: &Trace, rows: &[Row<'_>]) -> Vec<u32> {
    let roles = Roles::of(trace).ok();
    let mut used = vec![false; trace.nodes.len()];
    let mut mark = |n: u32| {
        if let Some(u) = used.get_mut(n as usize) {
            *u = true;
        }
    };
    for r in rows {
        mark(r.seg.from);
        if let Some(t) = r.to {
            mark(t);
        }
        if let Some((n, ..)) = r.lost {
            mark(n);
        }
    }
    for ev in &trace.events {
        if let EventKind::Rewritten { node, .. } = ev.kind {
            mark(node);
        }
    }
    let is_host = |n: usize| trace.nodes[n].kind == NodeKind::Host;
    let mut out = Vec::new();
    if let Some(r) = roles {
        out.push(r.client);
    }
    out.extend(
        (0..trace.nodes.len())
            .filter(|&n| used[n] && !is_host(n))
            .map(|n| n as u32),
    );
    if let Some(r) = roles
        && r.server != r.client
    {
        out.push(r.server);
    }
    for (n, &u) in used.iter().enumerate() {
        if is_host(n) && (u || roles.is_none()) && !out.contains(&(n as u32)) {
            out.push(n as u32);
        }
    }
    out
}

/// The first line of a payload, for a label: at most `max_chars`
/// characters, control characters shown as `·`, `…` when cut.
pub fn payload_start(payload: &[u8], max_chars: usize) -> String {
    if payload.is_empty() {
        return String::new();
    }
    let text = String::from_utf8_lossy(payload);
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let first = first.strip_suffix('\r').unwrap_or(first);
    let more = !rest.is_empty();
    let mut out = String::new();
    let mut cut = more;
    for (i, c) in first.chars().enumerate() {
        if i == max_chars {
            cut = true;
            break;
        }
        out.push(if c.is_control() { '·' } else { c });
    }
    if out.trim().is_empty() {
        return format!("({} bytes)", payload.len());
    }
    if cut {
        out.push('…');
    }
    out
}

/// Every byte of a payload in one line: printable text as is, `\r`, `\n`,
/// `\t` and `\xNN` for the rest (invalid UTF-8 too), at most `max_chars`
/// characters of it, then `…`.
pub fn payload_escaped(payload: &[u8], max_chars: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    for chunk in payload.utf8_chunks() {
        for c in chunk.valid().chars() {
            let piece = match c {
                '\r' => "\\r".to_string(),
                '\n' => "\\n".to_string(),
                '\t' => "\\t".to_string(),
                '\\' => "\\\\".to_string(),
                c if c.is_control() => format!("\\x{:02x}", c as u32),
                c => c.to_string(),
            };
            if count >= max_chars {
                out.push('…');
                return out;
            }
            out.push_str(&piece);
            count += 1;
        }
        for b in chunk.invalid() {
            if count >= max_chars {
                out.push('…');
                return out;
            }
            out.push_str(&format!("\\x{b:02x}"));
            count += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_start_takes_the_first_line() {
        assert_eq!(payload_start(b"USER student\r\n", 24), "USER student");
        assert_eq!(payload_start(b"a\r\nb\r\n", 24), "a…");
        assert_eq!(payload_start(b"abcdef\r\n", 3), "abc…");
        assert_eq!(payload_start(b"\r\n", 3), "(2 bytes)");
        assert_eq!(payload_start(b"", 3), "");
        assert_eq!(payload_start(b"no newline", 24), "no newline");
    }

    #[test]
    fn payload_escaped_shows_every_byte() {
        assert_eq!(payload_escaped(b"PWD\r\n", 80), "PWD\\r\\n");
        assert_eq!(payload_escaped(b"a\\b\x01\xff", 80), "a\\\\b\\x01\\xff");
        assert_eq!(payload_escaped(b"abcdef", 3), "abc…");
    }

    #[test]
    fn helper_note_gives_the_new_command() {
        let note = "source 10.0.0.2:51299 → 203.0.113.1:40000; FTP helper rewrote PORT 10,0,0,2,200,100 to \"PORT 203,0,113,1,156,65\\r\\n\"";
        assert_eq!(
            helper_payload(note).as_deref(),
            Some(&b"PORT 203,0,113,1,156,65\r\n"[..])
        );
        assert_eq!(helper_payload("source a → b"), None);
    }

    #[test]
    fn seq_adjustments_apply_and_unapply() {
        let adj = SeqAdj {
            from_seq: 100,
            delta: 2,
        };
        assert_eq!(adj.apply(99), 99);
        assert_eq!(adj.apply(100), 102);
        assert_eq!(adj.unapply(101), 101);
        assert_eq!(adj.unapply(102), 100);
    }
}
