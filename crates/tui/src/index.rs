//! What the player computes once, when it opens a trace, so that drawing a
//! frame or taking a step never walks the whole trace.
//!
//! - the ladder's columns (which nodes segments cross, left to right);
//! - what each connection sent, and (when first chosen) each filter's rows;
//! - each stage's first segment, for `[` and `]`;
//! - where each row's arrow lands in the ladder sloped by travel time
//!   (see `flight.rs`), for every filter's rows;
//! - for sockets: each socket's state changes, its lifetime in steps, and
//!   which sockets live in each block of steps, so "every socket now" is a
//!   short list and a few lookups, not a replay of the events.
//!
//! It reads the segments once and the events once (on two threads when it
//! can), because a million-segment trace is hundreds of megabytes.
//!
//! The step rule. Step `k` is the moment segment `k` has been sent and
//! everything that happened until segment `k + 1` was sent (in the trace's
//! terms, events with `after_segment <= k + 1`: the arrival of segment `k`
//! and what it caused), except what an application did at the very moment
//! segment `k + 1` was sent and because of which it was sent (a connect, a
//! listen, a close): that shows with segment `k + 1`. So the server's
//! SYN-RECEIVED shows with the client's SYN, and FIN-WAIT-1 with the FIN.
//!
//! Leaves out: events other than socket state changes (they need no
//! index).

use crate::flight::Flight;
use netstep_trace::{Annotation, EventKind, Fate, NodeKind, TcpState, Trace};
use netstep_wire::Instant;

/// How many steps one block of the socket index covers. Small enough that
/// scanning a block's sockets is cheap, large enough that long-lived
/// sockets (a listener) are not repeated in too many blocks.
const BLOCK: u32 = 64;

/// A filter over the ladder's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterKind {
    All,
    /// Every connection with this label (`control`, `data`).
    Label(String),
    /// One connection.
    Conn(u32),
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub kind: FilterKind,
    /// Segment indexes in order; `None` for "all" (the identity), and for
    /// the others until [`Index::prepare_filter`] makes them.
    pub rows: Option<Vec<u32>>,
    /// Where the rows' arrows land; made with the rows.
    pub flight: Flight,
}

/// Groups of `u32`s stored back to back: group `g` is
/// `items[offsets[g]..offsets[g + 1]]`. One allocation for a million
/// segments in a hundred thousand groups, instead of a hundred thousand.
#[derive(Debug, Default)]
pub struct Groups<T> {
    offsets: Vec<u32>,
    items: Vec<T>,
}

impl<T: Copy + Default> Groups<T> {
    /// From each item's group, in two passes: count, then place. Items
    /// keep their order within a group.
    fn build(groups: usize, items: impl Iterator<Item = (usize, T)> + Clone) -> Groups<T> {
        let mut offsets = vec![0u32; groups + 1];
        for (g, _) in items.clone() {
            offsets[g + 1] += 1;
        }
        for g in 0..groups {
            offsets[g + 1] += offsets[g];
        }
        let mut next: Vec<u32> = offsets[..groups].to_vec();
        let mut out = vec![T::default(); offsets[groups] as usize];
        for (g, item) in items {
            out[next[g] as usize] = item;
            next[g] += 1;
        }
        Groups {
            offsets,
            items: out,
        }
    }

    pub fn get(&self, g: usize) -> &[T] {
        match (self.offsets.get(g), self.offsets.get(g + 1)) {
            (Some(&a), Some(&b)) => &self.items[a as usize..b as usize],
            _ => &[],
        }
    }
}

/// One state change of one socket.
#[derive(Debug, Clone, Copy)]
pub struct StateChange {
    /// How many segments have been sent at the step that shows it (see
    /// the step rule in the module docs): the event's `after_segment`,
    /// or one more for an application's action at the moment it sent.
    pub shown_at: u32,
    pub event: u32,
    pub to: TcpState,
    time: netstep_wire::Instant,
    /// A segment's arrival caused it.
    by_segment: bool,
}

impl Default for StateChange {
    fn default() -> Self {
        StateChange {
            shown_at: 0,
            event: 0,
            to: TcpState::Closed,
            time: netstep_wire::Instant::ZERO,
            by_segment: false,
        }
    }
}

/// Every socket's state changes, as a list per socket threaded through
/// one array. A socket changes state a handful of times at most (the TCP
/// states do not loop), so walking its list costs no more than a binary
/// search, and building it is one pass with no scattered writes.
#[derive(Debug, Default)]
struct History {
    /// In event order.
    changes: Vec<StateChange>,
    /// The next change of the same socket, or `u32::MAX`.
    next: Vec<u32>,
    /// Per socket, its first and last change, or `u32::MAX`.
    first: Vec<u32>,
    last: Vec<u32>,
}

impl History {
    fn new(n_sockets: usize, changes: Vec<(u32, StateChange)>) -> History {
        let mut h = History {
            changes: Vec::with_capacity(changes.len()),
            next: vec![u32::MAX; changes.len()],
            first: vec![u32::MAX; n_sockets],
            last: vec![u32::MAX; n_sockets],
        };
        for (i, (s, c)) in changes.into_iter().enumerate() {
            let s = s as usize;
            match h.last[s] {
                u32::MAX => h.first[s] = i as u32,
                prev => h.next[prev as usize] = i as u32,
            }
            h.last[s] = i as u32;
            h.changes.push(c);
        }
        h
    }

    fn of(&self, socket: usize) -> impl Iterator<Item = StateChange> + '_ {
        let mut at = self.first.get(socket).copied().unwrap_or(u32::MAX);
        std::iter::from_fn(move || {
            let c = *self.changes.get(at as usize)?;
            at = self.next[at as usize];
            Some(c)
        })
    }

    fn first(&self, socket: usize) -> Option<StateChange> {
        self.changes.get(*self.first.get(socket)? as usize).copied()
    }

    fn last(&self, socket: usize) -> Option<StateChange> {
        self.changes.get(*self.last.get(socket)? as usize).copied()
    }

    /// More than one change: the socket has been something before its
    /// latest state.
    fn changed_more_than_once(&self, socket: usize) -> bool {
        self.first.get(socket) != self.last.get(socket)
    }
}

#[derive(Debug, Default)]
pub struct SocketIndex {
    /// Per socket, its state changes in event order.
    history: History,
    /// Per socket, the first step count (`shown_at` units) at which it
    /// exists, and the last one at which it is still shown (`u32::MAX`
    /// while it never closes for good).
    birth: Vec<u32>,
    death: Vec<u32>,
    /// Per socket, its connection and direction, if it is one end of one.
    pub conn_dir: Vec<Option<(u32, u8)>>,
    /// Socket ids alive at some moment of each block of `BLOCK` steps.
    blocks: Groups<u32>,
    /// Indexes of socket state events, by `shown_at` (stable).
    state_events: Vec<u32>,
    state_after: Vec<u32>,
}

#[derive(Debug)]
pub struct Index {
    /// Node ids of the ladder's columns, left to right.
    pub columns: Vec<u32>,
    /// Per node, its column.
    pub node_col: Vec<Option<usize>>,
    pub filters: Vec<Filter>,
    /// (first segment, stage number) of every stage that occurred, by
    /// segment.
    pub stage_starts: Vec<(u32, u32)>,
    /// Per connection and direction (group `2 * conn + dir`), the segments
    /// it sent, in order.
    sent_by: Groups<u32>,
    pub sockets: SocketIndex,
    /// Per segment, when it was sent, and when it arrived or was lost
    /// (`Instant::MAX` if never): what a filter's `flight` is made from.
    times: Vec<Instant>,
    ends: Vec<Instant>,
}

impl Index {
    pub fn new(trace: &Trace, ann: &Annotation) -> Index {
        let n_nodes = trace.nodes.len();
        let n_conns = trace.conns.len();
        let n_segments = trace.segments.len() as u32;
        // The events and the segments are read once each, at the same time
        // when a second core is there (the two passes are independent; a
        // million-segment trace opens in half the time).
        let (sockets, pass, all_flight) = std::thread::scope(|scope| {
            let events = std::thread::Builder::new()
                .name("netstep-index".into())
                .spawn_scoped(scope, || SocketIndex::collect_changes(trace));
            let pass = SegmentPass::new(trace);
            // While the events are read: where every arrow lands.
            let all_flight = Flight::new(&pass.times, &pass.ends);
            let sockets = match events {
                Ok(handle) => handle
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
                Err(_) => SocketIndex::collect_changes(trace),
            };
            (sockets, pass, all_flight)
        });
        let mut sockets = SocketIndex::new(trace, sockets, &pass.times);
        // Moments the events need a segment count for (TIME-WAIT running
        // out, sockets created without events), in one sweep over the times.
        let mut queries = sockets.time_queries(trace);
        queries.sort_unstable_by_key(|q| q.0);
        let mut answers = Vec::with_capacity(queries.len());
        let mut sent = 0usize;
        for &(t, _, _) in &queries {
            while sent < pass.times.len() && pass.times[sent] < t {
                sent += 1;
            }
            answers.push(sent as u32);
        }
        sockets.finish(&queries, &answers, n_segments);
        let used = pass.used_nodes(n_nodes);
        let sent_by = Groups::build(
            n_conns * 2,
            pass.group_of
                .iter()
                .enumerate()
                .filter(|(_, g)| (**g as usize) < n_conns * 2)
                .map(|(i, &g)| (g as usize, i as u32)),
        );

        let columns = column_order(trace, &used);
        let mut node_col = vec![None; n_nodes];
        for (col, &node) in columns.iter().enumerate() {
            node_col[node as usize] = Some(col);
        }

        // Filters: all; each label that is neither everything nor nothing;
        // each connection that sent something. Their rows are made when
        // they are first chosen (see `prepare_filter`): a trace with
        // thousands of connections should not pay for all of them up front.
        let mut filters = vec![Filter {
            kind: FilterKind::All,
            rows: None,
            flight: all_flight,
        }];
        let conn_len = |c: usize| sent_by.get(2 * c).len() + sent_by.get(2 * c + 1).len();
        let mut labels: Vec<(String, usize)> = Vec::new();
        for (c, info) in trace.conns.iter().enumerate() {
            match labels.iter_mut().find(|(l, _)| *l == info.label) {
                Some((_, n)) => *n += conn_len(c),
                None => labels.push((info.label.clone(), conn_len(c))),
            }
        }
        for (label, n) in labels {
            if n > 0 && n < trace.segments.len() {
                filters.push(Filter {
                    kind: FilterKind::Label(label),
                    rows: None,
                    flight: Flight::default(),
                });
            }
        }
        for c in 0..n_conns {
            if conn_len(c) > 0 {
                filters.push(Filter {
                    kind: FilterKind::Conn(c as u32),
                    rows: None,
                    flight: Flight::default(),
                });
            }
        }

        let mut stage_starts: Vec<(u32, u32)> = ann
            .stages
            .iter()
            .filter(|s| s.occurred)
            .filter_map(|s| s.segments.iter().min().map(|&first| (first, s.n)))
            .filter(|&(first, _)| first < n_segments)
            .collect();
        stage_starts.sort_unstable();

        Index {
            columns,
            node_col,
            filters,
            stage_starts,
            sent_by,
            sockets,
            times: pass.times,
            ends: pass.ends,
        }
    }

    /// The segments connection `conn` sent in direction `dir`, in order.
    pub fn sent_by(&self, conn: u32, dir: u8) -> &[u32] {
        self.sent_by.get(conn as usize * 2 + usize::from(dir & 1))
    }

    /// Makes filter `i`'s rows if they are not made yet: one pass over the
    /// trace for a label, a merge of two lists for a connection. Every
    /// filter but "all" has rows once prepared; the app prepares a filter
    /// before it switches to it.
    pub fn prepare_filter(&mut self, i: usize, trace: &Trace) {
        let Some(f) = self.filters.get(i) else { return };
        if f.rows.is_some() {
            return;
        }
        let rows = match &f.kind {
            FilterKind::All => return,
            FilterKind::Label(label) => trace
                .segments
                .iter()
                .enumerate()
                .filter(|(_, seg)| {
                    seg.conn
                        .and_then(|c| trace.conns.get(c as usize))
                        .is_some_and(|c| c.label == *label)
                })
                .map(|(i, _)| i as u32)
                .collect(),
            FilterKind::Conn(c) => {
                let (a, b) = (self.sent_by(*c, 0), self.sent_by(*c, 1));
                let mut rows = Vec::with_capacity(a.len() + b.len());
                let (mut i0, mut i1) = (0, 0);
                while i0 < a.len() || i1 < b.len() {
                    if i1 >= b.len() || (i0 < a.len() && a[i0] < b[i1]) {
                        rows.push(a[i0]);
                        i0 += 1;
                    } else {
                        rows.push(b[i1]);
                        i1 += 1;
                    }
                }
                rows
            }
        };
        let times: Vec<Instant> = rows.iter().map(|&r| self.times[r as usize]).collect();
        let ends: Vec<Instant> = rows.iter().map(|&r| self.ends[r as usize]).collect();
        let flight = Flight::new(&times, &ends);
        self.filters[i].flight = flight;
        self.filters[i].rows = Some(rows);
    }
}

/// What the index needs of each segment, copied out in one pass: the
/// segments are big, these are small.
struct SegmentPass {
    times: Vec<Instant>,
    /// When each arrived or was lost; `Instant::MAX` if neither.
    ends: Vec<Instant>,
    /// `2 * conn + dir`, or `u32::MAX` outside any known connection.
    group_of: Vec<u32>,
    /// Nodes that sent, received or dropped a segment.
    nodes: Vec<u32>,
}

impl SegmentPass {
    fn new(trace: &Trace) -> SegmentPass {
        let n = trace.segments.len();
        let n_conns = trace.conns.len();
        let mut pass = SegmentPass {
            times: Vec::with_capacity(n),
            ends: Vec::with_capacity(n),
            group_of: Vec::with_capacity(n),
            nodes: Vec::new(),
        };
        let mut seen = vec![false; trace.nodes.len()];
        let mut mark = |node: u32, nodes: &mut Vec<u32>| {
            if let Some(u) = seen.get_mut(node as usize)
                && !*u
            {
                *u = true;
                nodes.push(node);
            }
        };
        for seg in &trace.segments {
            pass.times.push(seg.time);
            pass.ends.push(match seg.fate {
                Fate::Delivered { at } | Fate::Dropped { at, .. } => at,
                Fate::InFlight => Instant::MAX,
            });
            mark(seg.from, &mut pass.nodes);
            if let Some(to) = seg.to {
                mark(to, &mut pass.nodes);
            }
            if let Fate::Dropped { node, .. } = seg.fate {
                mark(node, &mut pass.nodes);
            }
            pass.group_of.push(match seg.conn {
                Some(c) if (c as usize) < n_conns => c * 2 + u32::from(seg.dir & 1),
                _ => u32::MAX,
            });
        }
        pass
    }

    fn used_nodes(&self, n_nodes: usize) -> Vec<bool> {
        let mut used = vec![false; n_nodes];
        for &n in &self.nodes {
            used[n as usize] = true;
        }
        used
    }
}

/// Columns in the scenario's node order, except that routers, NATs and
/// firewalls go between the hosts: segments only name their two ends, so
/// the scenario's order is the only path information a trace has, and a
/// middlebox listed after every host still belongs in the middle.
fn column_order(trace: &Trace, used: &[bool]) -> Vec<u32> {
    let order: Vec<u32> = (0..trace.nodes.len() as u32)
        .filter(|&n| used[n as usize])
        .collect();
    let is_host = |n: u32| trace.nodes[n as usize].kind == NodeKind::Host;
    let hosts: Vec<u32> = order.iter().copied().filter(|&n| is_host(n)).collect();
    if hosts.len() < 2 {
        return order;
    }
    let ends_are_hosts =
        order.first().is_some_and(|&n| is_host(n)) && order.last().is_some_and(|&n| is_host(n));
    if ends_are_hosts {
        return order;
    }
    let middle: Vec<u32> = order.iter().copied().filter(|&n| !is_host(n)).collect();
    let mut cols = vec![hosts[0]];
    cols.extend(middle);
    cols.extend(&hosts[1..]);
    cols
}

/// A moment whose segment count the index needs: (time, socket, what).
type TimeQuery = (netstep_wire::Instant, u32, QueryKind);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueryKind {
    /// A socket with no state events exists from its creation time.
    Created,
    /// A socket in TIME-WAIT is gone when 2*MSL has passed.
    TimeWaitEnds,
}

impl SocketIndex {
    /// The socket state changes, in one pass over the events (they are
    /// big; this keeps what the index needs of them).
    fn collect_changes(trace: &Trace) -> Vec<(u32, StateChange)> {
        let n_sockets = trace.sockets.len();
        trace
            .events
            .iter()
            .enumerate()
            .filter_map(|(ei, ev)| match ev.kind {
                EventKind::SocketState {
                    socket,
                    to,
                    segment,
                    ..
                } if (socket as usize) < n_sockets => Some((
                    socket,
                    StateChange {
                        shown_at: ev.after_segment,
                        event: ei as u32,
                        to,
                        time: ev.time,
                        by_segment: segment.is_some(),
                    },
                )),
                _ => None,
            })
            .collect()
    }

    /// Histories and lifetimes from the state changes and the segments'
    /// send times.
    fn new(
        trace: &Trace,
        mut changes: Vec<(u32, StateChange)>,
        times: &[netstep_wire::Instant],
    ) -> SocketIndex {
        let n_sockets = trace.sockets.len();
        // What an application did at the very moment it made TCP send the
        // next segment (connect, listen, close) shows with that segment.
        for (_, c) in &mut changes {
            let next = c.shown_at as usize;
            if !c.by_segment && times.get(next) == Some(&c.time) {
                c.shown_at += 1;
            }
        }
        let mut by_step: Vec<(u32, u32)> =
            changes.iter().map(|(_, c)| (c.shown_at, c.event)).collect();
        // Events come in time order, so each socket's changes come sorted
        // (moving a change to the next step keeps that order).
        let history = History::new(n_sockets, changes);
        // Already in order unless a recorder disagrees; then a stable sort.
        if !by_step.is_sorted_by_key(|p| p.0) {
            by_step.sort_by_key(|p| p.0);
        }
        let state_after: Vec<u32> = by_step.iter().map(|p| p.0).collect();
        let state_events: Vec<u32> = by_step.iter().map(|p| p.1).collect();

        let mut conn_dir = vec![None; n_sockets];
        for (c, conn) in trace.conns.iter().enumerate() {
            for (d, s) in conn.sockets.iter().enumerate() {
                if let Some(slot) = s.and_then(|s| conn_dir.get_mut(s as usize)) {
                    *slot = Some((c as u32, d as u8));
                }
            }
        }

        let mut birth = Vec::with_capacity(n_sockets);
        let mut death = Vec::with_capacity(n_sockets);
        for s in 0..n_sockets {
            birth.push(history.first(s).map_or(u32::MAX, |c| c.shown_at));
            // Gone once it is CLOSED after having been something else.
            death.push(match history.last(s) {
                Some(last) if last.to == TcpState::Closed && history.changed_more_than_once(s) => {
                    last.shown_at
                }
                _ => u32::MAX,
            });
        }
        SocketIndex {
            history,
            birth,
            death,
            conn_dir,
            blocks: Groups::default(),
            state_events,
            state_after,
        }
    }

    /// The moments whose segment counts `finish` needs.
    fn time_queries(&self, trace: &Trace) -> Vec<TimeQuery> {
        let mut out = Vec::new();
        for (s, info) in trace.sockets.iter().enumerate() {
            match self.history.last(s) {
                None => out.push((info.created, s as u32, QueryKind::Created)),
                // A trace that stops recording before TIME-WAIT runs out
                // has no event for its end.
                Some(last) if last.to == TcpState::TimeWait => {
                    let tw = trace
                        .nodes
                        .get(info.node as usize)
                        .and_then(|n| n.tcp.as_ref())
                        .map(|p| p.time_wait);
                    if let Some(tw) = tw {
                        out.push((last.time + tw, s as u32, QueryKind::TimeWaitEnds));
                    }
                }
                Some(_) => {}
            }
        }
        out
    }

    /// Takes in the segment counts (`answers[i]` segments were sent before
    /// `queries[i]`'s time) and builds the per-block socket lists.
    fn finish(&mut self, queries: &[TimeQuery], answers: &[u32], n_segments: u32) {
        for (&(_, s, kind), &sent) in queries.iter().zip(answers) {
            let s = s as usize;
            match kind {
                QueryKind::Created => self.birth[s] = sent,
                QueryKind::TimeWaitEnds => {
                    let entered = self.history.last(s).map_or(0, |c| c.shown_at);
                    self.death[s] = sent.max(entered);
                }
            }
        }
        let n_blocks = (n_segments / BLOCK + 1) as usize;
        let (birth, death) = (&self.birth, &self.death);
        let spans = (0..birth.len()).flat_map(move |s| {
            let from = (birth[s].min(n_segments) / BLOCK) as usize;
            let to = (death[s].min(n_segments) / BLOCK) as usize;
            (from..=to).map(move |b| (b, s as u32))
        });
        self.blocks = Groups::build(n_blocks, spans);
    }

    /// Sockets that exist after `m` segments were sent, in creation order.
    pub fn alive(&self, m: u32) -> impl Iterator<Item = u32> + '_ {
        let block = self.blocks.get((m / BLOCK) as usize);
        block.iter().copied().filter(move |&s| {
            let s = s as usize;
            self.birth[s] <= m && m <= self.death[s]
        })
    }

    /// The socket's latest state change at or before `m`, if any.
    pub fn state_at(&self, socket: u32, m: u32) -> Option<StateChange> {
        self.history
            .of(socket as usize)
            .take_while(|c| c.shown_at <= m)
            .last()
    }

    /// Indexes (into `trace.events`) of the socket state changes that
    /// happened within step `k`: after segment `k` was sent and before
    /// segment `k + 1` (for the first step, also everything before it).
    pub fn changes_in_step(&self, k: u32) -> &[u32] {
        let lo = if k == 0 {
            0
        } else {
            self.state_after.partition_point(|&a| a <= k)
        };
        let hi = self.state_after.partition_point(|&a| a <= k + 1);
        &self.state_events[lo..hi.max(lo)]
    }
}

/// The last element of the sorted `list` that is `<= x`.
pub fn last_at_or_before(list: &[u32], x: u32) -> Option<u32> {
    let i = list.partition_point(|&v| v <= x);
    i.checked_sub(1).map(|i| list[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn columns_and_filters_of_the_walkthrough() {
        let (t, a) = fixture::walkthrough_run();
        let ix = Index::new(&t, &a);
        assert_eq!(ix.columns, vec![0, 1]);
        let kinds: Vec<FilterKind> = ix.filters.iter().map(|f| f.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                FilterKind::All,
                FilterKind::Label("control".into()),
                FilterKind::Label("data".into()),
                FilterKind::Conn(0),
                FilterKind::Conn(1)
            ]
        );
        let mut ix = ix;
        ix.prepare_filter(2, &t);
        assert_eq!(ix.filters[2].rows.as_ref().unwrap().len(), 8);
        ix.prepare_filter(4, &t);
        assert_eq!(
            ix.filters[4].rows, ix.filters[2].rows,
            "conn 1 is the data connection"
        );
        assert_eq!(ix.sent_by(1, 0), &[17, 19, 21, 22, 27]);
        assert_eq!(ix.stage_starts.len(), 32);
        assert_eq!(ix.stage_starts[15], (17, 16));
    }

    #[test]
    fn router_goes_between_hosts() {
        let (t, a) = fixture::lossy_run();
        let ix = Index::new(&t, &a);
        assert_eq!(ix.columns, vec![0, 1, 2]);
    }

    #[test]
    fn sockets_alive_follow_the_events() {
        let (t, a) = fixture::walkthrough_run();
        let ix = Index::new(&t, &a);
        let s = &ix.sockets;
        // After the SYN: the listener, the client's socket, the server's
        // new one (the SYN arrived before the SYN+ACK was sent).
        let alive: Vec<u32> = s.alive(1).collect();
        assert_eq!(alive, vec![0, 1, 2]);
        assert_eq!(s.state_at(2, 1).unwrap().to, TcpState::SynReceived);
        // At the end: the client's data socket is gone, the control one is
        // shown CLOSED at the very step it closed.
        let end: Vec<u32> = s.alive(37).collect();
        assert_eq!(end, vec![0, 1, 2, 4]);
        assert_eq!(s.state_at(1, 37).unwrap().to, TcpState::Closed);
        assert_eq!(s.state_at(4, 37).unwrap().to, TcpState::TimeWait);
        // The first step holds the listener, the client's SYN-SENT and the
        // server's SYN-RECEIVED.
        assert_eq!(s.changes_in_step(0).len(), 3);
        assert_eq!(s.changes_in_step(36).len(), 1);
    }

    #[test]
    fn an_applications_action_shows_with_the_segment_it_sent() {
        let (t, a) = fixture::walkthrough_run();
        let ix = Index::new(&t, &a);
        let s = &ix.sockets;
        let in_step = |k: u32| -> Vec<(u32, TcpState)> {
            s.changes_in_step(k)
                .iter()
                .filter_map(|&e| match t.events[e as usize].kind {
                    EventKind::SocketState { socket, to, .. } => Some((socket, to)),
                    _ => None,
                })
                .collect()
        };
        // The client listens on 51300 as it sends PORT (#14).
        assert_eq!(in_step(13), vec![(3, TcpState::Listen)]);
        assert_eq!(s.birth[3], 14);
        // FIN-WAIT-1 comes with the server's FIN (#34), not with the 221.
        assert!(in_step(33).contains(&(2, TcpState::FinWait1)));
        assert!(in_step(32).is_empty());
        // An arrival stays with the segment that arrived: SYN-RECEIVED
        // with the SYN.
        assert!(in_step(0).contains(&(2, TcpState::SynReceived)));
    }
}
